//! Checks on what the plugin printed: a valid result, an echoed
//! `prevResult`, nothing where nothing is due, a well-formed VERSION answer.

use std::collections::BTreeSet;

use serde_json::Value;

use super::Ctx;
use crate::runtime::output::Stdout;
use crate::spec::result::{ResultKind, validate};
use crate::spec::rule::Level;
use crate::spec::{CniResult, Command, Version, VersionInfo};
use crate::suite::role::Role;
use crate::suite::verdict::Finding;

/// F-RES-*, P-ADD-1, P-DELEG-8: every run's ADD result validates.
pub fn valid(ctx: &Ctx<'_>) -> Vec<Finding> {
    let kind = if ctx.role == Role::Ipam {
        ResultKind::Ipam
    } else {
        ResultKind::Attachment
    };
    let mut out = Vec::new();
    for (_, run) in ctx.runs {
        let Some(call) = &run.put else { continue };
        if !call.outcome.termination.success() {
            continue;
        }
        match &call.stdout {
            Stdout::Json(value) => {
                out.extend(validate(value, ctx.version, kind).into_iter().map(|v| {
                    ctx.finding(v.rule, v.level, format!("{}{}", prefix(&v.path), v.message))
                }));
            }
            Stdout::Empty => out.push(ctx.finding(
                "P-ADD-1",
                Level::Must.at(ctx.version),
                "ADD succeeded but printed no result",
            )),
            Stdout::Malformed(_) => {} // reported by the protocol check
        }
    }
    out
}

fn prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

/// P-CHECK-1, P-GC-6 (MUST), P-IO-2 (DEL, STATUS: INFO): success prints
/// nothing.
pub fn stdout_empty(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (_, run) in ctx.runs {
        let Some(call) = &run.put else { continue };
        if !call.outcome.termination.success() || call.stdout == Stdout::Empty {
            continue;
        }
        let (rule, level) = match call.command {
            Command::Check => ("P-CHECK-1", Level::Must),
            Command::Gc => ("P-GC-6", Level::Must),
            // No result is defined for them (P-DEL-6); libcni ignores the
            // output, so printing one is a warning (P-IO-2).
            _ => ("P-IO-2", Level::Should),
        };
        out.push(ctx.finding(
            rule,
            level.at(ctx.version),
            format!(
                "{} succeeded but printed {}",
                call.command,
                crate::runtime::output::excerpt(&call.outcome.stdout.bytes)
            ),
        ));
    }
    out
}

/// P-ADD-4: a plugin given `prevResult` outputs it, changed only by what it
/// did. Interfaces, addresses, routes and DNS of `prevResult` must all be
/// there; a plugin may add to them, and may change an interface's MAC or
/// MTU (what chained plugins such as tuning adjust).
pub fn prev_result_echoed(ctx: &Ctx<'_>) -> Vec<Finding> {
    let v = ctx.version;
    // 0.3.x/0.4.0: plugins SHOULD echo and MAY suppress; 1.0.0+: MUST.
    let level = if v >= Version::V1_0_0 {
        Level::Must
    } else {
        Level::Should
    };
    let att = ctx.att();
    let run = ctx.run();
    let Some(call) = &run.put else {
        return Vec::new();
    };
    if !call.outcome.termination.success() {
        return Vec::new();
    }
    let Some(prev) = &att.prev_sent else {
        return vec![ctx.finding(
            "P-ADD-4",
            Level::Info,
            "no prevResult was sent, so there is nothing to echo",
        )];
    };
    let out = match &call.stdout {
        Stdout::Json(v) => v.clone(),
        _ => {
            return vec![ctx.finding(
                "P-ADD-4",
                level,
                "the plugin got prevResult but printed no result",
            )];
        }
    };
    if out == Value::Object(Default::default()) {
        return vec![ctx.finding("P-ADD-4", level, "the plugin got prevResult but printed {}")];
    }
    let (Ok(prev), Ok(got)) = (parse(prev, v), parse(&out, v)) else {
        return vec![ctx.finding(
            "P-ADD-4",
            level,
            format!("the result is not a {v} result the prevResult can be compared with"),
        )];
    };
    let mut missing = Vec::new();
    for i in &prev.interfaces {
        if !got
            .interfaces
            .iter()
            .any(|g| g.name == i.name && g.sandbox == i.sandbox)
        {
            missing.push(format!("interface {} (sandbox {:?})", i.name, i.sandbox));
        }
    }
    let got_ips: BTreeSet<String> = got
        .ips
        .iter()
        .map(|ip| format!("{} gw {:?}", ip.address, ip.gateway))
        .collect();
    for ip in &prev.ips {
        let key = format!("{} gw {:?}", ip.address, ip.gateway);
        if !got_ips.contains(&key) {
            missing.push(format!(
                "address {}{}",
                ip.address,
                ip.gateway
                    .map(|g| format!(" gateway {g}"))
                    .unwrap_or_default()
            ));
        }
    }
    for r in &prev.routes {
        if !got.routes.iter().any(|g| g.dst == r.dst && g.gw == r.gw) {
            missing.push(format!(
                "route {}{}",
                r.dst,
                r.gw.map(|g| format!(" via {g}")).unwrap_or_default()
            ));
        }
    }
    if !prev.dns.is_empty() && got.dns != prev.dns {
        missing.push(format!("dns {:?} (got {:?})", prev.dns, got.dns));
    }
    if missing.is_empty() {
        Vec::new()
    } else {
        vec![ctx.finding(
            "P-ADD-4",
            level,
            format!(
                "the result drops or rewrites what prevResult said: {}",
                missing.join("; ")
            ),
        )]
    }
}

