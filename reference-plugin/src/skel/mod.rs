//! The skeleton every reference plugin runs on: environment and stdin in,
//! version negotiation, dispatch to one function per command, and exactly
//! one JSON value (or nothing) out.

mod attachments;
mod dispatch;
pub mod env;
mod express;
mod input;
mod negotiate;
mod output;
mod plugin;
mod request;
mod traps;

pub use attachments::valid_attachments;
pub use dispatch::{main, run};
pub use env::{Attachment, CniArgs, Env};
pub use express::express;
pub use output::{Outcome, Reply, emit};
pub use plugin::{AddOutput, Plugin, PluginKind};
pub use request::Request;
