//! Checks on the delegation contract (P-DELEG-*), seen through the
//! recording stub the suite puts in place of the plugin's IPAM delegate.

use serde_json::Value;

use super::Ctx;
use crate::runtime::stub::{Record, Reply};
use crate::spec::rule::Level;
use crate::spec::{CniResult, Version};
use crate::suite::verdict::Finding;

/// The token the stub writes on stderr, to be found in the plugin's.
pub const STDERR_TOKEN: &str = "cnitest-delegate-stderr-token";

fn records(ctx: &Ctx<'_>) -> Result<Vec<Record>, String> {
    let stub = ctx
        .stub
        .ok_or("the case needs ipam-stub = true for a stub check")?;
    Ok(stub.records().into_iter().skip(ctx.stub_seen).collect())
}

/// The delegate got `command` during the step.
pub fn called(ctx: &Ctx<'_>, command: &str) -> Result<Vec<Finding>, String> {
    let v = ctx.version;
    let (rule, level) = match command {
        "ADD" => ("P-DELEG-1", Level::Must),
        "DEL" => (
            "P-DELEG-6",
            if v >= Version::V1_0_0 {
                Level::Must
            } else {
                Level::Should
            },
        ),
        "CHECK" if v >= Version::V1_0_0 => ("P-DELEG-6", Level::Must),
        "CHECK" => ("P-CHECK-7", Level::Should),
        "GC" => ("P-GC-5", Level::Must),
        "STATUS" => ("P-STATUS-6", Level::Must),
        other => {
            return Err(format!(
                "stub-called:{other}: not a command a plugin forwards"
            ));
        }
    };
    let seen = records(ctx)?;
    if seen.iter().any(|r| r.command.as_deref() == Some(command)) {
        return Ok(Vec::new());
    }
    let got: Vec<&str> = seen.iter().filter_map(|r| r.command.as_deref()).collect();
    Ok(vec![ctx.finding(
        rule,
        level.at(v),
        format!(
            "the IPAM delegate was not called with {command} (it got: {})",
            if got.is_empty() {
                "nothing".to_owned()
            } else {
                got.join(", ")
            }
        ),
    )])
}

/// P-DELEG-3: the delegate gets every `CNI_*` variable the plugin got,
/// `CNI_COMMAND` aside.
pub fn env(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let seen = records(ctx)?;
    let Some(record) = seen.first() else {
        return Ok(vec![ctx.finding(
            "P-DELEG-3",
            Level::Must.at(ctx.version),
            "the IPAM delegate was not called",
        )]);
    };
    let Some(call) = &ctx.run().put else {
        return Ok(Vec::new());
    };
    let level = if ctx.version >= Version::V0_4_0 {
        Level::Must
    } else {
        Level::Should
    };
    let mut out = Vec::new();
    for (k, v) in call
        .env
        .iter()
        .filter(|(k, _)| k.starts_with("CNI_") && k != "CNI_COMMAND")
    {
        match record.env(k) {
            Some(got) if got == v => {}
            Some(got) => out.push(ctx.finding(
                "P-DELEG-3",
                level,
                format!("the delegate got {k}={got:?}; the plugin got {v:?}"),
            )),
            None => out.push(ctx.finding(
                "P-DELEG-3",
                level,
                format!("the delegate did not get {k} (the plugin got {v:?})"),
            )),
        }
    }
    Ok(out)
}

/// P-DELEG-4: the delegate reads the complete configuration the plugin
/// read (tolerated as SHOULD: §4 says "should … execute with the same").
pub fn config(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let seen = records(ctx)?;
    let Some(record) = seen.first() else {
        return Ok(Vec::new());
    };
    let (Some(sent), Some(got)) = (ctx.run().put_request.as_ref(), record.request()) else {
        return Ok(vec![ctx.finding(
            "P-DELEG-4",
            Level::Should,
            "the delegate's stdin is not JSON",
        )]);
    };
    let (Value::Object(sent), Value::Object(got)) = (sent, &got) else {
        return Ok(Vec::new());
    };
    let mut diffs = Vec::new();
    for (k, v) in sent {
        match got.get(k) {
            None => diffs.push(format!("{k} missing")),
            Some(g) if g != v => diffs.push(format!("{k} changed")),
            Some(_) => {}
        }
    }
    for k in got.keys().filter(|k| !sent.contains_key(*k)) {
        diffs.push(format!("{k} added"));
    }
    if diffs.is_empty() {
        return Ok(Vec::new());
    }
    let missing_ipam_only = !got.contains_key("name") || !got.contains_key("type");
    let level = if missing_ipam_only {
        Level::Must.at(ctx.version)
    } else {
        Level::Should
    };
    Ok(vec![ctx.finding(
        "P-DELEG-4",
        level,
        format!(
            "the delegate's configuration differs from the plugin's: {}",
            diffs.join(", ")
        ),
    )])
}

