//! Proptest strategies for CNI data: arbitrary JSON, valid network
//! configurations with plugin-specific fields, and results each version can
//! hold. Shared by the property tests and the `fuzz` campaign.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};

use crate::spec::result::{Dns, Interface100, IpConfig100, Result100, Route};
use crate::spec::{CniResult, Version};

/// Strings matching `re`, its regular expression compiled once: proptest
/// reads a `&str` strategy's expression again for every value it makes.
pub fn pattern(re: &'static str) -> BoxedStrategy<String> {
    // The expressions are constants of this module, each covered by the
    // test below; an invalid one would yield empty strings, not a panic.
    match proptest::string::string_regex(re) {
        Ok(s) => s.boxed(),
        Err(_) => Just(String::new()).boxed(),
    }
}

/// Any JSON value, nested up to `depth`, with numbers JSON can write but
/// floats and 64-bit integers cannot hold (R-REQ-6 is about exactly those).
/// Built level by level rather than with `prop_recursive`, which costs
/// several times more per value.
pub fn json_value(depth: u32) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        big_number().prop_map(Value::Number),
        pattern("\\PC{0,16}").prop_map(Value::String),
    ]
    .boxed();
    let key = pattern("[a-zA-Z_][a-zA-Z0-9_.-]{0,10}");
    let mut value = leaf.clone();
    for _ in 0..depth {
        value = prop_oneof![
            2 => leaf.clone(),
            1 => vec(value.clone(), 0..5).prop_map(Value::Array),
            1 => btree_map(key.clone(), value, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
        .boxed();
    }
    value
}

/// Numbers as text: 30-digit integers, decimals with trailing zeros,
/// exponents. They survive only if nothing converts them to f64.
pub fn big_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        pattern("[1-9][0-9]{20,30}"),
        // No leading zeros: JSON has none.
        pattern("-?(0|[1-9][0-9]{0,4})\\.[0-9]{1,6}0"),
        pattern("[1-9][0-9]{0,3}e[+-]?[0-9]{1,2}"),
    ]
    .prop_map(|s| serde_json::from_str::<Number>(&s).unwrap_or_else(|_| Number::from(0)))
}

/// Keys no configuration schema gives meaning to, so a plugin passes them
/// through as its own.
pub fn plugin_specific_fields() -> impl Strategy<Value = Map<String, Value>> {
    btree_map(pattern("x[A-Za-z0-9_]{0,12}"), json_value(2), 0..3)
        .prop_map(|m| m.into_iter().collect())
}

/// A valid network name (F-CONF-3).
pub fn network_name() -> impl Strategy<Value = String> {
    pattern("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,20}")
}

/// A valid plugin `type` (F-CONF-8).
pub fn plugin_type() -> impl Strategy<Value = String> {
    pattern("[a-z][a-z0-9-]{0,15}")
}

/// A valid plugin configuration object at `version`: its `type`, the
/// well-known keys (`capabilities` from 0.3.0, `ipMasq`, `ipam` with ranges
/// and routes, `dns`) and fields of its own.
pub fn plugin_object(version: Version) -> impl Strategy<Value = Map<String, Value>> {
    (
        plugin_type(),
        plugin_specific_fields(),
        option::of(capabilities()),
        option::of(ipam()),
        option::of(dns_config()),
        option::of(any::<bool>()),
    )
        .prop_map(move |(ty, extra, caps, ipam, dns, ip_masq)| {
            let mut obj = Map::new();
            obj.insert("type".into(), Value::String(ty));
            if let Some(caps) = caps.filter(|_| version.has_lists()) {
                obj.insert("capabilities".into(), caps);
            }
            if let Some(m) = ip_masq {
                obj.insert("ipMasq".into(), Value::Bool(m));
            }
            if let Some(ipam) = ipam {
                obj.insert("ipam".into(), ipam);
            }
            if let Some(dns) = dns {
                obj.insert("dns".into(), dns);
            }
            obj.extend(extra);
            obj
        })
}

