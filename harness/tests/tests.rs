//! Integration tests: one binary, one module per area.

mod exec;
mod netlink;
mod observe;
mod properties;
mod report;
mod runtime;
mod sandbox;
mod snapshots;
mod suite;
mod support;
