//! `cnitest exec`: a CNI runtime on the command line.

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value, json};

use super::args::{ExecArgs, ExecCommand};
use super::exit;
use super::fail::{self, Fail, usage};
use super::netns;
use crate::runtime::call::{Call, PluginFailure};
use crate::runtime::env::{parse_cni_args, split_paths};
use crate::runtime::load::{LoadError, load_by_name, load_file};
use crate::runtime::{Attachment, GcAttachment, ListError, Runtime};
use crate::spec::names::{interface_name_problem, is_identifier};
use crate::spec::{ErrorObject, NetworkConfig, Version, WellKnown};

pub fn run(args: &ExecArgs) -> i32 {
    fail::finish("exec", exec(args))
}

fn exec(args: &ExecArgs) -> Result<i32, Fail> {
    let network = load_network(args)?;
    for lint in network.lints() {
        eprintln!("cnitest exec: warning: {lint}");
    }
    let runtime = build_runtime(args)?;
    let mut trace = Vec::new();
    let outcome = match args.command {
        ExecCommand::Version => return Ok(version(&runtime, &network, &mut trace, args.verbose)),
        ExecCommand::Status => runtime.status(&network, &mut trace).map(|()| None),
        ExecCommand::Gc => {
            let valid = valid_attachments(args, &runtime, &network)?;
            runtime.gc(&network, &valid, &mut trace).map(|()| None)
        }
        ExecCommand::Add | ExecCommand::Check | ExecCommand::Del => {
            return attachment_command(args, &runtime, &network, &mut trace);
        }
    };
    finish(outcome, &trace, args.verbose)
}

fn attachment_command(
    args: &ExecArgs,
    runtime: &Runtime,
    network: &NetworkConfig,
    trace: &mut Vec<Call>,
) -> Result<i32, Fail> {
    let command = args.command;
    if args.new_netns && command != ExecCommand::Add {
        return Err(usage(
            "--new-netns is for add; give the namespace it made to check and del with --netns",
        ));
    }
    let container_id = match (&args.container_id, &args.netns) {
        (Some(id), _) => id.clone(),
        (None, Some(netns)) => derived_container_id(netns),
        (None, None) if args.new_netns => {
            return Err(usage(
                "--new-netns needs --container-id (the namespace is named after it)",
            ));
        }
        (None, None) => return Err(usage("--container-id is needed when there is no --netns")),
    };
    // R-ENV-4: a runtime only ever sends valid container ids.
    if !is_identifier(&container_id) {
        return Err(usage(format!(
            "--container-id {container_id:?}: must start with a letter or digit, followed by letters, digits, '_', '.' or '-'"
        )));
    }
    if command == ExecCommand::Add {
        // L-VAL-2: libcni validates these on ADD.
        if let Some(problem) = interface_name_problem(&args.ifname) {
            return Err(usage(format!("--ifname {:?} {problem}", args.ifname)));
        }
        if network.version().is_some_and(|v| v >= Version::V1_0_0) && !is_identifier(&network.name)
        {
            return Err(usage(format!(
                "network name {:?} has characters the spec does not allow (F-CONF-3)",
                network.name
            )));
        }
    }
    // Read before a namespace is made, so that a typo leaves nothing behind.
    let cni_args = match &args.cni_args {
        Some(s) => Some(parse_cni_args(s).map_err(|e| usage(format!("--cni-args: {e}")))?),
        None => None,
    };
    let capability_args = match &args.capability_args {
        Some(s) => Some(parse_capability_args(s)?),
        None => None,
    };
    let netns = match (&args.netns, args.new_netns) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => {
            let path = netns::pinned_path(&container_id);
            netns::create(&path).map_err(|e| {
                let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
                    "; exec acts on the machine's own namespaces, as cnitool does: run it as root (sudo)"
                } else {
                    ""
                };
                Fail(
                    exit::SETUP,
                    format!("creating network namespace {}: {e}{hint}", path.display()),
                )
            })?;
            eprintln!("cnitest exec: created network namespace {}", path.display());
            Some(path)
        }
        (None, false) if command == ExecCommand::Del => None,
        (None, false) => {
            return Err(usage(format!(
                "{} needs --netns PATH or --new-netns",
                command.command()
            )));
        }
    };
    if let Some(path) = &netns
        && command != ExecCommand::Del
        && !path.exists()
    {
        return Err(usage(format!(
            "--netns {}: no such namespace",
            path.display()
        )));
    }
    let mut attachment = Attachment::new(container_id, netns.as_deref(), args.ifname.clone());
    if let Some(parsed) = cni_args {
        attachment.cni_args = parsed;
    }
    if let Some(parsed) = capability_args {
        attachment.capability_args = parsed;
    }
    let outcome = match command {
        ExecCommand::Add => {
            let added = runtime.add(network, &attachment, trace);
            if let Err(e) = &added
                && !args.no_cleanup
                && !e.is_harness_failure()
            {
                // R-CHAIN-3: a runtime runs DEL after a failed ADD.
                eprintln!("cnitest exec: ADD failed; running DEL to clean up (R-CHAIN-3)");
                if let Err(del) = runtime.del_after_failed_add(network, &attachment, trace) {
                    eprintln!("cnitest exec: the clean-up DEL failed too: {del}");
                }
            }
            // A namespace made for an ADD that failed holds nothing anyone can use.
            if added.is_err()
                && args.new_netns
                && let Some(path) = &netns
            {
                match netns::delete(path) {
                    Ok(()) => {
                        eprintln!("cnitest exec: removed network namespace {}", path.display())
                    }
                    Err(e) => eprintln!(
                        "cnitest exec: removing network namespace {}: {e}",
                        path.display()
                    ),
                }
            }
            added.map(Some)
        }
        ExecCommand::Check => runtime.check(network, &attachment, trace).map(|()| None),
        _ => runtime.del(network, &attachment, trace).map(|()| None),
    };
    let deleted = command == ExecCommand::Del && outcome.is_ok();
    let code = finish(outcome, trace, args.verbose)?;
    if deleted
        && args.delete_netns
        && let Some(path) = &netns
    {
        netns::delete(path).map_err(|e| {
            Fail(
                exit::SETUP,
                format!("deleting network namespace {}: {e}", path.display()),
            )
        })?;
    }
    Ok(code)
}

