//! The observer: fingerprints of real namespaces, their differences
//! (P-DEL-4), steady state told from growth, and ADD results checked against
//! the kernel (P-ADD-5, P-ADD-6, P-ADD-7, F-RES-7). Namespaces are the
//! tests' own, as in `netlink`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cnitest::netlink::{Bridge, Family, Handle, Route, RouteSpec, Veth};
use cnitest::sandbox::observe::{
    AddContext, Content, FileFacts, FileKind, Fingerprint, LinkFacts, Mismatch, classify, diff,
    left_behind, verify_add,
};
use cnitest::spec::result::Result100;
use ipnet::IpNet;
use serde_json::json;

use crate::netlink::netns;

fn net(text: &str) -> IpNet {
    text.parse().unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn index(handle: &Handle, name: &str) -> u32 {
    handle.link(name).unwrap().expect(name).index
}

fn lines<T: ToString>(things: &[T]) -> Vec<String> {
    things.iter().map(ToString::to_string).collect()
}

/// Waits until no IPv6 address is tentative any more, so that what DAD
/// changes (flags, local routes) has happened.
fn settle(handle: &Handle) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while handle
        .addresses()
        .unwrap()
        .iter()
        .any(|a| a.flags & cnitest::netlink::Address::FLAG_TENTATIVE != 0)
    {
        assert!(Instant::now() < deadline, "DAD did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn fingerprints_of_an_unchanged_namespace_are_equal() {
    let (_ns, handle) = netns();
    handle.set_up("lo").unwrap();
    handle.create_bridge(&Bridge::new("cni0")).unwrap();
    handle.create_veth(&Veth::new("veth0", "veth1")).unwrap();
    handle.set_master("veth1", Some("cni0".into())).unwrap();
    for name in ["cni0", "veth0", "veth1"] {
        handle.set_up(name).unwrap();
    }
    let veth0 = index(&handle, "veth0");
    handle.add_address(veth0, net("10.1.0.2/24")).unwrap();
    handle.add_address(veth0, net("fd00:1::2/64")).unwrap();
    handle
        .add_route(&RouteSpec {
            gateway: Some(ip("10.1.0.1")),
            table: Some(300),
            ..RouteSpec::new(net("0.0.0.0/0"))
        })
        .unwrap();

    // Taken while DAD runs, links come up and the kernel adds its own
    // link-local addresses and routes; then again once all that is done.
    let raw_first = (handle.addresses().unwrap(), handle.routes().unwrap());
    let first = Fingerprint::of(&handle).unwrap();
    settle(&handle);
    let raw_second = (handle.addresses().unwrap(), handle.routes().unwrap());
    let second = Fingerprint::of(&handle).unwrap();
    // The kernel's view did change meanwhile, so the equality below is the
    // normalisation's doing.
    assert_ne!(raw_first, raw_second);
    assert_eq!(
        diff("test", &first, &second),
        vec![],
        "{first:#?}\n{second:#?}"
    );
    assert_eq!(first, second);

    // The kernel's link-local addresses exist but are left out.
    assert!(
        handle
            .addresses()
            .unwrap()
            .iter()
            .any(|a| a.is_kernel_link_local())
    );
    let kept: Vec<String> = first
        .addresses
        .iter()
        .map(|a| a.address.to_string())
        .collect();
    // So are the loopback addresses the kernel gave `lo` when it came up.
    assert!(
        handle
            .addresses()
            .unwrap()
            .iter()
            .any(|a| a.is_kernel_loopback())
    );
    assert_eq!(kept, ["10.1.0.2/24", "fd00:1::2/64"]);
    // What is kept reads as expected.
    assert_eq!(
        first.links["veth1"],
        LinkFacts {
            kind: Some("veth".into()),
            mac: handle.link("veth1").unwrap().unwrap().mac,
            mtu: 1500,
            up: true,
            master: Some("cni0".into()),
            peer: Some(cnitest::sandbox::observe::LinkEnd::Here("veth0".into())),
            parent: None,
        }
    );
    let routes: Vec<String> = first
        .routes
        .iter()
        .map(|r| format!("{} {} {:?} {}", r.table, r.dst, r.dev, r.protocol))
        .collect();
    assert_eq!(
        routes,
        [
            "254 10.1.0.0/24 Some(\"veth0\") kernel",
            "254 fd00:1::/64 Some(\"veth0\") kernel",
            "300 0.0.0.0/0 Some(\"veth0\") boot",
        ]
    );
    // A report can print it.
    let text = serde_json::to_string(&first).unwrap();
    assert!(text.contains("\"cni0\""), "{text}");
}

/// P-DEL-4: what a plugin leaves behind after DEL is in the diff.
#[test]
fn p_del_4_a_leaked_veth_and_address_are_found() {
    let (_host_ns, host) = netns();
    let (container_ns, container) = netns();
    host.create_veth(&Veth::new("uplink", "uplink-peer"))
        .unwrap();
    host.set_up("uplink").unwrap();
    let host_before = Fingerprint::of(&host).unwrap();
    let container_before = Fingerprint::of(&container).unwrap();

    // A plugin's ADD, and a DEL that forgot the host end and the address.
    host.create_veth(&Veth {
        peer_netns: Some(container_ns.as_fd()),
        ..Veth::new("veth1a2b3c", "eth0")
    })
    .unwrap();
    host.add_address(index(&host, "uplink"), net("10.1.0.2/24"))
        .unwrap();
    host.set_mtu("uplink", 1400).unwrap();

    let host_after = Fingerprint::of(&host).unwrap();
    assert_eq!(
        lines(&left_behind("host", &host_before, &host_after)),
        [
            "link uplink (veth) still changed in host: mtu 1500 -> 1400",
            "link veth1a2b3c (veth) still present in host",
            "address 10.1.0.2/24 on uplink still present in host",
            "route 10.1.0.0/24 dev uplink table main still present in host",
        ]
    );
    assert_eq!(
        lines(&diff("host", &host_before, &host_after)),
        [
            "link uplink (veth) changed in host: mtu 1500 -> 1400",
            "link veth1a2b3c (veth) added in host",
            "address 10.1.0.2/24 on uplink added in host",
            "route 10.1.0.0/24 dev uplink table main added in host",
        ]
    );
    assert_eq!(
        lines(&diff(
            "container",
            &container_before,
            &Fingerprint::of(&container).unwrap()
        )),
        ["link eth0 (veth) added in container"]
    );

    // The reverse: a DEL that removed something that was there before.
    assert_eq!(
        lines(&left_behind("host", &host_after, &host_before))[1],
        "link veth1a2b3c (veth) missing from host (it was there before ADD)"
    );
}

#[test]
fn p_del_4_file_and_firewall_changes_read_as_such() {
    let dir = PathBuf::from("/var/lib/cni/networks/net1");
    let before = Fingerprint {
        firewall: Some(vec![]),
        files: Some(BTreeMap::new()),
        ..Fingerprint::default()
    };
    let after = Fingerprint {
        firewall: Some(vec!["-A POSTROUTING -s 10.1.0.2/32 -j CNI-abc".into()]),
        files: Some(BTreeMap::from([(
            dir.join("10.1.0.2"),
            text_file("abc\neth0"),
        )])),
        ..Fingerprint::default()
    };
    assert_eq!(
        lines(&diff("host", &before, &after)),
        [
            r#"firewall rule "-A POSTROUTING -s 10.1.0.2/32 -j CNI-abc" added in host"#,
            "file /var/lib/cni/networks/net1/10.1.0.2 added in host",
        ]
    );
    // Parts one side did not look at are not compared.
    let blind = Fingerprint::default();
    assert_eq!(diff("host", &blind, &after), vec![]);
}

fn text_file(text: &str) -> FileFacts {
    FileFacts {
        kind: FileKind::File,
        size: text.len() as u64,
        content: Some(Content::Text(text.into())),
    }
}

fn directory() -> FileFacts {
    FileFacts {
        kind: FileKind::Directory,
        size: 0,
        content: None,
    }
}

fn veth(mac: &str) -> LinkFacts {
    LinkFacts {
        kind: Some("veth".into()),
        mac: Some(mac.into()),
        mtu: 1500,
        up: true,
        master: Some("cni0".into()),
        peer: None,
        parent: None,
    }
}

fn bridge() -> LinkFacts {
    LinkFacts {
        kind: Some("bridge".into()),
        mac: Some("0a:00:00:00:00:01".into()),
        mtu: 1500,
        up: true,
        master: None,
        peer: None,
        parent: None,
    }
}

/// A host after `cycles` ADD/DEL cycles of a bridge plugin with host-local
/// IPAM; `leaky` forgets the host veth and the address reservation.
fn host_after(cycles: usize, leaky: bool) -> Fingerprint {
    let net1 = PathBuf::from("/var/lib/cni/networks/net1");
    let mut fingerprint = Fingerprint {
        links: BTreeMap::from([("lo".to_owned(), loopback())]),
        firewall: Some(vec![":POSTROUTING ACCEPT [0:0]".into()]),
        files: Some(BTreeMap::new()),
        ..Fingerprint::default()
    };
    if cycles == 0 {
        return fingerprint;
    }
    let files = fingerprint.files.as_mut().unwrap();
    fingerprint.links.insert("cni0".into(), bridge());
    files.insert(net1.clone(), directory());
    files.insert(net1.join("lock"), text_file(""));
    files.insert(
        net1.join("last_reserved_ip.0"),
        text_file(&format!("10.1.0.{}", cycles + 1)),
    );
    if leaky {
        for cycle in 1..=cycles {
            fingerprint.links.insert(
                format!("veth{cycle:06}"),
                veth(&format!("0a:00:00:00:01:{cycle:02}")),
            );
            files.insert(
                net1.join(format!("10.1.0.{}", cycle + 1)),
                text_file("id\neth0"),
            );
            fingerprint
                .firewall
                .as_mut()
                .unwrap()
                .push("-A POSTROUTING -s 10.1.0.0/24 -j MASQUERADE".into());
        }
    }
    fingerprint
}

fn loopback() -> LinkFacts {
    LinkFacts {
        kind: None,
        mac: Some("00:00:00:00:00:00".into()),
        mtu: 65536,
        up: true,
        master: None,
        peer: None,
        parent: None,
    }
}

#[test]
fn p_del_4_a_steady_state_is_not_a_leak() {
    let residue = classify(
        "host",
        &host_after(0, false),
        &host_after(1, false),
        &host_after(2, false),
    );
    assert_eq!(residue.growing, vec![]);
    assert_eq!(residue.missing, vec![]);
    assert_eq!(
        lines(&residue.steady),
        [
            "link cni0 (bridge) still present in host",
            "directory /var/lib/cni/networks/net1 still present in host",
            "file /var/lib/cni/networks/net1/last_reserved_ip.0 still present in host",
            "file /var/lib/cni/networks/net1/lock still present in host",
        ]
    );
}

#[test]
fn p_del_4_what_grows_with_each_cycle_is_a_leak() {
    let residue = classify(
        "host",
        &host_after(0, true),
        &host_after(1, true),
        &host_after(2, true),
    );
    assert_eq!(
        lines(&residue.growing),
        [
            "files in /var/lib/cni/networks/net1 in host grow with each ADD/DEL cycle: \
             3 left after the first DEL, 4 after the second \
             (new: file /var/lib/cni/networks/net1/10.1.0.3)",
            "firewall rules in chain POSTROUTING in host grow with each ADD/DEL cycle: \
             1 left after the first DEL, 2 after the second \
             (new: firewall rule \"-A POSTROUTING -s 10.1.0.0/24 -j MASQUERADE\" (copy 2))",
            "veth links in host grow with each ADD/DEL cycle: \
             1 left after the first DEL, 2 after the second (new: link veth000002 (veth))",
        ]
    );
    let files = &residue.growing[0];
    assert_eq!(
        lines(&files.earlier),
        [
            "file /var/lib/cni/networks/net1/10.1.0.2 still present in host",
            "file /var/lib/cni/networks/net1/last_reserved_ip.0 still present in host",
            "file /var/lib/cni/networks/net1/lock still present in host",
        ]
    );
    // The bridge and the state directory stay steady beside the leak.
    assert_eq!(
        lines(&residue.steady),
        [
            "link cni0 (bridge) still present in host",
            "directory /var/lib/cni/networks/net1 still present in host",
        ]
    );
}

#[test]
fn p_del_4_something_replaced_each_cycle_is_steady_and_something_removed_is_missing() {
    let state = |name: &str| Fingerprint {
        files: Some(BTreeMap::from([(
            PathBuf::from("/run/cni/state").join(name),
            text_file("x"),
        )])),
        ..Fingerprint::default()
    };
    let before = Fingerprint {
        links: BTreeMap::from([("br-kept".to_owned(), bridge())]),
        files: Some(BTreeMap::new()),
        ..Fingerprint::default()
    };
    let residue = classify("host", &before, &state("one"), &state("two"));
    assert_eq!(residue.growing, vec![]);
    assert_eq!(
        lines(&residue.steady),
        ["file /run/cni/state/two still present in host"]
    );
    assert_eq!(
        lines(&residue.missing),
        ["link br-kept (bridge) missing from host (it was there before ADD)"]
    );
}

const NETNS: &str = "/run/netns/cnitest-observe";

/// A host and container as an interface plugin would leave them after ADD,
/// and the result that describes them exactly.
struct Added {
    _host_ns: OwnedFd,
    host: Handle,
    _container_ns: OwnedFd,
    container: Handle,
}

fn added() -> Added {
    let (host_ns, host) = netns();
    let (container_ns, container) = netns();
    host.create_veth(&Veth {
        peer_netns: Some(container_ns.as_fd()),
        mtu: Some(1400),
        mac: Some("0a:58:0a:01:00:01".parse().unwrap()),
        peer_mac: Some("0a:58:0a:01:00:02".parse().unwrap()),
        ..Veth::new("veth1a2b3c", "eth0")
    })
    .unwrap();
    host.set_up("veth1a2b3c").unwrap();
    container.set_up("eth0").unwrap();
    let eth0 = index(&container, "eth0");
    container.add_address(eth0, net("10.1.0.2/24")).unwrap();
    container.add_address(eth0, net("fd00:1::2/64")).unwrap();
    container
        .add_route(&RouteSpec {
            gateway: Some(ip("10.1.0.1")),
            ..RouteSpec::new(net("0.0.0.0/0"))
        })
        .unwrap();
    container
        .add_route(&RouteSpec {
            gateway: Some(ip("10.1.0.1")),
            table: Some(100),
            priority: Some(50),
            mtu: Some(1300),
            advmss: Some(1260),
            ..RouteSpec::new(net("10.2.0.0/16"))
        })
        .unwrap();
    container
        .add_route(&RouteSpec {
            gateway: Some(ip("fd00:1::1")),
            ..RouteSpec::new(net("fd00:2::/64"))
        })
        .unwrap();
    Added {
        _host_ns: host_ns,
        host,
        _container_ns: container_ns,
        container,
    }
}

fn good_result() -> serde_json::Value {
    json!({
        "cniVersion": "1.1.0",
        "interfaces": [
            {"name": "veth1a2b3c", "mac": "0a:58:0a:01:00:01"},
            {"name": "eth0", "mac": "0A:58:0A:01:00:02", "mtu": 1400, "sandbox": NETNS}
        ],
        "ips": [
            {"interface": 1, "address": "10.1.0.2/24", "gateway": "10.1.0.1"},
            {"interface": 1, "address": "fd00:1::2/64"}
        ],
        "routes": [
            // Installed via ips[0].gateway.
            {"dst": "0.0.0.0/0"},
            // The kernel's own route for the address: directly connected.
            {"dst": "10.1.0.0/24"},
            {"dst": "10.2.0.0/16", "gw": "10.1.0.1", "table": 100, "priority": 50,
             "mtu": 1300, "advmss": 1260, "scope": 0},
            // The kernel's route for the IPv6 address, at its metric 256.
            {"dst": "fd00:1::/64"},
            // IPv6: asked for at metric 0, installed at the kernel's 1024.
            {"dst": "fd00:2::/64", "gw": "fd00:1::1", "priority": 0}
        ]
    })
}

fn verify(added: &Added, result: serde_json::Value) -> Vec<String> {
    let result: Result100 = serde_json::from_value(result).unwrap();
    let context = AddContext {
        netns: NETNS,
        ifname: "eth0",
        creates_interface: true,
    };
    let found: Vec<Mismatch> =
        verify_add(&result, &context, &added.host, &added.container).unwrap();
    lines(&found)
}

#[test]
fn p_add_5_6_7_a_correct_result_passes() {
    let added = added();
    assert_eq!(verify(&added, good_result()), Vec::<String>::new());
}

#[test]
fn p_add_5_a_wrong_mac_is_caught() {
    let added = added();
    let mut result = good_result();
    result["interfaces"][1]["mac"] = json!("0a:58:0a:01:00:03");
    assert_eq!(
        verify(&added, result),
        [
            "interfaces[1] eth0: MAC is 0a:58:0a:01:00:02 in the container, the result says 0a:58:0a:01:00:03 (P-ADD-5)"
        ]
    );
}

#[test]
fn f_res_7_a_wrong_mtu_is_caught() {
    let added = added();
    let mut result = good_result();
    result["interfaces"][1]["mtu"] = json!(1500);
    assert_eq!(
        verify(&added, result),
        ["interfaces[1] eth0: MTU is 1400 in the container, the result says 1500 (F-RES-7)"]
    );
}

#[test]
fn p_add_5_a_missing_host_side_interface_is_caught() {
    let added = added();
    added.host.delete_link("veth1a2b3c").unwrap();
    // The container end went with it; give the container another eth0.
    added
        .container
        .create_veth(&Veth::new("eth0", "eth0-peer"))
        .unwrap();
    let mut result = good_result();
    result["interfaces"][1]["mac"] = json!(added.container.link("eth0").unwrap().unwrap().mac);
    result["interfaces"][1]
        .as_object_mut()
        .unwrap()
        .remove("mtu");
    result["ips"] = json!([]);
    result["routes"] = json!([]);
    assert_eq!(
        verify(&added, result),
        ["interfaces[0] veth1a2b3c: not in the host (P-ADD-5)"]
    );
}

#[test]
fn p_add_5_cni_ifname_must_be_in_the_result_once() {
    let added = added();
    let mut result = good_result();
    result["interfaces"][1]["name"] = json!("eth1");
    assert_eq!(
        verify(&added, result.clone()),
        [
            "interfaces[1] eth1: not in the container (P-ADD-5)",
            "interfaces: none is eth0 with sandbox CNI_NETNS (P-ADD-5)",
        ]
    );
    result["interfaces"][1]["name"] = json!("eth0");
    result["interfaces"][1]["sandbox"] = json!("/proc/1/ns/net");
    let found = verify(&added, result);
    assert_eq!(
        found,
        [
            r#"interfaces[1] eth0: sandbox is "/proc/1/ns/net", CNI_NETNS is "/run/netns/cnitest-observe" (P-ADD-5)"#,
            "interfaces: none is eth0 with sandbox CNI_NETNS (P-ADD-5)",
        ]
    );
}

#[test]
fn p_add_6_a_missing_address_is_caught() {
    let added = added();
    let mut result = good_result();
    result["ips"][0]["address"] = json!("10.1.0.5/24");
    assert_eq!(
        verify(&added, result.clone()),
        ["ips[0] 10.1.0.5/24: not configured on eth0 (has 10.1.0.2/24) (P-ADD-6)"]
    );
    // The prefix length counts too.
    result["ips"][0]["address"] = json!("10.1.0.2/16");
    assert_eq!(
        verify(&added, result),
        ["ips[0] 10.1.0.2/16: not configured on eth0 (has 10.1.0.2/24) (P-ADD-6)"]
    );
}

#[test]
fn p_add_6_an_out_of_range_interface_index_is_caught() {
    let added = added();
    let mut result = good_result();
    result["ips"][1]["interface"] = json!(2);
    assert_eq!(
        verify(&added, result.clone()),
        [
            "ips[1] fd00:1::2/64: interface 2 is out of range (the result has 2 interfaces) (P-ADD-6)"
        ]
    );
    result["ips"][1]["interface"] = json!(-1);
    let result: Result100 = serde_json::from_value(result).unwrap();
    let context = AddContext {
        netns: NETNS,
        ifname: "eth0",
        creates_interface: true,
    };
    let found = verify_add(&result, &context, &added.host, &added.container).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].level, cnitest::spec::Level::Should, "{}", found[0]);
}

