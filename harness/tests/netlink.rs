//! The rtnetlink module against the kernel. Every test works in network
//! namespaces of its own, which vanish with their descriptor, so a failing
//! test leaves nothing behind and never touches the machine's namespace.

use std::net::IpAddr;
use std::os::fd::{AsFd, OwnedFd};

use cnitest::netlink::{
    Bridge, Family, Handle, Link, MacAddr, Macvlan, Protocol, Route, RouteSpec, RouteType, Scope,
    Veth, new_netns,
};
use ipnet::IpNet;

/// A fresh network namespace and a handle on it.
pub fn netns() -> (OwnedFd, Handle) {
    let fd = new_netns().expect("making a network namespace (the tests need root)");
    let handle = Handle::in_netns(fd.as_fd()).expect("opening a handle in the namespace");
    (fd, handle)
}

fn net(text: &str) -> IpNet {
    text.parse().unwrap()
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn mac(text: &str) -> MacAddr {
    text.parse().unwrap()
}

fn named(handle: &Handle, name: &str) -> Link {
    handle
        .link(name)
        .unwrap()
        .unwrap_or_else(|| panic!("no link {name:?}"))
}

#[test]
fn handle_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Handle>();
}

#[test]
fn a_new_namespace_holds_only_loopback() {
    let (_ns, handle) = netns();
    let links = handle.links().unwrap();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].name, "lo");
    assert_eq!(links[0].kind, None);
    assert!(!links[0].up);
    assert_eq!(handle.addresses().unwrap(), vec![]);
    assert_eq!(handle.routes().unwrap(), vec![]);
}

#[test]
fn opening_a_handle_elsewhere_leaves_the_thread_where_it_was() {
    let before = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
    let (ns, _handle) = netns();
    let other = Handle::in_netns(ns.as_fd()).unwrap();
    assert_eq!(
        std::fs::read_link("/proc/thread-self/ns/net").unwrap(),
        before
    );
    // The second handle sees the namespace the first one made.
    other.create_bridge(&Bridge::new("br-seen")).unwrap();
    assert!(_handle.link("br-seen").unwrap().is_some());
}

#[test]
fn veth_pair_create_inspect_modify_delete() {
    let (_ns, handle) = netns();
    handle
        .create_veth(&Veth {
            mtu: Some(1400),
            mac: Some(mac("0a:58:0a:01:00:02")),
            peer_mac: Some(mac("0A:58:0A:01:00:03")),
            ..Veth::new("va", "vb")
        })
        .unwrap();
    let a = named(&handle, "va");
    let b = named(&handle, "vb");
    assert_eq!(a.kind.as_deref(), Some("veth"));
    assert_eq!(a.mac.as_deref(), Some("0a:58:0a:01:00:02"));
    assert_eq!(b.mac.as_deref(), Some("0a:58:0a:01:00:03"));
    assert_eq!((a.mtu, b.mtu), (1400, 1400));
    assert!(!a.up);
    let peer = a.veth_peer().unwrap();
    assert_eq!((peer.index, peer.netnsid), (b.index, None));
    assert_eq!(b.veth_peer().unwrap().index, a.index);

    handle.set_up("va").unwrap();
    handle.set_up(b.index).unwrap();
    assert!(named(&handle, "va").up);
    assert!(named(&handle, "vb").up);
    handle.set_down("va").unwrap();
    assert!(!named(&handle, "va").up);

    handle.set_mtu("va", 1300).unwrap();
    handle.set_mac("va", mac("0a:58:0a:01:00:09")).unwrap();
    handle.rename("va", "va-renamed").unwrap();
    let renamed = named(&handle, "va-renamed");
    assert_eq!(renamed.index, a.index);
    assert_eq!(renamed.mtu, 1300);
    assert_eq!(renamed.mac.as_deref(), Some("0a:58:0a:01:00:09"));
    assert!(handle.link("va").unwrap().is_none());

    handle.delete_link("va-renamed").unwrap();
    // The peer goes with it.
    assert!(handle.link(b.index).unwrap().is_none());
    assert_eq!(handle.links().unwrap().len(), 1);
}

