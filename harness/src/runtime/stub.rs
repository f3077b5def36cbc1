//! The recording stub plugin: the `cnitest` binary itself, run under a name
//! starting with `cnitest-stub` (a symlink placed in a `CNI_PATH` dir). It
//! records its argv, environment, stdin and namespace, then answers as its
//! script says. Tests of the runtime use it as every kind of plugin; the
//! suite uses it as a delegate it can watch (P-DELEG-*).
//!
//! Next to the link `<dir>/<name>` live `<name>.json`, the script, and
//! `<name>.log`, one JSON line per call.
//!
//! A script maps `CNI_COMMAND` values (or `"*"`) to an answer:
//! `{"exit": 0, "stdout": <JSON>, "stdoutRaw": "text", "stderr": "text",
//! "sleepMs": 0}`. In `stdout`, the string `"$cniVersion"` anywhere becomes
//! the request's version, and the string `"$prevResult"` as the whole value
//! echoes the request's `prevResult`. Without a script, or without an
//! entry, the stub exits 0 and prints nothing (VERSION: every version).

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::spec::Version;

/// File names starting with this run as the stub.
pub const STUB_PREFIX: &str = "cnitest-stub";

/// One scripted answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    #[serde(default)]
    pub exit: i32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stdout: Option<Value>,
    #[serde(rename = "stdoutRaw", skip_serializing_if = "Option::is_none", default)]
    pub stdout_raw: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stderr: Option<String>,
    #[serde(rename = "sleepMs", default)]
    pub sleep_ms: u64,
}

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub argv: Vec<String>,
    pub command: Option<String>,
    pub env: Map<String, Value>,
    pub stdin: String,
    /// The network namespace the stub ran in (`net:[inode]`), so tests can
    /// tell the fake host from the container (R-ENV-6).
    pub netns: String,
    pub pid: u32,
    /// CLOCK_MONOTONIC at start and end, to order calls (R-CHAIN-4, R-GC-2).
    pub start_ns: u128,
    pub end_ns: u128,
}

impl Record {
    pub fn env(&self, key: &str) -> Option<&str> {
        self.env.get(key).and_then(Value::as_str)
    }

    pub fn request(&self) -> Option<Value> {
        serde_json::from_str(&self.stdin).ok()
    }
}

/// Whether this process was started as the stub.
pub fn invoked_as_stub() -> bool {
    std::env::args_os()
        .next()
        .and_then(|a| {
            Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().starts_with(STUB_PREFIX))
        })
        .unwrap_or(false)
}

/// The stub's main; returns the exit status.
pub fn main() -> i32 {
    let start_ns = monotonic_ns();
    let argv: Vec<String> = std::env::args().collect();
    let mut stdin = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut stdin);
    let me = own_path(argv.first().map(String::as_str).unwrap_or_default());
    let command = std::env::var("CNI_COMMAND").ok();
    let request: Option<Value> = serde_json::from_slice(&stdin).ok();
    let reply = match load_script(&me) {
        Ok(script) => pick(&script, command.as_deref()),
        Err(why) => {
            eprintln!("cnitest stub: {why}");
            return 2;
        }
    };
    if reply.sleep_ms > 0 {
        std::thread::sleep(Duration::from_millis(reply.sleep_ms));
    }
    let out = render(&reply, command.as_deref(), request.as_ref());
    let record = Record {
        argv,
        command: command.clone(),
        env: std::env::vars()
            .map(|(k, v)| (k, Value::String(v)))
            .collect(),
        stdin: String::from_utf8_lossy(&stdin).into_owned(),
        netns: fs::read_link("/proc/self/ns/net")
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        pid: std::process::id(),
        start_ns,
        end_ns: monotonic_ns(),
    };
    if let Err(e) = append_record(&me.with_extension("log"), &record) {
        eprintln!("cnitest stub: writing the log: {e}");
        return 2;
    }
    if let Some(err) = &reply.stderr {
        eprint!("{err}");
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    reply.exit
}

