//! The time source, injected so that deadlines are testable end to end.

use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

/// Where "now" comes from: the system clock, or a clock that tests move by hand.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Option<Arc<Mutex<Duration>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { offset: None }
    }

    /// The system clock plus an offset that [`Clock::advance`] moves: for tests of deadlines.
    pub fn adjustable() -> Self {
        Self { offset: Some(Arc::new(Mutex::new(Duration::ZERO))) }
    }

    /// Moves an adjustable clock forward; no effect on the system clock.
    pub fn advance(&self, by: Duration) {
        if let Some(offset) = &self.offset {
            *offset.lock().unwrap_or_else(std::sync::PoisonError::into_inner) += by;
        }
    }

    /// The current instant, UTC, to the microsecond.
    pub fn now(&self) -> OffsetDateTime {
        let offset = self.offset.as_ref().map_or(Duration::ZERO, |o| *o.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        let now = OffsetDateTime::now_utc() + offset;
        now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
    }
}
