//! Mutations of the request a plugin reads: each makes a valid request
//! wrong (or doubtful) in exactly one way, and knows what a conforming
//! plugin answers to it and which rule grades another answer.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use serde::Serialize;
use serde_json::{Number, Value, json};

use super::expect::{Expect, Grade};
use super::path::{Path, walk};
use crate::spec::{Level, Version};

/// One way to break a request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Mutation {
    /// A field the spec requires, removed.
    Remove { path: Path },
    /// A field with a value of another JSON type.
    WrongType { path: Path, value: Value },
    /// A `cniVersion` that is no version at all.
    MalformedVersion { version: String },
    /// A well-formed `cniVersion` the plugin does not list.
    UnsupportedVersion { version: String },
    /// A `name` outside the spec's characters (F-CONF-3).
    BadName { name: String },
    /// A path where an executable's name belongs (F-CONF-8).
    PathSeparator { path: Path, value: String },
    /// A key no schema defines.
    UnknownField { at: Path, key: String, value: Value },
    /// An unknown key holding arrays nested `depth` deep.
    DeepNesting { at: Path, key: String, depth: usize },
    /// A string of `len` bytes.
    LongString { site: LongSite, len: usize },
    /// A number at the edge of what decoders hold; `base` is the value the
    /// field had (shrinking moves towards it).
    NumberAtLimit {
        path: Path,
        number: String,
        added: bool,
        base: Option<String>,
    },
    /// Bytes that are not UTF-8 inside an unknown key's string.
    InvalidUtf8 {
        at: Path,
        key: String,
        bytes: Vec<u8>,
    },
    /// A top-level key written twice, with the same value.
    DuplicateKey { key: String },
    /// Text after the document.
    TrailingGarbage { text: String },
    /// Nothing but white space.
    Empty { text: String },
    /// The document cut after `keep` bytes.
    Truncated { keep: usize },
    /// A JSON value that is not an object (`$config` stands for the request).
    NotAnObject { text: String },
}

/// Where a long string goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "site", rename_all = "kebab-case")]
pub enum LongSite {
    /// The network name (still valid characters).
    Name,
    /// In place of one of the configuration's own strings.
    Value { path: Path },
    /// The value of an unknown key.
    UnknownValue { at: Path, key: String },
    /// An unknown key of that length.
    UnknownKey { at: Path },
}

/// What the expectation of a mutation depends on besides the mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The version the request was made for.
    pub version: Version,
    /// The released versions the plugin advertises.
    pub supported: Vec<Version>,
    /// The request's `ipam.type` names a delegate the plugin runs.
    pub delegates: bool,
    /// The `ipam` section is the plugin's own (an IPAM plugin).
    pub ipam_own: bool,
}

/// A mutated request: the bytes sent, and the JSON they hold if they are
/// JSON a runtime could have made.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub bytes: Vec<u8>,
    pub json: Option<Value>,
}

/// What a request's field is to the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    CniVersion,
    Name,
    Type,
    Ipam,
    IpamType,
    Dns,
    /// The plugin's own (or its delegate's): the spec gives it no meaning.
    Own,
}

fn field(path: &Path) -> Field {
    if path.is(&["cniVersion"]) {
        Field::CniVersion
    } else if path.is(&["name"]) {
        Field::Name
    } else if path.is(&["type"]) {
        Field::Type
    } else if path.is(&["ipam"]) {
        Field::Ipam
    } else if path.is(&["ipam", "type"]) {
        Field::IpamType
    } else if path.is(&["dns"]) {
        Field::Dns
    } else {
        Field::Own
    }
}

/// Keys whose meaning the spec (or the runtime) defines: not the plugin's.
const SPEC_KEYS: [&str; 9] = [
    "cniVersion",
    "name",
    "type",
    "dns",
    "args",
    "runtimeConfig",
    "prevResult",
    "capabilities",
    "ipMasq",
];

/// Stands for a value spliced in as raw bytes after serialising.
const MARK: &str = "\u{1}cnitest-splice\u{1}";

