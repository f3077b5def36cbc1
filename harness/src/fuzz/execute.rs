//! One fuzzed configuration, start to finish, the way a case instance runs:
//! its own sandbox, ADD through the list's machinery (with the mutation
//! applied to what the plugin under test reads), CHECK from 0.4.0 when ADD
//! succeeded, the DEL a runtime owes every ADD (R-LIFE-3), and what the
//! kernel shows against before.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use super::expect::Expect;
use super::generate::FuzzCase;
use super::oracle::{self, AnswerKind};
use super::variant::Seed;
use crate::runtime::call::Call;
use crate::runtime::invoke::Termination;
use crate::runtime::output::Stdout;
use crate::runtime::{Namespaces, Runtime};
use crate::sandbox::Sandbox;
use crate::spec::{CodeClass, Command, ErrorObject, Level, Version};
use crate::suite::Role;
use crate::suite::case::{self, Case, RunStep, Step};
use crate::suite::checks::{self, Ctx};
use crate::suite::driver::{AttachmentState, Driver, Rewrite, StepRun};
use crate::suite::kernel::{self, Snapshot, Steady};
use crate::suite::target::Target;
use crate::suite::verdict::{Finding, Verdict, grade};

/// The steps every fuzzed configuration goes through, written as a case so
/// that the suite's checks see what they always see.
const LIFECYCLE: &str = r#"
title = "A fuzzed configuration: ADD, CHECK from 0.4.0 after a success, DEL"
rules = ["P-ADD-1"]

[[steps]]
run = "add"
expect = "any"
rules = ["P-ADD-1"]

[[steps]]
run = "check"
expect = "any"
rules = ["P-CHECK-1"]

[[steps]]
run = "del"
expect = "any"
rules = ["P-DEL-1"]
"#;

static STEPS: LazyLock<Result<Case, String>> = LazyLock::new(|| {
    case::parse("fuzz/lifecycle", "cnitest fuzz", LIFECYCLE).map_err(|e| e.to_string())
});

/// The lifecycle case, parsed once.
pub fn lifecycle() -> Result<&'static Case, String> {
    STEPS.as_ref().map_err(Clone::clone)
}

/// What every configuration of a campaign shares.
#[derive(Debug)]
pub struct Bench<'a> {
    pub seed: &'a Seed,
    pub timeout: Duration,
    pub output_limit: usize,
    /// What the plugin leaves on purpose, learnt with the user's
    /// configuration.
    pub steady: &'a Steady,
}

/// A finding, with the call that showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FuzzFinding {
    pub rule: String,
    pub level: Level,
    pub message: String,
    /// ADD, CHECK or DEL.
    pub command: String,
    /// What that call's answer was.
    pub answer: AnswerKind,
}

/// Where a configuration's time went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Timing {
    #[serde(serialize_with = "millis")]
    pub wall: Duration,
    /// The plugin processes (the plugin under test, its delegates, the
    /// list around it), summed.
    #[serde(serialize_with = "millis")]
    pub plugin: Duration,
    /// Making and tearing down the sandbox.
    #[serde(serialize_with = "millis")]
    pub sandbox: Duration,
    /// Reading the kernel: fingerprints before and after, results against
    /// it.
    #[serde(serialize_with = "millis")]
    pub observe: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0)
}

impl std::ops::AddAssign for Timing {
    fn add_assign(&mut self, other: Timing) {
        self.wall += other.wall;
        self.plugin += other.plugin;
        self.sandbox += other.sandbox;
        self.observe += other.observe;
    }
}

/// What running one configuration showed.
#[derive(Debug, Clone)]
pub struct Executed {
    pub findings: Vec<FuzzFinding>,
    /// The plugin under test's answer to ADD.
    pub add: AnswerKind,
    /// A valid configuration the plugin refused, with its error.
    pub refusal: Option<ErrorObject>,
    /// What the plugin under test read on ADD.
    pub stdin: Vec<u8>,
    pub timing: Timing,
    /// The harness failed (never the plugin's fault).
    pub error: Option<String>,
}

