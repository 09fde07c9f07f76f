//! The public relay: publishes `skp.public.score.finalized.v1` to `SKP_PUBLIC` once per
//! finalized appraisal, and `skp.public.period.evaluated.v1` once per periodic evaluation and
//! once per correction, each with `Nats-Msg-Id` = the source event's id.
//!
//! Exactly once: a finalization already in `published` is never sent again (this survives
//! any restart); a crash after the publish but before the commit sends the identical message
//! again, which `SKP_PUBLIC`'s 24-hour duplicate window drops.

use crate::event::StoredEvent;
use crate::error::ProjectionError;
use crate::projection::Projection;
use skp_store::error::cause;
use skp_store::stream_check::Requirements;
use async_nats::jetstream::{self, context::Publish, stream};
use futures::future::BoxFuture;
use skp_events::public::{AppraisalFacts, EmployeeFacts, PeriodEvaluatedV1, PeriodSource, ScoreFinalizedV1};
use skp_events::Event;
use sqlx::PgConnection;
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// The public stream's duplicate window: a relay that crashed between a publish and its
/// commit republishes within it, and the copy is dropped.
pub const PUBLIC_DUPLICATE_WINDOW: Duration = Duration::from_secs(24 * 3600);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/relay");

/// The subject of finalized scores under `prefix` (`skp.public` in production).
pub fn score_finalized_subject(prefix: &str) -> String {
    format!("{prefix}.score.finalized.v1")
}

/// The subject of periodic evaluations and corrections under `prefix` (`skp.public` in
/// production).
pub fn period_evaluated_subject(prefix: &str) -> String {
    format!("{prefix}.period.evaluated.v1")
}

/// The relay projection.
#[derive(Debug, Clone)]
pub struct RelayProjection {
    js: jetstream::Context,
    subject: String,
    period_subject: String,
}

impl RelayProjection {
    /// Creates `stream` (subjects `<prefix>.>`) if missing, checks its whole configuration
    /// (no limits, discard new, deny delete and purge, a 24-hour duplicate window, at least
    /// `replicas`), and relays to it.
    ///
    /// # Errors
    /// When JetStream does not answer, or the stream exists with unsafe settings
    /// ([`skp_store::StoreError::UnsafeStream`] naming each).
    pub async fn new(js: jetstream::Context, stream: &str, prefix: &str, replicas: usize) -> Result<Self, ProjectionError> {
        let config = stream::Config {
            name: stream.to_owned(),
            subjects: vec![format!("{prefix}.>")],
            storage: stream::StorageType::File,
            num_replicas: replicas,
            duplicate_window: PUBLIC_DUPLICATE_WINDOW,
            deny_delete: true,
            deny_purge: true,
            discard: stream::DiscardPolicy::New,
            description: Some("SKP public integration events".into()),
            ..Default::default()
        };
        let needs = Requirements { subjects: format!("{prefix}.>"), replicas, min_duplicate_window: PUBLIC_DUPLICATE_WINDOW, direct_get: false };
        skp_store::stream::ensure_checked(&js, &config, &needs).await?;
        Ok(Self { js, subject: score_finalized_subject(prefix), period_subject: period_evaluated_subject(prefix) })
    }

    /// Publishes `event` on `subject` with `Nats-Msg-Id` = `source_event_id`; returns its
    /// sequence in the public stream.
    async fn publish(&self, subject: &str, event: &impl serde::Serialize, source_event_id: Uuid) -> Result<u64, ProjectionError> {
        let body = serde_json::to_vec(event)?;
        let publish = Publish::build().payload(body.into()).message_id(source_event_id.to_string());
        let failed = |source| ProjectionError::Publish { subject: subject.to_owned(), source };
        let ack = self.js.send_publish(subject.to_owned(), publish).await.map_err(|e| failed(cause(e)))?;
        let ack = ack.await.map_err(|e| failed(cause(e)))?;
        Ok(ack.sequence)
    }
}

impl Projection for RelayProjection {
    fn name(&self) -> &'static str {
        "relay"
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    fn rebuildable(&self) -> bool {
        false
    }

