//! Command bodies as they arrive, and their conversion to domain commands. Shape errors
//! (not JSON, a field missing or of the wrong type) are caught by deserialisation (400);
//! values breaking a rule (a bad NIP, an unknown rating, a fractional target) are converted
//! here into 422s, after the rules have checked who may act and when.

use serde::{Deserialize, Serialize};
use skp_domain::appraisal::AppraisalCommand;
use skp_domain::cycle::OpenCycle;
use skp_domain::DomainError;
use skp_events::values::{FeedbackAbout, ForumOutcome, Indicator, Person, PlannedResult, Target};
use skp_events::{Nip, Rating};
use utoipa::ToSchema;
use uuid::Uuid;

/// Integers as JSON has them: JSON knows numbers, not integers, so `2026.0` is the integer
/// 2026 (as JSON Schema reads it), while `2026.5` or `"2026"` is not one (400).
mod integral {
    use serde::de::{Deserializer, Error};
    use serde::Deserialize;

    fn whole<'de, D: Deserializer<'de>>(number: serde_json::Number) -> Result<i64, D::Error> {
        if let Some(i) = number.as_i64() {
            return Ok(i);
        }
        match number.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_991.0 => Ok(f as i64),
            _ => Err(D::Error::custom(format!("invalid type: {number} is not a whole number"))),
        }
    }

    pub fn i32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i32, D::Error> {
        let value = whole::<D>(serde_json::Number::deserialize(deserializer)?)?;
        i32::try_from(value).map_err(|_| D::Error::custom(format!("{value} is out of range")))
    }

    pub fn opt_u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
        match Option::<serde_json::Number>::deserialize(deserializer)? {
            None => Ok(None),
            Some(number) => {
                let value = whole::<D>(number)?;
                u32::try_from(value).map(Some).map_err(|_| D::Error::custom(format!("{value} is out of range")))
            }
        }
    }
}

fn invalid(code: &'static str, detail: impl Into<String>) -> DomainError {
    DomainError::Invalid { code, detail: detail.into() }
}

/// `POST /v1/cycles`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct OpenCycleBody {
    /// The agency.
    #[schema(format = "skp-text")]
    pub organization: String,
    /// The appraisal year.
    #[schema(minimum = 2000, maximum = 2100)]
    #[serde(deserialize_with = "integral::i32")]
    pub year: i32,
    /// `YYYY-MM-DD`: the date by which plans should be agreed (in the cycle's year or the
    /// year before).
    #[schema(format = Date)]
    pub plan_due: String,
    /// Days after the score within which the employee may object (default 14).
    #[serde(default, deserialize_with = "integral::opt_u32")]
    #[schema(minimum = 1, maximum = 365)]
    pub objection_window_days: Option<u32>,
    /// Days after an objection within which the forum should decide (default 14).
    #[serde(default, deserialize_with = "integral::opt_u32")]
    #[schema(minimum = 1, maximum = 365)]
    pub decision_window_days: Option<u32>,
    /// Periodic evaluation: `none` (default: annual only), `monthly`, `quarterly` or
    /// `semester`.
    #[serde(default)]
    pub period: Option<String>,
    /// Days after a period's end during which its evaluation may be corrected, 1 to 365
    /// (default 10).
    #[serde(default)]
    pub period_entry_days: Option<i64>,
    /// The agency's time zone, hours east of UTC: 7 WIB (default), 8 WITA, 9 WIT. Periods end
    /// at 00:00 local time.
    #[serde(default)]
    pub utc_offset_hours: Option<i64>,
}

impl OpenCycleBody {
    /// The command, its values as given: the domain reads them once the caller may open
    /// cycles.
    pub fn to_command(&self, command_id: Uuid) -> OpenCycle {
        OpenCycle {
            command_id,
            organization: self.organization.clone(),
            year: self.year,
            plan_due: self.plan_due.clone(),
            objection_window_days: self.objection_window_days,
            decision_window_days: self.decision_window_days,
            period: self.period.clone(),
            period_entry_days: self.period_entry_days,
            utc_offset_hours: self.utc_offset_hours,
        }
    }
}

/// A person at the moment the appraisal opens.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct PersonBody {
    /// 18-digit NIP: birth date YYYYMMDD, appointment YYYYMM, sex digit 1 or 2, three digits
    /// of sequence (a date that does not exist is 422 `invalid_nip`).
    #[schema(pattern = "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])[12][0-9]{3}$")]
    pub nip: String,
    /// Full name.
    #[schema(format = "skp-text")]
    pub name: String,
    /// Position (jabatan).
    #[schema(format = "skp-text")]
    pub position: String,
    /// Unit.
    #[schema(format = "skp-text")]
    pub unit: String,
}

