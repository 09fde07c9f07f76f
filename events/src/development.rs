//! The events of a development plan (the `development` aggregate, one per final appraisal):
//! pembinaan after a low predikat, pengembangan otherwise (PP 30/2019 Ps 56–58). Their data
//! and the values inside them; the rules are in `skp_domain::development`.

use crate::values::{Nip, Person, Predikat};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// What the plan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DevelopmentKind {
    /// Pembinaan: after `butuh_perbaikan`, `kurang` or `sangat_kurang`; at most six months to
    /// improve, then a review and, if not improved, a follow-up.
    Pembinaan,
    /// Pengembangan: competence development after `baik` or `sangat_baik`.
    Pengembangan,
}

impl DevelopmentKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DevelopmentKind::Pembinaan => "pembinaan",
            DevelopmentKind::Pengembangan => "pengembangan",
        }
    }
}

/// The kind of an action of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionType {
    /// Training (pelatihan, diklat).
    Pelatihan,
    /// Coaching.
    Coaching,
    /// Mentoring.
    Mentoring,
    /// Counselling (konseling).
    Konseling,
    /// A special assignment (penugasan khusus).
    PenugasanKhusus,
}

/// The outcome of the improvement review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImprovementOutcome {
    /// The employee's performance improved.
    Improved,
    /// It did not: a follow-up is to be decided.
    NotImproved,
}

impl ImprovementOutcome {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImprovementOutcome::Improved => "improved",
            ImprovementOutcome::NotImproved => "not_improved",
        }
    }
}

/// The follow-up decided by the authorised official after `not_improved` (PP 30/2019 Ps 58).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpMeasure {
    /// A competency test (uji kompetensi).
    UjiKompetensi,
    /// A transfer (mutasi).
    Mutasi,
    /// A demotion (penurunan jabatan).
    PenurunanJabatan,
    /// A proposal of dismissal (usul pemberhentian).
    UsulPemberhentian,
    /// No measure.
    None,
}

impl FollowUpMeasure {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpMeasure::UjiKompetensi => "uji_kompetensi",
            FollowUpMeasure::Mutasi => "mutasi",
            FollowUpMeasure::PenurunanJabatan => "penurunan_jabatan",
            FollowUpMeasure::UsulPemberhentian => "usul_pemberhentian",
            FollowUpMeasure::None => "none",
        }
    }
}

/// A plan opened for a final appraisal, with a snapshot of what it rests on: the appraisal,
/// its people and its final result, so that the plan is read and decided on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevelopmentPlanOpened {
    /// Pembinaan (after a low predikat) or pengembangan.
    pub kind: DevelopmentKind,
    /// The date by which the plan is to be reviewed (UTC date).
    pub due: Date,
    /// The final appraisal the plan follows.
    pub appraisal_id: Uuid,
    /// The appraisal's cycle.
    pub cycle_id: Uuid,
    /// The cycle's year.
    pub year: i32,
    /// The employee, as at the appraisal's opening.
    pub employee: Person,
    /// The rater, as at the appraisal's opening.
    pub rater: Person,
    /// The rater's superior, as at the appraisal's opening.
    pub rater_superior: Person,
    /// The appraisal's final predikat.
    pub predikat: Predikat,
    /// When the appraisal became final.
    #[serde(with = "time::serde::rfc3339")]
    pub finalized_at: OffsetDateTime,
}

/// An action of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionAdded {
    /// Unique within the plan.
    pub action_id: String,
    /// What kind of action.
    #[serde(rename = "type")]
    pub action_type: ActionType,
    /// What is to be done.
    pub description: String,
    /// By when (not after the plan's due date).
    pub due: Date,
    /// The mentor, who may record this action's sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentor_nip: Option<Nip>,
}

/// A session held for an action (coaching, mentoring, counselling, a training day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecorded {
    /// The action.
    pub action_id: String,
    /// The day it was held.
    pub held_on: Date,
    /// What happened.
    pub notes: String,
    /// What comes next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_steps: Option<String>,
}

/// The employee completed an action, with evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionCompleted {
    /// The action.
    pub action_id: String,
    /// The evidence (a certificate, a report).
    pub evidence: String,
}

/// The rater confirmed an action's completion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionConfirmed {
    /// The action.
    pub action_id: String,
}

/// The rater's improvement review; it closes the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImprovementReviewed {
    /// Improved or not.
    pub outcome: ImprovementOutcome,
    /// What the review rests on.
    pub basis: String,
}

/// The follow-up after `not_improved`, decided by the authorised official and recorded by an
/// admin. SKP records it; it does not carry it out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpDecided {
    /// The measure.
    pub measure: FollowUpMeasure,
    /// The decision it rests on (e.g. the official's decree).
    pub basis: String,
}
