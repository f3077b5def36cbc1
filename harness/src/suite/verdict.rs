//! What a case instance concluded: findings graded by the catalogue, the
//! exchanges that show why, and the verdict they add up to.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::role::Role;
use crate::spec::{Level, Version};

/// The outcome of one (case, version, role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    /// A SHOULD broken, or a known deviation of the common libraries.
    Warn,
    /// Not applicable (version, role) or a need not met; always with a reason.
    Skip,
    /// A MUST broken.
    Fail,
    /// The harness itself failed; never counted against the plugin.
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Skip => "skip",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken (or noted) rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The catalogue id, e.g. `P-DEL-1`.
    pub rule: String,
    /// Its level at the version the case ran at.
    pub level: Level,
    pub message: String,
    /// The step (0-based) that showed it, if one did.
    pub step: Option<usize>,
}

impl Finding {
    pub fn new(rule: impl Into<String>, level: Level, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.into(),
            level,
            message: message.into(),
            step: None,
        }
    }

    pub fn at_step(mut self, step: usize) -> Finding {
        self.step = Some(step);
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.rule, self.level, self.message)
    }
}

/// One plugin call as a failure report shows it: what was sent, what came
/// back, and how to repeat it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub step: usize,
    pub plugin: String,
    pub command: String,
    pub env: Vec<(String, String)>,
    pub stdin: String,
    /// "exit status 1", "killed by signal 11 (SIGSEGV)", "timed out".
    pub termination: String,
    pub stdout: String,
    pub stderr: String,
    pub duration_ms: u64,
    /// A shell command that repeats the call by hand.
    pub reproduce: String,
}

/// The result of one case instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// The case id: its path under `cases/` without `.toml`.
    pub case: String,
    pub title: String,
    pub version: Version,
    pub role: Role,
    pub verdict: Verdict,
    /// The level of the case's leading rule at this version.
    pub level: Level,
    /// Every rule the case cites.
    pub clauses: Vec<String>,
    /// One line: the first finding, the skip reason, or the harness error.
    pub message: String,
    pub findings: Vec<Finding>,
    /// The calls of a case that did not pass.
    pub exchanges: Vec<Exchange>,
    /// What the kernel showed that differs from before the case (leaks).
    pub kernel_diff: Vec<String>,
    pub duration: Duration,
    /// How to enter the sandbox kept by `--keep-failed`.
    pub kept: Option<String>,
    /// A command that runs this case again, alone.
    pub reproduce: String,
    /// The wall time of every plugin call of the case, summed: what the
    /// plugin cost, against `duration`, what the case cost.
    #[serde(default)]
    pub plugin_time: Duration,
    /// What the plugin under test answered at each step, redacted, for
    /// snapshots (`--snapshots`); `None` when not asked for.
    #[serde(skip)]
    pub answers: Option<serde_json::Value>,
}

/// Grades findings: a MUST finding fails, a SHOULD one warns (fails under
/// `--strict`), MAY and INFO are notes.
pub fn grade(findings: &[Finding], strict: bool) -> Verdict {
    let worst = findings.iter().map(|f| f.level).min();
    match worst {
        Some(Level::Must) => Verdict::Fail,
        Some(Level::Should) if strict => Verdict::Fail,
        Some(Level::Should) => Verdict::Warn,
        _ => Verdict::Pass,
    }
}

/// Counts per verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub skip: usize,
    pub error: usize,
}

impl Summary {
    pub fn of<'a>(results: impl IntoIterator<Item = &'a CaseResult>) -> Summary {
        let mut s = Summary::default();
        for r in results {
            s.add(r.verdict);
        }
        s
    }

    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Pass => self.pass += 1,
            Verdict::Warn => self.warn += 1,
            Verdict::Skip => self.skip += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Error => self.error += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.warn + self.skip + self.error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grading_follows_levels() {
        let must = Finding::new("P-DEL-1", Level::Must, "x");
        let should = Finding::new("P-DEL-4", Level::Should, "y");
        let info = Finding::new("P-DEL-6", Level::Info, "z");
        assert_eq!(grade(&[], false), Verdict::Pass);
        assert_eq!(grade(std::slice::from_ref(&info), false), Verdict::Pass);
        assert_eq!(grade(&[should.clone(), info], false), Verdict::Warn);
        assert_eq!(grade(std::slice::from_ref(&should), true), Verdict::Fail);
        assert_eq!(grade(&[should, must], false), Verdict::Fail);
    }
}
