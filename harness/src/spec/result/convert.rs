//! Conversion between result versions with libcni's rules (F-CONV-1..7).
//! The spec only describes what is lossy; the runtime needs conversion to
//! hand a cached result to plugins in the configuration's version (R-CONV-1).

use std::net::IpAddr;

use super::v020::{IpConfig020, Result020};
use super::v040::{Interface040, IpConfig040, Result040, family_of};
use super::v100::{Interface100, IpConfig100, Result100};
use super::{CniResult, Route};
use crate::spec::version::{ResultFamily, Version};

/// Why a result cannot be expressed in another version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// F-CONV-3: 0.1.0/0.2.0 results need at least one address.
    #[error(
        "cannot convert to {0}: the result has no IP address, and a {0} result is made of ip4/ip6"
    )]
    NoAddress(Version),
}

impl CniResult {
    /// The same result in another version.
    pub fn convert(&self, to: Version) -> Result<CniResult, ConvertError> {
        Ok(match (self, to.family()) {
            (CniResult::Legacy(r), ResultFamily::Legacy) => CniResult::Legacy(Result020 {
                cni_version: to,
                ..r.clone()
            }),
            (CniResult::Legacy(r), ResultFamily::V04) => CniResult::V04(legacy_to_040(r, to)),
            (CniResult::Legacy(r), ResultFamily::V1) => {
                CniResult::V1(v040_to_100(&legacy_to_040(r, Version::V0_4_0), to))
            }
            (CniResult::V04(r), ResultFamily::Legacy) => CniResult::Legacy(v040_to_legacy(r, to)?),
            (CniResult::V04(r), ResultFamily::V04) => CniResult::V04(Result040 {
                cni_version: to,
                ..r.clone()
            }),
            (CniResult::V04(r), ResultFamily::V1) => CniResult::V1(v040_to_100(r, to)),
            (CniResult::V1(r), ResultFamily::Legacy) => {
                CniResult::Legacy(v040_to_legacy(&v100_to_040(r, Version::V0_4_0), to)?)
            }
            (CniResult::V1(r), ResultFamily::V04) => CniResult::V04(v100_to_040(r, to)),
            // F-CONV-7: one data type; a 1.1.0 result relabelled 1.0.0 keeps
            // its 1.1.0 fields, as libcni's does.
            (CniResult::V1(r), ResultFamily::V1) => CniResult::V1(Result100 {
                cni_version: to,
                ..r.clone()
            }),
        })
    }
}

/// F-CONV-2: ip4 then ip6 become `ips` without interface indexes; their
/// routes are concatenated.
fn legacy_to_040(r: &Result020, to: Version) -> Result040 {
    let mut ips = Vec::new();
    let mut routes = Vec::new();
    for (version, ip) in [("4", &r.ip4), ("6", &r.ip6)] {
        if let Some(ip) = ip {
            ips.push(IpConfig040 {
                version: version.to_owned(),
                interface: None,
                address: ip.ip,
                gateway: ip.gateway,
            });
            routes.extend(ip.routes.iter().cloned());
        }
    }
    Result040 {
        cni_version: to,
        interfaces: Vec::new(),
        ips,
        routes,
        dns: r.dns.clone(),
    }
}

/// F-CONV-3: the first address of each family; routes go with their family,
/// and only dst/gw survive.
fn v040_to_legacy(r: &Result040, to: Version) -> Result<Result020, ConvertError> {
    let pick = |family: &str| {
        r.ips
            .iter()
            .find(|ip| ip.version == family)
            .map(|ip| IpConfig020 {
                ip: ip.address,
                gateway: ip.gateway,
                routes: Vec::new(),
            })
    };
    let mut ip4 = pick("4");
    let mut ip6 = pick("6");
    if ip4.is_none() && ip6.is_none() {
        return Err(ConvertError::NoAddress(to));
    }
    for route in &r.routes {
        let target = match route.dst.addr() {
            IpAddr::V4(_) => ip4.as_mut(),
            IpAddr::V6(_) => ip6.as_mut(),
        };
        if let Some(ip) = target {
            ip.routes.push(Route::basic(route));
        }
    }
    Ok(Result020 {
        cni_version: to,
        ip4,
        ip6,
        dns: r.dns.clone(),
    })
}

