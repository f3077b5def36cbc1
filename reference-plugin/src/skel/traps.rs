//! Fault switches that take the whole process down: hangs and crashes.

use std::time::Duration;

use cnitest::spec::Command;
use serde_json::{Map, Value};

use crate::faults::{Fault, Faults};

/// Springs whichever trap the request's switches and values set off, before
/// the command runs. Returns only if none does.
pub fn spring(command: Command, config: &Map<String, Value>, faults: &Faults) {
    if faults.has(Fault::FuzzCrashLargeMtu)
        && config
            .get("mtu")
            .and_then(Value::as_f64)
            .is_some_and(|mtu| mtu > 9000.0)
    {
        std::process::abort();
    }
    if command != Command::Add {
        return;
    }
    if faults.has(Fault::AbortAdd) {
        std::process::abort();
    }
    if faults.has(Fault::HangAdd)
        || (faults.has(Fault::FuzzHangLongString)
            && has_long_string(&Value::Object(config.clone())))
    {
        hang();
    }
}

/// Any string, key or value, longer than 64 bytes.
fn has_long_string(value: &Value) -> bool {
    match value {
        Value::String(s) => s.len() > 64,
        Value::Array(items) => items.iter().any(has_long_string),
        Value::Object(map) => map.iter().any(|(k, v)| k.len() > 64 || has_long_string(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Sleeps forever, and so does a child that inherited stdout: killing only
/// this process leaves the runtime's read of stdout waiting for the child,
/// so a runtime has to kill the whole process group.
fn hang() -> ! {
    // SAFETY: the plugin is single-threaded here (no thread has been
    // started), so the child may run any code after fork.
    let _ = unsafe { nix::unistd::fork() };
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_strings_anywhere() {
        assert!(!has_long_string(&json!({"name": "net"})));
        assert!(has_long_string(&json!({"ipam": {"x": ["a".repeat(65)]}})));
        assert!(has_long_string(&json!({"k".repeat(65): 1})));
    }
}
