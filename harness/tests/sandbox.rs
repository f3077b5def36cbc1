//! The sandbox against the real kernel: namespaces and mounts come and go without a trace, Ctrl-C
//! and SIGKILL leave nothing (after `clean`), upstream plugins run side by side in sandboxes, and
//! the machine's own network and firewall never change. Needs root, as CI has.
//!
//! Some tests need a process of their own (a run to interrupt or kill, a count that other tests
//! running in parallel must not disturb): they re-run this test binary on one of the `victim`
//! tests below, which are ignored in a normal run and act only when `CNITEST_SANDBOX_VICTIM`
//! says what to do.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::BorrowedFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cnitest::netlink::Handle;
use cnitest::sandbox::clean::clean_in;
use cnitest::sandbox::observe::{Content, FileKind};
use cnitest::sandbox::{
    LinkKind, LinkKinds, NsId, NsKind, ProcessGroup, RUN_ROOT_ENV, Sandbox, TempDir, signal,
};
use serde_json::{Value, json};

const VICTIM_ENV: &str = "CNITEST_SANDBOX_VICTIM";
const UPSTREAM: &str = "/usr/lib/cni";

fn require_root() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the sandbox tests need root (namespaces, mounts); run them as root, as CI does"
    );
}

// ---------------------------------------------------------------------------------------------
// What the machine holds, for before/after comparisons.

/// The machine's network as its own netns shows it, and its firewall.
#[derive(Debug, PartialEq, Eq)]
struct MachineNetwork {
    links: BTreeSet<String>,
    addresses: BTreeSet<String>,
    routes: BTreeSet<String>,
    firewall: Vec<String>,
}

fn machine_network() -> MachineNetwork {
    // This thread is in the machine's netns: the harness never moves its own threads.
    let handle = Handle::current().unwrap();
    let links = handle
        .links()
        .unwrap()
        .into_iter()
        .map(|link| {
            format!(
                "{} mtu {} mac {:?} up {}",
                link.name, link.mtu, link.mac, link.up
            )
        })
        .collect();
    let addresses = handle
        .addresses()
        .unwrap()
        .into_iter()
        .map(|address| format!("{} on {}", address.address, address.index))
        .collect();
    let routes = handle
        .routes()
        .unwrap()
        .into_iter()
        .map(|route| format!("{route:?}"))
        .collect();
    let mut firewall = Vec::new();
    for (tool, args) in [
        ("iptables-save", &[][..]),
        ("ip6tables-save", &[]),
        ("nft", &["list", "ruleset"]),
    ] {
        if let Ok(output) = Command::new(tool).args(args).output() {
            firewall.extend(
                String::from_utf8_lossy(&output.stdout)
                    .lines()
                    .filter(|line| !line.starts_with('#'))
                    .map(|line| format!("{tool}: {}", strip_counters(line))),
            );
        }
    }
    MachineNetwork {
        links,
        addresses,
        routes,
        firewall,
    }
}

fn strip_counters(line: &str) -> String {
    line.split(' ')
        .filter(|word| !(word.starts_with('[') && word.ends_with(']') && word.contains(':')))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a namespace the sandbox made is still alive anywhere: a task in it, a descriptor on
/// it, or a mount of it in the machine's mount namespace. Inode numbers are reused, so a match is
/// confirmed with the kernel's namespace id.
fn alive(ours: &[NsId]) -> Vec<String> {
    let mut found = Vec::new();
    let check = |path: &Path, found: &mut Vec<String>| {
        let Ok(link) = fs::read_link(path) else {
            return;
        };
        let link = link.to_string_lossy().into_owned();
        for ns in ours {
            if link == ns.to_string()
                && let Ok(now) = NsId::of_path(path, ns.kind)
                && now.same_as(ns)
            {
                found.push(format!("{ns} via {}", path.display()));
            }
        }
    };
    for proc_entry in fs::read_dir("/proc").unwrap().flatten() {
        let name = proc_entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let base = proc_entry.path();
        if let Ok(tasks) = fs::read_dir(base.join("task")) {
            for task in tasks.flatten() {
                for kind in ["net", "mnt"] {
                    check(&task.path().join("ns").join(kind), &mut found);
                }
            }
        }
        if let Ok(fds) = fs::read_dir(base.join("fd")) {
            for fd in fds.flatten() {
                check(&fd.path(), &mut found);
            }
        }
    }
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap();
    for line in mountinfo.lines() {
        for ns in ours {
            if line.contains(&format!(" {ns} ")) {
                found.push(format!("{ns} mounted: {line}"));
            }
        }
    }
    found
}

/// Machine-wide counts, as a person would take them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Counts {
    /// Distinct netns inodes under /proc/*/ns/net plus nsfs mounts of the machine.
    machine_netns: usize,
    /// Lines of the machine's /proc/self/mountinfo.
    machine_mounts: usize,
    /// Processes on the machine.
    machine_processes: usize,
    /// Descendants of this process.
    own_processes: usize,
    /// Open descriptors of this process.
    own_fds: usize,
    /// Entries under this process's temp dir.
    temp_entries: usize,
}

