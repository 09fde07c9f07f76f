//! `skp`: the command-line tool for operators and inspectors. The command line is
//! [`skp_cli::args::Cli`]; `skp --help` and `skp <command> --help` describe each part.
//!
//! `replay`, `verify` and `export` read only `SKP_NATS_URL`, `SKP_STREAM` and
//! `SKP_SUBJECT_PREFIX` (see `skp_cli::stream`), and `export --token` `SKP_JWT_SECRET` too;
//! `verify --bundle` reads only its file.
//! The projection commands read `SKP_NATS_URL`, `SKP_DATABASE_URL` and the other `SKP_*`
//! settings as the API does; `token` and `seed-demo` read `SKP_JWT_SECRET`.

use clap::Parser;
use serde_json::json;
use skp_cli::args::{Cli, Command, ExportArgs, ProjectionsCommand, ReplayArgs, SeedArgs, TokenArgs, VerifyArgs};
use skp_cli::bundle::Bundle;
use skp_cli::{export, replay, verify};
use skp_projections::rebuild::rebuild;
use skp_projections::{catalog, ReadSettings, ReadStore, PROJECTORS};
use skp_store::connect::connect_with_retry;
use skp_store::error::chain;
use skp_store::StoreSettings;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Exit code when the stream could not be read.
const UNREADABLE: u8 = 3;
/// Exit code of bad arguments or missing configuration (clap's own as well).
const USAGE: u8 = 2;

#[allow(clippy::print_stdout)]
fn say(text: &str) {
    println!("{}", text.trim_end());
}

fn say_json(value: &impl serde::Serialize) {
    say(&serde_json::to_string_pretty(value).unwrap_or_default());
}

fn fail(command: &str, message: &str, code: u8) -> ExitCode {
    eprintln!("skp {command}: {message}");
    ExitCode::from(code)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => return fail("", &e.to_string(), 1),
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Replay(args) => replay(args).await,
            Command::Verify(args) => verify(args).await,
            Command::Export(args) => export(args).await,
            Command::Projections { command } => projections(command).await,
            Command::SeedDemo(args) => seed(args).await,
            Command::Token(args) => token(&args),
        }
    })
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn settings(command: &str) -> Result<StoreSettings, ExitCode> {
    StoreSettings::from_lookup(&env).map_err(|e| fail(command, &e.to_string(), USAGE))
}

fn read_settings(command: &str) -> Result<ReadSettings, ExitCode> {
    ReadSettings::from_lookup(&env).map_err(|e| fail(command, &e.to_string(), USAGE))
}

async fn replay(args: ReplayArgs) -> ExitCode {
    let settings = match settings("replay") {
        Ok(s) => s,
        Err(code) => return code,
    };
    match replay::replay(&settings, args.appraisal_id, args.as_of()).await {
        Ok(report) if args.json => {
            say_json(&report);
            ExitCode::SUCCESS
        }
        Ok(report) => {
            say(&report.to_text());
            ExitCode::SUCCESS
        }
        Err(e) => fail("replay", &chain(&e), UNREADABLE),
    }
}

