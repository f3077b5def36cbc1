//! The IPAM plugin called directly, as an upper plugin would: abbreviated
//! results in every version, the store on disk, requested addresses, STATUS
//! and GC.

use cnitest::spec::Version;
use cnitest::spec::result::{ResultKind, validate};
use rstest::rstest;
use serde_json::{Value, json};

use crate::common::{Att, Bin, HOST, World, has_check, with_prev};

fn att(id: &str) -> Att {
    Att {
        id: id.to_owned(),
        ifname: "eth0".to_owned(),
        netns: "unused".to_owned(),
    }
}

/// ADD, CHECK, DEL, DEL in each version; the result is abbreviated
/// (P-DELEG-8) and valid for the version; DEL empties the store.
#[rstest]
fn lifecycle(
    #[values(
        Version::V0_1_0,
        Version::V0_2_0,
        Version::V0_3_0,
        Version::V0_3_1,
        Version::V0_4_0,
        Version::V1_0_0,
        Version::V1_1_0
    )]
    version: Version,
) {
    let world = World::new();
    let config = world.ipam_conf(version);
    let a = att("c1");
    let result = world.run(Bin::Ipam, "ADD", &config, &a).ok().json();
    assert_eq!(validate(&result, version, ResultKind::Ipam), vec![]);
    assert_eq!(result["cniVersion"], version.as_str());
    assert!(result.get("interfaces").is_none());
    if version >= Version::V0_3_0 {
        let addresses: Vec<&str> = result["ips"]
            .as_array()
            .unwrap()
            .iter()
            .map(|ip| ip["address"].as_str().unwrap())
            .collect();
        assert_eq!(addresses, ["10.1.0.2/24", "fd00:1::2/64"]);
        assert!(result["ips"][0].get("interface").is_none());
        assert_eq!(result["ips"][0]["gateway"], "10.1.0.1");
        assert_eq!(result["routes"].as_array().unwrap().len(), 3);
    } else {
        assert_eq!(result["ip4"]["ip"], "10.1.0.2/24");
        assert_eq!(result["ip6"]["ip"], "fd00:1::2/64");
    }
    assert_eq!(result["dns"]["nameservers"], json!(["10.1.0.1"]));
    assert_eq!(world.reservations(), ["10.1.0.2", "fd00:1::2"]);

    let with_result = with_prev(&config, &result);
    if has_check(version) {
        world.run(Bin::Ipam, "CHECK", &with_result, &a).silent();
    }
    let del_config = if has_check(version) {
        &with_result
    } else {
        &config
    };
    world.run(Bin::Ipam, "DEL", del_config, &a).silent();
    assert!(world.reservations().is_empty());
    world.run(Bin::Ipam, "DEL", del_config, &a).silent();
    if has_check(version) {
        let error = world.run(Bin::Ipam, "CHECK", &with_result, &a).code(104);
        assert!(error.msg.contains("no address is reserved"), "{error}");
    }
}

/// Keyed by (network, container id, ifname): one container twice with two
/// interfaces gets two addresses; DEL of one leaves the other.
#[test]
fn attachments_are_keyed_by_container_and_ifname() {
    let world = World::new();
    let config = world.ipam_conf(Version::V1_0_0);
    let eth0 = att("c1");
    let eth1 = Att {
        ifname: "eth1".to_owned(),
        ..att("c1")
    };
    world.run(Bin::Ipam, "ADD", &config, &eth0).ok();
    let second = world.run(Bin::Ipam, "ADD", &config, &eth1).ok().json();
    assert_eq!(second["ips"][0]["address"], "10.1.0.3/24");
    world.run(Bin::Ipam, "DEL", &config, &eth1).silent();
    assert_eq!(world.reservations(), ["10.1.0.2", "fd00:1::2"]);
    // A freed address is handed out again.
    let third = world.run(Bin::Ipam, "ADD", &config, &att("c2")).ok().json();
    assert_eq!(third["ips"][0]["address"], "10.1.0.3/24");
    // The same attachment twice without DEL is refused, nothing changes.
    let error = world.run(Bin::Ipam, "ADD", &config, &eth0).code(105);
    assert!(error.msg.contains("already holds"), "{error}");
}

