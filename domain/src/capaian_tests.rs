//! The pattern of every capaian, each rule with a passing and a failing distribution, and
//! the recording of a unit's capaian.

use super::*;
use crate::testing::*;
use skp_events::data::CycleOpened;
use skp_events::period::{CapaianPeriod, PeriodKind};
use skp_events::{Actor, AggregateType, Envelope, GENESIS_HASH};
use Predikat::*;
use uuid::Uuid;

/// A distribution of (sangat_baik, baik, butuh_perbaikan, kurang, sangat_kurang).
fn d(sb: i64, b: i64, bp: i64, k: i64, sk: i64) -> Distribution {
    Distribution::of([(SangatBaik, sb), (Baik, b), (ButuhPerbaikan, bp), (Kurang, k), (SangatKurang, sk)])
}

fn codes(capaian: Capaian, distribution: Distribution) -> Vec<&'static str> {
    pattern_warnings(capaian, &distribution).into_iter().map(|w| w.code).collect()
}

// ---------------------------------------------------------------- the pattern table, row by row

#[test]
fn istimewa_passes_with_sangat_baik_the_largest_group_at_most_70_percent() {
    assert_eq!(codes(Capaian::Istimewa, d(7, 2, 1, 0, 0)), Vec::<&str>::new());
    assert_eq!(codes(Capaian::Istimewa, d(4, 4, 2, 0, 0)), Vec::<&str>::new(), "a tie for the largest group is still the largest");
}

#[test]
fn istimewa_warns_when_sangat_baik_is_not_the_largest_or_over_70_percent() {
    assert_eq!(codes(Capaian::Istimewa, d(3, 5, 2, 0, 0)), ["sangat_baik_not_largest"]);
    assert_eq!(codes(Capaian::Istimewa, d(8, 2, 0, 0, 0)), ["sangat_baik_over_70_percent"]);
}

#[test]
fn baik_passes_with_baik_at_most_70_percent_and_some_butuh_perbaikan_or_kurang() {
    assert_eq!(codes(Capaian::Baik, d(2, 7, 1, 0, 0)), Vec::<&str>::new());
    assert_eq!(codes(Capaian::Baik, d(2, 7, 0, 1, 0)), Vec::<&str>::new());
}

#[test]
fn baik_warns_over_70_percent_baik_or_without_butuh_perbaikan_or_kurang() {
    assert_eq!(codes(Capaian::Baik, d(1, 8, 1, 0, 0)), ["baik_over_70_percent"]);
    assert_eq!(codes(Capaian::Baik, d(3, 7, 0, 0, 0)), ["no_low_predikat"]);
}

#[test]
fn sangat_kurang_is_not_the_low_predikat_the_baik_pattern_asks_for() {
    // The bug this fixes: sangat_kurang was counted as the butuh_perbaikan or kurang the
    // Baik pattern requires.
    let warnings = pattern_warnings(Capaian::Baik, &d(3, 6, 0, 0, 1));
    assert_eq!(warnings.iter().map(|w| w.code).collect::<Vec<_>>(), ["no_low_predikat"]);
    assert!(warnings[0].detail.contains("sangat_kurang does not count"), "{warnings:?}");
}

#[test]
fn butuh_perbaikan_passes_with_60_percent_butuh_perbaikan_and_sangat_baik_at_most_10_percent() {
    assert_eq!(codes(Capaian::ButuhPerbaikan, d(1, 3, 6, 0, 0)), Vec::<&str>::new());
}

#[test]
fn butuh_perbaikan_warns_under_60_percent_or_over_10_percent_sangat_baik() {
    assert_eq!(codes(Capaian::ButuhPerbaikan, d(1, 4, 5, 0, 0)), ["butuh_perbaikan_under_60_percent"]);
    assert_eq!(codes(Capaian::ButuhPerbaikan, d(2, 2, 6, 0, 0)), ["sangat_baik_over_10_percent"]);
}

#[test]
fn kurang_passes_with_60_percent_kurang_10_percent_butuh_perbaikan_and_little_sangat_baik() {
    assert_eq!(codes(Capaian::Kurang, d(1, 1, 1, 6, 1)), Vec::<&str>::new());
}

#[test]
fn kurang_warns_on_each_of_its_three_rules() {
    assert_eq!(codes(Capaian::Kurang, d(0, 4, 1, 5, 0)), ["kurang_under_60_percent"]);
    assert_eq!(codes(Capaian::Kurang, d(0, 3, 0, 7, 0)), ["butuh_perbaikan_under_10_percent"]);
    assert_eq!(codes(Capaian::Kurang, d(2, 0, 1, 7, 0)), ["sangat_baik_over_10_percent"]);
}

