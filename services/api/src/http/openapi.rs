//! The OpenAPI document, assembled from the route and type annotations.

use super::{commands, development, development_dto, dto, periods, queries, reads, schema, voices};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "SKP", description = "Event-sourced performance appraisal (SKP) of Indonesian civil servants. Errors are application/problem+json {type, title, status, detail, code}."),
    paths(
        commands::open_cycle, commands::open_appraisal, commands::draft_plan, commands::submit_plan,
        commands::return_plan, commands::agree_targets, commands::give_feedback, commands::record_realisation,
        commands::give_score, commands::accept_score, commands::object_score, commands::resolve_forum,
        commands::finalize, queries::get_appraisal, queries::get_history, queries::get_replay,
        reads::list_cycles, reads::list_appraisals, reads::get_progress, reads::stream_progress, reads::list_units, reads::list_raters, reads::get_findings, reads::get_career, reads::get_audit,
        // Voices beyond the rater (issue 13).
        voices::set_expectations, voices::hold_dialogue, voices::acknowledge_dialogue, voices::self_assess, voices::nominate_evaluators,
        voices::rate_behaviour, voices::record_public_feedback, voices::get_feedback_360, voices::get_cycle_voices,
        // Development plans and pembinaan (issue 14).
        development::open_plan, development::add_action, development::record_session, development::complete_action,
        development::confirm_action, development::review, development::follow_up, development::get_plan,
        development::get_appraisal_plan, development::get_plan_history, development::get_pembinaan,
        // Periodic evaluation and unit capaian (issue 12).
        periods::set_unit_capaian, periods::evaluate_period, periods::correct_period, periods::get_periods, periods::get_period_progress,
    ),
    components(schemas(dto::CommandResponse, schema::AppraisalViewDoc, queries::History, schema::ProblemDoc, schema::RatingDoc, schema::AboutDoc, schema::OutcomeDoc, schema::StatusDoc, schema::WarningDoc,
        development_dto::OpenPlanBody, development_dto::ActionBody, development_dto::SessionBody, development_dto::CompleteBody,
        development_dto::ReviewBody, development_dto::FollowUpBody)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build());
        openapi.components.get_or_insert_with(Default::default).add_security_scheme("bearer", scheme);
    }
}

/// The document generated from the annotations alone.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document served at `/openapi.json`: the annotations' document, completed for every
/// route ([`super::openapi_exact`]).
pub fn served() -> serde_json::Value {
    let mut doc = serde_json::to_value(document()).unwrap_or_default();
    replay_is_one_of_two(&mut doc);
    super::openapi_exact::complete(&mut doc);
    doc
}

/// The replay takes exactly one of `as_of_version` and `as_of`: one exploded query object
/// that is one of two shapes (both or neither is 400 `bad_query`).
fn replay_is_one_of_two(doc: &mut serde_json::Value) {
    let Some(params) = doc.pointer_mut("/paths/~1v1~1appraisals~1{id}~1replay/get/parameters").and_then(serde_json::Value::as_array_mut) else { return };
    params.retain(|p| p["name"] != "as_of_version" && p["name"] != "as_of");
    params.push(serde_json::json!({
        "name": "as_of", "in": "query", "required": true, "style": "form", "explode": true,
        "description": "Exactly one of as_of_version (replay the first N events) and as_of (the events that occurred at or before this RFC 3339 instant)",
        "schema": {"oneOf": [
            {"type": "object", "title": "AsOfVersion", "required": ["as_of_version"], "properties": {"as_of_version": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 9_007_199_254_740_991_u64}}},
            {"type": "object", "title": "AsOfInstant", "required": ["as_of"], "properties": {"as_of": {"type": "string", "format": "date-time"}}}
        ]}
    }));
}
