//! Promiscuous mode, which the `cnitest::netlink` handle can neither read
//! nor change yet: one RTM_GETLINK or RTM_SETLINK on a socket of our own,
//! opened in the container's namespace.

use std::io;

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use crate::netns::Netns;

/// Whether `ifname` in `netns` is in promiscuous mode.
pub fn get(netns: &Netns, ifname: &str) -> io::Result<bool> {
    let reply = netns.run(|| exchange(RouteNetlinkMessage::GetLink(by_name(ifname))))?;
    match reply {
        Some(RouteNetlinkMessage::NewLink(link)) => {
            Ok(link.header.flags.contains(LinkFlags::Promisc))
        }
        _ => Err(io::Error::other(format!("no answer about link {ifname:?}"))),
    }
}

/// Turns promiscuous mode of `ifname` in `netns` on or off.
pub fn set(netns: &Netns, ifname: &str, on: bool) -> io::Result<()> {
    let mut message = by_name(ifname);
    message.header.flags = if on {
        LinkFlags::Promisc
    } else {
        LinkFlags::empty()
    };
    message.header.change_mask = LinkFlags::Promisc;
    netns
        .run(|| exchange(RouteNetlinkMessage::SetLink(message)))
        .map(drop)
}

fn by_name(ifname: &str) -> LinkMessage {
    let mut message = LinkMessage::default();
    message
        .attributes
        .push(LinkAttribute::IfName(ifname.to_owned()));
    message
}

/// Sends one request and returns the answer's message, if it has one (a
/// GET does; a SET has only its acknowledgement).
fn exchange(message: RouteNetlinkMessage) -> io::Result<Option<RouteNetlinkMessage>> {
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind_auto()?;
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_ACK;
    header.sequence_number = 1;
    let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(message));
    packet.finalize();
    let mut bytes = vec![0; packet.buffer_len()];
    packet.serialize(&mut bytes);
    socket.send_to(&bytes, &SocketAddr::new(0, 0), 0)?;

    let mut answer = None;
    loop {
        let (datagram, _) = socket.recv_from_full()?;
        let mut offset = 0;
        while offset < datagram.len() {
            let parsed = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&datagram[offset..])
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            let length = usize::try_from(parsed.header.length).unwrap_or(usize::MAX);
            offset = offset.saturating_add(length.max(1).next_multiple_of(4));
            match parsed.payload {
                NetlinkPayload::InnerMessage(inner) => answer = Some(inner),
                NetlinkPayload::Error(error) => {
                    return match error.code {
                        None => Ok(answer),
                        Some(code) => Err(io::Error::from_raw_os_error(code.get().abs())),
                    };
                }
                _ => {}
            }
        }
    }
}
