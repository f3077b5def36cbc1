//! Spec versions: the seven released CNI versions and what each one allows.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::command::Command;

/// A released version of the CNI specification.
///
/// Only the seven released versions exist as values; any other string is a
/// [`VersionError`], which plugins answer with code 1 (or 6 if it is not even
/// a semantic version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    V0_1_0,
    V0_2_0,
    V0_3_0,
    V0_3_1,
    V0_4_0,
    V1_0_0,
    V1_1_0,
}

/// The three shapes a result can take; conversion is lossless inside a family
/// and lossy across the 0.2/0.3 boundary (catalogue 7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResultFamily {
    /// 0.1.0 and 0.2.0: `ip4` / `ip6` objects.
    Legacy,
    /// 0.3.0, 0.3.1 and 0.4.0: `interfaces`, `ips` with `version`, `routes`.
    V04,
    /// 1.0.0 and 1.1.0: as 0.4.0 without `ips[].version`, plus 1.1.0 fields.
    V1,
}

impl Version {
    /// Every released version, oldest first.
    pub const ALL: [Version; 7] = [
        Version::V0_1_0,
        Version::V0_2_0,
        Version::V0_3_0,
        Version::V0_3_1,
        Version::V0_4_0,
        Version::V1_0_0,
        Version::V1_1_0,
    ];

    /// The newest version this crate knows.
    pub const LATEST: Version = Version::V1_1_0;

    pub fn as_str(self) -> &'static str {
        match self {
            Version::V0_1_0 => "0.1.0",
            Version::V0_2_0 => "0.2.0",
            Version::V0_3_0 => "0.3.0",
            Version::V0_3_1 => "0.3.1",
            Version::V0_4_0 => "0.4.0",
            Version::V1_0_0 => "1.0.0",
            Version::V1_1_0 => "1.1.0",
        }
    }

    pub fn semver(self) -> SemVer {
        match self {
            Version::V0_1_0 => SemVer::new(0, 1, 0),
            Version::V0_2_0 => SemVer::new(0, 2, 0),
            Version::V0_3_0 => SemVer::new(0, 3, 0),
            Version::V0_3_1 => SemVer::new(0, 3, 1),
            Version::V0_4_0 => SemVer::new(0, 4, 0),
            Version::V1_0_0 => SemVer::new(1, 0, 0),
            Version::V1_1_0 => SemVer::new(1, 1, 0),
        }
    }

    /// Exact lookup: libcni and pkg/skel compare version strings exactly
    /// ("1.0" is not "1.0.0", catalogue 13.25), and so do we.
    pub fn from_exact(s: &str) -> Option<Version> {
        Version::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn family(self) -> ResultFamily {
        match self {
            Version::V0_1_0 | Version::V0_2_0 => ResultFamily::Legacy,
            Version::V0_3_0 | Version::V0_3_1 | Version::V0_4_0 => ResultFamily::V04,
            Version::V1_0_0 | Version::V1_1_0 => ResultFamily::V1,
        }
    }

    /// The version that introduced a command (P-ENV-1).
    pub fn introducing(command: Command) -> Version {
        match command {
            Command::Add | Command::Del => Version::V0_1_0,
            Command::Version => Version::V0_2_0,
            Command::Check => Version::V0_4_0,
            Command::Status | Command::Gc => Version::V1_1_0,
        }
    }

    /// Whether a configuration at this version may be used with `command`.
    pub fn allows(self, command: Command) -> bool {
        self >= Version::introducing(command)
    }

    /// Network configuration lists (chaining) exist from 0.3.0 on.
    pub fn has_lists(self) -> bool {
        self >= Version::V0_3_0
    }

    /// Single network configurations were removed in 1.0.0.
    pub fn has_single_conf(self) -> bool {
        self <= Version::V0_4_0
    }

    /// From 0.4.0 on, the runtime sends the cached result as `prevResult` on
    /// DEL (R-DEL-1) and CHECK exists.
    pub fn has_del_prev_result(self) -> bool {
        self >= Version::V0_4_0
    }

    /// From 0.4.0 on the spec declares RFC 2119 keywords; before that a
    /// "must" is graded at most as SHOULD (catalogue 0.2).
    pub fn has_rfc2119(self) -> bool {
        self >= Version::V0_4_0
    }

    /// The environment variable `CNI_VERSION` exists only in 0.1.0 (R-ENV-8).
    pub fn has_cni_version_env(self) -> bool {
        self == Version::V0_1_0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a version string is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// A well-formed semantic version that no released spec carries.
    #[error(
        "{0:?} is not a released CNI spec version (known: 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)"
    )]
    Unknown(String),
    /// Not a semantic version at all.
    #[error("{0:?} is not a semantic version")]
    Malformed(String),
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(v) = Version::from_exact(s) {
            return Ok(v);
        }
        match SemVer::parse(s) {
            Some(_) => Err(VersionError::Unknown(s.to_owned())),
            None => Err(VersionError::Malformed(s.to_owned())),
        }
    }
}

impl Serialize for Version {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A semantic version `major.minor.patch`, for ordering versions that are not
/// (or not yet) released ones, as `cniVersions` may hold (F-CONF-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SemVer {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl SemVer {
    pub const fn new(major: u64, minor: u64, patch: u64) -> SemVer {
        SemVer {
            major,
            minor,
            patch,
        }
    }

    /// Parses `x.y.z`, and the short forms `x` and `x.y` that libcni's
    /// version parser also takes; pre-release and build suffixes are refused.
    pub fn parse(s: &str) -> Option<SemVer> {
        let mut parts = [0u64; 3];
        let mut count = 0;
        for part in s.split('.') {
            if count == 3 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[count] = part.parse().ok()?;
            count += 1;
        }
        (count > 0).then(|| SemVer::new(parts[0], parts[1], parts[2]))
    }

    /// The released version with exactly this number, if any.
    pub fn released(self) -> Option<Version> {
        Version::ALL.into_iter().find(|v| v.semver() == self)
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch))
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_strings_only() {
        assert_eq!("1.0.0".parse::<Version>(), Ok(Version::V1_0_0));
        assert!(matches!(
            "1.0".parse::<Version>(),
            Err(VersionError::Unknown(_))
        ));
        assert!(matches!(
            "0.3.5".parse::<Version>(),
            Err(VersionError::Unknown(_))
        ));
        assert!(matches!(
            "abc".parse::<Version>(),
            Err(VersionError::Malformed(_))
        ));
        assert!(matches!(
            "1.0.0-rc1".parse::<Version>(),
            Err(VersionError::Malformed(_))
        ));
    }

    #[test]
    fn commands_per_version() {
        assert!(!Version::V0_1_0.allows(Command::Version));
        assert!(Version::V0_2_0.allows(Command::Version));
        assert!(!Version::V0_3_1.allows(Command::Check));
        assert!(Version::V0_4_0.allows(Command::Check));
        assert!(!Version::V1_0_0.allows(Command::Gc));
        assert!(Version::V1_1_0.allows(Command::Status));
    }

    #[test]
    fn ordering_follows_semver() {
        let mut sorted = Version::ALL;
        sorted.sort_by_key(|v| v.semver());
        assert_eq!(sorted, Version::ALL);
        assert!(SemVer::parse("9.9.9").unwrap() > Version::LATEST.semver());
        assert_eq!(SemVer::parse("1.1"), Some(SemVer::new(1, 1, 0)));
        assert_eq!(SemVer::parse("1..1"), None);
    }
}
