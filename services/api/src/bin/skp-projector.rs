//! The projector host: runs SKP's projectors (progress, career, audit, public relay) without
//! the API, and serves `/healthz`, `/readyz` and `/metrics` on `SKP_PROJECTOR_ADDR`
//! (`skp_api::projector_host`). SIGTERM lets each projector finish and commit its batch.

use skp_api::config::Settings;
use skp_api::projector_host::ProjectorHost;
use skp_api::startup::shutdown_signal;
use skp_api::telemetry;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::for_projectors_from_env()?;
    telemetry::init(settings.log_json);
    let host = ProjectorHost::build(&settings).await?;
    let addr = host.local_addr()?;
    tracing::info!(%addr, "projector host health listening");
    eprintln!("SKP projector host: health on http://{addr}/readyz and /metrics");
    host.run_until_stopped(shutdown_signal()).await?;
    Ok(())
}
