//! The campaign: make the configurations from the seed, run each in its own
//! sandbox (`jobs` at a time), group what failed into classes (rule +
//! mutation kind + command + answer), and shrink one configuration of each
//! class.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::execute::{Bench, Executed, FuzzFinding, Timing, execute, lifecycle};
use super::generate::{FuzzCase, Generator};
use super::oracle::AnswerKind;
use super::shrink::{Symptom, shrink};
use super::variant::Seed;
use crate::spec::{Level, NetworkConfig, Version};
use crate::suite::kernel::Steady;
use crate::suite::verdict::Verdict;
use crate::suite::{runner, workers};

/// How a campaign is run.
#[derive(Debug, Clone)]
pub struct Options {
    /// How many configurations.
    pub cases: u32,
    /// The same seed makes the same configurations.
    pub seed: u64,
    pub timeout: Duration,
    pub jobs: usize,
    pub output_limit: usize,
    /// Configurations tried while shrinking one class.
    pub shrink_budget: usize,
    /// The classes the caller looks for: once one is known the campaign
    /// stops making configurations, and only those are shrunk.
    pub wanted: Option<Wanted>,
    /// Where shrunk configurations are written for `cnitest exec`; `None`
    /// writes nothing.
    pub artifacts: Option<PathBuf>,
}

impl Options {
    pub fn new(cases: u32, seed: u64) -> Options {
        Options {
            cases,
            seed,
            timeout: Duration::from_secs(10),
            jobs: 1,
            output_limit: crate::runtime::invoke::DEFAULT_OUTPUT_LIMIT,
            shrink_budget: 150,
            wanted: None,
            artifacts: None,
        }
    }
}

/// Which failure classes a caller looks for.
#[derive(Clone)]
pub struct Wanted(pub Arc<WantedFn>);

/// Whether a failure class, at the level it was graded, is one looked for.
pub type WantedFn = dyn Fn(&ClassKey, Level) -> bool + Send + Sync;

impl std::fmt::Debug for Wanted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wanted(..)")
    }
}

impl Wanted {
    fn wants(&self, key: &ClassKey, level: Level) -> bool {
        (self.0)(key, level)
    }
}

/// One configuration's outcome.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub case: FuzzCase,
    /// One line: the mutation and the variant.
    pub description: String,
    pub verdict: Verdict,
    pub executed: Executed,
}

/// Failures that are the same failure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ClassKey {
    pub rule: String,
    /// The mutation's kind, or `valid`.
    pub mutation: String,
    pub command: String,
    pub answer: AnswerKind,
}

impl ClassKey {
    fn of(case: &FuzzCase, f: &FuzzFinding) -> ClassKey {
        ClassKey {
            rule: f.rule.clone(),
            mutation: case.kind().to_owned(),
            command: f.command.clone(),
            answer: f.answer.clone(),
        }
    }

    fn symptom(&self) -> Symptom {
        Symptom {
            rule: self.rule.clone(),
            command: self.command.clone(),
            answer: self.answer.clone(),
        }
    }
}

/// A class of failures, with its smallest example.
#[derive(Debug, Clone)]
pub struct Class {
    pub key: ClassKey,
    /// The worst level any of its findings had.
    pub level: Level,
    /// The first finding's message.
    pub message: String,
    /// The configurations that showed it.
    pub cases: Vec<u32>,
    pub shrunk: Option<ShrunkExample>,
}

/// A class's configuration, shrunk.
#[derive(Debug, Clone)]
pub struct ShrunkExample {
    pub case: FuzzCase,
    /// What the plugin under test read on ADD.
    pub stdin: Vec<u8>,
    /// The finding, as the shrunk configuration showed it.
    pub message: String,
    /// One line: the mutation and the variant.
    pub description: String,
    pub attempts: usize,
    pub duration: Duration,
    /// The configuration as a network configuration list `cnitest exec`
    /// loads, where the input is one; written under `Options::artifacts`.
    pub config: Option<Value>,
    pub config_file: Option<PathBuf>,
    /// The exact bytes, written under `Options::artifacts`.
    pub stdin_file: Option<PathBuf>,
}

/// What a campaign found.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub seed: u64,
    /// The configurations run, in index order.
    pub records: Vec<CaseRecord>,
    pub classes: Vec<Class>,
    /// Running the configurations (not shrinking).
    pub duration: Duration,
    /// Shrinking, all classes.
    pub shrinking: Duration,
    /// Summed over the configurations.
    pub timing: Timing,
    pub interrupted: bool,
    /// What the plugin leaves on purpose, learnt before the campaign.
    pub steady: Steady,
}

