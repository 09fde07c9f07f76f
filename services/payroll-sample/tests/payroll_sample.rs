//! The sample payroll consumer (`skp-payroll-sample`) against the real NATS and PostgreSQL
//! (`SKP_TEST_NATS_URL`, `SKP_TEST_DATABASE_URL`), on a public stream created as SKP's relay
//! creates it. The library the binary runs is called in-process.
//!
//! Each test is isolated: its own public stream, subject prefix, durable consumers and
//! database schema, all deleted by a guard when the test ends, even when it fails.

#![allow(clippy::unwrap_used, missing_docs)]

use async_nats::jetstream::{self, context::Publish};
use skp_payroll_sample::{self as payroll, Mode, Outcome, PercentTable, Settings, Summary};
use skp_events::ids::SKP_NAMESPACE;
use skp_events::period::PeriodId;
use skp_events::public::{PeriodEvaluatedV1, ScoreFinalizedV1};
use skp_events::values::FinalizedVia;
use skp_events::{Predikat, Rating};
use skp_projections::relay::{period_evaluated_subject, score_finalized_subject, RelayProjection};
use std::collections::HashMap;
use std::time::Duration;
use time::macros::datetime;
use time::OffsetDateTime;
use uuid::Uuid;

const ALICE: &str = "199001012015011001";
const BUDI: &str = "198005052005012002";
/// Distinct percentages, so a wrong predikat lookup shows.
const TABLE: &str = "sangat_baik=100, baik=90, butuh_perbaikan=80, kurang=60, sangat_kurang=50";

fn nats_url() -> String {
    std::env::var("SKP_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// The servers of a NATS URL list.
fn urls(url: &str) -> Vec<&str> {
    url.split(',').map(str::trim).filter(|u| !u.is_empty()).collect()
}

fn database_url() -> String {
    std::env::var("SKP_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The isolated names of one test; dropping it deletes the stream (with its consumers) and
/// the schema, from a thread and runtime of its own so that it works while panicking.
struct Isolated {
    settings: Settings,
}

impl Isolated {
    fn new() -> Self {
        let tag = Uuid::new_v4().simple().to_string()[..12].to_owned();
        let vars = HashMap::from([
            ("SKP_NATS_URL", nats_url()),
            ("SKP_DATABASE_URL", database_url()),
            ("SKP_PUBLIC_STREAM", format!("SKP_TEST_PAYROLL_{tag}")),
            ("SKP_PUBLIC_PREFIX", format!("test{tag}.skp.public")),
            ("PAYROLL_SCHEMA", format!("payroll_t{tag}")),
            ("PAYROLL_CONSUMER", format!("payroll_{tag}")),
            ("PAYROLL_PERIOD_CONSUMER", format!("payroll_{tag}_periods")),
            ("PAYROLL_TABLE", TABLE.to_owned()),
        ]);
        Self { settings: Settings::from_lookup(|name| vars.get(name).cloned()).unwrap() }
    }

    /// The settings of other durable consumers on the same stream and tables.
    fn with_durable(&self, durable: &str) -> Settings {
        Settings { durable: durable.to_owned(), period_durable: format!("{durable}_periods"), ..self.settings.clone() }
    }
}

impl Drop for Isolated {
    fn drop(&mut self) {
        let settings = self.settings.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                if let Ok(Ok(client)) = tokio::time::timeout(Duration::from_secs(3), async_nats::connect(urls(&settings.nats_url))).await {
                    let _ = jetstream::new(client).delete_stream(&settings.stream).await;
                }
                if let Ok(pool) = sqlx::PgPool::connect(&settings.database_url).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {} CASCADE", settings.schema)).execute(&pool).await;
                }
            });
        })
        .join();
    }
}

