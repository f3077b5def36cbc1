//! GC: forget the saved state of every attachment not among the valid ones.
//! Their namespaces, and so the interfaces to restore, may be assumed gone.

use super::config::TuningConfig;
use super::state::StateDir;
use crate::error::PluginError;
use crate::skel::{Request, valid_attachments};

pub fn gc(req: &Request) -> Result<(), PluginError> {
    let config = TuningConfig::from_request(req)?;
    let valid = valid_attachments(req)?;
    StateDir::new(&config.data_dir, req.network()).remove_all_but(&valid)
}
