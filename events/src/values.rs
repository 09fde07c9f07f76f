//! Validated values that appear inside events: NIPs, ratings, predikat, people and plans.
//!
//! Each is parsed once at the boundary (HTTP body, stored event) and is valid from then on.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, Month};

/// Why a string is not a NIP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NipError {
    /// Not exactly 18 ASCII digits.
    #[error("a NIP is 18 digits, got {0:?}")]
    Shape(String),
    /// Digits 1..8 are not a calendar date.
    #[error("NIP {0}: digits 1-8 are not a valid birth date (YYYYMMDD)")]
    BirthDate(String),
    /// Digits 9..14 are not a year and month.
    #[error("NIP {0}: digits 9-14 are not a valid appointment month (YYYYMM)")]
    Appointment(String),
    /// Digit 15 is neither 1 nor 2.
    #[error("NIP {0}: digit 15 (sex) must be 1 or 2")]
    Sex(String),
}

/// A civil servant's identification number (Nomor Induk Pegawai): 18 digits, birth date
/// `YYYYMMDD`, appointment `YYYYMM`, sex digit `1` or `2`, three digits of sequence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nip(String);

impl Nip {
    /// Parses and validates a NIP.
    ///
    /// # Errors
    /// [`NipError`] naming the part that is wrong.
    pub fn parse(raw: &str) -> Result<Self, NipError> {
        if raw.len() != 18 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NipError::Shape(raw.chars().take(40).collect()));
        }
        let num = |range: std::ops::Range<usize>| raw[range].parse::<u32>().unwrap_or(0);
        let birth_month = Month::try_from(num(4..6) as u8).ok();
        let birth_ok = birth_month
            .and_then(|m| Date::from_calendar_date(num(0..4) as i32, m, num(6..8) as u8).ok())
            .is_some_and(|d| d.year() >= 1900);
        if !birth_ok {
            return Err(NipError::BirthDate(raw.to_owned()));
        }
        let (appointed_year, appointed_month) = (num(8..12), num(12..14));
        if !(1900..=2999).contains(&appointed_year) || !(1..=12).contains(&appointed_month) {
            return Err(NipError::Appointment(raw.to_owned()));
        }
        if !matches!(&raw[14..15], "1" | "2") {
            return Err(NipError::Sex(raw.to_owned()));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The NIP's 18 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Nip {
    type Error = NipError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Nip> for String {
    fn from(nip: Nip) -> Self {
        nip.0
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One of the two ratings a rater gives: for results (hasil kerja) and for behaviour (perilaku).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// Di atas ekspektasi: above expectation.
    DiAtasEkspektasi,
    /// Sesuai ekspektasi: as expected.
    SesuaiEkspektasi,
    /// Di bawah ekspektasi: below expectation.
    DiBawahEkspektasi,
}

/// The final grade, derived from the two ratings by the matrix of PermenPANRB 6/2022.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Predikat {
    /// Sangat baik: very good.
    SangatBaik,
    /// Baik: good.
    Baik,
    /// Butuh perbaikan: needs improvement.
    ButuhPerbaikan,
    /// Kurang (misconduct): behaviour below expectation.
    Kurang,
    /// Sangat kurang: very poor.
    SangatKurang,
}

impl Predikat {
    /// All five, best first.
    pub const ALL: [Predikat; 5] = [
        Predikat::SangatBaik,
        Predikat::Baik,
        Predikat::ButuhPerbaikan,
        Predikat::Kurang,
        Predikat::SangatKurang,
    ];

    /// The wire name, e.g. `sangat_baik`.
    pub fn as_str(self) -> &'static str {
        match self {
            Predikat::SangatBaik => "sangat_baik",
            Predikat::Baik => "baik",
            Predikat::ButuhPerbaikan => "butuh_perbaikan",
            Predikat::Kurang => "kurang",
            Predikat::SangatKurang => "sangat_kurang",
        }
    }
}

/// A person as recorded when an appraisal opens: a snapshot, so later transfers do not
/// rewrite history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The person's NIP.
    pub nip: Nip,
    /// Full name.
    pub name: String,
    /// Position (jabatan) at opening.
    pub position: String,
    /// Organisational unit at opening.
    pub unit: String,
}

/// A target or achieved quantity: a whole number in its unit (events hold no floats).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// How many of `unit`.
    pub value: u64,
    /// What is counted, e.g. `dokumen` or `persen`.
    pub unit: String,
}

/// An indicator (IKI) of a planned result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    /// Unique within the plan.
    pub id: String,
    /// What is measured.
    pub description: String,
    /// The agreed target.
    pub target: Target,
}

/// A planned result (RHK) with its indicators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedResult {
    /// Unique within the plan.
    pub id: String,
    /// The result to be achieved.
    pub description: String,
    /// At least one indicator.
    pub indicators: Vec<Indicator>,
}

/// Who the feedback is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackAbout {
    /// Work results.
    Results,
    /// Work behaviour.
    Behaviour,
}

/// The forum's decision on an objection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForumOutcome {
    /// The score stands.
    Upheld,
    /// New ratings replace the score.
    Revised,
}

/// How a score became final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinalizedVia {
    /// The employee accepted the score.
    Accepted,
    /// The objection window closed without an objection.
    NoObjection,
    /// The forum decided an objection.
    Forum,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_nip_parses() {
        let nip = Nip::parse("198503152010011002").expect("valid");
        assert_eq!(nip.as_str(), "198503152010011002");
    }

    #[test]
    fn nips_breaking_each_part_are_refused() {
        let cases = [
            ("19850315201001100", "Shape"),
            ("19850315201001100a", "Shape"),
            ("198513152010011002", "BirthDate"),
            ("198502302010011002", "BirthDate"),
            ("198503152010131002", "Appointment"),
            ("198503152010013002", "Sex"),
        ];
        for (raw, part) in cases {
            let err = Nip::parse(raw).expect_err(raw);
            assert!(format!("{err:?}").starts_with(part), "{raw}: {err:?}");
        }
    }

    #[test]
    fn a_nip_from_json_is_validated() {
        assert!(serde_json::from_str::<Nip>("\"123\"").is_err());
        assert!(serde_json::from_str::<Nip>("\"198503152010011002\"").is_ok());
    }
}
