//! One case instance, start to finish: its own sandbox, its steps, the DEL
//! every ADD is owed (R-LIFE-3), the leak check against before the first ADD,
//! and a verdict graded by the catalogue.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::case::{Case, Expect, GcKeys, PrevResult, RunCommand, RunStep, Step};
use super::checks::{self, Ctx, delegation_stub_script};
use super::driver::{AttachmentState, Driver, StepRun};
use super::kernel::{self, ActError, Snapshot, Steady};
use super::plan::Instance;
use super::redact::Redactor;
use super::role::Role;
use super::target::Target;
use super::verdict::{CaseResult, Exchange, Finding, Verdict, grade};
use crate::runtime::call::Call;
use crate::runtime::stub::Stub;
use crate::runtime::{GcAttachment, Namespaces, Runtime};
use crate::sandbox::Sandbox;
use crate::spec::Version;
use crate::spec::rule::Level;
use serde_json::Value;

/// What every instance of a run shares.
#[derive(Debug)]
pub struct RunContext<'a> {
    pub target: &'a Target,
    pub timeout: Duration,
    pub output_limit: usize,
    pub strict: bool,
    pub steady: &'a Steady,
    /// The `cnitest` executable, linked as the recording stub.
    pub exe: PathBuf,
    /// Link kinds this kernel cannot make (probed once).
    pub missing_kinds: &'a [String],
    /// Arguments that select the plugin and its setup, for `reproduce`.
    pub rerun_args: String,
    /// Pin a failed case's sandbox for a person to enter.
    pub keep_failed: bool,
    /// Record what the plugin answered, for snapshots.
    pub snapshots: bool,
}

/// The IPAM stub's name in `CNI_PATH`.
pub const IPAM_STUB: &str = "cnitest-stub-ipam";

/// Runs one instance; never panics on a plugin's behaviour.
pub fn run(instance: &Instance, cx: &RunContext<'_>) -> CaseResult {
    let started = Instant::now();
    let case = &instance.case;
    let mut result = CaseResult {
        case: case.id.clone(),
        title: case.title.clone(),
        version: instance.version,
        role: instance.role,
        verdict: Verdict::Pass,
        level: case.level_at(instance.version),
        clauses: case.rules.clone(),
        message: String::new(),
        findings: Vec::new(),
        exchanges: Vec::new(),
        kernel_diff: Vec::new(),
        duration: Duration::ZERO,
        kept: None,
        plugin_time: Duration::ZERO,
        answers: None,
        reproduce: format!(
            "cnitest run {} --filter '{}' --versions {}",
            cx.rerun_args, case.id, instance.version
        ),
    };
    let outcome = if let Some(reason) = &instance.skip {
        Outcome::Skip(reason.clone())
    } else if let Some(reason) = unmet_need(case, cx) {
        Outcome::Skip(reason)
    } else {
        let mut exec = Execution::new(case, instance.version, instance.role, cx);
        let outcome = exec.run();
        result.findings = exec.findings;
        result.kernel_diff = exec.kernel_diff;
        result.exchanges = exec.exchanges;
        result.kept = exec.kept;
        result.plugin_time = exec.plugin_time;
        result.answers = exec.answers;
        outcome
    };
    match outcome {
        Outcome::Done => {
            // The same leak seen by a step's no-leak check and by the final
            // check is one finding.
            let mut seen = std::collections::BTreeSet::new();
            result
                .findings
                .retain(|f| seen.insert((f.rule.clone(), f.message.clone())));
            result.verdict = grade(&result.findings, cx.strict);
            result.findings.sort_by_key(|f| f.level);
            result.message = result
                .findings
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            if result.verdict == Verdict::Warn
                && let Some(d) = &case.deviation
            {
                result.message = format!("{} [{d}]", result.message);
            }
        }
        Outcome::Skip(reason) => {
            result.verdict = Verdict::Skip;
            result.message = reason;
        }
        Outcome::Error(why) => {
            result.verdict = Verdict::Error;
            result.message = why;
        }
    }
    if result.verdict == Verdict::Pass || result.verdict == Verdict::Skip {
        result.exchanges.clear();
    }
    result.duration = started.elapsed();
    result
}

