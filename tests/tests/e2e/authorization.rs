//! docs/domain.md's "Who may do what", as a table, through the HTTP API: every command route and
//! every read route, sent by every kind of caller (the employee, the rater, the rater's
//! superior, a colleague the rater did not nominate, an admin without a role on the appraisal,
//! an inspector, no token; and since issue 13 an evaluator the rater nominated, an ASN
//! nominated on another appraisal of the cycle but not this one, and the service desk), from a
//! status in which the command is allowed. Allowed callers get 200/201 and one new event (on
//! the appraisal, or on its survey); the others 403 `forbidden` (401 without a token) and
//! nothing recorded. Every answer carries `x-content-type-options: nosniff`.


use crate::common::*;
use serde_json::{json, Value};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Employee,
    Rater,
    Superior,
    /// A colleague with no part in the appraisal, whom the rater did not nominate.
    Peer,
    Admin,
    Inspector,
    Nobody,
    // Since issue 13:
    /// An evaluator the rater nominated (as a peer).
    Nominee,
    /// An ASN nominated on another appraisal of the same cycle, not on this one.
    NonNominee,
    /// A token with the role `service_desk`.
    ServiceDesk,
}

use Who::*;

const EVERYONE: [Who; 10] = [Employee, Rater, Superior, Peer, Admin, Inspector, Nobody, Nominee, NonNominee, ServiceDesk];

/// The evaluator this file's appraisals nominate.
const NOMINEE: &str = "199503032020122001";
/// Nominated on the sibling appraisal of every fixture, never on the fixture itself.
const NON_NOMINEE: &str = "199404042019032003";
/// The service desk officer.
const SERVICE_DESK: &str = "198807072012011004";
/// The employee of the sibling appraisal.
const SIBLING: &str = "199106062016012005";

fn credentials(who: Who) -> Option<(&'static str, &'static [&'static str])> {
    match who {
        Employee => Some((EMPLOYEE, &[])),
        Rater => Some((RATER, &[])),
        Superior => Some((SUPERIOR, &[])),
        Peer => Some((PEER, &[])),
        Admin => Some((ADMIN, &["admin"])),
        Inspector => Some((INSPECTOR, &["inspector"])),
        Nobody => None,
        Nominee => Some((NOMINEE, &[])),
        NonNominee => Some((NON_NOMINEE, &[])),
        ServiceDesk => Some((SERVICE_DESK, &["service_desk"])),
    }
}

fn nomination(nip: &str) -> Value {
    json!({"evaluators": [{"nip": nip, "name": "Rina Wijayanti", "relation": "peer"}]})
}

fn survey_answer() -> Value {
    let values = ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif"];
    let ratings: serde_json::Map<String, Value> = values.iter().map(|v| ((*v).to_owned(), json!("sesuai_ekspektasi"))).collect();
    json!({"period": "annual", "ratings": ratings, "comment": "Selalu siap membantu"})
}

/// How many answers and pieces of public feedback the appraisal's survey holds (read in full
/// by an admin).
async fn survey_entries(app: &TestApp, id: &str) -> u64 {
    let view = call(app, Admin, &format!("/v1/appraisals/{id}/feedback-360"), None).await.expect(200);
    view["answers"].as_u64().unwrap() + view["public"]["count"].as_u64().unwrap()
}

/// Sends a POST (with `body`) or a GET (without) as `who`; checks the nosniff header.
async fn call(app: &TestApp, who: Who, path: &str, body: Option<Value>) -> Answer {
    let url = app.url(path);
    let request = match &body {
        Some(body) => app.http.post(url).json(body),
        None => app.http.get(url),
    };
    let request = match credentials(who) {
        Some((nip, roles)) => request.bearer_auth(app.token(nip, roles)),
        None => request,
    };
    let answer = app.send(request).await;
    let nosniff = answer.headers.get("x-content-type-options").and_then(|v| v.to_str().ok());
    assert_eq!(nosniff, Some("nosniff"), "x-content-type-options of {path} as {who:?} ({})", answer.status);
    answer
}

/// Asserts the refusal a caller without the right gets: 401 without a token, else 403.
#[track_caller]
fn assert_refused(answer: Answer, who: Who, what: &str) {
    let (status, code) = if who == Nobody { (401, "unauthorized") } else { (403, "forbidden") };
    assert_eq!(answer.status, status, "{what} as {who:?}: {}", answer.body);
    assert_eq!(answer.body["code"], code, "{what} as {who:?}: {}", answer.body);
}

async fn version(app: &TestApp, id: &str) -> u64 {
    let state = call(app, Admin, &format!("/v1/appraisals/{id}"), None).await.expect(200);
    state["version"].as_u64().unwrap()
}

/// Where a command records its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Records {
    Appraisal,
    Survey,
}

