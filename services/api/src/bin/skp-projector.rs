//! The projector host: runs SKP's projectors (progress, career, audit, public relay) without
//! the API, for deployments that scale them apart (run the API with `SKP_PROJECTORS=off`).
//! Several hosts may run: one projector per read model is active at a time (a PostgreSQL
//! advisory lock), the others stand by. SIGTERM lets each finish and commit its batch.

use skp_api::config::Settings;
use skp_api::readmodels;
use skp_api::startup::shutdown_signal;
use skp_api::telemetry;
use skp_projections::{catalog, ReadStore};
use skp_store::{EventStore, Metrics};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::for_projectors_from_env()?;
    telemetry::init(settings.log_json);
    let events = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(30)).await?;
    let store = ReadStore::connect(settings.read.database_url.expose(), &settings.read.schema, 16).await?;
    let projections = catalog::projections(&settings.read, events.client(), &settings.store).await?;
    let (stop, shutdown) = watch::channel(false);
    let mut set = JoinSet::new();
    let projector_settings = settings.read.projector_settings(&settings.store);
    let statuses = readmodels::spawn_projectors(&mut set, projections, &store, events.client(), projector_settings, &shutdown);
    tracing::info!(projectors = ?statuses.keys().collect::<Vec<_>>(), "projector host running");
    shutdown_signal().await;
    stop.send_replace(true);
    while set.join_next().await.is_some() {}
    tracing::info!("projector host stopped");
    Ok(())
}
