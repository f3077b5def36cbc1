//! Integration tests: one binary, one module per area.

mod action;
mod cli;
mod docs;
mod exec;
mod fuzz;
mod interop;
mod netlink;
mod observe;
mod properties;
mod report;
mod rootless;
mod runtime;
mod sandbox;
mod snapshots;
mod suite;
mod support;