/// The number of events `records` counts: the appraisal's version, or the survey's entries.
async fn recorded(app: &TestApp, id: &str, records: Records) -> u64 {
    match records {
        Records::Appraisal => version(app, id).await,
        Records::Survey => survey_entries(app, id).await,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stage {
    Opened,
    PlanDrafted,
    PlanSubmitted,
    TargetsAgreed,
    Scored,
    Objected,
    Accepted,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Opened => "opened",
            Stage::PlanDrafted => "plan_drafted",
            Stage::PlanSubmitted => "plan_submitted",
            Stage::TargetsAgreed => "targets_agreed",
            Stage::Scored => "scored",
            Stage::Objected => "objected",
            Stage::Accepted => "accepted",
        }
    }
}

fn score_body() -> Value {
    json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "notes": "Sesuai target"})
}

/// A fresh appraisal (in a cycle of its own) driven through the API to `stage` by the
/// people whose job each step is; its rater nominated [`NOMINEE`] and, from the targets on,
/// recorded a dialogue (version 6). The cycle has a sibling appraisal whose rater nominated
/// [`NON_NOMINEE`]. Returns the id.
async fn appraisal_at(app: &TestApp, stage: Stage) -> String {
    let cycle = app.open_cycle().await;
    let id = app.open_appraisal(&cycle).await;
    let sibling = app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people(SIBLING, RATER, SUPERIOR)).await.expect(201);
    let sibling = sibling["aggregate_id"].as_str().unwrap();
    app.post(RATER, &format!("/v1/appraisals/{sibling}/evaluators"), nomination(NON_NOMINEE)).await.expect(200);
    let at = |path: &str| format!("/v1/appraisals/{id}{path}");
    app.post(RATER, &at("/evaluators"), nomination(NOMINEE)).await.expect(200);
    let dialogue = json!({"held_on": "2026-01-15", "topics": "Capaian awal tahun", "agreed_actions": ["Menyusun jadwal"]});
    let path: Vec<(&str, &str, Value)> = vec![
        (EMPLOYEE, "/plan", plan()),
        (EMPLOYEE, "/plan/submit", json!({})),
        (RATER, "/plan/agree", json!({})),
        (RATER, "/dialogues", dialogue),
        (RATER, "/score", score_body()),
    ];
    let steps = match stage {
        Stage::Opened => 0,
        Stage::PlanDrafted => 1,
        Stage::PlanSubmitted => 2,
        Stage::TargetsAgreed => 4,
        Stage::Scored | Stage::Objected | Stage::Accepted => 5,
    };
    for (nip, route, body) in path.into_iter().take(steps) {
        app.post(nip, &at(route), body).await.expect(200);
    }
    match stage {
        Stage::Objected => {
            app.post(EMPLOYEE, &at("/objection"), json!({"reason": "Realisasi melebihi target"})).await.expect(200);
        }
        Stage::Accepted => {
            app.post(EMPLOYEE, &at("/accept"), json!({})).await.expect(200);
        }
        _ => {}
    }
    let state = app.get(&at("")).await.expect(200);
    assert_eq!(state["status"], stage.as_str(), "{state}");
    id
}

