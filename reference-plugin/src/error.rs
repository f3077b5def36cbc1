//! Every way a request can fail, and the one place that maps each failure to
//! the spec's error codes (F-ERR-5) and to an error object.

use std::fmt;
use std::io;
use std::path::PathBuf;

use cnitest::spec::result::ConvertError;
use cnitest::spec::{Command, ErrorObject, Version, WellKnown};

/// Codes of our own. Codes 0-99 are reserved for the spec (F-ERR-4); 100
/// and up are free for plugins.
pub mod code {
    /// The kernel refused a change, or could not be read.
    pub const KERNEL: u32 = 100;
    /// `CNI_IFNAME` already exists in the container (P-ADD-3).
    pub const INTERFACE_EXISTS: u32 = 101;
    /// A delegated plugin could not be run, or failed without an error object.
    pub const DELEGATE: u32 = 102;
    /// No free address is left in a range set.
    pub const NO_FREE_ADDRESS: u32 = 103;
    /// CHECK found the container's networking different from `prevResult`.
    pub const CHECK_FAILED: u32 = 104;
    /// An address is taken, or the attachment already holds one.
    pub const ADDRESS_TAKEN: u32 = 105;
    /// A chained plugin found no `CNI_IFNAME` to adjust.
    pub const NO_SUCH_INTERFACE: u32 = 106;
    /// A failure that a fault switch injected on purpose.
    pub const INJECTED: u32 = 110;
    /// Added to a well-known code that the request's version does not
    /// define yet (6 "failed to decode" at 0.4.0 becomes 126): 0.4.0 forbids
    /// codes 1-99 it does not list (F-ERR-4), so the failure is told in a
    /// code of our own, the later version's number still readable in it.
    pub const LATER_VERSION_BASE: u32 = 120;

    /// The code to answer at `version` for the failure whose spec code
    /// (or our own) is `code`.
    pub fn at_version(code: u32, version: Option<super::Version>) -> u32 {
        match (super::WellKnown::from_code(u64::from(code)), version) {
            (Some(known), Some(v)) if known.since() > v => LATER_VERSION_BASE + code,
            _ => code,
        }
    }
}

/// One problem with one environment variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvProblem {
    pub var: &'static str,
    /// Reads after the variable's name: "is missing", "\"a b\" contains ...".
    pub why: String,
}

impl EnvProblem {
    pub fn missing(var: &'static str) -> EnvProblem {
        EnvProblem {
            var,
            why: "is missing".to_owned(),
        }
    }

    pub fn invalid(var: &'static str, why: impl Into<String>) -> EnvProblem {
        EnvProblem {
            var,
            why: why.into(),
        }
    }
}

impl fmt::Display for EnvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.var, self.why)
    }
}

/// Where in the configuration something is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// A JSON path such as `ipam.ranges[0][1].subnet`.
    pub path: String,
    pub message: String,
}

impl ConfigError {
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Why a delegated plugin (IPAM) did not give us what we asked for.
#[derive(Debug, thiserror::Error)]
pub enum DelegateError {
    #[error("ipam plugin {plugin:?} not found in CNI_PATH {path:?}")]
    NotFound { plugin: String, path: Vec<PathBuf> },
    #[error("failed to run ipam plugin {plugin:?}")]
    Spawn {
        plugin: String,
        #[source]
        source: io::Error,
    },
    /// The delegate printed an error object: its code is passed on.
    #[error("ipam plugin {plugin:?} failed: {error}")]
    Failed { plugin: String, error: ErrorObject },
    #[error("ipam plugin {plugin:?} failed ({status}) without an error object on stdout")]
    FailedSilently { plugin: String, status: String },
    #[error(
        "ipam plugin {plugin:?} answered {command} with output that is not a result: {message}"
    )]
    BadOutput {
        plugin: String,
        command: Command,
        message: String,
    },
}

