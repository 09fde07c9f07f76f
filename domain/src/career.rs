//! The career read model's answer (docs/domain.md, "Career rules"): from an employee's final
//! predikat per year, the history with its angka kredit, the four eligibility rules and the
//! two flags, each with the reasons a person can read.
//!
//! **"The last two years"** means the two most recent appraisal years on record, and they
//! must be consecutive calendar years: 2025 and 2026 count as two years in a row, 2023 and
//! 2025 do not (nothing was finalized for 2024). With fewer than two years on record no rule
//! is met, and the reason says so. The rules have no clock: whether the latest year on
//! record is recent enough for a promotion round is the caller's question.
//!
//! **One result per year.** Should the input hold two final results for one year (e.g. two
//! organisations in a year of transfer), the one finalized last stands; on an exact tie of
//! `finalized_at`, the lower predikat, so that a tie never grants more.
//!
//! **The literal table.** `kenaikan_pangkat` and `talent_pool` share one condition (`baik` or
//! `sangat_baik` in both years); `talent_pool_priority` asks `sangat_baik` in both years and
//! `training_priority` exactly `baik` in both years, so a mixed pair (`sangat_baik`, `baik`)
//! meets neither priority. The flags look at the latest year on record only.

use skp_events::Predikat;
use time::OffsetDateTime;

/// Rule: eligible for promotion (kenaikan pangkat), PP 11/2017 jo 17/2020.
pub const KENAIKAN_PANGKAT: &str = "kenaikan_pangkat";
/// Rule: eligible for the talent pool (kelompok rencana suksesi), PP 11/2017 Ps 199.
pub const TALENT_POOL: &str = "talent_pool";
/// Rule: priority for talent development, PP 30/2019 Ps 54.
pub const TALENT_POOL_PRIORITY: &str = "talent_pool_priority";
/// Rule: priority for competence development (training), PP 30/2019 Ps 54.
pub const TRAINING_PRIORITY: &str = "training_priority";
/// Flag: six months to improve, PP 30/2019 Ps 56–58.
pub const IMPROVEMENT_PLAN: &str = "improvement_plan";
/// Flag: behaviour below expectation to be reviewed, PermenPANRB 6/2022.
pub const MISCONDUCT_REVIEW: &str = "misconduct_review";

/// One appraisal year's final result, as the career read model receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearResult {
    /// The appraisal year (the cycle's year).
    pub year: i32,
    /// The final predikat (`ScoreFinalized`).
    pub predikat: Predikat,
    /// When the score became final.
    pub finalized_at: OffsetDateTime,
}

/// One year of the history, with the angka kredit it earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearEntry {
    /// The appraisal year.
    pub year: i32,
    /// The final predikat.
    pub predikat: Predikat,
    /// When the score became final.
    pub finalized_at: OffsetDateTime,
    /// The share of the yearly angka kredit earned, see [`angka_kredit_percent`].
    pub angka_kredit_percent: u32,
}

/// The answer to one eligibility rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleAnswer {
    /// The rule's name, e.g. [`KENAIKAN_PANGKAT`].
    pub rule: &'static str,
    /// Whether the employee meets it.
    pub eligible: bool,
    /// Why, as sentences naming the years and their predikat.
    pub reasons: Vec<String>,
    /// The years the answer rests on, oldest first (empty with no history).
    pub years: Vec<i32>,
}

/// A flag raised by the latest year on record (only raised flags are listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagAnswer {
    /// The flag's name, e.g. [`IMPROVEMENT_PLAN`].
    pub flag: &'static str,
    /// Why, naming the year and its predikat.
    pub reason: String,
    /// The year that raised it.
    pub year: i32,
}

/// The career read model's whole answer for one employee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareerAssessment {
    /// One entry per year on record, oldest first.
    pub history: Vec<YearEntry>,
    /// The four rules, always all four, in the order of docs/domain.md's table.
    pub eligibility: Vec<RuleAnswer>,
    /// The flags raised, in the order of docs/domain.md's table; empty when none is.
    pub flags: Vec<FlagAnswer>,
}

/// The share of the yearly angka kredit a predikat earns (Peraturan BKN 3/2023): sangat_baik
/// 150, baik 100, butuh_perbaikan 75, kurang 50, sangat_kurang 25.
pub fn angka_kredit_percent(predikat: Predikat) -> u32 {
    match predikat {
        Predikat::SangatBaik => 150,
        Predikat::Baik => 100,
        Predikat::ButuhPerbaikan => 75,
        Predikat::Kurang => 50,
        Predikat::SangatKurang => 25,
    }
}

