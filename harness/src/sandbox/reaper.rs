//! Releasing a sandbox's namespaces off the caller's path. Closing the last descriptor of a mount
//! namespace makes the kernel unmount its whole tree and wait for an RCU grace period (hundreds
//! of microseconds, more on a busy machine); a network namespace is torn down by the kernel in
//! the background anyway. One background thread takes the descriptors and closes them, so a
//! case's teardown overlaps with the next case's setup.

use std::os::fd::OwnedFd;
use std::sync::mpsc::{Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, OnceLock};

enum Job {
    Release(Vec<Arc<OwnedFd>>),
    Settle(SyncSender<()>),
}

fn reaper() -> Option<&'static Sender<Job>> {
    static REAPER: OnceLock<Option<Sender<Job>>> = OnceLock::new();
    REAPER
        .get_or_init(|| {
            let (sender, jobs) = channel::<Job>();
            std::thread::Builder::new()
                .name("cnitest-reaper".into())
                .stack_size(64 * 1024)
                .spawn(move || {
                    for job in jobs {
                        match job {
                            Job::Release(fds) => drop(fds),
                            Job::Settle(done) => {
                                let _ = done.send(());
                            }
                        }
                    }
                })
                .ok()
                .map(|_| sender)
        })
        .as_ref()
}

/// Closes `fds` in the background (or here, if the background thread could not be started).
pub(crate) fn release(fds: Vec<Arc<OwnedFd>>) {
    if let Some(reaper) = reaper() {
        // A failed send hands the job back; dropping it closes the descriptors here.
        let _ = reaper.send(Job::Release(fds));
    }
}

/// Waits until every namespace released so far has had its descriptors closed: after this, a
/// dropped sandbox holds nothing, which tests that count descriptors rely on.
pub fn settle() {
    if let Some(reaper) = reaper() {
        let (done, wait) = sync_channel(1);
        if reaper.send(Job::Settle(done)).is_ok() {
            let _ = wait.recv();
        }
    }
}

/// Moves the descriptor out of `slot` for release, leaving a descriptor on `/dev/null` in its
/// place (the slot's owner is being torn down and will not use it again). `None` if there is no
/// `/dev/null` to leave: the owner then closes the descriptor itself.
pub(crate) fn take(slot: &mut Arc<OwnedFd>) -> Option<Arc<OwnedFd>> {
    static PLACEHOLDER: OnceLock<Option<Arc<OwnedFd>>> = OnceLock::new();
    let placeholder = PLACEHOLDER
        .get_or_init(|| {
            std::fs::File::open("/dev/null")
                .ok()
                .map(|file| Arc::new(OwnedFd::from(file)))
        })
        .as_ref()?;
    Some(std::mem::replace(slot, Arc::clone(placeholder)))
}
