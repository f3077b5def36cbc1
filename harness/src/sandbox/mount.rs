//! The private mount namespace plugins run in: what is covered with fresh tmpfs, what is bound back.
//!
//! Everything here runs in a helper thread that has just unshared its mount namespace. `/` is made
//! recursively private first, so no mount made here propagates to the machine, and nothing is
//! created on the machine's filesystem: where a directory is missing (`/var/lib/cni` on a machine
//! that never ran CNI), it is created in an overlay whose upper layer is a tmpfs.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};

use super::error::SandboxError;

/// Where plugins keep their state by convention; each is a fresh tmpfs in every sandbox.
pub const RUN: &str = "/run";
/// The legacy name of `/run`; covered separately only where it is a directory, not a symlink.
pub const VAR_RUN: &str = "/var/run";
/// The parent of `/var/lib/cni`: overlaid so that nothing written below it reaches the machine.
pub const VAR_LIB: &str = "/var/lib";
/// Where host-local and most IPAM plugins keep their allocations.
pub const VAR_LIB_CNI: &str = "/var/lib/cni";
/// Where container netns are bound, as `ip netns` does, but inside the sandbox's mount namespace.
pub const NETNS_DIR: &str = "/run/netns";

const NONE: Option<&str> = None;

/// The state directories of a sandbox: fresh, private, empty when it starts.
pub fn state_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from(RUN)];
    if var_run_is_separate() {
        dirs.push(PathBuf::from(VAR_RUN));
    }
    dirs.push(PathBuf::from(VAR_LIB_CNI));
    dirs
}

fn var_run_is_separate() -> bool {
    fs::symlink_metadata(VAR_RUN).is_ok_and(|meta| meta.is_dir())
}

/// A path of the machine that must stay usable in the sandbox although it lies under a directory
/// the sandbox covers, held open (O_PATH) so it can be bound back after the cover is mounted.
#[derive(Debug)]
pub(crate) struct Kept {
    path: PathBuf,
    fd: OwnedFd,
    is_dir: bool,
}

/// Canonicalises the paths to keep and drops those the sandbox does not cover. Runs before any
/// namespace is made, in the caller's view of the filesystem.
pub(crate) fn paths_to_keep(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SandboxError> {
    let mut covered = vec![PathBuf::from(RUN), PathBuf::from(VAR_LIB_CNI)];
    if var_run_is_separate() {
        covered.push(PathBuf::from(VAR_RUN));
    }
    let mut kept = Vec::new();
    for path in paths {
        let canonical = fs::canonicalize(path).map_err(SandboxError::io(format!(
            "find path to keep {}",
            path.display()
        )))?;
        if covered.contains(&canonical) {
            return Err(SandboxError::invalid(format!(
                "keep {} in the sandbox (it is a private state directory)",
                canonical.display()
            )));
        }
        if covered.iter().any(|dir| canonical.starts_with(dir)) && !kept.contains(&canonical) {
            kept.push(canonical);
        }
    }
    Ok(kept)
}

/// Makes every mount of the new namespace private, so nothing mounted here reaches the machine
/// and nothing the machine mounts later appears here.
pub(crate) fn make_private() -> Result<(), SandboxError> {
    mount(NONE, "/", NONE, MsFlags::MS_REC | MsFlags::MS_PRIVATE, NONE)
        .map_err(SandboxError::sys("make / recursively private"))
}

/// Opens the paths to keep. Must run after `make_private` (a bind mount's source must belong to
/// the namespace it is mounted in) and before the covers are mounted.
pub(crate) fn open_kept(paths: &[PathBuf]) -> Result<Vec<Kept>, SandboxError> {
    paths
        .iter()
        .map(|path| {
            let file = File::options()
                .read(true)
                .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
                .open(path)
                .map_err(SandboxError::io(format!(
                    "open {} to keep it",
                    path.display()
                )))?;
            let is_dir = file
                .metadata()
                .map_err(SandboxError::io(format!("stat {}", path.display())))?
                .is_dir();
            Ok(Kept {
                path: path.clone(),
                fd: file.into(),
                is_dir,
            })
        })
        .collect()
}

/// Mount points strictly below `/var/lib` (and not below `/var/lib/cni`, which is replaced),
/// outermost only: the overlay hides them, so they are bound back through descriptors opened
/// before it.
pub(crate) fn var_lib_submounts() -> Result<Vec<PathBuf>, SandboxError> {
    let points: Vec<PathBuf> = mount_points()?
        .into_iter()
        .filter(|point| {
            point.starts_with(VAR_LIB)
                && point != Path::new(VAR_LIB)
                && !point.starts_with(VAR_LIB_CNI)
        })
        .collect();
    let mut outermost: Vec<PathBuf> = Vec::new();
    for point in points {
        if !outermost.iter().any(|outer| point.starts_with(outer)) {
            outermost.push(point);
        }
    }
    Ok(outermost)
}

/// Every mount point of the calling thread's mount namespace.
pub(crate) fn mount_points() -> Result<BTreeSet<PathBuf>, SandboxError> {
    let mut text = String::new();
    File::open("/proc/thread-self/mountinfo")
        .and_then(|mut file| file.read_to_string(&mut text))
        .map_err(SandboxError::io("read /proc/thread-self/mountinfo"))?;
    Ok(text
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|field| PathBuf::from(unescape_mountinfo(field)))
        .collect())
}

