//! The host end's name, derived from the attachment: DEL finds it again
//! without `prevResult`, which DEL below 0.4.0 never has.

/// `vref` and 11 hex digits of a hash of (container id, ifname): 15 bytes,
/// the kernel's limit.
pub fn host_veth_name(container_id: &str, ifname: &str) -> String {
    let hash = fnv1a(
        container_id
            .as_bytes()
            .iter()
            .chain(b"\0")
            .chain(ifname.as_bytes()),
    );
    format!("vref{:011x}", hash & 0xfff_ffff_ffff)
}

/// FNV-1a, 64 bits: written out because the standard library's hasher may
/// change between releases, and a name must not.
fn fnv1a<'a>(bytes: impl Iterator<Item = &'a u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_short() {
        let name = host_veth_name("c1", "eth0");
        assert_eq!(name.len(), 15);
        assert_eq!(name, host_veth_name("c1", "eth0"));
        assert_ne!(name, host_veth_name("c1", "eth1"));
        assert_ne!(host_veth_name("c1e", "th0"), host_veth_name("c1", "eth0"));
        // Pinned: a change would strand the host ends of running containers.
        assert_eq!(fnv1a(b"a".iter()), 0xaf63_dc4c_8601_ec8c);
    }
}
