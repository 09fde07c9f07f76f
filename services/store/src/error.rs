//! Why the event store could not do what was asked. Every cause stays a `source`, so that
//! the whole chain reaches the log ([`chain`]).

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// A cause from NATS (or the client library), shared so that one failed batch can answer
/// every caller in it with the same cause.
pub type Cause = Arc<dyn StdError + Send + Sync>;

/// Wraps any error as a [`Cause`].
pub fn cause(error: impl StdError + Send + Sync + 'static) -> Cause {
    Arc::new(error)
}

/// Wraps a boxed error (the client library's `async_nats::Error`) as a [`Cause`].
pub fn boxed(error: Box<dyn StdError + Send + Sync>) -> Cause {
    Arc::from(error)
}

/// Why the event store could not do what was asked.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The client is not connected to NATS right now. HTTP 503 with `Retry-After`.
    #[error("not connected to NATS")]
    NotConnected,
    /// NATS did not answer `what` within `after`: an append may or may not have been stored.
    /// HTTP 503 with `Retry-After`.
    #[error("no answer from NATS to {what} within {after:?}")]
    TimedOut {
        /// What was asked, e.g. `loading skp.events.appraisal.<id>`.
        what: String,
        /// How long it waited.
        after: Duration,
    },
    /// A request to NATS failed on the way (connection lost, no responders, a timeout of
    /// the client library). HTTP 503 with `Retry-After`.
    #[error("NATS request failed: {what}")]
    Unavailable {
        /// What was asked.
        what: String,
        /// The client's error.
        #[source]
        source: Cause,
    },
    /// The connection closed while `what` was under way. HTTP 503 with `Retry-After`.
    #[error("the connection to NATS closed during {what}")]
    Closed {
        /// What was under way.
        what: String,
    },
    /// The aggregate's subject moved past the expected sequence (a concurrent write).
    #[error("wrong last subject sequence")]
    WrongLastSequence,
    /// The stream refused an append for a reason other than concurrency. HTTP 500.
    #[error("the stream refused the append")]
    Refused {
        /// The server's answer.
        #[source]
        source: Cause,
    },
    /// A direct get was answered with an error status. 408 and 503 (no leader during an
    /// election) are passing; anything else is an error.
    #[error("direct get on {stream} answered {code}: {description}")]
    DirectGet {
        /// The stream.
        stream: String,
        /// The status code.
        code: u16,
        /// The server's description.
        description: String,
    },
    /// A message read from the stream lacks what every stored message has.
    #[error("malformed message from the stream: {0}")]
    Malformed(&'static str),
    /// The stream exists with settings SKP must not run with. HTTP 500; SKP refuses to start.
    #[error("stream {stream} exists but {}: fix it by hand, SKP will not", problems.join(", "))]
    UnsafeStream {
        /// The stream.
        stream: String,
        /// Every unsafe setting found.
        problems: Vec<String>,
    },
    /// The stream could not be created or read.
    #[error("stream {stream}: {what}")]
    Stream {
        /// The stream.
        stream: String,
        /// What was being done.
        what: &'static str,
        /// The client's error.
        #[source]
        source: Cause,
    },
    /// Connecting to NATS failed for a reason that waiting does not fix: the server refused
    /// the credential, or TLS failed. SKP refuses to start.
    #[error("connecting to {url}: {what}")]
    Connect {
        /// The server(s), without any secret.
        url: String,
        /// What failed, naming the settings to check.
        what: &'static str,
        /// The client's error.
        #[source]
        source: Cause,
    },
    /// The stream stopped delivering before the sequence it was expected to reach.
    #[error("stream {stream} stopped delivering after sequence {reached} (head {head})")]
    Stalled {
        /// The stream.
        stream: String,
        /// The last sequence delivered.
        reached: u64,
        /// The sequence expected.
        head: u64,
    },
}

impl StoreError {
    /// A failed request, with what was asked.
    pub fn unavailable(what: impl Into<String>, source: impl StdError + Send + Sync + 'static) -> Self {
        StoreError::Unavailable { what: what.into(), source: cause(source) }
    }

    /// A failure of the stream's set-up or reading.
    pub fn stream(stream: &str, what: &'static str, source: impl StdError + Send + Sync + 'static) -> Self {
        StoreError::Stream { stream: stream.to_owned(), what, source: cause(source) }
    }

    /// Whether this is a passing condition (NATS out of reach, an election) that a retry
    /// may overcome: HTTP 503 with `Retry-After`, not 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::NotConnected | StoreError::TimedOut { .. } | StoreError::Unavailable { .. } | StoreError::Closed { .. } => true,
            StoreError::DirectGet { code, .. } => matches!(code, 408 | 503),
            _ => false,
        }
    }
}

/// An error and all its causes on one line, outermost first: `a: b: c`.
pub fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(line, ": {cause}");
        source = cause.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_names_every_cause_once() {
        let io = std::io::Error::other("connection reset");
        let error = StoreError::unavailable("append to skp.events.cycle.1", io);
        assert_eq!(chain(&error), "NATS request failed: append to skp.events.cycle.1: connection reset");
        assert!(error.is_unavailable());
        assert!(!StoreError::WrongLastSequence.is_unavailable());
    }
}
