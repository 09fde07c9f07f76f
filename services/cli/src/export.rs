//! `skp export`: one appraisal's evidence bundle ([`crate::bundle`]), from its events exactly
//! as stored, with its development plan's when one is open. The id may also be the plan's:
//! the bundle is then its appraisal's.

use crate::bundle::{Bundle, BundledEvent, PlanBundle};
use crate::stream::{read_all, InspectError};
use skp_events::ids::development_plan_id;
use skp_events::subject::Subjects;
use skp_events::AggregateType;
use skp_store::StoreSettings;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// The events stored on `subject`, as stored.
async fn bundled(settings: &StoreSettings, subject: &str) -> Result<Vec<BundledEvent>, InspectError> {
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

/// Reads one appraisal's events as stored (or those of the appraisal of the development plan
/// `id`), with its plan's, and makes its evidence bundle.
///
/// # Errors
/// [`InspectError`] when the stream cannot be read or neither has events.
pub async fn export(settings: &StoreSettings, id: Uuid) -> Result<Bundle, InspectError> {
    let subjects = Subjects::new(settings.subject_prefix.clone());
    let mut appraisal_id = id;
    let mut events = bundled(settings, &subjects.aggregate(AggregateType::Appraisal, id)).await?;
    if events.is_empty() {
        if let Some(appraisal) = appraisal_of(&bundled(settings, &subjects.aggregate(AggregateType::Development, id)).await?) {
            appraisal_id = appraisal;
            events = bundled(settings, &subjects.aggregate(AggregateType::Appraisal, appraisal)).await?;
        }
    }
    if events.is_empty() {
        return Err(InspectError::NotFound { what: "appraisal or development plan", id });
    }
    let plan_id = development_plan_id(appraisal_id);
    let plan_subject = subjects.aggregate(AggregateType::Development, plan_id);
    let plan_events = bundled(settings, &plan_subject).await?;
    let development = (!plan_events.is_empty()).then(|| PlanBundle::new(plan_id, &plan_subject, plan_events));
    let exported_at = OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default();
    let subject = subjects.aggregate(AggregateType::Appraisal, appraisal_id);
    Ok(Bundle::new(appraisal_id, &settings.stream, &subject, exported_at, events, development))
}
