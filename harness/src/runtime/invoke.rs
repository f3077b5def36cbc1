//! Running one plugin process: a clean environment, the request on stdin,
//! namespaces joined before exec, a timeout that kills the whole process
//! group, and stdout/stderr captured up to a bound.
//!
//! One thread does it all with `poll` over a pidfd and the three pipes, so a
//! run of thousands of invocations costs no extra threads, and a plugin that
//! fills its pipes while we write its stdin cannot deadlock us.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sched::CloneFlags;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// 16 MiB: far above any honest result, far below what hurts the harness.
pub const DEFAULT_OUTPUT_LIMIT: usize = 16 << 20;

/// After the plugin exits, how long we wait for its pipes to close (a
/// grandchild outside its process group may hold them).
const DRAIN_GRACE: Duration = Duration::from_millis(200);

/// Namespaces a plugin process joins before exec, in order (network first,
/// then mount: joining a mount namespace does not change the network one).
///
/// The file descriptors are borrowed: whoever builds an [`Invocation`] keeps
/// the namespaces open until [`invoke`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespaces(pub Vec<(RawFd, CloneFlags)>);

/// Everything needed to run a plugin once.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub program: PathBuf,
    /// argv[0]; the program path when `None`, as Go's os/exec passes it.
    pub arg0: Option<String>,
    /// The complete environment: nothing is inherited from the harness.
    pub env: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    pub timeout: Duration,
    pub output_limit: usize,
    pub namespaces: Namespaces,
}

impl Invocation {
    pub fn new(program: impl Into<PathBuf>) -> Invocation {
        Invocation {
            program: program.into(),
            arg0: None,
            env: Vec::new(),
            stdin: Vec::new(),
            timeout: Duration::from_secs(10),
            output_limit: DEFAULT_OUTPUT_LIMIT,
            namespaces: Namespaces::default(),
        }
    }
}

/// How the plugin process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    Exited(i32),
    /// Killed by a signal it did not handle (a crash, or someone else's kill).
    Signaled {
        signal: i32,
        core_dumped: bool,
    },
    /// Still running at the deadline; we killed its process group.
    TimedOut,
}

impl Termination {
    pub fn success(self) -> bool {
        self == Termination::Exited(0)
    }

    fn from_status(status: ExitStatus) -> Termination {
        match (status.code(), status.signal()) {
            (Some(code), _) => Termination::Exited(code),
            (None, Some(signal)) => Termination::Signaled {
                signal,
                core_dumped: status.core_dumped(),
            },
            (None, None) => Termination::Exited(-1),
        }
    }
}

impl std::fmt::Display for Termination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Termination::Exited(code) => write!(f, "exit status {code}"),
            Termination::Signaled {
                signal,
                core_dumped,
            } => {
                let name = Signal::try_from(*signal)
                    .map(|s| s.as_str())
                    .unwrap_or("unknown signal");
                write!(
                    f,
                    "killed by signal {signal} ({name}){}",
                    if *core_dumped { ", core dumped" } else { "" }
                )
            }
            Termination::TimedOut => f.write_str("timed out"),
        }
    }
}

/// What one output stream carried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// At most the output limit's worth.
    pub bytes: Vec<u8>,
    /// How many bytes the plugin wrote in all.
    pub total: u64,
}

impl Captured {
    pub fn truncated(&self) -> bool {
        self.total > self.bytes.len() as u64
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    fn take(&mut self, chunk: &[u8], limit: usize) {
        self.total += chunk.len() as u64;
        let room = limit.saturating_sub(self.bytes.len());
        self.bytes
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
}

/// What happened when a plugin ran.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub termination: Termination,
    pub stdout: Captured,
    pub stderr: Captured,
    pub duration: Duration,
    /// Whether the plugin stopped reading before taking all of stdin.
    pub stdin_unread: bool,
}

/// Why a plugin could not be run at all.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("starting plugin {program}: {source}")]
    Spawn {
        program: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("watching plugin {program} (pid {pid}): {source}")]
    Watch {
        program: PathBuf,
        pid: u32,
        #[source]
        source: io::Error,
    },
}

impl InvokeError {
    /// The program does not exist or cannot be executed: the user's (or the
    /// plugin's) problem, not the harness's.
    pub fn is_missing_program(&self) -> bool {
        matches!(self, InvokeError::Spawn { source, .. }
            if matches!(source.kind(), io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied)
                || source.raw_os_error() == Some(libc::ENOEXEC))
    }
}

