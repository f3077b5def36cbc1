//! Whether an ADD result says what the kernel holds: its interfaces exist
//! where `sandbox` puts them, with the MAC and MTU it claims (P-ADD-5,
//! F-RES-7); its addresses are configured on their interfaces (P-ADD-6);
//! its routes are installed, with the table, metric, scope and metrics it
//! claims (P-ADD-7, F-RES-7).

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use crate::netlink::{self, Address, Handle, Link, Route, RouteType, Scope, table_name};
use crate::spec::result::{Interface100, Result100, Route as ResultRoute};
use crate::spec::rule::{Level, lookup};

/// What the plugin was asked: where the result's interfaces must be.
#[derive(Debug, Clone, Copy)]
pub struct AddContext<'a> {
    /// `CNI_NETNS` as the plugin got it.
    pub netns: &'a str,
    /// `CNI_IFNAME`.
    pub ifname: &'a str,
    /// The plugin creates `CNI_IFNAME` (an interface plugin), so exactly
    /// one result interface must name it in `CNI_NETNS`.
    pub creates_interface: bool,
}

/// The links, addresses and routes of one namespace, read once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelState {
    pub links: Vec<Link>,
    pub addresses: Vec<Address>,
    pub routes: Vec<Route>,
}

impl KernelState {
    pub fn read(handle: &Handle) -> Result<KernelState, netlink::Error> {
        Ok(KernelState {
            links: handle.links()?,
            addresses: handle.addresses()?,
            routes: handle.routes()?,
        })
    }

    fn link(&self, name: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.name == name)
    }

    fn link_name(&self, index: u32) -> String {
        self.links
            .iter()
            .find(|l| l.index == index)
            .map_or_else(|| format!("#{index}"), |l| l.name.clone())
    }
}

/// One way the result and the kernel disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The catalogue rule broken: P-ADD-5, P-ADD-6, P-ADD-7, F-RES-7.
    pub rule: &'static str,
    /// The rule's level; SHOULD where the catalogue grades this case lower
    /// (an `interface` index of -1, a `sandbox` other than `CNI_NETNS`).
    pub level: Level,
    pub message: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.rule)
    }
}

impl Mismatch {
    fn new(rule: &'static str, message: String) -> Mismatch {
        let level = lookup(rule).map_or(Level::Must, |r| r.level);
        Mismatch {
            rule,
            level,
            message,
        }
    }

    fn should(rule: &'static str, message: String) -> Mismatch {
        Mismatch {
            rule,
            level: Level::Should,
            message,
        }
    }
}

/// Reads both namespaces and checks the result against them.
pub fn verify_add(
    result: &Result100,
    context: &AddContext<'_>,
    host: &Handle,
    container: &Handle,
) -> Result<Vec<Mismatch>, netlink::Error> {
    Ok(check_add(
        result,
        context,
        &KernelState::read(host)?,
        &KernelState::read(container)?,
    ))
}

/// Checks the result against what was read of both namespaces. An empty
/// list: the result and the kernel agree.
pub fn check_add(
    result: &Result100,
    context: &AddContext<'_>,
    host: &KernelState,
    container: &KernelState,
) -> Vec<Mismatch> {
    let namespaces = Namespaces { host, container };
    let mut found = Vec::new();
    check_interfaces(result, context, &namespaces, &mut found);
    check_ips(result, &namespaces, &mut found);
    check_routes(result, container, &mut found);
    found
}

struct Namespaces<'a> {
    host: &'a KernelState,
    container: &'a KernelState,
}

impl<'a> Namespaces<'a> {
    /// Where an interface is, by its `sandbox`: empty is the host; anything
    /// else is looked for in the container (a `sandbox` that is not
    /// `CNI_NETNS` is reported by the interface check).
    fn of(&self, interface: &Interface100) -> (&'a KernelState, &'static str) {
        if interface.sandbox.is_empty() {
            (self.host, "the host")
        } else {
            (self.container, "the container")
        }
    }
}

