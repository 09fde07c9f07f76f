//! The survey chain and the `skp` tool (issue 13): `skp verify` checks survey chains with
//! the others, `skp export` puts an appraisal's survey into the evidence bundle only for a
//! caller who may read it (a verified `--token`), `skp verify --bundle` re-checks it offline,
//! and bundles written before (format 1) still verify.

use crate::cli::{run_skp, skp_binary};
use crate::common::*;
use serde_json::{json, Value};
use skp_cli::verify::{verify, Scope};
use uuid::Uuid;

const NOMINEES: [&str; 3] = ["199503032020122001", "199404042019032003", "199306062018011004"];
const SERVICE_DESK: &str = "198807072012011004";

/// A cycle with one scored appraisal whose survey holds three answers and one piece of public
/// feedback: 1 cycle event, 7 appraisal events (opened, plan, submit, agree, nominated,
/// feedback, score), 4 survey events.
async fn surveyed(app: &TestApp) -> (String, String) {
    let cycle = app.open_cycle().await;
    let id = app.agreed_appraisal_in(&cycle, EMPLOYEE).await;
    let at = |path: &str| format!("/v1/appraisals/{id}{path}");
    let evaluators: Vec<Value> = NOMINEES.iter().map(|nip| json!({"nip": nip, "name": "Rekan", "relation": "peer"})).collect();
    app.post(RATER, &at("/evaluators"), json!({"evaluators": evaluators})).await.expect(200);
    let values = ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif"];
    let ratings: serde_json::Map<String, Value> = values.iter().map(|v| ((*v).to_owned(), json!("sesuai_ekspektasi"))).collect();
    for nominee in NOMINEES {
        app.post(nominee, &at("/survey"), json!({"period": "annual", "ratings": ratings, "comment": "Rahasia"})).await.expect(200);
    }
    app.post_as(SERVICE_DESK, &["service_desk"], &at("/public-feedback"), json!({"channel": "loket", "service_ref": "LKT-7", "score": 4})).await.expect(200);
    app.post(RATER, &at("/feedback"), json!({"about": "results", "text": "Baik"})).await.expect(200);
    app.post(RATER, &at("/score"), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi"})).await.expect(200);
    (cycle, id)
}

fn offline(path: &std::path::Path) -> (i32, String) {
    let output = std::process::Command::new(skp_binary()).args(["verify", "--bundle", path.to_str().unwrap()]).env_clear().output().unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
}

fn read(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn skp_verify_checks_the_survey_chains_with_the_others_and_names_a_broken_one() {
    let app = spawn_app().await;
    let (cycle, id) = surveyed(&app).await;
    let all = verify(&app.settings.store, Scope::All).await.unwrap();
    assert!(all.intact, "{}", all.to_text());
    assert_eq!((all.aggregates, all.events), (3, 1 + 7 + 4));
    let other = app.open_cycle().await;
    let in_cycle = verify(&app.settings.store, Scope::Cycle(Uuid::parse_str(&cycle).unwrap())).await.unwrap();
    assert_eq!((in_cycle.aggregates, in_cycle.events), (3, 1 + 7 + 4), "the survey of an appraisal of the cycle is in the cycle");
    let elsewhere = verify(&app.settings.store, Scope::Cycle(Uuid::parse_str(&other).unwrap())).await.unwrap();
    assert_eq!((elsewhere.aggregates, elsewhere.events), (1, 1));

    // A forged survey answer, appended with a wrong previous hash.
    let subject = format!("{}.survey.{id}", app.settings.store.subject_prefix);
    let stored = app.app_state.bus.store().load_after(&subject, 0).await.unwrap();
    let mut forged: Value = serde_json::from_slice(&stored[1].body).unwrap();
    forged["data"]["ratings"]["loyal"] = json!("di_bawah_ekspektasi");
    forged["version"] = json!(5);
    let js = async_nats::jetstream::new(app.nats().await);
    js.publish(subject, serde_json::to_vec(&forged).unwrap().into()).await.unwrap().await.unwrap();
    let (code, out, _) = run_skp(&app, &["verify", "--all"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("BREAK survey {id} at position 5")), "{out}");
}

#[tokio::test]
async fn skp_export_includes_the_survey_chain_only_for_a_caller_who_may_read_it_and_verify_rechecks_it() {
    let app = spawn_app().await;
    let (_, id) = surveyed(&app).await;
    let dir = std::env::temp_dir().join(format!("skp-survey-bundle-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| dir.join(name);
    let export = |file: &str, token: Option<String>| {
        let mut line = vec!["export".to_owned(), id.clone(), "-o".to_owned(), path(file).to_str().unwrap().to_owned()];
        if let Some(token) = token {
            line.extend(["--token".to_owned(), token]);
        }
        let refs: Vec<&str> = line.iter().map(String::as_str).collect();
        run_skp(&app, &refs)
    };

    // Without a token, and for the employee: no survey, and the bundle says why.
    let (code, out, err) = export("plain.json", None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("no survey"), "{out}");
    let plain = read(&path("plain.json"));
    assert_eq!(plain["format"], "skp-evidence-bundle/2");
    assert!(plain.get("survey").is_none() && plain["survey_withheld"].as_str().unwrap().contains("--token"), "{plain}");
    let (code, _, _) = export("employee.json", Some(app.token(EMPLOYEE, &[])));
    assert_eq!(code, 0);
    let employee = read(&path("employee.json"));
    assert!(employee.get("survey").is_none());
    assert!(employee["survey_withheld"].as_str().unwrap().contains(&format!("{EMPLOYEE} may not read the survey")), "{employee}");
    let text = std::fs::read_to_string(path("employee.json")).unwrap();
    assert!(!text.contains("BehaviourRated") && !text.contains("Rahasia"), "no answer in a bundle for the employee");
    let (code, out) = offline(&path("employee.json"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no survey chain in the bundle"), "{out}");

    // A bad token is refused outright.
    let (code, _, err) = export("bad.json", Some("not-a-token".into()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--token"), "{err}");

    // For an inspector (and the rater): the survey's events exactly as stored.
    for (file, token) in [("inspector.json", app.token(INSPECTOR, &["inspector"])), ("rater.json", app.token(RATER, &[]))] {
        let (code, out, err) = export(file, Some(token));
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("survey: 4 events, chain intact"), "{out}");
    }
    let bundle = read(&path("inspector.json"));
    let subject = format!("{}.survey.{id}", app.settings.store.subject_prefix);
    let stored = app.app_state.bus.store().load_after(&subject, 0).await.unwrap();
    let bodies: Vec<String> = stored.iter().map(|m| String::from_utf8(m.body.to_vec()).unwrap()).collect();
    let bundled: Vec<String> = bundle["survey"]["events"].as_array().unwrap().iter().map(|e| e["stored"].as_str().unwrap().to_owned()).collect();
    assert_eq!(bundled, bodies);
    assert_eq!(bundle["survey"]["exported_for"], json!({"nip": INSPECTOR, "roles": ["inspector"]}));
    assert_eq!(bundle["survey"]["chain_valid"], true);
    let (code, out) = offline(&path("inspector.json"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("survey: 4 events") && out.contains("its survey's"), "{out}");

    // An answer edited in the bundle is caught, naming the survey and the position.
    let mut edited = bundle.clone();
    let text = edited["survey"]["events"][1]["stored"].as_str().unwrap().replace("sesuai_ekspektasi", "di_atas_ekspektasi");
    edited["survey"]["events"][1]["stored"] = json!(text);
    std::fs::write(path("edited.json"), serde_json::to_string(&edited).unwrap()).unwrap();
    let (code, out) = offline(&path("edited.json"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("NOT INTACT") && out.contains("survey chain break at position 2"), "{out}");
    // A survey event of another aggregate slipped in is caught too.
    let mut foreign = bundle.clone();
    foreign["survey"]["events"][0] = bundle["events"][0].clone();
    std::fs::write(path("foreign.json"), serde_json::to_string(&foreign).unwrap()).unwrap();
    let (code, out) = offline(&path("foreign.json"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("belongs to appraisal"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_bundle_written_in_format_1_still_verifies_on_what_it_claimed() {
    let app = spawn_app().await;
    let (_, id) = surveyed(&app).await;
    let dir = std::env::temp_dir().join(format!("skp-old-bundle-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("new.json");
    let (code, _, err) = run_skp(&app, &["export", &id, "-o", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // As an earlier version wrote it: format 1, states without the fields added since, an
    // audit report without information and with the earlier wording.
    let mut old = read(&file);
    old["format"] = json!("skp-evidence-bundle/1");
    old.as_object_mut().unwrap().remove("survey_withheld");
    for state in old["states"].as_array_mut().unwrap() {
        for key in ["expectations", "dialogues", "self_assessments", "evaluators"] {
            state["state"].as_object_mut().unwrap().remove(key);
        }
    }
    old["audit"].as_object_mut().unwrap().remove("information");
    old["audit"]["checks"][2]["detail"] = json!("TargetsAgreed (v4) and 1 feedback(s) preceded the first score, ScoreGiven (v7)");
    let path = dir.join("old.json");
    std::fs::write(&path, serde_json::to_string(&old).unwrap()).unwrap();
    let (code, out) = offline(&path);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("note: format skp-evidence-bundle/1") && out.contains("intact"), "{out}");
    // What it claimed is still checked.
    old["states"][6]["state"]["status"] = json!("final");
    std::fs::write(&path, serde_json::to_string(&old).unwrap()).unwrap();
    let (code, out) = offline(&path);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("after version 7"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
