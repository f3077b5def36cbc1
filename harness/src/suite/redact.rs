//! Every placeholder for what varies between runs and machines, in one
//! place, so snapshots of a plugin's answers are stable at the source.
//!
//! What can be pinned is pinned before this runs: container ids come from
//! the case id, interface names are fixed, each case gets a fresh IPAM
//! store, so addresses stay in the snapshot. What is left is truly random
//! or machine-specific: kernel-made MACs, host interfaces named at random,
//! temporary directories, the plugin search path. Redaction keeps
//! correlation: the same value gets the same numbered placeholder, so a
//! snapshot still shows that the MAC in the result is the one the kernel
//! showed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// Redacts the answers of one case instance.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Literal strings and their placeholders: directories of this machine
    /// and this run.
    literals: Vec<(String, String)>,
    /// Names the configuration gives (a bridge's name): pinned, not random.
    pinned_names: BTreeSet<String>,
    macs: BTreeMap<String, String>,
    /// How many MACs got a numbered placeholder.
    numbered: usize,
    host_names: BTreeMap<String, String>,
}

impl Redactor {
    /// `paths` are machine- or run-specific directories, each with the
    /// placeholder it becomes (`[cni-path-1]`, `[scratch]`); `pinned` are
    /// names the configuration sets, which stay.
    pub fn new(paths: Vec<(String, String)>, pinned: BTreeSet<String>) -> Redactor {
        let mut literals: Vec<(String, String)> =
            paths.into_iter().filter(|(p, _)| p.len() > 1).collect();
        // Longest first, so "/a/b" is not half-replaced by "/a".
        literals.sort_by_key(|l| std::cmp::Reverse(l.0.len()));
        Redactor {
            literals,
            pinned_names: pinned,
            ..Redactor::default()
        }
    }

    /// One more literal to replace (an attachment's own namespace path and
    /// container id, where which attachment got what varies).
    pub fn with_literal(mut self, literal: &str, placeholder: &str) -> Redactor {
        self.literals
            .push((literal.to_owned(), placeholder.to_owned()));
        self.literals.sort_by_key(|l| std::cmp::Reverse(l.0.len()));
        self
    }

    /// Learns the host-side interfaces a result names (those without a
    /// `sandbox`); names the configuration did not pin are random.
    pub fn learn(&mut self, result: &Value) {
        let Some(Value::Array(ifaces)) = result.get("interfaces") else {
            return;
        };
        for iface in ifaces {
            let sandbox = iface
                .get("sandbox")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Some(name) = iface.get("name").and_then(Value::as_str) else {
                continue;
            };
            if sandbox.is_empty()
                && !self.pinned_names.contains(name)
                && !self.host_names.contains_key(name)
            {
                let placeholder = format!("[host-if-{}]", self.host_names.len() + 1);
                self.host_names.insert(name.to_owned(), placeholder);
            }
        }
    }

    /// Gives the MACs of the host-side interfaces a result names (those
    /// without a `sandbox`) one unnumbered placeholder. For the answers of
    /// ADDs run at once: a bridge takes the MAC of one of its ports, and
    /// which one depends on the order the ADDs happened to run in, so
    /// whether two host MACs are equal is the kernel's race, not an answer.
    pub fn host_macs_unnumbered(&mut self, result: &Value) {
        let Some(Value::Array(ifaces)) = result.get("interfaces") else {
            return;
        };
        for iface in ifaces {
            let in_sandbox = iface
                .get("sandbox")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            if let (false, Some(mac)) = (in_sandbox, iface.get("mac").and_then(Value::as_str))
                && is_mac(mac)
            {
                self.macs
                    .insert(mac.to_ascii_lowercase(), "[host-mac]".to_owned());
            }
        }
    }

