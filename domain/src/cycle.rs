//! The cycle aggregate: an organisation's appraisal year and its configuration.

use crate::context::Ctx;
use crate::decision::Decision;
use crate::error::DomainError;
use crate::text::require_text;
use crate::period::UTC_OFFSETS;
use skp_events::data::{CycleOpened, UnitCapaianSet};
use skp_events::period::{CapaianPeriod, PeriodKind};
use skp_events::upcast::{DEFAULT_PERIOD_ENTRY_DAYS, DEFAULT_UTC_OFFSET_HOURS};
use skp_events::{ActorRole, Envelope, Event};
use std::collections::BTreeMap;
use time::macros::format_description;
use time::Date;
use uuid::Uuid;

/// A cycle as its events leave it. `opened` is `None` while it does not exist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cycle {
    /// The cycle's id.
    pub id: Uuid,
    /// Number of events applied.
    pub version: u64,
    /// The opening, holding the agency's configuration.
    pub opened: Option<CycleOpened>,
    /// The capaian of each unit, per period or `annual`: the last one set stands (issue 12).
    pub capaian: BTreeMap<(String, CapaianPeriod), UnitCapaianSet>,
}

/// The objection and decision windows when the opening names none (PP 30/2019 Ps 59).
pub const DEFAULT_WINDOW_DAYS: u32 = 14;

/// The command that opens a cycle, with its values as the caller gave them: they are read
/// only once the caller may open cycles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCycle {
    /// The command id.
    pub command_id: Uuid,
    /// The agency.
    pub organization: String,
    /// The appraisal year.
    pub year: i32,
    /// `YYYY-MM-DD`: the date by which plans should be agreed.
    pub plan_due: String,
    /// Days after the score within which the employee may object ([`DEFAULT_WINDOW_DAYS`]).
    pub objection_window_days: Option<u32>,
    /// Days after an objection within which the forum should decide ([`DEFAULT_WINDOW_DAYS`]).
    pub decision_window_days: Option<u32>,
    /// `none` (the default), `monthly`, `quarterly` or `semester`.
    pub period: Option<String>,
    /// Days after a period's end during which its evaluation may be corrected, 1..=365
    /// (default 10).
    pub period_entry_days: Option<i64>,
    /// The agency's time zone, hours east of UTC: 7 (WIB, the default), 8 (WITA) or 9 (WIT).
    pub utc_offset_hours: Option<i64>,
}

impl OpenCycle {
    /// The event's data: the plan due date parsed, the windows defaulted.
    ///
    /// # Errors
    /// 422 `invalid_cycle` for a `plan_due` that is not a date `YYYY-MM-DD`, a `period` that
    /// is none of the four, `period_entry_days` outside 1..=365, or `utc_offset_hours` other
    /// than 7, 8 or 9.
    pub fn to_event(&self) -> Result<CycleOpened, DomainError> {
        let invalid = |detail: String| DomainError::invalid("invalid_cycle", detail);
        let plan_due = Date::parse(&self.plan_due, format_description!("[year]-[month]-[day]"))
            .map_err(|_| invalid(format!("plan_due {:?} is not a date YYYY-MM-DD", self.plan_due)))?;
        let period = match self.period.as_deref() {
            None => PeriodKind::None,
            Some(raw) => PeriodKind::parse(raw).ok_or_else(|| invalid(format!("period {raw:?} is none of none, monthly, quarterly, semester")))?,
        };
        let entry = self.period_entry_days.unwrap_or(i64::from(DEFAULT_PERIOD_ENTRY_DAYS));
        let period_entry_days = u32::try_from(entry).ok().filter(|d| (1..=365).contains(d)).ok_or_else(|| invalid(format!("period_entry_days must be between 1 and 365, got {entry}")))?;
        let offset = self.utc_offset_hours.unwrap_or(i64::from(DEFAULT_UTC_OFFSET_HOURS));
        let utc_offset_hours = u8::try_from(offset).ok().filter(|h| UTC_OFFSETS.contains(h)).ok_or_else(|| invalid(format!("utc_offset_hours must be 7 (WIB), 8 (WITA) or 9 (WIT), got {offset}")))?;
        Ok(CycleOpened {
            organization: self.organization.clone(),
            year: self.year,
            plan_due,
            objection_window_days: self.objection_window_days.unwrap_or(DEFAULT_WINDOW_DAYS),
            decision_window_days: self.decision_window_days.unwrap_or(DEFAULT_WINDOW_DAYS),
            period,
            period_entry_days,
            utc_offset_hours,
        })
    }
}

impl Cycle {
    /// An empty cycle with the given id, before any event.
    pub fn new(id: Uuid) -> Self {
        Self { id, ..Self::default() }
    }

    /// Applies one stored event.
    pub fn apply(&mut self, envelope: &Envelope) {
        self.version = envelope.version;
        match &envelope.event {
            Event::CycleOpened(opened) => self.opened = Some(opened.clone()),
            Event::UnitCapaianSet(set) => {
                self.capaian.insert((set.unit.clone(), set.period), set.clone());
            }
            _ => {}
        }
    }

