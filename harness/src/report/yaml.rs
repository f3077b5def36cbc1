//! A small YAML writer for TAP diagnostics: mappings, sequences of mappings
//! and strings that survive anything a plugin prints (quotes, `#`, colons,
//! many lines, control characters).
//!
//! A serialiser crate would do, but TAP consumers read these blocks by eye
//! as often as by parser: a plugin's multi-line stdout is kept readable as a
//! literal block where YAML allows it, and double-quoted with escapes where
//! it does not.

use std::fmt::Write as _;

/// A YAML document under construction; every line ends with `\n`.
#[derive(Debug, Default)]
pub(crate) struct Yaml {
    out: String,
}

impl Yaml {
    pub(crate) fn new() -> Yaml {
        Yaml::default()
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }

    /// Starts a line for a key at column `col`; `item` makes it the first
    /// key of a sequence item (`- key:`, the dash two columns to the left).
    fn key(&mut self, col: usize, item: bool, key: &str) {
        if item {
            self.pad(col.saturating_sub(2));
            self.out.push_str("- ");
        } else {
            self.pad(col);
        }
        self.out.push_str(&plain_key(key));
        self.out.push(':');
    }

    fn pad(&mut self, n: usize) {
        self.out.extend(std::iter::repeat_n(' ', n));
    }

    /// `key: "text"`, or a literal block for text of many lines.
    pub(crate) fn string(&mut self, col: usize, item: bool, key: &str, text: &str) {
        self.key(col, item, key);
        self.out.push(' ');
        self.scalar(col, text);
    }

    /// `key: word` for values known to be plain (levels, verdicts).
    pub(crate) fn word(&mut self, col: usize, item: bool, key: &str, word: &str) {
        debug_assert!(word.chars().all(|c| c.is_ascii_alphanumeric()));
        self.key(col, item, key);
        let _ = writeln!(self.out, " {word}");
    }

    pub(crate) fn number(&mut self, col: usize, item: bool, key: &str, n: u64) {
        self.key(col, item, key);
        let _ = writeln!(self.out, " {n}");
    }

    /// `key:` introducing a nested mapping or sequence.
    pub(crate) fn open(&mut self, col: usize, item: bool, key: &str) {
        self.key(col, item, key);
        self.out.push('\n');
    }

    /// `- "text"`: an item of a sequence of strings.
    pub(crate) fn item(&mut self, col: usize, text: &str) {
        self.pad(col);
        self.out.push_str("- ");
        // A block scalar in a sequence entry is indented from the dash.
        self.scalar(col, text);
    }

    /// A string value for a node whose parent sits at column `col`.
    fn scalar(&mut self, col: usize, text: &str) {
        if text.contains('\n') && block_safe(text) {
            self.literal(col, text);
        } else {
            self.out.push_str(&quoted(text));
            self.out.push('\n');
        }
    }

    /// A literal block (`|`). The indentation is always explicit, so text
    /// whose first line starts with spaces stays exact; the chomping
    /// indicator keeps the trailing newlines exact.
    fn literal(&mut self, col: usize, text: &str) {
        let body = text.trim_end_matches('\n');
        let chomp = match text.len() - body.len() {
            0 => "-",
            1 => "",
            _ => "+",
        };
        let _ = writeln!(self.out, "|2{chomp}");
        let indent = col + 2;
        let mut lines: Vec<&str> = body.split('\n').collect();
        // Kept trailing newlines are written as lines holding only the
        // indentation: YAML reads those as empty, and a TAP reader never
        // sees a blank line inside a diagnostics block.
        lines.extend(std::iter::repeat_n(
            "",
            (text.len() - body.len()).saturating_sub(1),
        ));
        for line in lines {
            self.pad(indent);
            self.out.push_str(line);
            self.out.push('\n');
        }
    }
}

/// Keys are ours (fixed names, environment variable names): plain when
/// they are simple words, quoted otherwise.
fn plain_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.starts_with('-');
    if plain { key.to_owned() } else { quoted(key) }
}

/// Whether a literal block can hold `text` exactly: printable characters,
/// tabs and line feeds only (a carriage return or a byte-order mark would
/// be changed or rejected by a reader).
fn block_safe(text: &str) -> bool {
    text.chars()
        .all(|c| c == '\n' || c == '\t' || (printable(c) && c != '\u{FEFF}'))
}

/// YAML's printable set, less the characters some readers take as line
/// breaks.
fn printable(c: char) -> bool {
    !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FFFE}' | '\u{FFFF}')
}

/// A double-quoted YAML string: every character that is not printable is
/// escaped, so the value reads back byte for byte.
pub(crate) fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x100 && !printable(c) => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if !printable(c) || c == '\u{FEFF}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Writes `text` under a key at several depths and reads it back.
    fn round_trip(text: &str) {
        let mut y = Yaml::new();
        y.string(0, false, "top", text);
        y.open(0, false, "list");
        y.string(4, true, "first", text);
        y.string(4, false, "second", text);
        y.open(0, false, "strings");
        y.item(2, text);
        let doc = y.finish();

        #[derive(serde::Deserialize)]
        struct Doc {
            top: String,
            list: Vec<BTreeMap<String, String>>,
            strings: Vec<String>,
        }
        let back: Doc =
            serde_norway::from_str(&doc).unwrap_or_else(|e| panic!("{e}\n--- document:\n{doc}"));
        assert_eq!(back.top, text, "{doc}");
        assert_eq!(back.list[0]["first"], text, "{doc}");
        assert_eq!(back.list[0]["second"], text, "{doc}");
        assert_eq!(back.strings[0], text, "{doc}");
    }

    #[test]
    fn strings_read_back_exactly() {
        for text in [
            "",
            "plain",
            "a: b # not a comment",
            "- not a list",
            "\"quoted\" and 'single' <&>",
            "{\n  \"cniVersion\": \"1.0.0\",\n  \"code\": 7\n}\n",
            "  leading spaces\nsecond",
            "\n\nleading newlines",
            "trailing newlines\n\n\n",
            "one\n",
            "no newline at the end\nx",
            "tab\there\nand a line",
            "\tleading tab\n\t\tGo stack\n",
            "cr\r\nlf",
            "bell \u{7} and del \u{7f} and nel \u{85}\nx",
            "bom \u{feff} ls \u{2028}\nx",
            "   \n \n",
            "...\n---\nnot document markers",
            "ünïcödé ✓\nsecond",
        ] {
            round_trip(text);
        }
    }

    #[test]
    fn multi_line_output_stays_readable() {
        let mut y = Yaml::new();
        y.string(2, false, "stdout", "{\n  \"a\": 1\n}\n");
        assert_eq!(y.finish(), "  stdout: |2\n    {\n      \"a\": 1\n    }\n");
    }
}