fn counts() -> Counts {
    let mut netns = BTreeSet::new();
    let mut processes = 0;
    let mut parents = BTreeMap::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        processes += 1;
        if let Ok(link) = fs::read_link(entry.path().join("ns/net")) {
            netns.insert(link.to_string_lossy().into_owned());
        }
        if let Ok(stat) = fs::read_to_string(entry.path().join("stat"))
            && let Some(rest) = stat.rfind(')').map(|at| &stat[at + 1..])
            && let Some(ppid) = rest
                .split_whitespace()
                .nth(1)
                .and_then(|ppid| ppid.parse::<u32>().ok())
        {
            parents.insert(pid, ppid);
        }
    }
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap();
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        if line.contains(" - nsfs ") && fields[3].starts_with("net:") {
            netns.insert(fields[3].to_owned());
        }
    }
    let own = std::process::id();
    let own_processes = parents
        .keys()
        .filter(|pid| {
            let mut at = **pid;
            while let Some(parent) = parents.get(&at) {
                if *parent == own {
                    return true;
                }
                at = *parent;
            }
            false
        })
        .count();
    Counts {
        machine_netns: netns.len(),
        machine_mounts: mountinfo.lines().count(),
        machine_processes: processes,
        own_processes,
        own_fds: fs::read_dir("/proc/self/fd").unwrap().count(),
        temp_entries: fs::read_dir(std::env::temp_dir())
            .map(|dir| dir.count())
            .unwrap_or(0),
    }
}

// ---------------------------------------------------------------------------------------------
// Victims: runs of their own to count, interrupt or kill.

/// Line prefix a victim reports on.
const REPORT: &str = "cnitest-victim ";

fn report(value: Value) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "\n{REPORT}{value}").unwrap();
    stdout.flush().unwrap();
}

fn ns_json(ids: &[NsId]) -> Value {
    Value::Array(
        ids.iter()
            .map(|ns| json!([ns.kind.name(), ns.dev, ns.ino, ns.id]))
            .collect(),
    )
}

fn ns_from_json(value: &Value) -> Vec<NsId> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| NsId {
            kind: if entry[0] == "net" {
                NsKind::Net
            } else {
                NsKind::Mnt
            },
            dev: entry[1].as_u64().unwrap(),
            ino: entry[2].as_u64().unwrap(),
            id: entry[3].as_u64(),
        })
        .collect()
}

/// Not a test by itself: the body of the processes the tests below start.
#[test]
#[ignore = "run by other tests as a process of its own"]
fn victim() {
    let Ok(role) = std::env::var(VICTIM_ENV) else {
        panic!("run only by the sandbox tests, with {VICTIM_ENV} set");
    };
    match role.as_str() {
        "count" => victim_count(),
        "interrupt" | "kill" => victim_run(),
        other => panic!("unknown victim role {other}"),
    }
}

fn victim_count() {
    let rounds: usize = std::env::var("CNITEST_SANDBOX_ROUNDS")
        .unwrap()
        .parse()
        .unwrap();
    // Warm up what lives as long as the process (the run directory, lazily made statics).
    drop(Sandbox::new().unwrap());
    let before = counts();
    let mut ids = Vec::new();
    for round in 0..rounds {
        let sandbox = Sandbox::new().unwrap();
        ids.extend(sandbox.namespaces());
        if round % 100 == 0 {
            // Now and then a process inside, which teardown must also find.
            let status = sandbox.command("true").status().unwrap();
            assert!(status.success());
        }
        sandbox.destroy().unwrap();
    }
    cnitest::sandbox::settle();
    let after = counts();
    report(json!({ "before": before, "after": after, "namespaces": ns_json(&ids) }));
}

