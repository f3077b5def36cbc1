//! Expressing a result in the version the request asked for.

use cnitest::spec::result::Result100;
use cnitest::spec::{CniResult, Version};
use serde_json::Value;

use crate::error::PluginError;

/// `result` in `version`'s shape: 1.1.0-only fields are dropped below 1.1.0
/// (the data model keeps them, as libcni does, catalogue 13.16; we do not
/// send what the version does not define), then the data model converts:
/// `ips[].version` at 0.3.x/0.4.0, `ip4`/`ip6` at 0.1.0/0.2.0.
pub fn express(mut result: Result100, version: Version) -> Result<Value, PluginError> {
    if version < Version::V1_1_0 {
        for interface in &mut result.interfaces {
            interface.mtu = None;
            interface.socket_path.clear();
            interface.pci_id.clear();
        }
        for route in &mut result.routes {
            *route = route.basic();
        }
    }
    Ok(CniResult::V1(result).convert(version)?.to_value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cnitest::spec::result::{Interface100, IpConfig100};
    use serde_json::json;

    fn sample() -> Result100 {
        let mut eth0 = Interface100::new("eth0", "02:00:00:00:00:01", "/run/netns/c");
        eth0.mtu = Some(1400);
        Result100 {
            cni_version: Version::V1_1_0,
            interfaces: vec![eth0],
            ips: vec![IpConfig100 {
                interface: Some(0),
                address: "10.1.0.2/24".parse().unwrap(),
                gateway: Some("10.1.0.1".parse().unwrap()),
            }],
            routes: Vec::new(),
            dns: Default::default(),
        }
    }

    #[test]
    fn mtu_only_at_1_1_0() {
        let v = express(sample(), Version::V1_1_0).unwrap();
        assert_eq!(v["interfaces"][0]["mtu"], 1400);
        let v = express(sample(), Version::V1_0_0).unwrap();
        assert_eq!(v["cniVersion"], "1.0.0");
        assert!(v["interfaces"][0].get("mtu").is_none());
    }

    #[test]
    fn version_field_at_0_4_0_and_ip4_at_0_2_0() {
        let v = express(sample(), Version::V0_4_0).unwrap();
        assert_eq!(v["ips"][0]["version"], "4");
        let v = express(sample(), Version::V0_2_0).unwrap();
        assert_eq!(
            v["ip4"],
            json!({"ip": "10.1.0.2/24", "gateway": "10.1.0.1"})
        );
    }
}
