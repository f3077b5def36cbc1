//! The command line: parsing, dispatch, and exit statuses. Thin: the work
//! is done by the library modules.

pub mod about;
pub mod args;
mod docgen;
mod exec;
pub mod exit;
mod fail;
mod fuzz;
mod netns;
pub mod rootless;
mod run;

use clap::FromArgMatches;

use args::{Cli, Commands};

/// Parses the command line, runs it, and returns the exit status.
pub fn main() -> i32 {
    let parsed = about::command().try_get_matches().and_then(|matches| {
        Cli::from_arg_matches(&matches)
            .map(|cli| (cli, matches.subcommand_name().map(str::to_owned)))
    });
    let (cli, name) = match parsed {
        Ok(parsed) => parsed,
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
    // Before anything spawns a thread: a user namespace can only be entered single-threaded.
    if rootless::needs_namespaces(&cli.command) {
        if let Err(e) = rootless::enter() {
            eprintln!("cnitest {}: {e}", name.unwrap_or_default());
            return exit::SETUP;
        }
    }
    match &cli.command {
        Commands::Run(args) => run::run(args),
        Commands::List(args) => run::list(args),
        Commands::Exec(args) => exec::run(args),
        Commands::Clean(args) => clean(args.kept),
        Commands::Fuzz(args) => fuzz::run(args),
        Commands::Completions(args) => docgen::completions(args),
        Commands::Man(args) => docgen::man(args),
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
