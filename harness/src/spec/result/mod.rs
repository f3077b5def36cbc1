//! ADD results in each version family, conversion between them, and a
//! validator that reports every departure from a version's shape.

mod convert;
pub mod types;
pub mod v020;
pub mod v040;
pub mod v100;
mod validate;

use serde_json::Value;

pub use convert::ConvertError;
pub use types::{Dns, Route};
pub use v020::{IpConfig020, Result020};
pub use v040::{Interface040, IpConfig040, Result040};
pub use v100::{Interface100, IpConfig100, Result100};
pub use validate::{ResultKind, Violation, validate};

use super::error::kind_of;
use super::version::{ResultFamily, Version};

/// A typed result of any version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CniResult {
    Legacy(Result020),
    V04(Result040),
    V1(Result100),
}

/// Why a JSON value could not be read as a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the result is {0}, not an object")]
    NotAnObject(&'static str),
    #[error("cniVersion: missing")]
    MissingVersion,
    #[error("cniVersion: {0}")]
    BadVersion(String),
    #[error("{0}")]
    Shape(String),
}

impl CniResult {
    /// Reads a result. Its own `cniVersion` decides the shape; a result
    /// without one is read at `fallback`, as libcni does (L-EXEC-3), when
    /// given.
    pub fn from_value(value: &Value, fallback: Option<Version>) -> Result<CniResult, ParseError> {
        let Value::Object(map) = value else {
            return Err(ParseError::NotAnObject(kind_of(value)));
        };
        let version = match map.get("cniVersion") {
            Some(Value::String(s)) => s
                .parse::<Version>()
                .map_err(|e| ParseError::BadVersion(e.to_string()))?,
            Some(other) => {
                return Err(ParseError::BadVersion(format!(
                    "is {}, not a string",
                    kind_of(other)
                )));
            }
            None => fallback.ok_or(ParseError::MissingVersion)?,
        };
        let mut value = value.clone();
        value["cniVersion"] = Value::String(version.as_str().to_owned());
        let shape = |e: serde_json::Error| ParseError::Shape(e.to_string());
        Ok(match version.family() {
            ResultFamily::Legacy => {
                CniResult::Legacy(serde_json::from_value(value).map_err(shape)?)
            }
            ResultFamily::V04 => CniResult::V04(serde_json::from_value(value).map_err(shape)?),
            ResultFamily::V1 => CniResult::V1(serde_json::from_value(value).map_err(shape)?),
        })
    }

    pub fn version(&self) -> Version {
        match self {
            CniResult::Legacy(r) => r.cni_version,
            CniResult::V04(r) => r.cni_version,
            CniResult::V1(r) => r.cni_version,
        }
    }

    /// The result as JSON, leaving out empty optional values as libcni does
    /// (F-RES-8).
    pub fn to_value(&self) -> Value {
        let value = match self {
            CniResult::Legacy(r) => serde_json::to_value(r),
            CniResult::V04(r) => serde_json::to_value(r),
            CniResult::V1(r) => serde_json::to_value(r),
        };
        // Serialising these plain data types cannot fail: no maps with
        // non-string keys, no custom serialisers that error.
        value.unwrap_or(Value::Null)
    }

    /// The result as it would read in 1.x terms, the richest shape; used to
    /// compare any result with what the kernel shows.
    pub fn to_v1(&self) -> Result<Result100, ConvertError> {
        match self.convert(Version::V1_1_0)? {
            CniResult::V1(r) => Ok(r),
            _ => unreachable!("conversion to 1.1.0 yields a 1.x result"),
        }
    }
}
