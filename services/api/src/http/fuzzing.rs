//! The command body parsers as the routes run them, in one entry point for the fuzz targets
//! (`fuzz/`) and the test that replays their corpus: bytes in, a command or a clear error
//! out, never a panic. Built with the `testing` feature only.

use super::development_dto::{ActionBody, CompleteBody, FollowUpBody, OpenPlanBody, ReviewBody, SessionBody};
use super::dto::{FeedbackBody, ForumBody, ObjectionBody, OpenAppraisalBody, OpenCycleBody, PlanBody, RealisationBody, ScoreBody};
use super::extract::parse_json;
use super::voices_dto::{DialogueBody, EvaluatorsBody, ExpectationsBody, PublicFeedbackBody, SelfAssessmentBody, SurveyBody};
use super::periods::{PeriodCorrectionBody, PeriodEvaluationBody, UnitCapaianBody};

/// Parses `bytes` as the body of the command route chosen by `route` (taken modulo the
/// number of routes) and converts it to its command, as the route does before deciding.
/// Returns the outcome as text, so that callers can print it; it never panics.
pub fn command_body(route: u8, bytes: &[u8]) -> String {
    fn run<T: serde::de::DeserializeOwned, C: std::fmt::Debug, E: std::fmt::Display>(bytes: &[u8], convert: impl Fn(&T) -> Result<C, E>) -> String {
        match parse_json::<T>(bytes) {
            Ok(body) => match convert(&body) {
                Ok(command) => format!("{command:?}"),
                Err(e) => format!("422: {e}"),
            },
            Err(e) => format!("400: {e}"),
        }
    }
    let Ok(period) = skp_events::period::PeriodId::parse("2026-01") else { return "no period".into() };
    match route % 23 {
        0 => run(bytes, |b: &OpenCycleBody| b.to_command(uuid::Uuid::nil()).to_event()),
        1 => run(bytes, |b: &OpenAppraisalBody| {
            Ok::<_, skp_domain::DomainError>((b.employee.to_person("employee")?, b.rater.to_person("rater")?, b.rater_superior.to_person("rater_superior")?))
        }),
        2 => run(bytes, PlanBody::to_command),
        3 => run(bytes, FeedbackBody::to_command),
        4 => run(bytes, RealisationBody::to_command),
        5 => run(bytes, ScoreBody::to_command),
        6 => run(bytes, ObjectionBody::to_command),
        7 => run(bytes, ForumBody::to_command),
        // Voices beyond the rater (issue 13).
        8 => run(bytes, ExpectationsBody::to_command),
        9 => run(bytes, DialogueBody::to_command),
        10 => run(bytes, SelfAssessmentBody::to_command),
        11 => run(bytes, EvaluatorsBody::to_command),
        12 => run(bytes, SurveyBody::to_command),
        13 => run(bytes, PublicFeedbackBody::to_command),
        // Development plans and pembinaan (issue 14).
        14 => run(bytes, OpenPlanBody::to_values),
        15 => run(bytes, ActionBody::to_command),
        16 => run(bytes, SessionBody::to_command),
        17 => run(bytes, |b: &CompleteBody| Ok::<_, skp_domain::DomainError>(b.evidence.clone())),
        18 => run(bytes, ReviewBody::to_command),
        19 => run(bytes, FollowUpBody::to_command),
        // Periodic evaluation and unit capaian (issue 12).
        20 => run(bytes, UnitCapaianBody::to_command),
        21 => run(bytes, |b: &PeriodEvaluationBody| b.to_command(period)),
        _ => run(bytes, |b: &PeriodCorrectionBody| b.to_command(period)),
    }
}
