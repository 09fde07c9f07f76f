//! What a decision needs from outside the rules: who is calling and what time it is.

use skp_events::Nip;
use time::OffsetDateTime;

/// The authenticated caller, from the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The caller's NIP (`sub`).
    pub nip: Nip,
    /// Global role `admin`: opens cycles and appraisals, may finalize.
    pub admin: bool,
    /// Global role `inspector`: reads everything, issues no command.
    pub inspector: bool,
    /// Token role `service_desk`: records the public's feedback, and nothing more by that role.
    pub service_desk: bool,
}

/// The context of one decision. Time comes from here, never from a clock inside the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctx {
    /// Who is calling.
    pub caller: Caller,
    /// The current instant.
    pub now: OffsetDateTime,
}
