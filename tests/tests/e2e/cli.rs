//! `skp replay` and `skp verify`: the library functions behind them, run against an isolated
//! stream on real JetStream, and the CLI's argument parsing.


use crate::common::*;
use serde_json::{json, Value};
use clap::Parser;
use skp_cli::args::{Cli, Command};
use skp_cli::replay::{replay, AsOf};
use skp_cli::verify::{verify, Scope};
use uuid::Uuid;

fn args(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_owned).collect()
}

/// A cycle with one scored appraisal: 1 cycle event + 5 appraisal events.
async fn scored(app: &TestApp) -> (String, String) {
    let cycle = app.open_cycle().await;
    let id = app.agreed_appraisal_in(&cycle, EMPLOYEE).await;
    app.post(RATER, &format!("/v1/appraisals/{id}/score"), json!({"results_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"}))
        .await
        .expect(200);
    (cycle, id)
}

#[tokio::test]
async fn replay_at_a_version_matches_the_api_and_lists_the_timeline_in_order() {
    let app = spawn_app().await;
    let (_, id) = scored(&app).await;
    let appraisal = Uuid::parse_str(&id).unwrap();
    let history = app.history(&id).await;
    let stored = history["events"].as_array().unwrap();
    assert_eq!(stored.len(), 5);

    for version in [1_u64, 3, 5] {
        let report = replay(&app.settings.store, appraisal, AsOf::Version(version)).await.unwrap();
        let api = app.get(&format!("/v1/appraisals/{id}/replay?as_of_version={version}")).await.expect(200);
        assert_eq!(report.state, api, "state at version {version}");
        assert!(report.chain_valid);
        assert!(report.chain_breaks.is_empty());
        assert_eq!(report.stored_events, 5);
        let types: Vec<&str> = report.timeline.iter().map(|e| e.event_type.as_deref().unwrap()).collect();
        let expected: Vec<&str> = stored.iter().take(version as usize).map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(types, expected);
        let versions: Vec<u64> = report.timeline.iter().map(|e| e.version.unwrap()).collect();
        assert_eq!(versions, (1..=version).collect::<Vec<_>>());
    }

    let full = replay(&app.settings.store, appraisal, AsOf::Latest).await.unwrap();
    let score = full.timeline.last().unwrap();
    assert_eq!(score.event_type.as_deref(), Some("ScoreGiven"));
    assert_eq!(score.actor_nip.as_deref(), Some(RATER));
    assert_eq!(score.actor_role.as_deref(), Some("rater"));
    assert!(score.summary.contains("di_atas_ekspektasi") && score.summary.contains("predikat baik"), "{}", score.summary);
    assert_eq!(full.state, app.get(&format!("/v1/appraisals/{id}")).await.expect(200));

    // The JSON document has the promised shape; the text names the chain and the events.
    let document = serde_json::to_value(&full).unwrap();
    for key in ["appraisal_id", "chain_valid", "chain_breaks", "timeline", "state"] {
        assert!(document.get(key).is_some(), "missing {key}: {document}");
    }
    let text = full.to_text();
    assert!(text.contains("chain: valid") && text.contains("TargetsAgreed"), "{text}");

    // An instant before the opening replays nothing; past the end is refused.
    let before = replay(&app.settings.store, appraisal, AsOf::Instant(time::macros::datetime!(2000-01-01 0:00 UTC))).await.unwrap();
    assert!(before.timeline.is_empty());
    assert_eq!(before.state, Value::Null);
    assert!(replay(&app.settings.store, appraisal, AsOf::Version(6)).await.is_err());
    assert!(replay(&app.settings.store, Uuid::new_v4(), AsOf::Latest).await.is_err());
}

#[tokio::test]
async fn verify_all_on_an_intact_stream_finds_no_break() {
    let app = spawn_app().await;
    scored(&app).await;
    let report = verify(&app.settings.store, Scope::All).await.unwrap();
    assert!(report.intact, "{}", report.to_text());
    assert!(report.breaks.is_empty());
    assert_eq!(report.aggregates, 2);
    assert_eq!(report.events, 6);
    assert!(report.to_text().contains("every chain intact"));
}

