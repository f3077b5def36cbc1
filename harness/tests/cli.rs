//! Everyday use of the command line: a bad input is named (the flag, the file) with exit status
//! 2, and output piped into a reader that stops early is no error.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::support::cnitest_exe;

#[test]
fn bad_inputs_name_the_flag_or_file_at_fault() {
    let dir = tempfile::tempdir().unwrap();
    let bad_json = dir.path().join("bad.conflist");
    std::fs::write(&bad_json, "{bad").unwrap();
    let bad = bad_json.to_str().unwrap();
    let not_exec = dir.path().join("plugin");
    std::fs::write(&not_exec, "").unwrap();
    let ne = not_exec.to_str().unwrap();
    let missing = "/nonexistent/cnitest-test";
    let table: &[(&[&str], &str)] = &[
        (
            &["run", "--plugin", missing],
            "--plugin /nonexistent/cnitest-test",
        ),
        (
            &[
                "run",
                "--plugin",
                "no-such-plugin",
                "--cni-path",
                "/nonexistent",
            ],
            "--plugin no-such-plugin",
        ),
        (&["run", "--plugin", ne], "not executable"),
        (
            &["run", "--plugin", "/bin/true", "--config", missing],
            "--config /nonexistent",
        ),
        (
            &["run", "--plugin", "/bin/true", "--config", bad],
            "not valid JSON",
        ),
        (
            &["run", "--plugin", "/bin/true", "--versions", "9.9.9"],
            "--versions",
        ),
        (
            &["run", "--plugin", "/bin/true", "--partition", "3/2"],
            "--partition",
        ),
        (&["run", "--plugin", "/bin/true", "--jobs", "0"], "--jobs 0"),
        (
            &["run", "--plugin", "/bin/true", "--timeout", "-1"],
            "--timeout -1",
        ),
        (
            &["run", "--plugin", "/bin/true", "--cases", missing],
            "--cases /nonexistent",
        ),
        (
            &["run", "--plugin", "/bin/true", "--role", "bogus"],
            "--role",
        ),
        (&["list", "--cases", missing], "--cases /nonexistent"),
        (&["list", "--format", "xml"], "--format"),
        (
            &["exec", "add", "--config", missing],
            "--config /nonexistent",
        ),
        (&["exec", "add", "--config", bad], "not valid JSON"),
        (&["exec", "add"], "--config"),
        (&["exec", "frob", "--config", bad], "frob"),
        (
            &["exec", "add", "--config", bad, "--timeout", "-1"],
            "--config",
        ),
        (&["completions", "tcsh"], "tcsh"),
        (&["man", "nonesuch"], "nonesuch"),
    ];
    for (args, named) in table {
        let out = Command::new(cnitest_exe()).args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "cnitest {}: {stderr}",
            args.join(" ")
        );
        assert!(
            stderr.contains(named),
            "cnitest {}: {stderr:?} does not name {named:?}",
            args.join(" ")
        );
    }
}

#[test]
fn a_reader_that_stops_early_is_no_error() {
    let args = ["list", "--format", "json"];
    let whole = Command::new(cnitest_exe()).args(args).output().unwrap();
    // More than a pipe holds, so the writer meets the closed pipe.
    assert!(whole.stdout.len() > 65536, "{} bytes", whole.stdout.len());
    let mut child = Command::new(cnitest_exe())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

/// `--baseline`: a file with a typo is a usage error naming its line; a
/// result the file does not expect, or an entry the run no longer bears
/// out, fails the run; a file that matches lets it pass.
#[test]
fn a_baseline_gates_on_differences_in_either_direction() {
    let plugins = crate::support::reference_plugins();
    let dir = tempfile::tempdir().unwrap();
    let run = |baseline: &str| {
        let path = dir.path().join("b.toml");
        std::fs::write(&path, baseline).unwrap();
        let out = Command::new(cnitest_exe())
            .args(["run", "--quiet", "--filter", "version/answer", "--versions"])
            .args(["1.0.0", "--cni-path"])
            .arg(&plugins)
            .arg("--plugin")
            .arg(plugins.join("cni-reference"))
            .arg("--baseline")
            .arg(&path)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (code, stderr) = run(
        "plugin = \"cni-reference\"\n\n[[expect]]\ncase = \"version/answer\"\nverdit = \"warn\"\n",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("b.toml: line 5"),
        "names the entry's line: {stderr}"
    );
    assert!(stderr.contains("verdit"), "names the field: {stderr}");

    // The reference plugin passes version/answer: an entry saying it warns is out of date.
    let stale = "[[expect]]\ncase = \"version/answer\"\nverdict = \"warn\"\nkind = \"library-deviation\"\nreason = \"r\"\n";
    let (code, stderr) = run(stale);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("0 known findings as it says, 1 differ"),
        "{stderr}"
    );
    assert!(stderr.contains("version/answer 1.0.0: pass"), "{stderr}");

    let (code, stderr) = run("plugin = \"cni-reference\"\n");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("0 known findings as it says, 0 differ"),
        "{stderr}"
    );
}
