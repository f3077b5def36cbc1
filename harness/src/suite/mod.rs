//! The conformance suite: cases loaded from data, the plan, the runner that
//! executes each case instance in its own sandbox, the named checks, and
//! verdicts graded by the catalogue.

pub mod baseline;
pub mod case;
pub mod checks;
pub mod driver;
pub mod instance;
pub mod keep;
pub mod kernel;
pub mod plan;
pub mod redact;
pub mod role;
pub mod runner;
pub mod snapshot;
pub mod target;
pub mod verdict;
pub mod workers;

pub use case::Case;
pub use plan::{Instance, Selection};
pub use role::Role;
pub use verdict::{CaseResult, Exchange, Finding, Summary, Verdict};