/// Makes sandboxes with processes inside and a temp dir, reports them, then either waits to be
/// interrupted (and unwinds) or to be killed.
fn victim_run() {
    signal::install().unwrap();
    let temp = TempDir::new("victim").unwrap();
    fs::write(temp.path().join("state"), "x").unwrap();
    let mut sandboxes = Vec::new();
    let mut sleepers: Vec<(Child, ProcessGroup)> = Vec::new();
    for _ in 0..3 {
        let sandbox = Sandbox::new().unwrap();
        for mut command in [
            sandbox.command("sleep"),
            sandbox.default_container().unwrap().command("sleep"),
        ] {
            let child = command.arg("1000").process_group(0).spawn().unwrap();
            let group = ProcessGroup::track(child.id()).unwrap();
            sleepers.push((child, group));
        }
        sandboxes.push(sandbox);
    }
    let ids: Vec<NsId> = sandboxes.iter().flat_map(Sandbox::namespaces).collect();
    report(json!({
        "run_dir": cnitest::sandbox::run_dir().unwrap(),
        "temp_dir": temp.path(),
        "sleepers": sleepers.iter().map(|(child, _)| child.id()).collect::<Vec<_>>(),
        "namespaces": ns_json(&ids),
    }));
    // Keep making and dropping sandboxes, as a run does, until told to stop (or, should the
    // test that started this process be gone, for two minutes at most).
    let started = Instant::now();
    while !signal::interrupted() && started.elapsed() < Duration::from_secs(120) {
        drop(Sandbox::new().unwrap());
        std::thread::sleep(Duration::from_millis(5));
    }
    for (mut child, group) in sleepers {
        group.release().unwrap();
        child.wait().unwrap();
    }
    for sandbox in sandboxes {
        sandbox.destroy().unwrap();
    }
    temp.close().unwrap();
}

/// A victim process and what it reported.
struct Victim {
    child: Child,
    report: Value,
}

#[expect(
    clippy::zombie_processes,
    reason = "the victim is returned; every caller waits for it"
)]
fn start_victim(role: &str, envs: &[(&str, &OsStrArg)]) -> Victim {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "sandbox::victim",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(VICTIM_ENV, role)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (key, value) in envs {
        command.env(key, value);
    }
    // SAFETY: prctl only, between fork and exec. Should the test thread die, the victim is told
    // to stop as Ctrl-C would, so it never outlives the test.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let mut child = command.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        let read = stdout.read_line(&mut line).unwrap();
        if read == 0 {
            let status = child.wait().unwrap();
            panic!("the victim ({role}) ended before reporting: {status}");
        }
        // libtest may have started the line ("test sandbox::victim ... ").
        if let Some(json) = line.find(REPORT).map(|at| &line[at + REPORT.len()..]) {
            let report = serde_json::from_str(json.trim()).unwrap();
            // Drain the rest so the victim never blocks on a full pipe.
            std::thread::spawn(move || {
                let mut rest = Vec::new();
                let _ = stdout.read_to_end(&mut rest);
            });
            return Victim { child, report };
        }
    }
}

type OsStrArg = std::ffi::OsStr;

/// A private run root and temp dir for a victim, removed at the end.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::Builder::new()
                .prefix("sandbox-test-")
                .tempdir()
                .unwrap(),
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("runs")
    }

    fn tmp(&self) -> PathBuf {
        let tmp = self.dir.path().join("tmp");
        fs::create_dir_all(&tmp).unwrap();
        tmp
    }
}

fn pid_running(pid: u32) -> bool {
    // A zombie holds no namespaces and runs nothing: it counts as gone.
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rfind(')').map(|at| stat[at + 2..].starts_with('Z')))
        .is_some_and(|zombie| !zombie)
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// Lifecycle: nothing outlives a sandbox.

