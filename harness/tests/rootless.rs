//! Rootless runs: as an ordinary user (uid 65534 here), `cnitest run` makes its sandboxes in a
//! user namespace of its own and gives the reference plugin the verdicts root gives it, case by
//! case and version by version; where the kernel forbids user namespaces, it exits 3 and says
//! which setting to change.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{cnitest_exe, reference_plugins};

/// The user the tests drop to.
const NOBODY: u32 = 65534;

fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the rootless tests start as root to drop to another uid; run them as root, as CI does"
    );
}

/// A directory that uid 65534 can reach, whatever the permissions of the target dir's parents
/// (a home directory is often 0750): `bin/` holds cnitest and the reference plugins (hard links
/// where the file system allows, else copies), `home/` belongs to 65534 and is its TMPDIR.
struct Stage {
    dir: tempfile::TempDir,
}

impl Stage {
    fn new() -> Stage {
        let dir = tempfile::Builder::new()
            .prefix("cnitest-rootless-")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let plugins = reference_plugins();
        let mut files = vec![cnitest_exe()];
        for name in [
            "cni-reference",
            "cni-reference-ipam",
            "cni-reference-tuning",
        ] {
            files.push(plugins.join(name));
        }
        for file in files {
            let to = bin.join(file.file_name().unwrap());
            if std::fs::hard_link(&file, &to).is_err() {
                std::fs::copy(&file, &to).unwrap();
            }
        }
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        chown(&home, Some(NOBODY), Some(NOBODY)).unwrap();
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
        Stage { dir }
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// `cnitest run` against the reference plugin, JSON to `report`.
    fn run_args(&self, report: &Path) -> Vec<String> {
        let bin = self.bin();
        vec![
            "run".into(),
            "--plugin".into(),
            bin.join("cni-reference").display().to_string(),
            "--cni-path".into(),
            bin.display().to_string(),
            "--format".into(),
            "json".into(),
            "--output".into(),
            report.display().to_string(),
            "--quiet".into(),
        ]
    }

    /// `cnitest <args>` as uid 65534, with a clean view of where runs record themselves.
    fn as_nobody(&self, args: &[String]) -> Command {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid",
            &NOBODY.to_string(),
            "--regid",
            &NOBODY.to_string(),
            "--clear-groups",
            "--",
        ])
        .arg(self.bin().join("cnitest"))
        .args(args)
        .env("HOME", self.home())
        .env("TMPDIR", self.home())
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove(cnitest::sandbox::RUN_ROOT_ENV)
        .env_remove("NO_COLOR");
        cmd
    }
}

/// Whether this kernel lets uid 65534 make a user namespace and be root in it.
fn userns_allowed() -> bool {
    Command::new("setpriv")
        .args([
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            "--",
        ])
        .args(["unshare", "--user", "--map-root-user", "--net", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// (case, version) -> verdict, from a JSON report.
fn verdicts(report: &Path) -> BTreeMap<(String, String), String> {
    let text =
        std::fs::read_to_string(report).unwrap_or_else(|e| panic!("{}: {e}", report.display()));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let field = |k: &str| r[k].as_str().expect(k).to_owned();
            ((field("case"), field("version")), field("verdict"))
        })
        .collect()
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn an_ordinary_users_run_gives_the_verdicts_roots_does() {
    require_root();
    let stage = Stage::new();
    if !userns_allowed() {
        // Then the promise is the other one: exit 3, and what to do about it.
        let report = stage.home().join("user.json");
        let out = stage.as_nobody(&stage.run_args(&report)).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("sudo"),
            "{}",
            describe(&out)
        );
        return;
    }

    let root_report = stage.dir.path().join("root.json");
    let run_root = tempfile::tempdir().unwrap();
    let out = Command::new(stage.bin().join("cnitest"))
        .args(stage.run_args(&root_report))
        .env(cnitest::sandbox::RUN_ROOT_ENV, run_root.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "as root: {}", describe(&out));

    let user_report = stage.home().join("user.json");
    let out = stage
        .as_nobody(&stage.run_args(&user_report))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "as uid {NOBODY}: {}",
        describe(&out)
    );
    let meta = std::fs::metadata(&user_report).unwrap();
    assert_eq!(
        std::os::unix::fs::MetadataExt::uid(&meta),
        NOBODY,
        "the report belongs to the user who ran cnitest"
    );

    let root = verdicts(&root_report);
    let user = verdicts(&user_report);
    assert!(root.len() > 100, "only {} results as root", root.len());
    let differences: Vec<String> = root
        .keys()
        .chain(user.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| root.get(*k) != user.get(*k))
        .map(|(case, version)| {
            let key = (case.clone(), version.clone());
            format!(
                "{case} @{version}: root {:?}, user {:?}",
                root.get(&key),
                user.get(&key)
            )
        })
        .collect();
    assert!(
        differences.is_empty(),
        "verdicts differ:\n{}",
        differences.join("\n")
    );

    // The run recorded itself under the user's own run root, and removed it when done.
    let leftover: Vec<_> = std::fs::read_dir(stage.home())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with("cnitest"))
        .collect();
    assert!(
        leftover.is_empty(),
        "left in the user's TMPDIR: {leftover:?}"
    );
}

