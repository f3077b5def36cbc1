//! The reports of a small synthetic run holding every verdict: each format
//! read back (JSON into its types, TAP by a small parser and a YAML reader,
//! JUnit by an XML reader) and checked against the run, then snapshotted.

use std::collections::BTreeMap;
use std::time::Duration;

use cnitest::report::json::JsonReport;
use cnitest::report::list::ListEntry;
use cnitest::report::{self, Format, RunInfo};
use cnitest::spec::Version;
use cnitest::spec::rule::{self, Level};
use cnitest::suite::{CaseResult, Exchange, Finding, Role, Summary, Verdict};
use quick_junit::{NonSuccessKind, TestCaseStatus};

/// A plugin's stdout that tests every escaping: quotes of both kinds,
/// markup characters, several lines, no single JSON value.
const STDOUT: &str =
    "{\n  \"code\": 7,\n  \"msg\": \"can't find \\\"eth0\\\" <&>\"\n}\nextra \"junk\" & <more>\n";
const STDERR: &str = "panic: <nil> & 'x'\n\tat del.go:42";

fn info() -> RunInfo {
    let mut info = RunInfo::new("/opt/cni/bin/mock plugin", Role::Interface);
    // Fixed, so snapshots do not change with the crate's version.
    info.cnitest = "0.0.0-test".to_owned();
    info.config = Some("/etc/cni/net.d/10-mock.conflist".to_owned());
    info.supported_versions = vec!["0.4.0".to_owned(), "1.0.0".to_owned(), "1.1.0".to_owned()];
    info.duration = Duration::from_millis(1234);
    info.cases = vec!["built-in".to_owned(), "/srv/extra-cases".to_owned()];
    info
}

fn result(case: &str, version: Version, verdict: Verdict, clauses: &[&str]) -> CaseResult {
    CaseResult {
        case: case.to_owned(),
        title: format!("the {case} scenario"),
        version,
        role: Role::Interface,
        verdict,
        level: Level::Must,
        clauses: clauses.iter().map(|c| (*c).to_owned()).collect(),
        message: String::new(),
        findings: vec![],
        exchanges: vec![],
        kernel_diff: vec![],
        duration: Duration::from_millis(10),
        kept: None,
        plugin_time: Default::default(),
        answers: None,
        reproduce: format!(
            "cnitest run --plugin '/opt/cni/bin/mock plugin' --role interface --filter '{case}' --versions {version}"
        ),
    }
}

/// One result of every verdict (two skips, to show them grouped), given
/// out of order as a parallel runner would.
fn results() -> Vec<CaseResult> {
    let pass = result("add/result", Version::V1_0_0, Verdict::Pass, &["F-RES-1"]);

    let mut fail = result(
        "del/twice",
        Version::V1_0_0,
        Verdict::Fail,
        &["P-DEL-1", "P-IO-1"],
    );
    fail.title = "DEL twice succeeds".to_owned();
    fail.findings = vec![
        Finding::new("P-DEL-1", Level::Must, "the second DEL failed with code 7").at_step(2),
        Finding::new(
            "P-IO-1",
            Level::Must,
            "stdout holds more than one JSON value",
        )
        .at_step(2),
    ];
    fail.message = fail.findings[0].to_string();
    fail.exchanges = vec![Exchange {
        step: 2,
        plugin: "/opt/cni/bin/mock plugin".to_owned(),
        command: "DEL".to_owned(),
        env: vec![
            ("CNI_COMMAND".to_owned(), "DEL".to_owned()),
            ("CNI_CONTAINERID".to_owned(), "cnitest-del-twice".to_owned()),
            ("CNI_NETNS".to_owned(), "/run/netns/cnitest-1".to_owned()),
            ("CNI_IFNAME".to_owned(), "eth0".to_owned()),
            ("CNI_PATH".to_owned(), "/opt/cni/bin".to_owned()),
        ],
        stdin: "{\"cniVersion\":\"1.0.0\",\"name\":\"mock\",\"type\":\"mock plugin\"}".to_owned(),
        termination: "exit status 1".to_owned(),
        stdout: STDOUT.to_owned(),
        stderr: STDERR.to_owned(),
        duration_ms: 3,
        reproduce: "cnitest exec del --config /tmp/step2.json --netns /run/netns/cnitest-1"
            .to_owned(),
    }];
    fail.kernel_diff = vec!["+ host: link veth1a2b3c (veth) up".to_owned()];
    fail.kept = Some("nsenter --net=/run/cnitest/kept/1/net -- sh".to_owned());
    fail.duration = Duration::from_millis(42);

    let mut warn = result(
        "check/link-down",
        Version::V0_4_0,
        Verdict::Warn,
        &["P-CHECK-4"],
    );
    warn.level = Level::Should;
    warn.findings = vec![Finding::new(
        "P-CHECK-4",
        Level::Should,
        "CHECK succeeded with the interface down",
    )];
    warn.message = warn.findings[0].to_string();

    let mut skips = Vec::new();
    for v in [Version::V1_0_0, Version::V1_1_0] {
        let mut skip = result("chain/prev-result-echoed", v, Verdict::Skip, &["P-CHAIN-1"]);
        skip.message = "applies to chained plugins; this one runs as interface".to_owned();
        skip.duration = Duration::ZERO;
        skips.push(skip);
    }

    let mut error = result(
        "add/concurrent",
        Version::V1_1_0,
        Verdict::Error,
        &["P-ADD-1"],
    );
    error.message =
        "could not make the container netns: Operation not permitted (os error 1)".to_owned();

    let mut out = vec![fail, skips.remove(1), pass, error, warn];
    out.extend(skips);
    out
}

