//! One error type for every HTTP answer that is not a success, rendered as
//! `application/problem+json` (RFC 9457) `{type, title, status, detail, code}`, and the one
//! place where a status is chosen. 5xx bodies are opaque: the cause is logged once, here,
//! with its whole chain.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use skp_domain::DomainError;
use skp_projections::ProjectionError;
use skp_store::error::chain;
use skp_store::CommandError;
use std::error::Error as StdError;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `malformed_body`: the body is not the expected JSON.
    #[error("body is not the expected JSON")]
    Json(#[source] serde_json::Error),
    /// 400 `malformed_body`: the body could not be read.
    #[error("unreadable body")]
    Body(#[source] axum::extract::rejection::BytesRejection),
    /// 400 `malformed_body`: a header or the body is malformed, as the message says.
    #[error("{0}")]
    BadRequest(String),
    /// 400 `bad_query`: a query parameter missing or malformed, as the message says.
    #[error("{0}")]
    BadQuery(String),
    /// 400 `unknown_warning`: `?warning=` names no pattern warning.
    #[error("{0:?} is not a pattern warning code (see skp_domain::capaian::WARNING_CODES)")]
    UnknownWarning(String),
    /// 401 `unauthorized`: no bearer token, as the message says.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 401 `unauthorized`: the token is malformed, badly signed, of another algorithm or
    /// expired.
    #[error("invalid bearer token")]
    Token(#[source] jsonwebtoken::errors::Error),
    /// 401 `unauthorized`: the token's `sub` is not a NIP.
    #[error("the token's sub is not a NIP")]
    TokenSubject(#[source] skp_events::values::NipError),
    /// 413 `body_too_large`.
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// A refusal by the rules: 403, 404, 409 or 422 with the rule's code.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// 409 `concurrent_modification`: concurrent writers won every attempt.
    #[error("the aggregate kept changing under {0} attempts; retry")]
    Conflict(u32),
    /// 503 `store_unavailable`, with `Retry-After`: NATS out of reach.
    #[error("the event store is out of reach; retry shortly")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
    /// 503 `read_model_unavailable`, with `Retry-After`: PostgreSQL out of reach.
    #[error("the read models are out of reach; retry shortly")]
    ReadUnavailable(#[source] Box<dyn StdError + Send + Sync>),
    /// 503 `read_model_unavailable`, with `Retry-After`: the read models are not connected yet.
    #[error("the read models are not connected yet; retry shortly")]
    ReadNotConnected,
    /// 503 `too_many_streams`, with `Retry-After`: the process serves its most live streams.
    #[error("this instance serves its most live streams ({0}); retry shortly")]
    TooManyStreams(usize),
    /// 503 `request_timeout`: the request took longer than `SKP_HTTP_REQUEST_TIMEOUT_S`.
    #[error("the request took longer than {0:?}")]
    RequestTimeout(std::time::Duration),
    /// 405 `method_not_allowed`: the route exists, not with this method.
    #[error("method not allowed on this route")]
    MethodNotAllowed,
    /// 504 `projection_behind`: `?min_sequence=` not reached in time; carries how far it got.
    #[error("{detail}")]
    Timeout {
        /// For a person.
        detail: String,
        /// The sequence the projection reached.
        reached: u64,
    },
    /// 500 `internal`: the cause is logged, not shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::Rejected(e) => ApiError::Domain(e),
            CommandError::Conflict { attempts } => ApiError::Conflict(attempts),
            unavailable @ CommandError::Unavailable(_) => ApiError::Unavailable(Box::new(unavailable)),
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

impl From<ProjectionError> for ApiError {
    fn from(error: ProjectionError) -> Self {
        ApiError::ReadUnavailable(Box::new(error))
    }
}

impl ApiError {
    /// 422 for a value that breaks a rule at the boundary (a NIP, a rating).
    pub fn invalid(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Domain(DomainError::Invalid { code, detail: detail.into() })
    }

    /// The status and stable code of the answer.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Json(_) | ApiError::Body(_) | ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "malformed_body"),
            ApiError::BadQuery(_) => (StatusCode::BAD_REQUEST, "bad_query"),
            ApiError::UnknownWarning(_) => (StatusCode::BAD_REQUEST, "unknown_warning"),
            ApiError::Unauthorized(_) | ApiError::Token(_) | ApiError::TokenSubject(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            ApiError::Domain(e) => (domain_status(e), e.code()),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "concurrent_modification"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            ApiError::ReadUnavailable(_) | ApiError::ReadNotConnected => (StatusCode::SERVICE_UNAVAILABLE, "read_model_unavailable"),
            ApiError::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "projection_behind"),
            ApiError::TooManyStreams(_) => (StatusCode::SERVICE_UNAVAILABLE, "too_many_streams"),
            ApiError::RequestTimeout(_) => (StatusCode::SERVICE_UNAVAILABLE, "request_timeout"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// What each kind of refusal means over HTTP: unknown 404, not allowed 403, not now 409, a
/// value breaking a rule 422.
fn domain_status(error: &DomainError) -> StatusCode {
    match error {
        DomainError::NotFound { .. } => StatusCode::NOT_FOUND,
        DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
        DomainError::InvalidTransition { .. } | DomainError::AlreadyExists { .. } | DomainError::ObjectionWindowOpen { .. } => StatusCode::CONFLICT,
        DomainError::Conflict { .. } => StatusCode::CONFLICT,
        DomainError::ObjectionWindowClosed { .. } | DomainError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
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
            ApiError::Internal(_) => {
                tracing::error!(cause = %chain(&self), "internal error");
                "an internal error occurred; it has been logged".to_owned()
            }
            ApiError::Unavailable(_) | ApiError::ReadUnavailable(_) | ApiError::ReadNotConnected => {
                tracing::warn!(cause = %chain(&self), "dependency unavailable");
                self.to_string()
            }
            // A client's own mistake: the whole chain tells them what it was.
            other => chain(other),
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

#[cfg(test)]
mod tests {
    use super::*;
    use skp_store::StoreError;

    #[test]
    fn each_kind_of_refusal_has_its_status() {
        let status = |e: DomainError| ApiError::Domain(e).status_and_code().0.as_u16();
        assert_eq!(status(DomainError::NotFound { what: "appraisal" }), 404);
        assert_eq!(status(DomainError::Forbidden("no")), 403);
        assert_eq!(status(DomainError::AlreadyExists { what: "cycle" }), 409);
        assert_eq!(status(DomainError::ObjectionWindowOpen { until: String::new() }), 409);
        assert_eq!(status(DomainError::ObjectionWindowClosed { closed_at: String::new() }), 422);
        assert_eq!(status(DomainError::invalid("invalid_plan", "x")), 422);
        assert_eq!(status(DomainError::conflict("already_rated", "x")), 409);
        assert_eq!(status(DomainError::conflict("improvement_window_open", "x")), 409);
        assert_eq!(status(DomainError::conflict("period_locked", "x")), 409);
    }

    #[test]
    fn an_internal_error_keeps_its_whole_cause_chain() {
        let store = StoreError::Refused { source: skp_store::error::cause(std::io::Error::other("maximum messages exceeded")) };
        let error = ApiError::from(CommandError::from(store));
        assert_eq!(error.status_and_code().1, "internal");
        assert_eq!(chain(&error), "internal error: the event store failed: the stream refused the append: maximum messages exceeded");
    }
}
