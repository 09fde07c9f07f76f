//! What the audit projection keeps of development plans (issue 14): for each plan, the events
//! the audit of its appraisal names (`DevelopmentPlanOpened`, `ImprovementReviewed`,
//! `FollowUpDecided`), so that the appraisal's report carries whether pembinaan followed a low
//! final predikat (information, never a finding) and is recomputed when the plan changes.

use crate::error::ProjectionError;
use serde::de::DeserializeOwned;
use skp_domain::audit::pembinaan::PlanEvent;
use skp_domain::audit::PembinaanRecord;
use skp_events::{Envelope, Event};
use sqlx::PgConnection;
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// One plan's row in `audit_pembinaan`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordRow {
    /// The plan.
    pub plan_id: Uuid,
    /// Its appraisal.
    pub appraisal_id: Uuid,
    /// `pembinaan` or `pengembangan`.
    pub kind: String,
    /// Its due date.
    pub due: Date,
    /// `DevelopmentPlanOpened`.
    pub opened_event: Uuid,
    /// When.
    pub opened_at: OffsetDateTime,
    /// `improved` or `not_improved`.
    pub outcome: Option<String>,
    /// `ImprovementReviewed`.
    pub reviewed_event: Option<Uuid>,
    /// When.
    pub reviewed_at: Option<OffsetDateTime>,
    /// The follow-up's measure.
    pub measure: Option<String>,
    /// `FollowUpDecided`.
    pub decided_event: Option<Uuid>,
    /// When.
    pub decided_at: Option<OffsetDateTime>,
}

fn wire<T: DeserializeOwned>(raw: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned())).ok()
}

impl RecordRow {
    /// The record the domain's audit reads.
    pub fn record(&self) -> Option<PembinaanRecord> {
        let event = |id: Option<Uuid>, at: Option<OffsetDateTime>| id.zip(at).map(|(event_id, at)| PlanEvent { event_id, at });
        Some(PembinaanRecord {
            plan_id: self.plan_id,
            kind: wire(&self.kind)?,
            due: self.due,
            opened: PlanEvent { event_id: self.opened_event, at: self.opened_at },
            review: self.outcome.as_deref().and_then(wire).zip(event(self.reviewed_event, self.reviewed_at)),
            follow_up: self.measure.as_deref().and_then(wire).zip(event(self.decided_event, self.decided_at)),
        })
    }

    /// The row after one event of its plan (`None` before the opening).
    pub fn apply(row: Option<Self>, e: &Envelope) -> Option<Self> {
        match (&e.event, row) {
            (Event::DevelopmentPlanOpened(o), None) => Some(Self {
                plan_id: e.aggregate_id,
                appraisal_id: o.appraisal_id,
                kind: o.kind.as_str().to_owned(),
                due: o.due,
                opened_event: e.event_id,
                opened_at: e.occurred_at,
                outcome: None,
                reviewed_event: None,
                reviewed_at: None,
                measure: None,
                decided_event: None,
                decided_at: None,
            }),
            (Event::ImprovementReviewed(r), Some(row)) => {
                Some(Self { outcome: Some(r.outcome.as_str().to_owned()), reviewed_event: Some(e.event_id), reviewed_at: Some(e.occurred_at), ..row })
            }
            (Event::FollowUpDecided(f), Some(row)) => {
                Some(Self { measure: Some(f.measure.as_str().to_owned()), decided_event: Some(e.event_id), decided_at: Some(e.occurred_at), ..row })
            }
            (_, row) => row,
        }
    }
}

/// The plan rows a batch reads and changes.
#[derive(Debug, Default)]
pub struct Records {
    by_plan: BTreeMap<Uuid, RecordRow>,
    changed: BTreeSet<Uuid>,
}

