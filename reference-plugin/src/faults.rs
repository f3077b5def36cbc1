//! Fault switches: configuration flags that each make a plugin break exactly
//! one catalogue rule, so that a conformance suite can prove it notices.
//!
//! They are read from the `faults` key of the plugin's configuration (the
//! IPAM plugin: `ipam.faults`). An unknown name, or a switch that belongs to
//! another plugin, is a configuration error (code 7) that names it. The
//! table in `FAULTS.md` is the same list; a test keeps them in step.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

use crate::error::PluginError;
use crate::skel::PluginKind;

use PluginKind::{Interface as I, Ipam as M, Tuning as T};

const ALL_KINDS: &[PluginKind] = &[I, M, T];

/// One fault switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    // Result format and version.
    ResultWrongVersion,
    ResultNoIpVersion,
    ResultInterfaceOutOfRange,
    ResultAddressNotCidr,
    ResultWrongMac,
    // VERSION and version negotiation.
    VersionRejectsAdvertised,
    VersionNoEcho,
    VersionAcceptsUnsupported,
    // Error codes and the error object.
    ErrorUnsupportedVersionCode,
    ErrorOnStderr,
    ErrorExitZero,
    ErrorReservedCode,
    ErrorNoCniVersion,
    // What goes to stdout.
    StdoutLogLine,
    StdoutHuge,
    CheckPrintsResult,
    // Environment.
    EnvContainerIdUnchecked,
    EnvErrorUnnamed,
    UnknownCommandOk,
    // ADD.
    AddOverExisting,
    AddIgnoresIfname,
    // DEL.
    DelNotIdempotent,
    DelNeedsNetns,
    DelLeaksHostVeth,
    DelKeepsReservation,
    DelNeedsPrevResult,
    TuningDelKeepsChanges,
    // CHECK.
    CheckAlwaysOk,
    CheckCrashes,
    CheckIgnoresPrevResult,
    CheckNotForwarded,
    // Chaining.
    ChainDropsPrevResult,
    ChainRewritesIps,
    // IPAM.
    IpamDoubleAllocation,
    IpamResultHasInterfaces,
    IpamCniArgsWins,
    // STATUS.
    StatusOkWhenExhausted,
    StatusNotForwarded,
    // GC.
    GcRemovesValid,
    GcRemovesNothing,
    GcNotForwarded,
    GcOldKeyIgnored,
    // Delegation.
    NoIpamDelAfterFailedAdd,
    DelegateStderrSwallowed,
    // Hangs and crashes.
    HangAdd,
    AbortAdd,
    FuzzCrashLargeMtu,
    FuzzHangLongString,
}

/// What a switch does, for messages and the documentation table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultInfo {
    pub name: &'static str,
    pub plugins: &'static [PluginKind],
    /// The catalogue rule it breaks.
    pub rule: &'static str,
    /// The rule's level as the catalogue grades it.
    pub level: &'static str,
    pub what: &'static str,
}

impl Fault {
    pub const ALL: [Fault; 48] = [
        Fault::ResultWrongVersion,
        Fault::ResultNoIpVersion,
        Fault::ResultInterfaceOutOfRange,
        Fault::ResultAddressNotCidr,
        Fault::ResultWrongMac,
        Fault::VersionRejectsAdvertised,
        Fault::VersionNoEcho,
        Fault::VersionAcceptsUnsupported,
        Fault::ErrorUnsupportedVersionCode,
        Fault::ErrorOnStderr,
        Fault::ErrorExitZero,
        Fault::ErrorReservedCode,
        Fault::ErrorNoCniVersion,
        Fault::StdoutLogLine,
        Fault::StdoutHuge,
        Fault::CheckPrintsResult,
        Fault::EnvContainerIdUnchecked,
        Fault::EnvErrorUnnamed,
        Fault::UnknownCommandOk,
        Fault::AddOverExisting,
        Fault::AddIgnoresIfname,
        Fault::DelNotIdempotent,
        Fault::DelNeedsNetns,
        Fault::DelLeaksHostVeth,
        Fault::DelKeepsReservation,
        Fault::DelNeedsPrevResult,
        Fault::TuningDelKeepsChanges,
        Fault::CheckAlwaysOk,
        Fault::CheckCrashes,
        Fault::CheckIgnoresPrevResult,
        Fault::CheckNotForwarded,
        Fault::ChainDropsPrevResult,
        Fault::ChainRewritesIps,
        Fault::IpamDoubleAllocation,
        Fault::IpamResultHasInterfaces,
        Fault::IpamCniArgsWins,
        Fault::StatusOkWhenExhausted,
        Fault::StatusNotForwarded,
        Fault::GcRemovesValid,
        Fault::GcRemovesNothing,
        Fault::GcNotForwarded,
        Fault::GcOldKeyIgnored,
        Fault::NoIpamDelAfterFailedAdd,
        Fault::DelegateStderrSwallowed,
        Fault::HangAdd,
        Fault::AbortAdd,
        Fault::FuzzCrashLargeMtu,
        Fault::FuzzHangLongString,
    ];

