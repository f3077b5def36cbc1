//! Properties of the data model: parsing never panics, valid configurations
//! round-trip with plugin-specific fields intact (R-REQ-6), conversions are
//! lossless wherever the lower version can hold the result (F-CONV-*).

use cnitest::fuzz::strategy::{
    json_value, network_config, result_v1, result_v1_legacy_representable,
};
use cnitest::runtime::request::{self, EmptyRuntimeConfig, RequestParts};
use cnitest::spec::result::{ResultKind, validate};
use cnitest::spec::{CniResult, Command, NetworkConfig, Version};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parsing_any_json_never_panics(value in json_value(4)) {
        let _ = NetworkConfig::from_value(value.clone());
        let _ = CniResult::from_value(&value, Some(Version::V1_0_0));
        for v in Version::ALL {
            let _ = validate(&value, v, ResultKind::Attachment);
        }
    }

    #[test]
    fn parsing_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = NetworkConfig::from_slice(&bytes);
    }

    #[test]
    fn valid_configurations_round_trip(value in prop_oneof![
        Just(Version::V0_3_1), Just(Version::V0_4_0), Just(Version::V1_0_0), Just(Version::V1_1_0)
    ].prop_flat_map(network_config)) {
        let text = serde_json::to_string(&value).unwrap();
        let net = NetworkConfig::from_slice(text.as_bytes()).unwrap();
        prop_assert_eq!(serde_json::to_string(&net.to_value()).unwrap(), text);
        // R-REQ-6: what the plugin reads keeps every plugin-specific field,
        // byte for byte.
        for (i, plugin) in net.plugins.iter().enumerate() {
            let req = request::derive(&net, plugin, RequestParts {
                command: Command::Add,
                capability_args: &Map::new(),
                prev_result: None,
                valid_attachments: None,
                empty_runtime_config: EmptyRuntimeConfig::Omit,
            });
            for (key, original) in value["plugins"][i].as_object().unwrap() {
                if key != "capabilities" {
                    prop_assert_eq!(
                        serde_json::to_string(&req[key]).unwrap(),
                        serde_json::to_string(original).unwrap(),
                        "plugins[{}].{}", i, key
                    );
                }
            }
        }
    }

    #[test]
    fn generated_configurations_draw_no_lints(value in prop_oneof![
        network_config(Version::V0_3_0), network_config(Version::V1_0_0), network_config(Version::V1_1_0)
    ]) {
        let net = NetworkConfig::from_value(value).unwrap();
        prop_assert!(net.lints().is_empty(), "{:?}", net.lints());
    }

    #[test]
    fn results_convert_down_and_up_losslessly(r in result_v1()) {
        let original = CniResult::V1(r);
        for to in [Version::V0_3_0, Version::V0_3_1, Version::V0_4_0, Version::V1_1_0] {
            let there = original.convert(to).unwrap();
            prop_assert_eq!(there.version(), to);
            let back = there.convert(Version::V1_0_0).unwrap();
            prop_assert_eq!(&back, &original, "via {}", to);
            // What conversion makes is itself a valid result of that version.
            let issues: Vec<_> = validate(&there.to_value(), to, ResultKind::Attachment)
                .into_iter()
                .filter(|v| v.rule != "F-RES-2" || v.level == cnitest::spec::Level::Must)
                .collect();
            prop_assert!(issues.is_empty(), "{} at {}: {:?}", there.to_value(), to, issues);
        }
    }

    #[test]
    fn results_survive_the_legacy_versions(r in result_v1_legacy_representable()) {
        let original = CniResult::V1(r);
        for to in [Version::V0_1_0, Version::V0_2_0] {
            let there = original.convert(to).unwrap();
            prop_assert_eq!(there.convert(Version::V1_0_0).unwrap(), original.clone(), "via {}", to);
            prop_assert_eq!(CniResult::from_value(&there.to_value(), None).unwrap(), there);
        }
    }

    #[test]
    fn results_serialise_and_parse_back(r in result_v1()) {
        let original = CniResult::V1(r);
        prop_assert_eq!(CniResult::from_value(&original.to_value(), None).unwrap(), original);
    }
}

/// The conversion table: one rich 1.1.0 result in every version, and one
/// 0.2.0 result in every version, as JSON. A change in any conversion rule
/// shows up here as a diff.
#[test]
fn conversion_table_snapshot() {
    let rich = json!({
        "cniVersion": "1.1.0",
        "interfaces": [
            {"name": "cni0", "mac": "0a:58:0a:01:00:01"},
            {"name": "eth0", "mac": "0a:58:0a:01:00:02", "mtu": 1450, "sandbox": "/run/netns/c1", "socketPath": "/run/vhost.sock", "pciID": "0000:04:00.5"}
        ],
        "ips": [
            {"address": "10.1.0.2/24", "gateway": "10.1.0.1", "interface": 1},
            {"address": "10.1.0.3/24", "interface": 1},
            {"address": "fd00:1::2/64", "gateway": "fd00:1::1", "interface": 1}
        ],
        "routes": [
            {"dst": "0.0.0.0/0", "gw": "10.1.0.1", "mtu": 1400, "advmss": 1360, "priority": 100, "table": 100, "scope": 0},
            {"dst": "::/0"}
        ],
        "dns": {"nameservers": ["10.1.0.1"], "domain": "cluster.local", "search": ["svc.cluster.local"], "options": ["ndots:5"]}
    });
    let legacy = json!({
        "cniVersion": "0.2.0",
        "ip4": {"ip": "10.1.0.2/24", "gateway": "10.1.0.1", "routes": [{"dst": "0.0.0.0/0"}]},
        "ip6": {"ip": "fd00:1::2/64", "routes": [{"dst": "::/0", "gw": "fd00:1::1"}]},
        "dns": {"nameservers": ["10.1.0.1"]}
    });
    let mut table = Map::new();
    for (name, source) in [("from 1.1.0", rich), ("from 0.2.0", legacy)] {
        let parsed = CniResult::from_value(&source, None).unwrap();
        let mut row = Map::new();
        for v in Version::ALL {
            row.insert(
                v.to_string(),
                match parsed.convert(v) {
                    Ok(r) => r.to_value(),
                    Err(e) => Value::String(format!("error: {e}")),
                },
            );
        }
        table.insert(name.to_owned(), Value::Object(row));
    }
    insta::with_settings!({
        snapshot_path => "../../snapshots/spec",
        prepend_module_to_snapshot => false,
        description => "F-CONV-1..7: a result converted to every spec version, with libcni's rules",
        omit_expression => true,
    }, {
        // Rendered by serde_json itself: insta's own serialiser does not
        // know serde_json's arbitrary-precision numbers.
        insta::assert_snapshot!("conversion_table", serde_json::to_string_pretty(&Value::Object(table)).unwrap());
    });
}