#[test]
fn sangat_kurang_passes_with_60_percent_sangat_kurang_10_percent_kurang_or_butuh_perbaikan_and_no_sangat_baik() {
    assert_eq!(codes(Capaian::SangatKurang, d(0, 2, 1, 1, 6)), Vec::<&str>::new());
    assert_eq!(codes(Capaian::SangatKurang, d(0, 3, 0, 1, 6)), Vec::<&str>::new(), "kurang alone is the 10%");
}

#[test]
fn sangat_kurang_warns_on_each_of_its_three_rules() {
    assert_eq!(codes(Capaian::SangatKurang, d(0, 3, 1, 1, 5)), ["sangat_kurang_under_60_percent"]);
    assert_eq!(codes(Capaian::SangatKurang, d(0, 4, 0, 0, 6)), ["kurang_or_butuh_perbaikan_under_10_percent"]);
    assert_eq!(codes(Capaian::SangatKurang, d(1, 1, 1, 1, 6)), ["sangat_baik_present"]);
}

#[test]
fn the_bounds_themselves_keep_the_pattern() {
    // Exactly 70%, 60% and 10% are within the pattern.
    assert_eq!(codes(Capaian::Baik, d(0, 7, 3, 0, 0)), Vec::<&str>::new());
    assert_eq!(codes(Capaian::Istimewa, d(7, 3, 0, 0, 0)), Vec::<&str>::new());
    assert_eq!(codes(Capaian::ButuhPerbaikan, d(1, 3, 6, 0, 0)), Vec::<&str>::new());
    assert_eq!(codes(Capaian::Kurang, d(1, 2, 1, 6, 0)), Vec::<&str>::new());
}

#[test]
fn fewer_than_five_graded_are_not_compared() {
    for capaian in Capaian::ALL {
        assert_eq!(codes(capaian, d(4, 0, 0, 0, 0)), Vec::<&str>::new(), "{capaian:?}");
    }
    assert_eq!(codes(Capaian::Baik, d(0, 5, 0, 0, 0)).len(), 2, "five are compared");
}

// ---------------------------------------------------------------- recording a unit's capaian

fn cycle_of(config: CycleOpened, capaian: Vec<UnitCapaianSet>) -> Cycle {
    let mut cycle = Cycle::new(CYCLE_ID);
    let mut version: u64 = 0;
    let mut apply = |event: Event| {
        version += 1;
        cycle.apply(&Envelope {
            event_id: Uuid::from_u128(u128::from(version)),
            aggregate_type: AggregateType::Cycle,
            aggregate_id: CYCLE_ID,
            version,
            schema_version: event.schema_version(),
            event,
            occurred_at: START,
            actor: Actor { nip: nip(ADMIN_NIP), role: ActorRole::Admin },
            command_id: command_id(version),
            correlation_id: command_id(version),
            causation_id: command_id(version),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        });
    };
    apply(Event::CycleOpened(config));
    capaian.into_iter().for_each(|c| apply(Event::UnitCapaianSet(c)));
    cycle
}

fn monthly() -> Cycle {
    cycle_of(periodic_cycle(PeriodKind::Monthly, 7), vec![])
}

fn leader() -> Official {
    Official { nip: nip(SUPERIOR_NIP), name: "Dewi Lestari".into(), position: "Sekretaris Badan".into() }
}

fn set(period: &str, capaian: Capaian, reason: Option<&str>) -> SetUnitCapaian {
    SetUnitCapaian { unit: "Bidang Perencanaan".into(), period: period.into(), capaian, decided_by: leader(), reason: reason.map(str::to_owned) }
}

fn recorded(command: &SetUnitCapaian, period: CapaianPeriod) -> Event {
    Event::UnitCapaianSet(UnitCapaianSet {
        unit: command.unit.clone(),
        period,
        capaian: command.capaian,
        decided_by: command.decided_by.clone(),
        reason: command.reason.clone(),
    })
}

fn by(who: Who) -> Ctx {
    Ctx { caller: who.caller, now: START }
}

#[test]
fn an_admin_records_a_units_capaian_for_a_period_or_the_year() {
    for (period, scope) in [("2025-03", CapaianPeriod::Period(period_id("2025-03"))), ("annual", CapaianPeriod::Annual)] {
        let command = set(period, Capaian::Istimewa, None);
        let decision = monthly().decide_capaian(|| Ok(command.clone()), &by(admin()));
        assert_recorded(decision, &recorded(&command, scope), ActorRole::Admin);
    }
}