    pub fn info(self) -> FaultInfo {
        let (name, plugins, rule, level, what): (_, &'static [PluginKind], _, _, _) = match self {
            Fault::ResultWrongVersion => (
                "result-wrong-version",
                ALL_KINDS,
                "P-ADD-1",
                "MUST",
                "the ADD result's cniVersion is another version of the same result shape",
            ),
            Fault::ResultNoIpVersion => (
                "result-no-ip-version",
                ALL_KINDS,
                "F-RES-3",
                "MUST",
                "at 0.3.x/0.4.0 the ADD result's ips[] lack `version`",
            ),
            Fault::ResultInterfaceOutOfRange => (
                "result-interface-out-of-range",
                &[I, T],
                "F-RES-2",
                "MUST",
                "every ips[].interface points one past the end of interfaces[] (0.3.0+)",
            ),
            Fault::ResultAddressNotCidr => (
                "result-address-not-cidr",
                ALL_KINDS,
                "P-ADD-6",
                "MUST",
                "result addresses lose their prefix length (`10.1.0.2` instead of `10.1.0.2/24`)",
            ),
            Fault::ResultWrongMac => (
                "result-wrong-mac",
                &[I],
                "P-ADD-5",
                "MUST",
                "the container interface's `mac` in the result differs from the kernel's",
            ),
            Fault::VersionRejectsAdvertised => (
                "version-rejects-advertised",
                ALL_KINDS,
                "P-VER-4",
                "MUST",
                "VERSION lists 1.1.0, but every request at 1.1.0 gets code 1",
            ),
            Fault::VersionNoEcho => (
                "version-no-echo",
                ALL_KINDS,
                "P-VER-2",
                "MUST",
                "VERSION answers with another cniVersion than stdin asked (needs the key in VERSION's stdin)",
            ),
            Fault::VersionAcceptsUnsupported => (
                "version-accepts-unsupported",
                ALL_KINDS,
                "P-VER-5",
                "SHOULD",
                "a well-formed but unsupported cniVersion (\"0.3.5\", \"2.0.0\") is served as 1.1.0",
            ),
            Fault::ErrorUnsupportedVersionCode => (
                "error-unsupported-version-code",
                ALL_KINDS,
                "P-VER-5",
                "SHOULD",
                "an unsupported cniVersion is answered with code 7 instead of 1",
            ),
            Fault::ErrorOnStderr => (
                "error-on-stderr",
                ALL_KINDS,
                "F-ERR-2",
                "MUST",
                "the error object goes to stderr; stdout stays empty",
            ),
            Fault::ErrorExitZero => (
                "error-exit-zero",
                ALL_KINDS,
                "F-ERR-1",
                "MUST",
                "errors print their error object but exit 0",
            ),
            Fault::ErrorReservedCode => (
                "error-reserved-code",
                ALL_KINDS,
                "F-ERR-4",
                "MUST NOT",
                "every error carries code 42, reserved and defined by no spec",
            ),
            Fault::ErrorNoCniVersion => (
                "error-no-cni-version",
                ALL_KINDS,
                "F-ERR-3",
                "MUST",
                "error objects lack `cniVersion`",
            ),
            Fault::StdoutLogLine => (
                "stdout-log-line",
                ALL_KINDS,
                "P-IO-1",
                "MUST",
                "a log line goes to stdout before the JSON, on every command",
            ),
            Fault::StdoutHuge => (
                "stdout-huge",
                ALL_KINDS,
                "P-IO-1",
                "MUST",
                "ADD writes 50 MiB of log lines to stdout before its result",
            ),
            Fault::CheckPrintsResult => (
                "check-prints-result",
                ALL_KINDS,
                "P-CHECK-1",
                "MUST",
                "a successful CHECK prints the prevResult on stdout",
            ),
            Fault::EnvContainerIdUnchecked => (
                "env-containerid-unchecked",
                ALL_KINDS,
                "P-ENV-2",
                "SHOULD",
                "a missing CNI_CONTAINERID is not detected; the request goes on with an empty id",
            ),
            Fault::EnvErrorUnnamed => (
                "env-error-unnamed",
                ALL_KINDS,
                "P-ENV-2",
                "MUST",
                "environment errors carry code 4 but do not name the variables",
            ),
            Fault::UnknownCommandOk => (
                "unknown-command-ok",
                ALL_KINDS,
                "P-ENV-1",
                "MUST",
                "an unknown CNI_COMMAND exits 0 with empty stdout",
            ),
            Fault::AddOverExisting => (
                "add-over-existing",
                &[I],
                "P-ADD-3",
                "MUST",
                "ADD adopts an existing CNI_IFNAME in the container instead of failing",
            ),
            Fault::AddIgnoresIfname => (
                "add-ignores-ifname",
                &[I],
                "P-ENV-4",
                "MUST",
                "the container interface is named `refeth0`, whatever CNI_IFNAME says",
            ),
            Fault::DelNotIdempotent => (
                "del-not-idempotent",
                ALL_KINDS,
                "P-DEL-1",
                "MUST",
                "DEL fails (code 110) when there is nothing left to delete, e.g. the second DEL",
            ),
            Fault::DelNeedsNetns => (
                "del-needs-netns",
                &[I, T],
                "P-DEL-2",
                "SHOULD",
                "DEL fails when CNI_NETNS is unset or the namespace is gone",
            ),
            Fault::DelLeaksHostVeth => (
                "del-leaks-host-veth",
                &[I],
                "P-DEL-4",
                "SHOULD",
                "DEL releases the addresses but leaves the veth pair, host end included",
            ),
            Fault::DelKeepsReservation => (
                "del-keeps-reservation",
                &[M],
                "P-DEL-4",
                "SHOULD",
                "DEL succeeds but the address stays reserved in the store",
            ),
            Fault::DelNeedsPrevResult => (
                "del-needs-prevresult",
                ALL_KINDS,
                "P-DEL-3",
                "SHOULD",
                "DEL at 0.4.0+ fails when prevResult is absent or empty",
            ),
            Fault::TuningDelKeepsChanges => (
                "tuning-del-keeps-changes",
                &[T],
                "P-DEL-4",
                "SHOULD",
                "DEL forgets the saved state without restoring MTU, MAC, promiscuity and sysctls",
            ),
            Fault::CheckAlwaysOk => (
                "check-always-ok",
                ALL_KINDS,
                "P-CHECK-4",
                "SHOULD",
                "CHECK succeeds without looking at anything",
            ),
            Fault::CheckCrashes => (
                "check-crashes",
                ALL_KINDS,
                "P-CHECK-1",
                "MUST",
                "CHECK dies of SIGSEGV",
            ),
            Fault::CheckIgnoresPrevResult => (
                "check-ignores-prevresult",
                &[I, M],
                "P-CHECK-2",
                "MUST",
                "CHECK does not compare addresses and routes with prevResult (a doctored prevResult passes)",
            ),
            Fault::CheckNotForwarded => (
                "check-not-forwarded",
                &[I],
                "P-CHECK-7",
                "SHOULD",
                "CHECK is not run on the IPAM plugin",
            ),
            Fault::ChainDropsPrevResult => (
                "chain-drops-prevresult",
                &[T],
                "P-ADD-4",
                "MUST",
                "ADD outputs only the tuned interface; prevResult's ips, routes and dns are dropped",
            ),
            Fault::ChainRewritesIps => (
                "chain-rewrites-ips",
                &[T],
                "P-ADD-4",
                "MUST",
                "ADD outputs prevResult with every address moved to the next one",
            ),
            Fault::IpamDoubleAllocation => (
                "ipam-double-allocation",
                &[M],
                "P-ADD-8",
                "MUST",
                "ADD takes no lock and overwrites reservations: concurrent ADDs get the same address",
            ),
            Fault::IpamResultHasInterfaces => (
                "ipam-result-has-interfaces",
                &[M],
                "P-DELEG-8",
                "MUST",
                "the IPAM result carries `interfaces` and `ips[].interface`",
            ),
            Fault::IpamCniArgsWins => (
                "ipam-cni-args-wins",
                &[M],
                "C-ARGS-3",
                "MUST",
                "CNI_ARGS `IP=` is used even when `args.cni.ips` asks for an address",
            ),
            Fault::StatusOkWhenExhausted => (
                "status-ok-when-exhausted",
                &[M],
                "P-STATUS-2",
                "SHOULD",
                "STATUS succeeds although no address is left",
            ),
            Fault::StatusNotForwarded => (
                "status-not-forwarded",
                &[I],
                "P-STATUS-6",
                "MUST",
                "STATUS is not run on the IPAM plugin, and succeeds",
            ),
            Fault::GcRemovesValid => (
                "gc-removes-valid",
                &[M],
                "P-GC-3",
                "MUST NOT",
                "GC releases every reservation of the network, valid attachments included",
            ),
            Fault::GcRemovesNothing => (
                "gc-removes-nothing",
                &[M],
                "P-GC-2",
                "SHOULD",
                "GC succeeds and releases nothing",
            ),
            Fault::GcNotForwarded => (
                "gc-not-forwarded",
                &[I],
                "P-GC-5",
                "MUST",
                "GC is not run on the IPAM plugin",
            ),
            Fault::GcOldKeyIgnored => (
                "gc-old-key-ignored",
                &[M],
                "P-GC-1",
                "MUST",
                "GC reads only `cni.dev/valid-attachments`; given only `cni.dev/attachments` it releases everything",
            ),
            Fault::NoIpamDelAfterFailedAdd => (
                "no-ipam-del-after-failed-add",
                &[I],
                "P-DELEG-7",
                "SHOULD",
                "when ADD fails after IPAM allocated, IPAM is not called with DEL: the address leaks",
            ),
            Fault::DelegateStderrSwallowed => (
                "delegate-stderr-swallowed",
                &[I],
                "P-DELEG-5",
                "SHOULD",
                "the IPAM plugin's stderr is discarded instead of passed on",
            ),
            Fault::HangAdd => (
                "hang-add",
                ALL_KINDS,
                "P-ADD-1",
                "MUST",
                "ADD never returns; a child process holds stdout open, so only a process-group kill ends it",
            ),
            Fault::AbortAdd => (
                "abort-add",
                ALL_KINDS,
                "F-ERR-2",
                "MUST",
                "ADD dies of SIGABRT without an error object",
            ),
            Fault::FuzzCrashLargeMtu => (
                "fuzz-crash-large-mtu",
                &[I, T],
                "F-ERR-2",
                "MUST",
                "any command dies of SIGABRT when `mtu` is above 9000 (a fuzzer's find)",
            ),
            Fault::FuzzHangLongString => (
                "fuzz-hang-long-string",
                ALL_KINDS,
                "P-ADD-1",
                "MUST",
                "ADD hangs (with a child holding stdout) when any string in the config is longer than 64 bytes",
            ),
        };
        FaultInfo {
            name,
            plugins,
            rule,
            level,
            what,
        }
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The switch's row in the table of `FAULTS.md`.
    pub fn markdown_row(self) -> String {
        let info = self.info();
        let plugins = if info.plugins == ALL_KINDS {
            "all".to_owned()
        } else {
            let names: Vec<&str> = info.plugins.iter().map(|k| k.name()).collect();
            names.join(", ")
        };
        format!(
            "| `{}` | {plugins} | {} | {} | {} |",
            info.name, info.rule, info.level, info.what
        )
    }

    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The switches a request turned on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults(BTreeSet<Fault>);

impl Faults {
    pub fn none() -> Faults {
        Faults::default()
    }

    pub fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }

    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.0.iter().copied()
    }

