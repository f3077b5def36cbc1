//! A model of a conforming plugin's front end, built on our own parser:
//! what it answers to a request's bytes before doing any work. The property
//! tests hold every mutation's declared class against it, so that a class
//! is never a guess our own parser contradicts.

use serde_json::Value;

use super::path::Path;
use crate::spec::names::is_identifier;
use crate::spec::version::VersionError;
use crate::spec::{NetworkConfig, Version};

/// What the front end makes of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judged {
    /// The request can be served at this version.
    Accept { version: Version },
    /// Refused with this code, because of the field at `path`.
    Refuse { code: u32, path: Path, why: String },
}

impl Judged {
    fn refuse(code: u32, path: Path, why: impl Into<String>) -> Judged {
        Judged::Refuse {
            code,
            path,
            why: why.into(),
        }
    }
}

/// Judges `bytes` as a plugin advertising `supported` would. `ipam_own`:
/// the plugin is an IPAM plugin, whose `ipam.type` is its own name rather
/// than a delegate to run.
pub fn judge(bytes: &[u8], supported: &[Version], ipam_own: bool) -> Judged {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Judged::refuse(6, Path::root(), "stdin is empty");
    }
    // Invalid UTF-8, trailing text, truncation and nesting deeper than the
    // decoder's limit all end here: code 6, "failed to decode content".
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return Judged::refuse(6, Path::root(), format!("not JSON: {e}")),
    };
    let Value::Object(map) = &value else {
        return Judged::refuse(6, Path::root(), "not a JSON object");
    };
    let at_version = Path::keys(&["cniVersion"]);
    // A missing version is 0.1.0, as libcni reads it (catalogue 13.15).
    let asked = match map.get("cniVersion") {
        None => Version::V0_1_0.as_str(),
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Judged::refuse(6, at_version, "not a string"),
    };
    let version = match asked.parse::<Version>() {
        Ok(v) if supported.contains(&v) => v,
        Ok(v) => return Judged::refuse(1, at_version, format!("{v} is not supported")),
        Err(VersionError::Unknown(s)) => {
            return Judged::refuse(1, at_version, format!("{s:?} is not supported"));
        }
        Err(e @ VersionError::Malformed(_)) => return Judged::refuse(6, at_version, e.to_string()),
    };
    let at_name = Path::keys(&["name"]);
    match map.get("name") {
        None => return Judged::refuse(7, at_name, "missing"),
        Some(Value::String(n)) if n.is_empty() => return Judged::refuse(7, at_name, "empty"),
        Some(Value::String(n)) if version >= Version::V1_0_0 && !is_identifier(n) => {
            return Judged::refuse(7, at_name, "characters outside [A-Za-z0-9_.-]");
        }
        Some(Value::String(_)) => {}
        Some(_) => return Judged::refuse(7, at_name, "not a string"),
    }
    // Our parser's checks of `type`, `capabilities` and `ipam`: a request
    // has the shape of a single network configuration.
    if let Err(e) = NetworkConfig::from_single_value(value.clone()) {
        return Judged::refuse(7, parse_path(&e.path), e.message);
    }
    // A plugin that delegates needs to know to whom.
    if !ipam_own
        && let Some(Value::Object(ipam)) = map.get("ipam")
        && ipam
            .get("type")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    {
        return Judged::refuse(7, Path::keys(&["ipam", "type"]), "missing");
    }
    Judged::Accept { version }
}

/// Our parser's paths are dotted keys (`ipam.type`).
fn parse_path(text: &str) -> Path {
    if text.is_empty() {
        return Path::root();
    }
    let keys: Vec<&str> = text.split('.').collect();
    Path::keys(&keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[Version] = &Version::ALL;

    fn judged(text: &str) -> Judged {
        judge(text.as_bytes(), ALL, false)
    }

    fn code(j: &Judged) -> Option<u32> {
        match j {
            Judged::Refuse { code, .. } => Some(*code),
            Judged::Accept { .. } => None,
        }
    }

    #[test]
    fn codes_follow_the_table() {
        let ok = r#"{"cniVersion":"1.0.0","name":"n","type":"t","ipam":{"type":"i"}}"#;
        assert_eq!(
            judged(ok),
            Judged::Accept {
                version: Version::V1_0_0
            }
        );
        assert_eq!(code(&judged("")), Some(6));
        assert_eq!(code(&judged(&format!("{ok}x"))), Some(6));
        assert_eq!(
            code(&judged(r#"{"cniVersion":"9.9.9","name":"n","type":"t"}"#)),
            Some(1)
        );
        assert_eq!(
            code(&judged(r#"{"cniVersion":"abc","name":"n","type":"t"}"#)),
            Some(6)
        );
        assert_eq!(
            code(&judged(r#"{"cniVersion":"1.0.0","name":"a b","type":"t"}"#)),
            Some(7)
        );
        assert_eq!(
            judged(r#"{"cniVersion":"0.4.0","name":"a b","type":"t"}"#),
            Judged::Accept {
                version: Version::V0_4_0
            }
        );
        let j = judged(r#"{"cniVersion":"1.0.0","name":"n","type":"t","ipam":{"type":"../i"}}"#);
        assert!(
            matches!(j, Judged::Refuse { code: 7, ref path, .. } if path.is(&["ipam", "type"])),
            "{j:?}"
        );
        let j = judged(r#"{"cniVersion":"1.0.0","name":"n","type":"t","ipam":{}}"#);
        assert!(
            matches!(j, Judged::Refuse { code: 7, ref path, .. } if path.is(&["ipam", "type"])),
            "{j:?}"
        );
        assert_eq!(
            judge(
                br#"{"cniVersion":"1.0.0","name":"n","type":"t","ipam":{}}"#,
                ALL,
                true
            ),
            Judged::Accept {
                version: Version::V1_0_0
            }
        );
    }
}
