//! The reservation store: one directory per network under the data dir, one
//! file per reserved address, named by the address and holding its owner.
//!
//! Every reading and writing of reservations happens under an exclusive
//! `flock` on the directory's `lock` file, so that concurrent ADDs for
//! different containers never hand out one address twice (P-ADD-8).
//! Reservations are keyed by (network, container id, ifname): the network
//! is the directory, the other two are the file's content.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

use crate::error::PluginError;
use crate::skel::Attachment;

/// Who holds a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Owner {
    pub container_id: String,
    pub ifname: String,
}

impl Owner {
    pub fn of(attachment: &Attachment) -> Owner {
        Owner {
            container_id: attachment.container_id.clone(),
            ifname: attachment.ifname.clone(),
        }
    }

    fn to_file(&self) -> String {
        format!("{}\n{}\n", self.container_id, self.ifname)
    }

    fn from_file(text: &str) -> Option<Owner> {
        let mut lines = text.lines();
        let container_id = lines.next()?.to_owned();
        let ifname = lines.next()?.to_owned();
        Some(Owner {
            container_id,
            ifname,
        })
    }
}

/// One reserved address. A file whose owner cannot be read still reserves
/// its address: it is never handed out again, and GC releases it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    pub ip: IpAddr,
    pub owner: Option<Owner>,
}

/// A network's directory in the data dir.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
}

/// The store, locked (or, for the `ipam-double-allocation` switch, not).
#[derive(Debug)]
pub struct Locked<'a> {
    store: &'a Store,
    _lock: Option<Flock<File>>,
}

const LOCK_FILE: &str = "lock";

impl Store {
    /// Opens (creating it if need be) the directory of `network`.
    pub fn open(data_dir: &Path, network: &str) -> Result<Store, PluginError> {
        let dir = data_dir.join(network);
        fs::create_dir_all(&dir).map_err(|e| io_error("create the store directory", &dir, e))?;
        Ok(Store { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the network's lock; blocks until it is free.
    pub fn lock(&self) -> Result<Locked<'_>, PluginError> {
        let path = self.dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_error("open the lock file", &path, e))?;
        let lock = Flock::lock(file, FlockArg::LockExclusive)
            .map_err(|(_, errno)| io_error("lock", &path, io::Error::from(errno)))?;
        Ok(Locked {
            store: self,
            _lock: Some(lock),
        })
    }

    /// The store without its lock: only the `ipam-double-allocation` switch
    /// wants this.
    pub fn unlocked(&self) -> Locked<'_> {
        Locked {
            store: self,
            _lock: None,
        }
    }
}

impl Locked<'_> {
    /// Every reservation of the network.
    pub fn reservations(&self) -> Result<Vec<Reservation>, PluginError> {
        let dir = &self.store.dir;
        let entries = fs::read_dir(dir).map_err(|e| io_error("read the store", dir, e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error("read the store", dir, e))?;
            // Files that are not named by an address (the lock) are ours but
            // not reservations.
            let Some(ip) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<IpAddr>().ok())
            else {
                continue;
            };
            let path = entry.path();
            let owner = match fs::read_to_string(&path) {
                Ok(text) => Owner::from_file(&text),
                // Released by someone else between listing and reading.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_error("read the reservation", &path, e)),
            };
            out.push(Reservation { ip, owner });
        }
        out.sort_by_key(|r| r.ip);
        Ok(out)
    }

    /// The addresses `owner` holds.
    pub fn held_by(&self, owner: &Owner) -> Result<Vec<IpAddr>, PluginError> {
        Ok(self
            .reservations()?
            .into_iter()
            .filter(|r| r.owner.as_ref() == Some(owner))
            .map(|r| r.ip)
            .collect())
    }

    /// Reserves `ip` for `owner`; false if it is taken. `overwrite` takes it
    /// regardless, which only a faulty plugin does.
    pub fn reserve(&self, ip: IpAddr, owner: &Owner, overwrite: bool) -> Result<bool, PluginError> {
        let path = self.path_of(ip);
        let mut options = OpenOptions::new();
        options.write(true);
        if overwrite {
            options.create(true).truncate(true);
        } else {
            options.create_new(true);
        }
        let mut file = match options.open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(io_error("write the reservation", &path, e)),
        };
        file.write_all(owner.to_file().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io_error("write the reservation", &path, e))?;
        Ok(true)
    }

    /// Releases `ip`; releasing a free address is not an error.
    pub fn release(&self, ip: IpAddr) -> Result<(), PluginError> {
        let path = self.path_of(ip);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove the reservation", &path, e)),
        }
    }

    fn path_of(&self, ip: IpAddr) -> PathBuf {
        self.store.dir.join(ip.to_string())
    }
}

fn io_error(action: &'static str, path: &Path, source: io::Error) -> PluginError {
    PluginError::Store {
        action,
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(id: &str) -> Owner {
        Owner {
            container_id: id.to_owned(),
            ifname: "eth0".to_owned(),
        }
    }

    #[test]
    fn reserve_list_release() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path(), "net1").unwrap();
        let locked = store.lock().unwrap();
        let ip: IpAddr = "10.1.0.2".parse().unwrap();
        assert!(locked.reserve(ip, &owner("a"), false).unwrap());
        assert!(!locked.reserve(ip, &owner("b"), false).unwrap());
        assert_eq!(locked.held_by(&owner("a")).unwrap(), vec![ip]);
        assert!(locked.held_by(&owner("b")).unwrap().is_empty());
        locked.release(ip).unwrap();
        locked.release(ip).unwrap();
        assert!(locked.reservations().unwrap().is_empty());
    }

    #[test]
    fn unreadable_owners_still_reserve() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path(), "net1").unwrap();
        fs::write(store.dir().join("fd00::5"), "").unwrap();
        let locked = store.lock().unwrap();
        let all = locked.reservations().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].owner, None);
    }
}
