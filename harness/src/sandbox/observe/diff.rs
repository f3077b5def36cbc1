//! Differences between two fingerprints of one namespace, as lines a person
//! reads: `address 10.1.0.2/24 on eth0 added in container`.

use std::fmt;

use serde::Serialize;

use super::fingerprint::Fingerprint;
use super::items::{Item, Items, Parts, items};

/// One thing that differs between two fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The namespace, as the caller named it: "host", "container".
    pub namespace: String,
    /// What changed, named as `ip` would: `link veth1a2b3c (veth)`,
    /// `route 10.1.0.0/24 dev cni0 table main`, `file /var/lib/cni/...`.
    pub subject: String,
    pub what: What,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum What {
    Added,
    Removed,
    /// The same thing with other attributes.
    Changed {
        attributes: Vec<AttributeChange>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeChange {
    pub name: String,
    pub before: String,
    pub after: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Change {
            namespace,
            subject,
            what,
        } = self;
        match what {
            What::Added => write!(f, "{subject} added in {namespace}"),
            What::Removed => write!(f, "{subject} removed from {namespace}"),
            What::Changed { attributes } => {
                write!(f, "{subject} changed in {namespace}: ")?;
                write_attributes(f, attributes)
            }
        }
    }
}

/// A change seen after DEL, against the fingerprint taken before ADD: what
/// the plugin left behind (P-DEL-4). It reads as such:
/// `link veth1a2b3c (veth) still present in host`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Leftover(pub Change);

impl fmt::Display for Leftover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Change {
            namespace,
            subject,
            what,
        } = &self.0;
        match what {
            What::Added => write!(f, "{subject} still present in {namespace}"),
            What::Removed => write!(
                f,
                "{subject} missing from {namespace} (it was there before ADD)"
            ),
            What::Changed { attributes } => {
                write!(f, "{subject} still changed in {namespace}: ")?;
                write_attributes(f, attributes)
            }
        }
    }
}

fn write_attributes(f: &mut fmt::Formatter<'_>, attributes: &[AttributeChange]) -> fmt::Result {
    for (i, a) in attributes.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{} {} -> {}", a.name, a.before, a.after)?;
    }
    Ok(())
}

/// What differs from `before` to `after`, in a stable order: links,
/// addresses, routes, firewall rules, files. Firewall rules and files are
/// compared only when both fingerprints have them.
pub fn diff(namespace: &str, before: &Fingerprint, after: &Fingerprint) -> Vec<Change> {
    let parts = Parts::common(&[before, after]);
    compare(namespace, &items(before, parts), &items(after, parts))
}

/// What a plugin left behind: the difference between the fingerprint taken
/// before ADD and the one taken after DEL (P-DEL-4).
pub fn left_behind(
    namespace: &str,
    before_add: &Fingerprint,
    after_del: &Fingerprint,
) -> Vec<Leftover> {
    diff(namespace, before_add, after_del)
        .into_iter()
        .map(Leftover)
        .collect()
}

pub(crate) fn compare(namespace: &str, before: &Items, after: &Items) -> Vec<Change> {
    let mut keys: Vec<_> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| change(namespace, before.get(key), after.get(key)))
        .collect()
}

pub(crate) fn change(
    namespace: &str,
    before: Option<&Item>,
    after: Option<&Item>,
) -> Option<Change> {
    let (subject, what) = match (before, after) {
        (None, Some(after)) => (after.subject.clone(), What::Added),
        (Some(before), None) => (before.subject.clone(), What::Removed),
        (Some(before), Some(after)) => {
            let attributes = changed_attributes(before, after);
            if attributes.is_empty() {
                return None;
            }
            (before.subject.clone(), What::Changed { attributes })
        }
        (None, None) => return None,
    };
    Some(Change {
        namespace: namespace.to_owned(),
        subject,
        what,
    })
}

fn changed_attributes(before: &Item, after: &Item) -> Vec<AttributeChange> {
    let value = |item: &Item, name: &str| {
        item.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map_or_else(|| "none".to_owned(), |(_, v)| v.clone())
    };
    let mut names: Vec<&'static str> = before.attributes.iter().map(|(n, _)| *n).collect();
    for (name, _) in &after.attributes {
        if !names.contains(name) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let (b, a) = (value(before, name), value(after, name));
            (b != a).then(|| AttributeChange {
                name: name.to_owned(),
                before: b,
                after: a,
            })
        })
        .collect()
}
