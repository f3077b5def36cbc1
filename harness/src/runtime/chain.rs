//! Running a network configuration list as a CNI runtime must: ADD in order
//! threading each result into the next `prevResult`, DEL in reverse with the
//! cached result, CHECK in order, GC to every plugin, STATUS, and VERSION
//! probing (R-CHAIN-*, R-CHECK-*, R-DEL-*, R-GC-*).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::cache::{Cache, CacheEntry, CacheError};
use super::call::{Answer, Call, PluginFailure};
use super::env::{Attachment, EnvProfile, environment};
use super::find::{FindError, find_plugin};
use super::invoke::{DEFAULT_OUTPUT_LIMIT, Invocation, InvokeError, Namespaces, invoke};
use super::request::{self, EmptyRuntimeConfig, GcAttachment, RequestParts};
use crate::spec::result::{ConvertError, ParseError};
use crate::spec::{CniResult, Command, NetworkConfig, Version, VersionInfo};

/// A CNI runtime.
#[derive(Debug, Clone)]
pub struct Runtime {
    /// Where plugins are looked up, and what `CNI_PATH` says (R-ENV-5).
    pub cni_path: Vec<PathBuf>,
    pub cache: Cache,
    pub timeout: Duration,
    pub output_limit: usize,
    /// Namespaces every plugin joins before exec (the sandbox's fake host).
    pub namespaces: Namespaces,
    pub env_profile: EnvProfile,
    pub empty_runtime_config: EmptyRuntimeConfig,
    /// GC first DELs cached attachments not in the valid list, as libcni
    /// does (R-GC-5); off by default so that plugin GC is tested alone.
    pub gc_deletes_stale_cached: bool,
}

impl Runtime {
    pub fn new(cni_path: Vec<PathBuf>, cache_dir: impl Into<PathBuf>) -> Runtime {
        Runtime {
            cni_path,
            cache: Cache::new(cache_dir),
            timeout: Duration::from_secs(10),
            output_limit: DEFAULT_OUTPUT_LIMIT,
            namespaces: Namespaces::default(),
            env_profile: EnvProfile::Spec,
            empty_runtime_config: EmptyRuntimeConfig::Omit,
            gc_deletes_stale_cached: false,
        }
    }
}

/// Why a list operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("plugins[{index}]: {error}")]
    Find { index: usize, error: FindError },
    #[error("plugins[{index}] ({plugin}) failed {command}: {failure}")]
    Plugin {
        index: usize,
        plugin: String,
        command: Command,
        failure: PluginFailure,
    },
    #[error("plugins[{index}] ({plugin}): {error}")]
    Invoke {
        index: usize,
        plugin: String,
        #[source]
        error: InvokeError,
    },
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error(
        "no cached result for network {network:?}, container {container_id:?}, interface {ifname:?}: CHECK needs a preceding ADD (R-CHECK-1)"
    )]
    NotAdded {
        network: String,
        container_id: String,
        ifname: String,
    },
    #[error("{command} is not defined for a {version:?} configuration (it needs {needs} or later)")]
    VersionTooOld {
        command: Command,
        version: String,
        needs: Version,
    },
    #[error("the cached result cannot be given in the configuration's version: {0} (R-CONV-1)")]
    Convert(#[from] ConvertError),
    #[error("the configuration's cniVersion {0:?} is not a released spec version")]
    UnknownVersion(String),
    #[error("{}", Errors(.0))]
    Several(Vec<ListError>),
}

struct Errors<'a>(&'a [ListError]);

impl fmt::Display for Errors<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&all.join("; "))
    }
}

impl ListError {
    /// The harness could not do its part: not the plugin's fault.
    pub fn is_harness_failure(&self) -> bool {
        match self {
            ListError::Invoke { error, .. } => !error.is_missing_program(),
            ListError::Cache(_) => true,
            ListError::Several(all) => all.iter().any(ListError::is_harness_failure),
            _ => false,
        }
    }
}

/// What a plugin answered to VERSION, or why it could not say.
#[derive(Debug, Clone)]
pub struct Probe {
    pub plugin: String,
    /// R-VER-1: a plugin that fails VERSION is taken to support only 0.1.0.
    pub info: Result<VersionInfo, String>,
    /// Whether the list's version is among those supported (L-VAL-1).
    pub supports_list_version: bool,
}

