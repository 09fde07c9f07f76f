//! Periodic evaluation at the level of the stream and the projectors (issue 12): events
//! written in the format of the SKP before periods (schema version 1) read back, continued
//! and projected; a serving generation made before the period tables migrated to equal a
//! rebuild; and `skp.public.period.evaluated.v1` published exactly once per evaluation and
//! per correction, with the relay killed between its commit and its acknowledgement and
//! before its commit.

use crate::common::*;
use crate::periods::{local_midnight, next_year, open_periodic_cycle, set_clock};
use bytes::Bytes;
use serde_json::{json, Value};
use skp_projections::fault::Fault;
use skp_projections::rebuild::rebuild;
use skp_projections::{FaultPoint, Projection, Projector, ReadStore};
use skp_store::Append;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// Appends `data` of `event_type` at schema version 1 on `subject`, as the SKP before
/// periods wrote it: the envelope's canonical JSON, hashed the same way.
async fn append_v1(app: &TestApp, subject: &str, id: Uuid, aggregate_type: &str, event_type: &str, data: Value, prev: (u64, &str, u64)) -> (String, u64) {
    let (version, prev_hash, expected) = prev;
    let command = Uuid::now_v7();
    let mut envelope = json!({
        "event_id": Uuid::now_v7(), "aggregate_type": aggregate_type, "aggregate_id": id, "version": version,
        "type": event_type, "data": data, "schema_version": 1, "occurred_at": "2026-01-05T02:00:00Z",
        "actor": {"nip": ADMIN, "role": "admin"}, "command_id": command, "correlation_id": command, "causation_id": command,
        "prev_hash": prev_hash,
    });
    let hash = skp_events::envelope::hash_of_value(&mut envelope).unwrap();
    envelope["hash"] = json!(hash);
    let body = skp_events::canonical::to_canonical_string(&envelope).unwrap();
    let message_id = format!("{id}:{command}");
    let store = app.app_state.bus.store();
    let append = Append { subject, body: Bytes::from(body), event_type, schema_version: 1, message_id: &message_id, expected_last_subject_seq: expected, command: None, digest: None };
    let ack = store.append(append).await.unwrap();
    (hash, ack.stream_seq)
}

fn person(nip: &str, name: &str) -> Value {
    json!({"nip": nip, "name": name, "position": "Analis SDM Aparatur", "unit": "Bidang Mutasi"})
}

/// A cycle and one appraisal in it, both opened at schema version 1; returns their ids.
async fn opened_the_old_way(app: &TestApp) -> (Uuid, Uuid) {
    let prefix = &app.settings.store.subject_prefix;
    let cycle = Uuid::now_v7();
    let old_cycle = json!({"organization": "BKPSDM Kota Lama", "year": 2026, "plan_due": "2026-01-31", "objection_window_days": 14, "decision_window_days": 14});
    append_v1(app, &format!("{prefix}.cycle.{cycle}"), cycle, "cycle", "CycleOpened", old_cycle, (1, skp_events::GENESIS_HASH, 0)).await;
    let nip = skp_events::Nip::parse(EMPLOYEE).unwrap();
    let appraisal = skp_events::ids::appraisal_id(cycle, &nip);
    let old_opening = json!({"cycle_id": cycle, "organization": "BKPSDM Kota Lama", "year": 2026, "plan_due": "2026-01-31",
        "objection_window_days": 14, "decision_window_days": 14,
        "employee": person(EMPLOYEE, "Siti Rahmawati"), "rater": person(RATER, "Budi Santoso"), "rater_superior": person(SUPERIOR, "Dewi Lestari")});
    append_v1(app, &format!("{prefix}.appraisal.{appraisal}"), appraisal, "appraisal", "AppraisalOpened", old_opening, (1, skp_events::GENESIS_HASH, 0)).await;
    (cycle, appraisal)
}

async fn stream_last(app: &TestApp) -> u64 {
    let js = async_nats::jetstream::new(app.nats().await);
    js.get_stream(&app.settings.store.stream).await.unwrap().info().await.unwrap().state.last_sequence
}

/// Every row of every table of the serving generation of `projection`, as text, sorted.
async fn dump(store: &ReadStore, projection: &str) -> Vec<String> {
    let generation = store.active(projection).await.unwrap().unwrap();
    let tables: Vec<(String,)> = sqlx::query_as("SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 AND table_name <> '_sqlx_migrations' ORDER BY 1")
        .bind(&generation.schema)
        .fetch_all(store.pool())
        .await
        .unwrap();
    let mut rows = vec![];
    for (table,) in tables {
        let found: Vec<(String,)> = sqlx::query_as(&format!("SELECT t::text FROM {}.{table} t ORDER BY 1", generation.schema)).fetch_all(store.pool()).await.unwrap();
        rows.extend(found.into_iter().map(|(r,)| format!("{table}: {r}")));
    }
    rows
}

