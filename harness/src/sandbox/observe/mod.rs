//! What the kernel holds: fingerprints of a namespace, their differences,
//! a plugin's steady state told from a leak, and an ADD result checked
//! against the kernel.

mod cycles;
mod diff;
mod files;
mod fingerprint;
mod items;
mod verify;

pub use cycles::{Growth, Residue, classify};
pub use diff::{AttributeChange, Change, Leftover, What, diff, left_behind};
pub use files::{Content, FileFacts, FileKind, TEXT_LIMIT, files_under};
pub use fingerprint::{AddressFacts, Fingerprint, LinkEnd, LinkFacts, RouteFacts};
pub use verify::{AddContext, KernelState, Mismatch, check_add, verify_add};
