//! The suite against the upstream Go plugins (Debian's
//! containernetworking-plugins): each run is held to the plugin's baseline
//! in `fixtures/upstream/`, where every result that is not a pass is listed
//! with its reason, and to the snapshots of its answers in
//! `snapshots/upstream/`. A verdict that changes either way fails: the
//! suite must be right about the plugins the ecosystem runs, and say so in
//! writing (docs/interop.md).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cnitest::sandbox::LinkKinds;
use cnitest::suite::Role;
use cnitest::suite::baseline::Baseline;
use cnitest::suite::case::{self, Case};
use cnitest::suite::plan::Selection;
use cnitest::suite::runner::{self, RunOptions};
use cnitest::suite::snapshot;
use cnitest::suite::target::Target;

/// Where Debian installs the upstream plugins.
const UPSTREAM: &str = "/usr/lib/cni";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn snapshot_mode() -> snapshot::Mode {
    if std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "always") {
        snapshot::Mode::Update
    } else if std::env::var("CI").is_ok() || std::env::var("INSTA_UPDATE").is_ok_and(|v| v == "no")
    {
        snapshot::Mode::Strict
    } else {
        snapshot::Mode::Compare
    }
}

#[rstest::rstest]
#[case::bridge("bridge", "bridge", "bridge", None, None)]
#[case::host_local("host-local", "host-local", "bridge", Some(Role::Ipam), None)]
#[case::ptp("ptp", "ptp", "ptp", None, None)]
#[case::loopback("loopback", "loopback", "loopback", None, Some("lo"))]
#[case::macvlan("macvlan", "macvlan", "macvlan", None, None)]
#[case::static_ipam("static", "static", "static", Some(Role::Ipam), None)]
#[case::portmap("portmap", "portmap", "portmap", None, None)]
#[case::tuning("tuning", "tuning", "tuning", None, None)]
#[case::bandwidth("bandwidth", "bandwidth", "bandwidth", None, None)]
#[case::firewall("firewall", "firewall", "firewall", None, None)]
fn the_upstream_plugin_gets_what_its_baseline_says(
    #[case] name: &str,
    #[case] plugin: &str,
    #[case] config: &str,
    #[case] role: Option<Role>,
    #[case] ifname: Option<&str>,
) {
    let exe = Path::new(UPSTREAM).join(plugin);
    assert!(
        exe.is_file(),
        "{} is missing: install Debian's containernetworking-plugins (.ci/run does)",
        exe.display()
    );
    let fixtures = repo().join("fixtures/upstream");
    let mut target = Target::new(
        &exe,
        Some(&fixtures.join(format!("{config}.conflist"))),
        role,
        &[PathBuf::from(UPSTREAM)],
    )
    .unwrap();
    if let Some(i) = ifname {
        target.ifname = i.to_owned();
    }
    let cases: Vec<Arc<Case>> = case::builtin().unwrap().into_iter().map(Arc::new).collect();
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    let baseline_file = fixtures.join(format!("{name}.baseline.toml"));
    let baseline = Baseline::load(&baseline_file, &ids).unwrap();
    let opts = RunOptions {
        jobs: 2,
        timeout: Duration::from_secs(20),
        output_limit: cnitest::runtime::invoke::DEFAULT_OUTPUT_LIMIT,
        strict: false,
        selection: Selection::default(),
        rerun_args: format!("--plugin {} --cni-path {UPSTREAM}", exe.display()),
        missing_kinds: LinkKinds::get()
            .missing()
            .keys()
            .map(|k| k.name().to_owned())
            .collect(),
        keep_failed: false,
        stub_exe: Some(crate::support::cnitest_exe()),
        snapshots: true,
    };
    let probe = runner::probe(&target, opts.timeout).unwrap();
    let mut results =
        runner::run(&target, &cases, &opts, probe, &|| false, &|_| {}, &|_| {}).results;

    let dir = repo().join("snapshots/upstream").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    baseline.forget_varying_answers(&mut results);
    snapshot::apply(&dir, &mut results, snapshot_mode(), false).unwrap();
    let stale = snapshot::stale(&dir, &results).unwrap();
    assert!(
        stale.is_empty(),
        "stale or pending snapshots in {}: {stale:?}",
        dir.display()
    );

    let comparison = baseline.compare(&results);
    let differences: Vec<String> = comparison
        .differences
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert!(
        differences.is_empty(),
        "upstream {name} differs from {}:\n{}",
        baseline_file.display(),
        differences.join("\n")
    );
    // The baseline is not empty by accident: every Go plugin shows pkg/skel's
    // deviations, so a run that found none of them proved nothing.
    assert!(
        comparison.expected > 0,
        "upstream {name}: no known result seen"
    );
}
