//! The plugin under test and what surrounds it: its configuration object,
//! the plugins before and after it in the list, its role, and where
//! plugins are found.
//!
//! With `--config`, the plugin under test is the entry whose `type` is the
//! plugin's file name (or whose `ipam.type` is, for an IPAM plugin); the other
//! entries are the chain around it. Without, each role has a default.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::role::Role;
use crate::runtime::find::find_plugin;
use crate::runtime::load::load_file;
use crate::spec::{NetworkConfig, PluginConf};

/// The interface plugin the chained role puts first by default.
pub const REFERENCE_INTERFACE: &str = "cni-reference";
/// The IPAM plugin default configurations delegate to when it is there.
pub const REFERENCE_IPAM: &str = "cni-reference-ipam";
/// CNI_IFNAME unless told otherwise.
pub const DEFAULT_IFNAME: &str = "eth0";
/// The `type` of the delegating plugin the suite plays in the ipam role.
pub const DELEGATOR: &str = "cnitest-delegator";

/// Everything the suite needs to know about what it tests.
#[derive(Debug, Clone)]
pub struct Target {
    /// The plugin binary, absolute.
    pub plugin: PathBuf,
    /// Its file name: its `type` in a configuration.
    pub name: String,
    pub role: Role,
    /// Where plugins are looked up: the plugin's own directory first.
    pub cni_path: Vec<PathBuf>,
    /// The network name every request carries.
    pub network: String,
    /// Plugins that run before the plugin under test.
    pub before: Vec<PluginConf>,
    /// The plugin under test's configuration object. In the ipam role, the
    /// whole configuration of the plugin the suite pretends to be, whose
    /// `ipam.type` names the plugin under test.
    pub conf: Map<String, Value>,
    /// Plugins that run after it.
    pub after: Vec<PluginConf>,
    /// Where the configuration came from, for reports.
    pub origin: String,
    /// CNI_IFNAME of a case's first attachment (`--ifname`): `eth0`, or
    /// `lo` for a plugin such as loopback that configures `lo` whatever it
    /// is told.
    pub ifname: String,
}

/// Why the target cannot be set up: bad usage or input (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

impl Target {
    /// Resolves the plugin (a path, or a bare name found in `cni_path`) and
    /// its configuration.
    pub fn new(
        plugin: &Path,
        config: Option<&Path>,
        role: Option<Role>,
        cni_path: &[PathBuf],
    ) -> Result<Target, TargetError> {
        let plugin = resolve(plugin, cni_path)?;
        let name = plugin
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| TargetError(format!("--plugin {}: no file name", plugin.display())))?
            .to_owned();
        // Directories that do not exist are dropped: they hold no plugin,
        // and the sandbox cannot keep what is not there.
        let mut search = vec![plugin.parent().map(Path::to_path_buf).unwrap_or_default()];
        // Absolute, as plugins run with another working directory.
        for dir in cni_path.iter().filter(|p| p.is_dir()) {
            let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
            if !search.contains(&dir) {
                search.push(dir);
            }
        }
        match config {
            Some(path) => from_config(plugin, name, path, role, search),
            None => Ok(default_target(
                plugin,
                name,
                role.unwrap_or(Role::Interface),
                search,
            )),
        }
    }

    /// The network configuration list the target runs as, at `version`:
    /// the chain with the plugin under test in its place.
    pub fn network(&self, version: &str) -> NetworkConfig {
        let mut plugins: Vec<Value> = self
            .before
            .iter()
            .map(|p| Value::Object(p.raw().clone()))
            .collect();
        plugins.push(Value::Object(self.conf.clone()));
        plugins.extend(self.after.iter().map(|p| Value::Object(p.raw().clone())));
        let list = json!({"cniVersion": version, "name": self.network, "plugins": plugins});
        // Every part was a valid plugin object when the target was built.
        NetworkConfig::from_list_value(list).unwrap_or_else(|e| unreachable!("target config: {e}"))
    }

    /// Where the plugin under test sits in `network()`'s list.
    pub fn index(&self) -> usize {
        self.before.len()
    }

    /// The `ipam` section of the plugin under test's configuration, if any.
    pub fn has_ipam_section(&self) -> bool {
        self.conf.get("ipam").is_some_and(Value::is_object)
    }
}

fn resolve(plugin: &Path, cni_path: &[PathBuf]) -> Result<PathBuf, TargetError> {
    let s = plugin.to_string_lossy();
    let path = if s.contains('/') {
        plugin.to_path_buf()
    } else {
        // A bare name is looked up as a runtime would (R-ADD-2).
        find_plugin(&s, cni_path).map_err(|e| TargetError(format!("--plugin {s}: {e}")))?
    };
    let meta = std::fs::metadata(&path)
        .map_err(|e| TargetError(format!("--plugin {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(TargetError(format!(
            "--plugin {}: not a file",
            path.display()
        )));
    }
    if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 == 0 {
        return Err(TargetError(format!(
            "--plugin {}: not executable",
            path.display()
        )));
    }
    std::path::absolute(&path).map_err(|e| TargetError(format!("--plugin {}: {e}", path.display())))
}

