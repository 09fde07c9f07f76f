//! Voices beyond the rater (issue 13) through the HTTP API against the real JetStream and
//! PostgreSQL: nominations and the closed survey, the anonymity rule, public feedback without
//! an NIK, expectations, dialogues and self-assessment in the appraisal and its audit, and the
//! per-unit counts of the voices read model.

use crate::common::*;
use serde_json::{json, Value};
use uuid::Uuid;

const NOMINEES: [&str; 3] = ["199503032020122001", "199404042019032003", "199306062018011004"];
const STRANGER: &str = "199107072017012006";
const SERVICE_DESK: &str = "198807072012011004";

fn nominate(nips: &[&str]) -> Value {
    let evaluators: Vec<Value> = nips.iter().enumerate().map(|(i, nip)| json!({"nip": nip, "name": format!("Rekan {i}"), "relation": if i == 2 { "subordinate" } else { "peer" }})).collect();
    json!({"evaluators": evaluators})
}

fn answer(period: &str, rating: &str) -> Value {
    let values = ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif"];
    let ratings: serde_json::Map<String, Value> = values.iter().map(|v| ((*v).to_owned(), json!(rating))).collect();
    json!({"period": period, "ratings": ratings, "comment": format!("jawaban {rating}")})
}

/// An appraisal whose targets are agreed and whose rater nominated the three [`NOMINEES`].
async fn nominated(app: &TestApp) -> String {
    let id = app.agreed_appraisal().await;
    nominate_all(app, id).await
}

/// The same in a cycle that evaluates monthly, whose survey takes the months of 2026.
async fn nominated_monthly(app: &TestApp) -> String {
    let cycle = crate::periods::open_periodic_cycle(app, 2026, "monthly", 7).await;
    let id = app.agreed_appraisal_in(&cycle, EMPLOYEE).await;
    nominate_all(app, id).await
}

async fn nominate_all(app: &TestApp, id: String) -> String {
    app.post(RATER, &format!("/v1/appraisals/{id}/evaluators"), nominate(&NOMINEES)).await.expect(200);
    id
}

async fn feedback_360(app: &TestApp, nip: &str, roles: &[&str], id: &str, period: &str) -> Value {
    app.get_as(nip, roles, &format!("/v1/appraisals/{id}/feedback-360?period={period}")).await.expect(200)
}

async fn survey_subject_len(app: &TestApp, id: &str) -> usize {
    let subject = format!("{}.survey.{id}", app.settings.store.subject_prefix);
    app.app_state.bus.store().load_after(&subject, 0).await.unwrap().len()
}

