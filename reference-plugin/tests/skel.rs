//! The protocol every plugin shares: VERSION, version negotiation, the
//! environment per command, error codes and the error object. These need
//! no namespace: the failures come before any kernel work.

use cnitest::spec::Version;
use rstest::rstest;
use serde_json::{Value, json};

use crate::common::{Bin, HOST, Invocation, World};

fn versions_of(bin: Bin) -> Vec<&'static str> {
    let all = Version::ALL.iter().map(|v| v.as_str());
    match bin {
        Bin::Tuning => all.skip(2).collect(),
        Bin::Interface | Bin::Ipam => all.collect(),
    }
}

/// P-VER-1, P-VER-2, P-VER-3: only CNI_COMMAND set, the version echoed.
#[rstest]
fn version_echoes_the_version_asked(
    #[values(Bin::Interface, Bin::Ipam, Bin::Tuning)] bin: Bin,
    #[values("0.1.0", "0.2.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")] asked: &str,
) {
    let out = Invocation::new(bin)
        .command("VERSION")
        .config(&json!({"cniVersion": asked}))
        .run()
        .ok();
    assert_eq!(
        out.json(),
        json!({"cniVersion": asked, "supportedVersions": versions_of(bin)})
    );
}

/// P-VER-3: VERSION tolerates an empty stdin.
#[test]
fn version_with_empty_stdin() {
    for bin in Bin::ALL {
        let out = Invocation::new(bin).command("VERSION").run().ok();
        assert_eq!(out.json()["cniVersion"], "1.1.0");
    }
}

/// P-VER-5: an unsupported version is code 1, the supported ones listed, in
/// an error object carrying the version asked for (F-ERR-3).
#[rstest]
#[case(Bin::Ipam, "0.3.5")]
#[case(Bin::Ipam, "2.0.0")]
#[case(Bin::Interface, "1.0")]
#[case(Bin::Tuning, "0.2.0")]
#[case(Bin::Tuning, "0.1.0")]
fn unsupported_versions_are_code_1(#[case] bin: Bin, #[case] version: &str) {
    let world = World::new();
    let mut config = world.interface_conf(Version::V1_0_0);
    config["cniVersion"] = json!(version);
    let out = world.run(bin, "ADD", &config, &world.att());
    let error = out.code(1);
    assert_eq!(error.cni_version.as_deref(), Some(version));
    let details = error.details.unwrap_or_default();
    assert!(
        details.contains(&format!("config is {version:?}")),
        "{details}"
    );
    assert!(details.contains("\"1.1.0\""), "{details}");
}

/// F-CONF-1: a cniVersion that is no version at all is a decoding failure.
#[test]
fn malformed_version_is_code_6() {
    let world = World::new();
    let mut config = world.interface_conf(Version::V1_0_0);
    config["cniVersion"] = json!("one");
    world.run(Bin::Ipam, "ADD", &config, &world.att()).code(6);
}

/// CHECK from 0.4.0, STATUS and GC from 1.1.0 (L-SKEL-5): code 1 before.
#[rstest]
#[case("CHECK", Version::V0_3_1)]
#[case("STATUS", Version::V1_0_0)]
#[case("GC", Version::V1_0_0)]
fn commands_before_their_version_are_code_1(#[case] command: &str, #[case] version: Version) {
    let world = World::new();
    for bin in Bin::ALL {
        let out = world.run(bin, command, &world.interface_conf(version), &world.att());
        let error = out.code(1);
        assert!(error.msg.contains(command), "{error}");
    }
}

/// Code 6 for stdin that is not a JSON object, or empty.
#[rstest]
#[case(b"{not json".as_slice())]
#[case(b"[1, 2]".as_slice())]
#[case(b"".as_slice())]
fn undecodable_stdin_is_code_6(#[case] stdin: &[u8]) {
    let world = World::new();
    for bin in Bin::ALL {
        let out = world
            .call(bin, "ADD", &json!({}), &world.att())
            .stdin(stdin)
            .run();
        out.code(6);
    }
}

