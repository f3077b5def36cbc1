//! STATUS: this plugin needs nothing beyond the kernel, so it is always
//! ready once its configuration reads well.

use super::config::TuningConfig;
use crate::error::PluginError;
use crate::skel::Request;

pub fn status(req: &Request) -> Result<(), PluginError> {
    TuningConfig::from_request(req).map(drop)
}
