//! The `CNI_*` environment of each command (R-ENV-*), in two profiles: the
//! spec's (optional variables left unset) and libcni's (all six always set,
//! empty when unknown).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::spec::{Command, Version};

/// The PATH plugins get. We build a clean environment for reproducibility
/// (libcni passes the runtime's whole environment, L-EXEC-1), but plugins
/// such as bridge run iptables through PATH, so it must be there.
pub const PLUGIN_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Which variables are set, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EnvProfile {
    /// As the spec's table says: a variable a command does not take is
    /// unset, an optional one unset when there is no value.
    #[default]
    Spec,
    /// As libcni does: all six variables always set, empty when unknown,
    /// and dummy values for VERSION (L-EXEC-1, L-EXEC-4).
    Libcni,
}

/// The parameters of one attachment: what ADD, CHECK and DEL carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub container_id: String,
    /// `None` for a DEL after the namespace is gone (P-ENV-3).
    pub netns: Option<PathBuf>,
    pub ifname: String,
    /// `CNI_ARGS` as key/value pairs (P-ENV-6).
    pub cni_args: Vec<(String, String)>,
    /// Capability arguments the runtime supplies (CONVENTIONS), of which
    /// each plugin gets the ones it declares (R-REQ-2).
    pub capability_args: Map<String, Value>,
}

impl Attachment {
    pub fn new(
        container_id: impl Into<String>,
        netns: Option<&Path>,
        ifname: impl Into<String>,
    ) -> Attachment {
        Attachment {
            container_id: container_id.into(),
            netns: netns.map(Path::to_path_buf),
            ifname: ifname.into(),
            cni_args: Vec::new(),
            capability_args: Map::new(),
        }
    }

    /// `CNI_ARGS` as the string plugins parse: `K=V;K=V`.
    pub fn cni_args_string(&self) -> String {
        self.cni_args
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// Parses `K=V;K=V` (the `--cni-args` flag and `CNI_ARGS` variable).
pub fn parse_cni_args(s: &str) -> Result<Vec<(String, String)>, String> {
    s.split(';')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => Err(format!("{pair:?} is not KEY=VALUE")),
        })
        .collect()
}

/// Builds the complete environment of one invocation.
pub fn environment(
    command: Command,
    attachment: Option<&Attachment>,
    cni_path: &[PathBuf],
    version: Option<Version>,
    profile: EnvProfile,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![("PATH".into(), PLUGIN_PATH.into())];
    let mut set = |k: &str, v: String| env.push((k.to_owned(), v));
    set("CNI_COMMAND", command.as_str().to_owned());
    let path = join_paths(cni_path);
    let attachment = attachment.filter(|_| command.has_attachment());
    match profile {
        EnvProfile::Spec => {
            if let Some(a) = attachment {
                set("CNI_CONTAINERID", a.container_id.clone());
                if let Some(netns) = &a.netns {
                    set("CNI_NETNS", netns.display().to_string());
                }
                set("CNI_IFNAME", a.ifname.clone());
                if !a.cni_args.is_empty() {
                    set("CNI_ARGS", a.cni_args_string());
                }
            }
            // VERSION takes nothing but CNI_COMMAND (P-VER-3); every other
            // command gets the search path the runtime was given (R-ENV-5).
            if command != Command::Version && !path.is_empty() {
                set("CNI_PATH", path);
            }
        }
        EnvProfile::Libcni if command == Command::Version => {
            set("CNI_CONTAINERID", String::new());
            set("CNI_NETNS", "dummy".into());
            set("CNI_IFNAME", "dummy".into());
            set("CNI_ARGS", String::new());
            set("CNI_PATH", "dummy".into());
        }
        EnvProfile::Libcni => {
            set(
                "CNI_CONTAINERID",
                attachment
                    .map(|a| a.container_id.clone())
                    .unwrap_or_default(),
            );
            set(
                "CNI_NETNS",
                attachment
                    .and_then(|a| a.netns.as_ref())
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            );
            set(
                "CNI_IFNAME",
                attachment.map(|a| a.ifname.clone()).unwrap_or_default(),
            );
            set(
                "CNI_ARGS",
                attachment
                    .map(Attachment::cni_args_string)
                    .unwrap_or_default(),
            );
            set("CNI_PATH", path);
        }
    }
    // R-ENV-8: 0.1.0 versioned the variables themselves.
    if version == Some(Version::V0_1_0) {
        set("CNI_VERSION", "0.1.0".into());
    }
    env
}

