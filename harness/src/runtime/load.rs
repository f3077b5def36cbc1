//! Loading network configurations the way libcni does (L-LOAD-1..6): one
//! file, or a directory searched by network name, plugin objects gathered
//! from the `<dir>/<network>/` folder (F-CONF-6), single configurations
//! wrapped into lists (L-LOAD-3).

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::spec::conf::{ConfError, NetworkConfig, Origin, PluginConf};

/// Why a configuration could not be loaded; always names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: {error}", .path.display())]
    Invalid { path: PathBuf, error: ConfError },
    #[error("no network configurations found in {}", .dir.display())]
    NoConfigs { dir: PathBuf },
    #[error("no network configuration with name {name:?} in {} (found: {})", .dir.display(), Names(.found))]
    NotFound {
        dir: PathBuf,
        name: String,
        found: Vec<String>,
    },
    #[error("{}: no plugin configurations found (plugins is absent and {}/{}/ holds no .conf file)", .path.display(), .dir.display(), .name)]
    NoPlugins {
        path: PathBuf,
        dir: PathBuf,
        name: String,
    },
}

struct Names<'a>(&'a [String]);

impl fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        let quoted: Vec<String> = self.0.iter().map(|n| format!("{n:?}")).collect();
        f.write_str(&quoted.join(", "))
    }
}

/// Loads one file: a list (`.conflist`) or a single configuration (`.conf`,
/// `.json`), by its content rather than its name.
pub fn load_file(path: &Path) -> Result<NetworkConfig, LoadError> {
    let bytes = fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut net = NetworkConfig::from_slice(&bytes).map_err(|error| LoadError::Invalid {
        path: path.to_owned(),
        error,
    })?;
    if net.origin == Origin::List && !net.load_only_inlined_plugins {
        let dir = path.parent().unwrap_or(Path::new("."));
        net.append_plugins(folder_plugins(dir, &net.name)?);
    }
    if net.plugins.is_empty() {
        return Err(LoadError::NoPlugins {
            path: path.to_owned(),
            dir: path.parent().unwrap_or(Path::new(".")).to_owned(),
            name: net.name.clone(),
        });
    }
    Ok(net)
}

/// Finds the network called `name` in `dir` (L-LOAD-2): `.conflist` files
/// first, sorted byte-wise; then `.conf` and `.json` files. As in libcni, a
/// file that fails to parse before the match aborts the search.
pub fn load_by_name(dir: &Path, name: &str) -> Result<NetworkConfig, LoadError> {
    let lists = conf_files(dir, &["conflist"])?;
    let mut found = Vec::new();
    for path in &lists {
        let net = load_file(path)?;
        if net.name == name {
            return Ok(net);
        }
        found.push(net.name);
    }
    let singles = conf_files(dir, &["conf", "json"])?;
    if lists.is_empty() && singles.is_empty() {
        return Err(LoadError::NoConfigs {
            dir: dir.to_owned(),
        });
    }
    for path in &singles {
        let net = load_file(path)?;
        if net.name == name {
            return Ok(net);
        }
        found.push(net.name);
    }
    Err(LoadError::NotFound {
        dir: dir.to_owned(),
        name: name.to_owned(),
        found,
    })
}

/// Files of `dir` (not recursive) whose last extension is one of `exts`,
/// sorted byte-wise; a missing directory has none (L-LOAD-1).
pub fn conf_files(dir: &Path, exts: &[&str]) -> Result<Vec<PathBuf>, LoadError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(LoadError::Io {
                path: dir.to_owned(),
                source,
            });
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
        .map(|e| e.path())
        .filter(|p| extension(p).is_some_and(|ext| exts.contains(&ext)))
        .collect();
    files.sort_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    Ok(files)
}

/// Go's filepath.Ext: the text after the last dot of the file name, so a
/// dot-file named `.conflist` has the extension `conflist`.
fn extension(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    name.rfind('.').map(|i| &name[i + 1..])
}

