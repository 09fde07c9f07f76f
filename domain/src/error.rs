//! Why the rules refuse a command. Each variant has a stable `code`; its kind (unknown, not
//! allowed, not now, a value breaking a rule) is the variant itself, and the API maps each
//! variant to its HTTP status (404, 403, 409, 422).

use crate::appraisal::Status;

/// A refusal by the rules. Operational failures (the store out of reach) are not here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// `not_found`: the aggregate does not exist.
    #[error("{what} not found")]
    NotFound {
        /// `appraisal` or `cycle`.
        what: &'static str,
    },
    /// `forbidden`: the caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// `invalid_transition`: the current status does not allow the command.
    #[error("{command} is not allowed while the appraisal is {status}")]
    InvalidTransition {
        /// The command refused.
        command: &'static str,
        /// The current status.
        status: Status,
    },
    /// `already_exists`: a cycle or appraisal with this id is already open.
    #[error("{what} already exists")]
    AlreadyExists {
        /// `appraisal` or `cycle`.
        what: &'static str,
    },
    /// `objection_window_open`: finalizing without an objection must wait for the window.
    #[error("the objection window is open until {until}; finalize after it closes or once the employee accepts")]
    ObjectionWindowOpen {
        /// RFC 3339 instant at which the window closes.
        until: String,
    },
    /// `objection_window_closed`: the objection came after the window (a value breaking a rule).
    #[error("the objection window closed at {closed_at}")]
    ObjectionWindowClosed {
        /// RFC 3339 instant at which the window closed.
        closed_at: String,
    },
    /// A value breaking a rule, with the rule's code (`invalid_plan`, `same_person`, `unknown_indicator`,
    /// `invalid_text`, `ratings_required`, `ratings_not_allowed`, `invalid_cycle`; and at the API
    /// boundary `invalid_nip`, `invalid_rating`, `invalid_value`, `invalid_version`,
    /// `before_opening`, `invalid_status`).
    #[error("{detail}")]
    Invalid {
        /// Stable machine-readable code.
        code: &'static str,
        /// What is wrong, for a person.
        detail: String,
    },
    /// A conflict with the current state that has its own code (409), e.g. `period_not_ended`,
    /// `period_evaluated`, `period_locked`, `periods_pending`: the command may succeed later
    /// or never, but not now.
    #[error("{detail}")]
    Conflict {
        /// Stable machine-readable code.
        code: &'static str,
        /// What stands in the way, for a person.
        detail: String,
    },
}

impl DomainError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::NotFound { .. } => "not_found",
            DomainError::Forbidden(_) => "forbidden",
            DomainError::InvalidTransition { .. } => "invalid_transition",
            DomainError::AlreadyExists { .. } => "already_exists",
            DomainError::ObjectionWindowOpen { .. } => "objection_window_open",
            DomainError::ObjectionWindowClosed { .. } => "objection_window_closed",
            DomainError::Invalid { code, .. } => code,
            DomainError::Conflict { code, .. } => code,
        }
    }

    /// A conflict with the current state, with its own `code` (409).
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        DomainError::Conflict { code, detail: detail.into() }
    }

    /// A value breaking the rule `code`.
    pub fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        DomainError::Invalid { code, detail: detail.into() }
    }
}
