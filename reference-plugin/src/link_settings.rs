//! The `mtu` and `mac` keys, and the `mac` capability, which the interface
//! and the tuning plugin read alike.

use cnitest::netlink::MacAddr;

use crate::error::PluginError;
use crate::fields;
use crate::skel::Request;

/// The smallest MTU IPv4 allows (RFC 791) and the largest a veth takes.
pub const MTU_RANGE: std::ops::RangeInclusive<u64> = 68..=65535;

/// `mtu`, checked against what the kernel can take.
pub fn mtu(req: &Request) -> Result<Option<u32>, PluginError> {
    let Some(mtu) = fields::uint(&req.config, "mtu", "", u64::from(u32::MAX))? else {
        return Ok(None);
    };
    if !MTU_RANGE.contains(&mtu) {
        return Err(PluginError::config(
            "mtu",
            format!(
                "{mtu} is outside {}..={}",
                MTU_RANGE.start(),
                MTU_RANGE.end()
            ),
        ));
    }
    u32::try_from(mtu)
        .map(Some)
        .map_err(|_| PluginError::config("mtu", format!("{mtu} is too large")))
}

/// The MAC to set: the `mac` capability (`runtimeConfig.mac`, C-CAP-2)
/// wins over the `mac` key, as the runtime's value is the one made for this
/// attachment.
pub fn mac(req: &Request) -> Result<Option<MacAddr>, PluginError> {
    let (value, path) = match req.runtime_config("mac") {
        Some(value) => (value, "runtimeConfig.mac"),
        None => match req.config.get("mac") {
            Some(value) => (value, "mac"),
            None => return Ok(None),
        },
    };
    let mac: MacAddr = fields::parse_value(
        value,
        path,
        "a MAC address (six hex bytes separated by colons)",
    )?;
    if mac.0[0] & 0x01 != 0 || mac.0 == [0; 6] {
        return Err(PluginError::config(
            path,
            format!("{mac} is not a unicast address an interface can have"),
        ));
    }
    Ok(Some(mac))
}