/// A valid configuration list at `version` (0.3.0 and later), as JSON.
pub fn network_config(version: Version) -> impl Strategy<Value = Value> {
    (
        network_name(),
        vec(plugin_object(version), 1..4),
        any::<bool>(),
    )
        .prop_map(move |(name, plugins, disable_check)| {
            let plugins: Vec<Value> = plugins.into_iter().map(Value::Object).collect();
            let mut list =
                json!({"cniVersion": version.as_str(), "name": name, "plugins": plugins});
            if version >= Version::V0_4_0 && disable_check {
                list["disableCheck"] = json!(true);
            }
            list
        })
}

/// A valid single network configuration at `version` (up to 0.4.0; 1.0.0
/// removed them): `cniVersion`, `name`, the plugin object's keys, and
/// `args` from 0.2.0.
pub fn single_config(version: Version) -> impl Strategy<Value = Value> {
    (network_name(), plugin_object(version), option::of(args())).prop_map(
        move |(name, plugin, args)| {
            let mut obj = Map::new();
            obj.insert(
                "cniVersion".into(),
                Value::String(version.as_str().to_owned()),
            );
            obj.insert("name".into(), Value::String(name));
            obj.extend(plugin);
            if let Some(args) = args.filter(|_| version >= Version::V0_2_0) {
                obj.insert("args".into(), args);
            }
            Value::Object(obj)
        },
    )
}

/// A valid configuration at `version`, in every shape the version has.
pub fn config(version: Version) -> BoxedStrategy<Value> {
    match (version.has_single_conf(), version.has_lists()) {
        (true, true) => prop_oneof![single_config(version), network_config(version)].boxed(),
        (true, false) => single_config(version).boxed(),
        _ => network_config(version).boxed(),
    }
}

/// Any released version.
pub fn version() -> impl Strategy<Value = Version> {
    proptest::sample::select(Version::ALL.to_vec())
}

/// A valid configuration of any version, with its version: the strategies
/// of every version made once, not once per value.
pub fn any_config() -> impl Strategy<Value = (Version, Value)> {
    proptest::strategy::Union::new(
        Version::ALL.map(|v| config(v).prop_map(move |c| (v, c)).boxed()),
    )
}

/// A valid request of any version, with its version.
pub fn any_request() -> impl Strategy<Value = (Version, Value)> {
    proptest::strategy::Union::new(
        Version::ALL.map(|v| request(v).prop_map(move |r| (v, r)).boxed()),
    )
}

/// A request as a plugin reads it at `version`: a plugin object with `name`
/// and `cniVersion`, `runtimeConfig` of its capabilities' arguments,
/// `args`, and from 0.3.0 a `prevResult` of that version's shape.
pub fn request(version: Version) -> impl Strategy<Value = Value> {
    let prev = if version.has_lists() {
        option::of(prev_result(version)).boxed()
    } else {
        Just(None).boxed()
    };
    (
        network_name(),
        plugin_object(version),
        capability_args(),
        option::of(args()),
        prev,
    )
        .prop_map(move |(name, mut plugin, caps_args, args, prev)| {
            let mut obj = Map::new();
            obj.insert(
                "cniVersion".into(),
                Value::String(version.as_str().to_owned()),
            );
            obj.insert("name".into(), Value::String(name));
            let declared: Vec<String> = plugin
                .shift_remove("capabilities")
                .and_then(|c| c.as_object().cloned())
                .map(|c| {
                    c.into_iter()
                        .filter(|(_, on)| on == &Value::Bool(true))
                        .map(|(k, _)| k)
                        .collect()
                })
                .unwrap_or_default();
            obj.extend(plugin);
            let runtime_config: Map<String, Value> = caps_args
                .into_iter()
                .filter(|(k, _)| declared.contains(k))
                .collect();
            if !runtime_config.is_empty() {
                obj.insert("runtimeConfig".into(), Value::Object(runtime_config));
            }
            if let Some(args) = args.filter(|_| version >= Version::V0_2_0) {
                obj.insert("args".into(), args);
            }
            if let Some(prev) = prev {
                obj.insert("prevResult".into(), prev);
            }
            Value::Object(obj)
        })
}

