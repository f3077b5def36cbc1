//! `cni-reference-tuning`: a chained plugin. It adjusts the interface an
//! earlier plugin made (`mtu`, `mac` or the `mac` capability, `net.*`
//! sysctls, `promisc`), passes the earlier result on, and undoes its changes
//! on DEL. Chaining exists from 0.3.0, and so does this plugin.

mod add;
mod check;
pub mod config;
mod del;
mod gc;
mod link;
pub mod state;
mod status;
mod sysctl;

use cnitest::spec::Version;

use crate::error::PluginError;
use crate::skel::{AddOutput, Plugin, PluginKind, Request};

/// The tuning plugin.
#[derive(Debug, Default)]
pub struct Tuning;

/// From 0.3.0, the version that brought chaining and `prevResult`.
const VERSIONS: [Version; 5] = [
    Version::V0_3_0,
    Version::V0_3_1,
    Version::V0_4_0,
    Version::V1_0_0,
    Version::V1_1_0,
];

impl Plugin for Tuning {
    const KIND: PluginKind = PluginKind::Tuning;

    fn supported_versions(&self) -> &'static [Version] {
        &VERSIONS
    }

    fn add(&self, req: &Request) -> Result<AddOutput, PluginError> {
        add::add(req)
    }

    fn del(&self, req: &Request) -> Result<(), PluginError> {
        del::del(req)
    }

    fn check(&self, req: &Request) -> Result<(), PluginError> {
        check::check(req)
    }

    fn status(&self, req: &Request) -> Result<(), PluginError> {
        status::status(req)
    }

    fn gc(&self, req: &Request) -> Result<(), PluginError> {
        gc::gc(req)
    }
}
