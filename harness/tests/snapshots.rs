//! Snapshots of a plugin's answers: an unchanged plugin passes, a changed
//! answer (a code, a field, an address) fails with a diff naming the case,
//! the version and the field, and nothing of the machine leaks into them.
//! And each report format of a small real run, snapshotted.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{cnitest_exe, reference_plugins};

/// A configuration for the reference plugins; `faults` go to the plugin
/// named, `subnet` is the IPAM pool.
fn config(dir: &Path, faults: &[&str], ipam_faults: &[&str], subnet: &str) -> PathBuf {
    let path = dir.join("ref.conflist");
    let doc = json!({"cniVersion": "1.1.0", "name": "snapnet", "plugins": [{
        "type": "cni-reference", "faults": faults,
        "ipam": {"type": "cni-reference-ipam", "ranges": [[{"subnet": subnet}]], "faults": ipam_faults}
    }]});
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    path
}

/// `cnitest run` with snapshots in `snaps`; returns the JSON report.
fn run(bin: &Path, plugin: &str, config: &Path, snaps: &Path, filters: &[&str]) -> Value {
    let mut cmd = Command::new(cnitest_exe());
    cmd.arg("run")
        .arg("--plugin")
        .arg(bin.join(plugin))
        .arg("--config")
        .arg(config)
        .arg("--cni-path")
        .arg(bin)
        .arg("--snapshots")
        .arg(snaps)
        .args(["--versions", "1.0.0", "--format", "json", "--quiet"])
        .env_remove("INSTA_UPDATE");
    for f in filters {
        cmd.args(["--filter", f]);
    }
    let out = cmd.output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn snapshot_messages(report: &Value) -> Vec<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().cloned().unwrap_or_default())
        .filter(|f| f["rule"] == "snapshot")
        .map(|f| f["message"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Copies the reference plugins to another directory: a second "machine"
/// whose paths differ.
fn elsewhere(bin: &Path, to: &Path) -> PathBuf {
    let dir = to.join("other-machine/lib/cni");
    std::fs::create_dir_all(&dir).unwrap();
    for p in [
        "cni-reference",
        "cni-reference-ipam",
        "cni-reference-tuning",
    ] {
        std::fs::copy(bin.join(p), dir.join(p)).unwrap();
    }
    dir
}

#[test]
fn a_changed_answer_fails_with_a_diff_an_unchanged_one_passes() {
    let bin = reference_plugins();
    let tmp = tempfile::tempdir().unwrap();
    let snaps = tmp.path().join("snaps");
    let filters = ["version/unsupported", "add/result", "del/twice"];
    let clean = config(tmp.path(), &[], &[], "10.61.0.0/24");

    let first = run(&bin, "cni-reference", &clean, &snaps, &filters);
    assert_eq!(first["summary"]["fail"], 0, "{first}");
    assert!(
        snaps.join("version__unsupported@1.1.0.snap").exists()
            || snaps.join("version__unsupported@1.0.0.snap").exists()
    );

    // The same plugin, on another machine (other paths, other temp dirs).
    let other_bin = elsewhere(&bin, tmp.path());
    let again = run(&other_bin, "cni-reference", &clean, &snaps, &filters);
    assert!(
        snapshot_messages(&again).is_empty(),
        "{:?}",
        snapshot_messages(&again)
    );
    assert_eq!(again["summary"]["fail"], 0);

    // A code changed: 1 -> 7 for an unsupported version.
    let coded = config(
        tmp.path(),
        &["error-unsupported-version-code"],
        &["error-unsupported-version-code"],
        "10.61.0.0/24",
    );
    let report = run(
        &bin,
        "cni-reference",
        &coded,
        &snaps,
        &["version/unsupported"],
    );
    let messages = snapshot_messages(&report);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("version/unsupported @") && m.contains(".stdout.code: 1 -> 7")),
        "{messages:?}"
    );
    assert!(
        snaps.read_dir().unwrap().any(|e| e
            .unwrap()
            .path()
            .to_string_lossy()
            .ends_with(".snap.new"))
    );

    // An address changed: another pool.
    let moved = config(tmp.path(), &[], &[], "10.62.0.0/24");
    let report = run(&bin, "cni-reference", &moved, &snaps, &["add/result"]);
    let messages = snapshot_messages(&report);
    assert!(
        messages.iter().any(|m| m.contains("add/result @1.0.0")
            && m.contains("stdout.ips[0].address: \"10.61.0.2/24\" -> \"10.62.0.2/24\"")),
        "{messages:?}"
    );

    // A field added: the IPAM plugin starts listing interfaces.
    let ipam_snaps = tmp.path().join("ipam-snaps");
    run(
        &bin,
        "cni-reference-ipam",
        &clean,
        &ipam_snaps,
        &["ipam/abbreviated"],
    );
    let added = config(
        tmp.path(),
        &[],
        &["ipam-result-has-interfaces"],
        "10.61.0.0/24",
    );
    let report = run(
        &bin,
        "cni-reference-ipam",
        &added,
        &ipam_snaps,
        &["ipam/abbreviated"],
    );
    let messages = snapshot_messages(&report);
    assert!(
        messages
            .iter()
            .any(|m| m.contains(".stdout.interfaces: added")),
        "{messages:?}"
    );
}