impl Runtime {
    /// Runs one plugin of a list. The trace gets the call whatever happens.
    fn run_one(
        &self,
        network: &NetworkConfig,
        index: usize,
        command: Command,
        attachment: Option<&Attachment>,
        parts: RequestParts<'_>,
        trace: &mut Vec<Call>,
    ) -> Result<Option<Value>, ListError> {
        let plugin = &network.plugins[index];
        let name = plugin.plugin_type().to_owned();
        let program =
            find_plugin(&name, &self.cni_path).map_err(|error| ListError::Find { index, error })?;
        let req = request::derive(network, plugin, parts);
        let stdin = request::to_bytes(&req);
        let env = environment(
            command,
            attachment,
            &self.cni_path,
            network.version(),
            self.env_profile,
        );
        let call = self
            .call(&name, &program, command, env, stdin)
            .map_err(|error| ListError::Invoke {
                index,
                plugin: name.clone(),
                error,
            })?;
        let answer = call.answer();
        trace.push(call);
        let failure = match answer {
            Answer::Success(value) => return Ok(value),
            Answer::Error(e) => PluginFailure::Error(e),
            Answer::Broken(b) => PluginFailure::Broken(b),
        };
        Err(ListError::Plugin {
            index,
            plugin: name,
            command,
            failure,
        })
    }

    /// Runs a program once with the given environment and stdin.
    pub fn call(
        &self,
        plugin: &str,
        program: &Path,
        command: Command,
        env: Vec<(String, String)>,
        stdin: Vec<u8>,
    ) -> Result<Call, InvokeError> {
        let inv = Invocation {
            program: program.to_owned(),
            arg0: None,
            env: env.clone(),
            stdin: stdin.clone(),
            timeout: self.timeout,
            output_limit: self.output_limit,
            namespaces: self.namespaces.clone(),
        };
        let outcome = invoke(&inv)?;
        Ok(Call::new(
            plugin.to_owned(),
            program.to_owned(),
            command,
            env,
            stdin,
            outcome,
        ))
    }

