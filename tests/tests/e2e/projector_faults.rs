//! Projectors under faults: killed at random instants (also between the SQL commit and the
//! ack) and restarted, they leave read models equal to a fresh rebuild; a rebuild while
//! commands keep arriving loses nothing and the API serves throughout.


use crate::common::*;
use futures::future::join_all;
use serde_json::json;
use skp_projections::rebuild::rebuild;
use skp_projections::fault::Fault;
use skp_projections::{FaultPoint, Projection, Projector, ReadStore};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

fn employee(i: usize) -> String {
    format!("199001012015011{i:03}")
}

/// Runs one employee's appraisal to its end: accepted, or disputed and decided by the forum.
async fn whole_year(app: &TestApp, cycle: &str, i: usize) {
    let nip = employee(i);
    let id = app.agreed_appraisal_in(cycle, &nip).await;
    let at = |p: &str| format!("/v1/appraisals/{id}{p}");
    app.post(RATER, &at("/feedback"), json!({"about": "results", "text": format!("masukan {i}")})).await.expect(200);
    app.post(&nip, &at("/realisations"), json!({"indicator_id": "iki-1", "value": i % 3})).await.expect(200);
    let behaviour = ["di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"][i % 3];
    app.post(RATER, &at("/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": behaviour})).await.expect(200);
    if i.is_multiple_of(2) {
        app.post(&nip, &at("/accept"), json!({})).await.expect(200);
    } else {
        app.post(&nip, &at("/objection"), json!({"reason": "keberatan"})).await.expect(200);
        app.post(SUPERIOR, &at("/forum/resolve"), json!({"outcome": "upheld", "minutes": "tetap"})).await.expect(200);
    }
    app.post(RATER, &at("/finalize"), json!({})).await.expect(200);
}

async fn year_for_many(app: &TestApp, cycle: &str, range: std::ops::Range<usize>) {
    join_all(range.map(|i| whole_year(app, cycle, i))).await;
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
        let sql = format!("SELECT t::text FROM {}.{table} t ORDER BY 1", generation.schema);
        let found: Vec<(String,)> = sqlx::query_as(&sql).fetch_all(store.pool()).await.unwrap();
        rows.extend(found.into_iter().map(|(r,)| format!("{table}: {r}")));
    }
    rows
}

async fn stream_last(app: &TestApp) -> u64 {
    let js = async_nats::jetstream::new(app.nats().await);
    js.get_stream(&app.settings.store.stream).await.unwrap().info().await.unwrap().state.last_sequence
}

/// What a test needs to run projectors and rebuilds itself.
struct ReadSide {
    store: ReadStore,
    js: async_nats::jetstream::Context,
    projections: Vec<Arc<dyn Projection>>,
    projector_settings: skp_projections::ProjectorSettings,
}

async fn read_side(app: &TestApp) -> ReadSide {
    let (settings, events) = (&app.settings, app.app_state.bus.store());
    ReadSide {
        store: ReadStore::connect(settings.read.database_url.expose(), &settings.read.schema, 8).await.unwrap(),
        js: async_nats::jetstream::new(app.nats().await),
        projections: skp_projections::catalog::projections(&settings.read, events.client(), &settings.store).await.unwrap(),
        projector_settings: settings.read.projector_settings(&settings.store),
    }
}

fn without_projectors() -> skp_api::config::Settings {
    let mut settings = isolated_settings(&nats_url());
    settings.projectors_in_process = false;
    settings
}

