//! What cases do to a sandbox besides running plugins: tamper with a container before CHECK, give
//! the fake host a parent interface, put an interface in the container's way. Every change goes
//! through netlink sockets opened inside the namespace it touches.

use std::os::fd::AsFd;

use crate::netlink::{Handle, LinkRef, MacAddr, RouteSpec, Veth};

use super::container::Container;
use super::error::SandboxError;
use super::instance::Sandbox;

/// Longest interface name the kernel accepts (IFNAMSIZ - 1).
pub const IFNAME_MAX: usize = 15;

/// A veth pair in the fake host, for plugins that need a parent link (macvlan, ipvlan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentInterface {
    /// The end to name as the plugin's `master`.
    pub name: String,
    /// The other end, also in the fake host.
    pub peer: String,
}

impl Sandbox {
    /// A netlink handle on the fake host.
    pub fn host_netlink(&self) -> Result<Handle, SandboxError> {
        Handle::in_netns(self.net.as_fd()).map_err(SandboxError::netlink(
            "open a netlink socket in the fake host",
        ))
    }

    /// Creates a veth pair `name` / `<name>p` in the fake host, both ends up, to serve as a parent
    /// interface.
    pub fn create_parent_interface(&self, name: &str) -> Result<ParentInterface, SandboxError> {
        check_ifname(name)?;
        let peer = peer_name(name, "p");
        let handle = self.host_netlink()?;
        handle
            .create_veth(&Veth::new(name, peer.as_str()))
            .map_err(SandboxError::netlink(format!(
                "create parent interface {name} in the fake host"
            )))?;
        for end in [name, peer.as_str()] {
            handle.set_up(end).map_err(SandboxError::netlink(format!(
                "set {end} up in the fake host"
            )))?;
        }
        Ok(ParentInterface {
            name: name.to_owned(),
            peer,
        })
    }

    /// Puts an interface named `ifname` in container `container` before ADD, so that ADD must
    /// fail because `CNI_IFNAME` exists. It is a veth whose peer stays in the fake host (this
    /// kernel has no dummy links); the peer's name is returned.
    pub fn precreate_interface(
        &self,
        container: &str,
        ifname: &str,
    ) -> Result<String, SandboxError> {
        check_ifname(ifname)?;
        let target = self.container(container).ok_or_else(|| {
            SandboxError::invalid(format!(
                "pre-create {ifname} in container {container:?} (no such container)"
            ))
        })?;
        let peer = peer_name(&format!("pre-{ifname}"), "");
        let mut veth = Veth::new(ifname, peer.as_str());
        veth.netns = Some(target.fd());
        self.host_netlink()?
            .create_veth(&veth)
            .map_err(SandboxError::netlink(format!(
                "pre-create interface {ifname} in container netns {container}"
            )))?;
        Ok(peer)
    }
}

impl Container {
    /// A netlink handle on this container netns.
    pub fn netlink(&self) -> Result<Handle, SandboxError> {
        Handle::in_netns(self.fd()).map_err(SandboxError::netlink(format!(
            "open a netlink socket in container netns {}",
            self.name()
        )))
    }

    fn change<T>(
        &self,
        what: String,
        apply: impl FnOnce(&Handle) -> Result<T, crate::netlink::Error>,
    ) -> Result<T, SandboxError> {
        let handle = self.netlink()?;
        apply(&handle).map_err(SandboxError::netlink(format!(
            "{what} in container netns {}",
            self.name()
        )))
    }

    /// Deletes a link (a veth takes its peer in the fake host with it).
    pub fn delete_link(&self, link: &str) -> Result<(), SandboxError> {
        self.change(format!("delete link {link}"), |handle| {
            handle.delete_link(link)
        })
    }

    /// Removes every address of a link.
    pub fn flush_addresses(&self, link: &str) -> Result<(), SandboxError> {
        self.change(format!("flush the addresses of {link}"), |handle| {
            let index = index_of(handle, link)?;
            handle.flush_addresses(index)
        })
    }

    /// Removes a route.
    pub fn remove_route(&self, route: &RouteSpec) -> Result<(), SandboxError> {
        self.change(format!("remove {route}"), |handle| {
            handle.delete_route(route)
        })
    }

    /// Sets a link administratively down.
    pub fn set_link_down(&self, link: &str) -> Result<(), SandboxError> {
        self.change(format!("set {link} down"), |handle| handle.set_down(link))
    }

    /// Changes a link's MAC address.
    pub fn set_mac(&self, link: &str, mac: MacAddr) -> Result<(), SandboxError> {
        self.change(format!("set the MAC of {link} to {mac}"), |handle| {
            handle.set_mac(link, mac)
        })
    }

    /// Changes a link's MTU.
    pub fn set_mtu(&self, link: &str, mtu: u32) -> Result<(), SandboxError> {
        self.change(format!("set the MTU of {link} to {mtu}"), |handle| {
            handle.set_mtu(link, mtu)
        })
    }
}

fn index_of(handle: &Handle, link: &str) -> Result<u32, crate::netlink::Error> {
    match handle.link(LinkRef::Name(link))? {
        Some(found) => Ok(found.index),
        None => Err(crate::netlink::Error::new(
            format!("find link {link:?}"),
            crate::netlink::ErrorKind::Kernel {
                errno: libc::ENODEV,
                message: None,
            },
        )),
    }
}

fn check_ifname(name: &str) -> Result<(), SandboxError> {
    let valid = !name.is_empty()
        && name.len() <= IFNAME_MAX
        && !name.contains(['/', ' ', ':', '\0'])
        && name != "."
        && name != "..";
    if valid {
        Ok(())
    } else {
        Err(SandboxError::invalid(format!(
            "use {name:?} as an interface name (1 to {IFNAME_MAX} bytes, no '/', ':' or spaces)"
        )))
    }
}

/// `<base><suffix>`, shortened so it stays a valid interface name.
fn peer_name(base: &str, suffix: &str) -> String {
    let keep = IFNAME_MAX.saturating_sub(suffix.len());
    let mut name: String = base.chars().take(keep).collect();
    while name.len() > keep {
        name.pop();
    }
    name.push_str(suffix);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_names_stay_valid() {
        assert_eq!(peer_name("macparent", "p"), "macparentp");
        assert_eq!(peer_name("averyveryverylong", "p"), "averyveryverylp");
        assert_eq!(peer_name("pre-eth0", ""), "pre-eth0");
        assert!(check_ifname("averyveryverylong").is_err());
        assert!(check_ifname("eth0").is_ok());
    }
}
