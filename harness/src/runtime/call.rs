//! One plugin call as the runtime saw it: what was sent, what came back,
//! and what that amounts to (a success, the plugin's error, or a broken
//! answer), read the way libcni reads it (F-ERR-7) but said more plainly.

use std::fmt;
use std::path::PathBuf;

use serde_json::Value;

use super::invoke::{Outcome, Termination};
use super::output::{Stdout, excerpt};
use crate::spec::{Command, ErrorObject};

/// A finished call: the request, the environment and the outcome.
#[derive(Debug, Clone)]
pub struct Call {
    /// The plugin's `type` (or file name).
    pub plugin: String,
    pub program: PathBuf,
    pub command: Command,
    pub env: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    pub outcome: Outcome,
    pub stdout: Stdout,
}

impl Call {
    pub fn new(
        plugin: String,
        program: PathBuf,
        command: Command,
        env: Vec<(String, String)>,
        stdin: Vec<u8>,
        outcome: Outcome,
    ) -> Call {
        let stdout = Stdout::parse(
            &outcome.stdout.bytes,
            outcome.stdout.truncated(),
            outcome.stdout.total,
        );
        Call {
            plugin,
            program,
            command,
            env,
            stdin,
            outcome,
            stdout,
        }
    }

    /// What the call amounts to.
    pub fn answer(&self) -> Answer {
        match (self.outcome.termination, &self.stdout) {
            (Termination::Exited(0), Stdout::Empty) => Answer::Success(None),
            (Termination::Exited(0), Stdout::Json(v)) => Answer::Success(Some(v.clone())),
            (Termination::Exited(_), Stdout::Json(v)) => match ErrorObject::from_value(v) {
                Ok((err, _)) => Answer::Error(err),
                Err(why) => Answer::Broken(Broken {
                    termination: self.outcome.termination,
                    why: format!(
                        "stdout holds JSON that is not an error object ({why}): {}",
                        excerpt(&self.outcome.stdout.bytes)
                    ),
                    stderr: self.stderr_excerpt(),
                }),
            },
            (Termination::Exited(0), Stdout::Malformed(why)) => Answer::Broken(Broken {
                termination: self.outcome.termination,
                why: why.clone(),
                stderr: self.stderr_excerpt(),
            }),
            (Termination::Exited(_), Stdout::Empty) => Answer::Broken(Broken {
                termination: self.outcome.termination,
                why: "no error object on stdout".to_owned(),
                stderr: self.stderr_excerpt(),
            }),
            (Termination::Exited(_), Stdout::Malformed(why)) => Answer::Broken(Broken {
                termination: self.outcome.termination,
                why: why.clone(),
                stderr: self.stderr_excerpt(),
            }),
            (Termination::Signaled { .. } | Termination::TimedOut, _) => Answer::Broken(Broken {
                termination: self.outcome.termination,
                why: String::new(),
                stderr: self.stderr_excerpt(),
            }),
        }
    }

    fn stderr_excerpt(&self) -> String {
        let text = self.outcome.stderr.text();
        let text = text.trim();
        const MAX: usize = 400;
        if text.chars().count() > MAX {
            format!("{}...", text.chars().take(MAX).collect::<String>())
        } else {
            text.to_owned()
        }
    }

    /// A shell command that repeats this call by hand.
    pub fn reproduce(&self) -> String {
        let env: Vec<String> = self
            .env
            .iter()
            .filter(|(k, _)| k != "PATH")
            .map(|(k, v)| format!("{k}={}", shell_quote(v)))
            .collect();
        let stdin = String::from_utf8_lossy(&self.stdin);
        format!(
            "echo {} | env -i PATH=\"$PATH\" {} {}",
            shell_quote(&stdin),
            env.join(" "),
            shell_quote(&self.program.display().to_string())
        )
    }
}

/// What a call amounts to.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Exit 0; stdout's JSON if there was any.
    Success(Option<Value>),
    /// Non-zero exit with an error object on stdout.
    Error(ErrorObject),
    /// Anything else: a crash, a timeout, no error object, unreadable output.
    Broken(Broken),
}

/// A call that ended without a usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub termination: Termination,
    /// What is wrong with stdout, if anything.
    pub why: String,
    pub stderr: String,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.termination)?;
        if !self.why.is_empty() {
            write!(f, ", {}", self.why)?;
        }
        if !self.stderr.is_empty() {
            write!(f, "; stderr: {}", self.stderr)?;
        }
        Ok(())
    }
}

/// A plugin's failure, as a runtime reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginFailure {
    Error(ErrorObject),
    Broken(Broken),
    /// Exit 0, but the ADD result cannot be read.
    BadResult(String),
}

impl fmt::Display for PluginFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginFailure::Error(e) => write!(f, "{e}"),
            PluginFailure::Broken(b) => write!(f, "{b}"),
            PluginFailure::BadResult(why) => {
                write!(f, "exit status 0, but the result is unusable: {why}")
            }
        }
    }
}

/// Single-quotes a string for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=,@%+".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::invoke::Captured;
    use std::time::Duration;

    fn call(termination: Termination, stdout: &str, stderr: &str) -> Call {
        let outcome = Outcome {
            termination,
            stdout: Captured {
                bytes: stdout.as_bytes().to_vec(),
                total: stdout.len() as u64,
            },
            stderr: Captured {
                bytes: stderr.as_bytes().to_vec(),
                total: stderr.len() as u64,
            },
            duration: Duration::ZERO,
            stdin_unread: false,
        };
        Call::new(
            "p".into(),
            "/bin/p".into(),
            Command::Add,
            vec![("CNI_COMMAND".into(), "ADD".into())],
            b"{}".to_vec(),
            outcome,
        )
    }

    #[test]
    fn f_err_7_three_ways_to_fail() {
        let e = call(Termination::Exited(1), r#"{"code":7,"msg":"bad"}"#, "");
        assert!(matches!(
            e.answer(),
            Answer::Error(ErrorObject { code: 7, .. })
        ));
        let Answer::Broken(b) = call(Termination::Exited(2), "", "boom").answer() else {
            panic!()
        };
        assert_eq!(
            b.to_string(),
            "exit status 2, no error object on stdout; stderr: boom"
        );
        let Answer::Broken(b) = call(Termination::Exited(1), "oops", "").answer() else {
            panic!()
        };
        assert!(b.to_string().contains("stdout is not JSON"), "{b}");
        let Answer::Broken(b) = call(Termination::TimedOut, "", "").answer() else {
            panic!()
        };
        assert_eq!(b.to_string(), "timed out");
    }

    #[test]
    fn reproduce_is_a_shell_command() {
        let c = call(Termination::Exited(0), "", "");
        assert_eq!(
            c.reproduce(),
            "echo '{}' | env -i PATH=\"$PATH\" CNI_COMMAND=ADD /bin/p"
        );
    }
}