impl Mutation {
    /// The kind, as failure classes name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Mutation::Remove { .. } => "required field removed",
            Mutation::WrongType { .. } => "wrong JSON type",
            Mutation::MalformedVersion { .. } => "malformed version",
            Mutation::UnsupportedVersion { .. } => "unsupported version",
            Mutation::BadName { .. } => "bad name",
            Mutation::PathSeparator { .. } => "path separator in type",
            Mutation::UnknownField { .. } => "unknown field",
            Mutation::DeepNesting { .. } => "deep nesting",
            Mutation::LongString { .. } => "long string",
            Mutation::NumberAtLimit { .. } => "number at a limit",
            Mutation::InvalidUtf8 { .. } => "invalid UTF-8",
            Mutation::DuplicateKey { .. } => "duplicate key",
            Mutation::TrailingGarbage { .. } => "trailing garbage",
            Mutation::Empty { .. } => "empty document",
            Mutation::Truncated { .. } => "truncated document",
            Mutation::NotAnObject { .. } => "not an object",
        }
    }

    /// One line saying what was done.
    pub fn describe(&self) -> String {
        match self {
            Mutation::Remove { path } => format!("{path} removed"),
            Mutation::WrongType { path, value } => {
                format!("{path} set to {}", crate::spec::error::short_json(value))
            }
            Mutation::MalformedVersion { version } | Mutation::UnsupportedVersion { version } => {
                format!("cniVersion set to {version:?}")
            }
            Mutation::BadName { name } => format!("name set to {name:?}"),
            Mutation::PathSeparator { path, value } => format!("{path} set to {value:?}"),
            Mutation::UnknownField { at, key, value } => format!(
                "unknown key {key:?} added{} with {}",
                in_object(at),
                crate::spec::error::short_json(value)
            ),
            Mutation::DeepNesting { at, key, depth } => {
                format!(
                    "unknown key {key:?} added{} holding arrays {depth} deep",
                    in_object(at)
                )
            }
            Mutation::LongString { site, len } => match site {
                LongSite::Name => format!("name made {len} bytes long"),
                LongSite::Value { path } => format!("{path} made a string of {len} bytes"),
                LongSite::UnknownValue { at, key } => {
                    format!(
                        "unknown key {key:?} added{} with a string of {len} bytes",
                        in_object(at)
                    )
                }
                LongSite::UnknownKey { at } => {
                    format!("an unknown key of {len} bytes added{}", in_object(at))
                }
            },
            Mutation::NumberAtLimit {
                path,
                number,
                added,
                ..
            } => {
                if *added {
                    format!("unknown key {path} added with the number {number}")
                } else {
                    format!("{path} set to the number {number}")
                }
            }
            Mutation::InvalidUtf8 { at, key, bytes } => format!(
                "unknown key {key:?} added{} with a string holding the bytes {}",
                in_object(at),
                hex(bytes)
            ),
            Mutation::DuplicateKey { key } => format!("{key:?} written twice"),
            Mutation::TrailingGarbage { text } => format!("{text:?} after the document"),
            Mutation::Empty { text } => format!("the document replaced by {text:?}"),
            Mutation::Truncated { keep } => format!("the document cut after {keep} bytes"),
            Mutation::NotAnObject { text } => format!("the document replaced by {text}"),
        }
    }

    /// Where the input is wrong: the field a refusal should be about, or the
    /// document itself.
    pub fn target(&self) -> Path {
        match self {
            Mutation::Remove { path }
            | Mutation::WrongType { path, .. }
            | Mutation::PathSeparator { path, .. }
            | Mutation::NumberAtLimit { path, .. } => path.clone(),
            Mutation::MalformedVersion { .. } | Mutation::UnsupportedVersion { .. } => {
                Path::keys(&["cniVersion"])
            }
            Mutation::BadName { .. } => Path::keys(&["name"]),
            Mutation::UnknownField { at, key, .. }
            | Mutation::DeepNesting { at, key, .. }
            | Mutation::InvalidUtf8 { at, key, .. } => at.key(key),
            Mutation::LongString { site, .. } => match site {
                LongSite::Name => Path::keys(&["name"]),
                LongSite::Value { path } => path.clone(),
                LongSite::UnknownValue { at, key } => at.key(key),
                LongSite::UnknownKey { at } => at.clone(),
            },
            Mutation::DuplicateKey { .. }
            | Mutation::TrailingGarbage { .. }
            | Mutation::Empty { .. }
            | Mutation::Truncated { .. }
            | Mutation::NotAnObject { .. } => Path::root(),
        }
    }

    /// What a conforming plugin answers.
    pub fn expect(&self, cx: &Context) -> Expect {
        self.expect_codes(cx).defined_at(cx.version)
    }

    fn expect_codes(&self, cx: &Context) -> Expect {
        use Level::{Must, Should};
        let v = cx.version;
        let v1 = v >= Version::V1_0_0;
        let any_answer = || Expect::success_or(v, &[2, 6, 7]).or_plugin_specific();
        match self {
            Mutation::Remove { path } => match field(path) {
                Field::Name => Expect::fail(v, &[7], Grade::new("F-CONF-3", Should)),
                // libcni reads a missing version as 0.1.0, spec-upgrades.md
                // as 0.2.0 (catalogue 13.15): either result shape will do.
                Field::CniVersion => {
                    let legacy = [Version::V0_1_0, Version::V0_2_0];
                    if legacy.iter().any(|l| cx.supported.contains(l)) {
                        Expect::success_or(v, &[1, 6, 7]).in_versions(&legacy)
                    } else {
                        Expect::fail(v, &[1, 6, 7], Grade::new("P-VER-5", Should))
                    }
                }
                // The plugin is already running: it need not read `type`.
                Field::Type => Expect::success_or(v, &[7]),
                Field::IpamType if cx.delegates => {
                    Expect::fail(v, &[7], Grade::new("F-CONF-11", Should)).or_plugin_specific()
                }
                Field::IpamType => Expect::success_or(v, &[7]),
                Field::Ipam | Field::Dns | Field::Own => any_answer(),
            },
            Mutation::WrongType { path, .. } => match field(path) {
                Field::CniVersion => Expect::fail(v, &[1, 6], Grade::new("F-CONF-1", Must)),
                Field::Name => Expect::fail(v, &[6, 7], Grade::new("F-CONF-3", Should)),
                Field::Type => Expect::success_or(v, &[6, 7]),
                Field::Ipam if cx.delegates || cx.ipam_own => {
                    Expect::fail(v, &[6, 7], Grade::new("F-CONF-11", Should)).or_plugin_specific()
                }
                Field::IpamType if cx.delegates => {
                    Expect::fail(v, &[6, 7], Grade::new("F-CONF-11", Should)).or_plugin_specific()
                }
                Field::IpamType | Field::Dns => Expect::success_or(v, &[6, 7]),
                Field::Ipam | Field::Own => any_answer(),
            },
            Mutation::MalformedVersion { .. } => {
                Expect::fail(v, &[1, 6], Grade::new("F-CONF-1", Must))
            }
            Mutation::UnsupportedVersion { .. } => {
                Expect::fail(v, &[1], Grade::new("P-VER-5", Should))
            }
            // The character rule binds the configuration from 1.0.0 on; a
            // plugin that takes such a name breaks no plugin-side MUST, so
            // taking it is graded SHOULD. An empty name is a missing one.
            Mutation::BadName { name } if name.is_empty() || v1 => {
                Expect::fail(v, &[7], Grade::new("F-CONF-3", Should))
            }
            Mutation::BadName { .. } => Expect::success_or(v, &[7]),
            Mutation::PathSeparator { path, .. } => match field(path) {
                Field::IpamType if cx.delegates && v1 => {
                    Expect::fail(v, &[7], Grade::new("F-CONF-8", Must)).or_plugin_specific()
                }
                Field::IpamType if cx.delegates => Expect::success_or(v, &[7]).or_plugin_specific(),
                _ => Expect::success_or(v, &[7]),
            },
            Mutation::UnknownField { key, .. } => Expect::success_or(v, &[2]).naming(key.clone()),
            Mutation::DeepNesting { .. } => Expect::success_or(v, &[2, 6]),
            Mutation::LongString { site, .. } => match site {
                // A name is a file name in plugins' state directories:
                // one too long for a file system may fail as I/O (5).
                LongSite::Name => Expect::success_or(v, &[5, 7]).or_plugin_specific(),
                LongSite::Value { .. } => any_answer(),
                LongSite::UnknownValue { key, .. } => {
                    Expect::success_or(v, &[2, 6]).naming(key.clone())
                }
                LongSite::UnknownKey { .. } => Expect::success_or(v, &[2, 6]),
            },
            Mutation::NumberAtLimit { added: true, .. } => Expect::success_or(v, &[2, 6]),
            Mutation::NumberAtLimit { .. } => any_answer(),
            Mutation::InvalidUtf8 { .. } => Expect::success_or(v, &[2, 6]),
            // RFC 8259 leaves duplicate names to the reader; Go and Rust
            // take the last.
            Mutation::DuplicateKey { .. } => Expect::success_or(v, &[6]),
            // The first value is a whole configuration: a streaming reader
            // takes it, so succeeding is a wrong code, not garbage taken.
            Mutation::TrailingGarbage { .. } => {
                Expect::fail(v, &[6], Grade::new("F-ERR-5", Should))
            }
            // No configuration on stdin at all: succeeding means the plugin
            // took one from somewhere else (P-IO-3).
            Mutation::Empty { .. } | Mutation::Truncated { .. } => {
                Expect::fail(v, &[6], Grade::new("P-IO-3", Must))
            }
            Mutation::NotAnObject { .. } => Expect::fail(v, &[6, 7], Grade::new("P-IO-3", Must)),
        }
    }

    /// The bytes the plugin reads instead of `request`.
    pub fn apply(&self, request: &Value) -> Applied {
        let mut doc = request.clone();
        match self {
            Mutation::Remove { path } => {
                path.remove(&mut doc);
            }
            Mutation::WrongType { path, value } => {
                path.set(&mut doc, value.clone());
            }
            Mutation::MalformedVersion { version } | Mutation::UnsupportedVersion { version } => {
                Path::keys(&["cniVersion"]).set(&mut doc, Value::String(version.clone()));
            }
            Mutation::BadName { name } => {
                Path::keys(&["name"]).set(&mut doc, Value::String(name.clone()));
            }
            Mutation::PathSeparator { path, value } => {
                path.set(&mut doc, Value::String(value.clone()));
            }
            Mutation::UnknownField { at, key, value } => insert(&mut doc, at, key, value.clone()),
            Mutation::DeepNesting { at, key, depth } => {
                insert(&mut doc, at, key, Value::String(MARK.to_owned()));
                let nested = format!("{}{}", "[".repeat(*depth), "]".repeat(*depth));
                return raw(splice(&doc, nested.as_bytes()));
            }
            Mutation::LongString { site, len } => {
                let long = "x".repeat(*len);
                match site {
                    LongSite::Name => {
                        Path::keys(&["name"]).set(&mut doc, Value::String(long));
                    }
                    LongSite::Value { path } => {
                        path.set(&mut doc, Value::String(long));
                    }
                    LongSite::UnknownValue { at, key } => {
                        insert(&mut doc, at, key, Value::String(long));
                    }
                    LongSite::UnknownKey { at } => insert(&mut doc, at, &long, Value::Bool(true)),
                }
            }
            Mutation::NumberAtLimit { path, number, .. } => {
                let n = serde_json::from_str::<Number>(number).unwrap_or_else(|_| Number::from(0));
                if !path.set(&mut doc, Value::Number(n.clone())) {
                    insert(&mut doc, &Path::root(), &path.to_string(), Value::Number(n));
                }
            }
            Mutation::InvalidUtf8 { at, key, bytes } => {
                insert(&mut doc, at, key, Value::String(MARK.to_owned()));
                let mut inner = b"\"ab".to_vec();
                inner.extend_from_slice(bytes);
                inner.extend_from_slice(b"cd\"");
                return raw(splice(&doc, &inner));
            }
            Mutation::DuplicateKey { key } => {
                let mut text = to_bytes(&doc);
                if let (Some(value), Some(b'}')) = (doc.get(key.as_str()), text.last()) {
                    text.pop();
                    let sep: &[u8] = if text.len() > 1 { b"," } else { b"" };
                    text.extend_from_slice(sep);
                    text.extend_from_slice(&to_bytes(&Value::String(key.clone())));
                    text.push(b':');
                    text.extend_from_slice(&to_bytes(value));
                    text.push(b'}');
                }
                return Applied {
                    bytes: text,
                    json: Some(doc),
                };
            }
            Mutation::TrailingGarbage { text } => {
                let mut bytes = to_bytes(&doc);
                bytes.extend_from_slice(text.as_bytes());
                return raw(bytes);
            }
            Mutation::Empty { text } => return raw(text.as_bytes().to_vec()),
            Mutation::Truncated { keep } => {
                let bytes = to_bytes(&doc);
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let mut cut = (*keep).min(text.len().saturating_sub(1));
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                return raw(text.as_bytes()[..cut].to_vec());
            }
            Mutation::NotAnObject { text } => {
                let config = String::from_utf8_lossy(&to_bytes(&doc)).into_owned();
                return raw(text.replace("$config", &config).into_bytes());
            }
        }
        Applied {
            bytes: to_bytes(&doc),
            json: Some(doc),
        }
    }
}

