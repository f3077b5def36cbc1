//! Stdin: read whole, then decoded leniently enough that even a request we
//! refuse can be answered in its own `cniVersion` and with its fault
//! switches.

use serde_json::{Map, Value};

/// What stdin held.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Nothing but white space: acceptable for VERSION only (P-VER-3).
    Empty,
    Object(Map<String, Value>),
    /// Not a JSON object: the reason, for a code-6 error.
    Undecodable(String),
}

impl Input {
    pub fn decode(bytes: &[u8]) -> Input {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Input::Empty;
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Input::Object(map),
            Ok(other) => Input::Undecodable(format!(
                "the configuration is {}, not a JSON object",
                cnitest::spec::error::kind_of(&other)
            )),
            Err(e) => Input::Undecodable(format!("not valid JSON: {e}")),
        }
    }

    pub fn object(&self) -> Option<&Map<String, Value>> {
        match self {
            Input::Object(map) => Some(map),
            Input::Empty | Input::Undecodable(_) => None,
        }
    }

    /// `cniVersion` as the request spelled it, if it is a string.
    pub fn cni_version(&self) -> Option<&str> {
        self.object()?.get("cniVersion")?.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(Input::decode(b" \n"), Input::Empty);
        assert!(matches!(Input::decode(b"{not json"), Input::Undecodable(_)));
        assert!(matches!(Input::decode(b"[1]"), Input::Undecodable(_)));
        let input = Input::decode(br#"{"cniVersion": "1.0.0"}"#);
        assert_eq!(input.cni_version(), Some("1.0.0"));
    }
}