#[tokio::test]
async fn a_forged_envelope_is_reported_with_its_aggregate_and_position() {
    let app = spawn_app().await;
    let (_, id) = scored(&app).await;
    let history = app.history(&id).await;
    let mut forged = history["events"].as_array().unwrap().last().unwrap().clone();
    forged["data"]["results_rating"] = json!("di_bawah_ekspektasi");
    forged["version"] = json!(6);
    let js = async_nats::jetstream::new(app.nats().await);
    js.publish(app.subject(&id), serde_json::to_vec(&forged).unwrap().into()).await.unwrap().await.unwrap();

    let report = verify(&app.settings.store, Scope::All).await.unwrap();
    assert!(!report.intact);
    assert_eq!(report.events, 7);
    assert!(!report.breaks.is_empty());
    let appraisal = Uuid::parse_str(&id).unwrap();
    for b in &report.breaks {
        assert_eq!(b.aggregate_id, Some(appraisal));
        assert_eq!(b.aggregate_type, Some("appraisal"));
        assert_eq!(b.chain_break.position, 6);
    }
    let kinds: Vec<Value> = report.breaks.iter().map(|b| serde_json::to_value(b).unwrap()["kind"].clone()).collect();
    assert!(kinds.contains(&json!("prev_hash_mismatch")) && kinds.contains(&json!("hash_mismatch")), "{kinds:?}");
    let text = report.to_text();
    assert!(text.contains(&format!("BREAK appraisal {id} at position 6")), "{text}");

    // replay shows the same break
    let replay = replay(&app.settings.store, appraisal, AsOf::Latest).await.unwrap();
    assert!(!replay.chain_valid);
    assert!(replay.chain_breaks.iter().all(|b| b.position == 6));
}

#[tokio::test]
async fn verify_a_cycle_counts_only_its_aggregates() {
    let app = spawn_app().await;
    let (cycle, _) = scored(&app).await;
    let other_cycle = app.open_cycle().await;
    app.agreed_appraisal_in(&other_cycle, PEER).await;
    app.agreed_appraisal_in(&cycle, PEER).await;

    let all = verify(&app.settings.store, Scope::All).await.unwrap();
    assert_eq!((all.aggregates, all.events), (5, 1 + 5 + 1 + 4 + 4));
    let one = verify(&app.settings.store, Scope::Cycle(Uuid::parse_str(&cycle).unwrap())).await.unwrap();
    assert!(one.intact);
    assert_eq!((one.aggregates, one.events), (3, 1 + 5 + 4));
    let other = verify(&app.settings.store, Scope::Cycle(Uuid::parse_str(&other_cycle).unwrap())).await.unwrap();
    assert_eq!((other.aggregates, other.events), (2, 1 + 4));
    let none = verify(&app.settings.store, Scope::Cycle(Uuid::new_v4())).await.unwrap();
    assert_eq!((none.aggregates, none.events), (0, 0));
}

/// Parses a command line as `skp` does.
fn parse(line: &str) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("skp".to_owned()).chain(args(line)))
}

