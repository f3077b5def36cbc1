//! The IPAM plugin's configuration: the `ipam` section of the network
//! configuration it was handed whole (P-DELEG-4).

use std::net::IpAddr;
use std::path::PathBuf;

use cnitest::spec::result::{Dns, Route};
use ipnet::IpNet;
use serde_json::{Map, Value};

use super::range::{RangeSet, range_sets};
use crate::error::PluginError;
use crate::fields;
use crate::skel::Request;

/// Where reservations live unless `ipam.dataDir` says otherwise.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/cni/reference-ipam";

#[derive(Debug, Clone, PartialEq)]
pub struct IpamConfig {
    /// One address is handed out from each set.
    pub ranges: Vec<RangeSet>,
    pub routes: Vec<Route>,
    pub dns: Dns,
    pub data_dir: PathBuf,
}

impl IpamConfig {
    /// Reads the `ipam` section. The `ipRanges` capability, when the runtime
    /// sends it, replaces `ipam.ranges` (C-CAP-2).
    pub fn from_request(req: &Request) -> Result<IpamConfig, PluginError> {
        let ipam = fields::object(&req.config, "ipam", "")?
            .ok_or_else(|| PluginError::config("ipam", "missing"))?;
        // host-local's single-range shorthand is not implemented: say so,
        // with the key and value, rather than ignore it (code 2).
        fields::refuse(
            ipam,
            &["subnet", "rangeStart", "rangeEnd", "gateway"],
            "ipam",
        )?;
        let ranges = match req.runtime_config("ipRanges") {
            Some(value) => range_sets(value, "runtimeConfig.ipRanges")?,
            None => range_sets(
                ipam.get("ranges")
                    .ok_or_else(|| PluginError::config("ipam.ranges", "missing"))?,
                "ipam.ranges",
            )?,
        };
        let routes = routes(ipam)?;
        let dns = match fields::object(ipam, "dns", "ipam")? {
            Some(dns) => crate::dns::read(dns, "ipam.dns")?,
            None => Dns::default(),
        };
        let data_dir = fields::string(ipam, "dataDir", "ipam")?
            .map_or_else(|| PathBuf::from(DEFAULT_DATA_DIR), PathBuf::from);
        Ok(IpamConfig {
            ranges,
            routes,
            dns,
            data_dir,
        })
    }

    /// Whether `ip` lies in one of the subnets this configuration manages.
    pub fn manages(&self, ip: IpAddr) -> bool {
        self.ranges.iter().flatten().any(|r| r.subnet.contains(&ip))
    }
}

/// `ipam.routes`: `{dst, gw?}`. The 1.1.0 route attributes are refused with
/// code 2: this plugin does not hand them out.
fn routes(ipam: &Map<String, Value>) -> Result<Vec<Route>, PluginError> {
    let Some(items) = fields::array(ipam, "routes", "ipam")? else {
        return Ok(Vec::new());
    };
    let mut routes = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("ipam.routes[{i}]");
        let Value::Object(map) = item else {
            return Err(PluginError::config(at, "is not an object"));
        };
        fields::refuse(map, &["mtu", "advmss", "priority", "table", "scope"], &at)?;
        let dst: IpNet = fields::parsed(map, "dst", &at, "a destination in CIDR notation")?
            .ok_or_else(|| PluginError::config(fields::join(&at, "dst"), "missing"))?;
        let gw: Option<IpAddr> = fields::parsed(map, "gw", &at, "an IP address")?;
        if gw.is_some_and(|gw| gw.is_ipv4() != dst.addr().is_ipv4()) {
            return Err(PluginError::config(
                fields::join(&at, "gw"),
                "is not of the same address family as dst",
            ));
        }
        routes.push(Route::new(dst.trunc(), gw));
    }
    Ok(routes)
}