/// A pseudo-random number from a seed (no randomness crate needed, reproducible).
fn scramble(seed: u64) -> u64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 29;
    x.wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (x >> 32)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn projectors_killed_at_random_points_leave_read_models_equal_to_a_rebuild() {
    let app = spawn_with(without_projectors(), skp_store::Clock::adjustable(), true).await;
    let cycle = app.open_cycle().await;
    year_for_many(&app, &cycle, 0..12).await;

    let ReadSide { store, js, projections, mut projector_settings } = read_side(&app).await;
    projector_settings.batch = 7; // small batches: many commits, many places to die
    projector_settings.fetch_wait = Duration::from_millis(50);

    let kills = 24;
    let after_commit_faults = Arc::new(AtomicU64::new(0));
    let mut more = 12;
    for round in 0..kills {
        let (_stop, shutdown) = watch::channel(false);
        let mut tasks = vec![];
        for projection in &projections {
            let counter = after_commit_faults.clone();
            // Every third round each projector dies right after its first commit, before the ack.
            let fired = std::sync::atomic::AtomicBool::new(false);
            let fault: Fault = Arc::new(move |point| {
                let die = round % 3 == 0 && point == FaultPoint::AfterCommitBeforeAck && !fired.swap(true, Ordering::Relaxed);
                if die {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                die
            });
            let projector = Projector::new(projection.clone(), store.clone(), js.clone(), projector_settings.clone()).with_fault(fault);
            tasks.push(tokio::spawn(projector.run(shutdown.clone())));
        }
        if round % 4 == 0 {
            // Commands keep arriving while projectors die.
            year_for_many(&app, &cycle, more..more + 2).await;
            more += 2;
        }
        tokio::time::sleep(Duration::from_millis(scramble(round as u64) % 120)).await; // a random instant to kill at
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
    }
    assert!(after_commit_faults.load(Ordering::Relaxed) > 0, "some projector died between commit and ack");

    // Finally let them run to the end of the stream.
    let last = stream_last(&app).await;
    let (stop, shutdown) = watch::channel(false);
    let mut statuses = vec![];
    let mut tasks = vec![];
    for projection in &projections {
        let projector = Projector::new(projection.clone(), store.clone(), js.clone(), projector_settings.clone());
        statuses.push(projector.status());
        tasks.push(tokio::spawn(projector.run(shutdown.clone())));
    }
    for status in &statuses {
        assert_eq!(status.wait_for(last, Duration::from_secs(60)).await, last, "{} caught up ({:?})", status.name, status.error());
    }
    stop.send_replace(true);
    for task in tasks {
        task.await.unwrap().unwrap();
    }

    for projection in projections.iter().filter(|p| p.rebuildable()) {
        let before = dump(&store, projection.name()).await;
        assert!(!before.is_empty());
        let report = rebuild(&store, &js, projection.as_ref(), &projector_settings).await.unwrap();
        assert_eq!(report.events, last);
        let after = dump(&store, projection.name()).await;
        assert_eq!(before, after, "{} after {kills} kills equals a fresh rebuild", projection.name());
    }
    // The relay is not rebuilt; it published each finalized score exactly once.
    let finalized = more;
    let public = js.get_stream(&app.settings.read.public_stream).await.unwrap().info().await.unwrap().state.messages;
    assert_eq!(public, finalized as u64, "one public event per finalized appraisal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_while_commands_keep_arriving_loses_nothing_and_serves_throughout() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    year_for_many(&app, &cycle, 0..10).await;

    let ReadSide { store, js, projections, mut projector_settings } = read_side(&app).await;
    projector_settings.batch = 5;
    let caught_up = stream_last(&app).await;
    app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={caught_up}")).await.expect(200);

    let load = async {
        year_for_many(&app, &cycle, 10..16).await;
        year_for_many(&app, &cycle, 16..22).await;
    };
    let reads = async {
        let mut answers = 0;
        for _ in 0..40 {
            app.get(&format!("/v1/cycles/{cycle}/progress")).await.expect(200);
            answers += 1;
        }
        answers
    };
    let rebuilds = async {
        for projection in projections.iter().filter(|p| p.rebuildable()) {
            rebuild(&store, &js, projection.as_ref(), &projector_settings).await.unwrap();
        }
    };
    let ((), answers, ()) = tokio::join!(load, reads, rebuilds);
    assert_eq!(answers, 40, "progress answered throughout the rebuild");

    let last = stream_last(&app).await;
    let progress = app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={last}")).await.expect(200);
    assert_eq!(progress["total"], 22);
    assert_eq!(progress["by_status"]["final"], 22, "{progress}");
    for name in ["career", "audit"] {
        let reached = app.app_state.read.get().unwrap().status(name).unwrap().wait_for(last, Duration::from_secs(10)).await;
        assert_eq!(reached, last);
    }
    // Nothing lost: the rebuilt-while-writing generations equal a rebuild made at rest.
    for projection in projections.iter().filter(|p| p.rebuildable()) {
        let live = dump(&store, projection.name()).await;
        rebuild(&store, &js, projection.as_ref(), &projector_settings).await.unwrap();
        assert_eq!(live, dump(&store, projection.name()).await, "{}", projection.name());
    }
    let audit_events: (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {}.audit_events", store.active("audit").await.unwrap().unwrap().schema))
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(audit_events.0 as u64, last - 1, "every appraisal event (all but the cycle's) is in the audit");
}
