//! `skp replay`, `skp verify` and `skp export` with development plans (issue 14): a plan
//! replays like an appraisal, `verify --cycle` counts the cycle's plans, and an appraisal's
//! evidence bundle holds its plan, whose chain `verify --bundle` re-checks offline; a bundle
//! of the earlier format (no plan) still verifies.

use crate::cli::{run_skp, skp_binary};
use crate::common::*;
use serde_json::{json, Value};
use skp_cli::replay::{replay, AsOf};
use skp_cli::verify::{verify, Scope};
use uuid::Uuid;

/// A cycle with one `kurang` appraisal, final, and its pembinaan plan with an action, a
/// session and an early `improved` review: (cycle, appraisal, plan).
async fn with_plan(app: &TestApp) -> (String, String, String) {
    let cycle = app.open_cycle().await;
    let id = app.agreed_appraisal_in(&cycle, EMPLOYEE).await;
    let at = |path: &str| format!("/v1/appraisals/{id}{path}");
    app.post(RATER, &at("/feedback"), json!({"about": "behaviour", "text": "Sering terlambat"})).await.expect(200);
    app.post(RATER, &at("/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "di_bawah_ekspektasi"})).await.expect(200);
    app.post(EMPLOYEE, &at("/accept"), json!({})).await.expect(200);
    app.post(RATER, &at("/finalize"), json!({})).await.expect(200);
    let plan = app.post(RATER, &at("/development"), json!({})).await.expect(201)["aggregate_id"].as_str().unwrap().to_owned();
    let today = app.clock.now().date().to_string();
    let on = |path: &str| format!("/v1/development/{plan}{path}");
    app.post(RATER, &on("/actions"), json!({"action_id": "A1", "type": "konseling", "description": "Konseling disiplin", "due": today, "mentor_nip": PEER})).await.expect(200);
    app.post(PEER, &on("/sessions"), json!({"action_id": "A1", "held_on": today, "notes": "Sesi konseling pertama"})).await.expect(200);
    app.post(RATER, &on("/review"), json!({"outcome": "improved", "basis": "Kehadiran tepat waktu tiga bulan"})).await.expect(200);
    (cycle, id, plan)
}

#[tokio::test]
async fn a_plan_replays_and_verifies_like_an_appraisal() {
    let app = spawn_app().await;
    let (cycle, appraisal, plan) = with_plan(&app).await;
    let plan_id = Uuid::parse_str(&plan).unwrap();
    let report = replay(&app.settings.store, plan_id, AsOf::Latest).await.unwrap();
    assert_eq!((report.aggregate_type, report.plan_id, report.appraisal_id.to_string()), ("development", Some(plan_id), appraisal.clone()));
    assert!(report.chain_valid);
    assert_eq!(report.state, app.get(&format!("/v1/development/{plan}")).await.expect(200), "the same view as the API's");
    let types: Vec<&str> = report.timeline.iter().map(|e| e.event_type.as_deref().unwrap()).collect();
    assert_eq!(types, ["DevelopmentPlanOpened", "ActionAdded", "SessionRecorded", "ImprovementReviewed"]);
    assert!(report.timeline[0].summary.contains("pembinaan after predikat kurang"), "{}", report.timeline[0].summary);
    assert_eq!(report.timeline[2].actor_role.as_deref(), Some("mentor"));
    let at_two = replay(&app.settings.store, plan_id, AsOf::Version(2)).await.unwrap();
    assert_eq!((at_two.state["status"].as_str(), at_two.state["actions"].as_array().map(Vec::len)), (Some("open"), Some(1)));
    let text = report.to_text();
    assert!(text.contains(&format!("development plan {plan} (of appraisal {appraisal})")), "{text}");

    let one = verify(&app.settings.store, Scope::Cycle(Uuid::parse_str(&cycle).unwrap())).await.unwrap();
    assert!(one.intact);
    assert_eq!((one.aggregates, one.events), (3, 1 + 8 + 4), "the cycle, its appraisal and its plan");
    let (code, out, err) = run_skp(&app, &["replay", &plan]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("SessionRecorded") && out.contains("\"status\": \"improved\""), "{out}");
}

fn offline(path: &std::path::Path) -> (i32, String) {
    let output = std::process::Command::new(skp_binary()).args(["verify", "--bundle", path.to_str().unwrap()]).env_clear().output().unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
}

#[tokio::test]
async fn an_appraisals_bundle_holds_its_plan_and_verify_bundle_checks_both_chains() {
    let app = spawn_app().await;
    let (_, appraisal, plan) = with_plan(&app).await;
    let dir = std::env::temp_dir().join(format!("skp-plan-bundle-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("evidence.json");
    let (code, out, err) = run_skp(&app, &["export", &plan, "-o", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("8 events of appraisal {appraisal}")) && out.contains(&format!("4 events of its development plan {plan}")), "{out}");
    let bundle: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(bundle["format"], "skp-evidence-bundle/2");
    assert_eq!(bundle["development"]["plan_id"], plan.as_str());
    let history = app.get(&format!("/v1/development/{plan}/history")).await.expect(200);
    let stored: Vec<Value> = bundle["development"]["events"].as_array().unwrap().iter().map(|e| serde_json::from_str(e["stored"].as_str().unwrap()).unwrap()).collect();
    assert_eq!(&stored, history["events"].as_array().unwrap(), "the plan's events exactly as stored");
    assert_eq!(bundle["development"]["states"][3]["state"], app.get(&format!("/v1/development/{plan}")).await.expect(200));
    let last = app.app_state.bus.store().last_sequence().await.unwrap();
    let audit = app.get(&format!("/v1/appraisals/{appraisal}/audit?min_sequence={last}")).await.expect(200);
    assert_eq!(bundle["audit"], {
        let mut served = audit.clone();
        served.as_object_mut().unwrap().remove("as_of_sequence");
        served
    }, "the bundle's report is the one served, information included");
    let pembinaan = bundle["audit"]["information"].as_array().unwrap().iter().find(|i| i["name"] == "pembinaan_followed").cloned().unwrap_or_default();
    assert!(pembinaan["detail"].as_str().unwrap_or_default().contains("reviewed improved"), "{}", bundle["audit"]);
    let (code, out) = offline(&file);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("and of its development plan {plan}: 4 events")) && out.contains("intact"), "{out}");

    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit, &str)> = vec![
        ("the review's outcome changed", Box::new(|b: &mut Value| {
            let text = b["development"]["events"][3]["stored"].as_str().unwrap().replace("\"improved\"", "\"not_improved\"");
            b["development"]["events"][3]["stored"] = json!(text);
        }), "development plan: chain break at position 4"),
        ("a session removed", Box::new(|b: &mut Value| {
            b["development"]["events"].as_array_mut().unwrap().remove(2);
        }), "development plan: chain break at position 3"),
        ("a claimed plan state changed", Box::new(|b: &mut Value| {
            b["development"]["states"][1]["state"]["due"] = json!("2099-01-01");
        }), "development plan: the state claimed after version 2"),
        ("another appraisal's plan", Box::new(|b: &mut Value| {
            b["development"]["plan_id"] = json!(Uuid::new_v4());
        }), "is not the plan of appraisal"),
    ];
    for (what, edit, names) in edits {
        let mut edited = bundle.clone();
        edit(&mut edited);
        let path = dir.join("edited.json");
        std::fs::write(&path, serde_json::to_string(&edited).unwrap()).unwrap();
        let (code, out) = offline(&path);
        assert_eq!(code, 1, "{what} is caught: {out}");
        assert!(out.contains("NOT INTACT") && out.contains(names), "{what}: {out}");
    }

    // A bundle of the earlier format (no plan, no information in its report) still verifies.
    let mut older = bundle.clone();
    older["format"] = json!("skp-evidence-bundle/1");
    older.as_object_mut().unwrap().remove("development");
    older["audit"].as_object_mut().unwrap().remove("information");
    let path = dir.join("format-1.json");
    std::fs::write(&path, serde_json::to_string(&older).unwrap()).unwrap();
    let (code, out) = offline(&path);
    assert_eq!(code, 0, "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
