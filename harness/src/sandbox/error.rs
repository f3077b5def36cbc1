//! Errors of the sandbox: what could not be set up or torn down, with the step that failed.

use std::fmt;
use std::io;

use nix::errno::Errno;

/// A sandbox step that failed. The message reads after "failed to".
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A system call failed.
    #[error("{what}")]
    Sys {
        /// The step, e.g. "mount tmpfs on /run".
        what: String,
        /// What the kernel answered.
        #[source]
        source: Errno,
    },
    /// A file operation failed.
    #[error("{what}")]
    Io {
        /// The step, e.g. "write run record /run/cnitest/12-34/ns-1".
        what: String,
        /// What the operation answered.
        #[source]
        source: io::Error,
    },
    /// A netlink request failed.
    #[error("{what}")]
    Netlink {
        /// The step, e.g. "delete link eth0 in container netns container".
        what: String,
        /// What the netlink layer answered.
        #[source]
        source: crate::netlink::Error,
    },
    /// A helper thread could not be started or died.
    #[error("{what}")]
    Thread {
        /// The step the thread was for.
        what: String,
    },
    /// The caller asked for something the sandbox cannot do.
    #[error("{what}")]
    Invalid {
        /// The request, e.g. "name a container netns \"a/b\" (names cannot contain '/')".
        what: String,
    },
}

impl SandboxError {
    pub(crate) fn sys(what: impl Into<String>) -> impl FnOnce(Errno) -> Self {
        let what = what.into();
        move |source| Self::Sys { what, source }
    }

    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }

    pub(crate) fn netlink(what: impl Into<String>) -> impl FnOnce(crate::netlink::Error) -> Self {
        let what = what.into();
        move |source| Self::Netlink { what, source }
    }

    pub(crate) fn invalid(what: impl Into<String>) -> Self {
        Self::Invalid { what: what.into() }
    }
}

/// Every error a teardown met. Teardown does not stop at the first one: it releases everything
/// it can and reports the rest.
#[derive(Debug, Default)]
pub struct TeardownErrors(pub Vec<SandboxError>);

impl TeardownErrors {
    pub(crate) fn push(&mut self, result: Result<(), SandboxError>) {
        if let Err(err) = result {
            self.0.push(err);
        }
    }

    pub(crate) fn into_result(self) -> Result<(), TeardownErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for TeardownErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tear down the sandbox ({} errors)", self.0.len())?;
        for err in &self.0 {
            write!(f, "; {err}")?;
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                write!(f, ": {cause}")?;
                source = cause.source();
            }
        }
        Ok(())
    }
}

impl std::error::Error for TeardownErrors {}
