//! The interface plugin in a fake host and a container namespace: what ADD
//! makes is what the result says, CHECK notices every difference, DEL
//! leaves nothing behind, whatever is already gone.

use std::net::IpAddr;

use cnitest::netlink::Link;
use cnitest::spec::result::{ResultKind, validate};
use cnitest::spec::{CniResult, Version};
use ipnet::IpNet;
use rstest::rstest;
use serde_json::{Value, json};

use crate::common::kernel;
use crate::common::{Att, Bin, HOST, World, has_check, with_prev};

/// What the kernel must show after a successful ADD of `att`, compared with
/// the result in 1.1.0 terms.
pub fn assert_kernel_matches(world: &World, att: &Att, result: &Value, version: Version) {
    let container =
        kernel::link(world, &att.netns, &att.ifname).expect("CNI_IFNAME exists in the container");
    assert!(container.is_veth() && container.up, "{container:?}");
    assert_eq!(container.mtu, 1400);
    let hosts = kernel::links(world, HOST);
    assert_eq!(hosts.len(), 1, "one host end: {hosts:?}");
    let host = &hosts[0];
    assert!(host.is_veth() && host.up);
    assert_eq!(container.veth_peer().map(|p| p.index), Some(host.index));

    let parsed = CniResult::from_value(result, None)
        .expect("a result")
        .to_v1()
        .expect("in 1.x terms");
    let addresses = kernel::addresses(world, &att.netns, &att.ifname);
    for ip in &parsed.ips {
        assert!(
            addresses.contains(&ip.address),
            "{} not on the link: {addresses:?}",
            ip.address
        );
    }
    assert_eq!(addresses.len(), 2, "{addresses:?}");
    let routes = kernel::routes(world, &att.netns);
    for (dst, gw) in [
        ("0.0.0.0/0", "10.1.0.1"),
        ("10.9.0.0/16", "10.1.0.254"),
        ("fd00:9::/64", "fd00:1::1"),
    ] {
        let dst: IpNet = dst.parse().unwrap();
        let gw: IpAddr = gw.parse().unwrap();
        assert!(
            routes
                .iter()
                .any(|r| r.dst == dst && r.has_gateway(gw) && r.has_oif(container.index)),
            "no route {dst} via {gw}"
        );
    }
    if version < Version::V0_3_0 {
        return;
    }
    // P-ADD-5: the interfaces as the kernel has them.
    assert_eq!(parsed.interfaces.len(), 2);
    let (host_end, container_end) = (&parsed.interfaces[0], &parsed.interfaces[1]);
    assert_eq!(host_end.name, host.name);
    assert_eq!(Some(&host_end.mac), host.mac.as_ref());
    assert!(host_end.sandbox.is_empty());
    assert_eq!(container_end.name, att.ifname);
    assert_eq!(Some(&container_end.mac), container.mac.as_ref());
    assert_eq!(
        container_end.sandbox,
        world.netns_path(&att.netns).display().to_string()
    );
    for ip in &parsed.ips {
        assert_eq!(ip.interface, Some(1));
    }
    let mtu = result["interfaces"][1].get("mtu");
    if version >= Version::V1_1_0 {
        assert_eq!(mtu, Some(&json!(1400)));
    } else {
        assert_eq!(mtu, None, "mtu is a 1.1.0 field");
    }
}

