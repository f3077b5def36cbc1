//! P-ADD-8: plugins run concurrently for different containers; the IPAM
//! store's lock makes sure no address is handed out twice.

use std::collections::BTreeSet;

use cnitest::spec::Version;

use crate::common::kernel;
use crate::common::{Att, Bin, HOST, World};

const PARALLEL: usize = 20;

/// 20 ADDs at once, each for its own container namespace, get 20 distinct
/// addresses of each family and 20 host ends; 20 DELs at once leave
/// nothing.
#[test]
fn parallel_adds_get_distinct_addresses() {
    let mut world = World::new();
    let config = world.interface_conf(Version::V1_0_0);
    let atts: Vec<Att> = (0..PARALLEL)
        .map(|i| Att {
            id: format!("ctr{i}"),
            ifname: "eth0".to_owned(),
            netns: if i == 0 {
                world.att().netns
            } else {
                world.add_container()
            },
        })
        .collect();

    let results: Vec<serde_json::Value> = std::thread::scope(|scope| {
        let runs: Vec<_> = atts
            .iter()
            .map(|att| {
                let call = world.call(Bin::Interface, "ADD", &config, att);
                scope.spawn(move || call.run())
            })
            .collect();
        runs.into_iter()
            .map(|run| run.join().expect("a run").ok().json())
            .collect()
    });
    for family in [0, 1] {
        let addresses: BTreeSet<String> = results
            .iter()
            .map(|r| r["ips"][family]["address"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(addresses.len(), PARALLEL, "{addresses:?}");
    }
    assert_eq!(world.reservations().len(), 2 * PARALLEL);
    assert_eq!(kernel::links(&world, HOST).len(), PARALLEL);
    for (att, result) in atts.iter().zip(&results) {
        let address = result["ips"][0]["address"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(kernel::addresses(&world, &att.netns, "eth0").contains(&address));
    }

    std::thread::scope(|scope| {
        for att in &atts {
            let call = world.call(Bin::Interface, "DEL", &config, att);
            scope.spawn(move || call.run().silent());
        }
    });
    assert!(world.reservations().is_empty());
    assert!(kernel::links(&world, HOST).is_empty());
}

/// The same for the IPAM plugin alone, where the race is tightest.
#[test]
fn parallel_ipam_adds_get_distinct_addresses() {
    let world = World::new();
    let config = world.ipam_conf(Version::V1_0_0);
    let addresses: BTreeSet<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..PARALLEL)
            .map(|i| {
                let att = Att {
                    id: format!("ctr{i}"),
                    ifname: "eth0".to_owned(),
                    netns: "unused".to_owned(),
                };
                let call = world.call(Bin::Ipam, "ADD", &config, &att);
                scope.spawn(move || call.run())
            })
            .collect();
        runs.into_iter()
            .map(|run| {
                let result = run.join().expect("a run").ok().json();
                result["ips"][0]["address"].as_str().unwrap().to_owned()
            })
            .collect()
    });
    assert_eq!(addresses.len(), PARALLEL);
}
