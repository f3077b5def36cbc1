//! Integration tests of the reference plugins: one binary, one module per
//! area. Plugins run in throwaway namespaces; the kernel state they leave is
//! checked, not only their exit status. They need root.

mod common;
mod concurrency;
mod faults;
mod interface;
mod interop;
mod ipam;
mod skel;
mod tuning;
