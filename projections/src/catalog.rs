//! The read models SKP runs, and the settings they run with: what the API process, the
//! projector host and `skp projections` all start from.

use crate::audit::AuditProjection;
use crate::career::CareerProjection;
use crate::error::ProjectionError;
use crate::progress::ProgressProjection;
use crate::projection::Projection;
use crate::relay::RelayProjection;
use crate::runtime::ProjectorSettings;
use crate::voices::VoicesProjection;
use skp_events::subject::Subjects;
use skp_store::config::{parse, ConfigError, Secret, StoreSettings};
use std::sync::Arc;
use std::time::Duration;

/// The projector names, in the order they run.
pub const PROJECTORS: [&str; 5] = ["progress", "career", "audit", "relay", "voices"];

/// How long one fetch of a projector waits for new events.
const FETCH_WAIT: Duration = Duration::from_millis(500);

/// Where the read models live and where the public events go.
#[derive(Debug, Clone)]
pub struct ReadSettings {
    /// PostgreSQL of the read models (`SKP_DATABASE_URL`).
    pub database_url: Secret,
    /// Control schema of the read models; generations live in `<schema>_<projection>_g<n>`
    /// (`SKP_DB_SCHEMA`, default `skp`).
    pub schema: String,
    /// Messages per projector batch (`SKP_PROJECTOR_BATCH`, default 1000).
    pub batch: usize,
    /// How long a projector lets events gather after a batch that was not full, before it
    /// fetches again (`SKP_PROJECTOR_LINGER_MS`, default 5; 0: fetch at once).
    pub linger: Duration,
    /// The public stream (`SKP_PUBLIC_STREAM`, default `SKP_PUBLIC`).
    pub public_stream: String,
    /// Prefix of the public subjects (`SKP_PUBLIC_PREFIX`, default `skp.public`).
    pub public_prefix: String,
}

impl ReadSettings {
    /// Reads the settings through `lookup`; unset variables take their defaults.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable that is malformed.
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str, default: &str| lookup(name).unwrap_or_else(|| default.to_owned());
        Ok(Self {
            database_url: Secret::new(get("SKP_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")),
            schema: get("SKP_DB_SCHEMA", "skp"),
            batch: parse("SKP_PROJECTOR_BATCH", &get("SKP_PROJECTOR_BATCH", "1000"))?,
            linger: Duration::from_millis(parse("SKP_PROJECTOR_LINGER_MS", &get("SKP_PROJECTOR_LINGER_MS", "5"))?),
            public_stream: get("SKP_PUBLIC_STREAM", "SKP_PUBLIC"),
            public_prefix: get("SKP_PUBLIC_PREFIX", "skp.public"),
        })
    }

    /// The settings every projector of the event stream runs with.
    pub fn projector_settings(&self, store: &StoreSettings) -> ProjectorSettings {
        ProjectorSettings {
            stream: store.stream.clone(),
            filter_subject: Subjects::new(store.subject_prefix.clone()).all(),
            batch: self.batch,
            fetch_wait: FETCH_WAIT,
            linger: self.linger,
        }
    }
}

/// Every projection, in the order of [`PROJECTORS`]; the relay creates the public stream
/// (with the store's replicas) if it is missing, or checks it, and progress publishes live
/// updates on `client` under the live prefix of the store's subject prefix.
///
/// # Errors
/// When the public stream cannot be created or opened, or is unsafe.
pub async fn projections(read: &ReadSettings, client: &async_nats::Client, store: &StoreSettings) -> Result<Vec<Arc<dyn Projection>>, ProjectionError> {
    let js = async_nats::jetstream::new(client.clone());
    let relay = RelayProjection::new(js, &read.public_stream, &read.public_prefix, store.replicas).await?;
    let progress = ProgressProjection::new(Some(client.clone())).live_under(Subjects::new(store.subject_prefix.clone()));
    Ok(vec![
        Arc::new(progress),
        Arc::new(CareerProjection),
        Arc::new(AuditProjection),
        Arc::new(relay),
        // Voices beyond the rater (issue 13).
        Arc::new(VoicesProjection),
    ])
}
