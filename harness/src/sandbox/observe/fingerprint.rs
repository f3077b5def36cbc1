//! A fingerprint of one network namespace: its links, addresses and routes,
//! normalised so that two fingerprints of an unchanged namespace are equal.
//!
//! What is left out, and why:
//! - interface indices, counters, operational state, queue lengths,
//!   promiscuity, address flags and lifetimes, route flags: they change by
//!   themselves (a link comes up asynchronously, DAD finishes, a recreated
//!   link gets a new index). Links are named by name everywhere instead.
//! - the loopback addresses the kernel gives `lo` when it comes up, which
//!   stay when it goes down again: a plugin that sets `lo` up and down
//!   leaves them, but did not make them.
//! - IPv6 link-local addresses the kernel made when a link came up, and the
//!   `fe80::/64` routes the kernel adds for them: they derive from a link's
//!   random MAC and appear with a delay. A link a plugin leaves behind is
//!   still caught, by the link itself; an address or route a plugin adds by
//!   itself (even in `fe80::/10`) is kept, because the kernel does not mark
//!   it as its own.
//! - routes the kernel keeps in table `local` (local, broadcast, anycast and
//!   multicast routes): they mirror the addresses and links, which the
//!   fingerprint holds already, and some appear only after DAD.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::files::FileFacts;
use crate::netlink::{self, Address, Handle, Link, MacAddr, Protocol, Route};

/// What the kernel (and, where the sandbox adds them, the firewall and the
/// plugin's state files) holds in one network namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// By name.
    pub links: BTreeMap<String, LinkFacts>,
    pub addresses: BTreeSet<AddressFacts>,
    /// Of every table.
    pub routes: BTreeSet<RouteFacts>,
    /// Normalised firewall rules (iptables-save / nft lines), one per
    /// entry, in order; `None` where no firewall tool was there to ask.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub firewall: Option<Vec<String>>,
    /// The files under the sandbox's private state directories; `None`
    /// where they were not looked at.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub files: Option<BTreeMap<PathBuf, FileFacts>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LinkFacts {
    /// "veth", "bridge", "macvlan"; `None` for loopback and the like.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mac: Option<String>,
    pub mtu: u32,
    /// Administratively up.
    pub up: bool,
    /// The bridge it is a port of.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub master: Option<String>,
    /// A veth's other end.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub peer: Option<LinkEnd>,
    /// The link under a macvlan (or another stacked link).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub parent: Option<LinkEnd>,
}

