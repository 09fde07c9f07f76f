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