fn parse(value: &Value, v: Version) -> Result<crate::spec::result::Result100, String> {
    CniResult::from_value(value, Some(v))
        .map_err(|e| e.to_string())?
        .to_v1()
        .map_err(|e| e.to_string())
}

/// P-ADD-8: ADDs of different containers at once all succeed and get
/// distinct addresses.
pub fn distinct_addresses(ctx: &Ctx<'_>) -> Vec<Finding> {
    let level = if ctx.version >= Version::V1_0_0 {
        Level::Must
    } else {
        Level::Should.at(ctx.version)
    };
    let mut out = Vec::new();
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut configured = Vec::new();
    for v in ctx.driver.target.conf.values() {
        strings_in(v, &mut configured);
    }
    for (name, run) in ctx.runs {
        let Some(call) = &run.put else { continue };
        let Stdout::Json(value) = &call.stdout else {
            continue;
        };
        if !call.outcome.termination.success() {
            out.push(ctx.finding(
                "P-ADD-8",
                level,
                format!("the ADD of attachment {name} failed while others ran at the same time"),
            ));
            continue;
        }
        let Ok(r) = parse(value, ctx.version) else {
            continue;
        };
        for ip in r.ips {
            let addr = ip.address.addr().to_string();
            // An address the configuration itself names (static IPAM) is
            // the configuration's choice for every container, not an
            // allocation the plugin failed to lock.
            if configured
                .iter()
                .any(|s| s.split('/').next() == Some(addr.as_str()))
            {
                continue;
            }
            // Loopback addresses are every namespace's own: two containers
            // each with 127.0.0.1 share nothing.
            if ip.address.addr().is_loopback() {
                continue;
            }
            if let Some((other, _)) = seen.iter().find(|(_, a)| *a == addr) {
                out.push(ctx.finding(
                    "P-ADD-8",
                    level,
                    format!("address {addr} was handed to attachments {other} and {name} at once"),
                ));
            }
            seen.push((name.clone(), addr));
        }
    }
    out
}

/// Every string `v` holds, at any depth.
fn strings_in<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| strings_in(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings_in(i, out)),
        _ => {}
    }
}

/// P-VER-1, P-VER-2: the VERSION answer.
pub fn version_info(ctx: &Ctx<'_>) -> Vec<Finding> {
    let run = ctx.run();
    let Some(call) = &run.put else {
        return Vec::new();
    };
    if !call.outcome.termination.success() {
        return Vec::new(); // the expectation reports it
    }
    let asked = run
        .put_request
        .as_ref()
        .and_then(|r| r.get("cniVersion"))
        .and_then(Value::as_str)
        .unwrap_or(ctx.version.as_str())
        .to_owned();
    match &call.stdout {
        Stdout::Json(value) => match VersionInfo::from_value(value, &asked) {
            Ok((_, violations)) => violations
                .into_iter()
                .map(|v| {
                    let level = if v.rule == "P-VER-2" {
                        Level::Should
                    } else {
                        v.level
                    };
                    let mut msg = format!("{}{}", prefix(&v.path), v.message);
                    if v.rule == "P-VER-2" {
                        msg.push_str(" (a known pkg/skel deviation, catalogue 13.2)");
                    }
                    ctx.finding(v.rule, level, msg)
                })
                .collect(),
            Err(why) => vec![ctx.finding("P-VER-1", Level::Must, why)],
        },
        Stdout::Empty => vec![ctx.finding("P-VER-1", Level::Must, "VERSION printed nothing")],
        Stdout::Malformed(_) => Vec::new(),
    }
}

/// The result holds this address (C-ARGS-2): `address:10.231.0.50`.
pub fn has_address(ctx: &Ctx<'_>, address: &str) -> Vec<Finding> {
    let att = ctx.att();
    let Some(result) = &att.put_result else {
        return Vec::new();
    };
    let Ok(r) = parse(result, ctx.version) else {
        return Vec::new();
    };
    if r.ips
        .iter()
        .any(|ip| ip.address.addr().to_string() == address)
    {
        return Vec::new();
    }
    let got: Vec<String> = r.ips.iter().map(|ip| ip.address.to_string()).collect();
    vec![ctx.finding(
        ctx.rule(),
        ctx.level(),
        format!("the result holds {}, not {address}", got.join(", ")),
    )]
}
