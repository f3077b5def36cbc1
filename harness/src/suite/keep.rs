//! `--keep-failed`: a failed case's namespaces pinned by bind mounts, so a
//! person can enter them with nsenter after the run, until `cnitest clean
//! --kept` (or a reboot) releases them.

use std::fs;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};

use crate::sandbox::Sandbox;

/// Where kept sandboxes live: one directory each.
pub fn kept_root() -> PathBuf {
    PathBuf::from("/run/cnitest-kept")
}

/// Pins the sandbox's namespaces under `kept_root()/<name>` and returns the
/// commands that enter them.
pub fn keep(sandbox: &Sandbox, name: &str) -> Result<String, String> {
    let dir = kept_root().join(name);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let pin = |fd: i32, file: &str| -> Result<PathBuf, String> {
        let target = dir.join(file);
        fs::File::create(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        let source = format!("/proc/self/fd/{fd}");
        mount(
            Some(source.as_str()),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| format!("pinning {}: {e}", target.display()))?;
        Ok(target)
    };
    let net = pin(sandbox.host_netns_fd().as_raw_fd(), "host-net")?;
    let mnt = pin(sandbox.mount_ns_fd().as_raw_fd(), "mnt")?;
    let mut text = format!(
        "the fake host: nsenter --net={} --mount={} sh",
        net.display(),
        mnt.display()
    );
    for c in sandbox.containers() {
        let p = pin(c.fd().as_raw_fd(), &format!("container-{}", c.name()))?;
        text.push_str(&format!(
            "; container {}: nsenter --net={} sh",
            c.name(),
            p.display()
        ));
    }
    text.push_str("; release with: cnitest clean --kept");
    Ok(text)
}

/// Unpins and removes every kept sandbox; returns what it removed.
pub fn release_all() -> Result<Vec<PathBuf>, String> {
    let root = kept_root();
    let Ok(entries) = fs::read_dir(&root) else {
        return Ok(Vec::new());
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let dir = entry.path();
        release(&dir)?;
        removed.push(dir);
    }
    let _ = fs::remove_dir(&root);
    Ok(removed)
}

fn release(dir: &Path) -> Result<(), String> {
    for f in fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
    {
        let p = f.path();
        match umount2(&p, MntFlags::MNT_DETACH) {
            Ok(()) | Err(nix::errno::Errno::EINVAL) => {}
            Err(e) => return Err(format!("unpinning {}: {e}", p.display())),
        }
        fs::remove_file(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    fs::remove_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))
}
