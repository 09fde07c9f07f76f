//! The `contention` section of `skp-bench all`: 32 writers on one appraisal, on the durable
//! nats-server.
//!
//! One appraisal with agreed targets and ten nominated peers; then 32 writers (as those
//! peers, several writers per peer) each give feedback `scale.commands / 400` times (at
//! least 5), all at once: first through one `CommandBus` (one instance:
//! commands on one aggregate queue behind each other), then through 32 buses, each with its
//! own connection, event store and cache (as 32 service instances would be). Per case:
//! commands per second, conflicts decided again (`skp_append_conflicts_total`), the share
//! of commands that succeeded, and a check of the stream: exactly the acknowledged events
//! were stored, versions run on without a gap, and each event's `prev_hash` is the hash of
//! the one before.

use crate::commands::{appraisal_command, bus_on, caller, draft_plan, metric, nip, open_appraisal, Bench};
use crate::report::{rate, Bound, Report};
use crate::Ctx;
use skp_domain::appraisal::AppraisalCommand;
use skp_events::ids::appraisal_id;
use skp_events::values::FeedbackAbout;
use skp_events::voices::{Evaluator, Relation};
use skp_events::{AggregateType, Envelope};
use skp_store::{CommandBus, CommandError};
use skp_store::Metrics;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

const WRITERS: usize = 32;

/// What one case did.
struct Outcome {
    attempted: usize,
    accepted: HashSet<Uuid>,
    conflicts_given_up: usize,
    seconds: f64,
}

pub async fn run(ctx: &mut Ctx, report: &mut Report) -> anyhow::Result<()> {
    let per_writer = (ctx.scale.commands / 400).max(5);
    let bench = Bench::start(&ctx.durable.url()).await?;
    let result = cases(&bench, per_writer, report).await;
    bench.delete().await;
    result
}

async fn cases(bench: &Bench, per_writer: usize, report: &mut Report) -> anyhow::Result<()> {
    let id = agreed_appraisal(bench).await?;
    let subject = bench.bus.store().subjects().aggregate(AggregateType::Appraisal, id);

    let stored = bench.bus.store().load_after(&subject, 0).await?.len();
    let before = metric(&bench.metrics.render(), "skp_append_conflicts_total");
    let one = writers(vec![bench.bus.clone(); WRITERS], id, per_writer).await?;
    let conflicts = metric(&bench.metrics.render(), "skp_append_conflicts_total") - before;
    let intact = verify(bench, &subject, stored, &one.accepted).await?;
    let stored = stored + one.accepted.len();
    let share = describe(report, "one bus", &one, conflicts, &intact);
    report.figure("contention", "one bus: commands succeeded", format!("{share:.1}%"));

    let mut buses = Vec::with_capacity(WRITERS);
    let mut metrics: Vec<Metrics> = Vec::with_capacity(WRITERS);
    for _ in 0..WRITERS {
        let (_client, bus, m) = bus_on(&bench.settings).await?;
        buses.push(bus);
        metrics.push(m);
    }
    let many = writers(buses, id, per_writer).await?;
    let conflicts: f64 = metrics.iter().map(|m| metric(&m.render(), "skp_append_conflicts_total")).sum();
    let intact = verify(bench, &subject, stored, &many.accepted).await?;
    let share = describe(report, "32 buses", &many, conflicts, &intact);
    report.check(
        "contention, 32 instances on one appraisal: commands succeeded (%)",
        share,
        Bound::AtLeast(99.0),
        format!("{} of {} in {:.1} s, {conflicts:.0} conflicts retried; {intact}", many.accepted.len(), many.attempted, many.seconds),
    );
    Ok(())
}

/// Prints a case's figures; the share of commands that succeeded, in per cent.
fn describe(report: &mut Report, case: &str, outcome: &Outcome, conflicts: f64, intact: &str) -> f64 {
    let succeeded = outcome.accepted.len();
    let share = 100.0 * succeeded as f64 / outcome.attempted as f64;
    report.figure(
        "contention",
        format!("{case}, {WRITERS} writers on one appraisal ({} commands)", outcome.attempted),
        format!(
            "{} succeeded, {}, {conflicts:.0} conflicts retried, {} gave up (409); {intact}",
            succeeded,
            rate(succeeded as f64 / outcome.seconds),
            outcome.conflicts_given_up
        ),
    );
    share
}

