//! Whole appraisal cycles through the HTTP API against the real JetStream.


use crate::common::*;
use serde_json::json;
use time::Duration;

#[tokio::test]
async fn a_whole_cycle_on_the_happy_path_ends_final_via_accepted() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let id = app.open_appraisal(&cycle).await;
    let at = |path: &str| format!("/v1/appraisals/{id}{path}");

    let drafted = app.post(EMPLOYEE, &at("/plan"), plan()).await.expect(200);
    assert_eq!(drafted["aggregate_id"], id.as_str());
    assert_eq!(drafted["version"], 2);
    assert!(drafted["stream_sequence"].as_u64().unwrap() > 0);
    app.post(EMPLOYEE, &at("/plan/submit"), json!({})).await.expect(200);
    app.post(RATER, &at("/plan/return"), json!({"reason": "Tambahkan indikator kualitas"})).await.expect(200);
    app.post(EMPLOYEE, &at("/plan"), plan()).await.expect(200);
    app.post(EMPLOYEE, &at("/plan/submit"), json!({})).await.expect(200);
    app.post(RATER, &at("/plan/agree"), json!({})).await.expect(200);
    // A colleague gives feedback once the rater has nominated them (issue 13).
    app.post(PEER, &at("/feedback"), json!({"about": "behaviour", "text": "Kolaboratif"})).await.expect_problem(403, "forbidden");
    app.post(RATER, &at("/evaluators"), json!({"evaluators": [{"nip": PEER, "name": "Rina Wijayanti", "relation": "peer"}]})).await.expect(200);
    app.post(RATER, &at("/feedback"), json!({"about": "results", "text": "Analisis sudah baik", "indicator_id": "iki-1"})).await.expect(200);
    app.post(PEER, &at("/feedback"), json!({"about": "behaviour", "text": "Kolaboratif"})).await.expect(200);
    app.post(EMPLOYEE, &at("/realisations"), json!({"indicator_id": "iki-1", "value": 2, "evidence": "ND-12/2026"})).await.expect(200);
    app.post(RATER, &at("/score"), json!({"results_rating": "di_atas_ekspektasi", "behaviour_rating": "di_atas_ekspektasi"})).await.expect(200);
    app.post(EMPLOYEE, &at("/accept"), json!({})).await.expect(200);
    let last = app.post(RATER, &at("/finalize"), json!({})).await.expect(200);
    assert_eq!(last["version"], 14);

    let state = app.get(&at("")).await.expect(200);
    assert_eq!(state["status"], "final");
    assert_eq!(state["version"], 14);
    assert_eq!(state["score"]["predikat"], "sangat_baik");
    assert_eq!(state["final"]["predikat"], "sangat_baik");
    assert_eq!(state["final"]["via"], "accepted");
    assert_eq!(state["employee"]["nip"], EMPLOYEE);
    assert_eq!(state["plan"]["results"][0]["indicators"][0]["target"]["value"], 2);
    assert_eq!(state["realisations"][0]["value"], 2);
    assert_eq!(state["feedback_count"], 2);

    let history = app.history(&id).await;
    assert_eq!(history["chain_valid"], true, "{history}");
    let events = history["events"].as_array().unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types[..2], ["AppraisalOpened", "PlanDrafted"]);
    assert_eq!(types.last(), Some(&"ScoreFinalized"));
    assert_eq!(events[1]["actor"]["role"], "employee");
    assert_eq!(events[7]["actor"]["role"], "rater");
    assert_eq!(events[7]["type"], "EvaluatorsNominated");
    assert_eq!(events[9]["actor"]["role"], "peer");
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["version"], i as u64 + 1);
    }

    let then = app.get(&at("/replay?as_of_version=7")).await.expect(200);
    assert_eq!(then["status"], "targets_agreed");
    assert_eq!(then["version"], 7);
    assert!(then["score"].is_null());
    app.post(EMPLOYEE, &at("/objection"), json!({"reason": "terlambat"})).await.expect_problem(409, "invalid_transition");
}

