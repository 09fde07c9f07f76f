//! Audit and fairness (docs/domain.md): every envelope as stored, in stored order, and the report
//! recomputed by the domain's audit rules whenever an appraisal changes. The chain is checked
//! on the exact stored text, so a tampered or reordered event shows.
//!
//! Each report row also keeps where the appraisal's chain stands (events checked, the last
//! stored `hash`, the breaks found so far), so a batch checks only its new events against
//! that head: the result is the one [`report_of`] gives for the whole history, which stays
//! the reference. The envelopes stored earlier are read back for the other checks, which
//! need the whole history, without checking their hashes again; the batch's own events
//! come decoded from the runtime.

use crate::event::StoredEvent;
use crate::error::ProjectionError;
use crate::projection::Projection;
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;
use crate::audit_pembinaan::Records;
use skp_domain::audit::{audit, audit_refs, AuditReport, Information, PembinaanRecord, Verdict};
use skp_events::chain::{verify_chain, ChainBreak, ChainVerifier};
use skp_events::{AggregateType, Envelope, Event};
use sqlx::postgres::PgCopyIn;
use sqlx::PgConnection;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/audit");

/// The audit projection.
#[derive(Debug, Clone, Default)]
pub struct AuditProjection;

/// One check as served.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckView {
    /// The check's stable name.
    pub name: &'static str,
    /// Whether it holds.
    pub passed: bool,
    /// What was found.
    pub detail: String,
    /// The events it rests on.
    pub event_ids: Vec<Uuid>,
}

/// `GET /v1/appraisals/{id}/audit`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReportView {
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// Whether the hash chain and versions are intact.
    pub chain_valid: bool,
    /// The seven checks of docs/domain.md.
    pub checks: Vec<CheckView>,
    /// `fair` or `findings`.
    pub verdict: &'static str,
    /// The failed checks.
    pub findings: Vec<&'static str>,
    /// What the audit gives as information, never as a finding: the gap between
    /// self-assessment and decision, whether a dialogue preceded the score, and for a low
    /// final predikat whether pembinaan followed.
    pub information: Vec<InformationView>,
}

/// One item of information as served.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InformationView {
    /// Its stable name.
    pub name: &'static str,
    /// What was found.
    pub detail: String,
    /// The events it rests on.
    pub event_ids: Vec<Uuid>,
}

impl From<Information> for InformationView {
    fn from(i: Information) -> Self {
        Self { name: i.name, detail: i.detail, event_ids: i.event_ids }
    }
}

impl ReportView {
    /// The served form of a report.
    pub fn new(appraisal_id: Uuid, report: AuditReport) -> Self {
        let findings = match &report.verdict {
            Verdict::Fair => Vec::new(),
            Verdict::Findings(names) => names.clone(),
        };
        Self {
            appraisal_id,
            chain_valid: report.chain_valid,
            verdict: report.verdict.as_str(),
            checks: report.checks.into_iter().map(|c| CheckView { name: c.name, passed: c.passed, detail: c.detail, event_ids: c.event_ids }).collect(),
            findings,
            information: report.information.into_iter().map(InformationView::from).collect(),
        }
    }
}

/// The report of an appraisal with no development plan from its stored bodies in order.
/// Undecodable bodies break the chain check and are left out of the other checks.
pub fn report_of(appraisal_id: Uuid, bodies: &[String]) -> ReportView {
    report_with_plan(appraisal_id, bodies, None)
}

/// [`report_of`] with what the appraisal's development plan recorded (`None`: no plan).
pub fn report_with_plan(appraisal_id: Uuid, bodies: &[String], plan: Option<&PembinaanRecord>) -> ReportView {
    let values: Vec<Value> = bodies.iter().map(|b| serde_json::from_str(b).unwrap_or(Value::Null)).collect();
    let breaks = verify_chain(&values);
    let envelopes: Vec<Envelope> = values.into_iter().filter_map(|v| Envelope::from_value(v).ok()).collect();
    let refs: Vec<&Envelope> = envelopes.iter().collect();
    ReportView::new(appraisal_id, audit(&envelopes, &breaks).with_pembinaan(&refs, plan))
}

