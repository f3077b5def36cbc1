//! Container network namespaces: what `CNI_NETNS` names, bound inside the sandbox's mount namespace
//! so that the machine's `ip netns list` never shows them.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use nix::sched::{CloneFlags, unshare};

use super::error::SandboxError;
use super::mount;
use super::netns::{self, NsId, NsKind};

/// A container network namespace inside a sandbox.
#[derive(Debug)]
pub struct Container {
    name: String,
    path: PathBuf,
    pub(crate) fd: Arc<OwnedFd>,
    pub(crate) mnt: Arc<OwnedFd>,
    pub(crate) handed_out: Arc<AtomicBool>,
    id: NsId,
}

/// A container netns made by a helper thread, before the sandbox adopts it.
#[derive(Debug)]
pub(crate) struct Made {
    name: String,
    path: PathBuf,
    fd: OwnedFd,
}

impl Container {
    /// Makes a network namespace for the calling helper thread (which must already be in the
    /// sandbox's mount namespace) and binds it to `/run/netns/<name>`.
    pub(crate) fn make_here(name: &str) -> Result<Made, SandboxError> {
        unshare(CloneFlags::CLONE_NEWNET).map_err(SandboxError::sys(format!(
            "unshare a network namespace for container {name}"
        )))?;
        let fd = netns::open_own(NsKind::Net)?;
        let path = mount::bind_netns(name)?;
        Ok(Made {
            name: name.to_owned(),
            path,
            fd,
        })
    }

    /// The container's name in the sandbox.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path to give the plugin as `CNI_NETNS` (valid inside the sandbox's mount namespace).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The namespace's identity.
    pub fn ns_id(&self) -> NsId {
        self.id
    }

    /// The namespace's descriptor, for netlink sockets opened inside it.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Made {
    pub(crate) fn finish(
        self,
        mnt: &Arc<OwnedFd>,
        handed_out: &Arc<AtomicBool>,
    ) -> Result<Container, SandboxError> {
        let id = NsId::of(self.fd.as_fd(), NsKind::Net)?;
        Ok(Container {
            name: self.name,
            path: self.path,
            fd: Arc::new(self.fd),
            mnt: Arc::clone(mnt),
            handed_out: Arc::clone(handed_out),
            id,
        })
    }
}
