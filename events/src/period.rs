//! Periods of periodic evaluation (evaluasi kinerja periodik, PermenPANRB 6/2022) and the
//! values of a unit's capaian: what the agency chose for a cycle ([`PeriodKind`]), a period's
//! id ([`PeriodId`]: `YYYY-MM`, `YYYY-Q1`..`Q4`, `YYYY-S1`/`S2`), the scope of a capaian
//! ([`CapaianPeriod`]: a period or `annual`), the capaian itself ([`Capaian`]) and the
//! official who decided it ([`Official`]).
//!
//! These are data: when a period ends and what may be done in it are rules of the domain.

use crate::values::Nip;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How often an agency evaluates within its yearly cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// Annual only: no periodic evaluation (every cycle stored before periods existed).
    #[default]
    None,
    /// Twelve periods, `YYYY-MM`.
    Monthly,
    /// Four periods, `YYYY-Q1` .. `YYYY-Q4`.
    Quarterly,
    /// Two periods, `YYYY-S1` and `YYYY-S2`.
    Semester,
}

impl PeriodKind {
    /// Every kind, as the wire names them.
    pub const ALL: [PeriodKind; 4] = [PeriodKind::None, PeriodKind::Monthly, PeriodKind::Quarterly, PeriodKind::Semester];

    /// The wire name: `none`, `monthly`, `quarterly` or `semester`.
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::None => "none",
            PeriodKind::Monthly => "monthly",
            PeriodKind::Quarterly => "quarterly",
            PeriodKind::Semester => "semester",
        }
    }

    /// How many months one period lasts (0 for `none`).
    pub fn months(self) -> u8 {
        match self {
            PeriodKind::None => 0,
            PeriodKind::Monthly => 1,
            PeriodKind::Quarterly => 3,
            PeriodKind::Semester => 6,
        }
    }

    /// How many periods a year has (0 for `none`).
    pub fn per_year(self) -> u8 {
        match self.months() {
            0 => 0,
            months => 12 / months,
        }
    }

    /// The kind of a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

impl fmt::Display for PeriodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a text is not a period id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a period id (YYYY-MM, YYYY-Q1..YYYY-Q4 or YYYY-S1/YYYY-S2)")]
pub struct PeriodIdError(pub String);

/// One period of a year: `2026-03` (monthly), `2026-Q1` (quarterly) or `2026-S2` (semester).
/// Ordered by year, then kind, then position in the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PeriodId {
    year: i32,
    kind: PeriodKind,
    index: u8,
}

impl PeriodId {
    /// The `index`-th period (from 1) of `kind` in `year`; `None` when `kind` is `none` or
    /// `index` is not a period of that kind, or the year has not four digits.
    pub fn new(year: i32, kind: PeriodKind, index: u8) -> Option<Self> {
        ((1000..=9999).contains(&year) && (1..=kind.per_year()).contains(&index)).then_some(Self { year, kind, index })
    }

    /// Parses `YYYY-MM`, `YYYY-Qn` or `YYYY-Sn` exactly (upper-case `Q` and `S`, two-digit
    /// months).
    ///
    /// # Errors
    /// [`PeriodIdError`] for anything else.
    pub fn parse(raw: &str) -> Result<Self, PeriodIdError> {
        let refuse = || PeriodIdError(raw.chars().take(40).collect());
        let (year, rest) = raw.split_once('-').ok_or_else(refuse)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        let year: i32 = year.parse().map_err(|_| refuse())?;
        let digits = |text: &str, len: usize| (text.len() == len && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse::<u8>().ok()).flatten();
        let (kind, index) = match rest.as_bytes().first() {
            Some(b'Q') => (PeriodKind::Quarterly, digits(&rest[1..], 1)),
            Some(b'S') => (PeriodKind::Semester, digits(&rest[1..], 1)),
            _ => (PeriodKind::Monthly, digits(rest, 2)),
        };
        index.and_then(|i| Self::new(year, kind, i)).ok_or_else(refuse)
    }

    /// Every period of `kind` in `year`, in order (none for `none`).
    pub fn all_of(year: i32, kind: PeriodKind) -> Vec<Self> {
        (1..=kind.per_year()).filter_map(|i| Self::new(year, kind, i)).collect()
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The kind (never `none`).
    pub fn kind(self) -> PeriodKind {
        self.kind
    }

    /// The position in the year, from 1.
    pub fn index(self) -> u8 {
        self.index
    }

    /// The first month of the period (1..=12).
    pub fn first_month(self) -> u8 {
        (self.index - 1) * self.kind.months() + 1
    }

    /// The month after the period's last one (2..=13; 13 is January of the next year).
    pub fn next_month(self) -> u8 {
        self.first_month() + self.kind.months()
    }
}

impl fmt::Display for PeriodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::Quarterly => write!(f, "{}-Q{}", self.year, self.index),
            PeriodKind::Semester => write!(f, "{}-S{}", self.year, self.index),
            PeriodKind::Monthly | PeriodKind::None => write!(f, "{}-{:02}", self.year, self.index),
        }
    }
}