fn snapshot(name: &str, description: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "../../snapshots/report",
        prepend_module_to_snapshot => false,
        description => description,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn json_reads_back_into_its_types() {
    let results = results();
    let text = report::json::render(&info(), &results).unwrap();
    let doc: JsonReport = serde_json::from_str(&text).unwrap();

    assert_eq!(doc.cnitest, "0.0.0-test");
    assert_eq!(doc.plugin.path, "/opt/cni/bin/mock plugin");
    assert_eq!(doc.plugin.supported_versions, ["0.4.0", "1.0.0", "1.1.0"]);
    assert_eq!(
        doc.summary,
        Summary {
            pass: 1,
            fail: 1,
            warn: 1,
            skip: 2,
            error: 1
        }
    );
    assert_eq!(doc.summary, Summary::of(&results));
    assert_eq!(doc.results.len(), results.len());
    let ids: Vec<(&str, Version)> = doc
        .results
        .iter()
        .map(|r| (r.case.as_str(), r.version))
        .collect();
    assert_eq!(
        ids,
        [
            ("add/concurrent", Version::V1_1_0),
            ("add/result", Version::V1_0_0),
            ("chain/prev-result-echoed", Version::V1_0_0),
            ("chain/prev-result-echoed", Version::V1_1_0),
            ("check/link-down", Version::V0_4_0),
            ("del/twice", Version::V1_0_0),
        ],
        "results in a stable order"
    );

    let fail = doc
        .results
        .iter()
        .find(|r| r.verdict == Verdict::Fail)
        .unwrap();
    assert_eq!(fail.case, "del/twice");
    assert_eq!(fail.level, Level::Must);
    assert_eq!(fail.clauses, ["P-DEL-1", "P-IO-1"]);
    assert_eq!(fail.duration_ms, 42);
    assert_eq!(
        fail.message,
        "P-DEL-1 MUST: the second DEL failed with code 7"
    );
    assert_eq!(fail.findings.len(), 2);
    assert_eq!(
        fail.findings[0].rule_text.as_deref(),
        Some(rule::lookup("P-DEL-1").unwrap().text)
    );
    assert_eq!(fail.exchanges[0].stdout, STDOUT);
    assert_eq!(fail.exchanges[0].stderr, STDERR);
    assert_eq!(fail.exchanges[0].env["CNI_COMMAND"], "DEL");
    assert!(
        fail.reproduce
            .as_deref()
            .unwrap()
            .ends_with("--filter 'del/twice' --versions 1.0.0")
    );
    let pass = doc
        .results
        .iter()
        .find(|r| r.verdict == Verdict::Pass)
        .unwrap();
    assert!(pass.findings.is_empty() && pass.exchanges.is_empty() && pass.reproduce.is_none());

    // The design's field names, exactly: a consumer written against the
    // design finds every one of them.
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in ["cnitest", "plugin", "summary", "results"] {
        assert!(raw.get(key).is_some(), "{key} missing");
    }
    assert!(raw["plugin"].get("supportedVersions").is_some());
    for r in raw["results"].as_array().unwrap() {
        for key in [
            "case",
            "version",
            "verdict",
            "level",
            "clauses",
            "message",
            "duration_ms",
        ] {
            assert!(r.get(key).is_some(), "results[].{key} missing in {r}");
        }
    }

    snapshot(
        "json",
        "The JSON report of the design (command line section) for every verdict",
        &text,
    );
}

/// A TAP 13 stream, as a consumer sees it.
#[derive(Debug)]
struct Tap {
    plan: usize,
    points: Vec<Point>,
}

#[derive(Debug)]
struct Point {
    ok: bool,
    number: usize,
    description: String,
    directive: Option<String>,
    yaml: Option<String>,
}

/// Reads TAP 13 strictly: the version line, the plan, test points numbered
/// in order, YAML blocks that directly follow a test point, are indented
/// two spaces and are closed; comments.
fn parse_tap(text: &str) -> Tap {
    let mut lines = text.lines().peekable();
    assert_eq!(lines.next(), Some("TAP version 13"));
    let plan = lines
        .next()
        .and_then(|l| l.strip_prefix("1.."))
        .expect("plan line");
    let plan: usize = plan.parse().expect("plan count");
    let mut points: Vec<Point> = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with('#') {
            continue;
        }
        let (ok, rest) = if let Some(rest) = line.strip_prefix("ok ") {
            (true, rest)
        } else if let Some(rest) = line.strip_prefix("not ok ") {
            (false, rest)
        } else {
            panic!("not a TAP line: {line:?}");
        };
        let (number, rest) = rest.split_once(" - ").expect("number and description");
        let (description, directive) = match rest.split_once(" # ") {
            Some((d, dir)) => (d.to_owned(), Some(dir.to_owned())),
            None => (rest.to_owned(), None),
        };
        let mut yaml = None;
        if lines.peek() == Some(&"  ---") {
            lines.next();
            let mut block = String::new();
            loop {
                let line = lines.next().expect("YAML block closed by `  ...`");
                if line == "  ..." {
                    break;
                }
                let inner = line
                    .strip_prefix("  ")
                    .unwrap_or_else(|| panic!("YAML line not indented: {line:?}"));
                block.push_str(inner);
                block.push('\n');
            }
            yaml = Some(block);
        }
        points.push(Point {
            ok,
            number: number.parse().expect("test number"),
            description,
            directive,
            yaml,
        });
    }
    Tap { plan, points }
}