    /// Reads the switches of plugin `kind` from its configuration.
    pub fn from_config(
        config: &Map<String, Value>,
        kind: PluginKind,
    ) -> Result<Faults, PluginError> {
        let path = kind.faults_path();
        let mut value = config.get(path[0]);
        for key in &path[1..] {
            value = value.and_then(|v| v.get(key));
        }
        let key = path.join(".");
        let items = match value {
            None | Some(Value::Null) => return Ok(Faults::none()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(PluginError::config(key, "must be a list of fault names")),
        };
        let mut faults = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let at = format!("{key}[{i}]");
            let Some(name) = item.as_str() else {
                return Err(PluginError::config(at, format!("{item} is not a string")));
            };
            let Some(fault) = Fault::from_name(name) else {
                return Err(PluginError::config(
                    at,
                    format!("unknown fault {name:?} (see FAULTS.md for the list)"),
                ));
            };
            if !fault.info().plugins.contains(&kind) {
                return Err(PluginError::config(
                    at,
                    format!("fault {name:?} is not a fault of {}", kind.name()),
                ));
            }
            faults.insert(fault);
        }
        Ok(Faults(faults))
    }
}

impl FromIterator<Fault> for Faults {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> Faults {
        Faults(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(config: Value, kind: PluginKind) -> Result<Faults, PluginError> {
        let Value::Object(map) = config else {
            panic!("not an object")
        };
        Faults::from_config(&map, kind)
    }

    #[test]
    fn names_are_unique_and_round_trip() {
        let names: BTreeSet<_> = Fault::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), Fault::ALL.len());
        for fault in Fault::ALL {
            assert_eq!(Fault::from_name(fault.name()), Some(fault));
        }
    }

