//! The progress projection's counters (issue 16), kept by deltas, equal a recount of its
//! appraisal rows (the GROUP BY the progress query ran before) however a random stream is
//! cut into batches: per cycle, unit and rater the totals by status and predikat, the warnings
//! of `pattern_warnings` (units by their annual capaian, raters by `baik`), the cycle's group
//! and warning counts and the plans still owed per due date. An annual capaian changes a
//! unit's warnings; a generation upgraded in place (migration 1601 counting in SQL, the
//! projector's `prepare` computing the warnings) equals one that counted from the start.
//!
//! Each case migrates its own schemas (`SKP_TEST_DATABASE_URL`, default the local server) and
//! drops them at the end.

#![allow(missing_docs, clippy::unwrap_used)]

use skp_domain::appraisal::Status;
use skp_domain::capaian::{pattern_warnings, Distribution};
use skp_events::data::*;
use skp_events::period::{Capaian, CapaianPeriod, Official};
use skp_events::values::*;
use skp_events::{Actor, ActorRole, AggregateType, Envelope, Event, Nip, Predikat, Rating, GENESIS_HASH};
use skp_projections::progress::ProgressProjection;
use skp_projections::query::{self, GroupProgress};
use skp_projections::{Projection, ReadStore, StoredEvent};
use sqlx::Connection;
use std::collections::BTreeMap;
use time::macros::{date, datetime};
use time::OffsetDateTime;
use uuid::Uuid;

const ADMIN: &str = "198812122010011005";
const UNITS: [&str; 4] = ["Bidang Mutasi", "Sekretariat", "Bidang Pengembangan", "Inspektorat"];

