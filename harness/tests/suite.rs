//! The suite proves itself on the reference plugins: clean, they pass every
//! case in each role; with each fault switch on, the cases that cite the
//! broken rule catch it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cnitest::suite::case::{self, Case};
use cnitest::suite::plan::Selection;
use cnitest::suite::runner::{self, RunOptions};
use cnitest::suite::snapshot;
use cnitest::suite::target::Target;
use cnitest::suite::{CaseResult, Role, Verdict};
use serde_json::json;

use crate::support::reference_plugins;

fn cases() -> Vec<Arc<Case>> {
    case::builtin().unwrap().into_iter().map(Arc::new).collect()
}

fn options(filters: Vec<String>) -> RunOptions {
    RunOptions {
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        timeout: Duration::from_secs(10),
        output_limit: cnitest::runtime::invoke::DEFAULT_OUTPUT_LIMIT,
        strict: false,
        selection: Selection {
            filters,
            ..Selection::default()
        },
        rerun_args: String::new(),
        missing_kinds: Vec::new(),
        keep_failed: false,
        stub_exe: Some(crate::support::cnitest_exe()),
        snapshots: false,
    }
}

/// The configuration each reference plugin is tested with, faults in place.
fn config(dir: &Path, plugin: &str, faults: &[&str]) -> PathBuf {
    let ipam_faults: Vec<&str> = if plugin == "cni-reference-ipam" {
        faults.to_vec()
    } else {
        Vec::new()
    };
    let top_faults: Vec<&str> = if plugin == "cni-reference-ipam" {
        Vec::new()
    } else {
        faults.to_vec()
    };
    let ipam = json!({"type": "cni-reference-ipam", "ranges": [[{"subnet": "10.77.0.0/24"}]],
                      "routes": [{"dst": "0.0.0.0/0"}], "faults": ipam_faults});
    let plugins = match plugin {
        "cni-reference-tuning" => json!([
            {"type": "cni-reference", "ipam": ipam},
            {"type": "cni-reference-tuning", "mtu": 1400, "capabilities": {"mac": true}, "faults": top_faults}
        ]),
        _ => {
            json!([{"type": "cni-reference", "capabilities": {"mac": true}, "ipam": ipam, "faults": top_faults}])
        }
    };
    let path = dir.join(format!("{plugin}.conflist"));
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(
            &json!({"cniVersion": "1.1.0", "name": "refnet", "plugins": plugins}),
        )
        .unwrap(),
    )
    .unwrap();
    path
}

fn run(plugin: &str, faults: &[&str], filters: Vec<String>) -> Vec<CaseResult> {
    run_with(plugin, faults, filters, false)
}

fn run_with(
    plugin: &str,
    faults: &[&str],
    filters: Vec<String>,
    snapshots: bool,
) -> Vec<CaseResult> {
    let bin = reference_plugins();
    let tmp = tempfile::tempdir().unwrap();
    let conf = config(tmp.path(), plugin, faults);
    let target = Target::new(
        &bin.join(plugin),
        Some(&conf),
        None,
        std::slice::from_ref(&bin),
    )
    .unwrap();
    let mut opts = options(filters);
    opts.snapshots = snapshots;
    if !faults.is_empty() {
        // Some switches hang on purpose; the cases that catch them need
        // only see that the plugin does not answer.
        opts.timeout = Duration::from_secs(3);
    }
    let probe = runner::probe(&target, opts.timeout).unwrap();
    runner::run(&target, &cases(), &opts, probe, &|| false, &|_| {}, &|_| {}).results
}

fn describe(results: &[CaseResult]) -> String {
    results
        .iter()
        .map(|r| {
            format!(
                "{} @{} [{}] {}: {}",
                r.case, r.version, r.role, r.verdict, r.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[rstest::rstest]
#[case::interface("cni-reference", Role::Interface)]
#[case::chained("cni-reference-tuning", Role::Chained)]
#[case::ipam("cni-reference-ipam", Role::Ipam)]
fn the_reference_plugins_pass_every_case(#[case] plugin: &str, #[case] role: Role) {
    let mut results = run_with(plugin, &[], Vec::new(), true);
    // Their answers, for every case and version, are the project's own
    // snapshots: a change in any of them is a change in the reference
    // plugins (or the suite) that someone must accept on purpose.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../snapshots/reference")
        .join(role.as_str());
    let mode = if std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "always") {
        snapshot::Mode::Update
    } else if std::env::var("CI").is_ok() || std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "no")
    {
        snapshot::Mode::Strict
    } else {
        snapshot::Mode::Compare
    };
    snapshot::apply(&dir, &mut results, mode, false).unwrap();
    let stale = snapshot::stale(&dir, &results).unwrap();
    assert!(
        stale.is_empty(),
        "stale or pending snapshots in {}: {stale:?}",
        dir.display()
    );
    assert!(results.iter().all(|r| r.role == role));
    let bad: Vec<CaseResult> = results
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Pass | Verdict::Skip))
        .cloned()
        .collect();
    assert!(bad.is_empty(), "{plugin} as {role}:\n{}", describe(&bad));
    let ran = results
        .iter()
        .filter(|r| r.verdict == Verdict::Pass)
        .count();
    assert!(
        ran > 40,
        "only {ran} cases ran for {plugin}:\n{}",
        describe(&results)
    );
    for r in results.iter().filter(|r| r.verdict == Verdict::Skip) {
        assert!(!r.message.is_empty(), "a skip without a reason: {}", r.case);
    }
}