#[test]
fn p_add_7_a_missing_route_is_caught() {
    let added = added();
    let mut result = good_result();
    result["routes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"dst": "10.3.0.0/16", "gw": "10.1.0.1"}));
    result["routes"][0]["gw"] = json!("10.1.0.254");
    assert_eq!(
        verify(&added, result),
        [
            "routes[0] 0.0.0.0/0 via 10.1.0.254: not installed in the container \
             (it has 0.0.0.0/0 via 10.1.0.1 dev eth0 table main) (P-ADD-7)",
            "routes[5] 10.3.0.0/16 via 10.1.0.1: not installed in the container (P-ADD-7)",
        ]
    );
}

#[test]
fn f_res_7_route_table_metric_and_metrics_must_match() {
    let added = added();
    let mut result = good_result();
    result["routes"][2]["table"] = json!(200);
    result["routes"][2]["priority"] = json!(60);
    result["routes"][2]["mtu"] = json!(9000);
    result["routes"][2]["scope"] = json!(253);
    assert_eq!(
        verify(&added, result),
        [
            "routes[2] 10.2.0.0/16 via 10.1.0.1: in table 100 in the container, the result says table 200; \
             metric is 50 in the container, the result says priority 60; \
             scope is 0 (global) in the container, the result says 253; \
             mtu is 1300 in the container, the result says 9000 (F-RES-7)"
        ]
    );
}

#[test]
fn kernel_routes_of_every_table_feed_the_check() {
    // The custom table the result names is really read back.
    let added = added();
    let routes = added.container.routes().unwrap();
    let custom = routes
        .iter()
        .find(|r| r.table == 100)
        .expect("table 100 holds the route");
    assert_eq!(custom.family, Family::V4);
    assert_ne!(custom.table, Route::TABLE_MAIN);
}
