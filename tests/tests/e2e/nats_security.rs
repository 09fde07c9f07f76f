//! NATS with credentials and TLS (issue 15): SKP connects with each kind of credential over
//! TLS (a user and password, the same in the URL, an nkey, a token, a creds file, each with
//! the test's CA; a client certificate where the server asks for one); a wrong one fails
//! clearly at start-up instead of retrying; and a payroll user of the shipped
//! `deploy/nats/auth.conf` reads `SKP_PUBLIC` but cannot publish an event nor read
//! `SKP_EVENTS`.

use crate::common::nats_secure::{Certs, SecureNats, PAYROLL_PASSWORD, SKP_PASSWORD, TOKEN};
use crate::common::*;
use futures::StreamExt;
use skp_store::{Append, EventStore, Metrics, StoreError, StoreSettings};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A case: its name, the server URL, the variables.
type Case = (&'static str, String, Vec<(&'static str, String)>);

fn settings(url: &str, vars: &[(&str, String)]) -> Result<StoreSettings, skp_store::config::ConfigError> {
    let mut map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    map.insert("SKP_NATS_URL".into(), url.to_owned());
    map.insert("SKP_GROUP_COMMIT".into(), "off".into());
    StoreSettings::from_lookup(&|n: &str| map.get(n).cloned())
}

fn mtls(certs: &Certs) -> Vec<(&'static str, String)> {
    vec![("SKP_NATS_TLS_CA", certs.path("ca.pem")), ("SKP_NATS_TLS_CERT", certs.path("client-cert.pem")), ("SKP_NATS_TLS_KEY", certs.path("client-key.pem"))]
}

async fn appends(settings: &StoreSettings) -> Result<u64, StoreError> {
    let store = EventStore::connect(settings, Metrics::new(), Duration::from_secs(10)).await?;
    let subject = format!("{}.cycle.{}", settings.subject_prefix, uuid::Uuid::new_v4());
    let append = Append { subject: &subject, body: b"{}".to_vec().into(), event_type: "X", schema_version: 1, message_id: "m", expected_last_subject_seq: 0, command: None, digest: None };
    Ok(store.append(append).await?.stream_seq)
}