fn database_url() -> String {
    std::env::var("SKP_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A small deterministic generator (xorshift), so that a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn nip_of(n: u64) -> Nip {
    Nip::parse(&format!("19900101201501{}{:03}", 1 + n % 2, n % 1000)).unwrap()
}

fn person(nip: Nip, name: &str, unit: &str) -> Person {
    Person { nip, name: name.into(), position: "Analis".into(), unit: unit.into() }
}

const RATINGS: [Rating; 3] = [Rating::DiAtasEkspektasi, Rating::SesuaiEkspektasi, Rating::DiBawahEkspektasi];

/// A random appraisal's story: opened, then some way along its lifecycle.
fn story(rng: &mut Rng, cycle: Uuid, n: u64) -> Vec<Event> {
    let unit = UNITS[rng.below(UNITS.len() as u64) as usize];
    let rater = rng.below(7);
    let opened = AppraisalOpened {
        cycle_id: cycle,
        organization: "BKPSDM Kota Contoh".into(),
        year: 2026,
        plan_due: [date!(2026 - 01 - 31), date!(2026 - 02 - 28), date!(2026 - 03 - 31)][rng.below(3) as usize],
        objection_window_days: 14,
        decision_window_days: 14,
        employee: person(nip_of(100 + n), "Pegawai", unit),
        rater: person(nip_of(900 + rater), &format!("Penilai {rater}"), unit),
        rater_superior: person(nip_of(990), "Atasan", "Sekretariat"),
        period: skp_events::period::PeriodKind::None,
        period_entry_days: 10,
        utc_offset_hours: 7,
    };
    let plan = PlanDrafted {
        results: vec![PlannedResult {
            id: "rhk-1".into(),
            description: "Tersusunnya analisis".into(),
            indicators: vec![Indicator { id: "iki-1".into(), description: "Dokumen".into(), target: Target { value: 2, unit: "dokumen".into() } }],
        }],
    };
    let mut events = vec![Event::AppraisalOpened(opened), Event::PlanDrafted(plan.clone()), Event::PlanSubmitted(Empty {})];
    if rng.below(3) == 0 {
        events.extend([Event::PlanReturned(PlanReturned { reason: "Perbaiki".into() }), Event::PlanDrafted(plan), Event::PlanSubmitted(Empty {})]);
    }
    events.push(Event::TargetsAgreed(Empty {}));
    let (results, behaviour) = (RATINGS[rng.below(3) as usize], RATINGS[rng.below(3) as usize]);
    let predikat = skp_domain::predikat(results, behaviour);
    let objection_due = datetime!(2026-12-20 00:00 UTC);
    events.push(Event::ScoreGiven(ScoreGiven { results_rating: results, behaviour_rating: behaviour, predikat, notes: None, objection_due }));
    let employee_nip = nip_of(100 + n);
    if rng.below(2) == 0 {
        events.push(Event::ScoreAccepted(Empty {}));
        events.push(Event::ScoreFinalized(ScoreFinalized { results_rating: results, behaviour_rating: behaviour, predikat, via: FinalizedVia::Accepted, employee_nip }));
    } else {
        let decision_due = [datetime!(2026-06-01 00:00 UTC), datetime!(2099-01-01 00:00 UTC)][rng.below(2) as usize];
        events.push(Event::ScoreObjected(ScoreObjected { reason: "Keberatan".into(), requested_results_rating: None, requested_behaviour_rating: None, decision_due }));
        let revised = RATINGS[rng.below(3) as usize];
        let forum = skp_domain::predikat(revised, behaviour);
        let minutes = "Notulen".into();
        events.push(Event::ForumResolved(ForumResolved { outcome: ForumOutcome::Revised, results_rating: revised, behaviour_rating: behaviour, predikat: forum, minutes, late: false }));
        events.push(Event::ScoreFinalized(ScoreFinalized { results_rating: revised, behaviour_rating: behaviour, predikat: forum, via: FinalizedVia::Forum, employee_nip }));
    }
    // Stop somewhere along the way (or not at all).
    let keep = 1 + rng.below(events.len() as u64 + 3).min(events.len() as u64 - 1) as usize;
    events.truncate(keep.max(1));
    events
}

fn capaian_set(unit: &str, capaian: Capaian, reason: Option<&str>) -> Event {
    let decided_by = Official { nip: nip_of(991), name: "Kepala Dinas".into(), position: "Kepala".into() };
    Event::UnitCapaianSet(UnitCapaianSet { unit: unit.into(), period: CapaianPeriod::Annual, capaian, decided_by, reason: reason.map(str::to_owned) })
}

/// One aggregate's events sealed into envelopes.
fn sealed(kind: AggregateType, id: Uuid, events: Vec<Event>, at: OffsetDateTime) -> Vec<Envelope> {
    let mut prev = GENESIS_HASH.to_owned();
    events
        .into_iter()
        .zip(1..)
        .map(|(event, version)| {
            let command = Uuid::now_v7();
            let envelope = Envelope {
                event_id: Uuid::now_v7(),
                aggregate_type: kind,
                aggregate_id: id,
                version,
                schema_version: event.schema_version(),
                event,
                occurred_at: at + time::Duration::hours(version as i64),
                actor: Actor { nip: Nip::parse(ADMIN).unwrap(), role: ActorRole::Admin },
                command_id: command,
                correlation_id: command,
                causation_id: command,
                prev_hash: std::mem::take(&mut prev),
                hash: String::new(),
            };
            let (sealed, _) = envelope.seal_with_body().unwrap();
            prev = sealed.hash.clone();
            sealed
        })
        .collect()
}

/// A random stream: a cycle, `appraisals` appraisals interleaved at random (each in its own
/// order), annual capaian set (and superseded) for some units in between.
fn stream(seed: u64, appraisals: u64) -> (Uuid, Vec<StoredEvent>) {
    let mut rng = Rng(seed);
    let cycle = Uuid::now_v7();
    let start = datetime!(2026-02-01 08:00 UTC);
    let opened = CycleOpened {
        organization: "BKPSDM Kota Contoh".into(),
        year: 2026,
        plan_due: date!(2026 - 01 - 31),
        objection_window_days: 14,
        decision_window_days: 14,
        period: skp_events::period::PeriodKind::None,
        period_entry_days: 10,
        utc_offset_hours: 7,
    };
    let capaian = [(UNITS[0], Capaian::Istimewa), (UNITS[1], Capaian::Kurang), (UNITS[0], Capaian::ButuhPerbaikan), (UNITS[2], Capaian::Baik)];
    let cycle_events: Vec<Event> = std::iter::once(Event::CycleOpened(opened))
        .chain(capaian.into_iter().enumerate().map(|(i, (u, c))| capaian_set(u, c, (i > 0).then_some("Revisi"))))
        .collect();
    let mut queues: Vec<Vec<Envelope>> = vec![sealed(AggregateType::Cycle, cycle, cycle_events, start)];
    for n in 0..appraisals {
        let events = story(&mut rng, cycle, n);
        queues.push(sealed(AggregateType::Appraisal, Uuid::now_v7(), events, start));
    }
    for queue in &mut queues {
        queue.reverse();
    }
    let mut out = vec![queues[0].pop().unwrap()];
    while queues.iter().any(|q| !q.is_empty()) {
        let open: Vec<usize> = (0..queues.len()).filter(|i| !queues[*i].is_empty()).collect();
        let pick = open[rng.below(open.len() as u64) as usize];
        out.push(queues[pick].pop().unwrap());
    }
    let events = out.into_iter().zip(1..).map(|(e, seq)| StoredEvent::decode(seq, bytes::Bytes::from(e.to_canonical_bytes().unwrap())).unwrap()).collect();
    (cycle, events)
}

struct Generation {
    store: ReadStore,
    schema: String,
}

impl Generation {
    async fn new() -> Self {
        let base = format!("skp_t{}", &Uuid::new_v4().simple().to_string()[..12]);
        let store = ReadStore::connect(&database_url(), &base, 2).await.unwrap();
        let p = ProgressProjection::new(None);
        let schema = store.ensure_active(p.name(), p.migrator()).await.unwrap().schema;
        Self { store, schema }
    }

    async fn apply(&self, batch: &[StoredEvent]) {
        let mut conn = self.store.pool().acquire().await.unwrap();
        let mut tx = conn.begin().await.unwrap();
        skp_projections::store::enter_schema(&mut tx, &self.schema).await.unwrap();
        ProgressProjection::new(None).apply(&mut tx, batch).await.unwrap();
        sqlx::query(&format!("UPDATE {}.projection_state SET last_seq = $1 WHERE projection = 'progress'", self.store.base()))
            .bind(batch.last().map_or(0, |e| e.stream_seq as i64))
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    async fn rows(&self, table: &str) -> Vec<String> {
        let sql = format!("SELECT t::text FROM {}.{table} t ORDER BY 1", self.schema);
        sqlx::query_as::<_, (String,)>(&sql).fetch_all(self.store.pool()).await.unwrap().into_iter().map(|(r,)| r).collect()
    }

    async fn counters(&self) -> Vec<String> {
        let mut all = Vec::new();
        for table in ["progress_groups", "progress_group_counts", "plan_due_counts"] {
            all.extend(self.rows(table).await.into_iter().map(|r| format!("{table}: {r}")));
        }
        all
    }

    async fn drop(self) {
        skp_projections::store::drop_base(self.store.pool(), self.store.base()).await.unwrap();
    }
}

/// A group's (kind, key).
type Key = (String, String);
/// A group's total, by status, by predikat and warning codes.
type Counts<W> = (i64, Vec<i64>, Vec<i64>, Vec<W>);
/// A stored group as read.
type StoredGroup = (String, String, i64, Vec<i64>, Vec<i64>, Option<Vec<String>>);

/// What the counters should be, recounted from the appraisal rows as the progress query did
/// before issue 16: per (kind, key) the group, and per (kind, what) the group counts.
struct Recount {
    groups: BTreeMap<Key, Counts<&'static str>>,
    counts: BTreeMap<(String, String), i64>,
    plan_due: BTreeMap<String, i64>,
}

async fn recount(g: &Generation, cycle: Uuid) -> Recount {
    let cells: Vec<(String, String, String, Option<String>, String, i64)> = sqlx::query_as(&format!(
        "SELECT unit, rater_nip, status, predikat, plan_due::text, count(*) FROM {}.appraisals WHERE cycle_id = $1 GROUP BY 1, 2, 3, 4, 5",
        g.schema
    ))
    .bind(cycle)
    .fetch_all(g.store.pool())
    .await
    .unwrap();
    let annual: BTreeMap<String, Capaian> = sqlx::query_as::<_, (String, String)>(&format!("SELECT unit, capaian FROM {}.unit_capaian WHERE cycle_id = $1 AND period = 'annual'", g.schema))
        .bind(cycle)
        .fetch_all(g.store.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|(u, c)| (u, Capaian::parse(&c).unwrap()))
        .collect();
    let mut groups: BTreeMap<Key, Counts<&'static str>> = BTreeMap::new();
    let mut plan_due = BTreeMap::new();
    for (unit, rater, status, predikat, due, count) in &cells {
        for key in [("cycle".to_owned(), String::new()), ("unit".to_owned(), unit.clone()), ("rater".to_owned(), rater.clone())] {
            let group = groups.entry(key).or_insert_with(|| (0, vec![0; 10], vec![0; 5], Vec::new()));
            group.0 += count;
            group.1[Status::ALL.iter().position(|s| s.as_str() == status).unwrap()] += count;
            if let Some(p) = predikat {
                group.2[Predikat::ALL.iter().position(|k| k.as_str() == p).unwrap()] += count;
            }
        }
        if ["opened", "plan_drafted", "plan_submitted", "plan_returned"].contains(&status.as_str()) {
            *plan_due.entry(due.clone()).or_default() += count;
        }
    }
    let mut counts = BTreeMap::new();
    for ((kind, key), group) in &mut groups {
        let capaian = match kind.as_str() {
            "unit" => annual.get(key).copied().unwrap_or(Capaian::Baik),
            "rater" => Capaian::Baik,
            _ => continue,
        };
        group.3 = pattern_warnings(capaian, &Distribution::of(Predikat::ALL.into_iter().zip(group.2.iter().copied()))).into_iter().map(|w| w.code).collect();
        let mut add = |what: &str| *counts.entry((kind.clone(), what.to_owned())).or_default() += 1;
        add("all");
        if !group.3.is_empty() {
            add("with_warnings");
        }
        for code in &group.3 {
            add(code);
        }
    }
    Recount { groups, counts, plan_due }
}

async fn assert_counters_equal_the_recount(g: &Generation, cycle: Uuid, label: &str) {
    let expected = recount(g, cycle).await;
    let stored: Vec<StoredGroup> =
        sqlx::query_as(&format!("SELECT kind, key, total, by_status, by_predikat, warnings FROM {}.progress_groups WHERE cycle_id = $1", g.schema))
            .bind(cycle)
            .fetch_all(g.store.pool())
            .await
            .unwrap();
    let stored: BTreeMap<Key, Counts<String>> =
        stored.into_iter().map(|(k, key, t, s, p, w)| ((k, key), (t, s, p, w.expect("warnings computed")))).collect();
    let expected_groups: BTreeMap<Key, Counts<String>> =
        expected.groups.into_iter().map(|(k, (t, s, p, w))| (k, (t, s, p, w.into_iter().map(str::to_owned).collect()))).collect();
    assert_eq!(stored, expected_groups, "{label}: groups");
    let counts: BTreeMap<(String, String), i64> = sqlx::query_as::<_, (String, String, i64)>(&format!("SELECT kind, what, groups FROM {}.progress_group_counts WHERE cycle_id = $1", g.schema))
        .bind(cycle)
        .fetch_all(g.store.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|(k, w, n)| ((k, w), n))
        .collect();
    assert_eq!(counts, expected.counts, "{label}: group counts");
    let plan_due: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(&format!("SELECT plan_due::text, appraisals FROM {}.plan_due_counts WHERE cycle_id = $1", g.schema))
        .bind(cycle)
        .fetch_all(g.store.pool())
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(plan_due, expected.plan_due, "{label}: plans owed per due date");
}

/// Batch sizes: one by one, small, random, and all at once.
fn cuts(len: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
    let random: Vec<usize> = std::iter::repeat_with(|| 1 + rng.below(40) as usize).take(len).collect();
    vec![vec![1; len], vec![3; len], random, vec![len]]
}

#[tokio::test]
async fn counters_equal_a_recount_however_a_random_stream_is_cut_into_batches() {
    for seed in [7_u64, 1_234_567, 0xdead_beef] {
        let (cycle, events) = stream(seed, 80);
        let mut dumps = Vec::new();
        for (c, sizes) in cuts(events.len(), seed).into_iter().enumerate() {
            let g = Generation::new().await;
            let mut at = 0;
            for size in sizes {
                if at >= events.len() {
                    break;
                }
                let end = (at + size).min(events.len());
                g.apply(&events[at..end]).await;
                at = end;
                if c == 2 {
                    assert_counters_equal_the_recount(&g, cycle, &format!("seed {seed}, after {at} events")).await;
                }
            }
            assert_counters_equal_the_recount(&g, cycle, &format!("seed {seed}, cut {c}")).await;
            dumps.push(g.counters().await);
            g.drop().await;
        }
        assert!(dumps.windows(2).all(|w| w[0] == w[1]), "seed {seed}: every cut ends with the same rows");
    }
}

#[tokio::test]
async fn the_summary_and_the_pages_read_the_counters() {
    let (cycle, events) = stream(42, 120);
    let g = Generation::new().await;
    for batch in events.chunks(25) {
        g.apply(batch).await;
    }
    let expected = recount(&g, cycle).await;
    let now = datetime!(2026-07-01 00:00 UTC);
    let progress = query::progress(&g.store, cycle, now).await.unwrap().unwrap();
    let cycle_group = &expected.groups[&("cycle".to_owned(), String::new())];
    assert_eq!(progress.total, cycle_group.0);
    let by_predikat: BTreeMap<&str, i64> = Predikat::ALL.into_iter().map(Predikat::as_str).zip(cycle_group.2.iter().copied()).collect();
    assert_eq!(progress.by_predikat, by_predikat);
    let by_status: BTreeMap<&str, i64> = Status::ALL.into_iter().map(Status::as_str).zip(cycle_group.1.iter().copied()).collect();
    assert_eq!(progress.by_status, by_status);
    assert_eq!(progress.units.count, expected.counts[&("unit".to_owned(), "all".to_owned())]);
    assert_eq!(progress.raters.count, expected.counts[&("rater".to_owned(), "all".to_owned())]);
    assert_eq!(progress.raters.with_warnings, expected.counts.get(&("rater".to_owned(), "with_warnings".to_owned())).copied().unwrap_or(0));
    let owed: i64 = expected.plan_due.iter().filter(|(due, _)| due.as_str() < "2026-07-01").map(|(_, n)| n).sum();
    assert_eq!(progress.overdue_detail.plans, owed);
    let (objected,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {}.appraisals WHERE status = 'objected' AND decision_due < $1", g.schema)).bind(now).fetch_one(g.store.pool()).await.unwrap();
    assert_eq!(progress.overdue_detail.objections, objected);
    assert!(!progress.raters.by_warning.is_empty() || !progress.units.by_warning.is_empty(), "the stream gives warnings to compare");
    // Every rater exactly once across pages of 2, in key order; the filter agrees with the counts.
    let mut seen: Vec<GroupProgress> = Vec::new();
    for page in 1.. {
        let answer = query::group_page(&g.store, cycle, "rater", None, page, 2).await.unwrap().unwrap();
        assert_eq!(answer.total, progress.raters.count);
        if answer.items.is_empty() {
            break;
        }
        seen.extend(answer.items);
    }
    let keys: Vec<&str> = seen.iter().map(|r| r.key.as_str()).collect();
    let expected_keys: Vec<&str> = expected.groups.keys().filter(|(k, _)| k == "rater").map(|(_, key)| key.as_str()).collect();
    assert_eq!(keys, expected_keys);
    for (kind, code, n) in progress.units.by_warning.iter().map(|(c, n)| ("unit", c, n)).chain(progress.raters.by_warning.iter().map(|(c, n)| ("rater", c, n))) {
        let page = query::group_page(&g.store, cycle, kind, Some(code), 1, 100).await.unwrap().unwrap();
        assert_eq!((page.total, page.items.len() as i64), (*n, *n), "{code}");
        assert!(page.items.iter().all(|u| u.warnings.iter().any(|w| w.code == code)));
    }
    assert!(query::group_page(&g.store, Uuid::now_v7(), "unit", None, 1, 10).await.unwrap().is_none(), "an unknown cycle");
    g.drop().await;
}

#[tokio::test]
async fn an_annual_capaian_changes_the_warnings_of_its_unit() {
    let cycle = Uuid::now_v7();
    let start = datetime!(2026-02-01 08:00 UTC);
    let opened = CycleOpened {
        organization: "BKPSDM".into(),
        year: 2026,
        plan_due: date!(2026 - 01 - 31),
        objection_window_days: 14,
        decision_window_days: 14,
        period: skp_events::period::PeriodKind::None,
        period_entry_days: 10,
        utc_offset_hours: 7,
    };
    let mut envelopes = sealed(AggregateType::Cycle, cycle, vec![Event::CycleOpened(opened)], start);
    for n in 0..6 {
        let mut rng = Rng(1);
        let mut events = story(&mut rng, cycle, n);
        events.truncate(1);
        let Event::AppraisalOpened(o) = &mut events[0] else { panic!() };
        (o.employee.unit, o.rater.nip) = ("Sekretariat".into(), nip_of(900));
        let (r, b) = (Rating::SesuaiEkspektasi, Rating::SesuaiEkspektasi);
        let plan = PlanDrafted { results: vec![] };
        events.extend([Event::PlanDrafted(plan), Event::PlanSubmitted(Empty {}), Event::TargetsAgreed(Empty {})]);
        events.push(Event::ScoreGiven(ScoreGiven { results_rating: r, behaviour_rating: b, predikat: Predikat::Baik, notes: None, objection_due: start }));
        envelopes.extend(sealed(AggregateType::Appraisal, Uuid::now_v7(), events, start));
    }
    let decode = |envelopes: Vec<Envelope>, from: u64| -> Vec<StoredEvent> {
        envelopes.into_iter().zip(from..).map(|(e, seq)| StoredEvent::decode(seq, bytes::Bytes::from(e.to_canonical_bytes().unwrap())).unwrap()).collect()
    };
    let g = Generation::new().await;
    let first = decode(envelopes, 1);
    g.apply(&first).await;
    let codes = |page: query::GroupPage| page.items[0].warnings.iter().map(|w| w.code).collect::<Vec<_>>();
    let units = query::group_page(&g.store, cycle, "unit", None, 1, 10).await.unwrap().unwrap();
    assert_eq!(units.items[0].capaian_assumed, Some(true));
    assert_eq!(codes(units), ["baik_over_70_percent", "no_low_predikat"]);
    let set = sealed(AggregateType::Cycle, cycle, vec![Event::CycleOpened(match &first[0].envelope.event { Event::CycleOpened(c) => c.clone(), _ => panic!() }), capaian_set("Sekretariat", Capaian::Istimewa, None)], start);
    g.apply(&decode(set.into_iter().skip(1).collect(), first.len() as u64 + 1)).await;
    let units = query::group_page(&g.store, cycle, "unit", None, 1, 10).await.unwrap().unwrap();
    assert_eq!((units.items[0].capaian, units.items[0].capaian_assumed), (Some(Capaian::Istimewa), Some(false)));
    assert_eq!(codes(units), ["sangat_baik_not_largest"]);
    let progress = query::progress(&g.store, cycle, start).await.unwrap().unwrap();
    assert_eq!(progress.units.by_warning, BTreeMap::from([("sangat_baik_not_largest".to_owned(), 1)]));
    assert_eq!((progress.raters.count, progress.raters.with_warnings), (1, 1), "the rater is still held to baik");
    assert_counters_equal_the_recount(&g, cycle, "after the capaian").await;
    g.drop().await;
}

/// SKP upgraded in place: a generation that served before the counters gets them from the
/// migration (counts in SQL) and the projector's `prepare` (the warnings by the domain's
/// rule), equal to a generation that kept them from the start; then it goes on by deltas.
#[tokio::test]
async fn a_generation_made_before_the_counters_migrates_to_what_counting_from_the_start_gives() {
    let (cycle, events) = stream(99, 60);
    let (head, tail) = events.split_at(events.len() - 20);
    let reference = Generation::new().await;
    reference.apply(head).await;
    let old = Generation::new().await;
    old.apply(head).await;
    for sql in [
        format!("DROP TABLE {s}.progress_groups, {s}.progress_group_counts, {s}.plan_due_counts", s = old.schema),
        format!("DROP INDEX {}.appraisals_objected", old.schema),
        format!("DELETE FROM {}._sqlx_migrations WHERE version = 1601", old.schema),
    ] {
        sqlx::query(&sql).execute(old.store.pool()).await.unwrap();
    }
    let p = ProgressProjection::new(None);
    let generation = old.store.ensure_active(p.name(), p.migrator()).await.unwrap();
    let (unset,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {}.progress_groups WHERE warnings IS NULL", old.schema)).fetch_one(old.store.pool()).await.unwrap();
    assert!(unset > 0, "the migration leaves the warnings to the projector");
    p.prepare(&old.store, &generation).await.unwrap();
    assert_eq!(old.counters().await, reference.counters().await, "migrated and prepared");
    reference.apply(tail).await;
    old.apply(tail).await;
    assert_eq!(old.counters().await, reference.counters().await, "and on by deltas");
    assert_counters_equal_the_recount(&old, cycle, "upgraded").await;
    reference.drop().await;
    old.drop().await;
}

/// Sequential scans of the generation's `appraisals` table so far in the current transaction.
async fn appraisal_seq_scans(tx: &mut sqlx::PgConnection, schema: &str) -> i64 {
    let sql = "SELECT COALESCE(seq_scan, 0) FROM pg_stat_xact_user_tables WHERE schemaname = $1 AND relname = 'appraisals'";
    sqlx::query_as::<_, (i64,)>(sql).bind(schema).fetch_one(&mut *tx).await.unwrap().0
}

#[tokio::test]
async fn a_batch_reads_its_appraisals_by_the_index_however_small_the_table_was_when_the_connection_began() {
    // One connection, held throughout: the statements' plans are cached on it. Its first
    // batches meet an almost empty table; then the table grows to 1,500 appraisals within the same
    // transaction (no ANALYZE in between). A generic plan made from those first batches
    // scanned the whole table for every later batch (issue 16, found with auto_explain).
    let base = format!("skp_t{}", &Uuid::new_v4().simple().to_string()[..12]);
    let store = ReadStore::connect(&database_url(), &base, 2).await.unwrap();
    let p = ProgressProjection::new(None);
    let schema = store.ensure_active(p.name(), p.migrator()).await.unwrap().schema;
    let (_, events) = stream(16, 1500);
    let mut conn = store.pool().acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    skp_projections::store::enter_schema(&mut tx, &schema).await.unwrap();
    let (first, rest) = events.split_at(12);
    for event in first {
        p.apply(&mut tx, std::slice::from_ref(event)).await.unwrap();
    }
    let (fill, later) = rest.split_at(rest.len() - 40);
    p.apply(&mut tx, fill).await.unwrap();
    let before = appraisal_seq_scans(&mut tx, &schema).await;
    for batch in later.chunks(4) {
        p.apply(&mut tx, batch).await.unwrap();
    }
    let scans = appraisal_seq_scans(&mut tx, &schema).await - before;
    tx.rollback().await.unwrap();
    drop(conn);
    skp_projections::store::drop_base(store.pool(), &base).await.unwrap();
    assert_eq!(scans, 0, "the last 10 batches scanned appraisals {scans} times");
}
