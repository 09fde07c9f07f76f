//! Periodic evaluation and unit capaian over HTTP (issue 12): the rater's evaluation of a
//! period and its correction, an admin recording a unit's capaian, an appraisal's periods
//! and a period's progress across the cycle. The rules are the domain's
//! (`skp_domain::appraisal::periodic`, `skp_domain::capaian`); handlers parse and map.

use super::commands::{answer, meta};
use super::dto::{rating, CommandResponse};
use super::error::ApiError;
use super::extract::{Body, CommandIds, Path, Query};
use super::reads::{cycle_id, ready};
use super::{appraisal_id_from_path, AppState, Authenticated};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use skp_domain::access::{read_appraisal, read_cycle};
use skp_domain::appraisal::{self, Appraisal, AppraisalCommand, CommandKind};
use skp_domain::capaian::SetUnitCapaian;
use skp_domain::cycle::Cycle;
use skp_domain::period::view::PeriodsView;
use skp_domain::{Caller, DomainError};
use skp_events::period::{Capaian, Official, PeriodId};
use skp_events::Nip;
use skp_projections::period_query::{self, PeriodAnswer, PeriodProgress};
use utoipa::ToSchema;
use uuid::Uuid;

/// `POST /v1/appraisals/{id}/periods/{period}/evaluation`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PeriodEvaluationBody {
    /// `di_atas_ekspektasi`, `sesuai_ekspektasi` or `di_bawah_ekspektasi`.
    #[schema(value_type = super::schema::RatingDoc)]
    pub results_rating: String,
    /// Same values.
    #[schema(value_type = super::schema::RatingDoc)]
    pub behaviour_rating: String,
    /// Notes.
    #[serde(default)]
    #[schema(format = "skp-optional-text")]
    pub notes: Option<String>,
}

/// `POST /v1/appraisals/{id}/periods/{period}/correction`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PeriodCorrectionBody {
    /// The results rating that stands after the correction.
    #[schema(value_type = super::schema::RatingDoc)]
    pub results_rating: String,
    /// The behaviour rating that stands after the correction.
    #[schema(value_type = super::schema::RatingDoc)]
    pub behaviour_rating: String,
    /// Why the evaluation is corrected.
    #[schema(format = "skp-text")]
    pub reason: String,
}

impl PeriodEvaluationBody {
    /// The command on `period`.
    ///
    /// # Errors
    /// 422 `invalid_rating`.
    pub fn to_command(&self, period: PeriodId) -> Result<AppraisalCommand, DomainError> {
        Ok(AppraisalCommand::EvaluatePeriod {
            period,
            results_rating: rating("results_rating", &self.results_rating)?,
            behaviour_rating: rating("behaviour_rating", &self.behaviour_rating)?,
            notes: self.notes.clone(),
        })
    }
}

impl PeriodCorrectionBody {
    /// The command on `period`.
    ///
    /// # Errors
    /// 422 `invalid_rating`.
    pub fn to_command(&self, period: PeriodId) -> Result<AppraisalCommand, DomainError> {
        Ok(AppraisalCommand::CorrectPeriod {
            period,
            results_rating: rating("results_rating", &self.results_rating)?,
            behaviour_rating: rating("behaviour_rating", &self.behaviour_rating)?,
            reason: self.reason.clone(),
        })
    }
}

/// The official who decided a capaian.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct OfficialBody {
    /// 18-digit NIP (see `PersonBody`).
    #[schema(pattern = "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])[12][0-9]{3}$")]
    pub nip: String,
    /// Full name.
    #[schema(format = "skp-text")]
    pub name: String,
    /// Position (jabatan).
    #[schema(format = "skp-text")]
    pub position: String,
}

/// `POST /v1/cycles/{cycle_id}/units/capaian`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct UnitCapaianBody {
    /// The unit, exactly as appraisals name it (`employee.unit`).
    #[schema(format = "skp-text")]
    pub unit: String,
    /// A period id of the cycle (`2026-03`, `2026-Q1`, `2026-S2`) or `annual`.
    pub period: String,
    /// `istimewa`, `baik`, `butuh_perbaikan`, `kurang` or `sangat_kurang`.
    #[schema(value_type = CapaianDoc)]
    pub capaian: String,
    /// The leader above the unit who decided it.
    pub decided_by: OfficialBody,
    /// Why; required when it supersedes an earlier capaian of the same unit and period.
    #[serde(default)]
    #[schema(format = "skp-optional-text")]
    pub reason: Option<String>,
}