async fn read_store(app: &TestApp) -> ReadStore {
    ReadStore::connect(app.settings.read.database_url.expose(), &app.settings.read.schema, 4).await.unwrap()
}

async fn projections(app: &TestApp) -> Vec<Arc<dyn Projection>> {
    skp_projections::catalog::projections(&app.settings.read, app.app_state.bus.store().client(), &app.settings.store).await.unwrap()
}

#[tokio::test]
async fn events_of_the_format_before_periods_read_back_go_on_and_project_as_an_annual_cycle() {
    let app = spawn_app().await;
    let (cycle, id) = opened_the_old_way(&app).await;
    let state = app.get(&format!("/v1/appraisals/{id}")).await.expect(200);
    assert_eq!((state["status"].as_str(), state["year"].as_i64()), (Some("opened"), Some(2026)));
    let at = |p: &str| format!("/v1/appraisals/{id}{p}");
    app.post(EMPLOYEE, &at("/plan"), plan()).await.expect(200);
    app.post(EMPLOYEE, &at("/plan/submit"), json!({})).await.expect(200);
    app.post(RATER, &at("/plan/agree"), json!({})).await.expect(200);
    app.post(RATER, &at("/feedback"), json!({"about": "results", "text": "Tepat waktu"})).await.expect(200);
    app.post(RATER, &format!("/v1/appraisals/{id}/periods/2026-01/evaluation"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"})).await.expect_problem(422, "invalid_period");
    app.post(RATER, &at("/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"})).await.expect(200);
    // A new appraisal in the old cycle takes the cycle's configuration as it reads: annual.
    let other = app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people(PEER, RATER, SUPERIOR)).await.expect(201);
    let seq = other["stream_sequence"].as_u64().unwrap();

    let history = app.history(&id.to_string()).await;
    assert_eq!(history["chain_valid"], true, "{history}");
    let events = history["events"].as_array().unwrap();
    assert_eq!((events[0]["schema_version"].clone(), events[0]["data"].get("period")), (json!(1), None), "stored as it was written");
    let opened = app.history(other["aggregate_id"].as_str().unwrap()).await["events"][0].clone();
    assert_eq!((opened["schema_version"].clone(), opened["data"]["period"].clone()), (json!(2), json!("none")));
    let periods = app.get(&at("/periods")).await.expect(200);
    assert_eq!((periods["period_kind"].clone(), periods["periods"].clone(), periods["period_entry_days"].clone()), (json!("none"), json!([]), json!(10)));

    let progress = app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={seq}")).await.expect(200);
    assert_eq!((progress["organization"].as_str(), progress["total"].as_i64(), progress["by_status"]["scored"].as_i64()), (Some("BKPSDM Kota Lama"), Some(2), Some(1)));
    let audit = app.get(&format!("/v1/appraisals/{id}/audit?min_sequence={seq}")).await.expect(200);
    assert_eq!((audit["verdict"].as_str(), audit["chain_valid"].as_bool()), (Some("fair"), Some(true)), "{audit}");
    let verified = skp_cli::verify::verify(&app.settings.store, skp_cli::verify::Scope::All).await.unwrap();
    assert!(verified.intact, "every chain of the mixed stream is intact");

    // The read models of the mixed stream equal a rebuild from sequence 1.
    let store = read_store(&app).await;
    let js = async_nats::jetstream::new(app.nats().await);
    let settings = app.settings.read.projector_settings(&app.settings.store);
    let last = stream_last(&app).await;
    for projection in projections(&app).await.iter().filter(|p| p.rebuildable()) {
        let status = app.app_state.read.get().unwrap().status(projection.name()).unwrap().clone();
        assert_eq!(status.wait_for(last, Duration::from_secs(10)).await, last);
        let served = dump(&store, projection.name()).await;
        rebuild(&store, &js, projection.as_ref(), &settings).await.unwrap();
        assert_eq!(served, dump(&store, projection.name()).await, "{} equals a rebuild", projection.name());
    }
}

fn without_projectors() -> skp_api::config::Settings {
    let mut settings = isolated_settings(&nats_url());
    settings.projectors_in_process = false;
    settings
}