/// CHECK reads prevResult (P-CHECK-2): an address it does not hold fails.
#[test]
fn check_compares_with_prev_result() {
    let world = World::new();
    let config = world.ipam_conf(Version::V1_0_0);
    let a = att("c1");
    let mut result = world.run(Bin::Ipam, "ADD", &config, &a).ok().json();
    result["ips"][0]["address"] = json!("10.1.0.77/24");
    let error = world
        .run(Bin::Ipam, "CHECK", &with_prev(&config, &result), &a)
        .code(104);
    assert!(error.msg.contains("10.1.0.77"), "{error}");
}

/// C-ARGS-2, C-ARGS-3, the `ips` capability: requested addresses.
#[rstest]
#[case(json!({"args": {"cni": {"ips": ["10.1.0.50"]}}}), Some("IgnoreUnknown=1;IP=10.1.0.60"), "10.1.0.50/24")]
#[case(json!({}), Some("IgnoreUnknown=1;IP=10.1.0.60"), "10.1.0.60/24")]
#[case(json!({"args": {"cni": {"ips": ["10.1.0.50/24", "fd00:1::50"]}}}), None, "10.1.0.50/24")]
#[case(json!({"runtimeConfig": {"ips": ["10.1.0.70"]}, "args": {"cni": {"ips": ["10.1.0.50"]}}}), None, "10.1.0.70/24")]
fn requested_addresses(#[case] extra: Value, #[case] cni_args: Option<&str>, #[case] want: &str) {
    let world = World::new();
    let mut config = world.ipam_conf(Version::V1_0_0);
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    let mut call = world.call(Bin::Ipam, "ADD", &config, &att("c1"));
    if let Some(args) = cni_args {
        call = call.var("CNI_ARGS", args);
    }
    let result = call.run().ok().json();
    assert_eq!(result["ips"][0]["address"], want);
}

#[rstest]
#[case(json!(["10.2.0.5"]), 7, "none of the configured ranges")]
#[case(json!(["10.1.0.5/16"]), 7, "prefix length")]
#[case(json!(["10.1.0.1"]), 7, "not handed out")]
#[case(json!(["not-an-ip"]), 7, "args.cni.ips[0]")]
fn bad_requested_addresses(#[case] ips: Value, #[case] code: u64, #[case] needle: &str) {
    let world = World::new();
    let mut config = world.ipam_conf(Version::V1_0_0);
    config["args"] = json!({"cni": {"ips": ips}});
    let error = world.run(Bin::Ipam, "ADD", &config, &att("c1")).code(code);
    assert!(error.text().contains(needle), "{error}");
    assert!(world.reservations().is_empty());
}

#[test]
fn a_taken_address_is_refused() {
    let world = World::new();
    let mut config = world.ipam_conf(Version::V1_0_0);
    config["args"] = json!({"cni": {"ips": ["10.1.0.50"]}});
    world.run(Bin::Ipam, "ADD", &config, &att("c1")).ok();
    let error = world.run(Bin::Ipam, "ADD", &config, &att("c2")).code(105);
    assert!(
        error.msg.contains("10.1.0.50 is already reserved"),
        "{error}"
    );
    assert_eq!(world.reservations(), ["10.1.0.50", "fd00:1::2"]);
}

/// C-CAP-2: the `ipRanges` capability replaces `ipam.ranges`.
#[test]
fn ip_ranges_capability() {
    let world = World::new();
    let mut config = world.ipam_conf(Version::V1_0_0);
    config["runtimeConfig"] =
        json!({"ipRanges": [[{"subnet": "10.7.0.0/24", "rangeStart": "10.7.0.100"}]]});
    let result = world.run(Bin::Ipam, "ADD", &config, &att("c1")).ok().json();
    assert_eq!(
        result["ips"],
        json!([{"address": "10.7.0.100/24", "gateway": "10.7.0.1"}])
    );
}