#[tokio::test]
async fn skp_connects_with_each_kind_of_credential_over_tls() {
    let certs = Certs::make();
    let users = SecureNats::users(&certs);
    let token = SecureNats::token(&certs);
    let operator = SecureNats::operator(&certs);
    let ca = ("SKP_NATS_TLS_CA", certs.path("ca.pem"));
    let with = |extra: Vec<(&'static str, String)>| [mtls(&certs), extra].concat();
    let cases: Vec<Case> = vec![
        ("user and password", users.url(), with(vec![("SKP_NATS_USER", "skp".into()), ("SKP_NATS_PASSWORD", SKP_PASSWORD.into())])),
        ("user and password in the URL", format!("tls://skp:{SKP_PASSWORD}@127.0.0.1:{}", users.port), with(vec![])),
        ("nkey seed", users.url(), with(vec![("SKP_NATS_NKEY_SEED", users.nkey_seed.clone().unwrap())])),
        ("token", token.url(), vec![ca.clone(), ("SKP_NATS_TOKEN", TOKEN.into())]),
        ("creds file", operator.url(), vec![ca.clone(), ("SKP_NATS_CREDS", operator.creds_file.as_ref().unwrap().display().to_string())]),
    ];
    for (kind, url, vars) in cases {
        let settings = settings(&url, &vars).unwrap();
        assert!(!settings.nats_url.contains(SKP_PASSWORD), "{kind}: the URL keeps no secret: {}", settings.nats_url);
        let seq = appends(&settings).await.unwrap_or_else(|e| panic!("{kind}: {}", skp_store::error::chain(&e)));
        assert!(seq >= 1, "{kind}");
    }
}

#[tokio::test]
async fn a_wrong_credential_or_certificate_fails_clearly_at_start_up() {
    let certs = Certs::make();
    let users = SecureNats::users(&certs);
    let operator = SecureNats::operator(&certs);
    let cases: Vec<(Case, &str)> = vec![
        (("a wrong password", users.url(), [mtls(&certs), vec![("SKP_NATS_USER", "skp".into()), ("SKP_NATS_PASSWORD", "wrong".into())]].concat()), "refused the credential"),
        (("a wrong nkey", users.url(), [mtls(&certs), vec![("SKP_NATS_NKEY_SEED", nkeys::KeyPair::new_user().seed().unwrap())]].concat()), "refused the credential"),
        (("no client certificate", users.url(), vec![("SKP_NATS_TLS_CA", certs.path("ca.pem")), ("SKP_NATS_USER", "skp".into()), ("SKP_NATS_PASSWORD", SKP_PASSWORD.into())]), "TLS failed"),
        (("a CA that did not sign the server", users.url(), [vec![("SKP_NATS_TLS_CA", certs.path("client-cert.pem"))], mtls(&certs)[1..].to_vec(), vec![("SKP_NATS_USER", "skp".into()), ("SKP_NATS_PASSWORD", SKP_PASSWORD.into())]].concat()), "TLS failed"),
        (("no credential on an operator server", operator.url(), vec![("SKP_NATS_TLS_CA", certs.path("ca.pem"))]), "refused the credential"),
    ];
    for ((case, url, vars), expected) in cases {
        let settings = settings(&url, &vars).unwrap();
        let started = Instant::now();
        let error = EventStore::connect(&settings, Metrics::new(), Duration::from_secs(30)).await.expect_err(case);
        let text = skp_store::error::chain(&error);
        assert!(started.elapsed() < Duration::from_secs(10), "{case}: failed only after {:?}", started.elapsed());
        assert!(text.contains(expected), "{case}: {text}");
        assert!(!text.contains(SKP_PASSWORD) && !text.contains("wrong"), "{case}: no secret in the error: {text}");
    }
}

#[tokio::test]
async fn a_payroll_user_reads_skp_public_but_cannot_publish_events_or_read_skp_events() {
    let certs = Certs::make();
    let server = SecureNats::users(&certs);
    // SKP itself, over TLS as user skp: the API creates SKP_EVENTS and SKP_PUBLIC and records.
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let vars: HashMap<String, String> = [
        ("SKP_HTTP_ADDR", "127.0.0.1:0".to_owned()),
        ("SKP_NATS_URL", format!("tls://skp:{SKP_PASSWORD}@127.0.0.1:{}", server.port)),
        ("SKP_NATS_TLS_CA", certs.path("ca.pem")),
        ("SKP_NATS_TLS_CERT", certs.path("client-cert.pem")),
        ("SKP_NATS_TLS_KEY", certs.path("client-key.pem")),
        ("SKP_DATABASE_URL", database_url()),
        ("SKP_JWT_SECRET", format!("secure-nats-test-{tag}-0123456789")),
        ("SKP_DB_SCHEMA", format!("skp_t{tag}")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let app_settings = skp_api::config::Settings::from_lookup(|n| vars.get(n).cloned()).unwrap();
    let app = spawn_with(app_settings, skp_store::Clock::adjustable(), false).await;
    let cycle = app.open_cycle().await;
    app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence=1")).await.expect(200);

    // The relay's stream exists; put a public event on it as SKP would.
    let skp = settings(&server.url(), &[mtls(&certs), vec![("SKP_NATS_USER", "skp".into()), ("SKP_NATS_PASSWORD", SKP_PASSWORD.into())]].concat()).unwrap();
    let skp_client = skp_store::connect::connect_with_retry(&skp.nats_url, &skp.nats_auth, Duration::from_secs(5)).await.unwrap();
    let skp_js = async_nats::jetstream::new(skp_client);
    skp_js.publish("skp.public.score.finalized.v1", "{\"event_id\":\"x\"}".into()).await.unwrap().await.unwrap();
    let events_before = skp_js.get_stream("SKP_EVENTS").await.unwrap().info().await.unwrap().state.last_sequence;

    // The payroll user, with its own inbox prefix.
    let (violations_tx, mut violations) = tokio::sync::mpsc::unbounded_channel();
    let payroll = async_nats::ConnectOptions::with_user_and_password("payroll".into(), PAYROLL_PASSWORD.into())
        .add_root_certificates(certs.path("ca.pem").into())
        .add_client_certificate(certs.path("client-cert.pem").into(), certs.path("client-key.pem").into())
        .require_tls(true)
        .custom_inbox_prefix("_INBOX_reader")
        .event_callback(move |event| {
            let tx = violations_tx.clone();
            async move {
                let _ = tx.send(event.to_string());
            }
        })
        .connect(server.url())
        .await
        .unwrap();
    let mut payroll_js = async_nats::jetstream::new(payroll.clone());
    payroll_js.set_timeout(Duration::from_secs(2));

    // It reads SKP_PUBLIC through a consumer of its own.
    let public = payroll_js.get_stream("SKP_PUBLIC").await.unwrap();
    let consumer = public
        .get_or_create_consumer("payroll", async_nats::jetstream::consumer::pull::Config { durable_name: Some("payroll".into()), ..Default::default() })
        .await
        .unwrap();
    let mut batch = consumer.fetch().max_messages(1).expires(Duration::from_secs(2)).messages().await.unwrap();
    let message = batch.next().await.expect("a public event").unwrap();
    assert_eq!(&message.payload[..], b"{\"event_id\":\"x\"}");
    message.ack().await.unwrap();

    // It cannot append an event, nor read the event stream.
    let forged = payroll_js.publish(format!("skp.events.appraisal.{}", uuid::Uuid::new_v4()), "{}".into()).await;
    let acked = match forged {
        Ok(ack) => ack.await.is_ok(),
        Err(_) => false,
    };
    assert!(!acked, "a payroll user appended to the event stream");
    assert!(payroll_js.get_stream("SKP_EVENTS").await.is_err(), "a payroll user read SKP_EVENTS' info");
    let direct = payroll.request("$JS.API.DIRECT.GET.SKP_EVENTS", "{\"seq\":1}".into()).await;
    assert!(direct.is_err(), "a payroll user read an event by direct get");
    assert!(payroll.subscribe("_INBOX.>").await.is_ok_and(|_| true));
    payroll.flush().await.unwrap();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, violations.recv()).await {
        seen.push(event);
        if seen.iter().any(|e| e.contains("Publish to \"skp.events.")) && seen.iter().any(|e| e.contains("Subscription to \"_INBOX.>\"")) {
            break;
        }
    }
    assert!(seen.iter().any(|e| e.contains("Permissions Violation for Publish to \"skp.events.")), "{seen:?}");
    assert!(seen.iter().any(|e| e.contains("Permissions Violation for Subscription to \"_INBOX.>\"")), "SKP's replies stay SKP's: {seen:?}");
    let events_after = skp_js.get_stream("SKP_EVENTS").await.unwrap().info().await.unwrap().state.last_sequence;
    assert_eq!(events_after, events_before, "nothing was appended");

    // The inspector's tool takes the same settings: `skp verify --all` over TLS as user skp.
    let skp_binary = std::env::current_exe().unwrap().parent().and_then(|deps| deps.parent()).unwrap().join("skp");
    if skp_binary.exists() {
        let output = std::process::Command::new(&skp_binary)
            .args(["verify", "--all"])
            .env("SKP_NATS_URL", format!("tls://127.0.0.1:{}", server.port))
            .env("SKP_NATS_USER", "skp")
            .env("SKP_NATS_PASSWORD", SKP_PASSWORD)
            .envs(mtls(&certs))
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "{text}");
        assert!(text.contains("every chain intact"), "{text}");
    }
}
