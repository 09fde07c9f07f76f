//! Public feedback names no citizen (docs/domain.md): a run of 16 or more digits, the length
//! of an NIK (Nomor Induk Kependudukan), is refused wherever the desk types free text.
//!
//! An NIK is often written with separators (`3201 0123 4567 8901`, `32.01.01.234567.8901`),
//! so digits joined by single spaces, dots or dashes count as one run. Longer runs are refused
//! too (an NIK run together with other digits, an 18-digit NIP): the text is about the
//! service, not about who received or gave it.

use crate::error::DomainError;

/// The fewest digits of a run that is refused: an NIK has 16.
pub const IDENTITY_DIGITS: usize = 16;

/// Whether `text` holds a run of at least [`IDENTITY_DIGITS`] digits (ASCII or full-width),
/// counting digits joined by single spaces, no-break spaces, dots or dashes as one run.
pub fn holds_identity_number(text: &str) -> bool {
    let (mut digits, mut after_separator) = (0usize, false);
    for c in text.chars() {
        if c.is_ascii_digit() || ('\u{ff10}'..='\u{ff19}').contains(&c) {
            digits += 1;
            after_separator = false;
            if digits >= IDENTITY_DIGITS {
                return true;
            }
        } else if matches!(c, ' ' | '\u{a0}' | '.' | '-') && digits > 0 && !after_separator {
            after_separator = true;
        } else {
            digits = 0;
            after_separator = false;
        }
    }
    false
}

/// Refuses `text` when it holds an identity number.
///
/// # Errors
/// 422 `personal_data` naming `field`.
pub fn check_personal_data(field: &str, text: &str) -> Result<(), DomainError> {
    if holds_identity_number(text) {
        return Err(DomainError::invalid(
            "personal_data",
            format!("{field} holds a run of {IDENTITY_DIGITS} or more digits, like an NIK: public feedback names no citizen, leave the number out"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_nik_however_it_is_written_is_personal_data() {
        for text in [
            "3201012345678901",
            "NIK pemohon 3201012345678901 sudah dilayani",
            "3201 0123 4567 8901",
            "32.01.01.234567.8901",
            "3201-0123-4567-8901",
            "nomor: 320101234567890123",
            "３２０１０１２３４５６７８９０１",
        ] {
            assert!(holds_identity_number(text), "{text}");
            assert_eq!(check_personal_data("text", text).map_err(|e| e.code()), Err("personal_data"), "{text}");
        }
    }

    #[test]
    fn dates_times_phone_numbers_and_references_are_not() {
        for text in [
            "Dilayani 12-03-2026 pukul 10.30 di loket 3",
            "Hubungi 0812 3456 7890",
            "Tiket LKT-2025-000417, antrian 112",
            "320101234567890",
            "1234 5678 9012 345",
            "3201  0123 4567 8901",
            "3201/0123/4567/8901",
            "",
        ] {
            assert!(!holds_identity_number(text), "{text}");
        }
    }
}
