//! Address ranges: a subnet, the part of it handed out, and its gateway.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use serde_json::Value;

use crate::error::PluginError;
use crate::fields;

/// One range of a range set (`ipam.ranges[i][j]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub subnet: IpNet,
    pub start: IpAddr,
    pub end: IpAddr,
    pub gateway: Option<IpAddr>,
}

/// The ranges one address is taken from; one address per set.
pub type RangeSet = Vec<Range>;

impl Range {
    /// Reads `{subnet, rangeStart?, rangeEnd?, gateway?}` at `at`.
    ///
    /// As in host-local, the gateway defaults to the subnet's first address
    /// and the range to every address but the network (and, for IPv4, the
    /// broadcast) address.
    pub fn from_json(value: &Value, at: &str) -> Result<Range, PluginError> {
        let Value::Object(map) = value else {
            return Err(PluginError::config(at, "is not an object"));
        };
        let subnet: IpNet = fields::parsed(map, "subnet", at, "a subnet in CIDR notation")?
            .ok_or_else(|| PluginError::config(fields::join(at, "subnet"), "missing"))?;
        if subnet.network() != subnet.addr() {
            return Err(PluginError::config(
                fields::join(at, "subnet"),
                format!(
                    "{subnet} has host bits set; did you mean {}?",
                    subnet.trunc()
                ),
            ));
        }
        let too_small = match subnet {
            IpNet::V4(n) => n.prefix_len() > 30,
            IpNet::V6(n) => n.prefix_len() > 126,
        };
        if too_small {
            return Err(PluginError::config(
                fields::join(at, "subnet"),
                format!("network {subnet} too small to allocate from"),
            ));
        }
        let first = offset(subnet.network(), 1);
        let last = match subnet {
            IpNet::V4(n) => offset(IpAddr::V4(n.broadcast()), -1),
            IpNet::V6(n) => IpAddr::V6(n.broadcast()),
        };
        let inside = |key: &str| -> Result<Option<IpAddr>, PluginError> {
            let Some(ip) = fields::parsed::<IpAddr>(map, key, at, "an IP address")? else {
                return Ok(None);
            };
            if !(first..=last).contains(&ip) {
                return Err(PluginError::config(
                    fields::join(at, key),
                    format!("{ip} is not a usable address of {subnet}"),
                ));
            }
            Ok(Some(ip))
        };
        let start = inside("rangeStart")?.unwrap_or(first);
        let end = inside("rangeEnd")?.unwrap_or(last);
        let gateway = inside("gateway")?.or(Some(first));
        if start > end {
            return Err(PluginError::config(
                fields::join(at, "rangeStart"),
                format!("{start} is after rangeEnd {end}"),
            ));
        }
        Ok(Range {
            subnet,
            start,
            end,
            gateway,
        })
    }

    /// Whether `ip` may be handed out from this range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        (self.start..=self.end).contains(&ip) && Some(ip) != self.gateway
    }

    /// Every address this range hands out, lowest first.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        let (start, end) = (to_u128(self.start), to_u128(self.end));
        let v6 = self.start.is_ipv6();
        (start..=end)
            .map(move |n| from_u128(n, v6))
            .filter(|ip| Some(*ip) != self.gateway)
    }

    /// The address with this range's prefix length.
    pub fn with_prefix(&self, ip: IpAddr) -> IpNet {
        // The prefix length comes from a valid subnet of the same family.
        IpNet::new(ip, self.subnet.prefix_len()).unwrap_or_else(|_| IpNet::from(ip))
    }

    pub fn overlaps(&self, other: &Range) -> bool {
        self.start.is_ipv4() == other.start.is_ipv4()
            && self.start <= other.end
            && other.start <= self.end
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Reads `ranges`: a non-empty list of non-empty lists of ranges, each set
/// of one address family, no two ranges overlapping.
pub fn range_sets(value: &Value, at: &str) -> Result<Vec<RangeSet>, PluginError> {
    let Value::Array(sets) = value else {
        return Err(PluginError::config(at, "is not a list of range lists"));
    };
    if sets.is_empty() {
        return Err(PluginError::config(
            at,
            "is empty; at least one range set is needed",
        ));
    }
    let mut all: Vec<(String, Range)> = Vec::new();
    let mut out = Vec::with_capacity(sets.len());
    for (i, set) in sets.iter().enumerate() {
        let set_at = format!("{at}[{i}]");
        let Value::Array(ranges) = set else {
            return Err(PluginError::config(set_at, "is not a list of ranges"));
        };
        if ranges.is_empty() {
            return Err(PluginError::config(set_at, "is empty"));
        }
        let mut parsed: RangeSet = Vec::with_capacity(ranges.len());
        for (j, range) in ranges.iter().enumerate() {
            let range_at = format!("{set_at}[{j}]");
            let range = Range::from_json(range, &range_at)?;
            if parsed
                .first()
                .is_some_and(|r| r.start.is_ipv4() != range.start.is_ipv4())
            {
                return Err(PluginError::config(
                    range_at,
                    "mixes address families within one range set",
                ));
            }
            if let Some((other_at, _)) = all.iter().find(|(_, r)| r.overlaps(&range)) {
                return Err(PluginError::config(
                    range_at,
                    format!("overlaps {other_at}"),
                ));
            }
            all.push((range_at, range.clone()));
            parsed.push(range);
        }
        out.push(parsed);
    }
    Ok(out)
}

/// A range set as text, for messages.
pub fn describe(set: &RangeSet) -> String {
    let parts: Vec<String> = set.iter().map(ToString::to_string).collect();
    parts.join(", ")
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_u128(n: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(n))
    } else {
        IpAddr::V4(Ipv4Addr::from(u32::try_from(n).unwrap_or(u32::MAX)))
    }
}

