//! The suite's cost, measured side by side in one run, against the
//! reference plugin and against the upstream bridge plugin:
//! - wall time of a full `cnitest run`;
//! - the sum of the plugin processes' wall times (what the plugin costs);
//! - their ratio: the harness's overhead per unit of plugin work;
//! - the speedup of `--jobs 2` over `--jobs 1`.
//!
//! Run as root: `cargo bench -p cnitest --bench suite` (it builds the
//! reference plugins first; the bridge part needs
//! `apt-get install containernetworking-plugins`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

fn main() {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_cnitest"));
    let bin = exe.parent().expect("target dir").to_owned();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--release",
            "-p",
            "cni-reference-plugins",
            "--bins",
        ])
        .status()
        .expect("cargo build");
    assert!(status.success(), "building the reference plugins");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let targets: Vec<(&str, Vec<String>)> = vec![
        (
            "reference (cni-reference)",
            vec![
                "--plugin".into(),
                bin.join("cni-reference").display().to_string(),
                "--cni-path".into(),
                bin.display().to_string(),
            ],
        ),
        (
            "upstream bridge + host-local",
            vec![
                "--plugin".into(),
                "/usr/lib/cni/bridge".into(),
                "--config".into(),
                root.join("fixtures/upstream/bridge.conflist")
                    .display()
                    .to_string(),
                "--cni-path".into(),
                "/usr/lib/cni".into(),
            ],
        ),
    ];
    for (name, args) in targets {
        if args
            .iter()
            .any(|a| a.starts_with('/') && !Path::new(a).exists())
        {
            println!("{name}: skipped (a path is missing)");
            continue;
        }
        let one = run(&exe, &args, 1);
        let two = run(&exe, &args, 2);
        println!("{name}: {} results", one.results);
        for (jobs, m) in [(1, &one), (2, &two)] {
            println!(
                "  --jobs {jobs}: wall {:>7.2} s, plugin processes {:>7.2} s, wall/plugin {:>5.2}",
                m.wall.as_secs_f64(),
                m.plugin.as_secs_f64(),
                m.wall.as_secs_f64() / m.plugin.as_secs_f64().max(1e-9),
            );
        }
        println!(
            "  speedup of --jobs 2 over --jobs 1: {:.2}x",
            one.wall.as_secs_f64() / two.wall.as_secs_f64()
        );
    }
}

struct Measured {
    wall: Duration,
    plugin: Duration,
    results: usize,
}

fn run(exe: &Path, args: &[String], jobs: usize) -> Measured {
    let started = Instant::now();
    let out = Command::new(exe)
        .arg("run")
        .args(args)
        .args(["--jobs", &jobs.to_string(), "--format", "json", "--quiet"])
        .output()
        .expect("cnitest run");
    let wall = started.elapsed();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "cnitest run printed no report ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let results = doc["results"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let plugin_ms: u64 = results.iter().filter_map(|r| r["plugin_ms"].as_u64()).sum();
    Measured {
        wall,
        plugin: Duration::from_millis(plugin_ms),
        results: results.len(),
    }
}