#[test]
fn a_thousand_sandboxes_leave_nothing_behind() {
    require_root();
    let scratch = Scratch::new();
    let tmp = scratch.tmp();
    let root = scratch.root();
    let victim = start_victim(
        "count",
        &[
            ("CNITEST_SANDBOX_ROUNDS", "1000".as_ref()),
            ("TMPDIR", tmp.as_os_str()),
            (RUN_ROOT_ENV, root.as_os_str()),
        ],
    );
    let mut child = victim.child;
    assert!(child.wait().unwrap().success());
    let before: Counts = serde_json::from_value(victim.report["before"].clone()).unwrap();
    let after: Counts = serde_json::from_value(victim.report["after"].clone()).unwrap();
    let ours = ns_from_json(&victim.report["namespaces"]);
    assert_eq!(
        ours.len(),
        3000,
        "a fake host netns, a mount ns and a container netns each"
    );
    eprintln!("counts before: {before:?}\ncounts after:  {after:?}");
    // What belongs to the run itself is exact.
    assert_eq!(before.own_fds, after.own_fds, "descriptors of the run");
    assert_eq!(
        before.own_processes, after.own_processes,
        "processes of the run"
    );
    assert_eq!(
        before.temp_entries, after.temp_entries,
        "temp dirs of the run"
    );
    // Machine-wide figures move with whatever else runs (other tests make namespaces too), so
    // the run's own namespaces are looked for one by one, and none may be left.
    assert_eq!(alive(&ours), Vec::<String>::new());
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !mountinfo.contains("cnitest"),
        "no mount of ours in the machine:\n{mountinfo}"
    );
    assert!(!root.exists(), "the run directory went with the run");
    if std::env::var_os("CNITEST_QUIET_MACHINE").is_some() {
        // Asked for when nothing else runs: then the machine's own counts must match too.
        assert_eq!(before.machine_netns, after.machine_netns);
        assert_eq!(before.machine_mounts, after.machine_mounts);
    }
}

#[test]
fn teardown_kills_processes_left_inside() {
    require_root();
    let sandbox = Sandbox::new().unwrap();
    let mut in_host = sandbox.command("sleep").arg("1000").spawn().unwrap();
    let mut in_container = sandbox
        .default_container()
        .unwrap()
        .command("sleep")
        .arg("1000")
        .spawn()
        .unwrap();
    let ours = sandbox.namespaces();
    sandbox.destroy().unwrap();
    cnitest::sandbox::settle();
    for child in [&mut in_host, &mut in_container] {
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL),
            "{status}"
        );
    }
    assert_eq!(alive(&ours), Vec::<String>::new());
}

#[test]
fn interrupting_a_run_leaves_nothing() {
    require_root();
    let machine_before = machine_network();
    let scratch = Scratch::new();
    let root = scratch.root();
    let tmp = scratch.tmp();
    let victim = start_victim(
        "interrupt",
        &[
            (RUN_ROOT_ENV, root.as_os_str()),
            ("TMPDIR", tmp.as_os_str()),
        ],
    );
    let report = victim.report;
    let mut child = victim.child;
    let run_dir = PathBuf::from(report["run_dir"].as_str().unwrap());
    let temp_dir = PathBuf::from(report["temp_dir"].as_str().unwrap());
    let sleepers: Vec<u32> = serde_json::from_value(report["sleepers"].clone()).unwrap();
    let ours = ns_from_json(&report["namespaces"]);
    assert!(run_dir.join("journal").exists() && temp_dir.exists());
    assert!(
        !alive(&ours).is_empty(),
        "the run's namespaces exist while it runs"
    );

    std::thread::sleep(Duration::from_millis(50));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the run unwinds and ends normally after Ctrl-C: {status}"
    );

    assert!(!temp_dir.exists(), "temp dir removed");
    assert!(!run_dir.exists(), "run directory removed");
    assert!(!root.exists(), "run root removed");
    for pid in sleepers {
        assert!(!pid_running(pid), "process {pid} left running");
    }
    wait_until(
        "the run's namespaces are gone",
        Duration::from_secs(5),
        || alive(&ours).is_empty(),
    );
    assert_eq!(machine_before, machine_network());
}

