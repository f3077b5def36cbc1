//! `--format tap`: TAP version 13, one test point per (case, version), with
//! YAML diagnostics for every result that did not pass.
//!
//! How verdicts map, since TAP knows only `ok` and `not ok`:
//! - pass: `ok`;
//! - warn: `ok`, with a diagnostics block saying `verdict: warn` and the
//!   findings. Not `# TODO`: TODO marks a failure the author expects, and
//!   a warning is neither a failure nor expected. Under `--strict` the
//!   result is already a `fail`;
//! - skip: `ok ... # SKIP reason`;
//! - fail: `not ok`;
//! - error: `not ok`, with `verdict: error`: the harness could not reach a
//!   verdict, and a TAP consumer must not count that as a pass.

use std::fmt::Write as _;

use super::json::millis;
use super::run_info::{RunInfo, ordered};
use super::yaml::Yaml;
use crate::spec::rule;
use crate::suite::{CaseResult, Summary, Verdict};

/// Renders the TAP 13 stream.
pub fn render(info: &RunInfo, results: &[CaseResult]) -> String {
    let results = ordered(results);
    let mut out = String::from("TAP version 13\n");
    let _ = writeln!(out, "1..{}", results.len());
    let _ = writeln!(
        out,
        "# cnitest {}: {} as {} plugin, supports {}",
        info.cnitest,
        comment(&info.plugin),
        info.role,
        comment(&info.supported_versions.join(", "))
    );
    for (i, r) in results.iter().enumerate() {
        let ok = match r.verdict {
            Verdict::Pass | Verdict::Warn | Verdict::Skip => "ok",
            Verdict::Fail | Verdict::Error => "not ok",
        };
        let _ = write!(
            out,
            "{ok} {} - {} @{} [{}]",
            i + 1,
            escape(&r.case),
            r.version,
            escape(&r.clauses.join(", "))
        );
        if r.verdict == Verdict::Skip {
            let _ = write!(out, " # SKIP {}", comment(&r.message));
        }
        out.push('\n');
        if matches!(r.verdict, Verdict::Fail | Verdict::Warn | Verdict::Error) {
            diagnostics(&mut out, r);
        }
    }
    let s = Summary::of(results.iter().copied());
    let _ = writeln!(
        out,
        "# pass {}, fail {}, warn {}, skip {}, error {}",
        s.pass, s.fail, s.warn, s.skip, s.error
    );
    out
}

/// The YAML block after a test point, indented two spaces as TAP 13 wants.
fn diagnostics(out: &mut String, r: &CaseResult) {
    let mut y = Yaml::new();
    y.word(0, false, "verdict", r.verdict.as_str());
    y.string(0, false, "message", &r.message);
    y.string(0, false, "title", &r.title);
    y.word(0, false, "role", r.role.as_str());
    y.word(0, false, "level", r.level.as_str());
    y.number(0, false, "duration_ms", millis(r.duration));
    if !r.findings.is_empty() {
        y.open(0, false, "findings");
        for f in &r.findings {
            y.string(4, true, "rule", &f.rule);
            y.word(4, false, "level", f.level.as_str());
            if let Some(rule) = rule::lookup(&f.rule) {
                y.string(4, false, "rule_text", rule.text);
            }
            y.string(4, false, "message", &f.message);
            if let Some(step) = f.step {
                y.number(4, false, "step", step as u64);
            }
        }
    }
    if !r.exchanges.is_empty() {
        y.open(0, false, "exchanges");
        for e in &r.exchanges {
            y.number(4, true, "step", e.step as u64);
            y.string(4, false, "command", &e.command);
            y.string(4, false, "plugin", &e.plugin);
            y.open(4, false, "env");
            for (k, v) in &e.env {
                y.string(6, false, k, v);
            }
            y.string(4, false, "stdin", &e.stdin);
            y.string(4, false, "termination", &e.termination);
            y.string(4, false, "stdout", &e.stdout);
            y.string(4, false, "stderr", &e.stderr);
            y.number(4, false, "duration_ms", e.duration_ms);
            y.string(4, false, "reproduce", &e.reproduce);
        }
    }
    if !r.kernel_diff.is_empty() {
        y.open(0, false, "kernel_diff");
        for line in &r.kernel_diff {
            y.item(2, line);
        }
    }
    if let Some(kept) = &r.kept {
        y.string(0, false, "kept", kept);
    }
    if !r.reproduce.is_empty() {
        y.string(0, false, "reproduce", &r.reproduce);
    }

    out.push_str("  ---\n");
    for line in y.finish().lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("  ...\n");
}

/// A test point's description: `#` would start a directive, so it is
/// escaped as TAP 13 says; a line break would end the test point.
fn escape(text: &str) -> String {
    text.replace('\\', r"\\")
        .replace('#', r"\#")
        .replace(['\n', '\r'], " ")
}

/// Text after `# SKIP` or in a comment: one line.
fn comment(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
