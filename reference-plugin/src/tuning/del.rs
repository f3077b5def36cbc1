//! DEL: put back what ADD changed, as far as it can be (the interface or the
//! whole namespace may be gone), forget the saved state, and succeed
//! (P-DEL-1, P-DEL-2).

use super::config::TuningConfig;
use super::link::Tuned;
use super::state::{Saved, StateDir};
use crate::error::PluginError;
use crate::faults::Fault;
use crate::netns::Netns;
use crate::skel::Request;

pub fn del(req: &Request) -> Result<(), PluginError> {
    let attachment = req.attachment()?;
    let config = TuningConfig::from_request(req)?;
    let netns = match attachment.netns.as_deref().map(Netns::open) {
        Some(Ok(netns)) => Some(netns),
        None | Some(Err(_)) if !req.has(Fault::DelNeedsNetns) => None,
        None => return Err(PluginError::Injected("DEL needs CNI_NETNS".to_owned())),
        Some(Err(e)) => {
            return Err(PluginError::Injected(format!(
                "DEL needs the namespace: {e}"
            )));
        }
    };
    let state = StateDir::new(&config.data_dir, req.network());
    let Some(saved) = state.load(attachment)? else {
        if req.has(Fault::DelNotIdempotent) {
            return Err(PluginError::Injected(
                "nothing to undo: no saved state".to_owned(),
            ));
        }
        return Ok(());
    };
    if let Some(netns) = &netns {
        if !req.has(Fault::TuningDelKeepsChanges) {
            let tuned = Tuned::open(netns, &attachment.ifname)?;
            if tuned.link()?.is_some() {
                restore(&tuned, &saved);
            }
        }
    }
    state.remove(&attachment.container_id, &attachment.ifname)
}

/// Puts back every saved value; a value that cannot be put back is reported
/// on stderr and does not stop the others.
pub fn restore(tuned: &Tuned<'_>, saved: &Saved) {
    let report = |what: &str, result: Result<(), PluginError>| {
        if let Err(e) = result {
            eprintln!("cni-reference-tuning: restoring {what}: {e}");
        }
    };
    for (key, value) in saved.sysctl.iter().rev() {
        report(key, tuned.set_sysctl(key, value));
    }
    if let Some(on) = saved.promisc {
        report("promiscuity", tuned.set_promisc(on));
    }
    if let Some(mac) = &saved.mac {
        match mac.parse() {
            Ok(mac) => report("MAC", tuned.set_mac(mac)),
            Err(e) => eprintln!("cni-reference-tuning: restoring MAC: {e}"),
        }
    }
    if let Some(mtu) = saved.mtu {
        report("MTU", tuned.set_mtu(mtu));
    }
}
