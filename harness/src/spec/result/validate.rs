//! The result validator: every way a JSON value departs from the result
//! shape of a spec version, each with the rule it breaks and its grade.
//!
//! It works on the raw JSON, not on the typed model, so that it can say
//! exactly which field has which wrong value (`ips[0].address: "10.0.0.2" is
//! not CIDR`) and keep going after the first problem.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{Map, Value};

use crate::spec::error::{kind_of, short_json};
use crate::spec::rule::Level;
use crate::spec::version::{ResultFamily, Version};

/// Who produced the result: a plugin that attaches an interface (interface
/// and chained plugins), or a delegated IPAM plugin, whose result is
/// abbreviated (P-DELEG-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultKind {
    Attachment,
    Ipam,
}

/// One departure from the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: &'static str,
    pub level: Level,
    /// Where, as a JSON path (`ips[1].interface`); empty for the whole value.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{} ({} {})", self.message, self.rule, self.level)
        } else {
            write!(
                f,
                "{}: {} ({} {})",
                self.path, self.message, self.rule, self.level
            )
        }
    }
}

/// Validates `value` as the ADD result of a request at `requested`.
pub fn validate(value: &Value, requested: Version, kind: ResultKind) -> Vec<Violation> {
    let mut c = Checker {
        requested,
        shape: requested,
        kind,
        found: Vec::new(),
    };
    c.result(value);
    c.found
}

struct Checker {
    requested: Version,
    /// The version whose shape the body is held to: the result's own, when
    /// it names a released one, so that a wrong `cniVersion` is reported once
    /// rather than as a cascade of shape errors.
    shape: Version,
    kind: ResultKind,
    found: Vec<Violation>,
}

impl Checker {
    fn push(
        &mut self,
        rule: &'static str,
        level: Level,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.found.push(Violation {
            rule,
            level: level.at(self.requested),
            path: path.into(),
            message: message.into(),
        });
    }

    fn result(&mut self, value: &Value) {
        let Value::Object(map) = value else {
            self.push(
                "F-RES-1",
                Level::Must,
                "",
                format!("the result is {}, not an object", kind_of(value)),
            );
            return;
        };
        match map.get("cniVersion") {
            None => self.push("F-RES-1", Level::Must, "cniVersion", "missing"),
            Some(Value::String(s)) if s == self.requested.as_str() => {}
            Some(Value::String(s)) => {
                self.push(
                    "P-ADD-1",
                    Level::Must,
                    "cniVersion",
                    format!("{s:?}, but the request was {}", self.requested),
                );
                if let Some(v) = Version::from_exact(s) {
                    self.shape = v;
                }
            }
            Some(other) => self.push(
                "F-RES-1",
                Level::Must,
                "cniVersion",
                format!("{} is not a string", short_json(other)),
            ),
        }
        match self.shape.family() {
            ResultFamily::Legacy => self.legacy(map),
            ResultFamily::V04 | ResultFamily::V1 => self.modern(map),
        }
    }

