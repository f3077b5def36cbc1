//! Proptest strategies for CNI data: arbitrary JSON, valid network
//! configurations with plugin-specific fields, and results each version can
//! hold. Shared by the property tests and the `fuzz` campaign.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};

use crate::spec::Version;
use crate::spec::result::{Dns, Interface100, IpConfig100, Result100, Route};

/// Any JSON value, nested up to `depth`, with numbers JSON can write but
/// floats and 64-bit integers cannot hold (R-REQ-6 is about exactly those).
pub fn json_value(depth: u32) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        big_number().prop_map(Value::Number),
        "\\PC{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(depth, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map("[a-zA-Z_][a-zA-Z0-9_.-]{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Numbers as text: 30-digit integers, decimals with trailing zeros,
/// exponents. They survive only if nothing converts them to f64.
pub fn big_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        "[1-9][0-9]{20,30}",
        "-?[0-9]{1,5}\\.[0-9]{1,6}0",
        "[1-9][0-9]{0,3}e[+-]?[0-9]{1,2}",
    ]
    .prop_map(|s| serde_json::from_str::<Number>(&s).unwrap_or_else(|_| Number::from(0)))
}

/// Keys no configuration schema gives meaning to, so a plugin passes them
/// through as its own.
pub fn plugin_specific_fields() -> impl Strategy<Value = Map<String, Value>> {
    btree_map("x[A-Za-z0-9_]{0,12}", json_value(3), 0..5).prop_map(|m| m.into_iter().collect())
}

/// A valid network name (F-CONF-3).
pub fn network_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9_.-]{0,20}"
}

/// A valid plugin `type` (F-CONF-8).
pub fn plugin_type() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,15}"
}

/// A valid configuration list at `version` (0.3.0 and later), as JSON.
pub fn network_config(version: Version) -> impl Strategy<Value = Value> {
    let plugin = (
        plugin_type(),
        plugin_specific_fields(),
        option::of(capabilities()),
        option::of(ipam()),
    )
        .prop_map(|(ty, extra, caps, ipam)| {
            let mut obj = Map::new();
            obj.insert("type".into(), Value::String(ty));
            if let Some(caps) = caps {
                obj.insert("capabilities".into(), caps);
            }
            if let Some(ipam) = ipam {
                obj.insert("ipam".into(), ipam);
            }
            obj.extend(extra);
            Value::Object(obj)
        });
    (network_name(), vec(plugin, 1..4), any::<bool>()).prop_map(
        move |(name, plugins, disable_check)| {
            let mut list =
                json!({"cniVersion": version.as_str(), "name": name, "plugins": plugins});
            if version >= Version::V0_4_0 && disable_check {
                list["disableCheck"] = json!(true);
            }
            list
        },
    )
}

fn capabilities() -> impl Strategy<Value = Value> {
    btree_map(
        prop_oneof![
            Just("portMappings"),
            Just("mac"),
            Just("ipRanges"),
            Just("bandwidth"),
            Just("ips")
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

fn ipam() -> impl Strategy<Value = Value> {
    (plugin_type(), ipv4_net(), plugin_specific_fields()).prop_map(|(ty, subnet, extra)| {
        let mut obj = Map::new();
        obj.insert("type".into(), Value::String(ty));
        obj.insert(
            "ranges".into(),
            json!([[{"subnet": subnet.trunc().to_string()}]]),
        );
        obj.extend(extra);
        Value::Object(obj)
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
        "[a-z.]{0,10}",
        vec("[a-z.]{1,10}", 0..3),
        vec("[a-z:0-9]{1,8}", 0..3),
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
    let iface = (
        "[a-z][a-z0-9]{0,10}",
        "([0-9a-f]{2}:){5}[0-9a-f]{2}",
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
