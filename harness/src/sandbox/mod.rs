//! Throwaway namespaces for plugins to run in, and what the kernel shows of them.

mod action;
pub mod clean;
mod container;
mod error;
mod exec;
mod firewall;
mod guard;
mod instance;
mod mount;
mod netns;
pub mod observe;
mod probe;
mod procs;
mod reaper;
mod record;
mod run;
pub mod signal;
mod state;
mod thread;

pub use action::{IFNAME_MAX, ParentInterface};
pub use container::Container;
pub use error::{SandboxError, TeardownErrors};
pub use guard::{ProcessGroup, TEMP_PREFIX, TempDir};
pub use instance::{DEFAULT_CONTAINER, Sandbox, SandboxBuilder};
pub use mount::{NETNS_DIR, state_dirs};
pub use netns::{NsId, NsKind};
pub use probe::{LinkKind, LinkKinds};
pub use procs::Killed;
pub use reaper::settle;
pub use run::{RUN_ROOT_ENV, current_dir as run_dir, default_root};