/// A `prevResult` in `version`'s result shape (chains, and so
/// `prevResult`, exist from 0.3.0).
pub fn prev_result(version: Version) -> impl Strategy<Value = Value> {
    result_v1().prop_filter_map("representable at the version", move |r| {
        CniResult::V1(r).convert(version).ok().map(|c| c.to_value())
    })
}

/// Capability declarations: well-known names, on or off (F-CONF-9).
pub fn capabilities() -> impl Strategy<Value = Value> {
    btree_map(
        prop_oneof![
            Just("portMappings"),
            Just("mac"),
            Just("ipRanges"),
            Just("bandwidth"),
            Just("ips"),
            Just("aliases"),
        ],
        any::<bool>(),
        0..4,
    )
    .prop_map(|m| {
        Value::Object(
            m.into_iter()
                .map(|(k, v)| (k.to_owned(), Value::Bool(v)))
                .collect(),
        )
    })
}

/// What a runtime may hold for the well-known capabilities (C-CAP-2).
pub fn capability_args() -> impl Strategy<Value = Map<String, Value>> {
    (
        option::of((1u16..=65535, 1u16..=65535)),
        option::of(any::<[u8; 5]>()),
        option::of(ipv4_net()),
        option::of(1u64..1_000_000_000),
    )
        .prop_map(|(ports, mac, net, rate)| {
            let mut m = Map::new();
            if let Some((host, container)) = ports {
                m.insert(
                    "portMappings".into(),
                    json!([{"hostPort": host, "containerPort": container, "protocol": "tcp"}]),
                );
            }
            if let Some(b) = mac {
                // Locally administered, unicast.
                let text = format!(
                    "02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                    b[0], b[1], b[2], b[3], b[4]
                );
                m.insert("mac".into(), Value::String(text));
            }
            if let Some(net) = net {
                m.insert(
                    "ipRanges".into(),
                    json!([[{"subnet": net.trunc().to_string()}]]),
                );
            }
            if let Some(rate) = rate {
                m.insert(
                    "bandwidth".into(),
                    json!({"ingressRate": rate, "ingressBurst": rate, "egressRate": rate, "egressBurst": rate}),
                );
            }
            m
        })
}

/// A network configuration's `dns` (F-CONF-11): name servers by address.
pub fn dns_config() -> impl Strategy<Value = Value> {
    dns().prop_map(|d| {
        let mut m = Map::new();
        if !d.nameservers.is_empty() {
            m.insert("nameservers".into(), json!(d.nameservers));
        }
        if !d.domain.is_empty() {
            m.insert("domain".into(), Value::String(d.domain));
        }
        if !d.search.is_empty() {
            m.insert("search".into(), json!(d.search));
        }
        if !d.options.is_empty() {
            m.insert("options".into(), json!(d.options));
        }
        Value::Object(m)
    })
}

/// `args` (F-CONF-13, C-ARGS-1): labels under `cni`, where CONVENTIONS puts
/// the well-known entries, and data of a runtime's own, which plugins
/// ignore. The keys plugins act on (`ips`, `mac`) are left out.
pub fn args() -> impl Strategy<Value = Value> {
    (
        vec(
            (
                pattern("[a-z][a-z0-9.-]{0,10}"),
                pattern("[a-zA-Z0-9 _.-]{0,16}"),
            ),
            0..3,
        ),
        btree_map(pattern("x[a-zA-Z0-9]{0,8}"), json_value(2), 0..3),
    )
        .prop_map(|(labels, own)| {
            let labels: Vec<Value> = labels
                .into_iter()
                .map(|(k, v)| json!({"key": k, "value": v}))
                .collect();
            let mut m = Map::new();
            m.insert("cni".into(), json!({"labels": labels}));
            m.extend(own);
            Value::Object(m)
        })
}

