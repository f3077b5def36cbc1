//! The skeleton's main line: read stdin and the environment, negotiate the
//! version, call the plugin's function for the command, write the answer.

use std::io::{self, Read};
use std::process::ExitCode;

use cnitest::spec::names::is_identifier;
use cnitest::spec::{Command, Version};
use serde_json::{Map, Value, json};

use super::env;
use super::express::express;
use super::input::Input;
use super::negotiate::negotiate;
use super::output::{Outcome, Reply, emit};
use super::plugin::{AddOutput, Plugin};
use super::request::Request;
use super::traps;
use crate::error::{EnvProblem, PluginError};
use crate::faults::{Fault, Faults};

/// The whole life of a plugin process: what `main` calls.
pub fn main<P: Plugin>(plugin: &P) -> ExitCode {
    let mut stdin = Vec::new();
    let read = io::stdin().lock().read_to_end(&mut stdin).map(|_| stdin);
    let var = |name: &str| std::env::var(name).ok();
    let outcome = run(plugin, &var, read);
    let status = emit(
        outcome,
        P::KIND,
        &mut io::stdout().lock(),
        &mut io::stderr().lock(),
    );
    ExitCode::from(status)
}

/// Serves one request; `var` reads the environment and `stdin` is what was
/// read from standard input.
pub fn run<P: Plugin>(
    plugin: &P,
    var: &dyn Fn(&str) -> Option<String>,
    stdin: io::Result<Vec<u8>>,
) -> Outcome {
    let latest = plugin
        .supported_versions()
        .last()
        .copied()
        .unwrap_or(Version::LATEST);
    let mut outcome = Outcome {
        command: None,
        cni_version: latest.as_str().to_owned(),
        faults: Faults::none(),
        accepted_unsupported: None,
        reply: Reply::Done,
    };
    let stdin = match stdin {
        Ok(bytes) => bytes,
        Err(e) => return outcome.fail(PluginError::Stdin(e)),
    };
    let input = Input::decode(&stdin);
    // Errors carry the version the request named (F-ERR-3), even one we do
    // not support; a configuration without one is read as 0.1.0.
    match (&input, input.cni_version()) {
        (_, Some(asked)) => outcome.cni_version = asked.to_owned(),
        (Input::Object(map), None) if !map.contains_key("cniVersion") => {
            outcome.cni_version = Version::V0_1_0.as_str().to_owned();
        }
        _ => {}
    }
    // Switches are read first, so that they shape even the earliest errors.
    if let Some(config) = input.object() {
        match Faults::from_config(config, P::KIND) {
            Ok(faults) => outcome.faults = faults,
            Err(e) => return outcome.fail(e),
        }
    }

    let command = match var("CNI_COMMAND").filter(|c| !c.is_empty()) {
        None => {
            return outcome.fail(PluginError::Environment {
                problems: vec![EnvProblem::missing("CNI_COMMAND")],
            });
        }
        // CNI_COMMAND is upper case on the wire; FromStr also takes "add".
        Some(word) => match word.parse::<Command>() {
            Ok(command) if command.as_str() == word => command,
            _ if outcome.faults.has(Fault::UnknownCommandOk) => return outcome,
            _ => return outcome.fail(PluginError::UnknownCommand(word)),
        },
    };
    outcome.command = Some(command);

    if command == Command::Version {
        return match version_answer(&input, plugin.supported_versions(), &outcome.faults) {
            Ok(answer) => outcome.with(Reply::Version(answer)),
            Err(e) => outcome.fail(e),
        };
    }

    let config = match input {
        Input::Object(config) => config,
        Input::Empty => return outcome.fail(PluginError::Decode("stdin is empty".to_owned())),
        Input::Undecodable(why) => return outcome.fail(PluginError::Decode(why)),
    };
    if let Err(e) = check_name(&config) {
        return outcome.fail(e);
    }
    let negotiated = match negotiate(
        &config,
        command,
        plugin.supported_versions(),
        &outcome.faults,
    ) {
        Ok(n) => n,
        Err(e) => return outcome.fail(e),
    };
    outcome.accepted_unsupported = negotiated.accepted_unsupported;
    let env = match env::read(command, P::KIND, var, &outcome.faults) {
        Ok(env) => env,
        Err(e) => return outcome.fail(e),
    };
    traps::spring(command, &config, &outcome.faults);

    let request = Request {
        command,
        version: negotiated.version,
        env,
        config,
        stdin,
        faults: outcome.faults.clone(),
    };
    let reply = match call(plugin, &request) {
        Ok(reply) => reply,
        Err(e) => Reply::Error(e),
    };
    outcome.with(reply)
}