/// Runs `script` (sh) as root of a fresh user namespace that maps uids and gids 0-65535 to the
/// same ids outside: a nest in which the test may change `user.max_user_namespaces` without
/// touching the machine's own setting (the limit is per user namespace).
fn in_own_user_namespace(script: &str) -> Output {
    // The inner shell is exec'd once the maps are written, so that it starts with root's
    // capabilities in the namespace; the outer one has none (its uid had no mapping at exec).
    let mut child = Command::new("unshare")
        .args(["--user", "--", "sh", "-c", "read go && exec sh -c \"$0\""])
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let own = std::fs::read_link("/proc/self/ns/user").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_link(format!("/proc/{pid}/ns/user")).is_ok_and(|ns| ns == own) {
        assert!(
            Instant::now() < deadline,
            "unshare --user did not take effect"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::write(format!("/proc/{pid}/uid_map"), "0 0 65536").unwrap();
    std::fs::write(format!("/proc/{pid}/gid_map"), "0 0 65536").unwrap();
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn without_user_namespaces_a_users_run_exits_3_naming_the_setting() {
    require_root();
    let stage = Stage::new();
    let host_limit = std::fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap();
    let cnitest = stage.bin().join("cnitest");
    let script = format!(
        "echo 0 > /proc/sys/user/max_user_namespaces && \
         exec setpriv --reuid {NOBODY} --regid {NOBODY} --clear-groups -- \
         env HOME={home} TMPDIR={home} {cnitest} run --plugin {plugin} --cni-path {bin} --quiet",
        home = stage.home().display(),
        cnitest = cnitest.display(),
        plugin = stage.bin().join("cni-reference").display(),
        bin = stage.bin().display(),
    );
    let out = in_own_user_namespace(&script);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert!(stderr.starts_with("cnitest run: "), "{stderr}");
    assert!(stderr.contains("user.max_user_namespaces = 0"), "{stderr}");
    assert!(
        stderr.contains("sysctl -w user.max_user_namespaces="),
        "{stderr}"
    );
    assert!(stderr.contains("run cnitest as root (sudo)"), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "no report: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string("/proc/sys/user/max_user_namespaces").unwrap(),
        host_limit,
        "the machine's own limit is untouched"
    );
}

#[test]
fn commands_that_make_no_namespace_run_where_user_namespaces_are_forbidden() {
    require_root();
    let stage = Stage::new();
    let script = format!(
        "echo 0 > /proc/sys/user/max_user_namespaces && \
         exec setpriv --reuid {NOBODY} --regid {NOBODY} --clear-groups -- {cnitest} list --format json",
        cnitest = stage.bin().join("cnitest").display(),
    );
    let out = in_own_user_namespace(&script);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        listed.as_array().is_some_and(|cases| cases.len() > 50),
        "{listed}"
    );
}
