//! One rtnetlink socket: sends a request and collects the kernel's answer, an
//! acknowledgement or every part of a dump, turning `NLMSG_ERROR` into [`Error`].

use std::io;
use std::sync::{Mutex, MutexGuard};

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST,
    NetlinkBuffer, NetlinkHeader, NetlinkMessage, NetlinkPayload, NlaBuffer, NlasIterator,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use super::error::{Error, ErrorKind};

/// `NLMSGERR_ATTR_MSG`: the human-readable part of an extended ack.
const NLMSGERR_ATTR_MSG: u16 = 1;

/// A dump that the kernel marks as interrupted (the tables changed while it
/// was read) is read again, this many times at most.
const DUMP_ATTEMPTS: usize = 5;

/// An rtnetlink socket bound to one network namespace: the one it was
/// opened in (see [`Handle::current`] and [`Handle::in_netns`]).
///
/// Requests are serialised: one at a time per handle, so a handle can be
/// shared between threads; open one per thread for parallel requests.
#[derive(Debug)]
pub struct Handle {
    conn: Mutex<Conn>,
}

#[derive(Debug)]
struct Conn {
    socket: Socket,
    sequence: u32,
}

impl Handle {
    /// Opens a socket in the calling thread's network namespace.
    pub(crate) fn open() -> io::Result<Handle> {
        let mut socket = Socket::new(NETLINK_ROUTE)?;
        socket.bind_auto()?;
        // Extended acks carry the kernel's own words for a refusal; capped
        // acks keep error replies small (no echo of the request's payload).
        // Both are best-effort: older kernels answer without them.
        let _ = socket.set_ext_ack(true);
        let _ = socket.set_cap_ack(true);
        Ok(Handle {
            conn: Mutex::new(Conn {
                socket,
                sequence: 0,
            }),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Conn> {
        // A panic mid-request leaves at worst unread replies behind; their
        // sequence numbers are stale and the next request skips them.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends a request that changes something and waits for the kernel's
    /// acknowledgement. `request` names it for the error message.
    pub(crate) fn ack(
        &self,
        message: RouteNetlinkMessage,
        flags: u16,
        request: impl FnOnce() -> String,
    ) -> Result<(), Error> {
        self.exchange(message, flags | NLM_F_ACK)
            .map(drop)
            .map_err(|kind| Error::new(request(), kind))
    }

    /// Sends a request for one object and returns the kernel's answer.
    pub(crate) fn get(
        &self,
        message: RouteNetlinkMessage,
        request: impl FnOnce() -> String,
    ) -> Result<RouteNetlinkMessage, Error> {
        match self.exchange(message, NLM_F_ACK) {
            Ok(Reply { messages, .. }) => messages.into_iter().next().ok_or_else(|| {
                Error::new(
                    request(),
                    ErrorKind::Decode("the kernel sent no answer".into()),
                )
            }),
            Err(kind) => Err(Error::new(request(), kind)),
        }
    }

    /// Dumps every object of a kind, reading all parts of a multipart answer.
    pub(crate) fn dump(
        &self,
        message: RouteNetlinkMessage,
        request: impl Fn() -> String,
    ) -> Result<Vec<RouteNetlinkMessage>, Error> {
        for _ in 1..DUMP_ATTEMPTS {
            let reply = self
                .exchange(message.clone(), NLM_F_DUMP)
                .map_err(|kind| Error::new(request(), kind))?;
            if !reply.interrupted {
                return Ok(reply.messages);
            }
        }
        // The tables keep changing under us: the last attempt is as good as
        // any, and callers compare snapshots anyway.
        let reply = self
            .exchange(message, NLM_F_DUMP)
            .map_err(|kind| Error::new(request(), kind))?;
        Ok(reply.messages)
    }

    fn exchange(&self, message: RouteNetlinkMessage, flags: u16) -> Result<Reply, ErrorKind> {
        let mut conn = self.conn();
        conn.sequence = conn.sequence.wrapping_add(1);
        let sequence = conn.sequence;

        let mut header = NetlinkHeader::default();
        header.flags = flags | NLM_F_REQUEST;
        header.sequence_number = sequence;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(message));
        packet.finalize();
        let mut bytes = vec![0; packet.buffer_len()];
        packet.serialize(&mut bytes);
        conn.socket
            .send_to(&bytes, &SocketAddr::new(0, 0), 0)
            .map_err(ErrorKind::Io)?;

        let mut reply = Reply::default();
        loop {
            let datagram = conn.receive()?;
            for part in split(&datagram)? {
                let header_of_part = NetlinkBuffer::new(part);
                if header_of_part.sequence_number() != sequence {
                    continue;
                }
                let parsed = NetlinkMessage::<RouteNetlinkMessage>::deserialize(part)
                    .map_err(|e| ErrorKind::Decode(e.to_string()))?;
                if parsed.header.flags & NLM_F_DUMP_INTR != 0 {
                    reply.interrupted = true;
                }
                match parsed.payload {
                    NetlinkPayload::InnerMessage(inner) => reply.messages.push(inner),
                    NetlinkPayload::Error(error) => match error.code {
                        None => return Ok(reply),
                        Some(code) => {
                            return Err(ErrorKind::Kernel {
                                errno: code.get().abs(),
                                message: extended_ack(parsed.header.flags, &error.header),
                            });
                        }
                    },
                    NetlinkPayload::Done(done) => {
                        if done.code < 0 {
                            return Err(ErrorKind::Kernel {
                                errno: done.code.abs(),
                                message: None,
                            });
                        }
                        return Ok(reply);
                    }
                    NetlinkPayload::Overrun(_) => {
                        return Err(ErrorKind::Decode("the kernel reported an overrun".into()));
                    }
                    // Noop, and anything a newer crate may add: nothing to keep.
                    _ => {}
                }
            }
        }
    }
}

#[derive(Debug, Default)]
struct Reply {
    messages: Vec<RouteNetlinkMessage>,
    interrupted: bool,
}

impl Conn {
    /// Reads one datagram whole, whatever its size.
    fn receive(&self) -> Result<Vec<u8>, ErrorKind> {
        loop {
            let mut probe = [0u8; 0];
            let size = match self
                .socket
                .recv(&mut &mut probe[..], libc::MSG_PEEK | libc::MSG_TRUNC)
            {
                Ok(size) => size,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ErrorKind::Io(e)),
            };
            let mut buffer = vec![0u8; size];
            match self.socket.recv(&mut &mut buffer[..], 0) {
                Ok(read) => {
                    buffer.truncate(read);
                    return Ok(buffer);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ErrorKind::Io(e)),
            }
        }
    }
}

/// The netlink messages packed in one datagram.
fn split(datagram: &[u8]) -> Result<Vec<&[u8]>, ErrorKind> {
    let mut parts = Vec::new();
    let mut rest = datagram;
    while !rest.is_empty() {
        let buffer =
            NetlinkBuffer::new_checked(rest).map_err(|e| ErrorKind::Decode(e.to_string()))?;
        let length = buffer.length() as usize;
        parts.push(&rest[..length]);
        // Messages are 4-byte aligned; the last may lack its padding.
        let next = length.next_multiple_of(4).min(rest.len());
        rest = &rest[next..];
    }
    Ok(parts)
}

/// The kernel's message in an `NLMSG_ERROR`, if it sent one: after the
/// echoed request (only its header when the ack is capped) come attributes.
fn extended_ack(flags: u16, echoed: &[u8]) -> Option<String> {
    if flags & NLM_F_ACK_TLVS == 0 {
        return None;
    }
    let echoed_len = if flags & NLM_F_CAPPED != 0 {
        16
    } else {
        NetlinkBuffer::new_checked(echoed).ok()?.length() as usize
    };
    let attributes = echoed.get(echoed_len.next_multiple_of(4)..)?;
    NlasIterator::new(attributes)
        .filter_map(Result::ok)
        .find(|nla: &NlaBuffer<&[u8]>| nla.kind() == NLMSGERR_ATTR_MSG)
        .map(|nla| {
            String::from_utf8_lossy(nla.value())
                .trim_end_matches('\0')
                .to_owned()
        })
}
