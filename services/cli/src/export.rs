//! `skp export`: one appraisal's evidence bundle ([`crate::bundle`]), from its events exactly
//! as stored.

use crate::bundle::{Bundle, BundledEvent};
use crate::stream::{read_all, InspectError};
use skp_events::subject::Subjects;
use skp_events::AggregateType;
use skp_store::StoreSettings;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// Reads one appraisal's events as stored and makes its evidence bundle.
///
/// # Errors
/// [`InspectError`] when the stream cannot be read or the appraisal has no events.
pub async fn export(settings: &StoreSettings, appraisal_id: Uuid) -> Result<Bundle, InspectError> {
    let subject = Subjects::new(settings.subject_prefix.clone()).aggregate(AggregateType::Appraisal, appraisal_id);
    let mut events = Vec::new();
    read_all(settings, &subject, |m| {
        // Stored bodies are UTF-8 JSON; anything else is kept as best it can be and fails
        // the chain check, as it should.
        events.push(BundledEvent { stream_sequence: m.seq, stored: String::from_utf8_lossy(&m.body).into_owned() });
    })
    .await?;
    if events.is_empty() {
        return Err(InspectError::NotFound { what: "appraisal", id: appraisal_id });
    }
    let exported_at = OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default();
    Ok(Bundle::new(appraisal_id, &settings.stream, &subject, exported_at, events))
}
