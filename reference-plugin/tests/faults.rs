//! Every fault switch, seen from outside: a wrong output, a wrong code, a
//! leaked link or reservation, a crash, a hang that only a process-group
//! kill ends. Each test is named after its switch; a test checks that none
//! is missing.

use std::collections::BTreeSet;
use std::time::Duration;

use cni_reference_plugins::faults::Fault;
use cnitest::spec::Version;
use cnitest::spec::result::{ResultKind, validate};
use serde_json::{Value, json};

use crate::common::kernel;
use crate::common::run::kill_group;
use crate::common::{Att, Bin, HOST, Invocation, World, with_faults, with_prev};

const V04: Version = Version::V0_4_0;
const V10: Version = Version::V1_0_0;
const V11: Version = Version::V1_1_0;

fn ipam(world: &World, version: Version, faults: &[&str]) -> Value {
    with_faults(&world.ipam_conf(version), "ipam.faults", faults)
}

fn iface(world: &World, version: Version, faults: &[&str]) -> Value {
    with_faults(&world.interface_conf(version), "faults", faults)
}

fn ipam_att(id: &str) -> Att {
    Att {
        id: id.to_owned(),
        ifname: "eth0".to_owned(),
        netns: "unused".to_owned(),
    }
}

/// The rules the validator finds broken in an ADD result.
fn broken(result: &Value, version: Version, kind: ResultKind) -> Vec<&'static str> {
    validate(result, version, kind)
        .iter()
        .map(|v| v.rule)
        .collect()
}

/// An IPAM ADD missing CNI_IFNAME, for the error-format switches.
fn ipam_env_error(world: &World, faults: &[&str]) -> crate::common::Output {
    world
        .call(Bin::Ipam, "ADD", &ipam(world, V10, faults), &ipam_att("c1"))
        .unset("CNI_IFNAME")
        .run()
}

#[test]
fn every_switch_has_a_test() {
    let source = include_str!("faults.rs");
    let missing: BTreeSet<&str> = Fault::ALL
        .iter()
        .map(|f| f.name())
        .filter(|name| !source.contains(&format!("fn {}()", name.replace('-', "_"))))
        .collect();
    assert!(missing.is_empty(), "switches without a test: {missing:?}");
}

// Result format and version.

#[test]
fn result_wrong_version() {
    let world = World::new();
    let config = ipam(&world, V10, &["result-wrong-version"]);
    let result = world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .ok()
        .json();
    assert_eq!(result["cniVersion"], "1.1.0");
    assert!(broken(&result, V10, ResultKind::Ipam).contains(&"P-ADD-1"));
}

#[test]
fn result_no_ip_version() {
    let world = World::new();
    let config = ipam(&world, V04, &["result-no-ip-version"]);
    let result = world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .ok()
        .json();
    assert!(result["ips"][0].get("version").is_none());
    assert!(broken(&result, V04, ResultKind::Ipam).contains(&"F-RES-3"));
}

#[test]
fn result_interface_out_of_range() {
    let world = World::new();
    let config = iface(&world, V10, &["result-interface-out-of-range"]);
    let result = world
        .run(Bin::Interface, "ADD", &config, &world.att())
        .ok()
        .json();
    assert_eq!(result["ips"][0]["interface"], 2);
    assert!(broken(&result, V10, ResultKind::Attachment).contains(&"F-RES-2"));
}

#[test]
fn result_address_not_cidr() {
    let world = World::new();
    let config = ipam(&world, V10, &["result-address-not-cidr"]);
    let result = world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .ok()
        .json();
    assert_eq!(result["ips"][0]["address"], "10.1.0.2");
    assert!(broken(&result, V10, ResultKind::Ipam).contains(&"P-ADD-6"));
}

#[test]
fn result_wrong_mac() {
    let world = World::new();
    let att = world.att();
    let config = iface(&world, V10, &["result-wrong-mac"]);
    let result = world.run(Bin::Interface, "ADD", &config, &att).ok().json();
    let kernel_mac = kernel::link(&world, &att.netns, "eth0")
        .unwrap()
        .mac
        .unwrap();
    assert_ne!(result["interfaces"][1]["mac"], json!(kernel_mac));
}

// VERSION and negotiation.

#[test]
fn version_rejects_advertised() {
    let world = World::new();
    let version = Invocation::new(Bin::Ipam)
        .command("VERSION")
        .run()
        .ok()
        .json();
    assert!(
        version["supportedVersions"]
            .as_array()
            .unwrap()
            .contains(&json!("1.1.0"))
    );
    let config = ipam(&world, V11, &["version-rejects-advertised"]);
    world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .code(1);
    let config = ipam(&world, V10, &["version-rejects-advertised"]);
    world.run(Bin::Ipam, "ADD", &config, &ipam_att("c1")).ok();
}