fn finish(
    outcome: Result<Option<Value>, ListError>,
    trace: &[Call],
    verbose: bool,
) -> Result<i32, Fail> {
    if verbose {
        print_trace(trace);
    }
    match outcome {
        Ok(Some(result)) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&result).unwrap_or_default()
            );
            Ok(exit::OK)
        }
        Ok(None) => Ok(exit::OK),
        Err(e) => {
            let code = exit_code(&e);
            eprintln!("{}", describe(&e));
            Ok(code)
        }
    }
}

fn exit_code(e: &ListError) -> i32 {
    match e {
        ListError::Plugin { .. } | ListError::Convert(_) => exit::FAILED,
        ListError::Find { .. }
        | ListError::NotAdded { .. }
        | ListError::VersionTooOld { .. }
        | ListError::UnknownVersion(_) => exit::USAGE,
        ListError::Invoke { error, .. } if error.is_missing_program() => exit::USAGE,
        ListError::Invoke { .. } | ListError::Cache(_) => exit::SETUP,
        ListError::Several(all) => all.iter().map(exit_code).max().unwrap_or(exit::FAILED),
    }
}

/// A failure as the user reads it: for a plugin's error object, every field.
fn describe(e: &ListError) -> String {
    match e {
        ListError::Plugin {
            index,
            plugin,
            command,
            failure: PluginFailure::Error(err),
        } => describe_error_object(*index, plugin, *command, err),
        ListError::Several(all) => all.iter().map(describe).collect::<Vec<_>>().join("\n"),
        other => format!("cnitest exec: {other}"),
    }
}

fn describe_error_object(
    index: usize,
    plugin: &str,
    command: crate::spec::Command,
    err: &ErrorObject,
) -> String {
    let meaning = WellKnown::from_code(err.code)
        .map(|w| format!(" ({})", w.meaning()))
        .unwrap_or_default();
    let mut text = format!(
        "cnitest exec: plugin {plugin:?} (plugins[{index}]) failed {command}\n  code:    {}{meaning}\n  msg:     {}",
        err.code, err.msg
    );
    if let Some(d) = &err.details {
        text.push_str(&format!("\n  details: {d}"));
    }
    text
}

