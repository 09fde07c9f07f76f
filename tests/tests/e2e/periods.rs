//! Periodic evaluation and unit capaian end to end (issue 12), through the HTTP API on real
//! JetStream and PostgreSQL, with the injected clock moved to the instants that matter: a
//! monthly cycle through twelve periods to a final score, `periods_pending`, corrections
//! inside and outside the window, the capaian of units and the pattern of each.

use crate::common::*;
use serde_json::{json, Value};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// A year still to come, so that every period of it can be reached by moving the clock on.
pub fn next_year() -> i32 {
    OffsetDateTime::now_utc().year() + 1
}

/// 00:00 local time (UTC+`offset`) of the first day of `month` (13: January next year).
pub fn local_midnight(year: i32, month: u8, offset: i8) -> OffsetDateTime {
    let (year, month) = if month > 12 { (year + 1, month - 12) } else { (year, month) };
    let date = Date::from_calendar_date(year, Month::try_from(month).unwrap(), 1).unwrap();
    PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(UtcOffset::from_hms(offset, 0, 0).unwrap()).to_offset(UtcOffset::UTC)
}

/// Moves the app's clock on to `at` (never back).
pub fn set_clock(app: &TestApp, at: OffsetDateTime) {
    let now = app.clock.now();
    assert!(at > now, "the clock only moves forward ({at} is before {now})");
    app.clock.advance(at - now);
}

/// Opens a cycle of `year` evaluating by `period` in the time zone UTC+`offset`.
pub async fn open_periodic_cycle(app: &TestApp, year: i32, period: &str, offset: i8) -> String {
    let body = json!({"organization": "BKPSDM Kabupaten Contoh", "year": year, "plan_due": format!("{year}-01-31"),
        "period": period, "period_entry_days": 10, "utc_offset_hours": offset});
    let opened = app.post_as(ADMIN, &["admin"], "/v1/cycles", body).await.expect(201);
    opened["aggregate_id"].as_str().unwrap().to_owned()
}

fn employee(i: usize) -> String {
    format!("199001012015011{i:03}")
}

fn ratings(results: &str, behaviour: &str) -> Value {
    json!({"results_rating": results, "behaviour_rating": behaviour})
}

fn evaluation(id: &str, period: &str) -> String {
    format!("/v1/appraisals/{id}/periods/{period}/evaluation")
}

fn correction(id: &str, period: &str) -> String {
    format!("/v1/appraisals/{id}/periods/{period}/correction")
}

