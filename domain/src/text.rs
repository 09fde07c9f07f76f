//! Free-text values (reasons, minutes, feedback, descriptions): not blank, not huge, no
//! control characters other than line breaks and tabs, and no invisible characters that
//! change how a text reads (bidirectional overrides and isolates, zero-width characters):
//! a record read aloud in a hearing must say what it shows. Whole numbers stay within what
//! every JSON reader holds exactly ([`MAX_SAFE_INTEGER`]).

use crate::error::DomainError;

/// The longest free text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;

/// The largest whole number SKP records: 2^53 − 1. Above it, JSON readers that hold numbers
/// as doubles (JavaScript, and RFC 8785 verifiers in Java or Go built the same way) would
/// read another number and compute another hash of the event.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Checks a whole number against [`MAX_SAFE_INTEGER`].
///
/// # Errors
/// `DomainError::Invalid` with `code`, naming the field.
pub fn check_whole(field: &str, value: u64, code: &'static str) -> Result<(), DomainError> {
    if value > MAX_SAFE_INTEGER {
        return Err(DomainError::invalid(code, format!("{field} must be at most {MAX_SAFE_INTEGER} (2^53 - 1), got {value}")));
    }
    Ok(())
}

/// Whether `c` is invisible and changes how the text around it reads: the bidirectional
/// embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the directional marks
/// (U+200E, U+200F, U+061C), and the zero-width characters (U+200B-U+200D, U+2060, U+FEFF).
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{061C}' | '\u{2060}' | '\u{FEFF}')
}

/// Checks a required free-text field.
///
/// # Errors
/// `DomainError::Invalid` with code `invalid_text` naming the field.
pub fn require_text(field: &str, text: &str) -> Result<(), DomainError> {
    if text.trim().is_empty() {
        return Err(DomainError::invalid("invalid_text", format!("{field} must not be empty")));
    }
    check_text(field, text)
}

/// Checks an optional free-text field (may be empty).
///
/// # Errors
/// `DomainError::Invalid` with code `invalid_text` naming the field.
pub fn check_text(field: &str, text: &str) -> Result<(), DomainError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(DomainError::invalid(
            "invalid_text",
            format!("{field} is longer than {MAX_TEXT_CHARS} characters"),
        ));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(DomainError::invalid("invalid_text", format!("{field} contains control characters")));
    }
    if let Some(c) = text.chars().find(|&c| is_invisible_format(c)) {
        return Err(DomainError::invalid("invalid_text", format!("{field} contains the invisible character U+{:04X} (bidirectional or zero-width)", u32::from(c))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<(), DomainError>) -> &'static str {
        result.expect_err("refused").code()
    }

    #[test]
    fn required_text_is_not_blank() {
        for blank in ["", " ", "\n\t\r"] {
            assert_eq!(code(require_text("reason", blank)), "invalid_text");
        }
        assert_eq!(check_text("evidence", ""), Ok(()));
    }

    #[test]
    fn control_characters_other_than_line_breaks_and_tabs_are_refused() {
        for bad in ["\u{0}", "a\u{7}", "\u{1b}[0m", "\u{7f}", "\u{85}"] {
            assert_eq!(code(check_text("text", bad)), "invalid_text", "{bad:?}");
        }
        assert_eq!(require_text("text", "satu\r\ndua\tdan tiga"), Ok(()));
    }

    #[test]
    fn bidirectional_overrides_and_zero_width_characters_are_refused_naming_them() {
        for bad in ["nilai \u{202E}kiab", "\u{2066}x\u{2069}", "a\u{200B}b", "zw\u{200D}j", "\u{FEFF}bom", "\u{200F}", "\u{061C}", "\u{2060}"] {
            let error = check_text("text", bad).expect_err(bad);
            assert_eq!(error.code(), "invalid_text", "{bad:?}");
            assert!(error.to_string().contains("U+"), "{error}");
        }
        assert_eq!(require_text("text", "Kinerja baik sekali — 95%, ✓ selesai"), Ok(()));
    }

    #[test]
    fn whole_numbers_stop_at_two_to_the_fifty_three_minus_one() {
        assert_eq!(check_whole("value", MAX_SAFE_INTEGER, "invalid_value"), Ok(()));
        assert_eq!(code(check_whole("value", MAX_SAFE_INTEGER + 1, "invalid_value")), "invalid_value");
    }

    #[test]
    fn the_limit_counts_characters_not_bytes() {
        assert_eq!(require_text("text", &"é".repeat(MAX_TEXT_CHARS)), Ok(()));
        assert_eq!(code(require_text("text", &"e".repeat(MAX_TEXT_CHARS + 1))), "invalid_text");
    }

    #[test]
    fn the_refusal_names_the_field() {
        let error = require_text("minutes", "").expect_err("refused");
        assert!(error.to_string().contains("minutes"), "{error}");
    }
}
