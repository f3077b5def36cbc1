//! What can go wrong while rendering a report: only serialisation, since
//! every report is built in memory.

/// A report could not be serialised.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("failed to serialise the JSON report")]
    Json(#[source] serde_json::Error),
    #[error("failed to serialise the JUnit report")]
    Junit(#[source] quick_junit::SerializeError),
}
