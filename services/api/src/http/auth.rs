//! Who is calling: `Authorization: Bearer <JWT>` ([`Authenticated`]), or for the live
//! stream alone also `?access_token=` ([`StreamCaller`]). Tokens are verified by
//! [`TokenVerifier`](super::tokens::TokenVerifier): `sub` (the caller's NIP), optional
//! `roles` (`admin`, `inspector`), `exp`. Anything else, or nothing, is a 401.

use super::error::ApiError;
use super::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use skp_domain::Caller;
pub use super::tokens::TokenVerifier;

/// The authenticated caller of a request, from `Authorization: Bearer <token>` only.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Caller);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if query_token(parts.uri.query().unwrap_or_default()).is_some() {
            // A token in a URL ends up in proxies' and browsers' histories: only the live
            // stream, which browsers' EventSource cannot give a header, takes one there.
            return Err(ApiError::Unauthorized("?access_token= is accepted only on the live progress stream; send Authorization: Bearer <token>"));
        }
        let token = bearer(parts)?.ok_or(ApiError::Unauthorized("missing Authorization: Bearer <token>"))?;
        state.tokens.verify(token.trim()).map(|v| Authenticated(v.caller))
    }
}

/// The caller of a live stream (Server-Sent Events): the token from `Authorization`, or from
/// `?access_token=` (browsers' `EventSource` cannot set headers; never logged, request spans
/// record the path only), with the instant it expires, at which the stream ends.
#[derive(Debug, Clone)]
pub struct StreamCaller {
    /// Who.
    pub caller: Caller,
    /// When the token expires (its `exp`).
    pub expires_at: time::OffsetDateTime,
}

impl FromRequestParts<AppState> for StreamCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = match bearer(parts)? {
            Some(token) => token,
            None => query_token(parts.uri.query().unwrap_or_default()).ok_or(ApiError::Unauthorized("missing Authorization: Bearer <token> (or ?access_token=)"))?,
        };
        let verified = state.tokens.verify(token.trim())?;
        Ok(StreamCaller { caller: verified.caller, expires_at: verified.expires_at })
    }
}

fn bearer(parts: &Parts) -> Result<Option<String>, ApiError> {
    match parts.headers.get(axum::http::header::AUTHORIZATION) {
        Some(header) => header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(|t| Some(t.to_owned()))
            .ok_or(ApiError::Unauthorized("Authorization must be Bearer <token>")),
        None => Ok(None),
    }
}

fn query_token(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| pair.strip_prefix("access_token=")).map(str::to_owned)
}
