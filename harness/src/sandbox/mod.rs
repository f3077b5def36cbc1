//! Throwaway namespaces for plugins to run in, and what the kernel shows of them.

pub mod clean;
mod container;
mod error;
mod exec;
mod guard;
mod instance;
mod mount;
mod netns;
mod procs;
mod record;
mod run;
pub mod signal;
mod thread;

pub use container::Container;
pub use error::{SandboxError, TeardownErrors};
pub use guard::{ProcessGroup, TEMP_PREFIX, TempDir};
pub use instance::{DEFAULT_CONTAINER, Sandbox, SandboxBuilder};
pub use mount::{NETNS_DIR, state_dirs};
pub use netns::{NsId, NsKind};
pub use procs::Killed;
pub use run::{RUN_ROOT_ENV, current_dir as run_dir, default_root};

pub mod observe;
