//! Writing the answer: exactly one JSON value on stdout (a result, a VERSION
//! answer or an error object) or nothing, diagnostics on stderr, and the
//! exit status (P-IO-1, F-ERR-1, F-ERR-2). The switches that spoil output
//! act here, in one place.

use std::io::{self, Write};

use cnitest::spec::{Command, ErrorObject, Version};
use serde_json::Value;

use super::plugin::PluginKind;
use crate::error::PluginError;
use crate::faults::{Fault, Faults};

/// What a request came to.
#[derive(Debug)]
pub enum Reply {
    /// An ADD result, already in the requested version.
    Result(Value),
    /// The VERSION answer.
    Version(Value),
    /// Success with nothing to print (DEL, CHECK, STATUS, GC).
    Done,
    /// A JSON value printed where nothing should be (a fault switch).
    Stray(Value),
    Error(PluginError),
}

/// A reply and what is needed to write it.
#[derive(Debug)]
pub struct Outcome {
    pub command: Option<Command>,
    /// The `cniVersion` error objects carry: the request's own spelling.
    pub cni_version: String,
    pub faults: Faults,
    /// Set when a fault switch made us serve a version we do not support:
    /// the result then claims the version that was asked for.
    pub accepted_unsupported: Option<String>,
    pub reply: Reply,
}

/// Writes `outcome` and returns the exit status.
pub fn emit(
    outcome: Outcome,
    kind: PluginKind,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    match write(outcome, kind, stdout, stderr) {
        Ok(status) => status,
        Err(e) => {
            let _ = writeln!(stderr, "{}: failed to write the answer: {e}", kind.name());
            1
        }
    }
}