#[tokio::test]
async fn a_colleague_the_rater_did_not_nominate_gives_no_feedback_and_answers_no_survey_and_nothing_is_recorded() {
    let app = spawn_app().await;
    let id = nominated(&app).await;
    let before = app.history(&id).await["events"].as_array().unwrap().len();
    let feedback = json!({"about": "behaviour", "text": "Saya juga ingin menilai"});
    for (nip, roles) in [(STRANGER, &[][..]), (PEER, &[]), (ADMIN, &["admin"])] {
        app.post_as(nip, roles, &format!("/v1/appraisals/{id}/feedback"), feedback.clone()).await.expect_problem(403, "forbidden");
        app.post_as(nip, roles, &format!("/v1/appraisals/{id}/survey"), answer("annual", "di_bawah_ekspektasi")).await.expect_problem(403, "forbidden");
    }
    assert_eq!(app.history(&id).await["events"].as_array().unwrap().len(), before, "the refusals recorded nothing on the appraisal");
    assert_eq!(survey_subject_len(&app, &id).await, 0, "nor on the survey");
    // A nominee's feedback is recorded in the relation nominated.
    app.post(NOMINEES[2], &format!("/v1/appraisals/{id}/feedback"), feedback).await.expect(200);
    let history = app.history(&id).await;
    let last = history["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["actor"]["nip"].as_str(), last["actor"]["role"].as_str()), (Some(NOMINEES[2]), Some("subordinate")));
}

#[tokio::test]
async fn a_nominee_rates_once_per_period_and_a_second_rating_is_a_conflict_that_records_nothing() {
    let app = spawn_app().await;
    let id = nominated_monthly(&app).await;
    let path = format!("/v1/appraisals/{id}/survey");
    let first = app.post(NOMINEES[0], &path, answer("2026-03", "sesuai_ekspektasi")).await.expect(200);
    assert_eq!((first["aggregate_id"].as_str(), first["version"].as_u64()), (Some(id.as_str()), Some(1)), "the survey aggregate has the appraisal's id");
    let again = app.post(NOMINEES[0], &path, answer("2026-03", "di_atas_ekspektasi")).await.expect_problem(409, "already_rated");
    assert!(again["detail"].as_str().unwrap().contains("2026-03"), "{again}");
    assert_eq!(survey_subject_len(&app, &id).await, 1);
    app.post(NOMINEES[0], &path, answer("2026-04", "di_atas_ekspektasi")).await.expect(200);
    app.post(NOMINEES[1], &path, answer("2026-03", "di_atas_ekspektasi")).await.expect(200);
    // The same request again with its Idempotency-Key is the original answer, not a conflict.
    let key = Uuid::new_v4();
    let kept = app.post_keyed(NOMINEES[2], &path, answer("annual", "sesuai_ekspektasi"), key).await;
    let replayed = app.post_keyed(NOMINEES[2], &path, answer("annual", "sesuai_ekspektasi"), key).await;
    assert_eq!(replayed.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(kept.expect(200), replayed.expect(200));
    assert_eq!(survey_subject_len(&app, &id).await, 4);
    // Values: the period of another year, a missing value, an unknown one.
    app.post(NOMINEES[1], &path, answer("2025-12", "sesuai_ekspektasi")).await.expect_problem(422, "invalid_period");
    let mut six = answer("2026-05", "sesuai_ekspektasi");
    six["ratings"].as_object_mut().unwrap().remove("loyal");
    app.post(NOMINEES[1], &path, six).await.expect_problem(422, "ratings_incomplete");
    let mut odd = answer("2026-05", "sesuai_ekspektasi");
    odd["ratings"]["jujur"] = json!("sesuai_ekspektasi");
    app.post(NOMINEES[1], &path, odd).await.expect_problem(422, "invalid_value");
    // Once scored (every ended month evaluated first), the survey is closed.
    let periods = app.get(&format!("/v1/appraisals/{id}/periods")).await.expect(200);
    for period in periods["pending"].as_array().unwrap() {
        let path = format!("/v1/appraisals/{id}/periods/{}/evaluation", period.as_str().unwrap());
        app.post(RATER, &path, json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"})).await.expect(200);
    }
    app.post(RATER, &format!("/v1/appraisals/{id}/feedback"), json!({"about": "results", "text": "Baik"})).await.expect(200);
    app.post(RATER, &format!("/v1/appraisals/{id}/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"})).await.expect(200);
    app.post(NOMINEES[1], &path, answer("annual", "sesuai_ekspektasi")).await.expect_problem(409, "invalid_transition");
}

#[tokio::test]
async fn the_employee_sees_no_individual_answer_anywhere_and_no_aggregate_under_three_answers() {
    let app = spawn_app().await;
    let id = nominated_monthly(&app).await;
    let path = format!("/v1/appraisals/{id}/survey");
    app.post(NOMINEES[0], &path, answer("annual", "di_atas_ekspektasi")).await.expect(200);
    app.post(NOMINEES[1], &path, answer("annual", "di_bawah_ekspektasi")).await.expect(200);

    let own = feedback_360(&app, EMPLOYEE, &[], &id, "annual").await;
    assert_eq!((own["answers"].as_u64(), own["view"].as_str()), (Some(2), Some("aggregates")), "{own}");
    assert!(own["by_value"].is_null(), "under three answers no aggregate: {own}");
    // The employee who is also an admin or an inspector still reads aggregates only.
    let own_as_admin = feedback_360(&app, EMPLOYEE, &["admin", "inspector"], &id, "annual").await;
    assert_eq!(own_as_admin, own);
    let rater = feedback_360(&app, RATER, &[], &id, "annual").await;
    assert_eq!(rater["view"], "full");
    assert_eq!(rater["responses"].as_array().map(Vec::len), Some(2));

    app.post(NOMINEES[2], &path, answer("annual", "sesuai_ekspektasi")).await.expect(200);
    let own = feedback_360(&app, EMPLOYEE, &[], &id, "annual").await;
    assert_eq!(own["answers"], 3);
    for value in ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif"] {
        assert_eq!(own["by_value"][value], json!({"count": 3, "median": "sesuai_ekspektasi"}), "{own}");
    }
    let employee_reads = [
        app.get_as(EMPLOYEE, &[], &format!("/v1/appraisals/{id}/history")).await.expect(200),
        app.get_as(EMPLOYEE, &[], &format!("/v1/appraisals/{id}")).await.expect(200),
        own,
    ];
    for read in &employee_reads {
        let text = read.to_string();
        assert!(!text.contains("BehaviourRated") && !text.contains("jawaban "), "no answer, no comment in what the employee reads: {text}");
        assert!(read.get("responses").is_none());
    }
    assert!(employee_reads[0]["events"].as_array().unwrap().iter().all(|e| e["aggregate_type"] == "appraisal"));
    // Another period has its own answers (none here).
    let march = feedback_360(&app, EMPLOYEE, &[], &id, "2026-03").await;
    assert_eq!((march["answers"].as_u64(), march["by_value"].is_null()), (Some(0), true));
}

#[tokio::test]
async fn public_feedback_from_the_service_desk_names_no_citizen() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let path = format!("/v1/appraisals/{id}/public-feedback");
    let desk = |body: Value| app.post_as(SERVICE_DESK, &["service_desk"], &path, body);
    let with_nik = json!({"channel": "pengaduan", "service_ref": "ADU-2026-0042", "score": 2, "text": "Pemohon dengan NIK 3201012345678901 menunggu tiga jam"});
    let refused = desk(with_nik).await.expect_problem(422, "personal_data");
    assert!(refused["detail"].as_str().unwrap().contains("NIK"), "{refused}");
    desk(json!({"channel": "loket", "service_ref": "3201 0123 4567 8901", "score": 3})).await.expect_problem(422, "personal_data");
    desk(json!({"channel": "telepon", "service_ref": "T-1", "score": 3})).await.expect_problem(422, "invalid_value");
    desk(json!({"channel": "loket", "service_ref": "T-1", "score": 6})).await.expect_problem(422, "invalid_value");
    desk(json!({"channel": "loket", "service_ref": "T-1"})).await.expect_problem(400, "malformed_body");
    assert_eq!(survey_subject_len(&app, &id).await, 0, "nothing recorded");
    let recorded = desk(json!({"channel": "survei", "service_ref": "SKM-2026-0107", "score": 5, "text": "Pelayanan cepat, dijelaskan dengan ramah"})).await.expect(200);
    assert_eq!(recorded["version"], 1);
    // Without the role, or as one of the appraisal's people, nobody records it.
    app.post(STRANGER, &path, json!({"channel": "loket", "service_ref": "T-2", "score": 1})).await.expect_problem(403, "forbidden");
    app.post_as(RATER, &["service_desk"], &path, json!({"channel": "loket", "service_ref": "T-2", "score": 5})).await.expect_problem(403, "forbidden");
    let own = feedback_360(&app, EMPLOYEE, &[], &id, "annual").await;
    assert_eq!(own["public"], json!({"count": 1, "mean_score": null}), "one piece: counted, no mean for the employee");
    let full = feedback_360(&app, ADMIN, &["admin"], &id, "annual").await;
    assert_eq!(full["public"], json!({"count": 1, "mean_score": 5.0}));
    assert_eq!(full["public_feedback"][0]["recorded_by"], SERVICE_DESK);
}

