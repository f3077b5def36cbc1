//! What the observer needs from the sandbox: the files under its private state directories, read
//! from inside its mount namespace, and complete fingerprints of the fake host and containers.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::sched::{CloneFlags, setns};

use super::error::SandboxError;
use super::instance::Sandbox;
use super::mount::{self, NETNS_DIR};
use super::observe::{FileFacts, FileKind, Fingerprint};
use super::thread::in_own_thread;

impl Sandbox {
    /// Every path under the sandbox's state directories (`/run`, `/var/run` where it is a
    /// directory of its own, `/var/lib/cni`) with its kind, size and content, as a plugin in the
    /// sandbox sees them. What the sandbox itself put there is left out: the container netns
    /// files under `/run/netns` and the paths it bound back.
    pub fn state_files(&self) -> Result<BTreeMap<PathBuf, FileFacts>, SandboxError> {
        let mnt = Arc::clone(&self.mnt);
        let dirs = mount::state_dirs();
        let own = self.own_paths();
        let files = in_own_thread("read the sandbox's state files", || {
            setns(mnt.as_fd(), CloneFlags::CLONE_NEWNS)
                .map_err(SandboxError::sys("enter the sandbox's mount namespace"))?;
            let mount_points = mount::mount_points()?;
            let mut all = BTreeMap::new();
            for dir in &dirs {
                walk(dir, &own, &mount_points, &mut all).map_err(SandboxError::io(format!(
                    "list the files under {} in the sandbox",
                    dir.display()
                )))?;
            }
            Ok(all)
        })?;
        Ok(files)
    }

    /// Paths the sandbox made under its state directories: each container netns file (also those
    /// since deleted), `/run/netns` itself, and every kept path with its parents.
    fn own_paths(&self) -> OwnPaths {
        OwnPaths {
            exact: self
                .own_netns_paths
                .iter()
                .cloned()
                .chain([PathBuf::from(NETNS_DIR)])
                .chain(
                    self.kept
                        .iter()
                        .flat_map(|kept| kept.ancestors().map(Path::to_path_buf)),
                )
                .collect(),
            below: self.kept.clone(),
        }
    }

    /// The fake host's links, addresses and routes, its firewall rules (where the tools exist)
    /// and the files under the state directories.
    pub fn fingerprint_host(&self) -> Result<Fingerprint, SandboxError> {
        let handle = self.host_netlink()?;
        let mut fingerprint = Fingerprint::of(&handle).map_err(SandboxError::netlink(
            "read the fake host's links, addresses and routes",
        ))?;
        fingerprint.firewall = self.firewall_rules()?;
        fingerprint.files = Some(self.state_files()?);
        Ok(fingerprint)
    }

    /// Container `name`'s links, addresses, routes and firewall rules. Files are the fake host's
    /// business (the container shares its mount namespace), so `files` stays `None`.
    pub fn fingerprint_container(&self, name: &str) -> Result<Fingerprint, SandboxError> {
        let container = self.container(name).ok_or_else(|| {
            SandboxError::invalid(format!(
                "fingerprint container netns {name:?} (no such container)"
            ))
        })?;
        let handle = container.netlink()?;
        let mut fingerprint = Fingerprint::of(&handle).map_err(SandboxError::netlink(format!(
            "read the links, addresses and routes of container netns {name}"
        )))?;
        fingerprint.firewall = container.firewall_rules()?;
        Ok(fingerprint)
    }
}

#[derive(Debug)]
struct OwnPaths {
    exact: Vec<PathBuf>,
    below: Vec<PathBuf>,
}

fn is_own(path: &Path, own: &OwnPaths) -> bool {
    own.exact.iter().any(|exact| exact == path)
        || own.below.iter().any(|kept| path.starts_with(kept))
}

/// Every path under `root` with its facts, leaving out the sandbox's own paths. A mount point
/// (a plugin's own `ip netns add` below `/run/netns`, say) is listed as `other` without being
/// read or entered: an nsfs file cannot be read, and a mounted tree is not state a plugin wrote.
fn walk(
    root: &Path,
    own: &OwnPaths,
    mount_points: &BTreeSet<PathBuf>,
    found: &mut BTreeMap<PathBuf, FileFacts>,
) -> io::Result<()> {
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        for entry in entries {
            let path = entry?.path();
            let meta = match fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(err),
            };
            if is_own(&path, own) {
                // A directory the sandbox made (`/run/netns`, the parents of a kept path) is
                // not listed, but a plugin may write inside it.
                let below_kept = own.below.iter().any(|kept| path.starts_with(kept));
                if !below_kept && meta.is_dir() && !mount_points.contains(&path) {
                    pending.push(path);
                }
                continue;
            }
            // Not the device number: below an overlay, files report their layer's device.
            if mount_points.contains(&path) {
                let facts = FileFacts {
                    kind: FileKind::Other,
                    size: 0,
                    content: None,
                };
                found.insert(path, facts);
                continue;
            }
            let facts = match FileFacts::of(&path) {
                Ok(facts) => facts,
                Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
                Err(err) => return Err(err),
            };
            if facts.kind == FileKind::Directory {
                pending.push(path.clone());
            }
            found.insert(path, facts);
        }
    }
    Ok(())
}