    fn apply<'a>(&'a self, tx: &'a mut PgConnection, events: &'a [StoredEvent]) -> BoxFuture<'a, Result<Vec<Uuid>, ProjectionError>> {
        Box::pin(async move {
            let mut facts: HashMap<Uuid, AppraisalFacts> = HashMap::new();
            let mut employees: HashMap<Uuid, EmployeeFacts> = HashMap::new();
            for stored in events {
                let e = &stored.envelope;
                match &e.event {
                    Event::AppraisalOpened(o) => {
                        let f = AppraisalFacts { cycle_id: o.cycle_id, year: o.year, unit: o.employee.unit.clone() };
                        sqlx::query("INSERT INTO relay_appraisals VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                            .bind(e.aggregate_id)
                            .bind(f.cycle_id)
                            .bind(f.year)
                            .bind(o.employee.nip.as_str())
                            .bind(&f.unit)
                            .execute(&mut *tx)
                            .await?;
                        employees.insert(e.aggregate_id, EmployeeFacts { cycle_id: f.cycle_id, employee_nip: o.employee.nip.to_string(), unit: f.unit.clone() });
                        facts.insert(e.aggregate_id, f);
                    }
                    Event::ScoreFinalized(data) => {
                        if published(tx, e.event_id).await? {
                            continue;
                        }
                        let f = match facts.get(&e.aggregate_id) {
                            Some(f) => f.clone(),
                            None => load_facts(tx, e.aggregate_id, stored.stream_seq).await?,
                        };
                        let public = ScoreFinalizedV1::from_source(e.event_id, e.aggregate_id, e.occurred_at, data, &f);
                        let seq = self.publish(&self.subject, &public, e.event_id).await?;
                        record(tx, e.event_id, public.event_id, seq).await?;
                    }
                    // Periodic evaluation (issue 12): every evaluation and every correction.
                    Event::PeriodEvaluated(_) | Event::PeriodEvaluationCorrected(_) => {
                        let source = match &e.event {
                            Event::PeriodEvaluated(data) => PeriodSource::Evaluated(data),
                            Event::PeriodEvaluationCorrected(data) => PeriodSource::Corrected(data),
                            _ => continue,
                        };
                        if published(tx, e.event_id).await? {
                            continue;
                        }
                        let f = match employees.get(&e.aggregate_id) {
                            Some(f) => f.clone(),
                            None => load_employee(tx, e.aggregate_id, stored.stream_seq).await?,
                        };
                        let public = PeriodEvaluatedV1::from_source(e.event_id, e.aggregate_id, e.occurred_at, source, &f);
                        let seq = self.publish(&self.period_subject, &public, e.event_id).await?;
                        record(tx, e.event_id, public.event_id, seq).await?;
                    }
                    _ => {}
                }
            }
            Ok(Vec::new())
        })
    }
}

async fn load_facts(tx: &mut PgConnection, appraisal: Uuid, stream_seq: u64) -> Result<AppraisalFacts, ProjectionError> {
    let row: Option<(Uuid, i32, String)> = sqlx::query_as("SELECT cycle_id, year, unit FROM relay_appraisals WHERE appraisal_id = $1")
        .bind(appraisal)
        .fetch_optional(&mut *tx)
        .await?;
    let (cycle_id, year, unit) = row.ok_or_else(|| ProjectionError::Inconsistent { stream_seq, problem: format!("ScoreFinalized of appraisal {appraisal} that was never opened") })?;
    Ok(AppraisalFacts { cycle_id, year, unit })
}

/// Whether the event `source` was published already.
async fn published(tx: &mut PgConnection, source: Uuid) -> Result<bool, ProjectionError> {
    let done: Option<(Uuid,)> = sqlx::query_as("SELECT public_event_id FROM published WHERE source_event_id = $1").bind(source).fetch_optional(&mut *tx).await?;
    Ok(done.is_some())
}

/// Records a publication, in the transaction that moves the checkpoint past its source.
async fn record(tx: &mut PgConnection, source: Uuid, public: Uuid, seq: u64) -> Result<(), ProjectionError> {
    sqlx::query("INSERT INTO published VALUES ($1, $2, $3)").bind(source).bind(public).bind(seq as i64).execute(&mut *tx).await?;
    Ok(())
}

async fn load_employee(tx: &mut PgConnection, appraisal: Uuid, stream_seq: u64) -> Result<EmployeeFacts, ProjectionError> {
    let row: Option<(Uuid, String, String)> = sqlx::query_as("SELECT cycle_id, employee_nip, unit FROM relay_appraisals WHERE appraisal_id = $1")
        .bind(appraisal)
        .fetch_optional(&mut *tx)
        .await?;
    let (cycle_id, employee_nip, unit) = row.ok_or_else(|| ProjectionError::Inconsistent { stream_seq, problem: format!("a periodic evaluation of appraisal {appraisal} that was never opened") })?;
    Ok(EmployeeFacts { cycle_id, employee_nip, unit })
}
