//! Errors of rtnetlink requests: what was asked, and what the kernel (or the socket) answered.

use std::io;

/// A failed request. Reads well after "failed to":
/// `creating veth pair "veth0"/"eth0": File exists (os error 17)`.
#[derive(Debug, thiserror::Error)]
#[error("{request}: {kind}")]
pub struct Error {
    request: String,
    kind: ErrorKind,
}

/// What went wrong.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The kernel refused the request (`NLMSG_ERROR`, or a dump that ended
    /// in an error). `message` is the kernel's extended acknowledgement, when
    /// it gave one ("Nexthop has invalid gateway").
    #[error("{}{}", io::Error::from_raw_os_error(*errno), explained(message))]
    Kernel { errno: i32, message: Option<String> },
    /// The socket failed (opening, sending, receiving), or a namespace could
    /// not be entered or made.
    #[error(transparent)]
    Io(io::Error),
    /// The kernel's answer could not be read.
    #[error("unreadable reply: {0}")]
    Decode(String),
}

fn explained(message: &Option<String>) -> String {
    match message {
        Some(m) => format!(" ({m})"),
        None => String::new(),
    }
}

impl Error {
    pub(crate) fn new(request: impl Into<String>, kind: ErrorKind) -> Error {
        Error {
            request: request.into(),
            kind,
        }
    }

    pub(crate) fn io(request: impl Into<String>, err: io::Error) -> Error {
        Error::new(request, ErrorKind::Io(err))
    }

    /// What was asked, e.g. `deleting link "veth0"`.
    pub fn request(&self) -> &str {
        &self.request
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The errno the kernel (or a system call) answered with.
    pub fn errno(&self) -> Option<i32> {
        match &self.kind {
            ErrorKind::Kernel { errno, .. } => Some(*errno),
            ErrorKind::Io(e) => e.raw_os_error(),
            ErrorKind::Decode(_) => None,
        }
    }

    /// The object asked for does not exist: no such link (`ENODEV`), route
    /// (`ESRCH`), address (`EADDRNOTAVAIL`) or namespace (`ENOENT`). A DEL
    /// treats this as "already gone", which is success (P-DEL-1).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.errno(),
            Some(libc::ENODEV | libc::ESRCH | libc::EADDRNOTAVAIL | libc::ENOENT)
        )
    }

    /// The object to create exists already (`EEXIST`).
    pub fn is_exists(&self) -> bool {
        self.errno() == Some(libc::EEXIST)
    }
}
