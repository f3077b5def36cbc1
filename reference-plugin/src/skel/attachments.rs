//! The valid attachments a GC request lists (P-GC-1).

use std::collections::HashSet;

use serde_json::Value;

use super::request::Request;
use crate::error::PluginError;
use crate::faults::Fault;

/// Both names the key has had: the `spec-v1.1.0` tag wrote
/// `cni.dev/attachments`, the text on `main` renamed it, and libcni sends
/// both (catalogue 13.12).
const KEYS: [&str; 2] = ["cni.dev/valid-attachments", "cni.dev/attachments"];

/// `(containerID, ifname)` of every attachment GC must leave alone. A
/// request with neither key lists none, as libcni's does when it has no
/// list to give (R-GC-5).
pub fn valid_attachments(req: &Request) -> Result<HashSet<(String, String)>, PluginError> {
    let keys: &[&str] = if req.has(Fault::GcOldKeyIgnored) {
        &KEYS[..1]
    } else {
        &KEYS
    };
    let Some((key, value)) = keys
        .iter()
        .find_map(|k| req.config.get(*k).map(|v| (*k, v)))
    else {
        return Ok(HashSet::new());
    };
    let items = match value {
        Value::Null => return Ok(HashSet::new()),
        Value::Array(items) => items,
        _ => return Err(PluginError::config(key, "is not a list of attachments")),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let field = |name: &str| {
                item.get(name).and_then(Value::as_str).ok_or_else(|| {
                    PluginError::config(format!("{key}[{i}].{name}"), "missing, or not a string")
                })
            };
            Ok((
                field("containerID")?.to_owned(),
                field("ifname")?.to_owned(),
            ))
        })
        .collect()
}
