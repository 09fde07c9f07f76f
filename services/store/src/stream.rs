//! Creating or checking the event stream: file storage, deny delete, deny purge, no rollup,
//! discard new, no limits, direct gets allowed, replicas from configuration; an existing
//! stream is checked whole ([`crate::stream_check`]).

use crate::error::{cause, StoreError};
use async_nats::jetstream::stream::{Config, DiscardPolicy, StorageType};
use async_nats::jetstream::Context;
use crate::stream_check::{problems, Requirements};
use skp_events::subject::Subjects;
use std::time::Duration;

/// The configuration SKP requires of its event stream.
pub fn required_config(name: &str, subjects: &Subjects, replicas: usize) -> Config {
    Config {
        name: name.to_owned(),
        subjects: vec![subjects.all()],
        storage: StorageType::File,
        num_replicas: replicas,
        deny_delete: true,
        deny_purge: true,
        allow_rollup: false,
        discard: DiscardPolicy::New,
        allow_direct: true,
        duplicate_window: EVENTS_DUPLICATE_WINDOW,
        description: Some("SKP appraisal events: append-only, one subject per aggregate".into()),
        ..Default::default()
    }
}

/// The duplicate window SKP creates `SKP_EVENTS` with, and the shortest it accepts: a
/// publish retried after a lost acknowledgement meets the first within it.
pub const EVENTS_DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Creates the stream if it is missing; otherwise checks its whole configuration
/// ([`crate::stream_check`]).
///
/// # Errors
/// [`StoreError::UnsafeStream`] naming every unsafe setting; [`StoreError::Stream`] when
/// JetStream does not answer.
pub async fn ensure(js: &Context, name: &str, subjects: &Subjects, replicas: usize) -> Result<(), StoreError> {
    let wanted = required_config(name, subjects, replicas);
    let needs = Requirements { subjects: subjects.all(), replicas, min_duplicate_window: EVENTS_DUPLICATE_WINDOW, direct_get: true };
    ensure_checked(js, &wanted, &needs).await
}

/// Creates the stream `config` names if it is missing, then checks what the server holds
/// against `needs` (also for a stream just created: the server may have adjusted it).
///
/// # Errors
/// [`StoreError::UnsafeStream`] naming every unsafe setting; [`StoreError::Stream`] when
/// JetStream does not answer.
pub async fn ensure_checked(js: &Context, config: &Config, needs: &Requirements) -> Result<(), StoreError> {
    let name = config.name.as_str();
    get_or_create_with_retry(js, config).await.map_err(|e| StoreError::stream(name, "creating or opening it", e))?;
    let info: serde_json::Value = js.request(format!("STREAM.INFO.{name}"), &serde_json::json!({})).await.map_err(|e| StoreError::stream(name, "reading its configuration", e))?;
    let found = info.get("config").ok_or(StoreError::Malformed("a stream info answer without its configuration"))?;
    let problems = problems(found, needs);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StoreError::UnsafeStream { stream: name.to_owned(), problems })
    }
}

/// `get_or_create_stream`, tried again a few times on a server-side storage error: nats-server
/// 2.9 removes an account's empty streams directory when its last stream is deleted, and a
/// stream created at that instant fails with "could not create storage directory" (10049).
///
/// # Errors
/// The last error when every try failed.
pub async fn get_or_create_with_retry(
    js: &Context,
    config: &Config,
) -> Result<async_nats::jetstream::stream::Stream, async_nats::jetstream::context::CreateStreamError> {
    let mut tries = 0;
    loop {
        match js.get_or_create_stream(config.clone()).await {
            Err(e) if tries < 5 && e.to_string().contains("10049") => {
                tries += 1;
                tracing::warn!(stream = %config.name, error = %e, "stream store not created; trying again");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
}

/// Turns on atomic batch publish (`allow_atomic`, nats-server 2.12 and newer) on the stream,
/// by a raw `$JS.API.STREAM.UPDATE` of its own configuration: async-nats 0.42's stream
/// config does not know the field (and drops it when it updates a stream). Returns whether
/// the stream allows atomic batches now.
///
/// # Errors
/// [`StoreError::Stream`] when JetStream does not answer.
pub async fn allow_atomic(client: &async_nats::Client, name: &str) -> Result<bool, StoreError> {
    let info = api(client, format!("$JS.API.STREAM.INFO.{name}"), serde_json::json!({})).await.map_err(|e| StoreError::Stream { stream: name.to_owned(), what: "reading its configuration", source: e })?;
    let Some(mut config) = info.get("config").cloned() else {
        return Err(StoreError::Malformed("a stream info answer without its configuration"));
    };
    if config.get("allow_atomic").and_then(serde_json::Value::as_bool) == Some(true) {
        return Ok(true);
    }
    config["allow_atomic"] = serde_json::Value::Bool(true);
    let updated = api(client, format!("$JS.API.STREAM.UPDATE.{name}"), config).await.map_err(|e| StoreError::Stream { stream: name.to_owned(), what: "allowing atomic batches", source: e })?;
    if let Some(error) = updated.get("error") {
        tracing::warn!(stream = name, %error, "could not allow atomic batches on the stream; appending one message at a time");
        return Ok(false);
    }
    Ok(updated.pointer("/config/allow_atomic").and_then(serde_json::Value::as_bool) == Some(true))
}

async fn api(client: &async_nats::Client, subject: String, body: serde_json::Value) -> Result<serde_json::Value, crate::error::Cause> {
    let reply = client.request(subject, body.to_string().into()).await.map_err(cause)?;
    serde_json::from_slice(&reply.payload).map_err(cause)
}

/// The stream's last sequence now.
///
/// # Errors
/// [`StoreError::Stream`] when JetStream does not answer.
pub async fn last_sequence(js: &Context, name: &str) -> Result<u64, StoreError> {
    let mut stream = js.get_stream(name).await.map_err(|e| StoreError::stream(name, "opening it", e))?;
    let info = stream.info().await.map_err(|e| StoreError::stream(name, "reading its state", e))?;
    Ok(info.state.last_sequence)
}
