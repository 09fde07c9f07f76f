//! What the API asks of the read models: cycle progress (its summary, its units and raters
//! page by page, its live message), an employee's career, an
//! appraisal's audit report and a cycle's findings, each from the serving generation.

use crate::error::ProjectionError;
use crate::progress_pembinaan::PembinaanCounts;
use crate::store::{Generation, ReadStore};
use serde::Serialize;
use skp_domain::appraisal::Status;
use crate::progress_counters::ChangedUnits;
use crate::progress_counters::{self as counters, GroupRow};
use skp_domain::capaian::PatternWarning;
use skp_events::period::Capaian;
use skp_events::Predikat;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Scored appraisals a group needs before the SE MenPANRB 3/2023 curve is compared.
pub const CURVE_MIN_SCORED: i64 = skp_domain::capaian::CURVE_MIN_SCORED;

/// A departure from the SE MenPANRB 3/2023 pattern (`skp_domain::capaian`).
pub type CurveWarning = PatternWarning;

/// Progress of one group (a unit or a rater) with the distribution warnings.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GroupProgress {
    /// The unit's name, or the rater's NIP.
    pub key: String,
    /// The rater's name (for raters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Appraisals in the group.
    pub total: i64,
    /// Appraisals with a score.
    pub scored: i64,
    /// Scored appraisals by their current predikat.
    pub by_predikat: BTreeMap<&'static str, i64>,
    /// Where the distribution departs from the SE 3/2023 pattern of the unit's annual
    /// capaian (a warning, not a block).
    pub warnings: Vec<CurveWarning>,
    /// A unit's annual capaian (`baik` when none was set); absent for raters, who are held
    /// to the `baik` pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capaian: Option<Capaian>,
    /// For a unit: true when no annual capaian was set and `baik` is assumed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capaian_assumed: Option<bool>,
}

impl GroupProgress {
    /// A stored group as served; its warnings by the domain's rule (with their details).
    pub fn of(row: &GroupRow) -> Self {
        let unit = row.kind == counters::UNIT;
        let set = row.capaian.as_deref().and_then(Capaian::parse);
        GroupProgress {
            key: row.key.clone(),
            name: row.name.clone(),
            total: row.total,
            scored: row.by_predikat.iter().sum(),
            by_predikat: Predikat::ALL.into_iter().map(Predikat::as_str).zip(row.by_predikat.iter().copied()).collect(),
            warnings: row.computed_warnings(),
            capaian: unit.then(|| set.unwrap_or(Capaian::Baik)),
            capaian_assumed: unit.then_some(set.is_none()),
        }
    }
}

/// Overdue items.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Overdue {
    /// Plans not agreed by the cycle's plan due date.
    pub plans: i64,
    /// Objections undecided past the decision window.
    pub objections: i64,
    /// Pembinaan (issue 14): a low final predikat with no pembinaan plan more than 30 days
    /// after finalization, and open pembinaan plans past their due date without a review.
    pub pembinaan: i64,
}

/// How many units (or raters) a cycle has and how many carry pattern warnings.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct GroupCounts {
    /// Units (raters) with at least one appraisal.
    pub count: i64,
    /// Those with at least one warning.
    pub with_warnings: i64,
    /// Those with each warning code (codes with none left out).
    pub by_warning: BTreeMap<String, i64>,
}

