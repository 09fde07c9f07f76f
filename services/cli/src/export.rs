//! `skp export`: one appraisal's evidence bundle ([`crate::bundle`]), from its events exactly
//! as stored, with its development plan's when one is open, and its survey chain when the
//! requester may read it ([`crate::bundle::survey`]). The id may also be the plan's: the
//! bundle is then its appraisal's.

use crate::bundle::plan::PlanBundle;
use crate::bundle::survey::{Exporter, SurveySection};
use crate::bundle::{Bundle, BundledEvent};
use crate::stream::{read_all, InspectError};
use skp_domain::access::read_survey;
use skp_domain::appraisal::Appraisal;
use skp_domain::Caller;
use skp_events::ids::development_plan_id;
use skp_events::subject::Subjects;
use skp_events::{AggregateType, Envelope};
use skp_store::StoreSettings;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// Who asks for a bundle: the caller a verified token names, with its roles.
#[derive(Debug, Clone)]
pub struct Requester {
    /// The caller.
    pub caller: Caller,
    /// The token's roles, as written into the bundle.
    pub roles: Vec<String>,
}

/// Why a bundle holds no survey when no token was given.
pub const NO_TOKEN: &str = "the survey chain is included only for a caller who may read it: give --token (or SKP_TOKEN) of the appraisal's rater or rater superior, an admin or an inspector";

/// Reads one appraisal's events as stored (or those of the appraisal of the development plan
/// `id`), with its plan's, and makes its evidence bundle; with the survey's events when
/// `requester` may read them (the domain's `access::read_survey`).
///
/// # Errors
/// [`InspectError`] when the stream cannot be read or neither has events.
pub async fn export(settings: &StoreSettings, id: Uuid, requester: Option<&Requester>) -> Result<Bundle, InspectError> {
    let subjects = Subjects::new(settings.subject_prefix.clone());
    let mut appraisal_id = id;
    let mut events = stored(settings, &subjects.aggregate(AggregateType::Appraisal, id)).await?;
    if events.is_empty() {
        if let Some(appraisal) = appraisal_of(&stored(settings, &subjects.aggregate(AggregateType::Development, id)).await?) {
            appraisal_id = appraisal;
            events = stored(settings, &subjects.aggregate(AggregateType::Appraisal, appraisal)).await?;
        }
    }
    if events.is_empty() {
        return Err(InspectError::NotFound { what: "appraisal or development plan", id });
    }
    let plan_id = development_plan_id(appraisal_id);
    let plan_subject = subjects.aggregate(AggregateType::Development, plan_id);
    let plan_events = stored(settings, &plan_subject).await?;
    let development = (!plan_events.is_empty()).then(|| PlanBundle::new(plan_id, &plan_subject, plan_events));
    let exported_at = OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default();
    let subject = subjects.aggregate(AggregateType::Appraisal, appraisal_id);
    let state = Appraisal::from_events(appraisal_id, &events.iter().filter_map(|e| Envelope::decode(e.stored.as_bytes()).ok()).collect::<Vec<_>>());
    let mut bundle = Bundle::new(appraisal_id, &settings.stream, &subject, exported_at, events, development);
    match requester.map(|r| (r, read_survey(&state, &r.caller))) {
        None => bundle.survey_withheld = Some(NO_TOKEN.to_owned()),
        Some((r, Err(refusal))) => bundle.survey_withheld = Some(format!("{} may not read the survey: {refusal}", r.caller.nip)),
        Some((r, Ok(()))) => {
            let survey_subject = subjects.aggregate(AggregateType::Survey, appraisal_id);
            let survey_events = stored(settings, &survey_subject).await?;
            let exporter = Exporter { nip: r.caller.nip.to_string(), roles: r.roles.clone() };
            bundle.survey = Some(SurveySection::new(&survey_subject, exporter, survey_events));
        }
    }
    Ok(bundle)
}

/// The events of `subject` as stored.
async fn stored(settings: &StoreSettings, subject: &str) -> Result<Vec<BundledEvent>, InspectError> {
    let mut events = Vec::new();
    read_all(settings, subject, |m| {
        // Stored bodies are UTF-8 JSON; anything else is kept as best it can be and fails
        // the chain check, as it should.
        events.push(BundledEvent { stream_sequence: m.seq, stored: String::from_utf8_lossy(&m.body).into_owned() });
    })
    .await?;
    Ok(events)
}

/// The appraisal a development plan's opening names.
fn appraisal_of(plan_events: &[BundledEvent]) -> Option<Uuid> {
    let first: serde_json::Value = serde_json::from_str(&plan_events.first()?.stored).ok()?;
    Uuid::parse_str(first.pointer("/data/appraisal_id")?.as_str()?).ok()
}
