//! Shrinking a failing configuration: the smallest input found that still
//! fails the same way (same rule, same command, same kind of answer), so
//! that a person reads the problem at a glance. Structure first (the
//! mutation, the variant's additions, the user's own keys), then the
//! mutation's size by bisection (a string's length, a nesting depth, a
//! number's distance from the value the field had).

use std::time::Duration;

use serde::Serialize;

use super::execute::{Bench, Executed, FuzzFinding, execute};
use super::generate::FuzzCase;
use super::mutation::{LIMIT_NUMBERS, LongSite, Mutation};
use super::oracle::AnswerKind;
use super::path::Path;
use super::variant::Seed;

/// What makes two failures the same, for shrinking: the rule, the command
/// that showed it and the kind of answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Symptom {
    pub rule: String,
    pub command: String,
    pub answer: AnswerKind,
}

impl Symptom {
    pub fn of(f: &FuzzFinding) -> Symptom {
        Symptom {
            rule: f.rule.clone(),
            command: f.command.clone(),
            answer: f.answer.clone(),
        }
    }

    fn shown_by(&self, ex: &Executed) -> bool {
        ex.error.is_none() && ex.findings.iter().any(|f| Symptom::of(f) == *self)
    }
}

/// A shrunk failure.
#[derive(Debug, Clone)]
pub struct Shrunk {
    pub case: FuzzCase,
    pub executed: Executed,
    /// Configurations run while shrinking.
    pub attempts: usize,
    pub duration: Duration,
}

/// Shrinks `case`, which showed `symptom` as `executed`, trying at most
/// `budget` configurations.
pub fn shrink(
    bench: &Bench<'_>,
    case: FuzzCase,
    executed: Executed,
    symptom: &Symptom,
    budget: usize,
    stop: &(dyn Fn() -> bool + Sync),
) -> Shrunk {
    let started = std::time::Instant::now();
    let mut s = Shrinker {
        bench,
        symptom,
        budget,
        stop,
        attempts: 0,
        tried: std::collections::HashSet::new(),
        best: case,
        shown: executed,
    };
    s.structure();
    s.size();
    // Sizes can make structure removable that was not before.
    s.structure();
    Shrunk {
        case: s.best,
        executed: s.shown,
        attempts: s.attempts,
        duration: started.elapsed(),
    }
}

struct Shrinker<'a> {
    bench: &'a Bench<'a>,
    symptom: &'a Symptom,
    budget: usize,
    stop: &'a (dyn Fn() -> bool + Sync),
    attempts: usize,
    /// Candidates run already (as JSON): one that did not fail before is
    /// not run again.
    tried: std::collections::HashSet<String>,
    best: FuzzCase,
    shown: Executed,
}

