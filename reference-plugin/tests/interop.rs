//! The reference plugins in chains with the upstream Go plugins
//! (containernetworking-plugins), driven by the `cnitest` runtime: ADD,
//! CHECK and DEL succeed at 0.3.1, 0.4.0 and 1.0.0, and the kernel state
//! matches the result. Where the upstream plugins are not installed the
//! tests fail: a skipped interop test would prove nothing.

use std::path::Path;

use cnitest::runtime::{Attachment, Runtime};
use cnitest::spec::{CniResult, NetworkConfig, Version};
use rstest::rstest;
use serde_json::{Value, json};

use crate::common::kernel;
use crate::common::{HOST, World};

const UPSTREAM: &str = "/usr/lib/cni";

fn upstream() -> &'static str {
    assert!(
        Path::new(UPSTREAM).join("host-local").is_file(),
        "the upstream plugins (Debian package containernetworking-plugins) are needed in {UPSTREAM}"
    );
    UPSTREAM
}

/// What CHECK of the whole list must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    Passes,
    /// The packaged portmap's CHECK looks for IPv6 rules it never made and
    /// fails (containernetworking/plugins#819, fixed after that release).
    /// CHECK runs in list order and stops at the first error (R-CHECK-4),
    /// so an error from plugins[1] shows that plugins[0] passed.
    FailsInPortmapOnly,
}

/// ADD, the kernel against the result, CHECK (0.4.0+), DEL, DEL again.
fn round_trip(
    world: &World,
    runtime: &Runtime,
    list: Value,
    att: &Attachment,
    version: Version,
    check: Check,
) -> Value {
    let network = NetworkConfig::from_value(list).expect("a valid list");
    let mut trace = Vec::new();
    let result = runtime
        .add(&network, att, &mut trace)
        .unwrap_or_else(|e| panic!("ADD: {e}\n{trace:#?}"));
    assert_eq!(result["cniVersion"], version.as_str());
    let parsed = CniResult::from_value(&result, None)
        .unwrap()
        .to_v1()
        .unwrap();
    let eth0 = kernel::link(world, "container", "eth0").expect("eth0 in the container");
    let addresses = kernel::addresses(world, "container", "eth0");
    for ip in &parsed.ips {
        assert!(
            addresses.contains(&ip.address),
            "{} missing: {addresses:?}",
            ip.address
        );
    }
    let listed = parsed
        .interfaces
        .iter()
        .find(|i| i.name == "eth0")
        .expect("eth0 in the result");
    assert_eq!(Some(&listed.mac), eth0.mac.as_ref());
    if version >= Version::V0_4_0 {
        let checked = runtime.check(&network, att, &mut trace);
        match (check, checked) {
            (Check::Passes, Ok(())) => {}
            (Check::FailsInPortmapOnly, Err(e))
                if e.to_string()
                    .starts_with("plugins[1] (portmap) failed CHECK")
                    && e.to_string().contains("could not check ipv6 dnat") => {}
            (_, other) => panic!("CHECK: {other:?}"),
        }
    }
    runtime
        .del(&network, att, &mut trace)
        .unwrap_or_else(|e| panic!("DEL: {e}"));
    assert!(kernel::link(world, "container", "eth0").is_none());
    runtime
        .del(&network, att, &mut trace)
        .unwrap_or_else(|e| panic!("DEL again: {e}"));
    result
}

fn attachment(world: &World) -> Attachment {
    Attachment::new("ctr0", Some(&world.netns_path("container")), "eth0")
}

/// `cni-reference` delegating to upstream `host-local`.
#[rstest]
fn reference_with_host_local(
    #[values(Version::V0_3_1, Version::V0_4_0, Version::V1_0_0)] version: Version,
) {
    let world = World::new();
    let runtime = world.runtime(&[upstream()]);
    let host_local = world.data_dir().join("host-local");
    let list = json!({
        "cniVersion": version.as_str(),
        "name": "net1",
        "plugins": [{
            "type": "cni-reference",
            "mtu": 1400,
            "ipam": {
                "type": "host-local",
                "dataDir": host_local,
                "ranges": [[{"subnet": "10.2.0.0/24"}]],
                "routes": [{"dst": "0.0.0.0/0"}]
            }
        }]
    });
    let result = round_trip(
        &world,
        &runtime,
        list,
        &attachment(&world),
        version,
        Check::Passes,
    );
    assert_eq!(result["ips"][0]["address"], "10.2.0.2/24");
    assert!(kernel::links(&world, HOST).is_empty());
    let left: Vec<String> = std::fs::read_dir(host_local.join("net1"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.parse::<std::net::IpAddr>().is_ok())
        .collect();
    assert!(left.is_empty(), "host-local still holds {left:?}");
}

/// Upstream `bridge` with `cni-reference-tuning` chained after it.
#[rstest]
fn bridge_with_tuning(
    #[values(Version::V0_3_1, Version::V0_4_0, Version::V1_0_0)] version: Version,
) {
    let world = World::new();
    let runtime = world.runtime(&[upstream()]);
    let list = json!({
        "cniVersion": version.as_str(),
        "name": "net1",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "cnitref0",
                "ipam": {
                    "type": "host-local",
                    "dataDir": world.data_dir().join("host-local"),
                    "ranges": [[{"subnet": "10.3.0.0/24"}]]
                }
            },
            {
                "type": "cni-reference-tuning",
                "mac": "02:00:00:aa:bb:07",
                "promisc": true,
                "sysctl": {"net.ipv4.conf.eth0.forwarding": "1"},
                "dataDir": world.data_dir().join("tuning")
            }
        ]
    });
    let result = round_trip(
        &world,
        &runtime,
        list,
        &attachment(&world),
        version,
        Check::Passes,
    );
    let eth0 = result["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "eth0")
        .cloned()
        .unwrap();
    assert_eq!(
        eth0["mac"], "02:00:00:aa:bb:07",
        "tuning's MAC is in the final result"
    );
    assert!(world.saved_states().is_empty());
}

/// `cni-reference` with `cni-reference-ipam`, then upstream `portmap`.
#[rstest]
fn reference_with_portmap(
    #[values(Version::V0_3_1, Version::V0_4_0, Version::V1_0_0)] version: Version,
) {
    let world = World::new();
    let runtime = world.runtime(&[upstream()]);
    // IPv4 only: with an IPv6 address too, the packaged portmap's CHECK
    // also looks for its IPv4 rule in the IPv6 table.
    let mut ipam = world.ipam();
    ipam["ranges"] = json!([[{"subnet": "10.1.0.0/24"}]]);
    ipam["routes"] = json!([{"dst": "0.0.0.0/0"}]);
    let list = json!({
        "cniVersion": version.as_str(),
        "name": "net1",
        "plugins": [
            {"type": "cni-reference", "mtu": 1400, "ipam": ipam},
            {"type": "portmap", "capabilities": {"portMappings": true}}
        ]
    });
    let mut att = attachment(&world);
    att.capability_args.insert(
        "portMappings".to_owned(),
        json!([{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]),
    );
    round_trip(
        &world,
        &runtime,
        list,
        &att,
        version,
        Check::FailsInPortmapOnly,
    );
    assert!(world.reservations().is_empty());
    assert!(kernel::links(&world, HOST).is_empty());
}