/// `CNI_PATH` uses the OS list separator (P-ENV-7).
pub fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// Splits a `CNI_PATH`-style list, dropping empty entries.
pub fn split_paths(s: &str) -> Vec<PathBuf> {
    s.split(':')
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(env: &[(String, String)]) -> Vec<&str> {
        env.iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| k.starts_with("CNI_"))
            .collect()
    }

    #[test]
    fn spec_profile_per_command() {
        let a = Attachment::new("c1", Some(Path::new("/run/netns/x")), "eth0");
        let paths = vec![PathBuf::from("/opt/cni/bin")];
        let add = environment(
            Command::Add,
            Some(&a),
            &paths,
            Some(Version::V1_0_0),
            EnvProfile::Spec,
        );
        assert_eq!(
            keys(&add),
            [
                "CNI_COMMAND",
                "CNI_CONTAINERID",
                "CNI_NETNS",
                "CNI_IFNAME",
                "CNI_PATH"
            ]
        );
        // R-ENV-7: GC and STATUS carry no attachment.
        let gc = environment(
            Command::Gc,
            Some(&a),
            &paths,
            Some(Version::V1_1_0),
            EnvProfile::Spec,
        );
        assert_eq!(keys(&gc), ["CNI_COMMAND", "CNI_PATH"]);
        // P-VER-3: VERSION needs only CNI_COMMAND.
        let ver = environment(Command::Version, None, &paths, None, EnvProfile::Spec);
        assert_eq!(keys(&ver), ["CNI_COMMAND"]);
        // P-ENV-3: DEL without a namespace.
        let gone = Attachment::new("c1", None, "eth0");
        let del = environment(
            Command::Del,
            Some(&gone),
            &paths,
            Some(Version::V1_0_0),
            EnvProfile::Spec,
        );
        assert_eq!(
            keys(&del),
            ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"]
        );
    }

    #[test]
    fn libcni_profile_sets_all_six() {
        let gc = environment(
            Command::Gc,
            None,
            &[],
            Some(Version::V1_1_0),
            EnvProfile::Libcni,
        );
        assert_eq!(
            keys(&gc),
            [
                "CNI_COMMAND",
                "CNI_CONTAINERID",
                "CNI_NETNS",
                "CNI_IFNAME",
                "CNI_ARGS",
                "CNI_PATH"
            ]
        );
        assert!(
            gc.iter()
                .filter(|(k, _)| k != "CNI_COMMAND" && k != "PATH")
                .all(|(_, v)| v.is_empty())
        );
    }

    #[test]
    fn r_env_8_cni_version_only_at_0_1_0() {
        let env = environment(
            Command::Add,
            None,
            &[],
            Some(Version::V0_1_0),
            EnvProfile::Spec,
        );
        assert!(env.iter().any(|(k, v)| k == "CNI_VERSION" && v == "0.1.0"));
        let env = environment(
            Command::Add,
            None,
            &[],
            Some(Version::V0_2_0),
            EnvProfile::Spec,
        );
        assert!(!env.iter().any(|(k, _)| k == "CNI_VERSION"));
    }

    #[test]
    fn cni_args_round_trip() {
        let args = parse_cni_args("IgnoreUnknown=1;K8S_POD_NAME=x").unwrap();
        let mut a = Attachment::new("c", None, "eth0");
        a.cni_args = args;
        assert_eq!(a.cni_args_string(), "IgnoreUnknown=1;K8S_POD_NAME=x");
        assert!(parse_cni_args("novalue").is_err());
    }
}
