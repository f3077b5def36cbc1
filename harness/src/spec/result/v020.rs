//! Results of spec 0.1.0 and 0.2.0: one `ip4` and one `ip6` object.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::types::{Dns, Route};
use crate::spec::version::Version;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Result020 {
    #[serde(rename = "cniVersion")]
    pub cni_version: Version,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ip4: Option<IpConfig020>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ip6: Option<IpConfig020>,
    /// Always written, as libcni does for 0.x results (F-RES-8).
    #[serde(default)]
    pub dns: Dns,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpConfig020 {
    pub ip: IpNet,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gateway: Option<IpAddr>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub routes: Vec<Route>,
}