impl Outcome {
    /// How many configurations got each verdict.
    pub fn count(&self, v: Verdict) -> usize {
        self.records.iter().filter(|r| r.verdict == v).count()
    }

    /// Valid configurations: (how many, how many the plugin took).
    pub fn valid(&self) -> (usize, usize) {
        let valid: Vec<&CaseRecord> = self
            .records
            .iter()
            .filter(|r| r.case.mutation.is_none() && r.executed.error.is_none())
            .collect();
        let taken = valid
            .iter()
            .filter(|r| r.executed.add == AnswerKind::Success)
            .count();
        (valid.len(), taken)
    }

    /// The codes valid configurations were refused with, and how often.
    pub fn refusals(&self) -> BTreeMap<u64, usize> {
        let mut out = BTreeMap::new();
        for r in &self.records {
            if let Some(e) = &r.executed.refusal {
                *out.entry(e.code).or_insert(0) += 1;
            }
        }
        out
    }

    /// The worst verdict: what the exit status follows.
    pub fn failed(&self) -> bool {
        self.classes.iter().any(|c| c.level == Level::Must)
    }

    pub fn errors(&self) -> usize {
        self.count(Verdict::Error)
    }
}

/// Why a campaign could not run.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("the fuzz lifecycle: {0}")]
    Lifecycle(String),
}

/// Runs the campaign. `stop` ends it early (Ctrl-C); `on_start` learns how
/// many configurations there are, `on_case` sees each as it finishes.
pub fn run(
    seed: &Seed,
    opts: &Options,
    stop: &(dyn Fn() -> bool + Sync),
    on_start: &(dyn Fn(usize) + Sync),
    on_case: &(dyn Fn(&CaseRecord) + Sync),
) -> Result<Outcome, CampaignError> {
    lifecycle().map_err(CampaignError::Lifecycle)?;
    let started = Instant::now();
    let newest = seed.versions.last().copied().unwrap_or(Version::V0_1_0);
    let steady = if stop() {
        Steady::default()
    } else {
        runner::calibrate(&seed.target, newest, opts.timeout)
    };
    let generator = Generator::new(seed, opts.seed);
    let cases: Vec<FuzzCase> = (0..opts.cases).map(|i| generator.case(i)).collect();
    on_start(cases.len());
    let bench = Bench {
        seed,
        timeout: opts.timeout,
        output_limit: opts.output_limit,
        steady: &steady,
    };
    let found_wanted = AtomicBool::new(false);
    let stop_or_enough = || stop() || found_wanted.load(Ordering::SeqCst);
    let slots = workers::each(&cases, opts.jobs, &stop_or_enough, |_, case| {
        let executed = execute(&bench, case);
        let record = CaseRecord {
            description: case.describe(seed),
            verdict: executed.verdict(),
            case: case.clone(),
            executed,
        };
        if let Some(w) = &opts.wanted
            && classed(&record).any(|(k, f)| w.wants(&k, f.level))
        {
            found_wanted.store(true, Ordering::SeqCst);
        }
        on_case(&record);
        Some(record)
    });
    let interrupted = stop();
    let records: Vec<CaseRecord> = slots.into_iter().flatten().collect();
    let duration = started.elapsed();
    let mut timing = Timing::default();
    for r in &records {
        timing += r.executed.timing;
    }
    let mut classes = group(&records);
    let shrinking = Instant::now();
    shrink_all(&bench, &records, &mut classes, opts, stop);
    Ok(Outcome {
        seed: opts.seed,
        records,
        classes,
        duration,
        shrinking: shrinking.elapsed(),
        timing,
        interrupted,
        steady,
    })
}

/// A record's findings that make classes: the MUST and SHOULD ones (MAY
/// and INFO are notes).
fn classed(record: &CaseRecord) -> impl Iterator<Item = (ClassKey, &FuzzFinding)> {
    record
        .executed
        .findings
        .iter()
        .filter(|f| matches!(f.level, Level::Must | Level::Should))
        .map(|f| (ClassKey::of(&record.case, f), f))
}

