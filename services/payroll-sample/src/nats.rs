//! Connecting to NATS as SKP's other processes do, without depending on SKP: one kind of
//! credential (`SKP_NATS_CREDS` a creds file, `SKP_NATS_NKEY_SEED`, `SKP_NATS_USER` with
//! `SKP_NATS_PASSWORD`, or `SKP_NATS_TOKEN`; a user part in `SKP_NATS_URL` is taken out of
//! the URL and used), TLS (`SKP_NATS_TLS_CA`, `SKP_NATS_TLS_CERT` with `SKP_NATS_TLS_KEY`,
//! `SKP_NATS_TLS=on`), and `SKP_NATS_INBOX_PREFIX` (the reply subjects this user may
//! subscribe to, when the server gives each user its own). A payroll user of a secured
//! server reads `SKP_PUBLIC` and nothing else (`deploy/nats/secure.conf`).

use crate::SampleError;

/// How to reach NATS. `Debug` never shows a secret.
#[derive(Clone, Default)]
pub struct NatsOptions {
    /// The server(s), without any user part.
    pub urls: String,
    creds: Option<String>,
    nkey_seed: Option<String>,
    user_password: Option<(String, String)>,
    token: Option<String>,
    tls: bool,
    ca: Option<String>,
    client_cert: Option<(String, String)>,
    inbox_prefix: Option<String>,
}

impl std::fmt::Debug for NatsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.creds.is_some() {
            "creds"
        } else if self.nkey_seed.is_some() {
            "nkey"
        } else if self.user_password.is_some() {
            "user_password"
        } else if self.token.is_some() {
            "token"
        } else {
            "none"
        };
        f.debug_struct("NatsOptions").field("urls", &self.urls).field("credential", &kind).field("tls", &self.tls).finish()
    }
}

impl NatsOptions {
    /// Reads the `SKP_NATS_*` settings through `get` (unset or empty: `None`).
    ///
    /// # Errors
    /// [`SampleError::Config`] for two kinds of credential or half a pair.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, SampleError> {
        let url = get("SKP_NATS_URL").unwrap_or_else(|| "nats://127.0.0.1:4222".into());
        let mut options = Self::default();
        let mut urls = Vec::new();
        for one in url.split(',').map(str::trim).filter(|u| !u.is_empty()) {
            let (scheme, rest) = one.split_once("://").unwrap_or(("nats", one));
            let end = rest.find('/').unwrap_or(rest.len());
            match rest[..end].rfind('@') {
                Some(at) => {
                    let userinfo = &rest[..at];
                    match userinfo.split_once(':') {
                        Some((user, password)) => options.user_password = Some((user.into(), password.into())),
                        None => options.token = Some(userinfo.into()),
                    }
                    urls.push(format!("{scheme}://{}", &rest[at + 1..]));
                }
                None => urls.push(one.to_owned()),
            }
        }
        options.urls = urls.join(",");
        options.creds = get("SKP_NATS_CREDS");
        options.nkey_seed = get("SKP_NATS_NKEY_SEED");
        match (get("SKP_NATS_USER"), get("SKP_NATS_PASSWORD")) {
            (Some(u), Some(p)) => options.user_password = Some((u, p)),
            (None, None) => {}
            _ => return Err(SampleError::Config("SKP_NATS_USER and SKP_NATS_PASSWORD go together".into())),
        }
        if let Some(token) = get("SKP_NATS_TOKEN") {
            options.token = Some(token);
        }
        let kinds = [options.creds.is_some(), options.nkey_seed.is_some(), options.user_password.is_some(), options.token.is_some()];
        if kinds.iter().filter(|k| **k).count() > 1 {
            return Err(SampleError::Config("give one kind of NATS credential: SKP_NATS_CREDS, SKP_NATS_NKEY_SEED, SKP_NATS_USER/SKP_NATS_PASSWORD or SKP_NATS_TOKEN".into()));
        }
        options.ca = get("SKP_NATS_TLS_CA");
        options.client_cert = match (get("SKP_NATS_TLS_CERT"), get("SKP_NATS_TLS_KEY")) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => return Err(SampleError::Config("SKP_NATS_TLS_CERT and SKP_NATS_TLS_KEY go together".into())),
        };
        options.tls = match get("SKP_NATS_TLS").as_deref() {
            Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(SampleError::Config(format!("SKP_NATS_TLS {other:?}: expected on or off"))),
            None => options.ca.is_some() || options.client_cert.is_some() || options.urls.contains("tls://"),
        };
        options.inbox_prefix = get("SKP_NATS_INBOX_PREFIX");
        Ok(options)
    }

    /// Connects.
    ///
    /// # Errors
    /// [`SampleError::Nats`] naming the servers (never a secret).
    pub async fn connect(&self) -> Result<async_nats::Client, SampleError> {
        let failed = |e: Box<dyn std::error::Error + Send + Sync>| SampleError::Nats { what: format!("connecting to {}", self.urls), source: e };
        let mut options = async_nats::ConnectOptions::new().name("skp-payroll-sample");
        if let Some(path) = &self.creds {
            options = options.credentials_file(path).await.map_err(|e| failed(e.into()))?;
        }
        if let Some(seed) = &self.nkey_seed {
            options = options.nkey(seed.clone());
        }
        if let Some((user, password)) = &self.user_password {
            options = options.user_and_password(user.clone(), password.clone());
        }
        if let Some(token) = &self.token {
            options = options.token(token.clone());
        }
        if self.tls {
            options = options.require_tls(true);
        }
        if let Some(ca) = &self.ca {
            options = options.add_root_certificates(ca.into());
        }
        if let Some((cert, key)) = &self.client_cert {
            options = options.add_client_certificate(cert.into(), key.into());
        }
        if let Some(prefix) = &self.inbox_prefix {
            options = options.custom_inbox_prefix(prefix);
        }
        let urls: Vec<&str> = self.urls.split(',').collect();
        options.connect(urls).await.map_err(|e| failed(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<NatsOptions, SampleError> {
        NatsOptions::from_lookup(&|name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn a_user_part_in_the_url_becomes_the_credential_and_nothing_secret_is_printed() {
        let options = read(&[("SKP_NATS_URL", "tls://payroll:s3cret@n1:4222"), ("SKP_NATS_TLS_CA", "/ca.pem")]).expect("options");
        assert_eq!(options.urls, "tls://n1:4222");
        assert!(options.tls);
        let shown = format!("{options:?}");
        assert!(!shown.contains("s3cret") && shown.contains("user_password"), "{shown}");
    }

    #[test]
    fn two_kinds_of_credential_are_refused() {
        assert!(read(&[("SKP_NATS_TOKEN", "t"), ("SKP_NATS_CREDS", "/x.creds")]).is_err());
        assert!(read(&[("SKP_NATS_USER", "payroll")]).is_err());
        assert!(read(&[("SKP_NATS_TLS_CERT", "/c.pem")]).is_err());
    }
}
