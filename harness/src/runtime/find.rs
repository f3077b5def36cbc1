//! Finding a plugin's executable in the search path (R-ADD-2, L-VAL-3).

use std::path::{Path, PathBuf};

use crate::spec::names::has_path_separator;

/// Why a plugin could not be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    #[error("no plugin name provided")]
    EmptyName,
    #[error("invalid plugin name {0:?}: it must not contain a path separator")]
    PathSeparator(String),
    #[error("no plugin search path provided (set --cni-path or CNI_PATH)")]
    NoPaths,
    #[error("failed to find plugin {name:?} in path [{}]", .paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "))]
    NotFound { name: String, paths: Vec<PathBuf> },
}

/// The first regular file named `name` in `paths`, in order. Like libcni, the
/// execute bit is not checked here: running it reports that.
pub fn find_plugin(name: &str, paths: &[PathBuf]) -> Result<PathBuf, FindError> {
    if name.is_empty() {
        return Err(FindError::EmptyName);
    }
    if has_path_separator(name) {
        return Err(FindError::PathSeparator(name.to_owned()));
    }
    if paths.is_empty() {
        return Err(FindError::NoPaths);
    }
    paths
        .iter()
        .map(|dir| dir.join(name))
        .find(|candidate| is_regular_file(candidate))
        .ok_or_else(|| FindError::NotFound {
            name: name.to_owned(),
            paths: paths.to_vec(),
        })
}

fn is_regular_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_add_2_first_hit_in_order() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(b.path().join("p"), "").unwrap();
        std::fs::create_dir(a.path().join("p")).unwrap(); // a directory is not a plugin
        let paths = vec![
            PathBuf::from("/nonexistent"),
            a.path().into(),
            b.path().into(),
        ];
        assert_eq!(find_plugin("p", &paths).unwrap(), b.path().join("p"));
        let err = find_plugin("q", &paths).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("failed to find plugin \"q\" in path [/nonexistent "),
            "{err}"
        );
        assert_eq!(
            find_plugin("../p", &paths),
            Err(FindError::PathSeparator("../p".into()))
        );
        assert_eq!(find_plugin("p", &[]), Err(FindError::NoPaths));
    }
}
