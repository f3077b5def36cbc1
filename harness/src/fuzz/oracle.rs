//! Judging a plugin's answer to a fuzzed input against what a conforming
//! plugin answers: the kind of answer it was, and the findings that the
//! answer's code (or its success) amounts to. Protocol findings (crashes,
//! hangs, stdout that is not one JSON value) come from the suite's own
//! checks; this adds what only the input's class can tell.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::expect::Expect;
use crate::runtime::call::Call;
use crate::runtime::invoke::Termination;
use crate::runtime::output::Stdout;
use crate::spec::{ErrorObject, Level, Version};
use crate::suite::Finding;

/// What kind of answer a call was, as failure classes tell them apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AnswerKind {
    Success,
    Error {
        code: u64,
    },
    /// Killed by a signal: "killed by signal 6 (SIGABRT)".
    Signaled(String),
    TimedOut,
    /// Stdout was not one JSON value.
    Malformed,
    /// A non-zero exit without an error object on stdout.
    NoErrorObject {
        exit: i32,
    },
    /// The call did not happen (the list stopped before it).
    NotRun,
}

impl AnswerKind {
    pub fn of(call: &Call) -> AnswerKind {
        match (call.outcome.termination, &call.stdout) {
            (Termination::TimedOut, _) => AnswerKind::TimedOut,
            // Whether a core was dumped depends on the machine, not the plugin.
            (Termination::Signaled { signal, .. }, _) => AnswerKind::Signaled(
                Termination::Signaled {
                    signal,
                    core_dumped: false,
                }
                .to_string(),
            ),
            (_, Stdout::Malformed(_)) => AnswerKind::Malformed,
            (Termination::Exited(0), _) => AnswerKind::Success,
            (Termination::Exited(exit), Stdout::Json(v)) => match ErrorObject::from_value(v) {
                Ok((e, _)) => AnswerKind::Error { code: e.code },
                Err(_) => AnswerKind::NoErrorObject { exit },
            },
            (Termination::Exited(exit), Stdout::Empty) => AnswerKind::NoErrorObject { exit },
        }
    }
}

impl fmt::Display for AnswerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerKind::Success => f.write_str("success"),
            AnswerKind::Error { code } => write!(f, "error code {code}"),
            AnswerKind::Signaled(how) => f.write_str(how),
            AnswerKind::TimedOut => f.write_str("timed out"),
            AnswerKind::Malformed => f.write_str("stdout not one JSON value"),
            AnswerKind::NoErrorObject { exit } => {
                write!(f, "exit status {exit} without an error object")
            }
            AnswerKind::NotRun => f.write_str("not run"),
        }
    }
}

impl Serialize for AnswerKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What the answer's code or success says, against `expect`. `what` names
/// the input for messages; `version` is the one the input was made for.
pub fn judge(call: &Call, expect: &Expect, what: &str, version: Version) -> Vec<Finding> {
    let command = call.command;
    match AnswerKind::of(call) {
        AnswerKind::Success if !expect.success => {
            let Some(grade) = expect.accepting else {
                return Vec::new();
            };
            vec![Finding::new(
                grade.rule,
                grade.level.at(version),
                format!(
                    "{command} succeeded on a configuration with {what}; a conforming plugin answers {expect}"
                ),
            )]
        }
        AnswerKind::Error { code } => {
            let Stdout::Json(value) = &call.stdout else {
                return Vec::new();
            };
            let Ok((err, _)) = ErrorObject::from_value(value) else {
                return Vec::new();
            };
            if expect.valid {
                return refused_valid(&err, code, version);
            }
            if !expect.admits_code(code) {
                return vec![Finding::new(
                    "F-ERR-5",
                    Level::Should.at(version),
                    format!(
                        "{command} answered a configuration with {what} with code {code} ({}); a conforming plugin answers {expect}",
                        err.text()
                    ),
                )];
            }
            names_missing(&err, expect, version)
        }
        _ => Vec::new(),
    }
}

