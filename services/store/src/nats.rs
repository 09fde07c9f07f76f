//! How SKP's processes authenticate to NATS and encrypt the connection: one kind of
//! credential (a creds file with a user JWT and its nkey, an nkey seed, a user and password,
//! or a token) and TLS (a CA file, a client certificate), all from `SKP_NATS_*` variables.
//!
//! A user and password (or a token) written into `SKP_NATS_URL` (`nats://user:pass@host`)
//! are taken out of the URL and used as credentials: the client library ignores them there.
//! [`redact`] is the only form of a URL that reaches a log line.

use crate::setting::{ConfigError, Secret};
use std::path::PathBuf;

/// The credential a connection presents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NatsCredential {
    /// None: an open server (development only).
    #[default]
    None,
    /// A creds file holding a user JWT and its nkey seed (`SKP_NATS_CREDS`): the server runs
    /// in operator mode.
    CredsFile(PathBuf),
    /// An nkey seed (`SKP_NATS_NKEY_SEED`, `SU…`); the server lists the user's public key.
    Nkey(SecretEq),
    /// A user and password (`SKP_NATS_USER`, `SKP_NATS_PASSWORD`, or in the URL).
    UserPassword {
        /// The user.
        user: String,
        /// The password.
        password: SecretEq,
    },
    /// A token (`SKP_NATS_TOKEN`, or alone in the URL's user part).
    Token(SecretEq),
}

impl NatsCredential {
    /// The kind, for logs: `none`, `creds`, `nkey`, `user_password`, `token`.
    pub fn kind(&self) -> &'static str {
        match self {
            NatsCredential::None => "none",
            NatsCredential::CredsFile(_) => "creds",
            NatsCredential::Nkey(_) => "nkey",
            NatsCredential::UserPassword { .. } => "user_password",
            NatsCredential::Token(_) => "token",
        }
    }
}

/// A [`Secret`] that compares equal by value (for settings tests); never printed.
#[derive(Clone)]
pub struct SecretEq(pub Secret);

impl PartialEq for SecretEq {
    fn eq(&self, other: &Self) -> bool {
        self.0.expose() == other.0.expose()
    }
}

impl Eq for SecretEq {}

impl std::fmt::Debug for SecretEq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// TLS of the NATS connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NatsTls {
    /// Require TLS (`SKP_NATS_TLS=on`; on by itself when a CA or a client certificate is
    /// given, or the URL is `tls://`).
    pub required: bool,
    /// The CA that signed the server's certificate (`SKP_NATS_TLS_CA`, a PEM file); without
    /// it, the system's roots.
    pub ca_file: Option<PathBuf>,
    /// A client certificate and its key (`SKP_NATS_TLS_CERT`, `SKP_NATS_TLS_KEY`, PEM files),
    /// for a server that verifies clients.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

/// Everything about reaching NATS but its URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NatsAuth {
    /// The credential.
    pub credential: NatsCredential,
    /// TLS.
    pub tls: NatsTls,
    /// The prefix of this connection's reply subjects (`SKP_NATS_INBOX_PREFIX`, default
    /// `_INBOX`): a server that gives each user its own inbox prefix keeps one user's replies
    /// from another.
    pub inbox_prefix: Option<String>,
}

