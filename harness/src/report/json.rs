//! `--format json`: the one document the design specifies, as typed structs
//! so that producers and consumers (the project's tests among them) share
//! one definition.
//!
//! The design's fields are a contract: they are never renamed or dropped.
//! Fields beyond them (role, title, findings, exchanges, ...) are additions
//! a consumer may ignore.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::ReportError;
use super::run_info::{RunInfo, ordered};
use crate::spec::Version;
use crate::spec::rule::{self, Level};
use crate::suite::{CaseResult, Exchange, Finding, Role, Summary, Verdict};

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonReport {
    pub cnitest: String,
    pub plugin: JsonPlugin,
    pub summary: Summary,
    pub results: Vec<JsonResult>,
    // Additions to the design's document.
    pub role: Role,
    pub strict: bool,
    pub duration_ms: u64,
    /// Where the cases came from: `built-in`, then each `--cases` directory.
    #[serde(default)]
    pub case_sources: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonPlugin {
    pub path: String,
    /// Spelled as CNI spells it in a VERSION answer.
    #[serde(rename = "supportedVersions")]
    pub supported_versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
}

/// One (case, version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonResult {
    pub case: String,
    pub version: Version,
    pub verdict: Verdict,
    pub level: Level,
    pub clauses: Vec<String>,
    pub message: String,
    pub duration_ms: u64,
    // Additions to the design's document.
    /// The wall time of the case's plugin calls, summed.
    #[serde(default)]
    pub plugin_ms: u64,
    pub role: Role,
    pub title: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<JsonFinding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<JsonExchange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kernel_diff: Vec<String>,
    /// How to enter the sandbox `--keep-failed` kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<String>,
    /// A `cnitest run` command that repeats this (case, version) alone; set
    /// for results that did not pass or skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduce: Option<String>,
}

/// A finding, with the rule's statement from the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonFinding {
    pub rule: String,
    pub level: Level,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// The rule's one-sentence statement, when the catalogue has the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_text: Option<String>,
}

/// One plugin call of a result that did not pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonExchange {
    pub step: usize,
    pub plugin: String,
    pub command: String,
    pub env: BTreeMap<String, String>,
    pub stdin: String,
    pub termination: String,
    pub stdout: String,
    pub stderr: String,
    pub duration_ms: u64,
    pub reproduce: String,
}

/// The document for a run.
pub fn document(info: &RunInfo, results: &[CaseResult]) -> JsonReport {
    JsonReport {
        cnitest: info.cnitest.clone(),
        plugin: JsonPlugin {
            path: info.plugin.clone(),
            supported_versions: info.supported_versions.clone(),
            config: info.config.clone(),
        },
        summary: Summary::of(results),
        results: ordered(results).into_iter().map(result).collect(),
        role: info.role,
        strict: info.strict,
        duration_ms: millis(info.duration),
        case_sources: info.cases.clone(),
    }
}

/// The document as pretty-printed JSON, ending with a newline.
pub fn render(info: &RunInfo, results: &[CaseResult]) -> Result<String, ReportError> {
    let mut out =
        serde_json::to_string_pretty(&document(info, results)).map_err(ReportError::Json)?;
    out.push('\n');
    Ok(out)
}

fn result(r: &CaseResult) -> JsonResult {
    let reproduce = (matches!(r.verdict, Verdict::Fail | Verdict::Warn | Verdict::Error)
        && !r.reproduce.is_empty())
    .then(|| r.reproduce.clone());
    JsonResult {
        case: r.case.clone(),
        version: r.version,
        verdict: r.verdict,
        level: r.level,
        clauses: r.clauses.clone(),
        message: r.message.clone(),
        duration_ms: millis(r.duration),
        plugin_ms: millis(r.plugin_time),
        role: r.role,
        title: r.title.clone(),
        findings: r.findings.iter().map(finding).collect(),
        exchanges: r.exchanges.iter().map(exchange).collect(),
        kernel_diff: r.kernel_diff.clone(),
        kept: r.kept.clone(),
        reproduce,
    }
}

fn finding(f: &Finding) -> JsonFinding {
    JsonFinding {
        rule: f.rule.clone(),
        level: f.level,
        message: f.message.clone(),
        step: f.step,
        rule_text: rule::lookup(&f.rule).map(|r| r.text.to_owned()),
    }
}

fn exchange(e: &Exchange) -> JsonExchange {
    JsonExchange {
        step: e.step,
        plugin: e.plugin.clone(),
        command: e.command.clone(),
        env: e.env.iter().cloned().collect(),
        stdin: e.stdin.clone(),
        termination: e.termination.clone(),
        stdout: e.stdout.clone(),
        stderr: e.stderr.clone(),
        duration_ms: e.duration_ms,
        reproduce: e.reproduce.clone(),
    }
}

/// Whole milliseconds; a run longer than u64 milliseconds does not happen.
pub(crate) fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
