//! NATS servers of the test's own with TLS and authorization, the way a secured deployment
//! runs them: certificates from the shipped `deploy/certs/make-certs.sh`, users and
//! permissions from the shipped `deploy/nats/auth.conf`, a token server, and an operator-mode
//! server whose account and user JWTs the test signs itself (for a creds file).

use base64::Engine;
use nkeys::KeyPair;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SKP_PASSWORD: &str = "skp-test-password-7f3a";
pub const PAYROLL_PASSWORD: &str = "payroll-test-password-91c2";
pub const TOKEN: &str = "skp-test-token-5be1";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn binary() -> String {
    std::env::var("SKP_TEST_NATS_SERVER_DURABLE").or_else(|_| std::env::var("SKP_TEST_NATS_SERVER")).unwrap_or_else(|_| "nats-server".into())
}

/// A directory with the CA, server and client certificates of `deploy/certs/make-certs.sh`.
pub struct Certs {
    pub dir: PathBuf,
}

impl Certs {
    pub fn make() -> Self {
        let dir = std::env::temp_dir().join(format!("skp-certs-{}", uuid::Uuid::new_v4().simple()));
        let status = Command::new("bash").arg(repo().join("deploy/certs/make-certs.sh")).arg(&dir).stdout(Stdio::null()).status().unwrap();
        assert!(status.success(), "deploy/certs/make-certs.sh failed");
        Self { dir }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running secured nats-server.
pub struct SecureNats {
    child: Child,
    pub port: u16,
    dir: PathBuf,
    /// The seed of the nkey user (users server) or the creds file (operator server).
    pub nkey_seed: Option<String>,
    pub creds_file: Option<PathBuf>,
}

impl SecureNats {
    pub fn url(&self) -> String {
        format!("tls://127.0.0.1:{}", self.port)
    }

    fn start(config: String, dir: PathBuf, env: &[(&str, String)]) -> (Child, u16) {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = format!("listen: 127.0.0.1:{port}\njetstream {{ store_dir: \"{}\" }}\n{config}", dir.join("js").display());
        std::fs::write(dir.join("server.conf"), config).unwrap();
        let mut command = Command::new(binary());
        command.arg("-c").arg(dir.join("server.conf")).stdout(Stdio::null()).stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("nats-server");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                let mut err = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
                panic!("nats-server exited {status}: {err}");
            }
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        (child, port)
    }

    fn tls_block(certs: &Certs, verify: bool) -> String {
        format!(
            "tls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n  ca_file: \"{}\"\n  verify: {verify}\n  timeout: 2\n}}\n",
            certs.path("server-cert.pem"),
            certs.path("server-key.pem"),
            certs.path("ca.pem")
        )
    }

    fn dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("skp-secure-nats-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// TLS with client certificates required, and the shipped users (`skp` by password or
    /// nkey, `payroll` a reader).
    pub fn users(certs: &Certs) -> Self {
        let dir = Self::dir();
        std::fs::copy(repo().join("deploy/nats/auth.conf"), dir.join("auth.conf")).unwrap();
        let nkey = KeyPair::new_user();
        let env = [("SKP_NATS_SKP_PASSWORD", SKP_PASSWORD.to_owned()), ("SKP_NATS_SKP_NKEY", nkey.public_key()), ("SKP_NATS_PAYROLL_PASSWORD", PAYROLL_PASSWORD.to_owned())];
        let (child, port) = Self::start(format!("{}include ./auth.conf\n", Self::tls_block(certs, true)), dir.clone(), &env);
        Self { child, port, dir, nkey_seed: Some(nkey.seed().unwrap()), creds_file: None }
    }

    /// TLS, and one token for everyone.
    pub fn token(certs: &Certs) -> Self {
        let dir = Self::dir();
        let (child, port) = Self::start(format!("{}authorization {{ token: \"{TOKEN}\" }}\n", Self::tls_block(certs, false)), dir.clone(), &[]);
        Self { child, port, dir, nkey_seed: None, creds_file: None }
    }

    /// TLS, operator mode: an operator, a system account and an SKP account with JetStream,
    /// preloaded; a user of the SKP account in a creds file.
    pub fn operator(certs: &Certs) -> Self {
        let dir = Self::dir();
        let operator = KeyPair::new_operator();
        let system = KeyPair::new_account();
        let account = KeyPair::new_account();
        let user = KeyPair::new_user();
        let operator_jwt = jwt(&operator, &operator.public_key(), "skp-test-operator", json!({"type": "operator", "version": 2, "system_account": system.public_key()}));
        let limits = json!({"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": true, "conn": -1, "leaf": -1,
            "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1});
        let system_jwt = jwt(&operator, &system.public_key(), "SYS", json!({"type": "account", "version": 2, "limits": {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": true, "conn": -1, "leaf": -1}}));
        let account_jwt = jwt(&operator, &account.public_key(), "SKP", json!({"type": "account", "version": 2, "limits": limits}));
        let user_jwt = jwt(&account, &user.public_key(), "skp", json!({"type": "user", "version": 2, "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1}));
        let creds = format!(
            "-----BEGIN NATS USER JWT-----\n{user_jwt}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n\n-----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
            user.seed().unwrap()
        );
        let creds_file = dir.join("skp.creds");
        std::fs::write(&creds_file, creds).unwrap();
        let config = format!(
            "{}operator: \"{operator_jwt}\"\nsystem_account: {}\nresolver: MEMORY\nresolver_preload: {{\n  {}: \"{system_jwt}\"\n  {}: \"{account_jwt}\"\n}}\n",
            Self::tls_block(certs, false),
            system.public_key(),
            system.public_key(),
            account.public_key()
        );
        let (child, port) = Self::start(config, dir.clone(), &[]);
        Self { child, port, dir, nkey_seed: None, creds_file: Some(creds_file) }
    }
}

impl Drop for SecureNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A NATS JWT (`ed25519-nkey`) of `subject`, signed by `issuer`.
fn jwt(issuer: &KeyPair, subject: &str, name: &str, nats: Value) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let header = json!({"typ": "JWT", "alg": "ed25519-nkey"});
    let iat = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut claims = json!({"iat": iat, "iss": issuer.public_key(), "name": name, "sub": subject, "nats": nats});
    claims["jti"] = json!(base64::engine::general_purpose::STANDARD_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()));
    let signing_input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let signature = issuer.sign(signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", b64(&signature))
}
