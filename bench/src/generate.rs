//! Realistic events for benchmarks: appraisals of hash-chained events (opened, drafted,
//! submitted, agreed, feedbacks, a realisation, scored, accepted, finalized), published as
//! raw pipelined messages. [`Shape::Uniform`]: ten events each (the `rebuild` and `verify`
//! subcommands). [`Shape::Mixed`]: every fourth appraisal has the whole lifecycle with twelve
//! more feedbacks (22 events, the replay targets), the others stop after the second feedback
//! (6 events): ten events per appraisal on average, so one million events span 100,000
//! subjects. [`Shape::Periodic`]: the mixed appraisals in a monthly cycle, each with its
//! periodic evaluations and some corrections (about 40% of the events; the `periodic`
//! section). [`filled`] fills the stream `catchup` and `replay` share, once per run.

use futures::stream::{FuturesUnordered, StreamExt};
use std::future::IntoFuture;
use skp_events::data::*;
use skp_events::period::{PeriodId, PeriodKind};
use skp_events::subject::Subjects;
use skp_events::values::*;
use skp_events::{Actor, ActorRole, AggregateType, Envelope, Event, Nip, Predikat, Rating, GENESIS_HASH};
use skp_store::Metrics;
use skp_store::EventStore;
use std::time::{Duration, Instant};
use time::macros::{date, datetime};
use uuid::Uuid;

const IN_FLIGHT: usize = 1024;

fn nip(i: u64, sex: u64) -> Nip {
    Nip::parse(&format!("19800101200501{}{:03}", 1 + sex % 2, i % 1000)).unwrap_or_else(|_| unreachable_nip())
}

fn unreachable_nip() -> Nip {
    Nip::parse("198001012005011001").expect("a valid literal NIP")
}

fn person(nip: Nip, unit: u64) -> Person {
    Person { nip, name: "Pegawai Contoh".into(), position: "Analis".into(), unit: format!("Unit {}", unit % 40) }
}

fn lifecycle(cycle: Uuid, i: u64) -> Vec<(ActorRole, Event)> {
    let employee = person(nip(i, 0), i);
    let rater = person(nip(i + 7, 1), i);
    let superior = person(nip(i + 13, 0), i);
    let rating = [Rating::DiAtasEkspektasi, Rating::SesuaiEkspektasi, Rating::DiBawahEkspektasi][(i % 3) as usize];
    let predikat = skp_domain_free_predikat(rating);
    vec![
        (ActorRole::Admin, Event::AppraisalOpened(AppraisalOpened {
            cycle_id: cycle, organization: "BKPSDM Kota Contoh".into(), year: 2026, plan_due: date!(2026 - 01 - 31),
            objection_window_days: 14, decision_window_days: 14, employee: employee.clone(), rater, rater_superior: superior,
            period: PeriodKind::None, period_entry_days: 10, utc_offset_hours: 7,
        })),
        (ActorRole::Employee, Event::PlanDrafted(PlanDrafted { results: vec![PlannedResult {
            id: "rhk-1".into(), description: "Tersusunnya analisis".into(),
            indicators: vec![Indicator { id: "iki-1".into(), description: "Dokumen".into(), target: Target { value: 2, unit: "dokumen".into() } }],
        }] })),
        (ActorRole::Employee, Event::PlanSubmitted(Empty {})),
        (ActorRole::Rater, Event::TargetsAgreed(Empty {})),
        (ActorRole::Rater, Event::FeedbackGiven(FeedbackGiven { about: FeedbackAbout::Results, text: "Baik".into(), indicator_id: None })),
        (ActorRole::Peer, Event::FeedbackGiven(FeedbackGiven { about: FeedbackAbout::Behaviour, text: "Kolaboratif".into(), indicator_id: None })),
        (ActorRole::Employee, Event::RealisationRecorded(RealisationRecorded { indicator_id: "iki-1".into(), value: 2, evidence: None })),
        (ActorRole::Rater, Event::ScoreGiven(ScoreGiven { results_rating: Rating::SesuaiEkspektasi, behaviour_rating: rating, predikat, notes: None, objection_due: datetime!(2027-01-15 00:00 UTC) })),
        (ActorRole::Employee, Event::ScoreAccepted(Empty {})),
        (ActorRole::Rater, Event::ScoreFinalized(ScoreFinalized { results_rating: Rating::SesuaiEkspektasi, behaviour_rating: rating, predikat, via: FinalizedVia::Accepted, employee_nip: employee.nip })),
    ]
}

