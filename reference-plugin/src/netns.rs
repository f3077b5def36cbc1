//! The container's network namespace, as `CNI_NETNS` names it: opened once,
//! refused when it is the plugin's own (a runtime mistake that would let a
//! plugin rename or address the host's links), and entered only by
//! short-lived threads.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::sched::{CloneFlags, setns};

use crate::error::PluginError;

/// An open network namespace.
#[derive(Debug)]
pub struct Netns {
    file: File,
    path: PathBuf,
}

/// Why a namespace could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum NetnsError {
    /// The path does not exist (any more): the runtime deleted it.
    #[error("{} does not exist", .0.display())]
    Gone(PathBuf),
    #[error("{} is the plugin's own network namespace, not a container's", .0.display())]
    Own(PathBuf),
    #[error("{} cannot be opened: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl Netns {
    pub fn open(path: &Path) -> Result<Netns, NetnsError> {
        let file = File::open(path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => NetnsError::Gone(path.to_owned()),
            _ => NetnsError::Unreadable {
                path: path.to_owned(),
                source,
            },
        })?;
        let unreadable = |source| NetnsError::Unreadable {
            path: path.to_owned(),
            source,
        };
        let theirs = file.metadata().map_err(unreadable)?;
        let ours = std::fs::metadata("/proc/thread-self/ns/net").map_err(unreadable)?;
        if (theirs.dev(), theirs.ino()) == (ours.dev(), ours.ino()) {
            return Err(NetnsError::Own(path.to_owned()));
        }
        Ok(Netns {
            file,
            path: path.to_owned(),
        })
    }

    /// Opens the namespace of an ADD or CHECK, for which `CNI_NETNS` is a
    /// required variable: a bad one is an environment error (code 4).
    pub fn open_required(path: &Path) -> Result<Netns, PluginError> {
        Netns::open(path).map_err(|e| PluginError::env("CNI_NETNS", e.to_string()))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }

    /// Runs `work` on a thread that has entered this namespace, for what
    /// netlink cannot do (writing `/proc/sys/net`, which shows the
    /// namespace of the thread that opens it).
    pub fn run<T: Send>(&self, work: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
        let fd = self.fd();
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    setns(fd, CloneFlags::CLONE_NEWNET).map_err(io::Error::from)?;
                    work()
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}
