//! One test's world: a `cnitest` sandbox (a fake host that plugins run in,
//! container namespaces), a CNI_PATH holding the three plugins, a data
//! directory for the IPAM store and the tuning plugin's saved state, and
//! the configurations the tests use. Everything goes when it drops, on
//! panic too.

use std::path::{Path, PathBuf};
use std::process::Command;

use cnitest::netlink::Handle;
use cnitest::runtime::{Namespaces, Runtime};
use cnitest::sandbox::{DEFAULT_CONTAINER, Sandbox};
use cnitest::spec::Version;
use serde_json::{Value, json};
use tempfile::TempDir;

use super::run::{Bin, Invocation, Output};

/// The name tests use for the fake host where they take a namespace name.
pub const HOST: &str = "host";

/// An attachment: container id, interface name, container namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Att {
    pub id: String,
    pub ifname: String,
    pub netns: String,
}

#[derive(Debug)]
pub struct World {
    sandbox: Sandbox,
    bin_dir: TempDir,
    data: TempDir,
}

impl World {
    pub fn new() -> World {
        assert!(
            nix::unistd::geteuid().is_root(),
            "these tests make network namespaces and need root"
        );
        let bin_dir = tempfile::Builder::new()
            .prefix("cnitref-bin")
            .tempdir()
            .expect("temp dir");
        for bin in Bin::ALL {
            std::os::unix::fs::symlink(bin.path(), bin_dir.path().join(bin.name()))
                .expect("symlink a plugin");
        }
        World {
            sandbox: Sandbox::new().expect("a sandbox"),
            bin_dir,
            data: tempfile::Builder::new()
                .prefix("cnitref-data")
                .tempdir()
                .expect("temp dir"),
        }
    }

    pub fn cni_path(&self) -> &Path {
        self.bin_dir.path()
    }

    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Adds a container namespace and returns its name.
    pub fn add_container(&mut self) -> String {
        let name = format!("c{}", self.sandbox.containers().len());
        self.sandbox
            .add_container(&name)
            .expect("a container namespace");
        name
    }

    /// Deletes a container's namespace, as a runtime does after DEL (or, in
    /// a test, before it).
    pub fn delete_container(&mut self, name: &str) {
        self.sandbox
            .delete_container_netns(name)
            .expect("delete a container namespace");
    }

    pub fn has_container(&self, name: &str) -> bool {
        self.sandbox.container(name).is_some()
    }

    /// `CNI_NETNS` for container `name`.
    pub fn netns_path(&self, name: &str) -> PathBuf {
        self.sandbox
            .netns_path(name)
            .expect("a known container")
            .to_owned()
    }

    /// A netlink handle on `ns`: [`HOST`] or a container's name.
    pub fn handle(&self, ns: &str) -> Handle {
        let fd = if ns == HOST {
            self.sandbox.host_netns_fd()
        } else {
            self.sandbox.container(ns).expect("a known container").fd()
        };
        Handle::in_netns(fd).expect("a netlink handle")
    }

    /// A command that runs in `ns` ([`HOST`] or a container).
    pub fn command(&self, ns: &str, program: &str) -> Command {
        if ns == HOST {
            self.sandbox.command(program)
        } else {
            self.sandbox
                .container(ns)
                .expect("a known container")
                .command(program)
        }
    }