fn check_interfaces(
    result: &Result100,
    context: &AddContext<'_>,
    namespaces: &Namespaces<'_>,
    found: &mut Vec<Mismatch>,
) {
    for (i, interface) in result.interfaces.iter().enumerate() {
        let label = format!("interfaces[{i}] {}", interface.name);
        if !interface.sandbox.is_empty() && interface.sandbox != context.netns {
            found.push(Mismatch::should(
                "P-ADD-5",
                format!(
                    "{label}: sandbox is {:?}, CNI_NETNS is {:?}",
                    interface.sandbox, context.netns
                ),
            ));
        }
        let (state, place) = namespaces.of(interface);
        let Some(link) = state.link(&interface.name) else {
            found.push(Mismatch::new("P-ADD-5", format!("{label}: not in {place}")));
            continue;
        };
        if !interface.mac.is_empty() {
            let kernel = link.mac.as_deref().unwrap_or("none");
            if normal_mac(&interface.mac) != normal_mac(kernel) {
                found.push(Mismatch::new(
                    "P-ADD-5",
                    format!(
                        "{label}: MAC is {kernel} in {place}, the result says {}",
                        interface.mac
                    ),
                ));
            }
        }
        if let Some(mtu) = interface.mtu {
            if u64::from(link.mtu) != mtu {
                found.push(Mismatch::new(
                    "F-RES-7",
                    format!(
                        "{label}: MTU is {} in {place}, the result says {mtu}",
                        link.mtu
                    ),
                ));
            }
        }
    }

    if context.creates_interface {
        let named = result
            .interfaces
            .iter()
            .filter(|i| i.name == context.ifname && i.sandbox == context.netns)
            .count();
        let ifname = context.ifname;
        match named {
            1 => {}
            0 => found.push(Mismatch::new(
                "P-ADD-5",
                format!("interfaces: none is {ifname} with sandbox CNI_NETNS"),
            )),
            n => found.push(Mismatch::new(
                "P-ADD-5",
                format!("interfaces: {n} are {ifname} with sandbox CNI_NETNS, one is expected"),
            )),
        }
    }
}

/// MACs compare case-insensitively, with `-` taken for `:`.
fn normal_mac(mac: &str) -> String {
    mac.to_ascii_lowercase().replace('-', ":")
}

fn check_ips(result: &Result100, namespaces: &Namespaces<'_>, found: &mut Vec<Mismatch>) {
    let count = result.interfaces.len();
    for (i, ip) in result.ips.iter().enumerate() {
        // Without an index the result does not say where the address is.
        let Some(index) = ip.interface else {
            continue;
        };
        let label = format!("ips[{i}] {}", ip.address);
        let Some(interface) = usize::try_from(index)
            .ok()
            .and_then(|n| result.interfaces.get(n))
        else {
            let message = format!(
                "{label}: interface {index} is out of range (the result has {count} interfaces)"
            );
            // Some plugins write -1 for "no interface"; the catalogue grades that lower.
            found.push(if index < 0 {
                Mismatch::should("P-ADD-6", message)
            } else {
                Mismatch::new("P-ADD-6", message)
            });
            continue;
        };
        let (state, _) = namespaces.of(interface);
        // A missing interface is reported once, by the interface check.
        let Some(link) = state.link(&interface.name) else {
            continue;
        };
        let on_link: Vec<&Address> = state
            .addresses
            .iter()
            .filter(|a| a.index == link.index)
            .collect();
        if !on_link.iter().any(|a| a.address == ip.address) {
            // The kernel's own link-local addresses would only clutter this.
            let configured: Vec<IpNet> = on_link
                .iter()
                .filter(|a| !a.is_kernel_link_local())
                .filter(|a| same_family(a.address.addr(), ip.address.addr()))
                .map(|a| a.address)
                .collect();
            let has = if configured.is_empty() {
                "none".to_owned()
            } else {
                join(&configured)
            };
            found.push(Mismatch::new(
                "P-ADD-6",
                format!("{label}: not configured on {} (has {has})", interface.name),
            ));
        }
    }
}

