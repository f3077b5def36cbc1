//! Running a delegated plugin (IPAM) the way section 4 of the spec says:
//! found in `CNI_PATH` (P-DELEG-2), run with our environment but for
//! `CNI_COMMAND` (P-DELEG-3), fed the configuration we received, unchanged
//! (P-DELEG-4), its stderr passed through to ours (P-DELEG-5).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use cnitest::spec::result::Result100;
use cnitest::spec::{CniResult, Command, ErrorObject};
use serde_json::Value;

use crate::error::{DelegateError, PluginError};
use crate::faults::Fault;
use crate::skel::Request;

/// A delegated plugin, found.
#[derive(Debug, Clone)]
pub struct Delegate {
    name: String,
    exe: PathBuf,
    stdin: Vec<u8>,
    swallow_stderr: bool,
}

impl Delegate {
    /// Finds `name` in the request's `CNI_PATH`: the first directory that
    /// holds a regular file of that name wins, as in libcni.
    pub fn find(name: &str, req: &Request) -> Result<Delegate, PluginError> {
        let exe = req
            .env
            .path
            .iter()
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
            .ok_or_else(|| DelegateError::NotFound {
                plugin: name.to_owned(),
                path: req.env.path.clone(),
            })?;
        Ok(Delegate {
            name: name.to_owned(),
            exe,
            stdin: req.stdin.clone(),
            swallow_stderr: req.has(Fault::DelegateStderrSwallowed),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn exe(&self) -> &Path {
        &self.exe
    }

    /// Runs ADD and reads the result in 1.1.0 terms.
    pub fn add(&self, req: &Request) -> Result<Result100, PluginError> {
        let stdout = self.run(Command::Add)?;
        let bad = |message: String| DelegateError::BadOutput {
            plugin: self.name.clone(),
            command: Command::Add,
            message,
        };
        let value: Value = serde_json::from_slice(&stdout).map_err(|e| bad(e.to_string()))?;
        let result =
            CniResult::from_value(&value, Some(req.version)).map_err(|e| bad(e.to_string()))?;
        Ok(result.to_v1()?)
    }

    /// Runs a command that prints nothing on success: DEL, CHECK, STATUS, GC.
    pub fn call(&self, command: Command) -> Result<(), PluginError> {
        self.run(command).map(drop)
    }

    /// Runs the delegate with `command`, returning its stdout on success and
    /// its error object (code included) on failure.
    fn run(&self, command: Command) -> Result<Vec<u8>, PluginError> {
        let spawn_error = |source| DelegateError::Spawn {
            plugin: self.name.clone(),
            source,
        };
        let mut child = Process::new(&self.exe)
            .env("CNI_COMMAND", command.as_str())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if self.swallow_stderr {
                Stdio::null()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .map_err(spawn_error)?;
        // Written from a thread: a delegate that answers before it has read
        // everything must not leave both of us waiting on full pipes.
        let writer = child.stdin.take().map(|mut pipe| {
            let bytes = self.stdin.clone();
            std::thread::spawn(move || pipe.write_all(&bytes))
        });
        let output = child.wait_with_output().map_err(spawn_error)?;
        if let Some(writer) = writer {
            // A delegate that exits without reading stdin closes the pipe
            // early; its exit status tells what happened.
            let _ = writer.join();
        }
        if output.status.success() {
            return Ok(output.stdout);
        }
        let error = serde_json::from_slice::<Value>(&output.stdout)
            .ok()
            .and_then(|v| ErrorObject::from_value(&v).ok())
            .map(|(error, _)| error);
        Err(match error {
            Some(error) => DelegateError::Failed {
                plugin: self.name.clone(),
                error,
            },
            None => DelegateError::FailedSilently {
                plugin: self.name.clone(),
                status: output.status.to_string(),
            },
        }
        .into())
    }
}
