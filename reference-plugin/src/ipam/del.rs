//! IPAM DEL: release every address of the attachment. Releasing nothing is
//! success: DEL is idempotent (P-DEL-1) and needs no namespace (P-DEL-2).

use super::config::IpamConfig;
use super::store::{Owner, Store};
use crate::error::PluginError;
use crate::faults::Fault;
use crate::skel::Request;

pub fn del(req: &Request) -> Result<(), PluginError> {
    let config = IpamConfig::from_request(req)?;
    let store = Store::open(&config.data_dir, req.network())?;
    let owner = Owner::of(req.attachment()?);
    let locked = store.lock()?;
    let held = locked.held_by(&owner)?;
    if held.is_empty() && req.has(Fault::DelNotIdempotent) {
        return Err(PluginError::Injected(format!(
            "no address is reserved for container {:?} interface {:?}",
            owner.container_id, owner.ifname
        )));
    }
    if req.has(Fault::DelKeepsReservation) {
        return Ok(());
    }
    for ip in held {
        locked.release(ip)?;
    }
    Ok(())
}