fn in_object(at: &Path) -> String {
    if at.is_root() {
        String::new()
    } else {
        format!(" to {at}")
    }
}

fn hex(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:#04x}")).collect();
    parts.join(" ")
}

fn to_bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn raw(bytes: Vec<u8>) -> Applied {
    Applied { bytes, json: None }
}

/// Adds `key` to the object at `at` (the document itself if `at` is not an
/// object).
fn insert(doc: &mut Value, at: &Path, key: &str, value: Value) {
    let target = if at.object_mut(doc).is_some() {
        at.clone()
    } else {
        Path::root()
    };
    if let Some(map) = target.object_mut(doc) {
        map.insert(key.to_owned(), value);
    }
}

/// The document with the marker string replaced by `bytes`, quotes and all.
fn splice(doc: &Value, bytes: &[u8]) -> Vec<u8> {
    let text = to_bytes(doc);
    let mark = to_bytes(&Value::String(MARK.to_owned()));
    match text.windows(mark.len()).position(|w| w == mark.as_slice()) {
        Some(at) => {
            let mut out = text[..at].to_vec();
            out.extend_from_slice(bytes);
            out.extend_from_slice(&text[at + mark.len()..]);
            out
        }
        None => text,
    }
}

// ---------------------------------------------------------------------------
// Where a request can be broken, and the strategy that picks a way.

