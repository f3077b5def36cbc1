//! cnitest: a conformance test suite and mock runtime for CNI plugins.
//!
//! Data flows one way: `spec` (the protocol, pure) -> `runtime` (invoking
//! plugins as a CNI runtime does) -> `sandbox` (namespaces, and what the
//! kernel shows) -> `suite` (cases, checks, verdicts) -> `report`.

pub mod spec;
