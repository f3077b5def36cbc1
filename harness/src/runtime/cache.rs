//! The result cache, in libcni's layout and format (L-CACHE-1..7), so that
//! tools and runtimes built on libcni can read what we write and back.
//!
//! The runtime stores the final ADD result persistently because CHECK and
//! DEL need it (R-CHAIN-6).

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// libcni's default cache root (L-CACHE-1).
pub const DEFAULT_CACHE_DIR: &str = "/var/lib/cni";

const KIND: &str = "cniCacheV1";

/// One cached attachment (L-CACHE-3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub kind: String,
    #[serde(rename = "containerId")]
    pub container_id: String,
    /// The network configuration as loaded, base64 (Go's []byte encoding).
    pub config: String,
    #[serde(rename = "ifName")]
    pub if_name: String,
    #[serde(rename = "networkName")]
    pub network_name: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub netns: String,
    #[serde(rename = "cniArgs", skip_serializing_if = "Vec::is_empty", default)]
    pub cni_args: Vec<(String, String)>,
    #[serde(
        rename = "capabilityArgs",
        skip_serializing_if = "Map::is_empty",
        default
    )]
    pub capability_args: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub result: Option<Value>,
}

impl CacheEntry {
    pub fn new(network_name: &str, container_id: &str, if_name: &str, config: &[u8]) -> CacheEntry {
        CacheEntry {
            kind: KIND.to_owned(),
            container_id: container_id.to_owned(),
            config: base64::engine::general_purpose::STANDARD.encode(config),
            if_name: if_name.to_owned(),
            network_name: network_name.to_owned(),
            netns: String::new(),
            cni_args: Vec::new(),
            capability_args: Map::new(),
            result: None,
        }
    }

    /// The configuration bytes recorded at ADD time.
    pub fn config_bytes(&self) -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.config)
            .ok()
    }
}

/// What can go wrong reading the cache.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("reading cached result {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("writing cached result {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cached result {path} is corrupt: {why}")]
    Corrupt { path: PathBuf, why: String },
}

/// A cache root directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/results/<network>-<container>-<ifname>` (L-CACHE-2).
    pub fn path(&self, network: &str, container_id: &str, if_name: &str) -> PathBuf {
        self.root
            .join("results")
            .join(format!("{network}-{container_id}-{if_name}"))
    }

    /// Writes an entry: directory 0700, file 0600, atomically (a crash never
    /// leaves half a file for the DEL that follows).
    pub fn write(&self, entry: &CacheEntry) -> Result<PathBuf, CacheError> {
        let path = self.path(&entry.network_name, &entry.container_id, &entry.if_name);
        let err = |source| CacheError::Write {
            path: path.clone(),
            source,
        };
        let dir = self.root.join("results");
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(err)?;
        let tmp = dir.join(format!(".{}.tmp{}", file_name(&path), std::process::id()));
        let bytes = serde_json::to_vec(entry).unwrap_or_default();
        let written = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&bytes).and_then(|()| f.sync_all()))
            .and_then(|()| fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(err(e));
        }
        Ok(path)
    }

    /// Reads an entry; `Ok(None)` when there is none. A legacy cache that
    /// holds only the bare result is still read (L-CACHE-3).
    pub fn read(
        &self,
        network: &str,
        container_id: &str,
        if_name: &str,
    ) -> Result<Option<CacheEntry>, CacheError> {
        let path = self.path(network, container_id, if_name);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CacheError::Read { path, source }),
        };
        parse_entry(&bytes)
            .map(|mut e| {
                if e.kind.is_empty() {
                    // Legacy: name the attachment from the lookup keys.
                    e.network_name = network.to_owned();
                    e.container_id = container_id.to_owned();
                    e.if_name = if_name.to_owned();
                }
                Some(e)
            })
            .map_err(|why| CacheError::Corrupt { path, why })
    }

    /// Removes an entry; a missing one is not an error (L-CACHE-6).
    pub fn remove(
        &self,
        network: &str,
        container_id: &str,
        if_name: &str,
    ) -> Result<(), CacheError> {
        let path = self.path(network, container_id, if_name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(CacheError::Write { path, source }),
        }
    }

    /// Every well-formed entry of a network, sorted by file name; a missing
    /// directory is an empty list (L-CACHE-7).
    pub fn attachments(&self, network: &str) -> Vec<CacheEntry> {
        let Ok(dir) = fs::read_dir(self.root.join("results")) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        paths
            .iter()
            .filter_map(|p| fs::read(p).ok())
            .filter_map(|b| parse_entry(&b).ok())
            .filter(|e| e.kind == KIND && e.network_name == network && !e.if_name.is_empty())
            .collect()
    }
}

fn parse_entry(bytes: &[u8]) -> Result<CacheEntry, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    match value.get("kind").and_then(Value::as_str) {
        Some(KIND) => serde_json::from_value(value).map_err(|e| e.to_string()),
        Some(other) => Err(format!("unknown cache kind {other:?}")),
        None if value.get("cniVersion").is_some() => Ok(CacheEntry {
            kind: String::new(),
            container_id: String::new(),
            config: String::new(),
            if_name: String::new(),
            network_name: String::new(),
            netns: String::new(),
            cni_args: Vec::new(),
            capability_args: Map::new(),
            result: Some(value),
        }),
        None => Err("neither a cniCacheV1 entry nor a result".to_owned()),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn l_cache_2_3_layout_format_and_modes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        let mut e = CacheEntry::new("net1", "c1", "eth0", b"{\"name\":\"net1\"}");
        e.result = Some(json!({"cniVersion": "1.0.0"}));
        e.cni_args = vec![("K".into(), "V".into())];
        let path = cache.write(&e).unwrap();
        assert_eq!(path, dir.path().join("results/net1-c1-eth0"));
        let raw: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(raw["kind"], "cniCacheV1");
        assert_eq!(raw["config"], "eyJuYW1lIjoibmV0MSJ9");
        assert_eq!(raw["cniArgs"], json!([["K", "V"]]));
        assert!(raw.get("netns").is_none(), "omitempty");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(dir.path().join("results"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        assert_eq!(cache.read("net1", "c1", "eth0").unwrap(), Some(e));
    }

    #[test]
    fn l_cache_5_6_missing_corrupt_and_legacy() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        assert!(cache.read("n", "c", "i").unwrap().is_none());
        fs::create_dir_all(dir.path().join("results")).unwrap();
        fs::write(cache.path("n", "c", "i"), "{garbage").unwrap();
        assert!(matches!(
            cache.read("n", "c", "i"),
            Err(CacheError::Corrupt { .. })
        ));
        fs::write(
            cache.path("n", "c", "i"),
            r#"{"cniVersion":"0.4.0","ips":[]}"#,
        )
        .unwrap();
        let legacy = cache.read("n", "c", "i").unwrap().unwrap();
        assert_eq!(legacy.result.unwrap()["cniVersion"], "0.4.0");
        cache.remove("n", "c", "i").unwrap();
        cache.remove("n", "c", "i").unwrap();
    }

    #[test]
    fn l_cache_7_attachments_of_a_network() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path());
        for (net, c) in [("a", "c2"), ("a", "c1"), ("b", "c3")] {
            cache
                .write(&CacheEntry::new(net, c, "eth0", b"{}"))
                .unwrap();
        }
        let ids: Vec<_> = cache
            .attachments("a")
            .into_iter()
            .map(|e| e.container_id)
            .collect();
        assert_eq!(ids, ["c1", "c2"]);
        assert!(Cache::new("/nonexistent").attachments("a").is_empty());
    }
}
