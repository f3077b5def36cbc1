//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use cnitest::runtime::Runtime;
use cnitest::runtime::stub::{Reply, Stub};
use cnitest::spec::NetworkConfig;
use serde_json::{Value, json};

/// The `cnitest` binary under test.
pub fn cnitest_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cnitest"))
}

/// A plugin directory of recording stubs and a private result cache.
pub struct StubDir {
    pub dir: tempfile::TempDir,
    pub cache: tempfile::TempDir,
}

impl StubDir {
    pub fn new() -> StubDir {
        StubDir {
            dir: tempfile::tempdir().unwrap(),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Installs `cnitest-stub-<name>`; its type in a config is the full name.
    pub fn stub(&self, name: &str) -> Stub {
        Stub::install(
            &cnitest_exe(),
            self.dir.path(),
            &format!("cnitest-stub-{name}"),
        )
        .unwrap()
    }

    pub fn runtime(&self) -> Runtime {
        Runtime::new(vec![self.dir.path().to_owned()], self.cache.path())
    }
}

pub fn net(value: Value) -> NetworkConfig {
    NetworkConfig::from_value(value).unwrap()
}

/// A 1.x-shaped result at the request's version, one interface, one address.
pub fn result_with(address: &str) -> Value {
    json!({
        "cniVersion": "$cniVersion",
        "interfaces": [{"name": "eth0", "mac": "0a:58:0a:01:00:02", "sandbox": "/run/netns/x"}],
        "ips": [{"address": address, "gateway": "10.1.0.1", "interface": 0}],
        "dns": {"nameservers": ["10.1.0.1"]}
    })
}

pub fn ok(stdout: Value) -> Reply {
    Reply {
        stdout: Some(stdout),
        ..Reply::default()
    }
}

pub fn fail(code: u64, msg: &str) -> Reply {
    Reply {
        exit: 1,
        stdout: Some(json!({"cniVersion": "$cniVersion", "code": code, "msg": msg})),
        ..Reply::default()
    }
}

/// The directory holding the reference plugins, built if they are not: the
/// harness's tests run the suite against them.
pub fn reference_plugins() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = cnitest_exe().parent().expect("target dir").to_owned();
            let names = [
                "cni-reference",
                "cni-reference-ipam",
                "cni-reference-tuning",
            ];
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            // Always ask cargo: it rebuilds only what changed since.
            let status = std::process::Command::new(cargo)
                .args(["build", "-p", "cni-reference-plugins", "--bins"])
                .status()
                .expect("cargo build");
            assert!(status.success(), "building the reference plugins");
            for n in names {
                assert!(
                    dir.join(n).is_file(),
                    "{} missing after the build",
                    dir.join(n).display()
                );
            }
            dir
        })
        .clone()
}
