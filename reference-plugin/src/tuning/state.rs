//! What ADD found before it changed anything, kept on disk for DEL to put
//! back: one file per attachment under `dataDir/<network>/`, named
//! `<container id>:<ifname>.json` (neither may contain ':').

use std::collections::HashSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::PluginError;
use crate::skel::Attachment;

/// The values before ADD: only those of settings it changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    #[serde(rename = "containerID")]
    pub container_id: String,
    pub ifname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promisc: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sysctl: Vec<(String, String)>,
}

/// A network's directory of saved states.
#[derive(Debug)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    pub fn new(data_dir: &Path, network: &str) -> StateDir {
        StateDir {
            dir: data_dir.join(network),
        }
    }

    fn file(&self, container_id: &str, ifname: &str) -> PathBuf {
        self.dir.join(format!("{container_id}:{ifname}.json"))
    }

    /// Saves `saved`, unless the attachment has a saved state already: the
    /// first one holds the values from before any ADD.
    pub fn save(&self, saved: &Saved) -> Result<(), PluginError> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| error("create the state directory", &self.dir, e))?;
        let path = self.file(&saved.container_id, &saved.ifname);
        let mut file = match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
            Err(e) => return Err(error("create the saved state", &path, e)),
        };
        let text = serde_json::to_vec_pretty(saved).map_err(io::Error::other);
        text.and_then(|t| file.write_all(&t))
            .map_err(|e| error("write the saved state", &path, e))
    }

    pub fn load(&self, attachment: &Attachment) -> Result<Option<Saved>, PluginError> {
        let path = self.file(&attachment.container_id, &attachment.ifname);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| error("read the saved state", &path, io::Error::other(e))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(error("read the saved state", &path, e)),
        }
    }

    pub fn remove(&self, container_id: &str, ifname: &str) -> Result<(), PluginError> {
        let path = self.file(container_id, ifname);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(error("remove the saved state", &path, e))
            }
            _ => Ok(()),
        }
    }

    /// Removes the saved state of every attachment not in `valid`.
    pub fn remove_all_but(&self, valid: &HashSet<(String, String)>) -> Result<(), PluginError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(error("read the state directory", &self.dir, e)),
        };
        let mut first_error = None;
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some((container_id, ifname)) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(|n| n.split_once(':'))
            else {
                continue;
            };
            if !valid.contains(&(container_id.to_owned(), ifname.to_owned())) {
                if let Err(e) = self.remove(container_id, ifname) {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

fn error(action: &'static str, path: &Path, source: io::Error) -> PluginError {
    PluginError::Store {
        action,
        path: path.to_owned(),
        source,
    }
}