/// Nothing left of `att`: no link on either side, no reservation.
pub fn assert_clean(world: &World, att: &Att) {
    assert!(kernel::links(world, HOST).is_empty(), "host links left");
    if world.has_container(&att.netns) {
        assert!(
            kernel::link(world, &att.netns, &att.ifname).is_none(),
            "container link left"
        );
    }
    assert!(
        world.reservations().is_empty(),
        "reservations left: {:?}",
        world.reservations()
    );
}

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
    let att = world.att();
    let config = world.interface_conf(version);
    let result = world.run(Bin::Interface, "ADD", &config, &att).ok().json();
    assert_eq!(validate(&result, version, ResultKind::Attachment), vec![]);
    assert_eq!(result["cniVersion"], version.as_str());
    assert_eq!(result["dns"]["domain"], "example.test");
    assert_kernel_matches(&world, &att, &result, version);

    // R-DEL-1: DEL gets prevResult from 0.4.0 on, none before.
    let with_result = with_prev(&config, &result);
    if has_check(version) {
        world
            .run(Bin::Interface, "CHECK", &with_result, &att)
            .silent();
    }
    let del_config = if has_check(version) {
        &with_result
    } else {
        &config
    };
    world.run(Bin::Interface, "DEL", del_config, &att).silent();
    assert_clean(&world, &att);
    world.run(Bin::Interface, "DEL", del_config, &att).silent();
}

/// P-DEL-2, P-ENV-3, P-DEL-3: DEL succeeds and cleans up without the
/// namespace, without CNI_NETNS, without prevResult.
#[rstest]
#[case::netns_deleted(true, true)]
#[case::netns_unset(false, false)]
#[case::netns_deleted_and_unset(true, false)]
fn del_without_the_namespace(#[case] delete_netns: bool, #[case] keep_var: bool) {
    let mut world = World::new();
    let att = world.att();
    let config = world.interface_conf(Version::V1_0_0);
    world.run(Bin::Interface, "ADD", &config, &att).ok();
    if delete_netns {
        world.delete_container(&att.netns);
    }
    let mut call = world.call(Bin::Interface, "DEL", &config, &att);
    if !keep_var {
        call = call.unset("CNI_NETNS");
    }
    call.run().silent();
    assert_clean(&world, &att);
}

/// P-ADD-3: an existing CNI_IFNAME is an error, and nothing changes: the
/// foreign link keeps its index and MAC, and DEL afterwards leaves it be.
#[test]
fn add_refuses_an_existing_interface() {
    let world = World::new();
    let att = world.att();
    world.ip(
        &att.netns,
        &[
            "link", "add", "eth0", "type", "veth", "peer", "name", "other0",
        ],
    );
    let before = kernel::link(&world, &att.netns, "eth0").unwrap();
    let config = world.interface_conf(Version::V1_0_0);
    let error = world.run(Bin::Interface, "ADD", &config, &att).code(101);
    assert!(error.msg.contains("\"eth0\" already exists"), "{error}");
    assert_eq!(
        kernel::link(&world, &att.netns, "eth0").as_ref(),
        Some(&before)
    );
    assert!(kernel::links(&world, HOST).is_empty());
    assert!(world.reservations().is_empty());
    world.run(Bin::Interface, "DEL", &config, &att).silent();
    assert_eq!(
        kernel::link(&world, &att.netns, "eth0").map(|l: Link| l.index),
        Some(before.index)
    );
}

/// P-ENV-4: the container interface takes exactly the name CNI_IFNAME.
#[test]
fn add_names_the_interface_cni_ifname() {
    let world = World::new();
    let att = Att {
        ifname: "cnit7".to_owned(),
        ..world.att()
    };
    let result = world
        .run(
            Bin::Interface,
            "ADD",
            &world.interface_conf(Version::V1_0_0),
            &att,
        )
        .ok()
        .json();
    assert!(kernel::link(&world, &att.netns, "cnit7").is_some());
    assert_eq!(result["interfaces"][1]["name"], "cnit7");
}

/// The `mac` key, and the `mac` capability which wins over it (C-CAP-2).
#[rstest]
#[case(json!({"mac": "02:00:00:00:00:42"}), "02:00:00:00:00:42")]
#[case(json!({"mac": "02:00:00:00:00:42", "runtimeConfig": {"mac": "02:00:00:00:00:43"}}), "02:00:00:00:00:43")]
fn mac_from_config_or_capability(#[case] extra: Value, #[case] want: &str) {
    let world = World::new();
    let att = world.att();
    let mut config = world.interface_conf(Version::V1_0_0);
    for (k, v) in extra.as_object().unwrap() {
        config[k] = v.clone();
    }
    let result = world.run(Bin::Interface, "ADD", &config, &att).ok().json();
    assert_eq!(result["interfaces"][1]["mac"], want);
    assert_eq!(
        kernel::link(&world, &att.netns, "eth0")
            .unwrap()
            .mac
            .as_deref(),
        Some(want)
    );
}