#[test]
fn clean_releases_what_a_killed_run_left() {
    require_root();
    let machine_before = machine_network();
    let scratch = Scratch::new();
    let root = scratch.root();
    let tmp = scratch.tmp();
    let victim = start_victim(
        "kill",
        &[
            (RUN_ROOT_ENV, root.as_os_str()),
            ("TMPDIR", tmp.as_os_str()),
        ],
    );
    let report = victim.report;
    let mut child = victim.child;
    let run_dir = PathBuf::from(report["run_dir"].as_str().unwrap());
    let temp_dir = PathBuf::from(report["temp_dir"].as_str().unwrap());
    let sleepers: Vec<u32> = serde_json::from_value(report["sleepers"].clone()).unwrap();
    let ours = ns_from_json(&report["namespaces"]);

    // Nothing to clean while the run lives.
    let early = clean_in(&root);
    assert!(
        early.cleaned.is_empty() && early.errors.is_empty(),
        "{early:?}"
    );
    assert_eq!(early.alive, std::slice::from_ref(&run_dir));

    child.kill().unwrap();
    child.wait().unwrap();
    // The SIGKILL leaves its processes (and through them its namespaces), its temp dir and its
    // run directory.
    assert!(run_dir.exists() && temp_dir.exists());
    assert!(sleepers.iter().all(|pid| pid_running(*pid)));
    assert!(!alive(&ours).is_empty());

    let cleaned = clean_in(&root);
    assert!(cleaned.errors.is_empty(), "{:?}", cleaned.errors);
    assert_eq!(cleaned.cleaned.len(), 1, "{cleaned:?}");
    let run = &cleaned.cleaned[0];
    let killed: BTreeSet<u32> = run.killed.iter().map(|killed| killed.pid).collect();
    assert_eq!(killed, sleepers.iter().copied().collect(), "{run:?}");
    assert_eq!(run.temp_dirs, std::slice::from_ref(&temp_dir));

    assert!(!temp_dir.exists() && !run_dir.exists() && !root.exists());
    for pid in &sleepers {
        assert!(!pid_running(*pid), "process {pid} left running");
    }
    wait_until(
        "the killed run's namespaces are gone",
        Duration::from_secs(5),
        || alive(&ours).is_empty(),
    );
    // A second clean finds nothing.
    assert!(clean_in(&root).is_empty());
    assert_eq!(machine_before, machine_network());
}

#[test]
fn clean_leaves_live_runs_and_foreign_paths_alone() {
    require_root();
    let scratch = Scratch::new();
    let root = scratch.root();
    fs::create_dir_all(&root).unwrap();
    // A dead run (pid 1's start time is never this) that recorded a path not named like ours.
    let foreign = scratch.dir.path().join("precious");
    fs::create_dir(&foreign).unwrap();
    let dead = root.join("1-1");
    fs::create_dir(&dead).unwrap();
    let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    fs::write(
        dead.join("run"),
        format!("pid 1\nstart 1\nboot {}\n", boot.trim()),
    )
    .unwrap();
    fs::write(
        dead.join("journal"),
        format!("+ 1 tempdir tempdir {}\n", foreign.display()),
    )
    .unwrap();
    // Something in the root that is not a run directory.
    fs::write(root.join("notes"), "mine").unwrap();

    let report = clean_in(&root);
    assert!(
        foreign.exists(),
        "a recorded path not named cnitest-* is never removed"
    );
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(report.cleaned.iter().all(|run| run.killed.is_empty()));
    assert!(root.join("notes").exists());
    assert!(!dead.exists());
}

// ---------------------------------------------------------------------------------------------
// Isolation: what happens in a sandbox stays there.

fn sh(sandbox: &Sandbox, script: &str) -> std::process::Output {
    sandbox.command("sh").args(["-c", script]).output().unwrap()
}

#[test]
fn state_written_in_one_sandbox_is_invisible_elsewhere() {
    require_root();
    let machine_before = machine_network();
    let one = Sandbox::new().unwrap();
    let other = Sandbox::new().unwrap();
    let written = sh(
        &one,
        "set -e; mkdir -p /var/lib/cni/networks/net1 /run/cni; echo 10.1.0.2 > /var/lib/cni/networks/net1/last_reserved_ip.0; \
         echo one > /run/cni/state; echo one > /var/run/legacy; echo one > /var/lib/cnitest-elsewhere",
    );
    assert!(written.status.success(), "{written:?}");
    let seen_there = sh(
        &other,
        "ls /var/lib/cni/networks /run/cni /var/run/legacy /var/lib/cnitest-elsewhere 2>/dev/null; true",
    );
    assert_eq!(
        String::from_utf8_lossy(&seen_there.stdout),
        "",
        "the other sandbox sees nothing"
    );
    for path in [
        "/var/lib/cni/networks/net1",
        "/run/cni/state",
        "/var/run/legacy",
        "/var/lib/cnitest-elsewhere",
    ] {
        assert!(!Path::new(path).exists(), "{path} leaked to the machine");
    }
    // The observer sees it, as the plugin does.
    let files = one.state_files().unwrap();
    let ip = &files[Path::new("/var/lib/cni/networks/net1/last_reserved_ip.0")];
    assert_eq!(ip.content, Some(Content::Text("10.1.0.2\n".into())));
    assert_eq!(files[Path::new("/run/cni")].kind, FileKind::Directory);
    assert!(
        !files.keys().any(|path| path.starts_with("/run/netns")),
        "the sandbox's own netns files are not plugin state: {files:?}"
    );
    assert!(other.state_files().unwrap().is_empty());
    // The machine's /var/lib is still readable inside.
    assert!(sh(&one, "test -d /var/lib/dpkg").status.success());
    drop((one, other));
    assert_eq!(machine_before, machine_network());
}

