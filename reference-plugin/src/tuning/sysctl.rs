//! Reading and writing `net.*` sysctls of the container's namespace: the
//! files under `/proc/sys/net` show the namespace of the thread that opens
//! them, so a thread that has entered it does the work.

use std::fs;
use std::io;
use std::path::PathBuf;

use crate::netns::Netns;

fn path(key: &str) -> PathBuf {
    PathBuf::from("/proc/sys").join(key.replace('.', "/"))
}

pub fn read(netns: &Netns, key: &str) -> io::Result<String> {
    let path = path(key);
    netns.run(move || fs::read_to_string(path).map(|v| v.trim().to_owned()))
}

pub fn write(netns: &Netns, key: &str, value: &str) -> io::Result<()> {
    let path = path(key);
    let value = value.to_owned();
    netns.run(move || fs::write(path, value))
}
