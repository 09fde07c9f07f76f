//! `skp`: the command-line tool for operators and inspectors.
//!
//! - `skp token --nip NIP [--role admin|inspector]... [--ttl SECONDS]`: a development token
//!   signed with `SKP_JWT_SECRET`;
//! - `skp projections status`: each read model's serving generation, checkpoint and lag;
//! - `skp projections rebuild NAME`: rebuilds a read model from sequence 1 into a fresh
//!   generation while the serving one answers, then swaps it in;
//! - `skp replay <appraisal-id> [--as-of-version N | --as-of RFC3339] [--json]`: an
//!   appraisal's timeline, state at that point and chain check, straight from JetStream;
//! - `skp verify [--all | --cycle ID] [--json]`: re-checks every hash chain and version
//!   sequence; exit 1 on a break.
//!
//! `replay` and `verify` read only `SKP_NATS_URL`, `SKP_STREAM` and `SKP_SUBJECT_PREFIX`
//! (see `skp_services::inspect`). The projection commands read `SKP_NATS_URL`, `SKP_DATABASE_URL` and the other `SKP_*`
//! settings as the API does.

use skp_projections::rebuild::rebuild;
use skp_projections::ReadStore;
use skp_services::config::Settings;
use skp_services::inspect::{self, InspectCommand};
use skp_services::metrics::Metrics;
use skp_services::readmodels::{self, PROJECTORS};
use skp_services::store::EventStore;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage:
  skp token --nip <NIP> [--role admin|inspector]... [--ttl <seconds>]
      Signs a development bearer token with SKP_JWT_SECRET.
  skp projections status
      Each read model's serving generation, checkpoint and lag behind the stream.
  skp projections rebuild <progress|career|audit>
      Rebuilds a read model from sequence 1 into fresh tables while the current ones serve,
      then swaps them in. (The public relay is never rebuilt: it would publish again.)
";

fn usage_text() -> String {
    format!("{USAGE}{}", inspect::USAGE)
}

fn usage() -> ExitCode {
    eprintln!("{}", usage_text());
    ExitCode::from(2)
}

#[allow(clippy::print_stdout)]
fn say(line: &str) {
    println!("{line}");
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        say(&usage_text());
        return ExitCode::SUCCESS;
    }
    match args.first().map(String::as_str) {
        Some("token") => token(&args[1..]),
        Some("projections") => match tokio::runtime::Runtime::new() {
            Ok(runtime) => runtime.block_on(projections(&args[1..])),
            Err(e) => fail(&e.to_string()),
        },
        Some("replay" | "verify") => match inspect::parse_args(&args) {
            Ok(command) => match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime.block_on(inspect_command(command)),
                Err(e) => fail(&e.to_string()),
            },
            Err(problem) => {
                eprintln!("skp: {problem}");
                usage()
            }
        },
        _ => usage(),
    }
}

/// Exit code of `replay` and `verify` when the stream could not be read.
const UNREADABLE: u8 = 3;

async fn inspect_command(command: InspectCommand) -> ExitCode {
    let settings = match Settings::for_projectors_from_env() {
        Ok(settings) => settings,
        Err(e) => return fail(&e.to_string()),
    };
    match command {
        InspectCommand::Replay { appraisal_id, as_of, json } => match inspect::replay(&settings, appraisal_id, as_of).await {
            Ok(report) => {
                if json {
                    say(&serde_json::to_string_pretty(&report).unwrap_or_default());
                } else {
                    say(report.to_text().trim_end());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("skp replay: {e}");
                ExitCode::from(UNREADABLE)
            }
        },
        InspectCommand::Verify { scope, json } => match inspect::verify(&settings, scope).await {
            Ok(report) => {
                if json {
                    say(&serde_json::to_string_pretty(&report).unwrap_or_default());
                } else {
                    say(report.to_text().trim_end());
                }
                if report.intact {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Err(e) => {
                eprintln!("skp verify: {e}");
                ExitCode::from(UNREADABLE)
            }
        },
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("skp: {message}");
    ExitCode::FAILURE
}

fn token(args: &[String]) -> ExitCode {
    let (mut nip, mut roles, mut ttl) = (None, Vec::new(), 12 * 3600);
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let Some(value) = rest.next() else { return usage() };
        match flag.as_str() {
            "--nip" => nip = Some(value.clone()),
            "--role" => roles.push(value.clone()),
            "--ttl" => match value.parse() {
                Ok(seconds) => ttl = seconds,
                Err(_) => return usage(),
            },
            _ => return usage(),
        }
    }
    let Some(nip) = nip else { return usage() };
    if let Err(e) = skp_events::Nip::parse(&nip) {
        eprintln!("skp token: {e}");
        return ExitCode::from(2);
    }
    let Some(secret) = std::env::var("SKP_JWT_SECRET").ok().filter(|s| !s.is_empty()) else {
        eprintln!("skp token: SKP_JWT_SECRET is not set");
        return ExitCode::from(2);
    };
    match skp_services::token::issue(secret.as_bytes(), &nip, &roles, ttl) {
        Ok(token) => {
            say(&token);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

async fn projections(args: &[String]) -> ExitCode {
    let settings = match Settings::for_projectors_from_env() {
        Ok(settings) => settings,
        Err(e) => return fail(&e.to_string()),
    };
    let result = match args.first().map(String::as_str) {
        Some("status") if args.len() == 1 => status(&settings).await,
        Some("rebuild") if args.len() == 2 => rebuild_one(&settings, &args[1]).await,
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("{e:#}")),
    }
}

async fn status(settings: &Settings) -> anyhow::Result<()> {
    let events = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(5)).await?;
    let store = ReadStore::connect(settings.database_url.expose(), &settings.read.schema, 2).await?;
    let head = events.last_sequence().await?;
    say(&format!("stream {} last sequence {head}", settings.store.stream));
    say("projection  generation  checkpoint  lag");
    for name in PROJECTORS {
        match store.active(name).await? {
            Some(g) => say(&format!("{name:<11} {:>10}  {:>10}  {}", g.number, g.last_seq, head.saturating_sub(g.last_seq))),
            None => say(&format!("{name:<11} {:>10}  {:>10}  {head}", "-", "-")),
        }
    }
    Ok(())
}

async fn rebuild_one(settings: &Settings, name: &str) -> anyhow::Result<()> {
    let events = EventStore::connect(&settings.store, Metrics::new(), Duration::from_secs(5)).await?;
    let store = ReadStore::connect(settings.database_url.expose(), &settings.read.schema, 4).await?;
    let projection = readmodels::projections(settings, &events)
        .await?
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| anyhow::anyhow!("no projection named {name:?}; one of {}", PROJECTORS.join(", ")))?;
    let js = async_nats::jetstream::new(events.client().clone());
    let report = rebuild(&store, &js, projection.as_ref(), &readmodels::projector_settings(settings, &events)).await?;
    say(&format!(
        "rebuilt {name}: generation {} serves, {} events in {:.1} s ({:.0} events/s)",
        report.generation,
        report.events,
        report.elapsed.as_secs_f64(),
        report.rate()
    ));
    Ok(())
}