enum Outcome {
    Done,
    Skip(String),
    Error(String),
}

fn unmet_need(case: &Case, cx: &RunContext<'_>) -> Option<String> {
    use super::case::Need;
    for need in &case.needs {
        match need {
            Need::IpamSection if !cx.target.has_ipam_section() => {
                return Some(
                    "the plugin's configuration has no ipam section to put a recording stub in"
                        .to_owned(),
                );
            }
            Need::LinkKind(k) if cx.missing_kinds.contains(k) => {
                return Some(format!("this kernel cannot make {k} links"));
            }
            Need::Tool(t) if !tool_exists(t) => return Some(format!("{t} is not installed")),
            Need::Config(path) if !has_path(&cx.target.conf, path) => {
                return Some(format!("the plugin's configuration has no {path}"));
            }
            _ => {}
        }
    }
    None
}

fn has_path(conf: &serde_json::Map<String, serde_json::Value>, path: &str) -> bool {
    let mut cur = conf;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        match (cur.get(part), parts.peek()) {
            (Some(_), None) => return true,
            (Some(serde_json::Value::Object(next)), Some(_)) => cur = next,
            _ => return false,
        }
    }
    false
}

fn tool_exists(name: &str) -> bool {
    std::env::var("PATH")
        .unwrap_or_else(|_| crate::runtime::env::PLUGIN_PATH.to_owned())
        .split(':')
        .any(|d| std::path::Path::new(d).join(name).is_file())
}

/// Where a case's attachment lives: attachment `a` is container `a` with
/// the first interface name, `a1` the same container with `eth1`; `r<n>`
/// (from `repeat`) are containers of their own.
fn placement(name: &str) -> (String, String) {
    if let Some(n) = name.strip_prefix('r')
        && n.bytes().all(|b| b.is_ascii_digit())
        && !n.is_empty()
    {
        return (name.to_owned(), "eth0".to_owned());
    }
    let letters: String = name
        .chars()
        .take_while(|c| c.is_ascii_lowercase())
        .collect();
    let digits = &name[letters.len()..];
    let ifname = if digits.is_empty() {
        "eth0".to_owned()
    } else {
        format!("eth{digits}")
    };
    (letters, ifname)
}

/// The state of one case instance as it runs.
struct Execution<'a> {
    case: &'a Case,
    version: Version,
    role: Role,
    cx: &'a RunContext<'a>,
    findings: Vec<Finding>,
    exchanges: Vec<Exchange>,
    kernel_diff: Vec<String>,
    kept: Option<String>,
    plugin_time: Duration,
    /// The plugin's answers, redacted, when snapshots are asked for.
    answers: Option<Value>,
    redactor: Redactor,
}

