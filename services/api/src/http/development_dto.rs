//! The bodies of the development plan's command routes and their conversion to domain
//! commands. Shape errors are 400 (deserialisation); values breaking a rule (an unknown kind
//! or type, a date that is not a date, a bad NIP) are 422s raised here, after the rules have
//! checked who may act and when.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use skp_domain::development::{DevelopmentCommand, OpenValues};
use skp_domain::DomainError;
use skp_events::Nip;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};
use utoipa::ToSchema;

fn invalid(code: &'static str, detail: impl Into<String>) -> DomainError {
    DomainError::Invalid { code, detail: detail.into() }
}

/// A wire name of one of SKP's enumerations (`pembinaan`, `coaching`, ...).
fn named<T: DeserializeOwned>(field: &str, raw: &str, allowed: &str) -> Result<T, DomainError> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned()))
        .map_err(|_| invalid("invalid_value", format!("{field}: {raw:?} is not one of {allowed}")))
}

/// A calendar date: `YYYY-MM-DD`, or an RFC 3339 instant read as its UTC date.
///
/// # Errors
/// 422 `invalid_date`.
pub fn date(field: &str, raw: &str) -> Result<Date, DomainError> {
    Date::parse(raw, format_description!("[year]-[month]-[day]"))
        .or_else(|_| OffsetDateTime::parse(raw, &Rfc3339).map(|t| t.to_offset(UtcOffset::UTC).date()))
        .map_err(|_| invalid("invalid_date", format!("{field}: {raw:?} is not a date YYYY-MM-DD")))
}

/// `POST /v1/appraisals/{id}/development`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
pub struct OpenPlanBody {
    /// `pembinaan` or `pengembangan`: if given, the one the final predikat calls for.
    #[serde(default)]
    pub kind: Option<String>,
    /// `YYYY-MM-DD`: by default six months (pembinaan) or twelve (pengembangan) after the
    /// finalization date, the latest allowed.
    #[serde(default)]
    pub due: Option<String>,
}

impl OpenPlanBody {
    /// # Errors
    /// 422 `invalid_value` (kind), `invalid_date` (due).
    pub fn to_values(&self) -> Result<OpenValues, DomainError> {
        Ok(OpenValues {
            kind: self.kind.as_deref().map(|k| named("kind", k, "pembinaan, pengembangan")).transpose()?,
            due: self.due.as_deref().map(|d| date("due", d)).transpose()?,
        })
    }
}

/// `POST /v1/development/{plan_id}/actions`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ActionBody {
    /// Unique within the plan: 1 to 64 letters, digits, `.`, `_`, `-`.
    #[schema(format = "skp-id")]
    pub action_id: String,
    /// `pelatihan`, `coaching`, `mentoring`, `konseling` or `penugasan_khusus`.
    #[serde(rename = "type")]
    pub action_type: String,
    /// What is to be done.
    #[schema(format = "skp-text")]
    pub description: String,
    /// `YYYY-MM-DD`, not after the plan's due date.
    pub due: String,
    /// The mentor, who may record this action's sessions.
    #[serde(default)]
    pub mentor_nip: Option<String>,
}

impl ActionBody {
    /// # Errors
    /// 422 `invalid_value`, `invalid_date`, `invalid_nip`.
    pub fn to_command(&self) -> Result<DevelopmentCommand, DomainError> {
        let mentor_nip = self.mentor_nip.as_deref().map(|n| Nip::parse(n).map_err(|e| invalid("invalid_nip", format!("mentor_nip: {e}")))).transpose()?;
        Ok(DevelopmentCommand::AddAction {
            action_id: self.action_id.clone(),
            action_type: named("type", &self.action_type, "pelatihan, coaching, mentoring, konseling, penugasan_khusus")?,
            description: self.description.clone(),
            due: date("due", &self.due)?,
            mentor_nip,
        })
    }
}

/// `POST /v1/development/{plan_id}/sessions`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SessionBody {
    /// The action.
    #[schema(format = "skp-id")]
    pub action_id: String,
    /// `YYYY-MM-DD`: not in the future.
    pub held_on: String,
    /// What happened.
    #[schema(format = "skp-text")]
    pub notes: String,
    /// What comes next.
    #[serde(default)]
    #[schema(format = "skp-optional-text")]
    pub next_steps: Option<String>,
}

impl SessionBody {
    /// # Errors
    /// 422 `invalid_date`.
    pub fn to_command(&self) -> Result<DevelopmentCommand, DomainError> {
        Ok(DevelopmentCommand::RecordSession {
            action_id: self.action_id.clone(),
            held_on: date("held_on", &self.held_on)?,
            notes: self.notes.clone(),
            next_steps: self.next_steps.clone(),
        })
    }
}

/// `POST /v1/development/{plan_id}/actions/{action_id}/complete`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CompleteBody {
    /// The evidence (a certificate, a report).
    #[schema(format = "skp-text")]
    pub evidence: String,
}

/// `POST /v1/development/{plan_id}/review`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ReviewBody {
    /// `improved` or `not_improved`.
    pub outcome: String,
    /// What the review rests on.
    #[schema(format = "skp-text")]
    pub basis: String,
}

impl ReviewBody {
    /// # Errors
    /// 422 `invalid_value`.
    pub fn to_command(&self) -> Result<DevelopmentCommand, DomainError> {
        Ok(DevelopmentCommand::Review { outcome: named("outcome", &self.outcome, "improved, not_improved")?, basis: self.basis.clone() })
    }
}

/// `POST /v1/development/{plan_id}/follow-up`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct FollowUpBody {
    /// `uji_kompetensi`, `mutasi`, `penurunan_jabatan`, `usul_pemberhentian` or `none`.
    pub measure: String,
    /// The decision it rests on (e.g. the official's decree).
    #[schema(format = "skp-text")]
    pub basis: String,
}

impl FollowUpBody {
    /// # Errors
    /// 422 `invalid_value`.
    pub fn to_command(&self) -> Result<DevelopmentCommand, DomainError> {
        let measure = named("measure", &self.measure, "uji_kompetensi, mutasi, penurunan_jabatan, usul_pemberhentian, none")?;
        Ok(DevelopmentCommand::DecideFollowUp { measure, basis: self.basis.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_date_is_a_calendar_date_or_an_instant_read_in_utc() {
        assert_eq!(date("due", "2027-05-30"), Ok(date!(2027 - 05 - 30)));
        assert_eq!(date("due", "2027-05-30T23:30:00-02:00"), Ok(date!(2027 - 05 - 31)));
        for bad in ["2027-5-30", "30-05-2027", "2027-02-30", "", "tomorrow"] {
            assert_eq!(date("due", bad).map_err(|e| e.code()), Err("invalid_date"), "{bad}");
        }
    }

    #[test]
    fn unknown_wire_names_are_invalid_values_naming_the_allowed_ones() {
        let body = ReviewBody { outcome: "better".into(), basis: "x".into() };
        let error = body.to_command().expect_err("refused");
        assert_eq!(error.code(), "invalid_value");
        assert!(error.to_string().contains("improved, not_improved"), "{error}");
        let open = OpenPlanBody { kind: Some("pengembangan".into()), due: None };
        assert!(open.to_values().is_ok());
    }
}