/// Which cases catch each fault switch, and how: `Fail` for a broken MUST,
/// `Warn` for a SHOULD. Every switch of `reference-plugin/FAULTS.md` is
/// here, run on the plugin that shows it (a switch on the interface plugin
/// that its IPAM delegate would mask is run on the IPAM plugin).
/// A fault switch, the plugin it is run on, and the cases that catch it.
type Caught = (
    &'static str,
    &'static str,
    &'static [(&'static str, Verdict)],
);

const CAUGHT_BY: &[Caught] = &[
    (
        "result-wrong-version",
        "cni-reference",
        &[("add/result", Verdict::Fail)],
    ),
    (
        "result-no-ip-version",
        "cni-reference",
        &[("add/result", Verdict::Fail)],
    ),
    (
        "result-interface-out-of-range",
        "cni-reference",
        &[("add/result", Verdict::Fail)],
    ),
    (
        "result-address-not-cidr",
        "cni-reference",
        &[("add/result", Verdict::Fail)],
    ),
    (
        "result-wrong-mac",
        "cni-reference",
        &[("add/kernel", Verdict::Fail)],
    ),
    (
        "version-rejects-advertised",
        "cni-reference",
        &[("add/result", Verdict::Fail)],
    ),
    (
        "version-no-echo",
        "cni-reference",
        &[("version/answer-given-config", Verdict::Warn)],
    ),
    (
        "version-accepts-unsupported",
        "cni-reference-ipam",
        &[
            ("version/unsupported", Verdict::Warn),
            ("version/unreleased", Verdict::Warn),
        ],
    ),
    (
        "error-unsupported-version-code",
        "cni-reference",
        &[("version/unsupported", Verdict::Warn)],
    ),
    (
        "error-on-stderr",
        "cni-reference",
        &[
            ("error/format", Verdict::Fail),
            ("add/netns-missing", Verdict::Warn),
        ],
    ),
    (
        "error-exit-zero",
        "cni-reference",
        &[("error/format", Verdict::Fail)],
    ),
    (
        "error-reserved-code",
        "cni-reference",
        &[("error/format", Verdict::Fail)],
    ),
    (
        "error-no-cni-version",
        "cni-reference",
        &[("error/format", Verdict::Warn)],
    ),
    (
        "stdout-log-line",
        "cni-reference",
        &[("add/result", Verdict::Fail)],
    ),
    (
        "stdout-huge",
        "cni-reference",
        &[("add/result", Verdict::Fail)],
    ),
    (
        "check-prints-result",
        "cni-reference",
        &[("check/after-add", Verdict::Fail)],
    ),
    (
        "env-containerid-unchecked",
        "cni-reference",
        &[("env/check-missing-containerid", Verdict::Fail)],
    ),
    (
        "env-error-unnamed",
        "cni-reference",
        &[
            ("env/add-missing-netns", Verdict::Fail),
            ("env/del-missing-ifname", Verdict::Fail),
        ],
    ),
    (
        "unknown-command-ok",
        "cni-reference",
        &[("env/unknown-command", Verdict::Fail)],
    ),
    (
        "add-over-existing",
        "cni-reference",
        &[("add/existing-interface", Verdict::Fail)],
    ),
    (
        "add-ignores-ifname",
        "cni-reference",
        &[("add/ifname", Verdict::Fail)],
    ),
    (
        "del-not-idempotent",
        "cni-reference",
        &[
            ("del/twice", Verdict::Fail),
            ("del/never-added", Verdict::Fail),
        ],
    ),
    (
        "del-needs-netns",
        "cni-reference",
        &[
            ("del/netns-gone", Verdict::Warn),
            ("del/without-netns", Verdict::Fail),
        ],
    ),
    (
        "del-leaks-host-veth",
        "cni-reference",
        &[("del/leaves-nothing", Verdict::Warn)],
    ),
    (
        "del-keeps-reservation",
        "cni-reference-ipam",
        &[("ipam/del-releases", Verdict::Warn)],
    ),
    (
        "del-needs-prevresult",
        "cni-reference",
        &[
            ("del/without-prev-result", Verdict::Warn),
            ("del/empty-prev-result", Verdict::Warn),
        ],
    ),
    (
        "tuning-del-keeps-changes",
        "cni-reference-tuning",
        &[("chain/del-undoes", Verdict::Warn)],
    ),
    (
        "check-always-ok",
        "cni-reference",
        &[
            ("check/link-deleted", Verdict::Warn),
            ("check/wrong-prev-result", Verdict::Fail),
        ],
    ),
    (
        "check-crashes",
        "cni-reference",
        &[("check/after-add", Verdict::Fail)],
    ),
    (
        "check-ignores-prevresult",
        "cni-reference",
        &[("check/wrong-prev-result", Verdict::Fail)],
    ),
    (
        "check-not-forwarded",
        "cni-reference",
        &[("check/delegates", Verdict::Fail)],
    ),
    (
        "chain-drops-prevresult",
        "cni-reference-tuning",
        &[("chain/prev-result-echoed", Verdict::Fail)],
    ),
    (
        "chain-rewrites-ips",
        "cni-reference-tuning",
        &[("chain/prev-result-echoed", Verdict::Fail)],
    ),
    (
        "ipam-double-allocation",
        "cni-reference-ipam",
        &[("add/concurrent", Verdict::Fail)],
    ),
    (
        "ipam-result-has-interfaces",
        "cni-reference-ipam",
        &[("ipam/abbreviated", Verdict::Fail)],
    ),
    (
        "ipam-cni-args-wins",
        "cni-reference-ipam",
        &[("ipam/args-ips", Verdict::Warn)],
    ),
    (
        "status-ok-when-exhausted",
        "cni-reference-ipam",
        &[("status/exhausted", Verdict::Warn)],
    ),
    (
        "status-not-forwarded",
        "cni-reference",
        &[("status/forwarded", Verdict::Fail)],
    ),
    (
        "gc-removes-valid",
        "cni-reference-ipam",
        &[("gc/keeps-valid", Verdict::Fail)],
    ),
    (
        "gc-removes-nothing",
        "cni-reference-ipam",
        &[("gc/removes-stale", Verdict::Warn)],
    ),
    (
        "gc-not-forwarded",
        "cni-reference",
        &[("gc/forwarded", Verdict::Fail)],
    ),
    (
        "gc-old-key-ignored",
        "cni-reference-ipam",
        &[("gc/only-attachments", Verdict::Fail)],
    ),
    (
        "no-ipam-del-after-failed-add",
        "cni-reference",
        &[("deleg/ipam-add-fails", Verdict::Warn)],
    ),
    (
        "delegate-stderr-swallowed",
        "cni-reference",
        &[("deleg/stderr", Verdict::Warn)],
    ),
    (
        "hang-add",
        "cni-reference",
        &[("add/result", Verdict::Fail)],
    ),
    (
        "abort-add",
        "cni-reference",
        &[("add/result", Verdict::Fail)],
    ),
];

