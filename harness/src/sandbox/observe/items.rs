//! A fingerprint as a flat list of things, each with a stable key, a name a
//! person reads ("link veth1a2b3c (veth)"), the category it is counted in
//! when telling a steady state from growth, and its attributes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use ipnet::IpNet;

use super::files::{FileFacts, FileKind};
use super::fingerprint::{AddressFacts, Fingerprint, LinkEnd, LinkFacts, RouteFacts};
use crate::netlink::table_name;

/// The parts of a fingerprint, in the order changes are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Section {
    Link,
    Address,
    Route,
    Firewall,
    File,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub subject: String,
    pub category: String,
    pub attributes: Vec<(&'static str, String)>,
}

pub(crate) type Items = BTreeMap<(Section, String), Item>;

/// Which optional parts to compare: only those every fingerprint has.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parts {
    pub firewall: bool,
    pub files: bool,
}

impl Parts {
    pub fn common(fingerprints: &[&Fingerprint]) -> Parts {
        Parts {
            firewall: fingerprints.iter().all(|f| f.firewall.is_some()),
            files: fingerprints.iter().all(|f| f.files.is_some()),
        }
    }
}

pub(crate) fn items(fingerprint: &Fingerprint, parts: Parts) -> Items {
    let mut items = Items::new();
    for (name, link) in &fingerprint.links {
        items.insert((Section::Link, name.clone()), link_item(name, link));
    }
    for address in &fingerprint.addresses {
        let item = address_item(address);
        items.insert((Section::Address, item.subject.clone()), item);
    }
    for route in &fingerprint.routes {
        let item = route_item(route);
        items.insert((Section::Route, item.subject.clone()), item);
    }
    if parts.firewall {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for line in fingerprint.firewall.iter().flatten() {
            let copy = seen.entry(line.as_str()).or_default();
            *copy += 1;
            let item = rule_item(line, *copy);
            items.insert((Section::Firewall, item.subject.clone()), item);
        }
    }
    if parts.files {
        for (path, facts) in fingerprint.files.iter().flatten() {
            items.insert(
                (Section::File, path.display().to_string()),
                file_item(path, facts),
            );
        }
    }
    items
}

fn link_item(name: &str, link: &LinkFacts) -> Item {
    let subject = match &link.kind {
        Some(kind) => format!("link {name} ({kind})"),
        None => format!("link {name}"),
    };
    let category = match &link.kind {
        Some(kind) => format!("{kind} links"),
        None => "links without a kind".to_owned(),
    };
    let end = |end: &Option<LinkEnd>| match end {
        Some(LinkEnd::Here(name)) => name.clone(),
        Some(LinkEnd::Elsewhere) => "in another namespace".to_owned(),
        None => "none".to_owned(),
    };
    Item {
        subject,
        category,
        attributes: vec![
            ("kind", or_none(link.kind.as_ref())),
            ("mac", or_none(link.mac.as_ref())),
            ("mtu", link.mtu.to_string()),
            ("state", if link.up { "up" } else { "down" }.to_owned()),
            ("master", or_none(link.master.as_ref())),
            ("peer", end(&link.peer)),
            ("parent", end(&link.parent)),
        ],
    }
}

fn address_item(address: &AddressFacts) -> Item {
    Item {
        subject: format!("address {} on {}", address.address, address.link),
        category: format!("{} addresses", family(&address.address)),
        attributes: vec![("scope", address.scope.clone())],
    }
}

/// Named as `ip route` would show it, without the attributes that do not
/// tell two routes apart (scope, protocol, source, metrics).
fn route_item(route: &RouteFacts) -> Item {
    let mut subject = String::from("route ");
    if route.kind != "unicast" {
        subject.push_str(&route.kind);
        subject.push(' ');
    }
    let _ = write!(subject, "{}", route.dst);
    if let Some(gateway) = route.gateway {
        let _ = write!(subject, " via {gateway}");
    }
    if let Some(dev) = &route.dev {
        let _ = write!(subject, " dev {dev}");
    }
    for (gateway, dev) in &route.nexthops {
        subject.push_str(" nexthop");
        if let Some(gateway) = gateway {
            let _ = write!(subject, " via {gateway}");
        }
        if let Some(dev) = dev {
            let _ = write!(subject, " dev {dev}");
        }
    }
    if let Some(metric) = route.metric {
        let _ = write!(subject, " metric {metric}");
    }
    let table = table_name(route.table);
    let _ = write!(subject, " table {table}");
    Item {
        subject,
        category: format!("{} routes in table {table}", family(&route.dst)),
        attributes: vec![
            ("scope", route.scope.clone()),
            ("proto", route.protocol.clone()),
            ("src", or_none(route.prefsrc.as_ref())),
            ("mtu", or_none(route.mtu.as_ref())),
            ("advmss", or_none(route.advmss.as_ref())),
        ],
    }
}

/// Rules are counted by chain, so a chain that gains a rule per container
/// grows, and a per-container chain that stays is a category of its own.
fn rule_item(line: &str, copy: usize) -> Item {
    let subject = if copy == 1 {
        format!("firewall rule {line:?}")
    } else {
        format!("firewall rule {line:?} (copy {copy})")
    };
    let mut words = line.split_whitespace();
    let category = match (words.next(), words.next()) {
        (Some("-A" | "-I"), Some(chain)) => format!("firewall rules in chain {chain}"),
        (Some(first), _) if first.starts_with(':') => "firewall chains".to_owned(),
        _ => "firewall rules".to_owned(),
    };
    Item {
        subject,
        category,
        attributes: Vec::new(),
    }
}

fn file_item(path: &Path, facts: &FileFacts) -> Item {
    let noun = match facts.kind {
        FileKind::File => "file",
        FileKind::Directory => "directory",
        FileKind::Symlink => "symlink",
        FileKind::Other => "special file",
    };
    let parent = path.parent().unwrap_or(Path::new("/"));
    let mut attributes = vec![("kind", noun.to_owned())];
    if facts.kind == FileKind::File {
        attributes.push(("size", facts.size.to_string()));
    }
    let content = facts.describe();
    if !content.is_empty() {
        attributes.push(("content", content));
    }
    Item {
        subject: format!("{noun} {}", path.display()),
        category: format!("files in {}", parent.display()),
        attributes,
    }
}

fn family(net: &IpNet) -> &'static str {
    match net {
        IpNet::V4(_) => "IPv4",
        IpNet::V6(_) => "IPv6",
    }
}

fn or_none<T: ToString>(value: Option<&T>) -> String {
    value.map_or_else(|| "none".to_owned(), ToString::to_string)
}