impl FromStr for PeriodId {
    type Err = PeriodIdError;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl TryFrom<String> for PeriodId {
    type Error = PeriodIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PeriodId> for String {
    fn from(period: PeriodId) -> Self {
        period.to_string()
    }
}

/// What a unit's capaian applies to: one period of the cycle, or the whole year (`annual`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum CapaianPeriod {
    /// The year: the pattern of the annual predikat.
    Annual,
    /// One period: the pattern of that period's predikat.
    Period(PeriodId),
}

impl CapaianPeriod {
    /// `annual` or a period id.
    ///
    /// # Errors
    /// [`PeriodIdError`] for anything else.
    pub fn parse(raw: &str) -> Result<Self, PeriodIdError> {
        if raw == "annual" {
            Ok(CapaianPeriod::Annual)
        } else {
            PeriodId::parse(raw).map(CapaianPeriod::Period)
        }
    }
}

impl fmt::Display for CapaianPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapaianPeriod::Annual => f.write_str("annual"),
            CapaianPeriod::Period(period) => period.fmt(f),
        }
    }
}

impl TryFrom<String> for CapaianPeriod {
    type Error = PeriodIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CapaianPeriod> for String {
    fn from(period: CapaianPeriod) -> Self {
        period.to_string()
    }
}

/// A unit's organisational result (capaian kinerja organisasi), which selects the pattern its
/// predikat distribution should follow (SE MenPANRB 3/2023).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capaian {
    /// Istimewa: outstanding.
    Istimewa,
    /// Baik: good (the pattern assumed for a unit without a capaian).
    Baik,
    /// Butuh perbaikan: needs improvement.
    ButuhPerbaikan,
    /// Kurang: poor.
    Kurang,
    /// Sangat kurang: very poor.
    SangatKurang,
}

impl Capaian {
    /// All five, best first.
    pub const ALL: [Capaian; 5] = [Capaian::Istimewa, Capaian::Baik, Capaian::ButuhPerbaikan, Capaian::Kurang, Capaian::SangatKurang];

    /// The wire name, e.g. `butuh_perbaikan`.
    pub fn as_str(self) -> &'static str {
        match self {
            Capaian::Istimewa => "istimewa",
            Capaian::Baik => "baik",
            Capaian::ButuhPerbaikan => "butuh_perbaikan",
            Capaian::Kurang => "kurang",
            Capaian::SangatKurang => "sangat_kurang",
        }
    }

    /// The capaian of a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// The official who decided something, as they stood then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Official {
    /// Their NIP.
    pub nip: Nip,
    /// Full name.
    pub name: String,
    /// Position (jabatan).
    pub position: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_period_id_reads_back_from_its_wire_form() {
        for kind in [PeriodKind::Monthly, PeriodKind::Quarterly, PeriodKind::Semester] {
            let all = PeriodId::all_of(2026, kind);
            assert_eq!(all.len(), usize::from(kind.per_year()));
            for period in all {
                assert_eq!(PeriodId::parse(&period.to_string()), Ok(period));
                assert_eq!(serde_json::to_value(period).expect("json"), serde_json::json!(period.to_string()));
            }
        }
        let names: Vec<String> = PeriodId::all_of(2026, PeriodKind::Quarterly).iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]);
        assert_eq!(PeriodId::parse("2026-03").map(|p| (p.kind(), p.index())), Ok((PeriodKind::Monthly, 3)));
        assert_eq!(PeriodId::parse("2026-S2").map(|p| (p.first_month(), p.next_month())), Ok((7, 13)));
        assert_eq!(PeriodId::parse("2026-Q3").map(|p| (p.first_month(), p.next_month())), Ok((7, 10)));
        assert_eq!(PeriodId::parse("2026-12").map(|p| (p.first_month(), p.next_month())), Ok((12, 13)));
    }

    #[test]
    fn malformed_period_ids_are_refused() {
        for bad in ["", "2026", "2026-", "2026-3", "2026-13", "2026-00", "2026-Q0", "2026-Q5", "2026-S3", "2026-q1", "2026-s1", "26-01", "2026-001", "2026-Q12", "+202-01", "2026-1Q", "annual", "2026-01 ", "२०२६-01"] {
            assert!(PeriodId::parse(bad).is_err(), "{bad:?}");
            assert!(serde_json::from_value::<PeriodId>(serde_json::json!(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_capaian_period_is_annual_or_a_period_id() {
        assert_eq!(CapaianPeriod::parse("annual"), Ok(CapaianPeriod::Annual));
        assert_eq!(CapaianPeriod::parse("2026-Q2").map(|p| p.to_string()), Ok("2026-Q2".to_owned()));
        assert!(CapaianPeriod::parse("Annual").is_err());
        assert_eq!(serde_json::to_value(CapaianPeriod::Annual).expect("json"), serde_json::json!("annual"));
    }

    #[test]
    fn kinds_and_capaian_have_their_wire_names() {
        for kind in PeriodKind::ALL {
            assert_eq!(serde_json::to_value(kind).expect("json"), serde_json::json!(kind.as_str()));
            assert_eq!(PeriodKind::parse(kind.as_str()), Some(kind));
        }
        for capaian in Capaian::ALL {
            assert_eq!(serde_json::to_value(capaian).expect("json"), serde_json::json!(capaian.as_str()));
            assert_eq!(Capaian::parse(capaian.as_str()), Some(capaian));
        }
        assert_eq!(PeriodKind::parse("yearly"), None);
    }
}
