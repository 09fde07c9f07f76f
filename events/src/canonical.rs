//! Canonical JSON (RFC 8785, JCS) for the values SKP's events hold: objects with keys sorted
//! by UTF-16 code units at every level, no insignificant white space, strings escaped as
//! ECMAScript's `JSON.stringify` does, integers only.
//!
//! [`canonical_members`] recognises text that already is in that form (as every stored
//! envelope is), so that a hash over the canonical form can be taken over the text itself.

use serde_json::Value;
use std::cmp::Ordering;
use std::fmt::Write as _;

/// Why a value has no canonical form here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// SKP's events hold no floating-point numbers, so the JCS number rules are not needed.
    #[error("floating-point number {0} in an event; events hold integers only")]
    Float(String),
}

/// Writes `value` in canonical form.
///
/// # Errors
/// [`CanonicalError::Float`] when the value holds a number that is not an integer.
pub fn to_canonical_string(value: &Value) -> Result<String, CanonicalError> {
    let mut out = String::with_capacity(512);
    write_value(&mut out, value)?;
    Ok(out)
}

fn write_value(out: &mut String, value: &Value) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            let _ = write!(out, "{n}");
        }
        Value::Number(n) => return Err(CanonicalError::Float(n.to_string())),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// Writes `s` quoted, escaping as `JSON.stringify` does. Every character to escape is ASCII,
/// so the text between two of them is copied in one piece.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut copied = 0;
    for (i, byte) in s.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0C => "\\f",
            b'\r' => "\\r",
            0x00..=0x1F => "",
            _ => continue,
        };
        out.push_str(&s[copied..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", byte);
        } else {
            out.push_str(escape);
        }
        copied = i + 1;
    }
    out.push_str(&s[copied..]);
    out.push('"');
}

/// One member of a top-level object, located in its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member<'a> {
    /// The key (one without escapes).
    pub key: &'a str,
    /// Byte offset of the key's opening quote.
    pub start: usize,
    /// Byte offset just after the value.
    pub end: usize,
    /// The value's text.
    pub value: &'a str,
}

/// Nesting deeper than this is left to the slow path (serde_json stops at 128).
const MAX_DEPTH: usize = 100;

/// The top-level members of `text`, in order, when `text` is a JSON object written exactly
/// as [`to_canonical_string`] writes the value serde_json reads from it: no white space,
/// keys strictly increasing by UTF-16 code units at every level (so none repeated),
/// strings escaped as `JSON.stringify` does, integers only, nothing after the object.
/// `None` otherwise, and also for the rare canonical text this reader does not follow (a
/// key holding an escape, nesting deeper than 100): callers then parse the text.
pub fn canonical_members(text: &str) -> Option<Vec<Member<'_>>> {
    let mut reader = Reader { text, at: 0 };
    let mut members = Vec::with_capacity(16);
    reader.object(0, Some(&mut members))?;
    (reader.at == text.len()).then_some(members)
}

/// A cursor over text being checked for canonical form.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'{' => self.object(depth, None),
            b'[' => self.array(depth),
            b'"' => self.string(),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        self.text[self.at..].starts_with(word).then(|| self.at += word.len())
    }

    /// An object; its members are collected when `members` is given.
    fn object(&mut self, depth: usize, mut members: Option<&mut Vec<Member<'a>>>) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut previous: Option<&str> = None;
        loop {
            let start = self.at;
            let key = self.key()?;
            if previous.is_some_and(|p| utf16_order(p, key) != Ordering::Less) {
                return None;
            }
            previous = Some(key);
            self.eat(b':')?;
            let value_start = self.at;
            self.value(depth + 1)?;
            if let Some(members) = members.as_deref_mut() {
                members.push(Member { key, start, end: self.at, value: &self.text[value_start..self.at] });
            }
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.value(depth + 1)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A key without escapes; returns its content.
    fn key(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let length = self.text[start..].bytes().position(|b| b == b'"' || b == b'\\' || b < 0x20)?;
        self.at += length;
        self.eat(b'"')?;
        Some(&self.text[start..start + length])
    }

    /// A string escaped exactly as `write_string` escapes.
    fn string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        let bytes = self.text.as_bytes();
        loop {
            match *bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => self.at += escape_length(bytes.get(self.at + 1..)?)?,
                0x00..=0x1F => return None,
                _ => self.at += 1,
            }
        }
    }

    /// An integer as `{n}` writes an `i64` or `u64`: no sign on zero, no leading zero, no
    /// fraction or exponent, within range.
    fn integer(&mut self) -> Option<()> {
        let start = self.at;
        let negative = self.eat(b'-').is_some();
        self.at += self.text[self.at..].bytes().take_while(u8::is_ascii_digit).count();
        let number = &self.text[start..self.at];
        let unsigned = &number[usize::from(negative)..];
        if unsigned.is_empty() || (unsigned.starts_with('0') && (negative || unsigned.len() > 1)) {
            return None;
        }
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let in_range = if negative { number.parse::<i64>().is_ok() } else { number.parse::<u64>().is_ok() };
        in_range.then_some(())
    }
}

