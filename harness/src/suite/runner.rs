//! The run: ask the plugin which versions it supports, plan, learn the
//! plugin's steady state once, then run every instance in its own sandbox,
//! `--jobs` at a time, until done or interrupted.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::case::{Case, RunCommand};
use super::driver::Driver;
use super::instance::{self, RunContext, plain_step};
use super::kernel::{self, Steady};
use super::plan::{self, Instance, Selection};
use super::target::Target;
use super::verdict::CaseResult;
use super::workers;
use crate::runtime::call::Answer;
use crate::runtime::{Namespaces, Runtime};
use crate::sandbox::Sandbox;
use crate::spec::{Command, Version, VersionInfo};

/// How a run is done.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub jobs: usize,
    pub timeout: Duration,
    pub output_limit: usize,
    pub strict: bool,
    pub selection: Selection,
    /// Arguments that reproduce the run's setup (plugin, config, role).
    pub rerun_args: String,
    /// Link kinds the kernel cannot make.
    pub missing_kinds: Vec<String>,
    /// Keep the sandbox of a failed case (`--keep-failed`).
    pub keep_failed: bool,
    /// The `cnitest` executable the recording stub runs as; `None` for this
    /// process's own (right for the `cnitest` binary, not for a test).
    pub stub_exe: Option<PathBuf>,
    /// Record what the plugin answers, for snapshots.
    pub snapshots: bool,
}

/// What the run found out before running cases.
#[derive(Debug, Clone)]
pub struct Probe {
    /// What VERSION answered, as written.
    pub advertised: Vec<String>,
    /// The released versions among them: those the cases run at.
    pub versions: Vec<Version>,
    /// Why VERSION could not be used, if it could not (R-VER-1: then the
    /// plugin is taken to support 0.1.0 only).
    pub problem: Option<String>,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No privilege to make namespaces, and the like (exit status 3).
    #[error("cannot set up a sandbox: {0}")]
    Setup(String),
}

/// Everything a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    pub probe: Probe,
    pub results: Vec<CaseResult>,
    /// The run stopped early (Ctrl-C, SIGTERM).
    pub interrupted: bool,
    pub duration: Duration,
}

/// Asks the plugin under test VERSION in a sandbox of its own.
pub fn probe(target: &Target, timeout: Duration) -> Result<Probe, RunError> {
    let sandbox = Sandbox::builder()
        .keep_path(target.plugin.clone())
        .build()
        .map_err(|e| RunError::Setup(e.to_string()))?;
    let mut runtime = Runtime::new(target.cni_path.clone(), std::env::temp_dir());
    runtime.timeout = timeout;
    runtime.namespaces = Namespaces(sandbox.plugin_namespaces());
    let asked = Version::LATEST.as_str();
    let env = crate::runtime::env::environment(
        Command::Version,
        None,
        &[],
        None,
        crate::runtime::EnvProfile::Spec,
    );
    let stdin = serde_json::to_vec(&json!({"cniVersion": asked})).unwrap_or_default();
    let call = runtime.call(&target.name, &target.plugin, Command::Version, env, stdin);
    let _ = sandbox.destroy();
    let answer = match call {
        Ok(c) => c.answer(),
        Err(e) if e.is_missing_program() => {
            return Ok(Probe {
                advertised: Vec::new(),
                versions: vec![Version::V0_1_0],
                problem: Some(e.to_string()),
            });
        }
        Err(e) => return Err(RunError::Setup(e.to_string())),
    };
    let parsed = match answer {
        Answer::Success(Some(v)) => VersionInfo::from_value(&v, asked).map(|(i, _)| i),
        Answer::Success(None) => Err("VERSION printed nothing".to_owned()),
        Answer::Error(e) => Err(format!("VERSION failed: {e}")),
        Answer::Broken(b) => Err(format!("VERSION failed: {b}")),
    };
    Ok(match parsed {
        Ok(info) => {
            let versions = info.released();
            Probe {
                advertised: info.supported_versions,
                problem: versions
                    .is_empty()
                    .then(|| "VERSION names no released spec version".to_owned()),
                versions: if versions.is_empty() {
                    vec![Version::V0_1_0]
                } else {
                    versions
                },
            }
        }
        Err(why) => Probe {
            advertised: Vec::new(),
            versions: vec![Version::V0_1_0],
            problem: Some(why),
        },
    })
}

