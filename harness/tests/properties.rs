//! Properties of our own parsing: no input makes it panic or hang; valid
//! configurations of every version and shape round-trip with plugin-specific
//! values exact (R-REQ-6); every mutation's declared class is what our own
//! front-end model answers, for the documented reason; results convert
//! between every pair of versions the same way whatever the path (F-CONV-*).
//!
//! Each property runs 10,000 cases (`PROPTEST_CASES` overrides); failures
//! are kept in `harness/proptest-regressions/properties.txt` and replayed
//! first on every run.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use cnitest::fuzz::model::{Judged, judge};
use cnitest::fuzz::mutation::{self, Mutation, Parts, Sites};
use cnitest::fuzz::strategy::{
    any_config, any_request, json_value, network_config, result_v1, result_v1_legacy_representable,
};
use cnitest::runtime::request::{self, EmptyRuntimeConfig, RequestParts};
use cnitest::spec::result::{ResultKind, validate};
use cnitest::spec::{CniResult, Command, Level, NetworkConfig, Version};
use proptest::prelude::*;
use proptest::sample::subsequence;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Map, Value, json};

const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/properties.txt"
);

/// No single input may take our parser this long: a hang, not a slow case.
const NO_HANG: Duration = Duration::from_secs(5);

fn config_cases() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(10_000);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..ProptestConfig::default()
    }
}

/// A released subset of versions holding `v`: what a plugin advertises.
fn advertising(v: Version, mut subset: Vec<Version>) -> Vec<Version> {
    if !subset.contains(&v) {
        subset.push(v);
        subset.sort();
    }
    subset
}

fn versions() -> impl Strategy<Value = Vec<Version>> {
    subsequence(Version::ALL.to_vec(), 0..=7)
}

/// A valid request and what its plugin advertises.
fn advertised_request() -> impl Strategy<Value = (Version, Vec<Version>, Value)> {
    (any_request(), versions()).prop_map(|((v, req), subset)| (v, advertising(v, subset), req))
}

/// A valid request, what its plugin advertises, whether its `ipam` section
/// is its own, and a mutation of the request. The mutation strategy's
/// costly parts are made once.
fn mutated_request() -> impl Strategy<Value = (Version, Vec<Version>, bool, Value, Mutation)> {
    let parts = Parts::new();
    (advertised_request(), any::<bool>()).prop_flat_map(move |((v, supported, req), ipam_own)| {
        let sites = Sites::of(&req, &["/opt/cni/bin".to_owned()], &supported);
        let m = mutation::mutation(&sites, &parts);
        (Just(v), Just(supported), Just(ipam_own), Just(req), m)
    })
}