impl Executed {
    fn new() -> Executed {
        Executed {
            findings: Vec::new(),
            add: AnswerKind::NotRun,
            refusal: None,
            stdin: Vec::new(),
            timing: Timing::default(),
            error: None,
        }
    }

    /// Pass, warn or fail as the findings' levels say; error if the
    /// harness failed.
    pub fn verdict(&self) -> Verdict {
        if self.error.is_some() {
            return Verdict::Error;
        }
        let plain: Vec<Finding> = self
            .findings
            .iter()
            .map(|f| Finding::new(f.rule.clone(), f.level, f.message.clone()))
            .collect();
        grade(&plain, false)
    }
}

/// Runs `case` in a sandbox of its own. Never panics on a plugin's
/// behaviour; what the harness could not do is in `error`.
pub fn execute(bench: &Bench<'_>, case: &FuzzCase) -> Executed {
    let started = Instant::now();
    let mut ex = Executed::new();
    let target = case.variant.apply(&bench.seed.target);
    let scratch = match tempfile::Builder::new()
        .prefix("cnitest-fuzz-case-")
        .tempdir()
    {
        Ok(d) => d,
        Err(e) => {
            ex.error = Some(format!("making a scratch directory: {e}"));
            return ex;
        }
    };
    let made = Instant::now();
    let sandbox = Sandbox::builder()
        .keep_path(target.plugin.clone())
        .keep_paths(target.cni_path.iter().cloned())
        .keep_path(scratch.path().to_owned())
        .container("a")
        .build();
    ex.timing.sandbox += made.elapsed();
    let sandbox = match sandbox {
        Ok(s) => s,
        Err(e) => {
            ex.error = Some(format!("making the sandbox: {e}"));
            return ex;
        }
    };
    if let Err(e) = run_in(bench, case, &target, &sandbox, scratch.path(), &mut ex) {
        ex.error = Some(e);
    }
    let teardown = Instant::now();
    if let Err(errors) = sandbox.destroy() {
        ex.error
            .get_or_insert(format!("tearing the sandbox down: {errors}"));
    }
    ex.timing.sandbox += teardown.elapsed();
    ex.timing.wall = started.elapsed();
    ex
}

/// The lifecycle's three steps.
fn steps(lifecycle: &Case) -> Result<[&RunStep; 3], String> {
    let runs: Vec<&RunStep> = lifecycle
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Run(r) => Some(&**r),
            Step::Act(_) => None,
        })
        .collect();
    match runs.as_slice() {
        [add, check, del] => Ok([add, check, del]),
        _ => Err("the fuzz lifecycle needs three steps".to_owned()),
    }
}

