//! Sending one command of a case to the plugin under test, inside its
//! sandbox, with the list around it run as a runtime would: the plugins
//! before it and after it get ordinary requests; only the plugin under test
//! gets the case's changes (a field set or removed, a variable unset, a
//! doctored `prevResult`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::case::{GcKeys, PrevResult, RunStep, VersionStdin};
use super::role::Role;
use super::target::Target;
use crate::runtime::call::{Answer, Call, PluginFailure};
use crate::runtime::env::{Attachment, EnvProfile, environment};
use crate::runtime::find::find_plugin;
use crate::runtime::request::{
    self, ATTACHMENTS_KEY, EmptyRuntimeConfig, GcAttachment, RequestParts, VALID_ATTACHMENTS_KEY,
};
use crate::runtime::{InvokeError, Runtime};
use crate::spec::{Command, NetworkConfig, Version};

/// One attachment of a case: a container and an interface name.
#[derive(Debug, Clone)]
pub struct AttachmentState {
    /// The case's name for it: `a`, `a1`, `b`, `r0`, ...
    pub name: String,
    /// The sandbox container (network namespace) it lives in.
    pub container: String,
    pub container_id: String,
    pub ifname: String,
    /// What `CNI_NETNS` says; kept after the namespace is deleted, so a DEL
    /// names a path that no longer opens (P-DEL-2).
    pub netns: Option<PathBuf>,
    pub netns_deleted: bool,
    /// The final ADD result of the list, as a runtime caches it.
    pub cached: Option<Value>,
    /// What the plugin under test answered to its last ADD.
    pub put_result: Option<Value>,
    /// The `prevResult` the plugin under test got on its last ADD.
    pub prev_sent: Option<Value>,
    /// An ADD was attempted and no DEL succeeded after it (R-LIFE-3).
    pub needs_del: bool,
    /// The last ADD of the plugin under test failed.
    pub add_failed: bool,
}

impl AttachmentState {
    /// An attachment not yet added: `name` in `container` (the sandbox
    /// namespace whose path is `netns`).
    pub fn new(
        name: &str,
        container: &str,
        container_id: String,
        ifname: String,
        netns: Option<PathBuf>,
    ) -> AttachmentState {
        AttachmentState {
            name: name.to_owned(),
            container: container.to_owned(),
            container_id,
            ifname,
            netns,
            netns_deleted: false,
            cached: None,
            put_result: None,
            prev_sent: None,
            needs_del: false,
            add_failed: false,
        }
    }

    pub fn runtime_attachment(&self) -> Attachment {
        Attachment::new(
            self.container_id.clone(),
            self.netns.as_deref(),
            self.ifname.clone(),
        )
    }

    pub fn gc_attachment(&self) -> GcAttachment {
        GcAttachment {
            container_id: self.container_id.clone(),
            ifname: self.ifname.clone(),
        }
    }
}

/// What a command step produced.
#[derive(Debug, Default)]
pub struct StepRun {
    /// The plugin under test's call, if it was reached.
    pub put: Option<Call>,
    /// The request the plugin under test read, as JSON (when it was JSON).
    pub put_request: Option<Value>,
    /// Every call, in order, the plugin under test's included.
    pub calls: Vec<Call>,
    /// Another plugin of the list failed, or the harness could not run one:
    /// not the plugin under test's doing.
    pub problem: Option<String>,
}

/// Runs commands for a case instance.
#[derive(Debug)]
pub struct Driver<'a> {
    pub target: &'a Target,
    pub version: Version,
    pub runtime: Runtime,
    /// The list at this version, with the IPAM stub swapped in if asked.
    pub network: NetworkConfig,
    /// Extra directory in CNI_PATH (stubs), for `{stub-dir}` in env values.
    pub stub_dir: PathBuf,
    /// The case's changes to every request of the plugin under test.
    pub case_set: BTreeMap<String, Value>,
    pub case_remove: Vec<String>,
    /// Turns every request of the plugin under test into other bytes.
    pub rewrite: Option<Rewrite>,
}

