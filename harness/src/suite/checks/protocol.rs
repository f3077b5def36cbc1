//! What every call of the plugin under test must get right whatever the
//! case (it ends by exiting, stdout holds one JSON value, a failure carries
//! an error object), and the step's own expectations (success or error, the
//! code, the variables the message names).

use serde_json::Value;

use super::Ctx;
use crate::runtime::call::Call;
use crate::runtime::invoke::Termination;
use crate::runtime::output::Stdout;
use crate::spec::error::{CodeClass, ErrorObject, ErrorShapeProblem, WellKnown};
use crate::spec::rule::Level;
use crate::spec::{Command, Version};
use crate::suite::case::Expect;
use crate::suite::verdict::Finding;

/// Protocol rules every call must keep (P-IO-1, F-ERR-1, F-ERR-2).
pub fn protocol(ctx: &Ctx<'_>, call: &Call) -> Vec<Finding> {
    let v = ctx.version;
    let mut out = Vec::new();
    match call.outcome.termination {
        Termination::TimedOut => out.push(ctx.finding(
            ctx.rule(),
            Level::Must,
            format!(
                "{} did not finish within {:.1} s; its process group was killed",
                call.command,
                ctx.driver.runtime.timeout.as_secs_f64()
            ),
        )),
        Termination::Signaled { .. } => out.push(ctx.finding(
            "F-ERR-1",
            Level::Must,
            format!(
                "{} ended by {}, not by exiting",
                call.command, call.outcome.termination
            ),
        )),
        Termination::Exited(_) => {}
    }
    if let Stdout::Malformed(why) = &call.stdout {
        out.push(ctx.finding("P-IO-1", Level::Must.at(v), why.clone()));
    }
    match (call.outcome.termination, &call.stdout) {
        (Termination::Exited(0), Stdout::Json(value))
            if looks_like_error(value) && call.command != Command::Version =>
        {
            out.push(ctx.finding(
                "F-ERR-1",
                Level::Must,
                format!(
                    "{} printed an error object but exited 0: {}",
                    call.command,
                    compact(value)
                ),
            ));
        }
        (Termination::Exited(code), stdout) if code != 0 => {
            let has_object =
                matches!(stdout, Stdout::Json(v) if ErrorObject::from_value(v).is_ok());
            if !has_object {
                out.push(ctx.finding(
                    "F-ERR-2",
                    error_object_level(v),
                    format!(
                        "{} failed (exit status {code}) without an error object on stdout{}",
                        call.command,
                        stderr_hint(call)
                    ),
                ));
            }
        }
        _ => {}
    }
    out
}

/// F-ERR-2: MUST up to 0.4.0; 1.0.0 says "should output an error result".
fn error_object_level(v: Version) -> Level {
    if v >= Version::V1_0_0 {
        Level::Should
    } else {
        Level::Must.at(v)
    }
}

/// Catalogue 13.1: an error object on stderr conforms to the 1.x overview
/// but not to libcni, which reads stdout.
fn stderr_hint(call: &Call) -> String {
    let text = call.outcome.stderr.text();
    let on_stderr = serde_json::Deserializer::from_str(text.trim())
        .into_iter::<Value>()
        .filter_map(Result::ok)
        .any(|v| ErrorObject::from_value(&v).is_ok());
    if on_stderr {
        " (it printed one on stderr, where libcni does not look; catalogue 13.1)".to_owned()
    } else {
        String::new()
    }
}

fn looks_like_error(v: &Value) -> bool {
    v.get("code").is_some_and(Value::is_u64)
        && v.get("msg").is_some()
        && v.get("interfaces").is_none()
        && v.get("ips").is_none()
}

fn compact(v: &Value) -> String {
    crate::spec::error::short_json(v)
}

