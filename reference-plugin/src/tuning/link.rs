//! The interface being tuned: reading and changing its settings inside the
//! container's namespace.

use cnitest::netlink::{Handle, Link, MacAddr};

use super::sysctl;
use crate::error::PluginError;
use crate::netns::Netns;
use crate::promisc;

/// `CNI_IFNAME` in `CNI_NETNS`.
#[derive(Debug)]
pub struct Tuned<'a> {
    pub netns: &'a Netns,
    pub handle: Handle,
    pub ifname: &'a str,
}

impl<'a> Tuned<'a> {
    pub fn open(netns: &'a Netns, ifname: &'a str) -> Result<Tuned<'a>, PluginError> {
        Ok(Tuned {
            netns,
            handle: Handle::in_netns(netns.fd())?,
            ifname,
        })
    }

    /// The link, if it exists.
    pub fn link(&self) -> Result<Option<Link>, PluginError> {
        Ok(self.handle.link(self.ifname)?)
    }

    /// The link, which must exist.
    pub fn require(&self) -> Result<Link, PluginError> {
        self.link()?.ok_or_else(|| PluginError::NoSuchInterface {
            name: self.ifname.to_owned(),
        })
    }

    pub fn set_mtu(&self, mtu: u32) -> Result<(), PluginError> {
        Ok(self.handle.set_mtu(self.ifname, mtu)?)
    }

    /// Sets the MAC. Most drivers (veth among them) take a new address
    /// while the link is up; setting a link down makes the kernel drop the
    /// IPv4 routes through it, which the plugin before us installed. So the
    /// link goes down only for drivers that refuse a live change, and the
    /// routes through it are put back after.
    pub fn set_mac(&self, mac: MacAddr) -> Result<(), PluginError> {
        let link = self.require()?;
        match self.handle.set_mac(self.ifname, mac) {
            Ok(()) => return Ok(()),
            Err(e) if e.errno() != Some(libc::EBUSY) => return Err(e.into()),
            Err(_) => {}
        }
        let routes: Vec<_> = self
            .handle
            .routes()?
            .into_iter()
            .filter(|r| {
                r.oif == Some(link.index) && r.protocol != cnitest::netlink::Protocol::KERNEL
            })
            .collect();
        self.handle.set_down(self.ifname)?;
        self.handle.set_mac(self.ifname, mac)?;
        if link.up {
            self.handle.set_up(self.ifname)?;
            for r in &routes {
                let mut spec = cnitest::netlink::RouteSpec::new(r.dst);
                spec.gateway = r.gateway;
                spec.oif = r.oif;
                spec.table = Some(r.table);
                spec.priority = r.priority;
                spec.scope = Some(r.scope);
                spec.mtu = r.mtu;
                spec.advmss = r.advmss;
                self.handle.replace_route(&spec)?;
            }
        }
        Ok(())
    }

    pub fn promisc(&self) -> Result<bool, PluginError> {
        promisc::get(self.netns, self.ifname).map_err(|e| {
            PluginError::kernel(format!("read the promiscuity of {:?}", self.ifname), e)
        })
    }

    pub fn set_promisc(&self, on: bool) -> Result<(), PluginError> {
        promisc::set(self.netns, self.ifname, on).map_err(|e| {
            PluginError::kernel(format!("set the promiscuity of {:?}", self.ifname), e)
        })
    }

    /// A sysctl's value; a key the namespace does not have is a
    /// configuration error.
    pub fn sysctl(&self, key: &str) -> Result<String, PluginError> {
        sysctl::read(self.netns, key).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => PluginError::config(
                format!("sysctl.{key}"),
                "no such setting in the container's namespace",
            ),
            _ => PluginError::kernel(format!("read sysctl {key}"), e),
        })
    }

    pub fn set_sysctl(&self, key: &str, value: &str) -> Result<(), PluginError> {
        sysctl::write(self.netns, key, value)
            .map_err(|e| PluginError::kernel(format!("set sysctl {key} to {value:?}"), e))
    }
}
