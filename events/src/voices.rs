//! The voices beyond the rater (docs/domain.md, "Voices beyond the rater"): the seven
//! BerAKHLAK values, period ids, nominated evaluators, and the data of the events that record
//! expectations, dialogues, self-assessments, nominations (on the appraisal) and the closed
//! 360 survey and public feedback (on the survey aggregate, which the employee never reads).

use crate::values::{Nip, Rating};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use time::Date;

/// One of the seven BerAKHLAK core values of the ASN (SE MenPANRB 20/2021), by which
/// behaviour is expected, rated and surveyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoreValue {
    /// Berorientasi pelayanan: service-oriented.
    BerorientasiPelayanan,
    /// Akuntabel: accountable.
    Akuntabel,
    /// Kompeten: competent.
    Kompeten,
    /// Harmonis: harmonious.
    Harmonis,
    /// Loyal: loyal.
    Loyal,
    /// Adaptif: adaptive.
    Adaptif,
    /// Kolaboratif: collaborative.
    Kolaboratif,
}

impl CoreValue {
    /// All seven, in the order of the acronym.
    pub const ALL: [CoreValue; 7] = [
        CoreValue::BerorientasiPelayanan,
        CoreValue::Akuntabel,
        CoreValue::Kompeten,
        CoreValue::Harmonis,
        CoreValue::Loyal,
        CoreValue::Adaptif,
        CoreValue::Kolaboratif,
    ];

    /// The wire name, e.g. `berorientasi_pelayanan`.
    pub fn as_str(self) -> &'static str {
        match self {
            CoreValue::BerorientasiPelayanan => "berorientasi_pelayanan",
            CoreValue::Akuntabel => "akuntabel",
            CoreValue::Kompeten => "kompeten",
            CoreValue::Harmonis => "harmonis",
            CoreValue::Loyal => "loyal",
            CoreValue::Adaptif => "adaptif",
            CoreValue::Kolaboratif => "kolaboratif",
        }
    }

    /// The value of a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == raw)
    }
}

/// Why a text is not a period id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a period: YYYY-MM, YYYY-Q1..Q4, YYYY-S1/S2 or annual")]
pub struct PeriodError(pub String);

/// The length of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    /// The whole year (`annual`).
    Annual,
    /// A month (`YYYY-MM`).
    Monthly,
    /// A quarter (`YYYY-Qn`).
    Quarterly,
    /// A semester (`YYYY-Sn`).
    Semester,
}

/// A period id as DOMAIN.md writes it: `YYYY-MM`, `YYYY-Q1`..`Q4`, `YYYY-S1`/`S2`, or
/// `annual`. Only the grammar is checked here; whether the period lies in the cycle's year is
/// a rule of the domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PeriodRef(String);

impl PeriodRef {
    /// The whole year.
    pub fn annual() -> Self {
        Self("annual".to_owned())
    }

    /// Parses a period id.
    ///
    /// # Errors
    /// [`PeriodError`] when the text follows none of the four forms.
    pub fn parse(raw: &str) -> Result<Self, PeriodError> {
        let wrong = || PeriodError(raw.chars().take(40).collect());
        if raw == "annual" {
            return Ok(Self::annual());
        }
        let (year, rest) = raw.split_once('-').ok_or_else(wrong)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(wrong());
        }
        let ok = matches!(rest.as_bytes(), [b'Q', b'1'..=b'4'] | [b'S', b'1'..=b'2'] | [b'0', b'1'..=b'9'] | [b'1', b'0'..=b'2']);
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(wrong())
        }
    }

    /// The wire form, e.g. `2026-03`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What kind of period it is.
    pub fn kind(&self) -> PeriodKind {
        if self.0 == "annual" {
            return PeriodKind::Annual;
        }
        match self.0.as_bytes().get(5) {
            None => PeriodKind::Annual,
            Some(b'Q') => PeriodKind::Quarterly,
            Some(b'S') => PeriodKind::Semester,
            Some(_) => PeriodKind::Monthly,
        }
    }

    /// The year a dated period names; `None` for `annual`, which is the cycle's year.
    pub fn year(&self) -> Option<i32> {
        self.0.get(..4).and_then(|y| y.parse().ok()).filter(|_| self.kind() != PeriodKind::Annual)
    }

    /// The months it covers within its year (1-based, first and last): a month, three
    /// months, six, or all twelve for `annual`.
    pub fn months(&self) -> (u8, u8) {
        let n = self.0.as_bytes().last().map_or(0, |b| b.wrapping_sub(b'0'));
        match self.kind() {
            PeriodKind::Annual => (1, 12),
            PeriodKind::Quarterly => (3 * n - 2, 3 * n),
            PeriodKind::Semester => (6 * n - 5, 6 * n),
            PeriodKind::Monthly => {
                let month = self.0.get(5..).and_then(|m| m.parse().ok()).unwrap_or(1);
                (month, month)
            }
        }
    }
}