/// `GET /v1/cycles/{id}/progress`: the cycle's summary, bounded whatever its size (the units
/// and raters are `GET /v1/cycles/{id}/units` and `/raters`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Progress {
    /// The cycle.
    pub cycle_id: Uuid,
    /// The cycle's organisation.
    pub organization: String,
    /// The cycle's year.
    pub year: i32,
    /// Appraisals in the cycle.
    pub total: i64,
    /// Appraisals by status (every status, zeros included).
    pub by_status: BTreeMap<&'static str, i64>,
    /// Scored appraisals by their current predikat (every predikat, zeros included).
    pub by_predikat: BTreeMap<&'static str, i64>,
    /// Overdue plans, objections and pembinaan.
    pub overdue: i64,
    /// The two kinds of overdue items.
    pub overdue_detail: Overdue,
    /// The units and how many carry warnings.
    pub units: GroupCounts,
    /// The raters and how many carry warnings.
    pub raters: GroupCounts,
    /// Pembinaan after a low final predikat, for the whole cycle (per unit:
    /// `GET /v1/cycles/{id}/pembinaan`).
    pub pembinaan: PembinaanCounts,
    /// The stream sequence the read model has reached.
    pub as_of_sequence: u64,
    /// The cycle's periodic evaluation: `none`, `monthly`, `quarterly` or `semester` (issue
    /// 12); a period's progress is `GET /v1/cycles/{id}/periods/{period}/progress`.
    pub period_kind: skp_events::period::PeriodKind,
}

/// A live message (`skp.live.cycle.<id>` and SSE `event: progress`): the summary and the
/// units that changed since the cycle's previous message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LiveProgress {
    /// The summary, as `GET /v1/cycles/{id}/progress` answers it.
    #[serde(flatten)]
    pub progress: Progress,
    /// The units whose counters changed, by name (at most
    /// [`crate::progress::LIVE_CHANGED_UNITS_MAX`]).
    pub changed_units: Vec<GroupProgress>,
    /// Whether more units changed than `changed_units` holds (reload the units' page).
    pub changed_units_truncated: bool,
}

/// `GET /v1/cycles/{id}/units` and `/raters`: one page, by key.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GroupPage {
    /// The cycle.
    pub cycle_id: Uuid,
    /// The page, from 1.
    pub page: i64,
    /// Groups per page.
    pub limit: i64,
    /// The groups that match (every page).
    pub total: i64,
    /// This page's groups, by key.
    pub items: Vec<GroupProgress>,
    /// The stream sequence the read model has reached.
    pub as_of_sequence: u64,
}

/// Progress of `cycle` in the serving generation; `None` for an unknown cycle.
///
/// # Errors
/// When the database fails.
pub async fn progress(store: &ReadStore, cycle: Uuid, now: OffsetDateTime) -> Result<Option<Progress>, ProjectionError> {
    let Some(generation) = store.active("progress").await? else { return Ok(None) };
    progress_at(store, &generation, cycle, now).await
}

/// Progress of `cycle` in `generation`, overdue counted against the system clock.
///
/// # Errors
/// When the database fails.
pub async fn progress_in(store: &ReadStore, generation: &Generation, cycle: Uuid) -> Result<Option<Progress>, ProjectionError> {
    progress_at(store, generation, cycle, OffsetDateTime::now_utc()).await
}

/// The live message of `cycle` in `generation` with the counters of `changed` units.
///
/// # Errors
/// When the database fails.
pub async fn live_progress(store: &ReadStore, generation: &Generation, cycle: Uuid, changed: &ChangedUnits) -> Result<Option<LiveProgress>, ProjectionError> {
    let Some(progress) = progress_in(store, generation, cycle).await? else { return Ok(None) };
    let keys: Vec<&str> = changed.units.iter().map(String::as_str).collect();
    let rows: Vec<GroupRow> = sqlx::query_as(&format!("SELECT * FROM {}.progress_groups WHERE cycle_id = $1 AND kind = 'unit' AND key = ANY($2) ORDER BY key", generation.schema))
        .bind(cycle)
        .bind(&keys)
        .fetch_all(store.pool())
        .await?;
    Ok(Some(LiveProgress { progress, changed_units: rows.iter().map(GroupProgress::of).collect(), changed_units_truncated: changed.truncated }))
}

/// The live message of `cycle` as it stands (no changed units): the first message of an SSE
/// stream.
///
/// # Errors
/// When the database fails.
pub async fn live_now(store: &ReadStore, cycle: Uuid, now: OffsetDateTime) -> Result<Option<LiveProgress>, ProjectionError> {
    Ok(progress(store, cycle, now).await?.map(|progress| LiveProgress { progress, changed_units: Vec::new(), changed_units_truncated: false }))
}

