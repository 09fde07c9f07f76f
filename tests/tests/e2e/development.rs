//! Development plans and pembinaan (issue 14) through the HTTP API against the real JetStream
//! and PostgreSQL: a `kurang` appraisal, its pembinaan plan, actions and sessions, a review
//! refused before the due date, `not_improved` on it, the follow-up, with the career and
//! progress read models following each step on the harness's adjustable clock; an early
//! `improved` review; a second plan and a plan on an appraisal that is not final refused; the
//! plan as a mentor reads it; its history and the audit's information.

use crate::common::*;
use serde_json::{json, Value};
use time::{Date, Duration, OffsetDateTime};

const SECOND: &str = "199105052016012009";

/// An appraisal of `employee` in `cycle`, scored with the two ratings, accepted and finalized
/// by the rater. Returns its id.
async fn final_appraisal(app: &TestApp, cycle: &str, employee: &str, results: &str, behaviour: &str) -> String {
    let id = app.agreed_appraisal_in(cycle, employee).await;
    let at = |path: &str| format!("/v1/appraisals/{id}{path}");
    app.post(RATER, &at("/feedback"), json!({"about": "results", "text": "Capaian triwulan di bawah target"})).await.expect(200);
    app.post(RATER, &at("/score"), json!({"results_rating": results, "behaviour_rating": behaviour})).await.expect(200);
    app.post(employee, &at("/accept"), json!({})).await.expect(200);
    app.post(RATER, &at("/finalize"), json!({})).await.expect(200);
    id
}

fn seq(answer: &Value) -> u64 {
    answer["stream_sequence"].as_u64().unwrap()
}

async fn last_seq(app: &TestApp) -> u64 {
    app.app_state.bus.store().last_sequence().await.unwrap()
}

async fn career(app: &TestApp, nip: &str) -> Value {
    let at = last_seq(app).await;
    app.get(&format!("/v1/employees/{nip}/career?min_sequence={at}")).await.expect(200)["development"].clone()
}

async fn pembinaan(app: &TestApp, cycle: &str) -> Value {
    let at = last_seq(app).await;
    let progress = app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={at}")).await.expect(200);
    let per_unit = app.get(&format!("/v1/cycles/{cycle}/pembinaan?min_sequence={at}")).await.expect(200);
    assert_eq!(per_unit["totals"], progress["pembinaan"], "the cycle's totals are the same in both answers");
    assert_eq!(progress["overdue_detail"]["pembinaan"], progress["pembinaan"]["overdue"]);
    let sum = |key: &str| progress["overdue_detail"][key].as_i64().unwrap();
    assert_eq!(progress["overdue"].as_i64(), Some(sum("plans") + sum("objections") + sum("pembinaan")));
    progress["pembinaan"].clone()
}

#[track_caller]
fn counts(pembinaan: &Value) -> [i64; 7] {
    ["due", "without_plan", "open", "overdue", "improved", "not_improved", "followed_up"].map(|k| pembinaan[k].as_i64().unwrap())
}

fn today(app: &TestApp) -> Date {
    app.clock.now().date()
}

/// Moves the harness's clock to 08:00 UTC on `day`.
fn advance_to(app: &TestApp, day: Date) {
    let target = OffsetDateTime::new_utc(day, time::Time::from_hms(8, 0, 0).unwrap());
    let now = app.clock.now();
    assert!(target > now, "the clock only moves forward: {now} -> {target}");
    app.clock.advance(target - now);
}

fn date_of(value: &Value) -> Date {
    Date::parse(value.as_str().unwrap(), time::macros::format_description!("[year]-[month]-[day]")).unwrap()
}

