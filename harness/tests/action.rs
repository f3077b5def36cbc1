//! The composite action plugin authors call (`.github/actions/cnitest`): every input it declares
//! is used by its steps, the docs' sample workflow calls it with inputs it declares, every action
//! is pinned by commit, and its run and verdict steps, executed as the runner would execute
//! them, give the report and the job outcome the action promises.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use serde_norway::Value;

use crate::support::{cnitest_exe, reference_plugins};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn action() -> Value {
    yaml(".github/actions/cnitest/action.yml")
}

/// The action's inputs: name -> (required, default).
fn inputs(action: &Value) -> BTreeMap<String, (bool, String)> {
    let map = action["inputs"].as_mapping().expect("inputs is a mapping");
    map.iter()
        .map(|(name, spec)| {
            let name = name.as_str().expect("an input name").to_owned();
            let required = spec["required"].as_bool().unwrap_or(false);
            let default = match &spec["default"] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => panic!("input {name}: default {other:?} is not a string"),
            };
            (name, (required, default))
        })
        .collect()
}

/// Every string below `value`.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Mapping(map) => map.iter().for_each(|(k, v)| {
            strings(k, out);
            strings(v, out);
        }),
        _ => {}
    }
}

/// The names in every `inputs.<name>` of `text`.
fn input_references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("inputs.") {
        let tail = &rest[at + "inputs.".len()..];
        let name: String = tail
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
        rest = tail;
    }
    out
}

#[test]
fn every_declared_input_is_used_and_every_used_input_declared() {
    let action = action();
    let declared: BTreeSet<String> = inputs(&action).into_keys().collect();
    let mut texts = Vec::new();
    strings(&action["runs"]["steps"], &mut texts);
    let used: BTreeSet<String> = texts.iter().flat_map(|t| input_references(t)).collect();
    let unused: Vec<_> = declared.difference(&used).collect();
    let undeclared: Vec<_> = used.difference(&declared).collect();
    assert!(unused.is_empty(), "inputs no step uses: {unused:?}");
    assert!(
        undeclared.is_empty(),
        "steps use undeclared inputs: {undeclared:?}"
    );
    assert!(
        declared.contains("plugin") && declared.len() > 5,
        "{declared:?}"
    );
}

#[test]
fn every_input_is_documented() {
    let doc = std::fs::read_to_string(repo().join("docs/ci.md")).unwrap();
    for name in inputs(&action()).keys() {
        assert!(
            doc.contains(&format!("| `{name}` |")),
            "docs/ci.md lacks input {name}"
        );
    }
}

#[test]
fn the_action_runs_cnitest_as_the_docs_say() {
    let action = action();
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let mut texts = Vec::new();
    strings(&action["runs"]["steps"], &mut texts);
    let all = texts.join("\n");
    for needed in [
        "--format junit --output",
        "actions/upload-artifact@",
        "cargo install",
    ] {
        assert!(all.contains(needed), "the action's steps lack {needed:?}");
    }
    // Inputs reach scripts only through the environment, never spliced into shell text.
    for step in action["runs"]["steps"].as_sequence().expect("steps") {
        if let Some(script) = step["run"].as_str() {
            assert!(
                !script.contains("${{"),
                "an expression inside a script: {script}"
            );
        }
    }
}

/// `uses:` values of a workflow or action, wherever they are.
fn uses(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            for (k, v) in map {
                if k.as_str() == Some("uses") {
                    if let Some(s) = v.as_str() {
                        out.push(s.to_owned());
                    }
                }
                uses(v, out);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|v| uses(v, out)),
        _ => {}
    }
}