fn finalized(nip: &str, year: i32, predikat: Predikat, finalized_at: OffsetDateTime) -> ScoreFinalizedV1 {
    let source_event_id = Uuid::now_v7();
    ScoreFinalizedV1 {
        event_id: Uuid::new_v5(&SKP_NAMESPACE, format!("public/{source_event_id}").as_bytes()),
        source_event_id,
        appraisal_id: Uuid::new_v4(),
        cycle_id: Uuid::new_v4(),
        year,
        employee_nip: nip.to_owned(),
        unit: "Bidang Pengembangan Pegawai".to_owned(),
        results_rating: Rating::SesuaiEkspektasi,
        behaviour_rating: Rating::SesuaiEkspektasi,
        predikat,
        via: FinalizedVia::Accepted,
        finalized_at,
    }
}

/// Publishes `body` with `msg_id` as `Nats-Msg-Id`; returns (stream sequence, duplicate).
async fn publish(js: &jetstream::Context, prefix: &str, body: Vec<u8>, msg_id: &str) -> (u64, bool) {
    let publish = Publish::build().payload(body.into()).message_id(msg_id);
    let ack = js.send_publish(score_finalized_subject(prefix), publish).await.unwrap().await.unwrap();
    (ack.sequence, ack.duplicate)
}

/// Publishes the event as SKP's relay does: `Nats-Msg-Id` = `source_event_id`.
async fn publish_event(js: &jetstream::Context, prefix: &str, event: &ScoreFinalizedV1, msg_id: Option<Uuid>) -> (u64, bool) {
    let msg_id = msg_id.unwrap_or(event.source_event_id).to_string();
    publish(js, prefix, serde_json::to_vec(event).unwrap(), &msg_id).await
}

/// Runs the consumer with `--once` semantics; returns its summary and the sequences of the
/// messages it terminated.
async fn run_once(settings: &Settings) -> (Summary, Vec<u64>) {
    let mut terminated = Vec::new();
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        payroll::run(settings, Mode::Once, std::future::pending(), |outcome| {
            if let Outcome::Undecodable { stream_seq, .. } = outcome {
                terminated.push(stream_seq);
            }
        }),
    )
    .await
    .expect("the --once run finishes")
    .unwrap();
    (summary, terminated)
}

type Row = (String, i32, Uuid, String, i16, Uuid);

async fn adjustments(pool: &sqlx::PgPool, schema: &str) -> Vec<Row> {
    let sql = format!("SELECT employee_nip, year, appraisal_id, predikat, percent, source_event_id FROM {schema}.tukin_adjustments ORDER BY employee_nip, year");
    sqlx::query_as(&sql).fetch_all(pool).await.unwrap()
}

async fn processed(pool: &sqlx::PgPool, schema: &str) -> Vec<Uuid> {
    let sql = format!("SELECT event_id FROM {schema}.processed_events ORDER BY event_id");
    sqlx::query_scalar(&sql).fetch_all(pool).await.unwrap()
}

fn row(event: &ScoreFinalizedV1, percent: i16) -> Row {
    (event.employee_nip.clone(), event.year, event.appraisal_id, event.predikat.as_str().to_owned(), percent, event.source_event_id)
}

fn sorted(mut ids: Vec<Uuid>) -> Vec<Uuid> {
    ids.sort();
    ids
}

