//! The OpenAPI document, assembled from the route and type annotations.

use super::{commands, development, development_dto, dto, queries, reads, schema, voices};
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
        reads::list_cycles, reads::list_appraisals, reads::get_progress, reads::stream_progress, reads::get_findings, reads::get_career, reads::get_audit,
        // Voices beyond the rater (issue 13).
        voices::set_expectations, voices::hold_dialogue, voices::acknowledge_dialogue, voices::self_assess, voices::nominate_evaluators,
        voices::rate_behaviour, voices::record_public_feedback, voices::get_feedback_360, voices::get_cycle_voices,
        // Development plans and pembinaan (issue 14).
        development::open_plan, development::add_action, development::record_session, development::complete_action,
        development::confirm_action, development::review, development::follow_up, development::get_plan,
        development::get_appraisal_plan, development::get_plan_history, development::get_pembinaan,
    ),
    components(schemas(dto::CommandResponse, schema::AppraisalViewDoc, queries::History,
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

/// The document served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
