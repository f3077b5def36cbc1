//! What the kernel shows of a namespace, read with `cnitest::netlink`.

use cnitest::netlink::{Link, Route};
use ipnet::IpNet;

use super::world::World;

pub fn link(world: &World, ns: &str, name: &str) -> Option<Link> {
    world.handle(ns).link(name).expect("look up a link")
}

/// Every link but loopback.
pub fn links(world: &World, ns: &str) -> Vec<Link> {
    world
        .handle(ns)
        .links()
        .expect("list links")
        .into_iter()
        .filter(|l| l.name != "lo")
        .collect()
}

/// The addresses of `name`, without the kernel's own link-local ones.
pub fn addresses(world: &World, ns: &str, name: &str) -> Vec<IpNet> {
    let handle = world.handle(ns);
    let Some(link) = handle.link(name).expect("look up a link") else {
        return Vec::new();
    };
    handle
        .addresses()
        .expect("list addresses")
        .into_iter()
        .filter(|a| a.index == link.index && !a.is_kernel_link_local())
        .map(|a| a.address)
        .collect()
}

pub fn routes(world: &World, ns: &str) -> Vec<Route> {
    world.handle(ns).routes().expect("list routes")
}
