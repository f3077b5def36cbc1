//! A sandbox per case instance: a fake host (network namespace plus private mount namespace) that
//! plugins run in, and the container network namespaces that `CNI_NETNS` names.

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sched::{CloneFlags, setns, unshare};

use crate::netlink::Handle;

use super::container::Container;
use super::error::{SandboxError, TeardownErrors};
use super::mount;
use super::netns::{self, NsId, NsKind};
use super::procs;
use super::reaper;
use super::record::Facts;
use super::run::{Identity, Record};
use super::thread::in_own_thread;

/// The name of the container netns `Sandbox::new` makes.
pub const DEFAULT_CONTAINER: &str = "container";

/// How to build a sandbox.
#[derive(Debug, Clone, Default)]
pub struct SandboxBuilder {
    keep: Vec<PathBuf>,
    containers: Vec<String>,
}

impl SandboxBuilder {
    /// Keeps `path` usable inside the sandbox (a plugin binary or a `CNI_PATH` directory): if it
    /// lies under a directory the sandbox covers (`/run`, `/var/lib/cni`), it is bound back at the
    /// same place. Paths elsewhere are visible anyway.
    pub fn keep_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.keep.push(path.into());
        self
    }

    /// Keeps every path in `paths` usable (see [`SandboxBuilder::keep_path`]).
    pub fn keep_paths<I, P>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        self.keep.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Adds a container netns, reachable in the sandbox as `/run/netns/<name>`.
    pub fn container(mut self, name: impl Into<String>) -> Self {
        self.containers.push(name.into());
        self
    }

    /// Makes the namespaces and mounts.
    pub fn build(self) -> Result<Sandbox, SandboxError> {
        for name in &self.containers {
            check_container_name(name)?;
        }
        let keep = mount::paths_to_keep(&self.keep)?;
        let tag = Identity::current().tag();
        let made = in_own_thread("make a sandbox", || {
            unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS)
                .map_err(SandboxError::sys("unshare a network and a mount namespace"))?;
            mount::make_private()?;
            let kept = mount::open_kept(&keep)?;
            let submounts = mount::open_submounts(mount::var_lib_submounts()?)?;
            mount::cover_var_lib(&tag, &submounts)?;
            mount::cover_run(&tag)?;
            mount::bind_kept(&kept)?;
            mount::mount_sysfs()?;
            // Like any host, the fake host has its loopback up (a container's stays down, as a
            // runtime hands it over before the loopback plugin runs).
            Handle::current()
                .and_then(|handle| handle.set_up("lo"))
                .map_err(SandboxError::netlink("set lo up in the fake host"))?;
            let net = netns::open_own(NsKind::Net)?;
            let mnt = netns::open_own(NsKind::Mnt)?;
            let mut containers = Vec::with_capacity(self.containers.len());
            for name in &self.containers {
                containers.push(Container::make_here(name)?);
            }
            Ok((net, mnt, containers))
        })?;
        let (net, mnt, containers) = made;
        let mnt = Arc::new(mnt);
        let net = Arc::new(net);
        let handed_out = Arc::new(AtomicBool::new(false));
        let host_net = NsId::of(net.as_fd(), NsKind::Net)?;
        let mount_ns = NsId::of(mnt.as_fd(), NsKind::Mnt)?;
        let containers: Vec<Container> = containers
            .into_iter()
            .map(|made| made.finish(&mnt, &handed_out))
            .collect::<Result<_, _>>()?;
        let mut namespaces = vec![host_net, mount_ns];
        namespaces.extend(containers.iter().map(Container::ns_id));
        // Written before any process can enter the namespaces: from here on, a SIGKILL of this
        // process leaves a trace `clean` can follow.
        let record = Record::write(
            "sandbox",
            &Facts {
                namespaces,
                tag: Some(tag),
                ..Facts::default()
            }
            .render(),
        )?;
        let own_netns_paths = containers
            .iter()
            .map(|container| container.path().to_owned())
            .collect();
        Ok(Sandbox {
            net,
            mnt,
            kept: keep,
            own_netns_paths,
            host_net,
            mount_ns,
            containers,
            handed_out,
            records: vec![record],
        })
    }
}

pub(crate) fn check_container_name(name: &str) -> Result<(), SandboxError> {
    let valid = !name.is_empty()
        && name.len() <= 200
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.contains('\0');
    if valid {
        Ok(())
    } else {
        Err(SandboxError::invalid(format!(
            "name a container netns {name:?} (a name is a single non-empty path component)"
        )))
    }
}

/// A fake host and its containers. Dropping it releases everything: the namespaces are held only
/// by its descriptors and by mounts inside its own mount namespace, and any process still inside
/// is killed.
#[derive(Debug)]
pub struct Sandbox {
    pub(crate) net: Arc<OwnedFd>,
    pub(crate) mnt: Arc<OwnedFd>,
    host_net: NsId,
    mount_ns: NsId,
    pub(crate) containers: Vec<Container>,
    /// Paths of the machine bound back under the state directories.
    pub(crate) kept: Vec<PathBuf>,
    /// Every container netns path made, also of containers since deleted.
    pub(crate) own_netns_paths: Vec<PathBuf>,
    /// Whether descriptors went out to callers, so processes may have entered the namespaces and
    /// teardown must look for them.
    pub(crate) handed_out: Arc<AtomicBool>,
    records: Vec<Record>,
}