/// mountinfo escapes space, tab, newline and backslash as octal.
fn unescape_mountinfo(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4].iter().all(u8::is_ascii_digit)
        {
            let value =
                (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(value);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn mount_tmpfs(target: &str, tag: &str) -> Result<(), SandboxError> {
    mount(
        Some(tag),
        target,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=0755"),
    )
    .map_err(SandboxError::sys(format!("mount tmpfs on {target}")))
}

/// Covers `/var/lib` with an overlay whose upper layer is a tmpfs, and gives the sandbox an empty
/// `/var/lib/cni`. The overlay is what lets `/var/lib/cni` exist in the sandbox without being
/// created on the machine, and it keeps any other write below `/var/lib` private too; the
/// machine's files stay readable through the lower layer.
///
/// The upper and work directories live on a tmpfs mounted on `/var/lib` itself, under the
/// overlay, where nothing can reach them; the lower layer is named through a descriptor opened
/// before that tmpfs hid it. This costs no unmount (an unmount waits for an RCU grace period).
/// If the machine has a `/var/lib/cni`, its contents are hidden by one more tmpfs.
pub(crate) fn cover_var_lib(
    tag: &str,
    submounts: &[(PathBuf, OwnedFd)],
) -> Result<(), SandboxError> {
    let lower = File::options()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC | libc::O_DIRECTORY)
        .open(VAR_LIB)
        .map_err(SandboxError::io(format!("open {VAR_LIB}")))?;
    let machine_has_cni = fs::symlink_metadata(VAR_LIB_CNI).is_ok();
    mount_tmpfs(VAR_LIB, tag)?;
    for dir in ["/var/lib/upper", "/var/lib/work"] {
        fs::DirBuilder::new()
            .mode(0o755)
            .create(dir)
            .map_err(SandboxError::io(format!("create overlay directory {dir}")))?;
    }
    let options = format!(
        "lowerdir=/proc/thread-self/fd/{},upperdir=/var/lib/upper,workdir=/var/lib/work",
        lower.as_raw_fd()
    );
    mount(
        Some(tag),
        VAR_LIB,
        Some("overlay"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(options.as_str()),
    )
    .map_err(SandboxError::sys("mount an overlay on /var/lib"))?;
    drop(lower);
    for (point, fd) in submounts {
        bind(fd, point, MsFlags::MS_REC)?;
    }
    if machine_has_cni {
        mount_tmpfs(VAR_LIB_CNI, tag)
    } else {
        fs::DirBuilder::new()
            .mode(0o755)
            .create(VAR_LIB_CNI)
            .map_err(SandboxError::io(format!(
                "create {VAR_LIB_CNI} in the overlay"
            )))
    }
}

/// Opens the submounts of `/var/lib` so they can be bound back over the overlay.
pub(crate) fn open_submounts(
    points: Vec<PathBuf>,
) -> Result<Vec<(PathBuf, OwnedFd)>, SandboxError> {
    points
        .into_iter()
        .map(|point| {
            let file = File::options()
                .read(true)
                .custom_flags(libc::O_PATH | libc::O_CLOEXEC | libc::O_DIRECTORY)
                .open(&point)
                .map_err(SandboxError::io(format!(
                    "open mount point {}",
                    point.display()
                )))?;
            Ok((point, file.into()))
        })
        .collect()
}

/// Covers `/run` (and `/var/run` where it is a directory of its own) with fresh tmpfs.
pub(crate) fn cover_run(tag: &str) -> Result<(), SandboxError> {
    mount_tmpfs(RUN, tag)?;
    if var_run_is_separate() {
        mount_tmpfs(VAR_RUN, tag)?;
    }
    Ok(())
}

/// Binds the kept paths back at their own place on top of the covers.
pub(crate) fn bind_kept(kept: &[Kept]) -> Result<(), SandboxError> {
    for item in kept {
        if let Some(parent) = item.path.parent() {
            fs::create_dir_all(parent).map_err(SandboxError::io(format!(
                "create {} in the sandbox",
                parent.display()
            )))?;
        }
        let made = if item.is_dir {
            fs::create_dir(&item.path)
        } else {
            File::create_new(&item.path).map(drop)
        };
        match made {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(err) => {
                return Err(SandboxError::io(format!(
                    "create mount point {} in the sandbox",
                    item.path.display()
                ))(err));
            }
        }
        bind(&item.fd, &item.path, MsFlags::MS_REC)?;
    }
    Ok(())
}

fn bind(fd: &OwnedFd, target: &Path, extra: MsFlags) -> Result<(), SandboxError> {
    let source = format!("/proc/thread-self/fd/{}", fd.as_raw_fd());
    mount(
        Some(source.as_str()),
        target,
        NONE,
        MsFlags::MS_BIND | extra,
        NONE,
    )
    .map_err(SandboxError::sys(format!(
        "bind {} back into the sandbox",
        target.display()
    )))
}

/// Mounts a sysfs of the calling thread's network namespace on `/sys`, so `/sys/class/net` lists
/// the fake host's links rather than the machine's.
pub(crate) fn mount_sysfs() -> Result<(), SandboxError> {
    mount(
        Some("sysfs"),
        "/sys",
        Some("sysfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        NONE,
    )
    .map_err(SandboxError::sys("mount a sysfs of the fake host on /sys"))
}

/// Binds the calling thread's network namespace to `/run/netns/<name>`, where the plugin (which
/// runs in this mount namespace) can open it as `CNI_NETNS`.
pub(crate) fn bind_netns(name: &str) -> Result<PathBuf, SandboxError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(NETNS_DIR)
        .map_err(SandboxError::io(format!(
            "create {NETNS_DIR} in the sandbox"
        )))?;
    let path = Path::new(NETNS_DIR).join(name);
    File::options()
        .write(true)
        .create_new(true)
        .mode(0o444)
        .open(&path)
        .map_err(SandboxError::io(format!("create {}", path.display())))?;
    mount(
        Some("/proc/thread-self/ns/net"),
        &path,
        NONE,
        MsFlags::MS_BIND,
        NONE,
    )
    .map_err(SandboxError::sys(format!(
        "bind a container netns to {}",
        path.display()
    )))?;
    Ok(path)
}

/// Removes a container netns path from the sandbox, so that `CNI_NETNS` names nothing.
pub(crate) fn unbind_netns(path: &Path) -> Result<(), SandboxError> {
    umount2(path, MntFlags::MNT_DETACH)
        .map_err(SandboxError::sys(format!("unmount {}", path.display())))?;
    fs::remove_file(path).map_err(SandboxError::io(format!("remove {}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_undone() {
        assert_eq!(unescape_mountinfo(r"/var/lib/a\040b"), "/var/lib/a b");
        assert_eq!(unescape_mountinfo(r"/x\134y"), r"/x\y");
        assert_eq!(unescape_mountinfo("/plain"), "/plain");
    }
}
