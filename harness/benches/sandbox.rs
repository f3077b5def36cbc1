//! Sandbox create+destroy time, side by side with `ip netns add` + `ip netns del` of two
//! namespaces (what a shell-driven harness pays for a fake host and a container), and with the
//! kernel's own floor: two `unshare(CLONE_NEWNET)` in a fresh thread.
//!
//! Run as root: `cargo bench -p cnitest --bench sandbox`. `CNITEST_BENCH_ROUNDS` sets the number
//! of interleaved rounds (default 10). Batches alternate so that load from other processes hits
//! every contender alike; the figure reported is the median batch.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cnitest::sandbox::{Sandbox, signal};
use nix::sched::{CloneFlags, unshare};

const SANDBOXES_PER_BATCH: usize = 50;
const IP_PAIRS_PER_BATCH: usize = 5;

fn main() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: the sandbox benchmark needs root (namespaces, mounts)");
        return;
    }
    if let Err(err) = signal::install() {
        eprintln!("cannot install signal handlers: {err}");
    }
    let rounds: usize = std::env::var("CNITEST_BENCH_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(10);
    let ip = which_ip();

    // Warm up caches, the run directory and the kernel's allocators.
    for _ in 0..10 {
        drop(Sandbox::new().expect("make a sandbox"));
    }

    let mut sandbox = Vec::new();
    let mut host_only = Vec::new();
    let mut floor = Vec::new();
    let mut ip_netns = Vec::new();
    let mut counter = 0usize;
    for _ in 0..rounds {
        if signal::interrupted() {
            break;
        }
        sandbox.push(per_op(SANDBOXES_PER_BATCH, || {
            let made = Sandbox::new().expect("make a sandbox");
            made.destroy().expect("destroy a sandbox");
        }));
        host_only.push(per_op(SANDBOXES_PER_BATCH, || {
            let made = Sandbox::builder().build().expect("make a sandbox");
            made.destroy().expect("destroy a sandbox");
        }));
        floor.push(per_op(SANDBOXES_PER_BATCH, two_bare_netns));
        if let Some(ip) = &ip {
            ip_netns.push(per_op(IP_PAIRS_PER_BATCH, || {
                let first = IpNetns::add(ip, &mut counter);
                let second = IpNetns::add(ip, &mut counter);
                drop(first);
                drop(second);
            }));
        }
    }

    let sandbox = median(&mut sandbox);
    println!("sandbox create+destroy (fake host + 1 container netns, mounts, record)");
    println!(
        "    {:>9.3} ms per sandbox   ({} rounds x {SANDBOXES_PER_BATCH})",
        ms(sandbox),
        rounds
    );
    println!("fake host only (no container netns)");
    println!("    {:>9.3} ms per sandbox", ms(median(&mut host_only)));
    let floor = median(&mut floor);
    println!("kernel floor: two unshare(CLONE_NEWNET) in a fresh thread, then close");
    println!("    {:>9.3} ms per pair", ms(floor));
    if ip.is_some() {
        let ip_netns = median(&mut ip_netns);
        println!("ip netns add + ip netns del, two namespaces");
        println!(
            "    {:>9.3} ms per pair      ({} rounds x {IP_PAIRS_PER_BATCH})",
            ms(ip_netns),
            rounds
        );
        println!(
            "ratio: ip netns / sandbox = {:.1}x; sandbox overhead above the kernel floor = {:.3} ms",
            ip_netns.as_secs_f64() / sandbox.as_secs_f64(),
            ms(sandbox.saturating_sub(floor)),
        );
    } else {
        println!("ip netns: skipped (no `ip` command)");
    }
}

fn per_op(count: usize, mut op: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..count {
        op();
    }
    start.elapsed() / count as u32
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn two_bare_netns() {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                unshare(CloneFlags::CLONE_FS).expect("unshare the filesystem context");
                for _ in 0..2 {
                    unshare(CloneFlags::CLONE_NEWNET).expect("unshare a netns");
                    let fd = std::fs::File::open("/proc/thread-self/ns/net").expect("open a netns");
                    drop(fd);
                }
            })
            .join()
            .expect("the namespace thread");
    });
}

fn which_ip() -> Option<String> {
    ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        .into_iter()
        .find(|path| std::path::Path::new(path).exists())
        .map(str::to_owned)
}

/// A namespace made by `ip netns add`, deleted when dropped (also when the benchmark panics).
struct IpNetns<'a> {
    ip: &'a str,
    name: Option<String>,
}

impl<'a> IpNetns<'a> {
    fn add(ip: &'a str, counter: &mut usize) -> IpNetns<'a> {
        *counter += 1;
        let name = format!("cnitbench-{}-{counter}", std::process::id());
        let status = Command::new(ip)
            .args(["netns", "add", &name])
            .stderr(Stdio::inherit())
            .status()
            .expect("run ip netns add");
        assert!(status.success(), "ip netns add {name} failed: {status}");
        IpNetns {
            ip,
            name: Some(name),
        }
    }
}

impl Drop for IpNetns<'_> {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            let deleted = Command::new(self.ip).args(["netns", "del", &name]).status();
            if !deleted.is_ok_and(|status| status.success()) {
                eprintln!("failed to delete netns {name}: run `ip netns del {name}`");
            }
        }
    }
}
