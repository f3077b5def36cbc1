//! CHECK: the kernel against `prevResult` (P-CHECK-2). Every difference in
//! what this plugin made fails with a message that says what and where
//! (P-CHECK-4): the container end missing, down, not a veth, with another
//! MAC or MTU, an address or route missing; the host end missing or not its
//! peer. `prevResult` already holds what later plugins changed (a MAC, a
//! route), so comparing with it allows for them (P-CHECK-3). Then the IPAM
//! plugin checks its reservation (P-CHECK-7).

use cnitest::netlink::{Handle, Link};
use cnitest::spec::Command;
use cnitest::spec::result::{Interface100, Result100};

use super::config::InterfaceConfig;
use super::names::host_veth_name;
use crate::delegate::Delegate;
use crate::error::PluginError;
use crate::faults::Fault;
use crate::netns::Netns;
use crate::skel::Request;

pub fn check(req: &Request) -> Result<(), PluginError> {
    let attachment = req.attachment()?;
    let config = InterfaceConfig::from_request(req)?;
    let prev = req.prev_result()?.ok_or_else(|| {
        PluginError::config(
            "prevResult",
            "missing; CHECK compares the kernel with the result of ADD",
        )
    })?;
    let ipam = Delegate::find(&config.ipam_type, req)?;
    let netns = Netns::open_required(attachment.netns()?)?;
    let ifname = attachment.ifname.as_str();
    let fail = |why: String| Err(PluginError::CheckFailed(why));

    let Some(index) = prev
        .interfaces
        .iter()
        .position(|i| i.name == ifname && !i.sandbox.is_empty())
    else {
        return fail(format!(
            "prevResult lists no interface {ifname:?} in a container"
        ));
    };
    let expected = &prev.interfaces[index];
    let container = Handle::in_netns(netns.fd())?;
    let Some(link) = container.link(ifname)? else {
        return fail(format!(
            "interface {ifname:?} is missing from the container"
        ));
    };
    check_link(&link, expected, config.mtu)?;
    if !req.has(Fault::CheckIgnoresPrevResult) {
        check_addresses(&container, &link, &prev, index)?;
        check_routes(&container, &prev)?;
    }

    let host_name = host_veth_name(&attachment.container_id, ifname);
    let host = Handle::current()?;
    let Some(host_link) = host.link(host_name.as_str())? else {
        return fail(format!("host interface {host_name:?} is missing"));
    };
    if link.veth_peer().map(|p| p.index) != Some(host_link.index)
        || host_link.veth_peer().map(|p| p.index) != Some(link.index)
    {
        return fail(format!(
            "host interface {host_name:?} is not the peer of {ifname:?}"
        ));
    }
    if let Some(listed) = prev
        .interfaces
        .iter()
        .find(|i| i.name == host_name && i.sandbox.is_empty())
    {
        check_link(&host_link, listed, config.mtu)?;
    }

    if !req.has(Fault::CheckNotForwarded) {
        ipam.call(Command::Check)?;
    }
    Ok(())
}

/// Kind, state, MAC and MTU of one link.
fn check_link(
    link: &Link,
    expected: &Interface100,
    configured_mtu: Option<u32>,
) -> Result<(), PluginError> {
    let name = &link.name;
    let fail = |why: String| Err(PluginError::CheckFailed(why));
    if !link.is_veth() {
        let kind = link.kind.as_deref().unwrap_or("link without a kind");
        return fail(format!("interface {name:?} is a {kind}, not a veth"));
    }
    if !link.up {
        return fail(format!("interface {name:?} is down"));
    }
    let mac = link.mac.as_deref().unwrap_or_default();
    if !expected.mac.is_empty() && !expected.mac.eq_ignore_ascii_case(mac) {
        return fail(format!(
            "interface {name:?} has MAC {mac}, prevResult says {}",
            expected.mac
        ));
    }
    // The MTU a 1.1.0 result states, or else the one configured.
    let mtu = expected.mtu.or(configured_mtu.map(u64::from));
    if let Some(mtu) = mtu.filter(|m| *m != u64::from(link.mtu)) {
        return fail(format!(
            "interface {name:?} has MTU {}, expected {mtu}",
            link.mtu
        ));
    }
    Ok(())
}

/// Every address `prevResult` puts on the container interface.
fn check_addresses(
    container: &Handle,
    link: &Link,
    prev: &Result100,
    index: usize,
) -> Result<(), PluginError> {
    let present = container.addresses()?;
    let want = i64::try_from(index).unwrap_or_default();
    for ip in prev.ips.iter().filter(|ip| ip.interface == Some(want)) {
        if !present
            .iter()
            .any(|a| a.index == link.index && a.address == ip.address)
        {
            return Err(PluginError::CheckFailed(format!(
                "address {} is missing from interface {:?}",
                ip.address, link.name
            )));
        }
    }
    Ok(())
}

/// Every route of `prevResult`, by destination and, if it names one, gateway.
fn check_routes(container: &Handle, prev: &Result100) -> Result<(), PluginError> {
    let present = container.routes()?;
    for route in &prev.routes {
        let found = present
            .iter()
            .any(|r| r.dst == route.dst.trunc() && route.gw.is_none_or(|gw| r.has_gateway(gw)));
        if !found {
            let via = route.gw.map(|gw| format!(" via {gw}")).unwrap_or_default();
            return Err(PluginError::CheckFailed(format!(
                "route to {}{via} is missing from the container",
                route.dst
            )));
        }
    }
    Ok(())
}