/// Every YAML file of `.github/`, and the docs' sample workflow.
fn workflow_files() -> Vec<String> {
    let mut files = vec!["docs/examples/plugin-ci.yml".to_owned()];
    let mut dirs = vec![repo().join(".github")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                let rel = path.strip_prefix(repo()).unwrap();
                files.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_action_is_pinned_by_commit() {
    let files = workflow_files();
    assert!(files.len() >= 3, "{files:?}");
    let mut seen = 0;
    for file in &files {
        let mut found = Vec::new();
        uses(&yaml(file), &mut found);
        for u in found {
            seen += 1;
            if u.starts_with("./") || u.starts_with("$/") {
                continue;
            }
            let (_, rev) = u
                .rsplit_once('@')
                .unwrap_or_else(|| panic!("{file}: {u} has no @"));
            assert!(
                rev.len() == 40 && rev.chars().all(|c| c.is_ascii_hexdigit()),
                "{file}: {u} is not pinned by a full commit SHA"
            );
        }
    }
    assert!(seen > 5, "only {seen} uses found");
}

/// The sample workflow's step that calls the action, and its `with`.
fn sample_call() -> BTreeMap<String, String> {
    let sample = yaml("docs/examples/plugin-ci.yml");
    let mut calls = Vec::new();
    for job in sample["jobs"].as_mapping().expect("jobs").values() {
        for step in job["steps"].as_sequence().expect("steps") {
            if step["uses"]
                .as_str()
                .is_some_and(|u| u.contains("/.github/actions/cnitest@"))
            {
                calls.push(step.clone());
            }
        }
    }
    assert_eq!(calls.len(), 1, "the sample calls the action once");
    let with = calls[0]["with"].as_mapping().expect("the call has `with`");
    with.iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                other => panic!("{k:?}: {other:?}"),
            };
            (k.as_str().expect("a key").to_owned(), value)
        })
        .collect()
}

#[test]
fn the_sample_workflow_calls_the_action_with_inputs_it_declares() {
    let declared = inputs(&action());
    let with = sample_call();
    for name in with.keys() {
        assert!(
            declared.contains_key(name),
            "the sample passes undeclared input {name}"
        );
    }
    for (name, (required, _)) in &declared {
        assert!(
            !required || with.contains_key(name),
            "the sample lacks required input {name}"
        );
    }
}

/// Runs one of the action's steps as the runner does: its `env` evaluated (`inputs.*`, and the
/// install step's output), its script run by `bash -eo pipefail` in `workspace`.
fn run_step(
    name: &str,
    values: &BTreeMap<String, String>,
    workspace: &Path,
    outputs: &BTreeMap<String, String>,
) -> (i32, BTreeMap<String, String>) {
    let action = action();
    let step = action["runs"]["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no step {name:?}"))
        .clone();
    assert_eq!(step["shell"].as_str(), Some("bash"), "{name}");
    let output_file = workspace.join(format!("output-{}", name.replace(' ', "-")));
    std::fs::write(&output_file, "").unwrap();
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(step["run"].as_str().expect("a run step"))
        .current_dir(workspace)
        .env("GITHUB_OUTPUT", &output_file)
        .env("RUNNER_TEMP", workspace)
        .env("GITHUB_ACTION_PATH", repo().join(".github/actions/cnitest"));
    if let Some(env) = step["env"].as_mapping() {
        for (k, v) in env {
            let expr = v.as_str().expect("an env value");
            cmd.env(k.as_str().unwrap(), evaluate(expr, values, outputs));
        }
    }
    let out = cmd.output().unwrap();
    let status = out.status.code().expect("an exit status");
    eprintln!(
        "step {name}: status {status}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&output_file).unwrap();
    let outputs = written
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    (status, outputs)
}