#[test]
fn version_no_echo() {
    let out = Invocation::new(Bin::Interface)
        .command("VERSION")
        .config(&json!({"cniVersion": "1.0.0", "faults": ["version-no-echo"]}))
        .run()
        .ok();
    assert_eq!(out.json()["cniVersion"], "1.1.0");
}

#[test]
fn version_accepts_unsupported() {
    let world = World::new();
    let mut config = ipam(&world, V10, &["version-accepts-unsupported"]);
    config["cniVersion"] = json!("2.0.0");
    let result = world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .ok()
        .json();
    assert_eq!(result["cniVersion"], "2.0.0");
}

// Error codes and the error object.

#[test]
fn error_unsupported_version_code() {
    let world = World::new();
    let mut config = ipam(&world, V10, &["error-unsupported-version-code"]);
    config["cniVersion"] = json!("2.0.0");
    world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .code(7);
}

#[test]
fn error_on_stderr() {
    let world = World::new();
    let out = ipam_env_error(&world, &["error-on-stderr"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("\"code\": 4"), "{}", out.stderr);
}

#[test]
fn error_exit_zero() {
    let world = World::new();
    let out = ipam_env_error(&world, &["error-exit-zero"]);
    assert!(out.status.success());
    assert_eq!(out.json()["code"], 4);
}

#[test]
fn error_reserved_code() {
    let world = World::new();
    ipam_env_error(&world, &["error-reserved-code"]).code(42);
}

#[test]
fn error_no_cni_version() {
    let world = World::new();
    let out = ipam_env_error(&world, &["error-no-cni-version"]);
    assert_eq!(out.status.code(), Some(1));
    let error = out.json();
    assert_eq!(error["code"], 4);
    assert!(error.get("cniVersion").is_none(), "{error}");
}

// Output discipline.

#[test]
fn stdout_log_line() {
    let world = World::new();
    let config = ipam(&world, V10, &["stdout-log-line"]);
    let out = world.run(Bin::Ipam, "ADD", &config, &ipam_att("c1")).ok();
    assert!(
        out.stdout.starts_with("cni-reference-ipam: handling ADD\n"),
        "{}",
        out.stdout
    );
    assert!(serde_json::from_str::<Value>(&out.stdout).is_err());
}

#[test]
fn stdout_huge() {
    let world = World::new();
    let config = ipam(&world, V10, &["stdout-huge"]);
    let out = world.run(Bin::Ipam, "ADD", &config, &ipam_att("c1")).ok();
    assert!(
        out.stdout.len() > 50 * 1024 * 1024,
        "{} bytes",
        out.stdout.len()
    );
}

#[test]
fn check_prints_result() {
    let world = World::new();
    let config = ipam(&world, V04, &["check-prints-result"]);
    let result = world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .ok()
        .json();
    let out = world
        .run(
            Bin::Ipam,
            "CHECK",
            &with_prev(&config, &result),
            &ipam_att("c1"),
        )
        .ok();
    assert_eq!(out.json(), result);
}

// Environment.

#[test]
fn env_containerid_unchecked() {
    let world = World::new();
    let config = ipam(&world, V10, &["env-containerid-unchecked"]);
    world
        .call(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .unset("CNI_CONTAINERID")
        .run()
        .ok();
}

#[test]
fn env_error_unnamed() {
    let world = World::new();
    let error = ipam_env_error(&world, &["env-error-unnamed"]).code(4);
    assert!(!error.text().contains("CNI_IFNAME"), "{error}");
}

#[test]
fn unknown_command_ok() {
    let world = World::new();
    let config = ipam(&world, V10, &["unknown-command-ok"]);
    world
        .run(Bin::Ipam, "FROB", &config, &ipam_att("c1"))
        .silent();
}

// ADD.

#[test]
fn add_over_existing() {
    let world = World::new();
    let att = world.att();
    world.ip(
        &att.netns,
        &[
            "link", "add", "eth0", "type", "veth", "peer", "name", "other0",
        ],
    );
    let config = iface(&world, V10, &["add-over-existing"]);
    world.run(Bin::Interface, "ADD", &config, &att).ok();
}

#[test]
fn add_ignores_ifname() {
    let world = World::new();
    let att = world.att();
    let config = iface(&world, V10, &["add-ignores-ifname"]);
    world.run(Bin::Interface, "ADD", &config, &att).ok();
    assert!(kernel::link(&world, &att.netns, "eth0").is_none());
    assert!(kernel::link(&world, &att.netns, "refeth0").is_some());
}

// DEL.

#[test]
fn del_not_idempotent() {
    let world = World::new();
    let config = ipam(&world, V10, &["del-not-idempotent"]);
    world.run(Bin::Ipam, "ADD", &config, &ipam_att("c1")).ok();
    world
        .run(Bin::Ipam, "DEL", &config, &ipam_att("c1"))
        .silent();
    world
        .run(Bin::Ipam, "DEL", &config, &ipam_att("c1"))
        .code(110);
}

#[test]
fn del_needs_netns() {
    let mut world = World::new();
    let att = world.att();
    let config = iface(&world, V10, &["del-needs-netns"]);
    world.run(Bin::Interface, "ADD", &config, &att).ok();
    world.delete_container(&att.netns);
    world.run(Bin::Interface, "DEL", &config, &att).code(110);
}

#[test]
fn del_leaks_host_veth() {
    let world = World::new();
    let att = world.att();
    let config = iface(&world, V10, &["del-leaks-host-veth"]);
    world.run(Bin::Interface, "ADD", &config, &att).ok();
    world.run(Bin::Interface, "DEL", &config, &att).silent();
    assert_eq!(kernel::links(&world, HOST).len(), 1, "the host end is left");
    assert!(world.reservations().is_empty());
}

#[test]
fn del_keeps_reservation() {
    let world = World::new();
    let config = ipam(&world, V10, &["del-keeps-reservation"]);
    world.run(Bin::Ipam, "ADD", &config, &ipam_att("c1")).ok();
    world
        .run(Bin::Ipam, "DEL", &config, &ipam_att("c1"))
        .silent();
    assert_eq!(world.reservations(), ["10.1.0.2", "fd00:1::2"]);
}

#[test]
fn del_needs_prevresult() {
    let world = World::new();
    let config = ipam(&world, V10, &["del-needs-prevresult"]);
    let result = world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .ok()
        .json();
    world
        .run(Bin::Ipam, "DEL", &config, &ipam_att("c1"))
        .code(110);
    world
        .run(
            Bin::Ipam,
            "DEL",
            &with_prev(&config, &result),
            &ipam_att("c1"),
        )
        .silent();
}

#[test]
fn tuning_del_keeps_changes() {
    let world = World::new();
    let att = world.att();
    let prev = world
        .run(Bin::Interface, "ADD", &world.interface_conf(V10), &att)
        .ok()
        .json();
    let config = with_faults(
        &world.tuning_conf(V10, &prev),
        "faults",
        &["tuning-del-keeps-changes"],
    );
    let result = world.run(Bin::Tuning, "ADD", &config, &att).ok().json();
    world
        .run(Bin::Tuning, "DEL", &with_prev(&config, &result), &att)
        .silent();
    assert_eq!(kernel::link(&world, &att.netns, "eth0").unwrap().mtu, 1300);
}

// CHECK.

#[test]
fn check_always_ok() {
    let world = World::new();
    let config = ipam(&world, V10, &["check-always-ok"]);
    let result = world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .ok()
        .json();
    world
        .run(Bin::Ipam, "DEL", &config, &ipam_att("c1"))
        .silent();
    world
        .run(
            Bin::Ipam,
            "CHECK",
            &with_prev(&config, &result),
            &ipam_att("c1"),
        )
        .silent();
}

#[test]
fn check_crashes() {
    let world = World::new();
    let config = ipam(&world, V10, &["check-crashes"]);
    let result = world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .ok()
        .json();
    let out = world.run(
        Bin::Ipam,
        "CHECK",
        &with_prev(&config, &result),
        &ipam_att("c1"),
    );
    assert_eq!(out.signal(), Some(libc::SIGSEGV));
    assert!(out.stdout.is_empty());
}

#[test]
fn check_ignores_prevresult() {
    let world = World::new();
    let config = ipam(&world, V10, &["check-ignores-prevresult"]);
    let mut result = world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .ok()
        .json();
    result["ips"][0]["address"] = json!("10.1.0.77/24");
    world
        .run(
            Bin::Ipam,
            "CHECK",
            &with_prev(&config, &result),
            &ipam_att("c1"),
        )
        .silent();
}

#[test]
fn check_not_forwarded() {
    let world = World::new();
    let att = world.att();
    let config = iface(&world, V10, &["check-not-forwarded"]);
    let result = world.run(Bin::Interface, "ADD", &config, &att).ok().json();
    std::fs::remove_file(world.ipam_store().join("10.1.0.2")).unwrap();
    std::fs::remove_file(world.ipam_store().join("fd00:1::2")).unwrap();
    world
        .run(Bin::Interface, "CHECK", &with_prev(&config, &result), &att)
        .silent();
}

// Chaining.

fn tuned(world: &World, faults: &[&str]) -> (Value, Value) {
    let att = world.att();
    let prev = world
        .run(Bin::Interface, "ADD", &world.interface_conf(V10), &att)
        .ok()
        .json();
    let config = with_faults(&world.tuning_conf(V10, &prev), "faults", faults);
    let result = world.run(Bin::Tuning, "ADD", &config, &att).ok().json();
    (prev, result)
}

#[test]
fn chain_drops_prevresult() {
    let world = World::new();
    let (prev, result) = tuned(&world, &["chain-drops-prevresult"]);
    assert!(prev.get("ips").is_some());
    assert!(result.get("ips").is_none(), "{result}");
    assert!(result.get("dns").is_none(), "{result}");
}

#[test]
fn chain_rewrites_ips() {
    let world = World::new();
    let (prev, result) = tuned(&world, &["chain-rewrites-ips"]);
    assert_eq!(prev["ips"][0]["address"], "10.1.0.2/24");
    assert_eq!(result["ips"][0]["address"], "10.1.0.3/24");
}

// IPAM.

#[test]
fn ipam_double_allocation() {
    let world = World::new();
    let config = ipam(&world, V10, &["ipam-double-allocation"]);
    let results: Vec<Value> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..20)
            .map(|i| {
                // Straight from the test, not through `ip netns exec`: the
                // quicker they start, the more of them meet in the window.
                let call = Invocation::new(Bin::Ipam)
                    .command("ADD")
                    .var("CNI_CONTAINERID", format!("c{i}"))
                    .var("CNI_IFNAME", "eth0")
                    .var("CNI_NETNS", "/unused")
                    .config(&config);
                scope.spawn(move || call.run())
            })
            .collect();
        runs.into_iter()
            .map(|r| r.join().unwrap().ok().json())
            .collect()
    });
    let distinct: BTreeSet<&str> = results
        .iter()
        .map(|r| r["ips"][0]["address"].as_str().unwrap())
        .collect();
    assert!(
        distinct.len() < 20,
        "no address was handed out twice: {distinct:?}"
    );
}

