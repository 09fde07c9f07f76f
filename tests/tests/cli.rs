//! `skp replay` and `skp verify`: the library functions behind them, run against an isolated
//! stream on real JetStream, and the CLI's argument parsing.

mod common;

use common::*;
use serde_json::{json, Value};
use skp_services::inspect::{self, AsOf, InspectCommand, Scope};
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
        let report = inspect::replay(&app.settings, appraisal, AsOf::Version(version)).await.unwrap();
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

    let full = inspect::replay(&app.settings, appraisal, AsOf::Latest).await.unwrap();
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
    let before = inspect::replay(&app.settings, appraisal, AsOf::Instant(time::macros::datetime!(2000-01-01 0:00 UTC))).await.unwrap();
    assert!(before.timeline.is_empty());
    assert_eq!(before.state, Value::Null);
    assert!(inspect::replay(&app.settings, appraisal, AsOf::Version(6)).await.is_err());
    assert!(inspect::replay(&app.settings, Uuid::new_v4(), AsOf::Latest).await.is_err());
}

#[tokio::test]
async fn verify_all_on_an_intact_stream_finds_no_break() {
    let app = spawn_app().await;
    scored(&app).await;
    let report = inspect::verify(&app.settings, Scope::All).await.unwrap();
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

    let report = inspect::verify(&app.settings, Scope::All).await.unwrap();
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
    let replay = inspect::replay(&app.settings, appraisal, AsOf::Latest).await.unwrap();
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

    let all = inspect::verify(&app.settings, Scope::All).await.unwrap();
    assert_eq!((all.aggregates, all.events), (5, 1 + 5 + 1 + 4 + 4));
    let one = inspect::verify(&app.settings, Scope::Cycle(Uuid::parse_str(&cycle).unwrap())).await.unwrap();
    assert!(one.intact);
    assert_eq!((one.aggregates, one.events), (3, 1 + 5 + 4));
    let other = inspect::verify(&app.settings, Scope::Cycle(Uuid::parse_str(&other_cycle).unwrap())).await.unwrap();
    assert_eq!((other.aggregates, other.events), (2, 1 + 4));
    let none = inspect::verify(&app.settings, Scope::Cycle(Uuid::new_v4())).await.unwrap();
    assert_eq!((none.aggregates, none.events), (0, 0));
}

#[test]
fn the_cli_arguments_parse() {
    let id = Uuid::new_v4();
    assert_eq!(
        inspect::parse_args(&args(&format!("replay {id}"))),
        Ok(InspectCommand::Replay { appraisal_id: id, as_of: AsOf::Latest, json: false })
    );
    assert_eq!(
        inspect::parse_args(&args(&format!("replay {id} --as-of-version 3 --json"))),
        Ok(InspectCommand::Replay { appraisal_id: id, as_of: AsOf::Version(3), json: true })
    );
    assert_eq!(
        inspect::parse_args(&args(&format!("replay --as-of 2026-03-01T10:00:00Z {id}"))),
        Ok(InspectCommand::Replay { appraisal_id: id, as_of: AsOf::Instant(time::macros::datetime!(2026-03-01 10:00 UTC)), json: false })
    );
    assert_eq!(inspect::parse_args(&args("verify")), Ok(InspectCommand::Verify { scope: Scope::All, json: false }));
    assert_eq!(inspect::parse_args(&args("verify --all --json")), Ok(InspectCommand::Verify { scope: Scope::All, json: true }));
    assert_eq!(inspect::parse_args(&args(&format!("verify --cycle {id}"))), Ok(InspectCommand::Verify { scope: Scope::Cycle(id), json: false }));
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
        "verify extra".to_owned(),
        "verify --as-of-version 2".to_owned(),
    ] {
        assert!(inspect::parse_args(&args(&bad)).is_err(), "accepted {bad:?}");
    }
}
