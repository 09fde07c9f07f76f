//! `skp-payroll-sample`: a sample payroll consumer of SKP's public events.
//!
//! It reads `skp.public.score.finalized.v1` and `skp.public.period.evaluated.v1` from
//! `SKP_PUBLIC` with a durable pull consumer each and records, for each employee and year
//! and for each employee and period, the Tukin/TPP percentage that the agency's own table
//! gives the predikat, idempotently (see this crate's `README.md`).
//!
//! ```text
//! skp-payroll-sample [--once]
//! ```
//!
//! `--once` handles what is waiting and exits; without it the consumer runs until SIGINT
//! or SIGTERM. The logic is the library, `skp_payroll_sample`.

use skp_payroll_sample::{self as payroll, Mode, Outcome, PublicEvent, Settings};
use std::process::ExitCode;

const USAGE: &str = "usage: skp-payroll-sample [--once]

Consumes skp.public.score.finalized.v1 and skp.public.period.evaluated.v1 and records each
employee's Tukin/TPP percentage per year and per period.
  --once   handle the events waiting now, then exit (default: run until SIGINT/SIGTERM)

Environment: SKP_NATS_URL (and SKP_NATS_* credential and TLS), SKP_DATABASE_URL, SKP_PUBLIC_STREAM,
SKP_PUBLIC_PREFIX, PAYROLL_SCHEMA, PAYROLL_CONSUMER, PAYROLL_PERIOD_CONSUMER, PAYROLL_TABLE (see
services/payroll-sample/README.md).";

#[tokio::main]
async fn main() -> ExitCode {
    let mode = match std::env::args().skip(1).collect::<Vec<_>>().as_slice() {
        [] => Mode::UntilShutdown,
        [flag] if flag == "--once" => Mode::Once,
        [flag] if flag == "--help" || flag == "-h" => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            tracing::error!(error = %chain(&e), "not started");
            return ExitCode::from(2);
        }
    };
    tracing::info!(stream = %settings.stream, subject = %settings.subject(), consumer = %settings.durable,
        period_subject = %settings.period_subject(), period_consumer = %settings.period_durable, schema = %settings.schema, table = %settings.table, ?mode, "payroll sample consumer starting");
    match payroll::run(&settings, mode, shutdown_signal(), log).await {
        Ok(summary) => {
            tracing::info!(applied = summary.applied, already_applied = summary.already_applied, terminated = summary.terminated, "payroll sample consumer stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %chain(&e), "payroll sample consumer failed");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        Some(()) = async { terminate.as_mut()?.recv().await } => {}
    }
}

/// An error and its causes on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line = format!("{line}: {cause}");
        source = cause.source();
    }
    line
}

/// Logs one outcome. The NIP is left out on purpose: logs travel further than the payroll
/// database, and the appraisal id is enough to find the row.
fn log(outcome: Outcome<'_>) {
    match outcome {
        Outcome::Applied { stream_seq, event: PublicEvent::ScoreFinalized(event), percent } => tracing::info!(
            stream_seq, event_id = %event.event_id, appraisal_id = %event.appraisal_id, year = event.year,
            predikat = event.predikat.as_str(), percent, "adjustment recorded"),
        Outcome::Applied { stream_seq, event: PublicEvent::PeriodEvaluated(event), percent } => tracing::info!(
            stream_seq, event_id = %event.event_id, appraisal_id = %event.appraisal_id, period = %event.period,
            corrected = event.corrected, predikat = event.predikat.as_str(), percent, "period adjustment recorded"),
        Outcome::AlreadyApplied { stream_seq, event } => {
            tracing::info!(stream_seq, event_id = %event.event_id(), "already applied (redelivery or duplicate); nothing changed");
        }
        Outcome::Undecodable { stream_seq, error } => {
            tracing::error!(stream_seq, error, "undecodable message terminated (it stays in the stream for inspection)");
        }
        Outcome::NotApplied { stream_seq, event_id, error } => {
            tracing::warn!(stream_seq, %event_id, error, "not applied; JetStream will redeliver it");
        }
        Outcome::AckFailed { stream_seq, error } => {
            tracing::warn!(stream_seq, error, "acknowledgement failed; a redelivery will be a no-op");
        }
        Outcome::PullFailed { error } => tracing::warn!(error, "pull from JetStream failed"),
    }
}