/// Plugin objects from `<dir>/<network>/*.conf`, in name order (L-LOAD-5).
fn folder_plugins(dir: &Path, network: &str) -> Result<Vec<PluginConf>, LoadError> {
    let folder = dir.join(network);
    conf_files(&folder, &["conf"])?
        .into_iter()
        .map(|path| {
            let bytes = fs::read(&path).map_err(|source| LoadError::Io {
                path: path.clone(),
                source,
            })?;
            let value = serde_json::from_slice(&bytes).map_err(|e| LoadError::Invalid {
                path: path.clone(),
                error: ConfError {
                    path: String::new(),
                    message: format!("not valid JSON at line {}, column {}", e.line(), e.column()),
                },
            })?;
            PluginConf::from_value(value, "").map_err(|error| LoadError::Invalid { path, error })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        if let Some(parent) = dir.join(name).parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn l_load_1_extensions_and_order() {
        let d = tempfile::tempdir().unwrap();
        for n in [
            "b.conflist",
            "a.conflist",
            "a.conflist.bak",
            ".conflist",
            "x.conf",
        ] {
            write(d.path(), n, "{}");
        }
        fs::create_dir(d.path().join("dir.conflist")).unwrap();
        let names: Vec<_> = conf_files(d.path(), &["conflist"])
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [".conflist", "a.conflist", "b.conflist"]);
        assert!(
            conf_files(Path::new("/nonexistent"), &["conf"])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn l_load_2_lists_win_and_errors_name_things() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "00-single.conf",
            r#"{"cniVersion":"0.4.0","name":"net","type":"single"}"#,
        );
        write(
            d.path(),
            "10-list.conflist",
            r#"{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"listed"}]}"#,
        );
        write(
            d.path(),
            "20-other.conflist",
            r#"{"cniVersion":"1.0.0","name":"other","plugins":[{"type":"o"}]}"#,
        );
        let net = load_by_name(d.path(), "net").unwrap();
        assert_eq!(net.plugins[0].plugin_type(), "listed");
        let err = load_by_name(d.path(), "nope").unwrap_err().to_string();
        assert!(
            err.contains("no network configuration with name \"nope\""),
            "{err}"
        );
        assert!(err.contains("\"other\""), "{err}");
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            load_by_name(empty.path(), "net"),
            Err(LoadError::NoConfigs { .. })
        ));
    }

    #[test]
    fn l_load_2_a_broken_file_before_the_match_aborts() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "00-broken.conflist",
            r#"{"cniVersion":"1.0.0","name":"x","plugins":[{"typo":"a"}]}"#,
        );
        write(
            d.path(),
            "10-good.conflist",
            r#"{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"a"}]}"#,
        );
        let err = load_by_name(d.path(), "net").unwrap_err().to_string();
        assert!(
            err.contains("00-broken.conflist: plugins[0].type: missing"),
            "{err}"
        );
    }

    #[test]
    fn f_conf_6_folder_plugins_appended_unless_inlined_only() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            "foo.conflist",
            r#"{"cniVersion":"1.1.0","name":"foo","plugins":[{"type":"inline"}]}"#,
        );
        write(d.path(), "foo/b.conf", r#"{"type":"b"}"#);
        write(d.path(), "foo/a.conf", r#"{"type":"a"}"#);
        let net = load_file(&d.path().join("foo.conflist")).unwrap();
        let types: Vec<_> = net.plugins.iter().map(|p| p.plugin_type()).collect();
        assert_eq!(types, ["inline", "a", "b"]);
        write(
            d.path(),
            "foo.conflist",
            r#"{"cniVersion":"1.1.0","name":"foo","loadOnlyInlinedPlugins":true,"plugins":[{"type":"inline"}]}"#,
        );
        assert_eq!(
            load_file(&d.path().join("foo.conflist"))
                .unwrap()
                .plugins
                .len(),
            1
        );
        write(
            d.path(),
            "bar.conflist",
            r#"{"cniVersion":"1.1.0","name":"bar"}"#,
        );
        assert!(matches!(
            load_file(&d.path().join("bar.conflist")),
            Err(LoadError::NoPlugins { .. })
        ));
    }
}