async fn verify(args: VerifyArgs) -> ExitCode {
    if let Some(path) = &args.bundle {
        return verify_bundle(path, args.json);
    }
    let settings = match settings("verify") {
        Ok(s) => s,
        Err(code) => return code,
    };
    match verify::verify(&settings, args.scope()).await {
        Ok(report) => {
            if args.json {
                say_json(&report);
            } else {
                say(&report.to_text());
            }
            if report.intact {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => fail("verify", &chain(&e), UNREADABLE),
    }
}

fn verify_bundle(path: &PathBuf, json: bool) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return fail("verify", &format!("{}: {e}", path.display()), USAGE),
    };
    let bundle: Bundle = match serde_json::from_str(&text) {
        Ok(bundle) => bundle,
        Err(e) => return fail("verify", &format!("{} is not an SKP evidence bundle: {e}", path.display()), 1),
    };
    let check = bundle.check();
    if json {
        say_json(&check);
    } else {
        say(&check.to_text());
    }
    if check.intact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn export(args: ExportArgs) -> ExitCode {
    let settings = match settings("export") {
        Ok(s) => s,
        Err(code) => return code,
    };
    let requester = match &args.token {
        None => None,
        Some(token) => {
            let secret = match secret("export") {
                Ok(s) => s,
                Err(code) => return code,
            };
            match skp_cli::token::verify(secret.as_bytes(), token) {
                Ok((caller, roles)) => Some(export::Requester { caller, roles }),
                Err(e) => return fail("export", &format!("--token: {}", chain(&e)), USAGE),
            }
        }
    };
    let bundle = match export::export(&settings, args.appraisal_id, requester.as_ref()).await {
        Ok(bundle) => bundle,
        Err(e) => return fail("export", &chain(&e), UNREADABLE),
    };
    let text = match serde_json::to_string_pretty(&bundle) {
        Ok(text) => text,
        Err(e) => return fail("export", &e.to_string(), 1),
    };
    let output = args.output.unwrap_or_else(|| PathBuf::from(format!("{}.skp-bundle.json", args.appraisal_id)));
    if output.as_os_str() == "-" {
        say(&text);
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::write(&output, text + "\n") {
        return fail("export", &format!("{}: {e}", output.display()), 1);
    }
    let plan = bundle.development.as_ref().map(|p| json!({"plan_id": p.plan_id, "events": p.events.len(), "chain_valid": p.chain_valid, "head_hash": p.head_hash}));
    let survey_events = bundle.survey.as_ref().map(|s| s.events.len());
    let summary = json!({"file": output, "appraisal_id": bundle.appraisal_id, "events": bundle.events.len(), "chain_valid": bundle.chain_valid, "head_hash": bundle.head_hash, "verdict": bundle.audit["verdict"],
        "development": plan, "survey_events": survey_events, "survey_chain_valid": bundle.survey.as_ref().map(|s| s.chain_valid), "survey_withheld": bundle.survey_withheld});
    if args.json {
        say_json(&summary);
    } else {
        let intact = |valid: bool| if valid { "intact" } else { "BROKEN" };
        let plan = match &bundle.development {
            Some(p) => format!(" and {} events of its development plan {} (chain {})", p.events.len(), p.plan_id, intact(p.chain_valid)),
            None => String::new(),
        };
        let survey = match (&bundle.survey, &bundle.survey_withheld) {
            (Some(s), _) => format!("; survey: {} events, chain {}", s.events.len(), intact(s.chain_valid)),
            (None, Some(why)) => format!("; no survey ({why})"),
            (None, None) => String::new(),
        };
        say(&format!(
            "wrote {}: {} events of appraisal {}, chain {}{plan}, audit verdict {}{survey}; check it with: skp verify --bundle {}",
            output.display(),
            bundle.events.len(),
            bundle.appraisal_id,
            intact(bundle.chain_valid),
            bundle.audit["verdict"].as_str().unwrap_or("-"),
            output.display()
        ));
    }
    ExitCode::SUCCESS
}

fn secret(command: &str) -> Result<String, ExitCode> {
    std::env::var("SKP_JWT_SECRET").ok().filter(|s| !s.is_empty()).ok_or_else(|| fail(command, "SKP_JWT_SECRET is not set", USAGE))
}

fn token(args: &TokenArgs) -> ExitCode {
    if let Err(e) = skp_events::Nip::parse(&args.nip) {
        return fail("token", &e.to_string(), USAGE);
    }
    let secret = match secret("token") {
        Ok(s) => s,
        Err(code) => return code,
    };
    match skp_cli::token::issue(secret.as_bytes(), &args.nip, &args.roles, args.ttl) {
        Ok(token) if args.json => {
            say_json(&json!({"token": token, "nip": args.nip, "roles": args.roles, "expires_in": args.ttl}));
            ExitCode::SUCCESS
        }
        Ok(token) => {
            say(&token);
            ExitCode::SUCCESS
        }
        Err(e) => fail("token", &e.to_string(), 1),
    }
}

async fn seed(args: SeedArgs) -> ExitCode {
    let secret = match secret("seed-demo") {
        Ok(s) => s,
        Err(code) => return code,
    };
    match skp_cli::seed::seed_demo(&args.api, secret.as_bytes(), args.employees).await {
        Ok(summary) if args.json => {
            say_json(&summary);
            ExitCode::SUCCESS
        }
        Ok(summary) => {
            let already = if summary.new_events == 0 { " (already seeded: nothing new recorded)" } else { "" };
            say(&format!(
                "seeded cycle {} at {}: {} appraisals, {} commands, {} new events in {:.1} s{already}",
                summary.cycle_id, args.api, summary.appraisals, summary.commands, summary.new_events, summary.seconds
            ));
            say(&format!("seeded monthly cycle {} (periodic evaluation): {} appraisals", summary.periodic_cycle_id, summary.periodic_appraisals));
            ExitCode::SUCCESS
        }
        Err(e) => fail("seed-demo", &chain(&e), 1),
    }
}

async fn projections(command: ProjectionsCommand) -> ExitCode {
    let (store, read) = match (settings("projections"), read_settings("projections")) {
        (Ok(store), Ok(read)) => (store, read),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let result = match command {
        ProjectionsCommand::Status { json } => status(&store, &read, json).await,
        ProjectionsCommand::Rebuild { name, json } => rebuild_one(&store, &read, &name, json).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail("projections", &format!("{e:#}"), 1),
    }
}

async fn status(settings: &StoreSettings, read: &ReadSettings, json: bool) -> anyhow::Result<()> {
    let client = connect_with_retry(&settings.nats_url, &settings.nats_auth, Duration::from_secs(5)).await?;
    let store = ReadStore::connect(read.database_url.expose(), &read.schema, 2).await?;
    let head = skp_store::stream::last_sequence(&async_nats::jetstream::new(client), &settings.stream).await?;
    let mut rows = Vec::new();
    for name in PROJECTORS {
        let active = store.active(name).await?;
        rows.push(json!({"projection": name, "generation": active.as_ref().map(|g| g.number), "checkpoint": active.as_ref().map(|g| g.last_seq),
            "lag": head.saturating_sub(active.as_ref().map_or(0, |g| g.last_seq))}));
    }
    if json {
        say_json(&json!({"stream": settings.stream, "last_sequence": head, "projections": rows}));
        return Ok(());
    }
    say(&format!("stream {} last sequence {head}", settings.stream));
    say("projection  generation  checkpoint  lag");
    for row in rows {
        let cell = |key: &str| row[key].as_u64().map_or_else(|| "-".to_owned(), |v| v.to_string());
        say(&format!("{:<11} {:>10}  {:>10}  {}", row["projection"].as_str().unwrap_or("-"), cell("generation"), cell("checkpoint"), cell("lag")));
    }
    Ok(())
}

async fn rebuild_one(settings: &StoreSettings, read: &ReadSettings, name: &str, json: bool) -> anyhow::Result<()> {
    let client = connect_with_retry(&settings.nats_url, &settings.nats_auth, Duration::from_secs(5)).await?;
    let store = ReadStore::connect(read.database_url.expose(), &read.schema, 4).await?;
    let projection = catalog::projections(read, &client, settings)
        .await?
        .into_iter()
        .find(|p| p.name() == name && p.rebuildable())
        .ok_or_else(|| anyhow::anyhow!("no rebuildable projection named {name:?}; one of progress, career, audit, voices"))?;
    let js = async_nats::jetstream::new(client);
    let report = rebuild(&store, &js, projection.as_ref(), &read.projector_settings(settings)).await?;
    if json {
        say_json(&json!({"projection": name, "generation": report.generation, "events": report.events, "seconds": report.elapsed.as_secs_f64(), "events_per_second": report.rate()}));
    } else {
        say(&format!(
            "rebuilt {name}: generation {} serves, {} events in {:.1} s ({:.0} events/s)",
            report.generation,
            report.events,
            report.elapsed.as_secs_f64(),
            report.rate()
        ));
    }
    Ok(())
}
