//! Network configurations: lists (0.3.0+) and single configurations (up to
//! 0.4.0), parsed with precise errors and kept byte-faithful.
//!
//! A plugin configuration object is kept as the JSON map the user wrote, so
//! that plugin-specific fields reach the plugin exactly (R-REQ-6): the same
//! keys, the same values, numbers as written (serde_json's
//! `arbitrary_precision`), in the same order.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use super::error::{kind_of, short_json};
use super::names::{has_path_separator, is_identifier};
use super::version::{SemVer, Version};

/// Where in a configuration something is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfError {
    /// A JSON path such as `plugins[1].ipam.type`; empty for the document.
    pub path: String,
    pub message: String,
}

impl ConfError {
    fn at(path: impl Into<String>, message: impl Into<String>) -> ConfError {
        ConfError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Whether a list came from a list document or was wrapped around a single
/// configuration (L-LOAD-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    List,
    SingleConf,
}

/// One plugin configuration object of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginConf {
    raw: Map<String, Value>,
}

impl PluginConf {
    /// Checks what every runtime needs of a plugin object: an object with a
    /// `type` that names an executable (F-CONF-8) and, if present,
    /// `capabilities` as a map of booleans (F-CONF-9) and an `ipam.type`
    /// without path separators.
    pub fn from_value(value: Value, path: &str) -> Result<PluginConf, ConfError> {
        let Value::Object(raw) = value else {
            return Err(ConfError::at(
                path,
                format!("is {}, not an object", kind_of(&value)),
            ));
        };
        let join = |key: &str| join_path(path, key);
        match raw.get("type") {
            Some(Value::String(t)) if t.is_empty() => {
                return Err(ConfError::at(join("type"), "is empty"));
            }
            Some(Value::String(t)) if has_path_separator(t) => {
                return Err(ConfError::at(
                    join("type"),
                    format!("{t:?} contains a path separator; it must be an executable's name"),
                ));
            }
            Some(Value::String(_)) => {}
            Some(other) => {
                return Err(ConfError::at(
                    join("type"),
                    format!("is {}, not a string", kind_of(other)),
                ));
            }
            None => return Err(ConfError::at(join("type"), "missing")),
        }
        if let Some(caps) = raw.get("capabilities") {
            let Value::Object(caps) = caps else {
                return Err(ConfError::at(
                    join("capabilities"),
                    format!("is {}, not an object of booleans", kind_of(caps)),
                ));
            };
            if let Some((k, v)) = caps.iter().find(|(_, v)| !v.is_boolean()) {
                return Err(ConfError::at(
                    format!("{}.{k}", join("capabilities")),
                    format!("{} is not a boolean", short_json(v)),
                ));
            }
        }
        if let Some(ipam) = raw.get("ipam") {
            let ipam_path = join("ipam");
            let Value::Object(ipam) = ipam else {
                return Err(ConfError::at(
                    ipam_path,
                    format!("is {}, not an object", kind_of(ipam)),
                ));
            };
            match ipam.get("type") {
                Some(Value::String(t)) if has_path_separator(t) => {
                    return Err(ConfError::at(
                        format!("{ipam_path}.type"),
                        format!("{t:?} contains a path separator; it must be an executable's name"),
                    ));
                }
                Some(Value::String(_)) | None => {}
                Some(other) => {
                    return Err(ConfError::at(
                        format!("{ipam_path}.type"),
                        format!("is {}, not a string", kind_of(other)),
                    ));
                }
            }
        }
        Ok(PluginConf { raw })
    }

