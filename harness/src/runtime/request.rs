//! Deriving the request a plugin reads on stdin from its configuration
//! object (R-REQ-1..7): name and cniVersion injected, runtimeConfig built from
//! declared and supplied capabilities, capabilities removed, prevResult
//! threaded, GC's valid attachments added; everything else untouched.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::spec::{Command, NetworkConfig, PluginConf};

/// How `runtimeConfig` is sent when no declared capability has a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EmptyRuntimeConfig {
    /// Left out, as libcni does (catalogue 13.5).
    #[default]
    Omit,
    /// `{}`, as the 1.1.0 text ("must insert an object") reads.
    Insert,
}

/// One attachment GC must keep (R-REQ-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcAttachment {
    #[serde(rename = "containerID")]
    pub container_id: String,
    pub ifname: String,
}

/// What, besides the configuration, goes into a request.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    pub command: Command,
    /// Capability arguments the runtime has for this attachment.
    pub capability_args: &'a Map<String, Value>,
    /// ADD: the previous plugin's result; DEL/CHECK: the cached final result.
    pub prev_result: Option<&'a Value>,
    /// GC only.
    pub valid_attachments: Option<&'a [GcAttachment]>,
    pub empty_runtime_config: EmptyRuntimeConfig,
}

/// The GC key of `main` and libcni (S11:L392-396).
pub const VALID_ATTACHMENTS_KEY: &str = "cni.dev/valid-attachments";
/// The GC key of the `spec-v1.1.0` tag; libcni sends both (catalogue 13.12).
pub const ATTACHMENTS_KEY: &str = "cni.dev/attachments";

/// The request configuration for one plugin of a list.
pub fn derive(
    network: &NetworkConfig,
    plugin: &PluginConf,
    parts: RequestParts<'_>,
) -> Map<String, Value> {
    let mut req = plugin.raw().clone();
    // R-REQ-1: the list's name and version win over the plugin object's.
    req.insert(
        "cniVersion".into(),
        Value::String(network.cni_version.clone()),
    );
    req.insert("name".into(), Value::String(network.name.clone()));
    // R-REQ-3: capabilities are the runtime's business, not the plugin's
    // input (libcni forwards them; the spec says remove).
    req.shift_remove("capabilities");
    // Keys only the runtime may generate: a stray one in the file is not
    // passed on as if the runtime had said it (R-REQ-2, R-REQ-4).
    req.shift_remove("runtimeConfig");
    req.shift_remove("prevResult");
    req.shift_remove(VALID_ATTACHMENTS_KEY);
    req.shift_remove(ATTACHMENTS_KEY);

    if parts.command.carries_runtime_config() {
        // R-REQ-2: exactly the capabilities declared true and supplied.
        let runtime_config: Map<String, Value> = plugin
            .capabilities()
            .into_iter()
            .filter(|(_, declared)| *declared)
            .filter_map(|(name, _)| {
                parts
                    .capability_args
                    .get(name)
                    .map(|v| (name.to_owned(), v.clone()))
            })
            .collect();
        if !runtime_config.is_empty() || parts.empty_runtime_config == EmptyRuntimeConfig::Insert {
            req.insert("runtimeConfig".into(), Value::Object(runtime_config));
        }
        if let Some(prev) = parts.prev_result {
            req.insert("prevResult".into(), prev.clone());
        }
    }
    if parts.command == Command::Gc {
        let valid = serde_json::to_value(parts.valid_attachments.unwrap_or_default())
            .unwrap_or(Value::Array(Vec::new()));
        req.insert(VALID_ATTACHMENTS_KEY.into(), valid.clone());
        req.insert(ATTACHMENTS_KEY.into(), valid);
    }
    req
}