impl NatsAuth {
    /// Reads the `SKP_NATS_*` settings through `lookup`, taking a user and password (or a
    /// token) out of `url`. Returns the settings and the URL without them.
    ///
    /// # Errors
    /// [`ConfigError`] when more than one kind of credential is given, a user without a
    /// password (or the reverse), or a client certificate without its key.
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>, url: &str) -> Result<(Self, String), ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let (url, from_url) = take_userinfo(url);
        let mut found = Vec::new();
        if let Some(path) = get("SKP_NATS_CREDS") {
            found.push(("SKP_NATS_CREDS", NatsCredential::CredsFile(path.into())));
        }
        if let Some(seed) = get("SKP_NATS_NKEY_SEED") {
            found.push(("SKP_NATS_NKEY_SEED", NatsCredential::Nkey(SecretEq(Secret::new(seed.trim())))));
        }
        match (get("SKP_NATS_USER"), get("SKP_NATS_PASSWORD")) {
            (Some(user), Some(password)) => found.push(("SKP_NATS_USER", NatsCredential::UserPassword { user, password: SecretEq(Secret::new(password)) })),
            (None, None) => {}
            (Some(_), None) => return Err(problem("SKP_NATS_PASSWORD", "required with SKP_NATS_USER")),
            (None, Some(_)) => return Err(problem("SKP_NATS_USER", "required with SKP_NATS_PASSWORD")),
        }
        if let Some(token) = get("SKP_NATS_TOKEN") {
            found.push(("SKP_NATS_TOKEN", NatsCredential::Token(SecretEq(Secret::new(token)))));
        }
        if let Some(credential) = from_url {
            found.push(("SKP_NATS_URL", credential));
        }
        if found.len() > 1 {
            let names: Vec<&str> = found.iter().map(|(n, _)| *n).collect();
            return Err(problem("SKP_NATS_URL", &format!("give one kind of NATS credential, not several: {}", names.join(", "))));
        }
        let credential = found.pop().map(|(_, c)| c).unwrap_or_default();
        let client_cert = match (get("SKP_NATS_TLS_CERT"), get("SKP_NATS_TLS_KEY")) {
            (Some(cert), Some(key)) => Some((cert.into(), key.into())),
            (None, None) => None,
            (Some(_), None) => return Err(problem("SKP_NATS_TLS_KEY", "required with SKP_NATS_TLS_CERT")),
            (None, Some(_)) => return Err(problem("SKP_NATS_TLS_CERT", "required with SKP_NATS_TLS_KEY")),
        };
        let ca_file: Option<PathBuf> = get("SKP_NATS_TLS_CA").map(Into::into);
        let explicit = match get("SKP_NATS_TLS").as_deref() {
            None => None,
            Some("on") => Some(true),
            Some("off") => Some(false),
            Some(other) => return Err(problem("SKP_NATS_TLS", &format!("{other:?}: expected on or off"))),
        };
        let implied = ca_file.is_some() || client_cert.is_some() || url.split(',').any(|u| u.trim().starts_with("tls://"));
        let tls = NatsTls { required: explicit.unwrap_or(implied), ca_file, client_cert };
        let inbox_prefix = get("SKP_NATS_INBOX_PREFIX");
        Ok((Self { credential, tls, inbox_prefix }, url))
    }

    /// The client library's options for these settings.
    ///
    /// # Errors
    /// When the creds file cannot be read or parsed.
    pub async fn options(&self) -> std::io::Result<async_nats::ConnectOptions> {
        let mut options = async_nats::ConnectOptions::new();
        options = match &self.credential {
            NatsCredential::None => options,
            NatsCredential::CredsFile(path) => options.credentials_file(path).await.map_err(|e| std::io::Error::new(e.kind(), format!("reading the NATS creds file {}: {e}", path.display())))?,
            NatsCredential::Nkey(seed) => options.nkey(seed.0.expose().to_owned()),
            NatsCredential::UserPassword { user, password } => options.user_and_password(user.clone(), password.0.expose().to_owned()),
            NatsCredential::Token(token) => options.token(token.0.expose().to_owned()),
        };
        if self.tls.required {
            options = options.require_tls(true);
        }
        if let Some(ca) = &self.tls.ca_file {
            options = options.add_root_certificates(ca.clone());
        }
        if let Some((cert, key)) = &self.tls.client_cert {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        if let Some(prefix) = &self.inbox_prefix {
            options = options.custom_inbox_prefix(prefix);
        }
        Ok(options)
    }
}

fn problem(name: &'static str, what: &str) -> ConfigError {
    ConfigError { name, problem: what.to_owned() }
}

/// Takes `user:password@` (or `token@`) out of every URL of a comma-separated list; the first
/// one found is the credential.
fn take_userinfo(urls: &str) -> (String, Option<NatsCredential>) {
    let mut credential = None;
    let cleaned: Vec<String> = urls
        .split(',')
        .map(|url| {
            let url = url.trim();
            let (scheme, rest) = url.split_once("://").map_or(("", url), |(s, r)| (s, r));
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let Some(at) = rest[..authority_end].rfind('@') else { return url.to_owned() };
            let userinfo = &rest[..at];
            if credential.is_none() {
                credential = Some(match userinfo.split_once(':') {
                    Some((user, password)) => NatsCredential::UserPassword { user: decode(user), password: SecretEq(Secret::new(decode(password))) },
                    None => NatsCredential::Token(SecretEq(Secret::new(decode(userinfo)))),
                });
            }
            let host = &rest[at + 1..];
            if scheme.is_empty() { host.to_owned() } else { format!("{scheme}://{host}") }
        })
        .collect();
    (cleaned.join(","), credential)
}

