//! Development plans in the read models (issue 14), however the stream is cut into batches:
//! the progress projection's pembinaan counters (kept by deltas), the career projection's
//! plans and the audit projection's records and reports end the same for every cut, the
//! counters are the ones the stories call for on each day, and each audit report equals the
//! whole-history reference with its plan's record (`report_with_plan`).
//!
//! Each case migrates its own schemas (`SKP_TEST_DATABASE_URL`, default the local server) and
//! drops them at the end.

#![allow(missing_docs, clippy::unwrap_used)]

use bytes::Bytes;
use serde_json::Value;
use skp_domain::audit::PembinaanRecord;
use skp_domain::development::DevelopmentPlan;
use skp_events::data::*;
use skp_events::development::*;
use skp_events::values::*;
use skp_events::{Actor, ActorRole, AggregateType, Envelope, Event, Nip, Rating, GENESIS_HASH};
use skp_projections::audit::{report_with_plan, AuditProjection};
use skp_projections::career::CareerProjection;
use skp_projections::progress::ProgressProjection;
use skp_projections::progress_pembinaan::{cycle_pembinaan, PembinaanCounts};
use skp_projections::{Projection, ReadStore, StoredEvent};
use sqlx::Connection;
use std::collections::BTreeMap;
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

const RATER: &str = "198005052005012002";
const SUPERIOR: &str = "197503032000011003";
const ADMIN: &str = "198812122010011005";
const START: OffsetDateTime = datetime!(2026-11-02 08:00 UTC);

