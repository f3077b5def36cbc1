//! Running programs inside a sandbox: namespaces are joined in the child, between fork and exec,
//! so the harness's own threads never move.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use nix::sched::{CloneFlags, setns};

use super::container::Container;
use super::instance::Sandbox;

impl Sandbox {
    /// The namespaces a plugin joins, in the order to join them: the fake host's netns, then the
    /// private mount namespace. The descriptors stay valid while the sandbox lives; a child
    /// inherits them across fork (they are close-on-exec, so the plugin never sees them).
    pub fn plugin_namespaces(&self) -> Vec<(RawFd, CloneFlags)> {
        self.handed_out.store(true, Ordering::Relaxed);
        vec![
            (self.net.as_raw_fd(), CloneFlags::CLONE_NEWNET),
            (self.mnt.as_raw_fd(), CloneFlags::CLONE_NEWNS),
        ]
    }

    /// A command that runs `program` in the fake host (its netns and the private mount
    /// namespace), for tools such as `iptables-save`. The command holds the namespaces alive
    /// until it is dropped.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        self.handed_out.store(true, Ordering::Relaxed);
        let mut command = Command::new(program);
        join_in_child(
            &mut command,
            vec![
                (Arc::clone(&self.net), CloneFlags::CLONE_NEWNET),
                (Arc::clone(&self.mnt), CloneFlags::CLONE_NEWNS),
            ],
        );
        command
    }
}

impl Container {
    /// A command that runs `program` in this container's netns (and the sandbox's mount
    /// namespace, so paths look as they do to the plugin).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        self.handed_out.store(true, Ordering::Relaxed);
        let mut command = Command::new(program);
        join_in_child(
            &mut command,
            vec![
                (Arc::clone(&self.fd), CloneFlags::CLONE_NEWNET),
                (Arc::clone(&self.mnt), CloneFlags::CLONE_NEWNS),
            ],
        );
        command
    }
}

/// Makes the child join `namespaces` before exec. Joining a mount namespace resets the working
/// directory to its root; the directory the command was given (or inherited) is entered again by
/// name, and `/` is used if it does not exist in the sandbox.
pub(crate) fn join_in_child(command: &mut Command, namespaces: Vec<(Arc<OwnedFd>, CloneFlags)>) {
    let join = move || -> io::Result<()> {
        // Only system calls between fork and exec: no allocation, no locks.
        let mut cwd = [0u8; libc::PATH_MAX as usize];
        // SAFETY: the buffer is writable for its whole length.
        let got = unsafe { libc::syscall(libc::SYS_getcwd, cwd.as_mut_ptr(), cwd.len()) };
        for (fd, flag) in &namespaces {
            setns(fd.as_fd(), *flag).map_err(io::Error::from)?;
        }
        if got > 0 {
            // SAFETY: getcwd wrote a NUL-terminated path into the buffer.
            let _ = unsafe { libc::chdir(cwd.as_ptr().cast()) };
        }
        Ok(())
    };
    // SAFETY: the closure makes only async-signal-safe system calls (getcwd, setns, chdir) on
    // memory it owns.
    unsafe {
        command.pre_exec(join);
    }
}
