//! The demo agency's voices beyond the rater (issue 13), recorded while an appraisal's
//! targets are agreed and before its score: the rater nominates two to four colleagues, most
//! raters state expectations and hold a dialogue (half of them acknowledged), most employees
//! assess the year, the nominees answer the closed survey (on a quarter of the appraisals all
//! of them, elsewhere only one or two: the employee then sees no aggregate, as the anonymity
//! rule says), and the service desk records the public's feedback on every fifth appraisal.
//!
//! Dialogue dates are true to the clock: a date of the cycle's year, never after today.

use super::{Person, SeedError, Seeder};
use serde_json::{json, Value};
use time::macros::date;
use time::{Date, Duration, Month, OffsetDateTime};

/// The service desk officer who records the public's feedback.
pub const SERVICE_DESK: &str = "198807072012011004";

const VALUES: [&str; 7] = ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif", "kolaboratif"];
const RATINGS: [&str; 3] = ["di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"];

/// A survey answer: mostly "sesuai", some above, a few below, varying by evaluator and value.
fn answer(n: u32, k: u32) -> Value {
    let ratings: serde_json::Map<String, Value> = VALUES
        .iter()
        .zip(0u32..)
        .map(|(value, v)| {
            let pick = match (n * 7 + k * 5 + v * 3) % 10 {
                0 | 1 => RATINGS[0],
                9 => RATINGS[2],
                _ => RATINGS[1],
            };
            ((*value).to_owned(), json!(pick))
        })
        .collect();
    json!({"period": "annual", "ratings": ratings, "comment": "Responsif dan mau berbagi pengetahuan dengan rekan kerja."})
}

/// A day of 2026 for a dialogue, not after today (in WIB).
fn dialogue_day(n: u32) -> Date {
    let month = Month::try_from(3 + (n % 6) as u8).unwrap_or(Month::March);
    let day = Date::from_calendar_date(2026, month, 1 + (n % 27) as u8).unwrap_or(date!(2026 - 03 - 02));
    let today = (OffsetDateTime::now_utc() + Duration::hours(7)).date();
    day.min(today).max(date!(2026 - 01 - 02))
}

/// The voices of appraisal `id` (employee `n`, rated by `rater`), sent in order; each
/// answer as [`Seeder::send`] gives it.
pub(super) async fn before_score(seeder: &Seeder, id: &str, n: u32, employee: &Person, rater: &str) -> Result<Vec<(Value, bool)>, SeedError> {
    let path = |p: &str| format!("/v1/appraisals/{id}/{p}");
    let key = |what: &str| format!("{n}/voices/{what}");
    let mut sent = Vec::new();
    // Colleagues n+1.. (the first is the one who gives peer feedback on every third appraisal).
    let nominees: Vec<String> = (1..=2 + n % 3).map(|k| super::nip(n + k)).collect();
    let evaluators: Vec<Value> = nominees
        .iter()
        .zip(0..)
        .map(|(nip, k)| json!({"nip": nip, "name": format!("Rekan {} {}", employee.unit, k + 1), "relation": if k == 2 { "subordinate" } else { "peer" }}))
        .collect();
    // An appraisal seeded by an earlier version may be past its score: no voices then.
    match seeder.send_in_time(rater, &[], &path("evaluators"), json!({"evaluators": evaluators}), &key("nominate")).await? {
        Some(nominated) => sent.push(nominated),
        None => return Ok(sent),
    }
    if n.is_multiple_of(2) {
        let expectations = json!({"expectations": [
            {"value": "berorientasi_pelayanan", "expectation": "Permohonan layanan diselesaikan paling lambat 3 hari kerja."},
            {"value": "kolaboratif", "expectation": "Aktif berbagi data dan dokumen dengan bidang lain."}
        ]});
        sent.push(seeder.send(rater, &[], &path("expectations"), expectations, &key("expectations")).await?);
    }
    if n % 4 != 1 {
        let dialogue = json!({"held_on": dialogue_day(n).to_string(), "topics": "Capaian triwulan, hambatan layanan dan dukungan yang dibutuhkan",
            "agreed_actions": ["Menyusun jadwal penyelesaian layanan", "Mengikuti pelatihan pelayanan publik"]});
        let (held, new) = seeder.send(rater, &[], &path("dialogues"), dialogue, &key("dialogue")).await?;
        let version = held["version"].as_u64().unwrap_or(0);
        sent.push((held, new));
        if n % 4 != 2 {
            sent.push(seeder.send(&employee.nip, &[], &path(&format!("dialogues/{version}/acknowledge")), json!({}), &key("acknowledge")).await?);
        }
    }
    if n % 3 != 2 {
        let own = json!({"period": "annual", "results_rating": RATINGS[(n % 2) as usize], "behaviour_rating": RATINGS[1],
            "narrative": "Target layanan tercapai; beberapa dokumen selesai lebih awal dari jadwal."});
        sent.push(seeder.send(&employee.nip, &[], &path("self-assessment"), own, &key("self")).await?);
    }
    // On a quarter of the appraisals every nominee answers; elsewhere one, two or three.
    let answering = if n.is_multiple_of(4) { nominees.len() } else { (n % 4) as usize };
    for (nominee, k) in nominees.iter().take(answering).zip(0..) {
        sent.push(seeder.send(nominee, &[], &path("survey"), answer(n, k), &key(&format!("survey-{k}"))).await?);
    }
    if n.is_multiple_of(5) {
        for k in 0..1 + n % 3 {
            let channel = ["survei", "loket", "pengaduan"][(k % 3) as usize];
            let piece = json!({"channel": channel, "service_ref": format!("LYN-2026-{:05}", n * 10 + k),
                "score": 3 + (n + k) % 3, "text": "Pelayanan jelas dan ramah; waktu tunggu masih bisa dipersingkat."});
            sent.push(seeder.send(SERVICE_DESK, &["service_desk"], &path("public-feedback"), piece, &key(&format!("public-{k}"))).await?);
        }
    }
    Ok(sent)
}