async fn progress_at(store: &ReadStore, generation: &Generation, cycle: Uuid, now: OffsetDateTime) -> Result<Option<Progress>, ProjectionError> {
    let schema = &generation.schema;
    let head: Option<(String, i32, String)> = sqlx::query_as(&format!("SELECT organization, year, period FROM {schema}.cycles WHERE cycle_id = $1"))
        .bind(cycle)
        .fetch_optional(store.pool())
        .await?;
    let Some((organization, year, period)) = head else { return Ok(None) };
    let totals: Option<GroupRow> = sqlx::query_as(&format!("SELECT * FROM {schema}.progress_groups WHERE cycle_id = $1 AND kind = 'cycle' AND key = ''"))
        .bind(cycle)
        .fetch_optional(store.pool())
        .await?;
    let (plans,): (i64,) = sqlx::query_as(&format!("SELECT COALESCE(sum(appraisals), 0)::bigint FROM {schema}.plan_due_counts WHERE cycle_id = $1 AND plan_due < $2"))
        .bind(cycle)
        .bind(now.date())
        .fetch_one(store.pool())
        .await?;
    let (objections,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {schema}.appraisals WHERE cycle_id = $1 AND status = 'objected' AND decision_due < $2"))
        .bind(cycle)
        .bind(now)
        .fetch_one(store.pool())
        .await?;
    let pembinaan = crate::progress_pembinaan::totals(store, generation, cycle, now.date()).await?;
    let overdue_detail = Overdue { plans, objections, pembinaan: pembinaan.overdue };
    let (units, raters) = group_counts(store, schema, cycle).await?;
    let totals = totals.unwrap_or_else(|| GroupRow { total: 0, by_status: vec![0; Status::ALL.len()], by_predikat: vec![0; Predikat::ALL.len()], ..GroupRow::default() });
    Ok(Some(Progress {
        cycle_id: cycle,
        organization,
        year,
        total: totals.total,
        by_status: Status::ALL.into_iter().map(Status::as_str).zip(totals.by_status.iter().copied()).collect(),
        by_predikat: Predikat::ALL.into_iter().map(Predikat::as_str).zip(totals.by_predikat.iter().copied()).collect(),
        overdue: overdue_detail.plans + overdue_detail.objections + overdue_detail.pembinaan,
        overdue_detail,
        units,
        raters,
        pembinaan,
        as_of_sequence: checkpoint_of(store, "progress", generation).await?,
        period_kind: skp_events::period::PeriodKind::parse(&period).unwrap_or_default(),
    }))
}

/// The unit and rater counts of `cycle`: a few rows per warning code.
async fn group_counts(store: &ReadStore, schema: &str, cycle: Uuid) -> Result<(GroupCounts, GroupCounts), ProjectionError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(&format!("SELECT kind, what, groups FROM {schema}.progress_group_counts WHERE cycle_id = $1"))
        .bind(cycle)
        .fetch_all(store.pool())
        .await?;
    let (mut units, mut raters) = (GroupCounts::default(), GroupCounts::default());
    for (kind, what, groups) in rows {
        let counts = if kind == counters::UNIT { &mut units } else { &mut raters };
        match what.as_str() {
            counters::ALL_GROUPS => counts.count = groups,
            counters::WITH_WARNINGS => counts.with_warnings = groups,
            code => {
                counts.by_warning.insert(code.to_owned(), groups);
            }
        }
    }
    Ok((units, raters))
}

