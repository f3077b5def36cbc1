//! Character rules for network names, container ids and interface names.

/// `^[A-Za-z0-9][A-Za-z0-9_.\-]*$`: the rule for network names (F-CONF-3)
/// and container ids (R-ENV-4) from 1.0.0 on. The spec text swallows the
/// underscore through a Markdown glitch; libcni allows it (catalogue 13.20).
pub fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    match bytes.next() {
        Some(first) if first.is_ascii_alphanumeric() => {
            bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        }
        _ => false,
    }
}

/// Why an interface name cannot be used, as libcni's runtime-side validator
/// sees it (L-VAL-2); the kernel's own limit is 15 bytes.
pub fn interface_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("is empty")
    } else if name.len() > 15 {
        Some("is longer than 15 bytes")
    } else if name == "." || name == ".." {
        Some("is \".\" or \"..\"")
    } else if name
        .chars()
        .any(|c| c == '/' || c == ':' || c.is_whitespace())
    {
        Some("contains '/', ':' or white space")
    } else {
        None
    }
}

/// Whether a plugin `type` holds a path separator (F-CONF-8).
pub fn has_path_separator(s: &str) -> bool {
    s.contains('/') || s.contains('\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(is_identifier("net1"));
        assert!(is_identifier("a_b.c-d"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("-bad"));
        assert!(!is_identifier("a/b"));
        assert!(!is_identifier("a b"));
    }

    #[test]
    fn interface_names() {
        assert_eq!(interface_name_problem("eth0"), None);
        assert!(interface_name_problem("abcdefghijklmnop").is_some());
        assert!(interface_name_problem("a b").is_some());
        assert!(interface_name_problem("..").is_some());
        assert!(interface_name_problem("a:1").is_some());
    }
}
