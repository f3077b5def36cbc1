//! Running a plugin binary as a runtime would: a clean environment, stdin
//! from a pipe, stdout and stderr captured, in its own process group, and
//! killed (the whole group) when it outlives its timeout.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::fd::{BorrowedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cnitest::spec::ErrorObject;
use nix::sched::{CloneFlags, setns};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde_json::Value;

/// The three plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bin {
    Interface,
    Ipam,
    Tuning,
}

impl Bin {
    pub const ALL: [Bin; 3] = [Bin::Interface, Bin::Ipam, Bin::Tuning];

    pub fn path(self) -> PathBuf {
        PathBuf::from(match self {
            Bin::Interface => env!("CARGO_BIN_EXE_cni-reference"),
            Bin::Ipam => env!("CARGO_BIN_EXE_cni-reference-ipam"),
            Bin::Tuning => env!("CARGO_BIN_EXE_cni-reference-tuning"),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Bin::Interface => "cni-reference",
            Bin::Ipam => "cni-reference-ipam",
            Bin::Tuning => "cni-reference-tuning",
        }
    }
}

/// One plugin run to make.
#[derive(Debug, Clone)]
pub struct Invocation {
    bin: Bin,
    vars: BTreeMap<String, String>,
    stdin: Vec<u8>,
    /// Namespaces to join before exec (the sandbox's fake host).
    namespaces: Vec<(RawFd, CloneFlags)>,
    timeout: Duration,
}

/// What a run gave.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub what: String,
}

impl Invocation {
    pub fn new(bin: Bin) -> Invocation {
        Invocation {
            bin,
            vars: BTreeMap::new(),
            stdin: Vec::new(),
            namespaces: Vec::new(),
            timeout: Duration::from_secs(30),
        }
    }

    pub fn command(self, command: &str) -> Invocation {
        self.var("CNI_COMMAND", command)
    }

    pub fn var(mut self, key: &str, value: impl Into<String>) -> Invocation {
        self.vars.insert(key.to_owned(), value.into());
        self
    }

    pub fn unset(mut self, key: &str) -> Invocation {
        self.vars.remove(key);
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Invocation {
        self.stdin = bytes.into();
        self
    }

    pub fn config(self, config: &Value) -> Invocation {
        self.stdin(config.to_string())
    }

    /// Runs the plugin inside these namespaces, as a sandbox hands them
    /// out (`Sandbox::plugin_namespaces`).
    pub fn in_namespaces(mut self, namespaces: Vec<(RawFd, CloneFlags)>) -> Invocation {
        self.namespaces = namespaces;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Invocation {
        self.timeout = timeout;
        self
    }

    pub fn run(self) -> Output {
        let (child, readers, what) = self.spawn();
        finish(child, readers, self.timeout, what)
    }

    /// Starts the plugin and returns it with the threads that read its
    /// stdout and stderr.
    pub fn spawn(&self) -> (Child, Readers, String) {
        let mut command = Command::new(self.bin.path());
        let namespaces = self.namespaces.clone();
        let join = move || -> std::io::Result<()> {
            for (fd, flag) in &namespaces {
                // SAFETY: the sandbox owns these descriptors and outlives
                // the run; the child only borrows them to join.
                let fd = unsafe { BorrowedFd::borrow_raw(*fd) };
                setns(fd, *flag).map_err(std::io::Error::from)?;
            }
            Ok(())
        };
        // SAFETY: between fork and exec the closure only calls setns.
        unsafe {
            command.pre_exec(join);
        }
        command
            .env_clear()
            .envs(&self.vars)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = command.spawn().expect("start the plugin");
        let mut stdin = child.stdin.take().expect("stdin pipe");
        let bytes = self.stdin.clone();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&bytes);
        });
        let readers = Readers {
            stdout: read_all(child.stdout.take().expect("stdout pipe")),
            stderr: read_all(child.stderr.take().expect("stderr pipe")),
        };
        let what = format!(
            "{} {} with {}",
            self.bin.name(),
            self.vars
                .get("CNI_COMMAND")
                .map_or("(no command)", String::as_str),
            String::from_utf8_lossy(&self.stdin)
        );
        (child, readers, what)
    }
}

/// The threads reading a plugin's output until end-of-file.
#[derive(Debug)]
pub struct Readers {
    pub stdout: JoinHandle<Vec<u8>>,
    pub stderr: JoinHandle<Vec<u8>>,
}

fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Waits for the plugin, killing its whole process group at the timeout.
pub fn finish(mut child: Child, readers: Readers, timeout: Duration, what: String) -> Output {
    let started = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the plugin") {
            break status;
        }
        if started.elapsed() > timeout {
            timed_out = true;
            kill_group(&child);
            break child.wait().expect("wait for the killed plugin");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = readers.stdout.join().expect("stdout reader");
    let stderr = readers.stderr.join().expect("stderr reader");
    Output {
        status,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        timed_out,
        what,
    }
}

/// SIGKILL to the plugin's process group (its pid: it leads the group).
pub fn kill_group(child: &Child) {
    let pgid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits"));
    let _ = killpg(pgid, Signal::SIGKILL);
}

impl Output {
    /// Asserts success and returns the output.
    #[track_caller]
    pub fn ok(self) -> Output {
        assert!(
            self.status.success() && !self.timed_out,
            "{} failed: {:?}\nstdout: {}\nstderr: {}",
            self.what,
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }

    /// Stdout as exactly one JSON value (P-IO-1).
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: stdout is not one JSON value ({e}):\n{}\nstderr: {}",
                self.what, self.stdout, self.stderr
            )
        })
    }

    /// Asserts a failure with an error object on stdout, and returns it.
    #[track_caller]
    pub fn error(&self) -> ErrorObject {
        assert!(
            !self.status.success(),
            "{} succeeded, but should have failed\nstdout: {}",
            self.what,
            self.stdout
        );
        assert_eq!(self.status.code(), Some(1), "{}: exit status", self.what);
        let value = self.json();
        let (error, problems) = ErrorObject::from_value(&value)
            .unwrap_or_else(|e| panic!("{}: not an error object: {e}\n{value}", self.what));
        assert!(problems.is_empty(), "{}: {problems:?}", self.what);
        error
    }

    /// Asserts the error's code and returns the error.
    #[track_caller]
    pub fn code(&self, code: u64) -> ErrorObject {
        let error = self.error();
        assert_eq!(
            error.code, code,
            "{}: {error}\nstderr: {}",
            self.what, self.stderr
        );
        error
    }

    /// Success with nothing on stdout (CHECK, DEL, GC, STATUS).
    #[track_caller]
    pub fn silent(self) -> Output {
        let out = self.ok();
        assert!(
            out.stdout.trim().is_empty(),
            "{}: stdout should be empty, is {:?}",
            out.what,
            out.stdout
        );
        out
    }

    pub fn signal(&self) -> Option<i32> {
        self.status.signal()
    }
}
