//! Links: listing them, looking one up, changing or deleting one.

use std::fmt;
use std::os::fd::{AsRawFd, BorrowedFd};

use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State};

use super::error::{Error, ErrorKind};
use super::socket::Handle;
use super::types::{MacAddr, hex_colons};

/// A link as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// The driver kind from `IFLA_LINKINFO` ("veth", "bridge", "macvlan");
    /// `None` for links without one, such as loopback.
    pub kind: Option<String>,
    /// The link-layer address, lowercase `aa:bb:..`.
    pub mac: Option<String>,
    pub mtu: u32,
    /// Administratively up (`IFF_UP`), what `set_up` changes.
    pub up: bool,
    /// What the kernel makes of it (`IFLA_OPERSTATE`): a veth whose peer is
    /// down is `LowerLayerDown` even when `up`.
    pub oper_state: OperState,
    /// The index of the bridge (or other master) this link is enslaved to.
    pub master: Option<u32>,
    /// `IFLA_LINK`: a veth's peer, a macvlan's parent. The index is in the
    /// namespace `link_netnsid` names, or in this one when that is `None`.
    pub link: Option<u32>,
    /// `IFLA_LINK_NETNSID`: this namespace's id for the namespace of `link`,
    /// given when that is another namespace.
    pub link_netnsid: Option<i32>,
}

/// Where a veth's other end is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VethPeer {
    pub index: u32,
    /// `None`: the peer is in the same namespace.
    pub netnsid: Option<i32>,
}

impl Link {
    pub fn is_veth(&self) -> bool {
        self.kind.as_deref() == Some("veth")
    }

    /// The other end of a veth pair.
    pub fn veth_peer(&self) -> Option<VethPeer> {
        if !self.is_veth() {
            return None;
        }
        self.link.map(|index| VethPeer {
            index,
            netnsid: self.link_netnsid,
        })
    }
}

/// `IFLA_OPERSTATE` (RFC 2863).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperState {
    Unknown,
    NotPresent,
    Down,
    LowerLayerDown,
    Testing,
    Dormant,
    Up,
    Other(u8),
}

impl From<State> for OperState {
    fn from(state: State) -> OperState {
        match state {
            State::Unknown => OperState::Unknown,
            State::NotPresent => OperState::NotPresent,
            State::Down => OperState::Down,
            State::LowerLayerDown => OperState::LowerLayerDown,
            State::Testing => OperState::Testing,
            State::Dormant => OperState::Dormant,
            State::Up => OperState::Up,
            other => OperState::Other(u8::from(other)),
        }
    }
}

/// A link named by name or by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRef<'a> {
    Name(&'a str),
    Index(u32),
}

impl<'a> From<&'a str> for LinkRef<'a> {
    fn from(name: &'a str) -> LinkRef<'a> {
        LinkRef::Name(name)
    }
}

impl<'a> From<&'a String> for LinkRef<'a> {
    fn from(name: &'a String) -> LinkRef<'a> {
        LinkRef::Name(name)
    }
}

impl From<u32> for LinkRef<'_> {
    fn from(index: u32) -> Self {
        LinkRef::Index(index)
    }
}

impl<'a> From<&'a Link> for LinkRef<'a> {
    fn from(link: &'a Link) -> LinkRef<'a> {
        LinkRef::Index(link.index)
    }
}

impl fmt::Display for LinkRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkRef::Name(name) => write!(f, "link {name:?}"),
            LinkRef::Index(index) => write!(f, "link {index}"),
        }
    }
}

impl Handle {
    /// Every link of the namespace.
    pub fn links(&self) -> Result<Vec<Link>, Error> {
        let request = RouteNetlinkMessage::GetLink(LinkMessage::default());
        let replies = self.dump(request, || "listing links".to_owned())?;
        Ok(replies
            .into_iter()
            .filter_map(|reply| match reply {
                RouteNetlinkMessage::NewLink(message) => Some(parse(message)),
                _ => None,
            })
            .collect())
    }

