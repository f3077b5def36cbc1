//! What a run record says: the format shared by the sandbox, which writes records, and `clean`,
//! which reads them after the run died.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::netns::{NsId, NsKind};

/// The contents of one record file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    pub namespaces: Vec<NsId>,
    /// The source name of the sandbox's mounts (see `Identity::tag`).
    pub tag: Option<String>,
    pub temp_dirs: Vec<PathBuf>,
    /// Process groups: (pgid, start time of the leader).
    pub process_groups: Vec<(i32, u64)>,
}

impl Facts {
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        for ns in &self.namespaces {
            let id = ns.id.map_or_else(|| "-".to_owned(), |id| id.to_string());
            let _ = writeln!(out, "ns {} {} {} {id}", ns.kind.name(), ns.dev, ns.ino);
        }
        if let Some(tag) = &self.tag {
            let _ = writeln!(out, "tag {tag}");
        }
        for dir in &self.temp_dirs {
            // Paths are written last on their line, so spaces in them survive.
            let _ = writeln!(out, "tempdir {}", dir.display());
        }
        for (pgid, start) in &self.process_groups {
            let _ = writeln!(out, "pgroup {pgid} {start}");
        }
        out
    }

    /// Parses a record; lines it does not understand are skipped (a record cut short by SIGKILL
    /// still yields what it holds).
    pub(crate) fn parse(text: &str) -> Facts {
        let mut facts = Facts::default();
        for line in text.lines() {
            let Some((key, rest)) = line.split_once(' ') else {
                continue;
            };
            match key {
                "ns" => {
                    let fields: Vec<&str> = rest.split(' ').collect();
                    if let [kind, dev, ino, id] = fields[..]
                        && let (Some(kind), Ok(dev), Ok(ino)) =
                            (NsKind::from_name(kind), dev.parse(), ino.parse())
                    {
                        facts.namespaces.push(NsId {
                            kind,
                            dev,
                            ino,
                            id: id.parse().ok(),
                        });
                    }
                }
                "tag" => facts.tag = Some(rest.to_owned()),
                "tempdir" => facts.temp_dirs.push(PathBuf::from(rest)),
                "pgroup" => {
                    if let Some((pgid, start)) = rest.split_once(' ')
                        && let (Ok(pgid), Ok(start)) = (pgid.parse(), start.parse())
                    {
                        facts.process_groups.push((pgid, start));
                    }
                }
                _ => {}
            }
        }
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_round_trip() {
        let facts = Facts {
            namespaces: vec![
                NsId {
                    kind: NsKind::Net,
                    dev: 4,
                    ino: 4026532000,
                    id: Some(17),
                },
                NsId {
                    kind: NsKind::Mnt,
                    dev: 4,
                    ino: 4026532001,
                    id: None,
                },
            ],
            tag: Some("cnitest-1-2".into()),
            temp_dirs: vec![PathBuf::from("/tmp/cnitest-a b")],
            process_groups: vec![(1234, 99)],
        };
        assert_eq!(Facts::parse(&facts.render()), facts);
    }

    #[test]
    fn a_truncated_record_yields_what_it_holds() {
        let facts = Facts::parse("ns net 4 4026532000 17\nns mnt 4 40265");
        assert_eq!(facts.namespaces.len(), 1);
    }
}
