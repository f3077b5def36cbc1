//! Routes: listing those of every table, adding and deleting one.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteMetric, RouteNextHop, RouteScope,
    RouteType as KernelRouteType, RouteVia,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::error::Error;
use super::socket::Handle;
use super::types::{Family, Scope};

/// A route as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub family: Family,
    /// The table id, beyond 255 too (`RTA_TABLE`).
    pub table: u32,
    /// The destination; a default route is `0.0.0.0/0` or `::/0`.
    pub dst: IpNet,
    pub gateway: Option<IpAddr>,
    /// The output link's index.
    pub oif: Option<u32>,
    /// The metric (`RTA_PRIORITY`). IPv6 routes always have one.
    pub priority: Option<u32>,
    pub scope: Scope,
    pub protocol: Protocol,
    pub kind: RouteType,
    /// The preferred source address (`src` in `ip route`).
    pub prefsrc: Option<IpAddr>,
    /// `RTAX_MTU`.
    pub mtu: Option<u32>,
    /// `RTAX_ADVMSS`.
    pub advmss: Option<u32>,
    /// The next hops of a multipath route; empty otherwise.
    pub nexthops: Vec<NextHop>,
}

impl Route {
    pub const TABLE_DEFAULT: u32 = 253;
    pub const TABLE_MAIN: u32 = 254;
    pub const TABLE_LOCAL: u32 = 255;

    /// Whether any next hop of the route goes through `gateway`.
    pub fn has_gateway(&self, gateway: IpAddr) -> bool {
        self.gateway == Some(gateway) || self.nexthops.iter().any(|n| n.gateway == Some(gateway))
    }

    /// Whether any next hop of the route leaves through link `index`.
    pub fn has_oif(&self, index: u32) -> bool {
        self.oif == Some(index) || self.nexthops.iter().any(|n| n.oif == Some(index))
    }
}

/// A table's name as `ip route` writes it: "main", "local", "default", or
/// the number.
pub fn table_name(table: u32) -> String {
    match table {
        Route::TABLE_DEFAULT => "default".to_owned(),
        Route::TABLE_MAIN => "main".to_owned(),
        Route::TABLE_LOCAL => "local".to_owned(),
        other => other.to_string(),
    }
}

/// One path of a multipath route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
}

/// Who installed a route (`RTPROT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Protocol(pub u8);

impl Protocol {
    pub const UNSPEC: Protocol = Protocol(0);
    pub const REDIRECT: Protocol = Protocol(1);
    /// Made by the kernel from an address or link.
    pub const KERNEL: Protocol = Protocol(2);
    /// What `ip route add` uses unless told otherwise.
    pub const BOOT: Protocol = Protocol(3);
    pub const STATIC: Protocol = Protocol(4);
    pub const RA: Protocol = Protocol(9);
    pub const DHCP: Protocol = Protocol(16);
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Protocol::UNSPEC => f.write_str("unspec"),
            Protocol::REDIRECT => f.write_str("redirect"),
            Protocol::KERNEL => f.write_str("kernel"),
            Protocol::BOOT => f.write_str("boot"),
            Protocol::STATIC => f.write_str("static"),
            Protocol::RA => f.write_str("ra"),
            Protocol::DHCP => f.write_str("dhcp"),
            Protocol(n) => write!(f, "{n}"),
        }
    }
}

/// The type of a route (`RTN_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RouteType(pub u8);

impl RouteType {
    pub const UNSPEC: RouteType = RouteType(0);
    pub const UNICAST: RouteType = RouteType(1);
    pub const LOCAL: RouteType = RouteType(2);
    pub const BROADCAST: RouteType = RouteType(3);
    pub const ANYCAST: RouteType = RouteType(4);
    pub const MULTICAST: RouteType = RouteType(5);
    pub const BLACKHOLE: RouteType = RouteType(6);
    pub const UNREACHABLE: RouteType = RouteType(7);
    pub const PROHIBIT: RouteType = RouteType(8);
    pub const THROW: RouteType = RouteType(9);
}

impl fmt::Display for RouteType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            RouteType::UNSPEC => "unspec",
            RouteType::UNICAST => "unicast",
            RouteType::LOCAL => "local",
            RouteType::BROADCAST => "broadcast",
            RouteType::ANYCAST => "anycast",
            RouteType::MULTICAST => "multicast",
            RouteType::BLACKHOLE => "blackhole",
            RouteType::UNREACHABLE => "unreachable",
            RouteType::PROHIBIT => "prohibit",
            RouteType::THROW => "throw",
            RouteType(n) => return write!(f, "{n}"),
        };
        f.write_str(name)
    }
}

