//! Processes left inside a sandbox's namespaces or a plugin's process group: finding them by
//! `/proc`, and killing exactly those.
//!
//! A process is killed through a pidfd opened before its membership is checked a second time, so
//! a pid reused between the scan and the kill is never hit.

use std::fs::{self, File};
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::{SandboxError, TeardownErrors};
use super::netns::{NsId, NsKind};
use super::run::start_time;

/// How far a list of namespaces can be trusted.
#[derive(Debug, Clone)]
pub(crate) enum Trust {
    /// This process holds the namespaces open, so their inode numbers cannot have been reused.
    Held,
    /// Read from the record of a dead run: an inode number may since belong to someone else's
    /// namespace, so each match is proved with the kernel's namespace id or, where the kernel has
    /// none, with the run's tag among the process's mounts.
    Recorded { tag: Option<String> },
}

/// A process that was killed, and why it was ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Killed {
    /// Its pid.
    pub pid: u32,
    /// Its command name (`/proc/<pid>/comm`).
    pub command: String,
    /// Why it was killed: the namespace or process group it was found in.
    pub reason: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Target<'a> {
    pub namespaces: &'a [NsId],
    pub process_groups: &'a [(i32, u64)],
    pub trust: Trust,
}

/// Kills every process inside one of `namespaces`.
pub(crate) fn kill_in(namespaces: &[NsId], trust: Trust) -> Result<Vec<Killed>, TeardownErrors> {
    kill(&Target {
        namespaces,
        process_groups: &[],
        trust,
    })
}

/// Kills every process of `target` and waits (a bounded time) for them to be gone.
pub(crate) fn kill(target: &Target<'_>) -> Result<Vec<Killed>, TeardownErrors> {
    let mut errors = TeardownErrors::default();
    let mut killed = Vec::new();
    let mut pidfds = Vec::new();
    let own = std::process::id();
    let entries = match fs::read_dir("/proc") {
        Ok(entries) => entries,
        Err(err) => {
            errors.0.push(SandboxError::io("list /proc")(err));
            return Err(errors);
        }
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == own || pid == 1 || matches(pid, target).is_none() {
            continue;
        }
        let Some(pidfd) = pidfd_open(pid) else {
            continue; // gone already
        };
        // Checked again through the pidfd's process: the pid may have been reused since.
        let Some(reason) = matches(pid, target) else {
            continue;
        };
        let command = fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|comm| comm.trim_end().to_owned())
            .unwrap_or_default();
        match pidfd_kill(&pidfd) {
            Ok(()) => {
                killed.push(Killed {
                    pid,
                    command,
                    reason,
                });
                pidfds.push(pidfd);
            }
            Err(nix::errno::Errno::ESRCH) => {}
            Err(err) => errors.0.push(SandboxError::sys(format!(
                "kill process {pid} ({command}) found {reason}"
            ))(err)),
        }
    }
    wait_gone(&pidfds, Duration::from_secs(5));
    if errors.0.is_empty() {
        Ok(killed)
    } else {
        Err(errors)
    }
}

/// Why `pid` belongs to `target`, if it does.
fn matches(pid: u32, target: &Target<'_>) -> Option<String> {
    for kind in [NsKind::Mnt, NsKind::Net] {
        let Some(ino) = ns_inode(pid, kind) else {
            continue;
        };
        for recorded in target
            .namespaces
            .iter()
            .filter(|ns| ns.kind == kind && ns.ino == ino)
        {
            let proved = match &target.trust {
                Trust::Held => true,
                Trust::Recorded { tag } => {
                    let path = format!("/proc/{pid}/ns/{}", kind.name());
                    match NsId::of_path(Path::new(&path), kind) {
                        Ok(now) if recorded.id.is_some() && now.id.is_some() => {
                            recorded.same_as(&now)
                        }
                        // Without ids, only a mount namespace carries proof (the run's tag as the
                        // source of its mounts); a process in one of our netns but not in our
                        // mount namespace is left alone.
                        Ok(now) if now.dev == recorded.dev && kind == NsKind::Mnt => {
                            tag.as_deref().is_some_and(|tag| mounts_show(pid, tag))
                        }
                        _ => false,
                    }
                }
            };
            if proved {
                return Some(format!("in namespace {recorded}"));
            }
        }
    }
    let pgid = process_group(pid)?;
    let &(_, leader_start) = target
        .process_groups
        .iter()
        .find(|(group, _)| *group == pgid)?;
    let ours = match u32::try_from(pgid).ok().and_then(start_time) {
        // The leader is alive: its start time tells whether the group id was reused.
        Some(start) => start == leader_start,
        // The leader is gone; while a member lives its group id cannot be reused, and a member
        // of a reused group would have started after our leader.
        None => start_time(pid).is_some_and(|start| start >= leader_start),
    };
    ours.then(|| format!("in process group {pgid}"))
}

fn ns_inode(pid: u32, kind: NsKind) -> Option<u64> {
    let link = fs::read_link(format!("/proc/{pid}/ns/{}", kind.name())).ok()?;
    let link = link.to_str()?;
    link.strip_prefix(kind.name())?
        .strip_prefix(":[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

fn process_group(pid: u32) -> Option<i32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace().nth(2)?.parse().ok()
}

fn mounts_show(pid: u32, tag: &str) -> bool {
    let mut text = String::new();
    File::open(format!("/proc/{pid}/mountinfo"))
        .and_then(|mut file| file.read_to_string(&mut text))
        .is_ok()
        && text.lines().any(|line| {
            line.split(" - ")
                .nth(1)
                .and_then(|fs| fs.split(' ').nth(1))
                .is_some_and(|source| source == tag)
        })
}

fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: a non-negative return is a descriptor this process now owns.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn pidfd_kill(pidfd: &OwnedFd) -> Result<(), nix::errno::Errno> {
    // SAFETY: pidfd_send_signal with a valid pidfd, a signal number, no siginfo and no flags.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            libc::SIGKILL,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(nix::errno::Errno::last())
    }
}

/// Waits until every process is gone (a pidfd becomes readable when its process exits).
fn wait_gone(pidfds: &[OwnedFd], limit: Duration) {
    let deadline = Instant::now() + limit;
    for pidfd in pidfds {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let mut poll = libc::pollfd {
                fd: pidfd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let millis = left.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: one pollfd, valid for the call.
            let rc = unsafe { libc::poll(&mut poll, 1, millis) };
            if rc != 0 && !(rc < 0 && nix::errno::Errno::last() == nix::errno::Errno::EINTR) {
                break;
            }
            if left.is_zero() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_namespaces_are_read() {
        let pid = std::process::id();
        assert!(ns_inode(pid, NsKind::Net).is_some());
        assert!(ns_inode(pid, NsKind::Mnt).is_some());
        assert!(process_group(pid).is_some());
    }
}