/// Page `page` (from 1) of `limit` units or raters (`kind`: [`counters::UNIT`] or
/// [`counters::RATER`]) of `cycle`, by key, optionally only those with the warning `code`;
/// `None` for an unknown cycle.
///
/// # Errors
/// When the database fails.
pub async fn group_page(store: &ReadStore, cycle: Uuid, kind: &'static str, warning: Option<&str>, page: i64, limit: i64) -> Result<Option<GroupPage>, ProjectionError> {
    let Some(generation) = store.active("progress").await? else { return Ok(None) };
    let schema = &generation.schema;
    let known: Option<(i32,)> = sqlx::query_as(&format!("SELECT 1 FROM {schema}.cycles WHERE cycle_id = $1")).bind(cycle).fetch_optional(store.pool()).await?;
    if known.is_none() {
        return Ok(None);
    }
    let total: Option<(i64,)> = sqlx::query_as(&format!("SELECT groups FROM {schema}.progress_group_counts WHERE cycle_id = $1 AND kind = $2 AND what = $3"))
        .bind(cycle)
        .bind(kind)
        .bind(warning.unwrap_or(counters::ALL_GROUPS))
        .fetch_optional(store.pool())
        .await?;
    // A group whose warnings are not computed yet (an upgrade in place whose projector has
    // not started) is filtered by the rule on read.
    let rows: Vec<GroupRow> = sqlx::query_as(&format!(
        "SELECT * FROM {schema}.progress_groups WHERE cycle_id = $1 AND kind = $2 AND ($3::text IS NULL OR $3 = ANY(warnings) OR warnings IS NULL) \
         ORDER BY key LIMIT $4 OFFSET $5"
    ))
    .bind(cycle)
    .bind(kind)
    .bind(warning)
    .bind(limit)
    .bind((page - 1).saturating_mul(limit))
    .fetch_all(store.pool())
    .await?;
    let items = rows.iter().map(GroupProgress::of).filter(|g| warning.is_none_or(|code| g.warnings.iter().any(|w| w.code == code))).collect();
    Ok(Some(GroupPage { cycle_id: cycle, page, limit, total: total.map_or(0, |(t,)| t), items, as_of_sequence: checkpoint_of(store, "progress", &generation).await? }))
}

async fn checkpoint_of(store: &ReadStore, projection: &str, generation: &Generation) -> Result<u64, ProjectionError> {
    let sql = format!("SELECT last_seq FROM {}.projection_state WHERE projection = $1 AND generation = $2", store.base());
    let (seq,): (i64,) = sqlx::query_as(&sql).bind(projection).bind(generation.number).fetch_one(store.pool()).await?;
    Ok(seq as u64)
}

/// One year of an employee's career as served.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CareerYear {
    /// The appraisal year.
    pub year: i32,
    /// The final predikat.
    pub predikat: Predikat,
    /// When it became final.
    #[serde(with = "time::serde::rfc3339")]
    pub finalized_at: OffsetDateTime,
    /// Share of the yearly angka kredit (Peraturan BKN 3/2023).
    pub angka_kredit_percent: u32,
}

/// One eligibility answer with its reasons.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Eligibility {
    /// Whether the employee meets the rule.
    pub eligible: bool,
    /// Why, naming years and predikat.
    pub reasons: Vec<String>,
    /// The years it rests on.
    pub years: Vec<i32>,
}

/// A raised flag.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Flag {
    /// `improvement_plan` or `misconduct_review`.
    pub flag: &'static str,
    /// Why.
    pub reason: String,
    /// The year that raised it.
    pub year: i32,
}

/// `GET /v1/employees/{nip}/career`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Career {
    /// The employee.
    pub nip: String,
    /// The final predikat per year, oldest first.
    pub history: Vec<CareerYear>,
    /// Each rule of docs/domain.md's career table, by name.
    pub eligibility: BTreeMap<&'static str, Eligibility>,
    /// The flags raised by the latest year.
    pub flags: Vec<Flag>,
    /// The development plan after the latest final appraisal and its status today (issue 14).
    pub development: crate::career_development::CareerDevelopment,
    /// The periodic history: the standing predikat of every evaluated period, oldest first.
    pub periods: Vec<CareerPeriod>,
    /// The stream sequence the read model has reached.
    pub as_of_sequence: u64,
}

