//! ADD: adjust `CNI_IFNAME`, which an earlier plugin of the chain made, and
//! pass its result on with only our changes in it (P-ADD-4, P-CHAIN-1).
//!
//! The values found before any change are saved first, so that DEL can put
//! them back, and a failure half-way puts them back at once.

use cnitest::spec::result::{Interface100, Result100};
use ipnet::IpNet;
use serde_json::Value;

use super::config::TuningConfig;
use super::link::Tuned;
use super::state::{Saved, StateDir};
use crate::error::PluginError;
use crate::faults::Fault;
use crate::netns::Netns;
use crate::skel::{AddOutput, Request, express};

pub fn add(req: &Request) -> Result<AddOutput, PluginError> {
    let attachment = req.attachment()?;
    let config = TuningConfig::from_request(req)?;
    let Some(prev_value) = req.prev_result_value() else {
        return Err(PluginError::config(
            "prevResult",
            "missing; a chained plugin adjusts what an earlier plugin made, and needs its result",
        ));
    };
    let prev = req.prev_result()?.unwrap_or_else(|| empty(req));
    let netns = Netns::open_required(attachment.netns()?)?;
    let tuned = Tuned::open(&netns, &attachment.ifname)?;
    let link = tuned.require()?;

    let mut saved = Saved {
        container_id: attachment.container_id.clone(),
        ifname: attachment.ifname.clone(),
        mtu: config.mtu.map(|_| link.mtu),
        mac: config.mac.and(link.mac.clone()),
        promisc: config.promisc.map(|_| tuned.promisc()).transpose()?,
        sysctl: Vec::new(),
    };
    for (key, _) in &config.sysctl {
        saved.sysctl.push((key.clone(), tuned.sysctl(key)?));
    }
    let state = StateDir::new(&config.data_dir, req.network());
    state.save(&saved)?;
    if let Err(e) = apply(&tuned, &config) {
        super::del::restore(&tuned, &saved);
        let _ = state.remove(&saved.container_id, &saved.ifname);
        return Err(e);
    }

    if req.has(Fault::ChainDropsPrevResult) {
        let link = tuned.require()?;
        let mut result = empty(req);
        result.interfaces.push(Interface100::new(
            link.name,
            link.mac.unwrap_or_default(),
            netns.path().display().to_string(),
        ));
        return Ok(AddOutput::Built(result));
    }
    let mut out = in_request_version(req, prev_value, prev)?;
    record_changes(&mut out, req, &tuned, &config)?;
    if req.has(Fault::ChainRewritesIps) {
        rewrite_ips(&mut out);
    }
    Ok(AddOutput::Json(out))
}

fn apply(tuned: &Tuned<'_>, config: &TuningConfig) -> Result<(), PluginError> {
    if let Some(mtu) = config.mtu {
        tuned.set_mtu(mtu)?;
    }
    if let Some(mac) = config.mac {
        tuned.set_mac(mac)?;
    }
    if let Some(on) = config.promisc {
        tuned.set_promisc(on)?;
    }
    for (key, value) in &config.sysctl {
        tuned.set_sysctl(key, value)?;
    }
    Ok(())
}

/// `prevResult` as JSON in the request's version: as received when it is in
/// that version already, so that fields we do not know pass through
/// untouched; converted otherwise.
fn in_request_version(
    req: &Request,
    prev_value: &Value,
    prev: Result100,
) -> Result<Value, PluginError> {
    let own = prev_value.get("cniVersion").and_then(Value::as_str);
    if own.is_none_or(|v| v == req.version.as_str()) {
        let mut out = prev_value.clone();
        out["cniVersion"] = Value::String(req.version.as_str().to_owned());
        return Ok(out);
    }
    express(prev, req.version)
}

/// Writes into the result what it states about the tuned interface: its
/// MAC, and at 1.1.0 its MTU. Nothing else changes.
fn record_changes(
    out: &mut Value,
    req: &Request,
    tuned: &Tuned<'_>,
    config: &TuningConfig,
) -> Result<(), PluginError> {
    if config.mac.is_none() && config.mtu.is_none() {
        return Ok(());
    }
    let link = tuned.require()?;
    let Some(interfaces) = out.get_mut("interfaces").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    let ours = interfaces.iter_mut().find(|i| {
        i.get("name").and_then(Value::as_str) == Some(tuned.ifname)
            && i.get("sandbox")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
    });
    let Some(Value::Object(entry)) = ours else {
        return Ok(());
    };
    if config.mac.is_some() {
        if let Some(mac) = link.mac {
            entry.insert("mac".to_owned(), Value::String(mac));
        }
    }
    if config.mtu.is_some() && req.version >= cnitest::spec::Version::V1_1_0 {
        entry.insert("mtu".to_owned(), Value::from(link.mtu));
    }
    Ok(())
}

/// The `chain-rewrites-ips` switch: every address moves to the next one.
fn rewrite_ips(out: &mut Value) {
    let bump = |address: &mut Value| {
        let next = address
            .as_str()
            .and_then(|a| a.parse::<IpNet>().ok())
            .and_then(|net| {
                IpNet::new(crate::ipam::range::offset(net.addr(), 1), net.prefix_len()).ok()
            });
        if let Some(next) = next {
            *address = Value::String(next.to_string());
        }
    };
    if let Some(ips) = out.get_mut("ips").and_then(Value::as_array_mut) {
        for ip in ips {
            if let Some(address) = ip.get_mut("address") {
                bump(address);
            }
        }
    }
}

fn empty(req: &Request) -> Result100 {
    Result100 {
        cni_version: req.version,
        interfaces: Vec::new(),
        ips: Vec::new(),
        routes: Vec::new(),
        dns: Default::default(),
    }
}