/// F-CONV-5: `ips[].version` is dropped; everything else is kept.
fn v040_to_100(r: &Result040, to: Version) -> Result100 {
    Result100 {
        cni_version: to,
        interfaces: r
            .interfaces
            .iter()
            .map(|i| Interface100::new(i.name.clone(), i.mac.clone(), i.sandbox.clone()))
            .collect(),
        ips: r
            .ips
            .iter()
            .map(|ip| IpConfig100 {
                interface: ip.interface,
                address: ip.address,
                gateway: ip.gateway,
            })
            .collect(),
        routes: r.routes.clone(),
        dns: r.dns.clone(),
    }
}

/// F-CONV-6: `version` comes from the address; interfaces lose the 1.1.0
/// fields; routes keep all theirs.
fn v100_to_040(r: &Result100, to: Version) -> Result040 {
    Result040 {
        cni_version: to,
        interfaces: r
            .interfaces
            .iter()
            .map(|i| Interface040 {
                name: i.name.clone(),
                mac: i.mac.clone(),
                sandbox: i.sandbox.clone(),
            })
            .collect(),
        ips: r
            .ips
            .iter()
            .map(|ip| IpConfig040 {
                version: family_of(&ip.address).to_owned(),
                interface: ip.interface,
                address: ip.address,
                gateway: ip.gateway,
            })
            .collect(),
        routes: r.routes.clone(),
        dns: r.dns.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> CniResult {
        CniResult::from_value(&v, None).unwrap()
    }

    #[test]
    fn f_conv_2_legacy_up() {
        let r = parse(json!({"cniVersion": "0.2.0",
            "ip4": {"ip": "10.0.0.2/24", "gateway": "10.0.0.1", "routes": [{"dst": "0.0.0.0/0"}]},
            "ip6": {"ip": "fd00::2/64", "routes": [{"dst": "::/0", "gw": "fd00::1"}]},
            "dns": {"nameservers": ["10.0.0.1"]}}));
        let up = r.convert(Version::V0_4_0).unwrap();
        assert_eq!(
            up.to_value(),
            json!({"cniVersion": "0.4.0",
                "ips": [{"version": "4", "address": "10.0.0.2/24", "gateway": "10.0.0.1"},
                        {"version": "6", "address": "fd00::2/64"}],
                "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0", "gw": "fd00::1"}],
                "dns": {"nameservers": ["10.0.0.1"]}})
        );
    }

    #[test]
    fn f_conv_3_down_needs_an_address() {
        let r = parse(json!({"cniVersion": "1.0.0", "interfaces": [{"name": "eth0"}]}));
        assert_eq!(
            r.convert(Version::V0_2_0),
            Err(ConvertError::NoAddress(Version::V0_2_0))
        );
    }

    #[test]
    fn f_conv_3_first_of_each_family_and_routes_by_family() {
        let r = parse(json!({"cniVersion": "1.0.0",
            "ips": [{"address": "10.0.0.2/24"}, {"address": "10.0.0.3/24"}],
            "routes": [{"dst": "0.0.0.0/0", "mtu": 1400}, {"dst": "::/0"}]}));
        assert_eq!(
            r.convert(Version::V0_1_0).unwrap().to_value(),
            json!({"cniVersion": "0.1.0", "ip4": {"ip": "10.0.0.2/24", "routes": [{"dst": "0.0.0.0/0"}]}, "dns": {}})
        );
    }

    #[test]
    fn f_conv_6_version_from_address_and_mapped_v4() {
        let r = parse(json!({"cniVersion": "1.1.0",
            "interfaces": [{"name": "eth0", "mtu": 1500, "socketPath": "/s"}],
            "ips": [{"address": "::ffff:10.0.0.2/120", "interface": 0}, {"address": "fd00::2/64", "interface": 0}]}));
        let down = r.convert(Version::V0_4_0).unwrap().to_value();
        assert_eq!(down["ips"][0]["version"], "4");
        assert_eq!(down["ips"][1]["version"], "6");
        assert_eq!(down["interfaces"][0], json!({"name": "eth0"}));
    }

    #[test]
    fn f_conv_7_relabel_keeps_fields() {
        let r =
            parse(json!({"cniVersion": "1.1.0", "interfaces": [{"name": "eth0", "mtu": 1500}]}));
        assert_eq!(
            r.convert(Version::V1_0_0).unwrap().to_value()["interfaces"][0]["mtu"],
            1500
        );
    }
}
