//! Valid configurations derived from the user's: the plugin's own keys are
//! kept, what the spec defines around them is varied (the version, the
//! network name, `args`, `dns`, capabilities).

use proptest::collection::btree_set;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use serde::Serialize;
use serde_json::{Map, Value};

use super::path::{Path, walk};
use super::strategy;
use crate::spec::Version;
use crate::suite::Role;
use crate::suite::target::Target;

/// Capabilities whose arguments the suite supplies (the driver's
/// `default_capability_args`) and that change nothing but what the plugin
/// is asked: `ips` and `ipRanges` would ask for addresses outside the
/// user's ranges, which plugins rightly refuse.
const CAPABILITIES: [&str; 4] = ["mac", "portMappings", "bandwidth", "aliases"];

/// What a campaign derives its configurations from.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The plugin under test, with the user's configuration.
    pub target: Target,
    /// The released versions it advertises.
    pub versions: Vec<Version>,
}

impl Seed {
    /// The request the plugin reads at ADD for `variant` (before the
    /// runtime adds `runtimeConfig` or `prevResult`): where mutations act.
    pub fn request(&self, variant: &Variant) -> Value {
        let target = variant.apply(&self.target);
        let mut req = Map::new();
        req.insert(
            "cniVersion".into(),
            Value::String(variant.version.as_str().to_owned()),
        );
        req.insert("name".into(), Value::String(target.network.clone()));
        for (k, v) in &target.conf {
            if k != "capabilities" {
                req.insert(k.clone(), v.clone());
            }
        }
        Value::Object(req)
    }

    /// The IPAM plugin's `ipam` section is its own configuration.
    pub fn ipam_own(&self) -> bool {
        self.target.role == Role::Ipam
    }

    /// The variant that changes nothing: the user's configuration at the
    /// newest version the plugin advertises.
    pub fn plain(&self) -> Variant {
        Variant {
            version: self.versions.last().copied().unwrap_or(Version::LATEST),
            network: self.target.network.clone(),
            args: None,
            dns: None,
            capabilities: Vec::new(),
            ip_masq_off: false,
            dropped: Vec::new(),
        }
    }

    /// Paths of the user's configuration a shrinker may leave out: its
    /// top-level keys and those of its `ipam` section, `type`s excepted.
    pub fn droppable(&self) -> Vec<Path> {
        let conf = Value::Object(self.target.conf.clone());
        walk(&conf, 2)
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| {
                (p.0.len() == 1 && !p.is(&["type"]))
                    || (p.0.len() == 2 && p.head() == Some("ipam") && !p.is(&["ipam", "type"]))
            })
            .collect()
    }
}

/// A valid configuration: the user's, varied in what the spec defines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variant {
    pub version: Version,
    /// The network name (F-CONF-3 characters).
    pub network: String,
    /// `args` (from 0.2.0), which plugins ignore where they do not
    /// understand it (C-ARGS-1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<Value>,
    /// A `dns` section, where the user's configuration has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<Value>,
    /// Capabilities declared, whose arguments the runtime then sends in
    /// `runtimeConfig` (R-REQ-2).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    /// `ipMasq: false` written out, where the user's configuration is silent.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ip_masq_off: bool,
    /// Keys of the user's configuration left out (what shrinking found
    /// unneeded).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<Path>,
}

impl Variant {
    /// The target with this variant's configuration.
    pub fn apply(&self, base: &Target) -> Target {
        let mut target = base.clone();
        target.network = self.network.clone();
        let mut conf = Value::Object(std::mem::take(&mut target.conf));
        for path in &self.dropped {
            path.remove(&mut conf);
        }
        let Value::Object(mut conf) = conf else {
            return target;
        };
        if let Some(args) = self
            .args
            .as_ref()
            .filter(|_| self.version >= Version::V0_2_0)
        {
            conf.insert("args".into(), args.clone());
        }
        if let Some(dns) = &self.dns
            && !conf.contains_key("dns")
        {
            conf.insert("dns".into(), dns.clone());
        }
        if !self.capabilities.is_empty() && self.version.has_lists() {
            let caps = conf
                .entry("capabilities")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(caps) = caps {
                for c in &self.capabilities {
                    caps.insert(c.clone(), Value::Bool(true));
                }
            }
        }
        if self.ip_masq_off && !conf.contains_key("ipMasq") {
            conf.insert("ipMasq".into(), Value::Bool(false));
        }
        target.conf = conf;
        target
    }

    /// The variant's departures from the user's configuration, for reports.
    pub fn describe(&self, base: &Target) -> String {
        let mut parts = vec![format!("cniVersion {}", self.version)];
        if self.network != base.network {
            parts.push(format!("name {:?}", self.network));
        }
        if self.args.is_some() && self.version >= Version::V0_2_0 {
            parts.push("args".to_owned());
        }
        if self.dns.is_some() && !base.conf.contains_key("dns") {
            parts.push("dns".to_owned());
        }
        if !self.capabilities.is_empty() && self.version.has_lists() {
            parts.push(format!("capabilities {}", self.capabilities.join(",")));
        }
        if self.ip_masq_off && !base.conf.contains_key("ipMasq") {
            parts.push("ipMasq false".to_owned());
        }
        for p in &self.dropped {
            parts.push(format!("without {p}"));
        }
        parts.join(", ")
    }
}

/// Valid variants of the seed's configuration.
pub fn variant(seed: &Seed) -> BoxedStrategy<Variant> {
    let base_name = seed.target.network.clone();
    let versions = if seed.versions.is_empty() {
        vec![Version::V0_1_0]
    } else {
        seed.versions.clone()
    };
    (
        select(versions),
        prop_oneof![Just(base_name), strategy::network_name()],
        option::weighted(0.3, strategy::args()),
        option::weighted(0.3, strategy::dns_config()),
        prop_oneof![
            3 => Just(Vec::new()),
            1 => btree_set(select(CAPABILITIES.to_vec()), 1..3)
                .prop_map(|s| s.into_iter().map(str::to_owned).collect()),
        ],
        proptest::bool::weighted(0.2),
    )
        .prop_map(
            |(version, network, args, dns, capabilities, ip_masq_off)| Variant {
                version,
                network,
                args,
                dns,
                capabilities,
                ip_masq_off,
                dropped: Vec::new(),
            },
        )
        .boxed()
}