/// A unicast route to add or delete. Unset fields take the kernel's (and
/// `ip route`'s) defaults: table main, protocol boot, scope link for an
/// IPv4 route without gateway and global otherwise, metric 0 (IPv4) or
/// 1024 (IPv6). Deleting matches only on the fields that are set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// The destination; host bits are cleared, as the kernel refuses them.
    pub dst: IpNet,
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
    pub table: Option<u32>,
    pub scope: Option<Scope>,
    pub priority: Option<u32>,
    pub protocol: Option<Protocol>,
    pub prefsrc: Option<IpAddr>,
    pub mtu: Option<u32>,
    pub advmss: Option<u32>,
}

impl RouteSpec {
    pub fn new(dst: IpNet) -> RouteSpec {
        RouteSpec {
            dst,
            gateway: None,
            oif: None,
            table: None,
            scope: None,
            priority: None,
            protocol: None,
            prefsrc: None,
            mtu: None,
            advmss: None,
        }
    }
}

impl fmt::Display for RouteSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "route {}", self.dst.trunc())?;
        if let Some(gateway) = self.gateway {
            write!(f, " via {gateway}")?;
        }
        if let Some(oif) = self.oif {
            write!(f, " dev {oif}")?;
        }
        if let Some(table) = self.table {
            write!(f, " table {}", table_name(table))?;
        }
        Ok(())
    }
}

impl Handle {
    /// Every route of every table, both families.
    pub fn routes(&self) -> Result<Vec<Route>, Error> {
        let mut all = Vec::new();
        // One dump per family: an AF_UNSPEC dump also walks the multicast
        // routing families, whose messages are not routes in this sense.
        for (family, name) in [
            (AddressFamily::Inet, "IPv4"),
            (AddressFamily::Inet6, "IPv6"),
        ] {
            let mut request = RouteMessage::default();
            request.header.address_family = family;
            let replies = self.dump(RouteNetlinkMessage::GetRoute(request), || {
                format!("listing {name} routes")
            })?;
            all.extend(replies.into_iter().filter_map(|reply| match reply {
                RouteNetlinkMessage::NewRoute(message) => parse(message),
                _ => None,
            }));
        }
        Ok(all)
    }

    /// Adds a route; fails (`is_exists`) when the table has it already.
    pub fn add_route(&self, route: &RouteSpec) -> Result<(), Error> {
        self.ack(
            RouteNetlinkMessage::NewRoute(to_add(route)),
            NLM_F_CREATE | NLM_F_EXCL,
            || format!("adding {route}"),
        )
    }

    /// Adds a route, or replaces the one with the same destination, table
    /// and metric.
    pub fn replace_route(&self, route: &RouteSpec) -> Result<(), Error> {
        self.ack(
            RouteNetlinkMessage::NewRoute(to_add(route)),
            NLM_F_CREATE | NLM_F_REPLACE,
            || format!("replacing {route}"),
        )
    }

    /// Deletes the first route that matches; fails (`is_not_found`) when
    /// none does.
    pub fn delete_route(&self, route: &RouteSpec) -> Result<(), Error> {
        self.ack(RouteNetlinkMessage::DelRoute(to_delete(route)), 0, || {
            format!("deleting {route}")
        })
    }
}

fn to_add(route: &RouteSpec) -> RouteMessage {
    let mut message = common(route);
    message.header.protocol = route.protocol.unwrap_or(Protocol::BOOT).0.into();
    message.header.kind = KernelRouteType::Unicast;
    let scope = route.scope.unwrap_or(
        if route.gateway.is_none() && matches!(route.dst, IpNet::V4(_)) {
            Scope::LINK
        } else {
            Scope::UNIVERSE
        },
    );
    message.header.scope = RouteScope::from(scope.0);
    message
}

fn to_delete(route: &RouteSpec) -> RouteMessage {
    let mut message = common(route);
    // Zero (unspec) protocol and type, and scope "nowhere", match anything.
    message.header.protocol = route.protocol.unwrap_or(Protocol::UNSPEC).0.into();
    message.header.kind = KernelRouteType::Unspec;
    message.header.scope = RouteScope::from(route.scope.unwrap_or(Scope::NOWHERE).0);
    message
}