fn print_trace(trace: &[Call]) {
    let mut err = std::io::stderr().lock();
    for call in trace {
        let env: Vec<String> = call
            .env
            .iter()
            .filter(|(k, _)| k.starts_with("CNI_"))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let _ = writeln!(
            err,
            "-> {} {} ({})",
            call.command,
            call.plugin,
            call.program.display()
        );
        let _ = writeln!(err, "   env:    {}", env.join(" "));
        let _ = writeln!(err, "   stdin:  {}", String::from_utf8_lossy(&call.stdin));
        let _ = writeln!(
            err,
            "<- {} in {} ms",
            call.outcome.termination,
            call.outcome.duration.as_millis()
        );
        if !call.outcome.stdout.bytes.is_empty() {
            let _ = writeln!(err, "   stdout: {}", call.outcome.stdout.text().trim_end());
        }
        if !call.outcome.stderr.bytes.is_empty() {
            let _ = writeln!(err, "   stderr: {}", call.outcome.stderr.text().trim_end());
        }
    }
}

fn version(
    runtime: &Runtime,
    network: &NetworkConfig,
    trace: &mut Vec<Call>,
    verbose: bool,
) -> i32 {
    let probes = runtime.probe(network, trace);
    if verbose {
        print_trace(trace);
    }
    let probes = match probes {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}", describe(&e));
            return exit_code(&e);
        }
    };
    let mut all_ok = true;
    let report: Vec<Value> = probes
        .iter()
        .map(|p| {
            all_ok &= p.info.is_ok() && p.supports_list_version;
            match &p.info {
                Ok(info) => json!({
                    "plugin": p.plugin,
                    "cniVersion": info.cni_version,
                    "supportedVersions": info.supported_versions,
                    "supportsListVersion": p.supports_list_version,
                }),
                Err(why) => json!({"plugin": p.plugin, "error": why, "supportsListVersion": p.supports_list_version}),
            }
        })
        .collect();
    for p in probes.iter().filter(|p| !p.supports_list_version) {
        eprintln!(
            "cnitest exec: plugin {:?} does not support the list's version {} (L-VAL-1)",
            p.plugin, network.cni_version
        );
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    if all_ok { exit::OK } else { exit::FAILED }
}

fn load_network(args: &ExecArgs) -> Result<NetworkConfig, Fail> {
    let loaded = match (&args.config, &args.network) {
        (Some(path), _) => load_file(path),
        (None, Some(name)) => load_by_name(&args.conf_dir, name),
        (None, None) => return Err(usage("give --config FILE or --network NAME")),
    };
    loaded.map_err(|e| match &e {
        LoadError::Io { .. } | LoadError::Invalid { .. } | LoadError::NoPlugins { .. }
            if args.config.is_some() =>
        {
            usage(format!("--config {e}"))
        }
        _ => usage(e.to_string()),
    })
}

fn build_runtime(args: &ExecArgs) -> Result<Runtime, Fail> {
    let timeout = fail::timeout(args.timeout)?;
    let mut runtime = Runtime::new(split_paths(&args.cni_path), args.cache_dir.clone());
    runtime.timeout = timeout;
    runtime.env_profile = args.env_profile;
    runtime.empty_runtime_config = args.empty_runtime_config;
    Ok(runtime)
}

fn parse_capability_args(s: &str) -> Result<Map<String, Value>, Fail> {
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(usage(format!(
            "--capability-args: {} is not a JSON object of capability names to values",
            crate::spec::error::short_json(&other)
        ))),
        Err(e) => Err(usage(format!("--capability-args: not valid JSON ({e})"))),
    }
}

fn valid_attachments(
    args: &ExecArgs,
    runtime: &Runtime,
    network: &NetworkConfig,
) -> Result<Vec<GcAttachment>, Fail> {
    if args.valid.is_empty() {
        return Ok(runtime
            .cache
            .attachments(&network.name)
            .into_iter()
            .map(|e| GcAttachment {
                container_id: e.container_id,
                ifname: e.if_name,
            })
            .collect());
    }
    args.valid
        .iter()
        .map(|v| match v.split_once('/') {
            Some((c, i)) if !c.is_empty() && !i.is_empty() => Ok(GcAttachment {
                container_id: c.to_owned(),
                ifname: i.to_owned(),
            }),
            _ => Err(usage(format!("--valid {v:?}: expected CONTAINERID/IFNAME"))),
        })
        .collect()
}

/// A stable id for a namespace path, as cnitool derives one, so that ADD
/// and DEL of the same namespace agree without being told.
fn derived_container_id(netns: &Path) -> String {
    format!(
        "cnitest-{:016x}",
        fnv1a(netns.as_os_str().as_encoded_bytes())
    )
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
