//! Reading the event stream for inspection: JetStream only (no API, no PostgreSQL), with the
//! store's one stream reader, up to the stream's last sequence when the reading starts.

use bytes::Bytes;
use serde_json::Value;
use skp_store::connect::connect_with_retry;
use skp_store::reader::{read_range, ReadFrom};
use skp_store::stream::last_sequence;
use skp_store::{StoreError, StoreSettings};
use std::time::Duration;
use uuid::Uuid;

/// Messages asked for per fetch.
const BATCH: usize = 4096;
/// How long one fetch waits for messages.
const FETCH_WAIT: Duration = Duration::from_secs(1);
/// How long to wait for NATS when connecting.
const CONNECT_WAIT: Duration = Duration::from_secs(5);

/// Why an inspection could not be done (as opposed to what it found).
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// NATS or the stream could not be read.
    #[error("the event stream could not be read")]
    Stream(#[from] StoreError),
    /// The aggregate has no events.
    #[error("no events for {what} {id}")]
    NotFound {
        /// `appraisal`, `cycle`, ...
        what: &'static str,
        /// Its id.
        id: Uuid,
    },
    /// The version asked for is not in the appraisal.
    #[error("--as-of-version must be between 1 and {0}")]
    VersionOutOfRange(u64),
}

/// One message as read from the stream.
pub struct Stored {
    /// Its stream sequence.
    pub seq: u64,
    /// The subject it was stored on.
    pub subject: String,
    /// The body as stored.
    pub body: Bytes,
}

/// Reads every message of the stream matching `filter` (empty: all) up to the stream's last
/// sequence at the start, in stream order, handing each to `each`.
///
/// # Errors
/// [`InspectError::Stream`] when NATS or the stream cannot be read.
pub async fn read_all(settings: &StoreSettings, filter: &str, mut each: impl FnMut(Stored)) -> Result<(), InspectError> {
    let client = connect_with_retry(&settings.nats_url, &settings.nats_auth, CONNECT_WAIT).await?;
    let js = async_nats::jetstream::new(client);
    let head = last_sequence(&js, &settings.stream).await?;
    let from = ReadFrom { stream: settings.stream.clone(), filter: filter.to_owned(), start: 1, batch: BATCH, wait: FETCH_WAIT };
    let decode = |m: skp_store::reader::StreamMessage| Ok::<_, StoreError>(Stored { seq: m.seq, subject: m.subject, body: m.body });
    read_range(&js, from, head, decode, |batch| {
        batch.into_iter().for_each(&mut each);
        async { Ok(()) }
    })
    .await?;
    Ok(())
}

/// A stored body as JSON (`null` when it is not JSON: it then fails the chain check, as it
/// should).
pub fn parse_body(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}