impl<'a> Execution<'a> {
    fn new(case: &'a Case, version: Version, role: Role, cx: &'a RunContext<'a>) -> Execution<'a> {
        Execution {
            case,
            version,
            role,
            cx,
            findings: Vec::new(),
            exchanges: Vec::new(),
            kernel_diff: Vec::new(),
            kept: None,
            plugin_time: Duration::ZERO,
            answers: cx.snapshots.then(|| Value::Array(Vec::new())),
            redactor: Redactor::default(),
        }
    }

    fn run(&mut self) -> Outcome {
        let scratch = match tempfile::Builder::new().prefix("cnitest-case-").tempdir() {
            Ok(d) => d,
            Err(e) => return Outcome::Error(format!("making a scratch directory: {e}")),
        };
        let stub_dir = scratch.path().to_owned();
        let names = attachment_names(self.case);
        let mut containers: Vec<String> = names.iter().map(|n| placement(n).0).collect();
        containers.dedup();
        let mut builder = Sandbox::builder()
            .keep_path(self.cx.target.plugin.clone())
            .keep_paths(self.cx.target.cni_path.iter().cloned())
            .keep_path(stub_dir.clone());
        for c in &containers {
            builder = builder.container(c.clone());
        }
        let mut sandbox = match builder.build() {
            Ok(s) => s,
            Err(e) => return Outcome::Error(format!("making the sandbox: {e}")),
        };
        let outcome = self.in_sandbox(&mut sandbox, &stub_dir, &names);
        if self.cx.keep_failed
            && matches!(outcome, Outcome::Done)
            && grade(&self.findings, self.cx.strict) == Verdict::Fail
        {
            let name = format!("{}-{}", self.case.id.replace('/', "-"), self.version);
            self.kept = Some(
                super::keep::keep(&sandbox, &name)
                    .unwrap_or_else(|e| format!("could not keep the sandbox: {e}")),
            );
            // The stubs and scratch files stay with it.
            let _ = scratch.keep();
        }
        if let Err(errors) = sandbox.destroy() {
            return Outcome::Error(format!("tearing the sandbox down: {errors}"));
        }
        outcome
    }

    fn in_sandbox(
        &mut self,
        sandbox: &mut Sandbox,
        stub_dir: &std::path::Path,
        names: &[String],
    ) -> Outcome {
        if let Err(e) = kernel::prepare_host(sandbox, &self.cx.target.conf) {
            return Outcome::Error(e);
        }
        let stub = if self.case.ipam_stub {
            match Stub::install(&self.cx.exe, stub_dir, IPAM_STUB) {
                Ok(s) => {
                    for (command, reply) in delegation_stub_script(self.version, &self.case.stub) {
                        if let Err(e) = s.script(&command, reply) {
                            return Outcome::Error(format!("scripting the IPAM stub: {e}"));
                        }
                    }
                    Some(s)
                }
                Err(e) => return Outcome::Error(format!("installing the IPAM stub: {e}")),
            }
        } else {
            None
        };
        self.redactor = redactor_for(self.cx.target, stub_dir);
        let mut runtime = Runtime::new(Vec::new(), stub_dir.join("cache"));
        runtime.timeout = self.cx.timeout;
        runtime.output_limit = self.cx.output_limit;
        runtime.namespaces = Namespaces(sandbox.plugin_namespaces());
        let mut driver = Driver::new(
            self.cx.target,
            self.version,
            runtime,
            stub_dir.to_owned(),
            stub.as_ref().map(|_| IPAM_STUB),
        );
        driver.case_set = self.case.set.clone();
        driver.case_remove = self.case.remove.clone();
        let slug = self.case.id.replace(['/', '_'], "-");
        let mut atts: BTreeMap<String, AttachmentState> = names
            .iter()
            .map(|n| {
                let (container, mut ifname) = placement(n);
                if ifname == "eth0" {
                    // The case's own name wins; else the run's (--ifname).
                    ifname = self
                        .case
                        .ifname
                        .clone()
                        .unwrap_or_else(|| self.cx.target.ifname.clone());
                }
                let netns = sandbox.netns_path(&container).map(PathBuf::from);
                (
                    n.clone(),
                    AttachmentState::new(
                        n,
                        &container,
                        format!("cnitest-{slug}-{container}"),
                        ifname,
                        netns,
                    ),
                )
            })
            .collect();
        let container_names: Vec<String> = atts.values().map(|a| a.container.clone()).collect();
        let mut baseline: Option<Snapshot> = None;
        let mut after_dels: Vec<Snapshot> = Vec::new();
        let mut precreated: Option<(u32, String)> = None;
        let wants_growth = self
            .case
            .steps
            .iter()
            .any(|s| matches!(s, Step::Run(r) if r.checks.iter().any(|c| c == "no-growth")));
        let wants_restored = self
            .case
            .steps
            .iter()
            .any(|s| matches!(s, Step::Run(r) if r.checks.iter().any(|c| c == "restored")));
        // What each attachment's container was just before the plugin under
        // test ran its last ADD: what a DEL of it alone restores.
        let mut before_add: BTreeMap<String, Snapshot> = BTreeMap::new();

        for (index, step) in self.case.steps.iter().enumerate() {
            match step {
                Step::Act(act) => {
                    let Some(att) = atts.get_mut(&act.attachment) else {
                        return Outcome::Error(format!(
                            "steps[{index}]: no attachment {}",
                            act.attachment
                        ));
                    };
                    match kernel::act(sandbox, &act.action, att, self.role == Role::Chained) {
                        Ok(Some(identity)) => precreated = Some(identity),
                        Ok(None) => {}
                        Err(ActError::NotApplicable(why)) => {
                            self.cleanup(&driver, sandbox, &mut atts);
                            return Outcome::Skip(why);
                        }
                        Err(ActError::Harness(why)) => {
                            self.cleanup(&driver, sandbox, &mut atts);
                            return Outcome::Error(format!(
                                "steps[{index}] ({:?}): {why}",
                                act.action
                            ));
                        }
                    }
                }
                Step::Run(run) => {
                    if run.command == RunCommand::Add && baseline.is_none() {
                        match kernel::snapshot(sandbox, &container_names) {
                            Ok(s) => baseline = Some(s),
                            Err(e) => return Outcome::Error(e),
                        }
                    }
                    let wants_before = run.repeat.is_none()
                        && (run
                            .checks
                            .iter()
                            .any(|c| c == "container-unchanged" || c.starts_with("kept"))
                            || (wants_restored && run.command == RunCommand::Add));
                    let stub_seen = stub.as_ref().map_or(0, |s| s.records().len());
                    let targets = step_attachments(run, &atts);
                    for t in &targets {
                        if !atts.contains_key(t) {
                            return Outcome::Error(format!("steps[{index}]: no attachment {t}"));
                        }
                    }
                    if run.prev_result == PrevResult::DoctoredMac
                        && targets
                            .iter()
                            .any(|t| atts.get(t).is_some_and(|a| a.ifname == kernel::LOOPBACK))
                    {
                        self.cleanup(&driver, sandbox, &mut atts);
                        return Outcome::Skip(kernel::LOOPBACK_REASON.to_owned());
                    }
                    let valid = gc_valid(run, &atts);
                    // Read just before the plugin under test runs (after the
                    // plugins before it), so its own changes stand alone.
                    let mut before_step: Option<Result<Snapshot, String>> = None;
                    let runs = if wants_before {
                        let view: &Sandbox = sandbox;
                        let mut observe =
                            || before_step = Some(kernel::snapshot(view, &container_names));
                        let name = &targets[0];
                        match atts.get_mut(name) {
                            Some(att) => vec![(
                                name.clone(),
                                driver.run_observed(run, att, &valid, &mut observe),
                            )],
                            None => Vec::new(),
                        }
                    } else {
                        execute(&driver, run, &targets, &mut atts, &valid)
                    };
                    let before_step = match before_step.transpose() {
                        Ok(s) => s,
                        Err(e) => return Outcome::Error(e),
                    };
                    if run.command == RunCommand::Add
                        && let Some(s) = &before_step
                    {
                        before_add.insert(targets[0].clone(), s.clone());
                    }
                    for (_, r) in &runs {
                        self.record(index, &r.calls);
                    }
                    if let Some(problem) = runs.iter().find_map(|(_, r)| r.problem.clone()) {
                        self.cleanup(&driver, sandbox, &mut atts);
                        return Outcome::Error(format!(
                            "steps[{index}] ({}): {problem}",
                            run.command.command()
                        ));
                    }
                    if run.command == RunCommand::Del
                        && wants_growth
                        && runs.iter().all(|(_, r)| {
                            r.put
                                .as_ref()
                                .is_some_and(|c| c.outcome.termination.success())
                        })
                    {
                        match kernel::snapshot(sandbox, &container_names) {
                            Ok(s) => after_dels.push(s),
                            Err(e) => return Outcome::Error(e),
                        }
                    }
                    let ctx = Ctx {
                        case: self.case,
                        version: self.version,
                        role: self.role,
                        step: run,
                        index,
                        runs: &runs,
                        atts: &atts,
                        sandbox,
                        driver: &driver,
                        stub: stub.as_ref(),
                        stub_seen,
                        before_step: before_step.as_ref(),
                        before_add: before_add.get(&targets[0]),
                        baseline: baseline.as_ref(),
                        steady: self.cx.steady,
                        precreated: precreated.as_ref(),
                        after_dels: &after_dels,
                    };
                    for (_, r) in &runs {
                        if let Some(call) = &r.put {
                            self.findings.extend(checks::protocol(&ctx, call));
                            self.findings.extend(checks::expectations(&ctx, call));
                        }
                    }
                    if self.answers.is_some() {
                        self.record_answers(index, run, &runs, sandbox, &atts);
                    }
                    for name in &run.checks {
                        match checks::run(name, &ctx) {
                            Ok(found) => self.findings.extend(found),
                            Err(why) => {
                                self.cleanup(&driver, sandbox, &mut atts);
                                return Outcome::Error(format!(
                                    "steps[{index}] check {name}: {why}"
                                ));
                            }
                        }
                    }
                }
            }
        }
        self.cleanup(&driver, sandbox, &mut atts);
        if self.case.leak_check
            && let Some(base) = &baseline
        {
            // An IPAM plugin's leaks are its reservations: files only.
            let watched: &[String] = if self.role == Role::Ipam {
                &[]
            } else {
                &container_names
            };
            let settling = atts.values().any(|a| a.netns_deleted);
            if let Err(e) = self.leak_check(sandbox, base, watched, settling) {
                return Outcome::Error(e);
            }
        }
        Outcome::Done
    }

    /// P-DEL-4: what is left against before the first ADD.
    fn leak_check(
        &mut self,
        sandbox: &Sandbox,
        base: &Snapshot,
        containers: &[String],
        settling: bool,
    ) -> Result<(), String> {
        let left = kernel::settled_leftovers(sandbox, base, containers, self.cx.steady, settling)?;
        self.kernel_diff = left.iter().map(ToString::to_string).collect();
        self.findings
            .extend(kernel::leak_findings(&left, self.version));
        Ok(())
    }

    /// DEL for every attachment an ADD was tried for and no DEL succeeded
    /// after (R-LIFE-3), with the cached result as a runtime would send it.
    fn cleanup(
        &mut self,
        driver: &Driver<'_>,
        _sandbox: &Sandbox,
        atts: &mut BTreeMap<String, AttachmentState>,
    ) {
        let names: Vec<String> = atts
            .iter()
            .filter(|(_, a)| a.needs_del)
            .map(|(n, _)| n.clone())
            .collect();
        let step = plain_step(RunCommand::Del);
        let index = self.case.steps.len();
        for name in names.iter().rev() {
            let Some(att) = atts.get_mut(name) else {
                continue;
            };
            let failed_add = att.add_failed;
            let run = driver.run(&step, att, &[]);
            self.record(index, &run.calls);
            let ok = run
                .put
                .as_ref()
                .is_some_and(|c| c.outcome.termination.success())
                && run.problem.is_none();
            if !ok {
                let (rule, what) = if failed_add {
                    ("P-DEL-5", "the DEL after a failed ADD")
                } else {
                    ("P-DEL-4", "the DEL that ends the case")
                };
                let why = run
                    .put
                    .as_ref()
                    .map(|c| c.outcome.termination.to_string())
                    .or(run.problem)
                    .unwrap_or_default();
                self.findings.push(
                    Finding::new(
                        rule,
                        Level::Should.at(self.version),
                        format!("{what} of attachment {name} failed: {why}"),
                    )
                    .at_step(index),
                );
            }
            att.needs_del = false;
        }
    }

    /// What the plugin under test answered at a step, redacted: its exit,
    /// its stdout, and after a successful ADD what the kernel showed of the
    /// container interface. A repeated step's answers are sorted: which
    /// attachment got which address varies from run to run, the set does not.
    fn record_answers(
        &mut self,
        index: usize,
        run: &RunStep,
        runs: &[(String, StepRun)],
        sandbox: &Sandbox,
        atts: &BTreeMap<String, AttachmentState>,
    ) {
        let one = |redactor: &mut Redactor, name: &str, r: &StepRun| -> Option<Value> {
            let call = r.put.as_ref()?;
            let stdout = match &call.stdout {
                crate::runtime::output::Stdout::Empty => Value::Null,
                crate::runtime::output::Stdout::Json(v) => v.clone(),
                crate::runtime::output::Stdout::Malformed(_) => {
                    Value::String(call.outcome.stdout.text())
                }
            };
            if call.command == crate::spec::Command::Add {
                redactor.learn(&stdout);
            }
            let mut answer = serde_json::json!({
                "exit": call.outcome.termination.to_string(),
                "stdout": stdout,
            });
            if call.command == crate::spec::Command::Add
                && call.outcome.termination.success()
                && self.role != Role::Ipam
                && let Some(att) = atts.get(name)
                && let Ok(Some((mac, mtu))) =
                    kernel::link_facts(sandbox, &att.container, &att.ifname)
            {
                answer["kernel"] =
                    serde_json::json!({ att.ifname.clone(): {"mac": mac, "mtu": mtu} });
            }
            Some(redactor.value(&answer))
        };
        let mut entry =
            serde_json::json!({"step": index, "command": run.command.command().as_str()});
        if run.repeat.is_some() {
            // Which attachment got which address varies from run to run:
            // the attachment's own names go, and the answers are sorted.
            // Host-side MACs go unnumbered: a shared bridge takes the MAC of
            // whichever port the race made it take.
            let mut all: Vec<Value> = runs
                .iter()
                .filter_map(|(n, r)| {
                    let mut redactor = self.redactor.clone();
                    if let Some(att) = atts.get(n) {
                        redactor = redactor.with_literal(&att.container_id, "[container-id]");
                        if let Some(p) = &att.netns {
                            redactor = redactor.with_literal(&p.display().to_string(), "[netns]");
                        }
                    }
                    if let Some(call) = &r.put
                        && let crate::runtime::output::Stdout::Json(v) = &call.stdout
                    {
                        redactor.host_macs_unnumbered(v);
                    }
                    one(&mut redactor, n, r)
                })
                .collect();
            all.sort_by_key(|v| v.to_string());
            entry["answers"] = Value::Array(all);
        } else if let Some((n, r)) = runs.first()
            && let Some(a) = one(&mut self.redactor, n, r)
        {
            if let (Value::Object(e), Value::Object(a)) = (&mut entry, a) {
                e.extend(a);
            }
        }
        if let Some(Value::Array(list)) = &mut self.answers {
            list.push(entry);
        }
    }

    fn record(&mut self, step: usize, calls: &[Call]) {
        for call in calls {
            self.plugin_time += call.outcome.duration;
            self.exchanges.push(exchange(step, call));
        }
    }
}

/// The redactor of a case instance: this machine's plugin directories and
/// this instance's scratch directory become placeholders; names the
/// configuration sets stay.
fn redactor_for(target: &Target, scratch: &std::path::Path) -> Redactor {
    let mut paths: Vec<(String, String)> = target
        .cni_path
        .iter()
        .enumerate()
        .map(|(i, p)| (p.display().to_string(), format!("[cni-path-{}]", i + 1)))
        .collect();
    paths.push((scratch.display().to_string(), "[scratch]".to_owned()));
    let mut pinned = std::collections::BTreeSet::new();
    collect_strings(&Value::Object(target.conf.clone()), &mut pinned);
    Redactor::new(paths, pinned)
}

fn collect_strings(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// Every attachment name a case uses, `a` first.
fn attachment_names(case: &Case) -> Vec<String> {
    let mut names = vec!["a".to_owned()];
    for step in &case.steps {
        let (name, repeat) = match step {
            Step::Run(r) => (r.attachment.clone(), r.repeat),
            Step::Act(a) => (a.attachment.clone(), None),
        };
        if let Some(n) = repeat {
            names.extend((0..n).map(|i| format!("r{i}")));
        } else if name != "all" {
            names.push(name);
        }
    }
    names.sort();
    names.dedup();
    names
}

/// The attachments a run step acts on.
fn step_attachments(run: &RunStep, atts: &BTreeMap<String, AttachmentState>) -> Vec<String> {
    match (run.repeat, run.attachment.as_str()) {
        (Some(n), _) => (0..n).map(|i| format!("r{i}")).collect(),
        (None, "all") => atts.keys().cloned().collect(),
        (None, name) => vec![name.to_owned()],
    }
}

/// GC's valid attachments: the step's list, or every live attachment.
fn gc_valid(run: &RunStep, atts: &BTreeMap<String, AttachmentState>) -> Vec<GcAttachment> {
    match &run.valid {
        Some(names) => names
            .iter()
            .filter_map(|n| atts.get(n))
            .map(AttachmentState::gc_attachment)
            .collect(),
        None => atts
            .values()
            .filter(|a| a.needs_del)
            .map(AttachmentState::gc_attachment)
            .collect(),
    }
}

/// Runs a step for its attachments; a repeated step runs them all at once.
fn execute(
    driver: &Driver<'_>,
    run: &RunStep,
    targets: &[String],
    atts: &mut BTreeMap<String, AttachmentState>,
    valid: &[GcAttachment],
) -> Vec<(String, StepRun)> {
    if targets.len() == 1 || run.repeat.is_none() {
        return targets
            .iter()
            .filter_map(|t| {
                let att = atts.get_mut(t)?;
                Some((t.clone(), driver.run(run, att, valid)))
            })
            .collect();
    }
    let mut states: Vec<(String, AttachmentState)> = targets
        .iter()
        .filter_map(|t| atts.get(t).map(|a| (t.clone(), a.clone())))
        .collect();
    let runs: Vec<(String, StepRun)> = std::thread::scope(|scope| {
        let handles: Vec<_> = states
            .iter_mut()
            .map(|(name, att)| {
                let name = name.clone();
                scope.spawn(move || (name, driver.run(run, att, valid)))
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    for (name, att) in states {
        atts.insert(name, att);
    }
    runs
}

/// A plain step: the command, no changes, any outcome.
pub fn plain_step(command: RunCommand) -> RunStep {
    RunStep {
        command,
        attachment: "a".to_owned(),
        repeat: None,
        set: Default::default(),
        remove: Vec::new(),
        env_set: Default::default(),
        env_unset: Vec::new(),
        stdin: None,
        prev_result: PrevResult::Cached,
        valid: None,
        gc_keys: GcKeys::Both,
        version_stdin: Default::default(),
        alone: false,
        expect: Expect::Any,
        codes: Vec::new(),
        code_level: Level::Should,
        names: Vec::new(),
        checks: Vec::new(),
        rules: Vec::new(),
        level: None,
    }
}

/// How much of each stream a report keeps.
const EXCERPT: usize = 64 * 1024;

fn exchange(step: usize, call: &Call) -> Exchange {
    let cut = |b: &[u8], total: u64| {
        let text = String::from_utf8_lossy(&b[..b.len().min(EXCERPT)]).into_owned();
        if total > EXCERPT as u64 {
            format!("{text}\n[... {total} bytes in all]")
        } else {
            text
        }
    };
    Exchange {
        step,
        plugin: call.plugin.clone(),
        command: call.command.to_string(),
        env: call
            .env
            .iter()
            .filter(|(k, _)| k != "PATH")
            .cloned()
            .collect(),
        stdin: cut(&call.stdin, call.stdin.len() as u64),
        termination: call.outcome.termination.to_string(),
        stdout: cut(&call.outcome.stdout.bytes, call.outcome.stdout.total),
        stderr: cut(&call.outcome.stderr.bytes, call.outcome.stderr.total),
        duration_ms: call.outcome.duration.as_millis() as u64,
        reproduce: call.reproduce(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements() {
        assert_eq!(placement("a"), ("a".to_owned(), "eth0".to_owned()));
        assert_eq!(placement("a1"), ("a".to_owned(), "eth1".to_owned()));
        assert_eq!(placement("r12"), ("r12".to_owned(), "eth0".to_owned()));
        assert_eq!(placement("b"), ("b".to_owned(), "eth0".to_owned()));
    }
}