    /// The link with this name or index, `None` when there is none.
    pub fn link<'a>(&self, link: impl Into<LinkRef<'a>>) -> Result<Option<Link>, Error> {
        let link = link.into();
        let request = RouteNetlinkMessage::GetLink(addressed(link));
        match self.get(request, || format!("looking up {link}")) {
            Ok(RouteNetlinkMessage::NewLink(message)) => Ok(Some(parse(message))),
            Ok(_) => Err(Error::new(
                format!("looking up {link}"),
                ErrorKind::Decode("the answer is not a link".into()),
            )),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes a link (a veth takes its peer with it). A missing link is an
    /// error that `is_not_found`.
    pub fn delete_link<'a>(&self, link: impl Into<LinkRef<'a>>) -> Result<(), Error> {
        let link = link.into();
        let request = RouteNetlinkMessage::DelLink(addressed(link));
        self.ack(request, 0, || format!("deleting {link}"))
    }

    /// Brings a link administratively up.
    pub fn set_up<'a>(&self, link: impl Into<LinkRef<'a>>) -> Result<(), Error> {
        let link = link.into();
        let mut message = addressed(link);
        message.header.flags = LinkFlags::Up;
        message.header.change_mask = LinkFlags::Up;
        self.set(message, || format!("setting {link} up"))
    }

    /// Brings a link administratively down.
    pub fn set_down<'a>(&self, link: impl Into<LinkRef<'a>>) -> Result<(), Error> {
        let link = link.into();
        let mut message = addressed(link);
        message.header.flags = LinkFlags::empty();
        message.header.change_mask = LinkFlags::Up;
        self.set(message, || format!("setting {link} down"))
    }

    pub fn set_mtu<'a>(&self, link: impl Into<LinkRef<'a>>, mtu: u32) -> Result<(), Error> {
        let link = link.into();
        let mut message = addressed(link);
        message.attributes.push(LinkAttribute::Mtu(mtu));
        self.set(message, || format!("setting the MTU of {link} to {mtu}"))
    }

    pub fn set_mac<'a>(&self, link: impl Into<LinkRef<'a>>, mac: MacAddr) -> Result<(), Error> {
        let link = link.into();
        let mut message = addressed(link);
        message
            .attributes
            .push(LinkAttribute::Address(mac.0.to_vec()));
        self.set(message, || format!("setting the MAC of {link} to {mac}"))
    }

    /// Renames a link (the kernel refuses while it is up: `EBUSY`).
    pub fn rename<'a>(&self, link: impl Into<LinkRef<'a>>, new_name: &str) -> Result<(), Error> {
        let link = link.into();
        let request = || format!("renaming {link} to {new_name:?}");
        let index = self.index_of(link, request)?;
        let mut message = LinkMessage::default();
        message.header.index = index;
        message
            .attributes
            .push(LinkAttribute::IfName(new_name.to_owned()));
        self.set(message, request)
    }

    /// Enslaves a link to a bridge (`Some`) or releases it (`None`).
    pub fn set_master<'a, 'b>(
        &self,
        link: impl Into<LinkRef<'a>>,
        master: Option<LinkRef<'b>>,
    ) -> Result<(), Error> {
        let link = link.into();
        let request = || match master {
            Some(master) => format!("attaching {link} to {master}"),
            None => format!("releasing {link} from its master"),
        };
        let master_index = match master {
            Some(master) => self.index_of(master, request)?,
            None => 0,
        };
        let mut message = addressed(link);
        message
            .attributes
            .push(LinkAttribute::Controller(master_index));
        self.set(message, request)
    }

    /// Moves a link into the namespace `netns` refers to. It keeps its name
    /// there; a link of that name in the target makes this fail (`is_exists`).
    pub fn move_to_netns<'a>(
        &self,
        link: impl Into<LinkRef<'a>>,
        netns: BorrowedFd<'_>,
    ) -> Result<(), Error> {
        let link = link.into();
        let mut message = addressed(link);
        message
            .attributes
            .push(LinkAttribute::NetNsFd(netns.as_raw_fd()));
        self.set(message, || {
            format!("moving {link} to another network namespace")
        })
    }

    fn set(&self, message: LinkMessage, request: impl FnOnce() -> String) -> Result<(), Error> {
        self.ack(RouteNetlinkMessage::SetLink(message), 0, request)
    }

    /// The index of a link, for requests that cannot name it by name.
    fn index_of(&self, link: LinkRef<'_>, request: impl FnOnce() -> String) -> Result<u32, Error> {
        match link {
            LinkRef::Index(index) => Ok(index),
            LinkRef::Name(_) => match self.link(link)? {
                Some(found) => Ok(found.index),
                None => Err(Error::new(
                    request(),
                    ErrorKind::Kernel {
                        errno: libc::ENODEV,
                        message: Some(format!("no {link}")),
                    },
                )),
            },
        }
    }
}

/// A message that names its link the way the kernel accepts for GET, SET
/// and DEL: by index in the header, or by `IFLA_IFNAME` with index 0.
fn addressed(link: LinkRef<'_>) -> LinkMessage {
    let mut message = LinkMessage::default();
    match link {
        LinkRef::Index(index) => message.header.index = index,
        LinkRef::Name(name) => message
            .attributes
            .push(LinkAttribute::IfName(name.to_owned())),
    }
    message
}

fn parse(message: LinkMessage) -> Link {
    let mut link = Link {
        index: message.header.index,
        name: String::new(),
        kind: None,
        mac: None,
        mtu: 0,
        up: message.header.flags.contains(LinkFlags::Up),
        oper_state: OperState::Unknown,
        master: None,
        link: None,
        link_netnsid: None,
    };
    for attribute in message.attributes {
        match attribute {
            LinkAttribute::IfName(name) => link.name = name,
            LinkAttribute::Address(bytes) => link.mac = Some(hex_colons(&bytes)),
            LinkAttribute::Mtu(mtu) => link.mtu = mtu,
            LinkAttribute::OperState(state) => link.oper_state = state.into(),
            LinkAttribute::Controller(index) if index != 0 => link.master = Some(index),
            LinkAttribute::Link(index) if index != 0 => link.link = Some(index),
            LinkAttribute::LinkNetNsId(id) => link.link_netnsid = Some(id),
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    if let LinkInfo::Kind(kind) = info {
                        link.kind = Some(kind.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    link
}
