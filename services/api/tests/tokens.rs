//! Tokens from an identity provider (issue 15), as a table: audience, issuer, `nbf`, the
//! clock-skew leeway, a key id not in the set, a key of another type, and the algorithm
//! switch (the provider's RSA public key used as an HS256 secret). Keys are test-only, made
//! once with openssl (`tests/fixtures/idp-test-keys.json`).

#![allow(clippy::unwrap_used, missing_docs)]

use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use skp_api::http::tokens::{TokenSettings, TokenVerifier};
use std::collections::HashMap;

const NIP: &str = "199001012015011001";
const SECRET: &str = "a-shared-hs256-secret-of-the-test";

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/idp-test-keys.json")).unwrap()
}

fn der(key: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(fixture()[key].as_str().unwrap()).unwrap()
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn claims(extra: Value) -> Value {
    let mut claims = json!({"sub": NIP, "exp": now() + 600, "roles": ["inspector"]});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

/// A row of the table: the case, the settings, how the token is signed, its extra claims,
/// whether it is accepted.
type Row<'a> = (&'static str, &'a [(&'static str, &'static str)], Signer, Value, bool);

enum Signer {
    Hs256(&'static str),
    Rs256(Option<&'static str>),
    Es256(Option<&'static str>),
    /// HS256 signed with the RSA public key (PEM) as the secret.
    SwitchedAlgorithm,
}

fn sign(signer: &Signer, claims: &Value) -> String {
    let (header, key) = match signer {
        Signer::Hs256(secret) => (Header::new(Algorithm::HS256), EncodingKey::from_secret(secret.as_bytes())),
        Signer::Rs256(kid) => (Header { kid: kid.map(str::to_owned), ..Header::new(Algorithm::RS256) }, EncodingKey::from_rsa_der(&der("rsa_private_der_b64"))),
        Signer::Es256(kid) => (Header { kid: kid.map(str::to_owned), ..Header::new(Algorithm::ES256) }, EncodingKey::from_ec_der(&der("ec_private_pkcs8_der_b64"))),
        Signer::SwitchedAlgorithm => (Header::new(Algorithm::HS256), EncodingKey::from_secret(fixture()["rsa_public_pem"].as_str().unwrap().as_bytes())),
    };
    encode(&header, claims, &key).unwrap()
}

async fn verifier(vars: &[(&str, &str)]) -> TokenVerifier {
    let dir = std::env::temp_dir().join(format!("skp-jwks-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("jwks.json");
    std::fs::write(&file, fixture()["jwks"].to_string()).unwrap();
    let mut map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    map.entry("SKP_JWT_JWKS_FILE".into()).or_insert_with(|| file.display().to_string());
    map.retain(|_, v| !v.is_empty());
    let settings = TokenSettings::from_lookup(&|n: &str| map.get(n).cloned()).unwrap();
    TokenVerifier::from_settings(&settings).await.unwrap()
}

#[tokio::test]
async fn tokens_are_checked_for_audience_issuer_nbf_leeway_key_id_and_algorithm() {
    let with_secret = [("SKP_JWT_SECRET", SECRET)];
    let strict = [("SKP_JWT_SECRET", SECRET), ("SKP_JWT_ISSUER", "https://sso.bkn.go.id/realms/asn"), ("SKP_JWT_AUDIENCE", "skp,skp-dashboard")];
    let jwks_only = [("SKP_JWT_SECRET", "")];
    #[rustfmt::skip]
    let table: Vec<Row<'_>> = vec![
        ("HS256 with the shared secret", &with_secret, Signer::Hs256(SECRET), json!({}), true),
        ("HS256 with another secret", &with_secret, Signer::Hs256("another-secret-of-sixteen"), json!({}), false),
        ("RS256 from the JWKS", &jwks_only, Signer::Rs256(Some("rsa-1")), json!({}), true),
        ("ES256 from the JWKS", &jwks_only, Signer::Es256(Some("ec-1")), json!({}), true),
        ("RS256 without a kid, one RSA key in the set", &jwks_only, Signer::Rs256(None), json!({}), true),
        ("a key id not in the set", &jwks_only, Signer::Rs256(Some("rotated-away")), json!({}), false),
        ("an RS256 token naming the EC key", &jwks_only, Signer::Rs256(Some("ec-1")), json!({}), false),
        ("the RSA public key used as an HS256 secret, no HS256 configured", &jwks_only, Signer::SwitchedAlgorithm, json!({}), false),
        ("the RSA public key used as an HS256 secret, HS256 configured", &with_secret, Signer::SwitchedAlgorithm, json!({}), false),
        ("aud present and no audience configured", &with_secret, Signer::Hs256(SECRET), json!({"aud": "account"}), true),
        ("aud one of the audiences", &strict, Signer::Rs256(Some("rsa-1")), json!({"aud": "skp-dashboard", "iss": "https://sso.bkn.go.id/realms/asn"}), true),
        ("aud another audience", &strict, Signer::Rs256(Some("rsa-1")), json!({"aud": "payroll", "iss": "https://sso.bkn.go.id/realms/asn"}), false),
        ("aud missing where one is required", &strict, Signer::Rs256(Some("rsa-1")), json!({"iss": "https://sso.bkn.go.id/realms/asn"}), false),
        ("iss another issuer", &strict, Signer::Rs256(Some("rsa-1")), json!({"aud": "skp", "iss": "https://evil.example/realms/asn"}), false),
        ("iss missing where one is required", &strict, Signer::Rs256(Some("rsa-1")), json!({"aud": "skp"}), false),
        ("nbf in the future beyond the leeway", &with_secret, Signer::Hs256(SECRET), json!({"nbf": now() + 120}), false),
        ("nbf in the future within the leeway", &with_secret, Signer::Hs256(SECRET), json!({"nbf": now() + 10}), true),
        ("expired within the leeway", &with_secret, Signer::Hs256(SECRET), json!({"exp": now() - 10}), true),
        ("expired beyond the leeway", &with_secret, Signer::Hs256(SECRET), json!({"exp": now() - 60}), false),
        ("expired within a leeway of 0", &[("SKP_JWT_SECRET", SECRET), ("SKP_JWT_LEEWAY_S", "0")], Signer::Hs256(SECRET), json!({"exp": now() - 10}), false),
        ("no exp", &with_secret, Signer::Hs256(SECRET), json!({"exp": null}), false),
        ("a sub that is not a NIP", &with_secret, Signer::Hs256(SECRET), json!({"sub": "admin"}), false),
    ];
    for (case, vars, signer, extra, accepted) in table {
        let verifier = verifier(vars).await;
        let token = sign(&signer, &claims(extra));
        let result = verifier.verify(&token);
        assert_eq!(result.is_ok(), accepted, "{case}: {result:?}");
        if let Ok(verified) = result {
            assert_eq!(verified.caller.nip.as_str(), NIP, "{case}");
            assert!(verified.caller.inspector, "{case}");
        }
    }
}

#[tokio::test]
async fn a_token_with_the_none_algorithm_is_refused() {
    let verifier = verifier(&[("SKP_JWT_SECRET", SECRET)]).await;
    let encode = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let token = format!("{}.{}.", encode(&json!({"alg": "none", "typ": "JWT"})), encode(&claims(json!({}))));
    assert!(verifier.verify(&token).is_err());
}

#[test]
fn the_settings_need_a_way_to_verify_and_refuse_two_key_sources() {
    let none = TokenSettings::from_lookup(&|_: &str| None).unwrap_err();
    assert!(none.to_string().contains("SKP_JWT_JWKS_URL"), "{none}");
    let both = TokenSettings::from_lookup(&|n: &str| matches!(n, "SKP_JWT_JWKS_FILE" | "SKP_JWT_JWKS_URL").then(|| "x".to_owned())).unwrap_err();
    assert!(both.to_string().contains("not both"), "{both}");
    let short = TokenSettings::from_lookup(&|n: &str| (n == "SKP_JWT_SECRET").then(|| "short".to_owned())).unwrap_err();
    assert!(short.to_string().contains("16 bytes"), "{short}");
    let default = TokenSettings::from_lookup(&|n: &str| (n == "SKP_JWT_SECRET").then(|| SECRET.to_owned())).unwrap();
    assert_eq!(default.leeway.as_secs(), 30);
}

#[tokio::test]
async fn keys_come_from_a_jwks_url_and_a_rotated_key_is_fetched_when_first_seen() {
    use axum::routing::get;
    let served = std::sync::Arc::new(std::sync::Mutex::new(json!({"keys": [fixture()["jwks"]["keys"][1].clone()]})));
    let state = served.clone();
    let app = axum::Router::new().route("/jwks", get(move || {
        let state = state.clone();
        async move { axum::Json(state.lock().unwrap().clone()) }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let settings = TokenSettings::from_lookup(&|n: &str| (n == "SKP_JWT_JWKS_URL").then(|| url.clone())).unwrap();
    let verifier = TokenVerifier::from_settings(&settings).await.unwrap();
    assert!(verifier.verify(&sign(&Signer::Es256(Some("ec-1")), &claims(json!({})))).is_ok(), "the key fetched at start-up");
    // The provider rotates: it publishes a new key and signs with it before SKP fetched again.
    *served.lock().unwrap() = fixture()["jwks"].clone();
    let rotated = sign(&Signer::Rs256(Some("rsa-1")), &claims(json!({})));
    assert!(verifier.verify(&rotated).is_err(), "not yet known: 401, and a refresh asked for");
    // The unknown key id asked for a refresh; a retry succeeds once it is in.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut verifier_sees_it = false;
    while std::time::Instant::now() < deadline {
        if verifier.verify(&rotated).is_ok() {
            verifier_sees_it = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(verifier_sees_it, "the rotated key was fetched on first sight");
}