    /// The value with every varying string replaced.
    pub fn value(&mut self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|i| self.value(i)).collect()),
            Value::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    out.insert(k.clone(), self.value(v));
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }

    /// A string with every varying part replaced.
    pub fn text(&mut self, s: &str) -> String {
        let mut out = s.to_owned();
        for (literal, placeholder) in &self.literals {
            if out.contains(literal.as_str()) {
                out = out.replace(literal.as_str(), placeholder);
            }
        }
        for (name, placeholder) in &self.host_names {
            if out.contains(name.as_str()) {
                out = replace_word(&out, name, placeholder);
            }
        }
        self.macs_in(&out)
    }

    /// Replaces every MAC address (six hex pairs joined by ':') by its
    /// numbered placeholder.
    fn macs_in(&mut self, s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while i < bytes.len() {
            if i + 17 <= bytes.len()
                && is_mac(&s[i..i + 17])
                && !hex_at(bytes, i + 17)
                && (i == 0 || !hex_at(bytes, i - 1))
            {
                let mac = s[i..i + 17].to_ascii_lowercase();
                let placeholder = match self.macs.get(&mac) {
                    Some(p) => p.clone(),
                    None => {
                        self.numbered += 1;
                        let p = format!("[mac-{}]", self.numbered);
                        self.macs.insert(mac, p.clone());
                        p
                    }
                };
                out.push_str(&placeholder);
                i += 17;
            } else {
                let ch = s[i..].chars().next().unwrap_or_default();
                out.push(ch);
                i += ch.len_utf8().max(1);
            }
        }
        out
    }
}

fn is_mac(s: &str) -> bool {
    s.len() == 17
        && s.split(':').count() == 6
        && s.split(':')
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn hex_at(bytes: &[u8], i: usize) -> bool {
    bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_hexdigit() || *b == b':')
}

/// Replaces `name` where it stands as a whole word (not inside another name).
fn replace_word(s: &str, name: &str, placeholder: &str) -> String {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(name) {
        let before_ok = rest[..at].chars().last().is_none_or(|c| !is_name_char(c));
        let after_ok = rest[at + name.len()..]
            .chars()
            .next()
            .is_none_or(|c| !is_name_char(c));
        out.push_str(&rest[..at]);
        if before_ok && after_ok {
            out.push_str(placeholder);
        } else {
            out.push_str(name);
        }
        rest = &rest[at + name.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn macs_keep_their_correlation() {
        let mut r = Redactor::default();
        let v = json!({"interfaces": [{"name": "eth0", "mac": "0A:58:0a:01:00:02"}], "msg": "eth0 has 0a:58:0a:01:00:02, not 0a:58:0a:01:00:03"});
        assert_eq!(
            r.value(&v),
            json!({"interfaces": [{"name": "eth0", "mac": "[mac-1]"}], "msg": "eth0 has [mac-1], not [mac-2]"})
        );
    }

    #[test]
    fn host_macs_can_go_unnumbered_the_others_keep_their_numbers() {
        let result = json!({"interfaces": [
            {"name": "cni0", "mac": "0a:00:00:00:00:01"},
            {"name": "veth1", "mac": "0A:00:00:00:00:01"},
            {"name": "eth0", "mac": "0a:00:00:00:00:02", "sandbox": "/run/netns/x"}]});
        let mut r = Redactor::default();
        r.host_macs_unnumbered(&result);
        assert_eq!(
            r.value(&result),
            json!({"interfaces": [
                {"name": "cni0", "mac": "[host-mac]"},
                {"name": "veth1", "mac": "[host-mac]"},
                {"name": "eth0", "mac": "[mac-1]", "sandbox": "/run/netns/x"}]})
        );
    }

    #[test]
    fn random_host_names_and_paths_go_pinned_names_stay() {
        let mut r = Redactor::new(
            vec![
                ("/work/x/target/debug".into(), "[cni-path-1]".into()),
                ("/tmp/cnitest-case-Ab12".into(), "[scratch]".into()),
            ],
            ["cni0".to_owned()].into_iter().collect(),
        );
        let result = json!({"interfaces": [{"name": "cni0"}, {"name": "veth1a2b3c4d"}, {"name": "eth0", "sandbox": "/run/netns/a"}]});
        r.learn(&result);
        assert_eq!(
            r.value(&result),
            json!({"interfaces": [{"name": "cni0"}, {"name": "[host-if-1]"}, {"name": "eth0", "sandbox": "/run/netns/a"}]})
        );
        assert_eq!(
            r.text("veth1a2b3c4d not in /work/x/target/debug:/tmp/cnitest-case-Ab12 (veth1a2b3c4dx stays)"),
            "[host-if-1] not in [cni-path-1]:[scratch] (veth1a2b3c4dx stays)"
        );
    }

    #[test]
    fn things_that_only_look_like_macs_stay() {
        let mut r = Redactor::default();
        assert_eq!(r.text("fd00:1:2:3:4:5:6:7"), "fd00:1:2:3:4:5:6:7");
        assert_eq!(r.text("aa:bb:cc:dd:ee:ff:00"), "aa:bb:cc:dd:ee:ff:00");
    }
}
