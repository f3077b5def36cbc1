//! IPAM CHECK: the attachment still holds its reservation, and every
//! address `prevResult` lists from our subnets is reserved for it
//! (P-CHECK-2, P-CHECK-5).

use super::config::IpamConfig;
use super::store::{Owner, Store};
use crate::error::PluginError;
use crate::faults::Fault;
use crate::skel::Request;

pub fn check(req: &Request) -> Result<(), PluginError> {
    let config = IpamConfig::from_request(req)?;
    let store = Store::open(&config.data_dir, req.network())?;
    let owner = Owner::of(req.attachment()?);
    let locked = store.lock()?;
    let held = locked.held_by(&owner)?;
    if held.is_empty() {
        return Err(PluginError::CheckFailed(format!(
            "no address is reserved for container {:?} interface {:?} in network {:?}",
            owner.container_id,
            owner.ifname,
            req.network()
        )));
    }
    if req.has(Fault::CheckIgnoresPrevResult) {
        return Ok(());
    }
    let Some(prev) = req.prev_result()? else {
        return Ok(());
    };
    for ip in prev.ips.iter().map(|ip| ip.address.addr()) {
        if config.manages(ip) && !held.contains(&ip) {
            return Err(PluginError::CheckFailed(format!(
                "prevResult lists {ip}, which is not reserved for container {:?} interface {:?}",
                owner.container_id, owner.ifname
            )));
        }
    }
    Ok(())
}
