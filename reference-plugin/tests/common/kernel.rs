//! What the kernel shows of a namespace, read with `cnitest::netlink`.

use cnitest::netlink::{Address, Handle, Link, Route};
use ipnet::IpNet;

use super::ns::netns_path;

pub fn handle(ns: &str) -> Handle {
    Handle::in_netns_path(&netns_path(ns)).expect("netlink handle in the namespace")
}

pub fn link(ns: &str, name: &str) -> Option<Link> {
    handle(ns).link(name).expect("look up a link")
}

/// Every link but loopback.
pub fn links(ns: &str) -> Vec<Link> {
    handle(ns)
        .links()
        .expect("list links")
        .into_iter()
        .filter(|l| l.name != "lo")
        .collect()
}

/// The addresses of `name`, without the kernel's own link-local ones.
pub fn addresses(ns: &str, name: &str) -> Vec<IpNet> {
    let Some(link) = link(ns, name) else {
        return Vec::new();
    };
    handle(ns)
        .addresses()
        .expect("list addresses")
        .into_iter()
        .filter(|a: &Address| a.index == link.index && !a.is_kernel_link_local())
        .map(|a| a.address)
        .collect()
}

pub fn routes(ns: &str) -> Vec<Route> {
    handle(ns).routes().expect("list routes")
}
