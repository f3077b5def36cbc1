//! Conformance cases as data: the TOML schema, loading with precise errors
//! (file, line, field), and validation of what TOML cannot check (rule ids
//! exist, check names are known, fields fit the step's kind).
//!
//! A case is one scenario; its path under `cases/` is its id. Adding a case
//! needs no Rust change unless it needs a new kind of check.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::checks;
use super::role::Role;
use crate::spec::rule::{self, Level};
use crate::spec::{Version, version::SemVer};

/// A case, loaded and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: String,
    /// Where it came from: `builtin` or a file path, for messages.
    pub source: String,
    pub title: String,
    pub rules: Vec<String>,
    pub level: Level,
    /// Below this version the case's expectations grade as SHOULD (the
    /// catalogue's "MUST (1.0.0+) / SHOULD (0.4.0)" rules).
    pub should_before: Option<Version>,
    pub versions: Versions,
    pub roles: Vec<Role>,
    pub needs: Vec<Need>,
    pub note: Option<String>,
    /// A known library deviation this case meets: shown with a warning.
    pub deviation: Option<String>,
    pub ipam_stub: bool,
    pub stub: BTreeMap<String, StubReply>,
    pub leak_check: bool,
    /// Run at the plugin's newest version only: the scenario does not
    /// depend on the version (an unsupported version, say).
    pub once: bool,
    /// The interface name of attachment `a` (default `eth0`).
    pub ifname: Option<String>,
    /// Changes to the plugin's configuration in every request of the case.
    pub set: BTreeMap<String, Value>,
    pub remove: Vec<String>,
    pub steps: Vec<Step>,
}

impl Case {
    /// The level a broken expectation of this case has at `version`.
    pub fn level_at(&self, version: Version) -> Level {
        let level = match self.should_before {
            Some(v) if version < v && self.level == Level::Must => Level::Should,
            _ => self.level,
        };
        level.at(version)
    }

    pub fn applies_to(&self, version: Version, role: Role) -> bool {
        self.versions.contains(version) && self.roles.contains(&role)
    }
}

/// Which spec versions a case applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions(pub Vec<Version>);

impl Versions {
    pub fn contains(&self, v: Version) -> bool {
        self.0.contains(&v)
    }

    /// `"all"`, `">=0.4.0"`, `">=0.3.0 <1.1.0"`, `"1.0.0"`: conditions that
    /// must all hold.
    pub fn parse(spec: &str) -> Result<Versions, String> {
        let mut out: Vec<Version> = Version::ALL.to_vec();
        for token in spec.split([' ', ',']).filter(|t| !t.is_empty()) {
            if token == "all" {
                continue;
            }
            let (op, rest) = ["<=", ">=", "<", ">", "="]
                .iter()
                .find_map(|op| token.strip_prefix(op).map(|r| (*op, r)))
                .unwrap_or(("=", token));
            let bound = SemVer::parse(rest)
                .ok_or_else(|| format!("{token:?} is not a version condition"))?;
            out.retain(|v| {
                let v = v.semver();
                match op {
                    "<=" => v <= bound,
                    ">=" => v >= bound,
                    "<" => v < bound,
                    ">" => v > bound,
                    _ => v == bound,
                }
            });
        }
        if out.is_empty() {
            return Err(format!("{spec:?} selects no spec version"));
        }
        Ok(Versions(out))
    }
}

/// Something a case needs from the machine or the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// The plugin's configuration has an `ipam` section (to swap in a stub).
    IpamSection,
    /// A link kind the kernel must support, e.g. `kind:macvlan`.
    LinkKind(String),
    /// A tool on the machine, e.g. `tool:iptables-save`.
    Tool(String),
    /// The plugin's configuration has this (dotted) path, e.g.
    /// `config:ipam.ranges`.
    Config(String),
}

impl Need {
    fn parse(s: &str) -> Result<Need, String> {
        match s.split_once(':') {
            None if s == "ipam-section" => Ok(Need::IpamSection),
            Some(("kind", k)) if !k.is_empty() => Ok(Need::LinkKind(k.to_owned())),
            Some(("tool", t)) if !t.is_empty() => Ok(Need::Tool(t.to_owned())),
            Some(("config", p)) if !p.is_empty() => Ok(Need::Config(p.to_owned())),
            _ => Err(format!(
                "{s:?} is not a need (ipam-section, kind:<link kind>, tool:<program>, config:<path>)"
            )),
        }
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Need::IpamSection => f.write_str("ipam-section"),
            Need::LinkKind(k) => write!(f, "kind:{k}"),
            Need::Tool(t) => write!(f, "tool:{t}"),
            Need::Config(p) => write!(f, "config:{p}"),
        }
    }
}

