//! Why the rules refuse a command. Each variant has a stable `code` and the HTTP status it
//! maps to (CONTRACT.md): 404 unknown aggregate, 403 not allowed, 409 not now, 422 a value
//! breaking a rule.

use crate::appraisal::Status;

/// A refusal by the rules. Operational failures (the store out of reach) are not here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// 404 `not_found`: the aggregate does not exist.
    #[error("{what} not found")]
    NotFound {
        /// `appraisal` or `cycle`.
        what: &'static str,
    },
    /// 403 `forbidden`: the caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// 409 `invalid_transition`: the current status does not allow the command.
    #[error("{command} is not allowed while the appraisal is {status}")]
    InvalidTransition {
        /// The command refused.
        command: &'static str,
        /// The current status.
        status: Status,
    },
    /// 409 `already_exists`: a cycle or appraisal with this id is already open.
    #[error("{what} already exists")]
    AlreadyExists {
        /// `appraisal` or `cycle`.
        what: &'static str,
    },
    /// 409 `objection_window_open`: finalizing without an objection must wait for the window.
    #[error("the objection window is open until {until}; finalize after it closes or once the employee accepts")]
    ObjectionWindowOpen {
        /// RFC 3339 instant at which the window closes.
        until: String,
    },
    /// 422 `objection_window_closed`: the objection came after the window.
    #[error("the objection window closed at {closed_at}")]
    ObjectionWindowClosed {
        /// RFC 3339 instant at which the window closed.
        closed_at: String,
    },
    /// 422 with a rule-specific code (`invalid_plan`, `same_person`, `unknown_indicator`,
    /// `invalid_text`, `ratings_required`, `ratings_not_allowed`, `invalid_cycle`; and at the API
    /// boundary `invalid_nip`, `invalid_rating`, `invalid_value`, `invalid_version`).
    #[error("{detail}")]
    Invalid {
        /// Stable machine-readable code.
        code: &'static str,
        /// What is wrong, for a person.
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
        }
    }

    /// The HTTP status this refusal answers with.
    pub fn status(&self) -> u16 {
        match self {
            DomainError::NotFound { .. } => 404,
            DomainError::Forbidden(_) => 403,
            DomainError::InvalidTransition { .. }
            | DomainError::AlreadyExists { .. }
            | DomainError::ObjectionWindowOpen { .. } => 409,
            DomainError::ObjectionWindowClosed { .. } | DomainError::Invalid { .. } => 422,
        }
    }

    pub(crate) fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        DomainError::Invalid { code, detail: detail.into() }
    }
}