/// `${{ inputs.x }}` and `${{ steps.<id>.outputs.x }}`; anything else is beyond what this test
/// can stand in for, and fails it.
fn evaluate(
    text: &str,
    values: &BTreeMap<String, String>,
    outputs: &BTreeMap<String, String>,
) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("a closed expression") + start;
        let expr = rest[start + 3..end].trim();
        let value = if let Some(name) = expr.strip_prefix("inputs.") {
            values
                .get(name)
                .unwrap_or_else(|| panic!("no input {name}"))
                .clone()
        } else if let Some(path) = expr.strip_prefix("steps.") {
            let name = path.rsplit('.').next().unwrap();
            outputs.get(name).cloned().unwrap_or_default()
        } else {
            panic!("an expression the test cannot evaluate: {expr}")
        };
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The reference plugin's configuration, with fault switches.
fn reference_config(dir: &Path, faults: &[&str]) -> PathBuf {
    let conf = json!({"cniVersion": "1.1.0", "name": "actionnet", "plugins": [{
        "type": "cni-reference", "faults": faults,
        "ipam": {"type": "cni-reference-ipam", "ranges": [[{"subnet": "10.78.0.0/24"}]]}}]});
    let path = dir.join(format!("reference-{}.conflist", faults.len()));
    std::fs::write(&path, serde_json::to_vec_pretty(&conf).unwrap()).unwrap();
    path
}

/// The inputs as the sample workflow gives them (defaults filled in), with the plugin and its
/// paths replaced by the reference plugin's.
fn sample_inputs(plugins: &Path, config: &Path, filter: &str) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = inputs(&action())
        .into_iter()
        .map(|(k, (_, d))| (k, d))
        .collect();
    values.extend(sample_call());
    values.insert(
        "plugin".into(),
        plugins.join("cni-reference").display().to_string(),
    );
    values.insert("config".into(), config.display().to_string());
    values.insert("cni-path".into(), plugins.display().to_string());
    values.insert("filter".into(), filter.into());
    values
}

#[test]
fn the_actions_steps_report_a_pass_and_fail_the_job_on_a_failed_case() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "running the suite needs root (namespaces), as in CI"
    );
    let plugins = reference_plugins();
    let workspace = tempfile::tempdir().unwrap();
    let installed = BTreeMap::from([("bin".to_owned(), cnitest_exe().display().to_string())]);

    // Clean, the run passes (`del/*` at every version keeps it short), the JUnit report is where
    // the output says, and the verdict step lets the job go on.
    let clean = reference_config(workspace.path(), &[]);
    let values = sample_inputs(&plugins, &clean, "del/* version/*");
    let (status, outputs) = run_step(
        "Run the conformance suite",
        &values,
        workspace.path(),
        &installed,
    );
    assert_eq!(status, 0, "the run step itself never fails the job");
    assert_eq!(
        outputs.get("exit-code").map(String::as_str),
        Some("0"),
        "{outputs:?}"
    );
    let report = workspace.path().join(&outputs["report"]);
    let junit =
        std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{}: {e}", report.display()));
    assert!(
        junit.contains("<testsuites") && junit.contains("del/twice"),
        "{junit}"
    );
    assert!(!junit.contains("<failure"), "{junit}");
    let (verdict, _) = run_step("Verdict", &values, workspace.path(), &outputs);
    assert_eq!(verdict, 0);

    // A broken MUST: exit status 1, a report that names the failure, and a failed job.
    let broken = reference_config(workspace.path(), &["del-not-idempotent"]);
    let mut values = sample_inputs(&plugins, &broken, "del/twice");
    values.insert("report".into(), "broken.xml".into());
    let (status, outputs) = run_step(
        "Run the conformance suite",
        &values,
        workspace.path(),
        &installed,
    );
    assert_eq!(status, 0);
    assert_eq!(
        outputs.get("exit-code").map(String::as_str),
        Some("1"),
        "{outputs:?}"
    );
    let junit = std::fs::read_to_string(workspace.path().join("broken.xml")).unwrap();
    assert!(
        junit.contains("<failure") && junit.contains("P-DEL-1"),
        "{junit}"
    );
    let (verdict, _) = run_step("Verdict", &values, workspace.path(), &outputs);
    assert_eq!(verdict, 1, "a failed case fails the job");
}
