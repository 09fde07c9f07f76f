//! Bearer tokens: HS256 JWTs with `sub` (the caller's NIP), optional `roles` (`admin`,
//! `inspector`, `service_desk`) and `exp`. Anything else, or nothing, is a 401.

use super::error::ApiError;
use super::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use skp_domain::Caller;
use skp_events::Nip;
use std::sync::Arc;

/// Verifies tokens.
#[derive(Clone)]
pub struct TokenVerifier {
    key: Arc<DecodingKey>,
    validation: Validation,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenVerifier(HS256)")
    }
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
}

impl TokenVerifier {
    /// A verifier for tokens signed with `secret`.
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self { key: Arc::new(DecodingKey::from_secret(secret)), validation }
    }

    /// The caller a token names.
    ///
    /// # Errors
    /// [`ApiError::Token`] for a token that is malformed, badly signed, of another
    /// algorithm or expired; [`ApiError::TokenSubject`] when its `sub` is not a NIP.
    pub fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(ApiError::Token)?;
        let nip = Nip::parse(&data.claims.sub).map_err(ApiError::TokenSubject)?;
        let has = |role: &str| data.claims.roles.iter().any(|r| r == role);
        Ok(Caller { nip, admin: has("admin"), inspector: has("inspector"), service_desk: has("service_desk") })
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Caller);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = match parts.headers.get(axum::http::header::AUTHORIZATION) {
            Some(header) => header
                .to_str()
                .ok()
                .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
                .ok_or(ApiError::Unauthorized("Authorization must be Bearer <token>"))?
                .to_owned(),
            // Browsers' EventSource cannot set headers: GET requests may carry the token as
            // `?access_token=` (never logged: request spans record the path only).
            None if parts.method == axum::http::Method::GET => query_token(parts.uri.query().unwrap_or_default())
                .ok_or(ApiError::Unauthorized("missing Authorization: Bearer <token>"))?,
            None => return Err(ApiError::Unauthorized("missing Authorization: Bearer <token>")),
        };
        state.tokens.verify(token.trim()).map(Authenticated)
    }
}

fn query_token(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| pair.strip_prefix("access_token=")).map(str::to_owned)
}
