//! What every report says about the run as a whole, and the helpers the
//! formats share: a stable order of results, a case's area.

use std::time::Duration;

use crate::suite::{CaseResult, Role};

/// The run a report describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunInfo {
    /// The version of cnitest that ran.
    pub cnitest: String,
    /// The plugin under test, as given with `--plugin`.
    pub plugin: String,
    /// `--config`, when given.
    pub config: Option<String>,
    /// What the plugin's VERSION answer advertised, verbatim (it may hold
    /// strings that are not released versions).
    pub supported_versions: Vec<String>,
    pub role: Role,
    pub strict: bool,
    /// Wall time of the whole run.
    pub duration: Duration,
    /// Where the cases came from: `built-in`, then each `--cases` directory.
    pub cases: Vec<String>,
}

impl RunInfo {
    /// The version of this build of cnitest.
    pub const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    /// A run of this build against `plugin` in `role` with the built-in
    /// cases; the caller fills in the rest as the run learns it.
    pub fn new(plugin: impl Into<String>, role: Role) -> RunInfo {
        RunInfo {
            cnitest: RunInfo::VERSION.to_owned(),
            plugin: plugin.into(),
            config: None,
            supported_versions: Vec::new(),
            role,
            strict: false,
            duration: Duration::ZERO,
            cases: vec!["built-in".to_owned()],
        }
    }
}

/// Results in a stable order (case, version, role), whatever order the
/// parallel runner finished them in, so reports of equal runs are equal.
pub(crate) fn ordered(results: &[CaseResult]) -> Vec<&CaseResult> {
    let mut out: Vec<&CaseResult> = results.iter().collect();
    out.sort_by(|a, b| (&a.case, a.version, a.role).cmp(&(&b.case, b.version, b.role)));
    out
}

/// The area of a case: the first component of its id (`del/twice` -> `del`).
pub(crate) fn area(case_id: &str) -> &str {
    case_id.split('/').next().unwrap_or(case_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_is_the_first_component() {
        assert_eq!(area("del/twice"), "del");
        assert_eq!(area("version"), "version");
    }
}
