//! The tuning plugin chained after the interface plugin: its changes reach
//! the kernel, its result is the previous one with only those changes,
//! CHECK holds it to them, DEL puts the old values back.

use cnitest::spec::Version;
use cnitest::spec::result::{ResultKind, validate};
use rstest::rstest;
use serde_json::{Value, json};

use crate::common::kernel;
use crate::common::{Att, Bin, World, has_check, with_prev};

fn sysctl(world: &World, netns: &str, key: &str) -> String {
    world.sh(netns, &format!("cat /proc/sys/{}", key.replace('.', "/")))
}

/// Whether `ip link` shows PROMISC on the link.
fn promisc(world: &World, netns: &str, ifname: &str) -> bool {
    world
        .sh(netns, &format!("ip link show {ifname}"))
        .contains("PROMISC")
}

/// The interface plugin's ADD result, for tuning's prevResult.
fn interface_add(world: &World, att: &Att, version: Version) -> Value {
    world
        .run(Bin::Interface, "ADD", &world.interface_conf(version), att)
        .ok()
        .json()
}

#[rstest]
fn lifecycle(
    #[values(
        Version::V0_3_0,
        Version::V0_3_1,
        Version::V0_4_0,
        Version::V1_0_0,
        Version::V1_1_0
    )]
    version: Version,
) {
    let world = World::new();
    let att = world.att();
    let prev = interface_add(&world, &att, version);
    let before = kernel::link(&world, &att.netns, "eth0").unwrap();
    let forwarding = sysctl(&world, &att.netns, "net.ipv4.conf.eth0.forwarding");
    let hop_limit = sysctl(&world, &att.netns, "net.ipv6.conf.eth0.hop_limit");
    let config = world.tuning_conf(version, &prev);

    let result = world.run(Bin::Tuning, "ADD", &config, &att).ok().json();
    assert_eq!(validate(&result, version, ResultKind::Attachment), vec![]);
    let after = kernel::link(&world, &att.netns, "eth0").unwrap();
    assert_eq!(after.mtu, 1300);
    assert_eq!(after.mac.as_deref(), Some("02:00:00:aa:bb:01"));
    assert!(after.up, "set up again after the MAC change");
    assert!(promisc(&world, &att.netns, "eth0"));
    assert_eq!(
        sysctl(&world, &att.netns, "net.ipv4.conf.eth0.forwarding"),
        "1"
    );
    assert_eq!(
        sysctl(&world, &att.netns, "net.ipv6.conf.eth0.hop_limit"),
        "32"
    );

    // P-ADD-4: prevResult, changed only where the plugin changed something.
    let mut expected = prev.clone();
    expected["interfaces"][1]["mac"] = json!("02:00:00:aa:bb:01");
    if version >= Version::V1_1_0 {
        expected["interfaces"][1]["mtu"] = json!(1300);
    }
    assert_eq!(result, expected);

    let final_config = with_prev(&world.tuning_conf(version, &Value::Null), &result);
    if has_check(version) {
        world
            .run(Bin::Tuning, "CHECK", &final_config, &att)
            .silent();
    }
    let del_config = if has_check(version) {
        final_config.clone()
    } else {
        world.tuning_conf(version, &Value::Null)
    };
    world.run(Bin::Tuning, "DEL", &del_config, &att).silent();
    let restored = kernel::link(&world, &att.netns, "eth0").unwrap();
    assert_eq!(restored.mtu, before.mtu);
    assert_eq!(restored.mac, before.mac);
    assert!(!promisc(&world, &att.netns, "eth0"));
    assert_eq!(
        sysctl(&world, &att.netns, "net.ipv4.conf.eth0.forwarding"),
        forwarding
    );
    assert_eq!(
        sysctl(&world, &att.netns, "net.ipv6.conf.eth0.hop_limit"),
        hop_limit
    );
    assert!(world.saved_states().is_empty());
    world.run(Bin::Tuning, "DEL", &del_config, &att).silent();
}

/// A chained plugin needs prevResult on ADD; and the interface to tune.
#[test]
fn add_needs_prev_result_and_the_interface() {
    let world = World::new();
    let att = world.att();
    let mut config = world.tuning_conf(Version::V1_0_0, &Value::Null);
    config.as_object_mut().unwrap().remove("prevResult");
    let error = world.run(Bin::Tuning, "ADD", &config, &att).code(7);
    assert!(error.msg.contains("prevResult"), "{error}");
    let config = world.tuning_conf(Version::V1_0_0, &json!({"cniVersion": "1.0.0"}));
    let error = world.run(Bin::Tuning, "ADD", &config, &att).code(106);
    assert!(error.msg.contains("\"eth0\" not found"), "{error}");
    assert!(world.saved_states().is_empty());
}