/// A cycle and the appraisal of employee 0 in it, its targets agreed.
async fn agreed_appraisal(bench: &Bench) -> anyhow::Result<Uuid> {
    let (cycle_id, cycle) = bench.open_cycle().await?;
    open_appraisal(bench.bus.clone(), cycle_id, cycle, 0).await?;
    draft_plan(bench.bus.clone(), cycle_id, 0).await?;
    let id = appraisal_id(cycle_id, &nip(0)?);
    appraisal_command(&bench.bus, id, "submit_plan", caller(nip(0)?), AppraisalCommand::SubmitPlan).await?;
    let evaluators = (0..NOMINATED).map(|n| Ok(Evaluator { nip: nip(1000 + n)?, name: format!("Rekan {n}"), relation: Relation::Peer })).collect::<anyhow::Result<_>>()?;
    appraisal_command(&bench.bus, id, "nominate_evaluators", caller(crate::commands::rater()?.nip), AppraisalCommand::NominateEvaluators { evaluators }).await?;
    appraisal_command(&bench.bus, id, "agree_targets", caller(crate::commands::rater()?.nip), AppraisalCommand::AgreeTargets).await?;
    Ok(id)
}

/// How many peers the rater nominates (at most ten may be): the writers give feedback as them.
const NOMINATED: usize = 10;

/// Writer `w` gives feedback `per_writer` times through `buses[w]`, all writers at once.
async fn writers(buses: Vec<Arc<CommandBus>>, id: Uuid, per_writer: usize) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let tasks: Vec<_> = buses
        .into_iter()
        .enumerate()
        .map(|(w, bus)| {
            tokio::spawn(async move {
                let peer = caller(nip(1000 + w % NOMINATED)?);
                let (mut accepted, mut gave_up) = (Vec::new(), 0);
                for k in 0..per_writer {
                    let body = AppraisalCommand::GiveFeedback { about: FeedbackAbout::Results, text: format!("masukan {w}-{k}"), indicator_id: None };
                    match appraisal_command(&bus, id, "give_feedback", peer.clone(), body).await {
                        Ok(committed) => accepted.push(committed.event_id),
                        Err(CommandError::Conflict { .. }) => gave_up += 1,
                        Err(e) => return Err(anyhow::Error::from(e)),
                    }
                }
                Ok((accepted, gave_up))
            })
        })
        .collect();
    let mut outcome = Outcome { attempted: WRITERS * per_writer, accepted: HashSet::new(), conflicts_given_up: 0, seconds: 0.0 };
    for task in tasks {
        let (accepted, gave_up) = task.await??;
        outcome.accepted.extend(accepted);
        outcome.conflicts_given_up += gave_up;
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    Ok(outcome)
}

/// Reads the appraisal's events back: those after the first `before` are exactly
/// `accepted`, versions run 1..n, the hash chain links. A sentence saying so, or an error.
async fn verify(bench: &Bench, subject: &str, before: usize, accepted: &HashSet<Uuid>) -> anyhow::Result<String> {
    let raw = bench.bus.store().load_after(subject, 0).await?;
    anyhow::ensure!(raw.len() == before + accepted.len(), "{} events stored after the writers, {} acknowledged", raw.len() - before, accepted.len());
    let mut previous_hash = skp_events::GENESIS_HASH.to_owned();
    let mut stored = HashSet::new();
    for (i, message) in raw.iter().enumerate() {
        let envelope = Envelope::decode(&message.body)?;
        anyhow::ensure!(envelope.version == i as u64 + 1, "version {} at position {}: a gap", envelope.version, i + 1);
        anyhow::ensure!(envelope.prev_hash == previous_hash, "the hash chain breaks at version {}", envelope.version);
        previous_hash = envelope.hash.clone();
        if i >= before {
            anyhow::ensure!(accepted.contains(&envelope.event_id), "version {} was stored but never acknowledged", envelope.version);
            stored.insert(envelope.event_id);
        }
    }
    anyhow::ensure!(stored.len() == accepted.len(), "{} acknowledged events are missing from the stream", accepted.len() - stored.len());
    Ok(format!("stream checked: {} events, versions 1..{} without a gap, chain intact, every acknowledged event stored", raw.len(), raw.len()))
}