/// Rewrites the request the plugin under test would read into the bytes it
/// is sent, and the JSON they still hold if any: how the fuzz campaign sends
/// broken configurations through the list's ordinary machinery (the
/// `prevResult` and `runtimeConfig` of the moment included).
#[derive(Clone)]
pub struct Rewrite(pub Arc<RewriteFn>);

/// Request in, (bytes sent, the JSON they still hold) out.
pub type RewriteFn = dyn Fn(&Value) -> (Vec<u8>, Option<Value>) + Send + Sync;

impl std::fmt::Debug for Rewrite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rewrite(..)")
    }
}

/// Capability values the suite supplies for capabilities a configuration
/// declares (CONVENTIONS' well-known keys, C-CAP-2).
pub fn default_capability_args() -> Map<String, Value> {
    json!({
        "portMappings": [{"hostPort": 18080, "containerPort": 80, "protocol": "tcp"}],
        "mac": "c2:11:22:33:44:55",
        "bandwidth": {"ingressRate": 1_000_000, "ingressBurst": 100_000, "egressRate": 1_000_000, "egressBurst": 100_000},
        "ips": ["10.222.0.42/24"],
        "aliases": ["cnitest"],
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

impl<'a> Driver<'a> {
    /// A driver for `target` at `version`; `ipam_stub` names the stub that
    /// replaces the plugin under test's IPAM delegate, if the case asks.
    pub fn new(
        target: &'a Target,
        version: Version,
        mut runtime: Runtime,
        stub_dir: PathBuf,
        ipam_stub: Option<&str>,
    ) -> Driver<'a> {
        runtime.env_profile = EnvProfile::Spec;
        runtime.empty_runtime_config = EmptyRuntimeConfig::Omit;
        let mut network = target.network(version.as_str());
        if let Some(stub) = ipam_stub {
            let mut conf = target.conf.clone();
            if let Some(Value::Object(ipam)) = conf.get_mut("ipam") {
                ipam.insert("type".into(), Value::String(stub.to_owned()));
            }
            let mut t = target.clone();
            t.conf = conf;
            network = t.network(version.as_str());
        }
        Driver {
            target,
            version,
            runtime,
            network,
            stub_dir,
            case_set: BTreeMap::new(),
            case_remove: Vec::new(),
            rewrite: None,
        }
    }

    fn put_index(&self) -> usize {
        self.target.index()
    }

    /// Runs a command step for one attachment (ADD, DEL, CHECK) or for the
    /// network (STATUS, GC, VERSION). `live` are the attachments GC keeps by
    /// default.
    pub fn run(&self, step: &RunStep, att: &mut AttachmentState, live: &[GcAttachment]) -> StepRun {
        self.run_observed(step, att, live, &mut || {})
    }

    /// As [`Driver::run`], calling `before_put` just before the plugin under
    /// test runs, after the plugins before it: what changed from then on is
    /// the plugin's doing alone.
    pub fn run_observed(
        &self,
        step: &RunStep,
        att: &mut AttachmentState,
        live: &[GcAttachment],
        before_put: &mut dyn FnMut(),
    ) -> StepRun {
        let mut out = StepRun::default();
        let command = step.command.command();
        if command == Command::Version {
            before_put();
            self.put_call(step, Some(att), None, live, &mut out);
            return out;
        }
        let n = self.network.plugins.len();
        let order: Vec<usize> = if command == Command::Del {
            (0..n).rev().collect()
        } else {
            (0..n).collect()
        };
        let attachment = att.runtime_attachment();
        let cached = match command {
            Command::Del | Command::Check if self.version.has_del_prev_result() => {
                att.cached.clone()
            }
            _ => None,
        };
        let mut prev: Option<Value> = None;
        let mut last: Option<Value> = None;
        for index in order {
            if step.alone && index != self.put_index() {
                continue;
            }
            let prev_for_this = match command {
                Command::Add => prev.clone(),
                _ => cached.clone(),
            };
            if index == self.put_index() {
                if command == Command::Add {
                    att.prev_sent = prev_for_this.clone();
                }
                before_put();
                let answer = self.put_call(step, Some(att), prev_for_this.as_ref(), live, &mut out);
                match answer {
                    Some(Answer::Success(value)) => {
                        if command == Command::Add {
                            att.put_result = value.clone();
                            att.add_failed = false;
                        }
                        prev = value.clone();
                        last = value;
                    }
                    Some(_) => {
                        if command == Command::Add {
                            att.add_failed = true;
                            att.put_result = None;
                        }
                        // R-CHAIN-2: the list stops at the first failure.
                        return self.finish(step, att, out, None);
                    }
                    None => return out,
                }
                continue;
            }
            // An ordinary member of the list.
            let (ok, value) = self.other_call(
                index,
                command,
                &attachment,
                prev_for_this.as_ref(),
                live,
                &mut out,
            );
            if !ok {
                return out;
            }
            if command == Command::Add {
                prev = value.clone();
                last = value;
            }
        }
        self.finish(step, att, out, last)
    }

    fn finish(
        &self,
        step: &RunStep,
        att: &mut AttachmentState,
        out: StepRun,
        last: Option<Value>,
    ) -> StepRun {
        let command = step.command.command();
        let put_ok = out
            .put
            .as_ref()
            .is_some_and(|c| c.outcome.termination.success());
        match command {
            Command::Add => {
                att.needs_del = true;
                att.cached = if put_ok && out.problem.is_none() {
                    last
                } else {
                    None
                };
            }
            // A DEL sent to the plugin under test alone leaves the rest of
            // the list holding the attachment: it still needs a DEL.
            Command::Del if put_ok && out.problem.is_none() && !step.alone => {
                att.needs_del = false;
                att.cached = None;
            }
            _ => {}
        }
        out
    }

    /// Calls a plugin of the list that is not under test; returns whether it
    /// succeeded and its stdout JSON.
    fn other_call(
        &self,
        index: usize,
        command: Command,
        attachment: &Attachment,
        prev: Option<&Value>,
        live: &[GcAttachment],
        out: &mut StepRun,
    ) -> (bool, Option<Value>) {
        let plugin = &self.network.plugins[index];
        let name = plugin.plugin_type().to_owned();
        let program = match find_plugin(&name, &self.search_path()) {
            Ok(p) => p,
            Err(e) => {
                out.problem = Some(format!(
                    "plugins[{index}] ({name}) of the list around the plugin under test: {e}"
                ));
                return (false, None);
            }
        };
        let caps = default_capability_args();
        let req = request::derive(
            &self.network,
            plugin,
            RequestParts {
                command,
                capability_args: &caps,
                prev_result: prev,
                valid_attachments: (command == Command::Gc).then_some(live),
                empty_runtime_config: EmptyRuntimeConfig::Omit,
            },
        );
        let env = environment(
            command,
            Some(attachment),
            &self.search_path(),
            Some(self.version),
            EnvProfile::Spec,
        );
        match self
            .runtime
            .call(&name, &program, command, env, request::to_bytes(&req))
        {
            Ok(call) => {
                let answer = call.answer();
                out.calls.push(call);
                match answer {
                    Answer::Success(v) => (true, v),
                    Answer::Error(e) => {
                        out.problem = Some(format!(
                            "plugins[{index}] ({name}), which runs around the plugin under test, failed {command}: {}",
                            PluginFailure::Error(e)
                        ));
                        (false, None)
                    }
                    Answer::Broken(b) => {
                        out.problem = Some(format!(
                            "plugins[{index}] ({name}), which runs around the plugin under test, failed {command}: {b}"
                        ));
                        (false, None)
                    }
                }
            }
            Err(e) => {
                out.problem = Some(describe_invoke(&name, &e));
                (false, None)
            }
        }
    }

    /// Calls the plugin under test with the step's changes.
    fn put_call(
        &self,
        step: &RunStep,
        att: Option<&AttachmentState>,
        prev: Option<&Value>,
        live: &[GcAttachment],
        out: &mut StepRun,
    ) -> Option<Answer> {
        let command = step.command.command();
        let (env, stdin, request) = self.put_request(step, att, prev, live);
        match self
            .runtime
            .call(&self.target.name, &self.target.plugin, command, env, stdin)
        {
            Ok(call) => {
                let answer = call.answer();
                out.put_request = request;
                out.calls.push(call.clone());
                out.put = Some(call);
                Some(answer)
            }
            Err(e) => {
                out.problem = Some(describe_invoke(&self.target.name, &e));
                None
            }
        }
    }

    /// The environment, stdin and (JSON) request of the plugin under test.
    pub fn put_request(
        &self,
        step: &RunStep,
        att: Option<&AttachmentState>,
        prev: Option<&Value>,
        live: &[GcAttachment],
    ) -> (Vec<(String, String)>, Vec<u8>, Option<Value>) {
        let command = step.command.command();
        let search = self.search_path();
        let attachment = att.map(AttachmentState::runtime_attachment);
        let mut env = environment(
            command,
            attachment.as_ref(),
            &search,
            Some(self.version),
            EnvProfile::Spec,
        );
        apply_env(
            &mut env,
            &step.env_set,
            &step.env_unset,
            &self.stub_dir,
            &search,
        );

        if command == Command::Version && step.version_stdin == VersionStdin::Minimal {
            let request = json!({"cniVersion": self.version.as_str()});
            let stdin = match &step.stdin {
                Some(raw) => raw.clone().into_bytes(),
                None => serde_json::to_vec(&request).unwrap_or_default(),
            };
            return (env, stdin, step.stdin.is_none().then_some(request));
        }
        let prev = match (command, step.prev_result) {
            (Command::Add, _) => prev.cloned(),
            (_, PrevResult::Cached) => prev.cloned(),
            (_, PrevResult::None) => None,
            (_, PrevResult::Empty) => Some(json!({})),
            (_, PrevResult::Doctored) => att.and_then(|a| a.cached.as_ref()).map(doctor),
            (_, PrevResult::DoctoredMac) => {
                att.and_then(|a| a.cached.as_ref().map(|c| doctor_mac(c, &a.ifname)))
            }
        };
        // GC's valid attachments, resolved by the caller from the step.
        let valid: Vec<GcAttachment> = live.to_vec();
        let caps = default_capability_args();
        let plugin = &self.network.plugins[self.put_index()];
        let mut req = request::derive(
            &self.network,
            plugin,
            RequestParts {
                command,
                capability_args: &caps,
                prev_result: prev.as_ref(),
                valid_attachments: Some(&valid),
                empty_runtime_config: EmptyRuntimeConfig::Omit,
            },
        );
        if command == Command::Gc {
            match step.gc_keys {
                GcKeys::Both => {}
                GcKeys::ValidAttachments => {
                    req.shift_remove(ATTACHMENTS_KEY);
                }
                GcKeys::Attachments => {
                    req.shift_remove(VALID_ATTACHMENTS_KEY);
                }
            }
        }
        for (path, value) in self.case_set.iter().chain(&step.set) {
            set_path(&mut req, path, value.clone());
        }
        for path in self.case_remove.iter().chain(&step.remove) {
            remove_path(&mut req, path);
        }
        let request = Value::Object(req);
        match (&step.stdin, &self.rewrite) {
            (Some(raw), _) => (env, raw.clone().into_bytes(), None),
            (None, Some(rewrite)) => {
                let (bytes, json) = (rewrite.0)(&request);
                (env, bytes, json)
            }
            (None, None) => {
                let bytes = serde_json::to_vec(&request).unwrap_or_default();
                (env, bytes, Some(request))
            }
        }
    }

    /// The plugin search path with the stub directory last.
    pub fn search_path(&self) -> Vec<PathBuf> {
        let mut p = self.target.cni_path.clone();
        p.push(self.stub_dir.clone());
        p
    }

    /// Whether the plugin under test answers as an IPAM delegate.
    pub fn is_ipam(&self) -> bool {
        self.target.role == Role::Ipam
    }
}

fn describe_invoke(name: &str, e: &InvokeError) -> String {
    if e.is_missing_program() {
        format!("{name} cannot be run: {e}")
    } else {
        format!("the harness could not run {name}: {e}")
    }
}

/// Applies `env.set` / `env.unset`; values may name `{stub-dir}` and
/// `{cni-path}`.
fn apply_env(
    env: &mut Vec<(String, String)>,
    set: &BTreeMap<String, String>,
    unset: &[String],
    stub_dir: &std::path::Path,
    search: &[PathBuf],
) {
    env.retain(|(k, _)| !unset.contains(k) && !set.contains_key(k));
    for (k, v) in set {
        let v = v
            .replace("{stub-dir}", &stub_dir.display().to_string())
            .replace("{cni-path}", &crate::runtime::env::join_paths(search));
        env.push((k.clone(), v));
    }
}

/// Sets a dotted path (`ipam.type`, `args.cni.labels`), making objects on
/// the way.
pub fn set_path(map: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut cur = map;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            cur.insert(part.to_owned(), value);
            return;
        }
        let entry = cur
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else { return };
        cur = next;
    }
}

