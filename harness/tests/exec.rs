//! `cnitest exec` from the outside: against the upstream Go plugins, with
//! bad input, with a plugin that hangs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;
use predicates::prelude::*;
use serde_json::{Value, json};

use crate::support::{StubDir, cnitest_exe, fail, ok, result_with};

const UPSTREAM: &str = "/usr/lib/cni";

fn exec() -> Command {
    let mut cmd = Command::new(cnitest_exe());
    cmd.arg("exec");
    // The defaults read these; the tests say everything explicitly.
    for var in [
        "CNI_PATH",
        "CNI_ARGS",
        "CAP_ARGS",
        "CNI_IFNAME",
        "NETCONFPATH",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn write_config(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path
}

/// Named network namespaces made with `ip netns add`, deleted on drop
/// (also when the test fails), so bridges and veth host ends live in a
/// fake host and never in the machine's own namespace.
struct Netns {
    names: Vec<String>,
}

impl Netns {
    fn new(tag: &str, count: usize) -> Netns {
        let names: Vec<String> = (0..count)
            .map(|i| format!("cnitest-t{}-{tag}-{i}", std::process::id()))
            .collect();
        let guard = Netns { names: Vec::new() };
        let mut guard = guard;
        for name in &names {
            let status = Command::new("ip")
                .args(["netns", "add", name])
                .status()
                .unwrap();
            assert!(status.success(), "ip netns add {name}");
            guard.names.push(name.clone());
        }
        guard
    }

    fn path(&self, i: usize) -> PathBuf {
        PathBuf::from(format!("/run/netns/{}", self.names[i]))
    }

    /// `ip netns exec <ns> cnitest exec ...`
    fn exec_in(&self, i: usize) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.names[i]])
            .arg(cnitest_exe())
            .arg("exec");
        for var in [
            "CNI_PATH",
            "CNI_ARGS",
            "CAP_ARGS",
            "CNI_IFNAME",
            "NETCONFPATH",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    fn ip_json(&self, i: usize, args: &[&str]) -> Value {
        let out = Command::new("ip")
            .args(["-j", "-n", &self.names[i]])
            .args(args)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

fn upstream_available() -> bool {
    ["bridge", "host-local", "portmap", "tuning"]
        .iter()
        .all(|p| Path::new(UPSTREAM).join(p).exists())
}

/// The chained list of the issue: bridge + host-local, then portmap and
/// tuning, at 0.4.0 and 1.0.0, through ADD, CHECK and DEL.
#[rstest::rstest]
#[case("0.4.0")]
#[case("1.0.0")]
fn upstream_chain_add_check_del(#[case] version: &str) {
    assert!(
        upstream_available(),
        "apt-get install containernetworking-plugins (.ci/run does)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let ns = Netns::new(&version.replace('.', ""), 2);
    let config = write_config(
        tmp.path(),
        "chain.conflist",
        &json!({
            "cniVersion": version,
            "name": "cnitest-e2e",
            "plugins": [
                {"type": "bridge", "bridge": "cnitbr0", "isGateway": true, "ipMasq": true,
                 "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.7.0/24"}]],
                          "routes": [{"dst": "0.0.0.0/0"}], "dataDir": tmp.path().join("ipam")}},
                {"type": "portmap", "capabilities": {"portMappings": true}},
                {"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.accept_redirects": "0"}}
            ]
        }),
    );
    let cache = tmp.path().join("cache");
    let common = |cmd: &mut Command, op: &str| {
        cmd.arg(op)
            .arg("--config")
            .arg(&config)
            .arg("--netns")
            .arg(ns.path(1))
            .args([
                "--container-id",
                "e2e-1",
                "--cni-path",
                UPSTREAM,
                "--cache-dir",
            ])
            .arg(&cache)
            .args([
                "--capability-args",
                r#"{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}"#,
            ]);
    };

    let mut add = ns.exec_in(0);
    common(&mut add, "add");
    let out = add.output().unwrap();
    assert!(
        out.status.success(),
        "ADD: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["cniVersion"], version);
    let address = result["ips"][0]["address"].as_str().unwrap().to_owned();
    assert!(address.starts_with("10.88.7."), "{result}");
    let cached = cache.join("results/cnitest-e2e-e2e-1-eth0");
    assert!(cached.exists(), "L-CACHE-2: the result is cached");
    let cached: Value = serde_json::from_slice(&std::fs::read(&cached).unwrap()).unwrap();
    assert_eq!(cached["kind"], "cniCacheV1");
    // The kernel agrees with the result: eth0 in the container has the address.
    let addrs = ns.ip_json(1, &["addr", "show", "eth0"]);
    let on_eth0: Vec<String> = addrs[0]["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]))
        .collect();
    assert!(on_eth0.contains(&address), "{on_eth0:?} lacks {address}");
    // The bridge is in the fake host, not in the machine's namespace.
    assert!(!ns.ip_json(0, &["link", "show", "cnitbr0"]).is_null());

    let mut check = ns.exec_in(0);
    common(&mut check, "check");
    let out = check.output().unwrap();
    if !out.status.success() {
        // portmap up to 1.1.x fails CHECK looking for IPv6 rules it never
        // made for an IPv4-only attachment (containernetworking/plugins#819,
        // fixed in later releases; Debian ships 1.1.1). That failure, and
        // only that one, is expected; bridge and tuning must pass.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("plugin \"portmap\" (plugins[1]) failed CHECK")
                && stderr.contains("could not check ipv6 dnat"),
            "CHECK: {stderr}"
        );
    }

    let mut del = ns.exec_in(0);
    common(&mut del, "del");
    del.assert().success();
    assert!(
        !cache.join("results/cnitest-e2e-e2e-1-eth0").exists(),
        "L-CACHE-6: removed after DEL"
    );
    assert!(
        ns.ip_json(1, &["link", "show", "eth0"]).is_null()
            || ns.ip_json(1, &["link", "show", "eth0"]) == json!([])
    );
}