fn from_config(
    plugin: PathBuf,
    name: String,
    path: &Path,
    role: Option<Role>,
    search: Vec<PathBuf>,
) -> Result<Target, TargetError> {
    let net = load_file(path).map_err(|e| TargetError(format!("--config {e}")))?;
    let origin = path.display().to_string();
    let raws: Vec<Map<String, Value>> = net.plugins.iter().map(|p| p.raw().clone()).collect();
    if let Some(index) = net.plugins.iter().position(|p| p.plugin_type() == name) {
        // The plugin under test is an entry of the list; after the first
        // place it can only adjust what another made (chained).
        let role = role.unwrap_or(if index == 0 {
            Role::Interface
        } else {
            Role::Chained
        });
        if role == Role::Ipam {
            return Err(TargetError(format!(
                "--config {origin}: {name} is a plugin of the list, not an ipam delegate; drop --role ipam"
            )));
        }
        return Ok(Target {
            plugin,
            name,
            role,
            cni_path: search,
            network: net.name.clone(),
            before: net.plugins[..index].to_vec(),
            conf: raws[index].clone(),
            after: net.plugins[index + 1..].to_vec(),
            origin,
            ifname: DEFAULT_IFNAME.to_owned(),
        });
    }
    if let Some(index) = net
        .plugins
        .iter()
        .position(|p| p.ipam_type() == Some(name.as_str()))
    {
        if role.is_some_and(|r| r != Role::Ipam) {
            return Err(TargetError(format!(
                "--config {origin}: {name} is the ipam delegate of plugins[{index}]; its role is ipam"
            )));
        }
        let mut conf = raws[index].clone();
        conf.insert("type".into(), Value::String(DELEGATOR.into()));
        return Ok(Target {
            plugin,
            name,
            role: Role::Ipam,
            cni_path: search,
            network: net.name.clone(),
            before: Vec::new(),
            conf,
            after: Vec::new(),
            origin,
            ifname: DEFAULT_IFNAME.to_owned(),
        });
    }
    let types: Vec<&str> = net.plugins.iter().map(PluginConf::plugin_type).collect();
    Err(TargetError(format!(
        "--config {origin}: no entry has type {name:?} or ipam.type {name:?} (types: {})",
        types.join(", ")
    )))
}

/// The default configuration of each role, for a plugin run without
/// `--config`.
fn default_target(plugin: PathBuf, name: String, role: Role, search: Vec<PathBuf>) -> Target {
    let ipam_type = if find_plugin(REFERENCE_IPAM, &search).is_ok() {
        REFERENCE_IPAM
    } else {
        "host-local"
    };
    let ipam = |subnet: &str| json!({"type": ipam_type, "ranges": [[{"subnet": subnet}]], "routes": [{"dst": "0.0.0.0/0"}]});
    let obj = |v: Value| v.as_object().cloned().unwrap_or_default();
    let (before, conf) = match role {
        Role::Interface => (
            Vec::new(),
            obj(json!({"type": name, "ipam": ipam("10.222.0.0/24")})),
        ),
        Role::Chained => {
            let first = json!({"type": REFERENCE_INTERFACE, "ipam": ipam("10.223.0.0/24")});
            let first = PluginConf::from_value(first, "")
                .unwrap_or_else(|e| unreachable!("default config: {e}"));
            (vec![first], obj(json!({"type": name})))
        }
        Role::Ipam => (
            Vec::new(),
            obj(
                json!({"type": DELEGATOR, "ipam": {"type": name, "ranges": [[{"subnet": "10.224.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}}),
            ),
        ),
    };
    Target {
        plugin,
        name,
        role,
        cni_path: search,
        network: "cnitest".to_owned(),
        before,
        conf,
        after: Vec::new(),
        origin: format!("the {role} role's default configuration"),
        ifname: DEFAULT_IFNAME.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn plugin_in(dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    #[test]
    fn role_from_the_place_in_the_list() {
        let d = tempfile::tempdir().unwrap();
        let bridge = plugin_in(d.path(), "bridge");
        let portmap = plugin_in(d.path(), "portmap");
        let hl = plugin_in(d.path(), "host-local");
        let conf = d.path().join("l.conflist");
        std::fs::write(
            &conf,
            r#"{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge","ipam":{"type":"host-local"}},{"type":"portmap"}]}"#,
        )
        .unwrap();
        let t = Target::new(&bridge, Some(&conf), None, &[]).unwrap();
        assert_eq!((t.role, t.index(), t.after.len()), (Role::Interface, 0, 1));
        let t = Target::new(&portmap, Some(&conf), None, &[]).unwrap();
        assert_eq!((t.role, t.index()), (Role::Chained, 1));
        let t = Target::new(&hl, Some(&conf), None, &[]).unwrap();
        assert_eq!(t.role, Role::Ipam);
        assert_eq!(t.conf["type"], DELEGATOR);
        assert_eq!(
            t.network("1.0.0").plugins[0].ipam_type(),
            Some("host-local")
        );
        let other = plugin_in(d.path(), "tuning");
        let e = Target::new(&other, Some(&conf), None, &[]).unwrap_err();
        assert!(e.0.contains("no entry has type \"tuning\""), "{e}");
    }

    #[test]
    fn bare_names_resolve_through_the_search_path() {
        let d = tempfile::tempdir().unwrap();
        plugin_in(d.path(), "bridge");
        let t = Target::new(Path::new("bridge"), None, None, &[d.path().to_owned()]).unwrap();
        assert_eq!(t.plugin, d.path().join("bridge"));
        let e = Target::new(Path::new("nope"), None, None, &[d.path().to_owned()]).unwrap_err();
        assert!(
            e.0.starts_with("--plugin nope: failed to find plugin"),
            "{e}"
        );
    }
}