fn run_in(
    bench: &Bench<'_>,
    case: &FuzzCase,
    target: &Target,
    sandbox: &Sandbox,
    scratch: &FsPath,
    ex: &mut Executed,
) -> Result<(), String> {
    let lifecycle = lifecycle()?;
    let [add_step, check_step, del_step] = steps(lifecycle)?;
    let version = case.variant.version;
    let expect = case.expect(bench.seed);
    let what = case
        .mutation
        .as_ref()
        .map_or_else(|| "nothing wrong".to_owned(), |m| m.describe());
    kernel::prepare_host(sandbox, &target.conf)?;
    let mut runtime = Runtime::new(Vec::new(), scratch.join("cache"));
    runtime.timeout = bench.timeout;
    runtime.output_limit = bench.output_limit;
    runtime.namespaces = Namespaces(sandbox.plugin_namespaces());
    let mut driver = Driver::new(target, version, runtime, scratch.to_owned(), None);
    if let Some(m) = case.mutation.clone() {
        driver.rewrite = Some(Rewrite(Arc::new(move |req: &Value| {
            let applied = m.apply(req);
            (applied.bytes, applied.json)
        })));
    }
    let mut atts = BTreeMap::new();
    atts.insert(
        "a".to_owned(),
        AttachmentState::new(
            "a",
            "a",
            format!("cnitest-fuzz-{}", case.index),
            target.ifname.clone(),
            sandbox.netns_path("a").map(PathBuf::from),
        ),
    );
    let names = vec!["a".to_owned()];
    let observing = Instant::now();
    let baseline = kernel::snapshot(sandbox, &names)?;
    ex.timing.observe += observing.elapsed();
    let judge = Judge {
        lifecycle,
        role: target.role,
        sandbox,
        driver: &driver,
        baseline: &baseline,
        steady: bench.steady,
    };

    // ADD.
    let add = run_step(&driver, add_step, &mut atts, ex);
    let add_call = add.put.clone();
    let added;
    let mut answer_version = version;
    if let Some(call) = &add_call {
        ex.add = AnswerKind::of(call);
        ex.stdin = call.stdin.clone();
        let success = call.outcome.termination.success();
        added = success && add.problem.is_none();
        let runs = [("a".to_owned(), add)];
        let ctx = judge.ctx(add_step, 0, &runs, &atts, version);
        let mut found = checks::protocol(&ctx, call);
        found.extend(oracle::judge(call, &expect, &what, version));
        if added && expect.success {
            answer_version = oracle::answer_version(call, &expect);
            let at_answer = judge.ctx(add_step, 0, &runs, &atts, answer_version);
            found.extend(checks::run("result-valid", &at_answer)?);
            // A chained plugin outputs the prevResult it got, changed only by
            // what it did (P-ADD-4).
            if target.role == Role::Chained {
                found.extend(checks::run("prev-result-echoed", &at_answer)?);
            }
            let observing = Instant::now();
            found.extend(checks::run("result-matches-kernel", &at_answer)?);
            ex.timing.observe += observing.elapsed();
        }
        if !success {
            let shape = checks::run("error-object", &ctx)?;
            found.extend(later_codes(shape, call, &expect, version));
            if expect.valid
                && let Stdout::Json(v) = &call.stdout
                && let Ok((err, _)) = ErrorObject::from_value(v)
            {
                ex.refusal = Some(err);
            }
        }
        record(ex, found, call);
        if let Some(problem) = &runs[0].1.problem {
            return Err(format!("ADD: {problem}"));
        }
    } else {
        return Err(format!(
            "ADD: {}",
            add.problem
                .unwrap_or_else(|| "the plugin under test was not run".to_owned())
        ));
    }

    // CHECK, right after a successful ADD (P-CHECK-6).
    if added && expect.success && answer_version.allows(Command::Check) {
        let check = run_step(&driver, check_step, &mut atts, ex);
        if let Some(call) = check.put.clone() {
            let runs = [("a".to_owned(), check)];
            let ctx = judge.ctx(check_step, 1, &runs, &atts, version);
            let mut found = checks::protocol(&ctx, &call);
            found.extend(checks::run("stdout-empty", &ctx)?);
            if let Termination::Exited(code) = call.outcome.termination
                && code != 0
            {
                found.push(Finding::new(
                    "P-CHECK-6",
                    Level::Must.at(version),
                    format!(
                        "CHECK right after the successful ADD failed: {}",
                        answer_text(&call)
                    ),
                ));
            }
            record(ex, found, &call);
        }
    }

    // DEL, owed to every ADD (R-LIFE-3), with the same configuration.
    let del = run_step(&driver, del_step, &mut atts, ex);
    let del_answer = del.put.as_ref().map_or(AnswerKind::NotRun, AnswerKind::of);
    if let Some(call) = del.put.clone() {
        let runs = [("a".to_owned(), del)];
        let ctx = judge.ctx(del_step, 2, &runs, &atts, version);
        let mut found = checks::protocol(&ctx, &call);
        found.extend(checks::run("stdout-empty", &ctx)?);
        if let Termination::Exited(code) = call.outcome.termination
            && code != 0
        {
            // An invalid configuration may be refused on DEL too; a valid
            // one, or one the plugin took on ADD, may not.
            let (rule, after) = if added {
                ("P-DEL-4", "the successful ADD")
            } else {
                ("P-DEL-5", "the failed ADD")
            };
            if added || expect.valid {
                found.push(Finding::new(
                    rule,
                    Level::Should.at(version),
                    format!("the DEL after {after} failed: {}", answer_text(&call)),
                ));
            }
        }
        record(ex, found, &call);
    }

    // What is left against before the ADD (P-DEL-4). An IPAM plugin's
    // leaks are its reservations: files only.
    let watched: Vec<String> = if target.role == Role::Ipam {
        Vec::new()
    } else {
        names
    };
    // Under the network name the plugin under test read, and the one the
    // plugins around it read: a mutated name reaches only the former.
    let mut steady = renamed(
        bench.steady,
        &bench.seed.target.network,
        &case.network_name(bench.seed),
    );
    steady.0.extend(
        renamed(
            bench.steady,
            &bench.seed.target.network,
            &case.variant.network,
        )
        .0,
    );
    let observing = Instant::now();
    let left = kernel::settled_leftovers(sandbox, &baseline, &watched, &steady, false)?;
    ex.timing.observe += observing.elapsed();
    // A list's DEL stops at the first plugin that fails (as libcni's
    // does): when the plugin under test rightly refuses the DEL of an input
    // it refused on ADD, what the plugins before it made stays, and is not
    // its leak.
    let list_stopped = !added
        && !expect.valid
        && !target.before.is_empty()
        && !matches!(del_answer, AnswerKind::Success | AnswerKind::NotRun);
    for f in kernel::leak_findings(&left, version) {
        let (level, message) = if list_stopped {
            (
                Level::Info,
                format!(
                    "{} (left by the plugins before the one under test: the list's DEL stopped at its refusal)",
                    f.message
                ),
            )
        } else {
            (f.level, f.message)
        };
        ex.findings.push(FuzzFinding {
            rule: f.rule,
            level,
            message,
            command: Command::Del.to_string(),
            answer: del_answer.clone(),
        });
    }
    Ok(())
}

