//! The part a plugin plays: it makes the interface, it adjusts one another
//! plugin made, or it hands out addresses to a plugin that delegates.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The plugin creates CNI_IFNAME in the container (bridge, ptp, macvlan).
    Interface,
    /// The plugin runs after an interface plugin, with its `prevResult`
    /// (portmap, tuning, bandwidth, firewall).
    Chained,
    /// A delegated IPAM plugin; the suite plays the plugin that calls it
    /// (host-local, static).
    Ipam,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Interface, Role::Chained, Role::Ipam];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Interface => "interface",
            Role::Chained => "chained",
            Role::Ipam => "ipam",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
