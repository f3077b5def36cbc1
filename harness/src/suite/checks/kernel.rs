//! Checks against what the kernel holds: the result is true, the interface
//! has the name asked for, a failed ADD changed nothing, DEL left nothing,
//! other attachments were not disturbed, GC released and kept the right
//! ones.

use serde_json::Value;

use super::Ctx;
use crate::sandbox::observe::diff;
use crate::spec::rule::Level;
use crate::spec::{CniResult, Version};
use crate::suite::case::{Expect, PrevResult, RunCommand, RunStep};
use crate::suite::kernel::{self, Snapshot, leak_findings};
use crate::suite::role::Role;
use crate::suite::verdict::Finding;

/// P-ADD-5..7: the final ADD result of each run is what the kernel holds.
pub fn matches(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    if ctx.role == Role::Ipam {
        return Ok(Vec::new()); // an IPAM result configures nothing by itself
    }
    let mut out = Vec::new();
    for (name, run) in ctx.runs {
        if run.problem.is_some()
            || !run
                .put
                .as_ref()
                .is_some_and(|c| c.outcome.termination.success())
        {
            continue;
        }
        let att = &ctx.atts[name];
        let Some(result) = &att.cached else { continue };
        out.extend(
            kernel::verify(
                ctx.sandbox,
                att,
                result,
                ctx.version,
                ctx.role == Role::Interface,
            )?
            .into_iter()
            .map(|f| f.at_step(ctx.index)),
        );
    }
    Ok(out)
}

/// P-ENV-4: the container interface is called CNI_IFNAME, in the kernel
/// and (from 0.3.0, where results list interfaces) in the result.
pub fn ifname_honoured(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let att = ctx.att();
    let level = Level::Must.at(ctx.version);
    let Some(call) = &ctx.run().put else {
        return Ok(Vec::new());
    };
    if !call.outcome.termination.success() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    if kernel::link_identity(ctx.sandbox, &att.container, &att.ifname)?.is_none() {
        out.push(ctx.finding(
            "P-ENV-4",
            level,
            format!(
                "no link {} in the container after ADD with CNI_IFNAME={}",
                att.ifname, att.ifname
            ),
        ));
    }
    if ctx.version >= Version::V0_3_0
        && let Some(result) = &att.put_result
        && let Ok(r) = CniResult::from_value(result, Some(ctx.version))
            .map_err(|e| e.to_string())
            .and_then(|r| r.to_v1().map_err(|e| e.to_string()))
    {
        let netns = att
            .netns
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if !r
            .interfaces
            .iter()
            .any(|i| i.name == att.ifname && i.sandbox == netns)
        {
            out.push(ctx.finding(
                "P-ENV-4",
                level,
                format!(
                    "the result lists no interface {} with sandbox {netns}",
                    att.ifname
                ),
            ));
        }
    }
    Ok(out)
}

/// The step added no link and no address in the container: a failed ADD
/// leaves the namespace as it was.
pub fn container_unchanged(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let Some(before) = ctx.before_step else {
        return Err("container-unchanged needs a snapshot before the step".to_owned());
    };
    let att = ctx.att();
    let now = kernel::snapshot(ctx.sandbox, std::slice::from_ref(&att.container))?;
    let (Some(b), Some(a)) = (
        before.containers.get(&att.container),
        now.containers.get(&att.container),
    ) else {
        return Ok(Vec::new());
    };
    Ok(diff("container", b, a)
        .into_iter()
        .map(|c| {
            ctx.finding(
                ctx.rule(),
                ctx.level(),
                format!("{} changed the container: {c}", ctx.step.command.command()),
            )
        })
        .collect())
}

/// P-ADD-3: the interface a case made before ADD is the same link after.
pub fn precreated_untouched(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let Some((index, mac)) = ctx.precreated else {
        return Err("precreated-untouched needs a precreate-interface step before it".to_owned());
    };
    let att = ctx.att();
    let level = Level::Must.at(ctx.version);
    Ok(match kernel::link_identity(ctx.sandbox, &att.container, &att.ifname)? {
        None => vec![ctx.finding("P-ADD-3", level, format!("the existing {} was deleted", att.ifname))],
        Some((i, m)) if i != *index || m != *mac => vec![ctx.finding(
            "P-ADD-3",
            level,
            format!("the existing {} was replaced or changed (index {index} -> {i}, MAC {mac} -> {m})", att.ifname),
        )],
        Some(_) => Vec::new(),
    })
}

