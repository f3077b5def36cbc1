//! IPAM STATUS: ready when the store is usable and every range set still
//! has a free address; otherwise code 50 (P-STATUS-1, P-STATUS-2).

use std::collections::HashSet;
use std::net::IpAddr;

use super::config::IpamConfig;
use super::range::describe;
use super::store::Store;
use crate::error::PluginError;
use crate::faults::Fault;
use crate::skel::Request;

pub fn status(req: &Request) -> Result<(), PluginError> {
    let config = IpamConfig::from_request(req)?;
    let unusable =
        |e: PluginError| PluginError::Unavailable(format!("the address store is unusable: {e}"));
    let store = Store::open(&config.data_dir, req.network()).map_err(unusable)?;
    let locked = store.lock().map_err(unusable)?;
    let taken: HashSet<IpAddr> = locked
        .reservations()
        .map_err(unusable)?
        .into_iter()
        .map(|r| r.ip)
        .collect();
    if req.has(Fault::StatusOkWhenExhausted) {
        return Ok(());
    }
    for (i, set) in config.ranges.iter().enumerate() {
        let free = set
            .iter()
            .flat_map(|r| r.addresses())
            .any(|ip| !taken.contains(&ip));
        if !free {
            return Err(PluginError::Unavailable(format!(
                "no free address left in range set {i} ({})",
                describe(set)
            )));
        }
    }
    Ok(())
}
