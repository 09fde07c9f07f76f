//! Verifying bearer tokens as an identity provider issues them: HS256 with `SKP_JWT_SECRET`
//! (development, or a provider that shares a secret), and RS256/ES256 (also RS384, RS512,
//! ES384) against the keys of a JWKS file (`SKP_JWT_JWKS_FILE`) or URL (`SKP_JWT_JWKS_URL`).
//!
//! Every token needs `sub` (the caller's NIP) and `exp`; `nbf` is honoured; both with a
//! clock-skew leeway (`SKP_JWT_LEEWAY_S`, default 30 s). With `SKP_JWT_ISSUER` the `iss`
//! must match; with `SKP_JWT_AUDIENCE` (comma-separated) the `aud` must name one of them;
//! without it, `aud` is not looked at. The algorithm comes from the key, never from the
//! token alone: an HS256 token is checked only with the shared secret, an RS/ES token only
//! with a JWKS key of that type and id, so a public key can never serve as an HMAC secret.

use super::error::ApiError;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use skp_domain::Caller;
use skp_events::Nip;
use skp_store::config::{parse, ConfigError, Secret};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Where the public keys of an identity provider come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// A JWKS document on disk (`SKP_JWT_JWKS_FILE`), read at start-up.
    File(std::path::PathBuf),
    /// The provider's JWKS URL (`SKP_JWT_JWKS_URL`), fetched at start-up, every
    /// `SKP_JWT_JWKS_REFRESH_S` (default 300) and when a token names an unknown key id (at
    /// most every 30 s).
    Url(String),
}

