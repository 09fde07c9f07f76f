//! What the API asks of the read models: cycle progress, an employee's career, an
//! appraisal's audit report and a cycle's findings, each from the serving generation.

use crate::error::ProjectionError;
use crate::progress_pembinaan::PembinaanCounts;
use crate::store::{Generation, ReadStore};
use serde::Serialize;
use skp_domain::appraisal::Status;
use skp_domain::capaian::{pattern_warnings, Distribution, PatternWarning};
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

/// `GET /v1/cycles/{id}/progress`.
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
    /// Per unit.
    pub by_unit: Vec<GroupProgress>,
    /// Per rater.
    pub by_rater: Vec<GroupProgress>,
    /// Pembinaan after a low final predikat, for the whole cycle (per unit:
    /// `GET /v1/cycles/{id}/pembinaan`).
    pub pembinaan: PembinaanCounts,
    /// The stream sequence the read model has reached.
    pub as_of_sequence: u64,
    /// The cycle's periodic evaluation: `none`, `monthly`, `quarterly` or `semester` (issue
    /// 12); a period's progress is `GET /v1/cycles/{id}/periods/{period}/progress`.
    pub period_kind: skp_events::period::PeriodKind,
}

fn zeros<T: Copy>(keys: impl IntoIterator<Item = T>, name: fn(T) -> &'static str) -> BTreeMap<&'static str, i64> {
    keys.into_iter().map(|k| (name(k), 0)).collect()
}

fn predikat_name(raw: &str) -> Option<&'static str> {
    Predikat::ALL.into_iter().map(Predikat::as_str).find(|p| *p == raw)
}


#[derive(sqlx::FromRow)]
struct Cell {
    unit: String,
    rater_nip: String,
    rater_name: String,
    status: String,
    predikat: Option<String>,
    count: i64,
    overdue_plans: i64,
    overdue_objections: i64,
}

fn group<'a>(groups: &'a mut BTreeMap<String, GroupProgress>, key: &str, name: Option<&str>) -> &'a mut GroupProgress {
    groups.entry(key.to_owned()).or_insert_with(|| GroupProgress {
        key: key.to_owned(),
        name: name.map(str::to_owned),
        total: 0,
        scored: 0,
        by_predikat: zeros(Predikat::ALL, Predikat::as_str),
        warnings: Vec::new(),
        capaian: None,
        capaian_assumed: None,
    })
}

fn count_into(group: &mut GroupProgress, cell: &Cell) {
    group.total += cell.count;
    if let Some(p) = cell.predikat.as_deref().and_then(predikat_name) {
        group.scored += cell.count;
        *group.by_predikat.entry(p).or_default() += cell.count;
    }
}