fn check_routes(result: &Result100, container: &KernelState, found: &mut Vec<Mismatch>) {
    for (i, route) in result.routes.iter().enumerate() {
        let mut label = format!("routes[{i}] {}", route.dst);
        if let Some(gw) = route.gw {
            label.push_str(&format!(" via {gw}"));
        }
        let dst = route.dst.trunc();
        // Unicast routes only, in any table but the kernel's `local`: a
        // result without `table` may have been installed in another table.
        let to_dst: Vec<&Route> = container
            .routes
            .iter()
            .filter(|r| {
                r.dst == dst && r.kind == RouteType::UNICAST && r.table != Route::TABLE_LOCAL
            })
            .collect();
        let through: Vec<&Route> = to_dst
            .iter()
            .copied()
            .filter(|r| gateway_matches(route, r, result))
            .collect();
        if through.is_empty() {
            let mut message = format!("{label}: not installed in the container");
            if !to_dst.is_empty() {
                let shown: Vec<String> = to_dst.iter().map(|r| describe(r, container)).collect();
                message.push_str(&format!(" (it has {dst} {})", shown.join(", and ")));
            }
            found.push(Mismatch::new("P-ADD-7", message));
            continue;
        }
        let best = through
            .iter()
            .map(|r| extended_differences(route, r))
            .min_by_key(Vec::len)
            .unwrap_or_default();
        if !best.is_empty() {
            found.push(Mismatch::new(
                "F-RES-7",
                format!("{label}: {}", best.join("; ")),
            ));
        }
    }
}

/// A route with `gw` needs that gateway. One without may be installed via
/// the `ips[].gateway` of its family (as libcni's `ConfigureIface` does), or
/// directly connected: the kernel then keeps no gateway at all, which is
/// also what it installs by itself for an address's own subnet.
fn gateway_matches(route: &ResultRoute, kernel: &Route, result: &Result100) -> bool {
    match route.gw {
        Some(gw) => kernel.has_gateway(gw),
        None => {
            let direct =
                kernel.gateway.is_none() && kernel.nexthops.iter().all(|h| h.gateway.is_none());
            direct
                || result
                    .ips
                    .iter()
                    .filter_map(|ip| ip.gateway)
                    .filter(|gw| same_family(*gw, route.dst.addr()))
                    .any(|gw| kernel.has_gateway(gw))
        }
    }
}

/// The 1.1.0 route fields the kernel route lacks or has otherwise.
fn extended_differences(route: &ResultRoute, kernel: &Route) -> Vec<String> {
    let mut differences = Vec::new();
    if let Some(table) = route.table {
        if u64::from(kernel.table) != table {
            differences.push(format!(
                "in table {} in the container, the result says table {table}",
                table_name(kernel.table)
            ));
        }
    }
    if let Some(priority) = route.priority {
        let metric = kernel.priority.unwrap_or(0);
        // IPv6 has no metric 0: the kernel installs what was asked as 0 at
        // its default, 1024.
        let asked_as = if priority == 0 && !route.dst.addr().is_ipv4() {
            1024
        } else {
            priority
        };
        if u64::from(metric) != asked_as {
            differences.push(format!(
                "metric is {metric} in the container, the result says priority {priority}"
            ));
        }
    }
    if let Some(scope) = route.scope {
        if u64::from(kernel.scope.0) != scope {
            differences.push(format!(
                "scope is {} ({}) in the container, the result says {scope}",
                kernel.scope.0, kernel.scope
            ));
        }
    }
    for (name, claimed, actual) in [
        ("mtu", route.mtu, kernel.mtu),
        ("advmss", route.advmss, kernel.advmss),
    ] {
        if let Some(claimed) = claimed {
            if actual.map(u64::from) != Some(claimed) {
                let actual = actual.map_or_else(|| "not set".to_owned(), |v| v.to_string());
                differences.push(format!(
                    "{name} is {actual} in the container, the result says {claimed}"
                ));
            }
        }
    }
    differences
}

/// A kernel route as `ip route` shows it, after its destination.
fn describe(route: &Route, state: &KernelState) -> String {
    let mut text = String::new();
    if let Some(gateway) = route.gateway {
        text.push_str(&format!("via {gateway} "));
    }
    if let Some(oif) = route.oif {
        text.push_str(&format!("dev {} ", state.link_name(oif)));
    }
    if let Some(metric) = route.priority {
        text.push_str(&format!("metric {metric} "));
    }
    if route.scope != Scope::UNIVERSE {
        text.push_str(&format!("scope {} ", route.scope));
    }
    text.push_str(&format!("table {}", table_name(route.table)));
    text
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

fn join(nets: &[IpNet]) -> String {
    nets.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