fn database_url() -> String {
    std::env::var("SKP_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn nip(raw: &str) -> Nip {
    Nip::parse(raw).unwrap()
}

fn person(raw: &str, unit: &str) -> Person {
    Person { nip: nip(raw), name: "Pegawai Contoh".into(), position: "Analis".into(), unit: unit.into() }
}

/// One aggregate's story: who did what, when.
type Story = Vec<(OffsetDateTime, &'static str, ActorRole, Event)>;

/// An appraisal of `employee` in `unit`, final with the two ratings on `START` + `day` days.
fn appraisal(cycle: Uuid, employee: &'static str, unit: &str, results: Rating, behaviour: Rating, day: i64) -> Story {
    let at = START + Duration::days(day);
    let opened = AppraisalOpened {
        cycle_id: cycle,
        organization: "BKPSDM Kota Contoh".into(),
        year: 2026,
        plan_due: date!(2026 - 01 - 31),
        objection_window_days: 14,
        decision_window_days: 14,
        employee: person(employee, unit),
        rater: person(RATER, unit),
        rater_superior: person(SUPERIOR, "Sekretariat"),
        period: skp_events::period::PeriodKind::None,
        period_entry_days: 10,
        utc_offset_hours: 7,
    };
    let predikat = skp_domain::predikat(results, behaviour);
    let score = ScoreGiven { results_rating: results, behaviour_rating: behaviour, predikat, notes: None, objection_due: at + Duration::days(14) };
    let finalized = ScoreFinalized { results_rating: results, behaviour_rating: behaviour, predikat, via: FinalizedVia::Accepted, employee_nip: nip(employee) };
    vec![
        (at, ADMIN, ActorRole::Admin, Event::AppraisalOpened(opened)),
        (at, RATER, ActorRole::Rater, Event::ScoreGiven(score)),
        (at, employee, ActorRole::Employee, Event::ScoreAccepted(Empty {})),
        (at, RATER, ActorRole::Rater, Event::ScoreFinalized(finalized)),
    ]
}

/// The plan of an appraisal (its opening taken from the appraisal's story), opened `after`
/// days after it became final, then `then` (days after the opening, event).
fn plan(of: &Story, after: i64, due: Date, then: Vec<(i64, &'static str, ActorRole, Event)>) -> Story {
    let (finalized_at, opened, predikat) = match (&of[3], &of[0]) {
        ((at, _, _, Event::ScoreFinalized(f)), (_, _, _, Event::AppraisalOpened(o))) => (*at, o.clone(), f.predikat),
        _ => panic!("an appraisal's story"),
    };
    let kind = skp_domain::development::deadline::kind_for(predikat);
    let open = DevelopmentPlanOpened {
        kind,
        due,
        appraisal_id: Uuid::nil(),
        cycle_id: opened.cycle_id,
        year: 2026,
        employee: opened.employee,
        rater: opened.rater,
        rater_superior: opened.rater_superior,
        predikat,
        finalized_at,
    };
    let opened_at = finalized_at + Duration::days(after);
    let mut story = vec![(opened_at, RATER, ActorRole::Rater, Event::DevelopmentPlanOpened(open))];
    story.extend(then.into_iter().map(|(d, who, role, e)| (opened_at + Duration::days(d), who, role, e)));
    story
}

fn review(outcome: ImprovementOutcome) -> Event {
    Event::ImprovementReviewed(ImprovementReviewed { outcome, basis: "evaluasi".into() })
}

fn sealed(kind: AggregateType, id: Uuid, story: Story) -> Vec<Vec<u8>> {
    let mut prev = GENESIS_HASH.to_owned();
    story
        .into_iter()
        .zip(1..)
        .map(|((at, who, role, event), version)| {
            let command = Uuid::now_v7();
            let envelope = Envelope {
                event_id: Uuid::now_v7(),
                aggregate_type: kind,
                aggregate_id: id,
                version,
                event,
                schema_version: 1,
                occurred_at: at,
                actor: Actor { nip: nip(who), role },
                command_id: command,
                correlation_id: command,
                causation_id: command,
                prev_hash: std::mem::take(&mut prev),
                hash: String::new(),
            };
            let (sealed, body) = envelope.seal_with_body().unwrap();
            prev = sealed.hash;
            body
        })
        .collect()
}

struct Stream {
    cycle: Uuid,
    events: Vec<StoredEvent>,
    appraisal_bodies: BTreeMap<Uuid, Vec<String>>,
    plans: BTreeMap<Uuid, DevelopmentPlan>,
}

/// Five appraisals of two units, their plans, all events in time order.
fn stream() -> Stream {
    let cycle = Uuid::now_v7();
    let (sesuai, bawah) = (Rating::SesuaiEkspektasi, Rating::DiBawahEkspektasi);
    let unit_a = "Bidang Mutasi";
    let unit_b = "Sekretariat";
    let stories = [
        // kurang, plan after 2 days due 2026-12-20, reviewed not_improved on its due day, follow-up.
        ("199001012015011001", unit_a, sesuai, bawah, Some((2, date!(2026 - 12 - 20), vec![
            (1, RATER, ActorRole::Rater, Event::ActionAdded(ActionAdded { action_id: "A1".into(), action_type: ActionType::Coaching, description: "c".into(), due: date!(2026 - 12 - 01), mentor_nip: None })),
            (46, RATER, ActorRole::Rater, review(ImprovementOutcome::NotImproved)),
            (47, ADMIN, ActorRole::Admin, Event::FollowUpDecided(FollowUpDecided { measure: FollowUpMeasure::Mutasi, basis: "sk".into() })),
        ]))),
        // butuh perbaikan, plan after 40 days (late), reviewed improved early.
        ("199202022018012004", unit_a, bawah, sesuai, Some((40, date!(2027 - 05 - 02), vec![(5, RATER, ActorRole::Rater, review(ImprovementOutcome::Improved))]))),
        // sangat kurang, no plan at all.
        ("199105052016012009", unit_b, bawah, bawah, None),
        // kurang, plan due 2026-12-10, never reviewed.
        ("198704042012011004", unit_b, sesuai, bawah, Some((1, date!(2026 - 12 - 10), vec![]))),
        // baik, a pengembangan plan (counted nowhere in pembinaan).
        ("199303032019012003", unit_b, sesuai, sesuai, Some((3, date!(2027 - 06 - 01), vec![]))),
    ];
    let cycle_opened = CycleOpened { organization: "BKPSDM Kota Contoh".into(), year: 2026, plan_due: date!(2026 - 01 - 31), objection_window_days: 14,
        decision_window_days: 14,
        period: skp_events::period::PeriodKind::None,
        period_entry_days: 10,
        utc_offset_hours: 7,
    };
    let opening = sealed(AggregateType::Cycle, cycle, vec![(START - Duration::days(300), ADMIN, ActorRole::Admin, Event::CycleOpened(cycle_opened))]);
    let mut all: Vec<(OffsetDateTime, usize, Vec<u8>)> = opening.into_iter().map(|b| (START - Duration::days(300), 0, b)).collect();
    let (mut appraisal_bodies, mut plans) = (BTreeMap::new(), BTreeMap::new());
    for (n, (employee, unit, results, behaviour, plan_story)) in stories.into_iter().enumerate() {
        let id = Uuid::now_v7();
        let story = appraisal(cycle, employee, unit, results, behaviour, n as i64);
        let times: Vec<OffsetDateTime> = story.iter().map(|s| s.0).collect();
        let bodies = sealed(AggregateType::Appraisal, id, story.clone());
        appraisal_bodies.insert(id, bodies.iter().map(|b| String::from_utf8(b.clone()).unwrap()).collect());
        let base = all.len();
        all.extend(times.into_iter().zip(bodies).enumerate().map(|(k, (t, b))| (t, base + k, b)));
        if let Some((after, due, then)) = plan_story {
            let plan_id = skp_events::ids::development_plan_id(id);
            let mut story = plan(&story, after, due, then);
            if let (_, _, _, Event::DevelopmentPlanOpened(o)) = &mut story[0] {
                o.appraisal_id = id;
            }
            let times: Vec<OffsetDateTime> = story.iter().map(|s| s.0).collect();
            let bodies = sealed(AggregateType::Development, plan_id, story);
            let envelopes: Vec<Envelope> = bodies.iter().map(|b| Envelope::decode(b).unwrap()).collect();
            plans.insert(id, DevelopmentPlan::from_events(plan_id, &envelopes));
            let base = all.len();
            all.extend(times.into_iter().zip(bodies).enumerate().map(|(k, (t, b))| (t, base + k, b)));
        }
    }
    all.sort_by_key(|(t, order, _)| (*t, *order));
    let events = all.into_iter().zip(1..).map(|((_, _, body), seq)| StoredEvent::decode(seq, Bytes::from(body)).unwrap()).collect();
    Stream { cycle, events, appraisal_bodies, plans }
}

struct Schemas {
    store: ReadStore,
    schemas: Vec<String>,
}

fn projections() -> Vec<Box<dyn Projection>> {
    vec![Box::new(ProgressProjection::new(None)), Box::new(CareerProjection), Box::new(AuditProjection)]
}

impl Schemas {
    async fn new() -> Self {
        let base = format!("skp_t{}", &Uuid::new_v4().simple().to_string()[..12]);
        let store = ReadStore::connect(&database_url(), &base, 2).await.unwrap();
        let mut schemas = Vec::new();
        for p in projections() {
            schemas.push(store.ensure_active(p.name(), p.migrator()).await.unwrap().schema);
        }
        Self { store, schemas }
    }

    async fn apply(&self, batch: &[StoredEvent]) {
        for (p, schema) in projections().iter().zip(&self.schemas) {
            let mut conn = self.store.pool().acquire().await.unwrap();
            let mut tx = conn.begin().await.unwrap();
            skp_projections::store::enter_schema(&mut tx, schema).await.unwrap();
            p.apply(&mut tx, batch).await.unwrap();
            tx.commit().await.unwrap();
        }
    }

    /// Every row of `table` in `schema` (by index of the projections), as JSON, in order.
    async fn rows(&self, index: usize, table: &str) -> Vec<Value> {
        let sql = format!("SELECT to_jsonb(t) FROM {}.{table} t ORDER BY to_jsonb(t)::text", self.schemas[index]);
        sqlx::query_as::<_, (Value,)>(&sql).fetch_all(self.store.pool()).await.unwrap().into_iter().map(|(v,)| v).collect()
    }

    async fn tables(&self) -> Vec<Vec<Value>> {
        let mut out = Vec::new();
        for (index, table) in [(0, "pembinaan_units"), (0, "pembinaan_deadlines"), (0, "pembinaan_cycle_deadlines"), (0, "pembinaan_plans"), (1, "development_plans"), (2, "audit_pembinaan"), (2, "audit_reports")] {
            out.push(self.rows(index, table).await);
        }
        out
    }

    async fn drop(self) {
        skp_projections::store::drop_base(self.store.pool(), self.store.base()).await.unwrap();
    }
}

fn counts(due: i64, without_plan: i64, open: i64, overdue: (i64, i64), reviewed: (i64, i64), followed_up: i64) -> PembinaanCounts {
    let (overdue_without_plan, overdue_without_review) = overdue;
    let (improved, not_improved) = reviewed;
    PembinaanCounts { due, without_plan, open, overdue: overdue_without_plan + overdue_without_review, overdue_without_plan, overdue_without_review, improved, not_improved, followed_up }
}

#[tokio::test]
async fn the_pembinaan_read_models_end_the_same_however_the_stream_is_cut_and_count_what_the_stories_call_for() {
    let stream = stream();
    let n = stream.events.len();
    let splits: Vec<Vec<usize>> = vec![vec![], (0..n).collect(), (0..n).step_by(3).collect(), vec![n / 2], vec![4, 9, n - 2]];
    let mut first: Option<Vec<Vec<Value>>> = None;
    for cuts in &splits {
        let schemas = Schemas::new().await;
        let mut start = 0;
        for end in cuts.iter().copied().filter(|c| *c > 0).chain([n]) {
            schemas.apply(&stream.events[start..end]).await;
            start = end;
        }
        let tables = schemas.tables().await;
        match &first {
            None => first = Some(tables),
            Some(expected) => assert_eq!(&tables, expected, "cuts {cuts:?}"),
        }
        if cuts.is_empty() {
            check_counts_and_reports(&schemas, &stream).await;
        }
        schemas.drop().await;
    }
}

async fn check_counts_and_reports(schemas: &Schemas, stream: &Stream) {
    // Finalized 2026-11-02 .. 2026-11-06; plans as in the stories; the counts on some days.
    let on = |day: Date| async move { cycle_pembinaan(&schemas.store, stream.cycle, day, None, 10).await.unwrap().unwrap().totals };
    // Four low predikat: the first and second reviewed (not improved, followed up; improved),
    // the third without a plan (overdue from 2026-12-05), the fourth open, due 2026-12-10.
    assert_eq!(on(date!(2026 - 11 - 10)).await, counts(4, 1, 1, (0, 0), (1, 1), 1));
    assert_eq!(on(date!(2026 - 12 - 04)).await, counts(4, 1, 1, (0, 0), (1, 1), 1), "30 days after the third became final");
    assert_eq!(on(date!(2026 - 12 - 05)).await, counts(4, 1, 1, (1, 0), (1, 1), 1), "31 days after: overdue without a plan");
    assert_eq!(on(date!(2026 - 12 - 10)).await, counts(4, 1, 1, (1, 0), (1, 1), 1), "the fourth is due today, not overdue");
    assert_eq!(on(date!(2026 - 12 - 11)).await, counts(4, 1, 1, (1, 1), (1, 1), 1), "and overdue the day after");
    let per_unit = cycle_pembinaan(&schemas.store, stream.cycle, date!(2026 - 12 - 11), None, 1).await.unwrap().unwrap();
    assert_eq!((per_unit.by_unit.len(), per_unit.next_after.as_deref()), (1, Some("Bidang Mutasi")), "one unit per page");
    assert_eq!(per_unit.by_unit[0].counts, counts(2, 0, 0, (0, 0), (1, 1), 1), "Bidang Mutasi");
    let next = cycle_pembinaan(&schemas.store, stream.cycle, date!(2026 - 12 - 11), Some("Bidang Mutasi"), 1).await.unwrap().unwrap();
    assert_eq!((next.by_unit[0].unit.as_str(), next.by_unit[0].counts), ("Sekretariat", counts(2, 1, 1, (1, 1), (0, 0), 0)));

    let reports = schemas.rows(2, "audit_reports").await;
    for (id, bodies) in &stream.appraisal_bodies {
        let record = stream.plans.get(id).and_then(PembinaanRecord::of);
        let expected = serde_json::to_value(report_with_plan(*id, bodies, record.as_ref())).unwrap();
        let stored = reports.iter().find(|r| r["appraisal_id"] == id.to_string()).unwrap();
        assert_eq!(stored["report"], expected, "appraisal {id}");
    }
    let pembinaan_followed = |r: &&serde_json::Value| r["report"]["information"].as_array().is_some_and(|items| items.iter().any(|i| i["name"] == "pembinaan_followed"));
    let informed = reports.iter().filter(pembinaan_followed).count();
    assert_eq!(informed, 4, "the four low predikat carry whether pembinaan followed");
}

/// SKP upgraded in place: a progress generation made before development plans existed gets
/// the pembinaan tables when its projector starts, counting the low predikat already final.
#[tokio::test]
async fn an_existing_progress_generation_is_migrated_and_counts_the_low_predikat_already_final() {
    let dir = std::env::temp_dir().join(format!("skp-migrations-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let original = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/progress/0001_progress.sql");
    std::fs::copy(original, dir.join("0001_progress.sql")).unwrap();
    let before = sqlx::migrate::Migrator::new(dir.as_path()).await.unwrap();
    let base = format!("skp_t{}", &Uuid::new_v4().simple().to_string()[..12]);
    let store = ReadStore::connect(&database_url(), &base, 2).await.unwrap();
    let old = store.ensure_active("progress", &before).await.unwrap();
    let cycle = Uuid::now_v7();
    let insert = format!(
        "INSERT INTO {}.appraisals VALUES ($1, $2, '199001012015011001', 'Siti', $3, $4, 'Budi', $5, $6, '2026-01-31', NULL, 10, $7)",
        old.schema
    );
    for (unit, status, predikat, at) in [
        ("Bidang Mutasi", "final", Some("kurang"), datetime!(2026-11-30 20:00 UTC)),
        ("Bidang Mutasi", "final", Some("sangat_kurang"), datetime!(2026-11-30 23:30 UTC)),
        ("Sekretariat", "final", Some("baik"), datetime!(2026-11-30 20:00 UTC)),
        ("Sekretariat", "scored", Some("kurang"), datetime!(2026-11-30 20:00 UTC)),
    ] {
        sqlx::query(&insert).bind(Uuid::now_v7()).bind(cycle).bind(unit).bind(RATER).bind(status).bind(predikat).bind(at).execute(store.pool()).await.unwrap();
    }
    sqlx::query(&format!("INSERT INTO {}.cycles VALUES ($1, 'BKPSDM', 2026, '2026-01-31', 14, 14)", old.schema)).bind(cycle).execute(store.pool()).await.unwrap();

    let now = store.ensure_active(ProgressProjection::new(None).name(), ProgressProjection::new(None).migrator()).await.unwrap();
    assert_eq!(now.schema, old.schema, "the same generation, migrated");
    let on = |day: Date| {
        let store = &store;
        async move { cycle_pembinaan(store, cycle, day, None, 10).await.unwrap().unwrap().totals }
    };
    assert_eq!(on(date!(2026 - 12 - 30)).await, counts(2, 2, 0, (0, 0), (0, 0), 0));
    assert_eq!(on(date!(2026 - 12 - 31)).await, counts(2, 2, 0, (2, 0), (0, 0), 0), "overdue from the 31st day");
    skp_projections::store::drop_base(store.pool(), store.base()).await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
