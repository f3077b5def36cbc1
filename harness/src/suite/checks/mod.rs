//! The named checks case files refer to: what needs code to decide (is this
//! a valid result at this version? does the kernel agree? did DEL leave
//! anything?). Each names the catalogue rules it enforces.

/// Every check a case file may name; `name:arg` forms take an argument.
const NAMES: &[&str] = &[
    "result-valid",
    "result-matches-kernel",
    "ifname-honoured",
    "container-unchanged",
    "precreated-untouched",
    "stdout-empty",
    "prev-result-echoed",
    "distinct-addresses",
    "no-leak",
    "no-growth",
    "version-info",
    "error-object",
    "stub-called",
    "stub-env",
    "stub-config",
    "stub-stderr",
    "stub-del-after-failed-add",
    "result-from-stub",
    "attachment-intact",
    "released",
    "kept",
];

/// Check names, for messages.
pub fn names() -> Vec<&'static str> {
    NAMES.to_vec()
}

/// Whether `name` (possibly `name:arg`) is a check.
pub fn is_known(name: &str) -> bool {
    let base = name.split_once(':').map_or(name, |(b, _)| b);
    NAMES.contains(&base)
}
