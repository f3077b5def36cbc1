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
    /// Run the conformance suite against a plugin.
    Run(RunArgs),
    /// List the cases: id, rules, levels, versions, roles.
    List(ListArgs),
    /// Act as a CNI runtime for one command, like cnitool (but complete).
    Exec(ExecArgs),
    /// Remove what a killed run left behind (namespaces' processes, temp dirs).
    Clean(CleanArgs),
    /// Fuzz the plugin's configuration parsing with generated and mutated configurations.
    Fuzz(FuzzArgs),
    /// Print a shell completion script, generated from this command line.
    #[command(hide = true)]
    Completions(CompletionsArgs),
    /// Print a man page (roff), or write every page to a directory.
    #[command(hide = true)]
    Man(ManArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "Install, e.g.: cnitest completions bash > /etc/bash_completion.d/cnitest")]
pub struct CompletionsArgs {
    /// The shell the script is for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
#[command(after_help = "Install, e.g.: cnitest man --dir /usr/local/share/man/man1")]
pub struct ManArgs {
    /// The page of this subcommand (run, list, exec, ...) [default: the page of cnitest itself].
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,

    /// Write every page (cnitest.1, cnitest-run.1, ...) into DIR instead of printing one.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Also release the sandboxes `run --keep-failed` kept.
    #[arg(long)]
    pub kept: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 no case failed (warnings allowed unless --strict), 1 a case failed, \
2 bad usage or unreadable input, 3 the harness could not set up or failed a case, 4 no case selected."
)]
pub struct RunArgs {
    /// The plugin binary, or a bare name found in --cni-path [default: the reference plugin, cni-reference].
    #[arg(long, value_name = "PATH")]
    pub plugin: Option<PathBuf>,

    /// The plugin's own configuration (.conf or .conflist); other entries of a list are the chain around it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The plugin's role [default: interface, or chained when it is not the first of --config's list].
    #[arg(long, value_enum)]
    pub role: Option<crate::suite::Role>,

    /// Where plugins (the one under test's delegates, the chain around it) are found.
    #[arg(
        long,
        value_name = "DIRS",
        env = "CNI_PATH",
        default_value = "/opt/cni/bin:/usr/lib/cni"
    )]
    pub cni_path: String,

    /// CNI_IFNAME of the container interface (e.g. `lo` for the loopback plugin).
    #[arg(long, value_name = "NAME", default_value = "eth0")]
    pub ifname: String,

    /// Only these spec versions (comma-separated) [default: every version the plugin advertises].
    #[arg(long, value_name = "V,...", value_delimiter = ',')]
    pub versions: Vec<String>,

    /// Only cases whose id matches (`*` wildcard, else substring); repeatable.
    #[arg(long, value_name = "PAT")]
    pub filter: Vec<String>,

    /// Leave out cases whose id matches; repeatable.
    #[arg(long, value_name = "PAT")]
    pub skip: Vec<String>,

    /// Cases run at once [default: the number of CPUs].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Seconds each plugin call may take before its process group is killed.
    #[arg(
        long,
        value_name = "SECS",
        default_value = "10",
        allow_negative_numbers = true
    )]
    pub timeout: f64,

    /// Warnings fail the run.
    #[arg(long)]
    pub strict: bool,

    /// Report format.
    #[arg(long, value_enum, default_value_t = crate::report::Format::Human)]
    pub format: crate::report::Format,

    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Run only the K-th of N deterministic shares of the plan (for CI matrices).
    #[arg(long, value_name = "K/N")]
    pub partition: Option<String>,

    /// Keep the sandbox of a failed case and print how to enter it.
    #[arg(long)]
    pub keep_failed: bool,

    /// More cases, from a directory of case files; repeatable.
    #[arg(long, value_name = "DIR")]
    pub cases: Vec<PathBuf>,

    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,

    /// Compare what the plugin answers with the snapshots in DIR (insta's format), per case and
    /// version; a changed answer fails its case with a diff. New answers are recorded.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,

    /// With --snapshots: accept the answers of this run as the new snapshots.
    #[arg(long, requires = "snapshots")]
    pub update_snapshots: bool,

    /// Gate on differences from the known results in FILE rather than on verdicts: a warn, fail
    /// or error it does not name, or a named result with another verdict, fails the run (exit 1).
    /// The file's format is in docs/baseline.md; fixtures/upstream/*.baseline.toml are examples.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: as `run`: 0 no finding failed, 1 a MUST broken, 2 bad usage or input, \
3 the harness could not set up."
)]
pub struct FuzzArgs {
    /// The plugin binary, or a bare name found in --cni-path.
    #[arg(long, value_name = "PATH")]
    pub plugin: PathBuf,

    /// The plugin's own configuration, which the generated configurations start from.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,

    /// The plugin's role [default: interface, or chained when it is not the first of the list].
    #[arg(long, value_enum)]
    pub role: Option<crate::suite::Role>,

    /// Where plugins are found.
    #[arg(
        long,
        value_name = "DIRS",
        env = "CNI_PATH",
        default_value = "/opt/cni/bin:/usr/lib/cni"
    )]
    pub cni_path: String,

    /// How many configurations to try.
    #[arg(long = "cases", value_name = "N", default_value = "100")]
    pub cases: u32,

    /// The seed: the same seed tries the same configurations [default: from the clock, printed].
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,

    /// Seconds each plugin call may take before its process group is killed.
    #[arg(long, value_name = "SECS", default_value = "10")]
    pub timeout: f64,

    /// Configurations tried at once [default: the number of CPUs].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,

    /// No progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,

    /// More cases, from a directory of case files; repeatable.
    #[arg(long, value_name = "DIR")]
    pub cases: Vec<PathBuf>,
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
    #[arg(
        long,
        value_name = "SECS",
        default_value = "10",
        allow_negative_numbers = true
    )]
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