/// Percent-decoding of a URL's user part (`%40` for `@`, `%3A` for `:`).
fn decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&raw[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A URL (or a comma-separated list) as it may be logged: any user part replaced by `***`.
pub fn redact(urls: &str) -> String {
    urls.split(',')
        .map(|url| {
            let url = url.trim();
            let (scheme, rest) = url.split_once("://").map_or(("", url), |(s, r)| (s, r));
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) if scheme.is_empty() => format!("***@{}", &rest[at + 1..]),
                Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
                None => url.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(vars: &[(&str, &str)], url: &str) -> Result<(NatsAuth, String), ConfigError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        NatsAuth::from_lookup(&move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()), url)
    }

    #[test]
    fn a_user_and_password_in_the_url_become_the_credential_and_leave_the_url() {
        let (auth, url) = read(&[], "nats://skp:s%40cret@n1:4222, nats://skp:s%40cret@n2:4222").expect("settings");
        assert_eq!(url, "nats://n1:4222,nats://n2:4222");
        assert_eq!(auth.credential, NatsCredential::UserPassword { user: "skp".into(), password: SecretEq(Secret::new("s@cret")) });
        let (auth, url) = read(&[], "tls://t0ken@n1:4222").expect("settings");
        assert_eq!((auth.credential.kind(), url.as_str(), auth.tls.required), ("token", "tls://n1:4222", true));
    }

    #[test]
    fn each_kind_of_credential_is_read_from_its_variable() {
        let kind = |vars: &[(&str, &str)]| read(vars, "nats://n1:4222").expect("settings").0.credential.kind();
        assert_eq!(kind(&[]), "none");
        assert_eq!(kind(&[("SKP_NATS_CREDS", "/run/secrets/skp.creds")]), "creds");
        assert_eq!(kind(&[("SKP_NATS_NKEY_SEED", "SUAB")]), "nkey");
        assert_eq!(kind(&[("SKP_NATS_USER", "skp"), ("SKP_NATS_PASSWORD", "p")]), "user_password");
        assert_eq!(kind(&[("SKP_NATS_TOKEN", "t")]), "token");
    }

    #[test]
    fn two_kinds_of_credential_or_half_a_pair_are_refused_by_name() {
        let two = read(&[("SKP_NATS_TOKEN", "t"), ("SKP_NATS_CREDS", "/x")], "nats://n1").expect_err("two kinds");
        assert!(two.to_string().contains("SKP_NATS_CREDS") && two.to_string().contains("SKP_NATS_TOKEN"), "{two}");
        let half = read(&[("SKP_NATS_USER", "skp")], "nats://n1").expect_err("no password");
        assert!(half.to_string().contains("SKP_NATS_PASSWORD"), "{half}");
        let key = read(&[("SKP_NATS_TLS_CERT", "/c.pem")], "nats://n1").expect_err("no key");
        assert!(key.to_string().contains("SKP_NATS_TLS_KEY"), "{key}");
    }

    #[test]
    fn tls_is_required_with_a_ca_or_a_client_certificate_unless_turned_off() {
        let tls = |vars: &[(&str, &str)]| read(vars, "nats://n1").expect("settings").0.tls.required;
        assert!(!tls(&[]));
        assert!(tls(&[("SKP_NATS_TLS_CA", "/ca.pem")]));
        assert!(tls(&[("SKP_NATS_TLS_CERT", "/c.pem"), ("SKP_NATS_TLS_KEY", "/k.pem")]));
        assert!(tls(&[("SKP_NATS_TLS", "on")]));
        assert!(!tls(&[("SKP_NATS_TLS_CA", "/ca.pem"), ("SKP_NATS_TLS", "off")]));
    }

    #[test]
    fn a_redacted_url_keeps_no_secret_and_the_settings_print_none() {
        assert_eq!(redact("nats://skp:hunter2@n1:4222,nats://n2:4222"), "nats://***@n1:4222,nats://n2:4222");
        assert_eq!(redact("hunter2@n1:4222"), "***@n1:4222");
        let (auth, _) = read(&[("SKP_NATS_USER", "skp"), ("SKP_NATS_PASSWORD", "hunter2")], "nats://n1").expect("settings");
        assert!(!format!("{auth:?}").contains("hunter2"));
    }
}