fn common(route: &RouteSpec) -> RouteMessage {
    let dst = route.dst.trunc();
    let mut message = RouteMessage::default();
    message.header.address_family = match dst {
        IpNet::V4(_) => AddressFamily::Inet,
        IpNet::V6(_) => AddressFamily::Inet6,
    };
    message.header.destination_prefix_length = dst.prefix_len();
    let table = route.table.unwrap_or(Route::TABLE_MAIN);
    // The header holds 8 bits; larger ids travel in RTA_TABLE only.
    message.header.table = u8::try_from(table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC);
    message.attributes.push(RouteAttribute::Table(table));
    if dst.prefix_len() > 0 {
        message
            .attributes
            .push(RouteAttribute::Destination(dst.addr().into()));
    }
    if let Some(gateway) = route.gateway {
        message
            .attributes
            .push(RouteAttribute::Gateway(gateway.into()));
    }
    if let Some(oif) = route.oif {
        message.attributes.push(RouteAttribute::Oif(oif));
    }
    if let Some(priority) = route.priority {
        message.attributes.push(RouteAttribute::Priority(priority));
    }
    if let Some(prefsrc) = route.prefsrc {
        message
            .attributes
            .push(RouteAttribute::PrefSource(prefsrc.into()));
    }
    let mut metrics = Vec::new();
    if let Some(mtu) = route.mtu {
        metrics.push(RouteMetric::Mtu(mtu));
    }
    if let Some(advmss) = route.advmss {
        metrics.push(RouteMetric::Advmss(advmss));
    }
    if !metrics.is_empty() {
        message.attributes.push(RouteAttribute::Metrics(metrics));
    }
    message
}

fn parse(message: RouteMessage) -> Option<Route> {
    let header = &message.header;
    let family = match header.address_family {
        AddressFamily::Inet => Family::V4,
        AddressFamily::Inet6 => Family::V6,
        _ => return None,
    };
    let mut route = Route {
        family,
        table: u32::from(header.table),
        dst: unspecified(family),
        gateway: None,
        oif: None,
        priority: None,
        scope: Scope(u8::from(header.scope)),
        protocol: Protocol(u8::from(header.protocol)),
        kind: RouteType(u8::from(header.kind)),
        prefsrc: None,
        mtu: None,
        advmss: None,
        nexthops: Vec::new(),
    };
    let prefix_len = header.destination_prefix_length;
    for attribute in message.attributes {
        match attribute {
            RouteAttribute::Table(table) => route.table = table,
            RouteAttribute::Destination(dst) => {
                route.dst = IpNet::new(ip_of(&dst)?, prefix_len).ok()?;
            }
            RouteAttribute::Gateway(gateway) => route.gateway = ip_of(&gateway),
            RouteAttribute::Via(via) => route.gateway = via_ip(&via),
            RouteAttribute::Oif(oif) => route.oif = Some(oif),
            RouteAttribute::Priority(priority) => route.priority = Some(priority),
            RouteAttribute::PrefSource(src) => route.prefsrc = ip_of(&src),
            RouteAttribute::Metrics(metrics) => {
                for metric in metrics {
                    match metric {
                        RouteMetric::Mtu(mtu) => route.mtu = Some(mtu),
                        RouteMetric::Advmss(advmss) => route.advmss = Some(advmss),
                        _ => {}
                    }
                }
            }
            RouteAttribute::MultiPath(hops) => {
                route.nexthops = hops.iter().map(next_hop).collect();
            }
            _ => {}
        }
    }
    Some(route)
}

fn next_hop(hop: &RouteNextHop) -> NextHop {
    let mut gateway = None;
    for attribute in &hop.attributes {
        match attribute {
            RouteAttribute::Gateway(address) => gateway = ip_of(address),
            RouteAttribute::Via(via) => gateway = via_ip(via),
            _ => {}
        }
    }
    NextHop {
        gateway,
        oif: (hop.interface_index != 0).then_some(hop.interface_index),
    }
}

fn unspecified(family: Family) -> IpNet {
    let ip = match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    IpNet::new(ip, 0).unwrap_or_default()
}

fn ip_of(address: &RouteAddress) -> Option<IpAddr> {
    match address {
        RouteAddress::Inet(ip) => Some(IpAddr::V4(*ip)),
        RouteAddress::Inet6(ip) => Some(IpAddr::V6(*ip)),
        _ => None,
    }
}

fn via_ip(via: &RouteVia) -> Option<IpAddr> {
    match via {
        RouteVia::Inet(ip) => Some(IpAddr::V4(*ip)),
        RouteVia::Inet6(ip) => Some(IpAddr::V6(*ip)),
        _ => None,
    }
}
