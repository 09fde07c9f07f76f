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
