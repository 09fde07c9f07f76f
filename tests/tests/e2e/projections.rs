//! The read models end to end: progress, career, audit and the public relay, read-your-writes,
//! live progress over SSE, and tamper evidence in the audit.


use crate::common::*;
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn disputed_and_final(app: &TestApp) -> (String, String, u64) {
    let cycle = app.open_cycle().await;
    let id = app.agreed_appraisal_in(&cycle, EMPLOYEE).await;
    let at = |p: &str| format!("/v1/appraisals/{id}{p}");
    app.post(SUPERIOR, &at("/feedback"), json!({"about": "behaviour", "text": "Perlu lebih disiplin"})).await.expect(200);
    app.post(RATER, &at("/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "di_bawah_ekspektasi"})).await.expect(200);
    app.post(EMPLOYEE, &at("/objection"), json!({"reason": "Bukti tugas luar"})).await.expect(200);
    app.post(SUPERIOR, &at("/forum/resolve"), json!({"outcome": "revised", "results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "minutes": "Diterima"})).await.expect(200);
    let last = app.post(RATER, &at("/finalize"), json!({})).await.expect(200);
    (cycle, id, last["stream_sequence"].as_u64().unwrap())
}

async fn public_messages(app: &TestApp) -> Vec<Value> {
    let js = async_nats::jetstream::new(app.nats().await);
    let Ok(mut stream) = js.get_stream(&app.settings.read.public_stream).await else { return vec![] };
    let last = stream.info().await.unwrap().state.last_sequence;
    let mut out = vec![];
    for seq in 1..=last {
        let message = stream.get_raw_message(seq).await.unwrap();
        out.push(serde_json::from_slice(&message.payload).unwrap());
    }
    out
}

#[tokio::test]
async fn a_whole_disputed_cycle_ends_with_the_right_progress_career_audit_and_one_public_event() {
    let app = spawn_app().await;
    let (cycle, id, seq) = disputed_and_final(&app).await;

    let progress = app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={seq}")).await.expect(200);
    assert_eq!(progress["total"], 1);
    assert_eq!(progress["by_status"]["final"], 1);
    assert_eq!(progress["by_status"]["objected"], 0);
    assert_eq!(progress["by_predikat"]["baik"], 1);
    assert_eq!(progress["by_predikat"]["kurang"], 0, "the forum's revision replaced the score's kurang");
    assert!(progress["as_of_sequence"].as_u64().unwrap() >= seq);
    assert_eq!(progress["overdue"], 0);
    assert!(progress.get("by_unit").is_none() && progress.get("by_rater").is_none(), "units and raters are their own routes");
    assert_eq!((progress["units"]["count"].clone(), progress["raters"]["count"].clone()), (json!(1), json!(1)));
    let units = app.get(&format!("/v1/cycles/{cycle}/units?min_sequence={seq}")).await.expect(200);
    assert_eq!((units["page"].clone(), units["limit"].clone(), units["total"].clone()), (json!(1), json!(200), json!(1)));
    assert_eq!(units["items"][0]["total"], 1);
    let raters = app.get(&format!("/v1/cycles/{cycle}/raters?page=1&limit=10")).await.expect(200);
    assert_eq!(raters["items"][0]["key"], RATER);
    let unknown = app.get(&format!("/v1/cycles/{cycle}/raters?warning=too_many_kittens")).await.expect(400);
    assert_eq!(unknown["code"], "unknown_warning");
    assert_eq!(app.get(&format!("/v1/cycles/{}/units", uuid::Uuid::now_v7())).await.expect(404)["code"], "not_found");
    app.get(&format!("/v1/cycles/{cycle}/units?limit=1001")).await.expect(400);

    let career = app.get(&format!("/v1/employees/{EMPLOYEE}/career?min_sequence={seq}")).await.expect(200);
    assert_eq!(career["history"], json!([{"year": 2026, "predikat": "baik", "finalized_at": career["history"][0]["finalized_at"], "angka_kredit_percent": 100}]));
    assert_eq!(career["eligibility"]["kenaikan_pangkat"]["eligible"], false, "one year is not two");
    assert!(career["eligibility"]["kenaikan_pangkat"]["reasons"][0].as_str().unwrap().contains("2026"));
    assert_eq!(career["flags"], json!([]));

    let audit = app.get(&format!("/v1/appraisals/{id}/audit?min_sequence={seq}")).await.expect(200);
    assert_eq!(audit["chain_valid"], true);
    assert_eq!(audit["verdict"], "fair", "{audit}");
    assert_eq!(audit["checks"].as_array().unwrap().len(), 7);
    assert!(audit["checks"].as_array().unwrap().iter().all(|c| c["passed"] == true && c["event_ids"].is_array()));
    let findings = app.get(&format!("/v1/cycles/{cycle}/findings?min_sequence={seq}")).await.expect(200);
    assert_eq!(findings["appraisals"], json!([]));

    let published = wait_for(Duration::from_secs(10), || async { !public_messages(&app).await.is_empty() }).await;
    assert!(published, "the relay published the finalized score");
    let messages = public_messages(&app).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let event = &messages[0];
    assert_eq!(event["appraisal_id"], id.as_str());
    assert_eq!(event["cycle_id"], cycle.as_str());
    assert_eq!(event["employee_nip"], EMPLOYEE);
    assert_eq!(event["predikat"], "baik");
    assert_eq!(event["via"], "forum");
    assert_eq!(event["year"], 2026);
    let history = app.history(&id).await;
    assert_eq!(event["source_event_id"], history["events"].as_array().unwrap().last().unwrap()["event_id"]);
}

#[tokio::test]
async fn a_query_waits_for_min_sequence_then_answers_504_naming_how_far_it_got() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let started = Instant::now();
    let answer = app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence=1000000")).await;
    assert!(started.elapsed() >= Duration::from_secs(5), "it waited the full 5 s");
    let body = answer.expect_problem(504, "projection_behind");
    assert!(body["as_of_sequence"].as_u64().is_some(), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("reached sequence"));
}

#[tokio::test]
async fn progress_counts_overdue_plans_and_is_for_staff_only() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await; // plan_due 2026-01-31, long past
    let opened = app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people(EMPLOYEE, RATER, SUPERIOR)).await.expect(201);
    let seq = opened["stream_sequence"].as_u64().unwrap();
    let progress = app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={seq}")).await.expect(200);
    assert_eq!(progress["overdue"], 1);
    assert_eq!(progress["overdue_detail"]["plans"], 1);
    app.get_as(RATER, &[], &format!("/v1/cycles/{cycle}/progress")).await.expect_problem(403, "forbidden");
    app.get(&format!("/v1/cycles/{}/progress", uuid::Uuid::new_v4())).await.expect_problem(404, "not_found");
    app.get_as(PEER, &[], &format!("/v1/employees/{EMPLOYEE}/career")).await.expect_problem(403, "forbidden");
    app.get_as(EMPLOYEE, &[], &format!("/v1/employees/{EMPLOYEE}/career")).await.expect(200);
}

#[tokio::test]
async fn the_progress_stream_pushes_a_change_within_a_second() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let opened = app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people(EMPLOYEE, RATER, SUPERIOR)).await.expect(201);
    let id = opened["aggregate_id"].as_str().unwrap().to_owned();
    let seq = opened["stream_sequence"].as_u64().unwrap();
    app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={seq}")).await.expect(200);

    let token = app.token(ADMIN, &["admin"]);
    let response = app.http.get(app.url(&format!("/v1/cycles/{cycle}/progress/stream"))).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut events = sse_events(response);
    let first = events.next().await.unwrap();
    assert_eq!(first["by_status"]["opened"], 1);

    let sent = Instant::now();
    let drafted = app.post(EMPLOYEE, &format!("/v1/appraisals/{id}/plan"), plan()).await.expect(200);
    let drafted_seq = drafted["stream_sequence"].as_u64().unwrap();
    // Updates from earlier commits may still be on their way: wait for the one with the draft.
    let change = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(progress) = events.next().await {
            if progress["as_of_sequence"].as_u64() >= Some(drafted_seq) {
                return progress;
            }
        }
        panic!("the stream ended");
    })
    .await
    .expect("the change was pushed within a second");
    assert_eq!(change["by_status"]["plan_drafted"], 1, "{change}");
    assert_eq!(change["by_status"]["opened"], 0);
    assert!(sent.elapsed() < Duration::from_secs(1));
}