impl PersonBody {
    /// Validates the NIP.
    ///
    /// # Errors
    /// 422 `invalid_nip`.
    pub fn to_person(&self, role: &str) -> Result<Person, DomainError> {
        let nip = Nip::parse(&self.nip).map_err(|e| invalid("invalid_nip", format!("{role}: {e}")))?;
        Ok(Person { nip, name: self.name.clone(), position: self.position.clone(), unit: self.unit.clone() })
    }
}

/// `POST /v1/cycles/{cycle_id}/appraisals`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct OpenAppraisalBody {
    /// The appraised employee.
    pub employee: PersonBody,
    /// The direct supervisor (Pejabat Penilai Kinerja).
    pub rater: PersonBody,
    /// The rater's superior (Atasan Pejabat Penilai Kinerja).
    pub rater_superior: PersonBody,
}

/// A target: a whole number greater than zero, and its unit.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct TargetBody {
    /// A whole number greater than zero, at most 2^53 - 1 (events hold no floats).
    #[schema(value_type = u64, minimum = 1, maximum = 9007199254740991_u64)]
    pub value: serde_json::Number,
    /// The unit, e.g. `dokumen`.
    #[schema(format = "skp-text")]
    pub unit: String,
}

/// An indicator (IKI).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct IndicatorBody {
    /// Unique within the plan.
    #[schema(format = "skp-id")]
    pub id: String,
    /// What is measured.
    #[schema(format = "skp-text")]
    pub description: String,
    /// The target.
    pub target: TargetBody,
}

/// A planned result (RHK).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ResultBody {
    /// Unique within the plan.
    #[schema(format = "skp-id")]
    pub id: String,
    /// The result.
    #[schema(format = "skp-text")]
    pub description: String,
    /// Its indicators.
    pub indicators: Vec<IndicatorBody>,
}

/// `POST /v1/appraisals/{id}/plan`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PlanBody {
    /// The whole plan.
    pub results: Vec<ResultBody>,
}

/// A body with no fields (`{}`).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct EmptyBody {}

/// `POST /v1/appraisals/{id}/plan/return`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ReturnBody {
    /// What needs to change.
    #[schema(format = "skp-text")]
    pub reason: String,
}

/// `POST /v1/appraisals/{id}/feedback`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct FeedbackBody {
    /// `results` or `behaviour`.
    #[schema(value_type = super::schema::AboutDoc)]
    pub about: String,
    /// The feedback.
    #[schema(format = "skp-text")]
    pub text: String,
    /// An indicator of the plan.
    #[serde(default)]
    #[schema(format = "skp-id")]
    pub indicator_id: Option<String>,
}

/// `POST /v1/appraisals/{id}/realisations`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RealisationBody {
    /// An indicator of the agreed plan.
    #[schema(format = "skp-id")]
    pub indicator_id: String,
    /// A whole number, zero or more, at most 2^53 - 1.
    #[schema(value_type = u64, minimum = 0, maximum = 9007199254740991_u64)]
    pub value: serde_json::Number,
    /// Evidence (bukti dukung).
    #[serde(default)]
    #[schema(format = "skp-optional-text")]
    pub evidence: Option<String>,
}

/// `POST /v1/appraisals/{id}/score`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ScoreBody {
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

/// `POST /v1/appraisals/{id}/objection`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ObjectionBody {
    /// Why.
    #[schema(format = "skp-text")]
    pub reason: String,
    /// The results rating asked for.
    #[serde(default)]
    #[schema(value_type = Option<super::schema::RatingDoc>)]
    pub requested_results_rating: Option<String>,
    /// The behaviour rating asked for.
    #[serde(default)]
    #[schema(value_type = Option<super::schema::RatingDoc>)]
    pub requested_behaviour_rating: Option<String>,
}

/// `POST /v1/appraisals/{id}/forum/resolve`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ForumBody {
    /// `upheld` or `revised`.
    #[schema(value_type = super::schema::OutcomeDoc)]
    pub outcome: String,
    /// New results rating (revised).
    #[serde(default)]
    #[schema(value_type = Option<super::schema::RatingDoc>)]
    pub results_rating: Option<String>,
    /// New behaviour rating (revised).
    #[serde(default)]
    #[schema(value_type = Option<super::schema::RatingDoc>)]
    pub behaviour_rating: Option<String>,
    /// The forum's minutes.
    #[schema(format = "skp-text")]
    pub minutes: String,
}

