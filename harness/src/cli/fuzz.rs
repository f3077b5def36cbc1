//! `cnitest fuzz`: the campaign against a plugin's configuration parsing.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use super::args::{FuzzArgs, ListFormat};
use super::exit;
use super::fail::{self, Fail, usage};
use crate::fuzz::report::{self, Setup};
use crate::fuzz::{Options, Seed, campaign};
use crate::report::{Progress, ProgressMode};
use crate::runtime::env::split_paths;
use crate::sandbox;
use crate::suite::target::Target;

pub fn run(args: &FuzzArgs) -> i32 {
    fail::finish("fuzz", fuzz(args))
}

fn fuzz(args: &FuzzArgs) -> Result<i32, Fail> {
    let cni_path = split_paths(&args.cni_path);
    let target = Target::new(&args.plugin, Some(&args.config), args.role, &cni_path)
        .map_err(|e| usage(e.0))?;
    if args.cases == 0 {
        return Err(usage("--cases 0: at least one configuration"));
    }
    let timeout = fail::timeout(args.timeout)?;
    let jobs = fail::jobs(args.jobs)?;
    let seed = args.seed.unwrap_or_else(clock_seed);
    if !args.quiet {
        eprintln!("cnitest fuzz: seed {seed}");
    }
    let probe = fail::probe(&target, timeout)?;
    if let Some(problem) = &probe.problem {
        eprintln!("cnitest fuzz: VERSION: {problem}; fuzzed as a 0.1.0-only plugin (R-VER-1)");
    }
    let setup = Setup {
        plugin: target.plugin.display().to_string(),
        config: args.config.display().to_string(),
        role: target.role,
        supported_versions: probe.advertised.clone(),
        rerun_args: rerun_args(args, &target),
        cni_path: args.cni_path.clone(),
        requested: args.cases,
    };
    let role = target.role;
    let seed_config = Seed {
        target,
        versions: probe.versions.clone(),
    };
    let mut opts = Options::new(args.cases, seed);
    opts.timeout = timeout;
    opts.jobs = jobs;
    opts.artifacts = Some(std::env::temp_dir().join(format!("cnitest-fuzz-{seed}")));
    let progress = Progress::new(ProgressMode::detect(args.quiet));
    let outcome = campaign::run(
        &seed_config,
        &opts,
        &sandbox::signal::interrupted,
        &|total| progress.start(total),
        &|r| progress.finished(&report::progress_result(r, role)),
    )
    .map_err(|e| Fail(exit::SETUP, e.to_string()))?;
    progress.done();
    let text = match args.format {
        ListFormat::Human => report::human(&setup, &outcome),
        ListFormat::Json => serde_json::to_string_pretty(&report::json(&setup, &outcome))
            .map(|t| t + "\n")
            .map_err(|e| Fail(exit::SETUP, format!("writing the report: {e}")))?,
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if outcome.interrupted {
        return Ok(128 + sandbox::signal::interrupting_signal().unwrap_or(2));
    }
    Ok(if outcome.failed() {
        exit::FAILED
    } else if outcome.errors() > 0 {
        exit::SETUP
    } else {
        exit::OK
    })
}

/// A seed from the clock, for runs that name none (printed, so that the
/// run can be repeated).
fn clock_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The flags that rebuild this campaign's setup.
fn rerun_args(args: &FuzzArgs, target: &Target) -> String {
    let mut out = format!(
        "--plugin {} --config {}",
        target.plugin.display(),
        args.config.display()
    );
    if let Some(r) = args.role {
        out.push_str(&format!(" --role {r}"));
    }
    out.push_str(&format!(" --cni-path {}", args.cni_path));
    if args.timeout != 10.0 {
        out.push_str(&format!(" --timeout {}", args.timeout));
    }
    out
}
