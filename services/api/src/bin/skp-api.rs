//! The SKP HTTP API.

use skp_api::config::Settings;
use skp_api::startup::{shutdown_signal, Application};
use skp_api::telemetry;
use skp_store::Clock;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    telemetry::init(settings.log_json);
    let app = Application::build(&settings, Clock::system()).await?;
    let addr = app.local_addr()?;
    tracing::info!(%addr, "SKP API listening");
    eprintln!("SKP API listening on http://{addr} (API document: http://{addr}/openapi.json)");
    app.run_until_stopped(shutdown_signal()).await?;
    Ok(())
}