/// P-STATUS-2: code 50 when no address is left; fine again after a DEL
/// (P-STATUS-5: other commands keep working meanwhile).
#[test]
fn status_reports_exhaustion() {
    let world = World::new();
    let mut config = world.ipam_conf(Version::V1_1_0);
    config["ipam"]["ranges"] =
        json!([[{"subnet": "10.1.0.0/29", "rangeStart": "10.1.0.2", "rangeEnd": "10.1.0.3"}]]);
    let status = || world.call_global(Bin::Ipam, "STATUS", &config).run();
    status().silent();
    world.run(Bin::Ipam, "ADD", &config, &att("c1")).ok();
    world.run(Bin::Ipam, "ADD", &config, &att("c2")).ok();
    let error = status().code(50);
    assert!(error.msg.contains("no free address"), "{error}");
    let error = world.run(Bin::Ipam, "ADD", &config, &att("c3")).code(103);
    assert!(error.msg.contains("10.1.0.2-10.1.0.3"), "{error}");
    world.run(Bin::Ipam, "DEL", &config, &att("c1")).silent();
    status().silent();
}

/// STATUS code 50 when the store cannot be used.
#[test]
fn status_reports_an_unusable_store() {
    let world = World::new();
    let mut config = world.ipam_conf(Version::V1_1_0);
    let file = world.data_dir().join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    config["ipam"]["dataDir"] = json!(file);
    let error = world
        .call_global(Bin::Ipam, "STATUS", &config)
        .run()
        .code(50);
    assert!(error.msg.contains("store is unusable"), "{error}");
}

/// P-GC-2, P-GC-3, P-GC-1: GC releases exactly the attachments not listed,
/// with either key, and leaves other networks alone.
#[rstest]
#[case("cni.dev/valid-attachments")]
#[case("cni.dev/attachments")]
fn gc_releases_what_is_not_valid(#[case] key: &str) {
    let world = World::new();
    let config = world.ipam_conf(Version::V1_1_0);
    let mut other = config.clone();
    other["name"] = json!("net2");
    for id in ["c1", "c2", "c3"] {
        world.run(Bin::Ipam, "ADD", &config, &att(id)).ok();
    }
    world.run(Bin::Ipam, "ADD", &other, &att("c9")).ok();
    let mut gc = config.clone();
    gc[key] = json!([{"containerID": "c2", "ifname": "eth0"}]);
    world.call_global(Bin::Ipam, "GC", &gc).run().silent();
    assert_eq!(world.reservations(), ["10.1.0.3", "fd00:1::3"]);
    gc[key] = json!([]);
    world.call_global(Bin::Ipam, "GC", &gc).run().silent();
    assert!(world.reservations().is_empty());
    let net2 = std::fs::read_dir(world.data_dir().join("ipam/net2"))
        .unwrap()
        .count();
    assert_eq!(net2, 3, "net2's two reservations and its lock stay");
}

/// Without `ipam.dataDir` the store is under /var/lib/cni, which the
/// sandbox makes private: ADD fills it, DEL empties it.
#[test]
fn default_data_dir() {
    let world = World::new();
    let mut config = world.ipam_conf(Version::V1_0_0);
    config["ipam"].as_object_mut().unwrap().remove("dataDir");
    world.run(Bin::Ipam, "ADD", &config, &att("c1")).ok();
    let listed = world.sh(HOST, "ls /var/lib/cni/reference-ipam/net1");
    assert_eq!(
        listed.split_whitespace().collect::<Vec<_>>(),
        ["10.1.0.2", "fd00:1::2", "lock"]
    );
    world.run(Bin::Ipam, "DEL", &config, &att("c1")).silent();
    assert_eq!(
        world.sh(HOST, "ls /var/lib/cni/reference-ipam/net1"),
        "lock"
    );
}
