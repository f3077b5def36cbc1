//! `cnitest completions` and `cnitest man`: shell completions and man pages generated from the
//! command-line definition itself, so that they can never describe flags that do not exist.

use std::io::Write;

use super::about;
use super::args::{CompletionsArgs, ManArgs};
use super::exit;

/// Prints the completion script for `args.shell`.
pub fn completions(args: &CompletionsArgs) -> i32 {
    let mut command = about::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "cnitest", &mut out);
    write_stdout("completions", &out)
}

/// Prints one page, or writes them all to `--dir`.
pub fn man(args: &ManArgs) -> i32 {
    let mut command = about::command().disable_help_subcommand(true);
    if let Some(dir) = &args.dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("cnitest man: --dir {}: {e}", dir.display());
            return exit::USAGE;
        }
        return match clap_mangen::generate_to(command, dir) {
            Ok(()) => exit::OK,
            Err(e) => {
                eprintln!("cnitest man: --dir {}: {e}", dir.display());
                exit::USAGE
            }
        };
    }
    // Built first, so that a subcommand's page is titled `cnitest-run` and its synopsis reads
    // `cnitest run`.
    command.build();
    let page = match &args.command {
        None => command,
        Some(name) => {
            let Some(sub) = command
                .get_subcommands()
                .find(|s| s.get_name() == name && !s.is_hide_set())
            else {
                let known: Vec<&str> = command
                    .get_subcommands()
                    .filter(|s| !s.is_hide_set())
                    .map(|s| s.get_name())
                    .collect();
                eprintln!(
                    "cnitest man: no subcommand {name:?}; there are: {}",
                    known.join(", ")
                );
                return exit::USAGE;
            };
            sub.clone()
        }
    };
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(page).render(&mut out) {
        eprintln!("cnitest man: {e}");
        return exit::SETUP;
    }
    write_stdout("man", &out)
}

fn write_stdout(what: &str, bytes: &[u8]) -> i32 {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => exit::OK,
        // A closed pipe (`cnitest man | head`) is the reader's choice, not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        Err(e) => {
            eprintln!("cnitest {what}: writing to stdout: {e}");
            exit::SETUP
        }
    }
}