/// What building a check's context needs.
struct Judge<'a> {
    lifecycle: &'a Case,
    role: Role,
    sandbox: &'a Sandbox,
    driver: &'a Driver<'a>,
    baseline: &'a Snapshot,
    steady: &'a Steady,
}

impl<'a> Judge<'a> {
    fn ctx(
        &self,
        step: &'a RunStep,
        index: usize,
        runs: &'a [(String, StepRun)],
        atts: &'a BTreeMap<String, AttachmentState>,
        version: Version,
    ) -> Ctx<'a> {
        Ctx {
            case: self.lifecycle,
            version,
            role: self.role,
            step,
            index,
            runs,
            atts,
            sandbox: self.sandbox,
            driver: self.driver,
            stub: None,
            stub_seen: 0,
            before_step: None,
            baseline: Some(self.baseline),
            before_add: None,
            steady: self.steady,
            precreated: None,
            after_dels: &[],
        }
    }
}

fn run_step(
    driver: &Driver<'_>,
    step: &RunStep,
    atts: &mut BTreeMap<String, AttachmentState>,
    ex: &mut Executed,
) -> StepRun {
    let Some(att) = atts.get_mut("a") else {
        return StepRun::default();
    };
    let run = driver.run(step, att, &[]);
    ex.timing.plugin += run
        .calls
        .iter()
        .map(|c| c.outcome.duration)
        .sum::<Duration>();
    run
}

fn record(ex: &mut Executed, found: Vec<Finding>, call: &Call) {
    let answer = AnswerKind::of(call);
    let mut seen = std::collections::BTreeSet::new();
    for f in found {
        if seen.insert((f.rule.clone(), f.message.clone())) {
            ex.findings.push(FuzzFinding {
                rule: f.rule,
                level: f.level,
                message: f.message,
                command: call.command.to_string(),
                answer: answer.clone(),
            });
        }
    }
}