/// P-CHECK-4: every difference from prevResult fails, and says what.
#[rstest]
#[case::link_down(&["link", "set", "eth0", "down"], "is down")]
#[case::address_gone(&["addr", "del", "10.1.0.2/24", "dev", "eth0"], "address 10.1.0.2/24 is missing")]
#[case::route_gone(&["route", "del", "10.9.0.0/16"], "route to 10.9.0.0/16 via 10.1.0.254 is missing")]
#[case::mac_changed(&["link", "set", "eth0", "address", "02:00:00:00:00:99"], "has MAC 02:00:00:00:00:99")]
#[case::mtu_changed(&["link", "set", "eth0", "mtu", "1300"], "has MTU 1300, expected 1400")]
#[case::link_gone(&["link", "del", "eth0"], "\"eth0\" is missing from the container")]
fn check_notices_changes_in_the_container(#[case] mutation: &[&str], #[case] needle: &str) {
    let world = World::new();
    let att = world.att();
    let config = world.interface_conf(Version::V1_1_0);
    let result = world.run(Bin::Interface, "ADD", &config, &att).ok().json();
    let checked = with_prev(&config, &result);
    world.run(Bin::Interface, "CHECK", &checked, &att).silent();
    world.ip(&att.netns, mutation);
    let error = world.run(Bin::Interface, "CHECK", &checked, &att).code(104);
    assert!(error.msg.contains(needle), "{error}");
}

/// P-CHECK-4, P-CHECK-5, P-CHECK-7: the host end and the IPAM reservation.
#[test]
fn check_notices_a_missing_host_end_or_reservation() {
    let world = World::new();
    let att = world.att();
    let config = world.interface_conf(Version::V1_0_0);
    let result = world.run(Bin::Interface, "ADD", &config, &att).ok().json();
    let checked = with_prev(&config, &result);
    std::fs::remove_file(world.ipam_store().join("10.1.0.2")).unwrap();
    std::fs::remove_file(world.ipam_store().join("fd00:1::2")).unwrap();
    let error = world.run(Bin::Interface, "CHECK", &checked, &att).code(104);
    assert!(
        error
            .msg
            .contains("cni-reference-ipam: check failed: no address is reserved"),
        "{error}"
    );

    // A host end that is not the container end's peer.
    let host = kernel::links(&world, HOST).remove(0);
    world.ip(HOST, &["link", "del", &host.name]);
    let error = world.run(Bin::Interface, "CHECK", &checked, &att).code(104);
    assert!(error.msg.contains("missing"), "{error}");
}

/// P-CHECK-2: CHECK reads prevResult; a doctored address fails.
#[test]
fn check_reads_prev_result() {
    let world = World::new();
    let att = world.att();
    let config = world.interface_conf(Version::V1_0_0);
    let mut result = world.run(Bin::Interface, "ADD", &config, &att).ok().json();
    result["ips"][0]["address"] = json!("10.1.0.77/24");
    let error = world
        .run(Bin::Interface, "CHECK", &with_prev(&config, &result), &att)
        .code(104);
    assert!(error.msg.contains("10.1.0.77/24"), "{error}");
}

