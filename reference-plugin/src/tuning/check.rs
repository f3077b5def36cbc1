//! CHECK: what this plugin set still holds. The MAC and (at 1.1.0) MTU are
//! compared with `prevResult`, which holds what later plugins changed too
//! (P-CHECK-3); sysctls and promiscuity, which no result records, with the
//! configuration (P-CHECK-5).

use super::config::TuningConfig;
use super::link::Tuned;
use crate::error::PluginError;
use crate::netns::Netns;
use crate::skel::Request;

pub fn check(req: &Request) -> Result<(), PluginError> {
    let attachment = req.attachment()?;
    let config = TuningConfig::from_request(req)?;
    let prev = req.prev_result()?.ok_or_else(|| {
        PluginError::config(
            "prevResult",
            "missing; CHECK compares with the result of ADD",
        )
    })?;
    let netns = Netns::open_required(attachment.netns()?)?;
    let tuned = Tuned::open(&netns, &attachment.ifname)?;
    let name = tuned.ifname;
    let fail = |why: String| Err(PluginError::CheckFailed(why));
    let Some(link) = tuned.link()? else {
        return fail(format!("interface {name:?} is missing from the container"));
    };
    let listed = prev
        .interfaces
        .iter()
        .find(|i| i.name == name && !i.sandbox.is_empty());

    let want_mac = match listed.map(|i| i.mac.as_str()).filter(|m| !m.is_empty()) {
        Some(mac) => Some(mac.to_owned()),
        None => config.mac.map(|m| m.to_string()),
    };
    let have_mac = link.mac.clone().unwrap_or_default();
    if let Some(want) = want_mac.filter(|w| !w.eq_ignore_ascii_case(&have_mac)) {
        return fail(format!(
            "interface {name:?} has MAC {have_mac}, expected {want}"
        ));
    }
    let want_mtu = listed.and_then(|i| i.mtu).or(config.mtu.map(u64::from));
    if let Some(want) = want_mtu.filter(|w| *w != u64::from(link.mtu)) {
        return fail(format!(
            "interface {name:?} has MTU {}, expected {want}",
            link.mtu
        ));
    }
    if let Some(want) = config.promisc {
        let have = tuned.promisc()?;
        if have != want {
            let state = |on| if on { "on" } else { "off" };
            return fail(format!(
                "promiscuous mode of {name:?} is {}, expected {}",
                state(have),
                state(want)
            ));
        }
    }
    for (key, want) in &config.sysctl {
        let have = tuned.sysctl(key)?;
        if have != want.trim() {
            return fail(format!("sysctl {key} is {have:?}, expected {want:?}"));
        }
    }
    Ok(())
}
