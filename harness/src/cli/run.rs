//! `cnitest run`: the suite against a plugin; and `cnitest list`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::args::{ListArgs, ListFormat, RunArgs};
use super::exit;
use super::fail::{self, Fail, usage};
use crate::report::{self, RunInfo};
use crate::runtime::env::split_paths;
use crate::runtime::find::find_plugin;
use crate::sandbox::{self, LinkKinds};
use crate::spec::Version;
use crate::suite::baseline::{Baseline, Difference};
use crate::suite::case::{self, Case};
use crate::suite::plan::{Selection, parse_partition};
use crate::suite::runner::{self, RunOptions};
use crate::suite::snapshot;
use crate::suite::target::{REFERENCE_INTERFACE, Target};
use crate::suite::verdict::{CaseResult, Summary, Verdict};

pub fn run(args: &RunArgs) -> i32 {
    fail::finish("run", run_suite(args))
}

pub fn list(args: &ListArgs) -> i32 {
    let cases = match load_cases(&args.cases) {
        Ok(c) => c,
        Err(Fail(code, message)) => {
            eprintln!("cnitest list: {message}");
            return code;
        }
    };
    let plain: Vec<Case> = cases.iter().map(|c| (**c).clone()).collect();
    let text = match args.format {
        ListFormat::Human => report::list::human(&plain),
        ListFormat::Json => match report::list::json(&plain) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("cnitest list: {e}");
                return exit::SETUP;
            }
        },
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    exit::OK
}

