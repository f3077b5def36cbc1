//! What a plugin provides to the skeleton: its versions and one function per
//! command.

use cnitest::spec::result::Result100;
use cnitest::spec::{Command, Version};
use serde_json::Value;

use super::request::Request;
use crate::error::PluginError;

/// The three reference plugins; fault switches name which of them they
/// apply to, and each finds its switches in a different place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PluginKind {
    Interface,
    Ipam,
    Tuning,
}

impl PluginKind {
    pub const ALL: [PluginKind; 3] = [PluginKind::Interface, PluginKind::Ipam, PluginKind::Tuning];

    /// The executable's name.
    pub fn name(self) -> &'static str {
        match self {
            PluginKind::Interface => "cni-reference",
            PluginKind::Ipam => "cni-reference-ipam",
            PluginKind::Tuning => "cni-reference-tuning",
        }
    }

    /// The path of the `faults` key: an IPAM plugin receives its caller's
    /// whole configuration (P-DELEG-4), so its own switches live in the
    /// `ipam` section, apart from those of the plugin that called it.
    pub fn faults_path(self) -> &'static [&'static str] {
        match self {
            PluginKind::Interface | PluginKind::Tuning => &["faults"],
            PluginKind::Ipam => &["ipam", "faults"],
        }
    }

    /// Whether the command has to find a delegated plugin in `CNI_PATH`.
    pub fn needs_cni_path(self, command: Command) -> bool {
        self == PluginKind::Interface && command != Command::Version
    }
}

/// What ADD produced.
#[derive(Debug, Clone, PartialEq)]
pub enum AddOutput {
    /// A result in 1.1.0 terms, which the skeleton expresses in the
    /// requested version (`ips[].version` at 0.3.x/0.4.0, `ip4`/`ip6` at
    /// 0.1.0/0.2.0, 1.1.0-only fields dropped below 1.1.0).
    Built(Result100),
    /// A result already in the requested version: a chained plugin's edited
    /// copy of `prevResult`, in which fields it does not know survive.
    Json(Value),
}

/// A CNI plugin, one function per command.
pub trait Plugin {
    const KIND: PluginKind;

    /// The versions this plugin serves, oldest first: the VERSION answer.
    fn supported_versions(&self) -> &'static [Version];

    fn add(&self, req: &Request) -> Result<AddOutput, PluginError>;
    fn del(&self, req: &Request) -> Result<(), PluginError>;
    fn check(&self, req: &Request) -> Result<(), PluginError>;
    fn status(&self, req: &Request) -> Result<(), PluginError>;
    fn gc(&self, req: &Request) -> Result<(), PluginError>;
}
