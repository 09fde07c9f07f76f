//! The `live` section of `skp-bench all`: from a command's answer to the dashboard's event.
//!
//! A `skp-api` child process on the lazy nats-server; an SSE client on
//! `GET /v1/cycles/{id}/progress/stream` of a fresh cycle; then appraisals opened in that
//! cycle over HTTP at half the highest HTTP command rate of the `http` section (measured
//! here when `http` did not run), paced evenly, for a few seconds: the `http` section's
//! mix, each appraisal opened and then its plan drafted. Opening appraisals in
//! one cycle raises its `total` by one each, in stream order: the appraisal whose answer
//! carried the `j`-th smallest `stream_sequence` is visible from the first `progress` event
//! with `total >= j`. Its latency is from the moment its answer arrived to that event's
//! arrival (0 when the event came first), and also from the moment the request was sent.

use crate::report::{rate, Bound, Latencies, Report};
use crate::servers::Durability;
use crate::service::Service;
use crate::Ctx;
use futures::StreamExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One `progress` event: when it arrived, the cycle's total in it and the bytes of its data.
pub type Delivery = (Instant, u64, usize);

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    let service = Arc::new(Service::start(&ctx.server(Durability::Lazy).url()).await?);
    let max_rate = match ctx.http_max_rate {
        Some(r) => r,
        None => {
            let (_, r, _) = crate::http::measure(&service, ctx.scale.commands / 2, |_, _, _| {}).await?;
            report.figure("live", "highest HTTP command rate, lazy (measured here)", rate(r));
            r
        }
    };
    let target = max_rate / 2.0;
    let seconds = if ctx.scale.quick { 5.0 } else { 15.0 };
    let cycle = service.open_cycle().await?;
    // The stream answers 404 until the progress projection has the cycle.
    service.wait_for_read(&format!("/v1/cycles/{cycle}/progress"), Duration::from_secs(10)).await?;
    let deliveries = Arc::new(Mutex::new(Vec::<Delivery>::new()));
    let reader = tokio::spawn(read_progress(service.url(&format!("/v1/cycles/{cycle}/progress/stream")), deliveries.clone()));
    let outcome = async {
        wait_for(&deliveries, 0, Duration::from_secs(10)).await?;
        // Employees above those the `http` section and a measurement here use.
        let commands = paced_load(&service, &cycle, target, seconds, 2_500_000).await?;
        let achieved = (2 * commands.len()) as f64 / seconds;
        wait_for(&deliveries, commands.len() as u64, Duration::from_secs(10)).await.ok();
        let deliveries = deliveries.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
        Ok::<_, anyhow::Error>((commands, deliveries, achieved))
    }
    .await;
    if outcome.is_err() && reader.is_finished() {
        reader.await??;
        anyhow::bail!("the progress stream ended");
    }
    reader.abort();
    let (commands, deliveries, achieved) = outcome?;
    let (from_answer, from_request, early, missing) = latencies(commands, &deliveries, 0);
    report.figure("live", format!("load: commands over HTTP (open appraisal, draft plan) at {} (target half of {}), {seconds:.0} s", rate(achieved), rate(max_rate)), format!("{} progress events received", deliveries.len()));
    report.figure("live", format!("open appraisal answer to SSE progress event ({} commands)", from_answer.len()), format!("{}; {early} seen on SSE before their answer, {missing} never seen", from_answer.summary()));
    report.figure("live", "open appraisal sent to SSE progress event", from_request.summary());
    report.check("live: command answer to SSE delivery, p99 (ms)", from_answer.quantile(0.99), Bound::AtMost(100.0), format!("{} at {}", from_answer.summary(), rate(achieved)));
    Ok(())
}