/// The request as the bytes written to stdin.
pub fn to_bytes(request: &Map<String, Value>) -> Vec<u8> {
    // Serialising a JSON map cannot fail.
    serde_json::to_vec(request).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn net(v: Value) -> NetworkConfig {
        NetworkConfig::from_value(v).unwrap()
    }

    fn parts<'a>(command: Command, caps: &'a Map<String, Value>) -> RequestParts<'a> {
        RequestParts {
            command,
            capability_args: caps,
            prev_result: None,
            valid_attachments: None,
            empty_runtime_config: EmptyRuntimeConfig::Omit,
        }
    }

    #[test]
    fn r_req_1_name_and_version_from_the_list() {
        let n = net(
            json!({"cniVersion": "1.0.0", "name": "net", "plugins": [{"type": "x", "cniVersion": "0.1.0", "name": "other"}]}),
        );
        let caps = Map::new();
        let req = derive(&n, &n.plugins[0], parts(Command::Add, &caps));
        assert_eq!(req["cniVersion"], "1.0.0");
        assert_eq!(req["name"], "net");
    }

    #[test]
    fn r_req_2_and_3_runtime_config_from_capabilities() {
        let n = net(json!({"cniVersion": "1.0.0", "name": "net",
            "plugins": [{"type": "x", "capabilities": {"portMappings": true, "mac": false}}]}));
        let caps = json!({"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}], "mac": "c2:11:22:33:44:55", "bandwidth": {}});
        let caps = caps.as_object().unwrap().clone();
        let req = derive(&n, &n.plugins[0], parts(Command::Add, &caps));
        assert_eq!(
            req["runtimeConfig"],
            json!({"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]})
        );
        assert!(!req.contains_key("capabilities"));
        // None of the declared ones supplied: left out, or {} on request.
        let none = Map::new();
        assert!(
            !derive(&n, &n.plugins[0], parts(Command::Add, &none)).contains_key("runtimeConfig")
        );
        let mut p = parts(Command::Add, &none);
        p.empty_runtime_config = EmptyRuntimeConfig::Insert;
        assert_eq!(derive(&n, &n.plugins[0], p)["runtimeConfig"], json!({}));
        // STATUS and GC carry no runtimeConfig (S11:L498).
        assert!(
            !derive(&n, &n.plugins[0], parts(Command::Status, &caps)).contains_key("runtimeConfig")
        );
    }

    #[test]
    fn r_req_4_stray_prev_result_is_stripped() {
        let n = net(
            json!({"cniVersion": "1.0.0", "name": "net", "plugins": [{"type": "x", "prevResult": {"cniVersion": "1.0.0"}}]}),
        );
        let caps = Map::new();
        assert!(!derive(&n, &n.plugins[0], parts(Command::Add, &caps)).contains_key("prevResult"));
        let prev = json!({"cniVersion": "1.0.0", "ips": []});
        let mut p = parts(Command::Del, &caps);
        p.prev_result = Some(&prev);
        assert_eq!(derive(&n, &n.plugins[0], p)["prevResult"], prev);
    }

    #[test]
    fn r_req_5_gc_sends_both_keys() {
        let n = net(json!({"cniVersion": "1.1.0", "name": "net", "plugins": [{"type": "x"}]}));
        let caps = Map::new();
        let valid = [GcAttachment {
            container_id: "c1".into(),
            ifname: "eth0".into(),
        }];
        let mut p = parts(Command::Gc, &caps);
        p.valid_attachments = Some(&valid);
        let req = derive(&n, &n.plugins[0], p);
        assert_eq!(
            req[VALID_ATTACHMENTS_KEY],
            json!([{"containerID": "c1", "ifname": "eth0"}])
        );
        assert_eq!(req[ATTACHMENTS_KEY], req[VALID_ATTACHMENTS_KEY]);
    }

    #[test]
    fn r_req_6_other_fields_pass_through_exactly() {
        let text = r#"{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"x","n":123456789012345678901234567890,"f":0.10,"nested":{"b":[1,2,{"c":null}]}}]}"#;
        let n = NetworkConfig::from_slice(text.as_bytes()).unwrap();
        let caps = Map::new();
        let bytes = to_bytes(&derive(&n, &n.plugins[0], parts(Command::Add, &caps)));
        let out = String::from_utf8(bytes).unwrap();
        assert!(
            out.contains(r#""n":123456789012345678901234567890"#),
            "{out}"
        );
        assert!(out.contains(r#""f":0.10"#), "{out}");
        assert!(out.contains(r#""nested":{"b":[1,2,{"c":null}]}"#), "{out}");
    }
}
