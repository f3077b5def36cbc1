//! Pieces shared by several result families: routes and DNS.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// A route. The 1.1.0 fields are carried by every family because libcni's
/// route type is shared and they survive down-conversion (F-CONV-6,
/// catalogue 13.16); the 0.1.0/0.2.0 conversion drops them (F-CONV-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub dst: IpNet,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gw: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mtu: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub advmss: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub priority: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub table: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scope: Option<u64>,
}

impl Route {
    pub fn new(dst: IpNet, gw: Option<IpAddr>) -> Route {
        Route {
            dst,
            gw,
            mtu: None,
            advmss: None,
            priority: None,
            table: None,
            scope: None,
        }
    }

    /// The route with only `dst` and `gw`, as 0.1.0/0.2.0 can hold it.
    pub fn basic(&self) -> Route {
        Route::new(self.dst, self.gw)
    }

    pub fn has_extended_fields(&self) -> bool {
        self.mtu.is_some()
            || self.advmss.is_some()
            || self.priority.is_some()
            || self.table.is_some()
            || self.scope.is_some()
    }
}

/// DNS settings (F-RES-6: advisory data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dns {
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub nameservers: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub domain: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub search: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub options: Vec<String>,
}

impl Dns {
    pub fn is_empty(&self) -> bool {
        self.nameservers.is_empty()
            && self.domain.is_empty()
            && self.search.is_empty()
            && self.options.is_empty()
    }
}