#[derive(Debug, serde::Deserialize)]
struct Diagnostics {
    verdict: String,
    level: String,
    message: String,
    #[serde(default)]
    findings: Vec<BTreeMap<String, serde_norway::Value>>,
    #[serde(default)]
    exchanges: Vec<DiagExchange>,
    #[serde(default)]
    kernel_diff: Vec<String>,
    reproduce: String,
}

#[derive(Debug, serde::Deserialize)]
struct DiagExchange {
    env: BTreeMap<String, String>,
    stdin: String,
    termination: String,
    stdout: String,
    stderr: String,
    reproduce: String,
}

#[test]
fn tap_follows_tap13() {
    let results = results();
    let text = report::tap::render(&info(), &results);
    let tap = parse_tap(&text);

    assert_eq!(tap.plan, results.len());
    assert_eq!(tap.points.len(), tap.plan, "one test point per result");
    for (i, p) in tap.points.iter().enumerate() {
        assert_eq!(p.number, i + 1);
    }
    let s = Summary::of(&results);
    assert_eq!(
        tap.points.iter().filter(|p| !p.ok).count(),
        s.fail + s.error
    );
    let skips: Vec<&Point> = tap
        .points
        .iter()
        .filter(|p| p.directive.is_some())
        .collect();
    assert_eq!(skips.len(), s.skip);
    for p in skips {
        assert!(p.ok);
        assert_eq!(
            p.directive.as_deref(),
            Some("SKIP applies to chained plugins; this one runs as interface")
        );
        assert!(p.yaml.is_none());
    }

    let fail = tap
        .points
        .iter()
        .find(|p| p.description.starts_with("del/twice"))
        .unwrap();
    assert!(!fail.ok);
    assert_eq!(fail.description, "del/twice @1.0.0 [P-DEL-1, P-IO-1]");
    let diag: Diagnostics = serde_norway::from_str(fail.yaml.as_deref().unwrap()).unwrap();
    assert_eq!(diag.verdict, "fail");
    assert_eq!(diag.level, "MUST");
    assert_eq!(
        diag.message,
        "P-DEL-1 MUST: the second DEL failed with code 7"
    );
    assert_eq!(diag.findings.len(), 2);
    assert_eq!(
        diag.findings[0]["rule_text"],
        serde_norway::Value::String(rule::lookup("P-DEL-1").unwrap().text.to_owned())
    );
    let e = &diag.exchanges[0];
    assert_eq!(e.stdout, STDOUT, "multi-line stdout reads back exactly");
    assert_eq!(
        e.stderr, STDERR,
        "a tab forces escaping, and reads back exactly"
    );
    assert_eq!(e.env["CNI_IFNAME"], "eth0");
    assert_eq!(e.termination, "exit status 1");
    assert!(e.stdin.starts_with("{\"cniVersion\""));
    assert!(e.reproduce.starts_with("cnitest exec del"));
    assert_eq!(diag.kernel_diff, ["+ host: link veth1a2b3c (veth) up"]);
    assert!(diag.reproduce.contains("--filter 'del/twice'"));

    let warn = tap
        .points
        .iter()
        .find(|p| p.description.starts_with("check/link-down"))
        .unwrap();
    assert!(
        warn.ok && warn.directive.is_none(),
        "a warning is ok, without TODO"
    );
    let diag: Diagnostics = serde_norway::from_str(warn.yaml.as_deref().unwrap()).unwrap();
    assert_eq!(diag.verdict, "warn");

    let error = tap
        .points
        .iter()
        .find(|p| p.description.starts_with("add/concurrent"))
        .unwrap();
    assert!(!error.ok);
    let diag: Diagnostics = serde_norway::from_str(error.yaml.as_deref().unwrap()).unwrap();
    assert_eq!(diag.verdict, "error");

    let pass = tap
        .points
        .iter()
        .find(|p| p.description.starts_with("add/result"))
        .unwrap();
    assert!(pass.ok && pass.yaml.is_none());

    snapshot(
        "tap",
        "TAP 13 for every verdict: warn is ok with diagnostics, error is not ok",
        &text,
    );
}

