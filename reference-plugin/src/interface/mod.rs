//! `cni-reference`: an interface plugin. It makes a veth pair whose host end
//! stays in the runtime's namespace and whose container end is `CNI_IFNAME`
//! in `CNI_NETNS`, and delegates addresses to the IPAM plugin `ipam.type`.

mod add;
mod check;
pub mod config;
mod del;
mod gc;
pub mod names;
mod status;

use cnitest::spec::Version;

use crate::error::PluginError;
use crate::skel::{AddOutput, Plugin, PluginKind, Request};

/// The interface plugin.
#[derive(Debug, Default)]
pub struct Interface;

impl Plugin for Interface {
    const KIND: PluginKind = PluginKind::Interface;

    fn supported_versions(&self) -> &'static [Version] {
        &Version::ALL
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
