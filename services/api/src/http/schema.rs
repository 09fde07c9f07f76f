//! Schemas of the OpenAPI document for answers whose type lives outside the API crate (the
//! domain knows no OpenAPI): a mirror of each, checked field by field against the real type
//! by a test, so that the document cannot drift from what is served.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An appraisal as it stands (or stood): `skp_domain::view::AppraisalView`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AppraisalView)]
pub struct AppraisalViewDoc {
    /// The appraisal's id.
    pub appraisal_id: Uuid,
    /// The cycle.
    pub cycle_id: Uuid,
    /// The cycle's organisation.
    pub organization: String,
    /// The cycle's year.
    pub year: i32,
    /// The appraised employee, as at opening: `{nip, name, position, unit}`.
    #[schema(value_type = Object)]
    pub employee: (),
    /// The rater, as at opening.
    #[schema(value_type = Object)]
    pub rater: (),
    /// The rater's superior, as at opening.
    #[schema(value_type = Object)]
    pub rater_superior: (),
    /// `opened` … `final`.
    pub status: String,
    /// The current plan, `null` before the first draft.
    #[schema(value_type = Option<Object>)]
    pub plan: (),
    /// Realisations in the order recorded.
    #[schema(value_type = Vec<Object>)]
    pub realisations: (),
    /// How many pieces of feedback were given.
    pub feedback_count: u32,
    /// The rater's score.
    #[schema(value_type = Option<Object>)]
    pub score: (),
    /// The predikat that stands now: the forum's when it decided, else the score's.
    pub current_predikat: Option<String>,
    /// The employee's objection.
    #[schema(value_type = Option<Object>)]
    pub objection: (),
    /// The forum's decision.
    #[schema(value_type = Option<Object>)]
    pub forum: (),
    /// The final result, `null` until final.
    #[schema(value_type = Option<Object>)]
    #[serde(rename = "final")]
    pub final_score: (),
    /// The number of events: the version of the last one.
    pub version: u64,
    // Voices beyond the rater (issue 13).
    /// The rater's expectations that stand: `[{value, expectation}]` (empty before any).
    #[schema(value_type = Vec<Object>)]
    pub expectations: (),
    /// Performance dialogues: `[{version, held_on, topics, agreed_actions, recorded_at, acknowledged_at}]`.
    #[schema(value_type = Vec<Object>)]
    pub dialogues: (),
    /// The employee's self-assessments that stand, one per period: `[{period, results_rating, behaviour_rating, narrative, assessed_at}]`.
    #[schema(value_type = Vec<Object>)]
    pub self_assessments: (),
    /// The evaluators nominated now: `[{nip, name, relation}]`.
    #[schema(value_type = Vec<Object>)]
    pub evaluators: (),
}

/// A rating (`skp_events::Rating`).
#[derive(Debug, ToSchema)]
#[schema(as = Rating)]
#[allow(non_camel_case_types, dead_code)]
pub enum RatingDoc {
    /// Above expectations.
    di_atas_ekspektasi,
    /// As expected.
    sesuai_ekspektasi,
    /// Below expectations.
    di_bawah_ekspektasi,
}

/// A rating for each of the seven BerAKHLAK values (a survey answer rates them all).
#[derive(Debug, ToSchema)]
#[schema(as = CoreValueRatings)]
#[allow(dead_code)]
pub struct CoreValueRatingsDoc {
    /// Berorientasi pelayanan.
    berorientasi_pelayanan: RatingDoc,
    /// Akuntabel.
    akuntabel: RatingDoc,
    /// Kompeten.
    kompeten: RatingDoc,
    /// Harmonis.
    harmonis: RatingDoc,
    /// Loyal.
    loyal: RatingDoc,
    /// Adaptif.
    adaptif: RatingDoc,
    /// Kolaboratif.
    kolaboratif: RatingDoc,
}

/// What feedback is about (`skp_events::values::FeedbackAbout`).
#[derive(Debug, ToSchema)]
#[schema(as = FeedbackAbout)]
#[allow(non_camel_case_types, dead_code)]
pub enum AboutDoc {
    /// The results (RHK and indicators).
    results,
    /// The behaviour (BerAKHLAK).
    behaviour,
}