/// One step: a plugin command, or an action on the sandbox.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Run(Box<RunStep>),
    Act(ActStep),
}

/// A command sent to the plugin under test.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStep {
    pub command: RunCommand,
    pub attachment: String,
    /// Run for this many fresh attachments at once (`r0`, `r1`, ...).
    pub repeat: Option<u32>,
    pub set: BTreeMap<String, Value>,
    pub remove: Vec<String>,
    pub env_set: BTreeMap<String, String>,
    pub env_unset: Vec<String>,
    pub stdin: Option<String>,
    pub prev_result: PrevResult,
    pub valid: Option<Vec<String>>,
    pub gc_keys: GcKeys,
    /// VERSION's stdin: `{"cniVersion"}` alone, or the whole configuration.
    pub version_stdin: VersionStdin,
    /// Send the command to the plugin under test alone, not to the plugins
    /// around it (a chained plugin's CHECK after tampering, which the
    /// interface plugin before it would otherwise report first).
    pub alone: bool,
    pub expect: Expect,
    pub codes: Vec<u64>,
    pub code_level: Level,
    pub names: Vec<String>,
    pub checks: Vec<String>,
    pub rules: Vec<String>,
    pub level: Option<Level>,
}

/// An action on the sandbox.
#[derive(Debug, Clone, PartialEq)]
pub struct ActStep {
    pub action: Action,
    pub attachment: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunCommand {
    Add,
    Del,
    Check,
    Status,
    Gc,
    Version,
}

impl RunCommand {
    pub fn command(self) -> crate::spec::Command {
        use crate::spec::Command;
        match self {
            RunCommand::Add => Command::Add,
            RunCommand::Del => Command::Del,
            RunCommand::Check => Command::Check,
            RunCommand::Status => Command::Status,
            RunCommand::Gc => Command::Gc,
            RunCommand::Version => Command::Version,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Delete the container's network namespace (the attachment stays).
    DeleteNetns,
    /// Create CNI_IFNAME in the container before ADD (a veth end).
    PrecreateInterface,
    /// Delete CNI_IFNAME in the container.
    DeleteLink,
    /// Remove every address of CNI_IFNAME.
    FlushAddresses,
    /// Remove a route the result lists.
    RemoveRoute,
    /// Set CNI_IFNAME down.
    LinkDown,
    /// Give CNI_IFNAME another MAC address.
    ChangeMac,
    /// Forget the cached result, as a runtime that lost its cache.
    ForgetResult,
    /// Change CNI_IFNAME's MAC as a later plugin of the chain would, and
    /// say so in the cached result (P-CHECK-3).
    LaterPluginChangesMac,
    /// Delete every file under the fake host's /var/lib/cni (IPAM stores).
    RemoveState,
}

/// What `prevResult` DEL and CHECK carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrevResult {
    /// The attachment's final ADD result (what a runtime sends from 0.4.0 on).
    #[default]
    Cached,
    None,
    /// `"prevResult": {}`.
    Empty,
    /// The cached result with its first address moved within its subnet.
    Doctored,
    /// The cached result claiming another MAC for CNI_IFNAME: a mismatch
    /// only the plugin itself can see (an IPAM delegate knows no MACs).
    DoctoredMac,
}

/// Which key GC's valid attachments go under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GcKeys {
    #[default]
    Both,
    ValidAttachments,
    Attachments,
}

/// What VERSION reads on stdin: both are "a JSON object with cniVersion"
/// (P-VER-3); libcni sends the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionStdin {
    #[default]
    Minimal,
    Config,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    Success,
    Error,
    Any,
}

/// A scripted answer of the IPAM stub (see `runtime::stub`).
pub type StubReply = crate::runtime::stub::Reply;