/// P-ENV-2: every missing required variable is named, per the table of
/// catalogue section 2; CNI_PATH only where a delegate must be found.
#[rstest]
#[case(Bin::Interface, "ADD", &["CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS", "CNI_PATH"])]
#[case(Bin::Interface, "CHECK", &["CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS", "CNI_PATH"])]
#[case(Bin::Interface, "DEL", &["CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"])]
#[case(Bin::Interface, "STATUS", &["CNI_PATH"])]
#[case(Bin::Interface, "GC", &["CNI_PATH"])]
#[case(Bin::Ipam, "ADD", &["CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS"])]
#[case(Bin::Ipam, "DEL", &["CNI_CONTAINERID", "CNI_IFNAME"])]
#[case(Bin::Tuning, "CHECK", &["CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS"])]
#[case(Bin::Tuning, "DEL", &["CNI_CONTAINERID", "CNI_IFNAME"])]
fn missing_variables_are_named(#[case] bin: Bin, #[case] command: &str, #[case] vars: &[&str]) {
    let world = World::new();
    let out = world
        .bare(bin, command, &world.interface_conf(Version::V1_1_0))
        .run();
    let error = out.code(4);
    assert_eq!(error.cni_version.as_deref(), Some("1.1.0"));
    for var in vars {
        assert!(error.msg.contains(var), "{var} not named: {error}");
    }
    for var in ["CNI_CONTAINERID", "CNI_IFNAME", "CNI_NETNS", "CNI_PATH"] {
        if !vars.contains(&var) {
            assert!(
                !error.msg.contains(var),
                "{var} named though optional: {error}"
            );
        }
    }
}

/// P-ENV-3: optional variables may be missing (DEL without CNI_NETNS; IPAM
/// and tuning STATUS and GC with no variable but CNI_COMMAND).
#[test]
fn optional_variables_may_be_missing() {
    let world = World::new();
    let config = world.interface_conf(Version::V1_1_0);
    world
        .call(Bin::Ipam, "DEL", &config, &world.att())
        .unset("CNI_NETNS")
        .unset("CNI_PATH")
        .run()
        .silent();
    let tuning = world.tuning_conf(Version::V1_1_0, &json!({}));
    for (bin, config) in [(Bin::Ipam, &config), (Bin::Tuning, &tuning)] {
        for command in ["STATUS", "GC"] {
            world.bare(bin, command, config).run().silent();
        }
    }
}

/// P-ENV-2 for values: a bad container id or interface name is code 4.
#[rstest]
#[case("CNI_CONTAINERID", "")]
#[case("CNI_IFNAME", "")]
#[case("CNI_CONTAINERID", "-bad")]
#[case("CNI_CONTAINERID", "a/b")]
#[case("CNI_IFNAME", "abcdefghijklmnop")]
#[case("CNI_IFNAME", "a b")]
#[case("CNI_NETNS", "/nonexistent/netns")]
#[case("CNI_NETNS", "/proc/self/ns/net")]
fn invalid_variables_are_named(#[case] var: &str, #[case] value: &str) {
    let world = World::new();
    let out = world
        .call(
            Bin::Interface,
            "ADD",
            &world.interface_conf(Version::V1_0_0),
            &world.att(),
        )
        .var(var, value)
        .run();
    let error = out.code(4);
    assert!(error.msg.contains(var), "{error}");
    assert!(world.reservations().is_empty(), "nothing may be allocated");
}

/// P-ENV-1: an unknown or missing CNI_COMMAND is code 4, named.
#[test]
fn unknown_or_missing_command_is_code_4() {
    let world = World::new();
    let config = world.interface_conf(Version::V1_0_0);
    for bin in Bin::ALL {
        let error = world.run(bin, "FROB", &config, &world.att()).code(4);
        assert!(error.msg.contains("FROB"), "{error}");
        let error = world
            .call(bin, "ADD", &config, &world.att())
            .unset("CNI_COMMAND")
            .run()
            .code(4);
        assert!(error.msg.contains("CNI_COMMAND"), "{error}");
    }
}