/// The opening and the plan of appraisal `i` of a fill: the payloads the `cqrs` section's
/// cqrs-es aggregate records, so that both systems store the same data.
pub fn opening_and_plan(cycle: Uuid, i: u64) -> (AppraisalOpened, PlanDrafted) {
    let mut events = lifecycle(cycle, i).into_iter().map(|(_, e)| e);
    match (events.next(), events.next()) {
        (Some(Event::AppraisalOpened(opened)), Some(Event::PlanDrafted(plan))) => (opened, plan),
        _ => unreachable!("a lifecycle starts with the opening and the plan"),
    }
}

/// The matrix row of `sesuai_ekspektasi` results (kept here so the bench needs no domain).
fn skp_domain_free_predikat(behaviour: Rating) -> Predikat {
    match behaviour {
        Rating::DiBawahEkspektasi => Predikat::Kurang,
        _ => Predikat::Baik,
    }
}

/// How the appraisals of a fill are made up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Ten events each.
    Uniform,
    /// Every fourth 22 events (the whole lifecycle and twelve more feedbacks), the others 6.
    Mixed,
    /// [`Shape::Mixed`] in a monthly cycle, with periodic evaluations after the targets are
    /// agreed: a long appraisal evaluates all twelve months and corrects two (36 events), a
    /// short one evaluates four and corrects one (11 events). 29 of every 69 events (42%)
    /// are periodic.
    Periodic,
}

/// Extra feedbacks of a long appraisal of [`Shape::Mixed`].
const EXTRA_FEEDBACKS: usize = 12;

/// The events of appraisal `i` in a fill of `shape`.
fn events_of(shape: Shape, cycle: Uuid, i: u64) -> Vec<(ActorRole, Event)> {
    let mut events = lifecycle(cycle, i);
    match shape {
        Shape::Uniform => events,
        Shape::Mixed if Filling::is_long(i) => {
            // After the two feedbacks: more of them, before the realisation and the score.
            let extra = (0..EXTRA_FEEDBACKS).map(|k| {
                let about = if k % 2 == 0 { FeedbackAbout::Results } else { FeedbackAbout::Behaviour };
                (ActorRole::Rater, Event::FeedbackGiven(FeedbackGiven { about, text: format!("Catatan pemantauan ke-{}", k + 1), indicator_id: None }))
            });
            events.splice(6..6, extra);
            events
        }
        Shape::Mixed => {
            events.truncate(6);
            events
        }
        Shape::Periodic => {
            let mut events = events_of(Shape::Mixed, cycle, i);
            if let Some((_, Event::AppraisalOpened(opened))) = events.first_mut() {
                opened.period = PeriodKind::Monthly;
            }
            let (months, corrected): (u8, &[u8]) = if Filling::is_long(i) { (12, &[3, 7]) } else { (4, &[2]) };
            events.splice(4..4, periodic(i, months, corrected));
            events
        }
    }
}