/// Runs `projection` until it has applied the whole stream.
async fn catch_up(app: &TestApp, store: &ReadStore, projection: &Arc<dyn Projection>, fault: Option<Fault>) -> Result<(), String> {
    let js = async_nats::jetstream::new(app.nats().await);
    let mut settings = app.settings.read.projector_settings(&app.settings.store);
    settings.batch = 3;
    settings.fetch_wait = Duration::from_millis(50);
    let mut projector = Projector::new(projection.clone(), store.clone(), js, settings);
    if let Some(fault) = fault {
        projector = projector.with_fault(fault);
    }
    let status = projector.status();
    let (stop, shutdown) = watch::channel(false);
    let mut task = tokio::spawn(projector.run(shutdown));
    let last = stream_last(app).await;
    // Until it has applied the stream, or it stopped (a fault), whichever comes first.
    let outcome = tokio::select! {
        reached = status.wait_for(last, Duration::from_secs(20)) => {
            stop.send_replace(true);
            let outcome = (&mut task).await.unwrap().map_err(|e| e.to_string());
            if reached < last { Err(format!("{} reached {reached} of {last}", projection.name())) } else { outcome }
        }
        ended = &mut task => ended.unwrap().map_err(|e| e.to_string()).and(Err(format!("{} stopped before the end", projection.name()))),
    };
    outcome
}

