//! The catalogue of rules (`shared/spec/catalogue.md`), compiled in: every
//! rule's id, level, versions and a one-sentence statement, so that a report
//! can quote the clause a plugin broke without the source tree.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::version::Version;

/// How strongly a rule binds, and so how breaking it is graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "MUST")]
    Must,
    #[serde(rename = "SHOULD")]
    Should,
    #[serde(rename = "MAY")]
    May,
    #[serde(rename = "INFO")]
    Info,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
            Level::Info => "INFO",
        }
    }

    /// Before 0.4.0 the spec declared no RFC 2119 meaning for its keywords,
    /// so a "must" there is graded at most as SHOULD (catalogue 0.2).
    pub fn at(self, version: Version) -> Level {
        if self == Level::Must && !version.has_rfc2119() {
            Level::Should
        } else {
            self
        }
    }

    /// The leading keyword of a catalogue level such as "MUST (1.0.0+) /
    /// SHOULD (0.x)"; MUST NOT counts as MUST, SHOULD NOT as SHOULD.
    fn leading(text: &str) -> Level {
        let word = text.split_whitespace().next().unwrap_or_default();
        match word {
            "MUST" => Level::Must,
            "SHOULD" => Level::Should,
            "MAY" => Level::May,
            _ => Level::Info,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "MUST" => Ok(Level::Must),
            "SHOULD" => Ok(Level::Should),
            "MAY" => Ok(Level::May),
            "INFO" => Ok(Level::Info),
            _ => Err(format!("{s:?} is not a level (MUST, SHOULD, MAY or INFO)")),
        }
    }
}

/// One rule of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    /// The level as the catalogue writes it, with its qualifications.
    pub level_text: &'static str,
    /// The leading keyword of `level_text`.
    pub level: Level,
    pub versions: &'static str,
    pub text: &'static str,
}

static CATALOGUE_TSV: &str = include_str!("catalogue.tsv");

static CATALOGUE: LazyLock<BTreeMap<&'static str, Rule>> = LazyLock::new(|| {
    CATALOGUE_TSV
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|line| {
            let mut cols = line.splitn(4, '\t');
            let id = cols.next()?;
            let level_text = cols.next()?;
            let versions = cols.next()?;
            let text = cols.next()?;
            Some((
                id,
                Rule {
                    id,
                    level_text,
                    level: Level::leading(level_text),
                    versions,
                    text,
                },
            ))
        })
        .collect()
});

/// The rule with this id, if the catalogue has it.
pub fn lookup(id: &str) -> Option<&'static Rule> {
    CATALOGUE.get(id)
}

/// Every rule, ordered by id.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    CATALOGUE.values()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_complete() {
        // Section 15 of the catalogue counts 183 entries.
        assert_eq!(all().count(), 183);
        let del = lookup("P-DEL-1").unwrap();
        assert_eq!(del.level, Level::Must);
        assert!(del.text.contains("repeated DELs"), "{}", del.text);
        assert_eq!(lookup("P-CHECK-4").unwrap().level, Level::Should);
        assert_eq!(
            lookup("R-CHECK-1").unwrap().level,
            Level::Must,
            "MUST NOT grades as MUST"
        );
    }

    #[test]
    fn catalogue_matches_the_shared_text() {
        // The TSV is generated from shared/spec/catalogue.md; when the shared
        // folder is beside the checkout, every id there must be here.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/spec/catalogue.md"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            return;
        };
        let ids: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("#### "))
            .filter_map(|l| l.split(" · ").next())
            .collect();
        assert_eq!(
            ids.len(),
            all().count(),
            "re-run scripts/extract-catalogue.py"
        );
        for id in ids {
            assert!(
                lookup(id).is_some(),
                "{id} missing: re-run scripts/extract-catalogue.py"
            );
        }
    }

    #[test]
    fn pre_rfc2119_musts_grade_as_should() {
        assert_eq!(Level::Must.at(Version::V0_3_1), Level::Should);
        assert_eq!(Level::Must.at(Version::V0_4_0), Level::Must);
    }
}
