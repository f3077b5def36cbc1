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

    /// Sets the MAC with the link down, as not every driver takes a new
    /// address while up, and brings it back up if it was.
    pub fn set_mac(&self, mac: MacAddr) -> Result<(), PluginError> {
        let was_up = self.require()?.up;
        self.handle.set_down(self.ifname)?;
        self.handle.set_mac(self.ifname, mac)?;
        if was_up {
            self.handle.set_up(self.ifname)?;
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