/// The step's expectations: success or error, the error code, the names
/// the message must carry.
pub fn expectations(ctx: &Ctx<'_>, call: &Call) -> Vec<Finding> {
    let step = ctx.step;
    let mut out = Vec::new();
    let succeeded = call.outcome.termination.success();
    let what = describe(call);
    match step.expect {
        Expect::Success if !succeeded => {
            out.push(ctx.finding(
                ctx.rule(),
                ctx.level(),
                format!("{} should succeed; {what}", call.command),
            ));
        }
        Expect::Error if succeeded => {
            out.push(ctx.finding(
                ctx.rule(),
                ctx.level(),
                format!("{} should fail; it succeeded (exit status 0)", call.command),
            ));
        }
        _ => {}
    }
    if succeeded || !matches!(step.expect, Expect::Error | Expect::Any) {
        return out;
    }
    let Stdout::Json(value) = &call.stdout else {
        return out;
    };
    let Ok((err, _)) = ErrorObject::from_value(value) else {
        return out;
    };
    if !step.codes.is_empty() && !step.codes.contains(&err.code) {
        let want: Vec<String> = step.codes.iter().map(|c| describe_code(*c)).collect();
        out.push(ctx.finding(
            "F-ERR-5",
            step.code_level.at(ctx.version),
            format!(
                "the error has code {}, expected {}: {}",
                describe_code(err.code),
                want.join(" or "),
                err.text()
            ),
        ));
    }
    let text = err.text();
    let missing: Vec<&str> = step
        .names
        .iter()
        .map(String::as_str)
        .filter(|n| !names(&text, n))
        .collect();
    if !missing.is_empty() {
        let rule = if step.names.iter().all(|n| n.starts_with("CNI_")) {
            "P-ENV-2"
        } else {
            "F-ERR-5"
        };
        out.push(ctx.finding(
            rule,
            Level::Must.at(ctx.version),
            format!(
                "the error message does not name {}: {:?}",
                missing.join(", "),
                text
            ),
        ));
    }
    out
}

/// Whether an error message names `name`: as written, or, for a `CNI_*`
/// variable, by the rest of its name in any case, as pkg/skel words it
/// ("invalid characters in containerID").
fn names(text: &str, name: &str) -> bool {
    text.contains(name)
        || name.strip_prefix("CNI_").is_some_and(|rest| {
            text.to_ascii_lowercase()
                .contains(&rest.to_ascii_lowercase())
        })
}

fn describe(call: &Call) -> String {
    match (&call.outcome.termination, &call.stdout) {
        (Termination::Exited(code), Stdout::Json(v)) => match ErrorObject::from_value(v) {
            Ok((e, _)) => format!("it failed with exit status {code}, error {e}"),
            Err(_) => format!("it exited {code}"),
        },
        (t, _) => format!("it ended with {t}"),
    }
}

fn describe_code(code: u64) -> String {
    match WellKnown::from_code(code) {
        Some(w) => format!("{code} ({})", w.meaning()),
        None => code.to_string(),
    }
}

/// The error object's fields (F-ERR-2), its `cniVersion` (F-ERR-3) and
/// whether its code is one the version defines (F-ERR-4).
pub fn error_object(ctx: &Ctx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let v = ctx.version;
    for (_, run) in ctx.runs {
        let Some(call) = &run.put else { continue };
        if call.outcome.termination.success() {
            continue;
        }
        let Stdout::Json(value) = &call.stdout else {
            continue;
        };
        let (err, problems) = match ErrorObject::from_value(value) {
            Ok(x) => x,
            Err(why) => {
                out.push(ctx.finding(
                    "F-ERR-2",
                    error_object_level(v),
                    format!("stdout is not an error object: {why}"),
                ));
                continue;
            }
        };
        for p in problems {
            match p {
                ErrorShapeProblem::MissingCniVersion => out.push(ctx.finding(
                    "F-ERR-3",
                    Level::Should,
                    "the error object has no cniVersion (known pkg/skel deviation: its error type has none; catalogue 13.3)",
                )),
                other => out.push(ctx.finding("F-ERR-2", error_object_level(v), other.to_string())),
            }
        }
        let asked = run
            .put_request
            .as_ref()
            .and_then(|r| r.get("cniVersion"))
            .and_then(Value::as_str);
        if let (Some(got), Some(asked)) = (&err.cni_version, asked)
            && got != asked
        {
            out.push(ctx.finding(
                "F-ERR-3",
                Level::Must.at(v),
                format!("the error object says cniVersion {got:?}; the request was {asked:?}"),
            ));
        }
        let reserved = match err.class(v) {
            CodeClass::Reserved => {
                Some("is in the reserved range 1-99 and defined by no spec version")
            }
            CodeClass::FromLaterVersion(_) => Some("is defined only by a later spec version"),
            CodeClass::LibraryInvalidNetns => {
                Some("is libcni's ErrInvalidNetNS, which no spec defines (catalogue 13.10)")
            }
            CodeClass::LibraryUnknown => Some("is 0, which means success"),
            CodeClass::WellKnown(_) | CodeClass::PluginSpecific => None,
        };
        if let Some(why) = reserved {
            // F-ERR-4 is a MUST NOT in 0.4.0 only; other versions describe it.
            let level = if v == Version::V0_4_0 || err.code == 0 {
                Level::Must
            } else {
                Level::Info
            };
            out.push(ctx.finding("F-ERR-4", level, format!("code {} {why}", err.code)));
        }
    }
    out
}
