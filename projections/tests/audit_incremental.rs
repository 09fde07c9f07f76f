//! The audit projection computes each report incrementally (only a batch's new events are
//! checked against the stored chain head); this proves the result equals the whole-history
//! reference, `report_of` over every stored body, however the stream is cut into batches:
//! splits inside an appraisal's history, a tampered event in an earlier batch than the rest
//! of its appraisal, duplicated, reordered and missing events, a body stored in a
//! non-canonical (but intact) form, and rows written before the chain state was kept.
//!
//! Each case migrates its own schema (`SKP_TEST_DATABASE_URL`, default the local server) and
//! drops it at the end.

#![allow(missing_docs, clippy::unwrap_used)]

use bytes::Bytes;
use serde_json::{json, Value};
use skp_events::voices::{Evaluator, EvaluatorsNominated, Relation};
use skp_events::data::*;
use skp_events::values::*;
use skp_events::{Actor, ActorRole, AggregateType, Envelope, Event, Nip, Predikat, Rating, GENESIS_HASH};
use skp_projections::audit::{report_of, AuditProjection};
use skp_projections::{Projection, ReadStore, StoredEvent};
use sqlx::Connection;
use std::collections::BTreeMap;
use time::macros::{date, datetime};
use uuid::Uuid;

const EMPLOYEE: &str = "199001012015011001";
const RATER: &str = "198005052005012002";
const SUPERIOR: &str = "197503032000011003";
const PEER: &str = "199202022018012004";