/// The length of the escape starting at a backslash, given the bytes after the backslash,
/// when it is one `write_string` writes.
fn escape_length(after: &[u8]) -> Option<usize> {
    match *after.first()? {
        b'"' | b'\\' | b'b' | b't' | b'n' | b'f' | b'r' => Some(2),
        b'u' => {
            let hex = after.get(1..5)?;
            let code = match hex {
                [b'0', b'0', high @ (b'0' | b'1'), low @ (b'0'..=b'9' | b'a'..=b'f')] => {
                    (high - b'0') * 16 + if low.is_ascii_digit() { low - b'0' } else { low - b'a' + 10 }
                }
                _ => return None,
            };
            // These five have short escapes of their own.
            (!matches!(code, 0x08 | 0x09 | 0x0A | 0x0C | 0x0D)).then_some(6)
        }
        _ => None,
    }
}

/// Compares keys by UTF-16 code units, as JCS sorts them.
fn utf16_order(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.cmp(b)
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_at_every_level_without_white_space() {
        let value = json!({"b": 1, "a": {"d": [true, null], "c": "x"}});
        let text = to_canonical_string(&value).expect("canonical");
        assert_eq!(text, r#"{"a":{"c":"x","d":[true,null]},"b":1}"#);
    }

    #[test]
    fn strings_are_escaped_as_json_stringify_does() {
        let value = json!("a\"b\\c\n\u{1}é/€");
        let text = to_canonical_string(&value).expect("canonical");
        assert_eq!(text, "\"a\\\"b\\\\c\\n\\u0001é/€\"");
    }

    #[test]
    fn every_control_character_is_escaped_and_the_rest_copied() {
        let all: String = (0u32..0x80).chain([0xe9, 0x2028, 0xffff, 0x1f600]).filter_map(char::from_u32).collect();
        let mut expected = String::from("\"");
        for c in all.chars() {
            match c {
                '"' => expected.push_str("\\\""),
                '\\' => expected.push_str("\\\\"),
                '\u{08}' => expected.push_str("\\b"),
                '\t' => expected.push_str("\\t"),
                '\n' => expected.push_str("\\n"),
                '\u{0C}' => expected.push_str("\\f"),
                '\r' => expected.push_str("\\r"),
                c if (c as u32) < 0x20 => expected.push_str(&format!("\\u{:04x}", c as u32)),
                c => expected.push(c),
            }
        }
        expected.push('"');
        assert_eq!(to_canonical_string(&json!(all)).expect("canonical"), expected);
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+E000 sorts before U+1F600 in UTF-8 byte order too, but U+FF61 vs a surrogate pair
        // differs: UTF-16 puts the surrogate (0xD83D) first.
        let value = json!({"\u{ff61}": 1, "\u{1f600}": 2});
        let text = to_canonical_string(&value).expect("canonical");
        assert_eq!(text, "{\"\u{1f600}\":2,\"\u{ff61}\":1}");
    }

    #[test]
    fn canonical_text_is_taken_with_its_top_level_members() {
        let text = r#"{"a":[1,-2,0,{"x":null}],"b":"q\\\"\u001f\n","c":{"m":-9223372036854775808},"😀":false,"｡":[]}"#;
        let value: Value = serde_json::from_str(text).expect("JSON");
        assert_eq!(to_canonical_string(&value).expect("canonical"), text);
        let members = canonical_members(text).expect("canonical");
        let keys: Vec<&str> = members.iter().map(|m| m.key).collect();
        assert_eq!(keys, ["a", "b", "c", "😀", "｡"]);
        assert_eq!(members[0].value, r#"[1,-2,0,{"x":null}]"#);
        assert_eq!(&text[members[1].start..members[1].end], r#""b":"q\\\"\u001f\n""#);
        assert!(canonical_members("{\"a\":\"\u{7f}\u{2028}/\",\"b\":18446744073709551615}").is_some());
        assert_eq!(canonical_members("{}"), Some(vec![]));
    }

    #[test]
    fn text_that_is_not_canonical_is_refused() {
        for text in [
            r#"{"a":1} "#,
            r#"{ "a":1}"#,
            r#"{"a" :1}"#,
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":1}"#,
            r#"{"a":{"c":1,"b":2}}"#,
            r#"{"a":[{"b":1,"b":2}]}"#,
            r#"{"a":1.0}"#,
            r#"{"a":1e3}"#,
            r#"{"a":-0}"#,
            r#"{"a":01}"#,
            r#"{"a":-}"#,
            r#"{"a":18446744073709551616}"#,
            r#"{"a":-9223372036854775809}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":"\u000a"}"#,
            r#"{"a":"\ud83d\ude00"}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u00"}"#,
            r#"{"\u0061":1}"#,
            "{\"a\":\"\u{1}\"}",
            "{\"a\":\"\n\"}",
            r#"[1]"#,
            r#""a""#,
            r#"{"a":tru}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[1 ]}"#,
            r#"{"a":1,}"#,
            r#"{"a":1}{}"#,
            r#"{"a":"x}"#,
            "{\"😀\":1,\"｡\":2,\"\u{e000}\":3}",
        ] {
            assert_eq!(canonical_members(text), None, "{text}");
        }
    }

    #[test]
    fn floats_are_refused() {
        assert!(to_canonical_string(&json!({"x": 1.5})).is_err());
    }
}
