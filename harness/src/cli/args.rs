//! The command-line definition: the contract of `../shared/design.md`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::runtime::{EmptyRuntimeConfig, EnvProfile};
use crate::spec::Command;

#[derive(Debug, Parser)]
#[command(
    name = "cnitest",
    version,
    about = "Conformance test suite and mock runtime for CNI plugins",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Commands,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Act as a CNI runtime for one command, like cnitool (but complete).
    Exec(ExecArgs),
}

/// A CNI operation, as `exec` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExecCommand {
    Add,
    Check,
    Del,
    Gc,
    Status,
    Version,
}

impl ExecCommand {
    pub fn command(self) -> Command {
        match self {
            ExecCommand::Add => Command::Add,
            ExecCommand::Check => Command::Check,
            ExecCommand::Del => Command::Del,
            ExecCommand::Gc => Command::Gc,
            ExecCommand::Status => Command::Status,
            ExecCommand::Version => Command::Version,
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Defaults come from the variables cnitool users know: NETCONFPATH, CNI_PATH, \
CAP_ARGS, CNI_ARGS, CNI_IFNAME. The result (ADD) or the plugins' versions (VERSION) go to stdout as \
JSON; a plugin's error goes to stderr with its code, message, details and the plugin that raised it.\n\n\
Exit status: 0 success, 1 a plugin failed, 2 bad usage or input (flags, files, a missing plugin), \
3 the harness could not do its part."
)]
pub struct ExecArgs {
    /// The operation.
    #[arg(value_enum)]
    pub command: ExecCommand,

    /// The network configuration: a .conflist, or a .conf (wrapped into a list).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "network",
        conflicts_with = "network"
    )]
    pub config: Option<PathBuf>,

    /// Find the network by name in --conf-dir instead, as libcni does.
    #[arg(long, value_name = "NAME")]
    pub network: Option<String>,

    /// Where --network is looked up.
    #[arg(
        long,
        value_name = "DIR",
        env = "NETCONFPATH",
        default_value = "/etc/cni/net.d"
    )]
    pub conf_dir: PathBuf,

    /// The container's network namespace (CNI_NETNS), e.g. /run/netns/NAME or /proc/PID/ns/net.
    #[arg(long, value_name = "PATH", conflicts_with = "new_netns")]
    pub netns: Option<PathBuf>,

    /// Create a network namespace for the container (add only), kept at
    /// /run/netns/cnitest-<container-id> until `exec del --delete-netns`.
    #[arg(long)]
    pub new_netns: bool,

    /// After a successful DEL, delete the namespace --netns names (one that --new-netns made).
    #[arg(long, requires = "netns")]
    pub delete_netns: bool,

    /// CNI_CONTAINERID [default: derived from --netns, as cnitool does].
    #[arg(long, value_name = "ID")]
    pub container_id: Option<String>,

    /// CNI_IFNAME.
    #[arg(long, value_name = "NAME", env = "CNI_IFNAME", default_value = "eth0")]
    pub ifname: String,

    /// Plugin search path (CNI_PATH), directories separated by ':'.
    #[arg(
        long,
        value_name = "DIRS",
        env = "CNI_PATH",
        default_value = "/opt/cni/bin:/usr/lib/cni"
    )]
    pub cni_path: String,

    /// The result cache root (results/<net>-<id>-<ifname>, libcni's format).
    #[arg(long, value_name = "DIR", default_value = "/var/lib/cni")]
    pub cache_dir: PathBuf,

    /// Capability arguments as a JSON object, e.g. '{"portMappings":[...]}'.
    #[arg(long, value_name = "JSON", env = "CAP_ARGS")]
    pub capability_args: Option<String>,

    /// CNI_ARGS, as KEY=VALUE pairs separated by ';'.
    #[arg(long, value_name = "K=V;...", env = "CNI_ARGS")]
    pub cni_args: Option<String>,

    /// GC: an attachment to keep, as CONTAINERID/IFNAME (repeatable)
    /// [default: every attachment in the cache for this network].
    #[arg(long, value_name = "ID/IFNAME")]
    pub valid: Vec<String>,

    /// Seconds each plugin call may take before its process group is killed.
    #[arg(long, value_name = "SECS", default_value = "10")]
    pub timeout: f64,

    /// Which CNI_* variables are set: as the spec's table says, or all six as libcni does.
    #[arg(long, value_enum, default_value_t = EnvProfile::Spec)]
    pub env_profile: EnvProfile,

    /// runtimeConfig when no declared capability has a value: left out (libcni) or {}.
    #[arg(long, value_enum, default_value_t = EmptyRuntimeConfig::Omit)]
    pub empty_runtime_config: EmptyRuntimeConfig,

    /// After a failed ADD, do not run DEL (the spec says a runtime must, R-CHAIN-3).
    #[arg(long)]
    pub no_cleanup: bool,

    /// Print every plugin call (environment, stdin, outcome) on stderr.
    #[arg(short, long)]
    pub verbose: bool,
}
