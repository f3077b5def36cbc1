//! Paths into a JSON document (`ipam.ranges[0][0].subnet`): where a
//! mutation acts, and how a finding names the field.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A path from the document's root; empty for the root itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path(pub Vec<Seg>);

impl Path {
    pub fn root() -> Path {
        Path(Vec::new())
    }

    /// A path of object keys only: `Path::keys(&["ipam", "type"])`.
    pub fn keys(keys: &[&str]) -> Path {
        Path(keys.iter().map(|k| Seg::Key((*k).to_owned())).collect())
    }

    pub fn child(&self, seg: Seg) -> Path {
        let mut segs = self.0.clone();
        segs.push(seg);
        Path(segs)
    }

    pub fn key(&self, key: &str) -> Path {
        self.child(Seg::Key(key.to_owned()))
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the path is exactly these object keys.
    pub fn is(&self, keys: &[&str]) -> bool {
        self.0.len() == keys.len()
            && self
                .0
                .iter()
                .zip(keys)
                .all(|(s, k)| matches!(s, Seg::Key(x) if x == k))
    }

    /// The first key, if the path starts with one.
    pub fn head(&self) -> Option<&str> {
        match self.0.first() {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        }
    }

    pub fn get<'a>(&self, value: &'a Value) -> Option<&'a Value> {
        self.0.iter().try_fold(value, |v, seg| match seg {
            Seg::Key(k) => v.get(k.as_str()),
            Seg::Index(i) => v.get(*i),
        })
    }

    pub fn get_mut<'a>(&self, value: &'a mut Value) -> Option<&'a mut Value> {
        self.0.iter().try_fold(value, |v, seg| match seg {
            Seg::Key(k) => v.get_mut(k.as_str()),
            Seg::Index(i) => v.get_mut(*i),
        })
    }

    /// Replaces the value at the path; a missing last key of an existing
    /// object is added. Returns whether anything was written.
    pub fn set(&self, doc: &mut Value, new: Value) -> bool {
        let Some((last, parent)) = self.0.split_last() else {
            *doc = new;
            return true;
        };
        match (Path(parent.to_vec()).get_mut(doc), last) {
            (Some(Value::Object(map)), Seg::Key(k)) => {
                map.insert(k.clone(), new);
                true
            }
            (Some(Value::Array(items)), Seg::Index(i)) if *i < items.len() => {
                items[*i] = new;
                true
            }
            _ => false,
        }
    }

    /// Removes the value at the path, if it is there.
    pub fn remove(&self, doc: &mut Value) -> bool {
        let Some((last, parent)) = self.0.split_last() else {
            return false;
        };
        match (Path(parent.to_vec()).get_mut(doc), last) {
            (Some(Value::Object(map)), Seg::Key(k)) => map.shift_remove(k).is_some(),
            (Some(Value::Array(items)), Seg::Index(i)) if *i < items.len() => {
                items.remove(*i);
                true
            }
            _ => false,
        }
    }

    /// The object at the path, if there is one.
    pub fn object_mut<'a>(&self, doc: &'a mut Value) -> Option<&'a mut Map<String, Value>> {
        self.get_mut(doc).and_then(Value::as_object_mut)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(the document)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for Path {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Every path under `value` (containers and leaves), depth first, not the
/// root; objects deeper than `max_depth` are not entered.
pub fn walk(value: &Value, max_depth: usize) -> Vec<(Path, &Value)> {
    fn go<'a>(v: &'a Value, at: &Path, depth: usize, out: &mut Vec<(Path, &'a Value)>) {
        if depth == 0 {
            return;
        }
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    let p = at.key(k);
                    out.push((p.clone(), child));
                    go(child, &p, depth - 1, out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    let p = at.child(Seg::Index(i));
                    out.push((p.clone(), child));
                    go(child, &p, depth - 1, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    go(value, &Path::root(), max_depth, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_set_remove() {
        let mut doc = json!({"ipam": {"ranges": [[{"subnet": "10.0.0.0/24"}]]}, "x": 1});
        let p = Path(vec![
            Seg::Key("ipam".into()),
            Seg::Key("ranges".into()),
            Seg::Index(0),
            Seg::Index(0),
            Seg::Key("subnet".into()),
        ]);
        assert_eq!(p.to_string(), "ipam.ranges[0][0].subnet");
        assert_eq!(p.get(&doc), Some(&json!("10.0.0.0/24")));
        assert!(p.set(&mut doc, json!(5)));
        assert_eq!(doc["ipam"]["ranges"][0][0]["subnet"], json!(5));
        assert!(Path::keys(&["x"]).remove(&mut doc));
        assert!(!Path::keys(&["x"]).remove(&mut doc));
        assert!(!Path::keys(&["nope", "deeper"]).set(&mut doc, json!(1)));
        assert_eq!(walk(&doc, 8).len(), 5);
    }
}
