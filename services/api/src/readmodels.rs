//! The read models as the API process holds them: the database handle, and the status of
//! each projector (run here or elsewhere) for lag, readiness and `?min_sequence=` waits.

use skp_projections::{Projection, ProjectionError, Projector, ProjectorSettings, ProjectorStatus, ReadStore};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, OnceCell};
use tokio::task::JoinSet;

/// Connected read models.
#[derive(Debug, Clone)]
pub struct ReadModels {
    /// The database.
    pub store: ReadStore,
    /// Each projector's progress, by name.
    pub status: BTreeMap<&'static str, Arc<ProjectorStatus>>,
}

impl ReadModels {
    /// The status of a projector.
    pub fn status(&self, name: &str) -> Option<&Arc<ProjectorStatus>> {
        self.status.get(name)
    }
}

/// Starts every projector on `set`; they stop when `shutdown` turns true. A projector that
/// fails for a passing reason (database or NATS down) starts again after a pause; one that
/// meets an undecodable event stays stopped, its status naming the sequence.
pub fn spawn_projectors(
    set: &mut JoinSet<()>,
    projections: Vec<Arc<dyn Projection>>,
    store: &ReadStore,
    client: &async_nats::Client,
    settings: ProjectorSettings,
    shutdown: &watch::Receiver<bool>,
) -> BTreeMap<&'static str, Arc<ProjectorStatus>> {
    let mut statuses = BTreeMap::new();
    for projection in projections {
        let js = async_nats::jetstream::new(client.clone());
        let status = Arc::new(ProjectorStatus::new(projection.name()));
        statuses.insert(projection.name(), status.clone());
        let (store, settings, mut shutdown) = (store.clone(), settings.clone(), shutdown.clone());
        set.spawn(async move {
            loop {
                let projector = Projector::with_status(projection.clone(), store.clone(), js.clone(), settings.clone(), status.clone());
                match projector.run(shutdown.clone()).await {
                    Ok(()) => return,
                    Err(ProjectionError::Undecodable { .. }) => return,
                    Err(_) => {
                        tokio::select! {
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                            _ = shutdown.changed() => return,
                        }
                    }
                }
            }
        });
    }
    statuses
}

/// Waits until `cell` is set, or `timeout`; whether it is set.
pub async fn wait_until_set<T>(cell: &OnceCell<T>, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while !cell.initialized() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}