    /// Decides whether the cycle may open.
    ///
    /// # Errors
    /// 403 unless the caller is an admin; 409 when already open; 422 `invalid_cycle` for a
    /// plan due date that is not a date, an empty organisation, a year outside 2000..=2100
    /// or a window outside 1..=365 days.
    pub fn decide_open(&self, command: &OpenCycle, ctx: &Ctx) -> Result<Decision, DomainError> {
        if ctx.caller.inspector || !ctx.caller.admin {
            return Err(DomainError::Forbidden("only an admin opens cycles"));
        }
        if self.opened.is_some() {
            return Err(DomainError::AlreadyExists { what: "cycle" });
        }
        let cycle = command.to_event()?;
        validate(&cycle)?;
        Ok(Decision::Record { event: Event::CycleOpened(cycle), role: ActorRole::Admin })
    }

    /// Whether `ctx`'s caller may open appraisals in this cycle: checked before the
    /// appraisal's values are read, and again when its opening is decided.
    ///
    /// # Errors
    /// 404 when the cycle is not open; 403 unless the caller is an admin (not an inspector).
    pub fn authorize_opening(&self, ctx: &Ctx) -> Result<&CycleOpened, DomainError> {
        let Some(config) = &self.opened else {
            return Err(DomainError::NotFound { what: "cycle" });
        };
        if ctx.caller.inspector || !ctx.caller.admin {
            return Err(DomainError::Forbidden("only an admin opens appraisals"));
        }
        Ok(config)
    }
}

