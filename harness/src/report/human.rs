//! The report a person reads at the end of a run: every result that did
//! not pass in full (the clause, the findings, what was sent and what came
//! back, the kernel diff, how to repeat it), the skips with their reasons,
//! and a summary per version and per area, last, where a terminal shows it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use anstyle::{AnsiColor, Style};

use super::run_info::{RunInfo, area, ordered};
use crate::spec::Version;
use crate::spec::rule::{self, Level};
use crate::suite::{CaseResult, Exchange, Summary, Verdict};

/// A plugin's output longer than this many lines is cut in this report
/// (the JSON, TAP and JUnit reports keep it whole).
const MAX_LINES: usize = 40;
/// ... or longer than this many bytes.
const MAX_BYTES: usize = 4096;

/// Renders the human report; `color` adds ANSI styles.
pub fn render(info: &RunInfo, results: &[CaseResult], color: bool) -> String {
    let pal = Palette { color };
    let mut out = String::new();
    header(&mut out, info, &pal);

    let results = ordered(results);
    for r in &results {
        if matches!(r.verdict, Verdict::Fail | Verdict::Warn | Verdict::Error) {
            out.push('\n');
            let _ = writeln!(
                out,
                "{} {} @{} ({}): {}",
                pal.verdict(r.verdict),
                pal.bold(&r.case),
                r.version,
                r.role,
                r.title
            );
            details(&mut out, r, &pal, Detail::Full);
        }
    }
    skipped(&mut out, &results);
    summary(&mut out, info, &results, &pal);
    out
}

/// How much of a result [`details`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Everything, outputs cut to a screenful.
    Full,
    /// Everything but the plugin's stdout and stderr, which the caller
    /// shows elsewhere (JUnit's system-out and system-err), uncut.
    WithoutOutputs,
}

/// Writes the body of a non-pass result: clauses with their catalogue text,
/// findings, exchanges, kernel diff, the rerun command and `kept`.
pub(crate) fn details(out: &mut String, r: &CaseResult, pal: &Palette, detail: Detail) {
    if r.verdict == Verdict::Error {
        let _ = writeln!(
            out,
            "  harness error, not the plugin's fault: {}",
            r.message
        );
    } else if r.findings.is_empty() && !r.message.is_empty() {
        let _ = writeln!(out, "  {}", r.message);
    }

    let rules = cited_rules(r);
    if !rules.is_empty() {
        let _ = writeln!(out, "  {}", pal.bold("rules"));
        for (id, level) in &rules {
            let text = rule::lookup(id).map_or("(not in the catalogue)", |rule| rule.text);
            let _ = writeln!(out, "    {id} {level}: {text}");
        }
    }
    if !r.findings.is_empty() {
        let _ = writeln!(out, "  {}", pal.bold("findings"));
        for f in &r.findings {
            let step = f.step.map(|s| format!(" (step {s})")).unwrap_or_default();
            let _ = writeln!(out, "    {} {}{step}: {}", f.rule, f.level, f.message);
        }
    }
    for e in &r.exchanges {
        exchange(out, e, pal, detail);
    }
    if !r.kernel_diff.is_empty() {
        let _ = writeln!(out, "  {}", pal.bold("kernel diff"));
        for line in &r.kernel_diff {
            let _ = writeln!(out, "    {line}");
        }
    }
    if !r.reproduce.is_empty() {
        let _ = writeln!(out, "  {} {}", pal.bold("rerun:"), r.reproduce);
    }
    if let Some(kept) = &r.kept {
        let _ = writeln!(out, "  {} {kept}", pal.bold("kept:"));
    }
}

/// The rules a result cites, then those only its findings name, each with
/// its level at the version the case ran at.
fn cited_rules(r: &CaseResult) -> Vec<(String, Level)> {
    let level_of = |id: &str| {
        r.findings
            .iter()
            .find(|f| f.rule == id)
            .map(|f| f.level)
            .or_else(|| rule::lookup(id).map(|rule| rule.level.at(r.version)))
            .unwrap_or(r.level)
    };
    let mut ids: Vec<&str> = r.clauses.iter().map(String::as_str).collect();
    for f in &r.findings {
        if !ids.contains(&f.rule.as_str()) {
            ids.push(&f.rule);
        }
    }
    ids.into_iter()
        .map(|id| (id.to_owned(), level_of(id)))
        .collect()
}