#[test]
fn update_snapshots_accepts_the_new_answers() {
    let bin = reference_plugins();
    let tmp = tempfile::tempdir().unwrap();
    let snaps = tmp.path().join("snaps");
    run(
        &bin,
        "cni-reference",
        &config(tmp.path(), &[], &[], "10.63.0.0/24"),
        &snaps,
        &["add/result"],
    );
    let moved = config(tmp.path(), &[], &[], "10.64.0.0/24");
    let out = Command::new(cnitest_exe())
        .arg("run")
        .arg("--plugin")
        .arg(bin.join("cni-reference"))
        .arg("--config")
        .arg(&moved)
        .arg("--cni-path")
        .arg(&bin)
        .arg("--snapshots")
        .arg(&snaps)
        .args([
            "--update-snapshots",
            "--versions",
            "1.0.0",
            "--filter",
            "add/result",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(snaps.join("add__result@1.0.0.snap")).unwrap();
    assert!(text.contains("10.64.0.2/24"), "{text}");
    assert!(text.starts_with("---\nsource: cnitest run\ndescription: \"add/result @1.0.0 (interface) protects P-ADD-1"), "{text}");
    let again = run(&bin, "cni-reference", &moved, &snaps, &["add/result"]);
    assert!(snapshot_messages(&again).is_empty());
}

/// Each report format of a small real run; durations and this machine's
/// paths are the only things replaced.
#[test]
fn report_formats_of_a_small_run() {
    let bin = reference_plugins();
    let tmp = tempfile::tempdir().unwrap();
    let conf = config(
        tmp.path(),
        &["error-no-cni-version"],
        &["error-no-cni-version"],
        "10.65.0.0/24",
    );
    for format in ["human", "tap", "junit", "json"] {
        let out = Command::new(cnitest_exe())
            .arg("run")
            .arg("--plugin")
            .arg(bin.join("cni-reference"))
            .arg("--config")
            .arg(&conf)
            .arg("--cni-path")
            .arg(&bin)
            .args([
                "--versions",
                "1.0.0",
                "--filter",
                "del/twice",
                "--filter",
                "error/format",
                "--filter",
                "gc/forwarded",
            ])
            .args(["--format", format, "--quiet", "--jobs", "1"])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let text = stable(
            &text,
            &[
                (&bin.display().to_string(), "[bin]"),
                (&conf.display().to_string(), "[config]"),
            ],
        );
        insta::with_settings!({
            snapshot_path => "../../snapshots/report/run",
            prepend_module_to_snapshot => false,
            description => format!("the {format} report of a small run of the reference plugin (del/twice, error/format with a warning, gc/forwarded skipped)"),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("small_run_{format}"), text);
        });
    }
}

/// The text with paths replaced and every duration set to zero.
fn stable(text: &str, paths: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (p, r) in paths {
        out = out.replace(p, r);
    }
    // Each case's scratch directory is a fresh temp dir.
    let tmp = std::env::temp_dir()
        .join("cnitest-case-")
        .display()
        .to_string();
    while let Some(at) = out.find(&tmp) {
        let end = at
            + tmp.len()
            + out[at + tmp.len()..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(0);
        out.replace_range(at..end, "[scratch]");
    }
    zero_numbers_after(
        &out,
        &[
            "\"duration_ms\": ",
            "duration_ms: ",
            "time=\"",
            "timestamp=\"",
            "\"plugin_ms\": ",
            " after ",
            " in ",
        ],
    )
}

/// Replaces the number that follows each marker (a duration) with 0.
fn zero_numbers_after(text: &str, markers: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'outer: while !rest.is_empty() {
        for m in markers {
            if let Some(tail) = rest.strip_prefix(m) {
                let digits = tail
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .unwrap_or(tail.len());
                if digits > 0
                    && tail[..digits]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_digit())
                {
                    out.push_str(m);
                    out.push('0');
                    rest = &tail[digits..];
                    continue 'outer;
                }
            }
        }
        let ch = rest.chars().next().unwrap_or_default();
        out.push(ch);
        rest = &rest[ch.len_utf8()..];
    }
    out
}
