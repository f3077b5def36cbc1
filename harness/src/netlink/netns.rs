//! Handles bound to a network namespace, opened without moving the caller's
//! thread, and throwaway namespaces that live as long as their file descriptor.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::thread;

use nix::sched::{CloneFlags, setns, unshare};

use super::error::Error;
use super::socket::Handle;

impl Handle {
    /// A handle on the calling thread's network namespace.
    pub fn current() -> Result<Handle, Error> {
        Handle::open().map_err(|e| Error::io("opening an rtnetlink socket", e))
    }

    /// A handle on the namespace `netns` refers to. The socket is opened by
    /// a short-lived thread that enters the namespace, so the caller's
    /// threads stay where they are; a netlink socket stays bound to the
    /// namespace it was created in.
    pub fn in_netns(netns: BorrowedFd<'_>) -> Result<Handle, Error> {
        in_thread_of(netns, || {
            Handle::open().map_err(|e| Error::io("opening an rtnetlink socket in the namespace", e))
        })
    }

    /// A handle on the namespace at `path` (`/proc/<pid>/ns/net`, a bind
    /// mount under `/run/netns`, a CNI_NETNS value).
    pub fn in_netns_path(path: &Path) -> Result<Handle, Error> {
        let file = File::open(path)
            .map_err(|e| Error::io(format!("opening network namespace {}", path.display()), e))?;
        Handle::in_netns(file.as_fd())
    }
}

/// Makes a new, empty network namespace (only a loopback link, down) and
/// returns a descriptor on it. The namespace goes away when the descriptor
/// is closed and nothing else holds it: tests cannot leak one.
pub fn new_netns() -> Result<OwnedFd, Error> {
    run_in_thread(|| {
        unshare(CloneFlags::CLONE_NEWNET)
            .map_err(|e| Error::io("making a network namespace", io::Error::from(e)))?;
        File::open("/proc/thread-self/ns/net")
            .map(OwnedFd::from)
            .map_err(|e| Error::io("opening the new network namespace", e))
    })
}

/// Runs `work` on a fresh thread that first enters `netns`; the thread ends
/// afterwards, taking its namespace membership with it.
fn in_thread_of<T: Send>(
    netns: BorrowedFd<'_>,
    work: impl FnOnce() -> Result<T, Error> + Send,
) -> Result<T, Error> {
    run_in_thread(|| {
        setns(netns, CloneFlags::CLONE_NEWNET)
            .map_err(|e| Error::io("entering the network namespace", io::Error::from(e)))?;
        work()
    })
}

fn run_in_thread<T: Send>(work: impl FnOnce() -> Result<T, Error> + Send) -> Result<T, Error> {
    thread::scope(|scope| {
        thread::Builder::new()
            .name("netns".into())
            .spawn_scoped(scope, work)
            .map_err(|e| Error::io("starting a thread to enter a network namespace", e))?
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}