    /// The executable's name.
    pub fn plugin_type(&self) -> &str {
        self.raw
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The delegated IPAM plugin's name, if the object names one.
    pub fn ipam_type(&self) -> Option<&str> {
        self.raw.get("ipam")?.get("type")?.as_str()
    }

    /// Capabilities declared `true` (R-REQ-2).
    pub fn capabilities(&self) -> BTreeMap<&str, bool> {
        self.raw
            .get("capabilities")
            .and_then(Value::as_object)
            .map(|caps| {
                caps.iter()
                    .map(|(k, v)| (k.as_str(), v.as_bool().unwrap_or(false)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    pub fn into_raw(self) -> Map<String, Value> {
        self.raw
    }
}

/// A network configuration list (from 1.0.0 on, simply "the network
/// configuration").
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkConfig {
    pub name: String,
    /// The version the runtime selected: `cniVersion`, or the highest
    /// released version among `cniVersion` and `cniVersions` (F-CONF-2).
    pub cni_version: String,
    /// `cniVersions` as written.
    pub cni_versions: Vec<String>,
    pub disable_check: bool,
    pub disable_gc: bool,
    pub load_only_inlined_plugins: bool,
    pub plugins: Vec<PluginConf>,
    pub origin: Origin,
    /// The document as written (lists) or the list wrapped around a single
    /// configuration; what the result cache records (L-CACHE-3).
    raw: Map<String, Value>,
}

/// Keys a list document defines (S11:L106-116); others are kept but linted.
const LIST_KEYS: [&str; 7] = [
    "cniVersion",
    "cniVersions",
    "name",
    "disableCheck",
    "disableGC",
    "loadOnlyInlinedPlugins",
    "plugins",
];

impl NetworkConfig {
    /// Parses a list document. `plugins` may be absent when
    /// `loadOnlyInlinedPlugins` is false: the loader then looks for plugin
    /// objects in the `<dir>/<name>/` folder (F-CONF-6, L-LOAD-5).
    pub fn from_list_value(value: Value) -> Result<NetworkConfig, ConfError> {
        let Value::Object(map) = value else {
            return Err(ConfError::at(
                "",
                format!("the document is {}, not an object", kind_of(&value)),
            ));
        };
        let name = required_string(&map, "name")?;
        let (cni_version, cni_versions) = select_version(&map)?;
        let disable_check = read_bool(&map, "disableCheck")?;
        let disable_gc = read_bool(&map, "disableGC")?;
        let load_only_inlined_plugins = read_bool(&map, "loadOnlyInlinedPlugins")?;
        let plugins = match map.get("plugins") {
            None if load_only_inlined_plugins => {
                return Err(ConfError::at(
                    "plugins",
                    "missing, and loadOnlyInlinedPlugins is true, so no plugin can be found",
                ));
            }
            None => Vec::new(),
            Some(Value::Array(items)) if items.is_empty() => {
                return Err(ConfError::at(
                    "plugins",
                    "is empty; a list needs at least one plugin",
                ));
            }
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| PluginConf::from_value(item.clone(), &format!("plugins[{i}]")))
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(ConfError::at(
                    "plugins",
                    format!("is {}, not an array", kind_of(other)),
                ));
            }
        };
        Ok(NetworkConfig {
            name,
            cni_version,
            cni_versions,
            disable_check,
            disable_gc,
            load_only_inlined_plugins,
            plugins,
            origin: Origin::List,
            raw: map,
        })
    }

    /// Parses a single network configuration and wraps it into a list of one,
    /// as libcni does (L-LOAD-3).
    pub fn from_single_value(value: Value) -> Result<NetworkConfig, ConfError> {
        let plugin = PluginConf::from_value(value, "")?;
        let name = required_string(plugin.raw(), "name")?;
        let cni_version = required_string(plugin.raw(), "cniVersion")?;
        let mut raw = Map::new();
        raw.insert("cniVersion".into(), Value::String(cni_version.clone()));
        raw.insert("name".into(), Value::String(name.clone()));
        raw.insert(
            "plugins".into(),
            Value::Array(vec![Value::Object(plugin.raw().clone())]),
        );
        Ok(NetworkConfig {
            name,
            cni_version,
            cni_versions: Vec::new(),
            disable_check: false,
            disable_gc: false,
            load_only_inlined_plugins: false,
            plugins: vec![plugin],
            origin: Origin::SingleConf,
            raw,
        })
    }

    /// Parses either shape: a document with `plugins` or `cniVersions` (or
    /// no `type`) is a list, anything else a single configuration.
    pub fn from_value(value: Value) -> Result<NetworkConfig, ConfError> {
        let is_list = value.get("plugins").is_some()
            || value.get("cniVersions").is_some()
            || value.get("type").is_none();
        if is_list {
            NetworkConfig::from_list_value(value)
        } else {
            NetworkConfig::from_single_value(value)
        }
    }

    /// Parses bytes, reporting JSON syntax errors with line and column.
    pub fn from_slice(bytes: &[u8]) -> Result<NetworkConfig, ConfError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| {
            ConfError::at(
                "",
                format!(
                    "not valid JSON at line {}, column {}: {}",
                    e.line(),
                    e.column(),
                    json_error_kind(&e)
                ),
            )
        })?;
        NetworkConfig::from_value(value)
    }

    /// The selected version, if it is a released one.
    pub fn version(&self) -> Option<Version> {
        Version::from_exact(&self.cni_version)
    }

    /// Appends plugin objects gathered from other sources (F-CONF-6).
    pub fn append_plugins(&mut self, plugins: Vec<PluginConf>) {
        self.plugins.extend(plugins);
    }

    /// The document as the runtime records it in its cache.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// The list as a document, with appended plugins included.
    pub fn to_value(&self) -> Value {
        let mut map = self.raw.clone();
        map.insert(
            "plugins".into(),
            Value::Array(
                self.plugins
                    .iter()
                    .map(|p| Value::Object(p.raw().clone()))
                    .collect(),
            ),
        );
        Value::Object(map)
    }

    /// Advice about a configuration that loads but that the spec frowns on.
    pub fn lints(&self) -> Vec<Lint> {
        let mut lints = Vec::new();
        let version = self.version();
        let at_least_1 = version.is_some_and(|v| v >= Version::V1_0_0);
        if version.is_none() {
            lints.push(Lint::new(
                "F-CONF-1",
                "cniVersion",
                format!(
                    "{:?} is not a released spec version; plugins will refuse it",
                    self.cni_version
                ),
            ));
        }
        if at_least_1 && !is_identifier(&self.name) {
            lints.push(Lint::new(
                "F-CONF-3",
                "name",
                format!("{:?} must start with a letter or digit, followed by letters, digits, '_', '.' or '-'", self.name),
            ));
        }
        if at_least_1 && self.origin == Origin::SingleConf {
            lints.push(Lint::new(
                "F-CONF-7",
                "",
                "single network configurations were removed in 1.0.0; write a list with \"plugins\"",
            ));
        }
        if self.origin == Origin::List {
            for key in self.raw.keys().filter(|k| !LIST_KEYS.contains(&k.as_str())) {
                lints.push(Lint::new(
                    "F-CONF-15",
                    key,
                    "is not a key of a configuration list; it is ignored",
                ));
            }
        }
        if at_least_1 {
            for (i, plugin) in self.plugins.iter().enumerate() {
                for key in plugin.raw().keys() {
                    if key == "runtimeConfig" || key == "args" || key.starts_with("cni.dev/") {
                        lints.push(Lint::new(
                            "F-CONF-10",
                            format!("plugins[{i}].{key}"),
                            "is reserved for what the runtime generates; it should not be written in a configuration",
                        ));
                    }
                }
            }
        }
        lints
    }
}

/// A SHOULD-level remark about a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lint {
    pub rule: &'static str,
    pub path: String,
    pub message: String,
}

impl Lint {
    fn new(rule: &'static str, path: impl Into<String>, message: impl Into<String>) -> Lint {
        Lint {
            rule,
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{} ({})", self.message, self.rule)
        } else {
            write!(f, "{}: {} ({})", self.path, self.message, self.rule)
        }
    }
}

fn join_path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn required_string(map: &Map<String, Value>, key: &str) -> Result<String, ConfError> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(ConfError::at(
            key,
            format!("is {}, not a string", kind_of(other)),
        )),
        None => Err(ConfError::at(key, "missing")),
    }
}

