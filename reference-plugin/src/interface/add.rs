//! ADD: a veth pair with its host end here, in the runtime's namespace, and
//! its container end named `CNI_IFNAME` in `CNI_NETNS`, addressed and routed
//! as the IPAM plugin says.
//!
//! Nothing may be left behind by a failed ADD: once the pair exists or the
//! IPAM plugin has been asked for addresses, a failure undoes both (the
//! IPAM plugin gets a DEL, P-DELEG-7).

use std::net::IpAddr;

use cnitest::netlink::{Handle, Link, RouteSpec, Veth};
use cnitest::spec::Command;
use cnitest::spec::result::{Interface100, IpConfig100, Result100};

use super::config::InterfaceConfig;
use super::names::host_veth_name;
use crate::delegate::Delegate;
use crate::error::PluginError;
use crate::faults::Fault;
use crate::netns::Netns;
use crate::skel::{AddOutput, Request};

/// The name the `add-ignores-ifname` switch gives the container end.
const IGNORED_IFNAME: &str = "refeth0";

pub fn add(req: &Request) -> Result<AddOutput, PluginError> {
    let attachment = req.attachment()?;
    let config = InterfaceConfig::from_request(req)?;
    let ipam = Delegate::find(&config.ipam_type, req)?;
    let netns = Netns::open_required(attachment.netns()?)?;
    let host = Handle::current()?;
    let container = Handle::in_netns(netns.fd())?;
    let ifname = if req.has(Fault::AddIgnoresIfname) {
        IGNORED_IFNAME
    } else {
        attachment.ifname.as_str()
    };
    let host_name = host_veth_name(&attachment.container_id, &attachment.ifname);

    // P-ADD-3: an existing interface of that name is an error, and nothing
    // has been changed yet.
    let created = match container.link(ifname)? {
        Some(_) if !req.has(Fault::AddOverExisting) => {
            return Err(PluginError::InterfaceExists {
                name: ifname.to_owned(),
            });
        }
        Some(_) => false,
        None => {
            let mut veth = Veth::new(&host_name, ifname);
            veth.mtu = config.mtu;
            veth.peer_mac = config.mac;
            veth.peer_netns = Some(netns.fd());
            host.create_veth(&veth)?;
            true
        }
    };

    let mut plumbing = Plumbing {
        req,
        config: &config,
        ipam: &ipam,
        host: &host,
        container: &container,
        netns: &netns,
        ifname,
        host_name: &host_name,
        created,
        ipam_called: false,
    };
    match plumbing.finish() {
        Ok(result) => Ok(AddOutput::Built(result)),
        Err(e) => {
            plumbing.undo();
            Err(e)
        }
    }
}

/// What ADD has made so far, and how to finish or undo it.
struct Plumbing<'a> {
    req: &'a Request,
    config: &'a InterfaceConfig,
    ipam: &'a Delegate,
    host: &'a Handle,
    container: &'a Handle,
    netns: &'a Netns,
    ifname: &'a str,
    host_name: &'a str,
    created: bool,
    ipam_called: bool,
}

impl Plumbing<'_> {
    fn finish(&mut self) -> Result<Result100, PluginError> {
        if self.created {
            self.host.set_up(self.host_name)?;
        }
        self.ipam_called = true;
        let ipam = self.ipam.add(self.req)?;

        let link = self.container_link()?;
        if !self.created {
            // Only the `add-over-existing` switch gets here: the foreign link
            // is adopted and made to look like ours.
            if let Some(mtu) = self.config.mtu {
                self.container.set_mtu(link.index, mtu)?;
            }
            if let Some(mac) = self.config.mac {
                self.container.set_down(link.index)?;
                self.container.set_mac(link.index, mac)?;
            }
        }
        self.container.set_up(link.index)?;
        for ip in &ipam.ips {
            self.container.add_address(link.index, ip.address)?;
        }
        for route in &ipam.routes {
            let mut spec = RouteSpec::new(route.dst);
            // A route without `gw` goes through the gateway of its family
            // (1.0.0+: "a value in `gateway` in the ips array may be used").
            spec.gateway = route
                .gw
                .or_else(|| gateway_for(&ipam.ips, route.dst.addr()));
            spec.oif = Some(link.index);
            self.container.add_route(&spec)?;
        }
        self.result(ipam)
    }

    /// The result, with MACs and MTUs read back from the kernel.
    fn result(&self, ipam: Result100) -> Result<Result100, PluginError> {
        let link = self.container_link()?;
        let mut interfaces = Vec::new();
        if self.created {
            let host_link =
                self.host
                    .link(self.host_name)?
                    .ok_or_else(|| PluginError::NoSuchInterface {
                        name: self.host_name.to_owned(),
                    })?;
            let mut host_end =
                Interface100::new(self.host_name, host_link.mac.unwrap_or_default(), "");
            host_end.mtu = Some(host_link.mtu.into());
            interfaces.push(host_end);
        }
        let sandbox = self.netns.path().display().to_string();
        let mut container_end =
            Interface100::new(self.ifname, link.mac.unwrap_or_default(), sandbox);
        container_end.mtu = Some(link.mtu.into());
        interfaces.push(container_end);
        let index = i64::try_from(interfaces.len() - 1).unwrap_or_default();
        Ok(Result100 {
            cni_version: self.req.version,
            interfaces,
            ips: ipam
                .ips
                .into_iter()
                .map(|ip| IpConfig100 {
                    interface: Some(index),
                    ..ip
                })
                .collect(),
            routes: ipam.routes,
            dns: if ipam.dns.is_empty() {
                self.config.dns.clone()
            } else {
                ipam.dns
            },
        })
    }

    fn container_link(&self) -> Result<Link, PluginError> {
        self.container
            .link(self.ifname)?
            .ok_or_else(|| PluginError::NoSuchInterface {
                name: self.ifname.to_owned(),
            })
    }

    /// Best effort: the error being returned matters more than these.
    fn undo(&self) {
        if self.created {
            if let Err(e) = self.host.delete_link(self.host_name) {
                if !e.is_not_found() {
                    eprintln!("cni-reference: undoing ADD: {e}");
                }
            }
        }
        if self.ipam_called && !self.req.has(Fault::NoIpamDelAfterFailedAdd) {
            if let Err(e) = self.ipam.call(Command::Del) {
                eprintln!("cni-reference: undoing ADD: {e}");
            }
        }
    }
}

/// The `gateway` of the first address of `dst`'s family.
fn gateway_for(ips: &[IpConfig100], dst: IpAddr) -> Option<IpAddr> {
    ips.iter()
        .filter_map(|ip| ip.gateway)
        .find(|gw| gw.is_ipv4() == dst.is_ipv4())
}
