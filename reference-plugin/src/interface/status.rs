//! STATUS: this plugin is ready when its IPAM plugin is, so STATUS goes to
//! the IPAM plugin (P-STATUS-6) and its answer, code 50 included, comes back.

use cnitest::spec::Command;

use super::config::InterfaceConfig;
use crate::delegate::Delegate;
use crate::error::{DelegateError, PluginError};
use crate::faults::Fault;
use crate::skel::Request;

pub fn status(req: &Request) -> Result<(), PluginError> {
    let config = InterfaceConfig::from_request(req)?;
    if req.has(Fault::StatusNotForwarded) {
        return Ok(());
    }
    // Without its IPAM plugin this plugin cannot serve ADD at all.
    let ipam = Delegate::find(&config.ipam_type, req).map_err(|e| match e {
        PluginError::Delegate(missing @ DelegateError::NotFound { .. }) => {
            PluginError::Unavailable(missing.to_string())
        }
        other => other,
    })?;
    ipam.call(Command::Status)
}
