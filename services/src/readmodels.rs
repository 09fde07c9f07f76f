//! The read models as the API process holds them: the database handle, and the status of
//! each projector (run here or elsewhere) for lag, readiness and `?min_sequence=` waits.

use crate::config::Settings;
use crate::store::EventStore;
use skp_projections::audit::AuditProjection;
use skp_projections::career::CareerProjection;
use skp_projections::progress::ProgressProjection;
use skp_projections::relay::RelayProjection;
use skp_projections::{Projection, ProjectionError, Projector, ProjectorSettings, ProjectorStatus, ReadStore};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The projector names, in the order they run.
pub const PROJECTORS: [&str; 4] = ["progress", "career", "audit", "relay"];

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

/// Builds every projection.
///
/// # Errors
/// When the public stream cannot be created.
pub async fn projections(settings: &Settings, events: &EventStore) -> Result<Vec<Arc<dyn Projection>>, ProjectionError> {
    let js = async_nats::jetstream::new(events.client().clone());
    let relay = RelayProjection::new(js, &settings.read.public_stream, &settings.read.public_prefix, settings.store.replicas).await?;
    Ok(vec![
        Arc::new(ProgressProjection::new(Some(events.client().clone()))),
        Arc::new(CareerProjection),
        Arc::new(AuditProjection),
        Arc::new(relay),
    ])
}

/// The settings every projector of this stream runs with.
pub fn projector_settings(settings: &Settings, events: &EventStore) -> ProjectorSettings {
    ProjectorSettings {
        stream: settings.store.stream.clone(),
        filter_subject: events.subjects().all(),
        batch: settings.read.batch,
        fetch_wait: Duration::from_millis(500),
    }
}

/// Starts every projector on `set`; they stop when `shutdown` turns true. A projector that
/// fails for a passing reason (database or NATS down) starts again after a pause; one that
/// meets an undecodable event stays stopped, its status naming the sequence.
pub fn spawn_projectors(
    set: &mut JoinSet<()>,
    projections: Vec<Arc<dyn Projection>>,
    store: &ReadStore,
    events: &EventStore,
    settings: ProjectorSettings,
    shutdown: &watch::Receiver<bool>,
) -> BTreeMap<&'static str, Arc<ProjectorStatus>> {
    let mut statuses = BTreeMap::new();
    for projection in projections {
        let js = async_nats::jetstream::new(events.client().clone());
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
