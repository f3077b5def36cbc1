//! Property testing of configuration parsing: proptest strategies for CNI
//! data and mutations that break it one way at a time, shared by the
//! project's own property tests and the `fuzz` campaign against a plugin.

pub mod campaign;
pub mod execute;
pub mod expect;
pub mod generate;
pub mod model;
pub mod mutation;
pub mod oracle;
pub mod path;
pub mod report;
pub mod shrink;
pub mod strategy;
pub mod variant;

pub use campaign::{Class, ClassKey, Options, Outcome, Wanted, run};
pub use expect::{Expect, Grade};
pub use generate::{FuzzCase, Generator};
pub use mutation::Mutation;
pub use variant::{Seed, Variant};
