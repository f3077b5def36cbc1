//! Results of spec 0.3.0, 0.3.1 and 0.4.0: interfaces, `ips` with a
//! `version`, routes, DNS.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::types::{Dns, Route};
use crate::spec::version::Version;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Result040 {
    #[serde(rename = "cniVersion")]
    pub cni_version: Version,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub interfaces: Vec<Interface040>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub ips: Vec<IpConfig040>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub routes: Vec<Route>,
    /// Always written, as libcni does for 0.x results (F-RES-8).
    #[serde(default)]
    pub dns: Dns,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface040 {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub mac: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub sandbox: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpConfig040 {
    /// "4" or "6" (F-RES-3).
    pub version: String,
    /// An index into `interfaces`; signed because some plugins send -1
    /// (catalogue 13.24).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub interface: Option<i64>,
    pub address: IpNet,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gateway: Option<IpAddr>,
}

/// The `version` an address belongs to: "4" for IPv4 and IPv4-mapped IPv6
/// (F-CONV-6), "6" otherwise.
pub fn family_of(address: &IpNet) -> &'static str {
    match address.addr() {
        IpAddr::V4(_) => "4",
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => "4",
        IpAddr::V6(_) => "6",
    }
}