fn call<P: Plugin>(plugin: &P, req: &Request) -> Result<Reply, PluginError> {
    Ok(match req.command {
        Command::Add => Reply::Result(match plugin.add(req)? {
            AddOutput::Built(result) => express(result, req.version)?,
            AddOutput::Json(value) => value,
        }),
        Command::Del => {
            if req.has(Fault::DelNeedsPrevResult)
                && req.version.has_del_prev_result()
                && req.prev_result_value().is_none()
            {
                return Err(PluginError::Injected(
                    "DEL cannot clean up without prevResult".to_owned(),
                ));
            }
            plugin.del(req)?;
            Reply::Done
        }
        Command::Check => {
            if req.has(Fault::CheckCrashes) {
                crash();
            }
            if !req.has(Fault::CheckAlwaysOk) {
                plugin.check(req)?;
            }
            match (req.has(Fault::CheckPrintsResult), req.prev_result_value()) {
                (true, Some(prev)) => Reply::Stray(prev.clone()),
                (true, None) => Reply::Stray(json!({})),
                (false, _) => Reply::Done,
            }
        }
        Command::Status => {
            plugin.status(req)?;
            Reply::Done
        }
        Command::Gc => {
            plugin.gc(req)?;
            Reply::Done
        }
        Command::Version => unreachable!("VERSION is answered before a request is built"),
    })
}

/// The VERSION answer: the `cniVersion` asked for, echoed (P-VER-2), and
/// every version we serve. An empty stdin is tolerated (P-VER-3).
fn version_answer(
    input: &Input,
    supported: &'static [Version],
    faults: &Faults,
) -> Result<Value, PluginError> {
    let latest = supported.last().copied().unwrap_or(Version::LATEST);
    let echoed = match input {
        Input::Empty => latest.as_str().to_owned(),
        Input::Undecodable(why) => return Err(PluginError::Decode(why.clone())),
        Input::Object(map) => match map.get("cniVersion") {
            None => latest.as_str().to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(PluginError::Decode(format!(
                    "cniVersion: {other} is not a string"
                )));
            }
        },
    };
    let answered = if faults.has(Fault::VersionNoEcho) {
        // Our own newest version, or the one below it if that was asked.
        let own = if echoed == latest.as_str() {
            supported.iter().rev().nth(1).copied().unwrap_or(latest)
        } else {
            latest
        };
        own.as_str().to_owned()
    } else {
        echoed
    };
    let versions: Vec<&str> = supported.iter().map(|v| v.as_str()).collect();
    Ok(json!({"cniVersion": answered, "supportedVersions": versions}))
}

/// The network name keys state on disk, so it must be a safe identifier
/// (F-CONF-3); pkg/skel checks it too (L-SKEL-3).
fn check_name(config: &Map<String, Value>) -> Result<(), PluginError> {
    match config.get("name") {
        None => Err(PluginError::config("name", "missing")),
        Some(Value::String(name)) if is_identifier(name) => Ok(()),
        Some(Value::String(name)) => Err(PluginError::config(
            "name",
            format!(
                "{name:?} must start with a letter or digit, followed by letters, digits, '_', '.' or '-'"
            ),
        )),
        Some(other) => Err(PluginError::config(
            "name",
            format!("{other} is not a string"),
        )),
    }
}

/// The `check-crashes` switch: death by SIGSEGV.
fn crash() -> ! {
    use nix::sys::signal::{SigHandler, Signal, raise, signal};
    // The Rust runtime handles SIGSEGV to report stack overflows; the
    // default action is wanted here.
    // SAFETY: no handler is installed, the default disposition is restored.
    let _ = unsafe { signal(Signal::SIGSEGV, SigHandler::SigDfl) };
    let _ = raise(Signal::SIGSEGV);
    std::process::abort()
}

impl Outcome {
    fn fail(self, err: PluginError) -> Outcome {
        self.with(Reply::Error(err))
    }

    fn with(mut self, reply: Reply) -> Outcome {
        self.reply = reply;
        self
    }
}
