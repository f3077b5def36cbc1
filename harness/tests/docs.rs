//! The documentation stays true: files it includes are included byte for byte, every flag of
//! every subcommand is documented and in the man pages, `--version` says what the binary
//! carries, and the JSON report's fields are all described.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{cnitest_exe, reference_plugins};

/// Set to rewrite the docs' included blocks from their files instead of failing.
const UPDATE_ENV: &str = "CNITEST_UPDATE_DOCS";
const MARKER: &str = "<!-- include: ";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![repo().join("README.md")];
    for entry in std::fs::read_dir(repo().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text with each `<!-- include: PATH -->` block replaced by PATH's content, and the paths.
fn with_includes(text: &str, doc: &Path) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut included = Vec::new();
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        out.push_str(line);
        let Some(rest) = line.trim_end().strip_prefix(MARKER) else {
            continue;
        };
        let path = rest.strip_suffix("-->").unwrap_or(rest).trim().to_owned();
        let fence = lines.next().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "{}: {path}: a fenced block must follow the marker",
            doc.display()
        );
        out.push_str(fence);
        for body in lines.by_ref() {
            if body.trim_end() == "```" {
                break;
            }
        }
        let content = read(&repo().join(&path));
        assert!(content.ends_with('\n'), "{path} ends without a newline");
        out.push_str(&content);
        out.push_str("```\n");
        included.push(path);
    }
    (out, included)
}

#[test]
fn included_files_are_included_byte_for_byte() {
    let mut all = Vec::new();
    for doc in markdown_files() {
        let text = read(&doc);
        let (expected, included) = with_includes(&text, &doc);
        all.extend(included);
        if expected != text {
            if std::env::var_os(UPDATE_ENV).is_some() {
                std::fs::write(&doc, &expected).unwrap();
            } else {
                panic!(
                    "{}: an included block differs from its file; run the tests with {UPDATE_ENV}=1 to refresh it",
                    doc.display()
                );
            }
        }
    }
    assert!(
        all.iter().any(|p| p.starts_with("cases/")),
        "no case file is included: {all:?}"
    );
    assert!(
        all.iter().any(|p| p == "docs/examples/plugin-ci.yml"),
        "{all:?}"
    );
}

fn command() -> clap::Command {
    let mut command = cnitest::cli::about::command();
    command.build();
    command
}

/// `(subcommand, --long)` for every flag of every subcommand, hidden ones included.
fn long_flags() -> Vec<(String, String)> {
    let command = command();
    let mut out = Vec::new();
    for sub in command.get_subcommands() {
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long() {
                if long != "help" && long != "version" {
                    out.push((sub.get_name().to_owned(), format!("--{long}")));
                }
            }
        }
    }
    out
}

#[test]
fn every_flag_of_every_subcommand_is_documented() {
    let cli = read(&repo().join("docs/cli.md"));
    let command = command();
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let heading = format!("## `cnitest {}", sub.get_name());
        assert!(
            cli.contains(&heading),
            "docs/cli.md has no section {heading}`"
        );
    }
    let flags = long_flags();
    assert!(flags.len() > 30, "{flags:?}");
    // Each flag is documented in its subcommand's section.
    let missing: Vec<String> = flags
        .iter()
        .filter(|(sub, flag)| {
            let start = cli.find(&format!("## `cnitest {sub}")).unwrap();
            let end = cli[start + 3..]
                .find("\n## ")
                .map_or(cli.len(), |e| e + start + 3);
            !cli[start..end].contains(&format!("`{flag}"))
        })
        .map(|(sub, flag)| format!("{sub} {flag}"))
        .collect();
    assert!(
        missing.is_empty(),
        "flags missing from docs/cli.md: {missing:?}"
    );
}

fn cnitest(args: &[&str]) -> std::process::Output {
    Command::new(cnitest_exe()).args(args).output().unwrap()
}

#[test]
fn the_man_page_of_run_mentions_every_long_flag() {
    let out = cnitest(&["man", "run"]);
    assert!(out.status.success());
    // roff escapes hyphens.
    let page = String::from_utf8(out.stdout).unwrap().replace("\\-", "-");
    assert!(
        page.starts_with(".ie") || page.contains(".TH cnitest-run"),
        "{page}"
    );
    let run: Vec<String> = long_flags()
        .into_iter()
        .filter(|(sub, _)| sub == "run")
        .map(|(_, flag)| flag)
        .collect();
    assert!(run.len() > 15, "{run:?}");
    for flag in run {
        assert!(page.contains(&flag), "the man page of run lacks {flag}");
    }
}

#[test]
fn man_pages_and_completions_cover_every_visible_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let out = cnitest(&["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pages: BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for sub in command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let page = format!("cnitest-{}.1", sub.get_name());
        assert!(pages.contains(&page), "no {page} in {pages:?}");
    }
    assert!(pages.contains("cnitest.1"), "{pages:?}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = cnitest(&["completions", shell]);
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("plugin") && script.contains("cni-path"),
            "{shell}: {script}"
        );
    }
    let out = cnitest(&["man", "nonesuch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nonesuch"));
}

#[test]
fn the_version_says_the_spec_versions_and_the_cases_carried() {
    let cases = cnitest::suite::case::builtin().unwrap().len();
    let expected = format!(
        "cnitest {} (CNI spec 0.1.0-1.1.0, {cases} built-in cases)\n",
        env!("CARGO_PKG_VERSION")
    );
    for flag in ["--version", "-V"] {
        let out = cnitest(&[flag]);
        assert!(out.status.success());
        assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    }
}

/// Every key of a JSON value, except those of maps keyed by data (environment variables).
fn keys(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                if k != "env" {
                    keys(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn every_field_of_the_json_report_is_documented() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "running the suite needs root, as in CI"
    );
    let plugins = reference_plugins();
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("broken.conflist");
    let network = json!({"cniVersion": "1.1.0", "name": "docnet", "plugins": [{
        "type": "cni-reference", "faults": ["del-not-idempotent"],
        "ipam": {"type": "cni-reference-ipam", "ranges": [[{"subnet": "10.79.0.0/24"}]]}}]});
    std::fs::write(&conf, network.to_string()).unwrap();
    let out = Command::new(cnitest_exe())
        .arg("run")
        .arg("--plugin")
        .arg(plugins.join("cni-reference"))
        .arg("--cni-path")
        .arg(&plugins)
        .arg("--config")
        .arg(&conf)
        .args([
            "--filter",
            "del/twice",
            "--filter",
            "version/answer",
            "--format",
            "json",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found = BTreeSet::new();
    keys(&report, &mut found);
    for needed in ["findings", "exchanges", "reproduce", "supportedVersions"] {
        assert!(
            found.contains(needed),
            "the report lacks {needed}: {found:?}"
        );
    }
    let doc = read(&repo().join("docs/json-report.md"));
    let undocumented: Vec<&String> = found
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "fields missing from docs/json-report.md: {undocumented:?}"
    );
}
