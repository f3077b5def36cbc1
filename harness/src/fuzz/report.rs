//! What a campaign prints: a human summary (each failure class with its
//! shrunk configuration and how to reproduce it) and one JSON document for
//! machines, as typed structs that tests read back.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::campaign::{CaseRecord, Class, Outcome};
use super::execute::FuzzFinding;
use crate::spec::Level;
use crate::suite::verdict::{CaseResult, Verdict};
use crate::suite::{Finding, Role};

/// What the report says about the run besides the outcome.
#[derive(Debug, Clone)]
pub struct Setup {
    pub plugin: String,
    pub config: String,
    pub role: Role,
    pub supported_versions: Vec<String>,
    /// Flags that select the plugin and its setup again (`--plugin P
    /// --config C ...`), for reproduce lines.
    pub rerun_args: String,
    /// `--cni-path`, for `cnitest exec`.
    pub cni_path: String,
    pub requested: u32,
}

/// The JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonFuzzReport {
    pub cnitest: String,
    pub plugin: JsonFuzzPlugin,
    pub seed: u64,
    pub summary: JsonFuzzSummary,
    pub timing: JsonTiming,
    pub classes: Vec<JsonClass>,
    /// What the plugin leaves on purpose (learnt before the campaign), not
    /// counted as leaks.
    pub steady: Vec<String>,
    /// Every configuration that did not pass.
    pub findings: Vec<JsonCase>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonFuzzPlugin {
    pub path: String,
    pub config: String,
    pub role: Role,
    #[serde(rename = "supportedVersions")]
    pub supported_versions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonFuzzSummary {
    pub requested: u32,
    pub run: usize,
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
    pub error: usize,
    /// Valid configurations, and how many of them the plugin took.
    pub valid: usize,
    pub valid_taken: usize,
    /// Codes valid configurations were refused with, and how often.
    pub refusals: BTreeMap<String, usize>,
    pub classes: usize,
    pub interrupted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonTiming {
    pub seconds: f64,
    pub configs_per_second: f64,
    /// Per configuration, on average.
    pub wall_ms: f64,
    pub plugin_ms: f64,
    pub sandbox_ms: f64,
    pub observe_ms: f64,
    pub shrinking_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonClass {
    pub rule: String,
    pub level: Level,
    pub mutation: String,
    pub command: String,
    pub answer: String,
    pub message: String,
    pub count: usize,
    pub cases: Vec<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk: Option<JsonShrunk>,
    pub reproduce: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonShrunk {
    pub case: u32,
    pub description: String,
    /// What the plugin read on ADD: the JSON, or (when it is not JSON) the
    /// text with bytes that are not UTF-8 escaped.
    pub input: Value,
    pub input_is_json: bool,
    pub message: String,
    pub attempts: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonCase {
    pub case: u32,
    pub kind: String,
    pub description: String,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub findings: Vec<JsonFuzzFinding>,
}

/// A finding and the call that showed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonFuzzFinding {
    pub rule: String,
    pub level: Level,
    pub message: String,
    pub command: String,
    pub answer: String,
}

impl From<&FuzzFinding> for JsonFuzzFinding {
    fn from(f: &FuzzFinding) -> JsonFuzzFinding {
        JsonFuzzFinding {
            rule: f.rule.clone(),
            level: f.level,
            message: f.message.clone(),
            command: f.command.clone(),
            answer: f.answer.to_string(),
        }
    }
}

/// The JSON document.
pub fn json(setup: &Setup, outcome: &Outcome) -> JsonFuzzReport {
    let (valid, valid_taken) = outcome.valid();
    let run = outcome.records.len();
    let seconds = outcome.duration.as_secs_f64();
    let per = |d: Duration| {
        if run == 0 {
            0.0
        } else {
            round(d.as_secs_f64() * 1000.0 / run as f64)
        }
    };
    JsonFuzzReport {
        cnitest: env!("CARGO_PKG_VERSION").to_owned(),
        plugin: JsonFuzzPlugin {
            path: setup.plugin.clone(),
            config: setup.config.clone(),
            role: setup.role,
            supported_versions: setup.supported_versions.clone(),
        },
        seed: outcome.seed,
        summary: JsonFuzzSummary {
            requested: setup.requested,
            run,
            pass: outcome.count(Verdict::Pass),
            warn: outcome.count(Verdict::Warn),
            fail: outcome.count(Verdict::Fail),
            error: outcome.count(Verdict::Error),
            valid,
            valid_taken,
            refusals: outcome
                .refusals()
                .into_iter()
                .map(|(c, n)| (c.to_string(), n))
                .collect(),
            classes: outcome.classes.len(),
            interrupted: outcome.interrupted,
        },
        timing: JsonTiming {
            seconds: round(seconds),
            configs_per_second: round(run as f64 / seconds.max(1e-9)),
            wall_ms: per(outcome.timing.wall),
            plugin_ms: per(outcome.timing.plugin),
            sandbox_ms: per(outcome.timing.sandbox),
            observe_ms: per(outcome.timing.observe),
            shrinking_seconds: round(outcome.shrinking.as_secs_f64()),
        },
        classes: outcome
            .classes
            .iter()
            .map(|c| json_class(setup, outcome.seed, c))
            .collect(),
        steady: outcome.steady.0.iter().cloned().collect(),
        findings: outcome
            .records
            .iter()
            .filter(|r| r.verdict != Verdict::Pass)
            .map(|r| JsonCase {
                case: r.case.index,
                kind: r.case.kind().to_owned(),
                description: r.description.clone(),
                verdict: r.verdict,
                error: r.executed.error.clone(),
                findings: r
                    .executed
                    .findings
                    .iter()
                    .map(JsonFuzzFinding::from)
                    .collect(),
            })
            .collect(),
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn json_class(setup: &Setup, seed: u64, c: &Class) -> JsonClass {
    JsonClass {
        rule: c.key.rule.clone(),
        level: c.level,
        mutation: c.key.mutation.clone(),
        command: c.key.command.clone(),
        answer: c.key.answer.to_string(),
        message: c.message.clone(),
        count: c.cases.len(),
        cases: c.cases.clone(),
        shrunk: c.shrunk.as_ref().map(|s| {
            let (input, input_is_json) = match serde_json::from_slice::<Value>(&s.stdin) {
                Ok(v) => (v, true),
                Err(_) => (Value::String(shown_bytes(&s.stdin)), false),
            };
            JsonShrunk {
                case: s.case.index,
                description: s.description.clone(),
                input,
                input_is_json,
                message: s.message.clone(),
                attempts: s.attempts,
                config_file: s.config_file.as_ref().map(|p| p.display().to_string()),
                stdin_file: s.stdin_file.as_ref().map(|p| p.display().to_string()),
            }
        }),
        reproduce: reproduce(setup, seed, c),
    }
}

/// Commands that reproduce a class: the campaign up to its first
/// configuration (exactly as found), and `cnitest exec` on the shrunk
/// configuration when it is one a runtime can load.
pub fn reproduce(setup: &Setup, seed: u64, c: &Class) -> Vec<String> {
    let first = c.cases[0];
    let mut out = vec![format!(
        "cnitest fuzz {} --seed {seed} --cases {}  # configuration #{first} as found",
        setup.rerun_args,
        first + 1
    )];
    if let Some(file) = c.shrunk.as_ref().and_then(|s| s.config_file.as_ref()) {
        out.push(format!(
            "cnitest exec add --config {} --cni-path {} --new-netns  # the shrunk configuration, on this machine's network",
            file.display(),
            setup.cni_path
        ));
    }
    out
}

/// Bytes as text, those that are not UTF-8 escaped (`\xff`).
pub fn shown_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.escape_ascii().to_string(),
    }
}

/// The human report.
pub fn human(setup: &Setup, outcome: &Outcome) -> String {
    let mut out = String::new();
    let run = outcome.records.len();
    let _ = writeln!(
        out,
        "cnitest fuzz: {run} configurations against {} ({} role), seed {}",
        setup.plugin, setup.role, outcome.seed
    );
    let (valid, taken) = outcome.valid();
    let refusals: Vec<String> = outcome
        .refusals()
        .into_iter()
        .map(|(code, n)| format!("code {code} x{n}"))
        .collect();
    let _ = writeln!(
        out,
        "  valid configurations: {valid}, taken {taken}{}",
        if refusals.is_empty() {
            String::new()
        } else {
            format!(", refused {} ({})", valid - taken, refusals.join(", "))
        }
    );
    let _ = writeln!(out, "  mutated configurations: {}", run - valid);
    for c in &outcome.classes {
        out.push('\n');
        class_text(&mut out, setup, outcome.seed, c);
    }
    out.push('\n');
    let musts = outcome
        .classes
        .iter()
        .filter(|c| c.level == Level::Must)
        .count();
    let secs = outcome.duration.as_secs_f64();
    let _ = writeln!(
        out,
        "{run} configurations in {secs:.1} s ({:.1}/s): {} pass, {} warn, {} fail, {} error; {} failure classes ({musts} MUST, {} SHOULD){}",
        run as f64 / secs.max(1e-9),
        outcome.count(Verdict::Pass),
        outcome.count(Verdict::Warn),
        outcome.count(Verdict::Fail),
        outcome.count(Verdict::Error),
        outcome.classes.len(),
        outcome.classes.len() - musts,
        if outcome.classes.is_empty() {
            String::new()
        } else {
            format!("; shrinking {:.1} s", outcome.shrinking.as_secs_f64())
        }
    );
    if run > 0 {
        let per = |d: Duration| d.as_secs_f64() * 1000.0 / run as f64;
        let _ = writeln!(
            out,
            "per configuration: {:.0} ms, of which plugin processes {:.0} ms, the sandbox {:.0} ms, reading the kernel {:.0} ms",
            per(outcome.timing.wall),
            per(outcome.timing.plugin),
            per(outcome.timing.sandbox),
            per(outcome.timing.observe)
        );
    }
    let errors: Vec<&CaseRecord> = outcome
        .records
        .iter()
        .filter(|r| r.verdict == Verdict::Error)
        .take(5)
        .collect();
    for r in errors {
        let _ = writeln!(
            out,
            "error #{}: the harness failed: {}",
            r.case.index,
            r.executed.error.as_deref().unwrap_or_default()
        );
    }
    if outcome.interrupted {
        let _ = writeln!(
            out,
            "interrupted: {run} of {} configurations ran",
            setup.requested
        );
    }
    out
}

fn class_text(out: &mut String, setup: &Setup, seed: u64, c: &Class) {
    let verdict = if c.level == Level::Must {
        "FAIL"
    } else {
        "WARN"
    };
    let cases: Vec<String> = c.cases.iter().take(8).map(|n| format!("#{n}")).collect();
    let more = if c.cases.len() > 8 { ", ..." } else { "" };
    let _ = writeln!(
        out,
        "{verdict}  {} {} · {} · {} {} · {} configuration{} ({}{more})",
        c.key.rule,
        c.level,
        c.key.mutation,
        c.key.command,
        c.key.answer,
        c.cases.len(),
        if c.cases.len() == 1 { "" } else { "s" },
        cases.join(", ")
    );
    let _ = writeln!(out, "      {}", cut(&c.message));
    if let Some(s) = &c.shrunk {
        let _ = writeln!(
            out,
            "      shrunk from #{} in {} tries: {}",
            s.case.index, s.attempts, s.description
        );
        let _ = writeln!(out, "      it read: {}", excerpt(&s.stdin));
        if s.message != c.message {
            let _ = writeln!(out, "      and then: {}", cut(&s.message));
        }
    }
    let _ = writeln!(out, "      reproduce:");
    for line in reproduce(setup, seed, c) {
        let _ = writeln!(out, "        {line}");
    }
    if let Some(f) = c.shrunk.as_ref().and_then(|s| s.stdin_file.as_ref()) {
        let _ = writeln!(
            out,
            "        # the exact bytes the plugin read: {}",
            f.display()
        );
    }
}

/// A message cut to a few lines' worth.
fn cut(text: &str) -> String {
    const MAX: usize = 400;
    if text.chars().count() > MAX {
        let head: String = text.chars().take(MAX).collect();
        format!("{head}... ({} characters in all)", text.chars().count())
    } else {
        text.to_owned()
    }
}

/// What the plugin read, on one line, cut if long.
fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 600;
    let text = shown_bytes(bytes);
    if text.chars().count() > MAX {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}... ({} bytes in all)", bytes.len())
    } else if text.is_empty() {
        "(nothing)".to_owned()
    } else {
        text
    }
}

/// A configuration's outcome as the suite's progress display takes it.
pub fn progress_result(r: &CaseRecord, role: Role) -> CaseResult {
    let worst = r.executed.findings.iter().min_by_key(|f| f.level).map(|f| {
        format!(
            "{} {} ({} {}): {}",
            f.rule, f.level, f.command, f.answer, f.message
        )
    });
    CaseResult {
        case: format!("fuzz #{} ({})", r.case.index, r.case.kind()),
        title: r.description.clone(),
        version: r.case.variant.version,
        role,
        verdict: r.verdict,
        level: r
            .executed
            .findings
            .iter()
            .map(|f| f.level)
            .min()
            .unwrap_or(Level::Info),
        clauses: Vec::new(),
        message: r.executed.error.clone().or(worst).unwrap_or_default(),
        findings: r
            .executed
            .findings
            .iter()
            .map(|f| Finding::new(f.rule.clone(), f.level, f.message.clone()))
            .collect(),
        exchanges: Vec::new(),
        kernel_diff: Vec::new(),
        duration: r.executed.timing.wall,
        kept: None,
        reproduce: String::new(),
        plugin_time: r.executed.timing.plugin,
        answers: None,
    }
}