/// P-CHECK-3: a later plugin changed the MAC and added a route; prevResult
/// says so, and CHECK accepts it.
#[test]
fn check_allows_later_plugins_changes() {
    let world = World::new();
    let att = world.att();
    let config = world.interface_conf(Version::V1_0_0);
    let mut result = world.run(Bin::Interface, "ADD", &config, &att).ok().json();
    world.ip(
        &att.netns,
        &["link", "set", "eth0", "address", "02:00:00:00:00:77"],
    );
    world.ip(
        &att.netns,
        &["route", "add", "10.77.0.0/16", "via", "10.1.0.1"],
    );
    result["interfaces"][1]["mac"] = json!("02:00:00:00:00:77");
    result["routes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"dst": "10.77.0.0/16", "gw": "10.1.0.1"}));
    world
        .run(Bin::Interface, "CHECK", &with_prev(&config, &result), &att)
        .silent();
}

/// P-DELEG-7: a failure after IPAM allocated is undone, IPAM DEL included;
/// the IPAM plugin's error reaches the caller with its code and its stderr
/// (P-DELEG-5).
#[test]
fn a_failed_add_leaves_nothing() {
    let mut world = World::new();
    let att = world.att();
    let mut config = world.interface_conf(Version::V1_0_0);
    config["ipam"]["routes"] = json!([{"dst": "10.8.0.0/16", "gw": "192.0.2.1"}]);
    let error = world.run(Bin::Interface, "ADD", &config, &att).code(100);
    assert!(error.msg.contains("10.8.0.0/16"), "{error}");
    assert_clean(&world, &att);

    let mut config = world.interface_conf(Version::V1_0_0);
    config["ipam"]["ranges"] = json!([[{"subnet": "10.1.0.0/30"}]]);
    config["ipam"]["routes"] = json!([]);
    world.run(Bin::Interface, "ADD", &config, &att).ok();
    let second = Att {
        id: "second".to_owned(),
        ifname: "eth0".to_owned(),
        netns: world.add_container(),
    };
    let out = world.run(Bin::Interface, "ADD", &config, &second);
    let error = out.code(103);
    assert!(
        error.msg.starts_with("cni-reference-ipam: no free address"),
        "{error}"
    );
    assert!(
        out.stderr
            .contains("cni-reference-ipam: ADD: no free address"),
        "{}",
        out.stderr
    );
    assert_eq!(
        kernel::links(&world, HOST).len(),
        1,
        "only the first attachment's host end"
    );
}

/// The IPAM plugin is looked up in CNI_PATH (P-DELEG-2); not there is an
/// error, and nothing is left.
#[test]
fn a_missing_ipam_plugin() {
    let world = World::new();
    let att = world.att();
    let mut config = world.interface_conf(Version::V1_0_0);
    config["ipam"]["type"] = json!("no-such-ipam");
    let error = world.run(Bin::Interface, "ADD", &config, &att).code(102);
    assert!(
        error.msg.contains("\"no-such-ipam\" not found in CNI_PATH"),
        "{error}"
    );
    assert_clean(&world, &att);
}

/// P-STATUS-6 and P-GC-5: STATUS and GC reach the IPAM plugin.
#[test]
fn status_and_gc_are_forwarded() {
    let world = World::new();
    let att = world.att();
    let mut config = world.interface_conf(Version::V1_1_0);
    config["ipam"]["ranges"] = json!([[{"subnet": "10.1.0.0/30"}]]);
    config["ipam"]["routes"] = json!([]);
    world
        .call_global(Bin::Interface, "STATUS", &config)
        .run()
        .silent();
    world.run(Bin::Interface, "ADD", &config, &att).ok();
    let error = world
        .call_global(Bin::Interface, "STATUS", &config)
        .run()
        .code(50);
    assert!(error.msg.contains("cni-reference-ipam"), "{error}");

    let mut gc = config.clone();
    gc["cni.dev/valid-attachments"] = json!([{"containerID": att.id, "ifname": "eth0"}]);
    world.call_global(Bin::Interface, "GC", &gc).run().silent();
    assert_eq!(world.reservations(), ["10.1.0.2"]);
    gc["cni.dev/valid-attachments"] = json!([]);
    world.call_global(Bin::Interface, "GC", &gc).run().silent();
    assert!(world.reservations().is_empty());
}
