//! Rootless runs: an ordinary user's `cnitest` first becomes root of a user namespace of its own,
//! so that the kernel lets it create, and own, the sandbox's network and mount namespaces; where
//! the kernel forbids that, an error that says what to enable.
//!
//! The namespace is entered in-process (`unshare(CLONE_NEWUSER)`), which the kernel allows only
//! while the process has a single thread: this runs right after the command line is parsed,
//! before anything spawns a thread. The user is mapped to root (`0 <uid> 1`, and likewise the
//! group, with `setgroups` denied as the kernel requires of an unprivileged map), so plugins run
//! as root in the namespace, as a runtime would run them, and what they write to the machine's
//! files (a report, say) belongs to the user.

use std::fs;
use std::io;
use std::path::Path;

use nix::errno::Errno;
use nix::sched::{CloneFlags, unshare};
use nix::unistd::{getegid, geteuid};

use super::args::Commands;
use crate::sandbox::{RUN_ROOT_ENV, default_root};

/// Debian's switch for unprivileged user namespaces.
const USERNS_CLONE: &str = "/proc/sys/kernel/unprivileged_userns_clone";
/// How many user namespaces may exist (per user namespace); 0 forbids them.
const MAX_USER_NAMESPACES: &str = "/proc/sys/user/max_user_namespaces";
/// Ubuntu's AppArmor switch that takes capabilities from unprivileged user namespaces.
const APPARMOR_RESTRICT: &str = "/proc/sys/kernel/apparmor_restrict_unprivileged_userns";

/// Why a rootless run cannot go ahead.
#[derive(Debug, thiserror::Error)]
pub enum RootlessError {
    /// The kernel (or a policy on top of it) refuses the user namespace.
    #[error("cannot make namespaces without root: {why}. {remedy}, or run cnitest as root (sudo)")]
    Forbidden { why: String, remedy: String },
    /// A thread ran before the namespace could be entered: a defect of cnitest, not of the
    /// machine.
    #[error(
        "cannot enter a user namespace: the process already has {0} threads (the kernel allows \
         it only to a single-threaded process)"
    )]
    Threaded(usize),
}

/// Whether `command` makes namespaces, and so, run by an ordinary user, needs a user namespace.
///
/// `exec` is left out on purpose: it acts on the machine's own namespaces (`--netns
/// /run/netns/...`), as cnitool does, and a user namespace would let it touch none of them; it
/// needs real root. `list`, `clean` and the documentation commands make no namespace.
pub fn needs_namespaces(command: &Commands) -> bool {
    !matches!(
        command,
        Commands::List(_)
            | Commands::Exec(_)
            | Commands::Clean(_)
            | Commands::Completions(_)
            | Commands::Man(_)
    )
}

/// Enters a user namespace in which this user is root, unless the process is root already.
pub fn enter() -> Result<(), RootlessError> {
    let uid = geteuid();
    if uid.is_root() {
        return Ok(());
    }
    let gid = getegid();
    let threads = thread_count();
    if threads > 1 {
        return Err(RootlessError::Threaded(threads));
    }
    // Inside, the effective uid is 0, and the run root would be /run/cnitest, which the user
    // cannot write: fix it now to the user's own, where `cnitest clean` (run by the same user,
    // outside any namespace) looks for it too.
    if std::env::var_os(RUN_ROOT_ENV).is_none_or(|root| root.is_empty()) {
        let root = default_root();
        // SAFETY: the process has a single thread (checked just above), so nothing can read
        // the environment while it changes.
        unsafe { std::env::set_var(RUN_ROOT_ENV, root) };
    }
    unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| forbidden(&format!("unshare: {e}"), e))?;
    write_map("/proc/self/setgroups", "deny")?;
    write_map("/proc/self/uid_map", &format!("0 {uid} 1"))?;
    write_map("/proc/self/gid_map", &format!("0 {gid} 1"))?;
    probe()
}

/// A security module may let the user namespace be made and still deny what it is for (Ubuntu's
/// AppArmor takes its capabilities): try the namespaces a sandbox makes, in a thread that ends
/// right after, so the failure is reported here rather than as every case's.
fn probe() -> Result<(), RootlessError> {
    std::thread::spawn(|| unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS))
        .join()
        .unwrap_or(Err(Errno::EIO))
        .map_err(|e| {
            forbidden(
                &format!("making a network and a mount namespace in it: {e}"),
                e,
            )
        })
}

fn write_map(path: &'static str, line: &str) -> Result<(), RootlessError> {
    match fs::write(path, line) {
        Ok(()) => Ok(()),
        // Kernels before 3.19 have no setgroups file, and need none.
        Err(e) if path.ends_with("setgroups") && e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => {
            let errno = Errno::from_raw(e.raw_os_error().unwrap_or(0));
            Err(forbidden(&format!("writing {path}: {e}"), errno))
        }
    }
}

