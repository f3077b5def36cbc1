//! IP addresses: listing them, adding and deleting one, flushing a link's.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::error::Error;
use super::socket::Handle;
use super::types::{Family, MacAddr, Scope};

/// An address configured on a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The link's index.
    pub index: u32,
    /// The address and its prefix length, as `ip addr` shows them
    /// (`10.1.0.2/24`).
    pub address: IpNet,
    pub family: Family,
    pub scope: Scope,
    /// `IFA_F_*` flags: tentative, permanent, nodad, ...
    pub flags: u32,
    /// `IFA_PROTO`: who made it. The kernel marks its own (loopback,
    /// router advertisement, link-local); 0 is unspecified (userspace, or a
    /// kernel older than 6.3 that does not report it).
    pub protocol: u8,
}

impl Address {
    /// `IFAPROT_KERNEL_LO`: a loopback address the kernel generated when
    /// `lo` came up.
    pub const PROTO_KERNEL_LO: u8 = 1;
    /// `IFAPROT_KERNEL_LL`: a link-local address the kernel generated.
    pub const PROTO_KERNEL_LL: u8 = 3;
    pub const FLAG_TENTATIVE: u32 = 0x40;

    /// A loopback address (`127.0.0.1/8`, `::1/128`) the kernel gave `lo`
    /// when it came up; older kernels do not say, so the addresses
    /// themselves are the guess there.
    pub fn is_kernel_loopback(&self) -> bool {
        self.protocol == Address::PROTO_KERNEL_LO
            || (self.protocol == 0
                && (self.address.to_string() == "127.0.0.1/8"
                    || self.address.to_string() == "::1/128"))
    }

    /// An IPv6 link-local address the kernel made by itself when the link
    /// came up, as the kernel says (`IFA_PROTO`, since Linux 6.3). Older
    /// kernels do not say; see `is_eui64_link_local` for a guess.
    pub fn is_kernel_link_local(&self) -> bool {
        self.protocol == Address::PROTO_KERNEL_LL
    }

    /// An `fe80::/64` address whose interface identifier is the EUI-64 of
    /// `mac`: what the kernel makes in its default address generation mode.
    pub fn is_eui64_link_local(&self, mac: &MacAddr) -> bool {
        let IpNet::V6(net) = self.address else {
            return false;
        };
        let m = mac.0;
        let eui64 = [m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]];
        net.prefix_len() == 64
            && net.addr().is_unicast_link_local()
            && net.addr().octets()[8..] == eui64
    }
}

impl Handle {
    /// Every address of every link, both families.
    pub fn addresses(&self) -> Result<Vec<Address>, Error> {
        let mut all = Vec::new();
        for family in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut request = AddressMessage::default();
            request.header.family = family;
            let replies = self.dump(RouteNetlinkMessage::GetAddress(request), || {
                format!("listing {} addresses", family_name(family))
            })?;
            all.extend(replies.into_iter().filter_map(|reply| match reply {
                RouteNetlinkMessage::NewAddress(message) => parse(message),
                _ => None,
            }));
        }
        Ok(all)
    }

    /// Adds an address to a link; fails (`is_exists`) when the link has it
    /// already.
    pub fn add_address(&self, index: u32, address: IpNet) -> Result<(), Error> {
        self.ack(
            RouteNetlinkMessage::NewAddress(message(index, address)),
            NLM_F_CREATE | NLM_F_EXCL,
            || format!("adding address {address} to link {index}"),
        )
    }

    /// Adds an address to a link, or leaves it as it is when the link has it
    /// already.
    pub fn ensure_address(&self, index: u32, address: IpNet) -> Result<(), Error> {
        self.ack(
            RouteNetlinkMessage::NewAddress(message(index, address)),
            NLM_F_CREATE | NLM_F_REPLACE,
            || format!("adding address {address} to link {index}"),
        )
    }

    /// Deletes an address; fails (`is_not_found`) when the link lacks it.
    pub fn delete_address(&self, index: u32, address: IpNet) -> Result<(), Error> {
        self.ack(
            RouteNetlinkMessage::DelAddress(message(index, address)),
            0,
            || format!("deleting address {address} from link {index}"),
        )
    }

    /// Deletes every address of a link, the kernel's link-local ones too.
    pub fn flush_addresses(&self, index: u32) -> Result<(), Error> {
        for address in self.addresses()? {
            if address.index != index {
                continue;
            }
            match self.delete_address(index, address.address) {
                // Deleting an IPv4 primary address takes its secondaries along.
                Err(e) if e.is_not_found() => {}
                other => other?,
            }
        }
        Ok(())
    }
}

fn family_name(family: AddressFamily) -> &'static str {
    match family {
        AddressFamily::Inet => "IPv4",
        _ => "IPv6",
    }
}

fn message(index: u32, address: IpNet) -> AddressMessage {
    let mut message = AddressMessage::default();
    message.header.index = index;
    message.header.prefix_len = address.prefix_len();
    message.header.family = match address {
        IpNet::V4(_) => AddressFamily::Inet,
        IpNet::V6(_) => AddressFamily::Inet6,
    };
    message.header.scope = AddressScope::Universe;
    let ip = address.addr();
    message.attributes.push(AddressAttribute::Local(ip));
    message.attributes.push(AddressAttribute::Address(ip));
    // As `ip addr add ... brd +` and the Go netlink library that most
    // plugins use do: the broadcast address, so the kernel also installs its
    // broadcast route.
    if let IpNet::V4(net) = address {
        if net.prefix_len() < 31 {
            let broadcast: Ipv4Addr = net.broadcast();
            message
                .attributes
                .push(AddressAttribute::Broadcast(broadcast));
        }
    }
    message
}

fn parse(message: AddressMessage) -> Option<Address> {
    let mut local = None;
    let mut address = None;
    let mut flags = u32::from(message.header.flags.bits());
    let mut protocol = 0;
    for attribute in message.attributes {
        match attribute {
            AddressAttribute::Local(ip) => local = Some(ip),
            AddressAttribute::Address(ip) => address = Some(ip),
            AddressAttribute::Flags(all) => flags = all.bits(),
            AddressAttribute::Protocol(p) => protocol = u8::from(p),
            _ => {}
        }
    }
    // IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on a
    // point-to-point link and the same as IFA_LOCAL otherwise. IPv6 sends
    // IFA_ADDRESS only.
    let ip: IpAddr = local.or(address)?;
    let net = IpNet::new(ip, message.header.prefix_len).ok()?;
    Some(Address {
        index: message.header.index,
        address: net,
        family: Family::of(ip),
        scope: Scope(u8::from(message.header.scope)),
        flags,
        protocol,
    })
}
