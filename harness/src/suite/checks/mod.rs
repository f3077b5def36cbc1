//! The named checks case files refer to: what needs code to decide (is this
//! a valid result at this version? does the kernel agree? did DEL leave
//! anything?). Each names the catalogue rules it enforces.

mod delegation;
mod kernel;
mod protocol;
mod result;

use std::collections::BTreeMap;

pub use delegation::{STDERR_TOKEN, stub_script as delegation_stub_script};
pub use protocol::{expectations, protocol};

use super::case::{Case, RunStep};
use super::driver::{AttachmentState, Driver, StepRun};
use super::kernel::{Snapshot, Steady};
use super::role::Role;
use super::verdict::Finding;
use crate::runtime::stub::Stub;
use crate::sandbox::Sandbox;
use crate::spec::Version;
use crate::spec::rule::Level;

/// Every check a case file may name, with what it checks; `name:arg` forms
/// take an attachment name or a command.
const NAMES: &[(&str, &str)] = &[
    (
        "result-valid",
        "the ADD result is valid at the version (F-RES-*, P-ADD-1, P-DELEG-8)",
    ),
    (
        "result-matches-kernel",
        "interfaces, addresses and routes of the result are in the kernel (P-ADD-5..7)",
    ),
    (
        "ifname-honoured",
        "CNI_IFNAME is the container interface's name, in the kernel and the result (P-ENV-4)",
    ),
    (
        "container-unchanged",
        "the step added no link or address in the container",
    ),
    (
        "precreated-untouched",
        "the interface made before ADD is still the same link (P-ADD-3)",
    ),
    (
        "stdout-empty",
        "nothing on stdout after success (P-CHECK-1, P-GC-6, P-IO-2)",
    ),
    (
        "prev-result-echoed",
        "the result carries the prevResult it got (P-ADD-4)",
    ),
    (
        "distinct-addresses",
        "parallel ADDs got distinct addresses (P-ADD-8)",
    ),
    (
        "no-leak",
        "nothing left behind against before the first ADD (P-DEL-4)",
    ),
    (
        "no-growth",
        "a second ADD/DEL cycle leaves no more than the first (P-DEL-4)",
    ),
    (
        "version-info",
        "the VERSION answer's shape and echo (P-VER-1, P-VER-2)",
    ),
    (
        "error-object",
        "the error object's fields, cniVersion and code range (F-ERR-2..4)",
    ),
    (
        "stub-called",
        "the IPAM delegate got this command (stub-called:CHECK; P-DELEG-1/6, P-CHECK-7, P-GC-5, P-STATUS-6)",
    ),
    (
        "stub-env",
        "the delegate got the plugin's CNI_* environment (P-DELEG-3)",
    ),
    (
        "stub-config",
        "the delegate got the plugin's whole configuration (P-DELEG-4)",
    ),
    (
        "stub-stderr",
        "the delegate's stderr reached the plugin's stderr (P-DELEG-5)",
    ),
    (
        "stub-del-after-failed-add",
        "a failed delegate ADD was followed by a delegate DEL (P-DELEG-7)",
    ),
    (
        "result-from-stub",
        "the result carries the delegate's addresses and DNS (P-DELEG-9)",
    ),
    (
        "attachment-intact",
        "another attachment still passes CHECK and matches the kernel (attachment-intact:b; P-ADD-8)",
    ),
    (
        "released",
        "GC released a stale attachment's addresses and host interfaces (released:b; P-GC-2)",
    ),
    ("kept", "GC kept a valid attachment (kept:a; P-GC-3)"),
    (
        "address",
        "the result holds this address (address:10.231.0.50; C-ARGS-2)",
    ),
    (
        "container-mac",
        "the container interface has this MAC (container-mac:c2:11:22:33:44:55; C-CAP-1)",
    ),
    (
        "netns-exists",
        "the container's namespace still opens (R-LIFE-6)",
    ),
    (
        "restored",
        "DEL of the plugin alone undid what its ADD changed in the container (P-DEL-4)",
    ),
];

/// Check names, for messages.
pub fn names() -> Vec<&'static str> {
    NAMES.iter().map(|(n, _)| *n).collect()
}

/// Check names with what each checks, for `cnitest list` and docs.
pub fn described() -> &'static [(&'static str, &'static str)] {
    NAMES
}