    fn parts<'a>(
        &self,
        command: Command,
        attachment: Option<&'a Attachment>,
        prev: Option<&'a Value>,
    ) -> RequestParts<'a> {
        static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
        RequestParts {
            command,
            capability_args: attachment.map_or(&*EMPTY, |a| &a.capability_args),
            prev_result: prev,
            valid_attachments: None,
            empty_runtime_config: self.empty_runtime_config,
        }
    }

    /// ADD: each plugin in order, each result the next one's `prevResult`
    /// (R-CHAIN-1); the first failure stops the list (R-CHAIN-2); the final
    /// result is cached (R-CHAIN-6, L-CACHE-4). DEL after a failure is the
    /// caller's to run ([`Runtime::del_after_failed_add`], R-CHAIN-3).
    pub fn add(
        &self,
        network: &NetworkConfig,
        attachment: &Attachment,
        trace: &mut Vec<Call>,
    ) -> Result<Value, ListError> {
        let version = network.version();
        // R-ADD-2: a missing executable fails the ADD before any plugin runs,
        // rather than halfway through the list.
        for (index, plugin) in network.plugins.iter().enumerate() {
            find_plugin(plugin.plugin_type(), &self.cni_path)
                .map_err(|error| ListError::Find { index, error })?;
        }
        let mut prev: Option<Value> = None;
        for index in 0..network.plugins.len() {
            let parts = self.parts(Command::Add, Some(attachment), prev.as_ref());
            let value =
                self.run_one(network, index, Command::Add, Some(attachment), parts, trace)?;
            let bad = |why: String| ListError::Plugin {
                index,
                plugin: network.plugins[index].plugin_type().to_owned(),
                command: Command::Add,
                failure: PluginFailure::BadResult(why),
            };
            let value = value.ok_or_else(|| bad("stdout is empty".to_owned()))?;
            let parsed = CniResult::from_value(&value, version)
                .map_err(|e: ParseError| bad(e.to_string()))?;
            // R-CHAIN-8: a result in another version than asked is not
            // passed on silently.
            if Some(parsed.version()) != version {
                return Err(bad(format!(
                    "cniVersion is {:?}, but the request was {:?} (P-ADD-1)",
                    parsed.version().as_str(),
                    network.cni_version
                )));
            }
            prev = Some(value);
        }
        let result = prev.unwrap_or(Value::Null);
        let mut entry = CacheEntry::new(
            &network.name,
            &attachment.container_id,
            &attachment.ifname,
            &serde_json::to_vec(&network.to_value()).unwrap_or_default(),
        );
        entry.netns = attachment
            .netns
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        entry.cni_args = attachment.cni_args.clone();
        entry.capability_args = attachment.capability_args.clone();
        entry.result = Some(result.clone());
        self.cache.write(&entry)?;
        Ok(result)
    }

    /// The cached final ADD result in the configuration's version
    /// (R-CONV-1); `Ok(None)` when nothing is cached.
    fn cached_result(
        &self,
        network: &NetworkConfig,
        attachment: &Attachment,
    ) -> Result<Option<Value>, ListError> {
        let entry = self
            .cache
            .read(&network.name, &attachment.container_id, &attachment.ifname)?;
        let Some(result) = entry.and_then(|e| e.result) else {
            return Ok(None);
        };
        let version = network
            .version()
            .ok_or_else(|| ListError::UnknownVersion(network.cni_version.clone()))?;
        let parsed = CniResult::from_value(&result, Some(version)).map_err(|e| {
            ListError::Cache(CacheError::Corrupt {
                path: self
                    .cache
                    .path(&network.name, &attachment.container_id, &attachment.ifname),
                why: e.to_string(),
            })
        })?;
        if parsed.version() == version {
            Ok(Some(result))
        } else {
            Ok(Some(parsed.convert(version)?.to_value()))
        }
    }

    /// DEL: plugins in reverse order (R-CHAIN-4), each given the cached final
    /// result from 0.4.0 on (R-DEL-1, R-CHAIN-5); the cache entry goes once
    /// DEL succeeds (R-DEL-2) and stays if it fails, so DEL can be retried.
    pub fn del(
        &self,
        network: &NetworkConfig,
        attachment: &Attachment,
        trace: &mut Vec<Call>,
    ) -> Result<(), ListError> {
        let prev = if network.version().is_some_and(Version::has_del_prev_result) {
            match self.cached_result(network, attachment) {
                Ok(p) => p,
                // L-CACHE-5: an unreadable cache does not block DEL.
                Err(ListError::Cache(_)) => {
                    self.cache.remove(
                        &network.name,
                        &attachment.container_id,
                        &attachment.ifname,
                    )?;
                    None
                }
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        for index in (0..network.plugins.len()).rev() {
            let parts = self.parts(Command::Del, Some(attachment), prev.as_ref());
            self.run_one(network, index, Command::Del, Some(attachment), parts, trace)?;
        }
        self.cache
            .remove(&network.name, &attachment.container_id, &attachment.ifname)?;
        Ok(())
    }

    /// DEL after a failed ADD (R-CHAIN-3, R-LIFE-3): every plugin, reverse
    /// order, no `prevResult` (nothing was cached, L-CACHE-4).
    pub fn del_after_failed_add(
        &self,
        network: &NetworkConfig,
        attachment: &Attachment,
        trace: &mut Vec<Call>,
    ) -> Result<(), ListError> {
        for index in (0..network.plugins.len()).rev() {
            let parts = self.parts(Command::Del, Some(attachment), None);
            self.run_one(network, index, Command::Del, Some(attachment), parts, trace)?;
        }
        self.cache
            .remove(&network.name, &attachment.container_id, &attachment.ifname)?;
        Ok(())
    }

    /// CHECK: nothing under `disableCheck` (R-CHECK-2); refused without a
    /// preceding ADD (R-CHECK-1); in order with the cached result
    /// (R-CHECK-3), stopping at the first error (R-CHECK-4).
    pub fn check(
        &self,
        network: &NetworkConfig,
        attachment: &Attachment,
        trace: &mut Vec<Call>,
    ) -> Result<(), ListError> {
        self.needs(network, Command::Check)?;
        if network.disable_check {
            return Ok(());
        }
        let prev = self
            .cached_result(network, attachment)?
            .ok_or_else(|| ListError::NotAdded {
                network: network.name.clone(),
                container_id: attachment.container_id.clone(),
                ifname: attachment.ifname.clone(),
            })?;
        for index in 0..network.plugins.len() {
            let parts = self.parts(Command::Check, Some(attachment), Some(&prev));
            self.run_one(
                network,
                index,
                Command::Check,
                Some(attachment),
                parts,
                trace,
            )?;
        }
        Ok(())
    }

    /// GC: nothing under `disableGC` (R-GC-4) or below 1.1.0 (as libcni);
    /// every plugin is asked even when one fails, and all errors come back
    /// together (R-GC-3).
    pub fn gc(
        &self,
        network: &NetworkConfig,
        valid: &[GcAttachment],
        trace: &mut Vec<Call>,
    ) -> Result<(), ListError> {
        if network.disable_gc || !network.version().is_some_and(|v| v.allows(Command::Gc)) {
            return Ok(());
        }
        let mut errors = Vec::new();
        if self.gc_deletes_stale_cached {
            for entry in self.cache.attachments(&network.name) {
                if valid
                    .iter()
                    .any(|v| v.container_id == entry.container_id && v.ifname == entry.if_name)
                {
                    continue;
                }
                let mut stale =
                    Attachment::new(entry.container_id.clone(), None, entry.if_name.clone());
                stale.cni_args = entry.cni_args.clone();
                stale.capability_args = entry.capability_args.clone();
                if let Err(e) = self.del(network, &stale, trace) {
                    errors.push(e);
                }
            }
        }
        for index in 0..network.plugins.len() {
            let mut parts = self.parts(Command::Gc, None, None);
            parts.valid_attachments = Some(valid);
            if let Err(e) = self.run_one(network, index, Command::Gc, None, parts, trace) {
                errors.push(e);
            }
        }
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(ListError::Several(errors)),
        }
    }

    /// STATUS: each plugin in order, stopping at the first error; nothing
    /// below 1.1.0 (R-STATUS-1, as libcni).
    pub fn status(&self, network: &NetworkConfig, trace: &mut Vec<Call>) -> Result<(), ListError> {
        if !network.version().is_some_and(|v| v.allows(Command::Status)) {
            return Ok(());
        }
        for index in 0..network.plugins.len() {
            let parts = self.parts(Command::Status, None, None);
            self.run_one(network, index, Command::Status, None, parts, trace)?;
        }
        Ok(())
    }

    /// VERSION of every plugin of the list, and whether each supports the
    /// list's version (L-VAL-1); errors of one plugin do not stop the rest.
    pub fn probe(
        &self,
        network: &NetworkConfig,
        trace: &mut Vec<Call>,
    ) -> Result<Vec<Probe>, ListError> {
        let mut probes = Vec::new();
        for (index, plugin) in network.plugins.iter().enumerate() {
            let name = plugin.plugin_type().to_owned();
            let program = find_plugin(&name, &self.cni_path)
                .map_err(|error| ListError::Find { index, error })?;
            let info = self
                .version_of(&name, &program, &network.cni_version, trace)
                .map_err(|error| ListError::Invoke {
                    index,
                    plugin: name.clone(),
                    error,
                })?;
            let supports_list_version = match &info {
                Ok(i) => i.supported_versions.contains(&network.cni_version),
                Err(_) => network.cni_version == "0.1.0",
            };
            probes.push(Probe {
                plugin: name,
                info,
                supports_list_version,
            });
        }
        Ok(probes)
    }

    /// Asks one program VERSION, with `{"cniVersion": asked}` on stdin.
    pub fn version_of(
        &self,
        plugin: &str,
        program: &Path,
        asked: &str,
        trace: &mut Vec<Call>,
    ) -> Result<Result<VersionInfo, String>, InvokeError> {
        let env = environment(
            Command::Version,
            None,
            &self.cni_path,
            None,
            self.env_profile,
        );
        let stdin = serde_json::to_vec(&json!({ "cniVersion": asked })).unwrap_or_default();
        let call = self.call(plugin, program, Command::Version, env, stdin)?;
        let info = match call.answer() {
            Answer::Success(Some(v)) => VersionInfo::from_value(&v, asked).map(|(info, _)| info),
            Answer::Success(None) => Err("VERSION printed nothing".to_owned()),
            Answer::Error(e) => Err(format!("VERSION failed: {e}")),
            Answer::Broken(b) => Err(format!("VERSION failed: {b}")),
        };
        trace.push(call);
        Ok(info)
    }

    fn needs(&self, network: &NetworkConfig, command: Command) -> Result<(), ListError> {
        let version = network
            .version()
            .ok_or_else(|| ListError::UnknownVersion(network.cni_version.clone()))?;
        if version.allows(command) {
            Ok(())
        } else {
            Err(ListError::VersionTooOld {
                command,
                version: network.cni_version.clone(),
                needs: Version::introducing(command),
            })
        }
    }
}