/// What a request offers to mutate.
#[derive(Debug, Clone, PartialEq)]
pub struct Sites {
    /// The configuration's own fields (the plugin's and its delegate's),
    /// with their values.
    pub own: Vec<(Path, Value)>,
    pub has_ipam: bool,
    pub ipam_type: Option<String>,
    pub has_dns: bool,
    pub top_keys: Vec<String>,
    /// The plugin's own executable name (`type`).
    pub plugin_type: String,
    /// Directories holding plugins: absolute paths for `ipam.type`.
    pub plugin_dirs: Vec<String>,
    /// Released versions the plugin does not advertise.
    pub unadvertised: Vec<Version>,
}

impl Sites {
    /// The sites of a request (a plugin's configuration with `name` and
    /// `cniVersion`).
    pub fn of(request: &Value, plugin_dirs: &[String], supported: &[Version]) -> Sites {
        let own = walk(request, 6)
            .into_iter()
            .filter(|(p, _)| {
                p.head()
                    .is_some_and(|h| !SPEC_KEYS.contains(&h) && !h.starts_with("cni.dev/"))
                    && !p.is(&["ipam"])
                    && !p.is(&["ipam", "type"])
            })
            .take(200)
            .map(|(p, v)| (p, v.clone()))
            .collect();
        let top_keys = request
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        Sites {
            own,
            has_ipam: request.get("ipam").is_some_and(Value::is_object),
            ipam_type: request
                .pointer("/ipam/type")
                .and_then(Value::as_str)
                .map(str::to_owned),
            has_dns: request.get("dns").is_some(),
            top_keys,
            plugin_type: request
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("plugin")
                .to_owned(),
            plugin_dirs: plugin_dirs.to_vec(),
            unadvertised: Version::ALL
                .into_iter()
                .filter(|v| !supported.contains(v))
                .collect(),
        }
    }

