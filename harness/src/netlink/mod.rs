//! Synchronous rtnetlink access: what links, addresses and routes a namespace holds, and changes to them.
//!
//! A [`Handle`] is a socket bound to one network namespace; its methods are
//! grouped by object: links ([`Handle::links`], [`Handle::create_veth`], ...),
//! addresses ([`Handle::addresses`], ...) and routes ([`Handle::routes`], ...).
//! Every failure is an [`Error`] that names the request and can tell "no
//! such object" ([`Error::is_not_found`]) and "exists already"
//! ([`Error::is_exists`]) apart.

mod address;
mod create;
mod error;
mod link;
mod netns;
mod route;
mod socket;
mod types;

pub use address::Address;
pub use create::{Bridge, Macvlan, MacvlanMode, Veth};
pub use error::{Error, ErrorKind};
pub use link::{Link, LinkRef, OperState, VethPeer};
pub use netns::new_netns;
pub use route::{NextHop, Protocol, Route, RouteSpec, RouteType, table_name};
pub use socket::Handle;
pub use types::{Family, MacAddr, ParseMacError, Scope};
