//! What a read model is to the runtime: a name, its migrations, and how it applies a batch
//! of events inside the batch's transaction.

use crate::error::ProjectionError;
use crate::event::StoredEvent;
use crate::store::{Generation, ReadStore};
use futures::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

/// What a read model does with events. `apply` runs inside the batch's transaction with the
/// generation's schema first on the `search_path`; it returns the cycles whose progress the
/// batch changed.
pub trait Projection: Send + Sync + 'static {
    /// The projector's name, e.g. `progress`.
    fn name(&self) -> &'static str;
    /// The migrations of this projection's tables.
    fn migrator(&self) -> &'static sqlx::migrate::Migrator;
    /// Applies events (all above the checkpoint, in stream order).
    fn apply<'a>(&'a self, tx: &'a mut PgConnection, events: &'a [StoredEvent]) -> BoxFuture<'a, Result<Vec<Uuid>, ProjectionError>>;
    /// Whether a rebuild from sequence 1 may replace this projection's tables. The public
    /// relay may not: its state is what it already published, and a fresh generation would
    /// publish everything again.
    fn rebuildable(&self) -> bool {
        true
    }
    /// Runs once when a projector starts on `generation`, before its first batch: e.g. to
    /// finish an upgrade in place whose migration could not apply the domain's rules in SQL.
    fn prepare<'a>(&'a self, _store: &'a ReadStore, _generation: &'a Generation) -> BoxFuture<'a, Result<(), ProjectionError>> {
        Box::pin(async { Ok(()) })
    }
    /// Runs after the batch committed, with the cycles it changed (e.g. live notifications).
    fn after_commit<'a>(&'a self, _store: &'a ReadStore, _generation: &'a Generation, _cycles: Vec<Uuid>) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}