/// P-DEL-4: against before the first ADD, nothing is left but the
/// plugin's steady state.
pub fn no_leak(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let Some(base) = ctx.baseline else {
        return Err("no-leak needs an ADD earlier in the case".to_owned());
    };
    let names: Vec<String> = base.containers.keys().cloned().collect();
    let settling = ctx.atts.values().any(|a| a.netns_deleted);
    let left = kernel::settled_leftovers(ctx.sandbox, base, &names, ctx.steady, settling)?;
    Ok(leak_findings(&left, ctx.version)
        .into_iter()
        .map(|f| f.at_step(ctx.index))
        .collect())
}

/// P-DEL-4: a second ADD/DEL cycle leaves no more than the first.
pub fn no_growth(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let (Some(base), [.., first, second]) = (ctx.baseline, ctx.after_dels) else {
        return Err("no-growth needs two DEL steps after an ADD".to_owned());
    };
    let (_, growing) = kernel::cycles(base, first, second);
    Ok(growing
        .into_iter()
        .map(|g| ctx.finding("P-DEL-4", Level::Should.at(ctx.version), g))
        .collect())
}

/// P-ADD-8: another attachment still passes CHECK (from 0.4.0) and still
/// matches the kernel.
pub fn attachment_intact(ctx: &Ctx<'_>, name: &str) -> Result<Vec<Finding>, String> {
    let Some(att) = ctx.atts.get(name) else {
        return Err(format!(
            "attachment-intact:{name}: the case has no attachment {name}"
        ));
    };
    let level = if ctx.version >= Version::V1_0_0 {
        Level::Must
    } else {
        Level::Should.at(ctx.version)
    };
    let Some(result) = &att.cached else {
        return Err(format!(
            "attachment-intact:{name}: attachment {name} has no ADD result"
        ));
    };
    let mut out: Vec<Finding> = if ctx.role == Role::Ipam {
        Vec::new() // an IPAM result configures nothing to compare
    } else {
        kernel::verify(
            ctx.sandbox,
            att,
            result,
            ctx.version,
            ctx.role == Role::Interface,
        )?
        .into_iter()
        .map(|f| {
            ctx.finding(
                "P-ADD-8",
                level,
                format!("attachment {name} was disturbed: {}", f.message),
            )
        })
        .collect()
    };
    if ctx.version >= Version::V0_4_0 {
        let step = check_step(ctx.step);
        let mut copy = att.clone();
        let live: Vec<_> = ctx
            .atts
            .values()
            .filter(|a| a.needs_del)
            .map(|a| a.gc_attachment())
            .collect();
        let run = ctx.driver.run(&step, &mut copy, &live);
        if let Some(p) = run.problem {
            return Err(p);
        }
        if let Some(call) = &run.put
            && !call.outcome.termination.success()
        {
            out.push(ctx.finding(
                "P-ADD-8",
                level,
                format!(
                    "CHECK of attachment {name} fails now: {}",
                    call.outcome.termination
                ),
            ));
        }
    }
    Ok(out)
}

fn check_step(template: &RunStep) -> RunStep {
    RunStep {
        command: RunCommand::Check,
        attachment: template.attachment.clone(),
        repeat: None,
        set: Default::default(),
        remove: Vec::new(),
        env_set: Default::default(),
        env_unset: Vec::new(),
        stdin: None,
        prev_result: PrevResult::Cached,
        valid: None,
        gc_keys: Default::default(),
        version_stdin: Default::default(),
        alone: false,
        expect: Expect::Success,
        codes: Vec::new(),
        code_level: Level::Should,
        names: Vec::new(),
        checks: Vec::new(),
        rules: Vec::new(),
        level: None,
    }
}

