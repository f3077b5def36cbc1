//! Guards for what a run makes besides namespaces: temp dirs and plugin process groups. Each is
//! recorded in the run directory while it lives, so `clean` can release it after a SIGKILL.

use std::io;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
use nix::unistd::Pid;

use super::error::SandboxError;
use super::record::Facts;
use super::run::{Record, start_time};
use super::signal;

/// The prefix of every temp dir a run makes; `clean` removes nothing without it.
pub const TEMP_PREFIX: &str = "cnitest-";

/// A temp dir under the system temp dir, removed when dropped (or by `clean` after a SIGKILL).
#[derive(Debug)]
pub struct TempDir {
    dir: Option<tempfile::TempDir>,
    record: Option<Record>,
}

impl TempDir {
    /// Makes a temp dir named `cnitest-<label>-<random>`.
    pub fn new(label: &str) -> Result<TempDir, SandboxError> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}{label}-"))
            .tempdir()
            .map_err(SandboxError::io(format!("create a temp dir for {label}")))?;
        let record = Record::write(
            "tempdir",
            &Facts {
                temp_dirs: vec![dir.path().to_owned()],
                ..Facts::default()
            }
            .render(),
        );
        match record {
            Ok(record) => Ok(TempDir {
                dir: Some(dir),
                record: Some(record),
            }),
            Err(err) => Err(err), // `dir` drops here and removes the directory.
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new(""), |dir| dir.path())
    }

    /// Removes the directory, reporting what went wrong.
    pub fn close(mut self) -> Result<(), SandboxError> {
        self.release()
    }

    fn release(&mut self) -> Result<(), SandboxError> {
        let mut result = Ok(());
        if let Some(dir) = self.dir.take() {
            let path: PathBuf = dir.path().to_owned();
            result = dir.close().map_err(SandboxError::io(format!(
                "remove temp dir {}",
                path.display()
            )));
        }
        // The record goes even if removal failed: a later `clean` must not remove a path that
        // may by then be someone else's.
        if let Some(record) = self.record.take() {
            result = result.and(record.remove());
        }
        result
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(err) = self.release() {
            eprintln!("cnitest: failed to {err}");
        }
    }
}

/// A plugin's process group (the plugin was spawned as the leader of a new group), recorded while
/// it may hold processes. Dropping it kills whatever is left in the group, but only while the
/// leader is not yet reaped: after that the group id could belong to someone else.
#[derive(Debug)]
pub struct ProcessGroup {
    pgid: i32,
    slot: Option<usize>,
    record: Option<Record>,
}

impl ProcessGroup {
    /// Tracks the group led by `leader` (a child of this process, spawned with
    /// `process_group(0)`), right after spawning it.
    pub fn track(leader: u32) -> Result<ProcessGroup, SandboxError> {
        let pgid = i32::try_from(leader).map_err(|_| {
            SandboxError::invalid(format!("track process group {leader} (not a pid)"))
        })?;
        let start = start_time(leader).unwrap_or(0);
        let record = Record::write(
            "pgroup",
            &Facts {
                process_groups: vec![(pgid, start)],
                ..Facts::default()
            }
            .render(),
        )?;
        Ok(ProcessGroup {
            pgid,
            slot: signal::track_group(pgid),
            record: Some(record),
        })
    }

    /// The group id.
    pub fn pgid(&self) -> i32 {
        self.pgid
    }

    /// Kills every process in the group. Call it before reaping the leader (wait with
    /// `WNOWAIT`, or on a timeout): once the leader is reaped the group id may be reused.
    pub fn kill(&self) -> io::Result<()> {
        match killpg(Pid::from_raw(self.pgid), Signal::SIGKILL) {
            Ok(()) | Err(Errno::ESRCH) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Whether the leader is still unreaped (running, or exited but not waited for), which is
    /// when killing the group is safe.
    fn leader_unreaped(&self) -> bool {
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        matches!(
            waitid(Id::Pid(Pid::from_raw(self.pgid)), flags),
            Ok(WaitStatus::StillAlive | WaitStatus::Exited(..) | WaitStatus::Signaled(..))
        )
    }

    /// Kills what is left of the group (if that is still safe) and drops the record.
    pub fn release(mut self) -> Result<(), SandboxError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), SandboxError> {
        let mut result = Ok(());
        if self.record.is_some() && self.leader_unreaped() {
            result = self.kill().map_err(SandboxError::io(format!(
                "kill process group {}",
                self.pgid
            )));
        }
        if let Some(slot) = self.slot.take() {
            signal::untrack_group(slot);
        }
        if let Some(record) = self.record.take() {
            result = result.and(record.remove());
        }
        result
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if let Err(err) = self.finish() {
            eprintln!("cnitest: failed to {err}");
        }
    }
}
