//! `cnitest clean`: release what runs killed by SIGKILL left behind, and nothing else.
//!
//! Only run directories whose process is gone are touched. From each, `clean` kills the processes
//! still inside a namespace the run recorded (proved by the kernel's namespace id, or by the run's
//! tag on the process's mounts, never by an inode number alone) or in a process group it
//! recorded, removes the temp dirs it recorded (only paths named `cnitest-*`), then the run
//! directory itself.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::SandboxError;
use super::guard::TEMP_PREFIX;
use super::procs::{self, Killed, Target, Trust};
use super::record::Facts;
use super::run::{Entry, Identity, JOURNAL_FILE, RUN_FILE, default_root};

/// What one dead run left, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanedRun {
    /// The run directory (now removed, unless an error says otherwise).
    pub dir: PathBuf,
    /// The pid the run had.
    pub pid: u32,
    /// Processes killed because they were still in the run's namespaces or process groups.
    pub killed: Vec<Killed>,
    /// Temp dirs removed.
    pub temp_dirs: Vec<PathBuf>,
    /// How many namespaces the run had recorded as live.
    pub namespaces: usize,
}

/// What `clean` did.
#[derive(Debug, Default)]
pub struct CleanReport {
    /// Runs that were dead and are now cleaned.
    pub cleaned: Vec<CleanedRun>,
    /// Run directories left alone because their process still runs.
    pub alive: Vec<PathBuf>,
    /// What could not be done; cleaning went on past each.
    pub errors: Vec<SandboxError>,
}

impl CleanReport {
    /// Whether there was nothing to clean.
    pub fn is_empty(&self) -> bool {
        self.cleaned.is_empty() && self.errors.is_empty()
    }
}

/// Cleans up after dead runs under the default root (see [`default_root`]).
pub fn clean() -> CleanReport {
    clean_in(&default_root())
}

/// Cleans up after dead runs under `root`.
pub fn clean_in(root: &Path) -> CleanReport {
    let mut report = CleanReport::default();
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return report,
        Err(err) => {
            report.errors.push(SandboxError::io(format!(
                "list run root {}",
                root.display()
            ))(err));
            return report;
        }
    };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
    dirs.sort();
    let own = Identity::current().dir_name();
    for dir in dirs {
        let Some(name) = dir.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        let Some(identity) = identify(&dir, name) else {
            continue; // not a run directory: not ours to touch
        };
        if name == own || identity.is_alive() {
            report.alive.push(dir);
            continue;
        }
        clean_run(&dir, &identity, &mut report);
    }
    // Only an empty root goes; a live run may still be using it.
    let _ = fs::remove_dir(root);
    report
}

/// The identity a run directory claims: its `run` file, or, if the run died before writing
/// it, its name (`<pid>-<start>`).
fn identify(dir: &Path, name: &str) -> Option<Identity> {
    let (pid, start) = name.split_once('-')?;
    let (pid, start) = (pid.parse::<u32>().ok()?, start.parse::<u64>().ok()?);
    let current_boot = Identity::current().boot_id.clone();
    match fs::read_to_string(dir.join(RUN_FILE))
        .ok()
        .and_then(|text| Identity::parse(&text))
    {
        Some(identity) if identity.pid == pid && identity.start == start => Some(identity),
        Some(_) => None,
        None => Some(Identity {
            pid,
            start,
            boot_id: current_boot,
        }),
    }
}

fn clean_run(dir: &Path, identity: &Identity, report: &mut CleanReport) {
    let journal = fs::read_to_string(dir.join(JOURNAL_FILE)).unwrap_or_default();
    let mut facts = Facts::default();
    for (_, (_, text)) in Entry::live(&journal) {
        let more = Facts::parse(&text);
        facts.namespaces.extend(more.namespaces);
        facts.temp_dirs.extend(more.temp_dirs);
        facts.process_groups.extend(more.process_groups);
    }
    let mut cleaned = CleanedRun {
        dir: dir.to_owned(),
        pid: identity.pid,
        killed: Vec::new(),
        temp_dirs: Vec::new(),
        namespaces: facts.namespaces.len(),
    };
    // After a reboot no process or namespace of the run can exist, and pids mean nothing.
    let same_boot = identity.boot_id == Identity::current().boot_id;
    if same_boot && (!facts.namespaces.is_empty() || !facts.process_groups.is_empty()) {
        let target = Target {
            namespaces: &facts.namespaces,
            process_groups: &facts.process_groups,
            trust: Trust::Recorded {
                tag: Some(identity.tag()),
            },
        };
        match procs::kill(&target) {
            Ok(killed) => cleaned.killed = killed,
            Err(errors) => report.errors.extend(errors.0),
        }
    }
    for temp in facts.temp_dirs {
        match remove_temp_dir(&temp) {
            Ok(true) => cleaned.temp_dirs.push(temp),
            Ok(false) => {}
            Err(err) => report.errors.push(err),
        }
    }
    for file in [JOURNAL_FILE, "journal.new", RUN_FILE] {
        let path = dir.join(file);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => report
                .errors
                .push(SandboxError::io(format!("remove {}", path.display()))(err)),
        }
    }
    if let Err(err) = fs::remove_dir(dir) {
        report.errors.push(SandboxError::io(format!(
            "remove run directory {}",
            dir.display()
        ))(err));
    }
    report.cleaned.push(cleaned);
}

/// Removes a recorded temp dir if it still looks like one of ours. `Ok(false)`: already gone.
fn remove_temp_dir(path: &Path) -> Result<bool, SandboxError> {
    let named_ours = path.is_absolute()
        && path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with(TEMP_PREFIX));
    if !named_ours {
        return Err(SandboxError::invalid(format!(
            "remove recorded temp dir {} (not a {TEMP_PREFIX}* path; left alone)",
            path.display()
        )));
    }
    match fs::symlink_metadata(path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(SandboxError::io(format!(
            "stat temp dir {}",
            path.display()
        ))(err)),
        Ok(meta) if !meta.is_dir() => Err(SandboxError::invalid(format!(
            "remove recorded temp dir {} (no longer a directory; left alone)",
            path.display()
        ))),
        Ok(_) => fs::remove_dir_all(path)
            .map(|()| true)
            .map_err(SandboxError::io(format!(
                "remove temp dir {}",
                path.display()
            ))),
    }
}
