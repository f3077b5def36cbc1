//! The interface plugin's configuration.

use cnitest::netlink::MacAddr;
use cnitest::spec::result::Dns;

use crate::error::PluginError;
use crate::fields;
use crate::link_settings;
use crate::skel::Request;

#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceConfig {
    /// The IPAM plugin's executable name (`ipam.type`).
    pub ipam_type: String,
    /// MTU of both ends of the veth pair.
    pub mtu: Option<u32>,
    /// MAC of the container end.
    pub mac: Option<MacAddr>,
    /// The network's `dns`, used when the IPAM result has none.
    pub dns: Dns,
}

impl InterfaceConfig {
    pub fn from_request(req: &Request) -> Result<InterfaceConfig, PluginError> {
        // We set up no masquerading: a network that asks for it must not
        // believe it got it (code 2 names the key and value).
        if fields::boolean(&req.config, "ipMasq", "")? == Some(true) {
            fields::refuse(&req.config, &["ipMasq"], "")?;
        }
        let ipam = fields::object(&req.config, "ipam", "")?.ok_or_else(|| {
            PluginError::config(
                "ipam",
                "missing; this plugin delegates addresses to an IPAM plugin",
            )
        })?;
        let ipam_type = fields::string(ipam, "type", "ipam")?
            .ok_or_else(|| PluginError::config("ipam.type", "missing"))?;
        if ipam_type.is_empty() || cnitest::spec::names::has_path_separator(ipam_type) {
            return Err(PluginError::config(
                "ipam.type",
                format!("{ipam_type:?} must be the name of an executable in CNI_PATH"),
            ));
        }
        let dns = match fields::object(&req.config, "dns", "")? {
            Some(dns) => crate::dns::read(dns, "dns")?,
            None => Dns::default(),
        };
        Ok(InterfaceConfig {
            ipam_type: ipam_type.to_owned(),
            mtu: link_settings::mtu(req)?,
            mac: link_settings::mac(req)?,
            dns,
        })
    }
}
