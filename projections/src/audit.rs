//! Audit and fairness (DOMAIN.md): every envelope as stored, in stored order, and the report
//! recomputed from them by the domain's audit rules whenever an appraisal changes. The chain
//! is re-checked on the exact stored text, so a tampered or reordered event shows.

use crate::event::StoredEvent;
use crate::runtime::{Projection, ProjectionError};
use futures::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;
use skp_domain::audit::{audit, AuditReport, Verdict};
use skp_events::chain::verify_chain;
use skp_events::{AggregateType, Envelope, Event};
use sqlx::PgConnection;
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
    /// The six checks of DOMAIN.md.
    pub checks: Vec<CheckView>,
    /// `fair` or `findings`.
    pub verdict: &'static str,
    /// The failed checks.
    pub findings: Vec<&'static str>,
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
        }
    }
}

/// The report of an appraisal from its stored bodies in order. Undecodable bodies break the
/// chain check and are left out of the other checks.
pub fn report_of(appraisal_id: Uuid, bodies: &[String]) -> ReportView {
    let values: Vec<Value> = bodies.iter().map(|b| serde_json::from_str(b).unwrap_or(Value::Null)).collect();
    let breaks = verify_chain(&values);
    let envelopes: Vec<Envelope> = values.into_iter().filter_map(|v| Envelope::from_value(v).ok()).collect();
    ReportView::new(appraisal_id, audit(&envelopes, &breaks))
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

async fn apply_batch(tx: &mut PgConnection, events: &[StoredEvent]) -> Result<Vec<Uuid>, ProjectionError> {
    let appraisal_events: Vec<&StoredEvent> = events.iter().filter(|e| e.envelope.aggregate_type == AggregateType::Appraisal).collect();
    if appraisal_events.is_empty() {
        return Ok(Vec::new());
    }
    // Every envelope already stored for the appraisals of this batch, in one statement.
    let ids: Vec<Uuid> = appraisal_events.iter().map(|e| e.envelope.aggregate_id).collect::<BTreeSet<_>>().into_iter().collect();
    let mut bodies: BTreeMap<Uuid, Vec<String>> = ids.iter().map(|id| (*id, Vec::new())).collect();
    let stored: Vec<(Uuid, String)> = sqlx::query_as("SELECT appraisal_id, body FROM audit_events WHERE appraisal_id = ANY($1) ORDER BY appraisal_id, position")
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
    for (id, body) in stored {
        bodies.entry(id).or_default().push(body);
    }
    let (mut rows_id, mut rows_pos, mut rows_seq, mut rows_body) = (vec![], vec![], vec![], vec![]);
    for stored in &appraisal_events {
        let list = bodies.entry(stored.envelope.aggregate_id).or_default();
        let body = String::from_utf8_lossy(&stored.body).into_owned();
        rows_id.push(stored.envelope.aggregate_id);
        rows_pos.push(list.len() as i32 + 1);
        rows_seq.push(stored.stream_seq as i64);
        rows_body.push(body.clone());
        list.push(body);
    }
    sqlx::query("INSERT INTO audit_events SELECT * FROM UNNEST($1::uuid[], $2::int[], $3::bigint[], $4::text[])")
        .bind(rows_id)
        .bind(rows_pos)
        .bind(rows_seq)
        .bind(rows_body)
        .execute(&mut *tx)
        .await?;
    write_reports(tx, &bodies).await?;
    Ok(Vec::new())
}

/// Recomputes the report of every appraisal in `bodies` and writes them in one statement.
async fn write_reports(tx: &mut PgConnection, bodies: &BTreeMap<Uuid, Vec<String>>) -> Result<(), ProjectionError> {
    let (mut ids, mut cycles, mut units, mut raters, mut valid, mut verdicts, mut findings, mut reports) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for (id, list) in bodies {
        let opened = list.first().and_then(|b| Envelope::decode(b.as_bytes()).ok()).and_then(|e| match e.event {
            Event::AppraisalOpened(o) => Some(o),
            _ => None,
        });
        let report = report_of(*id, list);
        ids.push(*id);
        cycles.push(opened.as_ref().map(|o| o.cycle_id));
        units.push(opened.as_ref().map(|o| o.employee.unit.clone()));
        raters.push(opened.as_ref().map(|o| o.rater.nip.to_string()));
        valid.push(report.chain_valid);
        verdicts.push(report.verdict);
        findings.push(report.findings.join(","));
        reports.push(serde_json::to_value(&report).map_err(|e| ProjectionError::Config(e.to_string()))?);
    }
    sqlx::query(
        "INSERT INTO audit_reports SELECT i, c, u, r, v, d, string_to_array(f, ','), j \
         FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::bool[], $6::text[], $7::text[], $8::jsonb[]) AS t(i, c, u, r, v, d, f, j) \
         ON CONFLICT (appraisal_id) DO UPDATE SET cycle_id = EXCLUDED.cycle_id, unit = EXCLUDED.unit, rater_nip = EXCLUDED.rater_nip, \
         chain_valid = EXCLUDED.chain_valid, verdict = EXCLUDED.verdict, findings = EXCLUDED.findings, report = EXCLUDED.report",
    )
    .bind(ids)
    .bind(cycles)
    .bind(units)
    .bind(raters)
    .bind(valid)
    .bind(verdicts)
    .bind(findings)
    .bind(reports)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
