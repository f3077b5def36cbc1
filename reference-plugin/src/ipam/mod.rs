//! `cni-reference-ipam`: an IPAM plugin in the spirit of host-local. It
//! hands out one address per range set from `ipam.ranges`, keeps its
//! reservations in files under `ipam.dataDir`, and returns routes and DNS
//! from its configuration.

mod add;
mod check;
pub mod config;
mod del;
mod gc;
pub mod range;
mod requested;
mod status;
pub mod store;

use cnitest::spec::Version;

use crate::error::PluginError;
use crate::skel::{AddOutput, Plugin, PluginKind, Request};

/// The IPAM plugin.
#[derive(Debug, Default)]
pub struct Ipam;

impl Plugin for Ipam {
    const KIND: PluginKind = PluginKind::Ipam;

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