#[test]
fn kept_paths_stay_usable_under_covered_directories() {
    require_root();
    let dir = tempfile::Builder::new()
        .prefix("cnitest-keep-")
        .tempdir_in("/run")
        .unwrap();
    let plugin = dir.path().join("plugin");
    fs::copy("/bin/true", &plugin).unwrap();
    let without = Sandbox::builder().build().unwrap();
    let missing = without.command(&plugin).status();
    assert!(missing.is_err(), "a path under /run is covered unless kept");
    let with = Sandbox::builder().keep_path(dir.path()).build().unwrap();
    assert!(with.command(&plugin).status().unwrap().success());
    assert!(
        with.state_files().unwrap().is_empty(),
        "kept paths are not plugin state"
    );
    // /tmp is not covered: paths there need nothing.
    let in_tmp = tempfile::tempdir().unwrap();
    let tmp_plugin = in_tmp.path().join("plugin");
    fs::copy("/bin/true", &tmp_plugin).unwrap();
    assert!(without.command(&tmp_plugin).status().unwrap().success());
}

#[test]
fn plugins_see_the_fake_host_in_sys_and_the_container_by_path() {
    require_root();
    let sandbox = Sandbox::new().unwrap();
    sandbox.create_parent_interface("parent0").unwrap();
    let listed = sh(&sandbox, "ls /sys/class/net");
    let names: BTreeSet<String> = String::from_utf8_lossy(&listed.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        names,
        ["lo", "parent0", "parent0p"].map(str::to_owned).into()
    );
    let path = sandbox.netns_path("container").unwrap().to_owned();
    let same = sh(
        &sandbox,
        &format!(
            "nsenter --net={} readlink /proc/self/ns/net",
            path.display()
        ),
    );
    let container = sandbox.container("container").unwrap().ns_id();
    assert_eq!(
        String::from_utf8_lossy(&same.stdout).trim(),
        container.to_string()
    );
    let machine = fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !machine.contains(&container.to_string()),
        "nothing of the sandbox is mounted on the machine"
    );
}

// ---------------------------------------------------------------------------------------------
// Actions cases take.

#[test]
fn actions_change_the_container_through_netlink() {
    require_root();
    let sandbox = Sandbox::new().unwrap();
    let container = sandbox.default_container().unwrap();
    let peer = sandbox.precreate_interface("container", "eth0").unwrap();
    let host = sandbox.host_netlink().unwrap();
    assert!(
        host.link(peer.as_str()).unwrap().is_some(),
        "the peer stays in the fake host"
    );
    let inside = container.netlink().unwrap();
    let eth0 = inside
        .link("eth0")
        .unwrap()
        .expect("eth0 pre-created in the container");
    inside.set_up("eth0").unwrap();
    inside
        .add_address(eth0.index, "10.9.0.2/24".parse().unwrap())
        .unwrap();

    container.set_mtu("eth0", 1400).unwrap();
    container
        .set_mac("eth0", "02:00:00:00:00:09".parse().unwrap())
        .unwrap();
    let changed = inside.link("eth0").unwrap().unwrap();
    assert_eq!(changed.mtu, 1400);
    assert_eq!(changed.mac.as_deref(), Some("02:00:00:00:00:09"));
    let route = cnitest::netlink::RouteSpec::new("10.9.0.0/24".parse().unwrap());
    assert!(
        inside
            .routes()
            .unwrap()
            .iter()
            .any(|r| r.dst == "10.9.0.0/24".parse::<ipnet::IpNet>().unwrap())
    );
    container.remove_route(&route).unwrap();
    assert!(
        !inside
            .routes()
            .unwrap()
            .iter()
            .any(|r| r.dst == "10.9.0.0/24".parse::<ipnet::IpNet>().unwrap())
    );
    container.flush_addresses("eth0").unwrap();
    assert!(
        inside
            .addresses()
            .unwrap()
            .iter()
            .all(|a| a.index != eth0.index || a.is_kernel_link_local())
    );
    container.set_link_down("eth0").unwrap();
    assert!(!inside.link("eth0").unwrap().unwrap().up);
    container.delete_link("eth0").unwrap();
    assert!(inside.link("eth0").unwrap().is_none());
    assert!(
        host.link(peer.as_str()).unwrap().is_none(),
        "a veth takes its peer with it"
    );
    assert!(
        container.delete_link("eth0").is_err(),
        "deleting a missing link is an error"
    );
}

