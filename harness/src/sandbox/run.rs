//! The run directory: what this process made that could outlive a SIGKILL, written down so that
//! `cnitest clean` can find it and touch nothing else.
//!
//! Layout: `<root>/<pid>-<start>/` holds `run` (pid, process start time, boot id) and `journal`,
//! an append-only list of records (`+ <n> <kind> <facts>` when a thing is made, `- <n>` when it is
//! released): a sandbox's namespaces, a temp dir, a plugin's process group. A record is appended
//! before the thing can outlive the process (before any process can enter a namespace). One
//! `write` per record keeps this cheap and atomic; the journal is compacted when it grows. The
//! directory is made on first use and removed when the process exits normally with nothing live
//! (an `atexit` hook), so a run that ends, or unwinds after Ctrl-C, leaves nothing; after a
//! SIGKILL it stays for `clean`. The root is `$CNITEST_RUN_ROOT` if set, else `/run/cnitest` for
//! root, else `$XDG_RUNTIME_DIR/cnitest`, else `<temp dir>/cnitest-<uid>`.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use super::error::SandboxError;

/// Environment variable that moves the run root (tests use it to keep their runs apart).
pub const RUN_ROOT_ENV: &str = "CNITEST_RUN_ROOT";
/// The file in a run directory that says whose it is.
pub(crate) const RUN_FILE: &str = "run";
/// The file in a run directory that lists what the run made.
pub(crate) const JOURNAL_FILE: &str = "journal";
/// Compact the journal once it is this large.
const COMPACT_AT: u64 = 256 * 1024;

/// The root under which runs record themselves, as `clean` looks for them by default.
pub fn default_root() -> PathBuf {
    if let Some(root) = std::env::var_os(RUN_ROOT_ENV).filter(|root| !root.is_empty()) {
        return PathBuf::from(root);
    }
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/run/cnitest");
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty()) {
        return Path::new(&dir).join("cnitest");
    }
    std::env::temp_dir().join(format!("cnitest-{}", nix::unistd::geteuid()))
}

/// Who a process is, in a form that survives pid reuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub pid: u32,
    /// Start time in clock ticks since boot (field 22 of `/proc/<pid>/stat`).
    pub start: u64,
    pub boot_id: String,
}

impl Identity {
    pub(crate) fn current() -> &'static Identity {
        static CURRENT: OnceLock<Identity> = OnceLock::new();
        CURRENT.get_or_init(|| {
            let pid = std::process::id();
            Identity {
                pid,
                start: start_time(pid).unwrap_or(0),
                boot_id: boot_id(),
            }
        })
    }

    /// The run's tag: the source name of every tmpfs and overlay its sandboxes mount, which lets
    /// `clean` recognise a mount namespace as this run's without trusting an inode number.
    pub(crate) fn tag(&self) -> String {
        format!("cnitest-{}-{}", self.pid, self.start)
    }

    /// The name of this run's directory under the root.
    pub(crate) fn dir_name(&self) -> String {
        format!("{}-{}", self.pid, self.start)
    }

    pub(crate) fn render(&self) -> String {
        format!(
            "pid {}\nstart {}\nboot {}\n",
            self.pid, self.start, self.boot_id
        )
    }

    pub(crate) fn parse(text: &str) -> Option<Identity> {
        let mut pid = None;
        let mut start = None;
        let mut boot = None;
        for line in text.lines() {
            match line.split_once(' ') {
                Some(("pid", value)) => pid = value.parse().ok(),
                Some(("start", value)) => start = value.parse().ok(),
                Some(("boot", value)) => boot = Some(value.to_owned()),
                _ => {}
            }
        }
        Some(Identity {
            pid: pid?,
            start: start?,
            boot_id: boot?,
        })
    }

    /// Whether the process this identity names is still running (same boot, same pid, same
    /// start time).
    pub(crate) fn is_alive(&self) -> bool {
        self.boot_id == boot_id() && start_time(self.pid) == Some(self.start)
    }
}

/// Start time of a process in clock ticks since boot, or `None` if there is no such process.
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count fields after its end.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace().nth(19)?.parse().ok()
}

fn boot_id() -> String {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|id| id.trim().to_owned())
        .unwrap_or_default()
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    Made {
        number: u64,
        kind: String,
        facts: String,
    },
    Released {
        number: u64,
    },
}

