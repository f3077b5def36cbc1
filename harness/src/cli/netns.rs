//! Network namespaces that `exec --new-netns` makes for a container and
//! that outlive the command (pinned by a bind mount, as `ip netns add`
//! does), until `exec del --delete-netns`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, unshare};

/// Where `--new-netns` puts the namespace of a container.
pub fn pinned_path(container_id: &str) -> PathBuf {
    PathBuf::from(format!("/run/netns/cnitest-{container_id}"))
}

/// Makes a new network namespace reachable at `path`.
pub fn create(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let target = path.to_owned();
    // unshare moves only the calling thread: do it in one of our own that
    // ends right after, never in a thread the rest of the program uses.
    let made = std::thread::spawn(move || -> io::Result<()> {
        unshare(CloneFlags::CLONE_NEWNET)?;
        mount(
            Some("/proc/thread-self/ns/net"),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )?;
        Ok(())
    })
    .join()
    .unwrap_or_else(|_| Err(io::Error::other("namespace thread panicked")));
    if made.is_err() {
        let _ = fs::remove_file(path);
    }
    made
}

/// Unpins and removes a namespace made by [`create`]; the kernel frees it
/// once nothing else holds it.
pub fn delete(path: &Path) -> io::Result<()> {
    match umount2(path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL) => {}
        Err(e) => return Err(e.into()),
    }
    fs::remove_file(path)
}
