//! One validated request: the command, the negotiated version, the
//! environment and the configuration, as a plugin's command functions see it.

use cnitest::spec::result::Result100;
use cnitest::spec::{CniResult, Command, Version};
use serde_json::{Map, Value};

use super::env::{Attachment, Env};
use crate::error::PluginError;
use crate::faults::{Fault, Faults};

#[derive(Debug, Clone)]
pub struct Request {
    pub command: Command,
    pub version: Version,
    pub env: Env,
    /// The request configuration (stdin) as a JSON object.
    pub config: Map<String, Value>,
    /// Stdin as received: what a delegated plugin gets, unchanged (P-DELEG-4).
    pub stdin: Vec<u8>,
    pub faults: Faults,
}

impl Request {
    pub fn has(&self, fault: Fault) -> bool {
        self.faults.has(fault)
    }

    /// The attachment parameters, which ADD, DEL and CHECK always have.
    pub fn attachment(&self) -> Result<&Attachment, PluginError> {
        self.env
            .attachment
            .as_ref()
            .ok_or(PluginError::Environment {
                problems: Vec::new(),
            })
    }

    /// The network name, checked by the skeleton before any command runs.
    pub fn network(&self) -> &str {
        self.config
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// A capability argument the runtime put in `runtimeConfig` (C-CAP-1).
    pub fn runtime_config(&self, key: &str) -> Option<&Value> {
        self.config.get("runtimeConfig")?.get(key)
    }

    /// The raw `prevResult`, if the runtime sent a non-empty one.
    pub fn prev_result_value(&self) -> Option<&Value> {
        self.config
            .get("prevResult")
            .filter(|v| !v.is_null() && v.as_object().is_none_or(|m| !m.is_empty()))
    }

    /// `prevResult` read in 1.1.0 terms. It comes in the request's version
    /// (R-CONV-1); one without `cniVersion` is read at that version too.
    pub fn prev_result(&self) -> Result<Option<Result100>, PluginError> {
        let Some(value) = self.prev_result_value() else {
            return Ok(None);
        };
        let parsed = CniResult::from_value(value, Some(self.version))
            .map_err(|e| PluginError::config("prevResult", e.to_string()))?;
        parsed
            .to_v1()
            .map(Some)
            .map_err(|e| PluginError::config("prevResult", e.to_string()))
    }
}
