//! DEL: remove the veth pair (deleting the host end takes the container end
//! with it) and release the addresses through the IPAM plugin.
//!
//! DEL needs neither `prevResult` (P-DEL-3; below 0.4.0 there is none) nor
//! the namespace (P-DEL-2): the host end's name follows from the attachment.
//! Whatever is already gone counts as deleted (P-DEL-1). Both steps are
//! tried whatever the other gives; the first error is reported.

use cnitest::netlink::Handle;
use cnitest::spec::Command;

use super::config::InterfaceConfig;
use super::names::host_veth_name;
use crate::delegate::Delegate;
use crate::error::PluginError;
use crate::faults::Fault;
use crate::netns::Netns;
use crate::skel::Request;

pub fn del(req: &Request) -> Result<(), PluginError> {
    let attachment = req.attachment()?;
    let config = InterfaceConfig::from_request(req)?;
    if req.has(Fault::DelNeedsNetns) {
        let netns = attachment
            .netns
            .as_deref()
            .ok_or_else(|| PluginError::Injected("DEL needs CNI_NETNS".to_owned()))?;
        Netns::open(netns)
            .map_err(|e| PluginError::Injected(format!("DEL needs the namespace: {e}")))?;
    }
    let host_name = host_veth_name(&attachment.container_id, &attachment.ifname);

    let mut errors = Vec::new();
    let mut removed = false;
    if !req.has(Fault::DelLeaksHostVeth) {
        match Handle::current().and_then(|host| host.delete_link(host_name.as_str())) {
            Ok(()) => removed = true,
            Err(e) if e.is_not_found() => {}
            Err(e) => errors.push(PluginError::from(e)),
        }
    }
    if let Err(e) = Delegate::find(&config.ipam_type, req).and_then(|ipam| ipam.call(Command::Del))
    {
        errors.push(e);
    }
    if !removed && !req.has(Fault::DelLeaksHostVeth) && req.has(Fault::DelNotIdempotent) {
        errors.push(PluginError::Injected(format!(
            "host interface {host_name:?} does not exist"
        )));
    }
    for later in errors.iter().skip(1) {
        eprintln!("cni-reference: DEL: also: {later}");
    }
    errors.into_iter().next().map_or(Ok(()), Err)
}
