//! A baseline: the results a plugin is known to get that are not a pass,
//! each with why. With `--baseline`, a run gates on differences from it
//! rather than on verdicts: a plugin with known deviations can still gate
//! its CI on "nothing new", and the suite can be held to what it says about
//! the upstream plugins (`fixtures/upstream/*.baseline.toml`).
//!
//! The comparison is strict both ways. A warn, fail or error the baseline
//! does not name is a difference; so is a named result whose verdict is not
//! one the entry allows (a fixed bug must leave the baseline, or the file
//! stops saying what is true). Entries for results the run did not produce
//! (filtered out, another version) are not compared.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use serde::Deserialize;

use crate::spec::Version;
use crate::suite::case::{line_at, toml_message};
use crate::suite::{CaseResult, Verdict};

/// Why a result is in the baseline: what a reader of the baseline needs to
/// judge whether it is the plugin's fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The plugin breaks the spec in its own code.
    PluginBug,
    /// Behaviour every plugin built on a common library shares (catalogue
    /// section 13): the suite warns, the plugin's authors can do little.
    LibraryDeviation,
    /// The result comes from the IPAM plugin the configuration delegates to.
    Delegate,
    /// The result comes from a plugin before this one in the chain.
    Chain,
    /// Different runs give different verdicts (a race in the plugin).
    Flaky,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// The plugin the file is about; informational.
    #[serde(default)]
    #[expect(dead_code, reason = "informational: read by people, not the harness")]
    plugin: Option<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "informational: read by people, not the harness")]
    note: Option<String>,
    #[serde(default)]
    expect: Vec<toml::Spanned<EntryFile>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    case: String,
    #[serde(default)]
    versions: Option<Vec<String>>,
    verdict: OneOrMany,
    kind: Kind,
    reason: String,
    #[serde(default)]
    #[expect(
        dead_code,
        reason = "informational: where a person can check the reason"
    )]
    evidence: Option<String>,
    /// The plugin's answers differ between runs (an error message naming
    /// whichever address a map gave first): no snapshot can hold them.
    #[serde(default, rename = "answers-vary")]
    answers_vary: bool,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// One known result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub case: String,
    /// `None`: every version the case runs at.
    pub versions: Option<BTreeSet<Version>>,
    /// The verdicts the result may have; more than one for a flaky result.
    pub verdicts: BTreeSet<Verdict>,
    pub kind: Kind,
    pub reason: String,
    /// Whether the answers differ between runs (always so for a flaky
    /// result), so that snapshots leave them out.
    pub answers_vary: bool,
    /// Where the entry is: `file:line`.
    pub place: String,
}

impl Entry {
    fn covers(&self, case: &str, version: Version) -> bool {
        self.case == case && self.versions.as_ref().is_none_or(|v| v.contains(&version))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub entries: Vec<Entry>,
}

/// One way a run differs from its baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// A result that is not a pass and that no entry names.
    Unexpected {
        case: String,
        version: Version,
        verdict: Verdict,
        message: String,
    },
    /// A named result whose verdict the entry does not allow.
    Changed {
        case: String,
        version: Version,
        verdict: Verdict,
        allowed: BTreeSet<Verdict>,
        place: String,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Unexpected {
                case,
                version,
                verdict,
                message,
            } => write!(
                f,
                "{case} {version}: {verdict}, not in the baseline: {message}"
            ),
            Difference::Changed {
                case,
                version,
                verdict,
                allowed,
                place,
            } => {
                let allowed: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
                write!(
                    f,
                    "{case} {version}: {verdict}, the baseline ({place}) expects {}",
                    allowed.join(" or ")
                )
            }
        }
    }
}

/// What a run came to against its baseline.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Results that are not a pass and are as the baseline says.
    pub expected: usize,
    pub differences: Vec<Difference>,
}