#[test]
fn deleting_a_container_netns_removes_its_path_and_its_links() {
    require_root();
    let mut sandbox = Sandbox::new().unwrap();
    let peer = sandbox.precreate_interface("container", "eth0").unwrap();
    let path = sandbox.netns_path("container").unwrap().to_owned();
    assert!(
        sh(&sandbox, &format!("test -e {}", path.display()))
            .status
            .success()
    );
    let ours = sandbox.container("container").unwrap().ns_id();
    sandbox.delete_container_netns("container").unwrap();
    assert!(sandbox.container("container").is_none());
    assert!(
        !sh(&sandbox, &format!("test -e {}", path.display()))
            .status
            .success(),
        "CNI_NETNS names nothing now"
    );
    let host = sandbox.host_netlink().unwrap();
    wait_until(
        "the veth goes with its netns",
        Duration::from_secs(5),
        || host.link(peer.as_str()).unwrap().is_none(),
    );
    assert_eq!(alive(&[ours]), Vec::<String>::new());
    // A new container can take the name again.
    sandbox.add_container("container").unwrap();
    assert!(
        sh(&sandbox, &format!("test -e {}", path.display()))
            .status
            .success()
    );
}

#[test]
fn link_kinds_are_probed_once_with_reasons() {
    require_root();
    let kinds = LinkKinds::get();
    for kind in [LinkKind::Veth, LinkKind::Bridge, LinkKind::Macvlan] {
        assert!(kinds.supports(kind), "{kind}: {:?}", kinds.require(kind));
    }
    for (kind, reason) in kinds.missing() {
        assert!(reason.contains(kind.name()), "{kind}: {reason}");
    }
    eprintln!("missing link kinds: {:?}", kinds.missing());
    assert!(std::ptr::eq(kinds, LinkKinds::get()), "probed once");
}

#[test]
fn fingerprints_hold_links_firewall_and_files() {
    require_root();
    let sandbox = Sandbox::new().unwrap();
    let empty = sandbox.fingerprint_host().unwrap();
    assert_eq!(empty.files, Some(BTreeMap::new()));
    assert!(empty.links.contains_key("lo"));
    sandbox.create_parent_interface("parent0").unwrap();
    let wrote = sh(
        &sandbox,
        "iptables -t nat -N CNITEST-T && iptables -t nat -A POSTROUTING -j CNITEST-T && echo x > /run/plugin.state",
    );
    assert!(wrote.status.success(), "{wrote:?}");
    let after = sandbox.fingerprint_host().unwrap();
    assert!(after.links.contains_key("parent0"));
    let rules = after.firewall.clone().expect("iptables is installed");
    assert!(
        rules
            .iter()
            .any(|rule| rule.contains("-A POSTROUTING -j CNITEST-T")),
        "{rules:?}"
    );
    assert!(
        after
            .files
            .as_ref()
            .unwrap()
            .contains_key(Path::new("/run/plugin.state"))
    );
    let container = sandbox.fingerprint_container("container").unwrap();
    assert!(container.links.contains_key("lo") && container.files.is_none());
    assert!(
        !machine_network()
            .firewall
            .iter()
            .any(|rule| rule.contains("CNITEST-T"))
    );
}

// ---------------------------------------------------------------------------------------------
// The upstream bridge plugin, twice at once.

/// Every path under `dir` on the machine (none if it does not exist).
fn listing(dir: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                pending.push(entry.path());
            }
            found.insert(entry.path());
        }
    }
    found
}

