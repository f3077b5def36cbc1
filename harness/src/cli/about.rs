//! What `cnitest --version` says, and the command-line definition with it filled in: the
//! version string is computed at startup, so it counts the cases this binary really carries.

use std::sync::OnceLock;

use clap::CommandFactory;

use super::args::Cli;
use crate::spec::Version;
use crate::suite::case;

/// `0.1.0 (CNI spec 0.1.0-1.1.0, 83 built-in cases)`.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let oldest = Version::ALL[0];
        let newest = Version::ALL[Version::ALL.len() - 1];
        // A built-in case that does not parse is a build defect the tests catch; the version
        // line still says what it can rather than failing `--version`.
        let cases = match case::builtin() {
            Ok(cases) => format!("{} built-in cases", cases.len()),
            Err(_) => "built-in cases unreadable".to_owned(),
        };
        format!(
            "{} (CNI spec {oldest}-{newest}, {cases})",
            env!("CARGO_PKG_VERSION")
        )
    })
}

/// The whole command line, as parsing, completions and man pages see it.
pub fn command() -> clap::Command {
    Cli::command().version(version()).long_version(version())
}