#[test]
fn ipam_result_has_interfaces() {
    let world = World::new();
    let config = ipam(&world, V10, &["ipam-result-has-interfaces"]);
    let result = world
        .run(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .ok()
        .json();
    assert!(broken(&result, V10, ResultKind::Ipam).contains(&"P-DELEG-8"));
}

#[test]
fn ipam_cni_args_wins() {
    let world = World::new();
    let mut config = ipam(&world, V10, &["ipam-cni-args-wins"]);
    config["args"] = json!({"cni": {"ips": ["10.1.0.50"]}});
    let result = world
        .call(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .var("CNI_ARGS", "IgnoreUnknown=1;IP=10.1.0.60")
        .run()
        .ok()
        .json();
    assert_eq!(result["ips"][0]["address"], "10.1.0.60/24");
}

// STATUS.

fn exhausted(world: &World, config: &mut Value) {
    config["ipam"]["ranges"] = json!([[{"subnet": "10.1.0.0/30"}]]);
    config["ipam"]["routes"] = json!([]);
    world.run(Bin::Interface, "ADD", config, &world.att()).ok();
}

#[test]
fn status_ok_when_exhausted() {
    let world = World::new();
    let mut config = ipam(&world, V11, &["status-ok-when-exhausted"]);
    exhausted(&world, &mut config);
    world
        .call_global(Bin::Ipam, "STATUS", &config)
        .run()
        .silent();
}

#[test]
fn status_not_forwarded() {
    let world = World::new();
    let mut config = iface(&world, V11, &["status-not-forwarded"]);
    exhausted(&world, &mut config);
    world
        .call_global(Bin::Ipam, "STATUS", &config)
        .run()
        .code(50);
    world
        .call_global(Bin::Interface, "STATUS", &config)
        .run()
        .silent();
}

// GC.

fn gc_after_add(faults: &[&str], key: &str, valid: Value) -> World {
    let world = World::new();
    let mut config = ipam(&world, V11, faults);
    world.run(Bin::Ipam, "ADD", &config, &ipam_att("c1")).ok();
    config[key] = valid;
    world.call_global(Bin::Ipam, "GC", &config).run().silent();
    world
}

#[test]
fn gc_removes_valid() {
    let valid = json!([{"containerID": "c1", "ifname": "eth0"}]);
    let world = gc_after_add(&["gc-removes-valid"], "cni.dev/valid-attachments", valid);
    assert!(world.reservations().is_empty());
}

#[test]
fn gc_removes_nothing() {
    let world = gc_after_add(
        &["gc-removes-nothing"],
        "cni.dev/valid-attachments",
        json!([]),
    );
    assert_eq!(world.reservations(), ["10.1.0.2", "fd00:1::2"]);
}

#[test]
fn gc_old_key_ignored() {
    let valid = json!([{"containerID": "c1", "ifname": "eth0"}]);
    let world = gc_after_add(&["gc-old-key-ignored"], "cni.dev/attachments", valid);
    assert!(world.reservations().is_empty());
}

#[test]
fn gc_not_forwarded() {
    let world = World::new();
    let mut config = iface(&world, V11, &["gc-not-forwarded"]);
    world.run(Bin::Interface, "ADD", &config, &world.att()).ok();
    config["cni.dev/valid-attachments"] = json!([]);
    world
        .call_global(Bin::Interface, "GC", &config)
        .run()
        .silent();
    assert_eq!(world.reservations(), ["10.1.0.2", "fd00:1::2"]);
}

// Delegation.

#[test]
fn no_ipam_del_after_failed_add() {
    let world = World::new();
    let att = world.att();
    let mut config = iface(&world, V10, &["no-ipam-del-after-failed-add"]);
    config["ipam"]["routes"] = json!([{"dst": "10.8.0.0/16", "gw": "192.0.2.1"}]);
    world.run(Bin::Interface, "ADD", &config, &att).code(100);
    assert!(kernel::links(&world, HOST).is_empty());
    assert_eq!(
        world.reservations(),
        ["10.1.0.2", "fd00:1::2"],
        "the allocation leaks"
    );
}

#[test]
fn delegate_stderr_swallowed() {
    let mut world = World::new();
    let mut config = iface(&world, V10, &["delegate-stderr-swallowed"]);
    exhausted(&world, &mut config);
    let second = Att {
        id: "second".to_owned(),
        ifname: "eth0".to_owned(),
        netns: world.add_container(),
    };
    let out = world.run(Bin::Interface, "ADD", &config, &second);
    out.code(103);
    assert!(
        !out.stderr.contains("cni-reference-ipam: ADD"),
        "{}",
        out.stderr
    );
}

// Hangs and crashes.

#[test]
fn hang_add() {
    let world = World::new();
    let config = ipam(&world, V10, &["hang-add"]);
    let (mut child, readers, _) = world
        .call(Bin::Ipam, "ADD", &config, &ipam_att("c1"))
        .spawn();
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "ADD should still be running"
    );
    // Killing the plugin alone does not end it: its child holds stdout.
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(!readers.stdout.is_finished(), "stdout should still be open");
    kill_group(&child);
    let stdout = readers.stdout.join().unwrap();
    assert!(stdout.is_empty());
    let _ = readers.stderr.join();
}

#[test]
fn abort_add() {
    let world = World::new();
    let config = ipam(&world, V10, &["abort-add"]);
    let out = world.run(Bin::Ipam, "ADD", &config, &ipam_att("c1"));
    assert_eq!(out.signal(), Some(libc::SIGABRT));
    assert!(out.stdout.is_empty());
}

#[test]
fn fuzz_crash_large_mtu() {
    let world = World::new();
    let att = world.att();
    let mut config = iface(&world, V10, &["fuzz-crash-large-mtu"]);
    config["mtu"] = json!(9001);
    let out = world.run(Bin::Interface, "ADD", &config, &att);
    assert_eq!(out.signal(), Some(libc::SIGABRT));
    config["mtu"] = json!(9000);
    world.run(Bin::Interface, "ADD", &config, &att).ok();
    assert_eq!(kernel::link(&world, &att.netns, "eth0").unwrap().mtu, 9000);
}

#[test]
fn fuzz_hang_long_string() {
    let world = World::new();
    let mut config = ipam(&world, V10, &["fuzz-hang-long-string"]);
    config["note"] = json!("a".repeat(64));
    world.run(Bin::Ipam, "ADD", &config, &ipam_att("c1")).ok();
    config["note"] = json!("a".repeat(65));
    let out = world
        .call(Bin::Ipam, "ADD", &config, &ipam_att("c2"))
        .timeout(Duration::from_secs(1))
        .run();
    assert!(out.timed_out, "a 65-byte string should hang ADD");
}