#[tokio::test]
async fn a_kurang_appraisal_is_followed_by_pembinaan_to_its_review_and_follow_up_with_career_and_progress_in_step() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let kurang = final_appraisal(&app, &cycle, EMPLOYEE, "sesuai_ekspektasi", "di_bawah_ekspektasi").await;
    let second = final_appraisal(&app, &cycle, SECOND, "di_bawah_ekspektasi", "sesuai_ekspektasi").await;
    let finalized_on = today(&app);

    // Final, no plan yet: pembinaan is due for both, nothing overdue.
    let before = career(&app, EMPLOYEE).await;
    assert_eq!((before["status"].as_str(), before["pembinaan_required"].as_bool(), before["overdue"].as_bool()), (Some("none"), Some(true), Some(false)), "{before}");
    assert_eq!(counts(&pembinaan(&app, &cycle).await), [2, 2, 0, 0, 0, 0, 0]);

    // The rater opens the pembinaan plan: six months.
    let opened = app.post(RATER, &format!("/v1/appraisals/{kurang}/development"), json!({})).await;
    let location = opened.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let opened = opened.expect(201);
    let plan = opened["aggregate_id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/development/{plan}"));
    assert_eq!(opened["version"], 1);
    let state = app.get(&format!("/v1/development/{plan}")).await.expect(200);
    assert_eq!((state["kind"].as_str(), state["status"].as_str(), state["predikat"].as_str()), (Some("pembinaan"), Some("open"), Some("kurang")));
    let due = date_of(&state["due"]);
    assert_eq!(due.month(), (finalized_on.month().nth_next(6)), "due six months after finalization: {due}");
    let open = career(&app, EMPLOYEE).await;
    assert_eq!((open["status"].as_str(), open["plan_id"].as_str(), open["kind"].as_str()), (Some("open"), Some(plan.as_str()), Some("pembinaan")));
    assert_eq!(counts(&pembinaan(&app, &cycle).await), [2, 1, 1, 0, 0, 0, 0]);

    // 31 days after finalization: the second appraisal's pembinaan is overdue, without a plan.
    advance_to(&app, finalized_on + Duration::days(31));
    assert_eq!(counts(&pembinaan(&app, &cycle).await), [2, 1, 1, 1, 0, 0, 0]);
    let missing = career(&app, SECOND).await;
    assert_eq!((missing["status"].as_str(), missing["overdue"].as_bool()), (Some("none"), Some(true)), "{missing}");

    // Actions, sessions by the mentor and the rater, a completion with evidence, its confirmation.
    let at = |path: &str| format!("/v1/development/{plan}{path}");
    let action_due = (today(&app) + Duration::days(60)).to_string();
    app.post(RATER, &at("/actions"), json!({"action_id": "A1", "type": "coaching", "description": "Coaching disiplin dan manajemen waktu", "due": action_due, "mentor_nip": PEER})).await.expect(200);
    app.post(RATER, &at("/actions"), json!({"action_id": "A2", "type": "pelatihan", "description": "Pelatihan pelayanan publik", "due": due.to_string()})).await.expect(200);
    let held_on = today(&app).to_string();
    app.post(PEER, &at("/sessions"), json!({"action_id": "A1", "held_on": held_on, "notes": "Sesi 1: jadwal harian disepakati", "next_steps": "Catatan kehadiran"})).await.expect(200);
    app.post(PEER, &at("/sessions"), json!({"action_id": "A2", "held_on": held_on, "notes": "bukan tindakannya"})).await.expect_problem(403, "forbidden");
    app.post(RATER, &at("/sessions"), json!({"action_id": "A2", "held_on": held_on, "notes": "Pendaftaran pelatihan"})).await.expect(200);
    app.post(RATER, &at("/actions/A1/confirm"), json!({})).await.expect_problem(409, "invalid_transition");
    app.post(EMPLOYEE, &at("/actions/A1/complete"), json!({"evidence": "Laporan coaching ND-12/2027"})).await.expect(200);
    app.post(RATER, &at("/actions/A1/confirm"), json!({})).await.expect(200);
    app.post(EMPLOYEE, &at("/actions/A9/complete"), json!({"evidence": "x"})).await.expect_problem(404, "not_found");

    // The review: not before the due date, unless improved.
    let refused = app.post(RATER, &at("/review"), json!({"outcome": "not_improved", "basis": "Capaian belum membaik"})).await.expect_problem(409, "improvement_window_open");
    assert!(refused["detail"].as_str().unwrap().contains(&due.to_string()), "{refused}");
    advance_to(&app, due);
    let on_due = career(&app, EMPLOYEE).await;
    assert_eq!((on_due["status"].as_str(), on_due["overdue"].as_bool()), (Some("open"), Some(false)), "open, not overdue, on the due date");
    let reviewed = app.post(RATER, &at("/review"), json!({"outcome": "not_improved", "basis": "Capaian triwulan tetap di bawah target"})).await.expect(200);
    assert!(seq(&reviewed) > 0);
    assert_eq!(career(&app, EMPLOYEE).await["status"], "not_improved");
    assert_eq!(counts(&pembinaan(&app, &cycle).await), [2, 1, 0, 1, 0, 1, 0]);
    app.post(RATER, &at("/actions"), json!({"action_id": "A3", "type": "konseling", "description": "x", "due": due.to_string()})).await.expect_problem(409, "invalid_transition");

    // The follow-up, recorded by an admin.
    app.post(RATER, &at("/follow-up"), json!({"measure": "uji_kompetensi", "basis": "x"})).await.expect_problem(403, "forbidden");
    app.post_as(ADMIN, &["admin"], &at("/follow-up"), json!({"measure": "uji_kompetensi", "basis": "Keputusan Kepala BKPSDM 800/77/2027"})).await.expect(200);
    let after = career(&app, EMPLOYEE).await;
    assert_eq!((after["status"].as_str(), after["follow_up"].as_str()), (Some("not_improved"), Some("uji_kompetensi")));
    assert_eq!(counts(&pembinaan(&app, &cycle).await), [2, 1, 0, 1, 0, 1, 1]);

    // The second plan, opened late: due on its latest day, which is today; overdue tomorrow.
    let late = app.post_as(ADMIN, &["admin"], &format!("/v1/appraisals/{second}/development"), json!({})).await.expect(201);
    let late_plan = app.get(&format!("/v1/development/{}", late["aggregate_id"].as_str().unwrap())).await.expect(200);
    assert_eq!(late_plan["kind"], "pembinaan");
    assert_eq!(counts(&pembinaan(&app, &cycle).await), [2, 0, 1, 0, 0, 1, 1]);
    advance_to(&app, date_of(&late_plan["due"]) + Duration::days(1));
    assert_eq!(career(&app, SECOND).await["status"], "overdue");
    assert_eq!(counts(&pembinaan(&app, &cycle).await), [2, 0, 1, 1, 0, 1, 1]);

    // The plan's history, as stored, with its chain; the audit's information on the appraisal.
    let history = app.get(&at("/history")).await.expect(200);
    assert_eq!(history["chain_valid"], true, "{history}");
    let types: Vec<&str> = history["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["DevelopmentPlanOpened", "ActionAdded", "ActionAdded", "SessionRecorded", "SessionRecorded", "ActionCompleted", "ActionConfirmed", "ImprovementReviewed", "FollowUpDecided"]);
    let roles: Vec<&str> = history["events"].as_array().unwrap().iter().map(|e| e["actor"]["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["rater", "rater", "rater", "mentor", "rater", "employee", "rater", "rater", "admin"]);
    let audit = app.get(&format!("/v1/appraisals/{kurang}/audit?min_sequence={}", last_seq(&app).await)).await.expect(200);
    let info = audit["information"].as_array().unwrap().iter().find(|i| i["name"] == "pembinaan_followed").unwrap().clone();
    let detail = info["detail"].as_str().unwrap();
    assert!(detail.contains("reviewed not_improved") && detail.contains("follow-up uji_kompetensi"), "{detail}");
    assert_eq!(info["event_ids"].as_array().map(Vec::len), Some(4), "the final score, the opening, the review, the follow-up");
    assert_eq!(audit["verdict"], "fair", "information is never a finding");
}

#[tokio::test]
async fn an_early_improved_review_is_allowed_and_a_second_plan_or_a_plan_before_final_is_a_conflict() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let id = final_appraisal(&app, &cycle, EMPLOYEE, "di_bawah_ekspektasi", "di_bawah_ekspektasi").await;
    let path = format!("/v1/appraisals/{id}/development");
    let key = uuid::Uuid::new_v4();
    let opened = app.post_keyed(RATER, &path, json!({"kind": "pembinaan"}), key).await.expect(201);
    let replayed = app.post_keyed(RATER, &path, json!({"kind": "pembinaan"}), key).await;
    assert_eq!(replayed.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(replayed.expect(201), opened, "a retried opening answers the original");
    app.post(RATER, &path, json!({})).await.expect_problem(409, "already_exists");
    app.post_as(ADMIN, &["admin"], &path, json!({})).await.expect_problem(409, "already_exists");

    let plan = opened["aggregate_id"].as_str().unwrap();
    app.post(RATER, &format!("/v1/development/{plan}/review"), json!({"outcome": "improved", "basis": "Disiplin dan capaian membaik pada triwulan I"})).await.expect(200);
    assert_eq!(career(&app, EMPLOYEE).await["status"], "improved");
    assert_eq!(counts(&pembinaan(&app, &cycle).await), [1, 0, 0, 0, 1, 0, 0]);
    app.post(RATER, &format!("/v1/development/{plan}/review"), json!({"outcome": "improved", "basis": "lagi"})).await.expect_problem(409, "invalid_transition");
    app.post_as(ADMIN, &["admin"], &format!("/v1/development/{plan}/follow-up"), json!({"measure": "none", "basis": "x"})).await.expect_problem(409, "invalid_transition");

    // Not final yet: scored only.
    let scored = app.agreed_appraisal_in(&cycle, SECOND).await;
    app.post(RATER, &format!("/v1/appraisals/{scored}/score"), json!({"results_rating": "di_bawah_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"})).await.expect(200);
    let refused = app.post(RATER, &format!("/v1/appraisals/{scored}/development"), json!({})).await.expect_problem(409, "invalid_transition");
    assert!(refused["detail"].as_str().unwrap().contains("scored"), "{refused}");
    app.post(RATER, &format!("/v1/appraisals/{}/development", uuid::Uuid::new_v4()), json!({})).await.expect_problem(404, "not_found");
    app.post(RATER, "/v1/appraisals/not-a-uuid/development", json!({})).await.expect_problem(404, "not_found");
    app.post(RATER, &format!("/v1/development/{}/review", uuid::Uuid::new_v4()), json!({"outcome": "improved", "basis": "x"})).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn pengembangan_follows_a_good_predikat_within_twelve_months_and_the_values_are_checked_after_the_caller() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let id = final_appraisal(&app, &cycle, EMPLOYEE, "di_atas_ekspektasi", "sesuai_ekspektasi").await;
    let path = format!("/v1/appraisals/{id}/development");
    let too_late = (today(&app) + Duration::days(400)).to_string();
    app.post(PEER, &path, json!({"due": "not a date"})).await.expect_problem(403, "forbidden");
    app.post(RATER, &path, json!({"due": "not a date"})).await.expect_problem(422, "invalid_date");
    app.post(RATER, &path, json!({"due": too_late})).await.expect_problem(422, "invalid_due");
    app.post(RATER, &path, json!({"kind": "pembinaan"})).await.expect_problem(422, "invalid_kind");
    app.post(RATER, &path, json!({"kind": "remedial"})).await.expect_problem(422, "invalid_value");
    app.post(RATER, &path, json!({"kind": 7})).await.expect_problem(400, "malformed_body");
    let due = (today(&app) + Duration::days(180)).to_string();
    let opened = app.post(RATER, &path, json!({"kind": "pengembangan", "due": due})).await.expect(201);
    let plan = opened["aggregate_id"].as_str().unwrap();
    let state = app.get(&format!("/v1/development/{plan}")).await.expect(200);
    assert_eq!((state["kind"].as_str(), state["due"].as_str()), (Some("pengembangan"), Some(due.as_str())));
    let development = career(&app, EMPLOYEE).await;
    assert_eq!((development["status"].as_str(), development["pembinaan_required"].as_bool()), (Some("open"), Some(false)));
    assert_eq!(counts(&pembinaan(&app, &cycle).await), [0, 0, 0, 0, 0, 0, 0], "pengembangan is not pembinaan");

    let actions = format!("/v1/development/{plan}/actions");
    let action = |id: &str, due: &str| json!({"action_id": id, "type": "pelatihan", "description": "Pelatihan kepemimpinan", "due": due, "mentor_nip": SUPERIOR});
    app.post(RATER, &actions, action("A1", &(today(&app) + Duration::days(200)).to_string())).await.expect_problem(422, "invalid_due");
    app.post(RATER, &actions, json!({"action_id": "A1", "type": "webinar", "description": "x", "due": due})).await.expect_problem(422, "invalid_value");
    app.post(RATER, &actions, json!({"action_id": "A1", "type": "pelatihan", "description": "x", "due": due, "mentor_nip": "123"})).await.expect_problem(422, "invalid_nip");
    app.post(RATER, &actions, json!({"action_id": "A 1", "type": "pelatihan", "description": "x", "due": due})).await.expect_problem(422, "invalid_value");
    app.post(EMPLOYEE, &actions, action("A1", &due)).await.expect_problem(403, "forbidden");
    app.post(RATER, &actions, action("A1", &due)).await.expect(200);
    app.post(RATER, &actions, action("A1", &due)).await.expect_problem(409, "already_exists");
    app.post(RATER, &format!("/v1/development/{plan}/sessions"), json!({"action_id": "A9", "held_on": today(&app).to_string(), "notes": "x"})).await.expect_problem(422, "unknown_action");
    let tomorrow = (today(&app) + Duration::days(1)).to_string();
    app.post(SUPERIOR, &format!("/v1/development/{plan}/sessions"), json!({"action_id": "A1", "held_on": tomorrow, "notes": "x"})).await.expect_problem(422, "invalid_date");
    app.post(SUPERIOR, &format!("/v1/development/{plan}/sessions"), json!({"action_id": "A1", "held_on": today(&app).to_string(), "notes": "Pembekalan awal"})).await.expect(200);
    let history = app.get(&format!("/v1/development/{plan}/history")).await.expect(200);
    assert_eq!(history["events"][2]["actor"]["role"], "mentor", "the rater's superior, named as the action's mentor, records as its mentor: {history}");
}

#[tokio::test]
async fn a_mentor_reads_their_own_actions_only_and_strangers_read_nothing() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    let id = final_appraisal(&app, &cycle, EMPLOYEE, "sesuai_ekspektasi", "di_bawah_ekspektasi").await;
    let opened = app.post(RATER, &format!("/v1/appraisals/{id}/development"), json!({})).await.expect(201);
    let plan = opened["aggregate_id"].as_str().unwrap();
    let due = (today(&app) + Duration::days(30)).to_string();
    for (action, mentor) in [("A1", Some(PEER)), ("A2", None)] {
        let mut body = json!({"action_id": action, "type": "mentoring", "description": "Pendampingan", "due": due});
        if let Some(mentor) = mentor {
            body["mentor_nip"] = json!(mentor);
        }
        app.post(RATER, &format!("/v1/development/{plan}/actions"), body).await.expect(200);
    }
    let mentor_view = app.get_as(PEER, &[], &format!("/v1/development/{plan}")).await.expect(200);
    let ids: Vec<&str> = mentor_view["actions"].as_array().unwrap().iter().map(|a| a["action_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["A1"], "{mentor_view}");
    assert!(mentor_view.get("predikat").is_none() && mentor_view.get("review").is_none(), "{mentor_view}");
    app.get_as(PEER, &[], &format!("/v1/development/{plan}/history")).await.expect_problem(403, "forbidden");
    let whole = app.get_as(EMPLOYEE, &[], &format!("/v1/appraisals/{id}/development")).await.expect(200);
    assert_eq!(whole["actions"].as_array().map(Vec::len), Some(2));
    assert_eq!(whole["plan_id"], plan);
    app.get_as(SECOND, &[], &format!("/v1/development/{plan}")).await.expect_problem(403, "forbidden");
    let other = final_appraisal(&app, &cycle, SECOND, "sesuai_ekspektasi", "sesuai_ekspektasi").await;
    app.get_as(RATER, &[], &format!("/v1/appraisals/{other}/development")).await.expect_problem(404, "not_found");
    app.get_as(PEER, &[], &format!("/v1/appraisals/{other}/development")).await.expect_problem(403, "forbidden");
}

/// The demo seed's plans: its low final predikat get pembinaan (running, improved early, not
/// improved with a follow-up, due on the day without a review, none yet), a few good ones
/// pengembangan; nothing is overdue at the moment of seeding, and the plans due that day and
/// the predikat still without a plan become overdue as the days pass. A second run records
/// nothing.
#[tokio::test]
async fn the_demo_seed_opens_plans_for_the_low_predikat_that_become_overdue_as_days_pass() {
    let app = spawn_app().await;
    let api = format!("http://{}", app.addr);
    let secret = app.settings.jwt_secret.expose().as_bytes().to_vec();
    let seeded = skp_cli::seed::seed_demo(&api, &secret, 220).await.unwrap();
    assert_eq!(seeded.new_events, seeded.commands);
    let cycle = seeded.cycle_id.clone();
    // [due, without_plan, open, overdue, improved, not_improved, followed_up]
    assert_eq!(counts(&pembinaan(&app, &cycle).await), [7, 1, 4, 0, 1, 1, 1]);
    let per_unit = app.get(&format!("/v1/cycles/{cycle}/pembinaan")).await.expect(200);
    assert!(per_unit["by_unit"].as_array().unwrap().iter().all(|u| u["unit"].is_string()), "{per_unit}");
    assert_eq!(per_unit["by_unit"].as_array().unwrap().iter().map(|u| u["due"].as_i64().unwrap()).sum::<i64>(), 7);
    let again = skp_cli::seed::seed_demo(&api, &secret, 220).await.unwrap();
    assert_eq!(again.new_events, 0, "the second run recorded nothing");

    let seeded_on = today(&app);
    advance_to(&app, seeded_on + Duration::days(1));
    assert_eq!(counts(&pembinaan(&app, &cycle).await)[3], 1, "the plan due on the day of seeding, not reviewed");
    advance_to(&app, seeded_on + Duration::days(31));
    assert_eq!(counts(&pembinaan(&app, &cycle).await)[3], 2, "and the low predikat still without a plan");
}