/// How tokens are verified.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// The HS256 secret (`SKP_JWT_SECRET`), if HS256 tokens are accepted.
    pub hs256_secret: Option<Secret>,
    /// The provider's public keys, if RS/ES tokens are accepted.
    pub jwks: Option<JwksSource>,
    /// A CA file (PEM) for a JWKS URL served under a private CA (`SKP_JWT_JWKS_CA`).
    pub jwks_ca: Option<std::path::PathBuf>,
    /// How often a JWKS URL is fetched again.
    pub jwks_refresh: Duration,
    /// The expected `iss` (`SKP_JWT_ISSUER`).
    pub issuer: Option<String>,
    /// The accepted audiences (`SKP_JWT_AUDIENCE`, comma-separated).
    pub audience: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf` (`SKP_JWT_LEEWAY_S`, default 30).
    pub leeway: Duration,
}

impl TokenSettings {
    /// Reads the settings through `lookup`.
    ///
    /// # Errors
    /// [`ConfigError`] when no way to verify tokens is given, the secret is shorter than 16
    /// bytes, both a JWKS file and URL are given, or a number is malformed.
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let hs256_secret = get("SKP_JWT_SECRET").map(Secret::new);
        if hs256_secret.as_ref().is_some_and(|s| s.expose().len() < 16) {
            return Err(ConfigError { name: "SKP_JWT_SECRET", problem: "must be at least 16 bytes".into() });
        }
        let jwks = match (get("SKP_JWT_JWKS_FILE"), get("SKP_JWT_JWKS_URL")) {
            (Some(_), Some(_)) => return Err(ConfigError { name: "SKP_JWT_JWKS_URL", problem: "give SKP_JWT_JWKS_FILE or SKP_JWT_JWKS_URL, not both".into() }),
            (Some(file), None) => Some(JwksSource::File(file.into())),
            (None, Some(url)) => Some(JwksSource::Url(url)),
            (None, None) => None,
        };
        if hs256_secret.is_none() && jwks.is_none() {
            return Err(ConfigError {
                name: "SKP_JWT_SECRET",
                problem: "required: the HS256 secret of the bearer tokens, unless SKP_JWT_JWKS_FILE or SKP_JWT_JWKS_URL names the identity provider's keys".into(),
            });
        }
        Ok(Self {
            hs256_secret,
            jwks,
            jwks_ca: get("SKP_JWT_JWKS_CA").map(Into::into),
            jwks_refresh: Duration::from_secs(parse("SKP_JWT_JWKS_REFRESH_S", &get("SKP_JWT_JWKS_REFRESH_S").unwrap_or_else(|| "300".into()))?),
            issuer: get("SKP_JWT_ISSUER"),
            audience: get("SKP_JWT_AUDIENCE").map(|a| a.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()).unwrap_or_default(),
            leeway: Duration::from_secs(parse("SKP_JWT_LEEWAY_S", &get("SKP_JWT_LEEWAY_S").unwrap_or_else(|| "30".into()))?),
        })
    }

    /// HS256 only, with `secret`, no issuer or audience, the default leeway.
    pub fn hs256(secret: &[u8]) -> Self {
        Self {
            hs256_secret: Some(Secret::new(String::from_utf8_lossy(secret))),
            jwks: None,
            jwks_ca: None,
            jwks_refresh: Duration::from_secs(300),
            issuer: None,
            audience: Vec::new(),
            leeway: Duration::from_secs(30),
        }
    }
}

/// A token that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    /// Who.
    pub caller: Caller,
    /// Its `exp`.
    pub expires_at: time::OffsetDateTime,
}

/// Why the keys of an identity provider could not be had.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The file could not be read.
    #[error("reading the JWKS file {path}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The URL did not answer with a JWKS.
    #[error("fetching the JWKS from {url}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// The document is not a JWKS.
    #[error("the JWKS document is malformed")]
    Malformed(#[source] serde_json::Error),
    /// The CA file could not be read.
    #[error("reading the JWKS CA file")]
    Ca(#[source] std::io::Error),
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    #[serde(default)]
    roles: Vec<String>,
}

/// Verifies tokens. Cheap to clone.
#[derive(Clone)]
pub struct TokenVerifier {
    hs256: Option<Arc<DecodingKey>>,
    keys: Arc<RwLock<JwkSet>>,
    fetcher: Option<Arc<Fetcher>>,
    issuer: Option<String>,
    audience: Vec<String>,
    leeway: u64,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = self.keys.read().map_or(0, |k| k.keys.len());
        f.debug_struct("TokenVerifier").field("hs256", &self.hs256.is_some()).field("jwks_keys", &keys).field("issuer", &self.issuer).field("audience", &self.audience).finish()
    }
}

/// Fetches a JWKS URL again, at most every [`Fetcher::MIN_INTERVAL`] on demand.
struct Fetcher {
    url: String,
    http: reqwest::Client,
    last: std::sync::Mutex<Option<Instant>>,
}

impl Fetcher {
    const MIN_INTERVAL: Duration = Duration::from_secs(30);

    async fn fetch(&self) -> Result<JwkSet, JwksError> {
        let failed = |source| JwksError::Fetch { url: self.url.clone(), source };
        let response = self.http.get(&self.url).send().await.and_then(reqwest::Response::error_for_status).map_err(failed)?;
        let bytes = response.bytes().await.map_err(failed)?;
        serde_json::from_slice(&bytes).map_err(JwksError::Malformed)
    }

    /// Whether an on-demand fetch may go now (and notes that it does).
    fn may_fetch_now(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|t| t.elapsed() < Self::MIN_INTERVAL) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }
}

impl TokenVerifier {
    /// HS256 tokens signed with `secret`, nothing else.
    pub fn new(secret: &[u8]) -> Self {
        Self::with_keys(&TokenSettings::hs256(secret), JwkSet { keys: Vec::new() }, None)
    }

    fn with_keys(settings: &TokenSettings, keys: JwkSet, fetcher: Option<Arc<Fetcher>>) -> Self {
        Self {
            hs256: settings.hs256_secret.as_ref().map(|s| Arc::new(DecodingKey::from_secret(s.expose().as_bytes()))),
            keys: Arc::new(RwLock::new(keys)),
            fetcher,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            leeway: settings.leeway.as_secs(),
        }
    }

    /// A verifier for `settings`, with the JWKS read or fetched. A JWKS URL is fetched again
    /// every `jwks_refresh` by a task that ends with the runtime.
    ///
    /// # Errors
    /// [`JwksError`] when the keys cannot be had at start-up.
    pub async fn from_settings(settings: &TokenSettings) -> Result<Self, JwksError> {
        match &settings.jwks {
            None => Ok(Self::with_keys(settings, JwkSet { keys: Vec::new() }, None)),
            Some(JwksSource::File(path)) => {
                let text = std::fs::read(path).map_err(|source| JwksError::Read { path: path.display().to_string(), source })?;
                let keys = serde_json::from_slice(&text).map_err(JwksError::Malformed)?;
                Ok(Self::with_keys(settings, keys, None))
            }
            Some(JwksSource::Url(url)) => {
                let mut http = reqwest::Client::builder().timeout(Duration::from_secs(10));
                if let Some(ca) = &settings.jwks_ca {
                    let pem = std::fs::read(ca).map_err(JwksError::Ca)?;
                    let cert = reqwest::Certificate::from_pem(&pem).map_err(|source| JwksError::Fetch { url: url.clone(), source })?;
                    http = http.add_root_certificate(cert);
                }
                let http = http.build().map_err(|source| JwksError::Fetch { url: url.clone(), source })?;
                let fetcher = Arc::new(Fetcher { url: url.clone(), http, last: std::sync::Mutex::new(None) });
                let keys = fetcher.fetch().await?;
                let verifier = Self::with_keys(settings, keys, Some(fetcher.clone()));
                let (keys, every) = (Arc::downgrade(&verifier.keys), settings.jwks_refresh.max(Duration::from_secs(10)));
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(every).await;
                        let Some(keys) = keys.upgrade() else { return };
                        refresh(&fetcher, &keys).await;
                    }
                });
                Ok(verifier)
            }
        }
    }

    /// The caller a token names, and when it expires.
    ///
    /// # Errors
    /// [`ApiError::Token`] for a token that is malformed, badly signed, of an algorithm this
    /// verifier has no key for, with an unknown key id, expired, not yet valid, or of another
    /// issuer or audience; [`ApiError::TokenSubject`] when its `sub` is not a NIP.
    pub fn verify(&self, token: &str) -> Result<Verified, ApiError> {
        let header = jsonwebtoken::decode_header(token).map_err(ApiError::Token)?;
        let key = self.key_for(header.alg, header.kid.as_deref())?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        if self.audience.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&self.audience);
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(ApiError::Token)?;
        let nip = Nip::parse(&data.claims.sub).map_err(ApiError::TokenSubject)?;
        let has = |role: &str| data.claims.roles.iter().any(|r| r == role);
        let expires_at = time::OffsetDateTime::from_unix_timestamp(data.claims.exp).map_err(|_| ApiError::Unauthorized("the token's exp is out of range"))?;
        Ok(Verified { caller: Caller { nip, admin: has("admin"), inspector: has("inspector"), service_desk: has("service_desk") }, expires_at })
    }

    fn key_for(&self, alg: Algorithm, kid: Option<&str>) -> Result<DecodingKey, ApiError> {
        match alg {
            Algorithm::HS256 => self.hs256.as_deref().cloned().ok_or(ApiError::Unauthorized("HS256 tokens are not accepted here")),
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::ES256 | Algorithm::ES384 => {
                let keys = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
                let rsa = matches!(alg, Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512);
                let fits = |jwk: &&jsonwebtoken::jwk::Jwk| {
                    let family = matches!((&jwk.algorithm, rsa), (AlgorithmParameters::RSA(_), true) | (AlgorithmParameters::EllipticCurve(_), false));
                    let declared = jwk.common.key_algorithm.is_none_or(|a| format!("{a:?}") == format!("{alg:?}"));
                    family && declared
                };
                let found = match kid {
                    Some(kid) => keys.find(kid).filter(|jwk| fits(jwk)),
                    None => {
                        let mut fitting = keys.keys.iter().filter(fits);
                        match (fitting.next(), fitting.next()) {
                            (Some(only), None) => Some(only),
                            _ => None,
                        }
                    }
                };
                let Some(jwk) = found else {
                    drop(keys);
                    self.refresh_soon();
                    return Err(ApiError::Unauthorized("the token's key id is not among the identity provider's keys"));
                };
                DecodingKey::from_jwk(jwk).map_err(ApiError::Token)
            }
            _ => Err(ApiError::Unauthorized("the token's algorithm is not accepted (HS256, RS256, RS384, RS512, ES256, ES384)")),
        }
    }

    /// A token named a key not in the set: the provider may have rotated its keys.
    fn refresh_soon(&self) {
        let Some(fetcher) = &self.fetcher else { return };
        if !fetcher.may_fetch_now() {
            return;
        }
        let (fetcher, keys) = (fetcher.clone(), self.keys.clone());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { refresh(&fetcher, &keys).await });
        }
    }
}

async fn refresh(fetcher: &Fetcher, keys: &RwLock<JwkSet>) {
    match fetcher.fetch().await {
        Ok(fresh) => {
            tracing::info!(url = %fetcher.url, keys = fresh.keys.len(), "identity provider keys refreshed");
            *keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        }
        Err(e) => tracing::warn!(error = %skp_store::error::chain(&e), "identity provider keys not refreshed; keeping the previous ones"),
    }
}
