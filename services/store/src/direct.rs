//! Reading one subject's messages by direct get: one batched request answered by many
//! messages and a `204 EOB` on nats-server 2.11 and newer; one request per message before.

use crate::error::StoreError;
use async_nats::{Client, HeaderMap, Message};
use bytes::Bytes;
use futures::StreamExt;

/// How many messages one batched direct get asks for.
const BATCH: usize = 512;

/// A message as stored: its stream sequence and its body.
#[derive(Debug, Clone)]
pub struct RawEvent {
    /// The message's stream sequence.
    pub stream_seq: u64,
    /// The body: the envelope's canonical JSON.
    pub body: Bytes,
}

/// Fetches the messages on `subject` with a stream sequence above `after`.
pub(crate) async fn fetch_after(client: &Client, stream: &str, subject: &str, after: u64, batched: bool) -> Result<Vec<RawEvent>, StoreError> {
    let api = format!("$JS.API.DIRECT.GET.{stream}");
    let mut events = Vec::new();
    let mut next = after + 1;
    loop {
        let page = if batched {
            batch(client, &api, stream, subject, next).await?
        } else {
            single(client, &api, stream, subject, next).await?.into_iter().collect()
        };
        let full = if batched { page.len() == BATCH } else { !page.is_empty() };
        if let Some(last) = page.last() {
            next = last.stream_seq + 1;
        }
        events.extend(page);
        if !full {
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

async fn batch(client: &Client, api: &str, stream: &str, subject: &str, seq: u64) -> Result<Vec<RawEvent>, StoreError> {
    let what = || format!("batched direct get on {subject}");
    let inbox = client.new_inbox();
    let mut replies = client.subscribe(inbox.clone()).await.map_err(|e| StoreError::unavailable(what(), e))?;
    let request = serde_json::json!({ "seq": seq, "next_by_subj": subject, "batch": BATCH }).to_string();
    client.publish_with_reply(api.to_owned(), inbox, Bytes::from(request)).await.map_err(|e| StoreError::unavailable(what(), e))?;
    let mut events = Vec::new();
    while let Some(reply) = replies.next().await {
        match reply.status.map(|s| s.as_u16()) {
            Some(204) | Some(404) => return Ok(events),
            Some(code) if code >= 300 => return Err(refused(stream, code, reply.description.as_deref())),
            _ => events.push(raw_event(&reply)?),
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
    Ok(RawEvent { stream_seq, body: message.payload.clone() })
}

fn header_u64(headers: Option<&HeaderMap>, name: &str) -> Option<u64> {
    // Parsed through `FromStr`, so that well-known names match the client's own constants.
    let name: async_nats::header::HeaderName = name.parse().ok()?;
    headers?.get(name)?.as_str().parse().ok()
}