#[tokio::test]
async fn applies_each_finalization_once_whatever_the_deliveries() {
    let test = Isolated::new();
    let settings = &test.settings;
    let js = jetstream::new(async_nats::connect(urls(&settings.nats_url)).await.unwrap());
    // The public stream exactly as SKP's relay creates it (24-hour duplicate window).
    RelayProjection::new(js.clone(), &settings.stream, &settings.prefix, 1).await.unwrap();

    let alice = finalized(ALICE, 2026, Predikat::Baik, datetime!(2027-01-20 03:00 UTC));
    let budi = finalized(BUDI, 2026, Predikat::ButuhPerbaikan, datetime!(2027-01-21 03:00 UTC));
    assert!(!publish_event(&js, &settings.prefix, &alice, None).await.1);
    assert!(!publish_event(&js, &settings.prefix, &budi, None).await.1);
    // A relay retry inside the duplicate window: JetStream itself drops it.
    assert!(publish_event(&js, &settings.prefix, &alice, None).await.1, "same Nats-Msg-Id within the window is a duplicate");
    // The same event again under another Nats-Msg-Id (e.g. republished after the window):
    // JetStream stores it, the consumer must not apply it twice.
    assert!(!publish_event(&js, &settings.prefix, &alice, Some(Uuid::new_v4())).await.1);
    // A message that is not a ScoreFinalizedV1.
    let (garbage_seq, _) = publish(&js, &settings.prefix, b"{\"event_id\": \"not a uuid\"}".to_vec(), "garbage-1").await;

    let (summary, terminated) = run_once(settings).await;
    assert_eq!(summary, Summary { applied: 2, already_applied: 1, terminated: 1 });
    assert_eq!(terminated, vec![garbage_seq]);

    let pool = sqlx::PgPool::connect(&settings.database_url).await.unwrap();
    let rows = adjustments(&pool, &settings.schema).await;
    assert_eq!(rows, vec![row(&budi, 80), row(&alice, 90)]);
    let ids = processed(&pool, &settings.schema).await;
    assert_eq!(ids, sorted(vec![alice.event_id, budi.event_id]));

    // The same durable again: everything was acknowledged (or terminated); nothing comes.
    let (summary, _) = run_once(settings).await;
    assert_eq!(summary, Summary::default());
    assert_eq!(adjustments(&pool, &settings.schema).await, rows);
    assert_eq!(processed(&pool, &settings.schema).await, ids);

    // A new durable replays the whole stream (as after losing the consumer): every event is
    // found in processed_events, nothing changes.
    let replay = test.with_durable(&format!("{}_replay", settings.durable));
    let (summary, terminated) = run_once(&replay).await;
    assert_eq!(summary, Summary { applied: 0, already_applied: 3, terminated: 1 });
    assert_eq!(terminated, vec![garbage_seq]);
    assert_eq!(adjustments(&pool, &settings.schema).await, rows);
    assert_eq!(processed(&pool, &settings.schema).await, ids);

    // A later finalization for the same employee and year replaces the adjustment; one
    // finalized earlier, delivered late, is recorded as processed but does not.
    let later = finalized(ALICE, 2026, Predikat::SangatBaik, datetime!(2027-02-01 03:00 UTC));
    let earlier = finalized(ALICE, 2026, Predikat::Kurang, datetime!(2026-12-31 03:00 UTC));
    publish_event(&js, &settings.prefix, &later, None).await;
    publish_event(&js, &settings.prefix, &earlier, None).await;
    let (summary, _) = run_once(settings).await;
    assert_eq!(summary, Summary { applied: 2, already_applied: 0, terminated: 0 });
    assert_eq!(adjustments(&pool, &settings.schema).await, vec![row(&budi, 80), row(&later, 100)]);
    assert_eq!(processed(&pool, &settings.schema).await, sorted(vec![alice.event_id, budi.event_id, later.event_id, earlier.event_id]));
    pool.close().await;
}

#[tokio::test]
async fn apply_event_is_idempotent_by_event_id() {
    let test = Isolated::new();
    let settings = &test.settings;
    let pool = sqlx::PgPool::connect(&settings.database_url).await.unwrap();
    payroll::ensure_schema(&pool, &settings.schema).await.unwrap();
    payroll::ensure_schema(&pool, &settings.schema).await.unwrap();
    let event = finalized(ALICE, 2026, Predikat::SangatKurang, OffsetDateTime::now_utc());
    assert!(payroll::apply_event(&pool, &settings.schema, &settings.table, &event).await.unwrap());
    assert!(!payroll::apply_event(&pool, &settings.schema, &settings.table, &event).await.unwrap());
    assert_eq!(adjustments(&pool, &settings.schema).await, vec![row(&event, 50)]);
    assert!(payroll::apply_event(&pool, "bad; schema", &settings.table, &event).await.is_err());
    pool.close().await;
}