#[tokio::test]
async fn a_disputed_cycle_is_decided_by_the_superior_and_finalized_via_forum() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let at = |path: &str| format!("/v1/appraisals/{id}{path}");
    app.post(SUPERIOR, &at("/feedback"), json!({"about": "behaviour", "text": "Perlu lebih disiplin"})).await.expect(200);
    app.post(RATER, &at("/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "di_bawah_ekspektasi", "notes": "Sering terlambat"})).await.expect(200);
    let scored = app.get(&at("")).await.expect(200);
    assert_eq!(scored["score"]["predikat"], "kurang");

    app.post(EMPLOYEE, &at("/objection"), json!({"reason": "Keterlambatan karena tugas luar", "requested_behaviour_rating": "sesuai_ekspektasi"})).await.expect(200);
    app.post(RATER, &at("/forum/resolve"), json!({"outcome": "revised", "results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "minutes": "x"})).await.expect_problem(403, "forbidden");
    app.post(SUPERIOR, &at("/forum/resolve"), json!({"outcome": "revised", "results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "minutes": "Bukti tugas luar diterima"})).await.expect(200);
    app.post(RATER, &at("/finalize"), json!({})).await.expect(200);

    let state = app.get(&at("")).await.expect(200);
    assert_eq!(state["status"], "final");
    assert_eq!(state["forum"]["outcome"], "revised");
    assert_eq!(state["forum"]["late"], false);
    assert_eq!(state["final"]["predikat"], "baik");
    assert_eq!(state["final"]["via"], "forum");
    assert_eq!(state["current_predikat"], "baik");
    let history = app.history(&id).await;
    assert_eq!(history["chain_valid"], true);
    let resolved = history["events"].as_array().unwrap().iter().find(|e| e["type"] == "ForumResolved").unwrap();
    assert_eq!(resolved["actor"]["role"], "rater_superior");
    assert_eq!(resolved["data"]["predikat"], "baik");
}

#[tokio::test]
async fn without_an_objection_the_score_is_final_only_after_the_window_closes() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let at = |path: &str| format!("/v1/appraisals/{id}{path}");
    app.post(RATER, &at("/score"), json!({"results_rating": "di_bawah_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"})).await.expect(200);
    app.post(RATER, &at("/finalize"), json!({})).await.expect_problem(409, "objection_window_open");

    app.clock.advance(Duration::days(15));
    app.post(EMPLOYEE, &at("/objection"), json!({"reason": "tidak setuju"})).await.expect_problem(422, "objection_window_closed");
    app.post(ADMIN, &at("/finalize"), json!({})).await.expect_problem(403, "forbidden");
    app.post_as(ADMIN, &["admin"], &at("/finalize"), json!({})).await.expect(200);
    let state = app.get(&at("")).await.expect(200);
    assert_eq!(state["final"]["via"], "no_objection");
    assert_eq!(state["final"]["predikat"], "butuh_perbaikan");
    let history = app.history(&id).await;
    assert_eq!(history["events"].as_array().unwrap().last().unwrap()["actor"]["role"], "admin");
}

#[tokio::test]
async fn replay_as_of_an_instant_shows_the_state_then() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let id = app.open_appraisal(&cycle).await;
    app.post(EMPLOYEE, &format!("/v1/appraisals/{id}/plan"), plan()).await.expect(200);
    let history = app.history(&id).await;
    let drafted_at = history["events"][1]["occurred_at"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::hours(1));
    app.post(EMPLOYEE, &format!("/v1/appraisals/{id}/plan/submit"), json!({})).await.expect(200);

    let then = app.get(&format!("/v1/appraisals/{id}/replay?as_of={}", drafted_at.replace('+', "%2B"))).await.expect(200);
    assert_eq!(then["status"], "plan_drafted");
    assert_eq!(then["version"], 2);
    let now = app.get(&format!("/v1/appraisals/{id}")).await.expect(200);
    assert_eq!(now["status"], "plan_submitted");
    app.get(&format!("/v1/appraisals/{id}/replay?as_of_version=9")).await.expect_problem(422, "invalid_version");
    app.get(&format!("/v1/appraisals/{id}/replay")).await.expect_problem(400, "bad_query");
}