/// Learns what the plugin leaves on purpose: two ADD/DEL cycles in one
/// sandbox; things left once and then stable are its steady state. A plugin
/// whose ADD fails here simply has none (its cases will say why).
pub fn calibrate(target: &Target, version: Version, timeout: Duration) -> Steady {
    let Ok(scratch) = tempfile::Builder::new()
        .prefix("cnitest-calibrate-")
        .tempdir()
    else {
        return Steady::default();
    };
    let Ok(mut sandbox) = Sandbox::builder()
        .keep_path(target.plugin.clone())
        .keep_paths(target.cni_path.iter().cloned())
        .container("a")
        .build()
    else {
        return Steady::default();
    };
    let steady = (|| -> Option<Steady> {
        kernel::prepare_host(&sandbox, &target.conf).ok()?;
        let mut runtime = Runtime::new(Vec::new(), scratch.path().join("cache"));
        runtime.timeout = timeout;
        runtime.namespaces = Namespaces(sandbox.plugin_namespaces());
        let driver = Driver::new(target, version, runtime, scratch.path().to_owned(), None);
        let mut att = super::driver::AttachmentState::new(
            "a",
            "a",
            "cnitest-calibrate-a".into(),
            target.ifname.clone(),
            sandbox.netns_path("a").map(PathBuf::from),
        );
        let names = vec!["a".to_owned()];
        let before = kernel::snapshot(&sandbox, &names).ok()?;
        let mut after = Vec::new();
        for _ in 0..2 {
            let add = driver.run(&plain_step(RunCommand::Add), &mut att, &[]);
            let added = add.problem.is_none()
                && add
                    .put
                    .as_ref()
                    .is_some_and(|c| c.outcome.termination.success());
            let del = driver.run(&plain_step(RunCommand::Del), &mut att, &[]);
            if !added || del.problem.is_some() {
                return None;
            }
            after.push(kernel::snapshot(&sandbox, &names).ok()?);
        }
        Some(kernel::cycles(&before, &after[0], &after[1]).0)
    })();
    let _ = sandbox.delete_container_netns("a");
    let _ = sandbox.destroy();
    steady.unwrap_or_default()
}

/// Runs the plan. `on_result` sees each result as it is made (for
/// progress); the results come back in plan order.
pub fn run(
    target: &Target,
    cases: &[Arc<Case>],
    opts: &RunOptions,
    probe: Probe,
    stop: &(dyn Fn() -> bool + Sync),
    on_start: &(dyn Fn(usize) + Sync),
    on_result: &(dyn Fn(&CaseResult) + Sync),
) -> RunOutcome {
    let started = Instant::now();
    let plan: Vec<Instance> = plan::plan(cases, &probe.versions, target.role, &opts.selection);
    on_start(plan.len());
    let exe = opts
        .stub_exe
        .clone()
        .unwrap_or_else(|| std::env::current_exe().unwrap_or_else(|_| PathBuf::from("cnitest")));
    let runnable = plan
        .iter()
        .filter(|i| i.skip.is_none())
        .map(|i| i.version)
        .max();
    let steady = match runnable {
        Some(v) if !stop() => calibrate(target, v, opts.timeout),
        _ => Steady::default(),
    };
    let cx = RunContext {
        target,
        timeout: opts.timeout,
        output_limit: opts.output_limit,
        strict: opts.strict,
        steady: &steady,
        exe,
        missing_kinds: &opts.missing_kinds,
        rerun_args: opts.rerun_args.clone(),
        keep_failed: opts.keep_failed,
        snapshots: opts.snapshots,
    };
    let slots = workers::each(&plan, opts.jobs, stop, |_, inst| {
        let r = instance::run(inst, &cx);
        on_result(&r);
        Some(r)
    });
    let interrupted = slots.iter().any(Option::is_none);
    RunOutcome {
        probe,
        results: slots.into_iter().flatten().collect(),
        interrupted,
        duration: started.elapsed(),
    }
}
