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

    /// Reads the aggregate back from a subject of this stream.
    pub fn parse(&self, subject: &str) -> Option<(AggregateType, Uuid)> {
        let rest = subject.strip_prefix(&self.prefix)?.strip_prefix('.')?;
        let (kind, id) = rest.split_once('.')?;
        let kind = match kind {
            "cycle" => AggregateType::Cycle,
            "appraisal" => AggregateType::Appraisal,
            _ => return None,
        };
        Some((kind, Uuid::parse_str(id).ok()?))
    }
}

/// The core NATS subject of a cycle's live progress.
pub fn live_cycle(cycle_id: Uuid) -> String {
    format!("skp.live.cycle.{cycle_id}")
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
    }
}