/// `ip` moved by `by` addresses (saturating at the family's ends).
pub fn offset(ip: IpAddr, by: i8) -> IpAddr {
    let n = to_u128(ip);
    let moved = if by >= 0 {
        n.saturating_add(by.unsigned_abs().into())
    } else {
        n.saturating_sub(by.unsigned_abs().into())
    };
    from_u128(moved, ip.is_ipv6())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_follow_host_local() {
        let r = Range::from_json(&json!({"subnet": "10.1.0.0/29"}), "r").unwrap();
        assert_eq!(r.start, "10.1.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(r.end, "10.1.0.6".parse::<IpAddr>().unwrap());
        assert_eq!(r.gateway, Some("10.1.0.1".parse().unwrap()));
        let handed: Vec<String> = r.addresses().map(|a| a.to_string()).collect();
        assert_eq!(
            handed,
            ["10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"]
        );
    }

    #[test]
    fn ipv6_ranges() {
        let r = Range::from_json(
            &json!({"subnet": "fd00:1::/64", "rangeStart": "fd00:1::10", "rangeEnd": "fd00:1::11"}),
            "r",
        )
        .unwrap();
        let handed: Vec<String> = r.addresses().map(|a| a.to_string()).collect();
        assert_eq!(handed, ["fd00:1::10", "fd00:1::11"]);
        assert_eq!(
            r.with_prefix("fd00:1::10".parse().unwrap()).to_string(),
            "fd00:1::10/64"
        );
    }

    #[test]
    fn the_spec_example_error() {
        let err = Range::from_json(&json!({"subnet": "192.168.0.0/31"}), "ipam.ranges[0][0]")
            .unwrap_err();
        assert_eq!(err.code(), 7);
        assert!(
            err.to_string()
                .contains("192.168.0.0/31 too small to allocate from"),
            "{err}"
        );
    }

    #[test]
    fn bad_ranges() {
        for (range, needle) in [
            (json!({"subnet": "10.1.0.5/24"}), "host bits"),
            (
                json!({"subnet": "10.1.0.0/24", "rangeStart": "10.2.0.1"}),
                "rangeStart",
            ),
            (
                json!({"subnet": "10.1.0.0/24", "rangeStart": "10.1.0.9", "rangeEnd": "10.1.0.8"}),
                "after",
            ),
            (
                json!({"subnet": "10.1.0.0/24", "gateway": "10.1.0.255"}),
                "gateway",
            ),
            (json!({}), "subnet: missing"),
        ] {
            let err = Range::from_json(&range, "r").unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
        let err = range_sets(
            &json!([[{"subnet": "10.1.0.0/24"}], [{"subnet": "10.1.0.0/25"}]]),
            "ipam.ranges",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("overlaps ipam.ranges[0][0]"),
            "{err}"
        );
    }
}