impl Entry {
    pub(crate) fn render(&self) -> String {
        match self {
            Entry::Made {
                number,
                kind,
                facts,
            } => format!("+ {number} {kind} {}\n", escape(facts)),
            Entry::Released { number } => format!("- {number}\n"),
        }
    }

    /// The records a journal leaves live: made and not released. A last line cut short by a
    /// SIGKILL has no newline and is ignored, as is anything unreadable.
    pub(crate) fn live(journal: &str) -> BTreeMap<u64, (String, String)> {
        let mut live = BTreeMap::new();
        for line in journal
            .split_inclusive('\n')
            .filter(|line| line.ends_with('\n'))
        {
            let line = line.trim_end_matches('\n');
            let mut fields = line.splitn(4, ' ');
            match (
                fields.next(),
                fields.next().and_then(|n| n.parse::<u64>().ok()),
            ) {
                (Some("+"), Some(number)) => {
                    let kind = fields.next().unwrap_or_default().to_owned();
                    let facts = unescape(fields.next().unwrap_or_default());
                    live.insert(number, (kind, facts));
                }
                (Some("-"), Some(number)) => {
                    live.remove(&number);
                }
                _ => {}
            }
        }
        live
    }
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Debug)]
struct Open {
    dir: PathBuf,
    journal: File,
    written: u64,
    compact_at: u64,
}

#[derive(Debug, Default)]
struct Registry {
    open: Option<Open>,
    live: BTreeMap<u64, (String, String)>,
    next: u64,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    open: None,
    live: BTreeMap::new(),
    next: 0,
});

fn registry() -> MutexGuard<'static, Registry> {
    // The registry is consistent between statements that change it, so a lock poisoned by a
    // panic elsewhere is still usable.
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Registry {
    fn open(&mut self) -> Result<&mut Open, SandboxError> {
        if self.open.is_none() {
            let root = default_root();
            let identity = Identity::current();
            let dir = root.join(identity.dir_name());
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&root)
                .map_err(SandboxError::io(format!(
                    "create run root {}",
                    root.display()
                )))?;
            match fs::DirBuilder::new().mode(0o700).create(&dir) {
                Ok(()) => {}
                // Left by this same process (a registry reopened after exit cleanup ran early).
                Err(err) if err.kind() == ErrorKind::AlreadyExists => {}
                Err(err) => {
                    return Err(SandboxError::io(format!(
                        "create run directory {}",
                        dir.display()
                    ))(err));
                }
            }
            fs::write(dir.join(RUN_FILE), identity.render()).map_err(SandboxError::io(format!(
                "write {}",
                dir.join(RUN_FILE).display()
            )))?;
            let journal = File::options()
                .append(true)
                .create(true)
                .mode(0o600)
                .open(dir.join(JOURNAL_FILE))
                .map_err(SandboxError::io(format!(
                    "open {}",
                    dir.join(JOURNAL_FILE).display()
                )))?;
            register_exit_hook();
            self.open = Some(Open {
                dir,
                journal,
                written: 0,
                compact_at: COMPACT_AT,
            });
        }
        Ok(self
            .open
            .as_mut()
            .expect("the run directory was just opened"))
    }

    fn append(&mut self, entry: &Entry) -> Result<(), SandboxError> {
        let line = entry.render();
        let open = self.open()?;
        open.journal
            .write_all(line.as_bytes())
            .map_err(SandboxError::io(format!(
                "append to {}",
                open.dir.join(JOURNAL_FILE).display()
            )))?;
        open.written += line.len() as u64;
        if open.written >= open.compact_at {
            self.compact()?;
        }
        Ok(())
    }

    /// Rewrites the journal with only the live records, replacing it atomically.
    fn compact(&mut self) -> Result<(), SandboxError> {
        let text: String = self
            .live
            .iter()
            .map(|(number, (kind, facts))| {
                Entry::Made {
                    number: *number,
                    kind: kind.clone(),
                    facts: facts.clone(),
                }
                .render()
            })
            .collect();
        let Some(open) = self.open.as_mut() else {
            return Ok(());
        };
        let fresh = open.dir.join("journal.new");
        let path = open.dir.join(JOURNAL_FILE);
        fs::write(&fresh, &text).map_err(SandboxError::io(format!("write {}", fresh.display())))?;
        fs::rename(&fresh, &path)
            .map_err(SandboxError::io(format!("replace {}", path.display())))?;
        open.journal = File::options()
            .append(true)
            .open(&path)
            .map_err(SandboxError::io(format!("open {}", path.display())))?;
        open.written = text.len() as u64;
        // Many live records: compact less often, so appending stays cheap on average.
        open.compact_at = COMPACT_AT.max(2 * open.written);
        Ok(())
    }

    /// Removes the run directory if nothing recorded in it is live.
    fn close_if_idle(&mut self) {
        if !self.live.is_empty() {
            return;
        }
        if let Some(open) = self.open.take() {
            drop(open.journal);
            let _ = fs::remove_file(open.dir.join(JOURNAL_FILE));
            let _ = fs::remove_file(open.dir.join(RUN_FILE));
            let _ = fs::remove_dir(&open.dir);
            if let Some(root) = open.dir.parent() {
                // Only an empty root goes: other runs may be using it.
                let _ = fs::remove_dir(root);
            }
        }
    }
}