/// The evaluations of months 1..=`months` of 2026, each followed by its correction when
/// listed in `corrected`, with ratings that vary by appraisal and month.
fn periodic(i: u64, months: u8, corrected: &[u8]) -> Vec<(ActorRole, Event)> {
    let ratings = [Rating::DiAtasEkspektasi, Rating::SesuaiEkspektasi, Rating::SesuaiEkspektasi, Rating::DiBawahEkspektasi];
    let mut events = Vec::new();
    for month in 1..=months {
        let Some(period) = PeriodId::new(2026, PeriodKind::Monthly, month) else { continue };
        let behaviour = ratings[((i + u64::from(month)) % 4) as usize];
        let predikat = skp_domain_free_predikat(behaviour);
        events.push((ActorRole::Rater, Event::PeriodEvaluated(PeriodEvaluated {
            period, results_rating: Rating::SesuaiEkspektasi, behaviour_rating: behaviour, predikat, notes: None,
        })));
        if corrected.contains(&month) {
            events.push((ActorRole::Rater, Event::PeriodEvaluationCorrected(PeriodEvaluationCorrected {
                period, results_rating: Rating::SesuaiEkspektasi, behaviour_rating: Rating::SesuaiEkspektasi, predikat: Predikat::Baik,
                reason: "Koreksi setelah verifikasi bukti dukung".into(),
            })));
        }
    }
    events
}

/// What a fill wrote.
#[derive(Debug, Clone, Copy)]
pub struct Filling {
    /// Events written, the cycle's included.
    pub written: u64,
    /// The cycle every appraisal belongs to (appraisal ids derive from it).
    pub cycle: Uuid,
    /// Appraisals written.
    pub appraisals: u64,
    /// Of the events written, the periodic evaluations and corrections.
    pub periodic: u64,
    /// Of the events written, the finalized scores.
    pub finalized: u64,
}

impl Filling {
    /// Whether appraisal `i` of a [`Shape::Mixed`] fill is a long one (22 events).
    // `u64::is_multiple_of` is newer than the workspace's rust-version (1.85).
    #[allow(clippy::manual_is_multiple_of)]
    pub fn is_long(i: u64) -> bool {
        i % 4 == 0
    }

    /// The id of appraisal `i`.
    pub fn appraisal(&self, i: u64) -> Uuid {
        Uuid::new_v5(&self.cycle, &i.to_be_bytes())
    }
}

/// Publishes about `events` events (a cycle, then appraisals of ten); returns how many.
///
/// # Errors
/// When a publish is refused.
pub async fn fill(js: &async_nats::jetstream::Context, subjects: &Subjects, events: u64) -> anyhow::Result<u64> {
    Ok(fill_shaped(js, subjects, events, Shape::Uniform).await?.written)
}

/// Publishes about `events` events (a cycle, then appraisals of `shape`).
///
/// # Errors
/// When a publish is refused.
pub async fn fill_shaped(js: &async_nats::jetstream::Context, subjects: &Subjects, events: u64, shape: Shape) -> anyhow::Result<Filling> {
    let cycle = Uuid::now_v7();
    let actor = |role| Actor { nip: unreachable_nip(), role };
    let mut in_flight = FuturesUnordered::new();
    let mut written = 0u64;
    let (mut periodic, mut finalized) = (0u64, 0u64);
    // Sent in order (a subject's events must be stored in version order); only the
    // acknowledgements are awaited out of order, up to IN_FLIGHT at a time.
    let send = |subject: String, envelope: Envelope| async move {
        let body = envelope.to_canonical_bytes()?;
        anyhow::Ok(js.publish(subject, body.into()).await?)
    };
    let opened = Envelope {
        event_id: Uuid::now_v7(), aggregate_type: AggregateType::Cycle, aggregate_id: cycle, version: 1,
        event: Event::CycleOpened(CycleOpened {
            organization: "BKPSDM Kota Contoh".into(), year: 2026, plan_due: date!(2026 - 01 - 31), objection_window_days: 14, decision_window_days: 14,
            period: if shape == Shape::Periodic { PeriodKind::Monthly } else { PeriodKind::None }, period_entry_days: 10, utc_offset_hours: 7,
        }),
        schema_version: 2, occurred_at: datetime!(2026-01-02 08:00 UTC), actor: actor(ActorRole::Admin),
        command_id: Uuid::now_v7(), correlation_id: Uuid::now_v7(), causation_id: Uuid::now_v7(), prev_hash: GENESIS_HASH.into(), hash: String::new(),
    }.seal()?;
    send(subjects.aggregate(AggregateType::Cycle, cycle), opened).await?.await?;
    written += 1;
    let mut i = 0u64;
    while written < events {
        let id = Uuid::new_v5(&cycle, &i.to_be_bytes());
        let subject = subjects.aggregate(AggregateType::Appraisal, id);
        let mut prev = GENESIS_HASH.to_owned();
        for (n, (role, event)) in events_of(shape, cycle, i).into_iter().enumerate() {
            let command = Uuid::now_v7();
            periodic += u64::from(matches!(event, Event::PeriodEvaluated(_) | Event::PeriodEvaluationCorrected(_)));
            finalized += u64::from(matches!(event, Event::ScoreFinalized(_)));
            let envelope = Envelope {
                event_id: Uuid::now_v7(), aggregate_type: AggregateType::Appraisal, aggregate_id: id, version: n as u64 + 1, schema_version: event.schema_version(), event,
                occurred_at: datetime!(2026-02-01 08:00 UTC) + time::Duration::days(n as i64), actor: actor(role),
                command_id: command, correlation_id: command, causation_id: command, prev_hash: std::mem::take(&mut prev), hash: String::new(),
            }.seal()?;
            prev.clone_from(&envelope.hash);
            in_flight.push(send(subject.clone(), envelope).await?.into_future());
            written += 1;
            if in_flight.len() >= IN_FLIGHT {
                in_flight.next().await.transpose()?;
            }
        }
        i += 1;
    }
    while let Some(done) = in_flight.next().await {
        done?;
    }
    Ok(Filling { written, cycle, appraisals: i, periodic, finalized })
}