impl Baseline {
    /// Reads a baseline; every entry must name one of `case_ids` and
    /// released versions, and no two entries may cover one result.
    pub fn load(path: &Path, case_ids: &[&str]) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Baseline::parse(&path.display().to_string(), &text, case_ids)
    }

    pub fn parse(name: &str, text: &str, case_ids: &[&str]) -> Result<Baseline, String> {
        let file: File =
            toml::from_str(text).map_err(|e| format!("{name}: {}", toml_message(text, &e)))?;
        let mut entries: Vec<Entry> = Vec::new();
        for spanned in file.expect {
            let place = format!("{name}:{}", line_at(text, spanned.span().start));
            let entry = spanned.into_inner();
            let bad = |why: String| format!("{place}: {why}");
            if !case_ids.contains(&entry.case.as_str()) {
                return Err(bad(format!(
                    "case {:?}: no such case (`cnitest list` shows them)",
                    entry.case
                )));
            }
            let versions = match entry.versions {
                None => None,
                Some(vs) if vs.is_empty() => {
                    return Err(bad("versions: empty; leave it out for every version".into()));
                }
                Some(vs) => Some(
                    vs.iter()
                        .map(|v| {
                            Version::from_exact(v).ok_or_else(|| {
                                bad(format!("versions: {v:?} is not a released spec version"))
                            })
                        })
                        .collect::<Result<BTreeSet<_>, _>>()?,
                ),
            };
            let names = match entry.verdict {
                OneOrMany::One(v) => vec![v],
                OneOrMany::Many(vs) => vs,
            };
            let mut verdicts = BTreeSet::new();
            for v in names {
                let known = [Verdict::Pass, Verdict::Warn, Verdict::Fail, Verdict::Skip];
                match known.into_iter().find(|k| k.as_str() == v) {
                    Some(verdict) => verdicts.insert(verdict),
                    None if v == Verdict::Error.as_str() => {
                        return Err(bad(
                            "verdict: error is the harness's failure, never a plugin's known result"
                                .into(),
                        ));
                    }
                    None => {
                        return Err(bad(format!(
                            "verdict: {v:?}; one of pass, warn, fail, skip, or a list of them"
                        )));
                    }
                };
            }
            if verdicts.iter().all(|v| *v == Verdict::Pass) {
                return Err(bad(
                    "verdict: a result that only passes needs no entry".into()
                ));
            }
            if entry.reason.trim().is_empty() {
                return Err(bad("reason: say why the plugin gets this result".into()));
            }
            let new = Entry {
                case: entry.case,
                versions,
                verdicts,
                kind: entry.kind,
                reason: entry.reason,
                answers_vary: entry.answers_vary || entry.kind == Kind::Flaky,
                place,
            };
            if let Some(old) = entries.iter().find(|old| {
                old.case == new.case
                    && match (&old.versions, &new.versions) {
                        (Some(a), Some(b)) => !a.is_disjoint(b),
                        _ => true,
                    }
            }) {
                return Err(format!(
                    "{}: case {} is also named at {}, for the same version",
                    new.place, new.case, old.place
                ));
            }
            entries.push(new);
        }
        Ok(Baseline { entries })
    }

    /// Drops the answers the baseline says differ between runs, before
    /// snapshots are compared: a snapshot of them would fail at random.
    pub fn forget_varying_answers(&self, results: &mut [CaseResult]) {
        for r in results {
            if self
                .entries
                .iter()
                .any(|e| e.answers_vary && e.covers(&r.case, r.version))
            {
                r.answers = None;
            }
        }
    }

    /// Compares a run's results with the baseline.
    pub fn compare(&self, results: &[CaseResult]) -> Comparison {
        let mut out = Comparison::default();
        for r in results {
            match self.entries.iter().find(|e| e.covers(&r.case, r.version)) {
                Some(e) if e.verdicts.contains(&r.verdict) => {
                    if r.verdict != Verdict::Pass {
                        out.expected += 1;
                    }
                }
                Some(e) => out.differences.push(Difference::Changed {
                    case: r.case.clone(),
                    version: r.version,
                    verdict: r.verdict,
                    allowed: e.verdicts.clone(),
                    place: e.place.clone(),
                }),
                None if matches!(r.verdict, Verdict::Pass | Verdict::Skip) => {}
                None => out.differences.push(Difference::Unexpected {
                    case: r.case.clone(),
                    version: r.version,
                    verdict: r.verdict,
                    message: r.message.clone(),
                }),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::spec::Level;
    use crate::suite::Role;

    const IDS: &[&str] = &["del/twice", "check/after-add", "add/concurrent"];

    fn result(case: &str, version: Version, verdict: Verdict) -> CaseResult {
        CaseResult {
            case: case.to_owned(),
            title: "t".to_owned(),
            version,
            role: Role::Interface,
            verdict,
            level: Level::Must,
            clauses: vec![],
            message: format!("{verdict} message"),
            findings: vec![],
            exchanges: vec![],
            kernel_diff: vec![],
            duration: Duration::ZERO,
            kept: None,
            reproduce: String::new(),
            plugin_time: Duration::ZERO,
            answers: None,
        }
    }

    const FILE: &str = r#"
plugin = "x"

[[expect]]
case = "check/after-add"
versions = ["0.4.0", "1.0.0"]
verdict = "fail"
kind = "plugin-bug"
reason = "CHECK fails"

[[expect]]
case = "add/concurrent"
verdict = ["pass", "warn"]
kind = "flaky"
reason = "a race"
"#;

    #[test]
    fn results_as_named_are_expected_and_others_differ() {
        let b = Baseline::parse("b.toml", FILE, IDS).unwrap();
        let run = [
            result("check/after-add", Version::V1_0_0, Verdict::Fail),
            result("check/after-add", Version::V0_3_1, Verdict::Pass),
            result("add/concurrent", Version::V1_0_0, Verdict::Pass),
            result("add/concurrent", Version::V0_4_0, Verdict::Warn),
            result("del/twice", Version::V1_0_0, Verdict::Skip),
        ];
        let c = b.compare(&run);
        assert_eq!(c.expected, 2);
        assert!(c.differences.is_empty(), "{:?}", c.differences);
    }

    #[test]
    fn a_fixed_result_and_a_new_one_are_both_differences() {
        let b = Baseline::parse("b.toml", FILE, IDS).unwrap();
        let run = [
            result("check/after-add", Version::V0_4_0, Verdict::Pass),
            result("check/after-add", Version::V0_3_1, Verdict::Warn),
            result("del/twice", Version::V1_0_0, Verdict::Error),
        ];
        let c = b.compare(&run);
        assert_eq!(c.expected, 0);
        let lines: Vec<String> = c.differences.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            lines,
            [
                "check/after-add 0.4.0: pass, the baseline (b.toml:4) expects fail",
                "check/after-add 0.3.1: warn, not in the baseline: warn message",
                "del/twice 1.0.0: error, not in the baseline: error message",
            ]
        );
    }

    #[test]
    fn varying_answers_are_kept_out_of_snapshots() {
        let b = Baseline::parse("b.toml", FILE, IDS).unwrap();
        let with_answers = |case: &str, version| CaseResult {
            answers: Some(serde_json::json!([])),
            ..result(case, version, Verdict::Pass)
        };
        let mut run = [
            with_answers("add/concurrent", Version::V1_0_0),
            with_answers("check/after-add", Version::V1_0_0),
        ];
        b.forget_varying_answers(&mut run);
        // The flaky entry's answers go; the other entry's stay.
        assert!(run[0].answers.is_none());
        assert!(run[1].answers.is_some());
    }

    #[test]
    fn bad_entries_are_named_with_their_line() {
        let err = |text: &str| Baseline::parse("b.toml", text, IDS).unwrap_err();
        let entry = |body: &str| format!("\n[[expect]]\n{body}\n");
        assert!(
            err(&entry(
                "case = \"del/twise\"\nverdict = \"fail\"\nkind = \"flaky\"\nreason = \"r\""
            ))
            .starts_with("b.toml:2: case \"del/twise\": no such case"),
        );
        assert!(
            err(&entry(
                "case = \"del/twice\"\nverdict = \"error\"\nkind = \"flaky\"\nreason = \"r\""
            ))
            .contains("verdict: error")
        );
        assert!(
            err(&entry(
                "case = \"del/twice\"\nverdict = \"pass\"\nkind = \"flaky\"\nreason = \"r\""
            ))
            .contains("needs no entry")
        );
        assert!(
            err(&entry(
                "case = \"del/twice\"\nversions = [\"0.5.0\"]\nverdict = \"fail\"\nkind = \"flaky\"\nreason = \"r\""
            ))
            .contains("\"0.5.0\" is not a released spec version")
        );
        assert!(
            err(&entry(
                "case = \"del/twice\"\nverdict = \"fail\"\nkind = \"bug\"\nreason = \"r\""
            ))
            .starts_with("b.toml: line")
        );
        assert!(
            err(&entry(
                "case = \"del/twice\"\nverdict = \"fail\"\nkind = \"flaky\"\nreason = \" \""
            ))
            .contains("reason:")
        );
        assert!(
            err(&entry(
                "case = \"del/twice\"\nverdict = \"fail\"\nkind = \"flaky\"\nreason = \"r\"\nverdicts = 1"
            ))
            .contains("unknown field")
        );
        let twice = format!(
            "{}{}",
            entry("case = \"del/twice\"\nverdict = \"fail\"\nkind = \"flaky\"\nreason = \"r\""),
            entry(
                "case = \"del/twice\"\nversions = [\"1.0.0\"]\nverdict = \"warn\"\nkind = \"flaky\"\nreason = \"r\""
            )
        );
        assert!(
            err(&twice).contains("also named at b.toml:2"),
            "{}",
            err(&twice)
        );
    }
}