fn run_plugin(
    sandbox: &Sandbox,
    plugin: &str,
    command: &str,
    container_id: &str,
    config: &Value,
) -> (bool, Value, String) {
    let namespaces = sandbox.plugin_namespaces();
    let mut child = Command::new(Path::new(UPSTREAM).join(plugin));
    child
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("CNI_COMMAND", command)
        .env("CNI_CONTAINERID", container_id)
        .env("CNI_NETNS", sandbox.netns_path("container").unwrap())
        .env("CNI_IFNAME", "eth0")
        .env("CNI_PATH", UPSTREAM)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: only setns between fork and exec, on descriptors the sandbox keeps open.
    unsafe {
        child.pre_exec(move || {
            for (fd, flag) in &namespaces {
                nix::sched::setns(BorrowedFd::borrow_raw(*fd), *flag)?;
            }
            Ok(())
        });
    }
    let mut child = child.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(config.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let value = if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&stdout).unwrap()
    };
    (
        output.status.success(),
        value,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn upstream_bridge_runs_in_two_sandboxes_at_once() {
    require_root();
    assert!(
        Path::new(UPSTREAM).join("bridge").exists(),
        "install the upstream plugins: apt-get install -y containernetworking-plugins"
    );
    let machine_before = machine_network();
    let machine_cni_before = listing(Path::new("/var/lib/cni"));
    let config = json!({
        "cniVersion": "1.0.0",
        "name": "sbnet",
        "type": "bridge",
        "bridge": "cnitbr0",
        "isGateway": true,
        "ipMasq": true,
        "ipam": {
            "type": "host-local",
            "subnet": "10.99.0.0/24",
            "dataDir": "/var/lib/cni/networks"
        }
    });
    let results: Vec<_> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|n| {
                let config = &config;
                scope.spawn(move || {
                    let sandbox = Sandbox::new().unwrap();
                    let id = format!("sandbox-test-{n}");
                    let (ok, result, stderr) = run_plugin(&sandbox, "bridge", "ADD", &id, config);
                    assert!(ok, "ADD in sandbox {n}: {result} {stderr}");
                    let eth0 = sandbox.default_container().unwrap().netlink().unwrap();
                    let link = eth0.link("eth0").unwrap().expect("eth0 in the container");
                    let addresses: Vec<String> = eth0
                        .addresses()
                        .unwrap()
                        .into_iter()
                        .filter(|a| a.index == link.index && !a.is_kernel_link_local())
                        .map(|a| a.address.to_string())
                        .collect();
                    let host = sandbox.host_netlink().unwrap();
                    let bridge = host
                        .link("cnitbr0")
                        .unwrap()
                        .expect("the bridge in the fake host");
                    let files = sandbox.state_files().unwrap();
                    let firewall = sandbox.firewall_rules().unwrap().unwrap();
                    let (ok, _, stderr) = run_plugin(&sandbox, "bridge", "DEL", &id, config);
                    assert!(ok, "DEL in sandbox {n}: {stderr}");
                    let files_after = sandbox.state_files().unwrap();
                    (
                        result,
                        addresses,
                        bridge.kind,
                        files,
                        files_after,
                        firewall,
                        eth0.link("eth0").unwrap(),
                    )
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap())
            .collect()
    });
    for (result, addresses, bridge_kind, files, files_after, firewall, eth0_after) in results {
        assert_eq!(result["ips"][0]["address"], "10.99.0.2/24", "{result}");
        assert_eq!(addresses, ["10.99.0.2/24"]);
        assert_eq!(bridge_kind.as_deref(), Some("bridge"));
        // Each sandbox's host-local state is its own: both hold the same first address.
        let reservation = Path::new("/var/lib/cni/networks/sbnet/10.99.0.2");
        assert!(files.contains_key(reservation), "{files:?}");
        assert!(!files_after.contains_key(reservation), "released on DEL");
        assert!(
            firewall.iter().any(|rule| rule.contains("CNI-")),
            "ipMasq rules in the fake host: {firewall:?}"
        );
        assert!(eth0_after.is_none(), "DEL removed eth0");
    }
    assert_eq!(
        machine_cni_before,
        listing(Path::new("/var/lib/cni")),
        "nothing written on the machine"
    );
    assert_eq!(
        machine_before,
        machine_network(),
        "the machine's network and firewall are untouched"
    );
}