/// The forum's outcome (`skp_events::values::ForumOutcome`).
#[derive(Debug, ToSchema)]
#[schema(as = ForumOutcome)]
#[allow(non_camel_case_types, dead_code)]
pub enum OutcomeDoc {
    /// The score stands.
    upheld,
    /// New ratings.
    revised,
}

/// An appraisal's status (`skp_domain::appraisal::Status`).
#[derive(Debug, ToSchema)]
#[schema(as = Status)]
#[allow(non_camel_case_types, dead_code)]
pub enum StatusDoc {
    /// Opened.
    opened,
    /// A plan drafted.
    plan_drafted,
    /// The plan submitted.
    plan_submitted,
    /// The plan returned.
    plan_returned,
    /// Targets agreed.
    targets_agreed,
    /// Scored.
    scored,
    /// The score accepted.
    accepted,
    /// The score objected to.
    objected,
    /// The forum decided.
    resolved,
    /// Final.
    r#final,
}

/// An SE MenPANRB 3/2023 pattern warning code (`skp_domain::capaian::WARNING_CODES`).
#[derive(Debug, ToSchema)]
#[schema(as = PatternWarningCode)]
#[allow(non_camel_case_types, dead_code)]
pub enum WarningDoc {
    /// Capaian istimewa: sangat_baik not the largest group.
    sangat_baik_not_largest,
    /// Capaian istimewa: more than 70% sangat_baik.
    sangat_baik_over_70_percent,
    /// Capaian baik: more than 70% baik.
    baik_over_70_percent,
    /// Capaian baik: no butuh_perbaikan or kurang.
    no_low_predikat,
    /// Capaian butuh_perbaikan: under 60% butuh_perbaikan.
    butuh_perbaikan_under_60_percent,
    /// Capaian butuh_perbaikan or kurang: more than 10% sangat_baik.
    sangat_baik_over_10_percent,
    /// Capaian kurang: under 60% kurang.
    kurang_under_60_percent,
    /// Capaian kurang: under 10% butuh_perbaikan.
    butuh_perbaikan_under_10_percent,
    /// Capaian sangat_kurang: under 60% sangat_kurang.
    sangat_kurang_under_60_percent,
    /// Capaian sangat_kurang: under 10% kurang or butuh_perbaikan.
    kurang_or_butuh_perbaikan_under_10_percent,
    /// Capaian sangat_kurang: any sangat_baik.
    sangat_baik_present,
}

/// The pattern of a NIP: 18 digits (birth date, appointment month, sex digit, sequence;
/// the server checks the dates and the sex digit too, 422 `invalid_nip`).
pub const NIP_PATTERN: &str = "^(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])(19|2[0-9])[0-9]{2}(0[1-9]|1[0-2])[12][0-9]{3}$";

/// An error answer (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDoc {
    /// `urn:skp:problem:<code>`.
    pub r#type: String,
    /// The HTTP reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// The stable machine-readable code.
    pub code: String,
    /// With 504 `projection_behind`: how far the projection got.
    #[schema(nullable = false)]
    pub as_of_sequence: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use skp_domain::appraisal::{Appraisal, Status};
    use skp_domain::testing::{history, until, APPRAISAL_ID};
    use skp_domain::view::AppraisalView;
    use std::collections::BTreeSet;
    use utoipa::PartialSchema;

    #[test]
    fn the_documented_appraisal_has_exactly_the_fields_served() {
        let state = Appraisal::from_events(APPRAISAL_ID, &history(until(Status::Final)));
        let served = serde_json::to_value(AppraisalView::of(&state).expect("opened")).expect("json");
        let served: BTreeSet<String> = served.as_object().expect("an object").keys().cloned().collect();
        let schema = serde_json::to_value(AppraisalViewDoc::schema()).expect("schema");
        let documented: BTreeSet<String> = schema["properties"].as_object().expect("properties").keys().cloned().collect();
        assert_eq!(documented, served);
    }
}
