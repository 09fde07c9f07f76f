//! Bodies of the voices beyond the rater (issue 13) as they arrive, and their conversion to
//! domain commands: shape errors are 400 (deserialisation), values breaking a rule (an
//! unknown BerAKHLAK value, rating, relation or channel, a bad NIP, date or period) are 422,
//! read only after the rules have checked who may act and when.

use super::dto::rating;
use serde::{Deserialize, Serialize};
use skp_domain::appraisal::AppraisalCommand;
use skp_domain::survey::SurveyCommand;
use skp_domain::DomainError;
use skp_events::voices::{Channel, CoreValue, Evaluator, Expectation, PeriodRef, Relation};
use skp_events::{Nip, Rating};
use std::collections::BTreeMap;
use time::macros::format_description;
use time::Date;
use utoipa::ToSchema;

fn invalid(code: &'static str, detail: impl Into<String>) -> DomainError {
    DomainError::Invalid { code, detail: detail.into() }
}

/// A BerAKHLAK value by its wire name.
///
/// # Errors
/// 422 `invalid_value`.
pub fn core_value(field: &str, raw: &str) -> Result<CoreValue, DomainError> {
    CoreValue::parse(raw).ok_or_else(|| {
        let names: Vec<&str> = CoreValue::ALL.iter().map(|v| v.as_str()).collect();
        invalid("invalid_value", format!("{field}: {raw:?} is not a BerAKHLAK value ({})", names.join(", ")))
    })
}

/// A period id: `YYYY-MM`, `YYYY-Qn`, `YYYY-Sn` or `annual`.
///
/// # Errors
/// 422 `invalid_period`.
pub fn period(raw: &str) -> Result<PeriodRef, DomainError> {
    PeriodRef::parse(raw).map_err(|e| invalid("invalid_period", e.to_string()))
}

/// What is expected for one value.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ExpectationBody {
    /// A BerAKHLAK value: `berorientasi_pelayanan`, `akuntabel`, `kompeten`, `harmonis`,
    /// `loyal`, `adaptif` or `kolaboratif`.
    pub value: String,
    /// What the rater expects.
    #[schema(format = "skp-text")]
    pub expectation: String,
}

/// `POST /v1/appraisals/{id}/expectations`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ExpectationsBody {
    /// One to seven, each value once; the whole set, replacing any earlier one.
    pub expectations: Vec<ExpectationBody>,
}

impl ExpectationsBody {
    /// # Errors
    /// 422 `invalid_value` for an unknown value.
    pub fn to_command(&self) -> Result<AppraisalCommand, DomainError> {
        let expectations = self
            .expectations
            .iter()
            .map(|e| Ok(Expectation { value: core_value("value", &e.value)?, expectation: e.expectation.clone() }))
            .collect::<Result<_, DomainError>>()?;
        Ok(AppraisalCommand::SetExpectations { expectations })
    }
}

/// `POST /v1/appraisals/{id}/dialogues`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct DialogueBody {
    /// `YYYY-MM-DD`, not in the future.
    pub held_on: String,
    /// What was discussed.
    #[schema(format = "skp-text")]
    pub topics: String,
    /// What both agreed to do (default none; at most 50).
    #[serde(default)]
    pub agreed_actions: Vec<String>,
}

impl DialogueBody {
    /// # Errors
    /// 422 `invalid_date` for a `held_on` that is not a date.
    pub fn to_command(&self) -> Result<AppraisalCommand, DomainError> {
        let held_on = Date::parse(&self.held_on, format_description!("[year]-[month]-[day]"))
            .map_err(|_| invalid("invalid_date", format!("held_on {:?} is not a date YYYY-MM-DD", self.held_on)))?;
        Ok(AppraisalCommand::HoldDialogue { held_on, topics: self.topics.clone(), agreed_actions: self.agreed_actions.clone() })
    }
}

/// `POST /v1/appraisals/{id}/self-assessment`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SelfAssessmentBody {
    /// A period of the cycle's year (`YYYY-MM`, `YYYY-Qn`, `YYYY-Sn`) or `annual`.
    #[schema(pattern = "^(annual|[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4]|S[12]))$")]
    pub period: String,
    /// `di_atas_ekspektasi`, `sesuai_ekspektasi` or `di_bawah_ekspektasi`.
    pub results_rating: String,
    /// Same values.
    pub behaviour_rating: String,
    /// Why.
    #[schema(format = "skp-text")]
    pub narrative: String,
}

