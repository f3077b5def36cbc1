//! Short-lived helper threads: the only threads that ever change namespace.
//!
//! The harness's own threads never move: a thread that enters or makes a namespace is spawned for
//! the purpose, does its work and exits, so its namespaces are held only by the descriptors it
//! hands back.

use std::thread;

use nix::sched::{CloneFlags, unshare};

use super::error::SandboxError;

/// Runs `work` in a fresh thread that has its own filesystem context (root, cwd, umask), which
/// `setns(CLONE_NEWNS)` and `unshare(CLONE_NEWNS)` require of a thread in a multi-threaded process.
pub(crate) fn in_own_thread<T, F>(what: &str, work: F) -> Result<T, SandboxError>
where
    T: Send,
    F: FnOnce() -> Result<T, SandboxError> + Send,
{
    thread::scope(|scope| {
        let handle = thread::Builder::new()
            .name("cnitest-ns".into())
            // The work is a handful of system calls; a small stack keeps spawning cheap.
            .stack_size(256 * 1024)
            .spawn_scoped(scope, || {
                unshare(CloneFlags::CLONE_FS).map_err(SandboxError::sys(
                    "unshare the filesystem context of a thread",
                ))?;
                work()
            })
            .map_err(|err| SandboxError::Thread {
                what: format!("start a thread to {what}: {err}"),
            })?;
        handle.join().map_err(|_| SandboxError::Thread {
            what: format!("{what} (the thread panicked)"),
        })?
    })
}
