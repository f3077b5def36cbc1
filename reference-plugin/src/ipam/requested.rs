//! Addresses the runtime asks for: the `ips` capability
//! (`runtimeConfig.ips`), `args.cni.ips` (C-ARGS-2), or the deprecated
//! `CNI_ARGS` field `IP=` (P-ENV-6), which is ignored when `args` carries
//! the same request (C-ARGS-3).

use std::net::IpAddr;

use serde_json::Value;

use crate::error::PluginError;
use crate::faults::Fault;
use crate::skel::Request;

/// One requested address, with the prefix length if the request gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requested {
    pub ip: IpAddr,
    pub prefix: Option<u8>,
}

/// Where a requested address came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub path: String,
    pub requested: Requested,
}

/// The addresses requested for this ADD, from the first source that has
/// any: `runtimeConfig.ips`, then `args.cni.ips`, then `CNI_ARGS` `IP=`.
pub fn requested(req: &Request) -> Result<Vec<Source>, PluginError> {
    let from_args = req
        .config
        .get("args")
        .and_then(|a| a.get("cni"))
        .and_then(|c| c.get("ips"));
    let from_env = req.env.args.get("IP");
    if req.has(Fault::IpamCniArgsWins) {
        if let Some(text) = from_env {
            return from_cni_args(text);
        }
    }
    if let Some(value) = req.runtime_config("ips") {
        return from_list(value, "runtimeConfig.ips");
    }
    if let Some(value) = from_args {
        return from_list(value, "args.cni.ips");
    }
    match from_env {
        Some(text) => from_cni_args(text),
        None => Ok(Vec::new()),
    }
}

fn from_list(value: &Value, at: &str) -> Result<Vec<Source>, PluginError> {
    let Value::Array(items) = value else {
        return Err(PluginError::config(at, "is not a list of addresses"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{at}[{i}]");
            let text = item
                .as_str()
                .ok_or_else(|| PluginError::config(&path, format!("{item} is not a string")))?;
            let requested = parse(text).ok_or_else(|| {
                PluginError::config(
                    &path,
                    format!("{text:?} is not an address with an optional prefix length"),
                )
            })?;
            Ok(Source { path, requested })
        })
        .collect()
}

/// `IP=10.1.0.5` or `IP=10.1.0.5/24,fd00::5` (host-local takes a list).
fn from_cni_args(text: &str) -> Result<Vec<Source>, PluginError> {
    text.split(',')
        .map(|part| {
            let requested = parse(part).ok_or_else(|| {
                PluginError::env(
                    "CNI_ARGS",
                    format!("IP={part:?} is not an address with an optional prefix length"),
                )
            })?;
            Ok(Source {
                path: "CNI_ARGS IP".to_owned(),
                requested,
            })
        })
        .collect()
}

fn parse(text: &str) -> Option<Requested> {
    match text.split_once('/') {
        Some((ip, prefix)) => {
            let net: ipnet::IpNet = format!("{ip}/{prefix}").parse().ok()?;
            Some(Requested {
                ip: net.addr(),
                prefix: Some(net.prefix_len()),
            })
        }
        None => Some(Requested {
            ip: text.parse().ok()?,
            prefix: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_with_and_without_prefix() {
        assert_eq!(
            parse("10.1.0.5/24"),
            Some(Requested {
                ip: "10.1.0.5".parse().unwrap(),
                prefix: Some(24)
            })
        );
        assert_eq!(parse("fd00::5").map(|r| r.prefix), Some(None));
        assert_eq!(parse("10.1.0.5/33"), None);
        assert_eq!(parse("nope"), None);
    }
}