#[tokio::test]
async fn expectations_dialogues_and_self_assessment_show_in_the_appraisal_and_its_audit_and_the_unit_counts_follow() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let id = app.agreed_appraisal_in(&cycle, EMPLOYEE).await;
    let other = app.agreed_appraisal_in(&cycle, "199208082017011007").await;
    let at = |path: &str| format!("/v1/appraisals/{id}{path}");
    app.post(RATER, &at("/expectations"), json!({"expectations": [{"value": "berorientasi_pelayanan", "expectation": "Permohonan selesai dalam 2 hari kerja"}]})).await.expect(200);
    let held = app.post(RATER, &at("/dialogues"), json!({"held_on": "2026-04-01", "topics": "Capaian triwulan I", "agreed_actions": ["Susun SOP", "Ikut pelatihan"]})).await.expect(200);
    let version = held["version"].as_u64().unwrap();
    app.post(RATER, &at(&format!("/dialogues/{}/acknowledge", version + 5)), json!({})).await.expect_problem(403, "forbidden");
    app.post(EMPLOYEE, &at(&format!("/dialogues/{}/acknowledge", version + 5)), json!({})).await.expect_problem(404, "not_found");
    app.post(EMPLOYEE, &at("/dialogues/dua/acknowledge"), json!({})).await.expect_problem(404, "not_found");
    app.post(EMPLOYEE, &at(&format!("/dialogues/{version}/acknowledge")), json!({})).await.expect(200);
    app.post(EMPLOYEE, &at(&format!("/dialogues/{version}/acknowledge")), json!({})).await.expect_problem(409, "already_acknowledged");
    app.post(RATER, &at("/dialogues"), json!({"held_on": "2999-01-01", "topics": "x"})).await.expect_problem(422, "invalid_date");
    app.post(EMPLOYEE, &at("/self-assessment"), json!({"period": "annual", "results_rating": "di_atas_ekspektasi", "behaviour_rating": "di_atas_ekspektasi", "narrative": "Semua target terlampaui"})).await.expect(200);
    app.post(RATER, &at("/feedback"), json!({"about": "results", "text": "Capaian baik"})).await.expect(200);
    let scored = app.post(RATER, &at("/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "di_atas_ekspektasi"})).await.expect(200);
    app.post(EMPLOYEE, &at("/self-assessment"), json!({"period": "annual", "results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "narrative": "x"})).await.expect_problem(409, "already_evaluated");

    let state = app.get_as(EMPLOYEE, &[], &at("")).await.expect(200);
    assert_eq!(state["expectations"][0]["value"], "berorientasi_pelayanan");
    assert_eq!(state["dialogues"][0]["agreed_actions"], json!(["Susun SOP", "Ikut pelatihan"]));
    assert!(state["dialogues"][0]["acknowledged_at"].is_string(), "{state}");
    assert_eq!(state["self_assessments"][0]["period"], "annual");
    assert_eq!(state["score"]["predikat"], "baik", "the self-assessment changed no predikat");

    let sequence = scored["stream_sequence"].as_u64().unwrap();
    let audit = app.get(&format!("/v1/appraisals/{id}/audit?min_sequence={sequence}")).await.expect(200);
    assert_eq!(audit["verdict"], "fair", "{audit}");
    let information: Vec<&str> = audit["information"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(information, ["self_assessment_gap", "dialogue_before_score"]);
    let gap = audit["information"][0]["detail"].as_str().unwrap();
    assert!(gap.contains("results one step below the self-assessment") && gap.contains("behaviour as the self-assessment"), "{gap}");
    assert!(audit["information"][1]["detail"].as_str().unwrap().starts_with("1 dialogue(s) preceded the first score"), "{audit}");

    // The other appraisal: scored with a survey answer but no dialogue.
    app.post(RATER, &format!("/v1/appraisals/{other}/evaluators"), nominate(&NOMINEES[..1])).await.expect(200);
    app.post(NOMINEES[0], &format!("/v1/appraisals/{other}/survey"), answer("annual", "sesuai_ekspektasi")).await.expect(200);
    let last = app.post(RATER, &format!("/v1/appraisals/{other}/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"})).await.expect(200);
    let sequence = last["stream_sequence"].as_u64().unwrap();
    let voices = app.get_as(INSPECTOR, &["inspector"], &format!("/v1/cycles/{cycle}/voices?min_sequence={sequence}")).await.expect(200);
    let counts = json!({"appraisals": 2, "with_dialogue": 1, "with_survey": 1, "scored": 2, "dialogue_before_score": 1, "survey_before_score": 1, "both_before_score": 0});
    assert_eq!(voices["totals"], counts, "{voices}");
    assert_eq!(voices["units"].as_array().map(Vec::len), Some(1));
    assert_eq!(voices["units"][0]["unit"], "Bidang Pengembangan Pegawai");
    assert_eq!(voices["units"][0]["scored"], 2);
    assert!(voices["next_after"].is_null());
    assert!(voices["as_of_sequence"].as_u64().unwrap() >= sequence);
}