/// Where a veth's peer or a macvlan's parent is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkEnd {
    /// In the same namespace, under this name.
    Here(String),
    /// In another namespace (the ids a namespace gives others vary, so
    /// only the fact is kept).
    Elsewhere,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AddressFacts {
    pub link: String,
    pub address: IpNet,
    /// "global", "link", "host".
    pub scope: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RouteFacts {
    pub table: u32,
    /// "unicast", "blackhole", ...
    #[serde(rename = "type")]
    pub kind: String,
    pub dst: IpNet,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gateway: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dev: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub metric: Option<u32>,
    pub scope: String,
    pub protocol: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub prefsrc: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mtu: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub advmss: Option<u32>,
    /// A multipath route's paths: gateway and device.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub nexthops: Vec<(Option<IpAddr>, Option<String>)>,
}

impl Fingerprint {
    /// Reads the links, addresses and routes of the namespace `handle` is
    /// bound to. `firewall` and `files` are left for the caller.
    pub fn of(handle: &Handle) -> Result<Fingerprint, netlink::Error> {
        Ok(Fingerprint::from_kernel(
            &handle.links()?,
            &handle.addresses()?,
            &handle.routes()?,
        ))
    }

    /// The fingerprint of what the kernel reported, normalised.
    pub fn from_kernel(links: &[Link], addresses: &[Address], routes: &[Route]) -> Fingerprint {
        let names: BTreeMap<u32, &str> = links.iter().map(|l| (l.index, l.name.as_str())).collect();
        let name = |index: u32| -> String {
            names
                .get(&index)
                .map_or_else(|| format!("#{index}"), |n| (*n).to_owned())
        };
        let end = |link: &Link| -> Option<LinkEnd> {
            let index = link.link?;
            Some(match link.link_netnsid {
                Some(_) => LinkEnd::Elsewhere,
                None => LinkEnd::Here(name(index)),
            })
        };

        let links_facts = links
            .iter()
            .map(|link| {
                let facts = LinkFacts {
                    kind: link.kind.clone(),
                    mac: link.mac.clone(),
                    mtu: link.mtu,
                    up: link.up,
                    master: link.master.map(name),
                    peer: if link.is_veth() { end(link) } else { None },
                    parent: if link.is_veth() { None } else { end(link) },
                };
                (link.name.clone(), facts)
            })
            .collect();

        let macs: BTreeMap<u32, MacAddr> = links
            .iter()
            .filter_map(|l| Some((l.index, l.mac.as_deref()?.parse().ok()?)))
            .collect();
        let addresses_facts = addresses
            .iter()
            .filter(|a| !is_kernel_link_local(a, &macs))
            .map(|a| AddressFacts {
                link: name(a.index),
                address: a.address,
                scope: a.scope.to_string(),
            })
            .collect();

        let routes_facts = routes
            .iter()
            .filter(|r| !is_kernel_noise(r))
            .map(|r| RouteFacts {
                table: r.table,
                kind: r.kind.to_string(),
                dst: r.dst,
                gateway: r.gateway,
                dev: r.oif.map(name),
                metric: r.priority,
                scope: r.scope.to_string(),
                protocol: r.protocol.to_string(),
                prefsrc: r.prefsrc,
                mtu: r.mtu,
                advmss: r.advmss,
                nexthops: r
                    .nexthops
                    .iter()
                    .map(|hop| (hop.gateway, hop.oif.map(name)))
                    .collect(),
            })
            .collect();

        Fingerprint {
            links: links_facts,
            addresses: addresses_facts,
            routes: routes_facts,
            firewall: None,
            files: None,
        }
    }
}

/// The kernel says so (Linux 6.3 on); before, an address it would have
/// made from the link's MAC is taken for the kernel's.
fn is_kernel_link_local(address: &Address, macs: &BTreeMap<u32, MacAddr>) -> bool {
    // Loopback's own addresses come and stay with `lo` going up: the
    // kernel's doing, as link-local addresses are.
    address.is_kernel_loopback()
        || address.is_kernel_link_local()
        || (address.protocol == 0
            && macs
                .get(&address.index)
                .is_some_and(|mac| address.is_eui64_link_local(mac)))
}

/// Routes the kernel makes by itself from addresses and links; see the
/// module's notes.
fn is_kernel_noise(route: &Route) -> bool {
    if route.protocol != Protocol::KERNEL {
        return false;
    }
    if route.table == Route::TABLE_LOCAL {
        return true;
    }
    // fe80::/64 exactly: the prefix route of the kernel's link-local addresses.
    matches!(route.dst, IpNet::V6(net)
        if net.prefix_len() == 64 && net.addr().segments()[..4] == [0xfe80, 0, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::{Family, OperState, RouteType, Scope};

    fn link(index: u32, name: &str) -> Link {
        Link {
            index,
            name: name.into(),
            kind: Some("veth".into()),
            mac: Some("0a:58:0a:01:00:02".into()),
            mtu: 1500,
            up: true,
            oper_state: OperState::Up,
            master: None,
            link: None,
            link_netnsid: None,
        }
    }

    fn address(text: &str, protocol: u8, flags: u32) -> Address {
        let address: IpNet = text.parse().unwrap();
        Address {
            index: 2,
            address,
            family: Family::of(address.addr()),
            scope: Scope::LINK,
            flags,
            protocol,
        }
    }

    fn route(dst: &str, table: u32, protocol: Protocol) -> Route {
        let dst: IpNet = dst.parse().unwrap();
        Route {
            family: Family::of(dst.addr()),
            table,
            dst,
            gateway: None,
            oif: Some(2),
            priority: Some(256),
            scope: Scope::UNIVERSE,
            protocol,
            kind: RouteType::UNICAST,
            prefsrc: None,
            mtu: None,
            advmss: None,
            nexthops: Vec::new(),
        }
    }

    #[test]
    fn kernel_link_local_addresses_are_left_out_and_chosen_ones_kept() {
        let fingerprint = Fingerprint::from_kernel(
            &[link(2, "eth0")],
            &[
                // The kernel says it made this one.
                address("fe80::1234/64", Address::PROTO_KERNEL_LL, 0x80),
                // A kernel that does not say: the EUI-64 of eth0's MAC.
                address("fe80::858:aff:fe01:2/64", 0, 0x80),
                // Added by a plugin on purpose.
                address("fe80::99/64", 0, 0x80),
                address("fe80::858:aff:fe01:2/128", 0, 0x80),
            ],
            &[],
        );
        let kept: Vec<String> = fingerprint
            .addresses
            .iter()
            .map(|a| a.address.to_string())
            .collect();
        assert_eq!(kept, ["fe80::99/64", "fe80::858:aff:fe01:2/128"]);
    }

    #[test]
    fn kernel_routes_mirroring_addresses_are_left_out_and_chosen_ones_kept() {
        let fingerprint = Fingerprint::from_kernel(
            &[link(2, "eth0")],
            &[],
            &[
                route("fe80::/64", Route::TABLE_MAIN, Protocol::KERNEL),
                route("10.1.0.2/32", Route::TABLE_LOCAL, Protocol::KERNEL),
                route("ff00::/8", Route::TABLE_LOCAL, Protocol::KERNEL),
                route("10.1.0.0/24", Route::TABLE_MAIN, Protocol::KERNEL),
                route("fe80::/64", Route::TABLE_MAIN, Protocol::BOOT),
                route("192.0.2.1/32", Route::TABLE_LOCAL, Protocol::BOOT),
            ],
        );
        let kept: Vec<String> = fingerprint
            .routes
            .iter()
            .map(|r| format!("{} {} {}", r.table, r.dst, r.protocol))
            .collect();
        assert_eq!(
            kept,
            [
                "254 10.1.0.0/24 kernel",
                "254 fe80::/64 boot",
                "255 192.0.2.1/32 boot"
            ]
        );
        assert!(
            fingerprint
                .routes
                .iter()
                .all(|r| r.dev.as_deref() == Some("eth0"))
        );
    }

    #[test]
    fn peers_and_masters_are_named_and_other_namespaces_only_noted() {
        let mut host_end = link(2, "veth0");
        host_end.link = Some(7);
        host_end.link_netnsid = Some(0);
        host_end.master = Some(3);
        let mut bridge = link(3, "cni0");
        bridge.kind = Some("bridge".into());
        let mut macvlan = link(4, "mv0");
        macvlan.kind = Some("macvlan".into());
        macvlan.link = Some(2);
        let fingerprint = Fingerprint::from_kernel(&[host_end, bridge, macvlan], &[], &[]);
        let veth = &fingerprint.links["veth0"];
        assert_eq!(veth.peer, Some(LinkEnd::Elsewhere));
        assert_eq!(veth.master.as_deref(), Some("cni0"));
        assert_eq!(veth.parent, None);
        assert_eq!(
            fingerprint.links["mv0"].parent,
            Some(LinkEnd::Here("veth0".into()))
        );
    }
}