/// Periodic activity: two appraisals of a monthly cycle evaluating three months, one
/// correction each, and a unit capaian; returns (evaluations + corrections) recorded.
async fn periodic_activity(app: &TestApp, year: i32, cycle: &str, employees: &[&str]) -> usize {
    let mut recorded = 0;
    for nip in employees {
        let id = app.agreed_appraisal_in(cycle, nip).await;
        for month in 1..=3u8 {
            let behaviour = ["sesuai_ekspektasi", "di_atas_ekspektasi", "di_bawah_ekspektasi"][usize::from(month) - 1];
            let body = json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": behaviour});
            app.post(RATER, &format!("/v1/appraisals/{id}/periods/{year}-{month:02}/evaluation"), body).await.expect(200);
            recorded += 1;
        }
        let fix = json!({"results_rating": "di_atas_ekspektasi", "behaviour_rating": "di_atas_ekspektasi", "reason": "Koreksi"});
        app.post(RATER, &format!("/v1/appraisals/{id}/periods/{year}-03/correction"), fix).await.expect(200);
        recorded += 1;
    }
    let leader = json!({"nip": SUPERIOR, "name": "Dewi Lestari", "position": "Sekretaris Badan"});
    app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/units/capaian"), json!({"unit": "Bidang Pengembangan Pegawai", "period": format!("{year}-02"), "capaian": "butuh_perbaikan", "decided_by": leader, "reason": "Penetapan pimpinan"})).await.expect(200);
    recorded
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_generation_made_before_the_period_tables_migrates_to_what_a_rebuild_gives() {
    let app = spawn_with(without_projectors(), skp_store::Clock::adjustable(), true).await;
    // What the SKP before periods wrote and projected: openings of version 1, an annual year.
    opened_the_old_way(&app).await;
    let annual = app.open_cycle().await;
    app.agreed_appraisal_in(&annual, EMPLOYEE).await;
    app.agreed_appraisal_in(&annual, PEER).await;
    let store = read_store(&app).await;
    let progress = projections(&app).await.into_iter().find(|p| p.name() == "progress").unwrap();
    catch_up(&app, &store, &progress, None).await.unwrap();
    // Make the serving generation what that SKP left: no period tables or columns, migration
    // 1201 never run.
    let schema = store.active("progress").await.unwrap().unwrap().schema;
    for sql in [
        format!("DROP TABLE {schema}.period_evaluations, {schema}.period_counts, {schema}.period_exempt, {schema}.unit_totals, {schema}.unit_capaian"),
        format!("ALTER TABLE {schema}.cycles DROP COLUMN period, DROP COLUMN period_entry_days, DROP COLUMN utc_offset_hours"),
        format!("DELETE FROM {schema}._sqlx_migrations WHERE version = 1201"),
    ] {
        sqlx::query(&sql).execute(store.pool()).await.unwrap();
    }

    // This version takes over: a monthly cycle with its evaluations, corrections, capaian.
    let year = next_year();
    let cycle = open_periodic_cycle(&app, year, "monthly", 7).await;
    set_clock(&app, local_midnight(year, 4, 7) + time::Duration::days(1));
    periodic_activity(&app, year, &cycle, &[EMPLOYEE, PEER]).await;
    catch_up(&app, &store, &progress, None).await.unwrap();
    let totals: Vec<(String, i64)> = sqlx::query_as(&format!("SELECT unit, appraisals FROM {schema}.unit_totals ORDER BY 1, 2")).fetch_all(store.pool()).await.unwrap();
    assert_eq!(totals, vec![("Bidang Mutasi".to_owned(), 1), ("Bidang Pengembangan Pegawai".to_owned(), 2), ("Bidang Pengembangan Pegawai".to_owned(), 2)], "backfilled, then counted");
    let migrated = dump(&store, "progress").await;
    assert!(migrated.iter().any(|r| r.starts_with("period_counts:")) && migrated.iter().any(|r| r.starts_with("unit_capaian:")));
    let js = async_nats::jetstream::new(app.nats().await);
    rebuild(&store, &js, progress.as_ref(), &app.settings.read.projector_settings(&app.settings.store)).await.unwrap();
    assert_eq!(migrated, dump(&store, "progress").await, "the migrated generation equals a rebuild");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_evaluation_and_correction_is_published_once_though_the_relay_dies_around_its_commits() {
    let app = spawn_with(without_projectors(), skp_store::Clock::adjustable(), true).await;
    let year = next_year();
    let cycle = open_periodic_cycle(&app, year, "monthly", 7).await;
    set_clock(&app, local_midnight(year, 4, 7) + time::Duration::days(1));
    let mut expected = periodic_activity(&app, year, &cycle, &[EMPLOYEE]).await;
    let store = read_store(&app).await;
    let relay = projections(&app).await.into_iter().find(|p| p.name() == "relay").unwrap();
    let faults = Arc::new(AtomicU64::new(0));
    for (round, point) in [FaultPoint::AfterCommitBeforeAck, FaultPoint::BeforeCommit, FaultPoint::AfterCommitBeforeAck, FaultPoint::BeforeCommit].into_iter().enumerate() {
        let (fired, counter) = (AtomicBool::new(false), faults.clone());
        let fault: Fault = Arc::new(move |at| {
            let die = at == point && !fired.swap(true, Ordering::Relaxed);
            if die {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            die
        });
        assert!(catch_up(&app, &store, &relay, Some(fault)).await.is_err(), "round {round}: the relay died at {point:?}");
        if round == 1 {
            expected += periodic_activity(&app, year, &cycle, &[PEER]).await;
        }
    }
    catch_up(&app, &store, &relay, None).await.unwrap();
    assert_eq!(faults.load(Ordering::Relaxed), 4);

    let js = async_nats::jetstream::new(app.nats().await);
    let mut public = js.get_stream(&app.settings.read.public_stream).await.unwrap();
    let last = public.info().await.unwrap().state.last_sequence;
    let mut sources = BTreeSet::new();
    let mut corrected = 0;
    for seq in 1..=last {
        let message = public.get_raw_message(seq).await.unwrap();
        assert_eq!(message.subject.as_str(), format!("{}.period.evaluated.v1", app.settings.read.public_prefix));
        let event: Value = serde_json::from_slice(&message.payload).unwrap();
        let id = message.headers.get(async_nats::header::NATS_MESSAGE_ID).map(|v| v.to_string());
        assert_eq!(id.as_deref(), event["source_event_id"].as_str(), "Nats-Msg-Id is the source event's id");
        assert!(sources.insert(event["source_event_id"].as_str().unwrap().to_owned()), "published twice: {event}");
        assert_eq!(event["cycle_id"], cycle.as_str());
        corrected += usize::from(event["corrected"] == true);
    }
    assert_eq!(sources.len(), expected, "one public event per evaluation and per correction");
    assert_eq!(corrected, 2);
}

#[tokio::test]
async fn an_evidence_bundle_exported_before_check_7_still_verifies_and_an_edited_one_does_not() {
    let app = spawn_app().await;
    let (_, id) = opened_the_old_way(&app).await;
    app.post(EMPLOYEE, &format!("/v1/appraisals/{id}/plan"), plan()).await.expect(200);
    let bundle = skp_cli::export::export(&app.settings.store, id, None).await.unwrap();
    assert!(bundle.check().intact, "{:?}", bundle.check().problems);
    // As the earlier version exported it: format 1, a report of six checks, no survey and no plan.
    let mut earlier = serde_json::to_value(&bundle).unwrap();
    earlier["format"] = json!(skp_cli::bundle::FORMAT_1);
    earlier["audit"]["checks"].as_array_mut().unwrap().truncate(6);
    for part in ["survey", "survey_withheld", "development"] {
        earlier[part] = Value::Null;
    }
    let earlier: skp_cli::bundle::Bundle = serde_json::from_value(earlier).unwrap();
    let check = earlier.check();
    assert!(check.intact, "{:?}", check.problems);
    assert!(check.notes.iter().any(|n| n.contains("check 7")), "{:?}", check.notes);
    let mut edited = serde_json::to_value(&bundle).unwrap();
    edited["audit"]["checks"][0]["passed"] = json!(false);
    let edited: skp_cli::bundle::Bundle = serde_json::from_value(edited).unwrap();
    assert!(!edited.check().intact, "an edited report is still caught");
}