/// Values that cannot be applied leave nothing changed.
#[test]
fn a_bad_sysctl_changes_nothing() {
    let world = World::new();
    let att = world.att();
    let prev = interface_add(&world, &att, Version::V1_0_0);
    let mut config = world.tuning_conf(Version::V1_0_0, &prev);
    config["sysctl"] = json!({"net.ipv4.conf.eth0.no_such_thing": "1"});
    let error = world.run(Bin::Tuning, "ADD", &config, &att).code(7);
    assert!(
        error
            .msg
            .contains("sysctl.net.ipv4.conf.eth0.no_such_thing"),
        "{error}"
    );
    config["sysctl"] = json!({"kernel.hostname": "x"});
    let error = world.run(Bin::Tuning, "ADD", &config, &att).code(7);
    assert!(error.msg.contains("only net.* sysctls"), "{error}");
    assert_eq!(kernel::link(&world, &att.netns, "eth0").unwrap().mtu, 1400);
    assert!(world.saved_states().is_empty());
}

/// CHECK notices when its changes no longer hold.
#[rstest]
#[case(&["link", "set", "eth0", "mtu", "1400"], "has MTU 1400, expected 1300")]
#[case(&["link", "set", "eth0", "promisc", "off"], "promiscuous mode of \"eth0\" is off")]
#[case(&["link", "set", "eth0", "address", "02:00:00:00:00:05"], "has MAC 02:00:00:00:00:05")]
fn check_notices_changes(#[case] mutation: &[&str], #[case] needle: &str) {
    let world = World::new();
    let att = world.att();
    let prev = interface_add(&world, &att, Version::V1_1_0);
    let config = world.tuning_conf(Version::V1_1_0, &prev);
    let result = world.run(Bin::Tuning, "ADD", &config, &att).ok().json();
    let checked = with_prev(&config, &result);
    world.ip(&att.netns, mutation);
    let error = world.run(Bin::Tuning, "CHECK", &checked, &att).code(104);
    assert!(error.msg.contains(needle), "{error}");
}

#[test]
fn check_notices_a_changed_sysctl() {
    let world = World::new();
    let att = world.att();
    let prev = interface_add(&world, &att, Version::V1_0_0);
    let config = world.tuning_conf(Version::V1_0_0, &prev);
    let result = world.run(Bin::Tuning, "ADD", &config, &att).ok().json();
    world.sh(
        &att.netns,
        "echo 0 > /proc/sys/net/ipv4/conf/eth0/forwarding",
    );
    let error = world
        .run(Bin::Tuning, "CHECK", &with_prev(&config, &result), &att)
        .code(104);
    assert!(
        error
            .msg
            .contains("sysctl net.ipv4.conf.eth0.forwarding is \"0\""),
        "{error}"
    );
}

/// The `mac` capability wins over the `mac` key (C-CAP-2).
#[test]
fn mac_capability() {
    let world = World::new();
    let att = world.att();
    let prev = interface_add(&world, &att, Version::V1_0_0);
    let mut config = world.tuning_conf(Version::V1_0_0, &prev);
    config["runtimeConfig"] = json!({"mac": "02:00:00:aa:bb:99"});
    let result = world.run(Bin::Tuning, "ADD", &config, &att).ok().json();
    assert_eq!(result["interfaces"][1]["mac"], "02:00:00:aa:bb:99");
    assert_eq!(
        kernel::link(&world, &att.netns, "eth0")
            .unwrap()
            .mac
            .as_deref(),
        Some("02:00:00:aa:bb:99")
    );
}

/// P-DEL-2: with the namespace gone DEL still succeeds and forgets the
/// saved state; GC forgets the states of attachments not listed.
#[test]
fn del_without_namespace_and_gc() {
    let mut world = World::new();
    let att = world.att();
    let prev = interface_add(&world, &att, Version::V1_1_0);
    let config = world.tuning_conf(Version::V1_1_0, &prev);
    world.run(Bin::Tuning, "ADD", &config, &att).ok();
    assert_eq!(world.saved_states(), ["ctr0:eth0.json"]);
    let mut gc = world.tuning_conf(Version::V1_1_0, &Value::Null);
    gc.as_object_mut().unwrap().remove("prevResult");
    gc["cni.dev/valid-attachments"] = json!([{"containerID": "ctr0", "ifname": "eth0"}]);
    world.call_global(Bin::Tuning, "GC", &gc).run().silent();
    assert_eq!(world.saved_states(), ["ctr0:eth0.json"]);

    world.delete_container(&att.netns);
    world.run(Bin::Tuning, "DEL", &config, &att).silent();
    assert!(world.saved_states().is_empty());

    let second = Att {
        id: "ctr1".to_owned(),
        netns: world.add_container(),
        ..att
    };
    let prev = interface_add(&world, &second, Version::V1_1_0);
    world
        .run(
            Bin::Tuning,
            "ADD",
            &world.tuning_conf(Version::V1_1_0, &prev),
            &second,
        )
        .ok();
    gc["cni.dev/valid-attachments"] = json!([]);
    world.call_global(Bin::Tuning, "GC", &gc).run().silent();
    assert!(world.saved_states().is_empty());
}