fn exchange(out: &mut String, e: &Exchange, pal: &Palette, detail: Detail) {
    let _ = writeln!(
        out,
        "  {} {} {}: {} after {} ms",
        pal.bold(&format!("step {}:", e.step)),
        e.command,
        e.plugin,
        e.termination,
        e.duration_ms
    );
    let _ = writeln!(out, "    sent env:");
    for (k, v) in &e.env {
        let _ = writeln!(out, "      {k}={v}");
    }
    block(out, "sent stdin", &e.stdin, detail == Detail::Full);
    if detail == Detail::Full {
        block(out, "stdout", &e.stdout, true);
        block(out, "stderr", &e.stderr, true);
    }
    let _ = writeln!(out, "    reproduce: {}", e.reproduce);
}

/// A labelled text, each line behind `| ` so that its edges (leading and
/// trailing spaces, blank lines) stay visible.
fn block(out: &mut String, label: &str, text: &str, cut: bool) {
    if text.is_empty() {
        let _ = writeln!(out, "    {label}: (empty)");
        return;
    }
    let _ = writeln!(out, "    {label}:");
    let (shown, note) = if cut { cut_text(text) } else { (text, None) };
    for line in shown.strip_suffix('\n').unwrap_or(shown).split('\n') {
        let _ = writeln!(out, "      | {line}");
    }
    if let Some(note) = note {
        let _ = writeln!(out, "      {note}");
    }
}

/// The head of `text` within [`MAX_LINES`] and [`MAX_BYTES`], and a note of
/// the full size when it was cut.
fn cut_text(text: &str) -> (&str, Option<String>) {
    let mut end = text.len();
    if let Some((i, _)) = text.match_indices('\n').nth(MAX_LINES - 1) {
        end = i + 1;
    }
    if end > MAX_BYTES {
        end = MAX_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
    }
    if end == text.len() {
        return (text, None);
    }
    let lines = text.lines().count();
    let note = format!(
        "... cut: {} bytes, {lines} lines in all (--format json keeps them)",
        text.len()
    );
    (&text[..end], Some(note))
}

fn header(out: &mut String, info: &RunInfo, pal: &Palette) {
    let supports = if info.supported_versions.is_empty() {
        "no versions advertised".to_owned()
    } else {
        format!("supports {}", info.supported_versions.join(", "))
    };
    let _ = writeln!(
        out,
        "{} {}: {} as {} plugin ({supports})",
        pal.bold("cnitest"),
        info.cnitest,
        info.plugin,
        info.role
    );
    let mut second = format!("cases: {}", info.cases.join(", "));
    if let Some(config) = &info.config {
        let _ = write!(second, "; config: {}", config);
    }
    if info.strict {
        second.push_str("; strict: warnings fail");
    }
    let _ = writeln!(out, "{second}");
}

/// Skips, one line per case and reason with the versions it concerns, so a
/// skip is never silent.
fn skipped(out: &mut String, results: &[&CaseResult]) {
    let mut groups: BTreeMap<(&str, &str), Vec<Version>> = BTreeMap::new();
    for r in results.iter().filter(|r| r.verdict == Verdict::Skip) {
        groups
            .entry((r.case.as_str(), r.message.as_str()))
            .or_default()
            .push(r.version);
    }
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nskipped:");
    for ((case, reason), versions) in groups {
        let versions: Vec<&str> = versions.iter().map(|v| v.as_str()).collect();
        let _ = writeln!(out, "  {case} @{}: {reason}", versions.join(","));
    }
}

