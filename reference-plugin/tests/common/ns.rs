//! Throwaway network namespaces for tests: a fake host that plugins run in
//! and containers, made with `ip netns` and deleted when the guard drops,
//! on panic too. Nothing is ever created in the machine's own namespace.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fake host namespace and the container namespaces of one test.
#[derive(Debug)]
pub struct Namespaces {
    prefix: String,
    pub host: String,
    containers: Vec<String>,
}

impl Namespaces {
    /// A host and one container, `c0`.
    pub fn new() -> Namespaces {
        require_root();
        let prefix = format!(
            "cnitref-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let host = format!("{prefix}-h");
        add(&host);
        let mut ns = Namespaces {
            prefix,
            host,
            containers: Vec::new(),
        };
        ns.add_container();
        ns
    }

    /// Adds a container namespace and returns its name.
    pub fn add_container(&mut self) -> String {
        let name = format!("{}-c{}", self.prefix, self.containers.len());
        add(&name);
        self.containers.push(name.clone());
        name
    }

    /// The first container.
    pub fn container(&self) -> &str {
        &self.containers[0]
    }

    /// Deletes a container's namespace, as a runtime does after DEL (or, in
    /// a test, before it).
    pub fn delete_container(&mut self, name: &str) {
        del(name);
        self.containers.retain(|c| c != name);
    }
}

/// The tests need root (namespaces, links). Without it they fail loudly:
/// a skipped kernel test must never pass in silence.
fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "these tests make network namespaces and need root"
    );
}

/// `CNI_NETNS` for a namespace `ip netns` made.
pub fn netns_path(name: &str) -> PathBuf {
    PathBuf::from("/run/netns").join(name)
}

/// `ip` with a fixed search path, for tests that run with a clean
/// environment.
pub fn ip() -> Command {
    let mut command = Command::new("ip");
    command.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    command
}

/// Runs `ip` with `args`, panicking with its stderr on failure.
pub fn ip_ok(args: &[&str]) {
    let out = ip().args(args).output().expect("run ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn add(name: &str) {
    ip_ok(&["netns", "add", name]);
}

fn del(name: &str) {
    let _ = ip().args(["netns", "del", name]).output();
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for name in self.containers.drain(..) {
            del(&name);
        }
        del(&self.host);
    }
}