/// Removes a dotted path, if it is there.
pub fn remove_path(map: &mut Map<String, Value>, path: &str) {
    match path.split_once('.') {
        None => {
            map.shift_remove(path);
        }
        Some((head, rest)) => {
            if let Some(Value::Object(next)) = map.get_mut(head) {
                remove_path(next, rest);
            }
        }
    }
}

/// The result with its first address moved to another host of the same
/// subnet: what CHECK with a wrong `prevResult` sends (P-CHECK-2).
pub fn doctor(result: &Value) -> Value {
    let mut r = result.clone();
    let moved = |s: &str| -> Option<String> {
        let net: ipnet::IpNet = s.parse().ok()?;
        let hosts: Vec<std::net::IpAddr> = match net.trunc() {
            ipnet::IpNet::V4(n) => n.hosts().take(300).map(std::net::IpAddr::V4).collect(),
            ipnet::IpNet::V6(n) => n.hosts().take(300).map(std::net::IpAddr::V6).collect(),
        };
        let other = hosts.iter().rev().find(|h| **h != net.addr())?;
        Some(format!("{other}/{}", net.prefix_len()))
    };
    if let Some(addr) = r
        .pointer("/ips/0/address")
        .and_then(Value::as_str)
        .and_then(moved)
    {
        r["ips"][0]["address"] = Value::String(addr);
    } else if let Some(addr) = r.pointer("/ip4/ip").and_then(Value::as_str).and_then(moved) {
        r["ip4"]["ip"] = Value::String(addr);
    }
    r
}