    fn own_strings(&self) -> Vec<Path> {
        self.own
            .iter()
            .filter(|(_, v)| v.is_string())
            .map(|(p, _)| p.clone())
            .collect()
    }

    fn own_numbers(&self) -> Vec<(Path, String)> {
        self.own
            .iter()
            .filter_map(|(p, v)| match v {
                Value::Number(n) => Some((p.clone(), n.to_string())),
                _ => None,
            })
            .collect()
    }

    /// Objects an unknown key can be added to.
    fn objects(&self) -> Vec<Path> {
        let mut out = vec![Path::root()];
        if self.has_ipam {
            out.push(Path::keys(&["ipam"]));
        }
        out
    }
}

/// Numbers decoders disagree about: the edges of 32 and 64 bits, of
/// floats, and of JSON itself (no float holds 1e400).
pub const LIMIT_NUMBERS: [&str; 22] = [
    "0",
    "-1",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "1e308",
    "1e400",
    "-1e400",
    "1.5",
    "-0.0",
    "1E2",
    "0.000000000000000000001",
    "65536",
    "9001",
];

const MALFORMED_VERSIONS: [&str; 11] = [
    "abc",
    "1.0",
    "1",
    "1.0.0.0",
    "v1.0.0",
    "01.0.0",
    "1.0.x",
    " 1.0.0",
    "1..0",
    "1.0.0-rc1",
    "-1.0.0",
];

