//! cnitest: a conformance test suite and mock runtime for CNI plugins.
//!
//! Data flows one way: `spec` (the protocol, pure) -> `runtime` (invoking
//! plugins as a CNI runtime does) -> `sandbox` (namespaces, and what the
//! kernel shows) -> `suite` (cases, checks, verdicts) -> `report`.
//! `netlink` is the kernel access the sandbox and the reference plugins share.

pub mod cli;
pub mod fuzz;
pub mod netlink;
pub mod report;
pub mod runtime;
pub mod sandbox;
pub mod spec;
pub mod suite;
