//! Development plans in the career read model (issue 14): each plan of an employee, by the
//! final appraisal it follows, so that the career answer shows the plan of the latest year
//! and its status on the day asked (`none`, `open`, `overdue`, `improved`, `not_improved`;
//! the rule is the domain's `skp_domain::development::deadline::career_status`).

use crate::error::ProjectionError;
use crate::store::{Generation, ReadStore};
use serde::Serialize;
use skp_domain::development::deadline::{career_status, requires_pembinaan, PlanSummary};
use skp_events::development::{DevelopmentKind, ImprovementOutcome};
use skp_events::{Envelope, Event, Predikat};
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// What a batch changes in `development_plans`: plans opened, then reviews and follow-ups
/// (applied after the openings, so one batch may hold a plan's whole story).
#[derive(Debug, Default)]
pub struct PlanChanges {
    opened: Vec<Opened>,
    reviewed: Vec<(Uuid, &'static str, OffsetDateTime)>,
    followed_up: Vec<(Uuid, &'static str, OffsetDateTime)>,
}

#[derive(Debug)]
struct Opened {
    plan_id: Uuid,
    appraisal_id: Uuid,
    nip: String,
    year: i32,
    kind: &'static str,
    due: Date,
    at: OffsetDateTime,
}

impl PlanChanges {
    /// Notes one event of a development plan.
    pub fn push(&mut self, e: &Envelope) {
        match &e.event {
            Event::DevelopmentPlanOpened(o) => self.opened.push(Opened {
                plan_id: e.aggregate_id,
                appraisal_id: o.appraisal_id,
                nip: o.employee.nip.to_string(),
                year: o.year,
                kind: o.kind.as_str(),
                due: o.due,
                at: e.occurred_at,
            }),
            Event::ImprovementReviewed(r) => self.reviewed.push((e.aggregate_id, r.outcome.as_str(), e.occurred_at)),
            Event::FollowUpDecided(f) => self.followed_up.push((e.aggregate_id, f.measure.as_str(), e.occurred_at)),
            _ => {}
        }
    }

    /// Writes the changes: at most three statements.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn write(&self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        if !self.opened.is_empty() {
            let o = &self.opened;
            sqlx::query(
                "INSERT INTO development_plans (plan_id, appraisal_id, employee_nip, year, kind, due, opened_at) \
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::text[], $6::date[], $7::timestamptz[]) ON CONFLICT DO NOTHING",
            )
            .bind(o.iter().map(|p| p.plan_id).collect::<Vec<_>>())
            .bind(o.iter().map(|p| p.appraisal_id).collect::<Vec<_>>())
            .bind(o.iter().map(|p| p.nip.as_str()).collect::<Vec<_>>())
            .bind(o.iter().map(|p| p.year).collect::<Vec<_>>())
            .bind(o.iter().map(|p| p.kind).collect::<Vec<_>>())
            .bind(o.iter().map(|p| p.due).collect::<Vec<_>>())
            .bind(o.iter().map(|p| p.at).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        let update = |column: &str, at: &str| {
            format!("UPDATE development_plans p SET {column} = t.v, {at} = t.at FROM UNNEST($1::uuid[], $2::text[], $3::timestamptz[]) AS t(id, v, at) WHERE p.plan_id = t.id")
        };
        for (changes, column, at) in [(&self.reviewed, "outcome", "reviewed_at"), (&self.followed_up, "follow_up", "followed_up_at")] {
            if changes.is_empty() {
                continue;
            }
            sqlx::query(&update(column, at))
                .bind(changes.iter().map(|c| c.0).collect::<Vec<_>>())
                .bind(changes.iter().map(|c| c.1).collect::<Vec<_>>())
                .bind(changes.iter().map(|c| c.2).collect::<Vec<_>>())
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
    }
}

/// The career answer's `development`: the plan that follows the employee's latest final
/// appraisal, and its status on the day asked.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CareerDevelopment {
    /// `none`, `open`, `overdue`, `improved` or `not_improved`.
    pub status: &'static str,
    /// The plan, `null` when there is none.
    pub plan_id: Option<Uuid>,
    /// The latest final appraisal, `null` with no final result.
    pub appraisal_id: Option<Uuid>,
    /// Its year.
    pub year: Option<i32>,
    /// `pembinaan` or `pengembangan`, once a plan is open.
    pub kind: Option<&'static str>,
    /// The plan's due date.
    pub due: Option<Date>,
    /// Whether the latest predikat calls for pembinaan.
    pub pembinaan_required: bool,
    /// Whether something is overdue: an open plan past its due date, or a low predikat still
    /// without a plan more than 30 days after finalization.
    pub overdue: bool,
    /// The follow-up recorded after `not_improved`.
    pub follow_up: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Latest {
    appraisal_id: Uuid,
    year: i32,
    predikat: String,
    finalized_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    plan_id: Uuid,
    kind: String,
    due: Date,
    outcome: Option<String>,
    follow_up: Option<String>,
}

fn predikat_of(raw: &str) -> Option<Predikat> {
    Predikat::ALL.into_iter().find(|p| p.as_str() == raw)
}

/// The `development` of an employee with no final result: no plan.
pub fn development_of_nothing() -> CareerDevelopment {
    CareerDevelopment { status: "none", plan_id: None, appraisal_id: None, year: None, kind: None, due: None, pembinaan_required: false, overdue: false, follow_up: None }
}

/// The `development` of the career of `nip` on `today`, from `generation` of the career
/// projection.
///
/// # Errors
/// When the database fails.
pub async fn development_of(store: &ReadStore, generation: &Generation, nip: &str, today: Date) -> Result<CareerDevelopment, ProjectionError> {
    let schema = &generation.schema;
    let none = development_of_nothing();
    let latest: Option<Latest> = sqlx::query_as(&format!("SELECT appraisal_id, year, predikat, finalized_at FROM {schema}.final_results WHERE employee_nip = $1 ORDER BY year DESC LIMIT 1"))
        .bind(nip)
        .fetch_optional(store.pool())
        .await?;
    let Some((latest, predikat)) = latest.and_then(|l| predikat_of(&l.predikat).map(|p| (l, p))) else { return Ok(none) };
    let plan: Option<PlanRow> = sqlx::query_as(&format!("SELECT plan_id, kind, due, outcome, follow_up FROM {schema}.development_plans WHERE appraisal_id = $1"))
        .bind(latest.appraisal_id)
        .fetch_optional(store.pool())
        .await?;
    let summary = plan.as_ref().map(|p| PlanSummary {
        kind: if p.kind == "pembinaan" { DevelopmentKind::Pembinaan } else { DevelopmentKind::Pengembangan },
        due: p.due,
        outcome: p.outcome.as_deref().map(|o| if o == "improved" { ImprovementOutcome::Improved } else { ImprovementOutcome::NotImproved }),
    });
    let (status, overdue) = career_status(predikat, latest.finalized_at.date(), summary, today);
    Ok(CareerDevelopment {
        status: status.as_str(),
        plan_id: plan.as_ref().map(|p| p.plan_id),
        appraisal_id: Some(latest.appraisal_id),
        year: Some(latest.year),
        kind: summary.map(|s| s.kind.as_str()),
        due: summary.map(|s| s.due),
        pembinaan_required: requires_pembinaan(predikat),
        overdue,
        follow_up: plan.and_then(|p| p.follow_up),
    })
}