impl SelfAssessmentBody {
    /// # Errors
    /// 422 `invalid_period`, `invalid_rating`.
    pub fn to_command(&self) -> Result<AppraisalCommand, DomainError> {
        Ok(AppraisalCommand::SelfAssess {
            period: period(&self.period)?,
            results_rating: rating("results_rating", &self.results_rating)?,
            behaviour_rating: rating("behaviour_rating", &self.behaviour_rating)?,
            narrative: self.narrative.clone(),
        })
    }
}

/// One nominated evaluator.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct EvaluatorBody {
    /// 18-digit NIP.
    pub nip: String,
    /// Name.
    #[schema(format = "skp-text")]
    pub name: String,
    /// `peer` or `subordinate`.
    pub relation: String,
}

/// `POST /v1/appraisals/{id}/evaluators`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct EvaluatorsBody {
    /// The whole list (at most 10), replacing any earlier one; empty withdraws all.
    pub evaluators: Vec<EvaluatorBody>,
}

impl EvaluatorsBody {
    /// # Errors
    /// 422 `invalid_nip`, `invalid_value` (relation).
    pub fn to_command(&self) -> Result<AppraisalCommand, DomainError> {
        let evaluators = self
            .evaluators
            .iter()
            .map(|e| {
                let nip = Nip::parse(&e.nip).map_err(|err| invalid("invalid_nip", format!("evaluator: {err}")))?;
                let relation = match e.relation.as_str() {
                    "peer" => Relation::Peer,
                    "subordinate" => Relation::Subordinate,
                    other => return Err(invalid("invalid_value", format!("relation: {other:?} is neither peer nor subordinate"))),
                };
                Ok(Evaluator { nip, name: e.name.clone(), relation })
            })
            .collect::<Result<_, DomainError>>()?;
        Ok(AppraisalCommand::NominateEvaluators { evaluators })
    }
}

/// `POST /v1/appraisals/{id}/survey`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SurveyBody {
    /// A period of the cycle's year, or `annual`.
    #[schema(pattern = "^(annual|[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4]|S[12]))$")]
    pub period: String,
    /// A rating for each of the seven BerAKHLAK values: `{value: rating}`.
    #[schema(value_type = super::schema::CoreValueRatingsDoc)]
    pub ratings: BTreeMap<String, String>,
    /// What the evaluator adds.
    #[serde(default)]
    #[schema(format = "skp-optional-text")]
    pub comment: Option<String>,
}

impl SurveyBody {
    /// # Errors
    /// 422 `invalid_period`, `invalid_value` (an unknown value), `invalid_rating`.
    pub fn to_command(&self) -> Result<SurveyCommand, DomainError> {
        let ratings: BTreeMap<CoreValue, Rating> = self
            .ratings
            .iter()
            .map(|(value, raw)| Ok((core_value("ratings", value)?, rating(&format!("ratings.{value}"), raw)?)))
            .collect::<Result<_, DomainError>>()?;
        Ok(SurveyCommand::RateBehaviour { period: period(&self.period)?, ratings, comment: self.comment.clone() })
    }
}

/// `POST /v1/appraisals/{id}/public-feedback`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PublicFeedbackBody {
    /// `survei`, `pengaduan` or `loket`.
    pub channel: String,
    /// The service case (the desk's reference, never a person's number).
    #[schema(format = "skp-text")]
    pub service_ref: String,
    /// 1 (very poor) to 5 (very good).
    #[schema(value_type = u8)]
    pub score: serde_json::Number,
    /// What was said; no NIK (a run of 16 digits is refused).
    #[serde(default)]
    #[schema(format = "skp-optional-text")]
    pub text: Option<String>,
}

impl PublicFeedbackBody {
    /// # Errors
    /// 422 `invalid_value` for an unknown channel or a score that is not a whole number.
    pub fn to_command(&self) -> Result<SurveyCommand, DomainError> {
        let channel = match self.channel.as_str() {
            "survei" => Channel::Survei,
            "pengaduan" => Channel::Pengaduan,
            "loket" => Channel::Loket,
            other => return Err(invalid("invalid_value", format!("channel: {other:?} is not survei, pengaduan or loket"))),
        };
        let score = self
            .score
            .as_u64()
            .and_then(|s| u8::try_from(s).ok())
            .ok_or_else(|| invalid("invalid_value", format!("score must be a whole number 1 to 5, got {}", self.score)))?;
        Ok(SurveyCommand::RecordPublicFeedback { channel, service_ref: self.service_ref.clone(), score, text: self.text.clone() })
    }
}