/// `disableCheck`, `disableGC`, `loadOnlyInlinedPlugins`: a boolean, or the
/// strings "true"/"false" in any case, as libcni takes them (F-CONF-4).
fn read_bool(map: &Map<String, Value>, key: &str) -> Result<bool, ConfError> {
    match map.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(other) => Err(ConfError::at(
            key,
            format!(
                "{} is neither a boolean nor the string \"true\" or \"false\"",
                short_json(other)
            ),
        )),
    }
}

/// F-CONF-2: the highest released version among `cniVersion` and
/// `cniVersions`. Entries that are not versions at all are errors (as in
/// libcni); well-formed versions we do not know (above 1.1.0, or never
/// released) are passed over.
fn select_version(map: &Map<String, Value>) -> Result<(String, Vec<String>), ConfError> {
    let declared = required_string(map, "cniVersion")?;
    let Some(list) = map.get("cniVersions") else {
        return Ok((declared, Vec::new()));
    };
    let Value::Array(items) = list else {
        return Err(ConfError::at(
            "cniVersions",
            format!("is {}, not an array of strings", kind_of(list)),
        ));
    };
    let mut versions = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::String(s) = item else {
            return Err(ConfError::at(
                format!("cniVersions[{i}]"),
                format!("{} is not a string", short_json(item)),
            ));
        };
        if SemVer::parse(s).is_none() {
            return Err(ConfError::at(
                format!("cniVersions[{i}]"),
                format!("{s:?} is not a semantic version"),
            ));
        }
        versions.push(s.clone());
    }
    let selected = versions
        .iter()
        .chain(std::iter::once(&declared))
        .filter_map(|s| Version::from_exact(s))
        .max()
        .map(|v| v.as_str().to_owned())
        .unwrap_or(declared);
    Ok((selected, versions))
}