#[test]
fn the_cli_arguments_parse() {
    let id = Uuid::new_v4();
    let Command::Replay(replay) = parse(&format!("replay {id}")).unwrap().command else { panic!("replay") };
    assert_eq!((replay.appraisal_id, replay.as_of(), replay.json), (id, AsOf::Latest, false));
    let Command::Replay(replay) = parse(&format!("replay {id} --as-of-version 3 --json")).unwrap().command else { panic!("replay") };
    assert_eq!((replay.as_of(), replay.json), (AsOf::Version(3), true));
    let Command::Replay(replay) = parse(&format!("replay --as-of 2026-03-01T10:00:00Z {id}")).unwrap().command else { panic!("replay") };
    assert_eq!(replay.as_of(), AsOf::Instant(time::macros::datetime!(2026-03-01 10:00 UTC)));
    let Command::Verify(verify) = parse("verify").unwrap().command else { panic!("verify") };
    assert_eq!((verify.scope(), verify.json, verify.bundle.is_none()), (Scope::All, false, true));
    let Command::Verify(verify) = parse(&format!("verify --cycle {id} --json")).unwrap().command else { panic!("verify") };
    assert_eq!((verify.scope(), verify.json), (Scope::Cycle(id), true));
    let Command::Verify(verify) = parse("verify --bundle evidence.json").unwrap().command else { panic!("verify") };
    assert_eq!(verify.bundle.as_deref(), Some(std::path::Path::new("evidence.json")));
    let Command::Export(export) = parse(&format!("export {id} -o out.json")).unwrap().command else { panic!("export") };
    assert_eq!((export.appraisal_id, export.output.as_deref()), (id, Some(std::path::Path::new("out.json"))));
    let Command::Token(token) = parse("token --nip 198812122010011005 --role admin --role inspector").unwrap().command else { panic!("token") };
    assert_eq!(token.roles, ["admin", "inspector"]);
    let Command::SeedDemo(seed) = parse("seed-demo --api http://127.0.0.1:9 --employees 40").unwrap().command else { panic!("seed-demo") };
    assert_eq!((seed.api.as_str(), seed.employees), ("http://127.0.0.1:9", 40));
    for bad in [
        "replay".to_owned(),
        "replay not-a-uuid".to_owned(),
        format!("replay {id} --as-of-version 0"),
        format!("replay {id} --as-of-version"),
        format!("replay {id} --as-of yesterday"),
        format!("replay {id} --as-of-version 2 --as-of 2026-03-01T10:00:00Z"),
        format!("replay {id} {id}"),
        format!("replay {id} --cycle {id}"),
        "verify --cycle nope".to_owned(),
        format!("verify --all --cycle {id}"),
        format!("verify --bundle x.json --cycle {id}"),
        "verify extra".to_owned(),
        "verify --as-of-version 2".to_owned(),
        "token --nip 1 --role root".to_owned(),
        "seed-demo --employees 3".to_owned(),
        "projections rebuild".to_owned(),
        "unknown".to_owned(),
    ] {
        assert!(parse(&bad).is_err(), "accepted {bad:?}");
    }
    // Every subcommand answers --help.
    for command in ["replay", "verify", "export", "projections", "projections status", "projections rebuild", "token", "seed-demo"] {
        let error = parse(&format!("{command} --help")).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::DisplayHelp, "{command} --help");
    }
}

/// The `skp` binary, built by `cargo test` next to this test's own executable.
pub(crate) fn skp_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().and_then(|deps| deps.parent()).unwrap().join("skp");
    assert!(path.exists(), "{} is built by `cargo test --workspace` (or `cargo build -p skp-cli --bin skp`)", path.display());
    path
}