impl Shrinker<'_> {
    fn exhausted(&self) -> bool {
        self.attempts >= self.budget || (self.stop)()
    }

    /// Runs `candidate`; keeps it if it fails the same way.
    fn try_case(&mut self, candidate: FuzzCase) -> bool {
        if self.exhausted()
            || candidate == self.best
            || !same_input_class(&self.best, &candidate, self.bench.seed)
        {
            return false;
        }
        let mut key = candidate.clone();
        key.index = 0;
        if !self
            .tried
            .insert(serde_json::to_string(&key).unwrap_or_default())
        {
            return false;
        }
        self.attempts += 1;
        let ex = execute(self.bench, &candidate);
        if self.symptom.shown_by(&ex) {
            self.best = candidate;
            self.shown = ex;
            true
        } else {
            false
        }
    }

    /// Removes and simplifies until nothing more can go.
    fn structure(&mut self) {
        loop {
            let candidates = structural(&self.best, self.bench.seed);
            let mut improved = false;
            for c in candidates {
                if self.exhausted() {
                    return;
                }
                if self.try_case(c) {
                    improved = true;
                    break;
                }
            }
            if !improved {
                return;
            }
        }
    }

    /// Makes the mutation as small as it can be while it still fails.
    fn size(&mut self) {
        let Some(m) = self.best.mutation.clone() else {
            return;
        };
        match m {
            Mutation::LongString { site, len } => {
                self.smallest(1, len as i128, |len| Mutation::LongString {
                    site: site.clone(),
                    len: len as usize,
                });
            }
            Mutation::DeepNesting { at, key, depth } => {
                self.smallest(1, depth as i128, |depth| Mutation::DeepNesting {
                    at: at.clone(),
                    key: key.clone(),
                    depth: depth as usize,
                });
            }
            Mutation::Truncated { keep } => {
                self.smallest(1, keep as i128, |keep| Mutation::Truncated {
                    keep: keep as usize,
                });
            }
            Mutation::NumberAtLimit {
                path,
                number,
                added,
                base,
            } => {
                let make = |n: i128| Mutation::NumberAtLimit {
                    path: path.clone(),
                    number: n.to_string(),
                    added,
                    base: base.clone(),
                };
                let from: i128 = base.as_deref().and_then(|b| b.parse().ok()).unwrap_or(0);
                // A number no integer type holds first becomes the integer
                // nearest the field's value that still fails.
                let at = match number.parse::<i128>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        let mut ladder: Vec<i128> = LIMIT_NUMBERS
                            .iter()
                            .filter_map(|t| t.parse().ok())
                            .collect();
                        ladder.sort_by_key(|n| (n - from).abs());
                        ladder
                            .into_iter()
                            .find(|n| *n != from && self.try_mutation(make(*n)))
                    }
                };
                if let Some(at) = at {
                    self.nearest(from, at, make);
                }
            }
            _ => {}
        }
    }

    fn try_mutation(&mut self, m: Mutation) -> bool {
        let mut c = self.best.clone();
        c.mutation = Some(m);
        self.try_case(c)
    }

    /// The smallest value in `[lo, hi]` that fails, `hi` failing (the
    /// current one): bisection, so failing must grow with the value.
    fn smallest(&mut self, lo: i128, hi: i128, make: impl Fn(i128) -> Mutation) {
        if lo >= hi || self.try_mutation(make(lo)) {
            return;
        }
        let (mut pass, mut fail) = (lo, hi);
        while fail - pass > 1 && !self.exhausted() {
            let mid = pass + (fail - pass) / 2;
            if self.try_mutation(make(mid)) {
                fail = mid;
            } else {
                pass = mid;
            }
        }
    }

    /// The value nearest `from` (which passes: it is the field's own)
    /// that still fails, between `from` and `at` (which fails).
    fn nearest(&mut self, from: i128, at: i128, make: impl Fn(i128) -> Mutation) {
        let (mut pass, mut fail) = (from, at);
        while (fail - pass).abs() > 1 && !self.exhausted() {
            let mid = pass + (fail - pass) / 2;
            if self.try_mutation(make(mid)) {
                fail = mid;
            } else {
                pass = mid;
            }
        }
    }
}

/// Whether `candidate` is the same class of input as `current`: the same
/// mutation kind, still acting on the request the way it says. Dropping the
/// field a mutation acts on would leave the input valid (a removed field
/// that is not there) or wrong in another way (a "wrong type" that adds a
/// key), and another trigger could then keep the symptom alive.
fn same_input_class(current: &FuzzCase, candidate: &FuzzCase, seed: &Seed) -> bool {
    if candidate.kind() != current.kind() {
        return false;
    }
    let Some(m) = &candidate.mutation else {
        return true;
    };
    let request = seed.request(&candidate.variant);
    if m.apply(&request).json.as_ref() == Some(&request) {
        return false;
    }
    let present = |p: &Path| p.get(&request).is_some();
    match m {
        Mutation::Remove { path }
        | Mutation::WrongType { path, .. }
        | Mutation::PathSeparator { path, .. }
        | Mutation::NumberAtLimit {
            path, added: false, ..
        }
        | Mutation::LongString {
            site: LongSite::Value { path },
            ..
        } => present(path),
        Mutation::UnknownField { at, .. }
        | Mutation::DeepNesting { at, .. }
        | Mutation::InvalidUtf8 { at, .. }
        | Mutation::LongString {
            site: LongSite::UnknownValue { at, .. } | LongSite::UnknownKey { at },
            ..
        } => present(at),
        _ => true,
    }
}