// ---------------------------------------------------------------------------
// The file format. Unknown keys are rejected so a typo is an error, not a
// check that silently never runs.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct CaseFile {
    title: String,
    rules: Vec<String>,
    level: Option<String>,
    should_before: Option<String>,
    versions: Option<VersionsField>,
    roles: Option<Vec<Role>>,
    #[serde(default)]
    needs: Vec<String>,
    note: Option<String>,
    deviation: Option<String>,
    #[serde(default)]
    ipam_stub: bool,
    #[serde(default)]
    stub: BTreeMap<String, StubReply>,
    leak_check: Option<bool>,
    #[serde(default)]
    once: bool,
    ifname: Option<String>,
    config: Option<ConfigEdit>,
    steps: Vec<StepFile>,
}

#[derive(Debug)]
enum VersionsField {
    Spec(String),
    List(Vec<String>),
}

impl<'de> Deserialize<'de> for VersionsField {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = VersionsField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a version condition such as \">=0.4.0\", or a list of versions")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<VersionsField, E> {
                Ok(VersionsField::Spec(s.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<VersionsField, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(VersionsField::List(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigEdit {
    #[serde(default)]
    set: BTreeMap<String, toml::Value>,
    #[serde(default)]
    remove: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvEdit {
    #[serde(default)]
    set: BTreeMap<String, String>,
    #[serde(default)]
    unset: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct StepFile {
    run: Option<RunCommand>,
    action: Option<Action>,
    attachment: Option<String>,
    repeat: Option<u32>,
    config: Option<ConfigEdit>,
    env: Option<EnvEdit>,
    stdin: Option<String>,
    prev_result: Option<PrevResult>,
    valid: Option<Vec<String>>,
    gc_keys: Option<GcKeys>,
    version_stdin: Option<VersionStdin>,
    #[serde(default)]
    alone: bool,
    expect: Option<Expect>,
    code: Option<u64>,
    codes: Option<Vec<u64>>,
    code_level: Option<String>,
    names: Option<Vec<String>>,
    #[serde(default)]
    checks: Vec<String>,
    rules: Option<Vec<String>>,
    level: Option<String>,
}

/// Why a case file cannot be used; names the file, and the line where TOML
/// knows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct CaseError {
    pub source_name: String,
    pub message: String,
}

/// Parses and validates one case.
pub fn parse(id: &str, source_name: &str, text: &str) -> Result<Case, CaseError> {
    let err = |message: String| CaseError {
        source_name: source_name.to_owned(),
        message,
    };
    let file: CaseFile = toml::from_str(text).map_err(|e| err(toml_message(text, &e)))?;
    validate(id, source_name, file).map_err(err)
}

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// toml's message, with the line number spelled out first.
pub(crate) fn toml_message(text: &str, e: &toml::de::Error) -> String {
    let line = e.span().map(|s| line_at(text, s.start));
    let msg = e.message().trim_end().to_owned();
    match line {
        Some(l) => format!("line {l}: {msg}"),
        None => msg,
    }
}

fn parse_level(s: &str, field: &str) -> Result<Level, String> {
    s.parse::<Level>().map_err(|e| format!("{field}: {e}"))
}

fn validate(id: &str, source: &str, file: CaseFile) -> Result<Case, String> {
    if file.rules.is_empty() {
        return Err("rules: a case cites at least one catalogue rule".to_owned());
    }
    for r in &file.rules {
        if rule::lookup(r).is_none() {
            return Err(format!("rules: {r:?} is not a rule of the catalogue"));
        }
    }
    let level = match &file.level {
        Some(l) => parse_level(l, "level")?,
        None => rule::lookup(&file.rules[0])
            .map(|r| r.level)
            .unwrap_or(Level::Must),
    };
    let should_before = file
        .should_before
        .as_deref()
        .map(|s| {
            Version::from_exact(s)
                .ok_or_else(|| format!("should-before: {s:?} is not a released spec version"))
        })
        .transpose()?;
    let versions = match file.versions {
        None => Versions(Version::ALL.to_vec()),
        Some(VersionsField::Spec(s)) => {
            Versions::parse(&s).map_err(|e| format!("versions: {e}"))?
        }
        Some(VersionsField::List(list)) => Versions(
            list.iter()
                .map(|s| {
                    Version::from_exact(s)
                        .ok_or_else(|| format!("versions: {s:?} is not a released spec version"))
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    let roles = file.roles.unwrap_or_else(|| Role::ALL.to_vec());
    if roles.is_empty() {
        return Err("roles: empty; leave it out to mean every role".to_owned());
    }
    let mut needs: Vec<Need> = file
        .needs
        .iter()
        .map(|n| Need::parse(n).map_err(|e| format!("needs: {e}")))
        .collect::<Result<_, _>>()?;
    if file.ipam_stub && !needs.contains(&Need::IpamSection) {
        needs.push(Need::IpamSection);
    }
    for key in file.stub.keys() {
        if !["ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION", "*"].contains(&key.as_str()) {
            return Err(format!(
                "stub.{key}: not a CNI_COMMAND (ADD, DEL, CHECK, STATUS, GC, VERSION or *)"
            ));
        }
    }
    if !file.stub.is_empty() && !file.ipam_stub {
        return Err("stub: replies for the IPAM stub need ipam-stub = true".to_owned());
    }
    if file.steps.is_empty() {
        return Err("steps: a case has at least one step".to_owned());
    }
    if let Some(name) = &file.ifname
        && let Some(problem) = crate::spec::names::interface_name_problem(name)
    {
        return Err(format!("ifname: {name:?} {problem}"));
    }
    let config = file.config.unwrap_or_default();
    let case_set = json_values(config.set, "config.set")?;
    let steps = file
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, s)| step(s).map_err(|e| format!("steps[{i}].{e}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Case {
        id: id.to_owned(),
        source: source.to_owned(),
        title: file.title,
        rules: file.rules,
        level,
        should_before,
        versions,
        roles,
        needs,
        note: file.note,
        deviation: file.deviation,
        ipam_stub: file.ipam_stub,
        stub: file.stub,
        leak_check: file.leak_check.unwrap_or(true),
        once: file.once,
        ifname: file.ifname,
        set: case_set,
        remove: config.remove,
        steps,
    })
}

fn json_values(
    values: BTreeMap<String, toml::Value>,
    field: &str,
) -> Result<BTreeMap<String, Value>, String> {
    values
        .into_iter()
        .map(|(k, v)| {
            serde_json::to_value(&v)
                .map(|j| (k.clone(), j))
                .map_err(|e| format!("{field}.{k}: {e}"))
        })
        .collect()
}

fn step(s: StepFile) -> Result<Step, String> {
    let attachment = s.attachment.clone().unwrap_or_else(|| "a".to_owned());
    if !is_attachment_name(&attachment) {
        return Err(format!(
            "attachment: {attachment:?} is not an attachment name (a, b, a2, ... or all)"
        ));
    }
    match (s.run, s.action) {
        (Some(_), Some(_)) => {
            Err("run/action: a step is a command or an action, not both".to_owned())
        }
        (None, None) => Err("run: missing (or give action)".to_owned()),
        (None, Some(action)) => {
            let stray = [
                ("repeat", s.repeat.is_some()),
                ("config", s.config.is_some()),
                ("env", s.env.is_some()),
                ("stdin", s.stdin.is_some()),
                ("expect", s.expect.is_some()),
                ("checks", !s.checks.is_empty()),
            ];
            if let Some((field, _)) = stray.iter().find(|(_, set)| *set) {
                return Err(format!("{field}: belongs to a run step, not an action"));
            }
            Ok(Step::Act(ActStep { action, attachment }))
        }
        (Some(command), None) => {
            let expect = s.expect.ok_or("expect: missing (success, error or any)")?;
            let mut codes = s.codes.unwrap_or_default();
            codes.extend(s.code);
            if !codes.is_empty() && expect == Expect::Success {
                return Err("code: expected codes go with expect = \"error\" or \"any\"".to_owned());
            }
            for c in &s.checks {
                if !checks::is_known(c) {
                    return Err(format!(
                        "checks: {c:?} is not a known check (known: {})",
                        checks::names().join(", ")
                    ));
                }
            }
            let rules = s.rules.unwrap_or_default();
            for r in &rules {
                if rule::lookup(r).is_none() {
                    return Err(format!("rules: {r:?} is not a rule of the catalogue"));
                }
            }
            let config = s.config.unwrap_or_default();
            let env = s.env.unwrap_or_default();
            let set = json_values(config.set, "config.set")?;
            if s.valid.is_some() && command != RunCommand::Gc {
                return Err("valid: goes with run = \"gc\"".to_owned());
            }
            Ok(Step::Run(Box::new(RunStep {
                command,
                attachment,
                repeat: s.repeat,
                set,
                remove: config.remove,
                env_set: env.set,
                env_unset: env.unset,
                stdin: s.stdin,
                prev_result: s.prev_result.unwrap_or_default(),
                valid: s.valid,
                gc_keys: s.gc_keys.unwrap_or_default(),
                version_stdin: s.version_stdin.unwrap_or_default(),
                alone: s.alone,
                expect,
                codes,
                code_level: s
                    .code_level
                    .as_deref()
                    .map(|l| parse_level(l, "code-level"))
                    .transpose()?
                    .unwrap_or(Level::Should),
                names: s.names.unwrap_or_default(),
                checks: s.checks,
                rules,
                level: s
                    .level
                    .as_deref()
                    .map(|l| parse_level(l, "level"))
                    .transpose()?,
            })))
        }
    }
}

fn is_attachment_name(s: &str) -> bool {
    s == "all"
        || (!s.is_empty()
            && s.len() <= 4
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

/// Loads every `*.toml` under `dir`, ids relative to it.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, CaseError> {
    let mut files = Vec::new();
    collect(dir, &mut files).map_err(|e| CaseError {
        source_name: dir.display().to_string(),
        message: e.to_string(),
    })?;
    files.sort();
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|e| CaseError {
                source_name: path.display().to_string(),
                message: e.to_string(),
            })?;
            let id = path
                .strip_prefix(dir)
                .unwrap_or(path)
                .with_extension("")
                .to_string_lossy()
                .into_owned();
            parse(&id, &path.display().to_string(), &text)
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The cases compiled into the binary (see build.rs).
pub fn builtin() -> Result<Vec<Case>, CaseError> {
    BUILTIN
        .iter()
        .map(|(id, text)| parse(id, &format!("cases/{id}.toml"), text))
        .collect()
}

include!(concat!(env!("OUT_DIR"), "/builtin_cases.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "DEL twice succeeds"
rules = ["P-DEL-1"]
should-before = "1.0.0"

[[steps]]
run = "add"
expect = "success"

[[steps]]
run = "del"
expect = "success"
"#;

    #[test]
    fn a_good_case_loads() {
        let c = parse("del/twice", "t.toml", GOOD).unwrap();
        assert_eq!(c.level, Level::Must);
        assert_eq!(c.level_at(Version::V0_4_0), Level::Should);
        assert_eq!(c.level_at(Version::V1_0_0), Level::Must);
        assert_eq!(c.steps.len(), 2);
        assert_eq!(c.versions.0.len(), 7);
    }

    #[test]
    fn typos_are_named_with_their_line() {
        let bad = GOOD.replace(
            "expect = \"success\"\n\n[[steps]]\nrun = \"del\"",
            "expect = \"success\"\n\n[[steps]]\nrn = \"del\"",
        );
        let e = parse("x", "cases/x.toml", &bad).unwrap_err().to_string();
        assert!(e.starts_with("cases/x.toml: line 11:"), "{e}");
        assert!(e.contains("unknown field `rn`"), "{e}");
    }

    #[test]
    fn unknown_rules_and_checks_are_refused() {
        let e = parse("x", "x.toml", &GOOD.replace("P-DEL-1", "P-DEL-99"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"P-DEL-99\" is not a rule"), "{e}");
        let e = parse(
            "x",
            "x.toml",
            &GOOD.replacen(
                "expect = \"success\"",
                "expect = \"success\"\nchecks = [\"no-such\"]",
                1,
            ),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("steps[0].checks: \"no-such\" is not a known check"),
            "{e}"
        );
    }

    #[test]
    fn version_conditions() {
        assert_eq!(
            Versions::parse(">=0.4.0").unwrap().0,
            [Version::V0_4_0, Version::V1_0_0, Version::V1_1_0]
        );
        assert_eq!(
            Versions::parse(">=0.3.0 <1.0.0").unwrap().0,
            [Version::V0_3_0, Version::V0_3_1, Version::V0_4_0]
        );
        assert!(Versions::parse(">9.0.0").is_err());
        assert!(Versions::parse("~1").is_err());
    }

    #[test]
    fn every_builtin_case_loads() {
        let cases = builtin().unwrap();
        assert!(!cases.is_empty());
    }
}