/// A stream filled for the `catchup` and `replay` sections, on the run's lazy server.
pub struct Filled {
    /// The isolated instance whose stream (`settings.store.stream`) holds the events.
    pub settings: skp_api::config::Settings,
    pub client: async_nats::Client,
    /// How many events it holds.
    pub events: u64,
    /// What the fill wrote (appraisal ids, how many); `None` until it has finished.
    pub filling: Option<Filling>,
}

impl Filled {
    /// Deletes the stream, the public stream and the read-model schemas made for it.
    pub async fn delete(self) {
        let js = async_nats::jetstream::new(self.client.clone());
        js.delete_stream(&self.settings.store.stream).await.ok();
        js.delete_stream(&self.settings.read.public_stream).await.ok();
        if let Ok(pool) = sqlx::PgPool::connect(self.settings.read.database_url.expose()).await {
            let _ = skp_projections::store::drop_base(&pool, &self.settings.read.schema).await;
        }
    }
}

/// The stream of `ctx.scale.events` events of [`Shape::Mixed`] on the run's lazy server that
/// `catchup` and `replay` share: filled by the first section that asks, deleted at the end of
/// the run (also after a failed fill: `ctx.filled` is set before the first publish).
///
/// # Errors
/// When the stream cannot be made or filled.
pub async fn filled(ctx: &mut crate::Ctx) -> anyhow::Result<&Filled> {
    if ctx.filled.as_ref().is_some_and(|f| f.filling.is_some()) {
        return ctx.filled.as_ref().ok_or_else(|| anyhow::anyhow!("filled just checked"));
    }
    anyhow::ensure!(ctx.filled.is_none(), "an earlier fill of this run failed");
    let settings = crate::isolated_on(&ctx.lazy.url(), &[])?;
    let store = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(10)).await?;
    let client = store.client().clone();
    ctx.filled = Some(Filled { settings, client: client.clone(), events: 0, filling: None });
    let js = async_nats::jetstream::new(client);
    let started = Instant::now();
    let filling = fill_shaped(&js, store.subjects(), ctx.scale.events, Shape::Mixed).await?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "  (filled {} events on {} appraisal subjects in {elapsed:.1} s, {:.0} events/s pipelined raw publishes; every fourth appraisal 22 events, the others 6)",
        filling.written, filling.appraisals, filling.written as f64 / elapsed
    );
    let filled = ctx.filled.as_mut().ok_or_else(|| anyhow::anyhow!("filled just set"))?;
    filled.events = filling.written;
    filled.filling = Some(filling);
    Ok(filled)
}
