//! The tuning plugin's configuration: what to change on `CNI_IFNAME`.

use std::path::PathBuf;

use cnitest::netlink::MacAddr;
use serde_json::Value;

use crate::error::PluginError;
use crate::fields;
use crate::link_settings;
use crate::skel::Request;

/// Where the values found before ADD changed them are kept for DEL.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/cni/reference-tuning";

#[derive(Debug, Clone, PartialEq)]
pub struct TuningConfig {
    pub mtu: Option<u32>,
    /// From the `mac` key, or the `mac` capability, which wins.
    pub mac: Option<MacAddr>,
    /// `net.*` sysctls of the container's namespace, in the order written.
    pub sysctl: Vec<(String, String)>,
    pub promisc: Option<bool>,
    pub data_dir: PathBuf,
}

impl TuningConfig {
    pub fn from_request(req: &Request) -> Result<TuningConfig, PluginError> {
        let mut sysctl = Vec::new();
        if let Some(map) = fields::object(&req.config, "sysctl", "")? {
            for (key, value) in map {
                let at = format!("sysctl.{key}");
                check_key(key).map_err(|why| PluginError::config(&at, why))?;
                let value = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    other => {
                        return Err(PluginError::config(at, format!("{other} is not a string")));
                    }
                };
                sysctl.push((key.clone(), value));
            }
        }
        Ok(TuningConfig {
            mtu: link_settings::mtu(req)?,
            mac: link_settings::mac(req)?,
            sysctl,
            promisc: fields::boolean(&req.config, "promisc", "")?,
            data_dir: fields::string(&req.config, "dataDir", "")?
                .map_or_else(|| PathBuf::from(DEFAULT_DATA_DIR), PathBuf::from),
        })
    }
}

/// Only the container's own network sysctls: `net.` and then dot-separated
/// words, so that the key can never lead out of `/proc/sys/net`.
fn check_key(key: &str) -> Result<(), String> {
    let Some(rest) = key.strip_prefix("net.") else {
        return Err("only net.* sysctls are namespaced; others would change the host".to_owned());
    };
    let word_ok = |w: &str| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if rest.split('.').all(word_ok) {
        Ok(())
    } else {
        Err(
            "is not a sysctl name (words of letters, digits, '_' and '-' separated by dots)"
                .to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_keys() {
        assert!(check_key("net.ipv4.conf.eth0.forwarding").is_ok());
        assert!(check_key("net.core.somaxconn").is_ok());
        assert!(check_key("kernel.hostname").is_err());
        assert!(check_key("net..x").is_err());
        assert!(check_key("net.ipv4/../../x").is_err());
    }
}