/// An `ipam` section as host-local and the reference IPAM plugin read it:
/// range sets (IPv4 and IPv6) of ranges with optional bounds and gateway,
/// routes of their families, `dns`, and fields of its own.
pub fn ipam() -> impl Strategy<Value = Value> {
    (
        plugin_type(),
        vec(range_set(true), 0..3),
        vec(range_set(false), 0..2),
        vec(any::<bool>().prop_flat_map(route_in), 0..3),
        option::of(dns_config()),
        plugin_specific_fields(),
    )
        .prop_map(|(ty, v4, v6, routes, dns, extra)| {
            let mut obj = Map::new();
            obj.insert("type".into(), Value::String(ty));
            let sets: Vec<Value> = v4.into_iter().chain(v6).collect();
            if !sets.is_empty() {
                obj.insert("ranges".into(), Value::Array(sets));
            }
            if !routes.is_empty() {
                let routes: Vec<Value> = routes
                    .iter()
                    .map(|r| match r.gw {
                        Some(gw) => json!({"dst": r.dst.to_string(), "gw": gw.to_string()}),
                        None => json!({"dst": r.dst.to_string()}),
                    })
                    .collect();
                obj.insert("routes".into(), Value::Array(routes));
            }
            if let Some(dns) = dns {
                obj.insert("dns".into(), dns);
            }
            obj.extend(extra);
            Value::Object(obj)
        })
}

/// A range set: ranges of one family, each a subnet with optional start,
/// end and gateway inside it.
fn range_set(v4: bool) -> impl Strategy<Value = Value> {
    let net = if v4 {
        ipv4_net().boxed()
    } else {
        ipv6_net().boxed()
    };
    let range = net.prop_flat_map(|n| {
        let n = n.trunc();
        (
            Just(n),
            option::of((ip_in(n), ip_in(n))),
            option::of(ip_in(n)),
        )
    });
    vec(range, 1..3).prop_map(|ranges| {
        Value::Array(
            ranges
                .into_iter()
                .map(|(subnet, bounds, gateway)| {
                    let mut r = Map::new();
                    r.insert("subnet".into(), Value::String(subnet.to_string()));
                    if let Some((a, b)) = bounds {
                        let (start, end) = if a <= b { (a, b) } else { (b, a) };
                        r.insert("rangeStart".into(), Value::String(start.to_string()));
                        r.insert("rangeEnd".into(), Value::String(end.to_string()));
                    }
                    if let Some(gw) = gateway {
                        r.insert("gateway".into(), Value::String(gw.to_string()));
                    }
                    Value::Object(r)
                })
                .collect(),
        )
    })
}

pub fn ipv4_net() -> impl Strategy<Value = IpNet> {
    (any::<[u8; 4]>(), 8u8..=30)
        .prop_map(|(o, p)| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(o), p).unwrap_or_default()))
}

pub fn ipv6_net() -> impl Strategy<Value = IpNet> {
    (any::<[u16; 8]>(), 32u8..=126).prop_map(|(s, p)| {
        // Keep clear of IPv4-mapped addresses: their `version` is "4" (F-CONV-6).
        let s = [
            0xfd00 | (s[0] & 0xff),
            s[1],
            s[2],
            s[3],
            s[4],
            s[5],
            s[6],
            s[7],
        ];
        IpNet::V6(Ipv6Net::new(Ipv6Addr::from(s), p).unwrap_or_default())
    })
}

fn ip_in(net: IpNet) -> impl Strategy<Value = IpAddr> {
    any::<u32>().prop_map(move |n| match net {
        IpNet::V4(v4) => IpAddr::V4(Ipv4Addr::from(
            u32::from(v4.network()) | (n & !u32::from(v4.netmask())),
        )),
        IpNet::V6(v6) => IpAddr::V6(Ipv6Addr::from(
            u128::from(v6.network()) | u128::from(n) & !u128::from(v6.netmask()),
        )),
    })
}

fn route_in(family_v4: bool) -> impl Strategy<Value = Route> {
    let net = if family_v4 {
        ipv4_net().boxed()
    } else {
        ipv6_net().boxed()
    };
    net.prop_flat_map(|dst| (Just(dst.trunc()), option::of(ip_in(dst))))
        .prop_map(|(dst, gw)| Route::new(dst, gw))
}

