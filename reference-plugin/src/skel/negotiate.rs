//! Version negotiation: which spec version a request is served in, and
//! whether its command exists in that version.

use cnitest::spec::version::VersionError;
use cnitest::spec::{Command, Version};
use serde_json::{Map, Value};

use crate::error::PluginError;
use crate::faults::{Fault, Faults};

/// The version a request is served in, and the string it asked for when a
/// fault switch made us accept a version we do not support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub version: Version,
    pub accepted_unsupported: Option<String>,
}

/// Picks the version for `config`: exactly the one it names, if we support
/// it (code 1 otherwise, P-VER-5), and only if the command exists in it
/// (CHECK from 0.4.0, STATUS and GC from 1.1.0; code 1 as pkg/skel does).
pub fn negotiate(
    config: &Map<String, Value>,
    command: Command,
    supported: &'static [Version],
    faults: &Faults,
) -> Result<Negotiated, PluginError> {
    // A configuration without cniVersion is read as 0.1.0, as libcni does
    // (catalogue 13.15).
    let asked = match config.get("cniVersion") {
        None => "0.1.0",
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(PluginError::Decode(format!(
                "cniVersion: {other} is not a string"
            )));
        }
    };
    let incompatible = || PluginError::IncompatibleVersion {
        requested: asked.to_owned(),
        supported,
    };
    let negotiated = match asked.parse::<Version>() {
        Ok(v) if supported.contains(&v) => Negotiated {
            version: v,
            accepted_unsupported: None,
        },
        Ok(_) | Err(VersionError::Unknown(_)) if faults.has(Fault::VersionAcceptsUnsupported) => {
            Negotiated {
                version: Version::LATEST,
                accepted_unsupported: Some(asked.to_owned()),
            }
        }
        Ok(_) | Err(VersionError::Unknown(_)) => return Err(incompatible()),
        // Not a version at all: "failed to decode version info from string".
        Err(e @ VersionError::Malformed(_)) => {
            return Err(PluginError::Decode(format!("cniVersion: {e}")));
        }
    };
    if faults.has(Fault::VersionRejectsAdvertised) && negotiated.version == Version::LATEST {
        return Err(incompatible());
    }
    if !negotiated.version.allows(command) {
        return Err(PluginError::CommandNotInVersion {
            command,
            version: negotiated.version,
        });
    }
    Ok(negotiated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SUPPORTED: &[Version] = &[Version::V0_3_0, Version::V0_4_0, Version::V1_1_0];

    fn run(version: Value, command: Command, faults: &Faults) -> Result<Negotiated, PluginError> {
        let Value::Object(config) = json!({"cniVersion": version}) else {
            unreachable!()
        };
        negotiate(&config, command, SUPPORTED, faults)
    }

    #[test]
    fn exact_versions_only() {
        let none = Faults::none();
        assert_eq!(
            run(json!("0.4.0"), Command::Add, &none).unwrap().version,
            Version::V0_4_0
        );
        assert_eq!(
            run(json!("1.0.0"), Command::Add, &none).unwrap_err().code(),
            1
        );
        assert_eq!(
            run(json!("2.0.0"), Command::Add, &none).unwrap_err().code(),
            1
        );
        assert_eq!(
            run(json!("abc"), Command::Add, &none).unwrap_err().code(),
            6
        );
        assert_eq!(run(json!(4), Command::Add, &none).unwrap_err().code(), 6);
    }

    #[test]
    fn commands_need_their_version() {
        let none = Faults::none();
        assert_eq!(
            run(json!("0.3.0"), Command::Check, &none)
                .unwrap_err()
                .code(),
            1
        );
        assert_eq!(
            run(json!("0.4.0"), Command::Gc, &none).unwrap_err().code(),
            1
        );
        assert!(run(json!("1.1.0"), Command::Status, &none).is_ok());
    }

    #[test]
    fn faults_bend_negotiation() {
        let accept: Faults = [Fault::VersionAcceptsUnsupported].into_iter().collect();
        let n = run(json!("2.0.0"), Command::Add, &accept).unwrap();
        assert_eq!(n.version, Version::LATEST);
        assert_eq!(n.accepted_unsupported.as_deref(), Some("2.0.0"));
        let reject: Faults = [Fault::VersionRejectsAdvertised].into_iter().collect();
        assert_eq!(
            run(json!("1.1.0"), Command::Add, &reject)
                .unwrap_err()
                .code(),
            1
        );
        assert!(run(json!("0.4.0"), Command::Add, &reject).is_ok());
    }
}
