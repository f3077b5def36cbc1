//! `--format junit`: JUnit XML for CI systems.
//!
//! One test suite per spec version: a plugin author's first question is
//! "does my plugin conform at 1.0.0?", which a suite's totals then answer,
//! and a case runs at most once per version, so its id alone names its test
//! case uniquely within the suite (CI systems merge or flag test cases
//! whose names repeat in one suite).
//!
//! Each test case is named by the case id; its classname carries the rules
//! it checks, and its properties carry each rule's level and statement, so
//! the clause travels with the result into the CI system.
//!
//! Verdicts: fail is a `<failure>`, error an `<error>`, skip `<skipped>`
//! with its reason. A warning passes (it does not break the build unless
//! `--strict`, and then the verdict is already a fail) and says so at the
//! top of its system-out.

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::error::ReportError;
use super::human::{Detail, Palette, details};
use super::run_info::{RunInfo, ordered};
use crate::spec::Version;
use crate::spec::rule;
use crate::suite::{CaseResult, Verdict};

/// Renders the JUnit XML document.
pub fn render(info: &RunInfo, results: &[CaseResult]) -> Result<String, ReportError> {
    let mut by_version: BTreeMap<Version, Vec<&CaseResult>> = BTreeMap::new();
    for r in ordered(results) {
        by_version.entry(r.version).or_default().push(r);
    }

    let mut report = Report::new("cnitest");
    report.set_time(info.duration);
    for (version, results) in by_version {
        let mut suite = TestSuite::new(format!("CNI {version}"));
        suite.add_property(("cnitest", info.cnitest.as_str()));
        suite.add_property(("plugin", info.plugin.as_str()));
        suite.add_property(("role", info.role.as_str()));
        suite.add_property(("supportedVersions", &*info.supported_versions.join(",")));
        suite.add_property(("strict", if info.strict { "true" } else { "false" }));
        suite.set_time(results.iter().map(|r| r.duration).sum::<Duration>());
        for r in results {
            suite.add_test_case(test_case(r));
        }
        report.add_test_suite(suite);
    }

    let mut xml = report.to_string().map_err(ReportError::Junit)?;
    if !xml.ends_with('\n') {
        xml.push('\n');
    }
    Ok(xml)
}

fn test_case(r: &CaseResult) -> TestCase {
    let plain = Palette { color: false };
    let body = || {
        let mut text = String::new();
        details(&mut text, r, &plain, Detail::WithoutOutputs);
        expand_tabs(&text)
    };

    let status = match r.verdict {
        Verdict::Pass | Verdict::Warn => TestCaseStatus::success(),
        Verdict::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(r.message.as_str());
            s
        }
        Verdict::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(r.message.as_str());
            s.set_type(failure_type(r));
            s.set_description(body());
            s
        }
        Verdict::Error => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(r.message.as_str());
            s.set_type("harness error");
            s.set_description(body());
            s
        }
    };

    let mut tc = TestCase::new(r.case.as_str(), status);
    tc.set_classname(r.clauses.join(","));
    tc.set_time(r.duration);
    tc.add_property(("title", r.title.as_str()));
    tc.add_property(("version", r.version.as_str()));
    tc.add_property(("role", r.role.as_str()));
    tc.add_property(("verdict", r.verdict.as_str()));
    tc.add_property(("level", r.level.as_str()));
    for id in &r.clauses {
        let value = rule::lookup(id).map_or_else(
            || "(not in the catalogue)".to_owned(),
            |rule| format!("{}: {}", rule.level_text, rule.text),
        );
        tc.add_property((id.as_str(), value.as_str()));
    }

    let mut system_out = String::new();
    if r.verdict == Verdict::Warn {
        system_out.push_str("warning: ");
        system_out.push_str(&r.message);
        system_out.push('\n');
        system_out.push_str(&body());
    }
    let mut system_err = String::new();
    for e in &r.exchanges {
        let label = format!("--- step {} {} {}", e.step, e.command, e.plugin);
        system_out.push_str(&format!("{label}: stdout ({})\n", e.termination));
        push_output(&mut system_out, &e.stdout);
        system_err.push_str(&format!("{label}: stderr\n"));
        push_output(&mut system_err, &e.stderr);
    }
    if !system_out.is_empty() {
        tc.set_system_out(expand_tabs(&system_out));
    }
    if !system_err.is_empty() {
        tc.set_system_err(expand_tabs(&system_err));
    }
    tc
}

/// `MUST P-DEL-1`: the level and rule of the first finding, which CI
/// systems show beside the failure message.
fn failure_type(r: &CaseResult) -> String {
    match r.findings.first() {
        Some(f) => format!("{} {}", f.level, f.rule),
        None => format!("{} {}", r.level, r.clauses.join(",")),
    }
}

/// Tabs as spaces, to the next multiple of eight columns: quick-junit
/// strips terminal control characters from text, tabs among them, and a
/// Go stack trace is indented with tabs.
fn expand_tabs(text: &str) -> String {
    if !text.contains('\t') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut column = 0;
    for c in text.chars() {
        match c {
            '\t' => {
                let n = 8 - column % 8;
                out.extend(std::iter::repeat_n(' ', n));
                column += n;
            }
            '\n' => {
                out.push(c);
                column = 0;
            }
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
    out
}

fn push_output(out: &mut String, text: &str) {
    out.push_str(text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_expand_to_the_next_stop() {
        assert_eq!(expand_tabs("\tat x"), "        at x");
        assert_eq!(expand_tabs("ab\tc\n\td"), "ab      c\n        d");
        assert_eq!(expand_tabs("none"), "none");
    }
}