#[test]
fn junit_is_well_formed_and_counts_match() {
    let results = results();
    let text = report::junit::render(&info(), &results).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&text)
        .unwrap_or_else(|e| panic!("not well-formed JUnit XML: {e}\n{text}"));

    let s = Summary::of(&results);
    assert_eq!(parsed.tests, results.len());
    assert_eq!(parsed.failures, s.fail);
    assert_eq!(parsed.errors, s.error);
    assert_eq!(parsed.skipped, s.skip);

    // The attributes agree with the elements.
    let cases: Vec<&quick_junit::TestCase> = parsed
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .collect();
    let count = |f: &dyn Fn(&TestCaseStatus) -> bool| cases.iter().filter(|c| f(&c.status)).count();
    assert_eq!(
        count(&|st| matches!(
            st,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                ..
            }
        )),
        s.fail
    );
    assert_eq!(
        count(&|st| matches!(
            st,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Error,
                ..
            }
        )),
        s.error
    );
    assert_eq!(
        count(&|st| matches!(st, TestCaseStatus::Skipped { .. })),
        s.skip
    );
    assert_eq!(
        count(&|st| matches!(st, TestCaseStatus::Success { .. })),
        s.pass + s.warn
    );

    let suites: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        suites,
        ["CNI 0.4.0", "CNI 1.0.0", "CNI 1.1.0"],
        "one suite per version"
    );

    let fail = cases
        .iter()
        .find(|c| c.name.as_str() == "del/twice")
        .unwrap();
    assert_eq!(fail.classname.as_ref().unwrap().as_str(), "P-DEL-1,P-IO-1");
    assert_eq!(fail.time, Some(Duration::from_millis(42)));
    let TestCaseStatus::NonSuccess {
        message,
        ty,
        description,
        ..
    } = &fail.status
    else {
        panic!("del/twice is not a failure: {:?}", fail.status);
    };
    assert_eq!(
        message.as_ref().unwrap().as_str(),
        "P-DEL-1 MUST: the second DEL failed with code 7"
    );
    assert_eq!(ty.as_ref().unwrap().as_str(), "MUST P-DEL-1");
    let description = description.as_ref().unwrap().as_str();
    assert!(
        description.contains(rule::lookup("P-IO-1").unwrap().text),
        "{description}"
    );
    assert!(description.contains("CNI_COMMAND=DEL"), "{description}");
    let out = fail.system_out.as_ref().unwrap().as_str();
    // XML readers may drop the whitespace that ends an element's text.
    assert!(
        out.contains(STDOUT.trim_end()),
        "stdout with <&> and quotes reads back:\n{out:?}"
    );
    let err = fail.system_err.as_ref().unwrap().as_str();
    assert!(
        err.contains("panic: <nil> & 'x'\n        at del.go:42"),
        "tabs expanded, not dropped: {err:?}"
    );
    assert!(
        text.contains("&lt;&amp;&gt;"),
        "markup characters are escaped"
    );

    let warn = cases
        .iter()
        .find(|c| c.name.as_str() == "check/link-down")
        .unwrap();
    assert!(matches!(warn.status, TestCaseStatus::Success { .. }));
    assert!(
        warn.system_out
            .as_ref()
            .unwrap()
            .as_str()
            .starts_with("warning: P-CHECK-4 SHOULD")
    );

    let skip = cases
        .iter()
        .find(|c| c.name.as_str() == "chain/prev-result-echoed")
        .unwrap();
    let TestCaseStatus::Skipped { message, .. } = &skip.status else {
        panic!("not skipped: {:?}", skip.status);
    };
    assert_eq!(
        message.as_ref().unwrap().as_str(),
        "applies to chained plugins; this one runs as interface"
    );

    snapshot(
        "junit",
        "JUnit XML for every verdict: one suite per spec version, rules in the classname",
        &text,
    );
}