impl Projection for AuditProjection {
    fn name(&self) -> &'static str {
        "audit"
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    fn apply<'a>(&'a self, tx: &'a mut PgConnection, events: &'a [StoredEvent]) -> BoxFuture<'a, Result<Vec<Uuid>, ProjectionError>> {
        Box::pin(apply_batch(tx, events))
    }
}

/// One appraisal touched by a batch: what it held before and what the batch adds.
#[derive(Debug, Default)]
struct Trail<'a> {
    /// The envelopes stored before this batch, in stored order.
    earlier: Vec<Envelope>,
    /// Where the chain stands, carried on over the batch's events.
    verifier: ChainVerifier,
    /// Every break found so far, in stored order.
    breaks: Vec<ChainBreak>,
    /// The batch's events of this appraisal, as the runtime decoded them.
    fresh: Vec<&'a Envelope>,
}

/// An appraisal's chain state as stored: events checked, last `hash`, breaks (JSON).
type ChainState = (Option<i32>, Option<String>, Option<String>);
/// A row of chain states: the appraisal and its [`ChainState`].
type ChainStateRow = (Uuid, Option<i32>, Option<String>, Option<String>);

impl Trail<'_> {
    /// The trail of an appraisal whose `bodies` are stored: the chain state is taken as
    /// stored when it covers exactly those bodies, else the whole chain is checked again
    /// (rows from before the state was kept).
    fn read_back(bodies: &[String], (events, head, breaks): ChainState) -> Self {
        let breaks = breaks.and_then(|b| serde_json::from_str::<Vec<ChainBreak>>(&b).ok());
        match (events, head, breaks) {
            (Some(events), Some(head), Some(breaks)) if usize::try_from(events).ok() == Some(bodies.len()) => Self {
                earlier: bodies.iter().filter_map(|b| Envelope::decode(b.as_bytes()).ok()).collect(),
                verifier: ChainVerifier::resume(bodies.len() as u64, head),
                breaks,
                fresh: Vec::new(),
            },
            _ => Self::checked_again(bodies),
        }
    }

    /// The trail of `bodies` with the whole chain checked, as [`report_of`] does.
    fn checked_again(bodies: &[String]) -> Self {
        let mut trail = Self::default();
        for body in bodies {
            let mut value = serde_json::from_str(body).unwrap_or(Value::Null);
            trail.breaks.extend(trail.verifier.push_mut(&mut value));
            trail.earlier.extend(Envelope::from_value(value).ok());
        }
        trail
    }
}

async fn apply_batch(tx: &mut PgConnection, events: &[StoredEvent]) -> Result<Vec<Uuid>, ProjectionError> {
    let appraisal_events: Vec<&StoredEvent> = events.iter().filter(|e| e.envelope.aggregate_type == AggregateType::Appraisal).collect();
    let plan_events: Vec<&Envelope> = events.iter().filter(|e| e.envelope.aggregate_type == AggregateType::Development).map(|e| &*e.envelope).collect();
    if appraisal_events.is_empty() && plan_events.is_empty() {
        return Ok(Vec::new());
    }
    // Development plans (issue 14): a plan's change recomputes its appraisal's report.
    let mut plans = Records::applied(tx, &plan_events).await?;
    let mut ids: BTreeSet<Uuid> = appraisal_events.iter().map(|e| e.envelope.aggregate_id).collect();
    ids.extend(plans.changed_appraisals());
    let ids: Vec<Uuid> = ids.into_iter().collect();
    plans.read_for_appraisals(tx, &ids).await?;
    plans.write(tx).await?;
    let mut trails = read_trails(tx, &ids).await?;
    let mut rows = EventRows::default();
    for stored in &appraisal_events {
        let id = stored.envelope.aggregate_id;
        let trail = trails.entry(id).or_default();
        trail.fresh.push(&stored.envelope);
        let stored_position = position(trail.verifier.checked() + trail.fresh.len() as u64)?;
        rows.push(id, stored_position, stored.stream_seq, &stored.body)?;
    }
    // PostgreSQL stores the bodies while the chains are checked and the reports computed.
    let copy = rows.send(tx).await?;
    let reports = check_and_report(&appraisal_events, &mut trails, &plans);
    match reports {
        Ok(reports) => {
            copy.finish().await?;
            reports.write(tx).await?;
            Ok(Vec::new())
        }
        Err(e) => {
            let _ = copy.abort(e.to_string()).await;
            Err(e)
        }
    }
}