fn database_url() -> String {
    std::env::var("SKP_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn nip(raw: &str) -> Nip {
    Nip::parse(raw).unwrap()
}

fn person(raw: &str) -> Person {
    Person { nip: nip(raw), name: "Pegawai Contoh".into(), position: "Analis".into(), unit: "Bidang Mutasi".into() }
}

/// What happens in an appraisal, in order: who (NIP, role) did what.
type Story = Vec<(&'static str, ActorRole, Event)>;

fn opened(cycle: Uuid) -> Event {
    Event::AppraisalOpened(AppraisalOpened {
        cycle_id: cycle,
        organization: "BKPSDM Kota Contoh".into(),
        year: 2026,
        plan_due: date!(2026 - 01 - 31),
        objection_window_days: 14,
        decision_window_days: 14,
        employee: person(EMPLOYEE),
        rater: person(RATER),
        rater_superior: person(SUPERIOR),
        period: skp_events::period::PeriodKind::None,
        period_entry_days: 10,
        utc_offset_hours: 7,
    })
}

fn until_agreed(cycle: Uuid) -> Story {
    let plan = PlanDrafted {
        results: vec![PlannedResult {
            id: "rhk-1".into(),
            description: "Tersusunnya analisis".into(),
            indicators: vec![Indicator { id: "iki-1".into(), description: "Dokumen".into(), target: Target { value: 2, unit: "dokumen".into() } }],
        }],
    };
    vec![
        (RATER, ActorRole::Admin, opened(cycle)),
        (EMPLOYEE, ActorRole::Employee, Event::PlanDrafted(plan)),
        (EMPLOYEE, ActorRole::Employee, Event::PlanSubmitted(Empty {})),
        (RATER, ActorRole::Rater, Event::TargetsAgreed(Empty {})),
        // Since issue 13 a colleague's feedback counts once the rater nominated them.
        (RATER, ActorRole::Rater, Event::EvaluatorsNominated(EvaluatorsNominated { evaluators: vec![Evaluator { nip: nip(PEER), name: "Rekan".into(), relation: Relation::Peer }] })),
        (PEER, ActorRole::Peer, Event::FeedbackGiven(FeedbackGiven { about: FeedbackAbout::Behaviour, text: "Kolaboratif".into(), indicator_id: None })),
    ]
}

fn score(by: &'static str, role: ActorRole) -> (&'static str, ActorRole, Event) {
    let given = ScoreGiven {
        results_rating: Rating::SesuaiEkspektasi,
        behaviour_rating: Rating::SesuaiEkspektasi,
        predikat: Predikat::Baik,
        notes: None,
        objection_due: datetime!(2027-01-15 00:00 UTC),
    };
    (by, role, Event::ScoreGiven(given))
}

fn finalized(via: FinalizedVia, predikat: Predikat, behaviour: Rating) -> (&'static str, ActorRole, Event) {
    let data = ScoreFinalized { results_rating: Rating::SesuaiEkspektasi, behaviour_rating: behaviour, predikat, via, employee_nip: nip(EMPLOYEE) };
    (RATER, ActorRole::Rater, Event::ScoreFinalized(data))
}

/// Accepted and finalized: fair.
fn accepted(cycle: Uuid) -> Story {
    let mut story = until_agreed(cycle);
    story.push(score(RATER, ActorRole::Rater));
    story.push((EMPLOYEE, ActorRole::Employee, Event::ScoreAccepted(Empty {})));
    story.push(finalized(FinalizedVia::Accepted, Predikat::Baik, Rating::SesuaiEkspektasi));
    story
}

/// Objected, then a forum that revised the score (decided late), finalized via forum.
fn disputed(cycle: Uuid) -> Story {
    let mut story = until_agreed(cycle);
    story.push(score(RATER, ActorRole::Rater));
    let objection = ScoreObjected { reason: "Tidak sesuai".into(), requested_results_rating: None, requested_behaviour_rating: None, decision_due: datetime!(2027-02-01 00:00 UTC) };
    story.push((EMPLOYEE, ActorRole::Employee, Event::ScoreObjected(objection)));
    let forum = ForumResolved {
        outcome: ForumOutcome::Revised,
        results_rating: Rating::SesuaiEkspektasi,
        behaviour_rating: Rating::DiAtasEkspektasi,
        predikat: Predikat::Baik,
        minutes: "Notulen".into(),
        late: false,
    };
    story.push((SUPERIOR, ActorRole::RaterSuperior, Event::ForumResolved(forum)));
    story.push(finalized(FinalizedVia::Forum, Predikat::Baik, Rating::DiAtasEkspektasi));
    story
}

/// Scored by the superior instead of the rater.
fn scored_by_the_wrong_person(cycle: Uuid) -> Story {
    let mut story = until_agreed(cycle);
    story.push(score(SUPERIOR, ActorRole::RaterSuperior));
    story
}

/// The stored bodies of a story, sealed into one hash chain; the n-th event happens n × 3
/// days after the start (so the forum above decides late).
fn stored(aggregate_type: AggregateType, id: Uuid, story: Story) -> Vec<Vec<u8>> {
    let mut prev = GENESIS_HASH.to_owned();
    story
        .into_iter()
        .enumerate()
        .map(|(n, (who, role, event))| {
            let command = Uuid::now_v7();
            let envelope = Envelope {
                event_id: Uuid::now_v7(),
                aggregate_type,
                aggregate_id: id,
                version: n as u64 + 1,
                schema_version: event.schema_version(),
                event,
                occurred_at: datetime!(2026-02-01 08:00 UTC) + time::Duration::days(3 * n as i64),
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

fn edit(body: &[u8], change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(body).unwrap();
    change(&mut value);
    serde_json::to_vec(&value).unwrap()
}

/// A stream: a cycle's event, then the appraisals' events interleaved round robin, each
/// appraisal's in its stored order. Returns the events and each appraisal's bodies.
fn stream() -> (Vec<StoredEvent>, BTreeMap<Uuid, Vec<String>>) {
    let cycle = Uuid::now_v7();
    let cycle_opened = Event::CycleOpened(CycleOpened {
        organization: "BKPSDM Kota Contoh".into(),
        year: 2026,
        plan_due: date!(2026 - 01 - 31),
        objection_window_days: 14,
        decision_window_days: 14,
        period: skp_events::period::PeriodKind::None,
        period_entry_days: 10,
        utc_offset_hours: 7,
    });
    let mut appraisals: Vec<(Uuid, Vec<Vec<u8>>)> = Vec::new();
    let mut add = |story: Story, tamper: &dyn Fn(&mut Vec<Vec<u8>>)| {
        let id = Uuid::now_v7();
        let mut bodies = stored(AggregateType::Appraisal, id, story);
        tamper(&mut bodies);
        appraisals.push((id, bodies));
    };
    add(accepted(cycle), &|_| {});
    add(disputed(cycle), &|_| {});
    add(scored_by_the_wrong_person(cycle), &|_| {});
    // A feedback's text changed behind SKP's back, early in the history.
    add(accepted(cycle), &|b| b[4] = edit(&b[4], |v| v["data"]["text"] = json!("Diubah")));
    // An event stored twice, two swapped, one missing.
    add(disputed(cycle), &|b| {
        let again = b[2].clone();
        b.insert(3, again);
    });
    add(accepted(cycle), &|b| b.swap(1, 2));
    add(disputed(cycle), &|b| {
        b.remove(3);
    });
    // Intact, but stored pretty-printed: the chain is checked on the canonical form of the
    // stored JSON, so this is no break.
    add(accepted(cycle), &|b| b[1] = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&b[1]).unwrap()).unwrap());

    let mut bodies = stored(AggregateType::Cycle, cycle, vec![(RATER, ActorRole::Admin, cycle_opened)]);
    let longest = appraisals.iter().map(|(_, b)| b.len()).max().unwrap();
    for n in 0..longest {
        bodies.extend(appraisals.iter().filter_map(|(_, b)| b.get(n).cloned()));
    }
    let events = bodies.into_iter().zip(1..).map(|(body, seq)| StoredEvent::decode(seq, Bytes::from(body)).unwrap()).collect();
    let by_appraisal = appraisals.into_iter().map(|(id, b)| (id, b.into_iter().map(|b| String::from_utf8(b).unwrap()).collect())).collect();
    (events, by_appraisal)
}

/// A fresh audit schema of its own.
struct Schema {
    store: ReadStore,
    schema: String,
}

impl Schema {
    async fn new() -> Self {
        let base = format!("skp_t{}", &Uuid::new_v4().simple().to_string()[..12]);
        let store = ReadStore::connect(&database_url(), &base, 2).await.unwrap();
        let schema = store.ensure_active(AuditProjection.name(), AuditProjection.migrator()).await.unwrap().schema;
        Self { store, schema }
    }

    /// Applies one batch in its own transaction, as the projector does.
    async fn apply(&self, batch: &[StoredEvent]) {
        let mut conn = self.store.pool().acquire().await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        skp_projections::store::enter_schema(&mut tx, &self.schema).await.unwrap();
        AuditProjection.apply(&mut tx, batch).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn execute(&self, sql: &str) {
        sqlx::query(&sql.replace("{schema}", &self.schema)).execute(self.store.pool()).await.unwrap();
    }

    /// Every report as served, with its row's columns, by appraisal.
    async fn reports(&self) -> BTreeMap<Uuid, Value> {
        let sql = format!(
            "SELECT appraisal_id, json_build_object('report', report, 'chain_valid', chain_valid, 'verdict', verdict, \
             'findings', findings, 'cycle_id', cycle_id, 'unit', unit, 'rater_nip', rater_nip) FROM {}.audit_reports",
            self.schema
        );
        sqlx::query_as::<_, (Uuid, Value)>(&sql).fetch_all(self.store.pool()).await.unwrap().into_iter().collect()
    }

    /// Every stored body, by appraisal, in position order (positions checked to run 1..n).
    async fn bodies(&self) -> BTreeMap<Uuid, Vec<String>> {
        let sql = format!("SELECT appraisal_id, position, body FROM {}.audit_events ORDER BY appraisal_id, position", self.schema);
        let mut out: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
        for (id, position, body) in sqlx::query_as::<_, (Uuid, i32, String)>(&sql).fetch_all(self.store.pool()).await.unwrap() {
            let list = out.entry(id).or_default();
            assert_eq!(position as usize, list.len() + 1, "positions of {id}");
            list.push(body);
        }
        out
    }

    async fn drop(self) {
        skp_projections::store::drop_base(self.store.pool(), self.store.base()).await.unwrap();
    }
}

/// What the whole-history reference says for every appraisal of `by_appraisal`.
fn expected(cycle_of: &BTreeMap<Uuid, Option<Uuid>>, by_appraisal: &BTreeMap<Uuid, Vec<String>>) -> BTreeMap<Uuid, Value> {
    by_appraisal
        .iter()
        .map(|(id, bodies)| {
            let report = report_of(*id, bodies);
            let row = json!({
                "report": report,
                "chain_valid": report.chain_valid,
                "verdict": report.verdict,
                "findings": report.findings,
                "cycle_id": cycle_of[id],
                "unit": "Bidang Mutasi",
                "rater_nip": RATER,
            });
            (*id, row)
        })
        .collect()
}

/// The cycle named by each appraisal's first stored event, when that is its opening.
fn cycles(by_appraisal: &BTreeMap<Uuid, Vec<String>>) -> BTreeMap<Uuid, Option<Uuid>> {
    let cycle = |body: &String| match Envelope::decode(body.as_bytes()).unwrap().event {
        Event::AppraisalOpened(o) => Some(o.cycle_id),
        _ => None,
    };
    by_appraisal.iter().map(|(id, bodies)| (*id, cycle(&bodies[0]))).collect()
}

/// Cuts `events` at `cuts` (indices where a new batch starts).
fn batches(events: &[StoredEvent], cuts: &[usize]) -> Vec<Vec<StoredEvent>> {
    let mut bounds: Vec<usize> = cuts.iter().copied().filter(|c| *c > 0 && *c < events.len()).collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut out = Vec::new();
    let mut start = 0;
    for end in bounds.into_iter().chain([events.len()]) {
        out.push(events[start..end].to_vec());
        start = end;
    }
    out
}

async fn check_split(events: &[StoredEvent], by_appraisal: &BTreeMap<Uuid, Vec<String>>, cuts: &[usize], forget_state_after: Option<usize>) {
    let schema = Schema::new().await;
    for (n, batch) in batches(events, cuts).iter().enumerate() {
        schema.apply(batch).await;
        if forget_state_after == Some(n) {
            // As rows written before the chain state was kept would be.
            schema.execute("UPDATE {schema}.audit_reports SET chain_events = NULL, chain_head = NULL, chain_breaks = NULL").await;
        }
    }
    assert_eq!(&schema.bodies().await, by_appraisal, "stored bodies, cuts {cuts:?}");
    let want = expected(&cycles(by_appraisal), by_appraisal);
    let got = schema.reports().await;
    assert_eq!(got.len(), want.len(), "cuts {cuts:?}");
    for (id, want) in &want {
        assert_eq!(&got[id], want, "appraisal {id}, cuts {cuts:?}");
    }
    schema.drop().await;
}

#[tokio::test]
async fn the_reference_sees_every_kind_of_tampering_in_the_stream() {
    let (_, by_appraisal) = stream();
    let reports: Vec<_> = by_appraisal.iter().map(|(id, b)| report_of(*id, b)).collect();
    let broken = reports.iter().filter(|r| !r.chain_valid).count();
    assert_eq!(broken, 4, "changed, duplicated, swapped and missing events break their chains: {reports:#?}");
    let fair = reports.iter().filter(|r| r.verdict == "fair").count();
    assert_eq!(fair, 3, "accepted, disputed and the pretty-printed copy are fair: {reports:#?}");
}

#[tokio::test]
async fn incremental_reports_equal_the_whole_history_for_every_way_of_cutting_the_stream() {
    let (events, by_appraisal) = stream();
    let n = events.len();
    let every = |k: usize| (0..n).step_by(k).collect::<Vec<_>>();
    let splits: Vec<Vec<usize>> = vec![
        vec![],                  // one batch
        every(1),                // one event per batch
        every(2),
        every(3),
        every(7),
        vec![5, 6, 30],          // uneven, inside histories
        vec![n / 2],             // halves
        vec![9, n - 1],          // the last event alone
    ];
    for cuts in &splits {
        check_split(&events, &by_appraisal, cuts, None).await;
    }
}

#[tokio::test]
async fn rows_without_a_chain_state_are_checked_again_from_their_bodies() {
    let (events, by_appraisal) = stream();
    let n = events.len();
    check_split(&events, &by_appraisal, &[n / 3, 2 * n / 3], Some(0)).await;
    check_split(&events, &by_appraisal, &(0..n).step_by(4).collect::<Vec<_>>(), Some(2)).await;
}
