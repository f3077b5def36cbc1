//! The error object a plugin prints on failure, and the well-known codes.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::version::Version;

/// A well-known error code (F-ERR-5), or one of the codes the Go library
/// uses although no spec defines them (catalogue section 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WellKnown {
    IncompatibleVersion,
    UnsupportedField,
    UnknownContainer,
    InvalidEnvironment,
    IoFailure,
    DecodingFailure,
    InvalidNetworkConfig,
    TryAgainLater,
    PluginNotAvailable,
    PluginNotAvailableLimitedConnectivity,
}

impl WellKnown {
    pub const ALL: [WellKnown; 10] = [
        WellKnown::IncompatibleVersion,
        WellKnown::UnsupportedField,
        WellKnown::UnknownContainer,
        WellKnown::InvalidEnvironment,
        WellKnown::IoFailure,
        WellKnown::DecodingFailure,
        WellKnown::InvalidNetworkConfig,
        WellKnown::TryAgainLater,
        WellKnown::PluginNotAvailable,
        WellKnown::PluginNotAvailableLimitedConnectivity,
    ];

    pub fn code(self) -> u32 {
        match self {
            WellKnown::IncompatibleVersion => 1,
            WellKnown::UnsupportedField => 2,
            WellKnown::UnknownContainer => 3,
            WellKnown::InvalidEnvironment => 4,
            WellKnown::IoFailure => 5,
            WellKnown::DecodingFailure => 6,
            WellKnown::InvalidNetworkConfig => 7,
            WellKnown::TryAgainLater => 11,
            WellKnown::PluginNotAvailable => 50,
            WellKnown::PluginNotAvailableLimitedConnectivity => 51,
        }
    }

    pub fn from_code(code: u64) -> Option<WellKnown> {
        WellKnown::ALL
            .into_iter()
            .find(|w| u64::from(w.code()) == code)
    }

    /// The spec version whose error table first lists the code.
    pub fn since(self) -> Version {
        match self {
            WellKnown::IncompatibleVersion => Version::V0_1_0,
            WellKnown::UnsupportedField => Version::V0_2_0,
            WellKnown::UnknownContainer | WellKnown::TryAgainLater => Version::V0_4_0,
            WellKnown::InvalidEnvironment
            | WellKnown::IoFailure
            | WellKnown::DecodingFailure
            | WellKnown::InvalidNetworkConfig => Version::V1_0_0,
            WellKnown::PluginNotAvailable | WellKnown::PluginNotAvailableLimitedConnectivity => {
                Version::V1_1_0
            }
        }
    }

    pub fn meaning(self) -> &'static str {
        match self {
            WellKnown::IncompatibleVersion => "incompatible CNI version",
            WellKnown::UnsupportedField => "unsupported field in network configuration",
            WellKnown::UnknownContainer => "container unknown or does not exist",
            WellKnown::InvalidEnvironment => "invalid necessary environment variables",
            WellKnown::IoFailure => "I/O failure",
            WellKnown::DecodingFailure => "failed to decode content",
            WellKnown::InvalidNetworkConfig => "invalid network config",
            WellKnown::TryAgainLater => "try again later",
            WellKnown::PluginNotAvailable => "plugin not available",
            WellKnown::PluginNotAvailableLimitedConnectivity => {
                "plugin not available, existing containers may have limited connectivity"
            }
        }
    }
}

/// Where a code stands at a given spec version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeClass {
    /// Listed in that version's table.
    WellKnown(WellKnown),
    /// A well-known code from a later version: still in the reserved range.
    FromLaterVersion(WellKnown),
    /// pkg/skel's ErrInvalidNetNS (8), defined by no spec (catalogue 13.10).
    LibraryInvalidNetns,
    /// libcni's ErrUnknown (0); an error with code 0 contradicts "exit non-zero".
    LibraryUnknown,
    /// In 1-99 and listed nowhere: reserved (F-ERR-4).
    Reserved,
    /// 100 and up: the plugin's own (999 is pkg/skel's ErrInternal).
    PluginSpecific,
}

impl CodeClass {
    pub fn of(code: u64, version: Version) -> CodeClass {
        match (code, WellKnown::from_code(code)) {
            (_, Some(w)) if version >= w.since() => CodeClass::WellKnown(w),
            (_, Some(w)) => CodeClass::FromLaterVersion(w),
            (0, None) => CodeClass::LibraryUnknown,
            (8, None) => CodeClass::LibraryInvalidNetns,
            (1..=99, None) => CodeClass::Reserved,
            _ => CodeClass::PluginSpecific,
        }
    }
}

/// pkg/skel's ErrInternal: the code an untyped Go error becomes.
pub const LIBRARY_INTERNAL: u64 = 999;

/// The error object (F-ERR-2, F-ERR-3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    #[serde(
        rename = "cniVersion",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub cni_version: Option<String>,
    pub code: u64,
    pub msg: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub details: Option<String>,
}