/// The career answer from an employee's final results, in any order. Total: any input,
/// including none, has an answer.
pub fn assess(results: &[YearResult]) -> CareerAssessment {
    let history = history(results);
    let last_two = LastTwo::of(&history);
    let eligibility = RULES.iter().map(|rule| rule.answer(&last_two)).collect();
    let flags = history.last().map(flags).unwrap_or_default();
    CareerAssessment { history, eligibility, flags }
}

/// One entry per year, oldest first; of two results for a year, the one finalized last (on a
/// tie, the lower predikat).
fn history(results: &[YearResult]) -> Vec<YearEntry> {
    let mut sorted = results.to_vec();
    sorted.sort_by_key(|r| (r.year, r.finalized_at, r.predikat));
    let mut entries: Vec<YearEntry> = Vec::with_capacity(sorted.len());
    for r in sorted {
        if entries.last().is_some_and(|e| e.year == r.year) {
            entries.pop();
        }
        let angka_kredit_percent = angka_kredit_percent(r.predikat);
        entries.push(YearEntry {
            year: r.year,
            predikat: r.predikat,
            finalized_at: r.finalized_at,
            angka_kredit_percent,
        });
    }
    entries
}

/// The two most recent years on record, and whether they are two years in a row.
enum LastTwo<'a> {
    None,
    One(&'a YearEntry),
    Gap(&'a YearEntry, &'a YearEntry),
    InARow(&'a YearEntry, &'a YearEntry),
}

impl<'a> LastTwo<'a> {
    fn of(history: &'a [YearEntry]) -> Self {
        match history {
            [] => LastTwo::None,
            [only] => LastTwo::One(only),
            [.., older, newer] if newer.year == older.year + 1 => LastTwo::InARow(older, newer),
            [.., older, newer] => LastTwo::Gap(older, newer),
        }
    }

    fn years(&self) -> Vec<i32> {
        match self {
            LastTwo::None => vec![],
            LastTwo::One(only) => vec![only.year],
            LastTwo::Gap(older, newer) | LastTwo::InARow(older, newer) => vec![older.year, newer.year],
        }
    }
}

/// A rule of the table: both of the last two years must satisfy `holds`.
struct Rule {
    name: &'static str,
    holds: fn(Predikat) -> bool,
    /// What `holds` asks, in the words of the reasons.
    wanted: &'static str,
}

fn baik_or_better(p: Predikat) -> bool {
    matches!(p, Predikat::SangatBaik | Predikat::Baik)
}

const RULES: [Rule; 4] = [
    Rule { name: KENAIKAN_PANGKAT, holds: baik_or_better, wanted: "baik or sangat_baik" },
    Rule { name: TALENT_POOL, holds: baik_or_better, wanted: "baik or better" },
    Rule { name: TALENT_POOL_PRIORITY, holds: |p| p == Predikat::SangatBaik, wanted: "sangat_baik" },
    Rule { name: TRAINING_PRIORITY, holds: |p| p == Predikat::Baik, wanted: "baik" },
];

const TWO_NEEDED: &str = "two consecutive years are needed";

impl Rule {
    fn answer(&self, last_two: &LastTwo<'_>) -> RuleAnswer {
        let (eligible, reason) = match *last_two {
            LastTwo::None => (false, format!("no final predikat on record — {TWO_NEEDED}")),
            LastTwo::One(only) => (false, format!("only {} on record — {TWO_NEEDED}", year_and(only))),
            LastTwo::Gap(older, newer) => (false, gap_reason(older, newer)),
            LastTwo::InARow(older, newer) => self.judge(older, newer),
        };
        RuleAnswer { rule: self.name, eligible, reasons: vec![reason], years: last_two.years() }
    }

    fn judge(&self, older: &YearEntry, newer: &YearEntry) -> (bool, String) {
        let both = format!("{}, {}", year_and(older), year_and(newer));
        let failing: Vec<String> =
            [older, newer].iter().filter(|e| !(self.holds)(e.predikat)).map(|e| e.year.to_string()).collect();
        match failing.as_slice() {
            [] => (true, format!("{both} — both {}", self.wanted)),
            [one] => (false, format!("{both} — {one} is not {}", self.wanted)),
            _ => (false, format!("{both} — neither is {}", self.wanted)),
        }
    }
}

