//! The command line: parsing, dispatch, and exit statuses. Thin: the work
//! is done by the library modules.

pub mod args;
mod exec;
pub mod exit;
mod netns;

use clap::Parser;

use args::{Cli, Commands};

/// Parses the command line, runs it, and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    exit::OK
                }
                _ => exit::USAGE,
            };
        }
    };
    match &cli.command {
        Commands::Exec(args) => exec::run(args),
    }
}