#[test]
fn veth_peer_is_created_directly_in_another_namespace() {
    let (_host_ns, host) = netns();
    let (container_ns, container) = netns();
    host.create_veth(&Veth {
        peer_netns: Some(container_ns.as_fd()),
        mtu: Some(1450),
        ..Veth::new("veth1a2b3c", "eth0")
    })
    .unwrap();

    let host_end = named(&host, "veth1a2b3c");
    assert!(host.link("eth0").unwrap().is_none());
    let container_end = named(&container, "eth0");
    assert_eq!(container_end.mtu, 1450);
    let peer = host_end.veth_peer().unwrap();
    assert_eq!(peer.index, container_end.index);
    assert!(peer.netnsid.is_some(), "{host_end:?}");
    assert_eq!(container_end.veth_peer().unwrap().index, host_end.index);

    // The container's name is taken now.
    let err = host
        .create_veth(&Veth {
            peer_netns: Some(container_ns.as_fd()),
            ..Veth::new("veth4d5e6f", "eth0")
        })
        .unwrap_err();
    assert!(err.is_exists(), "{err}");
    assert!(
        err.to_string()
            .starts_with(r#"creating veth pair "veth4d5e6f"/"eth0": File exists (os error 17)"#),
        "{err}"
    );
    // Nothing half-made stays behind.
    assert!(host.link("veth4d5e6f").unwrap().is_none());

    // Deleting the container end removes the host end too.
    container.delete_link("eth0").unwrap();
    assert!(host.link("veth1a2b3c").unwrap().is_none());
}

#[test]
fn a_link_moves_to_another_namespace() {
    let (_host_ns, host) = netns();
    let (container_ns, container) = netns();
    host.create_veth(&Veth::new("vhost", "vmove")).unwrap();
    host.move_to_netns("vmove", container_ns.as_fd()).unwrap();
    assert!(host.link("vmove").unwrap().is_none());
    let moved = named(&container, "vmove");
    assert_eq!(moved.kind.as_deref(), Some("veth"));
    assert!(moved.veth_peer().unwrap().netnsid.is_some());

    let err = host
        .move_to_netns("vmove", container_ns.as_fd())
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[test]
fn bridge_with_a_port() {
    let (_ns, handle) = netns();
    handle
        .create_bridge(&Bridge {
            mtu: Some(1400),
            ..Bridge::new("cni0")
        })
        .unwrap();
    handle.create_veth(&Veth::new("vport", "vpeer")).unwrap();
    let bridge = named(&handle, "cni0");
    assert_eq!(bridge.kind.as_deref(), Some("bridge"));
    assert_eq!(bridge.mtu, 1400);

    handle.set_master("vport", Some("cni0".into())).unwrap();
    assert_eq!(named(&handle, "vport").master, Some(bridge.index));
    handle.set_master("vport", None).unwrap();
    assert_eq!(named(&handle, "vport").master, None);

    let err = handle
        .set_master("vport", Some("nobridge".into()))
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(
        err.to_string(),
        r#"attaching link "vport" to link "nobridge": No such device (os error 19) (no link "nobridge")"#
    );

    handle.delete_link("cni0").unwrap();
    assert!(handle.link("cni0").unwrap().is_none());
}

#[test]
fn macvlan_on_a_veth_parent() {
    let (_ns, handle) = netns();
    let (other_ns, other) = netns();
    handle
        .create_veth(&Veth::new("parent0", "parent1"))
        .unwrap();
    let parent = named(&handle, "parent0");
    handle
        .create_macvlan(&Macvlan {
            mtu: Some(1400),
            mac: Some(mac("0a:58:0a:01:00:07")),
            ..Macvlan::new("mv0", parent.index)
        })
        .unwrap();
    let macvlan = named(&handle, "mv0");
    assert_eq!(macvlan.kind.as_deref(), Some("macvlan"));
    assert_eq!(macvlan.link, Some(parent.index));
    assert_eq!(macvlan.mac.as_deref(), Some("0a:58:0a:01:00:07"));
    assert_eq!(macvlan.mtu, 1400);
    assert_eq!(macvlan.veth_peer(), None);

    // Created straight into another namespace, as the macvlan plugin wants.
    handle
        .create_macvlan(&Macvlan {
            netns: Some(other_ns.as_fd()),
            ..Macvlan::new("mv1", parent.index)
        })
        .unwrap();
    assert!(handle.link("mv1").unwrap().is_none());
    let moved = named(&other, "mv1");
    assert_eq!(moved.kind.as_deref(), Some("macvlan"));
    assert!(moved.link_netnsid.is_some());

    handle.delete_link("mv0").unwrap();
    assert!(handle.link("parent0").unwrap().is_some());
}

#[test]
fn addresses_add_delete_flush() {
    let (_ns, handle) = netns();
    handle.create_veth(&Veth::new("eth0", "eth0p")).unwrap();
    let index = named(&handle, "eth0").index;
    handle.add_address(index, net("10.1.0.2/24")).unwrap();
    handle.add_address(index, net("10.1.0.3/24")).unwrap();
    handle.add_address(index, net("fd00:1::2/64")).unwrap();

    let mine: Vec<_> = handle
        .addresses()
        .unwrap()
        .into_iter()
        .filter(|a| a.index == index)
        .collect();
    let nets: Vec<IpNet> = mine.iter().map(|a| a.address).collect();
    assert_eq!(
        nets,
        vec![net("10.1.0.2/24"), net("10.1.0.3/24"), net("fd00:1::2/64")]
    );
    assert_eq!(mine[0].family, Family::V4);
    assert_eq!(mine[0].scope, Scope::UNIVERSE);
    assert_eq!(mine[2].family, Family::V6);
    assert!(!mine[2].is_kernel_link_local());

    let err = handle.add_address(index, net("10.1.0.2/24")).unwrap_err();
    assert!(err.is_exists(), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "adding address 10.1.0.2/24 to link {index}: File exists (os error 17) \
             (ipv4: Address already assigned)"
        ),
        "the kernel's extended ack is part of the message"
    );
    handle.ensure_address(index, net("10.1.0.2/24")).unwrap();

    handle.delete_address(index, net("10.1.0.3/24")).unwrap();
    let err = handle
        .delete_address(index, net("10.1.0.3/24"))
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");

    handle.flush_addresses(index).unwrap();
    assert!(handle.addresses().unwrap().iter().all(|a| a.index != index));
}

#[test]
fn the_kernels_link_local_address_is_recognised() {
    let (_ns, handle) = netns();
    handle.create_veth(&Veth::new("ll0", "ll1")).unwrap();
    handle.set_up("ll0").unwrap();
    handle.set_up("ll1").unwrap();
    let index = named(&handle, "ll0").index;
    let link_local = handle
        .addresses()
        .unwrap()
        .into_iter()
        .find(|a| a.index == index && a.family == Family::V6)
        .expect("the kernel gives an up link an IPv6 link-local address");
    assert!(link_local.is_kernel_link_local(), "{link_local:?}");
    assert_eq!(link_local.scope, Scope::LINK);
    // Made, by default, from the link's MAC.
    let mac: MacAddr = named(&handle, "ll0").mac.unwrap().parse().unwrap();
    assert!(link_local.is_eui64_link_local(&mac), "{link_local:?} {mac}");
    let other: MacAddr = named(&handle, "ll1").mac.unwrap().parse().unwrap();
    assert!(!link_local.is_eui64_link_local(&other));
}

/// A namespace with veth `eth0` up, holding 10.1.0.2/24 and fd00:1::2/64.
fn routed_netns() -> (OwnedFd, Handle, u32) {
    let (ns, handle) = netns();
    handle.create_veth(&Veth::new("eth0", "eth0p")).unwrap();
    handle.set_up("eth0p").unwrap();
    handle.set_up("eth0").unwrap();
    let index = named(&handle, "eth0").index;
    handle.add_address(index, net("10.1.0.2/24")).unwrap();
    handle.add_address(index, net("fd00:1::2/64")).unwrap();
    (ns, handle, index)
}

fn find(routes: &[Route], table: u32, dst: &str) -> Route {
    routes
        .iter()
        .find(|r| r.table == table && r.dst == net(dst))
        .cloned()
        .unwrap_or_else(|| panic!("no route {dst} in table {table}: {routes:#?}"))
}

#[test]
fn routes_in_main_and_a_custom_table() {
    let (_ns, handle, index) = routed_netns();
    handle
        .add_route(&RouteSpec {
            gateway: Some(ip("10.1.0.1")),
            ..RouteSpec::new(net("0.0.0.0/0"))
        })
        .unwrap();
    handle
        .add_route(&RouteSpec {
            oif: Some(index),
            priority: Some(100),
            mtu: Some(1400),
            advmss: Some(1360),
            ..RouteSpec::new(net("192.168.7.0/24"))
        })
        .unwrap();
    handle
        .add_route(&RouteSpec {
            gateway: Some(ip("10.1.0.1")),
            table: Some(1000),
            priority: Some(7),
            ..RouteSpec::new(net("172.16.0.0/12"))
        })
        .unwrap();
    handle
        .add_route(&RouteSpec {
            gateway: Some(ip("fd00:1::1")),
            table: Some(100),
            ..RouteSpec::new(net("::/0"))
        })
        .unwrap();

    let routes = handle.routes().unwrap();
    let default = find(&routes, Route::TABLE_MAIN, "0.0.0.0/0");
    assert_eq!(default.gateway, Some(ip("10.1.0.1")));
    assert_eq!(default.oif, Some(index));
    assert_eq!(default.scope, Scope::UNIVERSE);
    assert_eq!(default.protocol, Protocol::BOOT);
    assert_eq!(default.kind, RouteType::UNICAST);

    let direct = find(&routes, Route::TABLE_MAIN, "192.168.7.0/24");
    assert_eq!(direct.gateway, None);
    assert_eq!(direct.scope, Scope::LINK);
    assert_eq!(direct.priority, Some(100));
    assert_eq!((direct.mtu, direct.advmss), (Some(1400), Some(1360)));

    let custom = find(&routes, 1000, "172.16.0.0/12");
    assert_eq!(custom.gateway, Some(ip("10.1.0.1")));
    assert_eq!(custom.priority, Some(7));

    let v6 = find(&routes, 100, "::/0");
    assert_eq!(v6.family, Family::V6);
    assert_eq!(v6.gateway, Some(ip("fd00:1::1")));
    assert_eq!(v6.priority, Some(1024), "the kernel's default IPv6 metric");

    // What the kernel adds on its own for the address: the prefix route in
    // main, and local/broadcast routes in table local.
    let prefix = find(&routes, Route::TABLE_MAIN, "10.1.0.0/24");
    assert_eq!(prefix.protocol, Protocol::KERNEL);
    assert_eq!(prefix.prefsrc, Some(ip("10.1.0.2")));
    let local = find(&routes, Route::TABLE_LOCAL, "10.1.0.2/32");
    assert_eq!(local.kind, RouteType::LOCAL);

    let err = handle
        .add_route(&RouteSpec {
            gateway: Some(ip("10.1.0.1")),
            table: Some(1000),
            priority: Some(7),
            ..RouteSpec::new(net("172.16.0.0/12"))
        })
        .unwrap_err();
    assert!(err.is_exists(), "{err}");

    handle
        .delete_route(&RouteSpec {
            table: Some(1000),
            ..RouteSpec::new(net("172.16.0.0/12"))
        })
        .unwrap();
    let err = handle
        .delete_route(&RouteSpec {
            table: Some(1000),
            ..RouteSpec::new(net("172.16.0.0/12"))
        })
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(
        err.to_string()
            .starts_with("deleting route 172.16.0.0/12 table 1000: No such process (os error 3)"),
        "{err}"
    );
    handle
        .delete_route(&RouteSpec {
            table: Some(100),
            ..RouteSpec::new(net("::/0"))
        })
        .unwrap();
    let routes = handle.routes().unwrap();
    assert!(!routes.iter().any(|r| r.table == 1000 || r.table == 100));
    // The others stay.
    find(&routes, Route::TABLE_MAIN, "0.0.0.0/0");
}

#[test]
fn a_route_through_an_unreachable_gateway_is_refused_with_the_kernels_reason() {
    let (_ns, handle, _index) = routed_netns();
    let err = handle
        .add_route(&RouteSpec {
            gateway: Some(ip("192.0.2.1")),
            ..RouteSpec::new(net("198.51.100.0/24"))
        })
        .unwrap_err();
    assert_eq!(err.errno(), Some(libc::ENETUNREACH), "{err}");
    assert_eq!(
        err.to_string(),
        "adding route 198.51.100.0/24 via 192.0.2.1: Network is unreachable (os error 101) \
         (Nexthop has invalid gateway)"
    );
}

#[test]
fn deleting_a_missing_link_is_not_found() {
    let (_ns, handle) = netns();
    let err = handle.delete_link("nosuch0").unwrap_err();
    assert!(err.is_not_found());
    assert!(!err.is_exists());
    assert_eq!(err.errno(), Some(libc::ENODEV));
    assert_eq!(
        err.to_string(),
        r#"deleting link "nosuch0": No such device (os error 19)"#
    );
    let err = handle.delete_link(4242).unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(handle.link("nosuch0").unwrap().is_none());
    let err = handle.set_up("nosuch0").unwrap_err();
    assert!(err.is_not_found(), "{err}");
}

#[test]
fn a_bad_namespace_path_names_the_path() {
    let err = Handle::in_netns_path(std::path::Path::new("/nonexistent/ns/net")).unwrap_err();
    assert!(err.is_not_found());
    assert!(
        err.to_string()
            .starts_with("opening network namespace /nonexistent/ns/net: No such file"),
        "{err}"
    );
    // A file that is not a namespace cannot be entered.
    let err = Handle::in_netns_path(std::path::Path::new("/proc/self/status")).unwrap_err();
    assert_eq!(err.errno(), Some(libc::EINVAL), "{err}");
}