/// Names the setting that forbids the namespace, and how to change it.
fn forbidden(what: &str, errno: Errno) -> RootlessError {
    let (why, remedy) = diagnose(errno, &|path| {
        fs::read_to_string(path).ok().map(|s| s.trim().to_owned())
    });
    RootlessError::Forbidden {
        why: format!("{why}: {what}"),
        remedy,
    }
}

/// The first setting that explains the refusal, read through `read` (tests pass their own).
fn diagnose(errno: Errno, read: &dyn Fn(&str) -> Option<String>) -> (String, String) {
    let is = |path: &str, value: &str| read(path).as_deref() == Some(value);
    if is(USERNS_CLONE, "0") {
        return (
            "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)"
                .to_owned(),
            "Enable them with `sysctl -w kernel.unprivileged_userns_clone=1`".to_owned(),
        );
    }
    if is(MAX_USER_NAMESPACES, "0") {
        return (
            "user namespaces are disabled (user.max_user_namespaces = 0)".to_owned(),
            "Enable them with `sysctl -w user.max_user_namespaces=10000`".to_owned(),
        );
    }
    if is(APPARMOR_RESTRICT, "1") {
        return (
            "AppArmor restricts unprivileged user namespaces \
             (kernel.apparmor_restrict_unprivileged_userns = 1)"
                .to_owned(),
            "Lift it with `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or give \
             cnitest an AppArmor profile that allows `userns`"
                .to_owned(),
        );
    }
    match errno {
        Errno::ENOSPC | Errno::EUSERS => (
            format!(
                "the limit of user namespaces is reached (user.max_user_namespaces = {}, or \
                 32 nested)",
                read(MAX_USER_NAMESPACES).unwrap_or_else(|| "?".to_owned())
            ),
            "Raise it with `sysctl -w user.max_user_namespaces=10000`".to_owned(),
        ),
        Errno::EPERM | Errno::EACCES => (
            "the kernel refused an unprivileged user namespace (a seccomp filter, such as a \
             container's default profile, or a security module forbids it)"
                .to_owned(),
            "Allow user namespaces (for a container: a seccomp profile that permits \
             unshare(CLONE_NEWUSER))"
                .to_owned(),
        ),
        other => (
            format!("making a user namespace failed ({other})"),
            "Check that the kernel has user namespaces (CONFIG_USER_NS)".to_owned(),
        ),
    }
}

/// The number of threads of this process, from `/proc/self/status`; 1 if unreadable, since
/// `unshare` then reports a second thread itself (EINVAL).
fn thread_count() -> usize {
    fs::read_to_string(Path::new("/proc/self/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(settings: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        let settings = settings.to_vec();
        move |path: &str| {
            settings
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn each_switch_is_named_with_its_remedy() {
        let (why, remedy) = diagnose(Errno::EPERM, &with(&[(USERNS_CLONE, "0")]));
        assert!(
            why.contains("kernel.unprivileged_userns_clone = 0"),
            "{why}"
        );
        assert!(remedy.contains("sysctl -w kernel.unprivileged_userns_clone=1"));

        let (why, remedy) = diagnose(
            Errno::ENOSPC,
            &with(&[(USERNS_CLONE, "1"), (MAX_USER_NAMESPACES, "0")]),
        );
        assert!(why.contains("user.max_user_namespaces = 0"), "{why}");
        assert!(remedy.contains("user.max_user_namespaces="), "{remedy}");

        let (why, remedy) = diagnose(Errno::EPERM, &with(&[(APPARMOR_RESTRICT, "1")]));
        assert!(why.contains("AppArmor"), "{why}");
        assert!(remedy.contains("apparmor_restrict_unprivileged_userns=0"));
    }

    #[test]
    fn a_refusal_no_setting_explains_blames_a_policy() {
        let (why, _) = diagnose(Errno::EPERM, &with(&[(MAX_USER_NAMESPACES, "1000")]));
        assert!(why.contains("seccomp"), "{why}");
        let (why, _) = diagnose(Errno::ENOSPC, &with(&[(MAX_USER_NAMESPACES, "5")]));
        assert!(why.contains("user.max_user_namespaces = 5"), "{why}");
    }

    #[test]
    fn the_message_says_what_to_do() {
        let message = RootlessError::Forbidden {
            why: "x is off".to_owned(),
            remedy: "turn x on".to_owned(),
        }
        .to_string();
        assert!(
            message.ends_with("turn x on, or run cnitest as root (sudo)"),
            "{message}"
        );
    }
}
