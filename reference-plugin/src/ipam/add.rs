//! IPAM ADD: reserve one address from each range set and return the
//! abbreviated result: no `interfaces`, no `ips[].interface` (P-DELEG-8).

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use cnitest::spec::Version;
use cnitest::spec::result::{Interface100, IpConfig100, Result100};

use super::config::IpamConfig;
use super::range::{Range, RangeSet, describe};
use super::requested::{Source, requested};
use super::store::{Locked, Owner, Store};
use crate::error::PluginError;
use crate::faults::Fault;
use crate::skel::{AddOutput, Request};

pub fn add(req: &Request) -> Result<AddOutput, PluginError> {
    let attachment = req.attachment()?;
    let config = IpamConfig::from_request(req)?;
    let wanted = requested(req)?;
    let store = Store::open(&config.data_dir, req.network())?;
    let owner = Owner::of(attachment);
    let racy = req.has(Fault::IpamDoubleAllocation);
    let locked = if racy {
        store.unlocked()
    } else {
        store.lock()?
    };

    let held = locked.held_by(&owner)?;
    if !held.is_empty() {
        return Err(PluginError::AddressTaken(format!(
            "container {:?} interface {:?} already holds {} in network {:?}",
            owner.container_id,
            owner.ifname,
            list(&held),
            req.network()
        )));
    }
    let picks = pick(&config.ranges, &wanted)?;
    let taken: HashSet<IpAddr> = locked.reservations()?.into_iter().map(|r| r.ip).collect();
    if racy {
        // The window a lock closes: others read the same free addresses.
        std::thread::sleep(Duration::from_millis(200));
    }

    let mut ips = Vec::new();
    for (set_index, pick) in picks.iter().enumerate() {
        match reserve(&locked, pick, &owner, &taken, racy, set_index) {
            Ok((range, ip)) => ips.push(IpConfig100 {
                interface: None,
                address: range.with_prefix(ip),
                gateway: range.gateway,
            }),
            Err(e) => {
                // Leave nothing behind for a failed ADD.
                for got in &ips {
                    let _ = locked.release(got.address.addr());
                }
                return Err(e);
            }
        }
    }

    let mut result = Result100 {
        cni_version: Version::V1_1_0,
        interfaces: Vec::new(),
        ips,
        routes: config.routes,
        dns: config.dns,
    };
    if req.has(Fault::IpamResultHasInterfaces) {
        let netns = attachment.netns.as_ref().map(|p| p.display().to_string());
        result.interfaces.push(Interface100::new(
            attachment.ifname.clone(),
            "",
            netns.unwrap_or_default(),
        ));
        for ip in &mut result.ips {
            ip.interface = Some(0);
        }
    }
    Ok(AddOutput::Built(result))
}

/// What to take from one range set: a requested address, or the first free.
enum Pick<'a> {
    Requested(&'a RangeSet, &'a Source),
    FirstFree(&'a RangeSet),
}

/// Matches requested addresses to range sets by subnet. Every requested
/// address must fit one set, and a set takes at most one.
fn pick<'a>(sets: &'a [RangeSet], wanted: &'a [Source]) -> Result<Vec<Pick<'a>>, PluginError> {
    let mut picks: Vec<Pick<'a>> = sets.iter().map(Pick::FirstFree).collect();
    for source in wanted {
        let ip = source.requested.ip;
        let Some(index) = sets
            .iter()
            .position(|set| set.iter().any(|r| r.subnet.contains(&ip)))
        else {
            return Err(requested_error(
                source,
                format!("{ip} is in none of the configured ranges"),
            ));
        };
        let set = &sets[index];
        let range = set.iter().find(|r| r.subnet.contains(&ip));
        if let (Some(prefix), Some(range)) = (source.requested.prefix, range) {
            if prefix != range.subnet.prefix_len() {
                return Err(requested_error(
                    source,
                    format!(
                        "prefix length /{prefix} differs from the subnet {}",
                        range.subnet
                    ),
                ));
            }
        }
        if matches!(picks[index], Pick::Requested(..)) {
            return Err(requested_error(
                source,
                format!("a second address from range set {index}"),
            ));
        }
        picks[index] = Pick::Requested(set, source);
    }
    Ok(picks)
}

fn reserve<'a>(
    locked: &Locked<'_>,
    pick: &Pick<'a>,
    owner: &Owner,
    taken: &HashSet<IpAddr>,
    racy: bool,
    set_index: usize,
) -> Result<(&'a Range, IpAddr), PluginError> {
    match pick {
        Pick::Requested(set, source) => {
            let ip = source.requested.ip;
            let Some(range) = set.iter().find(|r| r.contains(ip)) else {
                return Err(requested_error(
                    source,
                    format!("{ip} is not handed out here ({})", describe(set)),
                ));
            };
            if !locked.reserve(ip, owner, racy)? {
                return Err(PluginError::AddressTaken(format!(
                    "{ip} is already reserved"
                )));
            }
            Ok((range, ip))
        }
        Pick::FirstFree(set) => {
            for range in set.iter() {
                for ip in range.addresses().filter(|ip| !taken.contains(ip)) {
                    // A reservation made since we listed shows up here.
                    if locked.reserve(ip, owner, racy)? {
                        return Ok((range, ip));
                    }
                }
            }
            Err(PluginError::NoFreeAddress {
                set: set_index,
                ranges: describe(set),
            })
        }
    }
}

fn requested_error(source: &Source, why: String) -> PluginError {
    if source.path.starts_with("CNI_ARGS") {
        PluginError::env("CNI_ARGS", format!("IP={}: {why}", source.requested.ip))
    } else {
        PluginError::config(&source.path, why)
    }
}

fn list(ips: &[IpAddr]) -> String {
    let parts: Vec<String> = ips.iter().map(ToString::to_string).collect();
    parts.join(", ")
}