#[test]
fn percent_tables_name_every_predikat_once() {
    let table = PercentTable::parse(payroll::EXAMPLE_TABLE).unwrap();
    assert_eq!(table.percent(Predikat::SangatBaik), 100);
    assert_eq!(table.percent(Predikat::ButuhPerbaikan), 80);
    assert_eq!(table.percent(Predikat::SangatKurang), 50);
    assert_eq!(table.to_string(), payroll::EXAMPLE_TABLE);
    assert!(PercentTable::parse("sangat_baik=100,baik=100,butuh_perbaikan=80,kurang=60").is_err(), "one missing");
    assert!(PercentTable::parse("sangat_baik=100,baik=100,baik=90,butuh_perbaikan=80,kurang=60,sangat_kurang=50").is_err(), "twice");
    assert!(PercentTable::parse("sangat_baik=101,baik=100,butuh_perbaikan=80,kurang=60,sangat_kurang=50").is_err(), "over 100");
    assert!(PercentTable::parse("excellent=100,baik=100,butuh_perbaikan=80,kurang=60,sangat_kurang=50").is_err(), "unknown");
    let defaults = Settings::from_lookup(|_| None).unwrap();
    assert_eq!((defaults.stream.as_str(), defaults.subject().as_str()), ("SKP_PUBLIC", "skp.public.score.finalized.v1"));
    assert_eq!((defaults.schema.as_str(), defaults.durable.as_str()), ("payroll_sample", "payroll_sample"));
    assert_eq!((defaults.period_subject().as_str(), defaults.period_durable.as_str()), ("skp.public.period.evaluated.v1", "payroll_sample_periods"));
    assert!(Settings::from_lookup(|n| (n == "PAYROLL_PERIOD_CONSUMER").then(|| "payroll_sample".to_owned())).is_err(), "one durable per subject");
    assert!(Settings::from_lookup(|n| (n == "PAYROLL_SCHEMA").then(|| "Payroll; DROP".to_owned())).is_err());
}

// ---------------------------------------------------------------- the monthly table (issue 12)

fn period_event(nip: &str, period: &str, predikat: Predikat, corrected: bool, evaluated_at: OffsetDateTime) -> PeriodEvaluatedV1 {
    let source_event_id = Uuid::now_v7();
    PeriodEvaluatedV1 {
        event_id: Uuid::new_v5(&SKP_NAMESPACE, format!("public/{source_event_id}").as_bytes()),
        source_event_id,
        appraisal_id: Uuid::new_v5(&SKP_NAMESPACE, nip.as_bytes()),
        cycle_id: Uuid::from_u128(7),
        employee_nip: nip.to_owned(),
        unit: "Bidang Pengembangan Pegawai".to_owned(),
        period: PeriodId::parse(period).unwrap(),
        results_rating: Rating::SesuaiEkspektasi,
        behaviour_rating: Rating::SesuaiEkspektasi,
        predikat,
        corrected,
        evaluated_at,
    }
}

async fn publish_period(js: &jetstream::Context, prefix: &str, event: &PeriodEvaluatedV1, msg_id: Option<Uuid>) -> bool {
    let msg_id = msg_id.unwrap_or(event.source_event_id).to_string();
    let publish = Publish::build().payload(serde_json::to_vec(event).unwrap().into()).message_id(msg_id);
    js.send_publish(period_evaluated_subject(prefix), publish).await.unwrap().await.unwrap().duplicate
}

type PeriodRow = (String, String, String, i16, bool, Uuid);

async fn period_rows(pool: &sqlx::PgPool, schema: &str) -> Vec<PeriodRow> {
    let sql = format!("SELECT employee_nip, period, predikat, percent, corrected, source_event_id FROM {schema}.period_adjustments ORDER BY employee_nip, period");
    sqlx::query_as(&sql).fetch_all(pool).await.unwrap()
}

fn period_row(event: &PeriodEvaluatedV1, percent: i16) -> PeriodRow {
    (event.employee_nip.clone(), event.period.to_string(), event.predikat.as_str().to_owned(), percent, event.corrected, event.source_event_id)
}