const UNSUPPORTED_VERSIONS: [&str; 8] = [
    "0.3.5", "2.0.0", "9.9.9", "0.0.1", "1.1.1", "1.2.0", "0.5.0", "3.0.0",
];

const BAD_NAMES: [&str; 14] = [
    "", "-x", "_x", ".x", "a b", "a/b", "a\\b", "a:b", "\u{e4}", "a\nb", ".", "..", "x*", "@",
];

const BAD_UTF8: [&[u8]; 5] = [
    &[0xff],
    &[0xc3],
    &[0xed, 0xa0, 0x80],
    &[0xc0, 0xaf],
    &[0xf8, 0x88, 0x80, 0x80, 0x80],
];

/// The costly parts of the mutation strategy, made once and shared: what
/// depends on a request (its sites) is cheap to put around them.
#[derive(Debug, Clone)]
pub struct Parts {
    key: BoxedStrategy<String>,
    value: BoxedStrategy<Value>,
}

impl Parts {
    pub fn new() -> Parts {
        Parts {
            key: super::strategy::pattern("x-[a-z]{1,8}"),
            value: super::strategy::json_value(2),
        }
    }
}

impl Default for Parts {
    fn default() -> Parts {
        Parts::new()
    }
}

/// Lengths around the limits plugins and kernels have (64-byte traps,
/// 255-byte file names, pages), and far beyond.
fn long_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        2 => select(vec![64usize, 65, 255, 256, 4096, 4097, 65536]),
        3 => 65usize..5000,
        1 => 5000usize..(1 << 20),
    ]
}

/// A value of another JSON type than `original`; `null` only for the
/// configuration's own fields (Go reads `null` as "not given").
fn other_type(original: &Value, with_null: bool) -> Vec<Value> {
    let kind = |v: &Value| std::mem::discriminant(v);
    let mut out = vec![
        json!(42),
        json!("42"),
        json!(true),
        json!([]),
        json!({}),
        json!([1, "x"]),
        json!({"x": 1}),
    ];
    if with_null {
        out.push(Value::Null);
    }
    out.retain(|v| kind(v) != kind(original));
    out
}