/// A unit's capaian (its documentation; the body carries the text and an unknown one is 422).
#[derive(ToSchema)]
#[schema(as = Capaian)]
#[allow(dead_code)]
pub enum CapaianDoc {
    /// Istimewa.
    #[schema(rename = "istimewa")]
    Istimewa,
    /// Baik.
    #[schema(rename = "baik")]
    Baik,
    /// Butuh perbaikan.
    #[schema(rename = "butuh_perbaikan")]
    ButuhPerbaikan,
    /// Kurang.
    #[schema(rename = "kurang")]
    Kurang,
    /// Sangat kurang.
    #[schema(rename = "sangat_kurang")]
    SangatKurang,
}

impl UnitCapaianBody {
    /// # Errors
    /// 422 `invalid_value` for an unknown capaian, `invalid_nip`.
    pub fn to_command(&self) -> Result<SetUnitCapaian, DomainError> {
        let capaian = Capaian::parse(&self.capaian).ok_or_else(|| {
            DomainError::invalid("invalid_value", format!("capaian: {:?} is none of istimewa, baik, butuh_perbaikan, kurang, sangat_kurang", self.capaian))
        })?;
        let nip = Nip::parse(&self.decided_by.nip).map_err(|e| DomainError::invalid("invalid_nip", format!("decided_by: {e}")))?;
        Ok(SetUnitCapaian {
            unit: self.unit.clone(),
            period: self.period.clone(),
            capaian,
            decided_by: Official { nip, name: self.decided_by.name.clone(), position: self.decided_by.position.clone() },
            reason: self.reason.clone(),
        })
    }
}

/// Runs a period command: the domain checks who, the status, the period and its conflicts
/// before the body's values are read. The period is part of the command's values: one key,
/// one period.
async fn run_period(
    app: &AppState,
    (id, period): (String, String),
    caller: Caller,
    ids: CommandIds,
    kind: CommandKind,
    body: &impl Serialize,
    build: impl Fn(PeriodId) -> Result<AppraisalCommand, DomainError>,
) -> Result<Response, ApiError> {
    let id = appraisal_id_from_path(&id)?;
    let meta = meta(caller, ids, kind.as_str(), &(&period, body));
    let committed = app.bus.execute::<Appraisal>(id, &meta, |state, ctx| appraisal::decide_period(state, kind, &period, &build, ctx)).await?;
    Ok(answer(StatusCode::OK, committed, None))
}

/// Evaluates an ended period (rater): `PeriodEvaluated` with the derived predikat.
#[utoipa::path(post, path = "/v1/appraisals/{id}/periods/{period}/evaluation", request_body = PeriodEvaluationBody, tag = "commands",
    params(("id" = Uuid, Path, description = "appraisal id"), ("period" = String, Path, description = "YYYY-MM, YYYY-Qn or YYYY-Sn, of the cycle's kind and year")),
    responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "invalid_transition, period_not_ended, period_evaluated"), (status = 413),
        (status = 422, description = "invalid_period, invalid_rating, invalid_text"), (status = 503)))]
pub async fn evaluate_period(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    ids: CommandIds,
    Path(path): Path<(String, String)>,
    Body(body): Body<PeriodEvaluationBody>,
) -> Result<Response, ApiError> {
    run_period(&app, path, caller, ids, CommandKind::EvaluatePeriod, &body, |period| body.to_command(period)).await
}

/// Corrects a period's evaluation until `period_entry_days` after its end (rater):
/// `PeriodEvaluationCorrected`.
#[utoipa::path(post, path = "/v1/appraisals/{id}/periods/{period}/correction", request_body = PeriodCorrectionBody, tag = "commands",
    params(("id" = Uuid, Path, description = "appraisal id"), ("period" = String, Path, description = "a period id of the cycle")),
    responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404),
        (status = 409, description = "invalid_transition, period_not_ended, period_not_evaluated, period_locked"), (status = 413),
        (status = 422, description = "invalid_period, invalid_rating, invalid_text"), (status = 503)))]
pub async fn correct_period(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    ids: CommandIds,
    Path(path): Path<(String, String)>,
    Body(body): Body<PeriodCorrectionBody>,
) -> Result<Response, ApiError> {
    run_period(&app, path, caller, ids, CommandKind::CorrectPeriod, &body, |period| body.to_command(period)).await
}

