//! Canonical JSON (RFC 8785, JCS) for the values SKP's events hold: objects with keys sorted
//! by UTF-16 code units at every level, no insignificant white space, strings escaped as
//! ECMAScript's `JSON.stringify` does, integers only.

use serde_json::Value;
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

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0C}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
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
    fn keys_sort_by_utf16_code_units() {
        // U+E000 sorts before U+1F600 in UTF-8 byte order too, but U+FF61 vs a surrogate pair
        // differs: UTF-16 puts the surrogate (0xD83D) first.
        let value = json!({"\u{ff61}": 1, "\u{1f600}": 2});
        let text = to_canonical_string(&value).expect("canonical");
        assert_eq!(text, "{\"\u{1f600}\":2,\"\u{ff61}\":1}");
    }

    #[test]
    fn floats_are_refused() {
        assert!(to_canonical_string(&json!({"x": 1.5})).is_err());
    }
}
