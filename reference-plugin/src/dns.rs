//! The well-known `dns` key (F-CONF-11), as the network configuration and
//! the IPAM section both may carry it.

use std::net::IpAddr;

use cnitest::spec::result::Dns;
use serde_json::{Map, Value};

use crate::error::PluginError;
use crate::fields;

/// A `dns` object (F-CONF-11): nameservers must be IP addresses.
pub fn read(map: &Map<String, Value>, at: &str) -> Result<Dns, PluginError> {
    let nameservers = fields::strings(map, "nameservers", at)?;
    for (i, ns) in nameservers.iter().enumerate() {
        if ns.parse::<IpAddr>().is_err() {
            return Err(PluginError::config(
                format!("{at}.nameservers[{i}]"),
                format!("{ns:?} is not an IP address"),
            ));
        }
    }
    Ok(Dns {
        nameservers,
        domain: fields::string(map, "domain", at)?
            .unwrap_or_default()
            .to_owned(),
        search: fields::strings(map, "search", at)?,
        options: fields::strings(map, "options", at)?,
    })
}
