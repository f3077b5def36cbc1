//! Which link kinds this kernel can make, probed once in a throwaway netns, so that a scenario
//! needing a missing kind (dummy, vlan, ipvlan and vrf are absent on some kernels) becomes a
//! visible skip with its reason rather than a failure blamed on the plugin.

use std::collections::BTreeMap;
use std::fmt;
use std::os::fd::AsFd;
use std::sync::OnceLock;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    InfoData, InfoIpVlan, InfoKind, InfoMacVlan, InfoVlan, InfoVrf, IpVlanMode, LinkAttribute,
    LinkInfo, LinkMessage, MacVlanMode,
};

use crate::netlink::{self, Bridge, Handle, Veth};

use super::error::SandboxError;

/// A kind of link that scenarios build topologies from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkKind {
    Veth,
    Bridge,
    Macvlan,
    Ipvlan,
    Vlan,
    Dummy,
    Vrf,
    Ifb,
}

impl LinkKind {
    /// Every kind probed.
    pub const ALL: [LinkKind; 8] = [
        LinkKind::Veth,
        LinkKind::Bridge,
        LinkKind::Macvlan,
        LinkKind::Ipvlan,
        LinkKind::Vlan,
        LinkKind::Dummy,
        LinkKind::Vrf,
        LinkKind::Ifb,
    ];

    /// The kernel's name for the kind, as `ip link add type <name>` takes it.
    pub fn name(self) -> &'static str {
        match self {
            LinkKind::Veth => "veth",
            LinkKind::Bridge => "bridge",
            LinkKind::Macvlan => "macvlan",
            LinkKind::Ipvlan => "ipvlan",
            LinkKind::Vlan => "vlan",
            LinkKind::Dummy => "dummy",
            LinkKind::Vrf => "vrf",
            LinkKind::Ifb => "ifb",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<LinkKind> {
        LinkKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for LinkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the probe found: for each kind, nothing (it works) or why it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkKinds {
    missing: BTreeMap<LinkKind, String>,
}

impl LinkKinds {
    /// The kinds of this kernel, probed on first use.
    pub fn get() -> &'static LinkKinds {
        static PROBED: OnceLock<LinkKinds> = OnceLock::new();
        PROBED.get_or_init(|| {
            LinkKinds::probe().unwrap_or_else(|err| LinkKinds {
                missing: LinkKind::ALL
                    .into_iter()
                    .map(|kind| {
                        (
                            kind,
                            format!("link kinds could not be probed: failed to {err}"),
                        )
                    })
                    .collect(),
            })
        })
    }

    /// Probes now: creates one link of each kind in a throwaway netns.
    pub fn probe() -> Result<LinkKinds, SandboxError> {
        let netns = netlink::new_netns()
            .map_err(SandboxError::netlink("make a netns to probe link kinds in"))?;
        let handle = Handle::in_netns(netns.as_fd()).map_err(SandboxError::netlink(
            "open a netlink socket in the probe netns",
        ))?;
        let mut missing = BTreeMap::new();
        let parent = match handle.create_veth(&Veth::new("probe0", "probe1")) {
            Ok(()) => handle.link("probe0").ok().flatten().map(|link| link.index),
            Err(err) => {
                missing.insert(LinkKind::Veth, reason(LinkKind::Veth, &err));
                None
            }
        };
        for kind in LinkKind::ALL
            .into_iter()
            .filter(|kind| *kind != LinkKind::Veth)
        {
            let name = format!("probe-{}", kind.name());
            let attempt = match (kind, parent) {
                (LinkKind::Bridge, _) => handle.create_bridge(&Bridge::new(name.as_str())),
                (LinkKind::Macvlan | LinkKind::Ipvlan | LinkKind::Vlan, None) => {
                    missing.insert(
                        kind,
                        format!("{kind} links need a veth parent, and veth links do not work"),
                    );
                    continue;
                }
                (_, parent) => create(&handle, kind, &name, parent),
            };
            if let Err(err) = attempt {
                missing.insert(kind, reason(kind, &err));
            }
        }
        Ok(LinkKinds { missing })
    }

    /// Whether links of `kind` can be made.
    pub fn supports(&self, kind: LinkKind) -> bool {
        !self.missing.contains_key(&kind)
    }

    /// Ok, or the reason to skip a scenario that needs `kind`.
    pub fn require(&self, kind: LinkKind) -> Result<(), String> {
        match self.missing.get(&kind) {
            None => Ok(()),
            Some(reason) => Err(reason.clone()),
        }
    }

    /// The kinds that do not work, with their reasons.
    pub fn missing(&self) -> &BTreeMap<LinkKind, String> {
        &self.missing
    }
}

fn reason(kind: LinkKind, err: &netlink::Error) -> String {
    match err.errno() {
        Some(libc::EOPNOTSUPP) => format!("this kernel has no {kind} links ({err})"),
        _ => format!("{kind} links could not be made ({err})"),
    }
}

/// Kinds the netlink module has no builder for, made from raw attributes.
fn create(
    handle: &Handle,
    kind: LinkKind,
    name: &str,
    parent: Option<u32>,
) -> Result<(), netlink::Error> {
    let mut message = LinkMessage::default();
    message
        .attributes
        .push(LinkAttribute::IfName(name.to_owned()));
    let info = match kind {
        LinkKind::Dummy => vec![LinkInfo::Kind(InfoKind::Dummy)],
        LinkKind::Ifb => vec![LinkInfo::Kind(InfoKind::Ifb)],
        LinkKind::Vrf => vec![
            LinkInfo::Kind(InfoKind::Vrf),
            LinkInfo::Data(InfoData::Vrf(vec![InfoVrf::TableId(10)])),
        ],
        LinkKind::Vlan => vec![
            LinkInfo::Kind(InfoKind::Vlan),
            LinkInfo::Data(InfoData::Vlan(vec![InfoVlan::Id(10)])),
        ],
        LinkKind::Ipvlan => vec![
            LinkInfo::Kind(InfoKind::IpVlan),
            LinkInfo::Data(InfoData::IpVlan(vec![InfoIpVlan::Mode(IpVlanMode::L2)])),
        ],
        LinkKind::Macvlan => vec![
            LinkInfo::Kind(InfoKind::MacVlan),
            LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::Mode(
                MacVlanMode::Bridge,
            )])),
        ],
        // Made through the netlink module's own builders.
        LinkKind::Veth | LinkKind::Bridge => return Ok(()),
    };
    if let Some(parent) =
        parent.filter(|_| matches!(kind, LinkKind::Vlan | LinkKind::Ipvlan | LinkKind::Macvlan))
    {
        message.attributes.push(LinkAttribute::Link(parent));
    }
    message.attributes.push(LinkAttribute::LinkInfo(info));
    handle.ack(
        RouteNetlinkMessage::NewLink(message),
        NLM_F_CREATE | NLM_F_EXCL,
        || format!("creating {kind} link {name:?}"),
    )
}