/// The addresses an attachment's result holds, as text.
fn addresses(att_result: Option<&Value>, v: Version) -> Vec<String> {
    att_result
        .and_then(|r| CniResult::from_value(r, Some(v)).ok())
        .and_then(|r| r.to_v1().ok())
        .map(|r| {
            r.ips
                .iter()
                .map(|ip| ip.address.addr().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the fake host's state files mention `address` (by file name or
/// by content), as IPAM stores do.
fn state_mentions(snapshot: &Snapshot, address: &str) -> bool {
    snapshot.host.files.as_ref().is_some_and(|files| {
        files.iter().any(|(path, facts)| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy() == address)
                || serde_json::to_string(facts).is_ok_and(|s| {
                    s.contains(&format!("\"{address}"))
                        || s.contains(&format!("{address}\\n"))
                        || s.contains(&format!("{address}/"))
                })
        })
    })
}

/// P-GC-2: GC released a stale attachment's address reservations.
pub fn released(ctx: &Ctx<'_>, name: &str) -> Result<Vec<Finding>, String> {
    let Some(att) = ctx.atts.get(name) else {
        return Err(format!(
            "released:{name}: the case has no attachment {name}"
        ));
    };
    let snap = kernel::snapshot(ctx.sandbox, &[])?;
    Ok(
        addresses(att.put_result.as_ref().or(att.cached.as_ref()), ctx.version)
            .into_iter()
            .filter(|a| state_mentions(&snap, a))
            .map(|a| {
                ctx.finding(
                    "P-GC-2",
                    Level::Should,
                    format!("after GC, the state files still hold {a} of stale attachment {name}"),
                )
            })
            .collect(),
    )
}

/// P-GC-3: GC kept a valid attachment: its reservations are still there
/// and it still passes CHECK.
pub fn kept(ctx: &Ctx<'_>, name: &str) -> Result<Vec<Finding>, String> {
    let Some(att) = ctx.atts.get(name) else {
        return Err(format!("kept:{name}: the case has no attachment {name}"));
    };
    let baseline_had = ctx.before_step.cloned().unwrap_or_default();
    let snap = kernel::snapshot(ctx.sandbox, &[])?;
    let mut out: Vec<Finding> = addresses(att.put_result.as_ref(), ctx.version)
        .into_iter()
        .filter(|a| state_mentions(&baseline_had, a) && !state_mentions(&snap, a))
        .map(|a| {
            ctx.finding(
                "P-GC-3",
                Level::Must,
                format!("GC released {a} of valid attachment {name}"),
            )
        })
        .collect();
    out.extend(
        attachment_intact(ctx, name)?
            .into_iter()
            .map(|f| ctx.finding("P-GC-3", Level::Must, format!("after GC, {}", f.message))),
    );
    Ok(out)
}

/// The container interface's MAC is `mac` (a capability applied, C-CAP-1).
pub fn container_mac(ctx: &Ctx<'_>, mac: &str) -> Result<Vec<Finding>, String> {
    let att = ctx.att();
    if !ctx
        .run()
        .put
        .as_ref()
        .is_some_and(|c| c.outcome.termination.success())
    {
        return Ok(Vec::new());
    }
    Ok(
        match kernel::link_identity(ctx.sandbox, &att.container, &att.ifname)? {
            Some((_, got)) if got.eq_ignore_ascii_case(mac) => Vec::new(),
            Some((_, got)) => vec![ctx.finding(
                ctx.rule(),
                ctx.level(),
                format!("{} has MAC {got}, not {mac}", att.ifname),
            )],
            None => vec![ctx.finding(
                ctx.rule(),
                ctx.level(),
                format!("no {} in the container", att.ifname),
            )],
        },
    )
}

/// R-LIFE-6: the namespace CNI_NETNS names still opens, inside the fake
/// host where plugins see it.
pub fn netns_exists(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let att = ctx.att();
    let Some(path) = &att.netns else {
        return Ok(Vec::new());
    };
    let status = ctx
        .sandbox
        .command("test")
        .arg("-e")
        .arg(path)
        .status()
        .map_err(|e| format!("looking for {}: {e}", path.display()))?;
    Ok(if status.success() {
        Vec::new()
    } else {
        vec![ctx.finding(
            "R-LIFE-6",
            ctx.level(),
            format!(
                "{} is gone after DEL: the namespace is the runtime's to remove",
                path.display()
            ),
        )]
    })
}

/// P-DEL-4: after a DEL of the plugin under test alone, the container is
/// as it was just before that plugin's ADD: what it changed (an MTU, a MAC)
/// is undone, though the interface the plugin before it made remains.
pub fn restored(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let att = ctx.att();
    let Some(before) = ctx
        .before_add
        .and_then(|s| s.containers.get(&att.container))
    else {
        return Err("restored needs an ADD of the same attachment earlier in the case".to_owned());
    };
    let now = kernel::snapshot(ctx.sandbox, std::slice::from_ref(&att.container))?;
    let Some(after) = now.containers.get(&att.container) else {
        return Ok(Vec::new());
    };
    Ok(diff("container", before, after)
        .into_iter()
        .map(|c| {
            ctx.finding(
                "P-DEL-4",
                Level::Should.at(ctx.version),
                format!("DEL did not undo its ADD: {c}"),
            )
        })
        .collect())
}