fn dns() -> impl Strategy<Value = Dns> {
    let nameserver = prop_oneof![
        any::<[u8; 4]>().prop_map(|o| Ipv4Addr::from(o).to_string()),
        any::<[u16; 8]>().prop_map(|s| Ipv6Addr::from(s).to_string()),
    ];
    (
        vec(nameserver, 0..3),
        pattern("[a-z.]{0,10}"),
        vec(pattern("[a-z.]{1,10}"), 0..3),
        vec(pattern("[a-z:0-9]{1,8}"), 0..3),
    )
        .prop_map(|(nameservers, domain, search, options)| Dns {
            nameservers,
            domain,
            search,
            options,
        })
}

/// A 1.0.0 result an interface plugin might print: interfaces, addresses
/// indexing them, routes of the addresses' families.
pub fn result_v1() -> impl Strategy<Value = Result100> {
    let mac = any::<[u8; 6]>().prop_map(|b| {
        let parts: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
        parts.join(":")
    });
    let iface = (
        pattern("[a-z][a-z0-9]{0,10}"),
        mac,
        prop_oneof![Just(String::new()), Just("/run/netns/x".to_owned())],
    )
        .prop_map(|(name, mac, sandbox)| Interface100::new(name, mac, sandbox));
    vec(iface, 1..4)
        .prop_flat_map(|interfaces| {
            let n = interfaces.len() as i64;
            let ip = (prop_oneof![ipv4_net(), ipv6_net()], option::of(0..n)).prop_flat_map(
                |(net, interface)| {
                    (Just(net), Just(interface), option::of(ip_in(net))).prop_map(
                        |(address, interface, gateway)| IpConfig100 {
                            interface,
                            address,
                            gateway,
                        },
                    )
                },
            );
            (
                Just(interfaces),
                vec(ip, 0..4),
                vec(any::<bool>().prop_flat_map(route_in), 0..4),
                dns(),
            )
        })
        .prop_map(|(interfaces, ips, routes, dns)| Result100 {
            cni_version: Version::V1_0_0,
            interfaces,
            ips,
            routes,
            dns,
        })
}

/// A 1.0.0 result that 0.1.0/0.2.0 can hold without loss: at most one
/// address per family, IPv4 first, no interfaces, routes grouped by family.
pub fn result_v1_legacy_representable() -> impl Strategy<Value = Result100> {
    let v4 = option::of((ipv4_net(), any::<bool>()).prop_flat_map(|(net, gw)| {
        (
            Just(net),
            if gw {
                option::of(ip_in(net)).boxed()
            } else {
                Just(None).boxed()
            },
            vec(route_in(true), 0..3),
        )
    }));
    let v6 = option::of((ipv6_net(), any::<bool>()).prop_flat_map(|(net, gw)| {
        (
            Just(net),
            if gw {
                option::of(ip_in(net)).boxed()
            } else {
                Just(None).boxed()
            },
            vec(route_in(false), 0..3),
        )
    }));
    (v4, v6, dns())
        .prop_filter("at least one address", |(a, b, _)| {
            a.is_some() || b.is_some()
        })
        .prop_map(|(v4, v6, dns)| {
            let mut ips = Vec::new();
            let mut routes = Vec::new();
            for (address, gateway, rs) in [v4, v6].into_iter().flatten() {
                ips.push(IpConfig100 {
                    interface: None,
                    address,
                    gateway,
                });
                routes.extend(rs);
            }
            Result100 {
                cni_version: Version::V1_0_0,
                interfaces: Vec::new(),
                ips,
                routes,
                dns,
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn patterns_compile() {
        let mut runner = TestRunner::deterministic();
        for s in [
            network_name().boxed(),
            plugin_type().boxed(),
            pattern("[a-z][a-z0-9]{0,10}"),
        ] {
            let v = s.new_tree(&mut runner).unwrap().current();
            assert!(!v.is_empty());
        }
        for _ in 0..20 {
            let n = big_number().new_tree(&mut runner).unwrap().current();
            assert_ne!(n.to_string(), "0");
        }
    }
}
