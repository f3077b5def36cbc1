//! The suite proves itself on the reference plugins: clean, they pass every
//! case in each role; with each fault switch on, the cases that cite the
//! broken rule catch it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cnitest::suite::case::{self, Case};
use cnitest::suite::plan::Selection;
use cnitest::suite::runner::{self, RunOptions};
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
    }
}

/// The configuration each reference plugin is tested with, faults in place.
fn config(dir: &Path, plugin: &str, faults: &[&str]) -> PathBuf {
    let ipam_faults: Vec<&str> = if plugin == "cni-reference-ipam" { faults.to_vec() } else { Vec::new() };
    let top_faults: Vec<&str> = if plugin == "cni-reference-ipam" { Vec::new() } else { faults.to_vec() };
    let ipam = json!({"type": "cni-reference-ipam", "ranges": [[{"subnet": "10.77.0.0/24"}]],
                      "routes": [{"dst": "0.0.0.0/0"}], "faults": ipam_faults});
    let plugins = match plugin {
        "cni-reference-tuning" => json!([
            {"type": "cni-reference", "ipam": ipam},
            {"type": "cni-reference-tuning", "mtu": 1400, "capabilities": {"mac": true}, "faults": top_faults}
        ]),
        _ => json!([{"type": "cni-reference", "capabilities": {"mac": true}, "ipam": ipam, "faults": top_faults}]),
    };
    let path = dir.join(format!("{plugin}.conflist"));
    std::fs::write(&path, serde_json::to_vec_pretty(&json!({"cniVersion": "1.1.0", "name": "refnet", "plugins": plugins})).unwrap()).unwrap();
    path
}

fn run(plugin: &str, faults: &[&str], filters: Vec<String>) -> Vec<CaseResult> {
    let bin = reference_plugins();
    let tmp = tempfile::tempdir().unwrap();
    let conf = config(tmp.path(), plugin, faults);
    let target = Target::new(&bin.join(plugin), Some(&conf), None, &[bin.clone()]).unwrap();
    let opts = options(filters);
    let probe = runner::probe(&target, opts.timeout).unwrap();
    runner::run(&target, &cases(), &opts, probe, &|| false, &|_| {}, &|_| {}).results
}

fn describe(results: &[CaseResult]) -> String {
    results
        .iter()
        .map(|r| format!("{} @{} [{}] {}: {}", r.case, r.version, r.role, r.verdict, r.message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[rstest::rstest]
#[case::interface("cni-reference", Role::Interface)]
#[case::chained("cni-reference-tuning", Role::Chained)]
#[case::ipam("cni-reference-ipam", Role::Ipam)]
fn the_reference_plugins_pass_every_case(#[case] plugin: &str, #[case] role: Role) {
    let results = run(plugin, &[], Vec::new());
    assert!(results.iter().all(|r| r.role == role));
    let bad: Vec<CaseResult> = results.iter().filter(|r| !matches!(r.verdict, Verdict::Pass | Verdict::Skip)).cloned().collect();
    assert!(bad.is_empty(), "{plugin} as {role}:\n{}", describe(&bad));
    let ran = results.iter().filter(|r| r.verdict == Verdict::Pass).count();
    assert!(ran > 40, "only {ran} cases ran for {plugin}:\n{}", describe(&results));
    for r in results.iter().filter(|r| r.verdict == Verdict::Skip) {
        assert!(!r.message.is_empty(), "a skip without a reason: {}", r.case);
    }
}

/// Which cases catch each fault switch, and how: `fail` for a broken MUST,
/// `warn` for a SHOULD. Every switch of `reference-plugin/FAULTS.md` is here.
const CAUGHT_BY: &[(&str, &str, &[(&str, Verdict)])] = &[
    ("result-wrong-version", "cni-reference", &[("add/result", Verdict::Fail)]),
];

#[test]
fn every_fault_switch_is_caught() {
    let mut missed = Vec::new();
    for (fault, plugin, expected) in CAUGHT_BY {
        let filters = expected.iter().map(|(case, _)| (*case).to_owned()).collect();
        let results = run(plugin, &[fault], filters);
        for (case, verdict) in *expected {
            let got: Vec<&CaseResult> = results.iter().filter(|r| r.case == *case && r.verdict != Verdict::Skip).collect();
            if got.is_empty() || !got.iter().any(|r| r.verdict == *verdict) {
                missed.push(format!("{fault} on {plugin}: {case} should {verdict}; got:\n{}", describe(&results)));
            }
        }
    }
    assert!(missed.is_empty(), "{}", missed.join("\n\n"));
}