/// A valid configuration refused: a plugin may refuse what it does not
/// support, but not with a code that says something untrue of the input.
fn refused_valid(err: &ErrorObject, code: u64, version: Version) -> Vec<Finding> {
    if code == 1 {
        // P-VER-4: every advertised version gets served.
        return vec![Finding::new(
            "P-VER-4",
            Level::Must.at(version),
            format!(
                "a valid configuration at {version}, a version the plugin advertises, was refused as incompatible: {}",
                err.text()
            ),
        )];
    }
    if Expect::valid(version).admits_code(code) {
        return Vec::new();
    }
    vec![Finding::new(
        "F-ERR-5",
        Level::Should.at(version),
        format!(
            "a valid configuration was refused with code {code}, which says the input is wrong in a way it is not: {}",
            err.text()
        ),
    )]
}

/// F-ERR-5: a code-2 error names the unsupported key (its message "must
/// contain the key and value"; the key is what can be checked for any
/// value).
fn names_missing(err: &ErrorObject, expect: &Expect, version: Version) -> Vec<Finding> {
    if err.code != 2 {
        return Vec::new();
    }
    let text = err.text();
    let missing: Vec<&str> = expect
        .names
        .iter()
        .map(String::as_str)
        .filter(|n| !text.contains(n))
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    vec![Finding::new(
        "F-ERR-5",
        Level::Must.at(version),
        format!(
            "the code-2 error does not name the field {}: {text:?}",
            missing.join(", ")
        ),
    )]
}

/// The version a successful answer is judged at: the one its result
/// claims, if `expect` allows it, else the one asked.
pub fn answer_version(call: &Call, expect: &Expect) -> Version {
    let claimed = match &call.stdout {
        Stdout::Json(v) => v.get("cniVersion").and_then(Value::as_str),
        _ => None,
    };
    claimed
        .and_then(Version::from_exact)
        .filter(|v| expect.versions.contains(v))
        .or_else(|| expect.versions.first().copied())
        .unwrap_or(Version::LATEST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::expect::Grade;
    use crate::runtime::invoke::{Captured, Outcome};
    use crate::spec::Command;
    use std::time::Duration;

    fn call(termination: Termination, stdout: &str) -> Call {
        let outcome = Outcome {
            termination,
            stdout: Captured {
                bytes: stdout.as_bytes().to_vec(),
                total: stdout.len() as u64,
            },
            stderr: Captured::default(),
            duration: Duration::ZERO,
            stdin_unread: false,
        };
        Call::new(
            "p".into(),
            "/p".into(),
            Command::Add,
            Vec::new(),
            Vec::new(),
            outcome,
        )
    }

    #[test]
    fn codes_and_acceptance() {
        let v = Version::V1_0_0;
        let must_fail = Expect::fail(v, &[6], Grade::new("P-IO-3", Level::Must));
        let ok = call(Termination::Exited(0), "{}");
        let f = judge(&ok, &must_fail, "the document cut", v);
        assert_eq!((f[0].rule.as_str(), f[0].level), ("P-IO-3", Level::Must));
        let seven = call(Termination::Exited(1), r#"{"code":7,"msg":"x"}"#);
        let f = judge(&seven, &must_fail, "x", v);
        assert_eq!((f[0].rule.as_str(), f[0].level), ("F-ERR-5", Level::Should));
        let six = call(Termination::Exited(1), r#"{"code":6,"msg":"x"}"#);
        assert!(judge(&six, &must_fail, "x", v).is_empty());

        let unknown = Expect::success_or(v, &[2]).naming("x-k");
        let two = call(Termination::Exited(1), r#"{"code":2,"msg":"unsupported"}"#);
        assert_eq!(judge(&two, &unknown, "x", v)[0].level, Level::Must);
        let named = call(
            Termination::Exited(1),
            r#"{"code":2,"msg":"unsupported field x-k: 1"}"#,
        );
        assert!(judge(&named, &unknown, "x", v).is_empty());

        let valid = Expect::valid(v);
        let one = call(Termination::Exited(1), r#"{"code":1,"msg":"x"}"#);
        assert_eq!(judge(&one, &valid, "x", v)[0].rule, "P-VER-4");
        let mine = call(Termination::Exited(1), r#"{"code":999,"msg":"x"}"#);
        assert!(judge(&mine, &valid, "x", v).is_empty());
        assert_eq!(
            AnswerKind::of(&call(
                Termination::Signaled {
                    signal: 6,
                    core_dumped: false
                },
                ""
            ))
            .to_string(),
            "killed by signal 6 (SIGABRT)"
        );
    }
}
