//! How a subcommand stops when it cannot go on (a message for the user and
//! the exit status that goes with it), and the checks of the flags and the
//! setup that `run`, `fuzz` and `exec` share, so each says the same thing.

use std::time::Duration;

use super::exit;
use crate::sandbox;
use crate::suite::runner::{self, Probe, RunError};
use crate::suite::target::Target;

/// A message for the user and the exit status that goes with it.
pub struct Fail(pub i32, pub String);

/// Bad usage or input: exit status 2.
pub fn usage(message: impl Into<String>) -> Fail {
    Fail(exit::USAGE, message.into())
}

/// The exit status of `cnitest <command>`, its failure told on stderr.
pub fn finish(command: &str, outcome: Result<i32, Fail>) -> i32 {
    match outcome {
        Ok(code) => code,
        Err(Fail(code, message)) => {
            eprintln!("cnitest {command}: {message}");
            code
        }
    }
}

/// `--timeout SECS`: a positive, finite number of seconds.
pub fn timeout(secs: f64) -> Result<Duration, Fail> {
    if secs.is_finite() && secs > 0.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(usage(format!(
            "--timeout {secs}: must be a positive number of seconds"
        )))
    }
}

/// `--jobs N`: at least one; the number of CPUs when not given.
pub fn jobs(jobs: Option<usize>) -> Result<usize, Fail> {
    match jobs {
        Some(0) => Err(usage("--jobs 0: at least one")),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// Makes the run interruptible (Ctrl-C tears the sandboxes down) and asks
/// the plugin its versions in a first sandbox.
pub fn probe(target: &Target, timeout: Duration) -> Result<Probe, Fail> {
    sandbox::signal::install()
        .map_err(|e| Fail(exit::SETUP, format!("installing signal handlers: {e}")))?;
    // Privileges are settled by now (root, or a user namespace that
    // `rootless::enter` proved can make namespaces): the reason is the whole story.
    runner::probe(target, timeout).map_err(|RunError::Setup(why)| Fail(exit::SETUP, why))
}
