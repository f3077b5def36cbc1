//! The command line: parsing, dispatch, and exit statuses. Thin: the work
//! is done by the library modules.

pub mod args;
mod exec;
pub mod exit;
mod netns;
mod run;

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
        Commands::Run(args) => run::run(args),
        Commands::List(args) => run::list(args),
        Commands::Exec(args) => exec::run(args),
        Commands::Clean(args) => clean(args.kept),
    }
}

/// `cnitest clean`: what SIGKILLed runs left behind, and only that.
fn clean(kept: bool) -> i32 {
    if kept {
        match crate::suite::keep::release_all() {
            Ok(dirs) => {
                for d in dirs {
                    eprintln!("cnitest clean: released kept sandbox {}", d.display());
                }
            }
            Err(e) => {
                eprintln!("cnitest clean: {e}");
                return exit::SETUP;
            }
        }
    }
    let report = crate::sandbox::clean::clean();
    if report.is_empty() {
        eprintln!("cnitest clean: nothing left behind by earlier runs");
    }
    for run in &report.cleaned {
        eprintln!(
            "cnitest clean: run {} (pid {}): killed {} process(es), removed {} temp dir(s), {} namespace(s) released",
            run.dir.display(),
            run.pid,
            run.killed.len(),
            run.temp_dirs.len(),
            run.namespaces
        );
    }
    for dir in &report.alive {
        eprintln!(
            "cnitest clean: {} belongs to a run still going; left alone",
            dir.display()
        );
    }
    for e in &report.errors {
        eprintln!("cnitest clean: {e}");
    }
    if report.errors.is_empty() {
        exit::OK
    } else {
        exit::SETUP
    }
}