/// P-DELEG-5: what the delegate says on stderr reaches the plugin's stderr.
pub fn stderr(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let Some(call) = &ctx.run().put else {
        return Ok(Vec::new());
    };
    if records(ctx)?.is_empty() || call.outcome.stderr.text().contains(STDERR_TOKEN) {
        return Ok(Vec::new());
    }
    Ok(vec![ctx.finding(
        "P-DELEG-5",
        Level::Should,
        "the delegate's stderr did not reach the plugin's stderr",
    )])
}

/// P-DELEG-7: after its delegate's ADD failed, the plugin ran the delegate
/// with DEL before returning.
pub fn del_after_failed_add(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let seen = records(ctx)?;
    let add = seen
        .iter()
        .position(|r| r.command.as_deref() == Some("ADD"));
    let del_after = add.is_some_and(|i| {
        seen[i + 1..]
            .iter()
            .any(|r| r.command.as_deref() == Some("DEL"))
    });
    if add.is_none() || del_after {
        return Ok(Vec::new());
    }
    Ok(vec![ctx.finding(
        "P-DELEG-7",
        Level::Should,
        "the delegate's ADD failed and the plugin returned without calling the delegate's DEL",
    )])
}

/// P-DELEG-9: the plugin's result carries the delegate's addresses and DNS,
/// with `interface` pointing at CNI_IFNAME.
pub fn result_from_stub(ctx: &Ctx<'_>) -> Result<Vec<Finding>, String> {
    let v = ctx.version;
    let att = ctx.att();
    let Some(result) = &att.put_result else {
        return Ok(Vec::new());
    };
    let Ok(r) = CniResult::from_value(result, Some(v))
        .map_err(|e| e.to_string())
        .and_then(|r| r.to_v1().map_err(|e| e.to_string()))
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let want_addr = "10.99.0.5/24";
    match r.ips.iter().find(|ip| ip.address.to_string() == want_addr) {
        None => out.push(ctx.finding(
            "P-DELEG-9",
            Level::Should,
            format!("the result lacks the delegate's address {want_addr}"),
        )),
        Some(ip) => {
            if ip.gateway.map(|g| g.to_string()).as_deref() != Some("10.99.0.1") {
                out.push(ctx.finding(
                    "P-DELEG-9",
                    Level::Should,
                    "the result does not carry the delegate's gateway 10.99.0.1",
                ));
            }
            if v >= Version::V0_3_0 {
                let points_at_ifname = ip
                    .interface
                    .and_then(|i| usize::try_from(i).ok())
                    .and_then(|i| r.interfaces.get(i))
                    .is_some_and(|iface| iface.name == att.ifname);
                if !points_at_ifname {
                    out.push(ctx.finding(
                        "P-DELEG-9",
                        Level::Should,
                        format!(
                            "the delegate's address does not point at interface {}",
                            att.ifname
                        ),
                    ));
                }
            }
        }
    }
    if !r.dns.nameservers.iter().any(|n| n == "10.99.0.1") {
        out.push(ctx.finding(
            "P-DELEG-9",
            Level::Should,
            "the result does not carry the delegate's DNS",
        ));
    }
    Ok(out)
}

/// The stub's canned IPAM result at `version`: abbreviated (P-DELEG-8).
pub fn canned_result(version: Version) -> Value {
    let v1 = serde_json::json!({
        "cniVersion": "1.0.0",
        "ips": [{"address": "10.99.0.5/24", "gateway": "10.99.0.1"}],
        "routes": [{"dst": "0.0.0.0/0", "gw": "10.99.0.1"}],
        "dns": {"nameservers": ["10.99.0.1"]}
    });
    match CniResult::from_value(&v1, None).and_then(|r| {
        r.convert(version)
            .map_err(|e| crate::spec::result::ParseError::Shape(e.to_string()))
    }) {
        Ok(r) => r.to_value(),
        Err(_) => v1,
    }
}

/// The IPAM stub's script for a case at `version`: the canned result on
/// ADD, plain success otherwise, a token on stderr every time; then the
/// case's own replies (`[stub.CHECK]` ...).
pub fn stub_script(
    version: Version,
    overrides: &std::collections::BTreeMap<String, Reply>,
) -> Vec<(String, Reply)> {
    let mut script: Vec<(String, Reply)> = vec![
        (
            "ADD".to_owned(),
            Reply {
                stdout: Some(canned_result(version)),
                stderr: Some(format!("{STDERR_TOKEN}\n")),
                ..Reply::default()
            },
        ),
        (
            "*".to_owned(),
            Reply {
                stderr: Some(format!("{STDERR_TOKEN}\n")),
                ..Reply::default()
            },
        ),
    ];
    for (command, reply) in overrides {
        script.retain(|(c, _)| c != command);
        script.push((command.clone(), reply.clone()));
    }
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_results_per_version() {
        assert!(canned_result(Version::V0_2_0).get("ip4").is_some());
        assert_eq!(canned_result(Version::V0_4_0)["ips"][0]["version"], "4");
        assert!(
            canned_result(Version::V1_1_0)["ips"][0]
                .get("version")
                .is_none()
        );
    }
}
