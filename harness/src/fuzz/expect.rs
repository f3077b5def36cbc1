//! What a conforming plugin answers to a fuzzed input, and which catalogue
//! rule, at which level, grades an answer that is not one of those.
//!
//! The levels are the catalogue's, read honestly: the choice of an error
//! code is well-known usage (F-ERR-5, SHOULD); succeeding on input that is
//! no configuration at all is a MUST broken (P-IO-3); succeeding on a
//! configuration a plugin should refuse is graded by the rule that says so.

use std::fmt;

use serde::Serialize;

use crate::spec::{Level, Version, WellKnown};

/// A rule and the level breaking it has (before the version's adjustment:
/// see [`Level::at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Grade {
    pub rule: &'static str,
    pub level: Level,
}

impl Grade {
    pub const fn new(rule: &'static str, level: Level) -> Grade {
        Grade { rule, level }
    }
}

/// The answers a conforming plugin may give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expect {
    /// Success is a conforming answer.
    pub success: bool,
    /// Well-known codes a conforming refusal carries.
    pub codes: Vec<u32>,
    /// A plugin-specific code (100 and up) is a conforming refusal too.
    pub plugin_specific: bool,
    /// How succeeding is graded when success is not a conforming answer.
    pub accepting: Option<Grade>,
    /// What a code-2 error must name (F-ERR-5: "the key and value").
    pub names: Vec<String>,
    /// The input is a valid configuration: a refusal is counted, and only a
    /// code that says the input is wrong in a way it is not is graded.
    pub valid: bool,
    /// The versions a success's result may be in; the first is the one asked.
    pub versions: Vec<Version>,
}

impl Expect {
    /// A valid configuration at `version`: success, or a refusal the plugin
    /// may make of what it does not support (2, 5, 7, 11, its own codes).
    pub fn valid(version: Version) -> Expect {
        Expect {
            success: true,
            codes: vec![2, 5, 7, 11],
            plugin_specific: true,
            accepting: None,
            names: Vec::new(),
            valid: true,
            versions: vec![version],
        }
    }

    /// Must fail with one of `codes`; succeeding is graded by `accepting`.
    pub fn fail(version: Version, codes: &[u32], accepting: Grade) -> Expect {
        Expect {
            success: false,
            codes: codes.to_vec(),
            plugin_specific: false,
            accepting: Some(accepting),
            names: Vec::new(),
            valid: false,
            versions: vec![version],
        }
    }

    /// Success, or a refusal with one of `codes`.
    pub fn success_or(version: Version, codes: &[u32]) -> Expect {
        Expect {
            success: true,
            codes: codes.to_vec(),
            plugin_specific: false,
            accepting: None,
            names: Vec::new(),
            valid: false,
            versions: vec![version],
        }
    }

    pub fn or_plugin_specific(mut self) -> Expect {
        self.plugin_specific = true;
        self
    }

    pub fn naming(mut self, name: impl Into<String>) -> Expect {
        self.names.push(name.into());
        self
    }

    pub fn in_versions(mut self, versions: &[Version]) -> Expect {
        self.versions = versions.to_vec();
        self
    }

    /// Where a code of the class is not yet defined at the version (6 and 7
    /// exist from 1.0.0), a plugin-specific code is the conforming refusal.
    pub fn defined_at(mut self, version: Version) -> Expect {
        let undefined = self
            .codes
            .iter()
            .any(|c| WellKnown::from_code(u64::from(*c)).is_some_and(|w| w.since() > version));
        if undefined {
            self.plugin_specific = true;
        }
        self
    }

    /// Whether an error with `code` is a conforming refusal.
    pub fn admits_code(&self, code: u64) -> bool {
        u32::try_from(code).is_ok_and(|c| self.codes.contains(&c))
            || (self.plugin_specific && code >= 100)
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if self.success {
            parts.push("success".to_owned());
        }
        let codes: Vec<String> = self.codes.iter().map(|c| describe_code(*c)).collect();
        match codes.len() {
            0 => {}
            1 => parts.push(format!("code {}", codes[0])),
            _ => parts.push(format!("code {}", codes.join(", "))),
        }
        if self.plugin_specific {
            parts.push("a plugin-specific code (>= 100)".to_owned());
        }
        match parts.len() {
            0 => f.write_str("nothing"),
            1 => f.write_str(&parts[0]),
            n => write!(f, "{} or {}", parts[..n - 1].join(", "), parts[n - 1]),
        }
    }
}

fn describe_code(code: u32) -> String {
    match WellKnown::from_code(u64::from(code)) {
        Some(w) => format!("{code} ({})", w.meaning()),
        None => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_read_as_sentences() {
        let v = Version::V1_0_0;
        assert_eq!(
            Expect::success_or(v, &[2]).to_string(),
            "success or code 2 (unsupported field in network configuration)"
        );
        let e = Expect::fail(v, &[7], Grade::new("F-CONF-3", Level::Should)).or_plugin_specific();
        assert_eq!(
            e.to_string(),
            "code 7 (invalid network config) or a plugin-specific code (>= 100)"
        );
        assert!(e.admits_code(7) && e.admits_code(999) && !e.admits_code(6));
    }
}