#[test]
fn a_second_capaian_for_the_same_unit_and_period_needs_a_reason() {
    let first = UnitCapaianSet { unit: "Bidang Perencanaan".into(), period: CapaianPeriod::Annual, capaian: Capaian::Baik, decided_by: leader(), reason: None };
    let cycle = cycle_of(periodic_cycle(PeriodKind::Monthly, 7), vec![first]);
    assert_eq!(cycle.capaian.len(), 1);
    for blank in [None, Some(""), Some("  ")] {
        let error = assert_refused(cycle.decide_capaian(|| Ok(set("annual", Capaian::Kurang, blank)), &by(admin())), "reason_required");
        assert!(error.to_string().contains("already has capaian baik"), "{error}");
    }
    let with_reason = set("annual", Capaian::Kurang, Some("Hasil reviu Inspektorat"));
    assert_recorded(cycle.decide_capaian(|| Ok(with_reason.clone()), &by(admin())), &recorded(&with_reason, CapaianPeriod::Annual), ActorRole::Admin);
    let other_period = set("2025-01", Capaian::Kurang, None);
    assert!(cycle.decide_capaian(|| Ok(other_period), &by(admin())).is_ok(), "another period is another capaian");
}

#[test]
fn a_later_capaian_supersedes_the_earlier_in_the_cycles_state() {
    let first = UnitCapaianSet { unit: "U".into(), period: CapaianPeriod::Annual, capaian: Capaian::Baik, decided_by: leader(), reason: None };
    let second = UnitCapaianSet { capaian: Capaian::Istimewa, reason: Some("revisi".into()), ..first.clone() };
    let cycle = cycle_of(cycle_opened(), vec![first, second.clone()]);
    assert_eq!(cycle.capaian.get(&("U".to_owned(), CapaianPeriod::Annual)), Some(&second));
}

#[test]
fn only_an_admin_records_a_capaian_and_before_reading_its_values() {
    for who in [employee(), rater(), superior(), peer(), inspector(), inspector().also_admin()] {
        let decision = monthly().decide_capaian(|| Err(DomainError::invalid("invalid_value", "not read")), &by(who));
        assert_refused(decision, "forbidden");
    }
    let unknown = Cycle::new(CYCLE_ID).decide_capaian(|| Ok(set("annual", Capaian::Baik, None)), &by(admin()));
    assert_refused(unknown, "not_found");
}

#[test]
fn the_period_must_be_annual_or_one_of_the_cycles() {
    for bad in ["2025-Q1", "2026-01", "tahunan", "Annual"] {
        assert_refused(monthly().decide_capaian(|| Ok(set(bad, Capaian::Baik, None)), &by(admin())), "invalid_period");
    }
    let annual_cycle = cycle_of(cycle_opened(), vec![]);
    assert_refused(annual_cycle.decide_capaian(|| Ok(set("2025-01", Capaian::Baik, None)), &by(admin())), "invalid_period");
    assert!(annual_cycle.decide_capaian(|| Ok(set("annual", Capaian::Baik, None)), &by(admin())).is_ok());
}

#[test]
fn the_unit_and_the_official_are_named() {
    let mut no_unit = set("annual", Capaian::Baik, None);
    no_unit.unit = " ".into();
    assert_refused(monthly().decide_capaian(|| Ok(no_unit), &by(admin())), "invalid_text");
    let mut no_name = set("annual", Capaian::Baik, None);
    no_name.decided_by.name = String::new();
    assert_refused(monthly().decide_capaian(|| Ok(no_name), &by(admin())), "invalid_text");
}


#[test]
fn every_code_a_pattern_gives_is_listed_among_the_warning_codes() {
    let mut seen = std::collections::BTreeSet::new();
    for capaian in Capaian::ALL {
        for sb in 0..8 {
            for b in 0..8 {
                for bp in 0..4 {
                    for k in 0..4 {
                        for sk in 0..3 {
                            let d = Distribution::of([(Predikat::SangatBaik, sb), (Predikat::Baik, b), (Predikat::ButuhPerbaikan, bp), (Predikat::Kurang, k), (Predikat::SangatKurang, sk)]);
                            seen.extend(pattern_warnings(capaian, &d).into_iter().map(|w| w.code));
                        }
                    }
                }
            }
        }
    }
    let listed: std::collections::BTreeSet<&str> = WARNING_CODES.into_iter().collect();
    assert_eq!(seen, listed);
}
