//! Reading one subject's messages by direct get: batched requests answered by many messages
//! and a `204 EOB` on nats-server 2.11 and newer; one request per message before.
//!
//! A batch ends where the server chose to end it (its message count, or its byte limit:
//! about 64 MiB by default, less when asked), not where the subject ends. The server says
//! how many messages remain (`Nats-Num-Pending` on every answer and on the EOB), so reading
//! goes on until it reports none: a large history is read whole, never cut at a batch.

use crate::error::StoreError;
use async_nats::{Client, HeaderMap, Message};
use bytes::Bytes;
use futures::StreamExt;

/// The header naming the command that decided an event (`Skp-Command`).
pub const COMMAND_HEADER: &str = "Skp-Command";
/// The header holding a digest of the command's values (`Skp-Request-Digest`).
pub const DIGEST_HEADER: &str = "Skp-Request-Digest";

/// How much one batched direct get asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Messages per request (default 512).
    pub batch: usize,
    /// Bytes per request, `None` for the server's own limit.
    pub max_bytes: Option<usize>,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self { batch: 512, max_bytes: None }
    }
}

/// A message as stored: its stream sequence and its body.
#[derive(Debug, Clone)]
pub struct RawEvent {
    /// The message's stream sequence.
    pub stream_seq: u64,
    /// The body: the envelope's canonical JSON.
    pub body: Bytes,
    /// The `Skp-Command` header: the command that decided it (absent on events stored before
    /// SKP kept it).
    pub command: Option<String>,
    /// The `Skp-Request-Digest` header: a digest of the command's values.
    pub digest: Option<String>,
}

/// Fetches every message on `subject` with a stream sequence above `after`.
pub(crate) async fn fetch_after(client: &Client, stream: &str, subject: &str, after: u64, batched: Option<ReadLimits>) -> Result<Vec<RawEvent>, StoreError> {
    let api = format!("$JS.API.DIRECT.GET.{stream}");
    let mut events = Vec::new();
    let mut next = after + 1;
    loop {
        let (page, more) = match batched {
            Some(limits) => {
                let (page, pending) = batch(client, &api, stream, subject, next, limits).await?;
                // Without the count (a server that does not send it), a full batch means more.
                let more = pending.map_or(page.len() == limits.batch, |p| p > 0);
                (page, more)
            }
            None => {
                let page: Vec<RawEvent> = single(client, &api, stream, subject, next).await?.into_iter().collect();
                let more = !page.is_empty();
                (page, more)
            }
        };
        match page.last() {
            Some(last) => next = last.stream_seq + 1,
            // The server says more remain but sent none: asking again would loop.
            None if more => return Err(StoreError::Malformed("a batched direct get reported pending messages but sent none")),
            None => {}
        }
        events.extend(page);
        if !more {
            return Ok(events);
        }
    }
}

async fn single(client: &Client, api: &str, stream: &str, subject: &str, seq: u64) -> Result<Option<RawEvent>, StoreError> {
    let request = serde_json::json!({ "seq": seq, "next_by_subj": subject }).to_string();
    let reply = client.request(api.to_owned(), Bytes::from(request)).await.map_err(|e| StoreError::unavailable(format!("direct get on {subject}"), e))?;
    match reply.status.map(|s| s.as_u16()) {
        Some(404) => Ok(None),
        Some(code) if code >= 300 => Err(refused(stream, code, reply.description.as_deref())),
        _ => raw_event(&reply).map(Some),
    }
}

/// One batched direct get: the messages sent, and how many the server says remain after
/// them (`None` when it did not say).
async fn batch(client: &Client, api: &str, stream: &str, subject: &str, seq: u64, limits: ReadLimits) -> Result<(Vec<RawEvent>, Option<u64>), StoreError> {
    let what = || format!("batched direct get on {subject}");
    let inbox = client.new_inbox();
    let mut replies = client.subscribe(inbox.clone()).await.map_err(|e| StoreError::unavailable(what(), e))?;
    let mut request = serde_json::json!({ "seq": seq, "next_by_subj": subject, "batch": limits.batch });
    if let Some(max_bytes) = limits.max_bytes {
        request["max_bytes"] = max_bytes.into();
    }
    client.publish_with_reply(api.to_owned(), inbox, Bytes::from(request.to_string())).await.map_err(|e| StoreError::unavailable(what(), e))?;
    let mut events = Vec::new();
    let mut pending = None;
    while let Some(reply) = replies.next().await {
        match reply.status.map(|s| s.as_u16()) {
            Some(204) => return Ok((events, header_u64(reply.headers.as_ref(), "Nats-Num-Pending").or(pending))),
            Some(404) => return Ok((events, Some(0))),
            Some(code) if code >= 300 => return Err(refused(stream, code, reply.description.as_deref())),
            _ => {
                pending = header_u64(reply.headers.as_ref(), "Nats-Num-Pending");
                events.push(raw_event(&reply)?);
            }
        }
    }
    Err(StoreError::Closed { what: what() })
}

/// A direct get answered with an error status. 503 (no responders: the stream has no leader
/// during an election, or no server holds it right now) and 408 (timeout) are passing
/// conditions of a cluster, answered 503 with `Retry-After` ([`StoreError::is_unavailable`]);
/// anything else is an error.
fn refused(stream: &str, code: u16, description: Option<&str>) -> StoreError {
    StoreError::DirectGet { stream: stream.to_owned(), code, description: description.unwrap_or("no description").to_owned() }
}

fn raw_event(message: &Message) -> Result<RawEvent, StoreError> {
    let stream_seq = header_u64(message.headers.as_ref(), "Nats-Sequence")
        .ok_or(StoreError::Malformed("a direct get answer without Nats-Sequence"))?;
    let header = |name: &str| message.headers.as_ref().and_then(|h| h.get(name)).map(|v| v.as_str().to_owned());
    let (command, digest) = (header(COMMAND_HEADER), header(DIGEST_HEADER));
    Ok(RawEvent { stream_seq, body: message.payload.clone(), command, digest })
}

fn header_u64(headers: Option<&HeaderMap>, name: &str) -> Option<u64> {
    // Parsed through `FromStr`, so that well-known names match the client's own constants.
    let name: async_nats::header::HeaderName = name.parse().ok()?;
    headers?.get(name)?.as_str().parse().ok()
}