#[test]
fn human_report_names_each_broken_rule_with_its_text() {
    let results = results();
    let text = report::human::render(&info(), &results, false);
    assert!(!text.contains('\x1b'), "no colour unless asked");

    for r in results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Warn))
    {
        assert!(
            text.contains(&format!("{} @{} ({})", r.case, r.version, r.role)),
            "{}",
            r.case
        );
        for f in &r.findings {
            let rule = rule::lookup(&f.rule).unwrap();
            assert!(
                text.contains(&format!("{} {}: {}", f.rule, f.level, rule.text)),
                "{} with its catalogue text:\n{text}",
                f.rule
            );
            assert!(text.contains(&f.message));
        }
    }
    for needle in [
        "CNI_CONTAINERID=cnitest-del-twice",
        "| extra \"junk\" & <more>",
        "exit status 1",
        "+ host: link veth1a2b3c (veth) up",
        "reproduce: cnitest exec del",
        "rerun: cnitest run --plugin '/opt/cni/bin/mock plugin' --role interface --filter 'del/twice'",
        "kept: nsenter",
        "harness error, not the plugin's fault: could not make the container netns",
        "chain/prev-result-echoed @1.0.0,1.1.0: applies to chained plugins",
        "6 results in 1.2 s: 1 pass, 1 fail, 1 warn, 2 skip, 1 error",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }

    let coloured = report::human::render(&info(), &results, true);
    assert!(coloured.contains("\x1b["));

    snapshot(
        "human",
        "The human report for every verdict: clause text, exchanges, kernel diff, rerun",
        &text,
    );
}

#[test]
fn long_output_is_cut_in_the_human_report_only() {
    let mut results = results();
    let long: String = (0..500).map(|i| format!("line {i}\n")).collect();
    results[0].exchanges[0].stdout = long.clone();
    let text = report::human::render(&info(), &results, false);
    assert!(text.contains("| line 39\n"));
    assert!(!text.contains("| line 40\n"));
    assert!(text.contains(&format!("cut: {} bytes, 500 lines in all", long.len())));

    let json: JsonReport =
        serde_json::from_str(&report::json::render(&info(), &results).unwrap()).unwrap();
    let fail = json
        .results
        .iter()
        .find(|r| r.verdict == Verdict::Fail)
        .unwrap();
    assert_eq!(fail.exchanges[0].stdout, long);
}