fn year_and(entry: &YearEntry) -> String {
    format!("{}: {}", entry.year, entry.predikat.as_str())
}

fn gap_reason(older: &YearEntry, newer: &YearEntry) -> String {
    let (first, last) = (older.year + 1, newer.year - 1);
    let missing = if first == last { first.to_string() } else { format!("{first} to {last}") };
    format!(
        "{}, {} — not consecutive years (no final predikat for {missing}); {TWO_NEEDED}",
        year_and(older),
        year_and(newer)
    )
}

fn flags(latest: &YearEntry) -> Vec<FlagAnswer> {
    let mut raised = Vec::new();
    if !baik_or_better(latest.predikat) {
        raised.push(FlagAnswer {
            flag: IMPROVEMENT_PLAN,
            reason: format!("{} — the latest predikat is below baik: six months to improve", year_and(latest)),
            year: latest.year,
        });
    }
    if latest.predikat == Predikat::Kurang {
        raised.push(FlagAnswer {
            flag: MISCONDUCT_REVIEW,
            reason: format!("{} — the latest predikat is kurang: behaviour below expectation", year_and(latest)),
            year: latest.year,
        });
    }
    raised
}

#[cfg(test)]
mod tests {
    use super::*;
    use skp_events::Predikat::*;
    use time::macros::datetime;
    use time::Duration;

    const FINALIZED: OffsetDateTime = datetime!(2026-02-15 09:00 UTC);

    /// A result finalized in February of the following year.
    fn year(year: i32, predikat: Predikat) -> YearResult {
        YearResult { year, predikat, finalized_at: FINALIZED + Duration::days(365 * i64::from(year - 2025)) }
    }