/// The `data:` of each `event: progress` of a Server-Sent Events body, as JSON.
fn sse_events(response: reqwest::Response) -> impl futures::Stream<Item = Value> + Unpin {
    let mut buffer = String::new();
    Box::pin(response.bytes_stream().flat_map(move |chunk| {
        buffer.push_str(&String::from_utf8_lossy(&chunk.unwrap_or_default()));
        let mut out = vec![];
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if block.lines().any(|l| l == "event: progress") {
                let data: String = block.lines().filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:"))).collect();
                out.push(serde_json::from_str(&data).unwrap());
            }
        }
        futures::stream::iter(out)
    }))
}

#[tokio::test]
async fn a_tampered_event_on_the_stream_makes_the_audit_report_chain_valid_false() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let history = app.history(&id).await;
    let mut forged = history["events"].as_array().unwrap().last().unwrap().clone();
    forged["version"] = json!(5);
    forged["type"] = json!("ScoreGiven");
    forged["data"] = json!({"results_rating": "di_atas_ekspektasi", "behaviour_rating": "di_atas_ekspektasi", "predikat": "sangat_baik", "objection_due": "2026-12-31T00:00:00Z"});
    let js = async_nats::jetstream::new(app.nats().await);
    let ack = js.publish(app.subject(&id), serde_json::to_vec(&forged).unwrap().into()).await.unwrap().await.unwrap();

    let audit = app.get(&format!("/v1/appraisals/{id}/audit?min_sequence={}", ack.sequence)).await.expect(200);
    assert_eq!(audit["chain_valid"], false, "{audit}");
    assert_eq!(audit["verdict"], "findings");
    assert!(audit["findings"].as_array().unwrap().contains(&json!("chain_intact")));
    let cycle = app.get(&format!("/v1/appraisals/{id}")).await.expect(200)["cycle_id"].as_str().unwrap().to_owned();
    let findings = app.get(&format!("/v1/cycles/{cycle}/findings")).await.expect(200);
    assert_eq!(findings["appraisals"][0]["appraisal_id"], id.as_str());
}

#[tokio::test]
async fn an_undecodable_event_stops_the_projectors_at_its_sequence_and_is_never_skipped() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let js = async_nats::jetstream::new(app.nats().await);
    let ack = js.publish(app.subject(&uuid::Uuid::new_v4().to_string()), "not an envelope".into()).await.unwrap().await.unwrap();
    let stopped = wait_for(Duration::from_secs(10), || async {
        let ready = app.send(app.http.get(app.url("/readyz"))).await.body;
        ready["projectors"]["progress"]["error"].as_str().is_some_and(|e| e.contains(&format!("stream sequence {}", ack.sequence)))
    })
    .await;
    assert!(stopped, "the progress projector names the sequence it stopped at");
    let ready = app.send(app.http.get(app.url("/readyz"))).await.body;
    assert_eq!(ready["projectors"]["progress"]["checkpoint"], ack.sequence - 1, "nothing after it was applied, nothing skipped");
    app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people(EMPLOYEE, RATER, SUPERIOR)).await.expect(201);
    let progress = app.get(&format!("/v1/cycles/{cycle}/progress")).await.expect(200);
    assert_eq!(progress["total"], 0, "the read model stays where the bad event stopped it");
}
