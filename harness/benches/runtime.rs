//! The runtime's cost, measured side by side in one run:
//! 1. one invocation through `runtime::invoke` against spawning the same
//!    plugin directly with `std::process::Command`;
//! 2. `cnitest exec add` + `exec del` of the upstream chain (bridge +
//!    host-local, portmap, tuning) against a plain loop that runs the same
//!    plugins with the same requests directly.
//!
//! Run as root: `cargo bench -p cnitest --bench runtime`. Part 2 needs the
//! upstream plugins (`apt-get install containernetworking-plugins`); it makes
//! two network namespaces with `ip netns add` and always deletes them.

use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cnitest::runtime::{Invocation, invoke};
use serde_json::{Value, json};

const UPSTREAM: &str = "/usr/lib/cni";

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    invocation_overhead(rounds);
    if Path::new(UPSTREAM).join("bridge").exists() && nix::unistd::geteuid().is_root() {
        exec_cycle(rounds.clamp(1, 50));
    } else {
        println!("exec add+del: skipped (needs root and {UPSTREAM}/bridge)");
    }
}

fn invocation_overhead(rounds: usize) {
    let plugin = if Path::new(UPSTREAM).join("host-local").exists() {
        PathBuf::from(UPSTREAM).join("host-local")
    } else {
        PathBuf::from("/bin/true")
    };
    let stdin = br#"{"cniVersion":"1.0.0"}"#.to_vec();
    let env = vec![("CNI_COMMAND".to_owned(), "VERSION".to_owned())];

    let direct = time(rounds, || {
        let mut child = Command::new(&plugin)
            .env_clear()
            .envs(env.iter().cloned())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&stdin)
            .expect("write");
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success());
    });
    let mut inv = Invocation::new(&plugin);
    inv.env = env.clone();
    inv.stdin = stdin.clone();
    let through = time(rounds, || {
        let o = invoke(&inv).expect("invoke");
        assert!(o.termination.success());
    });
    println!(
        "invocation of {} (VERSION), {rounds} rounds:",
        plugin.display()
    );
    println!("  std::process::Command  {:>8.1} us/call", micros(direct));
    println!("  runtime::invoke        {:>8.1} us/call", micros(through));
    println!(
        "  ratio                  {:>8.2}x",
        through.as_secs_f64() / direct.as_secs_f64()
    );
}

/// Two namespaces from `ip netns add`, deleted on drop.
struct Netns(Vec<String>);

impl Drop for Netns {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = Command::new("ip").args(["netns", "del", n]).status();
        }
    }
}

fn exec_cycle(rounds: usize) {
    let pid = std::process::id();
    let mut ns = Netns(Vec::new());
    for tag in ["host", "ctr"] {
        let name = format!("cnitbench-{pid}-{tag}");
        assert!(
            Command::new("ip")
                .args(["netns", "add", &name])
                .status()
                .expect("ip")
                .success()
        );
        ns.0.push(name);
    }
    let host = std::fs::File::open(format!("/run/netns/{}", ns.0[0])).expect("host netns");
    let netns_path = format!("/run/netns/{}", ns.0[1]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let list = json!({
        "cniVersion": "1.0.0",
        "name": "benchnet",
        "plugins": [
            {"type": "bridge", "bridge": "cnitbench0", "isGateway": true,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.89.0.0/24"}]], "dataDir": tmp.path().join("ipam")}},
            {"type": "portmap", "capabilities": {"portMappings": true}},
            {"type": "tuning", "mtu": 1400}
        ]
    });
    let config = tmp.path().join("bench.conflist");
    std::fs::write(&config, serde_json::to_vec(&list).expect("json")).expect("write config");
    let host_fd = host.as_raw_fd();
    let in_host = move |cmd: &mut Command| {
        // SAFETY: setns is async-signal-safe; the fd outlives every spawn.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setns(host_fd, libc::CLONE_NEWNET) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    };

    let exe = PathBuf::from(env!("CARGO_BIN_EXE_cnitest"));
    let cache = tmp.path().join("cache");
    let via_exec = time(rounds, || {
        for op in ["add", "del"] {
            let mut cmd = Command::new(&exe);
            cmd.args(["exec", op, "--config"])
                .arg(&config)
                .args([
                    "--netns",
                    &netns_path,
                    "--container-id",
                    "bench",
                    "--cni-path",
                    UPSTREAM,
                    "--cache-dir",
                ])
                .arg(&cache)
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            in_host(&mut cmd);
            let out = cmd.output().expect("cnitest exec");
            assert!(
                out.status.success(),
                "exec {op}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });

    // The same chain by hand: what a shell loop around the plugins does.
    let plugins = list["plugins"].as_array().expect("plugins").clone();
    let direct = time(rounds, || {
        let mut prev: Option<Value> = None;
        for p in &plugins {
            let out = run_direct(p, "ADD", prev.as_ref(), &netns_path, &in_host);
            prev = Some(serde_json::from_slice(&out).expect("result"));
        }
        for p in plugins.iter().rev() {
            run_direct(p, "DEL", prev.as_ref(), &netns_path, &in_host);
        }
    });
    println!("upstream chain bridge+host-local, portmap, tuning; ADD then DEL, {rounds} rounds:");
    println!(
        "  plain loop of direct plugin calls  {:>8.2} ms/cycle",
        millis(direct)
    );
    println!(
        "  cnitest exec add + exec del        {:>8.2} ms/cycle",
        millis(via_exec)
    );
    println!(
        "  ratio                              {:>8.2}x",
        via_exec.as_secs_f64() / direct.as_secs_f64()
    );
}

fn run_direct(
    plugin: &Value,
    command: &str,
    prev: Option<&Value>,
    netns: &str,
    in_host: &dyn Fn(&mut Command),
) -> Vec<u8> {
    let mut req = plugin.clone();
    req["cniVersion"] = json!("1.0.0");
    req["name"] = json!("benchnet");
    if let Some(obj) = req.as_object_mut() {
        obj.shift_remove("capabilities");
    }
    if let Some(prev) = prev {
        req["prevResult"] = prev.clone();
    }
    let ty = plugin["type"].as_str().expect("type");
    let mut cmd = Command::new(Path::new(UPSTREAM).join(ty));
    cmd.env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("CNI_COMMAND", command)
        .env("CNI_CONTAINERID", "bench-direct")
        .env("CNI_NETNS", netns)
        .env("CNI_IFNAME", "eth0")
        .env("CNI_PATH", UPSTREAM)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    in_host(&mut cmd);
    let mut child = cmd.spawn().expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&serde_json::to_vec(&req).expect("json"))
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{ty} {command}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    out.stdout
}

fn time(rounds: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm the page cache
    let start = Instant::now();
    for _ in 0..rounds {
        f();
    }
    start.elapsed() / rounds as u32
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