/// Every mutation the request's sites allow, weighted.
pub fn mutation(sites: &Sites, parts: &Parts) -> BoxedStrategy<Mutation> {
    let unknown_key = || parts.key.clone();
    let mut arms: Vec<(u32, BoxedStrategy<Mutation>)> = Vec::new();

    // Required fields removed.
    let mut required = vec![
        Path::keys(&["name"]),
        Path::keys(&["cniVersion"]),
        Path::keys(&["type"]),
    ];
    if sites.ipam_type.is_some() {
        required.push(Path::keys(&["ipam", "type"]));
    }
    arms.push((
        6,
        select(required)
            .prop_map(|path| Mutation::Remove { path })
            .boxed(),
    ));

    // Wrong JSON types.
    let mut typed: Vec<(Path, Value, bool)> = vec![
        (Path::keys(&["cniVersion"]), json!("1.0.0"), false),
        (Path::keys(&["name"]), json!("n"), false),
        (Path::keys(&["type"]), json!("t"), false),
    ];
    if sites.has_ipam {
        typed.push((Path::keys(&["ipam"]), json!({}), false));
    }
    if sites.ipam_type.is_some() {
        typed.push((Path::keys(&["ipam", "type"]), json!("t"), false));
    }
    if sites.has_dns {
        typed.push((Path::keys(&["dns"]), json!({}), false));
    }
    typed.extend(sites.own.iter().map(|(p, v)| (p.clone(), v.clone(), true)));
    arms.push((
        10,
        select(typed)
            .prop_flat_map(|(path, original, with_null)| {
                select(other_type(&original, with_null)).prop_map(move |value| {
                    Mutation::WrongType {
                        path: path.clone(),
                        value,
                    }
                })
            })
            .boxed(),
    ));

    arms.push((
        5,
        select(MALFORMED_VERSIONS.to_vec())
            .prop_map(|v| Mutation::MalformedVersion {
                version: v.to_owned(),
            })
            .boxed(),
    ));
    let mut unsupported: Vec<String> = UNSUPPORTED_VERSIONS
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    unsupported.extend(sites.unadvertised.iter().map(|v| v.as_str().to_owned()));
    arms.push((
        5,
        select(unsupported)
            .prop_map(|version| Mutation::UnsupportedVersion { version })
            .boxed(),
    ));
    arms.push((
        6,
        select(BAD_NAMES.to_vec())
            .prop_map(|n| Mutation::BadName { name: n.to_owned() })
            .boxed(),
    ));

    // Paths where executable names belong.
    let t = sites.plugin_type.clone();
    let mut separators: Vec<(Path, String)> = vec![
        (Path::keys(&["type"]), format!("../{t}")),
        (Path::keys(&["type"]), format!("/usr/bin/{t}")),
    ];
    if let Some(ipam) = &sites.ipam_type {
        for value in [
            format!("../{ipam}"),
            format!("./{ipam}"),
            format!("sub\\{ipam}"),
        ] {
            separators.push((Path::keys(&["ipam", "type"]), value));
        }
        // The delegate's real place: a plugin that executes the path
        // succeeds, which is exactly what F-CONF-8 forbids.
        for dir in &sites.plugin_dirs {
            separators.push((
                Path::keys(&["ipam", "type"]),
                format!("{}/{ipam}", dir.trim_end_matches('/')),
            ));
        }
    }
    arms.push((
        4,
        select(separators)
            .prop_map(|(path, value)| Mutation::PathSeparator { path, value })
            .boxed(),
    ));

    let objects = sites.objects();
    arms.push((
        8,
        (select(objects.clone()), unknown_key(), parts.value.clone())
            .prop_map(|(at, key, value)| Mutation::UnknownField { at, key, value })
            .boxed(),
    ));
    arms.push((
        4,
        (
            select(objects.clone()),
            unknown_key(),
            prop_oneof![
                select(vec![127usize, 128, 129, 1000, 10_000, 10_001]),
                2usize..200_000
            ],
        )
            .prop_map(|(at, key, depth)| Mutation::DeepNesting { at, key, depth })
            .boxed(),
    ));

    let mut long_sites: Vec<BoxedStrategy<LongSite>> = vec![
        Just(LongSite::Name).boxed(),
        (select(objects.clone()), unknown_key())
            .prop_map(|(at, key)| LongSite::UnknownValue { at, key })
            .boxed(),
        select(objects.clone())
            .prop_map(|at| LongSite::UnknownKey { at })
            .boxed(),
    ];
    let strings = sites.own_strings();
    if !strings.is_empty() {
        long_sites.push(
            select(strings)
                .prop_map(|path| LongSite::Value { path })
                .boxed(),
        );
    }
    arms.push((
        8,
        (Union::new(long_sites), long_len())
            .prop_map(|(site, len)| Mutation::LongString { site, len })
            .boxed(),
    ));

    let numbers = sites.own_numbers();
    let numeric_site: BoxedStrategy<(Path, bool, Option<String>)> = if numbers.is_empty() {
        (unknown_key())
            .prop_map(|k| (Path::keys(&[&k]), true, None))
            .boxed()
    } else {
        prop_oneof![
            3 => select(numbers).prop_map(|(p, base)| (p, false, Some(base))),
            1 => unknown_key().prop_map(|k| (Path::keys(&[&k]), true, None)),
        ]
        .boxed()
    };
    arms.push((
        6,
        (numeric_site, select(LIMIT_NUMBERS.to_vec()))
            .prop_map(|((path, added, base), n)| Mutation::NumberAtLimit {
                path,
                number: n.to_owned(),
                added,
                base,
            })
            .boxed(),
    ));

    arms.push((
        3,
        (select(objects), unknown_key(), select(BAD_UTF8.to_vec()))
            .prop_map(|(at, key, bytes)| Mutation::InvalidUtf8 {
                at,
                key,
                bytes: bytes.to_vec(),
            })
            .boxed(),
    ));
    if !sites.top_keys.is_empty() {
        arms.push((
            3,
            select(sites.top_keys.clone())
                .prop_map(|key| Mutation::DuplicateKey { key })
                .boxed(),
        ));
    }
    arms.push((
        4,
        select(vec![
            "x",
            "}",
            "{}",
            "[]",
            "0",
            "null",
            ",",
            "\u{0}",
            "{\"cniVersion\":\"1.0.0\"}",
        ])
        .prop_map(|t| Mutation::TrailingGarbage { text: t.to_owned() })
        .boxed(),
    ));
    arms.push((
        2,
        select(vec!["", " ", "\n", "\t \r\n"])
            .prop_map(|t| Mutation::Empty { text: t.to_owned() })
            .boxed(),
    ));
    arms.push((
        4,
        (1usize..4096)
            .prop_map(|keep| Mutation::Truncated { keep })
            .boxed(),
    ));
    arms.push((
        3,
        select(vec!["[]", "\"config\"", "42", "null", "true", "[$config]"])
            .prop_map(|t| Mutation::NotAnObject { text: t.to_owned() })
            .boxed(),
    ));
    Union::new_weighted(arms).boxed()
}

