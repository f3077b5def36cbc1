//! Reference CNI plugins: an interface plugin (`cni-reference`, a veth
//! pair), an IPAM plugin (`cni-reference-ipam`) and a chained plugin
//! (`cni-reference-tuning`), each written to the spec text for versions
//! 0.1.0 to 1.1.0, each with fault switches that break exactly one rule.
//!
//! A plugin author can read them top-down: `skel` is the protocol (the same
//! for every plugin), `error` maps failures to the spec's codes, and each
//! plugin has one file per command.

pub mod delegate;
pub mod dns;
pub mod error;
pub mod faults;
pub mod fields;
pub mod interface;
pub mod ipam;
pub mod link_settings;
pub mod netns;
pub mod promisc;
pub mod skel;
pub mod tuning;
