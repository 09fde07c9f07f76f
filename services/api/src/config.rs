//! The API process's settings: the store's and the read models' (each read by its own
//! crate), plus what only this process needs. Everything comes from `SKP_*` variables; secrets
//! are wrapped so that they never reach a log line.

use skp_projections::ReadSettings;
use skp_store::config::{parse, ConfigError, Secret, StoreSettings};
use std::net::SocketAddr;

/// Everything SKP's API process (and its projector host) reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the HTTP API listens (`SKP_HTTP_ADDR`, default `127.0.0.1:8080`).
    pub http_addr: SocketAddr,
    /// HS256 secret of the bearer tokens (`SKP_JWT_SECRET`; empty when tokens are verified
    /// only against an identity provider's JWKS).
    pub jwt_secret: Secret,
    /// How bearer tokens are verified: the secret, the provider's keys, issuer, audience,
    /// leeway (`SKP_JWT_*`).
    pub tokens: crate::http::tokens::TokenSettings,
    /// The event store.
    pub store: StoreSettings,
    /// The read models.
    pub read: ReadSettings,
    /// HTTP limits (`SKP_HTTP_*`, `SKP_SSE_MAX_CLIENTS`, `SKP_DRAIN_TIMEOUT_S`).
    pub http: crate::serve::HttpLimits,
    /// Where `skp-projector` serves its health (`SKP_PROJECTOR_ADDR`, default
    /// `127.0.0.1:9091`).
    pub projector_addr: SocketAddr,
    /// Run the projectors inside this process (`SKP_PROJECTORS`, `in-process` or `off`).
    pub projectors_in_process: bool,
    /// `json` for JSON logs, anything else for text (`SKP_LOG_FORMAT`).
    pub log_json: bool,
}

impl Settings {
    /// Reads the settings from the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that is missing or malformed.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings of a process that serves no API (the projector host): the JWT
    /// secret is not needed there.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that is malformed.
    pub fn for_projectors_from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| match name {
            "SKP_JWT_SECRET" => Some("unused-by-the-projector-host".to_owned()),
            "SKP_JWT_JWKS_FILE" | "SKP_JWT_JWKS_URL" => None,
            _ => std::env::var(name).ok(),
        })
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that is missing or malformed.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str, default: &str| lookup(name).unwrap_or_else(|| default.to_owned());
        let tokens = crate::http::tokens::TokenSettings::from_lookup(&lookup)?;
        Ok(Self {
            http_addr: parse("SKP_HTTP_ADDR", &get("SKP_HTTP_ADDR", "127.0.0.1:8080"))?,
            jwt_secret: tokens.hs256_secret.clone().unwrap_or_else(|| Secret::new("")),
            tokens,
            store: StoreSettings::from_lookup(&lookup)?,
            read: ReadSettings::from_lookup(&lookup)?,
            http: crate::serve::HttpLimits::from_lookup(&lookup)?,
            projector_addr: parse("SKP_PROJECTOR_ADDR", &get("SKP_PROJECTOR_ADDR", "127.0.0.1:9091"))?,
            projectors_in_process: get("SKP_PROJECTORS", "in-process") != "off",
            log_json: get("SKP_LOG_FORMAT", "text") == "json",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwt_secret_is_required_and_never_printed() {
        let missing = Settings::from_lookup(|_| None).expect_err("no secret");
        assert!(missing.to_string().contains("SKP_JWT_SECRET"));
        let settings = Settings::from_lookup(|n| (n == "SKP_JWT_SECRET").then(|| "0123456789abcdef-secret".into())).expect("settings");
        assert!(!format!("{settings:?}").contains("0123456789abcdef"));
        assert_eq!(settings.store.stream, "SKP_EVENTS");
        assert_eq!(settings.read.schema, "skp");
    }
}