/// Opens appraisals in `cycle` (employees from the `first`-th on) and drafts their plans,
/// `per_second` commands for `seconds`: each opening's (sent, answered, stream sequence).
pub async fn paced_load(service: &Arc<Service>, cycle: &str, per_second: f64, seconds: f64, first: usize) -> anyhow::Result<Vec<(Instant, Instant, u64)>> {
    let count = (per_second * seconds / 2.0).round().max(1.0) as usize;
    let interval = Duration::from_secs_f64(2.0 / per_second.max(2.0));
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(count);
    for k in 0..count {
        tokio::time::sleep_until(started + interval.mul_f64(k as f64)).await;
        let (service, cycle) = (service.clone(), cycle.to_owned());
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let answer = service.open_appraisal(&cycle, first + k).await?;
            let answered = Instant::now();
            let seq = answer["stream_sequence"].as_u64().ok_or_else(|| anyhow::anyhow!("no stream_sequence in {answer}"))?;
            service.draft_plan(answer["aggregate_id"].as_str().unwrap_or_default(), first + k).await?;
            Ok::<_, anyhow::Error>((sent, answered, seq))
        }));
    }
    let mut commands = Vec::with_capacity(count);
    for task in tasks {
        commands.push(task.await??);
    }
    Ok(commands)
}

/// Each command's latency from its answer and from its request to the first progress event
/// that shows it (the cycle held `base` appraisals before them); how many showed before
/// their answer, and how many never showed.
pub fn latencies(mut commands: Vec<(Instant, Instant, u64)>, deliveries: &[Delivery], base: u64) -> (Latencies, Latencies, usize, usize) {
    commands.sort_by_key(|c| c.2);
    let (mut from_answer, mut from_request) = (Latencies::with_capacity(commands.len()), Latencies::with_capacity(commands.len()));
    let (mut early, mut missing) = (0, 0);
    for (j, (sent, answered, _)) in commands.iter().enumerate() {
        let rank = base + j as u64 + 1;
        let Some((seen, _, _)) = deliveries.iter().find(|(_, total, _)| *total >= rank) else {
            missing += 1;
            continue;
        };
        if seen < answered {
            early += 1;
        }
        from_answer.push(seen.saturating_duration_since(*answered));
        from_request.push(seen.saturating_duration_since(*sent));
    }
    (from_answer, from_request, early, missing)
}

/// Waits until a progress event with `total >= at_least` arrived.
pub async fn wait_for(deliveries: &Mutex<Vec<Delivery>>, at_least: u64, within: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    loop {
        if deliveries.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.iter().any(|(_, total, _)| *total >= at_least) {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "no progress event with total {at_least} within {within:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Reads the SSE stream at `url` as an admin, recording each `progress` event.
pub async fn read_progress(url: String, deliveries: Arc<Mutex<Vec<Delivery>>>) -> anyhow::Result<()> {
    // A client of its own: the stream lasts longer than any request timeout.
    let client = reqwest::Client::new();
    let response = client.get(url).bearer_auth(Service::token("198812122010011005", true)?).send().await?.error_for_status()?;
    let mut body = response.bytes_stream();
    // Bytes, scanned for the end of an event only where the last scan stopped: a large
    // event (megabytes when the document is unbounded) arrives in many chunks.
    let mut buffer = Vec::<u8>::new();
    let mut scanned = 0;
    while let Some(chunk) = body.next().await {
        let arrived = Instant::now();
        buffer.extend_from_slice(&chunk?);
        while let Some(end) = buffer[scanned.min(buffer.len())..].windows(2).position(|w| w == b"\n\n").map(|p| p + scanned) {
            let event = String::from_utf8_lossy(&buffer[..end + 2]).into_owned();
            buffer.drain(..end + 2);
            scanned = 0;
            if !event.lines().any(|l| l.strip_prefix("event:").is_some_and(|name| name.trim() == "progress")) {
                continue;
            }
            let data: String = event.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect();
            let progress: serde_json::Value = serde_json::from_str(&data)?;
            let total = progress["total"].as_u64().unwrap_or(0);
            deliveries.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.push((arrived, total, data.len()));
        }
        scanned = buffer.len().saturating_sub(1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_seen_by_the_first_event_counting_it_above_the_base() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // Two openings (sequences 7 and 5) in a cycle that held 100 appraisals before them.
        let commands = vec![(at(0), at(10), 7), (at(0), at(5), 5)];
        let deliveries = vec![(at(3), 100, 0), (at(20), 101, 0), (at(40), 102, 0)];
        let (from_answer, _, early, missing) = latencies(commands, &deliveries, 100);
        assert_eq!((early, missing), (0, 0));
        assert_eq!(from_answer.quantile(0.5), 15.0);
        assert_eq!(from_answer.quantile(1.0), 30.0);
    }
}
