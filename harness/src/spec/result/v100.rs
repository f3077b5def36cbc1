//! Results of spec 1.0.0 and 1.1.0: no `ips[].version`; 1.1.0 adds
//! interface `mtu`, `socketPath`, `pciID` and the extended route fields.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::types::{Dns, Route};
use crate::spec::version::Version;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Result100 {
    #[serde(rename = "cniVersion")]
    pub cni_version: Version,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub interfaces: Vec<Interface100>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub ips: Vec<IpConfig100>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub routes: Vec<Route>,
    /// Left out when empty, as libcni does for 1.x results (F-RES-8).
    #[serde(skip_serializing_if = "Dns::is_empty", default)]
    pub dns: Dns,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface100 {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub mac: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mtu: Option<u64>,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub sandbox: String,
    #[serde(
        rename = "socketPath",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub socket_path: String,
    #[serde(rename = "pciID", skip_serializing_if = "String::is_empty", default)]
    pub pci_id: String,
}

impl Interface100 {
    pub fn new(
        name: impl Into<String>,
        mac: impl Into<String>,
        sandbox: impl Into<String>,
    ) -> Interface100 {
        Interface100 {
            name: name.into(),
            mac: mac.into(),
            mtu: None,
            sandbox: sandbox.into(),
            socket_path: String::new(),
            pci_id: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpConfig100 {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub interface: Option<i64>,
    pub address: IpNet,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gateway: Option<IpAddr>,
}
