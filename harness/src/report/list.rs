//! `cnitest list`: every case with the rules it checks (each with its level),
//! the versions and roles it applies to, and what it needs; as an aligned
//! table grouped by area, or as JSON.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::error::ReportError;
use super::run_info::area;
use crate::spec::Version;
use crate::spec::rule::{self, Level};
use crate::suite::{Case, Role};

/// One case as `cnitest list --format json` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListEntry {
    pub id: String,
    pub title: String,
    /// The level of the case's leading rule.
    pub level: Level,
    pub rules: Vec<ListRule>,
    pub versions: Vec<Version>,
    pub roles: Vec<Role>,
    pub needs: Vec<String>,
    /// `builtin`, or the file the case came from.
    pub source: String,
}

/// A rule a case cites, with what the catalogue says of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListRule {
    pub id: String,
    pub level: Level,
    /// The level as the catalogue writes it, with its qualifications
    /// (`MUST (1.0.0+) / SHOULD (0.x)`).
    pub level_text: String,
    pub text: String,
}

/// The entries, ordered by id.
pub fn entries(cases: &[Case]) -> Vec<ListEntry> {
    let mut out: Vec<ListEntry> = cases.iter().map(entry).collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

fn entry(case: &Case) -> ListEntry {
    ListEntry {
        id: case.id.clone(),
        title: case.title.clone(),
        level: case.level,
        rules: case
            .rules
            .iter()
            .map(|id| match rule::lookup(id) {
                Some(rule) => ListRule {
                    id: id.clone(),
                    level: rule.level,
                    level_text: rule.level_text.to_owned(),
                    text: rule.text.to_owned(),
                },
                // Case files are validated against the catalogue when they
                // load; an unknown id can only come from a hand-built case.
                None => ListRule {
                    id: id.clone(),
                    level: case.level,
                    level_text: case.level.as_str().to_owned(),
                    text: String::new(),
                },
            })
            .collect(),
        versions: case.versions.0.clone(),
        roles: case.roles.clone(),
        needs: case.needs.iter().map(ToString::to_string).collect(),
        source: case.source.clone(),
    }
}

/// The JSON array, pretty-printed, ending with a newline.
pub fn json(cases: &[Case]) -> Result<String, ReportError> {
    let mut out = serde_json::to_string_pretty(&entries(cases)).map_err(ReportError::Json)?;
    out.push('\n');
    Ok(out)
}

/// The table: one row per case, grouped by area, columns aligned across
/// the whole table so that groups line up.
pub fn human(cases: &[Case]) -> String {
    let entries = entries(cases);
    let header = ["CASE", "TITLE", "RULES", "VERSIONS", "ROLES", "NEEDS"].map(str::to_owned);
    let rows: Vec<[String; 6]> = entries.iter().map(row).collect();

    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }

    let mut out = String::new();
    line(&mut out, &header, &widths);
    let mut current = None;
    for (e, row) in entries.iter().zip(&rows) {
        let a = area(&e.id);
        if current != Some(a) {
            let n = entries.iter().filter(|e| area(&e.id) == a).count();
            let _ = writeln!(out, "\n{a} ({n} case{})", if n == 1 { "" } else { "s" });
            current = Some(a);
        }
        line(&mut out, row, &widths);
    }

    let rules: BTreeSet<&str> = entries
        .iter()
        .flat_map(|e| e.rules.iter().map(|r| r.id.as_str()))
        .collect();
    let _ = writeln!(
        out,
        "\n{} cases citing {} distinct rules",
        entries.len(),
        rules.len()
    );
    out
}

fn row(e: &ListEntry) -> [String; 6] {
    let rules: Vec<String> = e
        .rules
        .iter()
        .map(|r| format!("{} {}", r.id, r.level))
        .collect();
    let roles: Vec<&str> = e.roles.iter().map(|r| r.as_str()).collect();
    [
        e.id.clone(),
        e.title.clone(),
        rules.join(", "),
        compact_versions(&e.versions),
        roles.join(","),
        e.needs.join(","),
    ]
}

fn line(out: &mut String, cells: &[String; 6], widths: &[usize; 6]) {
    let mut text = String::from(" ");
    for (cell, w) in cells.iter().zip(widths) {
        let _ = write!(text, " {cell:<w$} ");
    }
    out.push_str(text.trim_end());
    out.push('\n');
}

/// `all`, `>=0.4.0`, `<=0.3.1`, or the versions one by one.
pub fn compact_versions(versions: &[Version]) -> String {
    let all = &Version::ALL[..];
    if versions == all {
        return "all".to_owned();
    }
    if let Some(first) = versions.first()
        && all.ends_with(versions)
    {
        return format!(">={first}");
    }
    if let Some(last) = versions.last()
        && all.starts_with(versions)
    {
        return format!("<={last}");
    }
    let each: Vec<&str> = versions.iter().map(|v| v.as_str()).collect();
    each.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_compact_where_they_can_be() {
        assert_eq!(compact_versions(&Version::ALL), "all");
        assert_eq!(compact_versions(&Version::ALL[4..]), ">=0.4.0");
        assert_eq!(compact_versions(&Version::ALL[..4]), "<=0.3.1");
        assert_eq!(
            compact_versions(&[Version::V0_4_0, Version::V1_0_0]),
            "0.4.0,1.0.0"
        );
    }
}