/// The stub's own path: argv[0], or found in CNI_PATH when it has no slash.
fn own_path(arg0: &str) -> PathBuf {
    if arg0.contains('/') {
        return PathBuf::from(arg0);
    }
    std::env::var("CNI_PATH")
        .unwrap_or_default()
        .split(':')
        .map(|d| Path::new(d).join(arg0))
        .find(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from(arg0))
}

fn load_script(me: &Path) -> Result<Map<String, Value>, String> {
    let path = me.with_extension("json");
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn pick(script: &Map<String, Value>, command: Option<&str>) -> Reply {
    let entry = command
        .and_then(|c| script.get(c))
        .or_else(|| script.get("*"));
    match entry {
        Some(v) => serde_json::from_value(v.clone()).unwrap_or_else(|e| Reply {
            exit: 2,
            stderr: Some(format!("cnitest stub: bad script entry: {e}\n")),
            ..Reply::default()
        }),
        None if command == Some("VERSION") => Reply {
            stdout: Some(
                json!({"cniVersion": "$cniVersion", "supportedVersions": Version::ALL.map(Version::as_str)}),
            ),
            ..Reply::default()
        },
        None => Reply::default(),
    }
}

fn render(reply: &Reply, command: Option<&str>, request: Option<&Value>) -> String {
    if let Some(raw) = &reply.stdout_raw {
        return raw.clone();
    }
    let Some(template) = &reply.stdout else {
        return String::new();
    };
    let version = request
        .and_then(|r| r.get("cniVersion"))
        .and_then(Value::as_str)
        .unwrap_or(if command == Some("VERSION") {
            "1.1.0"
        } else {
            ""
        });
    if template.as_str() == Some("$prevResult") {
        return request
            .and_then(|r| r.get("prevResult"))
            .map(|p| p.to_string())
            .unwrap_or_default();
    }
    substitute(template, version).to_string()
}

fn substitute(value: &Value, version: &str) -> Value {
    match value {
        Value::String(s) if s == "$cniVersion" => Value::String(version.to_owned()),
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, version)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, version)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn append_record(path: &Path, record: &Record) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(record)?;
    line.push(b'\n');
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    // Parallel calls append whole lines: records can exceed PIPE_BUF.
    let mut locked = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| std::io::Error::from(e))?;
    locked.write_all(&line)
}

fn monotonic_ns() -> u128 {
    let ts = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .unwrap_or(nix::sys::time::TimeSpec::new(0, 0));
    ts.tv_sec() as u128 * 1_000_000_000 + ts.tv_nsec() as u128
}

/// A stub placed in a directory, for tests and for the suite.
#[derive(Debug, Clone)]
pub struct Stub {
    pub path: PathBuf,
}

impl Stub {
    /// Links `dir/<name>` to the `cnitest` executable `exe`. `name` must start
    /// with [`STUB_PREFIX`].
    pub fn install(exe: &Path, dir: &Path, name: &str) -> std::io::Result<Stub> {
        assert!(
            name.starts_with(STUB_PREFIX),
            "stub names start with {STUB_PREFIX}"
        );
        let path = dir.join(name);
        std::os::unix::fs::symlink(exe, &path)?;
        Ok(Stub { path })
    }

    pub fn name(&self) -> &str {
        self.path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }

    /// Sets the answer to one command (or `"*"`).
    pub fn script(&self, command: &str, reply: Reply) -> std::io::Result<()> {
        let path = self.path.with_extension("json");
        let mut script: Map<String, Value> = fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        script.insert(command.to_owned(), serde_json::to_value(reply)?);
        fs::write(path, serde_json::to_vec_pretty(&script)?)
    }

    /// Every call recorded so far, oldest first.
    pub fn records(&self) -> Vec<Record> {
        fs::read_to_string(self.path.with_extension("log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn clear_records(&self) {
        let _ = fs::remove_file(self.path.with_extension("log"));
    }
}
