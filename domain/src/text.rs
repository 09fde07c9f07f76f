//! Free-text values (reasons, minutes, feedback, descriptions): not blank, not huge, no
//! control characters other than line breaks and tabs.

use crate::error::DomainError;

/// The longest free text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;

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