/// The SE MenPANRB 3/2023 pattern of `capaian` (`skp_domain::capaian::pattern_warnings`)
/// applied to a group's scored appraisals: for `baik`, at most 70% `baik` and some
/// `butuh_perbaikan` or `kurang` (`sangat_kurang` does not count). Compared from
/// [`CURVE_MIN_SCORED`] scored appraisals on.
pub fn curve_warnings(group: &GroupProgress, capaian: Capaian) -> Vec<CurveWarning> {
    let count = |p: Predikat| group.by_predikat.get(p.as_str()).copied().unwrap_or(0);
    pattern_warnings(capaian, &Distribution::of(Predikat::ALL.map(|p| (p, count(p)))))
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

async fn progress_at(store: &ReadStore, generation: &Generation, cycle: Uuid, now: OffsetDateTime) -> Result<Option<Progress>, ProjectionError> {
    let schema = &generation.schema;
    let head: Option<(String, i32, String)> = sqlx::query_as(&format!("SELECT organization, year, period FROM {schema}.cycles WHERE cycle_id = $1"))
        .bind(cycle)
        .fetch_optional(store.pool())
        .await?;
    let Some((organization, year, period)) = head else { return Ok(None) };
    let sql = format!(
        "SELECT unit, rater_nip, rater_name, status, predikat, count(*) AS count, \
           count(*) FILTER (WHERE status IN ('opened','plan_drafted','plan_submitted','plan_returned') AND plan_due < $2::date) AS overdue_plans, \
           count(*) FILTER (WHERE status = 'objected' AND decision_due < $3) AS overdue_objections \
         FROM {schema}.appraisals WHERE cycle_id = $1 GROUP BY 1, 2, 3, 4, 5"
    );
    let cells: Vec<Cell> = sqlx::query_as(&sql).bind(cycle).bind(now.date()).bind(now).fetch_all(store.pool()).await?;
    let mut progress = Progress {
        cycle_id: cycle,
        organization,
        year,
        total: 0,
        by_status: zeros(Status::ALL, Status::as_str),
        by_predikat: zeros(Predikat::ALL, Predikat::as_str),
        overdue: 0,
        overdue_detail: Overdue::default(),
        by_unit: Vec::new(),
        by_rater: Vec::new(),
        pembinaan: crate::progress_pembinaan::totals(store, generation, cycle, now.date()).await?,
        as_of_sequence: checkpoint_of(store, "progress", generation).await?,
        period_kind: skp_events::period::PeriodKind::parse(&period).unwrap_or_default(),
    };
    progress.overdue_detail.pembinaan = progress.pembinaan.overdue;
    let (mut units, mut raters) = (BTreeMap::new(), BTreeMap::new());
    for cell in &cells {
        progress.total += cell.count;
        let status: Status = cell.status.parse()?;
        *progress.by_status.entry(status.as_str()).or_default() += cell.count;
        if let Some(p) = cell.predikat.as_deref().and_then(predikat_name) {
            *progress.by_predikat.entry(p).or_default() += cell.count;
        }
        progress.overdue_detail.plans += cell.overdue_plans;
        progress.overdue_detail.objections += cell.overdue_objections;
        count_into(group(&mut units, &cell.unit, None), cell);
        count_into(group(&mut raters, &cell.rater_nip, Some(&cell.rater_name)), cell);
    }
    progress.overdue = progress.overdue_detail.plans + progress.overdue_detail.objections + progress.overdue_detail.pembinaan;
    // Each unit is held to the pattern of its annual capaian (issue 12), baik when none.
    let annual: BTreeMap<String, Capaian> = annual_capaian(store, schema, cycle).await?;
    progress.by_unit = units
        .into_values()
        .map(|mut g| {
            let set = annual.get(&g.key).copied();
            g.warnings = curve_warnings(&g, set.unwrap_or(Capaian::Baik));
            (g.capaian, g.capaian_assumed) = (Some(set.unwrap_or(Capaian::Baik)), Some(set.is_none()));
            g
        })
        .collect();
    progress.by_rater = raters
        .into_values()
        .map(|mut g| {
            g.warnings = curve_warnings(&g, Capaian::Baik);
            g
        })
        .collect();
    Ok(Some(progress))
}

/// The annual capaian of each unit of `cycle` that has one.
async fn annual_capaian(store: &ReadStore, schema: &str, cycle: Uuid) -> Result<BTreeMap<String, Capaian>, ProjectionError> {
    let rows: Vec<(String, String)> = sqlx::query_as(&format!("SELECT unit, capaian FROM {schema}.unit_capaian WHERE cycle_id = $1 AND period = 'annual'"))
        .bind(cycle)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.into_iter().filter_map(|(unit, c)| Capaian::parse(&c).map(|c| (unit, c))).collect())
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

/// The appraisals of a cycle whose audit has findings.
///
/// # Errors
/// When the database fails.
pub async fn cycle_findings(store: &ReadStore, cycle: Uuid) -> Result<Vec<Finding>, ProjectionError> {
    let Some(g) = store.active("audit").await? else { return Ok(Vec::new()) };
    let sql = format!(
        "SELECT appraisal_id, unit, rater_nip, chain_valid, findings FROM {}.audit_reports \
         WHERE cycle_id = $1 AND verdict <> 'fair' ORDER BY unit, rater_nip, appraisal_id",
        g.schema
    );
    Ok(sqlx::query_as(&sql).bind(cycle).fetch_all(store.pool()).await?)
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
        "SELECT c.cycle_id, c.organization, c.year, (SELECT count(*) FROM {schema}.appraisals a WHERE a.cycle_id = c.cycle_id) AS total
         FROM {schema}.cycles c ORDER BY c.year DESC, c.organization, c.cycle_id"
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