proptest! {
    #![proptest_config(config_cases())]

    #[test]
    fn parsing_any_json_never_panics_nor_hangs(value in json_value(4)) {
        let started = Instant::now();
        let bytes = serde_json::to_vec(&value).unwrap();
        let _ = NetworkConfig::from_value(value.clone());
        let _ = CniResult::from_value(&value, Some(Version::V1_0_0));
        for v in Version::ALL {
            let _ = validate(&value, v, ResultKind::Attachment);
        }
        let _ = judge(&bytes, &Version::ALL, false);
        prop_assert!(started.elapsed() < NO_HANG, "{:?} for {}", started.elapsed(), value);
    }

    #[test]
    fn parsing_any_bytes_never_panics_nor_hangs(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let started = Instant::now();
        let _ = NetworkConfig::from_slice(&bytes);
        let _ = judge(&bytes, &Version::ALL, true);
        prop_assert!(started.elapsed() < NO_HANG);
    }

    #[test]
    fn valid_configurations_round_trip((v, value) in any_config()) {
        let text = serde_json::to_string(&value).unwrap();
        let net = NetworkConfig::from_slice(text.as_bytes()).unwrap();
        prop_assert_eq!(&net.cni_version, v.as_str());
        prop_assert!(net.lints().is_empty(), "{:?}", net.lints());
        if value.get("plugins").is_some() {
            prop_assert_eq!(serde_json::to_string(&net.to_value()).unwrap(), text);
        } else {
            // A single configuration is wrapped into a list of one; the
            // object itself is kept as written.
            prop_assert_eq!(serde_json::to_string(net.plugins[0].raw()).unwrap(), text);
        }
        // R-REQ-6: what the plugin reads keeps every other field, byte for
        // byte; R-REQ-2/3: runtimeConfig is exactly the capabilities
        // declared and supplied, and capabilities are gone.
        let objects: Vec<&Map<String, Value>> = match value.get("plugins") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
            _ => value.as_object().into_iter().collect(),
        };
        let caps_args = json!({"mac": "02:00:00:00:00:01", "portMappings": []});
        let caps_args = caps_args.as_object().unwrap();
        for (i, (plugin, original)) in net.plugins.iter().zip(objects).enumerate() {
            let req = request::derive(&net, plugin, RequestParts {
                command: Command::Add,
                capability_args: caps_args,
                prev_result: None,
                valid_attachments: None,
                empty_runtime_config: EmptyRuntimeConfig::Omit,
            });
            for (key, value) in original {
                if !["capabilities", "cniVersion", "name"].contains(&key.as_str()) {
                    prop_assert_eq!(
                        serde_json::to_string(&req[key]).unwrap(),
                        serde_json::to_string(value).unwrap(),
                        "plugins[{}].{}", i, key
                    );
                }
            }
            prop_assert!(!req.contains_key("capabilities"));
            let declared: BTreeSet<&str> = plugin.capabilities().into_iter()
                .filter(|(_, on)| *on).map(|(k, _)| k).collect();
            let sent: BTreeSet<&str> = req.get("runtimeConfig").and_then(Value::as_object)
                .map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
            let supplied: BTreeSet<&str> = caps_args.keys().map(String::as_str).collect();
            prop_assert_eq!(sent, &declared & &supplied);
        }
    }

    #[test]
    fn valid_requests_are_accepted_and_kept_exactly((v, supported, req) in advertised_request()) {
        let bytes = serde_json::to_vec(&req).unwrap();
        prop_assert_eq!(judge(&bytes, &supported, false), Judged::Accept { version: v });
        let net = NetworkConfig::from_slice(&bytes).unwrap();
        // Everything, prevResult and plugin-specific numbers included.
        prop_assert_eq!(serde_json::to_vec(net.plugins[0].raw()).unwrap(), bytes);
        if let Some(prev) = req.get("prevResult") {
            let issues: Vec<_> = validate(prev, v, ResultKind::Attachment)
                .into_iter()
                .filter(|i| i.level == Level::Must && i.rule != "F-RES-2")
                .collect();
            prop_assert!(issues.is_empty(), "{:?}", issues);
        }
    }

    #[test]
    fn mutations_are_refused_for_their_documented_reason(
        (v, supported, ipam_own, req, m) in mutated_request()
    ) {
        let started = Instant::now();
        let cx = mutation::context(&req, v, &supported, ipam_own);
        let expect = m.expect(&cx);
        let applied = m.apply(&req);
        let judged = judge(&applied.bytes, &supported, ipam_own);
        let _ = NetworkConfig::from_slice(&applied.bytes);
        prop_assert!(started.elapsed() < NO_HANG);
        match &judged {
            Judged::Accept { version } => {
                prop_assert!(expect.success, "{} was accepted; expected {}", m.describe(), expect);
                prop_assert!(expect.versions.contains(version), "{} served at {}", m.describe(), version);
            }
            Judged::Refuse { code, path, why } => {
                prop_assert!(
                    expect.admits_code(u64::from(*code)),
                    "{}: our model answers code {} ({}: {}); the class says {}", m.describe(), code, path, why, expect
                );
                if !expect.success {
                    prop_assert_eq!(path, &m.target(), "{}: refused for {}", m.describe(), why);
                }
            }
        }
        // Where the input is still JSON, the mutated JSON is what was sent.
        if let Some(json) = &applied.json {
            prop_assert_eq!(&serde_json::from_slice::<Value>(&applied.bytes).unwrap(), json);
        }
    }

    #[test]
    fn results_convert_the_same_whatever_the_path(r in result_v1()) {
        let original = CniResult::V1(r);
        for via in [Version::V0_3_0, Version::V0_3_1, Version::V0_4_0, Version::V1_0_0, Version::V1_1_0] {
            let there = original.convert(via).unwrap();
            prop_assert_eq!(there.version(), via);
            // What conversion makes is itself a valid result of that version.
            let issues: Vec<_> = validate(&there.to_value(), via, ResultKind::Attachment)
                .into_iter()
                .filter(|i| i.rule != "F-RES-2" || i.level == Level::Must)
                .collect();
            prop_assert!(issues.is_empty(), "{} at {}: {:?}", there.to_value(), via, issues);
            prop_assert_eq!(there.convert(Version::V1_0_0).unwrap(), original.clone(), "via {}", via);
            for to in Version::ALL {
                match (original.convert(to), there.convert(to)) {
                    (Ok(direct), Ok(indirect)) => prop_assert_eq!(direct, indirect, "{} -> {}", via, to),
                    (Err(_), Err(_)) => {}
                    (a, b) => prop_assert!(false, "to {} directly {:?}, via {} {:?}", to, a, via, b),
                }
            }
        }
    }

    #[test]
    fn legacy_results_convert_between_every_pair(r in result_v1_legacy_representable()) {
        let original = CniResult::V1(r);
        let direct: Vec<CniResult> = Version::ALL
            .iter()
            .map(|to| original.convert(*to).unwrap())
            .collect();
        for (to, d) in Version::ALL.iter().zip(&direct) {
            let issues: Vec<_> = validate(&d.to_value(), *to, ResultKind::Attachment)
                .into_iter()
                .filter(|i| i.level == Level::Must && i.rule != "F-RES-2")
                .collect();
            prop_assert!(issues.is_empty(), "{}: {:?}", to, issues);
        }
        for (from, there) in Version::ALL.iter().zip(&direct) {
            prop_assert_eq!(&CniResult::from_value(&there.to_value(), None).unwrap(), there);
            for (to, d) in Version::ALL.iter().zip(&direct) {
                prop_assert_eq!(&there.convert(*to).unwrap(), d, "{} -> {}", from, to);
            }
        }
    }

    #[test]
    fn results_serialise_and_parse_back(r in result_v1()) {
        let original = CniResult::V1(r);
        prop_assert_eq!(CniResult::from_value(&original.to_value(), None).unwrap(), original);
    }

    #[test]
    fn lists_of_every_version_draw_no_lints(
        value in prop_oneof![
            network_config(Version::V0_3_0), network_config(Version::V0_4_0),
            network_config(Version::V1_0_0), network_config(Version::V1_1_0)
        ]
    ) {
        let net = NetworkConfig::from_value(value).unwrap();
        prop_assert!(net.lints().is_empty(), "{:?}", net.lints());
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

/// The regressions file proptest replays is where the README says.
#[test]
fn regressions_live_beside_the_readme() {
    let dir = std::path::Path::new(REGRESSIONS).parent().unwrap();
    assert!(dir.join("README.md").is_file(), "{}", dir.display());
}
