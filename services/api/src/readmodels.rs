//! The read models as the API process holds them: the database handle, and the status of
//! each projector (run here or elsewhere) for lag, readiness and `?min_sequence=` waits.

use skp_projections::{DecodedEvents, Projection, ProjectionError, Projector, ProjectorSettings, ProjectorStatus, ReadStore};
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
    /// Each projector's progress, by name (empty when the projectors run elsewhere).
    pub status: BTreeMap<&'static str, Arc<ProjectorStatus>>,
    /// Whether the projections are set up (`None` when they run elsewhere).
    pub setup: Option<Arc<Setup>>,
}

/// The set-up of the projections (the public stream, the projectors' list): done, or
/// retried with the last error, for `/readyz`.
#[derive(Debug, Default)]
pub struct Setup {
    state: std::sync::Mutex<(bool, Option<String>)>,
}

impl Setup {
    /// Whether it is done.
    pub fn done(&self) -> bool {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).0
    }

    /// The error of the last try, while not done.
    pub fn error(&self) -> Option<String> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).1.clone()
    }

    fn set(&self, done: bool, error: Option<String>) {
        *self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = (done, error);
    }
}

/// Sets the projections up, trying again every `pause` until it works or `shutdown` turns
/// true (a public stream with unsafe settings, NATS or JetStream not answering), with
/// `setup` saying how it goes; then starts every projector on `set` reporting into
/// `statuses`. Returns when set up (or shut down).
#[allow(clippy::too_many_arguments)]
pub async fn set_up_and_spawn(
    set: &mut JoinSet<()>,
    settings: &crate::config::Settings,
    client: &async_nats::Client,
    store: &ReadStore,
    statuses: &BTreeMap<&'static str, Arc<ProjectorStatus>>,
    setup: &Setup,
    shutdown: &watch::Receiver<bool>,
    pause: Duration,
) {
    let projections = loop {
        match skp_projections::catalog::projections(&settings.read, client, &settings.store).await {
            Ok(projections) => break projections,
            Err(e) => {
                let cause = skp_store::error::chain(&e);
                tracing::error!(error = %cause, "setting up the projections failed; trying again");
                setup.set(false, Some(cause));
                let mut stop = shutdown.clone();
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = stop.changed() => return,
                }
            }
        }
    };
    setup.set(true, None);
    spawn_projectors_into(set, projections, store, client, settings.read.projector_settings(&settings.store), shutdown, statuses);
}

/// A fresh status for every projector of the catalog.
pub fn statuses() -> BTreeMap<&'static str, Arc<ProjectorStatus>> {
    skp_projections::PROJECTORS.iter().map(|name| (*name, Arc::new(ProjectorStatus::new(name)))).collect()
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
    let statuses = projections.iter().map(|p| (p.name(), Arc::new(ProjectorStatus::new(p.name())))).collect();
    spawn_projectors_into(set, projections, store, client, settings, shutdown, &statuses);
    statuses
}

/// Like [`spawn_projectors`], reporting into existing statuses (one per projection).
pub fn spawn_projectors_into(
    set: &mut JoinSet<()>,
    projections: Vec<Arc<dyn Projection>>,
    store: &ReadStore,
    client: &async_nats::Client,
    settings: ProjectorSettings,
    shutdown: &watch::Receiver<bool>,
    statuses: &BTreeMap<&'static str, Arc<ProjectorStatus>>,
) {
    // The projectors read the same stream: each event is decoded once for all of them.
    let decoded = Arc::new(DecodedEvents::default());
    for projection in projections {
        let js = async_nats::jetstream::new(client.clone());
        let decoded = decoded.clone();
        let status = statuses.get(projection.name()).cloned().unwrap_or_else(|| Arc::new(ProjectorStatus::new(projection.name())));
        let (store, settings, mut shutdown) = (store.clone(), settings.clone(), shutdown.clone());
        set.spawn(async move {
            loop {
                let projector = Projector::with_status(projection.clone(), store.clone(), js.clone(), settings.clone(), status.clone()).sharing(decoded.clone());
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