#[tokio::test]
async fn the_monthly_table_keeps_the_latest_correction_whatever_the_arrival_order() {
    let test = Isolated::new();
    let settings = &test.settings;
    let js = jetstream::new(async_nats::connect(urls(&settings.nats_url)).await.unwrap());
    RelayProjection::new(js.clone(), &settings.stream, &settings.prefix, 1).await.unwrap();

    let evaluated = period_event(ALICE, "2026-03", Predikat::ButuhPerbaikan, false, datetime!(2026-04-02 03:00 UTC));
    let first_fix = period_event(ALICE, "2026-03", Predikat::Baik, true, datetime!(2026-04-05 03:00 UTC));
    let second_fix = period_event(ALICE, "2026-03", Predikat::SangatBaik, true, datetime!(2026-04-08 03:00 UTC));
    let april = period_event(ALICE, "2026-04", Predikat::Kurang, false, datetime!(2026-05-04 03:00 UTC));
    let budi = period_event(BUDI, "2026-03", Predikat::Baik, false, datetime!(2026-04-03 03:00 UTC));
    // Out of order: the last correction first, the evaluation after it, the first
    // correction last, and that one again under another Nats-Msg-Id.
    for event in [&second_fix, &evaluated, &budi, &april, &first_fix] {
        assert!(!publish_period(&js, &settings.prefix, event, None).await);
    }
    assert!(!publish_period(&js, &settings.prefix, &first_fix, Some(Uuid::new_v4())).await);
    // A finalized score at the same time, read by the other durable consumer.
    let finalized = finalized(BUDI, 2026, Predikat::Baik, datetime!(2027-01-20 03:00 UTC));
    publish_event(&js, &settings.prefix, &finalized, None).await;

    let (summary, _) = run_once(settings).await;
    assert_eq!(summary, Summary { applied: 6, already_applied: 1, terminated: 0 });
    let pool = sqlx::PgPool::connect(&settings.database_url).await.unwrap();
    let rows = period_rows(&pool, &settings.schema).await;
    assert_eq!(rows, vec![period_row(&budi, 90), period_row(&second_fix, 100), period_row(&april, 60)], "the last correction stands");
    assert_eq!(adjustments(&pool, &settings.schema).await, vec![row(&finalized, 90)]);

    // Replayed into a new pair of durables: nothing changes.
    let replay = Settings { period_durable: format!("{}_periods_replay", settings.durable), ..test.with_durable(&format!("{}_replay", settings.durable)) };
    let (summary, _) = run_once(&replay).await;
    assert_eq!(summary, Summary { applied: 0, already_applied: 7, terminated: 0 });
    assert_eq!(period_rows(&pool, &settings.schema).await, rows);
    pool.close().await;
}

#[tokio::test]
async fn a_period_event_applied_twice_changes_nothing_and_an_evaluation_never_beats_a_correction() {
    let test = Isolated::new();
    let settings = &test.settings;
    let pool = sqlx::PgPool::connect(&settings.database_url).await.unwrap();
    payroll::ensure_schema(&pool, &settings.schema).await.unwrap();
    let fix = period_event(ALICE, "2026-Q1", Predikat::Baik, true, datetime!(2026-04-05 03:00 UTC));
    // Even an evaluation stamped later than the correction (clocks differ) does not replace it.
    let evaluation = period_event(ALICE, "2026-Q1", Predikat::SangatKurang, false, datetime!(2026-04-06 03:00 UTC));
    assert!(payroll::apply_period_event(&pool, &settings.schema, &settings.table, &fix).await.unwrap());
    assert!(!payroll::apply_period_event(&pool, &settings.schema, &settings.table, &fix).await.unwrap());
    assert!(payroll::apply_period_event(&pool, &settings.schema, &settings.table, &evaluation).await.unwrap());
    assert_eq!(period_rows(&pool, &settings.schema).await, vec![period_row(&fix, 90)]);
    pool.close().await;
}