/// Switches no case can catch by design: they fire only on field values
/// the fuzz campaign generates.
const FOR_THE_FUZZER: &[&str] = &["fuzz-crash-large-mtu", "fuzz-hang-long-string"];

#[test]
fn the_fault_model_names_every_switch() {
    let table = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../reference-plugin/FAULTS.md"
    ))
    .unwrap();
    let switches: Vec<&str> = table
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    assert!(switches.len() >= 30, "{switches:?}");
    for s in &switches {
        assert!(
            CAUGHT_BY.iter().any(|(f, _, _)| f == s) || FOR_THE_FUZZER.contains(s),
            "fault switch {s} has no entry in CAUGHT_BY"
        );
    }
    assert_eq!(CAUGHT_BY.len() + FOR_THE_FUZZER.len(), switches.len());
}

#[test]
fn every_fault_switch_is_caught() {
    let mut missed = Vec::new();
    for (fault, plugin, expected) in CAUGHT_BY {
        // Whole ids: "del/twice" must not also select "del/twice-..." cases.
        let filters = expected
            .iter()
            .map(|(case, _)| format!("{case}*"))
            .collect::<Vec<_>>();
        let results = run(plugin, &[fault], filters);
        for (case, verdict) in *expected {
            let got: Vec<&CaseResult> = results
                .iter()
                .filter(|r| r.case == *case && r.verdict != Verdict::Skip)
                .collect();
            if got.is_empty() || !got.iter().any(|r| r.verdict == *verdict) {
                missed.push(format!(
                    "{fault} on {plugin}: {case} should {verdict}; got:\n{}",
                    describe(&results)
                ));
            }
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n\n"));
}