#[test]
fn render_dispatches_on_the_format() {
    let (info, results) = (info(), results());
    assert_eq!(
        report::render(Format::Human, &info, &results, false).unwrap(),
        report::human::render(&info, &results, false)
    );
    assert_eq!(
        report::render(Format::Tap, &info, &results, true).unwrap(),
        report::tap::render(&info, &results)
    );
    assert_eq!(
        report::render(Format::Junit, &info, &results, false).unwrap(),
        report::junit::render(&info, &results).unwrap()
    );
    assert_eq!(
        report::render(Format::Json, &info, &results, false).unwrap(),
        report::json::render(&info, &results).unwrap()
    );
}

#[test]
fn an_empty_run_renders() {
    let info = info();
    assert!(report::tap::render(&info, &[]).starts_with("TAP version 13\n1..0\n"));
    let doc: JsonReport = serde_json::from_str(&report::json::render(&info, &[]).unwrap()).unwrap();
    assert_eq!(doc.summary, Summary::default());
    let xml = report::junit::render(&info, &[]).unwrap();
    assert_eq!(
        quick_junit::Report::deserialize_from_str(&xml)
            .unwrap()
            .tests,
        0
    );
    assert!(report::human::render(&info, &[], false).contains("0 results"));
}

fn cases() -> Vec<cnitest::suite::Case> {
    let parse = |id: &str, text: &str| cnitest::suite::case::parse(id, "test", text).unwrap();
    vec![
        parse(
            "del/twice",
            r#"
title = "DEL twice succeeds"
rules = ["P-DEL-1"]
[[steps]]
run = "add"
expect = "success"
[[steps]]
run = "del"
expect = "success"
"#,
        ),
        parse(
            "check/link-down",
            r#"
title = "CHECK notices a link that is down"
rules = ["P-CHECK-4", "P-CHECK-1"]
level = "SHOULD"
versions = ">=0.4.0"
roles = ["interface"]
needs = ["kind:veth"]
[[steps]]
run = "add"
expect = "success"
"#,
        ),
        parse(
            "add/result",
            r#"
title = "ADD prints a result of the requested version"
rules = ["F-RES-1"]
versions = "<=0.3.1"
[[steps]]
run = "add"
expect = "success"
"#,
        ),
    ]
}

#[test]
fn list_shows_every_case_with_its_rules() {
    let cases = cases();
    let text = report::list::human(&cases);
    for needle in [
        "add (1 case)",
        "check (1 case)",
        "del (1 case)",
        "P-CHECK-4 SHOULD, P-CHECK-1 MUST",
        ">=0.4.0",
        "<=0.3.1",
        "kind:veth",
        "3 cases citing 4 distinct rules",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    // Aligned: every row's title starts in the same column.
    let columns: Vec<usize> = cases
        .iter()
        .map(|c| {
            let row = text.lines().find(|l| l.contains(&c.id)).unwrap();
            row.find(&c.title).unwrap()
        })
        .collect();
    assert_eq!(columns.len(), 3);
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "{text}");

    let json = report::list::json(&cases).unwrap();
    let entries: Vec<ListEntry> = serde_json::from_str(&json).unwrap();
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["add/result", "check/link-down", "del/twice"]);
    let check = &entries[1];
    assert_eq!(check.level, Level::Should);
    assert_eq!(check.rules[1].id, "P-CHECK-1");
    assert_eq!(check.rules[1].level, Level::Must);
    assert_eq!(check.rules[1].text, rule::lookup("P-CHECK-1").unwrap().text);
    assert_eq!(
        check.versions,
        [Version::V0_4_0, Version::V1_0_0, Version::V1_1_0]
    );
    assert_eq!(check.roles, [Role::Interface]);
    assert_eq!(check.needs, ["kind:veth"]);

    snapshot(
        "list_human",
        "cnitest list: cases grouped by area, rules with their levels",
        &text,
    );
    snapshot("list_json", "cnitest list --format json", &json);
}
