//! The cycle aggregate: an organisation's appraisal year and its configuration.

use crate::context::Ctx;
use crate::decision::Decision;
use crate::error::DomainError;
use crate::text::require_text;
use skp_events::data::CycleOpened;
use skp_events::{ActorRole, Envelope, Event};
use std::collections::HashMap;
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
    /// Command ids already handled, with the version of the event each yielded.
    pub handled: HashMap<Uuid, u64>,
}

/// The command that opens a cycle (its data is the event's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCycle {
    /// The command id.
    pub command_id: Uuid,
    /// Organisation, year, plan due date and the two windows.
    pub cycle: CycleOpened,
}

impl Cycle {
    /// An empty cycle with the given id, before any event.
    pub fn new(id: Uuid) -> Self {
        Self { id, ..Self::default() }
    }

    /// Applies one stored event.
    pub fn apply(&mut self, envelope: &Envelope) {
        self.version = envelope.version;
        self.handled.insert(envelope.command_id, envelope.version);
        if let Event::CycleOpened(opened) = &envelope.event {
            self.opened = Some(opened.clone());
        }
    }

    /// Decides whether the cycle may open.
    ///
    /// # Errors
    /// 403 unless the caller is an admin; 409 when already open; 422 `invalid_cycle` for an
    /// empty organisation, a year outside 2000..=2100 or a window outside 1..=365 days.
    pub fn decide_open(&self, command: &OpenCycle, ctx: &Ctx) -> Result<Decision, DomainError> {
        if let Some(&version) = self.handled.get(&command.command_id) {
            return Ok(Decision::AlreadyHandled { version });
        }
        if ctx.caller.inspector || !ctx.caller.admin {
            return Err(DomainError::Forbidden("only an admin opens cycles"));
        }
        if self.opened.is_some() {
            return Err(DomainError::AlreadyExists { what: "cycle" });
        }
        validate(&command.cycle)?;
        Ok(Decision::Record { event: Event::CycleOpened(command.cycle.clone()), role: ActorRole::Admin })
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::*;
    use skp_events::{Actor, AggregateType, GENESIS_HASH};
    use time::macros::date;

    fn open(cycle: CycleOpened) -> OpenCycle {
        OpenCycle { command_id: NEW_COMMAND, cycle }
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
            schema_version: 1,
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
        let bounds = OpenCycle {
            command_id: NEW_COMMAND,
            cycle: CycleOpened {
                organization: "BKPSDM".into(),
                year: 2100,
                plan_due: date!(2099 - 12 - 01),
                objection_window_days: 1,
                decision_window_days: 365,
            },
        };
        let decision = Cycle::new(CYCLE_ID).decide_open(&bounds, &by(admin()));
        assert_recorded(decision, &Event::CycleOpened(bounds.cycle.clone()), ActorRole::Admin);
    }

    #[test]
    fn a_cycle_needs_an_organization() {
        assert_refused(refused_with(|c| c.organization = "  ".into()), "invalid_text");
    }

    #[test]
    fn a_cycle_opens_once() {
        assert_refused(opened_cycle().decide_open(&open(cycle_opened()), &by(admin())), "already_exists");
    }

    #[test]
    fn a_retried_opening_yields_the_original_version() {
        let retry = OpenCycle { command_id: command_id(1), cycle: cycle_opened() };
        assert_eq!(opened_cycle().decide_open(&retry, &by(admin())), Ok(Decision::AlreadyHandled { version: 1 }));
    }

    #[test]
    fn applying_the_opening_keeps_the_configuration_the_version_and_the_command_id() {
        let cycle = opened_cycle();
        assert_eq!(cycle.opened, Some(cycle_opened()));
        assert_eq!(cycle.version, 1);
        assert_eq!(cycle.handled, HashMap::from([(command_id(1), 1)]));
    }
}
