//! Reading typed fields out of a JSON configuration, with errors that name
//! the exact path and value (code 7), so that a user can fix the file.

use std::str::FromStr;

use cnitest::spec::error::{kind_of, short_json};
use serde_json::{Map, Value};

use crate::error::PluginError;

/// `prefix.key`, or `key` at the top.
pub fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn wrong_type(path: &str, value: &Value, wanted: &str) -> PluginError {
    PluginError::config(
        path,
        format!("{} is {}, not {wanted}", short_json(value), kind_of(value)),
    )
}

/// An optional string.
pub fn string<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<&'a str>, PluginError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(wrong_type(&join(at, key), other, "a string")),
    }
}

/// An optional object.
pub fn object<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<&'a Map<String, Value>>, PluginError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(wrong_type(&join(at, key), other, "an object")),
    }
}

/// An optional array.
pub fn array<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<&'a [Value]>, PluginError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(other) => Err(wrong_type(&join(at, key), other, "an array")),
    }
}

/// An optional boolean.
pub fn boolean(map: &Map<String, Value>, key: &str, at: &str) -> Result<Option<bool>, PluginError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(wrong_type(&join(at, key), other, "a boolean")),
    }
}

/// An optional unsigned integer no larger than `max`.
pub fn uint(
    map: &Map<String, Value>,
    key: &str,
    at: &str,
    max: u64,
) -> Result<Option<u64>, PluginError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if v <= max => Ok(Some(v)),
            _ => Err(PluginError::config(
                join(at, key),
                format!("{n} is not an integer between 0 and {max}"),
            )),
        },
        Some(other) => Err(wrong_type(&join(at, key), other, "a number")),
    }
}

/// A string that parses as `T`; `what` names `T` in the message.
pub fn parse_value<T: FromStr>(value: &Value, path: &str, what: &str) -> Result<T, PluginError> {
    let Value::String(text) = value else {
        return Err(wrong_type(path, value, "a string"));
    };
    text.parse()
        .map_err(|_| PluginError::config(path, format!("{text:?} is not {what}")))
}

/// An optional string field that parses as `T`.
pub fn parsed<T: FromStr>(
    map: &Map<String, Value>,
    key: &str,
    at: &str,
    what: &str,
) -> Result<Option<T>, PluginError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => parse_value(value, &join(at, key), what).map(Some),
    }
}

/// An optional list of strings.
pub fn strings(map: &Map<String, Value>, key: &str, at: &str) -> Result<Vec<String>, PluginError> {
    let Some(items) = array(map, key, at)? else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s.clone()),
            other => Err(wrong_type(
                &format!("{}[{i}]", join(at, key)),
                other,
                "a string",
            )),
        })
        .collect()
}

/// Refuses keys that this plugin knows but does not implement, with code 2
/// and the key and value in the message, as the spec asks of code 2.
pub fn refuse(map: &Map<String, Value>, keys: &[&str], at: &str) -> Result<(), PluginError> {
    match keys.iter().find_map(|k| map.get(*k).map(|v| (*k, v))) {
        Some((key, value)) => Err(PluginError::UnsupportedField {
            key: join(at, key),
            value: short_json(value),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn paths_and_values_in_messages() {
        let m = map(json!({"mtu": 70000, "dst": "nope", "ipMasq": true}));
        let err = uint(&m, "mtu", "", 65535).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid network configuration: mtu: 70000 is not an integer between 0 and 65535"
        );
        let err =
            parsed::<std::net::IpAddr>(&m, "dst", "ipam.routes[0]", "an IP address").unwrap_err();
        assert!(
            err.to_string().contains("ipam.routes[0].dst: \"nope\""),
            "{err}"
        );
        let err = refuse(&m, &["ipMasq"], "").unwrap_err();
        assert_eq!(err.code(), 2);
        assert_eq!(err.to_string(), "unsupported field ipMasq: true");
    }
}
