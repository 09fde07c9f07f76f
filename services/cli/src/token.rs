//! Development tokens: what `skp token` prints; and the check of a bearer token given to
//! `skp export --token`, as the API checks it (HS256 with `SKP_JWT_SECRET`, `exp` and `sub`
//! required, no leeway, `sub` a NIP).

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use skp_domain::Caller;
use skp_events::Nip;

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    roles: &'a [String],
    exp: u64,
}

/// Signs an HS256 token for `nip` with `roles`, valid for `ttl_seconds`.
///
/// # Errors
/// When signing fails.
pub fn issue(secret: &[u8], nip: &str, roles: &[String], ttl_seconds: u64) -> Result<String, jsonwebtoken::errors::Error> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    encode(&Header::default(), &Claims { sub: nip, roles, exp: now + ttl_seconds }, &EncodingKey::from_secret(secret))
}

#[derive(Deserialize)]
struct Presented {
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
}

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Malformed, badly signed, of another algorithm or expired.
    #[error("the token is not valid")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    /// Its `sub` is not a NIP.
    #[error("the token's sub is not a NIP")]
    Subject(#[from] skp_events::values::NipError),
}

/// The caller a token names, and its roles, checked as the API checks it.
///
/// # Errors
/// [`TokenError`] when the token is not valid or its subject not a NIP.
pub fn verify(secret: &[u8], token: &str) -> Result<(Caller, Vec<String>), TokenError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let claims = decode::<Presented>(token.trim(), &DecodingKey::from_secret(secret), &validation)?.claims;
    let nip = Nip::parse(&claims.sub)?;
    let has = |role: &str| claims.roles.iter().any(|r| r == role);
    let caller = Caller { nip, admin: has("admin"), inspector: has("inspector"), service_desk: has("service_desk") };
    Ok((caller, claims.roles))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_issued_here_verifies_with_its_secret_and_names_its_roles() {
        let token = issue(b"0123456789abcdef-secret", "198111112008012006", &["inspector".to_owned()], 60).expect("signed");
        let (caller, roles) = verify(b"0123456789abcdef-secret", &token).expect("valid");
        assert_eq!((caller.nip.as_str(), caller.inspector, caller.admin), ("198111112008012006", true, false));
        assert_eq!(roles, ["inspector"]);
        assert!(matches!(verify(b"another-secret-of-16b", &token), Err(TokenError::Invalid(_))));
        let odd = issue(b"0123456789abcdef-secret", "12345", &[], 60).expect("signed");
        assert!(matches!(verify(b"0123456789abcdef-secret", &odd), Err(TokenError::Subject(_))));
    }
}