#[tokio::test]
async fn a_monthly_cycle_goes_through_twelve_periods_to_a_final_score() {
    let app = spawn_app().await;
    let year = next_year();
    let cycle = open_periodic_cycle(&app, year, "monthly", 8).await; // WITA
    let id = app.agreed_appraisal_in(&cycle, EMPLOYEE).await;
    app.post(RATER, &format!("/v1/appraisals/{id}/feedback"), json!({"about": "results", "text": "Laporan bulanan tepat waktu"})).await.expect(200);
    let behaviour = ["di_atas_ekspektasi", "sesuai_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"];
    for month in 1..=12u8 {
        set_clock(&app, local_midnight(year, month + 1, 8) + time::Duration::hours(5));
        let period = format!("{year}-{month:02}");
        let periods = app.get(&format!("/v1/appraisals/{id}/periods")).await.expect(200);
        assert_eq!(periods["periods"][usize::from(month - 1)]["status"], "due", "{period} is due once it ended");
        assert_eq!(periods["pending"], json!([period]));
        let body = ratings("sesuai_ekspektasi", behaviour[usize::from(month) % 4]);
        app.post(RATER, &evaluation(&id, &period), body).await.expect(200);
    }
    let march = format!("{year}-03");
    let fix = json!({"results_rating": "di_atas_ekspektasi", "behaviour_rating": "di_atas_ekspektasi", "reason": "Bukti dukung Maret menyusul"});
    app.post(RATER, &correction(&id, &march), fix.clone()).await.expect_problem(409, "period_locked");
    let december = format!("{year}-12");
    app.post(RATER, &correction(&id, &december), fix).await.expect(200);
    app.post(RATER, &format!("/v1/appraisals/{id}/score"), ratings("sesuai_ekspektasi", "sesuai_ekspektasi")).await.expect(200);
    app.post(EMPLOYEE, &format!("/v1/appraisals/{id}/accept"), json!({})).await.expect(200);
    let last = app.post(RATER, &format!("/v1/appraisals/{id}/finalize"), json!({})).await.expect(200);
    let seq = last["stream_sequence"].as_u64().unwrap();

    let periods = app.get(&format!("/v1/appraisals/{id}/periods")).await.expect(200);
    assert_eq!(periods["period_kind"], "monthly");
    assert_eq!((periods["utc_offset_hours"].clone(), periods["evaluations_open"].clone(), periods["pending"].clone()), (json!(8), json!(false), json!([])));
    let statuses: Vec<&str> = periods["periods"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
    assert_eq!(statuses[..11], ["locked"; 11]);
    assert_eq!(statuses[11], "evaluated", "December is still within its entry days");
    assert_eq!(periods["periods"][11]["evaluation"]["predikat"], "sangat_baik", "the correction stands");
    assert_eq!(periods["periods"][11]["evaluation"]["corrected"], true);
    assert_eq!(periods["periods"][0]["ends_at"], format!("{year}-01-31T16:00:00Z"), "00:00 WITA on 1 February");

    let career = app.get(&format!("/v1/employees/{EMPLOYEE}/career?min_sequence={seq}")).await.expect(200);
    let history: Vec<(&str, &str)> = career["periods"].as_array().unwrap().iter().map(|p| (p["period"].as_str().unwrap(), p["predikat"].as_str().unwrap())).collect();
    assert_eq!(history.len(), 12, "{career}");
    assert_eq!(history[0], (format!("{year}-01").as_str(), "baik"));
    assert_eq!(history[2], (march.as_str(), "kurang"));
    assert_eq!(history[11], (december.as_str(), "sangat_baik"));
    assert_eq!(career["history"][0]["predikat"], "baik");

    let audit = app.get(&format!("/v1/appraisals/{id}/audit?min_sequence={seq}")).await.expect(200);
    assert_eq!(audit["verdict"], "fair", "{audit}");
    let check7 = audit["checks"].as_array().unwrap().iter().find(|c| c["name"] == "periods_complete").unwrap().clone();
    assert_eq!(check7["passed"], true, "{check7}");
    assert!(check7["detail"].as_str().unwrap().starts_with("12 period(s) evaluated and 1 correction(s)"), "{check7}");

    let progress = app.get(&format!("/v1/cycles/{cycle}/periods/{march}/progress?min_sequence={seq}")).await.expect(200);
    assert_eq!((progress["total"].clone(), progress["due"].clone(), progress["evaluated"].clone(), progress["overdue"].clone()), (json!(1), json!(1), json!(1), json!(0)));
    assert_eq!(progress["status"], "locked");
    assert_eq!(progress["by_predikat"]["kurang"], 1);
}

#[tokio::test]
async fn the_score_waits_until_every_ended_period_is_evaluated_and_names_them() {
    let app = spawn_app().await;
    let year = next_year();
    let cycle = open_periodic_cycle(&app, year, "monthly", 7).await;
    let id = app.agreed_appraisal_in(&cycle, EMPLOYEE).await;
    app.post(RATER, &format!("/v1/appraisals/{id}/feedback"), json!({"about": "results", "text": "Tepat waktu"})).await.expect(200);
    set_clock(&app, local_midnight(year, 4, 7) + time::Duration::days(2));
    let score = format!("/v1/appraisals/{id}/score");
    let pending = app.post(RATER, &score, ratings("sesuai_ekspektasi", "sesuai_ekspektasi")).await.expect_problem(409, "periods_pending");
    assert!(pending["detail"].as_str().unwrap().ends_with(&format!("{year}-01, {year}-02, {year}-03")), "{pending}");
    for month in 1..=2 {
        app.post(RATER, &evaluation(&id, &format!("{year}-{month:02}")), ratings("sesuai_ekspektasi", "sesuai_ekspektasi")).await.expect(200);
    }
    let pending = app.post(RATER, &score, json!({"results_rating": "bukan", "behaviour_rating": "sesuai_ekspektasi"})).await.expect_problem(409, "periods_pending");
    assert!(pending["detail"].as_str().unwrap().ends_with(&format!("not evaluated: {year}-03")), "409 before the rating's 422: {pending}");
    app.post(RATER, &evaluation(&id, &format!("{year}-03")), ratings("di_bawah_ekspektasi", "sesuai_ekspektasi")).await.expect(200);
    app.post(RATER, &score, ratings("sesuai_ekspektasi", "sesuai_ekspektasi")).await.expect(200);
    app.post(RATER, &evaluation(&id, &format!("{year}-04")), ratings("sesuai_ekspektasi", "sesuai_ekspektasi")).await.expect_problem(409, "invalid_transition");
}

#[tokio::test]
async fn a_period_is_evaluated_once_after_it_ends_and_corrected_only_within_its_entry_days() {
    let app = spawn_app().await;
    let year = next_year();
    let cycle = open_periodic_cycle(&app, year, "monthly", 9).await; // WIT
    let id = app.agreed_appraisal_in(&cycle, EMPLOYEE).await;
    let january = format!("{year}-01");
    let ends = local_midnight(year, 2, 9);
    set_clock(&app, ends - time::Duration::minutes(10));
    let sesuai = ratings("sesuai_ekspektasi", "sesuai_ekspektasi");
    let early = app.post(RATER, &evaluation(&id, &january), sesuai.clone()).await.expect_problem(409, "period_not_ended");
    assert!(early["detail"].as_str().unwrap().contains(&format!("{year}-01-31T15:00:00Z")), "{early}");
    for bad in [format!("{year}-Q1"), format!("{}-12", year - 1), "januari".to_owned(), format!("{year}-13")] {
        app.post(RATER, &evaluation(&id, &bad), sesuai.clone()).await.expect_problem(422, "invalid_period");
    }
    app.post(EMPLOYEE, &evaluation(&id, &january), sesuai.clone()).await.expect_problem(403, "forbidden");
    app.post(SUPERIOR, &evaluation(&id, &january), sesuai.clone()).await.expect_problem(403, "forbidden");
    app.post_as(ADMIN, &["admin"], &evaluation(&id, &january), sesuai.clone()).await.expect_problem(403, "forbidden");
    app.post(RATER, &evaluation(&uuid::Uuid::new_v4().to_string(), &january), sesuai.clone()).await.expect_problem(404, "not_found");
    app.post(RATER, &evaluation(&id, &january), json!({"results_rating": "sesuai_ekspektasi"})).await.expect_problem(400, "malformed_body");

    set_clock(&app, ends + time::Duration::minutes(10));
    app.post(RATER, &evaluation(&id, &january), ratings("luar_biasa", "sesuai_ekspektasi")).await.expect_problem(422, "invalid_rating");
    app.post(RATER, &correction(&id, &january), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "reason": "x"})).await.expect_problem(409, "period_not_evaluated");
    let first = app.post(RATER, &evaluation(&id, &january), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "di_bawah_ekspektasi", "notes": "Disiplin perlu ditingkatkan"})).await.expect(200);
    app.post(RATER, &evaluation(&id, &january), sesuai.clone()).await.expect_problem(409, "period_evaluated");
    assert_eq!(first["version"], 5);
    app.post(RATER, &correction(&id, &january), json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "reason": " "})).await.expect_problem(422, "invalid_text");
    set_clock(&app, ends + time::Duration::days(9));
    let fix = json!({"results_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "reason": "Bukti kehadiran menyusul"});
    let key = uuid::Uuid::new_v4();
    let corrected = app.post_keyed(RATER, &correction(&id, &january), fix.clone(), key).await.expect(200);
    let retried = app.post_keyed(RATER, &correction(&id, &january), fix.clone(), key).await;
    assert_eq!(retried.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(retried.expect(200), corrected, "a retried correction records nothing new");
    let locks = ends + time::Duration::days(10);
    set_clock(&app, locks + time::Duration::minutes(1));
    let locked = app.post(RATER, &correction(&id, &january), fix).await.expect_problem(409, "period_locked");
    assert!(locked["detail"].as_str().unwrap().contains(&format!("{year}-02-10T15:00:00Z")), "{locked}");

    let view = app.get(&format!("/v1/appraisals/{id}/periods")).await.expect(200);
    let jan = &view["periods"][0];
    assert_eq!((jan["status"].as_str(), jan["evaluation"]["predikat"].as_str()), (Some("locked"), Some("baik")));
    assert_eq!(jan["evaluation"]["notes"], "Disiplin perlu ditingkatkan");
    assert_eq!(jan["evaluation"]["corrections"].as_array().unwrap().len(), 1);
    assert_eq!((view["periods"][1]["status"].as_str(), view["periods"][1]["overdue"].as_bool()), (Some("open"), Some(false)), "February ends at 00:00 WIT on 1 March");
}

#[tokio::test]
async fn an_annual_only_cycle_has_no_periods_and_refuses_period_commands() {
    let app = spawn_app().await;
    let id = app.agreed_appraisal().await;
    let view = app.get(&format!("/v1/appraisals/{id}/periods")).await.expect(200);
    assert_eq!((view["period_kind"].clone(), view["periods"].clone()), (json!("none"), json!([])));
    app.post(RATER, &evaluation(&id, "2026-01"), ratings("sesuai_ekspektasi", "sesuai_ekspektasi")).await.expect_problem(422, "invalid_period");
    app.get_as(PEER, &[], &format!("/v1/appraisals/{id}/periods")).await.expect_problem(403, "forbidden");
    let cycle = app.get(&format!("/v1/appraisals/{id}")).await.expect(200)["cycle_id"].as_str().unwrap().to_owned();
    let seq = app.post(RATER, &format!("/v1/appraisals/{id}/feedback"), json!({"about": "results", "text": "ok"})).await.expect(200)["stream_sequence"].clone();
    app.get(&format!("/v1/cycles/{cycle}/periods/2026-01/progress?min_sequence={seq}")).await.expect_problem(422, "invalid_period");
    for bad in [json!({"period": "weekly"}), json!({"period": "monthly", "utc_offset_hours": 6}), json!({"period": "monthly", "period_entry_days": 0})] {
        let mut body = json!({"organization": "BKPSDM", "year": 2026, "plan_due": "2026-01-31"});
        body.as_object_mut().unwrap().extend(bad.as_object().unwrap().clone());
        app.post_as(ADMIN, &["admin"], "/v1/cycles", body).await.expect_problem(422, "invalid_cycle");
    }
}

#[tokio::test]
async fn unit_capaian_selects_the_pattern_each_unit_is_held_to_in_period_and_yearly_progress() {
    let app = spawn_app().await;
    let year = next_year();
    let cycle = open_periodic_cycle(&app, year, "quarterly", 7).await;
    let ids: Vec<String> = futures::future::join_all((0..6).map(|i| {
        let (app, cycle) = (&app, &cycle);
        async move { app.agreed_appraisal_in(cycle, &employee(i)).await }
    }))
    .await;
    let unit = "Bidang Pengembangan Pegawai";
    let capaian = format!("/v1/cycles/{cycle}/units/capaian");
    let leader = json!({"nip": SUPERIOR, "name": "Dewi Lestari", "position": "Sekretaris Badan"});
    let q1 = format!("{year}-Q1");
    let set = |period: &str, capaian: &str, reason: Option<&str>| json!({"unit": unit, "period": period, "capaian": capaian, "decided_by": leader.clone(), "reason": reason});
    app.post_as(ADMIN, &["admin"], &capaian, set(&q1, "baik", None)).await.expect(200);
    app.post_as(ADMIN, &["admin"], &capaian, set(&q1, "kurang", None)).await.expect_problem(422, "reason_required");
    app.post_as(ADMIN, &["admin"], &capaian, set(&q1, "kurang", Some("Hasil reviu Inspektorat"))).await.expect(200);
    app.post_as(ADMIN, &["admin"], &capaian, set("annual", "istimewa", None)).await.expect(200);
    app.post_as(ADMIN, &["admin"], &capaian, set(&format!("{year}-01"), "baik", None)).await.expect_problem(422, "invalid_period");
    app.post_as(ADMIN, &["admin"], &capaian, set(&q1, "luar_biasa", Some("x"))).await.expect_problem(422, "invalid_value");
    app.post(RATER, &capaian, set(&q1, "baik", Some("x"))).await.expect_problem(403, "forbidden");
    app.post_as(INSPECTOR, &["inspector"], &capaian, set(&q1, "baik", Some("x"))).await.expect_problem(403, "forbidden");
    app.post_as(ADMIN, &["admin"], &format!("/v1/cycles/{}/units/capaian", uuid::Uuid::new_v4()), set(&q1, "baik", None)).await.expect_problem(404, "not_found");

    set_clock(&app, local_midnight(year, 4, 7) + time::Duration::hours(1));
    let mut last = 0;
    for id in &ids[..5] {
        let done = app.post(RATER, &evaluation(id, &q1), ratings("sesuai_ekspektasi", "sesuai_ekspektasi")).await.expect(200);
        last = done["stream_sequence"].as_u64().unwrap();
    }
    let progress = app.get(&format!("/v1/cycles/{cycle}/periods/{q1}/progress?min_sequence={last}")).await.expect(200);
    assert_eq!((progress["total"].clone(), progress["due"].clone(), progress["evaluated"].clone(), progress["overdue"].clone()), (json!(6), json!(6), json!(5), json!(0)));
    assert_eq!(progress["status"], "entry");
    let by_unit = &progress["by_unit"][0];
    assert_eq!((by_unit["unit"].as_str(), by_unit["capaian"].as_str(), by_unit["capaian_assumed"].as_bool()), (Some(unit), Some("kurang"), Some(false)));
    assert_eq!(by_unit["decided_by"]["name"], "Dewi Lestari");
    let codes: Vec<&str> = by_unit["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["kurang_under_60_percent", "butuh_perbaikan_under_10_percent"], "{progress}");

    let q2 = format!("{year}-Q2");
    let running = app.get(&format!("/v1/cycles/{cycle}/periods/{q2}/progress")).await.expect(200);
    assert_eq!((running["status"].clone(), running["due"].clone(), running["by_unit"][0]["capaian_assumed"].clone()), (json!("open"), json!(0), json!(true)));

    set_clock(&app, local_midnight(year, 4, 7) + time::Duration::days(10));
    let overdue = app.get(&format!("/v1/cycles/{cycle}/periods/{q1}/progress")).await.expect(200);
    assert_eq!((overdue["status"].clone(), overdue["overdue"].clone()), (json!("locked"), json!(1)), "the sixth appraisal is overdue once Q1 locked");

    let units = app.get(&format!("/v1/cycles/{cycle}/units")).await.expect(200);
    assert_eq!((units["items"][0]["capaian"].as_str(), units["items"][0]["capaian_assumed"].as_bool()), (Some("istimewa"), Some(false)));
    let raters = app.get(&format!("/v1/cycles/{cycle}/raters")).await.expect(200);
    assert!(raters["items"][0].get("capaian").is_none(), "raters are held to baik, without a capaian of their own");
    app.get_as(RATER, &[], &format!("/v1/cycles/{cycle}/periods/{q1}/progress")).await.expect_problem(403, "forbidden");
    app.get(&format!("/v1/cycles/{}/periods/{q1}/progress", uuid::Uuid::new_v4())).await.expect_problem(404, "not_found");
}

#[tokio::test]
async fn the_demo_seed_has_a_monthly_cycle_with_evaluations_corrections_capaian_and_overdue_months() {
    let app = spawn_app().await;
    let secret = app.settings.jwt_secret.expose().as_bytes().to_vec();
    let seeded = skp_cli::seed::seed_demo(&format!("http://{}", app.addr), &secret, 60).await.unwrap();
    assert_eq!(seeded.periodic_appraisals, 24);
    let cycle = &seeded.periodic_cycle_id;
    let last = app.app_state.bus.store().last_sequence().await.unwrap();
    let june = app.get(&format!("/v1/cycles/{cycle}/periods/2026-06/progress?min_sequence={last}")).await.expect(200);
    assert_eq!((june["status"].as_str(), june["total"].as_i64()), (Some("locked"), Some(24)));
    assert!(june["evaluated"].as_i64().unwrap() >= 20 && june["overdue"].as_i64().unwrap() >= 2, "{june}");
    let unit = |name: &str| june["by_unit"].as_array().unwrap().iter().find(|u| u["unit"] == name).unwrap().clone();
    let broken = unit("Bidang Pemanfaatan Data dan Inovasi");
    assert_eq!((broken["capaian"].as_str(), broken["capaian_assumed"].as_bool()), (Some("kurang"), Some(false)));
    let codes: Vec<&str> = broken["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["kurang_under_60_percent", "butuh_perbaikan_under_10_percent", "sangat_baik_over_10_percent"], "{broken}");
    assert_eq!(unit("Sekretariat")["capaian_assumed"], true);
    assert_eq!(unit("Bidang Pelayanan Pendaftaran Penduduk")["capaian"], "istimewa");

    // Corrections where a month is still within its entry days (by the real clock).
    let now = OffsetDateTime::now_utc();
    let open_for_corrections = (1..=12u8).any(|m| local_midnight(2026, m + 1, 7) < now && now < local_midnight(2026, m + 1, 7) + time::Duration::days(10));
    let listed = app.get(&format!("/v1/cycles/{cycle}/appraisals?limit=100&min_sequence={last}")).await.expect(200);
    let mut corrected = 0;
    for appraisal in listed["appraisals"].as_array().unwrap() {
        let periods = app.get(&format!("/v1/appraisals/{}/periods", appraisal["appraisal_id"].as_str().unwrap())).await.expect(200);
        corrected += periods["periods"].as_array().unwrap().iter().filter(|p| p["evaluation"]["corrected"] == true).count();
    }
    assert_eq!(corrected > 0, open_for_corrections, "evaluations corrected exactly when a month is within its entry days");
    let again = skp_cli::seed::seed_demo(&format!("http://{}", app.addr), &secret, 60).await.unwrap();
    assert_eq!((again.new_events, again.periodic_cycle_id.as_str()), (0, cycle.as_str()), "a second run records nothing");
}