fn validate(cycle: &CycleOpened) -> Result<(), DomainError> {
    require_text("organization", &cycle.organization)?;
    let invalid = |detail: &str| Err(DomainError::invalid("invalid_cycle", detail));
    if !(2000..=2100).contains(&cycle.year) {
        return invalid("year must be between 2000 and 2100");
    }
    if !(1..=365).contains(&cycle.objection_window_days) {
        return invalid("objection_window_days must be between 1 and 365");
    }
    if !(1..=365).contains(&cycle.decision_window_days) {
        return invalid("decision_window_days must be between 1 and 365");
    }
    if cycle.plan_due.year() < cycle.year - 1 || cycle.plan_due.year() > cycle.year {
        return invalid("plan_due must fall in the cycle's year or the year before");
    }
    if !(1..=365).contains(&cycle.period_entry_days) || !UTC_OFFSETS.contains(&cycle.utc_offset_hours) {
        return invalid("period_entry_days must be between 1 and 365 and utc_offset_hours 7, 8 or 9");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use skp_events::{Actor, AggregateType, GENESIS_HASH};
    use time::macros::date;

    fn open(cycle: CycleOpened) -> OpenCycle {
        OpenCycle {
            command_id: NEW_COMMAND,
            organization: cycle.organization,
            year: cycle.year,
            plan_due: cycle.plan_due.to_string(),
            objection_window_days: Some(cycle.objection_window_days),
            decision_window_days: Some(cycle.decision_window_days),
            period: Some(cycle.period.as_str().to_owned()),
            period_entry_days: Some(cycle.period_entry_days.into()),
            utc_offset_hours: Some(cycle.utc_offset_hours.into()),
        }
    }

    fn by(who: Who) -> Ctx {
        Ctx { caller: who.caller, now: START }
    }

    /// A cycle with its `CycleOpened` applied, recorded for command `command_id(1)`.
    fn opened_cycle() -> Cycle {
        let envelope = Envelope {
            event_id: uuid::Uuid::from_u128(1),
            aggregate_type: AggregateType::Cycle,
            aggregate_id: CYCLE_ID,
            version: 1,
            event: Event::CycleOpened(cycle_opened()),
            schema_version: 2,
            occurred_at: START,
            actor: Actor { nip: nip(ADMIN_NIP), role: ActorRole::Admin },
            command_id: command_id(1),
            correlation_id: command_id(1),
            causation_id: command_id(1),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        };
        let mut cycle = Cycle::new(CYCLE_ID);
        cycle.apply(&envelope);
        cycle
    }

    fn refused_with(change: impl FnOnce(&mut CycleOpened)) -> Result<Decision, DomainError> {
        let mut cycle = cycle_opened();
        change(&mut cycle);
        Cycle::new(CYCLE_ID).decide_open(&open(cycle), &by(admin()))
    }

    #[test]
    fn an_admin_opens_a_cycle_with_its_configuration() {
        let decision = Cycle::new(CYCLE_ID).decide_open(&open(cycle_opened()), &by(admin()));
        assert_recorded(decision, &Event::CycleOpened(cycle_opened()), ActorRole::Admin);
    }

    #[test]
    fn only_an_admin_opens_a_cycle() {
        for who in [employee(), rater(), superior(), peer(), inspector(), inspector().also_admin()] {
            assert_refused(Cycle::new(CYCLE_ID).decide_open(&open(cycle_opened()), &by(who)), "forbidden");
        }
    }

    #[test]
    fn a_year_outside_2000_to_2100_is_not_a_cycle() {
        for year in [1999, 2101, 0, -2025] {
            assert_refused(refused_with(|c| c.year = year), "invalid_cycle");
        }
    }

    #[test]
    fn windows_outside_one_to_365_days_are_not_a_cycle() {
        for days in [0, 366] {
            assert_refused(refused_with(|c| c.objection_window_days = days), "invalid_cycle");
            assert_refused(refused_with(|c| c.decision_window_days = days), "invalid_cycle");
        }
    }

    #[test]
    fn a_plan_due_outside_the_year_or_the_year_before_is_not_a_cycle() {
        assert_refused(refused_with(|c| c.plan_due = date!(2023 - 12 - 31)), "invalid_cycle");
        assert_refused(refused_with(|c| c.plan_due = date!(2026 - 01 - 01)), "invalid_cycle");
    }

    #[test]
    fn the_bounds_themselves_are_a_cycle() {
        let bounds = CycleOpened {
            organization: "BKPSDM".into(),
            year: 2100,
            plan_due: date!(2099 - 12 - 01),
            objection_window_days: 1,
            decision_window_days: 365,
            period: PeriodKind::Semester,
            period_entry_days: 365,
            utc_offset_hours: 9,
        };
        let decision = Cycle::new(CYCLE_ID).decide_open(&open(bounds.clone()), &by(admin()));
        assert_recorded(decision, &Event::CycleOpened(bounds), ActorRole::Admin);
    }

    #[test]
    fn a_cycle_needs_an_organization() {
        assert_refused(refused_with(|c| c.organization = "  ".into()), "invalid_text");
    }

    #[test]
    fn windows_left_out_are_fourteen_days_and_a_plan_due_must_be_a_date() {
        let defaults = OpenCycle { objection_window_days: None, decision_window_days: None, ..open(cycle_opened()) };
        let expected = CycleOpened { objection_window_days: 14, decision_window_days: 14, ..cycle_opened() };
        assert_recorded(Cycle::new(CYCLE_ID).decide_open(&defaults, &by(admin())), &Event::CycleOpened(expected), ActorRole::Admin);
        for bad in ["2025-13-01", "31-01-2025", "", "2025-1-31"] {
            let command = OpenCycle { plan_due: bad.into(), ..open(cycle_opened()) };
            assert_refused(Cycle::new(CYCLE_ID).decide_open(&command, &by(admin())), "invalid_cycle");
        }
    }

    #[test]
    fn a_cycle_left_without_a_period_is_annual_only_as_before() {
        let command = OpenCycle { period: None, period_entry_days: None, utc_offset_hours: None, ..open(cycle_opened()) };
        let expected = CycleOpened { period: PeriodKind::None, period_entry_days: 10, utc_offset_hours: 7, ..cycle_opened() };
        assert_recorded(Cycle::new(CYCLE_ID).decide_open(&command, &by(admin())), &Event::CycleOpened(expected), ActorRole::Admin);
    }

    #[test]
    fn a_periodic_cycle_records_its_kind_window_and_time_zone() {
        for kind in [PeriodKind::Monthly, PeriodKind::Quarterly, PeriodKind::Semester] {
            for offset in UTC_OFFSETS {
                let cycle = CycleOpened { period: kind, period_entry_days: 5, utc_offset_hours: offset, ..cycle_opened() };
                assert_recorded(Cycle::new(CYCLE_ID).decide_open(&open(cycle.clone()), &by(admin())), &Event::CycleOpened(cycle), ActorRole::Admin);
            }
        }
    }

    #[test]
    fn an_unknown_period_kind_window_or_time_zone_is_not_a_cycle() {
        let with = |period: Option<&str>, entry: Option<i64>, offset: Option<i64>| OpenCycle {
            period: period.map(str::to_owned),
            period_entry_days: entry,
            utc_offset_hours: offset,
            ..open(cycle_opened())
        };
        for bad in [with(Some("weekly"), None, None), with(Some("Monthly"), None, None), with(Some(""), None, None), with(None, Some(0), None), with(None, Some(366), None), with(None, Some(-1), None)] {
            assert_refused(Cycle::new(CYCLE_ID).decide_open(&bad, &by(admin())), "invalid_cycle");
        }
        for offset in [0, 6, 10, -7, 256] {
            let error = assert_refused(Cycle::new(CYCLE_ID).decide_open(&with(Some("monthly"), None, Some(offset)), &by(admin())), "invalid_cycle");
            assert!(error.to_string().contains("WITA"), "{error}");
        }
    }

    #[test]
    fn a_bad_plan_due_from_a_caller_who_may_not_open_cycles_is_forbidden() {
        let command = OpenCycle { plan_due: "not a date".into(), ..open(cycle_opened()) };
        assert_refused(Cycle::new(CYCLE_ID).decide_open(&command, &by(employee())), "forbidden");
    }

    #[test]
    fn a_cycle_opens_once() {
        assert_refused(opened_cycle().decide_open(&open(cycle_opened()), &by(admin())), "already_exists");
    }

    #[test]
    fn applying_the_opening_keeps_the_configuration_and_the_version() {
        let cycle = opened_cycle();
        assert_eq!(cycle.opened, Some(cycle_opened()));
        assert_eq!(cycle.version, 1);
    }
}