    /// Runs `ip args` in `ns`, panicking with its stderr on failure.
    pub fn ip(&self, ns: &str, args: &[&str]) {
        let out = self.command(ns, "ip").args(args).output().expect("run ip");
        assert!(
            out.status.success(),
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The stdout of `sh -c script` in `ns`.
    pub fn sh(&self, ns: &str, script: &str) -> String {
        let out = self
            .command(ns, "sh")
            .args(["-c", script])
            .output()
            .expect("run sh");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// The IPAM store of network `net1`.
    pub fn ipam_store(&self) -> PathBuf {
        self.data.path().join("ipam").join("net1")
    }

    /// Reserved addresses in the IPAM store, sorted.
    pub fn reservations(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.ipam_store()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "lock")
            .collect();
        names.sort();
        names
    }

    /// Tuning's saved states of network `net1`.
    pub fn saved_states(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.data.path().join("tuning").join("net1")) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// The default attachment: container id `ctr0`, interface `eth0`.
    pub fn att(&self) -> Att {
        Att {
            id: "ctr0".to_owned(),
            ifname: "eth0".to_owned(),
            netns: DEFAULT_CONTAINER.to_owned(),
        }
    }

    /// `ipam` section: an IPv4 and an IPv6 range set, routes, DNS.
    pub fn ipam(&self) -> Value {
        json!({
            "type": "cni-reference-ipam",
            "dataDir": self.data.path().join("ipam"),
            "ranges": [[{"subnet": "10.1.0.0/24", "gateway": "10.1.0.1"}], [{"subnet": "fd00:1::/64"}]],
            "routes": [{"dst": "0.0.0.0/0"}, {"dst": "10.9.0.0/16", "gw": "10.1.0.254"}, {"dst": "fd00:9::/64"}],
            "dns": {"nameservers": ["10.1.0.1"], "domain": "example.test", "search": ["example.test"], "options": ["ndots:2"]}
        })
    }

    /// The interface plugin's configuration at `version`.
    pub fn interface_conf(&self, version: Version) -> Value {
        json!({
            "cniVersion": version.as_str(),
            "name": "net1",
            "type": "cni-reference",
            "mtu": 1400,
            "ipam": self.ipam(),
        })
    }

    /// The IPAM plugin's configuration as an upper plugin hands it on.
    pub fn ipam_conf(&self, version: Version) -> Value {
        self.interface_conf(version)
    }

    /// The tuning plugin's configuration at `version`, chained after `prev`.
    pub fn tuning_conf(&self, version: Version, prev: &Value) -> Value {
        json!({
            "cniVersion": version.as_str(),
            "name": "net1",
            "type": "cni-reference-tuning",
            "mtu": 1300,
            "mac": "02:00:00:aa:bb:01",
            "promisc": true,
            "sysctl": {"net.ipv4.conf.eth0.forwarding": "1", "net.ipv6.conf.eth0.hop_limit": "32"},
            "dataDir": self.data.path().join("tuning"),
            "prevResult": prev,
        })
    }

    /// A `cnitest` runtime whose plugins run in this world's fake host,
    /// finding ours first and then the upstream ones in `extra`.
    pub fn runtime(&self, extra: &[&str]) -> Runtime {
        let mut path = vec![self.cni_path().to_owned()];
        path.extend(extra.iter().map(PathBuf::from));
        let mut runtime = Runtime::new(path, self.data.path().join("cache"));
        runtime.namespaces = Namespaces(self.sandbox.plugin_namespaces());
        runtime
    }

    /// A run of `bin` in the fake host, with no variable but CNI_COMMAND.
    pub fn bare(&self, bin: Bin, command: &str, config: &Value) -> Invocation {
        Invocation::new(bin)
            .command(command)
            .config(config)
            .in_namespaces(self.sandbox.plugin_namespaces())
    }

    /// A run of `bin` for `att`, in the fake host, everything set.
    pub fn call(&self, bin: Bin, command: &str, config: &Value, att: &Att) -> Invocation {
        let netns = self.sandbox.netns_path(&att.netns).map_or_else(
            || format!("/run/netns/{}", att.netns),
            |p| p.display().to_string(),
        );
        self.call_global(bin, command, config)
            .var("CNI_CONTAINERID", &att.id)
            .var("CNI_IFNAME", &att.ifname)
            .var("CNI_NETNS", netns)
    }

    pub fn run(&self, bin: Bin, command: &str, config: &Value, att: &Att) -> Output {
        self.call(bin, command, config, att).run()
    }

    /// A run without attachment: STATUS and GC.
    pub fn call_global(&self, bin: Bin, command: &str, config: &Value) -> Invocation {
        self.bare(bin, command, config)
            .var("CNI_PATH", self.cni_path().display().to_string())
    }
}

/// `config` with `prevResult` set (DEL and CHECK at 0.4.0+).
pub fn with_prev(config: &Value, prev: &Value) -> Value {
    let mut config = config.clone();
    config["prevResult"] = prev.clone();
    config
}

/// `config` with fault switches at `path` ("faults" or "ipam.faults").
pub fn with_faults(config: &Value, path: &str, faults: &[&str]) -> Value {
    let mut config = config.clone();
    match path.split_once('.') {
        Some((outer, inner)) => config[outer][inner] = json!(faults),
        None => config[path] = json!(faults),
    }
    config
}
