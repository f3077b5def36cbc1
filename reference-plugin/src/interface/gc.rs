//! GC: this plugin's own leftovers go with their namespaces (a veth dies
//! with either end's namespace, which GC may assume gone), so GC is the
//! IPAM plugin's: it is forwarded (P-GC-5), the valid attachments included.

use cnitest::spec::Command;

use super::config::InterfaceConfig;
use crate::delegate::Delegate;
use crate::error::PluginError;
use crate::faults::Fault;
use crate::skel::Request;

pub fn gc(req: &Request) -> Result<(), PluginError> {
    let config = InterfaceConfig::from_request(req)?;
    if req.has(Fault::GcNotForwarded) {
        return Ok(());
    }
    Delegate::find(&config.ipam_type, req)?.call(Command::Gc)
}
