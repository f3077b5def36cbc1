//! Telling a plugin's steady state from a leak, by running ADD/DEL twice.
//!
//! Three fingerprints of one namespace are compared: `before` the first
//! ADD, after the first DEL, after a second ADD/DEL. Every thing in them is
//! keyed (a link by name, an address by address and link, a route by what
//! `ip route` shows of it, a file by path, a firewall rule by its text and
//! how many copies came before it) and counted in a category: links of one
//! kind, addresses of one family, routes of one family and table, files in
//! one directory, rules of one chain.
//!
//! A *residue* is a key that `before` lacks. For each category, the
//! residues after the first DEL (`r1`) and after the second (`r2`) are
//! counted:
//! - `r2 > r1`: the category **grows** with each cycle: a leak. The
//!   residues new in the second cycle are named; the first cycle's residues
//!   of the category are listed beside them, as one of them is the first
//!   cycle's copy of the leak (which one cannot be known).
//! - otherwise the second cycle's residues of the category are **steady**:
//!   left once and then stable, replaced by one of their kind, or changed
//!   in content only (host-local's `last_reserved_ip.0`, a bridge kept on
//!   purpose).
//!
//! Things that were there before and are changed after the second cycle
//! are steady too (a one-off change does not grow); things that were there
//! before and are gone after either cycle are **missing**. A first-cycle
//! residue that the second cycle removed is none of these: it is gone, and
//! the plain diff of the first cycle (P-DEL-4) shows it. Growth is counted
//! in things, not bytes: a state file that grows inside is not caught here.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::diff::{Leftover, change};
use super::fingerprint::Fingerprint;
use super::items::{Items, Parts, Section, items};

/// What two ADD/DEL cycles left in one namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Residue {
    /// Left behind, but not more with each cycle.
    pub steady: Vec<Leftover>,
    /// Categories that grow with each cycle: leaks.
    pub growing: Vec<Growth>,
    /// There before the first ADD, gone after a DEL.
    pub missing: Vec<Leftover>,
}

impl Residue {
    /// Nothing left, nothing grown, nothing missing.
    pub fn is_clean(&self) -> bool {
        self.steady.is_empty() && self.growing.is_empty() && self.missing.is_empty()
    }
}

/// One category that grew in the second cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Growth {
    pub namespace: String,
    /// "veth links", "files in /var/lib/cni/networks/net1", ...
    pub category: String,
    /// How many of the category's things were left after the first DEL.
    pub after_first: usize,
    /// And after the second.
    pub after_second: usize,
    /// Residues new in the second cycle.
    pub added: Vec<Leftover>,
    /// The category's residues after the first DEL.
    pub earlier: Vec<Leftover>,
}

impl fmt::Display for Growth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} in {} grow with each ADD/DEL cycle: {} left after the first DEL, {} after the second",
            self.category, self.namespace, self.after_first, self.after_second
        )?;
        let subjects: Vec<&str> = self.added.iter().map(|l| l.0.subject.as_str()).collect();
        if !subjects.is_empty() {
            write!(f, " (new: {})", subjects.join(", "))?;
        }
        Ok(())
    }
}

/// Sorts what two ADD/DEL cycles left into steady state, growth and
/// missing things; see the module's notes for how.
pub fn classify(
    namespace: &str,
    before: &Fingerprint,
    after_first: &Fingerprint,
    after_second: &Fingerprint,
) -> Residue {
    let parts = Parts::common(&[before, after_first, after_second]);
    let before = items(before, parts);
    let first = items(after_first, parts);
    let second = items(after_second, parts);

    let first_residues = residues(&before, &first);
    let second_residues = residues(&before, &second);
    let leftover =
        |key, after: &Items| change(namespace, before.get(key), after.get(key)).map(Leftover);

    let mut residue = Residue::default();
    for (category, keys) in &second_residues {
        let earlier = first_residues.get(category).map_or(&[][..], Vec::as_slice);
        if keys.len() > earlier.len() {
            residue.growing.push(Growth {
                namespace: namespace.to_owned(),
                category: category.clone(),
                after_first: earlier.len(),
                after_second: keys.len(),
                added: keys
                    .iter()
                    .filter(|key| !first.contains_key(**key))
                    .filter_map(|key| leftover(*key, &second))
                    .collect(),
                earlier: earlier
                    .iter()
                    .filter_map(|key| leftover(*key, &first))
                    .collect(),
            });
        } else {
            residue
                .steady
                .extend(keys.iter().filter_map(|key| leftover(*key, &second)));
        }
    }

    for (key, item) in &before {
        match second.get(key) {
            Some(after) if after != item => residue.steady.extend(leftover(key, &second)),
            Some(_) => {}
            None => residue.missing.extend(leftover(key, &second)),
        }
        if !first.contains_key(key) && second.contains_key(key) {
            residue.missing.extend(leftover(key, &first));
        }
    }
    residue
}

/// The keys of `after` that `before` lacks, by category.
fn residues<'a>(before: &Items, after: &'a Items) -> BTreeMap<String, Vec<&'a (Section, String)>> {
    let mut by_category: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for (key, item) in after {
        if !before.contains_key(key) {
            by_category
                .entry(item.category.clone())
                .or_default()
                .push(key);
        }
    }
    by_category
}