#[test]
fn bad_input_is_one_line_naming_the_culprit() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing.conflist");
    exec()
        .args([
            "add",
            "--container-id",
            "c1",
            "--netns",
            "/proc/self/ns/net",
            "--config",
        ])
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("missing.conflist")
                .and(predicate::str::contains("No such file")),
        );

    let broken = tmp.path().join("broken.conflist");
    std::fs::write(&broken, "{\n  \"name\": \"n\",\n  \"plugins\": [\n}").unwrap();
    exec()
        .args(["status", "--config"])
        .arg(&broken)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "broken.conflist: not valid JSON at line 4",
        ));

    let typo = write_config(
        tmp.path(),
        "typo.conflist",
        &json!({"cniVersion": "1.1.0", "name": "n", "plugins": [{"typ": "bridge"}]}),
    );
    exec()
        .args(["status", "--config"])
        .arg(&typo)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "typo.conflist: plugins[0].type: missing",
        ));

    let confdir = tmp.path().join("net.d");
    std::fs::create_dir(&confdir).unwrap();
    write_config(
        &confdir,
        "10-other.conflist",
        &json!({"cniVersion": "1.1.0", "name": "other", "plugins": [{"type": "x"}]}),
    );
    exec()
        .args(["status", "--network", "nope", "--conf-dir"])
        .arg(&confdir)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no network configuration with name \"nope\"",
        ));

    let good = write_config(
        tmp.path(),
        "good.conflist",
        &json!({"cniVersion": "1.1.0", "name": "n", "plugins": [{"type": "no-such-plugin"}]}),
    );
    exec()
        .args(["status", "--cni-path"])
        .arg(tmp.path())
        .arg("--config")
        .arg(&good)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "failed to find plugin \"no-such-plugin\"",
        ));

    exec()
        .args([
            "add",
            "--container-id",
            "c1",
            "--netns",
            "/proc/self/ns/net",
            "--capability-args",
            "[1]",
            "--config",
        ])
        .arg(&good)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--capability-args"));

    // R-ENV-4: the runtime never sends an invalid container id.
    exec()
        .args([
            "add",
            "--container-id=-bad",
            "--netns",
            "/proc/self/ns/net",
            "--config",
        ])
        .arg(&good)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--container-id \"-bad\""));

    exec().arg("frob").assert().code(2);
}