    fn unknown_keys(&mut self, map: &Map<String, Value>, path: &str, known: &[&str], what: &str) {
        for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
            self.push(
                "F-RES-1",
                Level::Should,
                join(path, key),
                format!("is not a field of {what} at {}", self.shape),
            );
        }
    }

    fn legacy(&mut self, map: &Map<String, Value>) {
        self.unknown_keys(map, "", &["cniVersion", "ip4", "ip6", "dns"], "a result");
        for (key, family) in [("ip4", Family::V4), ("ip6", Family::V6)] {
            let Some(ip) = map.get(key) else { continue };
            let Some(ip) = self.object(ip, key, "F-RES-1") else {
                continue;
            };
            self.unknown_keys(ip, key, &["ip", "gateway", "routes"], "an ip object");
            let path = join(key, "ip");
            match ip.get("ip") {
                None => self.push("F-RES-1", Level::Must, path, "missing"),
                Some(v) => {
                    if let Some(net) = self.cidr(v, &path, "F-RES-1") {
                        self.family(Family::of(net.addr()), family, &path, "F-RES-1");
                    }
                }
            }
            if let Some(gw) = ip.get("gateway") {
                let path = join(key, "gateway");
                if let Some(addr) = self.ip(gw, &path, "F-RES-1") {
                    self.family(Family::of(addr), family, &path, "F-RES-1");
                }
            }
            if let Some(routes) = ip.get("routes") {
                self.routes(routes, &join(key, "routes"), Some(family));
            }
        }
        if let Some(dns) = map.get("dns") {
            self.dns(dns);
        }
    }

    fn modern(&mut self, map: &Map<String, Value>) {
        self.unknown_keys(
            map,
            "",
            &["cniVersion", "interfaces", "ips", "routes", "dns"],
            "a result",
        );
        let interface_count = match map.get("interfaces") {
            None => 0,
            Some(v) => self.interfaces(v),
        };
        if let Some(ips) = map.get("ips") {
            self.ips(ips, interface_count);
        }
        if let Some(routes) = map.get("routes") {
            self.routes(routes, "routes", None);
        }
        if let Some(dns) = map.get("dns") {
            self.dns(dns);
        }
    }

    /// Returns how many entries `interfaces` has, for the index check.
    fn interfaces(&mut self, value: &Value) -> usize {
        let Some(items) = self.array(value, "interfaces", "F-RES-1") else {
            return 0;
        };
        if self.kind == ResultKind::Ipam && !items.is_empty() {
            self.push(
                "P-DELEG-8",
                self.deleg8_level(),
                "interfaces",
                "an IPAM result must leave out the interfaces array",
            );
        }
        let at_1_1 = self.shape >= Version::V1_1_0;
        let mut known = vec!["name", "mac", "sandbox"];
        if self.shape.family() == ResultFamily::V1 {
            known.extend(["mtu", "socketPath", "pciID"]);
        }
        for (i, item) in items.iter().enumerate() {
            let path = format!("interfaces[{i}]");
            let Some(iface) = self.object(item, &path, "F-RES-1") else {
                continue;
            };
            self.unknown_keys(iface, &path, &known, "an interface");
            match iface.get("name") {
                Some(Value::String(s)) if !s.is_empty() => {}
                Some(Value::String(_)) => {
                    self.push("P-ADD-5", Level::Must, join(&path, "name"), "is empty")
                }
                Some(other) => self.push(
                    "P-ADD-5",
                    Level::Must,
                    join(&path, "name"),
                    format!("{} is not a string", short_json(other)),
                ),
                None => self.push("P-ADD-5", Level::Must, join(&path, "name"), "missing"),
            }
            if let Some(mac) = iface.get("mac") {
                match mac {
                    Value::String(s) if s.is_empty() || is_mac(s) => {}
                    Value::String(s) => self.push(
                        "P-ADD-5",
                        Level::Must,
                        join(&path, "mac"),
                        format!("{s:?} is not a hardware address"),
                    ),
                    other => self.push(
                        "P-ADD-5",
                        Level::Must,
                        join(&path, "mac"),
                        format!("{} is not a string", short_json(other)),
                    ),
                }
            }
            if let Some(sandbox) = iface.get("sandbox") {
                self.string(sandbox, &join(&path, "sandbox"), "P-ADD-5");
            }
            for key in ["mtu", "socketPath", "pciID"] {
                let Some(v) = iface.get(key) else { continue };
                let field = join(&path, key);
                if !at_1_1 && self.shape.family() == ResultFamily::V1 {
                    // catalogue 13.16: libcni gives 1.0.0 and 1.1.0 one type.
                    self.push(
                        "F-RES-7",
                        Level::Should,
                        field.clone(),
                        format!("is a 1.1.0 field in a {} result", self.shape),
                    );
                }
                match key {
                    "mtu" => {
                        self.uint(v, &field, "F-RES-7");
                    }
                    "socketPath" => {
                        if let Some(s) = self.string(v, &field, "F-RES-7")
                            && !s.is_empty()
                            && !s.starts_with('/')
                        {
                            self.push(
                                "F-RES-7",
                                Level::Must,
                                field,
                                format!("{s:?} is not an absolute path"),
                            );
                        }
                    }
                    _ => {
                        self.string(v, &field, "F-RES-7");
                    }
                }
            }
        }
        items.len()
    }

    fn ips(&mut self, value: &Value, interface_count: usize) {
        let Some(items) = self.array(value, "ips", "F-RES-1") else {
            return;
        };
        let v04 = self.shape.family() == ResultFamily::V04;
        let known: &[&str] = if v04 {
            &["version", "address", "gateway", "interface"]
        } else {
            &["address", "gateway", "interface"]
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("ips[{i}]");
            let Some(ip) = self.object(item, &path, "F-RES-1") else {
                continue;
            };
            self.unknown_keys(ip, &path, known, "an ips entry");
            let address = match ip.get("address") {
                None => {
                    self.push("P-ADD-6", Level::Must, join(&path, "address"), "missing");
                    None
                }
                Some(v) => self.cidr(v, &join(&path, "address"), "P-ADD-6"),
            };
            let gateway = ip
                .get("gateway")
                .and_then(|g| self.ip(g, &join(&path, "gateway"), "P-ADD-6"));
            if v04 {
                let declared = match ip.get("version") {
                    Some(Value::String(s)) if s == "4" => Some(Family::V4),
                    Some(Value::String(s)) if s == "6" => Some(Family::V6),
                    Some(other) => {
                        self.push(
                            "F-RES-3",
                            Level::Must,
                            join(&path, "version"),
                            format!("{} is not \"4\" or \"6\"", short_json(other)),
                        );
                        None
                    }
                    None => {
                        self.push("F-RES-3", Level::Must, join(&path, "version"), "missing");
                        None
                    }
                };
                if let Some(declared) = declared {
                    if let Some(net) = address {
                        self.family(
                            Family::of_version(net.addr()),
                            declared,
                            &join(&path, "address"),
                            "F-RES-3",
                        );
                    }
                    if let Some(gw) = gateway {
                        self.family(
                            Family::of_version(gw),
                            declared,
                            &join(&path, "gateway"),
                            "F-RES-3",
                        );
                    }
                }
            } else if let (Some(net), Some(gw)) = (address, gateway)
                && Family::of(net.addr()) != Family::of(gw)
            {
                self.push(
                    "P-ADD-6",
                    Level::Should,
                    join(&path, "gateway"),
                    format!("{gw} is not of the address's family ({net})"),
                );
            }
            self.interface_index(
                ip.get("interface"),
                &join(&path, "interface"),
                interface_count,
            );
        }
    }

    fn interface_index(&mut self, value: Option<&Value>, path: &str, count: usize) {
        match (self.kind, value) {
            (ResultKind::Ipam, Some(_)) => self.push(
                "P-DELEG-8",
                self.deleg8_level(),
                path,
                "an IPAM result must leave out the interface index",
            ),
            (ResultKind::Ipam, None) => {}
            (ResultKind::Attachment, None) => self.push(
                "F-RES-2",
                Level::Should,
                path,
                "missing; a plugin that knows the interface should say which it is",
            ),
            (ResultKind::Attachment, Some(Value::Number(n))) => {
                if let Some(i) = n.as_u64() {
                    if i >= count as u64 {
                        self.push(
                            "F-RES-2",
                            Level::Must,
                            path,
                            format!(
                                "{i} is out of range ({count} interface{})",
                                if count == 1 { "" } else { "s" }
                            ),
                        );
                    }
                } else if n.as_i64().is_some() {
                    // catalogue 13.24: some plugins send -1.
                    self.push(
                        "F-RES-2",
                        Level::Should,
                        path,
                        format!("{n} is negative; the index is a uint"),
                    );
                } else {
                    self.push(
                        "F-RES-2",
                        Level::Must,
                        path,
                        format!("{n} is not an integer"),
                    );
                }
            }
            (ResultKind::Attachment, Some(other)) => self.push(
                "F-RES-2",
                Level::Must,
                path,
                format!("{} is not an integer", short_json(other)),
            ),
        }
    }

    fn routes(&mut self, value: &Value, path: &str, owner: Option<Family>) {
        let Some(items) = self.array(value, path, "F-RES-1") else {
            return;
        };
        let legacy = self.shape.family() == ResultFamily::Legacy;
        let same_family_level = if self.shape.family() == ResultFamily::V1 {
            Level::Should
        } else {
            Level::Must
        };
        let extended = ["mtu", "advmss", "priority", "table", "scope"];
        for (i, item) in items.iter().enumerate() {
            let rpath = format!("{path}[{i}]");
            let Some(route) = self.object(item, &rpath, "F-RES-1") else {
                continue;
            };
            let mut known = vec!["dst", "gw"];
            if !legacy {
                known.extend(extended);
            }
            self.unknown_keys(route, &rpath, &known, "a route");
            let dst = match route.get("dst") {
                None => {
                    self.push("P-ADD-7", Level::Must, join(&rpath, "dst"), "missing");
                    None
                }
                Some(v) => self.cidr(v, &join(&rpath, "dst"), "P-ADD-7"),
            };
            let gw = route
                .get("gw")
                .and_then(|g| self.ip(g, &join(&rpath, "gw"), "P-ADD-7"));
            if let (Some(dst), Some(gw)) = (dst, gw)
                && Family::of(dst.addr()) != Family::of(gw)
            {
                self.push(
                    "F-RES-4",
                    same_family_level,
                    join(&rpath, "gw"),
                    format!("{gw} is not of the family of dst {dst}"),
                );
            }
            if let (Some(owner), Some(dst)) = (owner, dst) {
                self.family(
                    Family::of(dst.addr()),
                    owner,
                    &join(&rpath, "dst"),
                    "F-RES-4",
                );
            }
            if legacy {
                continue;
            }
            for key in extended {
                let Some(v) = route.get(key) else { continue };
                let field = join(&rpath, key);
                if self.shape < Version::V1_1_0 {
                    self.push(
                        "F-RES-7",
                        Level::Should,
                        field.clone(),
                        format!("is a 1.1.0 field in a {} result", self.shape),
                    );
                }
                if let Some(n) = self.uint(v, &field, "F-RES-7")
                    && key == "scope"
                    && n > 255
                {
                    self.push(
                        "F-RES-7",
                        Level::Must,
                        field,
                        format!("{n} is not a route scope (0-255)"),
                    );
                }
            }
        }
    }

    fn dns(&mut self, value: &Value) {
        let Some(dns) = self.object(value, "dns", "F-RES-1") else {
            return;
        };
        self.unknown_keys(
            dns,
            "dns",
            &["nameservers", "domain", "search", "options"],
            "dns",
        );
        if let Some(v) = dns.get("nameservers")
            && let Some(items) = self.array(v, "dns.nameservers", "F-RES-1")
        {
            for (i, item) in items.iter().enumerate() {
                self.ip(item, &format!("dns.nameservers[{i}]"), "F-RES-1");
            }
        }
        if let Some(v) = dns.get("domain") {
            self.string(v, "dns.domain", "F-RES-1");
        }
        for key in ["search", "options"] {
            let path = format!("dns.{key}");
            if let Some(v) = dns.get(key)
                && let Some(items) = self.array(v, &path, "F-RES-1")
            {
                for (i, item) in items.iter().enumerate() {
                    self.string(item, &format!("{path}[{i}]"), "F-RES-1");
                }
            }
        }
    }

    /// P-DELEG-8 is MUST from 1.0.0 on, SHOULD before.
    fn deleg8_level(&self) -> Level {
        if self.shape >= Version::V1_0_0 {
            Level::Must
        } else {
            Level::Should
        }
    }

    fn object<'v>(
        &mut self,
        value: &'v Value,
        path: &str,
        rule: &'static str,
    ) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(m) => Some(m),
            other => {
                self.push(
                    rule,
                    Level::Must,
                    path,
                    format!("is {}, not an object", kind_of(other)),
                );
                None
            }
        }
    }

    fn array<'v>(
        &mut self,
        value: &'v Value,
        path: &str,
        rule: &'static str,
    ) -> Option<&'v Vec<Value>> {
        match value {
            Value::Array(a) => Some(a),
            other => {
                self.push(
                    rule,
                    Level::Must,
                    path,
                    format!("is {}, not an array", kind_of(other)),
                );
                None
            }
        }
    }

    fn string<'v>(&mut self, value: &'v Value, path: &str, rule: &'static str) -> Option<&'v str> {
        match value {
            Value::String(s) => Some(s),
            other => {
                self.push(
                    rule,
                    Level::Must,
                    path,
                    format!("{} is not a string", short_json(other)),
                );
                None
            }
        }
    }

    fn uint(&mut self, value: &Value, path: &str, rule: &'static str) -> Option<u64> {
        match value.as_u64() {
            Some(n) => Some(n),
            None => {
                self.push(
                    rule,
                    Level::Must,
                    path,
                    format!("{} is not an unsigned integer", short_json(value)),
                );
                None
            }
        }
    }

    fn cidr(&mut self, value: &Value, path: &str, rule: &'static str) -> Option<IpNet> {
        let s = self.string(value, path, rule)?;
        match s.parse::<IpNet>() {
            Ok(net) => Some(net),
            Err(_) => {
                let why = if s.parse::<IpAddr>().is_ok() {
                    "is not CIDR"
                } else {
                    "is not an address in CIDR notation"
                };
                self.push(rule, Level::Must, path, format!("{s:?} {why}"));
                None
            }
        }
    }

    fn ip(&mut self, value: &Value, path: &str, rule: &'static str) -> Option<IpAddr> {
        let s = self.string(value, path, rule)?;
        match s.parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => {
                self.push(
                    rule,
                    Level::Must,
                    path,
                    format!("{s:?} is not an IP address"),
                );
                None
            }
        }
    }

    fn family(&mut self, got: Family, want: Family, path: &str, rule: &'static str) {
        if got != want {
            self.push(
                rule,
                Level::Must,
                path,
                format!("is IPv{}, but belongs to IPv{}", got.digit(), want.digit()),
            );
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn of(addr: IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// As `ips[].version` counts: IPv4-mapped IPv6 is "4" (F-CONV-6).
    fn of_version(addr: IpAddr) -> Family {
        match addr {
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => Family::V4,
            other => Family::of(other),
        }
    }

    fn digit(self) -> char {
        match self {
            Family::V4 => '4',
            Family::V6 => '6',
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// 6, 8 or 20 octets of two hex digits separated by ':' or '-', the forms
/// Go's net.ParseMAC reads with separators.
fn is_mac(s: &str) -> bool {
    let sep = if s.contains(':') { ':' } else { '-' };
    let octets: Vec<&str> = s.split(sep).collect();
    matches!(octets.len(), 6 | 8 | 20)
        && octets
            .iter()
            .all(|o| o.len() == 2 && o.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(value: Value, v: Version, kind: ResultKind) -> Vec<String> {
        validate(&value, v, kind)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_good_result_has_no_violations() {
        let r = json!({"cniVersion": "1.1.0",
            "interfaces": [{"name": "veth1", "mac": "aa:bb:cc:dd:ee:ff"}, {"name": "eth0", "mac": "aa:bb:cc:dd:ee:01", "sandbox": "/run/netns/x", "mtu": 1500}],
            "ips": [{"address": "10.0.0.2/24", "gateway": "10.0.0.1", "interface": 1}],
            "routes": [{"dst": "0.0.0.0/0", "gw": "10.0.0.1", "table": 100, "scope": 0}],
            "dns": {"nameservers": ["10.0.0.1"], "search": ["x"]}});
        assert_eq!(
            messages(r, Version::V1_1_0, ResultKind::Attachment),
            Vec::<String>::new()
        );
    }

    #[test]
    fn precise_messages() {
        let r = json!({"cniVersion": "1.0.0",
            "interfaces": [{"name": "a"}, {"name": "b"}],
            "ips": [{"address": "10.0.0.2", "interface": 0}, {"address": "10.0.0.3/24", "interface": 3}]});
        let m = messages(r, Version::V1_0_0, ResultKind::Attachment);
        assert_eq!(
            m,
            vec![
                "ips[0].address: \"10.0.0.2\" is not CIDR (P-ADD-6 MUST)",
                "ips[1].interface: 3 is out of range (2 interfaces) (F-RES-2 MUST)",
            ]
        );
    }

    #[test]
    fn version_field_per_family() {
        let r = json!({"cniVersion": "0.4.0", "interfaces": [{"name": "eth0"}], "ips": [{"address": "10.0.0.2/24", "interface": 0}, {"version": "6", "address": "10.0.0.3/24", "interface": 0}]});
        let m = messages(r, Version::V0_4_0, ResultKind::Attachment);
        assert_eq!(
            m,
            vec![
                "ips[0].version: missing (F-RES-3 MUST)",
                "ips[1].address: is IPv4, but belongs to IPv6 (F-RES-3 MUST)"
            ]
        );
        let r = json!({"cniVersion": "1.0.0", "interfaces": [{"name": "eth0"}], "ips": [{"version": "4", "address": "10.0.0.2/24", "interface": 0}]});
        let m = messages(r, Version::V1_0_0, ResultKind::Attachment);
        assert_eq!(
            m,
            vec!["ips[0].version: is not a field of an ips entry at 1.0.0 (F-RES-1 SHOULD)"]
        );
    }

    #[test]
    fn wrong_cni_version_reported_once() {
        let r = json!({"cniVersion": "0.4.0", "ips": [{"version": "4", "address": "10.0.0.2/24"}]});
        let m = messages(r, Version::V1_0_0, ResultKind::Ipam);
        assert_eq!(
            m,
            vec!["cniVersion: \"0.4.0\", but the request was 1.0.0 (P-ADD-1 MUST)"]
        );
    }

    #[test]
    fn ipam_results_are_abbreviated() {
        let r = json!({"cniVersion": "1.0.0", "interfaces": [{"name": "eth0"}], "ips": [{"address": "10.0.0.2/24", "interface": 0}]});
        let rules: Vec<_> = validate(&r, Version::V1_0_0, ResultKind::Ipam)
            .iter()
            .map(|v| (v.rule, v.level))
            .collect();
        assert_eq!(
            rules,
            vec![("P-DELEG-8", Level::Must), ("P-DELEG-8", Level::Must)]
        );
        let rules: Vec<_> = validate(&r, Version::V0_3_1, ResultKind::Ipam)
            .iter()
            .map(|v| v.level)
            .collect();
        assert!(rules.iter().all(|l| *l == Level::Should));
    }

    #[test]
    fn legacy_shape() {
        let r = json!({"cniVersion": "0.2.0", "ip4": {"ip": "fd00::1/64", "routes": [{"dst": "::/0"}]}, "interfaces": []});
        let m = messages(r, Version::V0_2_0, ResultKind::Attachment);
        assert_eq!(
            m,
            vec![
                "interfaces: is not a field of a result at 0.2.0 (F-RES-1 SHOULD)",
                "ip4.ip: is IPv6, but belongs to IPv4 (F-RES-1 SHOULD)",
                "ip4.routes[0].dst: is IPv6, but belongs to IPv4 (F-RES-4 SHOULD)",
            ]
        );
    }

    #[test]
    fn extended_fields_warn_before_1_1() {
        let r = json!({"cniVersion": "1.0.0", "interfaces": [{"name": "eth0", "mtu": 1500}], "routes": [{"dst": "0.0.0.0/0", "priority": -1}]});
        let m = messages(r, Version::V1_0_0, ResultKind::Attachment);
        assert_eq!(
            m,
            vec![
                "interfaces[0].mtu: is a 1.1.0 field in a 1.0.0 result (F-RES-7 SHOULD)",
                "routes[0].priority: is a 1.1.0 field in a 1.0.0 result (F-RES-7 SHOULD)",
                "routes[0].priority: -1 is not an unsigned integer (F-RES-7 MUST)",
            ]
        );
    }

    #[test]
    fn macs() {
        assert!(is_mac("aa:bb:cc:dd:ee:ff"));
        assert!(is_mac("AA-BB-CC-DD-EE-FF"));
        assert!(!is_mac("aa:bb:cc:dd:ee"));
        assert!(!is_mac("zz:bb:cc:dd:ee:ff"));
    }
}
