//! The OpenAPI document, assembled from the route and type annotations.

use super::{commands, dto, periods, queries, reads, schema};
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
        // Periodic evaluation and unit capaian (issue 12).
        periods::set_unit_capaian, periods::evaluate_period, periods::correct_period, periods::get_periods, periods::get_period_progress,
    ),
    components(schemas(dto::CommandResponse, schema::AppraisalViewDoc, queries::History)),
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