#[test]
fn a_plugin_error_is_shown_with_code_msg_details_and_plugin() {
    let d = StubDir::new();
    let s = d.stub("a");
    let mut reply = fail(7, "invalid network config");
    reply.stdout = Some(
        json!({"cniVersion": "$cniVersion", "code": 7, "msg": "bad subnet", "details": "10.0.0.0/33 is not a subnet"}),
    );
    s.script("ADD", reply).unwrap();
    let config = write_config(
        d.path(),
        "n.conflist",
        &json!({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": s.name()}]}),
    );
    exec()
        .args([
            "add",
            "--container-id",
            "c1",
            "--netns",
            "/proc/self/ns/net",
            "--config",
        ])
        .arg(&config)
        .arg("--cni-path")
        .arg(d.path())
        .arg("--cache-dir")
        .arg(d.cache.path())
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains(format!("plugin \"{}\" (plugins[0]) failed ADD", s.name()))
                .and(predicate::str::contains(
                    "code:    7 (invalid network config)",
                ))
                .and(predicate::str::contains("msg:     bad subnet"))
                .and(predicate::str::contains(
                    "details: 10.0.0.0/33 is not a subnet",
                )),
        );
    // R-CHAIN-3 / R-LIFE-3: the runtime ran DEL after the failed ADD.
    let commands: Vec<_> = s
        .records()
        .iter()
        .map(|r| r.command.clone().unwrap())
        .collect();
    assert_eq!(commands, ["ADD", "DEL"]);
}

#[test]
fn add_prints_the_result_and_del_removes_the_cache() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script("ADD", ok(result_with("10.1.0.2/24"))).unwrap();
    let config = write_config(
        d.path(),
        "n.conflist",
        &json!({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": s.name()}]}),
    );
    let run = |op: &str| {
        let mut cmd = exec();
        cmd.args([op, "--netns", "/proc/self/ns/net", "--config"])
            .arg(&config)
            .arg("--cni-path")
            .arg(d.path())
            .arg("--cache-dir")
            .arg(d.cache.path());
        cmd
    };
    let out = run("add").output().unwrap();
    assert!(out.status.success());
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["ips"][0]["address"], "10.1.0.2/24");
    run("check").assert().success();
    run("del").assert().success();
    run("check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("R-CHECK-1"));
    // The derived container id is the same for every command on one netns.
    let ids: Vec<_> = s
        .records()
        .iter()
        .map(|r| r.env("CNI_CONTAINERID").unwrap().to_owned())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]) && ids[0].starts_with("cnitest-"),
        "{ids:?}"
    );
}

#[test]
fn a_plugin_that_never_exits_is_killed_with_its_children() {
    let d = StubDir::new();
    let plugin = d.path().join("hang");
    let pidfile = d.path().join("child.pid");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\nsleep 300 & echo $! > {}\nsleep 300\n",
            pidfile.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = write_config(
        d.path(),
        "n.conflist",
        &json!({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "hang"}]}),
    );
    let started = Instant::now();
    exec()
        .args([
            "add",
            "--container-id",
            "c1",
            "--netns",
            "/proc/self/ns/net",
            "--no-cleanup",
            "--timeout",
            "1",
            "--config",
        ])
        .arg(&config)
        .arg("--cni-path")
        .arg(d.path())
        .arg("--cache-dir")
        .arg(d.cache.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("timed out"));
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(3),
        "killed within a second of the timeout: {elapsed:?}"
    );
    let child: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z "),
        "the plugin's child survived: {stat}"
    );
}

#[test]
fn new_netns_is_made_and_deleted_on_request() {
    let d = StubDir::new();
    let s = d.stub("a");
    s.script("ADD", ok(result_with("10.1.0.2/24"))).unwrap();
    let config = write_config(
        d.path(),
        "n.conflist",
        &json!({"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": s.name()}]}),
    );
    let id = format!("t{}", std::process::id());
    let path = PathBuf::from(format!("/run/netns/cnitest-{id}"));
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = nix::mount::umount2(&self.0, nix::mount::MntFlags::MNT_DETACH);
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let _cleanup = Cleanup(path.clone());
    let base = |op: &str| {
        let mut cmd = exec();
        cmd.args([op, "--container-id", &id, "--config"])
            .arg(&config)
            .arg("--cni-path")
            .arg(d.path())
            .arg("--cache-dir")
            .arg(d.cache.path());
        cmd
    };
    base("add").arg("--new-netns").assert().success();
    assert!(path.exists());
    assert_eq!(
        s.records()[0].env("CNI_NETNS"),
        Some(path.to_str().unwrap())
    );
    base("del")
        .arg("--netns")
        .arg(&path)
        .arg("--delete-netns")
        .assert()
        .success();
    assert!(!path.exists());
}