/// Whether `name` (possibly `name:arg`) is a check.
pub fn is_known(name: &str) -> bool {
    let base = name.split_once(':').map_or(name, |(b, _)| b);
    NAMES.iter().any(|(n, _)| *n == base)
}

/// What a check can see.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub case: &'a Case,
    pub version: Version,
    pub role: Role,
    pub step: &'a RunStep,
    pub index: usize,
    /// The step's runs: one, or one per attachment of a repeated step.
    pub runs: &'a [(String, StepRun)],
    pub atts: &'a BTreeMap<String, AttachmentState>,
    pub sandbox: &'a Sandbox,
    pub driver: &'a Driver<'a>,
    pub stub: Option<&'a Stub>,
    /// How many calls the stub had logged before the step.
    pub stub_seen: usize,
    /// The containers, read just before the step.
    pub before_step: Option<&'a Snapshot>,
    /// Read before the case's first ADD.
    pub baseline: Option<&'a Snapshot>,
    /// The containers just before the plugin under test's last ADD of the
    /// step's attachment (cases with a `restored` check).
    pub before_add: Option<&'a Snapshot>,
    pub steady: &'a Steady,
    /// What `precreate-interface` made: its index and MAC.
    pub precreated: Option<&'a (u32, String)>,
    /// Snapshots after each successful DEL so far, this step's included.
    pub after_dels: &'a [Snapshot],
}

impl<'a> Ctx<'a> {
    /// The rule a broken expectation of this step breaks.
    pub fn rule(&self) -> &str {
        self.step.rules.first().unwrap_or(&self.case.rules[0])
    }

    /// The level of a broken expectation of this step at this version.
    pub fn level(&self) -> Level {
        self.step
            .level
            .map_or_else(|| self.case.level_at(self.version), |l| l.at(self.version))
    }

    pub fn finding(&self, rule: &str, level: Level, message: impl Into<String>) -> Finding {
        Finding::new(rule, level, message).at_step(self.index)
    }

    /// The first (usually only) run of the step.
    pub fn run(&self) -> &'a StepRun {
        &self.runs[0].1
    }

    pub fn att(&self) -> &'a AttachmentState {
        &self.atts[&self.runs[0].0]
    }
}

/// Runs the named check. `Err` is the harness's failure, not the plugin's.
pub fn run(name: &str, ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let (base, arg) = match name.split_once(':') {
        Some((b, a)) => (b, Some(a)),
        None => (name, None),
    };
    match base {
        "result-valid" => Ok(result::valid(ctx)),
        "result-matches-kernel" => kernel::matches(ctx),
        "ifname-honoured" => kernel::ifname_honoured(ctx),
        "container-unchanged" => kernel::container_unchanged(ctx),
        "precreated-untouched" => kernel::precreated_untouched(ctx),
        "stdout-empty" => Ok(result::stdout_empty(ctx)),
        "prev-result-echoed" => Ok(result::prev_result_echoed(ctx)),
        "distinct-addresses" => Ok(result::distinct_addresses(ctx)),
        "no-leak" => kernel::no_leak(ctx),
        "no-growth" => kernel::no_growth(ctx),
        "version-info" => Ok(result::version_info(ctx)),
        "error-object" => Ok(protocol::error_object(ctx)),
        "stub-called" => delegation::called(ctx, arg.unwrap_or("ADD")),
        "stub-env" => delegation::env(ctx),
        "stub-config" => delegation::config(ctx),
        "stub-stderr" => delegation::stderr(ctx),
        "stub-del-after-failed-add" => delegation::del_after_failed_add(ctx),
        "result-from-stub" => delegation::result_from_stub(ctx),
        "attachment-intact" => kernel::attachment_intact(ctx, arg.unwrap_or("b")),
        "released" => kernel::released(ctx, arg.unwrap_or("b")),
        "kept" => kernel::kept(ctx, arg.unwrap_or("a")),
        "address" => Ok(result::has_address(ctx, arg.unwrap_or_default())),
        "netns-exists" => kernel::netns_exists(ctx),
        "restored" => kernel::restored(ctx),
        "container-mac" => kernel::container_mac(ctx, arg.unwrap_or_default()),
        other => Err(format!("no check named {other:?}")),
    }
}
