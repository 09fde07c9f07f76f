//! Reading one appraisal's stored events for the audit: events of one type with their
//! stored position, and the wording the checks share.

use skp_events::data::{
    AppraisalOpened, Empty, FeedbackGiven, ForumResolved, PeriodEvaluated, PeriodEvaluationCorrected, ScoreFinalized,
    ScoreGiven, ScoreObjected,
};
use skp_events::voices::{DialogueAcknowledged, DialogueHeld, EvaluatorsNominated, SelfAssessed};
use skp_events::{ActorRole, Envelope, Event, Rating};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// One stored event of a given type: its position (0-based, stored order), envelope and data.
#[derive(Debug, Clone, Copy)]
pub(super) struct At<'a, T> {
    pub(super) index: usize,
    pub(super) envelope: &'a Envelope,
    pub(super) data: &'a T,
}

impl<T> At<'_, T> {
    /// The event's id.
    pub(super) fn id(&self) -> Uuid {
        self.envelope.event_id
    }

    /// When it happened.
    pub(super) fn at(&self) -> OffsetDateTime {
        self.envelope.occurred_at
    }

    /// `ScoreGiven (v5)`: the event's type and version, for details.
    pub(super) fn label(&self) -> String {
        label(self.envelope)
    }
}

/// Picks an event's data when it has the wanted type.
pub(super) type Pick<T> = fn(&Event) -> Option<&T>;

macro_rules! pickers {
    ($($name:ident: $variant:ident($data:ty);)*) => {$(
        pub(super) fn $name(event: &Event) -> Option<&$data> {
            match event {
                Event::$variant(data) => Some(data),
                _ => None,
            }
        }
    )*};
}

pickers! {
    opened: AppraisalOpened(AppraisalOpened);
    agreed: TargetsAgreed(Empty);
    feedback: FeedbackGiven(FeedbackGiven);
    score: ScoreGiven(ScoreGiven);
    accepted: ScoreAccepted(Empty);
    objected: ScoreObjected(ScoreObjected);
    forum: ForumResolved(ForumResolved);
    finalized: ScoreFinalized(ScoreFinalized);
    // Voices beyond the rater (issue 13).
    nominated: EvaluatorsNominated(EvaluatorsNominated);
    dialogue: DialogueHeld(DialogueHeld);
    acknowledged: DialogueAcknowledged(DialogueAcknowledged);
    self_assessed: SelfAssessed(SelfAssessed);
    period_evaluated: PeriodEvaluated(PeriodEvaluated);
    period_corrected: PeriodEvaluationCorrected(PeriodEvaluationCorrected);
}

/// An appraisal's envelopes in stored order.
#[derive(Debug, Clone, Copy)]
pub(super) struct History<'a> {
    pub(super) envelopes: &'a [&'a Envelope],
}

impl<'a> History<'a> {
    /// Every event of one type, in stored order.
    pub(super) fn all<T>(&self, pick: Pick<T>) -> Vec<At<'a, T>> {
        self.envelopes
            .iter()
            .enumerate()
            .filter_map(|(index, &envelope)| pick(&envelope.event).map(|data| At { index, envelope, data }))
            .collect()
    }

    /// The first event of one type.
    pub(super) fn first<T>(&self, pick: Pick<T>) -> Option<At<'a, T>> {
        self.all(pick).into_iter().next()
    }

    /// The last event of one type stored before position `index`.
    pub(super) fn last_before<T>(&self, index: usize, pick: Pick<T>) -> Option<At<'a, T>> {
        self.all(pick).into_iter().rfind(|e| e.index < index)
    }

    /// Every event of one type stored before position `index`.
    pub(super) fn all_before<T>(&self, index: usize, pick: Pick<T>) -> Vec<At<'a, T>> {
        self.all(pick).into_iter().filter(|e| e.index < index).collect()
    }

    /// Whether a feedback came from the rater or rater superior of record in their role, or
    /// from an evaluator the last nomination before it names (issue 13).
    pub(super) fn of_record_or_nominee(&self, feedback: &At<'_, FeedbackGiven>) -> bool {
        let actor = &feedback.envelope.actor;
        let of_record = self.opening().is_some_and(|o| {
            (actor.nip == o.data.rater.nip && actor.role == ActorRole::Rater)
                || (actor.nip == o.data.rater_superior.nip && actor.role == ActorRole::RaterSuperior)
        });
        let nominee = self.last_before(feedback.index, nominated).is_some_and(|n| n.data.evaluators.iter().any(|e| e.nip == actor.nip));
        of_record || nominee
    }

    /// The opening, which holds the people of record and the windows.
    pub(super) fn opening(&self) -> Option<At<'a, AppraisalOpened>> {
        self.first(opened)
    }

    /// Stored position of an event id; ids not among the envelopes sort last.
    fn position_of(&self, id: Uuid) -> usize {
        self.envelopes.iter().position(|e| e.event_id == id).unwrap_or(usize::MAX)
    }

    /// The ids, each once, in stored order.
    pub(super) fn in_stored_order(&self, mut ids: Vec<Uuid>) -> Vec<Uuid> {
        ids.sort_by_key(|id| (self.position_of(*id), *id));
        ids.dedup();
        ids
    }
}

/// `ScoreGiven (v5)`.
pub(super) fn label(envelope: &Envelope) -> String {
    format!("{} (v{})", envelope.event.type_name(), envelope.version)
}

/// An instant as RFC 3339.
pub(super) fn instant(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// `days` as a duration.
pub(super) fn days(days: u32) -> Duration {
    Duration::days(i64::from(days))
}

/// A role's wire name.
pub(super) fn role_name(role: ActorRole) -> &'static str {
    match role {
        ActorRole::Admin => "admin",
        ActorRole::Employee => "employee",
        ActorRole::Rater => "rater",
        ActorRole::RaterSuperior => "rater_superior",
        ActorRole::Peer => "peer",
        ActorRole::Subordinate => "subordinate",
        ActorRole::ServiceDesk => "service_desk",
        ActorRole::Mentor => "mentor",
    }
}

/// A rating's wire name.
pub(super) fn rating_name(rating: Rating) -> &'static str {
    match rating {
        Rating::DiAtasEkspektasi => "di_atas_ekspektasi",
        Rating::SesuaiEkspektasi => "sesuai_ekspektasi",
        Rating::DiBawahEkspektasi => "di_bawah_ekspektasi",
    }
}