    fn rule<'a>(assessment: &'a CareerAssessment, name: &str) -> &'a RuleAnswer {
        assessment.eligibility.iter().find(|r| r.rule == name).expect("every rule is answered")
    }

    fn eligible(results: &[YearResult], name: &str) -> bool {
        rule(&assess(results), name).eligible
    }

    fn flag_names(results: &[YearResult]) -> Vec<&'static str> {
        assess(results).flags.iter().map(|f| f.flag).collect()
    }

    // ------------------------------------------------------------ history

    #[test]
    fn the_history_is_sorted_by_year_whatever_the_input_order() {
        let assessment = assess(&[year(2025, Baik), year(2023, Kurang), year(2024, SangatBaik)]);
        let years: Vec<_> = assessment.history.iter().map(|e| (e.year, e.predikat)).collect();
        assert_eq!(years, [(2023, Kurang), (2024, SangatBaik), (2025, Baik)]);
    }

    #[test]
    fn each_history_entry_keeps_its_predikat_and_finalization_time() {
        let result = year(2025, ButuhPerbaikan);
        let entry = assess(&[result]).history[0];
        let expected = YearEntry {
            year: 2025,
            predikat: ButuhPerbaikan,
            finalized_at: result.finalized_at,
            angka_kredit_percent: 75,
        };
        assert_eq!(entry, expected);
    }

    #[test]
    fn angka_kredit_follows_the_bkn_table_for_every_predikat() {
        let table = [(SangatBaik, 150), (Baik, 100), (ButuhPerbaikan, 75), (Kurang, 50), (SangatKurang, 25)];
        for (predikat, percent) in table {
            assert_eq!(angka_kredit_percent(predikat), percent, "{predikat:?}");
            assert_eq!(assess(&[year(2025, predikat)]).history[0].angka_kredit_percent, percent);
        }
    }

    #[test]
    fn of_two_results_for_one_year_the_one_finalized_last_stands() {
        let earlier = YearResult { finalized_at: FINALIZED - Duration::days(30), ..year(2025, SangatBaik) };
        let later = year(2025, Kurang);
        for input in [[earlier, later], [later, earlier]] {
            let history = assess(&input).history;
            assert_eq!(history.len(), 1);
            assert_eq!(history[0].predikat, Kurang);
        }
    }

    #[test]
    fn of_two_results_for_one_year_finalized_at_the_same_instant_the_lower_predikat_stands() {
        for input in [[year(2025, Baik), year(2025, ButuhPerbaikan)], [year(2025, ButuhPerbaikan), year(2025, Baik)]] {
            assert_eq!(assess(&input).history[0].predikat, ButuhPerbaikan);
        }
    }

    #[test]
    fn no_results_give_an_empty_history_no_flags_and_every_rule_answered_not_eligible() {
        let assessment = assess(&[]);
        assert!(assessment.history.is_empty() && assessment.flags.is_empty());
        let names: Vec<_> = assessment.eligibility.iter().map(|r| r.rule).collect();
        assert_eq!(names, [KENAIKAN_PANGKAT, TALENT_POOL, TALENT_POOL_PRIORITY, TRAINING_PRIORITY]);
        for answer in &assessment.eligibility {
            assert!(!answer.eligible && answer.years.is_empty(), "{answer:?}");
            assert_eq!(answer.reasons, ["no final predikat on record — two consecutive years are needed"]);
        }
    }

    // ------------------------------------------------------------ the last two years

    #[test]
    fn a_single_year_is_not_enough_and_the_reason_says_so() {
        let assessment = assess(&[year(2026, SangatBaik)]);
        for answer in &assessment.eligibility {
            assert!(!answer.eligible, "{answer:?}");
            assert_eq!(answer.years, [2026]);
            assert_eq!(answer.reasons, ["only 2026: sangat_baik on record — two consecutive years are needed"]);
        }
    }

    #[test]
    fn two_good_years_with_a_gap_between_them_are_not_two_years_in_a_row() {
        let assessment = assess(&[year(2023, SangatBaik), year(2025, SangatBaik)]);
        for answer in &assessment.eligibility {
            assert!(!answer.eligible, "{answer:?}");
            assert_eq!(answer.years, [2023, 2025]);
            assert_eq!(
                answer.reasons,
                ["2023: sangat_baik, 2025: sangat_baik — not consecutive years (no final predikat for 2024); \
                  two consecutive years are needed"]
            );
        }
    }

    #[test]
    fn a_gap_of_several_years_names_the_missing_span() {
        let answer = rule(&assess(&[year(2021, Baik), year(2025, Baik)]), TALENT_POOL).clone();
        assert!(answer.reasons[0].contains("no final predikat for 2022 to 2024"), "{answer:?}");
    }

    #[test]
    fn only_the_two_most_recent_years_count_so_an_old_bad_year_does_not() {
        let results = [year(2022, SangatKurang), year(2023, Baik), year(2024, Baik)];
        let answer = rule(&assess(&results), KENAIKAN_PANGKAT).clone();
        assert!(answer.eligible);
        assert_eq!(answer.years, [2023, 2024]);
    }

    #[test]
    fn a_recent_gap_is_not_bridged_by_older_consecutive_years() {
        let results = [year(2022, Baik), year(2023, Baik), year(2025, Baik)];
        let answer = rule(&assess(&results), KENAIKAN_PANGKAT).clone();
        assert!(!answer.eligible);
        assert_eq!(answer.years, [2023, 2025]);
    }

    // ------------------------------------------------------------ kenaikan_pangkat and talent_pool

    #[test]
    fn kenaikan_pangkat_needs_baik_or_sangat_baik_in_each_of_the_last_two_years() {
        for (older, newer) in [(Baik, Baik), (Baik, SangatBaik), (SangatBaik, Baik), (SangatBaik, SangatBaik)] {
            assert!(eligible(&[year(2025, older), year(2026, newer)], KENAIKAN_PANGKAT), "{older:?}, {newer:?}");
        }
        for below in [ButuhPerbaikan, Kurang, SangatKurang] {
            assert!(!eligible(&[year(2025, below), year(2026, SangatBaik)], KENAIKAN_PANGKAT), "{below:?} first");
            assert!(!eligible(&[year(2025, SangatBaik), year(2026, below)], KENAIKAN_PANGKAT), "{below:?} last");
        }
    }

    #[test]
    fn kenaikan_pangkat_reasons_name_the_years_and_their_predikat() {
        let yes = rule(&assess(&[year(2025, Baik), year(2026, SangatBaik)]), KENAIKAN_PANGKAT).clone();
        assert_eq!(yes.reasons, ["2025: baik, 2026: sangat_baik — both baik or sangat_baik"]);
        assert_eq!(yes.years, [2025, 2026]);
        let no = rule(&assess(&[year(2025, Baik), year(2026, ButuhPerbaikan)]), KENAIKAN_PANGKAT).clone();
        assert_eq!(no.reasons, ["2025: baik, 2026: butuh_perbaikan — 2026 is not baik or sangat_baik"]);
    }

    #[test]
    fn talent_pool_needs_at_least_baik_in_each_of_the_last_two_years() {
        assert!(eligible(&[year(2025, SangatBaik), year(2026, Baik)], TALENT_POOL));
        assert!(!eligible(&[year(2025, Kurang), year(2026, Baik)], TALENT_POOL));
        assert!(!eligible(&[year(2025, Baik), year(2026, SangatKurang)], TALENT_POOL));
    }

    #[test]
    fn talent_pool_reasons_name_the_year_that_fails() {
        let answer = rule(&assess(&[year(2025, Kurang), year(2026, Baik)]), TALENT_POOL).clone();
        assert_eq!(answer.reasons, ["2025: kurang, 2026: baik — 2025 is not baik or better"]);
    }

    // ------------------------------------------------------------ the priorities

    #[test]
    fn talent_pool_priority_needs_sangat_baik_in_both_of_the_last_two_years() {
        let answer = rule(&assess(&[year(2025, SangatBaik), year(2026, SangatBaik)]), TALENT_POOL_PRIORITY).clone();
        assert!(answer.eligible);
        assert_eq!(answer.reasons, ["2025: sangat_baik, 2026: sangat_baik — both sangat_baik"]);
        assert!(!eligible(&[year(2025, Baik), year(2026, SangatBaik)], TALENT_POOL_PRIORITY));
        assert!(!eligible(&[year(2025, SangatBaik), year(2026, Baik)], TALENT_POOL_PRIORITY));
    }

    #[test]
    fn training_priority_needs_exactly_baik_in_both_of_the_last_two_years() {
        let answer = rule(&assess(&[year(2025, Baik), year(2026, Baik)]), TRAINING_PRIORITY).clone();
        assert!(answer.eligible);
        assert_eq!(answer.reasons, ["2025: baik, 2026: baik — both baik"]);
        assert!(!eligible(&[year(2025, SangatBaik), year(2026, Baik)], TRAINING_PRIORITY));
        assert!(!eligible(&[year(2025, Baik), year(2026, ButuhPerbaikan)], TRAINING_PRIORITY));
    }

    #[test]
    fn when_both_years_fail_a_rule_the_reason_says_neither_meets_it() {
        let answer = rule(&assess(&[year(2025, Baik), year(2026, Baik)]), TALENT_POOL_PRIORITY).clone();
        assert!(!answer.eligible);
        assert_eq!(answer.reasons, ["2025: baik, 2026: baik — neither is sangat_baik"]);
    }

    // ------------------------------------------------------------ flags

    #[test]
    fn an_improvement_plan_is_flagged_when_the_latest_predikat_is_below_baik() {
        for below in [ButuhPerbaikan, Kurang, SangatKurang] {
            assert!(flag_names(&[year(2026, below)]).contains(&IMPROVEMENT_PLAN), "{below:?}");
        }
        for good in [Baik, SangatBaik] {
            assert!(flag_names(&[year(2026, good)]).is_empty(), "{good:?}");
        }
    }

    #[test]
    fn the_improvement_plan_flag_names_the_latest_year_and_its_predikat() {
        let flags = assess(&[year(2025, Baik), year(2026, ButuhPerbaikan)]).flags;
        let expected = FlagAnswer {
            flag: IMPROVEMENT_PLAN,
            reason: "2026: butuh_perbaikan — the latest predikat is below baik: six months to improve".into(),
            year: 2026,
        };
        assert_eq!(flags, [expected]);
    }

    #[test]
    fn only_the_latest_year_raises_flags() {
        assert!(flag_names(&[year(2025, Kurang), year(2026, Baik)]).is_empty());
        assert_eq!(flag_names(&[year(2026, SangatBaik), year(2025, Kurang)]), Vec::<&str>::new());
    }

    #[test]
    fn a_latest_kurang_raises_misconduct_review_beside_the_improvement_plan() {
        let flags = assess(&[year(2026, Kurang)]).flags;
        assert_eq!(flags.iter().map(|f| f.flag).collect::<Vec<_>>(), [IMPROVEMENT_PLAN, MISCONDUCT_REVIEW]);
        assert_eq!(flags[1].reason, "2026: kurang — the latest predikat is kurang: behaviour below expectation");
        assert_eq!(flags[1].year, 2026);
    }

    #[test]
    fn misconduct_review_is_only_for_kurang() {
        for other in [SangatBaik, Baik, ButuhPerbaikan, SangatKurang] {
            assert!(!flag_names(&[year(2026, other)]).contains(&MISCONDUCT_REVIEW), "{other:?}");
        }
    }
}