impl Records {
    /// Reads the rows of the plans of `events` (development events), applies the events and
    /// notes which rows changed.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn applied(tx: &mut PgConnection, events: &[&Envelope]) -> Result<Self, ProjectionError> {
        let ids: Vec<Uuid> = events.iter().map(|e| e.aggregate_id).collect::<BTreeSet<_>>().into_iter().collect();
        let mut records = Self::default();
        records.read(tx, "plan_id", &ids).await?;
        for e in events {
            let before = records.by_plan.remove(&e.aggregate_id);
            let after = RecordRow::apply(before.clone(), e);
            if after != before {
                records.changed.insert(e.aggregate_id);
            }
            if let Some(row) = after {
                records.by_plan.insert(e.aggregate_id, row);
            }
        }
        Ok(records)
    }

    async fn read(&mut self, tx: &mut PgConnection, column: &str, ids: &[Uuid]) -> Result<(), ProjectionError> {
        if ids.is_empty() {
            return Ok(());
        }
        let rows: Vec<RecordRow> = sqlx::query_as(&format!("SELECT * FROM audit_pembinaan WHERE {column} = ANY($1)")).bind(ids).fetch_all(&mut *tx).await?;
        for row in rows {
            self.by_plan.entry(row.plan_id).or_insert(row);
        }
        Ok(())
    }

    /// Reads the rows of the plans of `appraisals` not read yet.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn read_for_appraisals(&mut self, tx: &mut PgConnection, appraisals: &[Uuid]) -> Result<(), ProjectionError> {
        let known: BTreeSet<Uuid> = self.by_plan.values().map(|r| r.appraisal_id).collect();
        let missing: Vec<Uuid> = appraisals.iter().copied().filter(|a| !known.contains(a)).collect();
        self.read(tx, "appraisal_id", &missing).await
    }

    /// The appraisals whose plan changed in this batch.
    pub fn changed_appraisals(&self) -> BTreeSet<Uuid> {
        self.changed.iter().filter_map(|id| self.by_plan.get(id)).map(|r| r.appraisal_id).collect()
    }

    /// The record of `appraisal`'s plan, if it has one.
    pub fn record_of(&self, appraisal: Uuid) -> Option<PembinaanRecord> {
        self.by_plan.values().find(|r| r.appraisal_id == appraisal).and_then(RecordRow::record)
    }

    /// Writes the rows that changed, in one statement.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn write(&self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        let rows: Vec<&RecordRow> = self.changed.iter().filter_map(|id| self.by_plan.get(id)).collect();
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO audit_pembinaan SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::date[], $5::uuid[], $6::timestamptz[], \
             $7::text[], $8::uuid[], $9::timestamptz[], $10::text[], $11::uuid[], $12::timestamptz[]) \
             ON CONFLICT (plan_id) DO UPDATE SET outcome = EXCLUDED.outcome, reviewed_event = EXCLUDED.reviewed_event, reviewed_at = EXCLUDED.reviewed_at, \
             measure = EXCLUDED.measure, decided_event = EXCLUDED.decided_event, decided_at = EXCLUDED.decided_at",
        )
        .bind(rows.iter().map(|r| r.plan_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.appraisal_id).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.due).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.opened_event).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.opened_at).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.outcome.as_deref()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.reviewed_event).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.reviewed_at).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.measure.as_deref()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.decided_event).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.decided_at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skp_domain::development::testing::{followed_up, pembinaan_opened, plan_given, reviewed};
    use skp_events::development::{FollowUpMeasure, ImprovementOutcome};

    #[test]
    fn the_row_folds_the_plans_events_into_the_record_the_domain_reads() {
        let plan = plan_given(vec![pembinaan_opened(), reviewed(ImprovementOutcome::NotImproved), followed_up(FollowUpMeasure::Mutasi)]);
        let row = plan.envelopes.iter().fold(None, RecordRow::apply).expect("opened");
        assert_eq!(row.record(), PembinaanRecord::of(&plan.state));
        let opened_only = RecordRow::apply(None, &plan.envelopes[0]).expect("opened");
        assert_eq!(opened_only.record(), PembinaanRecord::of(&plan_given(vec![pembinaan_opened()]).state));
        assert_eq!(RecordRow::apply(None, &plan.envelopes[1]), None, "nothing before the opening");
    }
}
