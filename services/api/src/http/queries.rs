//! The appraisal queries answered from the event store: the current state, the whole history
//! with its chain check, and the state as it stood at a version or an instant.

use super::error::ApiError;
use super::schema::AppraisalViewDoc;
use super::{appraisal_id_from_path, AppState, Authenticated};
use super::extract::{Path, Query};
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use skp_domain::access::read_appraisal;
use skp_domain::appraisal::Appraisal;
use skp_domain::view::AppraisalView;
use skp_domain::DomainError;
use skp_events::chain::{verify_chain, ChainBreak};
use skp_events::{AggregateType, Envelope};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// The current state of an appraisal.
#[utoipa::path(get, path = "/v1/appraisals/{id}", tag = "queries", params(("id" = Uuid, Path)),
    responses((status = 200, body = AppraisalViewDoc), (status = 401), (status = 403), (status = 404), (status = 503)))]
pub async fn get_appraisal(State(app): State<AppState>, Authenticated(caller): Authenticated, Path(id): Path<String>) -> Result<Json<AppraisalView>, ApiError> {
    let id = appraisal_id_from_path(&id)?;
    let loaded = app.bus.current::<Appraisal>(id).await?;
    read_appraisal(&loaded.state, &caller)?;
    AppraisalView::of(&loaded.state).map(Json).ok_or_else(|| DomainError::NotFound { what: "appraisal" }.into())
}

/// Every event of an appraisal, as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// Whether the hash chain and the versions are intact.
    pub chain_valid: bool,
    /// Every break found, empty when the chain is valid.
    #[schema(value_type = Vec<Object>)]
    pub chain_breaks: Vec<ChainBreak>,
    /// The envelopes in stream order, exactly as stored.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Value>,
}

async fn stored(app: &AppState, id: Uuid) -> Result<Vec<Value>, ApiError> {
    let store = app.bus.store();
    let subject = store.subjects().aggregate(AggregateType::Appraisal, id);
    let raw = store.load_after(&subject, 0).await.map_err(skp_store::CommandError::from)?;
    raw.iter().map(|r| serde_json::from_slice(&r.body).map_err(|e| ApiError::Internal(Box::new(e)))).collect()
}

fn decode_all(values: &[Value]) -> Result<Vec<Envelope>, ApiError> {
    values.iter().map(|v| Envelope::from_value(v.clone()).map_err(|e| ApiError::Internal(Box::new(e)))).collect()
}

/// The history of an appraisal with its chain check.
#[utoipa::path(get, path = "/v1/appraisals/{id}/history", tag = "queries", params(("id" = Uuid, Path)),
    responses((status = 200, body = History), (status = 401), (status = 403), (status = 404), (status = 503)))]
pub async fn get_history(State(app): State<AppState>, Authenticated(caller): Authenticated, Path(id): Path<String>) -> Result<Json<History>, ApiError> {
    let id = appraisal_id_from_path(&id)?;
    let events = stored(&app, id).await?;
    let opening = events.first().map(|v| Envelope::from_value(v.clone())).transpose().ok().flatten();
    let state = Appraisal::from_events(id, opening.iter());
    read_appraisal(&state, &caller)?;
    let chain_breaks = verify_chain(&events);
    Ok(Json(History { appraisal_id: id, chain_valid: chain_breaks.is_empty(), chain_breaks, events }))
}

/// When to replay to: exactly one of the two.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReplayQuery {
    /// Replay the first N events.
    pub as_of_version: Option<String>,
    /// Replay the events that occurred at or before this RFC 3339 instant.
    pub as_of: Option<String>,
}

/// The state of an appraisal as it stood at a version or an instant.
#[utoipa::path(get, path = "/v1/appraisals/{id}/replay", tag = "queries", params(("id" = Uuid, Path), ReplayQuery),
    responses((status = 200, body = AppraisalViewDoc), (status = 400), (status = 401), (status = 403), (status = 404), (status = 422), (status = 503)))]
pub async fn get_replay(
    State(app): State<AppState>,
    Authenticated(caller): Authenticated,
    Path(id): Path<String>,
    Query(query): Query<ReplayQuery>,
) -> Result<Json<AppraisalView>, ApiError> {
    let id = appraisal_id_from_path(&id)?;
    let envelopes = decode_all(&stored(&app, id).await?)?;
    let current = Appraisal::from_events(id, envelopes.iter());
    read_appraisal(&current, &caller)?;
    let upto: Vec<&Envelope> = match (&query.as_of_version, &query.as_of) {
        (Some(raw), None) => {
            let version: u64 = raw.parse().map_err(|_| ApiError::BadQuery(format!("as_of_version {raw:?} is not a number")))?;
            if version == 0 || version > current.version {
                return Err(ApiError::invalid("invalid_version", format!("as_of_version must be between 1 and {}", current.version)));
            }
            envelopes.iter().filter(|e| e.version <= version).collect()
        }
        (None, Some(raw)) => {
            let at = OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| ApiError::BadQuery(format!("as_of {raw:?} is not an RFC 3339 instant")))?;
            envelopes.iter().filter(|e| e.occurred_at <= at).collect()
        }
        _ => return Err(ApiError::BadQuery("give exactly one of as_of_version and as_of".into())),
    };
    let state = Appraisal::from_events(id, upto);
    AppraisalView::of(&state).map(Json).ok_or_else(|| ApiError::invalid("before_opening", "the appraisal was not yet opened at that instant"))
}
