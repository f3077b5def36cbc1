//! Compiles the conformance cases (`../cases/**/*.toml`) into the binary, so
//! an installed `cnitest` needs no source tree.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let cases = manifest.join("..").join("cases");
    println!("cargo:rerun-if-changed={}", cases.display());
    let mut files = Vec::new();
    if cases.is_dir() {
        collect(&cases, &mut files);
    }
    files.sort();
    let mut out = String::from(
        "/// Every built-in case: (id, TOML text).\npub(crate) static BUILTIN: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let id = file
            .strip_prefix(&cases)
            .expect("under cases")
            .with_extension("");
        let id = id.to_string_lossy().replace('\\', "/");
        let abs = file.canonicalize().expect("canonical path");
        writeln!(
            out,
            "    ({id:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .expect("write");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_cases.rs");
    std::fs::write(dest, out).expect("write builtin_cases.rs");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}
