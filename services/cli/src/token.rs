//! Development tokens: what `skp token` prints.

use jsonwebtoken::{encode, EncodingKey, Header};
use serde::Serialize;

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
