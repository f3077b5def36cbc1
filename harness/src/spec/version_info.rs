//! The VERSION answer: which spec versions a plugin says it supports.

use serde_json::Value;

use super::error::{kind_of, short_json};
use super::result::Violation;
use super::rule::Level;
use super::version::{SemVer, Version};

/// What a plugin answered to VERSION (P-VER-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub cni_version: String,
    pub supported_versions: Vec<String>,
}

impl VersionInfo {
    /// The advertised versions that are released ones, oldest first.
    pub fn released(&self) -> Vec<Version> {
        let mut v: Vec<Version> = self
            .supported_versions
            .iter()
            .filter_map(|s| Version::from_exact(s))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Reads a VERSION answer as libcni's decoder does (R-VER-2): a missing
    /// `supportedVersions` is allowed only when `cniVersion` is 0.2.0, which
    /// implies 0.1.0 and 0.2.0. Returns the answer and every departure from
    /// P-VER-1/P-VER-2, where `asked` is the `cniVersion` sent on stdin.
    pub fn from_value(value: &Value, asked: &str) -> Result<(VersionInfo, Vec<Violation>), String> {
        let Value::Object(map) = value else {
            return Err(format!(
                "the VERSION answer is {}, not an object",
                kind_of(value)
            ));
        };
        let mut found = Vec::new();
        let mut push = |rule: &'static str, level: Level, path: &str, message: String| {
            found.push(Violation {
                rule,
                level,
                path: path.to_owned(),
                message,
            });
        };
        let cni_version = match map.get("cniVersion") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(format!("cniVersion: {} is not a string", short_json(other)));
            }
            None => return Err("cniVersion: missing".to_owned()),
        };
        if cni_version != asked {
            // pkg/skel prints its own library version (catalogue 13.2).
            push(
                "P-VER-2",
                Level::Should,
                "cniVersion",
                format!(
                    "{cni_version:?}, but stdin asked for {asked:?} (pkg/skel always prints its library's version)"
                ),
            );
        }
        let supported_versions = match map.get("supportedVersions") {
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => {
                            if Version::from_exact(s).is_none() {
                                let why = if SemVer::parse(s).is_some() {
                                    "is not a released spec version"
                                } else {
                                    "is not a version"
                                };
                                push(
                                    "P-VER-1",
                                    Level::Should,
                                    &format!("supportedVersions[{i}]"),
                                    format!("{s:?} {why}"),
                                );
                            }
                            out.push(s.clone());
                        }
                        other => {
                            return Err(format!(
                                "supportedVersions[{i}]: {} is not a string",
                                short_json(other)
                            ));
                        }
                    }
                }
                if out.is_empty() {
                    push(
                        "P-VER-1",
                        Level::Must,
                        "supportedVersions",
                        "is empty".to_owned(),
                    );
                }
                out
            }
            Some(other) => {
                return Err(format!(
                    "supportedVersions: is {}, not an array",
                    kind_of(other)
                ));
            }
            None if cni_version == "0.2.0" => vec!["0.1.0".to_owned(), "0.2.0".to_owned()],
            None => return Err("supportedVersions: missing".to_owned()),
        };
        Ok((
            VersionInfo {
                cni_version,
                supported_versions,
            },
            found,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn skel_answer_warns_on_echo() {
        let (info, v) = VersionInfo::from_value(
            &json!({"cniVersion": "1.1.0", "supportedVersions": ["0.1.0", "1.0.0", "1.1.0"]}),
            "1.0.0",
        )
        .unwrap();
        assert_eq!(
            info.released(),
            vec![Version::V0_1_0, Version::V1_0_0, Version::V1_1_0]
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].rule, "P-VER-2");
    }

    #[test]
    fn r_ver_2_decoder_parity() {
        let (info, _) = VersionInfo::from_value(&json!({"cniVersion": "0.2.0"}), "0.2.0").unwrap();
        assert_eq!(info.supported_versions, vec!["0.1.0", "0.2.0"]);
        assert!(VersionInfo::from_value(&json!({"cniVersion": "1.0.0"}), "1.0.0").is_err());
        assert!(VersionInfo::from_value(&json!({"supportedVersions": []}), "1.0.0").is_err());
    }
}