fn group(records: &[CaseRecord]) -> Vec<Class> {
    let mut classes: BTreeMap<ClassKey, Class> = BTreeMap::new();
    for r in records {
        for (key, f) in classed(r) {
            let class = classes.entry(key.clone()).or_insert_with(|| Class {
                key,
                level: f.level,
                message: f.message.clone(),
                cases: Vec::new(),
                shrunk: None,
            });
            class.level = class.level.min(f.level);
            if class.cases.last() != Some(&r.case.index) {
                class.cases.push(r.case.index);
            }
        }
    }
    let mut out: Vec<Class> = classes.into_values().collect();
    // Failures first, then the commonest.
    out.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then(b.cases.len().cmp(&a.cases.len()))
            .then(a.key.cmp(&b.key))
    });
    out
}

/// Shrinks one configuration of every class, `jobs` classes at a time.
fn shrink_all(
    bench: &Bench<'_>,
    records: &[CaseRecord],
    classes: &mut [Class],
    opts: &Options,
    stop: &(dyn Fn() -> bool + Sync),
) {
    let by_index: BTreeMap<u32, &CaseRecord> = records.iter().map(|r| (r.case.index, r)).collect();
    let keys: Vec<Option<(ClassKey, u32)>> = classes
        .iter()
        .map(|c| {
            let wanted = opts
                .wanted
                .as_ref()
                .is_none_or(|w| w.wants(&c.key, c.level));
            wanted.then(|| (c.key.clone(), c.cases[0]))
        })
        .collect();
    let done = workers::each(&keys, opts.jobs, stop, |_, entry| {
        let (key, index) = entry.as_ref()?;
        let record = by_index.get(index)?;
        Some(shrink(
            bench,
            record.case.clone(),
            record.executed.clone(),
            &key.symptom(),
            opts.shrink_budget,
            stop,
        ))
    });
    for (i, shrunk) in done
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, s?)))
    {
        let Some(class) = classes.get_mut(i) else {
            continue;
        };
        let symptom = class.key.symptom();
        let message = shrunk
            .executed
            .findings
            .iter()
            .find(|f| Symptom::of(f) == symptom)
            .map_or_else(|| class.message.clone(), |f| f.message.clone());
        let config = as_config(bench.seed, &shrunk.case);
        let mut example = ShrunkExample {
            description: shrunk.case.describe(bench.seed),
            stdin: shrunk.executed.stdin.clone(),
            message,
            attempts: shrunk.attempts,
            duration: shrunk.duration,
            config,
            config_file: None,
            stdin_file: None,
            case: shrunk.case,
        };
        if let Some(dir) = &opts.artifacts {
            write_artifacts(dir, i + 1, &mut example);
        }
        class.shrunk = Some(example);
    }
}

/// The case as a network configuration list, when the plugin's input is
/// one a runtime can load (`cnitest exec add --config`): the mutated
/// request with `name` and `cniVersion` moved up to the list.
pub fn as_config(seed: &Seed, case: &FuzzCase) -> Option<Value> {
    // An IPAM plugin is run by the suite playing its caller, which `exec`
    // cannot be.
    if seed.ipam_own() {
        return None;
    }
    let target = case.variant.apply(&seed.target);
    let mut conf = Value::Object(target.conf.clone());
    conf["cniVersion"] = json!(case.variant.version.as_str());
    conf["name"] = json!(target.network);
    if let Some(m) = &case.mutation {
        conf = m.apply(&conf).json?;
    }
    let Value::Object(mut conf) = conf else {
        return None;
    };
    let version = conf.shift_remove("cniVersion")?;
    let name = conf.shift_remove("name")?;
    let mut plugins: Vec<Value> = target
        .before
        .iter()
        .map(|p| Value::Object(p.raw().clone()))
        .collect();
    plugins.push(Value::Object(conf));
    plugins.extend(target.after.iter().map(|p| Value::Object(p.raw().clone())));
    let mut list = Map::new();
    list.insert("cniVersion".into(), version);
    list.insert("name".into(), name);
    list.insert("plugins".into(), Value::Array(plugins));
    let list = Value::Object(list);
    NetworkConfig::from_list_value(list.clone()).ok()?;
    Some(list)
}

fn write_artifacts(dir: &FsPath, n: usize, example: &mut ShrunkExample) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let stdin = dir.join(format!("class-{n}.stdin"));
    if std::fs::write(&stdin, &example.stdin).is_ok() {
        example.stdin_file = Some(stdin);
    }
    if let Some(config) = &example.config {
        let path = dir.join(format!("class-{n}.conflist"));
        let text = serde_json::to_string_pretty(config).unwrap_or_default();
        if std::fs::write(&path, text + "\n").is_ok() {
            example.config_file = Some(path);
        }
    }
}
