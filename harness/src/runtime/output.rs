//! What a plugin's stdout holds: nothing, exactly one JSON value, or
//! something else, with a diagnosis a plugin author can act on (P-IO-1).

use serde_json::Value;

/// The shape of a plugin's stdout.
#[derive(Debug, Clone, PartialEq)]
pub enum Stdout {
    /// Nothing, or only white space.
    Empty,
    /// Exactly one JSON value, with white space around it allowed.
    Json(Value),
    /// Anything else; the text says what is wrong and where.
    Malformed(String),
}

impl Stdout {
    /// Reads stdout. `truncated` says the capture hit its bound, in which
    /// case the JSON is judged broken whatever the first bytes say.
    pub fn parse(bytes: &[u8], truncated: bool, total: u64) -> Stdout {
        if truncated {
            return Stdout::Malformed(format!(
                "stdout is {total} bytes, more than the {} bytes the harness reads; it starts with {}",
                bytes.len(),
                excerpt(bytes)
            ));
        }
        let body = trim_ascii(bytes);
        if body.is_empty() {
            return Stdout::Empty;
        }
        let mut values = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
        let first = match values.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                return Stdout::Malformed(format!(
                    "stdout is not JSON ({} at line {}, column {}); it starts with {}",
                    error_kind(&e),
                    e.line(),
                    e.column(),
                    excerpt(body)
                ));
            }
            None => return Stdout::Empty,
        };
        let offset = values.byte_offset();
        let rest = trim_ascii(&body[offset..]);
        if rest.is_empty() {
            return Stdout::Json(first);
        }
        let mut more = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
        let mut count = 1;
        while let Some(Ok(_)) = more.next() {
            count += 1;
        }
        if count > 1 && trim_ascii(&rest[more.byte_offset()..]).is_empty() {
            Stdout::Malformed(format!(
                "stdout holds {count} JSON values, not one; the second starts at byte {offset}: {}",
                excerpt(rest)
            ))
        } else {
            Stdout::Malformed(format!(
                "stdout holds one JSON value followed by other text at byte {offset}: {}",
                excerpt(rest)
            ))
        }
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// The first bytes, quoted, for a one-line message.
pub fn excerpt(bytes: &[u8]) -> String {
    const MAX: usize = 80;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX)]);
    let more = if bytes.len() > MAX { "..." } else { "" };
    format!("{:?}{more}", text)
}

fn error_kind(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(s: &str) -> Stdout {
        Stdout::parse(s.as_bytes(), false, s.len() as u64)
    }

    #[test]
    fn p_io_1_exactly_one_value() {
        assert_eq!(parse(" \n"), Stdout::Empty);
        assert_eq!(parse("{\"a\":1}\n"), Stdout::Json(json!({"a": 1})));
    }

    #[test]
    fn p_io_1_diagnoses() {
        let Stdout::Malformed(m) = parse("starting plugin\n{\"a\":1}") else {
            panic!()
        };
        assert!(m.starts_with("stdout is not JSON"), "{m}");
        assert!(m.contains("starting plugin"), "{m}");
        let Stdout::Malformed(m) = parse("{\"a\":1}{\"code\":8}") else {
            panic!()
        };
        assert!(m.contains("2 JSON values"), "{m}");
        let Stdout::Malformed(m) = parse("{\"a\":1}\ndone") else {
            panic!()
        };
        assert!(m.contains("followed by other text"), "{m}");
        let Stdout::Malformed(m) = Stdout::parse(b"{\"a\":", true, 50 << 20) else {
            panic!()
        };
        assert!(m.contains("52428800 bytes"), "{m}");
    }
}