/// Runs the plugin to completion or to its deadline.
pub fn invoke(inv: &Invocation) -> Result<Outcome, InvokeError> {
    let started = Instant::now();
    let mut cmd = Command::new(&inv.program);
    if let Some(arg0) = &inv.arg0 {
        cmd.arg0(arg0);
    }
    cmd.env_clear()
        .envs(inv.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout kills the plugin's children
        // (an IPAM delegate it is waiting for) with it.
        .process_group(0);
    let namespaces = inv.namespaces.0.clone();
    // SAFETY: the closure runs in the forked child before exec and only
    // makes async-signal-safe system calls (setns, prctl); it allocates
    // nothing. The fds stay open in the parent for the duration of invoke.
    unsafe {
        cmd.pre_exec(move || {
            for &(fd, flags) in &namespaces {
                if libc::setns(fd, flags.bits()) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // If the harness dies, so does the plugin (the run's `clean`
            // takes care of anything that escapes).
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|source| InvokeError::Spawn {
        program: inv.program.clone(),
        source,
    })?;
    let watch_err = |pid: u32| {
        let program = inv.program.clone();
        move |source: io::Error| InvokeError::Watch {
            program,
            pid,
            source,
        }
    };
    let pid = child.id();
    let result = supervise(&mut child, inv, started);
    match result {
        Ok(outcome) => Ok(outcome),
        Err(e) => {
            // Never leave a plugin running behind an error of ours.
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
            let _ = child.wait();
            Err(watch_err(pid)(e))
        }
    }
}

fn supervise(child: &mut Child, inv: &Invocation, started: Instant) -> io::Result<Outcome> {
    let pid = child.id();
    let pgid = Pid::from_raw(pid as i32);
    let pidfd = pidfd_open(pid)?;
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    for fd in [
        stdin.as_ref().map(AsRawFd::as_raw_fd),
        stdout.as_ref().map(AsRawFd::as_raw_fd),
        stderr.as_ref().map(AsRawFd::as_raw_fd),
    ]
    .into_iter()
    .flatten()
    {
        set_nonblocking(fd)?;
    }
    if inv.stdin.is_empty() {
        stdin = None;
    }
    let deadline = started + inv.timeout;
    let mut written = 0usize;
    let mut stdin_unread = false;
    let mut out = Captured::default();
    let mut err = Captured::default();
    let mut exited: Option<ExitStatus> = None;
    let mut timed_out = false;
    let mut drain_deadline: Option<Instant> = None;
    let mut buf = vec![0u8; 64 * 1024];

    loop {
        if exited.is_some() && stdout.is_none() && stderr.is_none() {
            break;
        }
        let now = Instant::now();
        let limit = match (exited, drain_deadline) {
            (Some(_), Some(d)) => d,
            _ => deadline,
        };
        if now >= limit {
            if exited.is_none() {
                // The deadline passed with the plugin still running.
                timed_out = true;
                let _ = killpg(pgid, Signal::SIGKILL);
                exited = Some(child.wait()?);
                drain_deadline = Some(Instant::now() + DRAIN_GRACE);
                continue;
            }
            // Exited, but something still holds its pipes open.
            break;
        }
        let mut fds = Vec::with_capacity(4);
        let mut tags = Vec::with_capacity(4);
        if exited.is_none() {
            fds.push(PollFd::new(pidfd.as_fd(), PollFlags::POLLIN));
            tags.push(Stream::Exit);
        }
        if let Some(s) = &stdin {
            fds.push(PollFd::new(s.as_fd(), PollFlags::POLLOUT));
            tags.push(Stream::Stdin);
        }
        if let Some(s) = &stdout {
            fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
            tags.push(Stream::Stdout);
        }
        if let Some(s) = &stderr {
            fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
            tags.push(Stream::Stderr);
        }
        let wait = limit.saturating_duration_since(now);
        let timeout = PollTimeout::try_from(wait.as_millis().max(1).min(i32::MAX as u128) as i32)
            .unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let ready: Vec<(Stream, PollFlags)> = fds
            .iter()
            .zip(&tags)
            .filter_map(|(fd, tag)| fd.revents().filter(|r| !r.is_empty()).map(|r| (*tag, r)))
            .collect();
        drop(fds);
        for (tag, _revents) in ready {
            match tag {
                Stream::Exit => {
                    exited = Some(child.wait()?);
                    // Anything the plugin left running in its group goes now.
                    let _ = killpg(pgid, Signal::SIGKILL);
                    drain_deadline = Some(Instant::now() + DRAIN_GRACE);
                    if stdin.take().is_some() && written < inv.stdin.len() {
                        stdin_unread = true;
                    }
                }
                Stream::Stdin => {
                    if let Some(s) = stdin.as_mut() {
                        match s.write(&inv.stdin[written..]) {
                            Ok(n) => written += n,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                                stdin_unread = true;
                                stdin = None;
                            }
                            Err(e) => return Err(e),
                        }
                        if written >= inv.stdin.len() {
                            // Closing stdin is how the plugin learns the request ended.
                            stdin = None;
                        }
                    }
                }
                Stream::Stdout => {
                    if read_some(&mut stdout, &mut buf, &mut out, inv.output_limit)? {
                        stdout = None;
                    }
                }
                Stream::Stderr => {
                    if read_some(&mut stderr, &mut buf, &mut err, inv.output_limit)? {
                        stderr = None;
                    }
                }
            }
        }
    }
    let status = match exited {
        Some(s) => s,
        None => child.wait()?,
    };
    Ok(Outcome {
        termination: if timed_out {
            Termination::TimedOut
        } else {
            Termination::from_status(status)
        },
        stdout: out,
        stderr: err,
        duration: started.elapsed(),
        stdin_unread,
    })
}

#[derive(Debug, Clone, Copy)]
enum Stream {
    Exit,
    Stdin,
    Stdout,
    Stderr,
}

/// Reads what is available; returns true at end of file.
fn read_some<R: Read>(
    stream: &mut Option<R>,
    buf: &mut [u8],
    into: &mut Captured,
    limit: usize,
) -> io::Result<bool> {
    let Some(s) = stream.as_mut() else {
        return Ok(true);
    };
    loop {
        match s.read(buf) {
            Ok(0) => return Ok(true),
            Ok(n) => into.take(&buf[..n], limit),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: fd is one of the child's pipe ends we hold for this call.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: a plain system call; on success it returns a new fd we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just handed us this descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A plugin made of a shell script; the temp dir lives as long as it.
    fn script(body: &str) -> (tempfile::TempDir, Invocation) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plugin");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut inv = Invocation::new(path);
        inv.env = vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("MARK".into(), "1".into()),
        ];
        inv.timeout = Duration::from_secs(10);
        (dir, inv)
    }

    fn run(body: &str, stdin: &[u8], timeout: Duration) -> Outcome {
        let (_dir, mut inv) = script(body);
        inv.stdin = stdin.to_vec();
        inv.timeout = timeout;
        invoke(&inv).unwrap()
    }

    #[test]
    fn captures_stdout_stderr_and_status() {
        let o = run(
            "cat; echo err >&2; exit 3",
            b"hello",
            Duration::from_secs(5),
        );
        assert_eq!(o.termination, Termination::Exited(3));
        assert_eq!(o.stdout.bytes, b"hello");
        assert_eq!(o.stderr.bytes, b"err\n");
        assert!(!o.stdin_unread);
    }

    #[test]
    fn large_stdin_and_stdout_do_not_deadlock() {
        let input = vec![b'x'; 4 << 20];
        let o = run("cat", &input, Duration::from_secs(20));
        assert_eq!(o.termination, Termination::Exited(0));
        assert_eq!(o.stdout.total, input.len() as u64);
    }

    #[test]
    fn output_is_bounded_and_truncation_reported() {
        let (_dir, mut inv) = script("head -c 3000000 /dev/zero");
        inv.output_limit = 1000;
        let o = invoke(&inv).unwrap();
        assert_eq!(o.stdout.bytes.len(), 1000);
        assert_eq!(o.stdout.total, 3_000_000);
        assert!(o.stdout.truncated());
    }

    #[test]
    fn timeout_kills_the_process_group() {
        // A background child holds the pipes too: only a process-group kill
        // ends it, and its open pipe must not keep us waiting.
        let started = Instant::now();
        let o = run("sleep 30 & sleep 30", b"", Duration::from_millis(300));
        assert_eq!(o.termination, Termination::TimedOut);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn children_left_behind_are_killed() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let body = format!("sleep 30 >/dev/null 2>&1 & echo $! > {}", pidfile.display());
        let o = run(&body, b"", Duration::from_secs(5));
        assert!(o.termination.success());
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // Gone, or a zombie waiting for init to reap it.
        assert!(stat.is_empty() || stat.contains(") Z "), "{stat}");
    }

    #[test]
    fn signals_are_reported() {
        let o = run("kill -SEGV $$", b"", Duration::from_secs(5));
        assert!(
            matches!(o.termination, Termination::Signaled { signal: 11, .. }),
            "{:?}",
            o.termination
        );
        assert!(o.termination.to_string().contains("SIGSEGV"));
    }

    #[test]
    fn environment_is_clean() {
        let o = run("env", b"", Duration::from_secs(5));
        let text = o.stdout.text();
        assert!(text.contains("MARK=1"), "{text}");
        assert!(!text.contains("CARGO"), "{text}");
    }

    #[test]
    fn missing_program_is_classified() {
        let inv = Invocation::new("/nonexistent/plugin");
        let err = invoke(&inv).unwrap_err();
        assert!(err.is_missing_program(), "{err}");
    }
}