impl Sandbox {
    /// A sandbox with one container netns, [`DEFAULT_CONTAINER`].
    pub fn new() -> Result<Sandbox, SandboxError> {
        Self::builder().container(DEFAULT_CONTAINER).build()
    }

    /// A builder, for paths to keep and named containers.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The fake host's network namespace.
    pub fn host_netns(&self) -> NsId {
        self.host_net
    }

    /// The private mount namespace plugins run in.
    pub fn mount_ns(&self) -> NsId {
        self.mount_ns
    }

    /// The private mount namespace's descriptor.
    pub fn mount_ns_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.mnt.as_fd()
    }

    /// The fake host's netns descriptor, for netlink sockets opened inside it.
    pub fn host_netns_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.net.as_fd()
    }

    /// The container netns named `name`.
    pub fn container(&self, name: &str) -> Option<&Container> {
        self.containers
            .iter()
            .find(|container| container.name() == name)
    }

    /// The container netns made by [`Sandbox::new`], or the first one.
    pub fn default_container(&self) -> Option<&Container> {
        self.container(DEFAULT_CONTAINER)
            .or_else(|| self.containers.first())
    }

    /// Every live container netns.
    pub fn containers(&self) -> &[Container] {
        &self.containers
    }

    /// The path the plugin opens as `CNI_NETNS` for container `name`.
    pub fn netns_path(&self, name: &str) -> Option<&Path> {
        self.container(name).map(Container::path)
    }

    /// Adds a container netns, reachable as `/run/netns/<name>` in the sandbox.
    pub fn add_container(&mut self, name: &str) -> Result<&Container, SandboxError> {
        check_container_name(name)?;
        if self.container(name).is_some() {
            return Err(SandboxError::invalid(format!(
                "add container netns {name:?} (the sandbox already has one by that name)"
            )));
        }
        let mnt = Arc::clone(&self.mnt);
        let made = in_own_thread("make a container netns", || {
            setns(mnt.as_fd(), CloneFlags::CLONE_NEWNS)
                .map_err(SandboxError::sys("enter the sandbox's mount namespace"))?;
            Container::make_here(name)
        })?;
        let container = made.finish(&self.mnt, &self.handed_out)?;
        let record = Record::write(
            "container",
            &Facts {
                namespaces: vec![container.ns_id()],
                ..Facts::default()
            }
            .render(),
        )?;
        self.records.push(record);
        self.own_netns_paths.push(container.path().to_owned());
        self.containers.push(container);
        Ok(self.containers.last().expect("a container was just pushed"))
    }

    /// Deletes the container netns `name` while attachments may still exist in it: its path is
    /// unmounted and its descriptor dropped, so `CNI_NETNS` now names nothing and the kernel frees
    /// the namespace (and the container ends of any veth in it) once nothing else holds it.
    pub fn delete_container_netns(&mut self, name: &str) -> Result<(), SandboxError> {
        let index = self
            .containers
            .iter()
            .position(|container| container.name() == name)
            .ok_or_else(|| {
                SandboxError::invalid(format!(
                    "delete container netns {name:?} (no such container)"
                ))
            })?;
        let path = self.containers[index].path().to_owned();
        let mnt = Arc::clone(&self.mnt);
        in_own_thread("delete a container netns", || {
            setns(mnt.as_fd(), CloneFlags::CLONE_NEWNS)
                .map_err(SandboxError::sys("enter the sandbox's mount namespace"))?;
            mount::unbind_netns(&path)
        })?;
        let container = self.containers.remove(index);
        let id = container.ns_id();
        drop(container);
        if self.handed_out.load(Ordering::Relaxed) {
            // A process left in the namespace (a command run there) would keep it alive.
            procs::kill_in(&[id], procs::Trust::Held).map_err(|mut errors| errors.0.remove(0))?;
        }
        Ok(())
    }

    /// Every namespace of the sandbox, the fake host's first.
    pub fn namespaces(&self) -> Vec<NsId> {
        let mut all = vec![self.host_net, self.mount_ns];
        all.extend(self.containers.iter().map(Container::ns_id));
        all
    }

    /// Tears the sandbox down, reporting every error met on the way: kills what runs inside,
    /// drops the containers, and hands the fake host's descriptors to a background thread that
    /// closes them ([`settle`](super::settle) waits for it). Dropping does the same and prints
    /// the errors.
    pub fn destroy(mut self) -> Result<(), TeardownErrors> {
        self.teardown()
    }

    fn teardown(&mut self) -> Result<(), TeardownErrors> {
        if self.records.is_empty() {
            return Ok(()); // torn down already (by `destroy`, before the drop)
        }
        let mut errors = TeardownErrors::default();
        if self.handed_out.swap(false, Ordering::Relaxed) {
            // Processes inside (a plugin's leftover daemon, a command still running) would keep
            // the namespaces alive after the descriptors close.
            if let Err(found) = procs::kill_in(&self.namespaces(), procs::Trust::Held) {
                errors.0.extend(found.0);
            }
        }
        self.containers.clear();
        // The fake host's descriptors go last, and in the background: the kernel's teardown of
        // the mount namespace (unmounting its tree) is the slow part of a sandbox's end.
        let held: Vec<_> = [&mut self.net, &mut self.mnt]
            .into_iter()
            .filter_map(reaper::take)
            .collect();
        reaper::release(held);
        for record in self.records.drain(..) {
            errors.push(record.remove());
        }
        errors.into_result()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Err(errors) = self.teardown() {
            eprintln!("cnitest: failed to {errors}");
        }
    }
}