/// One period of an employee's periodic history.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct CareerPeriod {
    /// The period id, e.g. `2026-03`.
    pub period: String,
    /// The predikat that stands (after any correction).
    pub predikat: String,
    /// Whether it was corrected.
    pub corrected: bool,
    /// When the standing evaluation (or correction) was recorded.
    #[serde(with = "time::serde::rfc3339")]
    pub evaluated_at: OffsetDateTime,
    /// The appraisal it belongs to.
    pub appraisal_id: Uuid,
}

/// The career of `nip` (an empty history when nothing is final yet), its development plan's
/// status as on `today`.
///
/// # Errors
/// When the database fails.
pub async fn career(store: &ReadStore, nip: &str, today: time::Date) -> Result<Career, ProjectionError> {
    use skp_domain::career::{assess, YearResult};
    let generation = store.active("career").await?;
    let rows: Vec<(i32, String, OffsetDateTime)> = match &generation {
        Some(g) => sqlx::query_as(&format!("SELECT year, predikat, finalized_at FROM {}.final_results WHERE employee_nip = $1", g.schema))
            .bind(nip)
            .fetch_all(store.pool())
            .await?,
        None => Vec::new(),
    };
    let results: Vec<YearResult> = rows
        .into_iter()
        .filter_map(|(year, p, finalized_at)| Predikat::ALL.into_iter().find(|k| k.as_str() == p).map(|predikat| YearResult { year, predikat, finalized_at }))
        .collect();
    let assessment = assess(&results);
    let development = match &generation {
        Some(g) => crate::career_development::development_of(store, g, nip, today).await?,
        None => crate::career_development::development_of_nothing(),
    };
    Ok(Career {
        nip: nip.to_owned(),
        history: assessment
            .history
            .iter()
            .map(|h| CareerYear { year: h.year, predikat: h.predikat, finalized_at: h.finalized_at, angka_kredit_percent: h.angka_kredit_percent })
            .collect(),
        eligibility: assessment.eligibility.into_iter().map(|r| (r.rule, Eligibility { eligible: r.eligible, reasons: r.reasons, years: r.years })).collect(),
        flags: assessment.flags.into_iter().map(|f| Flag { flag: f.flag, reason: f.reason, year: f.year }).collect(),
        development,
        periods: match &generation {
            Some(g) => sqlx::query_as(&format!(
                "SELECT period, predikat, corrected, evaluated_at, appraisal_id FROM {}.period_results WHERE employee_nip = $1 ORDER BY period",
                g.schema
            ))
            .bind(nip)
            .fetch_all(store.pool())
            .await?,
            None => Vec::new(),
        },
        as_of_sequence: generation.map_or(0, |g| g.last_seq),
    })
}

/// The stored audit report of an appraisal.
///
/// # Errors
/// When the database fails.
pub async fn audit_report(store: &ReadStore, appraisal: Uuid) -> Result<Option<serde_json::Value>, ProjectionError> {
    let Some(g) = store.active("audit").await? else { return Ok(None) };
    let row: Option<(serde_json::Value,)> = sqlx::query_as(&format!("SELECT report FROM {}.audit_reports WHERE appraisal_id = $1", g.schema))
        .bind(appraisal)
        .fetch_optional(store.pool())
        .await?;
    let Some((mut report,)) = row else { return Ok(None) };
    if report["checks"].as_array().map_or(0, Vec::len) != skp_domain::audit::CHECKS.len() {
        // Stored by a version with fewer checks (before check 7, issue 12) and not touched
        // since: the report is recomputed from the stored envelopes, as a rebuild would.
        let bodies: Vec<(String,)> = sqlx::query_as(&format!("SELECT body FROM {}.audit_events WHERE appraisal_id = $1 ORDER BY position", g.schema))
            .bind(appraisal)
            .fetch_all(store.pool())
            .await?;
        let bodies: Vec<String> = bodies.into_iter().map(|(b,)| b).collect();
        report = serde_json::to_value(crate::audit::report_of(appraisal, &bodies))?;
    }
    report["as_of_sequence"] = serde_json::json!(g.last_seq);
    Ok(Some(report))
}

