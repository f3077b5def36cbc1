//! The plan: every case x every version the plugin supports that the case
//! applies to, in the plugin's role; filtered, and split for CI matrices.

use std::sync::Arc;

use super::case::Case;
use super::role::Role;
use crate::spec::Version;

/// One (case, version, role) to run, or a visible reason it will not run.
#[derive(Debug, Clone)]
pub struct Instance {
    pub case: Arc<Case>,
    pub version: Version,
    pub role: Role,
    /// Set when the instance is planned only to be reported as skipped.
    pub skip: Option<String>,
}

/// What narrows the plan.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Keep cases whose id matches any of these (`*` is a wildcard; a
    /// pattern without one matches as a substring).
    pub filters: Vec<String>,
    /// Drop cases whose id matches any of these.
    pub skips: Vec<String>,
    /// Only these versions.
    pub versions: Option<Vec<Version>>,
    /// `(k, n)`: only the k-th of n deterministic shares (1-based).
    pub partition: Option<(u32, u32)>,
}

/// Plans the run. `supported` are the released versions the plugin
/// advertises (P-VER-4: each is tested).
pub fn plan(
    cases: &[Arc<Case>],
    supported: &[Version],
    role: Role,
    sel: &Selection,
) -> Vec<Instance> {
    let mut out = Vec::new();
    let wanted = |v: &Version| sel.versions.as_ref().is_none_or(|vs| vs.contains(v));
    for case in cases {
        if !selected(&case.id, sel) {
            continue;
        }
        let mut versions: Vec<Version> = supported
            .iter()
            .copied()
            .filter(wanted)
            .filter(|v| case.versions.contains(*v))
            .collect();
        if case.once && versions.len() > 1 {
            // The scenario does not depend on the version: the newest will do.
            versions.drain(..versions.len() - 1);
        }
        let reason = if !case.roles.contains(&role) {
            Some(format!(
                "applies to {} plugins; this one runs as {role}",
                case.roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join("/")
            ))
        } else if versions.is_empty() {
            Some(format!(
                "applies to {}; none of them is among the versions tested ({})",
                case.versions
                    .0
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                supported
                    .iter()
                    .copied()
                    .filter(wanted)
                    .map(Version::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else {
            None
        };
        match reason {
            Some(reason) => {
                let version = supported
                    .iter()
                    .copied()
                    .filter(wanted)
                    .max()
                    .unwrap_or(Version::LATEST);
                out.push(Instance {
                    case: case.clone(),
                    version,
                    role,
                    skip: Some(reason),
                });
            }
            None => out.extend(versions.into_iter().map(|version| Instance {
                case: case.clone(),
                version,
                role,
                skip: None,
            })),
        }
    }
    if let Some((k, n)) = sel.partition {
        out.retain(|i| share(&i.case.id, i.version, n) == k - 1);
    }
    out
}

fn selected(id: &str, sel: &Selection) -> bool {
    (sel.filters.is_empty() || sel.filters.iter().any(|p| matches(p, id)))
        && !sel.skips.iter().any(|p| matches(p, id))
}

/// `*` matches any run of characters; a pattern without `*` is a substring.
pub fn matches(pattern: &str, id: &str) -> bool {
    if !pattern.contains('*') {
        return id.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = id;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

/// Which of `n` shares an instance belongs to: a hash of its id and version,
/// the same on every machine and every run.
fn share(id: &str, version: Version, n: u32) -> u32 {
    let h = format!("{id}@{version}")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    (h % u64::from(n.max(1))) as u32
}

/// Parses `K/N` for `--partition`.
pub fn parse_partition(s: &str) -> Result<(u32, u32), String> {
    let (k, n) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?} is not K/N"))?;
    let k: u32 = k
        .parse()
        .map_err(|_| format!("{s:?}: {k:?} is not a number"))?;
    let n: u32 = n
        .parse()
        .map_err(|_| format!("{s:?}: {n:?} is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("{s:?}: K must be between 1 and N"));
    }
    Ok((k, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::case;

    fn cases() -> Vec<Arc<Case>> {
        let text = |v: &str, roles: &str| {
            format!(
                "title = \"t\"\nrules = [\"P-DEL-1\"]\nversions = \"{v}\"\nroles = {roles}\n[[steps]]\nrun = \"del\"\nexpect = \"success\"\n"
            )
        };
        vec![
            Arc::new(
                case::parse(
                    "del/a",
                    "a",
                    &text(">=0.4.0", "[\"interface\", \"chained\"]"),
                )
                .unwrap(),
            ),
            Arc::new(case::parse("gc/b", "b", &text("1.1.0", "[\"interface\"]")).unwrap()),
            Arc::new(case::parse("ipam/c", "c", &text("all", "[\"ipam\"]")).unwrap()),
        ]
    }

    #[test]
    fn versions_roles_and_visible_skips() {
        let supported = [Version::V0_3_1, Version::V0_4_0, Version::V1_0_0];
        let p = plan(&cases(), &supported, Role::Interface, &Selection::default());
        let rows: Vec<(String, Version, bool)> = p
            .iter()
            .map(|i| (i.case.id.clone(), i.version, i.skip.is_some()))
            .collect();
        assert_eq!(
            rows,
            [
                ("del/a".to_owned(), Version::V0_4_0, false),
                ("del/a".to_owned(), Version::V1_0_0, false),
                ("gc/b".to_owned(), Version::V1_0_0, true),
                ("ipam/c".to_owned(), Version::V1_0_0, true),
            ]
        );
    }

    #[test]
    fn filters_and_partitions() {
        assert!(matches("del/*", "del/twice"));
        assert!(matches("*twice", "del/twice"));
        assert!(matches("twi", "del/twice"));
        assert!(!matches("check/*", "del/twice"));
        let supported = Version::ALL;
        let all = plan(&cases(), &supported, Role::Interface, &Selection::default());
        let mut union = Vec::new();
        for k in 1..=3 {
            let sel = Selection {
                partition: Some((k, 3)),
                ..Selection::default()
            };
            union.extend(
                plan(&cases(), &supported, Role::Interface, &sel)
                    .into_iter()
                    .map(|i| (i.case.id.clone(), i.version)),
            );
        }
        union.sort();
        let mut want: Vec<_> = all.iter().map(|i| (i.case.id.clone(), i.version)).collect();
        want.sort();
        assert_eq!(union, want, "the shares cover the plan exactly once");
        assert_eq!(parse_partition("2/3"), Ok((2, 3)));
        assert!(parse_partition("4/3").is_err());
    }
}