impl ErrorObject {
    pub fn new(version: Version, code: u32, msg: impl Into<String>) -> ErrorObject {
        ErrorObject {
            cni_version: Some(version.as_str().to_owned()),
            code: u64::from(code),
            msg: msg.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> ErrorObject {
        self.details = Some(details.into());
        self
    }

    /// Reads an error object leniently (as libcni does: every field
    /// optional), returning every way it departs from the spec's shape.
    pub fn from_value(value: &Value) -> Result<(ErrorObject, Vec<ErrorShapeProblem>), String> {
        let Value::Object(map) = value else {
            return Err(format!(
                "the error is not a JSON object but {}",
                kind_of(value)
            ));
        };
        let mut problems = Vec::new();
        let code = match map.get("code") {
            Some(Value::Number(n)) if n.as_u64().is_some() => n.as_u64().unwrap_or_default(),
            Some(other) => {
                return Err(format!(
                    "code: {} is not a non-negative integer",
                    short_json(other)
                ));
            }
            None => return Err("code: missing".to_owned()),
        };
        let msg = string_field(map, "msg", &mut problems, true);
        let details = string_field(map, "details", &mut problems, false);
        let cni_version = match map.get("cniVersion") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                problems.push(ErrorShapeProblem::WrongType(
                    "cniVersion",
                    short_json(other),
                ));
                None
            }
            None => {
                problems.push(ErrorShapeProblem::MissingCniVersion);
                None
            }
        };
        Ok((
            ErrorObject {
                cni_version,
                code,
                msg: msg.unwrap_or_default(),
                details,
            },
            problems,
        ))
    }

    pub fn class(&self, version: Version) -> CodeClass {
        CodeClass::of(self.code, version)
    }

    /// `msg` and `details` together: where the spec asks that a message name
    /// a field or a variable, either place counts.
    pub fn text(&self) -> String {
        match &self.details {
            Some(d) if !d.is_empty() => format!("{}: {}", self.msg, d),
            _ => self.msg.clone(),
        }
    }
}

impl fmt::Display for ErrorObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {}: {}", self.code, self.text())
    }
}

/// A way an error object departs from the spec's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorShapeProblem {
    /// F-ERR-3; pkg/skel never sends it (catalogue 13.3).
    MissingCniVersion,
    MissingMsg,
    WrongType(&'static str, String),
}

impl fmt::Display for ErrorShapeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorShapeProblem::MissingCniVersion => f.write_str("cniVersion: missing"),
            ErrorShapeProblem::MissingMsg => f.write_str("msg: missing"),
            ErrorShapeProblem::WrongType(field, got) => write!(f, "{field}: {got} is not a string"),
        }
    }
}

fn string_field(
    map: &Map<String, Value>,
    key: &'static str,
    problems: &mut Vec<ErrorShapeProblem>,
    required: bool,
) -> Option<String> {
    match map.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            problems.push(ErrorShapeProblem::WrongType(key, short_json(other)));
            None
        }
        None => {
            if required {
                problems.push(ErrorShapeProblem::MissingMsg);
            }
            None
        }
    }
}

/// The JSON kind of a value, for messages ("an array", "a string").
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value as compact JSON, cut to a length that fits in a one-line message.
pub fn short_json(value: &Value) -> String {
    const MAX: usize = 60;
    let text = value.to_string();
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codes_are_graded_per_version() {
        assert_eq!(
            CodeClass::of(4, Version::V1_0_0),
            CodeClass::WellKnown(WellKnown::InvalidEnvironment)
        );
        assert_eq!(
            CodeClass::of(4, Version::V0_4_0),
            CodeClass::FromLaterVersion(WellKnown::InvalidEnvironment)
        );
        assert_eq!(
            CodeClass::of(8, Version::V1_1_0),
            CodeClass::LibraryInvalidNetns
        );
        assert_eq!(CodeClass::of(42, Version::V1_1_0), CodeClass::Reserved);
        assert_eq!(
            CodeClass::of(999, Version::V1_1_0),
            CodeClass::PluginSpecific
        );
        assert_eq!(
            CodeClass::of(50, Version::V1_1_0),
            CodeClass::WellKnown(WellKnown::PluginNotAvailable)
        );
    }

    #[test]
    fn skel_errors_lack_cni_version() {
        let (err, problems) = ErrorObject::from_value(
            &json!({"code": 4, "msg": "required env variables [CNI_NETNS] missing"}),
        )
        .unwrap();
        assert_eq!(err.code, 4);
        assert_eq!(problems, vec![ErrorShapeProblem::MissingCniVersion]);
    }

    #[test]
    fn code_must_be_an_integer() {
        assert!(ErrorObject::from_value(&json!({"code": "4", "msg": "x"})).is_err());
        assert!(ErrorObject::from_value(&json!({"code": -1, "msg": "x"})).is_err());
        assert!(ErrorObject::from_value(&json!([1])).is_err());
    }
}