/// The context of a request at `version` for a plugin advertising
/// `supported`: whether its `ipam` section names a delegate it runs, or is
/// its own.
pub fn context(
    request: &Value,
    version: Version,
    supported: &[Version],
    ipam_own: bool,
) -> Context {
    let delegates = !ipam_own && request.pointer("/ipam/type").is_some_and(Value::is_string);
    Context {
        version,
        supported: supported.to_vec(),
        delegates,
        ipam_own,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Value {
        json!({"cniVersion": "1.0.0", "name": "n", "type": "p", "mtu": 1400,
               "ipam": {"type": "i", "ranges": [[{"subnet": "10.0.0.0/24"}]]}})
    }

    #[test]
    fn byte_level_mutations_splice_raw_bytes() {
        let r = request();
        let a = Mutation::InvalidUtf8 {
            at: Path::root(),
            key: "x-a".into(),
            bytes: vec![0xff],
        }
        .apply(&r);
        assert!(std::str::from_utf8(&a.bytes).is_err());
        assert!(a.bytes.windows(5).any(|w| w == b"ab\xffcd"));
        let d = Mutation::DeepNesting {
            at: Path::keys(&["ipam"]),
            key: "x-d".into(),
            depth: 3,
        }
        .apply(&r);
        let text = String::from_utf8(d.bytes).unwrap();
        assert!(text.contains("\"x-d\":[[[]]]"), "{text}");
        let dup = Mutation::DuplicateKey { key: "name".into() }.apply(&r);
        let text = String::from_utf8(dup.bytes).unwrap();
        assert!(text.ends_with(",\"name\":\"n\"}"), "{text}");
        let t = Mutation::Truncated { keep: 10_000 }.apply(&r);
        assert_eq!(t.bytes.len(), serde_json::to_vec(&r).unwrap().len() - 1);
    }

    #[test]
    fn numbers_keep_their_text() {
        let r = request();
        let a = Mutation::NumberAtLimit {
            path: Path::keys(&["mtu"]),
            number: "1e400".into(),
            added: false,
            base: Some("1400".into()),
        }
        .apply(&r);
        // No f64 holds it: it is sent as the number it is, written as
        // serde_json writes numbers (the exponent signed), not as null or
        // infinity.
        let text = String::from_utf8(a.bytes).unwrap();
        assert!(text.contains("\"mtu\":1e+400"), "{text}");
    }

    #[test]
    fn sites_exclude_what_the_spec_defines() {
        let s = Sites::of(&request(), &[], &[Version::V1_0_0]);
        let paths: Vec<String> = s.own.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(
            paths,
            [
                "mtu",
                "ipam.ranges",
                "ipam.ranges[0]",
                "ipam.ranges[0][0]",
                "ipam.ranges[0][0].subnet"
            ]
        );
        assert_eq!(s.ipam_type.as_deref(), Some("i"));
        assert!(s.unadvertised.contains(&Version::V0_4_0));
    }
}