fn summary(out: &mut String, info: &RunInfo, results: &[&CaseResult], pal: &Palette) {
    let mut by_version: BTreeMap<Version, Summary> = BTreeMap::new();
    let mut by_area: BTreeMap<&str, Summary> = BTreeMap::new();
    for r in results {
        by_version.entry(r.version).or_default().add(r.verdict);
        by_area.entry(area(&r.case)).or_default().add(r.verdict);
    }
    let total = Summary::of(results.iter().copied());

    let mut rows: Vec<(String, Summary)> = Vec::new();
    rows.extend(by_version.iter().map(|(v, s)| (format!("version {v}"), *s)));
    rows.extend(by_area.iter().map(|(a, s)| (format!("area {a}"), *s)));
    rows.push(("total".to_owned(), total));

    let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let _ = writeln!(out, "\n{}", pal.bold("summary"));
    let _ = writeln!(
        out,
        "  {:width$}  {:>5} {:>5} {:>5} {:>5} {:>5}",
        "", "pass", "fail", "warn", "skip", "error"
    );
    for (i, (label, s)) in rows.iter().enumerate() {
        // A blank line between the per-version, per-area and total parts.
        if i == by_version.len() || i == by_version.len() + by_area.len() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "  {label:width$}  {} {} {} {} {}",
            pal.count(s.pass, Verdict::Pass),
            pal.count(s.fail, Verdict::Fail),
            pal.count(s.warn, Verdict::Warn),
            pal.count(s.skip, Verdict::Skip),
            pal.count(s.error, Verdict::Error),
        );
    }

    let outcome = if total.fail > 0 {
        pal.paint("FAILED", Verdict::Fail)
    } else if total.error > 0 {
        pal.paint("ERROR", Verdict::Error)
    } else {
        pal.paint("OK", Verdict::Pass)
    };
    let _ = writeln!(
        out,
        "\n{outcome}: {} results in {}: {} pass, {} fail, {} warn, {} skip, {} error",
        total.total(),
        duration(info.duration),
        total.pass,
        total.fail,
        total.warn,
        total.skip,
        total.error
    );
}

/// `850 ms`, `12.3 s`.
pub(crate) fn duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Styles, or none: the caller decides from the terminal and `NO_COLOR`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Palette {
    pub(crate) color: bool,
}

impl Palette {
    fn style(verdict: Verdict) -> Style {
        let color = match verdict {
            Verdict::Pass => AnsiColor::Green,
            Verdict::Warn => AnsiColor::Yellow,
            Verdict::Skip => AnsiColor::Cyan,
            Verdict::Fail => AnsiColor::Red,
            Verdict::Error => AnsiColor::Magenta,
        };
        Style::new().bold().fg_color(Some(color.into()))
    }

    fn paint(&self, text: &str, verdict: Verdict) -> String {
        if self.color {
            let s = Palette::style(verdict);
            format!("{s}{text}{s:#}")
        } else {
            text.to_owned()
        }
    }

    /// `FAIL`, `WARN`, ... padded to one width.
    pub(crate) fn verdict(&self, verdict: Verdict) -> String {
        let word = format!("{:<5}", verdict.as_str().to_uppercase());
        self.paint(&word, verdict)
    }

    pub(crate) fn bold(&self, text: &str) -> String {
        if self.color {
            let s = Style::new().bold();
            format!("{s}{text}{s:#}")
        } else {
            text.to_owned()
        }
    }

    /// A right-aligned count, coloured only when it is not zero.
    fn count(&self, n: usize, verdict: Verdict) -> String {
        let cell = format!("{n:>5}");
        if n == 0 {
            cell
        } else {
            self.paint(&cell, verdict)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_output_is_cut_with_its_size() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let (shown, note) = cut_text(&text);
        assert_eq!(shown.lines().count(), MAX_LINES);
        let note = note.unwrap();
        assert!(note.contains(&format!("{} bytes", text.len())), "{note}");
        assert!(note.contains("100 lines"), "{note}");

        let wide = "é".repeat(MAX_BYTES);
        let (shown, note) = cut_text(&wide);
        assert!(shown.len() <= MAX_BYTES && note.is_some());

        assert_eq!(cut_text("short\n"), ("short\n", None));
    }

    #[test]
    fn colour_only_when_asked() {
        assert_eq!(Palette { color: false }.verdict(Verdict::Fail), "FAIL ");
        let coloured = Palette { color: true }.verdict(Verdict::Fail);
        assert!(coloured.starts_with("\x1b[") && coloured.contains("FAIL"));
    }
}
