//! One error type for every HTTP answer that is not a success, rendered as
//! `application/problem+json` (RFC 9457) `{type, title, status, detail, code}`. 5xx bodies are
//! opaque: the cause is logged once, here, with its chain.

use crate::commands::CommandError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use skp_domain::DomainError;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `malformed_body`: not JSON, or a field missing or of the wrong type.
    #[error("{0}")]
    BadRequest(String),
    /// 400 `bad_query`: a query parameter missing or malformed.
    #[error("{0}")]
    BadQuery(String),
    /// 401 `unauthorized`: no valid bearer token.
    #[error("{0}")]
    Unauthorized(String),
    /// 413 `body_too_large`.
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// A refusal by the rules: 403, 404, 409 or 422 with the rule's code.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// 409 `concurrent_modification`: concurrent writers won every attempt.
    #[error("the appraisal kept changing under {0} attempts; retry")]
    Conflict(u32),
    /// 503 `store_unavailable`, with `Retry-After`.
    #[error("the event store is out of reach; retry shortly")]
    Unavailable(String),
    /// 503 `read_model_unavailable`, with `Retry-After`: PostgreSQL out of reach.
    #[error("the read models are out of reach; retry shortly")]
    ReadUnavailable(String),
    /// 504 `projection_behind`: `?min_sequence=` not reached in time; carries how far it got.
    #[error("{detail}")]
    Timeout {
        /// For a person.
        detail: String,
        /// The sequence the projection reached.
        reached: u64,
    },
    /// 500 `internal`: the detail is logged, not shown.
    #[error("internal error")]
    Internal(String),
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::Rejected(e) => ApiError::Domain(e),
            CommandError::Conflict { attempts } => ApiError::Conflict(attempts),
            CommandError::Unavailable(e) => ApiError::Unavailable(e),
            CommandError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<skp_projections::ProjectionError> for ApiError {
    fn from(error: skp_projections::ProjectionError) -> Self {
        ApiError::ReadUnavailable(error.to_string())
    }
}

impl ApiError {
    /// 422 for a value that breaks a rule at the boundary (a NIP, a rating).
    pub fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Domain(DomainError::Invalid { code, detail: detail.into() })
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "malformed_body"),
            ApiError::BadQuery(_) => (StatusCode::BAD_REQUEST, "bad_query"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            ApiError::Domain(e) => (StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY), e.code()),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "concurrent_modification"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            ApiError::ReadUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "read_model_unavailable"),
            ApiError::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "projection_behind"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    r#type: String,
    title: &'a str,
    status: u16,
    detail: String,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    as_of_sequence: Option<u64>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let detail = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(cause = %cause, "internal error");
                "an internal error occurred; it has been logged".to_owned()
            }
            ApiError::Unavailable(cause) | ApiError::ReadUnavailable(cause) => {
                tracing::warn!(cause = %cause, "dependency unavailable");
                self.to_string()
            }
            other => other.to_string(),
        };
        let problem = Problem {
            r#type: format!("urn:skp:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            code,
            as_of_sequence: match &self {
                ApiError::Timeout { reached, .. } => Some(*reached),
                _ => None,
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