/// The answer to every successful command.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandResponse {
    /// The appraisal or cycle.
    pub aggregate_id: Uuid,
    /// The event's 1-based position in its aggregate.
    pub version: u64,
    /// The event's id.
    pub event_id: Uuid,
    /// The event's JetStream sequence: pass it as `?min_sequence=` to read your write.
    pub stream_sequence: u64,
}

/// Parses a rating.
///
/// # Errors
/// 422 `invalid_rating`.
pub fn rating(field: &str, raw: &str) -> Result<Rating, DomainError> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned())).map_err(|_| {
        invalid(
            "invalid_rating",
            format!("{field}: {raw:?} is not a rating (di_atas_ekspektasi, sesuai_ekspektasi, di_bawah_ekspektasi)"),
        )
    })
}

fn optional_rating(field: &str, raw: &Option<String>) -> Result<Option<Rating>, DomainError> {
    raw.as_deref().map(|r| rating(field, r)).transpose()
}

fn whole(field: &str, number: &serde_json::Number, code: &'static str) -> Result<u64, DomainError> {
    let integral = number.as_f64().filter(|f| f.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(f)).map(|f| f as u64);
    number.as_u64().or(integral).ok_or_else(|| invalid(code, format!("{field} must be a whole number of zero or more, got {number}")))
}

impl PlanBody {
    /// # Errors
    /// 422 `invalid_plan` for a target that is not a whole number.
    pub fn to_command(&self) -> Result<AppraisalCommand, DomainError> {
        let results = self
            .results
            .iter()
            .map(|r| {
                let indicators = r
                    .indicators
                    .iter()
                    .map(|i| {
                        let value = whole("target.value", &i.target.value, "invalid_plan")?;
                        Ok(Indicator { id: i.id.clone(), description: i.description.clone(), target: Target { value, unit: i.target.unit.clone() } })
                    })
                    .collect::<Result<_, DomainError>>()?;
                Ok(PlannedResult { id: r.id.clone(), description: r.description.clone(), indicators })
            })
            .collect::<Result<_, DomainError>>()?;
        Ok(AppraisalCommand::DraftPlan { results })
    }
}

impl FeedbackBody {
    /// # Errors
    /// 422 `invalid_value` for an unknown `about`.
    pub fn to_command(&self) -> Result<AppraisalCommand, DomainError> {
        let about = match self.about.as_str() {
            "results" => FeedbackAbout::Results,
            "behaviour" => FeedbackAbout::Behaviour,
            other => return Err(invalid("invalid_value", format!("about: {other:?} is neither results nor behaviour"))),
        };
        Ok(AppraisalCommand::GiveFeedback { about, text: self.text.clone(), indicator_id: self.indicator_id.clone() })
    }
}

impl RealisationBody {
    /// # Errors
    /// 422 `invalid_value` for a value that is not a whole number of zero or more.
    pub fn to_command(&self) -> Result<AppraisalCommand, DomainError> {
        Ok(AppraisalCommand::RecordRealisation {
            indicator_id: self.indicator_id.clone(),
            value: whole("value", &self.value, "invalid_value")?,
            evidence: self.evidence.clone(),
        })
    }
}

impl ScoreBody {
    /// # Errors
    /// 422 `invalid_rating`.
    pub fn to_command(&self) -> Result<AppraisalCommand, DomainError> {
        Ok(AppraisalCommand::Score {
            results_rating: rating("results_rating", &self.results_rating)?,
            behaviour_rating: rating("behaviour_rating", &self.behaviour_rating)?,
            notes: self.notes.clone(),
        })
    }
}

impl ObjectionBody {
    /// # Errors
    /// 422 `invalid_rating`.
    pub fn to_command(&self) -> Result<AppraisalCommand, DomainError> {
        Ok(AppraisalCommand::Object {
            reason: self.reason.clone(),
            requested_results_rating: optional_rating("requested_results_rating", &self.requested_results_rating)?,
            requested_behaviour_rating: optional_rating("requested_behaviour_rating", &self.requested_behaviour_rating)?,
        })
    }
}

impl ForumBody {
    /// # Errors
    /// 422 `invalid_value` for an unknown outcome, `invalid_rating`.
    pub fn to_command(&self) -> Result<AppraisalCommand, DomainError> {
        let outcome = match self.outcome.as_str() {
            "upheld" => ForumOutcome::Upheld,
            "revised" => ForumOutcome::Revised,
            other => return Err(invalid("invalid_value", format!("outcome: {other:?} is neither upheld nor revised"))),
        };
        Ok(AppraisalCommand::ResolveForum {
            outcome,
            results_rating: optional_rating("results_rating", &self.results_rating)?,
            behaviour_rating: optional_rating("behaviour_rating", &self.behaviour_rating)?,
            minutes: self.minutes.clone(),
        })
    }
}