/// The result with another MAC for the interface `ifname` (P-CHECK-2).
pub fn doctor_mac(result: &Value, ifname: &str) -> Value {
    let mut r = result.clone();
    if let Some(Value::Array(ifaces)) = r.get_mut("interfaces") {
        for i in ifaces
            .iter_mut()
            .filter(|i| i.get("name").and_then(Value::as_str) == Some(ifname))
        {
            i["mac"] = Value::String("02:00:00:00:0d:0c".to_owned());
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths() {
        let mut m = json!({"ipam": {"type": "host-local"}, "x": 1})
            .as_object()
            .cloned()
            .unwrap();
        set_path(&mut m, "ipam.type", json!("stub"));
        set_path(&mut m, "args.cni.labels", json!([]));
        remove_path(&mut m, "x");
        remove_path(&mut m, "nope.deeper");
        assert_eq!(
            Value::Object(m),
            json!({"ipam": {"type": "stub"}, "args": {"cni": {"labels": []}}})
        );
    }

    #[test]
    fn doctor_moves_the_first_address_within_its_subnet() {
        let r = json!({"cniVersion": "1.0.0", "ips": [{"address": "10.1.0.2/24"}]});
        let d = doctor(&r);
        let moved = d["ips"][0]["address"].as_str().unwrap();
        assert_ne!(moved, "10.1.0.2/24");
        assert!(
            moved.starts_with("10.1.0.") && moved.ends_with("/24"),
            "{moved}"
        );
    }
}