/// Runs `skp` with the app's stream settings; returns (exit code, stdout, stderr).
pub(crate) fn run_skp(app: &TestApp, line: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(skp_binary())
        .args(line)
        .env("SKP_NATS_URL", &app.settings.store.nats_url)
        .env("SKP_STREAM", &app.settings.store.stream)
        .env("SKP_SUBJECT_PREFIX", &app.settings.store.subject_prefix)
        .env("SKP_DATABASE_URL", app.settings.read.database_url.expose())
        .env("SKP_DB_SCHEMA", &app.settings.read.schema)
        .env("SKP_PUBLIC_STREAM", &app.settings.read.public_stream)
        .env("SKP_PUBLIC_PREFIX", &app.settings.read.public_prefix)
        .env("SKP_JWT_SECRET", app.settings.jwt_secret.expose())
        .output()
        .unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn export_writes_a_bundle_that_verifies_offline_and_every_edit_is_caught() {
    let app = spawn_app().await;
    let (_, id) = scored(&app).await;
    let dir = std::env::temp_dir().join(format!("skp-bundle-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("evidence.json");
    let (code, out, err) = run_skp(&app, &["export", &id, "--output", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("5 events") && out.contains("chain intact"), "{out}");

    // The bundle holds the events exactly as the API serves them, a state per version equal
    // to the API's replay, and the audit report the API serves.
    let bundle: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let history = app.history(&id).await;
    let stored: Vec<Value> = bundle["events"].as_array().unwrap().iter().map(|e| serde_json::from_str(e["stored"].as_str().unwrap()).unwrap()).collect();
    assert_eq!(&stored, history["events"].as_array().unwrap());
    for version in 1..=5u64 {
        let api = app.get(&format!("/v1/appraisals/{id}/replay?as_of_version={version}")).await.expect(200);
        assert_eq!(bundle["states"][version as usize - 1]["state"], api, "state after version {version}");
    }
    let last = app.app_state.bus.store().last_sequence().await.unwrap();
    let audit = app.get(&format!("/v1/appraisals/{id}/audit?min_sequence={last}")).await.expect(200);
    assert_eq!(bundle["audit"]["verdict"], audit["verdict"]);
    assert_eq!(bundle["audit"]["checks"], audit["checks"]);

    // Offline: no NATS at all.
    let offline = |path: &std::path::Path, json: bool| {
        let mut command = std::process::Command::new(skp_binary());
        command.args(["verify", "--bundle", path.to_str().unwrap()]).env_clear();
        if json {
            command.arg("--json");
        }
        let output = command.output().unwrap();
        (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (code, out) = offline(&file, false);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("intact"), "{out}");

    // Each edit an interested party might make is caught, naming what and where.
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit, &str)> = vec![
        ("a rating changed in a stored event", Box::new(|b: &mut Value| {
            let text = b["events"][4]["stored"].as_str().unwrap().replace("di_atas_ekspektasi", "di_bawah_ekspektasi");
            b["events"][4]["stored"] = json!(text);
        }), "position 5"),
        ("an event removed", Box::new(|b: &mut Value| {
            b["events"].as_array_mut().unwrap().remove(2);
        }), "position 3"),
        ("a claimed state changed", Box::new(|b: &mut Value| {
            b["states"][4]["state"]["status"] = json!("final");
        }), "after version 5"),
        ("the audit verdict changed", Box::new(|b: &mut Value| {
            let verdict = if b["audit"]["verdict"] == "fair" { "findings" } else { "fair" };
            b["audit"]["verdict"] = json!(verdict);
        }), "audit report"),
    ];
    for (what, edit, names) in edits {
        let mut edited = bundle.clone();
        edit(&mut edited);
        let path = dir.join("edited.json");
        std::fs::write(&path, serde_json::to_string(&edited).unwrap()).unwrap();
        let (code, out) = offline(&path, false);
        assert_eq!(code, 1, "{what} is caught: {out}");
        assert!(out.contains("NOT INTACT") && out.contains(names), "{what}: {out}");
        let (_, json_out) = offline(&path, true);
        let report: Value = serde_json::from_str(&json_out).unwrap();
        assert_eq!(report["intact"], false);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_binary_replays_verifies_and_reports_a_tampered_stream_with_exit_1() {
    let app = spawn_app().await;
    let (cycle, id) = scored(&app).await;
    let (code, out, err) = run_skp(&app, &["replay", &id, "--as-of-version", "4"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("TargetsAgreed") && !out.contains("ScoreGiven"), "{out}");
    let (code, out, _) = run_skp(&app, &["replay", &id, "--json"]);
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["state"]["status"], "scored");
    let (code, out, _) = run_skp(&app, &["verify", "--cycle", &cycle]);
    assert_eq!(code, 0, "{out}");

    let history = app.history(&id).await;
    let mut forged = history["events"].as_array().unwrap().last().unwrap().clone();
    forged["data"]["predikat"] = json!("sangat_baik");
    forged["version"] = json!(6);
    let js = async_nats::jetstream::new(app.nats().await);
    js.publish(app.subject(&id), serde_json::to_vec(&forged).unwrap().into()).await.unwrap().await.unwrap();
    let (code, out, _) = run_skp(&app, &["verify", "--all"]);
    assert_eq!(code, 1, "a break exits 1: {out}");
    assert!(out.contains(&format!("BREAK appraisal {id} at position 6")), "{out}");
    let (code, out, _) = run_skp(&app, &["verify", "--json"]);
    assert_eq!(code, 1);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["intact"], false);

    // An unknown appraisal and an unreadable stream are errors of their own (exit 3).
    let (code, _, err) = run_skp(&app, &["replay", &Uuid::new_v4().to_string()]);
    assert_eq!(code, 3, "{err}");
}

#[tokio::test]
async fn token_and_projection_commands_run_from_the_binary() {
    let app = spawn_app().await;
    scored(&app).await;
    let (code, out, err) = run_skp(&app, &["token", "--nip", INSPECTOR, "--role", "inspector"]);
    assert_eq!(code, 0, "{err}");
    let answer = app.send(app.http.get(app.url(&format!("/v1/employees/{EMPLOYEE}/career"))).bearer_auth(out.trim())).await;
    assert_ne!(answer.status, 401, "the token is accepted: {}", answer.body);
    let (code, _, err) = run_skp(&app, &["token", "--nip", "123"]);
    assert_eq!(code, 2, "a bad NIP is refused: {err}");
    let (code, out, _) = run_skp(&app, &["token", "--nip", INSPECTOR, "--json"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["nip"], INSPECTOR);

    let last = app.app_state.bus.store().last_sequence().await.unwrap();
    assert!(wait_for(std::time::Duration::from_secs(10), || async { app.get(&format!("/v1/employees/{EMPLOYEE}/career?min_sequence={last}")).await.status == 200 }).await);
    let (code, out, err) = run_skp(&app, &["projections", "status", "--json"]);
    assert_eq!(code, 0, "{err}");
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(status["last_sequence"], last);
    assert_eq!(status["projections"].as_array().unwrap().len(), 4);
    let (code, out, err) = run_skp(&app, &["projections", "rebuild", "career"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("rebuilt career: generation 2 serves, 6 events"), "{out}");
    let (code, _, err) = run_skp(&app, &["projections", "rebuild", "relay"]);
    assert_eq!(code, 1, "the relay is never rebuilt: {err}");
}

#[tokio::test]
async fn seed_demo_brings_a_cycle_to_every_stage_and_a_second_run_records_nothing() {
    let app = spawn_app().await;
    let api = format!("http://{}", app.addr);
    let secret = app.settings.jwt_secret.expose().as_bytes().to_vec();
    let first = skp_cli::seed::seed_demo(&api, &secret, 60).await.unwrap();
    assert_eq!(first.appraisals, 60);
    assert_eq!(first.new_events, first.commands, "every command recorded an event on the first run");
    let second = skp_cli::seed::seed_demo(&api, &secret, 60).await.unwrap();
    assert_eq!(second.cycle_id, first.cycle_id);
    assert_eq!(second.commands, first.commands);
    assert_eq!(second.new_events, 0, "the second run recorded nothing");

    let last = app.app_state.bus.store().last_sequence().await.unwrap();
    assert_eq!(last, first.commands, "one event per command, none twice");
    let progress = app.get(&format!("/v1/cycles/{}/progress?min_sequence={last}", first.cycle_id)).await.expect(200);
    assert_eq!(progress["total"], 60);
    for status in ["opened", "plan_drafted", "plan_submitted", "plan_returned", "targets_agreed", "scored", "accepted", "objected", "resolved", "final"] {
        assert!(progress["by_status"][status].as_u64().unwrap_or(0) > 0, "some appraisal is {status}: {progress}");
    }
    let (code, out, _) = run_skp(&app, &["verify", "--all"]);
    assert_eq!(code, 0, "{out}");
}