/// Everything that makes a request fail.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error(
        "incompatible CNI version: config is {requested:?}, plugin supports {}",
        list(supported)
    )]
    IncompatibleVersion {
        requested: String,
        supported: &'static [Version],
    },
    #[error("{command} is not defined for cniVersion {version} (it exists from {})", Version::introducing(*command))]
    CommandNotInVersion { command: Command, version: Version },
    #[error("unsupported field {key}: {value}")]
    UnsupportedField { key: String, value: String },
    #[error("invalid environment variables: {}", join(problems))]
    Environment { problems: Vec<EnvProblem> },
    #[error("unknown CNI_COMMAND {0:?}")]
    UnknownCommand(String),
    #[error("failed to read stdin")]
    Stdin(#[source] io::Error),
    #[error("failed to decode stdin: {0}")]
    Decode(String),
    #[error("invalid network configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("interface {name:?} already exists in the container")]
    InterfaceExists { name: String },
    /// A netlink request the kernel refused; its text names the request.
    #[error(transparent)]
    Netlink(#[from] cnitest::netlink::Error),
    #[error("failed to {action}")]
    Kernel {
        action: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(transparent)]
    Delegate(#[from] DelegateError),
    #[error("failed to {action} {}", path.display())]
    Store {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("no free address in range set {set} ({ranges})")]
    NoFreeAddress { set: usize, ranges: String },
    #[error("{0}")]
    AddressTaken(String),
    #[error("plugin not available: {0}")]
    Unavailable(String),
    #[error("check failed: {0}")]
    CheckFailed(String),
    #[error("interface {name:?} not found in the container")]
    NoSuchInterface { name: String },
    #[error(transparent)]
    Convert(#[from] ConvertError),
    #[error("{0} (injected by a fault switch)")]
    Injected(String),
}

impl PluginError {
    pub fn kernel(
        action: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> PluginError {
        PluginError::Kernel {
            action: action.into(),
            source: Box::new(source),
        }
    }

    pub fn config(path: impl Into<String>, message: impl Into<String>) -> PluginError {
        PluginError::Config(ConfigError::at(path, message))
    }

    pub fn env(var: &'static str, why: impl Into<String>) -> PluginError {
        PluginError::Environment {
            problems: vec![EnvProblem::invalid(var, why)],
        }
    }

    /// The spec's code for this failure (F-ERR-5), or one of ours (>= 100).
    pub fn code(&self) -> u32 {
        match self {
            PluginError::IncompatibleVersion { .. }
            | PluginError::CommandNotInVersion { .. }
            | PluginError::Convert(_) => WellKnown::IncompatibleVersion.code(),
            PluginError::UnsupportedField { .. } => WellKnown::UnsupportedField.code(),
            PluginError::Environment { .. } | PluginError::UnknownCommand(_) => {
                WellKnown::InvalidEnvironment.code()
            }
            PluginError::Stdin(_) | PluginError::Store { .. } => WellKnown::IoFailure.code(),
            PluginError::Decode(_) => WellKnown::DecodingFailure.code(),
            PluginError::Config(_) => WellKnown::InvalidNetworkConfig.code(),
            PluginError::Unavailable(_) => WellKnown::PluginNotAvailable.code(),
            PluginError::InterfaceExists { .. } => code::INTERFACE_EXISTS,
            PluginError::Kernel { .. } | PluginError::Netlink(_) => code::KERNEL,
            PluginError::Delegate(DelegateError::Failed { error, .. }) => {
                // The delegate's own code travels up unchanged: the runtime
                // must see "no free address" or "try again later" as such.
                u32::try_from(error.code).unwrap_or(code::DELEGATE)
            }
            PluginError::Delegate(_) => code::DELEGATE,
            PluginError::NoFreeAddress { .. } => code::NO_FREE_ADDRESS,
            PluginError::AddressTaken(_) => code::ADDRESS_TAKEN,
            PluginError::CheckFailed(_) => code::CHECK_FAILED,
            PluginError::NoSuchInterface { .. } => code::NO_SUCH_INTERFACE,
            PluginError::Injected(_) => code::INJECTED,
        }
    }

    /// The error object, carrying the request's `cniVersion` (F-ERR-3) as
    /// the request spelled it, even when we do not support it. Its code is
    /// one the version defines, or one of ours (F-ERR-4); a request whose
    /// version we cannot read gets the newest table's code.
    pub fn to_object(&self, cni_version: &str) -> ErrorObject {
        let (msg, details) = match self {
            PluginError::IncompatibleVersion {
                requested,
                supported,
            } => (
                "incompatible CNI versions".to_owned(),
                Some(format!(
                    "config is {requested:?}, plugin supports {}",
                    list(supported)
                )),
            ),
            PluginError::Delegate(DelegateError::Failed { plugin, error }) => {
                (format!("{plugin}: {}", error.msg), error.details.clone())
            }
            // The spec asks that the message itself name the variables
            // (code 4) or the key and value (code 2): the whole text is the
            // message, nothing hides in details.
            other => (other.to_string(), source_chain(other)),
        };
        ErrorObject {
            cni_version: Some(cni_version.to_owned()),
            code: u64::from(code::at_version(
                self.code(),
                Version::from_exact(cni_version),
            )),
            msg,
            details,
        }
    }
}

/// The causes below an error, for `details`.
fn source_chain(err: &dyn std::error::Error) -> Option<String> {
    let mut causes = Vec::new();
    let mut next = err.source();
    while let Some(cause) = next {
        causes.push(cause.to_string());
        next = cause.source();
    }
    (!causes.is_empty()).then(|| causes.join(": "))
}

fn list(versions: &[Version]) -> String {
    let quoted: Vec<String> = versions
        .iter()
        .map(|v| format!("{:?}", v.as_str()))
        .collect();
    format!("[{}]", quoted.join(", "))
}

fn join(problems: &[EnvProblem]) -> String {
    let parts: Vec<String> = problems.iter().map(ToString::to_string).collect();
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_errors_name_every_variable() {
        let err = PluginError::Environment {
            problems: vec![
                EnvProblem::missing("CNI_CONTAINERID"),
                EnvProblem::invalid("CNI_IFNAME", "\"a b\" contains white space"),
            ],
        };
        let obj = err.to_object("1.0.0");
        assert_eq!(obj.code, 4);
        assert!(obj.msg.contains("CNI_CONTAINERID"), "{}", obj.msg);
        assert!(obj.msg.contains("CNI_IFNAME"), "{}", obj.msg);
        assert_eq!(obj.cni_version.as_deref(), Some("1.0.0"));
    }

    #[test]
    fn incompatible_version_lists_what_is_supported() {
        let err = PluginError::IncompatibleVersion {
            requested: "2.0.0".to_owned(),
            supported: &[Version::V1_0_0, Version::V1_1_0],
        };
        let obj = err.to_object("2.0.0");
        assert_eq!(obj.code, 1);
        assert_eq!(
            obj.details.as_deref(),
            Some(r#"config is "2.0.0", plugin supports ["1.0.0", "1.1.0"]"#)
        );
    }

    #[test]
    fn delegate_codes_pass_through() {
        let err = PluginError::Delegate(DelegateError::Failed {
            plugin: "host-local".to_owned(),
            error: ErrorObject {
                cni_version: None,
                code: 11,
                msg: "try later".to_owned(),
                details: None,
            },
        });
        assert_eq!(err.code(), 11);
        assert_eq!(err.to_object("1.0.0").msg, "host-local: try later");
    }

    #[test]
    fn codes_a_version_does_not_define_become_ours() {
        let err = PluginError::config("name", "missing");
        assert_eq!(err.to_object("1.0.0").code, 7);
        assert_eq!(err.to_object("0.4.0").code, 127);
        assert_eq!(err.to_object("0.1.0").code, 127);
        // No version to read: the newest table.
        assert_eq!(err.to_object("abc").code, 7);
        let decode = PluginError::Decode("x".to_owned());
        assert_eq!(decode.to_object("0.3.1").code, 126);
        // Codes every version defines, and our own, stay.
        let unsupported = PluginError::UnsupportedField {
            key: "k".to_owned(),
            value: "v".to_owned(),
        };
        assert_eq!(unsupported.to_object("0.2.0").code, 2);
        assert_eq!(
            PluginError::NoSuchInterface {
                name: "eth0".to_owned()
            }
            .to_object("0.4.0")
            .code,
            106
        );
    }

    #[test]
    fn unsupported_field_names_key_and_value() {
        let err = PluginError::UnsupportedField {
            key: "ipMasq".to_owned(),
            value: "true".to_owned(),
        };
        assert_eq!(err.code(), 2);
        assert_eq!(err.to_object("1.0.0").msg, "unsupported field ipMasq: true");
    }
}