fn register_exit_hook() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // SAFETY: registers a plain function with no arguments; it never unwinds.
        unsafe {
            libc::atexit(remove_run_dir_at_exit);
        }
    });
}

extern "C" fn remove_run_dir_at_exit() {
    // Another thread may hold the lock while the process exits; then the directory stays for
    // `clean` rather than risk a deadlock at exit.
    if let Ok(mut registry) = REGISTRY.try_lock() {
        registry.close_if_idle();
    }
}

/// The run directory of this process, if it has one now.
pub fn current_dir() -> Option<PathBuf> {
    registry().open.as_ref().map(|open| open.dir.clone())
}

/// One thing recorded in the run directory; released (a `-` line) when dropped.
#[derive(Debug)]
pub(crate) struct Record {
    number: u64,
    released: bool,
}

impl Record {
    /// Records a live thing of kind `kind` described by `facts`.
    pub(crate) fn write(kind: &str, facts: &str) -> Result<Record, SandboxError> {
        let mut registry = registry();
        registry.next += 1;
        let number = registry.next;
        registry.append(&Entry::Made {
            number,
            kind: kind.to_owned(),
            facts: facts.to_owned(),
        })?;
        registry
            .live
            .insert(number, (kind.to_owned(), facts.to_owned()));
        Ok(Record {
            number,
            released: false,
        })
    }

    /// Releases the record, reporting what went wrong.
    pub(crate) fn remove(mut self) -> Result<(), SandboxError> {
        self.release()
    }

    fn release(&mut self) -> Result<(), SandboxError> {
        if std::mem::replace(&mut self.released, true) {
            return Ok(());
        }
        let mut registry = registry();
        registry.live.remove(&self.number);
        registry.append(&Entry::Released {
            number: self.number,
        })
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        if let Err(err) = self.release() {
            eprintln!("cnitest: failed to {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_round_trips() {
        let identity = Identity {
            pid: 42,
            start: 1234,
            boot_id: "abc".into(),
        };
        assert_eq!(Identity::parse(&identity.render()), Some(identity));
    }

    #[test]
    fn own_start_time_is_readable() {
        assert!(start_time(std::process::id()).is_some());
        assert!(Identity::current().is_alive());
    }

    #[test]
    fn journal_keeps_what_was_not_released() {
        let mut journal = String::new();
        for entry in [
            Entry::Made {
                number: 1,
                kind: "sandbox".into(),
                facts: "ns net 4 5 6\ntag x\\y".into(),
            },
            Entry::Made {
                number: 2,
                kind: "tempdir".into(),
                facts: "tempdir /tmp/a b".into(),
            },
            Entry::Released { number: 1 },
        ] {
            journal.push_str(&entry.render());
        }
        journal.push_str("+ 3 sandbox cut sho");
        let live = Entry::live(&journal);
        assert_eq!(live.len(), 1);
        assert_eq!(
            live[&2],
            ("tempdir".to_owned(), "tempdir /tmp/a b".to_owned())
        );
        let once = Entry::live(
            &Entry::Made {
                number: 1,
                kind: "k".into(),
                facts: "a\nb\\c".into(),
            }
            .render(),
        );
        assert_eq!(once[&1].1, "a\nb\\c");
    }
}