/// The steady state learnt under the user's network name, for another
/// name: plugins key their state by it (host-local's `last_reserved_ip`
/// lives in a directory named after the network).
fn renamed(steady: &Steady, from: &str, to: &str) -> Steady {
    if from == to || from.is_empty() {
        return steady.clone();
    }
    let mut out = steady.clone();
    for s in &steady.0 {
        if s.contains(from) {
            out.0.insert(s.replace(from, to));
        }
    }
    out
}

/// F-ERR-4 is a MUST NOT at 0.4.0, whose table has no code for a decoding
/// failure or an invalid configuration: 6 and 7 arrive with 1.0.0. Two
/// answers with a later version's code are not that failure:
/// - the input states no version the plugin could read (it is no JSON
///   object, or its `cniVersion` is no version): no version's table binds
///   the answer, so the newest one's code is as good as any (a note);
/// - pkg/skel answers 6 and 7 whatever the version (catalogue L-SKEL-3), so
///   a later version's code *for this very input* is graded as the
///   libraries' known deviation (a warning).
///
/// Any other reserved code stays a failure.
fn later_codes(
    found: Vec<Finding>,
    call: &Call,
    expect: &Expect,
    version: Version,
) -> Vec<Finding> {
    let code = match &call.stdout {
        Stdout::Json(v) => ErrorObject::from_value(v).ok().map(|(e, _)| e.code),
        _ => None,
    };
    let stated = stated_version(&call.stdin);
    found
        .into_iter()
        .map(|mut f| {
            let Some(code) = code else { return f };
            if f.rule != "F-ERR-4"
                || f.level != Level::Must
                || !matches!(CodeClass::of(code, version), CodeClass::FromLaterVersion(_))
            {
                return f;
            }
            if stated.is_none() {
                f.level = Level::Info;
                f.message = format!(
                    "{} (the input states no version the plugin could read, so no version's table binds the answer)",
                    f.message
                );
            } else if expect.codes.iter().any(|c| u64::from(*c) == code) {
                f.level = Level::Should;
                f.message = format!(
                    "{} (the code a later version defines for this input; pkg/skel answers it whatever the version, catalogue L-SKEL-3: a known library deviation)",
                    f.message
                );
            }
            f
        })
        .collect()
}

/// The version the bytes a plugin read state: their `cniVersion` if they
/// are one JSON object and it is a version, 0.1.0 if they are one without
/// it (catalogue 13.15), else none.
fn stated_version(stdin: &[u8]) -> Option<Version> {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(stdin) else {
        return None;
    };
    match map.get("cniVersion") {
        None => Some(Version::V0_1_0),
        Some(Value::String(s)) => Version::from_exact(s),
        Some(_) => None,
    }
}

/// The answer as one line: the error object, or how the call ended.
fn answer_text(call: &Call) -> String {
    match call.answer() {
        crate::runtime::Answer::Error(e) => format!("error {e}"),
        crate::runtime::Answer::Broken(b) => b.to_string(),
        crate::runtime::Answer::Success(_) => "success".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_an_input_states() {
        let v = |s: &str| stated_version(s.as_bytes());
        assert_eq!(
            v(r#"{"cniVersion":"0.4.0","name":"n"}"#),
            Some(Version::V0_4_0)
        );
        // Without one, libcni reads 0.1.0 (catalogue 13.15).
        assert_eq!(v(r#"{"name":"n"}"#), Some(Version::V0_1_0));
        // Nothing a plugin could read a version from.
        assert_eq!(v(r#"{"cniVersion":"abc"}"#), None);
        assert_eq!(v(r#"{"cniVersion":4}"#), None);
        assert_eq!(v(r#"{"cniVersion":"0.4.0"}x"#), None);
        assert_eq!(v(r#"{"cniVersion":"0.4"#), None);
        assert_eq!(v("[]"), None);
        assert_eq!(v(""), None);
    }
}