struct Row {
    route: &'static str,
    from: Stage,
    body: Value,
    allowed: &'static [Who],
    /// Whether the command leaves the status as it was (then the shared appraisal serves the
    /// allowed callers too).
    keeps_status: bool,
    /// Where the event goes.
    records: Records,
}

fn table() -> Vec<Row> {
    let row = |route, from, body, allowed, keeps_status| Row { route, from, body, allowed, keeps_status, records: Records::Appraisal };
    let survey = |route, body, allowed| Row { route, from: Stage::TargetsAgreed, body, allowed, keeps_status: true, records: Records::Survey };
    vec![
        row("/plan", Stage::Opened, plan(), &[Employee][..], false),
        row("/plan/submit", Stage::PlanDrafted, json!({}), &[Employee], false),
        row("/plan/return", Stage::PlanSubmitted, json!({"reason": "Tambahkan indikator kualitas"}), &[Rater], false),
        row("/plan/agree", Stage::PlanSubmitted, json!({}), &[Rater], false),
        row(
            "/feedback",
            Stage::TargetsAgreed,
            json!({"about": "behaviour", "text": "Kolaboratif dan tepat waktu"}),
            &[Rater, Superior, Nominee],
            true,
        ),
        row(
            "/realisations",
            Stage::TargetsAgreed,
            json!({"indicator_id": "iki-1", "value": 2, "evidence": "ND-12/2026"}),
            &[Employee],
            true,
        ),
        row("/score", Stage::TargetsAgreed, score_body(), &[Rater], false),
        row("/accept", Stage::Scored, json!({}), &[Employee], false),
        row("/objection", Stage::Scored, json!({"reason": "Realisasi melebihi target"}), &[Employee], false),
        row(
            "/forum/resolve",
            Stage::Objected,
            json!({"outcome": "upheld", "minutes": "Berita acara forum: nilai tetap"}),
            &[Superior],
            false,
        ),
        row("/finalize", Stage::Accepted, json!({}), &[Rater, Admin], false),
        // Voices beyond the rater (issue 13).
        row(
            "/expectations",
            Stage::TargetsAgreed,
            json!({"expectations": [{"value": "kolaboratif", "expectation": "Berbagi data dengan bidang lain"}]}),
            &[Rater],
            true,
        ),
        row("/dialogues", Stage::TargetsAgreed, json!({"held_on": "2026-02-02", "topics": "Capaian Januari", "agreed_actions": []}), &[Rater], true),
        row("/dialogues/6/acknowledge", Stage::TargetsAgreed, json!({}), &[Employee], true),
        row(
            "/self-assessment",
            Stage::TargetsAgreed,
            json!({"period": "annual", "results_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "narrative": "Target terlampaui"}),
            &[Employee],
            true,
        ),
        row("/evaluators", Stage::TargetsAgreed, nomination(NOMINEE), &[Rater], true),
        survey("/survey", survey_answer(), &[Nominee]),
        survey("/public-feedback", json!({"channel": "loket", "service_ref": "LKT-2026-0001", "score": 4, "text": "Pelayanan cepat"}), &[ServiceDesk]),
    ]
}

#[tokio::test]
async fn every_appraisal_command_is_allowed_to_its_people_only_and_a_refusal_records_nothing() {
    let app = spawn_app().await;
    let mut shared: HashMap<Stage, String> = HashMap::new();
    let mut checked = 0;
    for row in table() {
        if let Entry::Vacant(slot) = shared.entry(row.from) {
            slot.insert(appraisal_at(&app, row.from).await);
        }
        let id = shared[&row.from].clone();
        let path = format!("/v1/appraisals/{id}{}", row.route);

        for who in EVERYONE.into_iter().filter(|w| !row.allowed.contains(w)) {
            let (before, survey_before) = (version(&app, &id).await, survey_entries(&app, &id).await);
            let answer = call(&app, who, &path, Some(row.body.clone())).await;
            if answer.status != 401 {
                let content_type = answer.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
                assert_eq!(content_type, "application/problem+json", "{} as {who:?}", row.route);
            }
            assert_refused(answer, who, row.route);
            assert_eq!(version(&app, &id).await, before, "a refused {} as {who:?} recorded nothing", row.route);
            assert_eq!(survey_entries(&app, &id).await, survey_before, "a refused {} as {who:?} recorded nothing on the survey", row.route);
            checked += 1;
        }

        for &who in row.allowed {
            let target = if row.keeps_status { id.clone() } else { appraisal_at(&app, row.from).await };
            let before = recorded(&app, &target, row.records).await;
            let path = format!("/v1/appraisals/{target}{}", row.route);
            let answer = call(&app, who, &path, Some(row.body.clone())).await;
            let body = answer.expect(200);
            assert_eq!(body["aggregate_id"], target.as_str(), "{} as {who:?}", row.route);
            if row.records == Records::Appraisal {
                assert_eq!(body["version"], before + 1, "{} as {who:?}: one new event", row.route);
            }
            assert_eq!(recorded(&app, &target, row.records).await, before + 1, "{} as {who:?}: one new event", row.route);
            checked += 1;
        }
    }
    assert_eq!(checked, 18 * 10);

    // The roles in which the allowed callers acted, as recorded.
    let history = app.history(&shared[&Stage::TargetsAgreed]).await;
    let roles: Vec<(&str, &str)> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "FeedbackGiven")
        .map(|e| (e["actor"]["nip"].as_str().unwrap(), e["actor"]["role"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [(RATER, "rater"), (SUPERIOR, "rater_superior"), (NOMINEE, "peer")]);
    let history = app.history(&shared[&Stage::TargetsAgreed]).await;
    assert!(history["events"].as_array().unwrap().iter().all(|e| e["type"] != "BehaviourRated" && e["type"] != "PublicFeedbackRecorded"), "the appraisal holds no survey answer");
}

#[tokio::test]
async fn only_an_admin_opens_cycles_and_appraisals() {
    let app = spawn_app().await;
    let cycle_body = json!({"organization": "Badan Kepegawaian Daerah Kota Contoh", "year": 2026, "plan_due": "2026-01-31",
        "objection_window_days": 14, "decision_window_days": 14});
    for who in EVERYONE.into_iter().filter(|w| *w != Admin) {
        assert_refused(call(&app, who, "/v1/cycles", Some(cycle_body.clone())).await, who, "open cycle");
    }
    let opened = call(&app, Admin, "/v1/cycles", Some(cycle_body)).await.expect(201);
    assert_eq!(opened["version"], 1);
    let cycle = opened["aggregate_id"].as_str().unwrap().to_owned();

    let path = format!("/v1/cycles/{cycle}/appraisals");
    let people = people(EMPLOYEE, RATER, SUPERIOR);
    for who in EVERYONE.into_iter().filter(|w| *w != Admin) {
        assert_refused(call(&app, who, &path, Some(people.clone())).await, who, "open appraisal");
    }
    // Nothing was recorded by the refusals: the admin's opening is the first (not a 409).
    let opened = call(&app, Admin, &path, Some(people.clone())).await.expect(201);
    assert_eq!(opened["version"], 1);
    let id = opened["aggregate_id"].as_str().unwrap().to_owned();
    assert_eq!(version(&app, &id).await, 1);
    // A second opening for the same employee is a 409 (for the admin), still a 403 for others.
    call(&app, Admin, &path, Some(people.clone())).await.expect_problem(409, "already_exists");
    assert_refused(call(&app, Rater, &path, Some(people)).await, Rater, "open appraisal again");
    assert_eq!(version(&app, &id).await, 1);
}

#[tokio::test]
async fn the_three_people_admins_and_inspectors_read_an_appraisal_peers_do_not() {
    let app = spawn_app().await;
    let id = appraisal_at(&app, Stage::Scored).await;
    let last = app.history(&id).await["events"].as_array().unwrap().len();
    assert_eq!(last, 7);
    let reads = [
        format!("/v1/appraisals/{id}"),
        format!("/v1/appraisals/{id}/history"),
        format!("/v1/appraisals/{id}/replay?as_of_version=1"),
        format!("/v1/appraisals/{id}/audit"),
    ];
    for path in &reads {
        for who in EVERYONE {
            let allowed = matches!(who, Employee | Rater | Superior | Admin | Inspector);
            let answer = if allowed && path.ends_with("/audit") {
                // The audit comes from a read model: wait for it to reach the appraisal.
                let mut answer = call(&app, who, path, None).await;
                for _ in 0..100 {
                    if answer.status != 504 && answer.status != 404 {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    answer = call(&app, who, path, None).await;
                }
                answer
            } else {
                call(&app, who, path, None).await
            };
            if allowed {
                let body = answer.expect(200);
                if path.ends_with(&id) {
                    assert_eq!(body["status"], "scored", "{path} as {who:?}");
                    assert_eq!(body["version"], 7);
                } else if path.ends_with("/history") {
                    assert_eq!(body["events"].as_array().map(Vec::len), Some(7), "{path} as {who:?}");
                } else if path.contains("/replay") {
                    assert_eq!(body["status"], "opened", "{path} as {who:?}");
                    assert_eq!(body["version"], 1);
                } else {
                    assert!(body["verdict"].is_string(), "{path} as {who:?}: {body}");
                }
            } else {
                assert_refused(answer, who, path);
            }
        }
    }
    assert_eq!(version(&app, &id).await, 7, "reading records nothing");
}

/// The cycle-wide reads (the dashboard's) are for admins and inspectors; a career for its
/// employee, admins and inspectors; the dashboard page itself for anyone.
#[tokio::test]
async fn every_read_model_route_answers_only_its_readers() {
    let app = spawn_app().await;
    let cycle = app.open_cycle().await;
    app.agreed_appraisal_in(&cycle, EMPLOYEE).await;
    let last = app.app_state.bus.store().last_sequence().await.unwrap();
    app.get(&format!("/v1/cycles/{cycle}/progress?min_sequence={last}")).await.expect(200);
    let staff_only = [
        "/v1/cycles".to_owned(),
        format!("/v1/cycles/{cycle}/progress"),
        format!("/v1/cycles/{cycle}/findings"),
        format!("/v1/cycles/{cycle}/appraisals"),
        format!("/v1/cycles/{cycle}/voices"),
    ];
    for path in &staff_only {
        for who in EVERYONE {
            let answer = call(&app, who, path, None).await;
            if matches!(who, Admin | Inspector) {
                assert_eq!(answer.status, 200, "{path} as {who:?}: {}", answer.body);
            } else {
                assert_refused(answer, who, path);
            }
        }
    }
    let listed = call(&app, Inspector, &format!("/v1/cycles/{cycle}/appraisals"), None).await.expect(200);
    assert_eq!(listed["appraisals"][0]["employee_nip"], EMPLOYEE);
    assert_eq!(listed["appraisals"][0]["status"], "targets_agreed");
    call(&app, Inspector, &format!("/v1/cycles/{cycle}/appraisals?status=sideways"), None).await.expect_problem(422, "invalid_status");
    let cycles = call(&app, Admin, "/v1/cycles", None).await.expect(200);
    assert!(cycles["cycles"].as_array().unwrap().iter().any(|c| c["cycle_id"] == cycle.as_str() && c["total"] == 1), "{cycles}");

    let career = format!("/v1/employees/{EMPLOYEE}/career");
    for who in EVERYONE {
        let answer = call(&app, who, &career, None).await;
        if matches!(who, Employee | Admin | Inspector) {
            assert_eq!(answer.status, 200, "career as {who:?}: {}", answer.body);
        } else {
            assert_refused(answer, who, "career");
        }
    }
    let page = call(&app, Nobody, "/dashboard", None).await;
    assert_eq!(page.status, 200);
    let csp = page.headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
}

/// The 360 view (issue 13): the employee reads aggregates only, the rater's side (rater,
/// superior, admin, inspector) everything; nominees, other ASN and the service desk nothing.
#[tokio::test]
async fn the_360_view_is_read_in_full_by_the_raters_side_as_aggregates_by_the_employee_and_by_nobody_else() {
    let app = spawn_app().await;
    let id = appraisal_at(&app, Stage::TargetsAgreed).await;
    call(&app, Nominee, &format!("/v1/appraisals/{id}/survey"), Some(survey_answer())).await.expect(200);
    let path = format!("/v1/appraisals/{id}/feedback-360?period=annual");
    for who in EVERYONE {
        let answer = call(&app, who, &path, None).await;
        match who {
            Employee => {
                let body = answer.expect(200);
                assert_eq!((body["view"].as_str(), body["answers"].as_u64()), (Some("aggregates"), Some(1)), "{body}");
                assert!(body["by_value"].is_null() && body.get("responses").is_none(), "one answer is not shown to the employee: {body}");
            }
            Rater | Superior | Admin | Inspector => {
                let body = answer.expect(200);
                assert_eq!(body["view"], "full", "{who:?}: {body}");
                assert_eq!(body["responses"][0]["evaluator_nip"], NOMINEE, "{who:?}");
                assert_eq!(body["by_value"]["loyal"]["median"], "sesuai_ekspektasi", "{who:?}");
            }
            _ => assert_refused(answer, who, "feedback-360"),
        }
    }
    // Values are looked at only once the caller may read: a stranger's bad period is a 403.
    call(&app, Peer, &format!("/v1/appraisals/{id}/feedback-360?period=2026-13"), None).await.expect_problem(403, "forbidden");
    call(&app, Employee, &format!("/v1/appraisals/{id}/feedback-360?period=2026-13"), None).await.expect_problem(422, "invalid_period");
    call(&app, Employee, &format!("/v1/appraisals/{id}/feedback-360?period=2025-12"), None).await.expect_problem(422, "invalid_period");
    let unknown = uuid::Uuid::new_v4();
    call(&app, Admin, &format!("/v1/appraisals/{unknown}/feedback-360"), None).await.expect_problem(404, "not_found");
}

// ---------------------------------------------------------------- development plans (issue 14)

/// A mentor named on an action of a development plan, with no other part in the appraisal.
const MENTOR: &str = "198704042012011004";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PlanWho {
    Is(Who),
    Mentor,
}

const PLAN_CALLERS: [PlanWho; 8] = [
    PlanWho::Is(Employee),
    PlanWho::Is(Rater),
    PlanWho::Is(Superior),
    PlanWho::Is(Peer),
    PlanWho::Mentor,
    PlanWho::Is(Admin),
    PlanWho::Is(Inspector),
    PlanWho::Is(Nobody),
];

async fn plan_call(app: &TestApp, who: PlanWho, path: &str, body: Option<Value>) -> Answer {
    match who {
        PlanWho::Is(who) => call(app, who, path, body).await,
        PlanWho::Mentor => {
            let request = match &body {
                Some(body) => app.http.post(app.url(path)).json(body),
                None => app.http.get(app.url(path)),
            };
            app.send(request.bearer_auth(app.token(MENTOR, &[]))).await
        }
    }
}

#[track_caller]
fn assert_plan_refused(answer: Answer, who: PlanWho, what: &str) {
    match who {
        PlanWho::Is(who) => assert_refused(answer, who, what),
        PlanWho::Mentor => assert_refused(answer, Peer, what),
    }
}

/// How far a fresh plan is brought before a command is tried on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PlanStage {
    /// The appraisal is final, no plan yet.
    Final,
    /// Opened, with action A1 (mentor [`MENTOR`]).
    WithAction,
    /// A1 completed by the employee.
    Completed,
    /// Reviewed `not_improved`.
    NotImproved,
}

/// A fresh final appraisal (`baik`, in a cycle of its own) and its plan at `stage`: (appraisal
/// id, plan id).
async fn plan_at(app: &TestApp, stage: PlanStage) -> (String, String) {
    let id = appraisal_at(app, Stage::Accepted).await;
    app.post(RATER, &format!("/v1/appraisals/{id}/finalize"), json!({})).await.expect(200);
    let plan = skp_events::ids::development_plan_id(uuid::Uuid::parse_str(&id).unwrap()).to_string();
    if stage == PlanStage::Final {
        return (id, plan);
    }
    app.post(RATER, &format!("/v1/appraisals/{id}/development"), json!({})).await.expect(201);
    let due = app.clock.now().date().to_string();
    let action = json!({"action_id": "A1", "type": "mentoring", "description": "Pendampingan", "due": due, "mentor_nip": MENTOR});
    app.post(RATER, &format!("/v1/development/{plan}/actions"), action).await.expect(200);
    if stage >= PlanStage::Completed {
        app.post(EMPLOYEE, &format!("/v1/development/{plan}/actions/A1/complete"), json!({"evidence": "Laporan"})).await.expect(200);
    }
    if stage == PlanStage::NotImproved {
        app.post(RATER, &format!("/v1/development/{plan}/review"), json!({"outcome": "not_improved", "basis": "Belum membaik"})).await.expect(200);
    }
    (id, plan)
}

impl PartialOrd for PlanStage {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        let rank = |s: &PlanStage| *s as u8;
        rank(self).partial_cmp(&rank(other))
    }
}

async fn plan_version(app: &TestApp, plan: &str) -> Option<u64> {
    let answer = call(app, Admin, &format!("/v1/development/{plan}"), None).await;
    (answer.status == 200).then(|| answer.body["version"].as_u64().unwrap())
}

/// Every development route, sent by every kind of caller (the employee, the rater, the rater's
/// superior, a peer, an action's mentor, an admin, an inspector, no token): the allowed get
/// 200/201 and one new event (or the plan as they read it), the others 403 (401 without a
/// token) and nothing recorded.
#[tokio::test]
async fn every_development_route_is_allowed_to_its_people_only_and_a_refusal_records_nothing() {
    let app = spawn_app().await;
    let today = app.clock.now().date().to_string();
    struct PlanRow {
        route: &'static str,
        from: PlanStage,
        body: Value,
        allowed: Vec<PlanWho>,
        /// Whether the command leaves the plan able to take it again from another caller.
        repeatable: bool,
    }
    let (rater, mentor, admin) = (PlanWho::Is(Rater), PlanWho::Mentor, PlanWho::Is(Admin));
    let rows = [
        PlanRow { route: "open", from: PlanStage::Final, body: json!({}), allowed: vec![rater, admin], repeatable: false },
        PlanRow {
            route: "/actions",
            from: PlanStage::WithAction,
            body: json!({"action_id": "A2", "type": "pelatihan", "description": "Diklat", "due": today}),
            allowed: vec![rater],
            repeatable: false,
        },
        PlanRow {
            route: "/sessions",
            from: PlanStage::WithAction,
            body: json!({"action_id": "A1", "held_on": today, "notes": "Sesi pendampingan"}),
            allowed: vec![rater, mentor],
            repeatable: true,
        },
        PlanRow { route: "/actions/A1/complete", from: PlanStage::WithAction, body: json!({"evidence": "Laporan"}), allowed: vec![PlanWho::Is(Employee)], repeatable: false },
        PlanRow { route: "/actions/A1/confirm", from: PlanStage::Completed, body: json!({}), allowed: vec![rater], repeatable: false },
        PlanRow { route: "/review", from: PlanStage::WithAction, body: json!({"outcome": "improved", "basis": "Membaik"}), allowed: vec![rater], repeatable: false },
        PlanRow { route: "/follow-up", from: PlanStage::NotImproved, body: json!({"measure": "mutasi", "basis": "SK 800/1"}), allowed: vec![admin], repeatable: false },
    ];
    let mut checked = 0;
    for row in &rows {
        let (appraisal, plan) = plan_at(&app, row.from).await;
        let path = |plan: &str, appraisal: &str| if row.route == "open" { format!("/v1/appraisals/{appraisal}/development") } else { format!("/v1/development/{plan}{}", row.route) };
        for who in PLAN_CALLERS.into_iter().filter(|w| !row.allowed.contains(w)) {
            let before = plan_version(&app, &plan).await;
            let answer = plan_call(&app, who, &path(&plan, &appraisal), Some(row.body.clone())).await;
            assert_plan_refused(answer, who, row.route);
            assert_eq!(plan_version(&app, &plan).await, before, "a refused {} as {who:?} recorded nothing", row.route);
            checked += 1;
        }
        for (n, &who) in row.allowed.iter().enumerate() {
            let (appraisal, plan) = if row.repeatable || n == 0 { (appraisal.clone(), plan.clone()) } else { plan_at(&app, row.from).await };
            let before = plan_version(&app, &plan).await.unwrap_or(0);
            let answer = plan_call(&app, who, &path(&plan, &appraisal), Some(row.body.clone())).await;
            let body = answer.expect(if row.route == "open" { 201 } else { 200 });
            assert_eq!(body["aggregate_id"], plan.as_str(), "{} as {who:?}", row.route);
            assert_eq!(body["version"], before + 1, "{} as {who:?}: one new event", row.route);
            checked += 1;
        }
    }
    assert_eq!(checked, rows.len() * PLAN_CALLERS.len());

    // Reads: the plan, the appraisal's plan, the plan's history, the cycle's pembinaan.
    let (appraisal, plan) = plan_at(&app, PlanStage::WithAction).await;
    let cycle = call(&app, Admin, &format!("/v1/appraisals/{appraisal}"), None).await.expect(200)["cycle_id"].as_str().unwrap().to_owned();
    let last = app.app_state.bus.store().last_sequence().await.unwrap();
    call(&app, Admin, &format!("/v1/cycles/{cycle}/pembinaan?min_sequence={last}"), None).await.expect(200);
    let people = [PlanWho::Is(Employee), PlanWho::Is(Rater), PlanWho::Is(Superior), PlanWho::Is(Admin), PlanWho::Is(Inspector)];
    let reads: [(String, &[PlanWho], Option<PlanWho>); 4] = [
        (format!("/v1/development/{plan}"), &people, Some(mentor)),
        (format!("/v1/appraisals/{appraisal}/development"), &people, Some(mentor)),
        (format!("/v1/development/{plan}/history"), &people, None),
        (format!("/v1/cycles/{cycle}/pembinaan"), &[PlanWho::Is(Admin), PlanWho::Is(Inspector)], None),
    ];
    for (path, whole, part) in &reads {
        for who in PLAN_CALLERS {
            let answer = plan_call(&app, who, path, None).await;
            if whole.contains(&who) {
                let body = answer.expect(200);
                if path.ends_with("/history") {
                    assert_eq!(body["chain_valid"], true, "{path} as {who:?}");
                } else if path.ends_with("/pembinaan") {
                    assert_eq!(body["cycle_id"], cycle.as_str(), "{path} as {who:?}");
                } else {
                    assert_eq!((body["plan_id"].as_str(), body["rater"]["nip"].as_str()), (Some(plan.as_str()), Some(RATER)), "{path} as {who:?}");
                }
            } else if *part == Some(who) {
                let body = answer.expect(200);
                assert!(body.get("rater").is_none() && body["actions"].as_array().map(Vec::len) == Some(1), "{path} as the mentor: {body}");
            } else {
                assert_plan_refused(answer, who, path);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, (rows.len() + reads.len()) * PLAN_CALLERS.len());
}