impl TryFrom<String> for PeriodRef {
    type Error = PeriodError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PeriodRef> for String {
    fn from(period: PeriodRef) -> Self {
        period.0
    }
}

impl fmt::Display for PeriodRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the rater expects for one value (ekspektasi khusus pimpinan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    /// The BerAKHLAK value.
    pub value: CoreValue,
    /// What is expected.
    pub expectation: String,
}

/// The rater's expectations; the last one set stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectationsSet {
    /// One per value named, each value at most once.
    pub expectations: Vec<Expectation>,
}

/// A performance dialogue (dialog kinerja) the rater held with the employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialogueHeld {
    /// The day it was held.
    pub held_on: Date,
    /// What was discussed.
    pub topics: String,
    /// What both agreed to do.
    pub agreed_actions: Vec<String>,
}

/// The employee acknowledged a dialogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialogueAcknowledged {
    /// The version of the `DialogueHeld` event acknowledged.
    pub dialogue_version: u64,
}

/// The employee's own assessment, beside the rater's rating; it never changes a predikat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfAssessed {
    /// A period of the cycle's year, or `annual`.
    pub period: PeriodRef,
    /// How the employee rates their results.
    pub results_rating: Rating,
    /// How the employee rates their behaviour.
    pub behaviour_rating: Rating,
    /// Why.
    pub narrative: String,
}

/// How a nominated evaluator stands to the employee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// A colleague at the same level (rekan kerja).
    Peer,
    /// Someone the employee leads (bawahan).
    Subordinate,
}

/// One evaluator the rater nominated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluator {
    /// Their NIP.
    pub nip: Nip,
    /// Their name.
    pub name: String,
    /// Peer or subordinate.
    pub relation: Relation,
}

/// The rater's nomination of evaluators: the whole list, which replaces any earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluatorsNominated {
    /// At most ten, none of them the employee, the rater or the rater's superior.
    pub evaluators: Vec<Evaluator>,
}

/// A nominated evaluator's answer to the closed survey (survey aggregate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BehaviourRated {
    /// A period of the cycle's year, or `annual`.
    pub period: PeriodRef,
    /// A rating for each of the seven values.
    pub ratings: BTreeMap<CoreValue, Rating>,
    /// What the evaluator adds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Where the public's feedback came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A satisfaction survey (survei kepuasan masyarakat).
    Survei,
    /// A complaint (pengaduan).
    Pengaduan,
    /// At the service counter (loket).
    Loket,
}

impl Channel {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Survei => "survei",
            Channel::Pengaduan => "pengaduan",
            Channel::Loket => "loket",
        }
    }
}

/// What the public said about the employee's service, recorded by the service desk
/// (survey aggregate). It names no citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicFeedbackRecorded {
    /// Survey, complaint or counter.
    pub channel: Channel,
    /// The service case it concerns (the desk's reference, not a person's).
    pub service_ref: String,
    /// 1 (very poor) to 5 (very good).
    pub score: u8,
    /// What was said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_forms_of_a_period_parse_and_others_do_not() {
        for good in ["annual", "2026-01", "2026-12", "2026-Q1", "2026-Q4", "2026-S1", "2026-S2"] {
            assert_eq!(PeriodRef::parse(good).map(|p| p.to_string()), Ok(good.to_owned()));
        }
        for bad in ["", "Annual", "2026", "2026-00", "2026-13", "2026-1", "2026-Q0", "2026-Q5", "2026-S3", "26-01", "2026-01-01", "2026_01", "x026-01"] {
            assert!(PeriodRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_period_knows_its_kind_year_and_months() {
        let p = |raw: &str| PeriodRef::parse(raw).expect("a period");
        assert_eq!((p("annual").kind(), p("annual").year(), p("annual").months()), (PeriodKind::Annual, None, (1, 12)));
        assert_eq!((p("2026-03").kind(), p("2026-03").year(), p("2026-03").months()), (PeriodKind::Monthly, Some(2026), (3, 3)));
        assert_eq!((p("2025-Q3").kind(), p("2025-Q3").months()), (PeriodKind::Quarterly, (7, 9)));
        assert_eq!((p("2026-S2").kind(), p("2026-S2").months()), (PeriodKind::Semester, (7, 12)));
    }

    #[test]
    fn ratings_of_the_seven_values_are_a_map_keyed_by_their_wire_names() {
        let rated = BehaviourRated {
            period: PeriodRef::annual(),
            ratings: CoreValue::ALL.into_iter().map(|v| (v, Rating::SesuaiEkspektasi)).collect(),
            comment: None,
        };
        let json = serde_json::to_value(&rated).expect("JSON");
        assert_eq!(json["ratings"]["berorientasi_pelayanan"], "sesuai_ekspektasi");
        assert_eq!(json["ratings"].as_object().map(|o| o.len()), Some(7));
        assert!(json.get("comment").is_none());
        assert_eq!(serde_json::from_value::<BehaviourRated>(json).expect("reads back"), rated);
        assert!(CoreValue::ALL.iter().all(|v| CoreValue::parse(v.as_str()) == Some(*v)));
    }
}