/// Records a unit's capaian for a period or the year (admin): `UnitCapaianSet` on the cycle.
#[utoipa::path(post, path = "/v1/cycles/{cycle_id}/units/capaian", request_body = UnitCapaianBody, tag = "commands",
    params(("cycle_id" = Uuid, Path)),
    responses((status = 200, body = CommandResponse), (status = 400), (status = 401), (status = 403), (status = 404), (status = 413),
        (status = 422, description = "invalid_period, invalid_value, invalid_nip, invalid_text, reason_required"), (status = 503)))]
pub async fn set_unit_capaian(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    ids: CommandIds,
    Path(cycle): Path<String>,
    Body(body): Body<UnitCapaianBody>,
) -> Result<Response, ApiError> {
    let cycle = Uuid::parse_str(&cycle).map_err(|_| DomainError::NotFound { what: "cycle" })?;
    let meta = meta(caller, ids, "set_unit_capaian", &body);
    let committed = app.bus.execute::<Cycle>(cycle, &meta, |state, ctx| state.decide_capaian(|| body.to_command(), ctx)).await?;
    Ok(answer(StatusCode::OK, committed, None))
}

/// The periods of an appraisal: each with its status (`open`, `due`, `evaluated`, `locked`),
/// deadlines and evaluation, read from the event stream (always current).
#[utoipa::path(get, path = "/v1/appraisals/{id}/periods", tag = "queries", params(("id" = Uuid, Path)),
    responses((status = 200, description = "{appraisal_id, period_kind, period_entry_days, utc_offset_hours, evaluations_open, pending, periods: [{period, status, starts_at, ends_at, locks_at, overdue, evaluation?, self_assessment?}]}"),
        (status = 401), (status = 403), (status = 404), (status = 503)))]
pub async fn get_periods(State(app): State<AppState>, Authenticated(caller): Authenticated, Path(id): Path<String>) -> Result<Json<PeriodsView>, ApiError> {
    let id = appraisal_id_from_path(&id)?;
    let loaded = app.bus.current::<Appraisal>(id).await?;
    read_appraisal(&loaded.state, &caller)?;
    PeriodsView::of(&loaded.state, app.bus.clock().now()).map(Json).ok_or_else(|| DomainError::NotFound { what: "appraisal" }.into())
}

/// The page of units of a period's progress.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodPage {
    /// The page of units, from 1 (default 1; at most 1,000,000).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<i64>,
    /// Units per page (default 100; 1 to 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// As in every read-model query: wait for the projection to reach this sequence.
    #[param(minimum = 0, maximum = 9007199254740991_u64)]
    pub min_sequence: Option<u64>,
}

/// The progress of one period across a cycle (admins and inspectors): evaluated against due,
/// overdue, the predikat distribution, and per unit its capaian and pattern warnings.
#[utoipa::path(get, path = "/v1/cycles/{id}/periods/{period}/progress", tag = "queries",
    params(("id" = Uuid, Path), ("period" = String, Path, description = "a period id of the cycle"), PeriodPage),
    responses((status = 200, description = "{cycle_id, period, period_kind, utc_offset_hours, status, starts_at, ends_at, locks_at, total, due, evaluated, overdue, by_predikat, units: {count, with_warnings}, page, limit, by_unit: [{unit, total, due, evaluated, overdue, capaian, capaian_assumed, decided_by?, by_predikat, warnings}] (one page, by name), as_of_sequence}"),
        (status = 400), (status = 401), (status = 403), (status = 404), (status = 422, description = "invalid_period"), (status = 503), (status = 504)))]
pub async fn get_period_progress(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path((id, period)): Path<(String, String)>,
    Query(paging): Query<PeriodPage>,
) -> Result<Json<PeriodProgress>, ApiError> {
    read_cycle(&caller)?;
    let id = cycle_id(&id)?;
    let page = super::reads::page_number(paging.page)?;
    let limit = paging.limit.unwrap_or(period_query::DEFAULT_UNITS_PER_PAGE);
    if !(1..=period_query::MAX_UNITS_PER_PAGE).contains(&limit) {
        return Err(ApiError::BadQuery(format!("limit must be between 1 and {}, got {limit}", period_query::MAX_UNITS_PER_PAGE)));
    }
    let read = ready(&app, "progress", paging.min_sequence).await?;
    match period_query::period_progress(&read.store, id, &period, app.bus.clock().now(), page, limit).await? {
        PeriodAnswer::UnknownCycle => Err(DomainError::NotFound { what: "cycle" }.into()),
        PeriodAnswer::InvalidPeriod(e) => Err(e.into()),
        PeriodAnswer::Progress(progress) => Ok(Json(*progress)),
    }
}
