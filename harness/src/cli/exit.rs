//! Exit statuses: a contract that CI pipelines depend on, so they live in
//! one place and are never inferred from output.

/// No case failed (warnings allowed unless `--strict`); for `exec`, the
/// plugin(s) succeeded.
pub const OK: i32 = 0;
/// At least one case failed; for `exec`, a plugin failed.
pub const FAILED: i32 = 1;
/// Bad usage or unreadable input: flags, configuration, case files, a
/// missing plugin binary.
pub const USAGE: i32 = 2;
/// The harness could not set up (no privilege to make namespaces, say).
/// Never the plugin's fault.
pub const SETUP: i32 = 3;
/// No case was selected.
pub const NO_CASES: i32 = 4;