/// Checks each new event's chain on its exact stored text, in stored order, then computes
/// the report of every appraisal touched (the decoded envelopes are the runtime's).
fn check_and_report(events: &[&StoredEvent], trails: &mut BTreeMap<Uuid, Trail<'_>>, plans: &Records) -> Result<ReportRows, ProjectionError> {
    for stored in events {
        if let Some(trail) = trails.get_mut(&stored.envelope.aggregate_id) {
            trail.breaks.extend(trail.verifier.push_stored(&stored.body));
        }
    }
    let mut rows = ReportRows::default();
    // An appraisal with nothing stored and nothing new (a plan whose appraisal this read
    // model never saw) has no report to write.
    for (id, trail) in trails.iter().filter(|(_, t)| !t.earlier.is_empty() || !t.fresh.is_empty() || t.verifier.checked() > 0) {
        rows.push(*id, trail, plans.record_of(*id).as_ref())?;
    }
    Ok(rows)
}

/// Rows of `audit_events` in PostgreSQL's binary `COPY` format: one statement per batch that
/// streams the bodies instead of binding them as one large array.
#[derive(Debug)]
struct EventRows {
    data: Vec<u8>,
}

impl Default for EventRows {
    fn default() -> Self {
        // Signature, flags, header extension length.
        let mut data = Vec::with_capacity(1 << 20);
        data.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        data.extend_from_slice(&[0; 8]);
        Self { data }
    }
}

impl EventRows {
    /// Adds a row: appraisal, position, stream sequence and the body as stored (as text:
    /// valid UTF-8, since the runtime read it as JSON; else as `report_of` reads it).
    fn push(&mut self, id: Uuid, position: i32, stream_seq: u64, body: &[u8]) -> Result<(), ProjectionError> {
        let text = std::str::from_utf8(body).map_or_else(|_| String::from_utf8_lossy(body), Cow::Borrowed);
        let length = i32::try_from(text.len()).map_err(|_| ProjectionError::TooLarge(format!("an event of {} bytes", text.len())))?;
        self.data.extend_from_slice(&4i16.to_be_bytes());
        for field in [id.as_bytes().as_slice(), &position.to_be_bytes(), &(stream_seq as i64).to_be_bytes()] {
            self.data.extend_from_slice(&(field.len() as i32).to_be_bytes());
            self.data.extend_from_slice(field);
        }
        self.data.extend_from_slice(&length.to_be_bytes());
        self.data.extend_from_slice(text.as_bytes());
        Ok(())
    }

    /// Starts one `COPY` and sends the rows; [`PgCopyIn::finish`] (or `abort`) must follow
    /// before the connection is used again.
    async fn send(mut self, tx: &mut PgConnection) -> Result<PgCopyIn<&mut PgConnection>, ProjectionError> {
        self.data.extend_from_slice(&(-1i16).to_be_bytes());
        let mut copy = tx.copy_in_raw("COPY audit_events (appraisal_id, position, stream_seq, body) FROM STDIN (FORMAT binary)").await?;
        match copy.send(self.data).await {
            Ok(_) => Ok(copy),
            Err(e) => {
                let _ = copy.abort(e.to_string()).await;
                Err(e.into())
            }
        }
    }
}

fn position(checked: u64) -> Result<i32, ProjectionError> {
    i32::try_from(checked).map_err(|_| ProjectionError::TooLarge(format!("an appraisal with {checked} events")))
}

