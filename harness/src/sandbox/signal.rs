//! Ctrl-C and SIGTERM: the first asks the run to stop and unwind (so every guard drops and cleans
//! up); the second kills the plugins' process groups and exits at once, leaving the rest to
//! `cnitest clean`.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

use super::error::SandboxError;

static INTERRUPTED: AtomicI32 = AtomicI32::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Process groups of plugins running now, for the second signal to kill. A fixed table: the
/// handler may not allocate or lock.
const SLOTS: usize = 512;
static GROUPS: [AtomicI32; SLOTS] = [const { AtomicI32::new(0) }; SLOTS];

/// Installs the SIGINT and SIGTERM handlers (once; later calls do nothing).
pub fn install() -> Result<(), SandboxError> {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    // No SA_RESTART: a blocking wait returns EINTR, so the run notices the flag promptly.
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only touches atomics and makes async-signal-safe calls.
        unsafe { sigaction(signal, &action) }
            .map_err(SandboxError::sys(format!("install a handler for {signal}")))?;
    }
    Ok(())
}

/// Whether the run was asked to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst) != 0
}

/// The signal that asked the run to stop, if one did.
pub fn interrupting_signal() -> Option<i32> {
    match INTERRUPTED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

extern "C" fn on_signal(signal: libc::c_int) {
    if INTERRUPTED
        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
    {
        return;
    }
    for slot in &GROUPS {
        let pgid = slot.load(Ordering::SeqCst);
        if pgid > 0 {
            // SAFETY: kill is async-signal-safe.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
    // SAFETY: _exit is async-signal-safe and does not run exit handlers, which may lock.
    unsafe { libc::_exit(128 + signal) }
}

/// Puts a live process group in the table the second signal kills. Returns the slot, or `None`
/// if the table is full (the group is then only killed by its guard).
pub(crate) fn track_group(pgid: i32) -> Option<usize> {
    GROUPS.iter().position(|slot| {
        slot.compare_exchange(0, pgid, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    })
}

/// Takes a process group out of the table.
pub(crate) fn untrack_group(slot: usize) {
    if let Some(slot) = GROUPS.get(slot) {
        slot.store(0, Ordering::SeqCst);
    }
}
