//! The CNI data model: versions, configurations, results and their
//! conversion, errors and codes, the catalogue of rules. Pure: no I/O.

pub mod command;
pub mod conf;
pub mod error;
pub mod names;
pub mod result;
pub mod rule;
pub mod version;
pub mod version_info;

pub use command::Command;
pub use conf::{ConfError, NetworkConfig, PluginConf};
pub use error::{CodeClass, ErrorObject, WellKnown};
pub use result::{CniResult, Result100};
pub use rule::Level;
pub use version::Version;
pub use version_info::VersionInfo;