/// The trails of `ids` as stored before the batch, in two statements (chain states, then
/// the bodies of the appraisals that have any); appraisals not seen yet start empty.
async fn read_trails<'a>(tx: &mut PgConnection, ids: &[Uuid]) -> Result<BTreeMap<Uuid, Trail<'a>>, ProjectionError> {
    let mut trails: BTreeMap<Uuid, Trail<'a>> = ids.iter().map(|id| (*id, Trail::default())).collect();
    let states: Vec<ChainStateRow> =
        sqlx::query_as("SELECT appraisal_id, chain_events, chain_head, chain_breaks::text FROM audit_reports WHERE appraisal_id = ANY($1)")
            .bind(ids)
            .fetch_all(&mut *tx)
            .await?;
    if states.is_empty() {
        return Ok(trails);
    }
    let known: Vec<Uuid> = states.iter().map(|s| s.0).collect();
    let stored: Vec<(Uuid, String)> = sqlx::query_as("SELECT appraisal_id, body FROM audit_events WHERE appraisal_id = ANY($1) ORDER BY appraisal_id, position")
        .bind(&known)
        .fetch_all(&mut *tx)
        .await?;
    let mut bodies: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    for (id, body) in stored {
        bodies.entry(id).or_default().push(body);
    }
    for (id, events, head, breaks) in states {
        let list = bodies.remove(&id).unwrap_or_default();
        trails.insert(id, Trail::read_back(&list, (events, head, breaks)));
    }
    Ok(trails)
}

/// The columns of `audit_reports`, one entry per appraisal.
#[derive(Debug, Default)]
struct ReportRows {
    ids: Vec<Uuid>,
    cycles: Vec<Option<Uuid>>,
    units: Vec<Option<String>>,
    raters: Vec<Option<String>>,
    valid: Vec<bool>,
    verdicts: Vec<&'static str>,
    findings: Vec<String>,
    reports: Vec<String>,
    chain_events: Vec<i32>,
    chain_heads: Vec<String>,
    chain_breaks: Vec<String>,
}

impl ReportRows {
    fn push(&mut self, id: Uuid, trail: &Trail<'_>, plan: Option<&PembinaanRecord>) -> Result<(), ProjectionError> {
        let envelopes: Vec<&Envelope> = trail.earlier.iter().chain(trail.fresh.iter().copied()).collect();
        let opened = envelopes.first().and_then(|e| match &e.event {
            Event::AppraisalOpened(o) => Some(o),
            _ => None,
        });
        self.ids.push(id);
        self.cycles.push(opened.map(|o| o.cycle_id));
        self.units.push(opened.map(|o| o.employee.unit.clone()));
        self.raters.push(opened.map(|o| o.rater.nip.to_string()));
        let report = ReportView::new(id, audit_refs(&envelopes, &trail.breaks).with_pembinaan(&envelopes, plan));
        self.valid.push(report.chain_valid);
        self.verdicts.push(report.verdict);
        self.findings.push(report.findings.join(","));
        self.reports.push(to_json(&report)?);
        self.chain_events.push(position(trail.verifier.checked())?);
        self.chain_heads.push(trail.verifier.head().to_owned());
        self.chain_breaks.push(to_json(&trail.breaks)?);
        Ok(())
    }

    /// Writes the rows (reports and chain states) in one statement.
    async fn write(self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        sqlx::query(
            "INSERT INTO audit_reports SELECT i, c, u, r, v, d, string_to_array(f, ','), j::jsonb, n, h, b::jsonb \
             FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bool[], $6::text[], $7::text[], $8::text[], $9::int[], $10::text[], $11::text[]) \
             AS t(i, c, u, r, v, d, f, j, n, h, b) \
             ON CONFLICT (appraisal_id) DO UPDATE SET cycle_id = EXCLUDED.cycle_id, unit = EXCLUDED.unit, rater_nip = EXCLUDED.rater_nip, \
             chain_valid = EXCLUDED.chain_valid, verdict = EXCLUDED.verdict, findings = EXCLUDED.findings, report = EXCLUDED.report, \
             chain_events = EXCLUDED.chain_events, chain_head = EXCLUDED.chain_head, chain_breaks = EXCLUDED.chain_breaks",
        )
        .bind(self.ids)
        .bind(self.cycles)
        .bind(self.units)
        .bind(self.raters)
        .bind(self.valid)
        .bind(self.verdicts)
        .bind(self.findings)
        .bind(self.reports)
        .bind(self.chain_events)
        .bind(self.chain_heads)
        .bind(self.chain_breaks)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

fn to_json(value: &impl Serialize) -> Result<String, ProjectionError> {
    Ok(serde_json::to_string(value)?)
}
