//! Creating links: veth pairs (either end straight into another namespace),
//! bridges, macvlans.

use std::os::fd::{AsRawFd, BorrowedFd};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoMacVlan, InfoVeth, LinkAttribute, LinkInfo, LinkMessage, MacVlanMode,
};

use super::error::Error;
use super::socket::Handle;
use super::types::MacAddr;

/// A veth pair to create. Both ends get `mtu`; each end is created directly
/// in its namespace (`netns`, `peer_netns`; `None` is the handle's own).
#[derive(Debug, Clone)]
pub struct Veth<'a> {
    pub name: String,
    pub peer_name: String,
    pub mtu: Option<u32>,
    pub mac: Option<MacAddr>,
    pub peer_mac: Option<MacAddr>,
    pub netns: Option<BorrowedFd<'a>>,
    pub peer_netns: Option<BorrowedFd<'a>>,
}

impl<'a> Veth<'a> {
    pub fn new(name: impl Into<String>, peer_name: impl Into<String>) -> Veth<'a> {
        Veth {
            name: name.into(),
            peer_name: peer_name.into(),
            mtu: None,
            mac: None,
            peer_mac: None,
            netns: None,
            peer_netns: None,
        }
    }
}

/// A bridge to create.
#[derive(Debug, Clone)]
pub struct Bridge<'a> {
    pub name: String,
    pub mtu: Option<u32>,
    pub mac: Option<MacAddr>,
    pub netns: Option<BorrowedFd<'a>>,
}

impl<'a> Bridge<'a> {
    pub fn new(name: impl Into<String>) -> Bridge<'a> {
        Bridge {
            name: name.into(),
            mtu: None,
            mac: None,
            netns: None,
        }
    }
}

/// A macvlan to create on `parent` (an index in the handle's namespace).
#[derive(Debug, Clone)]
pub struct Macvlan<'a> {
    pub name: String,
    pub parent: u32,
    pub mode: MacvlanMode,
    pub mtu: Option<u32>,
    pub mac: Option<MacAddr>,
    pub netns: Option<BorrowedFd<'a>>,
}

impl<'a> Macvlan<'a> {
    pub fn new(name: impl Into<String>, parent: u32) -> Macvlan<'a> {
        Macvlan {
            name: name.into(),
            parent,
            mode: MacvlanMode::Bridge,
            mtu: None,
            mac: None,
            netns: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacvlanMode {
    Private,
    Vepa,
    Bridge,
    Passthru,
}

impl Handle {
    /// Creates a veth pair; fails (`is_exists`) when either name is taken.
    pub fn create_veth(&self, veth: &Veth<'_>) -> Result<(), Error> {
        let mut peer = LinkMessage::default();
        peer.attributes
            .push(LinkAttribute::IfName(veth.peer_name.clone()));
        common_attributes(&mut peer, veth.mtu, veth.peer_mac, veth.peer_netns);

        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::IfName(veth.name.clone()));
        common_attributes(&mut message, veth.mtu, veth.mac, veth.netns);
        message.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
        ]));
        self.create(message, || {
            format!("creating veth pair {:?}/{:?}", veth.name, veth.peer_name)
        })
    }

    /// Creates a bridge; fails (`is_exists`) when the name is taken.
    pub fn create_bridge(&self, bridge: &Bridge<'_>) -> Result<(), Error> {
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::IfName(bridge.name.clone()));
        common_attributes(&mut message, bridge.mtu, bridge.mac, bridge.netns);
        message
            .attributes
            .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                InfoKind::Bridge,
            )]));
        self.create(message, || format!("creating bridge {:?}", bridge.name))
    }

    /// Creates a macvlan on its parent link.
    pub fn create_macvlan(&self, macvlan: &Macvlan<'_>) -> Result<(), Error> {
        let mode = match macvlan.mode {
            MacvlanMode::Private => MacVlanMode::Private,
            MacvlanMode::Vepa => MacVlanMode::Vepa,
            MacvlanMode::Bridge => MacVlanMode::Bridge,
            MacvlanMode::Passthru => MacVlanMode::Passthrough,
        };
        let mut message = LinkMessage::default();
        message
            .attributes
            .push(LinkAttribute::IfName(macvlan.name.clone()));
        message.attributes.push(LinkAttribute::Link(macvlan.parent));
        common_attributes(&mut message, macvlan.mtu, macvlan.mac, macvlan.netns);
        message.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::MacVlan),
            LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::Mode(mode)])),
        ]));
        self.create(message, || {
            format!(
                "creating macvlan {:?} on link {}",
                macvlan.name, macvlan.parent
            )
        })
    }

    fn create(&self, message: LinkMessage, request: impl FnOnce() -> String) -> Result<(), Error> {
        self.ack(
            RouteNetlinkMessage::NewLink(message),
            NLM_F_CREATE | NLM_F_EXCL,
            request,
        )
    }
}

fn common_attributes(
    message: &mut LinkMessage,
    mtu: Option<u32>,
    mac: Option<MacAddr>,
    netns: Option<BorrowedFd<'_>>,
) {
    if let Some(mtu) = mtu {
        message.attributes.push(LinkAttribute::Mtu(mtu));
    }
    if let Some(mac) = mac {
        message
            .attributes
            .push(LinkAttribute::Address(mac.0.to_vec()));
    }
    if let Some(netns) = netns {
        message
            .attributes
            .push(LinkAttribute::NetNsFd(netns.as_raw_fd()));
    }
}
