//! IPAM GC: release every reservation of this network whose attachment is
//! not among the valid ones (P-GC-2), and none of those that are (P-GC-3).
//! A failure to release one does not stop the others (P-GC-4).

use super::config::IpamConfig;
use super::store::Store;
use crate::error::PluginError;
use crate::faults::Fault;
use crate::skel::{Request, valid_attachments};

pub fn gc(req: &Request) -> Result<(), PluginError> {
    let config = IpamConfig::from_request(req)?;
    let valid = valid_attachments(req)?;
    let store = Store::open(&config.data_dir, req.network())?;
    let locked = store.lock()?;
    if req.has(Fault::GcRemovesNothing) {
        return Ok(());
    }
    let mut first_error = None;
    for reservation in locked.reservations()? {
        let keep = !req.has(Fault::GcRemovesValid)
            && reservation
                .owner
                .as_ref()
                .is_some_and(|o| valid.contains(&(o.container_id.clone(), o.ifname.clone())));
        if !keep {
            if let Err(e) = locked.release(reservation.ip) {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}
