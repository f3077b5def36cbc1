//! The run's reports (human, TAP 13, JUnit XML, JSON), the progress shown
//! while it runs, and the listing of the cases.

mod error;
mod format;
pub mod human;
pub mod json;
pub mod junit;
pub mod list;
pub mod progress;
mod run_info;
pub mod tap;
mod yaml;

pub use error::ReportError;
pub use format::{Format, render};
pub use progress::{Progress, ProgressMode};
pub use run_info::RunInfo;
