//! Snapshots of what a plugin answered, per case and version, in insta's
//! file format (so `cargo insta review` works on them): a new release of a
//! plugin that answers differently fails the case with a diff naming the
//! field.
//!
//! A snapshot holds, for each command step, what the plugin under test
//! answered (exit status, result or error object) after redaction
//! (`redact.rs`), and after each successful ADD what the kernel showed of
//! the container interface.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::verdict::{CaseResult, Finding, Verdict, grade};
use crate::spec::rule::Level;

/// The rule a changed answer breaks: not a clause of the spec, but of the
/// plugin's own promise to answer as before.
pub const RULE: &str = "snapshot";

/// What to do with answers that differ from the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fail the case, and leave the new answers beside the snapshot as
    /// `.snap.new` for `cargo insta review`.
    Compare,
    /// Accept the new answers (`--update-snapshots`).
    Update,
    /// As Compare, and a missing snapshot fails too instead of being
    /// recorded: what CI wants (`INSTA_UPDATE=no`).
    Strict,
}

/// What applying snapshots did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub recorded: usize,
    pub matched: usize,
    pub changed: usize,
    pub updated: usize,
}

/// The snapshot file of a (case, version).
pub fn path(dir: &Path, result: &CaseResult) -> PathBuf {
    dir.join(format!(
        "{}@{}.snap",
        result.case.replace('/', "__"),
        result.version
    ))
}

/// Compares every result's answers with its snapshot (or records it), turns
/// changes into findings, and grades the results again.
pub fn apply(
    dir: &Path,
    results: &mut [CaseResult],
    mode: Mode,
    strict: bool,
) -> io::Result<Tally> {
    fs::create_dir_all(dir)?;
    let mut tally = Tally::default();
    for r in results.iter_mut() {
        let Some(answers) = r.answers.clone() else {
            continue;
        };
        if matches!(r.verdict, Verdict::Skip | Verdict::Error) {
            continue;
        }
        let file = path(dir, r);
        let body = format!(
            "{}\n",
            serde_json::to_string_pretty(&answers).unwrap_or_default()
        );
        let pending = file.with_extension("snap.new");
        let old = match fs::read_to_string(&file) {
            Ok(text) => Some(body_of(&text).to_owned()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        match (old, mode) {
            (Some(old), _) if old == body => {
                tally.matched += 1;
                let _ = fs::remove_file(&pending);
            }
            (None, Mode::Compare | Mode::Update) => {
                fs::write(&file, document(r, &body))?;
                tally.recorded += 1;
            }
            (Some(_), Mode::Update) => {
                fs::write(&file, document(r, &body))?;
                let _ = fs::remove_file(&pending);
                tally.updated += 1;
            }
            (old, _) => {
                fs::write(&pending, document(r, &body))?;
                tally.changed += 1;
                let message = match &old {
                    None => format!(
                        "no snapshot {} (a new one is in {})",
                        file.display(),
                        pending.display()
                    ),
                    Some(old) => {
                        let before: Value = serde_json::from_str(old).unwrap_or(Value::Null);
                        let mut lines = Vec::new();
                        differences("", &before, &answers, &mut lines);
                        format!(
                            "{} @{}: the answers changed since {} ({}; review with cargo insta review): {}",
                            r.case,
                            r.version,
                            file.display(),
                            pending.display(),
                            lines.join("; ")
                        )
                    }
                };
                r.findings.push(Finding::new(RULE, Level::Must, message));
                r.verdict = grade(&r.findings, strict);
                if r.message.is_empty() {
                    r.message = r
                        .findings
                        .last()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                }
            }
        }
    }
    Ok(tally)
}

/// Snapshot files in `dir` that no result of `results` wrote: stale.
pub fn stale(dir: &Path, results: &[CaseResult]) -> io::Result<Vec<PathBuf>> {
    let wanted: Vec<PathBuf> = results
        .iter()
        .filter(|r| r.answers.is_some())
        .map(|r| path(dir, r))
        .collect();
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let p = entry?.path();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if (name.ends_with(".snap") && !wanted.contains(&p)) || name.ends_with(".snap.new") {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// insta's format: a front matter naming where the snapshot comes from and
/// what it protects, then the body.
fn document(r: &CaseResult, body: &str) -> String {
    let description = format!(
        "{} @{} ({}) protects {}: {}",
        r.case,
        r.version,
        r.role,
        r.clauses.join(", "),
        r.title
    );
    let mut out = String::new();
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "source: cnitest run");
    // A JSON string is a valid YAML scalar, whatever the text holds.
    let _ = writeln!(out, "description: {}", Value::String(description));
    let _ = writeln!(out, "expression: answers");
    let _ = writeln!(out, "---");
    out.push_str(body);
    out
}

/// The body of a snapshot file: what follows the second `---` line.
fn body_of(text: &str) -> &str {
    let mut rest = text;
    for _ in 0..2 {
        match rest.find("---\n") {
            Some(at) => rest = &rest[at + 4..],
            None => return text,
        }
    }
    rest
}

/// Where two answers differ, as `path: old -> new` lines.
fn differences(path: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    const MAX: usize = 12;
    if out.len() >= MAX || old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match b.get(k) {
                    Some(w) => differences(&p, v, w, out),
                    None => out.push(format!("{p}: removed (was {})", short(v))),
                }
            }
            for (k, w) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                out.push(format!("{p}: added ({})", short(w)));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let p = format!("{path}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(v), Some(w)) => differences(&p, v, w, out),
                    (Some(v), None) => out.push(format!("{p}: removed (was {})", short(v))),
                    (None, Some(w)) => out.push(format!("{p}: added ({})", short(w))),
                    (None, None) => {}
                }
            }
        }
        _ => out.push(format!("{path}: {} -> {}", short(old), short(new))),
    }
}

fn short(v: &Value) -> String {
    crate::spec::error::short_json(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_name_the_field() {
        let mut out = Vec::new();
        differences(
            "",
            &json!([{"step": 0, "stdout": {"code": 7, "ips": ["10.1.0.2/24"]}}]),
            &json!([{"step": 0, "stdout": {"code": 4, "ips": ["10.1.0.3/24"], "extra": 1}}]),
            &mut out,
        );
        assert_eq!(
            out,
            [
                "[0].stdout.code: 7 -> 4",
                "[0].stdout.ips[0]: \"10.1.0.2/24\" -> \"10.1.0.3/24\"",
                "[0].stdout.extra: added (1)"
            ]
        );
    }

    #[test]
    fn the_body_follows_the_front_matter() {
        assert_eq!(body_of("---\nsource: x\n---\n[1]\n"), "[1]\n");
    }
}