/// The built-in cases plus those of `--cases` directories; an id defined
/// twice is an error naming both places.
fn load_cases(dirs: &[PathBuf]) -> Result<Vec<Arc<Case>>, Fail> {
    let mut cases = case::builtin().map_err(|e| Fail(exit::USAGE, format!("built-in case {e}")))?;
    for dir in dirs {
        if !dir.is_dir() {
            return Err(usage(format!("--cases {}: not a directory", dir.display())));
        }
        let more = case::load_dir(dir).map_err(|e| usage(format!("--cases {e}")))?;
        for c in more {
            if let Some(existing) = cases.iter().find(|x| x.id == c.id) {
                return Err(usage(format!(
                    "case {} is defined twice: {} and {}",
                    c.id, existing.source, c.source
                )));
            }
            cases.push(c);
        }
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(cases.into_iter().map(Arc::new).collect())
}

/// The plugin to test: `--plugin`, or the reference plugin next to this
/// binary or in the search path.
fn plugin_path(args: &RunArgs, cni_path: &[PathBuf]) -> Result<PathBuf, Fail> {
    if let Some(p) = &args.plugin {
        return Ok(p.clone());
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(|d| d.join(REFERENCE_INTERFACE)));
    if let Some(p) = beside.filter(|p| p.is_file()) {
        return Ok(p);
    }
    let mut search: Vec<PathBuf> = split_paths(&std::env::var("PATH").unwrap_or_default());
    search.extend(cni_path.iter().cloned());
    find_plugin(REFERENCE_INTERFACE, &search).map_err(|_| {
        usage(format!(
            "no --plugin given, and the reference plugin {REFERENCE_INTERFACE} is neither beside cnitest nor in PATH or --cni-path \
             (install it with `cargo install --path reference-plugin`, or name a plugin with --plugin)"
        ))
    })
}

fn run_suite(args: &RunArgs) -> Result<i32, Fail> {
    let cni_path = split_paths(&args.cni_path);
    let plugin = plugin_path(args, &cni_path)?;
    let mut target = Target::new(&plugin, args.config.as_deref(), args.role, &cni_path)
        .map_err(|e| usage(e.0))?;
    if let Some(problem) = crate::spec::names::interface_name_problem(&args.ifname) {
        return Err(usage(format!("--ifname {:?}: {problem}", args.ifname)));
    }
    target.ifname = args.ifname.clone();
    let cases = load_cases(&args.cases)?;
    let baseline = match &args.baseline {
        Some(path) => {
            let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
            Some(Baseline::load(path, &ids).map_err(|e| usage(format!("--baseline {e}")))?)
        }
        None => None,
    };
    let versions = if args.versions.is_empty() {
        None
    } else {
        Some(
            args.versions
                .iter()
                .map(|v| {
                    Version::from_exact(v).ok_or_else(|| {
                        usage(format!("--versions: {v:?} is not a released spec version"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    let partition = args
        .partition
        .as_deref()
        .map(parse_partition)
        .transpose()
        .map_err(|e| usage(format!("--partition {e}")))?;
    let timeout = fail::timeout(args.timeout)?;
    let jobs = fail::jobs(args.jobs)?;
    let probe = fail::probe(&target, timeout)?;
    let missing_kinds = LinkKinds::get()
        .missing()
        .keys()
        .map(|k| k.name().to_owned())
        .collect();
    let opts = RunOptions {
        jobs,
        timeout,
        output_limit: crate::runtime::invoke::DEFAULT_OUTPUT_LIMIT,
        strict: args.strict,
        selection: Selection {
            filters: args.filter.clone(),
            skips: args.skip.clone(),
            versions,
            partition,
        },
        rerun_args: rerun_args(args, &target),
        missing_kinds,
        keep_failed: args.keep_failed,
        stub_exe: None,
        snapshots: args.snapshots.is_some(),
    };
    let planned = crate::suite::plan::plan(&cases, &probe.versions, target.role, &opts.selection);
    if planned.is_empty() {
        eprintln!("cnitest run: no case selected");
        return Ok(exit::NO_CASES);
    }
    let progress = report::Progress::new(report::ProgressMode::detect(args.quiet));
    let outcome = runner::run(
        &target,
        &cases,
        &opts,
        probe,
        &sandbox::signal::interrupted,
        &|total| progress.start(total),
        &|r| progress.finished(r),
    );
    progress.done();
    let mut outcome = outcome;
    if let Some(baseline) = &baseline {
        baseline.forget_varying_answers(&mut outcome.results);
    }
    if let Some(dir) = &args.snapshots {
        let mode = if args.update_snapshots {
            snapshot::Mode::Update
        } else if std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "no") {
            snapshot::Mode::Strict
        } else {
            snapshot::Mode::Compare
        };
        let tally = snapshot::apply(dir, &mut outcome.results, mode, args.strict)
            .map_err(|e| Fail(exit::USAGE, format!("--snapshots {}: {e}", dir.display())))?;
        eprintln!(
            "cnitest run: snapshots in {}: {} matched, {} recorded, {} updated, {} changed",
            dir.display(),
            tally.matched,
            tally.recorded,
            tally.updated,
            tally.changed
        );
    }
    let mut info = RunInfo::new(target.plugin.display().to_string(), target.role);
    info.config = args.config.as_ref().map(|c| c.display().to_string());
    info.supported_versions = outcome.probe.advertised.clone();
    info.strict = args.strict;
    info.duration = outcome.duration;
    info.cases = cases_origin(&args.cases);
    let color = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let text = report::render(args.format, &info, &outcome.results, color)
        .map_err(|e| Fail(exit::SETUP, format!("writing the report: {e}")))?;
    match &args.output {
        Some(path) => write_file(path, &text)?,
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
        }
    }
    if let Some(problem) = &outcome.probe.problem {
        eprintln!("cnitest run: VERSION: {problem}; tested as a 0.1.0-only plugin (R-VER-1)");
    }
    if outcome.interrupted {
        eprintln!(
            "cnitest run: interrupted; {} of the planned cases ran",
            outcome.results.len()
        );
        return Ok(128 + sandbox::signal::interrupting_signal().unwrap_or(2));
    }
    if let (Some(path), Some(baseline)) = (&args.baseline, &baseline) {
        return Ok(against_baseline(path, baseline, &outcome.results));
    }
    Ok(exit_status(&Summary::of(&outcome.results)))
}

/// Reports the run's differences from its baseline: 1 when there are any,
/// 3 when the only ones are the harness's own errors, as without a baseline.
fn against_baseline(path: &Path, baseline: &Baseline, results: &[CaseResult]) -> i32 {
    let c = baseline.compare(results);
    eprintln!(
        "cnitest run: baseline {}: {} known findings as it says, {} differ",
        path.display(),
        c.expected,
        c.differences.len()
    );
    for d in &c.differences {
        eprintln!("  {d}");
    }
    let harness_error = |d: &Difference| {
        matches!(
            d,
            Difference::Unexpected {
                verdict: Verdict::Error,
                ..
            }
        )
    };
    if c.differences.is_empty() {
        exit::OK
    } else if c.differences.iter().all(harness_error) {
        exit::SETUP
    } else {
        exit::FAILED
    }
}

/// 1 when a case failed; 3 when the harness failed a case (never the
/// plugin's fault, but the run proves nothing); 0 otherwise.
fn exit_status(s: &Summary) -> i32 {
    if s.fail > 0 {
        exit::FAILED
    } else if s.error > 0 {
        exit::SETUP
    } else {
        exit::OK
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), Fail> {
    std::fs::write(path, text)
        .map_err(|e| Fail(exit::USAGE, format!("--output {}: {e}", path.display())))
}

fn cases_origin(dirs: &[PathBuf]) -> Vec<String> {
    let mut out = vec!["built-in".to_owned()];
    out.extend(dirs.iter().map(|d| d.display().to_string()));
    out
}

/// The flags that rebuild this run's setup, for each case's reproduce line.
fn rerun_args(args: &RunArgs, target: &Target) -> String {
    let mut out = format!("--plugin {}", target.plugin.display());
    if let Some(c) = &args.config {
        out.push_str(&format!(" --config {}", c.display()));
    }
    if let Some(r) = args.role {
        out.push_str(&format!(" --role {r}"));
    }
    out.push_str(&format!(" --cni-path {}", args.cni_path));
    if args.ifname != crate::suite::target::DEFAULT_IFNAME {
        out.push_str(&format!(" --ifname {}", args.ifname));
    }
    for d in &args.cases {
        out.push_str(&format!(" --cases {}", d.display()));
    }
    out
}
