//! Helpers shared by the tests: sandboxes, plugin runs, kernel state.

pub mod kernel;
pub mod run;
pub mod world;

pub use run::{Bin, Invocation, Output};
pub use world::{Att, HOST, World, with_faults, with_prev};

use cnitest::spec::Version;

/// Versions with CHECK.
pub fn has_check(v: Version) -> bool {
    v >= Version::V0_4_0
}