fn json_error_kind(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C" to its message; we report the
    // position ourselves.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn list(value: Value) -> Result<NetworkConfig, ConfError> {
        NetworkConfig::from_list_value(value)
    }

    #[test]
    fn f_conf_2_highest_released_version_wins() {
        let c = list(json!({"cniVersion": "0.4.0", "cniVersions": ["0.3.1", "1.0.0", "1.1.0"], "name": "n", "plugins": [{"type": "x"}]}))
            .unwrap();
        assert_eq!(c.cni_version, "1.1.0");
        let c = list(json!({"cniVersion": "1.0.0", "cniVersions": ["9.9.9"], "name": "n", "plugins": [{"type": "x"}]})).unwrap();
        assert_eq!(c.cni_version, "1.0.0");
        let e = list(json!({"cniVersion": "1.0.0", "cniVersions": ["one"], "name": "n", "plugins": [{"type": "x"}]})).unwrap_err();
        assert_eq!(e.path, "cniVersions[0]");
    }

    #[test]
    fn f_conf_4_disable_check_takes_bools_and_strings() {
        for (v, want) in [
            (json!(true), true),
            (json!("TRUE"), true),
            (json!("False"), false),
        ] {
            let c = list(json!({"cniVersion": "0.4.0", "name": "n", "disableCheck": v, "plugins": [{"type": "x"}]})).unwrap();
            assert_eq!(c.disable_check, want);
        }
        let e = list(json!({"cniVersion": "0.4.0", "name": "n", "disableCheck": "yes", "plugins": [{"type": "x"}]})).unwrap_err();
        assert_eq!(e.path, "disableCheck");
    }

    #[test]
    fn f_conf_6_plugins_may_be_absent_unless_only_inlined() {
        assert!(
            list(json!({"cniVersion": "1.1.0", "name": "n"}))
                .unwrap()
                .plugins
                .is_empty()
        );
        let e = list(json!({"cniVersion": "1.1.0", "name": "n", "loadOnlyInlinedPlugins": true}))
            .unwrap_err();
        assert_eq!(e.path, "plugins");
    }

    #[test]
    fn f_conf_7_empty_plugins_refused() {
        assert_eq!(
            list(json!({"cniVersion": "1.0.0", "name": "n", "plugins": []}))
                .unwrap_err()
                .path,
            "plugins"
        );
    }

    #[test]
    fn f_conf_8_type_without_path_separators() {
        let e = list(json!({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "ok"}, {"type": "../bin/bridge"}]})).unwrap_err();
        assert_eq!(e.path, "plugins[1].type");
        let e = list(json!({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "b", "ipam": {"type": "a\\b"}}]})).unwrap_err();
        assert_eq!(e.path, "plugins[0].ipam.type");
    }

    #[test]
    fn plugin_fields_pass_through_exactly() {
        let text = r#"{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"x","big":18446744073709551616123,"f":1.50,"z":1,"a":2}]}"#;
        let c = NetworkConfig::from_slice(text.as_bytes()).unwrap();
        let out = serde_json::to_string(c.plugins[0].raw()).unwrap();
        assert_eq!(
            out,
            r#"{"type":"x","big":18446744073709551616123,"f":1.50,"z":1,"a":2}"#
        );
    }

    #[test]
    fn single_conf_is_wrapped() {
        let c = NetworkConfig::from_value(
            json!({"cniVersion": "0.4.0", "name": "n", "type": "bridge"}),
        )
        .unwrap();
        assert_eq!(c.origin, Origin::SingleConf);
        assert_eq!(c.plugins[0].plugin_type(), "bridge");
        assert_eq!(c.raw()["plugins"][0]["type"], "bridge");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = NetworkConfig::from_slice(b"{\n  \"name\": ,\n}").unwrap_err();
        assert!(e.message.contains("line 2"), "{e}");
    }

    #[test]
    fn lints_name_and_reserved_keys() {
        let c = list(json!({"cniVersion": "1.0.0", "name": "-x", "plugins": [{"type": "x", "runtimeConfig": {}}]})).unwrap();
        let rules: Vec<_> = c.lints().iter().map(|l| l.rule).collect();
        assert_eq!(rules, vec!["F-CONF-3", "F-CONF-10"]);
    }
}