    #[test]
    fn every_rule_is_in_the_catalogue() {
        for fault in Fault::ALL {
            let rule = fault.info().rule;
            assert!(
                cnitest::spec::rule::lookup(rule).is_some(),
                "{fault}: {rule} is not a catalogue id"
            );
        }
    }

    #[test]
    fn the_documentation_lists_every_switch() {
        let doc = include_str!("../FAULTS.md");
        let rows: Vec<&str> = doc.lines().filter(|l| l.starts_with("| `")).collect();
        let wanted: Vec<String> = Fault::ALL.iter().map(|f| f.markdown_row()).collect();
        assert_eq!(
            rows,
            wanted,
            "FAULTS.md is out of date; its table should read:\n{}",
            wanted.join("\n")
        );
    }

    #[test]
    fn ipam_switches_live_under_ipam() {
        let config =
            json!({"faults": ["check-always-ok"], "ipam": {"faults": ["gc-removes-nothing"]}});
        let ipam = parse(config.clone(), PluginKind::Ipam).unwrap();
        assert!(ipam.has(Fault::GcRemovesNothing));
        assert!(!ipam.has(Fault::CheckAlwaysOk));
        let interface = parse(config, PluginKind::Interface).unwrap();
        assert!(interface.has(Fault::CheckAlwaysOk));
    }

    #[test]
    fn unknown_and_foreign_switches_are_config_errors() {
        let err = parse(json!({"faults": ["no-such-fault"]}), PluginKind::Interface).unwrap_err();
        assert_eq!(err.code(), 7);
        assert!(err.to_string().contains("no-such-fault"), "{err}");
        let err = parse(
            json!({"faults": ["gc-removes-nothing"]}),
            PluginKind::Interface,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("not a fault of cni-reference"),
            "{err}"
        );
        assert!(parse(json!({"faults": "x"}), PluginKind::Tuning).is_err());
    }
}
