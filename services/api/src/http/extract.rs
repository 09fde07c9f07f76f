//! Extractors that answer in the problem+json shape: a JSON body (400 when it is not JSON or
//! lacks a field, 413 when too large), the query string and path parameters (400
//! `bad_query`), and the command's ids (`Idempotency-Key`, `X-Correlation-Id`). Routes use
//! these [`Query`] and [`Path`] rather than axum's, whose rejections are plain text;
//! [`problem_for_plain_errors`] is the net under any that slips through.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// The largest body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A JSON body. An empty body reads as `{}`.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(MAX_BODY_BYTES)
            } else {
                ApiError::Body(e)
            }
        })?;
        parse_json(&bytes).map(Body)
    }
}

/// Reads a command body as the routes do: an empty body reads as `{}`; anything that is not
/// the expected JSON is a 400.
///
/// # Errors
/// [`ApiError::Json`] with what serde found.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { bytes };
    // serde_json refuses nesting deeper than 128 levels: such bodies are a 400, not a risk to
    // the stack.
    serde_json::from_slice(bytes).map_err(ApiError::Json)
}

/// The ids a command carries: its command id (the `Idempotency-Key`, else fresh) and the
/// correlation id (`X-Correlation-Id` if it is a UUID, else the request id, else fresh).
#[derive(Debug, Clone, Copy)]
pub struct CommandIds {
    /// The command id.
    pub command_id: Uuid,
    /// True when the client chose it with `Idempotency-Key`.
    pub from_client: bool,
    /// The correlation id.
    pub correlation_id: Uuid,
}

impl<S: Send + Sync> FromRequestParts<S> for CommandIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let key = match header("idempotency-key") {
            Some(raw) => Some(Uuid::parse_str(raw).map_err(|_| ApiError::BadRequest("Idempotency-Key must be a UUID".into()))?),
            None => None,
        };
        let correlation_id = ["x-correlation-id", "x-request-id"]
            .into_iter()
            .find_map(|name| header(name).and_then(|v| Uuid::parse_str(v).ok()))
            .unwrap_or_else(Uuid::now_v7);
        Ok(Self { command_id: key.unwrap_or_else(Uuid::now_v7), from_client: key.is_some(), correlation_id })
    }
}

/// The query string, as `axum::extract::Query`, but a malformed one is `400 bad_query` in
/// problem+json (a number that is not one, a value out of range).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e| ApiError::BadQuery(e.body_text()))
    }
}

/// Path parameters, as `axum::extract::Path`, but one that cannot be read (not UTF-8 once
/// decoded) is `400 bad_query` in problem+json.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e| ApiError::BadQuery(e.body_text()))
    }
}

/// Middleware, the net under every route: a 400 or 405 answered by the framework in plain
/// text (a rejection no extractor of SKP's turned into a problem) is
/// rewritten as `application/problem+json` with its text as `detail`.
pub async fn problem_for_plain_errors(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::{header, StatusCode};
    use axum::response::IntoResponse;
    let response = next.run(request).await;
    let status = response.status();
    let plain = [StatusCode::BAD_REQUEST, StatusCode::METHOD_NOT_ALLOWED];
    let is_problem = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem || !plain.contains(&status) {
        return response;
    }
    if status == StatusCode::METHOD_NOT_ALLOWED {
        let allow = response.headers().get(header::ALLOW).cloned();
        let mut problem = ApiError::MethodNotAllowed.into_response();
        if let Some(allow) = allow {
            problem.headers_mut().insert(header::ALLOW, allow);
        }
        return problem;
    }
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    let detail = String::from_utf8_lossy(&text).into_owned();
    ApiError::BadRequest(if detail.is_empty() { "bad request".into() } else { detail }).into_response()
}
