//! NATS subject names. The event prefix is configurable so that tests isolate themselves;
//! in production it is `skp.events`.

use crate::envelope::AggregateType;
use uuid::Uuid;

/// The default prefix of the event subjects.
pub const DEFAULT_EVENT_PREFIX: &str = "skp.events";
/// The public subject of finalized scores (stream `SKP_PUBLIC`).
pub const PUBLIC_SCORE_FINALIZED_V1: &str = "skp.public.score.finalized.v1";
/// The public subject of periodic evaluations and their corrections (stream `SKP_PUBLIC`).
pub const PUBLIC_PERIOD_EVALUATED_V1: &str = "skp.public.period.evaluated.v1";

/// The subjects of one event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subjects {
    prefix: String,
}

impl Default for Subjects {
    fn default() -> Self {
        Self::new(DEFAULT_EVENT_PREFIX)
    }
}

impl Subjects {
    /// Subjects under `prefix`, e.g. `skp.events`.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into() }
    }

    /// The prefix, e.g. `skp.events`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The subject of one aggregate, e.g. `skp.events.appraisal.<id>`.
    pub fn aggregate(&self, kind: AggregateType, id: Uuid) -> String {
        format!("{}.{}.{}", self.prefix, kind.as_str(), id)
    }

    /// The wildcard that the stream captures, e.g. `skp.events.>`.
    pub fn all(&self) -> String {
        format!("{}.>", self.prefix)
    }

    /// Checks that `prefix` can name an event stream's subjects: dot-separated tokens without
    /// wildcards or spaces, the last of which is not `live` (the live subjects replace the
    /// prefix's last token with `live`, and must stay outside the stream).
    ///
    /// # Errors
    /// What is wrong, for a person.
    pub fn check_prefix(prefix: &str) -> Result<(), String> {
        let tokens: Vec<&str> = prefix.split('.').collect();
        if tokens.iter().any(|t| t.is_empty() || t.contains(['*', '>', ' ', '\t'])) {
            return Err(format!("{prefix:?} must be dot-separated tokens without wildcards or spaces"));
        }
        if tokens.last() == Some(&"live") {
            return Err(format!("{prefix:?} must not end in .live: the live progress subjects take that place"));
        }
        Ok(())
    }

    /// The prefix of the live subjects: this prefix with its last token replaced by `live`
    /// (`skp.events` gives `skp.live`; a test's `t1.skp.events` gives `t1.skp.live`). It lies
    /// outside the event stream's subjects, so a live message is never stored.
    pub fn live_prefix(&self) -> String {
        match self.prefix.rsplit_once('.') {
            Some((head, _)) => format!("{head}.live"),
            None => "live".to_owned(),
        }
    }

    /// The core NATS subject of a cycle's live progress, e.g. `skp.live.cycle.<id>`.
    pub fn live_cycle(&self, cycle_id: Uuid) -> String {
        format!("{}.cycle.{cycle_id}", self.live_prefix())
    }

    /// Reads the aggregate back from a subject of this stream.
    pub fn parse(&self, subject: &str) -> Option<(AggregateType, Uuid)> {
        let rest = subject.strip_prefix(&self.prefix)?.strip_prefix('.')?;
        let (kind, id) = rest.split_once('.')?;
        let kind = match kind {
            "cycle" => AggregateType::Cycle,
            "appraisal" => AggregateType::Appraisal,
            "survey" => AggregateType::Survey,
            "development" => AggregateType::Development,
            _ => return None,
        };
        Some((kind, Uuid::parse_str(id).ok()?))
    }
}

/// The core NATS subject of a cycle's live progress under the default prefix
/// (`skp.live.cycle.<id>`); [`Subjects::live_cycle`] under any other.
pub fn live_cycle(cycle_id: Uuid) -> String {
    Subjects::default().live_cycle(cycle_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_aggregate_subject_reads_back() {
        let subjects = Subjects::default();
        let id = Uuid::from_u128(7);
        let subject = subjects.aggregate(AggregateType::Appraisal, id);
        assert_eq!(subject, format!("skp.events.appraisal.{id}"));
        assert_eq!(subjects.parse(&subject), Some((AggregateType::Appraisal, id)));
        assert_eq!(subjects.parse("skp.eventsx.appraisal.1"), None);
        let survey = subjects.aggregate(AggregateType::Survey, id);
        assert_eq!(survey, format!("skp.events.survey.{id}"));
        assert_eq!(subjects.parse(&survey), Some((AggregateType::Survey, id)));
    }

    #[test]
    fn a_development_plan_subject_reads_back() {
        let subjects = Subjects::default();
        let id = Uuid::from_u128(9);
        let subject = subjects.aggregate(AggregateType::Development, id);
        assert_eq!(subject, format!("skp.events.development.{id}"));
        assert_eq!(subjects.parse(&subject), Some((AggregateType::Development, id)));
    }

    #[test]
    fn the_live_subject_follows_the_prefix_and_stays_outside_the_stream() {
        let id = Uuid::from_u128(7);
        assert_eq!(Subjects::default().live_cycle(id), format!("skp.live.cycle.{id}"));
        assert_eq!(live_cycle(id), format!("skp.live.cycle.{id}"));
        let test = Subjects::new("t1.skp.events");
        assert_eq!(test.live_cycle(id), format!("t1.skp.live.cycle.{id}"));
        assert!(!test.live_cycle(id).starts_with("t1.skp.events."));
        assert!(Subjects::check_prefix("t1.skp.live").is_err());
        assert!(Subjects::check_prefix("skp.*").is_err());
        assert!(Subjects::check_prefix("skp.events").is_ok());
    }
}