/// An appraisal with findings.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct Finding {
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// The employee's unit.
    pub unit: Option<String>,
    /// The rater.
    pub rater_nip: Option<String>,
    /// Whether the chain is intact.
    pub chain_valid: bool,
    /// The failed checks.
    pub findings: Vec<String>,
}

/// Page `page` (from 1) of `limit` appraisals of a cycle whose audit has findings, by unit,
/// rater and id, with how many there are in all.
///
/// # Errors
/// When the database fails.
pub async fn cycle_findings(store: &ReadStore, cycle: Uuid, page: i64, limit: i64) -> Result<(Vec<Finding>, i64), ProjectionError> {
    let Some(g) = store.active("audit").await? else { return Ok((Vec::new(), 0)) };
    let sql = format!(
        "SELECT appraisal_id, unit, rater_nip, chain_valid, findings FROM {}.audit_reports \
         WHERE cycle_id = $1 AND verdict <> 'fair' ORDER BY unit, rater_nip, appraisal_id LIMIT $2 OFFSET $3",
        g.schema
    );
    let rows = sqlx::query_as(&sql).bind(cycle).bind(limit).bind((page - 1).saturating_mul(limit)).fetch_all(store.pool()).await?;
    let count = format!("SELECT count(*) FROM {}.audit_reports WHERE cycle_id = $1 AND verdict <> 'fair'", g.schema);
    let (total,): (i64,) = sqlx::query_as(&count).bind(cycle).fetch_one(store.pool()).await?;
    Ok((rows, total))
}

/// A cycle, as `GET /v1/cycles` lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct CycleSummary {
    /// The cycle.
    pub cycle_id: Uuid,
    /// Its organisation.
    pub organization: String,
    /// Its year.
    pub year: i32,
    /// Appraisals opened in it.
    pub total: i64,
}

/// Every cycle, newest year first.
///
/// # Errors
/// When the database fails.
pub async fn cycles(store: &ReadStore) -> Result<Vec<CycleSummary>, ProjectionError> {
    let Some(g) = store.active("progress").await? else { return Ok(Vec::new()) };
    let schema = &g.schema;
    let rows = sqlx::query_as(&format!(
        "SELECT c.cycle_id, c.organization, c.year, COALESCE(g.total, 0) AS total
         FROM {schema}.cycles c LEFT JOIN {schema}.progress_groups g ON g.cycle_id = c.cycle_id AND g.kind = 'cycle' AND g.key = ''
         ORDER BY c.year DESC, c.organization, c.cycle_id"
    ))
    .fetch_all(store.pool())
    .await?;
    Ok(rows)
}

/// An appraisal of a cycle, as the dashboard lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, sqlx::FromRow)]
pub struct AppraisalRow {
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// The employee.
    pub employee_nip: String,
    /// The employee's name.
    pub employee_name: String,
    /// The employee's unit.
    pub unit: String,
    /// The rater's name.
    pub rater_name: String,
    /// The current status.
    pub status: String,
    /// The current predikat, once scored.
    pub predikat: Option<String>,
}

/// The appraisals of `cycle`, optionally of one status, by unit and name; at most `limit`.
///
/// # Errors
/// When the database fails.
pub async fn cycle_appraisals(store: &ReadStore, cycle: Uuid, status: Option<Status>, limit: i64) -> Result<Vec<AppraisalRow>, ProjectionError> {
    let Some(g) = store.active("progress").await? else { return Ok(Vec::new()) };
    let schema = &g.schema;
    let rows = sqlx::query_as(&format!(
        "SELECT appraisal_id, employee_nip, employee_name, unit, rater_name, status, predikat FROM {schema}.appraisals
         WHERE cycle_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY unit, employee_name, appraisal_id LIMIT $3"
    ))
    .bind(cycle)
    .bind(status.map(Status::as_str))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok(rows)
}
