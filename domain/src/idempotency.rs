//! Idempotency keys belong to a caller and a command: a command id already handled on an
//! aggregate answers with its original result only when the same caller sends the same
//! command, with the same values, again; the same id from another caller, for another
//! command or with other values is refused (422 `idempotency_key_reused`, as the IETF
//! draft on the `Idempotency-Key` header has it). Whoever may not issue the command at all hears 404 or 403 first:
//! the command path authorizes (the decision's own 404 and 403) before it looks here.
//!
//! The command path (`skp-store`'s command bus) keeps what it needs of every handled command
//! for every aggregate kind, so an aggregate's own rules never look at command ids.

use crate::context::Caller;
use crate::error::DomainError;

/// What is remembered of a handled command: the event it yielded, who sent it, and which
/// command it was (its name, e.g. `draft_plan`; unknown for events stored before the name was
/// kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    /// The version of the event the command yielded.
    pub version: u64,
    /// The NIP of the caller who sent it.
    pub actor: String,
    /// The command's name, when known.
    pub command: Option<String>,
    /// A digest of the command's values (the request body, canonical), when known.
    pub digest: Option<String>,
}

/// The code of a command id sent again by another caller or for another command.
pub const IDEMPOTENCY_KEY_REUSED: &str = "idempotency_key_reused";

/// The version to answer with when `caller` sends `command` (its values digested as
/// `digest`) with the id of `original`.
///
/// # Errors
/// 422 `idempotency_key_reused` when the caller, the command or its values differ.
pub fn replay(original: &Handled, caller: &Caller, command: &str, digest: Option<&str>) -> Result<u64, DomainError> {
    if original.actor != caller.nip.as_str() {
        return Err(DomainError::invalid(IDEMPOTENCY_KEY_REUSED, "this Idempotency-Key was used by another caller; use a new key for a new command"));
    }
    match &original.command {
        Some(name) if name != command => Err(DomainError::invalid(
            IDEMPOTENCY_KEY_REUSED,
            format!("this Idempotency-Key was used for another command ({name}); use a new key for a new command"),
        )),
        _ => match (original.digest.as_deref(), digest) {
            (Some(first), Some(now)) if first != now => Err(DomainError::invalid(
                IDEMPOTENCY_KEY_REUSED,
                "this Idempotency-Key was used for the same command with other values; use a new key for a new command",
            )),
            _ => Ok(original.version),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{employee, rater};

    fn drafted_by_the_employee() -> Handled {
        Handled { version: 2, actor: employee().caller.nip.as_str().to_owned(), command: Some("draft_plan".into()), digest: Some("d1".into()) }
    }

    #[test]
    fn the_same_caller_sending_the_same_command_again_gets_the_original_version() {
        assert_eq!(replay(&drafted_by_the_employee(), &employee().caller, "draft_plan", Some("d1")), Ok(2));
        assert_eq!(replay(&drafted_by_the_employee(), &employee().caller, "draft_plan", None), Ok(2));
    }

    #[test]
    fn the_same_key_from_another_caller_is_refused() {
        let error = replay(&drafted_by_the_employee(), &rater().caller, "draft_plan", Some("d1")).expect_err("another caller");
        assert_eq!(error.code(), IDEMPOTENCY_KEY_REUSED);
    }

    #[test]
    fn the_same_key_for_another_command_is_refused_naming_the_first() {
        let error = replay(&drafted_by_the_employee(), &employee().caller, "submit_plan", Some("d1")).expect_err("another command");
        assert_eq!(error.code(), IDEMPOTENCY_KEY_REUSED);
        assert!(error.to_string().contains("draft_plan"), "{error}");
    }

    #[test]
    fn the_same_key_for_the_same_command_with_other_values_is_refused() {
        let error = replay(&drafted_by_the_employee(), &employee().caller, "draft_plan", Some("d2")).expect_err("other values");
        assert_eq!(error.code(), IDEMPOTENCY_KEY_REUSED);
    }

    #[test]
    fn an_event_stored_without_its_command_name_is_matched_by_caller_alone() {
        let legacy = Handled { command: None, digest: None, ..drafted_by_the_employee() };
        assert_eq!(replay(&legacy, &employee().caller, "submit_plan", Some("d9")), Ok(2));
    }
}