/// Code 7 for a bad configuration, naming where; code 2 names key and value.
#[rstest]
#[case(json!({"name": null}), 7, "name")]
#[case(json!({"name": "-net"}), 7, "name")]
#[case(json!({"faults": ["no-such-fault"]}), 7, "no-such-fault")]
#[case(json!({"faults": ["gc-removes-nothing"]}), 7, "not a fault of cni-reference")]
#[case(json!({"mtu": 20}), 7, "mtu")]
#[case(json!({"mac": "01:00:00:00:00:01"}), 7, "unicast")]
#[case(json!({"ipMasq": true}), 2, "ipMasq: true")]
#[case(json!({"ipam": {"type": "x/y"}}), 7, "ipam.type")]
fn interface_config_errors(#[case] change: Value, #[case] code: u64, #[case] needle: &str) {
    let world = World::new();
    let mut config = world.interface_conf(Version::V1_0_0);
    merge(&mut config, &change);
    let error = world
        .run(Bin::Interface, "ADD", &config, &world.att())
        .code(code);
    assert!(error.text().contains(needle), "{error}");
    assert!(crate::common::kernel::links(&world, HOST).is_empty());
}

#[rstest]
#[case(json!({"ranges": [[{"subnet": "192.168.0.0/31"}]]}), 7, "192.168.0.0/31 too small to allocate from")]
#[case(json!({"ranges": []}), 7, "ipam.ranges")]
#[case(json!({"ranges": [[{"subnet": "10.1.0.0/24", "rangeStart": "10.2.0.1"}]]}), 7, "rangeStart")]
#[case(json!({"subnet": "10.1.0.0/24"}), 2, "ipam.subnet: \"10.1.0.0/24\"")]
#[case(json!({"routes": [{"dst": "10.0.0.0/8", "mtu": 1400}]}), 2, "ipam.routes[0].mtu: 1400")]
#[case(json!({"routes": [{"dst": "nope"}]}), 7, "ipam.routes[0].dst")]
#[case(json!({"dns": {"nameservers": ["dns.example"]}}), 7, "ipam.dns.nameservers[0]")]
#[case(json!({"faults": ["check-always-ok", "result-wrong-mac"]}), 7, "not a fault of cni-reference-ipam")]
fn ipam_config_errors(#[case] change: Value, #[case] code: u64, #[case] needle: &str) {
    let world = World::new();
    let mut config = world.ipam_conf(Version::V1_0_0);
    merge(&mut config["ipam"], &change);
    let error = world
        .run(Bin::Ipam, "ADD", &config, &world.att())
        .code(code);
    assert!(error.text().contains(needle), "{error}");
}

/// Stdout holds exactly one JSON value, also on error; stderr says why.
#[test]
fn one_json_value_and_a_diagnostic() {
    let world = World::new();
    let out = world
        .call(
            Bin::Ipam,
            "ADD",
            &world.ipam_conf(Version::V0_4_0),
            &world.att(),
        )
        .unset("CNI_IFNAME")
        .run();
    // 0.4.0's table has no code 4 (F-ERR-4): ours, 120 + 4.
    out.code(124);
    assert!(out.stdout.trim_end().ends_with('}'));
    assert!(
        out.stderr.contains("cni-reference-ipam: ADD:"),
        "{}",
        out.stderr
    );
}

/// Merges the keys of `change` into `config`, `null` removing a key.
fn merge(config: &mut Value, change: &Value) {
    if let (Value::Object(target), Value::Object(changes)) = (config, change) {
        for (key, value) in changes {
            if value.is_null() {
                target.remove(key);
            } else {
                target.insert(key.clone(), value.clone());
            }
        }
    }
}