fn write(
    outcome: Outcome,
    kind: PluginKind,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> io::Result<u8> {
    let Outcome {
        command,
        cni_version,
        faults,
        accepted_unsupported,
        reply,
    } = outcome;
    let command_name = command.map_or("request", Command::as_str);
    if faults.has(Fault::StdoutLogLine) {
        writeln!(stdout, "{}: handling {command_name}", kind.name())?;
    }
    if faults.has(Fault::StdoutHuge) && command == Some(Command::Add) {
        write_huge_log(stdout, kind)?;
    }
    match reply {
        Reply::Result(mut result) => {
            if let Some(asked) = accepted_unsupported {
                result["cniVersion"] = Value::String(asked);
            }
            spoil_result(&mut result, &faults);
            print_json(stdout, &result)?;
            Ok(0)
        }
        Reply::Version(answer) | Reply::Stray(answer) => {
            print_json(stdout, &answer)?;
            Ok(0)
        }
        Reply::Done => Ok(0),
        Reply::Error(err) => {
            writeln!(stderr, "{}: {command_name}: {err}", kind.name())?;
            let object = error_object(&err, &cni_version, &faults);
            let value = serde_json::to_value(&object).unwrap_or(Value::Null);
            if faults.has(Fault::ErrorOnStderr) {
                print_json(stderr, &value)?;
            } else {
                print_json(stdout, &value)?;
            }
            Ok(if faults.has(Fault::ErrorExitZero) {
                0
            } else {
                1
            })
        }
    }
}

/// The error object, as the error-format switches spoil it.
fn error_object(err: &PluginError, cni_version: &str, faults: &Faults) -> ErrorObject {
    let mut object = err.to_object(cni_version);
    if faults.has(Fault::ErrorUnsupportedVersionCode)
        && matches!(err, PluginError::IncompatibleVersion { .. })
    {
        object.code = 7;
    }
    if faults.has(Fault::EnvErrorUnnamed) && matches!(err, PluginError::Environment { .. }) {
        object.msg = "invalid environment".to_owned();
        object.details = None;
    }
    if faults.has(Fault::ErrorReservedCode) {
        object.code = 42;
    }
    if faults.has(Fault::ErrorNoCniVersion) {
        object.cni_version = None;
    }
    object
}

/// The result-format switches: each spoils one thing of an ADD result.
fn spoil_result(result: &mut Value, faults: &Faults) {
    if faults.has(Fault::ResultWrongVersion) {
        let other = result["cniVersion"]
            .as_str()
            .and_then(Version::from_exact)
            .map(sibling_version);
        if let Some(other) = other {
            result["cniVersion"] = Value::String(other.as_str().to_owned());
        }
    }
    let interface_count = result
        .get("interfaces")
        .and_then(Value::as_array)
        .map(Vec::len);
    if let Some(ips) = result.get_mut("ips").and_then(Value::as_array_mut) {
        for ip in ips.iter_mut().filter_map(Value::as_object_mut) {
            if faults.has(Fault::ResultNoIpVersion) {
                ip.remove("version");
            }
            if let (true, Some(count)) = (
                faults.has(Fault::ResultInterfaceOutOfRange),
                interface_count,
            ) {
                ip.insert("interface".to_owned(), Value::from(count));
            }
            if faults.has(Fault::ResultAddressNotCidr) {
                strip_prefix(ip.get_mut("address"));
            }
        }
    }
    if faults.has(Fault::ResultAddressNotCidr) {
        for family in ["ip4", "ip6"] {
            strip_prefix(result.get_mut(family).and_then(|ip| ip.get_mut("ip")));
        }
    }
    if faults.has(Fault::ResultWrongMac) {
        if let Some(interfaces) = result.get_mut("interfaces").and_then(Value::as_array_mut) {
            for interface in interfaces.iter_mut().filter(|i| i.get("sandbox").is_some()) {
                if let Some(Value::String(mac)) = interface.get_mut("mac") {
                    *mac = other_mac(mac);
                }
            }
        }
    }
}

/// Another version with the same result shape, so that only the label lies.
fn sibling_version(v: Version) -> Version {
    match v {
        Version::V0_1_0 => Version::V0_2_0,
        Version::V0_2_0 => Version::V0_1_0,
        Version::V0_3_0 | Version::V0_4_0 => Version::V0_3_1,
        Version::V0_3_1 => Version::V0_4_0,
        Version::V1_0_0 => Version::V1_1_0,
        Version::V1_1_0 => Version::V1_0_0,
    }
}

fn strip_prefix(address: Option<&mut Value>) {
    if let Some(Value::String(text)) = address {
        if let Some((ip, _)) = text.split_once('/') {
            *text = ip.to_owned();
        }
    }
}

/// The MAC with its last octet changed.
fn other_mac(mac: &str) -> String {
    match mac.rsplit_once(':') {
        Some((head, last)) => {
            let octet = u8::from_str_radix(last, 16).unwrap_or(0) ^ 0x01;
            format!("{head}:{octet:02x}")
        }
        None => mac.to_owned(),
    }
}

fn print_json(out: &mut dyn Write, value: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    out.flush()
}

/// 50 MiB of log lines, more than any runtime should buffer.
fn write_huge_log(out: &mut dyn Write, kind: PluginKind) -> io::Result<()> {
    let line = format!("{}: debug: {}\n", kind.name(), "x".repeat(1000));
    let chunk = line.repeat(64);
    let total = 50 * 1024 * 1024;
    let mut written = 0;
    while written < total {
        out.write_all(chunk.as_bytes())?;
        written += chunk.len();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn faults(list: &[Fault]) -> Faults {
        list.iter().copied().collect()
    }

    fn outcome(reply: Reply, faults: Faults) -> Outcome {
        Outcome {
            command: Some(Command::Add),
            cni_version: "0.4.0".to_owned(),
            faults,
            accepted_unsupported: None,
            reply,
        }
    }

    fn run(o: Outcome) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = emit(o, PluginKind::Interface, &mut out, &mut err);
        (
            status,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn errors_go_to_stdout_with_version_and_exit_1() {
        let (status, out, err) = run(outcome(
            Reply::Error(PluginError::Decode("x".to_owned())),
            Faults::none(),
        ));
        assert_eq!(status, 1);
        let v: Value = serde_json::from_str(&out).unwrap();
        // 0.4.0 defines no code 6 (F-ERR-4): ours, 120 + 6.
        assert_eq!(v["code"], 126);
        assert_eq!(v["cniVersion"], "0.4.0");
        assert!(
            err.contains("cni-reference: ADD: failed to decode"),
            "{err}"
        );
    }

    #[test]
    fn error_switches() {
        let err = || Reply::Error(PluginError::Decode("x".to_owned()));
        let (status, out, _) = run(outcome(err(), faults(&[Fault::ErrorExitZero])));
        assert_eq!(status, 0);
        assert!(!out.is_empty());
        let (_, out, stderr) = run(outcome(err(), faults(&[Fault::ErrorOnStderr])));
        assert!(out.is_empty());
        assert!(stderr.contains("\"code\""), "{stderr}");
        let (_, out, _) = run(outcome(
            err(),
            faults(&[Fault::ErrorReservedCode, Fault::ErrorNoCniVersion]),
        ));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["code"], 42);
        assert!(v.get("cniVersion").is_none());
    }

    #[test]
    fn result_switches() {
        let result = json!({"cniVersion": "0.4.0",
            "interfaces": [{"name": "eth0", "mac": "02:00:00:00:00:10", "sandbox": "/run/netns/c"}],
            "ips": [{"version": "4", "interface": 0, "address": "10.1.0.2/24"}]});
        let all = faults(&[
            Fault::ResultWrongVersion,
            Fault::ResultNoIpVersion,
            Fault::ResultInterfaceOutOfRange,
            Fault::ResultAddressNotCidr,
            Fault::ResultWrongMac,
        ]);
        let (_, out, _) = run(outcome(Reply::Result(result), all));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v,
            json!({"cniVersion": "0.3.1",
                "interfaces": [{"name": "eth0", "mac": "02:00:00:00:00:11", "sandbox": "/run/netns/c"}],
                "ips": [{"interface": 1, "address": "10.1.0.2"}]})
        );
    }

    #[test]
    fn log_line_pollutes_stdout() {
        let (_, out, _) = run(outcome(Reply::Done, faults(&[Fault::StdoutLogLine])));
        assert!(out.starts_with("cni-reference: handling ADD"), "{out}");
    }
}