/// Simpler neighbours of `case`, the likeliest to matter first.
fn structural(case: &FuzzCase, seed: &Seed) -> Vec<FuzzCase> {
    let mut out = Vec::new();
    let with = |f: &dyn Fn(&mut FuzzCase)| {
        let mut c = case.clone();
        f(&mut c);
        c
    };
    // The mutation itself stays: it is what the class is about. Only a
    // plainer value of the same kind, and the rest of the input, shrink.
    if let Some(m) = &case.mutation {
        for simpler in simpler_mutations(m) {
            out.push(with(&|c| c.mutation = Some(simpler.clone())));
        }
    }
    let v = &case.variant;
    if v.args.is_some() {
        out.push(with(&|c| c.variant.args = None));
    }
    if v.dns.is_some() {
        out.push(with(&|c| c.variant.dns = None));
    }
    if !v.capabilities.is_empty() {
        out.push(with(&|c| c.variant.capabilities.clear()));
    }
    if v.ip_masq_off {
        out.push(with(&|c| c.variant.ip_masq_off = false));
    }
    if v.network != seed.target.network {
        out.push(with(&|c| c.variant.network = seed.target.network.clone()));
    }
    for path in seed.droppable() {
        let covered = v
            .dropped
            .iter()
            .any(|d| d == &path || path.0.starts_with(&d.0));
        if !covered {
            out.push(with(&|c| c.variant.dropped.push(path.clone())));
        }
    }
    out
}

/// Plainer versions of the same mutation: the same kind, a simpler value.
fn simpler_mutations(m: &Mutation) -> Vec<Mutation> {
    let texts = |current: &str, plain: &[&str], make: &dyn Fn(String) -> Mutation| {
        plain
            .iter()
            .filter(|p| **p != current)
            .map(|p| make((*p).to_owned()))
            .collect::<Vec<_>>()
    };
    match m {
        Mutation::WrongType { path, value } => [
            serde_json::json!(42),
            serde_json::json!("42"),
            serde_json::json!(true),
        ]
        .into_iter()
        .filter(|v| v != value)
        .map(|v| Mutation::WrongType {
            path: path.clone(),
            value: v,
        })
        .collect(),
        Mutation::UnknownField { at, key, value } => [serde_json::json!(1), serde_json::json!("x")]
            .into_iter()
            .filter(|v| v != value)
            .map(|v| Mutation::UnknownField {
                at: Path::root(),
                key: key.clone(),
                value: v,
            })
            .chain((!at.is_root()).then(|| Mutation::UnknownField {
                at: Path::root(),
                key: key.clone(),
                value: value.clone(),
            }))
            .collect(),
        Mutation::MalformedVersion { version } => texts(version, &["abc"], &|t| {
            Mutation::MalformedVersion { version: t }
        }),
        Mutation::UnsupportedVersion { version } => texts(version, &["2.0.0"], &|t| {
            Mutation::UnsupportedVersion { version: t }
        }),
        Mutation::BadName { name } => texts(name, &["-x"], &|t| Mutation::BadName { name: t }),
        Mutation::TrailingGarbage { text } => {
            texts(text, &["x"], &|t| Mutation::TrailingGarbage { text: t })
        }
        Mutation::NotAnObject { text } => {
            texts(text, &["[]"], &|t| Mutation::NotAnObject { text: t })
        }
        Mutation::Empty { text } => texts(text, &[""], &|t| Mutation::Empty { text: t }),
        Mutation::InvalidUtf8 { at, key, bytes } if bytes.as_slice() != [0xff] => {
            vec![Mutation::InvalidUtf8 {
                at: at.clone(),
                key: key.clone(),
                bytes: vec![0xff],
            }]
        }
        Mutation::LongString {
            site: LongSite::UnknownValue { at, key },
            len,
        } if !at.is_root() => vec![Mutation::LongString {
            site: LongSite::UnknownValue {
                at: Path::root(),
                key: key.clone(),
            },
            len: *len,
        }],
        Mutation::LongString {
            site: LongSite::UnknownKey { at },
            len,
        } if !at.is_root() => vec![Mutation::LongString {
            site: LongSite::UnknownKey { at: Path::root() },
            len: *len,
        }],
        Mutation::DeepNesting { at, key, depth } if !at.is_root() => {
            vec![Mutation::DeepNesting {
                at: Path::root(),
                key: key.clone(),
                depth: *depth,
            }]
        }
        _ => Vec::new(),
    }
}
