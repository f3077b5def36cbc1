//! The mock runtime: invoking plugins, deriving their requests, running
//! lists, the result cache, loading configurations.

pub mod cache;
pub mod call;
pub mod chain;
pub mod env;
pub mod find;
pub mod invoke;
pub mod load;
pub mod output;
pub mod request;
pub mod stub;

pub use cache::{Cache, CacheEntry};
pub use call::{Answer, Call, PluginFailure};
pub use chain::{ListError, Probe, Runtime};
pub use env::{Attachment, EnvProfile};
pub use invoke::{Captured, Invocation, InvokeError, Namespaces, Outcome, Termination, invoke};
pub use output::Stdout;
pub use request::{EmptyRuntimeConfig, GcAttachment};
