//! Why a projector stopped or a projection failed. Every cause stays a `source`.

use skp_events::DecodeError;
use skp_store::StoreError;

/// Why a projector stopped or a projection failed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// A stored event could not be read: the projector stops here, never skipping it.
    #[error("event at stream sequence {stream_seq} cannot be decoded")]
    Undecodable {
        /// Where.
        stream_seq: u64,
        /// Why.
        #[source]
        source: DecodeError,
    },
    /// A stored event contradicts what the read model holds (e.g. a finalization of an
    /// appraisal never opened): the projector stops here.
    #[error("event at stream sequence {stream_seq} cannot be projected: {problem}")]
    Inconsistent {
        /// Where.
        stream_seq: u64,
        /// What does not fit.
        problem: String,
    },
    /// The read model holds a status that is none of the lifecycle's.
    #[error("the read model holds an unknown status")]
    UnknownStatus(#[from] skp_domain::appraisal::UnknownStatus),
    /// PostgreSQL failed.
    #[error("the read-model database failed")]
    Database(#[from] sqlx::Error),
    /// Migrating a schema failed.
    #[error("migrating schema {schema} failed")]
    Migrate {
        /// The schema.
        schema: String,
        /// Why.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// The event stream could not be read.
    #[error("the event stream failed")]
    Store(#[from] StoreError),
    /// A public event could not be published.
    #[error("publishing to {subject} failed")]
    Publish {
        /// The subject.
        subject: String,
        /// Why.
        #[source]
        source: skp_store::error::Cause,
    },
    /// A value could not be encoded as JSON.
    #[error("encoding JSON failed")]
    Json(#[from] serde_json::Error),
    /// A name that goes into SQL text is not a plain identifier.
    #[error("schema name {0:?} must match [a-z][a-z0-9_]{{0,39}}")]
    InvalidSchema(String),
    /// A value too large for its column.
    #[error("{0} does not fit the read model")]
    TooLarge(String),
    /// The projection has no serving generation (after repeated tries).
    #[error("no serving generation of the {0} projection found")]
    NoGeneration(&'static str),
    /// The projection may not be rebuilt.
    #[error("the {0} projection cannot be rebuilt: its state is what it already published")]
    NotRebuildable(&'static str),
    /// The batch does not continue the checkpoint (another consumer took part of the
    /// stream): nothing was applied; the projector starts again from its checkpoint.
    #[error("expected stream sequence {expected} next, got {found}")]
    Gap {
        /// The sequence due.
        expected: u64,
        /// The sequence delivered.
        found: u64,
    },
    /// A fault injected by a test (`Projector::with_fault`, feature `testing`).
    #[cfg(feature = "testing")]
    #[error("injected fault at {0:?}")]
    Injected(crate::fault::FaultPoint),
}
