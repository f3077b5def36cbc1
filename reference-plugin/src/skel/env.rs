//! The protocol's environment variables, checked per command against the
//! table of required and optional variables (catalogue section 2).

use std::path::PathBuf;

use cnitest::spec::Command;
use cnitest::spec::names::{interface_name_problem, is_identifier};

use super::plugin::PluginKind;
use crate::error::{EnvProblem, PluginError};
use crate::faults::{Fault, Faults};

/// The parameters of one attachment: present for ADD, DEL and CHECK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub container_id: String,
    pub ifname: String,
    /// Required for ADD and CHECK; optional for DEL (P-ENV-3), which must
    /// work when the namespace is gone.
    pub netns: Option<PathBuf>,
}

impl Attachment {
    /// The namespace path, which ADD and CHECK always have.
    pub fn netns(&self) -> Result<&std::path::Path, PluginError> {
        self.netns
            .as_deref()
            .ok_or_else(|| PluginError::Environment {
                problems: vec![EnvProblem::missing("CNI_NETNS")],
            })
    }
}

/// `CNI_ARGS`: `KEY=VALUE` pairs separated by `;` (P-ENV-6).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CniArgs(Vec<(String, String)>);

impl CniArgs {
    pub fn parse(text: &str) -> Result<CniArgs, String> {
        let mut pairs = Vec::new();
        for part in text.split(';').filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(format!("{part:?} is not KEY=VALUE"));
            };
            pairs.push((key.to_owned(), value.to_owned()));
        }
        Ok(CniArgs(pairs))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The environment of one request, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    pub attachment: Option<Attachment>,
    pub args: CniArgs,
    /// `CNI_PATH`, split on `:` (P-ENV-7).
    pub path: Vec<PathBuf>,
}

/// Reads the variables `command` needs through `var`, reporting every
/// problem at once so that the error names them all (P-ENV-2).
pub fn read(
    command: Command,
    kind: PluginKind,
    var: &dyn Fn(&str) -> Option<String>,
    faults: &Faults,
) -> Result<Env, PluginError> {
    // An empty value is as good as none: libcni sets every variable, empty
    // when it has nothing to say (L-EXEC-1).
    let get = |name: &str| var(name).filter(|v| !v.is_empty());
    let mut problems = Vec::new();
    let mut env = Env::default();

    if command.has_attachment() {
        let container_id = match get("CNI_CONTAINERID") {
            Some(id) if is_identifier(&id) => id,
            Some(id) => {
                problems.push(EnvProblem::invalid(
                    "CNI_CONTAINERID",
                    format!("{id:?} must start with a letter or digit, followed by letters, digits, '_', '.' or '-'"),
                ));
                id
            }
            None if faults.has(Fault::EnvContainerIdUnchecked) => String::new(),
            None => {
                problems.push(EnvProblem::missing("CNI_CONTAINERID"));
                String::new()
            }
        };
        let ifname = match get("CNI_IFNAME") {
            Some(name) => {
                if let Some(why) = interface_name_problem(&name) {
                    problems.push(EnvProblem::invalid("CNI_IFNAME", format!("{name:?} {why}")));
                }
                name
            }
            None => {
                problems.push(EnvProblem::missing("CNI_IFNAME"));
                String::new()
            }
        };
        let netns = get("CNI_NETNS").map(PathBuf::from);
        if netns.is_none() && command != Command::Del {
            problems.push(EnvProblem::missing("CNI_NETNS"));
        }
        env.attachment = Some(Attachment {
            container_id,
            ifname,
            netns,
        });
        if let Some(text) = get("CNI_ARGS") {
            match CniArgs::parse(&text) {
                Ok(args) => env.args = args,
                Err(why) => problems.push(EnvProblem::invalid("CNI_ARGS", why)),
            }
        }
    }

    match get("CNI_PATH") {
        Some(path) => {
            env.path = path
                .split(':')
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .collect()
        }
        None if kind.needs_cni_path(command) => problems.push(EnvProblem::invalid(
            "CNI_PATH",
            "is missing, and it is needed to find the ipam plugin",
        )),
        None => {}
    }

    if problems.is_empty() {
        Ok(env)
    } else {
        Err(PluginError::Environment { problems })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read_with(
        command: Command,
        kind: PluginKind,
        vars: &[(&str, &str)],
        faults: &Faults,
    ) -> Result<Env, PluginError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        read(command, kind, &|name| map.get(name).cloned(), faults)
    }

    fn problems(err: PluginError) -> Vec<&'static str> {
        match err {
            PluginError::Environment { problems } => problems.iter().map(|p| p.var).collect(),
            other => panic!("not an environment error: {other}"),
        }
    }

    #[test]
    fn add_names_every_missing_variable() {
        let err = read_with(Command::Add, PluginKind::Interface, &[], &Faults::none()).unwrap_err();
        assert_eq!(
            problems(err),
            vec!["CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS", "CNI_PATH"]
        );
    }

    #[test]
    fn del_works_without_netns() {
        let env = read_with(
            Command::Del,
            PluginKind::Ipam,
            &[
                ("CNI_CONTAINERID", "c1"),
                ("CNI_IFNAME", "eth0"),
                ("CNI_NETNS", ""),
            ],
            &Faults::none(),
        )
        .unwrap();
        assert_eq!(env.attachment.unwrap().netns, None);
    }

    #[test]
    fn gc_and_status_need_no_attachment() {
        for command in [Command::Gc, Command::Status] {
            let env = read_with(command, PluginKind::Ipam, &[], &Faults::none()).unwrap();
            assert_eq!(env.attachment, None);
        }
        let err = read_with(Command::Gc, PluginKind::Interface, &[], &Faults::none()).unwrap_err();
        assert_eq!(problems(err), vec!["CNI_PATH"]);
    }

    #[test]
    fn values_are_validated() {
        let err = read_with(
            Command::Check,
            PluginKind::Tuning,
            &[
                ("CNI_CONTAINERID", "-bad"),
                ("CNI_IFNAME", "a b"),
                ("CNI_NETNS", "/run/netns/x"),
                ("CNI_ARGS", "IP"),
            ],
            &Faults::none(),
        )
        .unwrap_err();
        assert_eq!(
            problems(err),
            vec!["CNI_CONTAINERID", "CNI_IFNAME", "CNI_ARGS"]
        );
    }

    #[test]
    fn cni_args_pairs() {
        let args = CniArgs::parse("IgnoreUnknown=1;IP=10.1.0.5;K8S_POD_NAME=x").unwrap();
        assert_eq!(args.get("IP"), Some("10.1.0.5"));
        assert_eq!(args.get("nope"), None);
    }

    #[test]
    fn fault_lets_a_missing_container_id_through() {
        let faults: Faults = [Fault::EnvContainerIdUnchecked].into_iter().collect();
        let env = read_with(
            Command::Add,
            PluginKind::Ipam,
            &[("CNI_IFNAME", "eth0"), ("CNI_NETNS", "/run/netns/x")],
            &faults,
        )
        .unwrap();
        assert_eq!(env.attachment.unwrap().container_id, "");
    }
}
