//! What the fingerprint keeps of a file in a sandbox's state directories:
//! its kind, size and content (the text of a small file, a digest otherwise).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Files up to this size that are UTF-8 keep their text: IPAM state files
/// ("10.1.0.2", a container id) read best as they are.
pub const TEXT_LIMIT: u64 = 256;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileFacts {
    pub kind: FileKind,
    /// In bytes; 0 for directories, whose sizes depend on the filesystem.
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub content: Option<Content>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    File,
    Directory,
    Symlink,
    /// A socket, fifo or device.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Content {
    /// A small text file's content, or a symlink's target.
    Text(String),
    /// FNV-1a (64 bit) of a larger or binary file, in hex: enough to tell
    /// two contents apart, not a security measure.
    Fnv1a64(String),
}

impl FileFacts {
    /// The facts of one path, not following a final symlink.
    pub fn of(path: &Path) -> io::Result<FileFacts> {
        let meta = fs::symlink_metadata(path)?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            let target = fs::read_link(path)?;
            return Ok(FileFacts {
                kind: FileKind::Symlink,
                size: 0,
                content: Some(Content::Text(target.display().to_string())),
            });
        }
        if kind.is_dir() {
            return Ok(FileFacts {
                kind: FileKind::Directory,
                size: 0,
                content: None,
            });
        }
        if !kind.is_file() {
            return Ok(FileFacts {
                kind: FileKind::Other,
                size: 0,
                content: None,
            });
        }
        let bytes = fs::read(path)?;
        let size = bytes.len() as u64;
        let content = match String::from_utf8(bytes) {
            Ok(text) if size <= TEXT_LIMIT => Content::Text(text),
            Ok(text) => Content::Fnv1a64(fnv1a64(text.as_bytes())),
            Err(e) => Content::Fnv1a64(fnv1a64(e.as_bytes())),
        };
        Ok(FileFacts {
            kind: FileKind::File,
            size,
            content: Some(content),
        })
    }

    /// The content for messages: `"10.1.0.2"`, `fnv1a64 <hex>`, `-> target`;
    /// empty for directories.
    pub(crate) fn describe(&self) -> String {
        match (&self.kind, &self.content) {
            (FileKind::Symlink, Some(Content::Text(target))) => format!("-> {target}"),
            (_, Some(Content::Text(text))) => format!("{text:?}"),
            (_, Some(Content::Fnv1a64(digest))) => format!("fnv1a64 {digest}"),
            _ => String::new(),
        }
    }
}

/// Every path under `root` (not `root` itself), with its facts; symlinks
/// are not followed. A missing `root` has nothing under it.
pub fn files_under(root: &Path) -> io::Result<BTreeMap<PathBuf, FileFacts>> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let path = entry?.path();
            // Something removed between listing and looking is simply gone.
            let facts = match FileFacts::of(&path) {
                Ok(facts) => facts,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if facts.kind == FileKind::Directory {
                pending.push(path.clone());
            }
            found.insert(path, facts);
        }
    }
    Ok(found)
}

fn fnv1a64(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), "cbf29ce484222325");
        assert_eq!(fnv1a64(b"a"), "af63dc4c8601ec8c");
        assert_eq!(fnv1a64(b"foobar"), "85944171f73967e8");
    }

    #[test]
    fn small_text_is_kept_large_and_binary_files_are_digested() {
        let dir = tempfile::tempdir().unwrap();
        let net = dir.path().join("networks/net1");
        fs::create_dir_all(&net).unwrap();
        fs::write(net.join("last_reserved_ip.0"), "10.1.0.2").unwrap();
        fs::write(net.join("big"), "x".repeat(300)).unwrap();
        fs::write(net.join("binary"), [0xff, 0xfe, 0x00]).unwrap();
        std::os::unix::fs::symlink("last_reserved_ip.0", net.join("link")).unwrap();

        let files = files_under(dir.path()).unwrap();
        let paths: Vec<_> = files
            .keys()
            .map(|p| p.strip_prefix(dir.path()).unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                "networks",
                "networks/net1",
                "networks/net1/big",
                "networks/net1/binary",
                "networks/net1/last_reserved_ip.0",
                "networks/net1/link"
            ]
            .map(Path::new)
        );
        let facts = |name: &str| files[&net.join(name)].clone();
        assert_eq!(
            facts("last_reserved_ip.0"),
            FileFacts {
                kind: FileKind::File,
                size: 8,
                content: Some(Content::Text("10.1.0.2".into())),
            }
        );
        assert_eq!(facts("big").size, 300);
        assert!(matches!(facts("big").content, Some(Content::Fnv1a64(_))));
        assert!(matches!(facts("binary").content, Some(Content::Fnv1a64(_))));
        assert_eq!(facts("link").kind, FileKind::Symlink);
        assert_eq!(facts("link").describe(), "-> last_reserved_ip.0");
        assert_eq!(files[&net].kind, FileKind::Directory);
    }

    #[test]
    fn a_missing_root_has_nothing_under_it() {
        assert!(
            files_under(Path::new("/nonexistent/cni"))
                .unwrap()
                .is_empty()
        );
    }
}
