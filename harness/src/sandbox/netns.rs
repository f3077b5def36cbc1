//! Namespace identity: the descriptors that keep a namespace alive, and how to recognise one.
//!
//! A namespace lives as long as a descriptor, a mount or a process refers to it. The sandbox keeps
//! only descriptors (and mounts inside its own mount namespace), so closing them frees everything.

use std::fmt;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::sched::CloneFlags;

use super::error::SandboxError;

/// The kinds of namespace the sandbox makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NsKind {
    /// A network namespace.
    Net,
    /// A mount namespace.
    Mnt,
}

impl NsKind {
    /// The name used in `/proc/<pid>/ns/` and in run records.
    pub fn name(self) -> &'static str {
        match self {
            Self::Net => "net",
            Self::Mnt => "mnt",
        }
    }

    /// The flag `setns` and `unshare` take for this kind.
    pub fn clone_flag(self) -> CloneFlags {
        match self {
            Self::Net => CloneFlags::CLONE_NEWNET,
            Self::Mnt => CloneFlags::CLONE_NEWNS,
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "net" => Some(Self::Net),
            "mnt" => Some(Self::Mnt),
            _ => None,
        }
    }
}

/// What identifies a namespace: the nsfs device and inode, and, where the kernel has it (Linux
/// 6.18 for every kind, 6.8 for mount namespaces), the 64-bit id that is never reused. Inode
/// numbers are reused once a namespace is freed, so a record read after its run died is trusted
/// only with the id or with another proof (see `procs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NsId {
    /// Which kind of namespace.
    pub kind: NsKind,
    /// Device of the nsfs inode.
    pub dev: u64,
    /// Inode number, as in `net:[4026532000]`.
    pub ino: u64,
    /// The kernel's unique namespace id, if this kernel reports one.
    pub id: Option<u64>,
}

impl fmt::Display for NsId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:[{}]", self.kind.name(), self.ino)
    }
}

// _IOR(NSIO = 0xb7, nr, __u64)
const fn ns_ioctl(nr: u64) -> u64 {
    (2 << 30) | (8 << 16) | (0xb7 << 8) | nr
}
const NS_GET_ID: u64 = ns_ioctl(0xd);
const NS_GET_MNTNS_ID: u64 = ns_ioctl(0x5);

impl NsId {
    /// Identifies the namespace an nsfs descriptor refers to.
    pub fn of(fd: BorrowedFd<'_>, kind: NsKind) -> Result<Self, SandboxError> {
        let meta = File::from(
            fd.try_clone_to_owned()
                .map_err(SandboxError::io("duplicate a namespace descriptor"))?,
        )
        .metadata()
        .map_err(SandboxError::io("stat a namespace descriptor"))?;
        Ok(Self {
            kind,
            dev: meta.dev(),
            ino: meta.ino(),
            id: kernel_id(fd, kind),
        })
    }

    /// Identifies the namespace at an nsfs path such as `/proc/<pid>/ns/net`.
    pub fn of_path(path: &Path, kind: NsKind) -> Result<Self, SandboxError> {
        let file =
            File::open(path).map_err(SandboxError::io(format!("open {}", path.display())))?;
        Self::of(file.as_fd(), kind)
    }

    /// Whether `other` is the same namespace. Without ids on both sides, inode and device decide.
    pub fn same_as(&self, other: &NsId) -> bool {
        self.kind == other.kind
            && self.dev == other.dev
            && self.ino == other.ino
            && match (self.id, other.id) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

fn kernel_id(fd: BorrowedFd<'_>, kind: NsKind) -> Option<u64> {
    let mut requests = vec![NS_GET_ID];
    if kind == NsKind::Mnt {
        requests.push(NS_GET_MNTNS_ID);
    }
    requests.into_iter().find_map(|request| {
        let mut id: u64 = 0;
        // SAFETY: both requests write one u64 through the pointer, which is valid for that.
        let rc = unsafe { libc::ioctl(fd.as_raw_fd(), request as _, &mut id as *mut u64) };
        (rc == 0).then_some(id)
    })
}

/// Opens the namespace of kind `kind` that the calling thread is in.
pub(crate) fn open_own(kind: NsKind) -> Result<OwnedFd, SandboxError> {
    let path = format!("/proc/thread-self/ns/{}", kind.name());
    File::open(&path)
        .map(OwnedFd::from)
        .map_err(SandboxError::io(format!("open {path}")))
}
