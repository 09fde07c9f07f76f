//! `skp seed-demo`: a realistic demo agency, made through the HTTP API as its users would
//! make it, so that the dashboard has something to show on a first run.
//!
//! The agency (Badan Kepegawaian dan Pengembangan SDM Kota Contoh) has five units, each led
//! by a head (the rater of its staff) under the agency's secretary (the raters' superior),
//! and a few hundred employees with valid NIPs. One cycle (2026) holds an appraisal per
//! employee, spread over every stage: opened, plans drafted, submitted and returned, targets
//! agreed with feedback and realisations, scored, accepted, objected (disputes), resolved by
//! the forum, and final.
//!
//! Before their score, appraisals also get the voices beyond the rater ([`voices`]):
//! nominated evaluators, expectations, dialogues, self-assessments, survey answers (some under
//! three, to show the anonymity rule) and public feedback. Then the development plans that
//! follow the final appraisals ([`development`]): pembinaan after a low predikat (running,
//! improved early, not improved with a follow-up, due without a review, none yet) and a few
//! pengembangan plans.
//!
//! Every command carries an `Idempotency-Key` derived from what it is (UUID v5), so running
//! the seeder again sends the same commands and gets their original answers: nothing is
//! recorded twice, and the run reports how many commands were new.
//!
//! [`periods`]: a second agency evaluating monthly, with periodic evaluations, corrections,
//! unit capaian and overdue months (issue 12).

mod periods;

mod development;
mod voices;

use crate::token;
use futures::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::{json, Value};
use skp_events::ids::SKP_NAMESPACE;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The header on the answer to a command handled before (`docs/contract.md`).
const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// How many appraisals are brought forward at once.
const CONCURRENCY: usize = 16;

/// The agency's units and the names of their heads.
const UNITS: [(&str, &str); 5] = [
    ("Bidang Mutasi dan Promosi", "Hendra Gunawan"),
    ("Bidang Pengembangan Kompetensi", "Ratna Sari Dewi"),
    ("Bidang Penilaian Kinerja dan Penghargaan", "Agus Salim"),
    ("Bidang Data dan Sistem Informasi", "Yuliana Putri"),
    ("Sekretariat", "Bambang Wijaya"),
];
const FIRST_NAMES: [&str; 20] = [
    "Siti", "Budi", "Dewi", "Andi", "Rina", "Fajar", "Nur", "Eko", "Wulan", "Rizky", "Indah", "Teguh", "Ayu", "Dimas", "Lestari", "Yusuf", "Maya",
    "Arif", "Fitri", "Hadi",
];
const LAST_NAMES: [&str; 16] = [
    "Rahmawati", "Santoso", "Lestari", "Pratama", "Wijayanti", "Hidayat", "Kusuma", "Saputra", "Handayani", "Nugroho", "Permata", "Siregar",
    "Nasution", "Hasibuan", "Simanjuntak", "Setiawan",
];
const POSITIONS: [&str; 6] = ["Analis SDM Aparatur", "Pranata Komputer", "Analis Kebijakan", "Arsiparis", "Pengelola Data", "Penata Kelola Sistem"];
const SECRETARY: (&str, &str) = ("197503032000011003", "Dr. Dewi Kartika, M.Si.");
const ADMIN: &str = "198812122010011005";
const ORGANIZATION: &str = "Badan Kepegawaian dan Pengembangan SDM Kota Contoh";

/// The stage an appraisal is brought to, in lifecycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Opened,
    PlanDrafted,
    PlanReturned,
    PlanSubmitted,
    TargetsAgreed,
    Scored,
    Accepted,
    Objected,
    Resolved,
    Final,
}

/// The share of appraisals at each stage, per hundred.
const SPREAD: [(Stage, u32); 10] = [
    (Stage::Opened, 5),
    (Stage::PlanDrafted, 7),
    (Stage::PlanReturned, 4),
    (Stage::PlanSubmitted, 7),
    (Stage::TargetsAgreed, 22),
    (Stage::Scored, 12),
    (Stage::Accepted, 8),
    (Stage::Objected, 5),
    (Stage::Resolved, 4),
    (Stage::Final, 26),
];

fn stage_of(n: u32) -> Stage {
    let slot = (n * 37) % 100; // spread the stages over the units
    let mut upto = 0;
    for (stage, share) in SPREAD {
        upto += share;
        if slot < upto {
            return stage;
        }
    }
    Stage::Final
}

/// What a run did.
#[derive(Debug, Default, Serialize)]
pub struct SeedSummary {
    /// The cycle's id.
    pub cycle_id: String,
    /// Appraisals in the cycle.
    pub appraisals: u32,
    /// Commands sent.
    pub commands: u64,
    /// Commands that recorded a new event (0 when the agency was already seeded).
    pub new_events: u64,
    /// Seconds taken.
    pub seconds: f64,
    /// The monthly cycle of the periodic demo (issue 12).
    pub periodic_cycle_id: String,
    /// Appraisals in the monthly cycle.
    pub periodic_appraisals: u32,
}

/// Why seeding stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The API could not be reached.
    #[error("{what} could not be sent")]
    Unreachable {
        /// The request.
        what: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// The API answered something unexpected.
    #[error("{0}")]
    Refused(String),
    /// A token could not be signed.
    #[error("a token could not be signed")]
    Token(#[from] jsonwebtoken::errors::Error),
}

struct Seeder {
    http: reqwest::Client,
    api: String,
    secret: Vec<u8>,
}

struct Person {
    nip: String,
    name: String,
    position: String,
    unit: String,
}

impl Person {
    fn json(&self) -> Value {
        json!({"nip": self.nip, "name": self.name, "position": self.position, "unit": self.unit})
    }
}

/// A valid NIP: birth date, appointment month, sex digit, sequence.
fn nip(n: u32) -> String {
    let year = 1970 + n % 30;
    let month = 1 + n % 12;
    let day = 1 + n % 28;
    let appointed = (year + 22).max(1995);
    let sex = 1 + n % 2;
    format!("{year:04}{month:02}{day:02}{appointed:04}{:02}{sex}{:03}", 1 + (n / 7) % 12, n % 1000)
}

impl Seeder {
    fn key(&self, what: &str) -> Uuid {
        Uuid::new_v5(&SKP_NAMESPACE, format!("seed-demo/{what}").as_bytes())
    }

    /// Sends one command; `Ok(true)` when it recorded a new event.
    async fn send(&self, caller: &str, roles: &[&str], path: &str, body: Value, what: &str) -> Result<(Value, bool), SeedError> {
        match self.post(caller, roles, path, body, what).await? {
            (200 | 201, answer, new) => Ok((answer, new)),
            (status, answer, _) => Err(SeedError::Refused(format!("POST {path} ({what}) answered {status}: {answer}"))),
        }
    }

    /// Like [`Seeder::send`], but a 409 (the appraisal has moved past the step: a stream
    /// seeded by an earlier version, before the step existed) is `None`, nothing recorded.
    async fn send_in_time(&self, caller: &str, roles: &[&str], path: &str, body: Value, what: &str) -> Result<Option<(Value, bool)>, SeedError> {
        match self.post(caller, roles, path, body, what).await? {
            (200 | 201, answer, new) => Ok(Some((answer, new))),
            (409, _, _) => Ok(None),
            (status, answer, _) => Err(SeedError::Refused(format!("POST {path} ({what}) answered {status}: {answer}"))),
        }
    }

    /// Posts one command with its idempotency key, retrying while the API answers 503; the
    /// status, the answer and whether it recorded a new event.
    async fn post(&self, caller: &str, roles: &[&str], path: &str, body: Value, what: &str) -> Result<(u16, Value, bool), SeedError> {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        let bearer = token::issue(&self.secret, caller, &roles, 3600)?;
        for attempt in 0..20u32 {
            let response = self
                .http
                .post(format!("{}{path}", self.api))
                .bearer_auth(&bearer)
                .header("Idempotency-Key", self.key(what).to_string())
                .json(&body)
                .send()
                .await
                .map_err(|source| SeedError::Unreachable { what: format!("POST {path}"), source })?;
            let status = response.status().as_u16();
            let replayed = response.headers().contains_key(IDEMPOTENT_REPLAYED);
            let answer: Value = response.json().await.unwrap_or(Value::Null);
            if status == 503 && attempt < 19 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            return Ok((status, answer, !replayed));
        }
        Err(SeedError::Refused(format!("POST {path}: unavailable")))
    }

    /// Reads `path` as `caller`.
    async fn get(&self, caller: &str, roles: &[&str], path: &str) -> Result<Value, SeedError> {
        let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
        let bearer = token::issue(&self.secret, caller, &roles, 3600)?;
        let response = self
            .http
            .get(format!("{}{path}", self.api))
            .bearer_auth(&bearer)
            .send()
            .await
            .map_err(|source| SeedError::Unreachable { what: format!("GET {path}"), source })?;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status != 200 {
            return Err(SeedError::Refused(format!("GET {path} answered {status}: {answer}")));
        }
        Ok(answer)
    }
}

fn plan(unit: &str, n: u32) -> Value {
    let documents = 2 + n % 4;
    let people = 20 + (n % 5) * 10;
    json!({"results": [
        {"id": "rhk-1", "description": format!("Terlaksananya layanan {} yang tepat waktu", unit.to_lowercase()), "indicators": [
            {"id": "iki-1", "description": "Persentase layanan selesai sesuai SOP", "target": {"value": 95, "unit": "persen"}},
            {"id": "iki-2", "description": "Dokumen kebijakan yang disusun", "target": {"value": documents, "unit": "dokumen"}}
        ]},
        {"id": "rhk-2", "description": "Meningkatnya kompetensi pegawai yang dibina", "indicators": [
            {"id": "iki-3", "description": "Pegawai yang mengikuti pengembangan kompetensi", "target": {"value": people, "unit": "orang"}}
        ]}
    ]})
}

const RATINGS: [&str; 3] = ["di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"];

/// Ratings near the SE 3/2023 curve: most "sesuai", some above, a few below.
fn ratings(n: u32) -> (&'static str, &'static str) {
    if n % 10 == 3 {
        return (RATINGS[0], RATINGS[0]); // sangat baik
    }
    let pick = |x: u32| match x % 20 {
        0..=3 => RATINGS[0],
        4..=17 => RATINGS[1],
        _ => RATINGS[2],
    };
    (pick(n * 7 + 3), pick(n * 11 + 5))
}

/// Seeds the demo agency through the API at `api`, signing tokens with `secret`.
///
/// # Errors
/// [`SeedError`] when the API cannot be reached or refuses a command.
pub async fn seed_demo(api: &str, secret: &[u8], employees: u32) -> Result<SeedSummary, SeedError> {
    let started = Instant::now();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(|source| SeedError::Unreachable { what: "an HTTP client".into(), source })?;
    let seeder = Seeder { http, api: api.trim_end_matches('/').to_owned(), secret: secret.to_vec() };
    let cycle_body = json!({"organization": ORGANIZATION, "year": 2026, "plan_due": "2026-01-31", "objection_window_days": 14, "decision_window_days": 14});
    let (cycle, new) = seeder.send(ADMIN, &["admin"], "/v1/cycles", cycle_body, "cycle-2026").await?;
    let cycle_id = cycle["aggregate_id"].as_str().ok_or_else(|| SeedError::Refused(format!("no cycle id in {cycle}")))?.to_owned();
    let mut summary = SeedSummary { cycle_id: cycle_id.clone(), appraisals: employees, commands: 1, new_events: u64::from(new), ..Default::default() };

    let heads: Vec<Person> = UNITS
        .iter()
        .enumerate()
        .map(|(i, (unit, name))| Person { nip: nip(9000 + i as u32), name: (*name).to_owned(), position: format!("Kepala {unit}"), unit: (*unit).to_owned() })
        .collect();
    let secretary = Person { nip: SECRETARY.0.to_owned(), name: SECRETARY.1.to_owned(), position: "Sekretaris Badan".into(), unit: "Sekretariat".into() };
    let seeder = &seeder;
    let results: Vec<Result<(u64, u64), SeedError>> = stream::iter(0..employees)
        .map(|n| {
            let head = &heads[(n as usize) % heads.len()];
            let employee = Person {
                nip: nip(n),
                name: format!("{} {}", FIRST_NAMES[(n as usize) % FIRST_NAMES.len()], LAST_NAMES[(n as usize / 3) % LAST_NAMES.len()]),
                position: POSITIONS[(n as usize) % POSITIONS.len()].to_owned(),
                unit: head.unit.clone(),
            };
            bring_forward(seeder, &cycle_id, n, employee, head, &secretary)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for result in results {
        let (commands, new) = result?;
        summary.commands += commands;
        summary.new_events += new;
    }
    // Development plans and pembinaan (issue 14).
    let finals = (0..employees).filter(|n| stage_of(*n) == Stage::Final).map(|n| (n, heads[(n as usize) % heads.len()].nip.clone())).collect();
    let (commands, new) = development::seed_plans(seeder, &cycle_id, finals).await?;
    summary.commands += commands;
    summary.new_events += new;
    // Periodic evaluation (issue 12): a monthly cycle of another agency, two fifths the size.
    let periodic = periods::seed_periods(seeder, (employees * 2 / 5).max(20)).await?;
    summary.commands += periodic.commands;
    summary.new_events += periodic.new_events;
    (summary.periodic_cycle_id, summary.periodic_appraisals) = (periodic.cycle_id, periodic.appraisals);
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Opens one appraisal and takes it to its stage. Returns (commands sent, new events).
async fn bring_forward(seeder: &Seeder, cycle: &str, n: u32, employee: Person, head: &Person, secretary: &Person) -> Result<(u64, u64), SeedError> {
    let stage = stage_of(n);
    let mut count = (0u64, 0u64);
    let mut tally = |(_, new): (Value, bool)| {
        count.0 += 1;
        count.1 += u64::from(new);
    };
    let people = json!({"employee": employee.json(), "rater": head.json(), "rater_superior": secretary.json()});
    let (opened, new) = seeder.send(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people, &format!("{n}/open")).await?;
    tally((Value::Null, new));
    let id = opened["aggregate_id"].as_str().ok_or_else(|| SeedError::Refused(format!("no appraisal id in {opened}")))?.to_owned();
    let path = |p: &str| format!("/v1/appraisals/{id}/{p}");
    let (me, rater, superior) = (employee.nip.as_str(), head.nip.as_str(), secretary.nip.as_str());
    if stage >= Stage::PlanDrafted {
        tally(seeder.send(me, &[], &path("plan"), plan(&employee.unit, n), &format!("{n}/plan")).await?);
    }
    if stage >= Stage::PlanReturned {
        tally(seeder.send(me, &[], &path("plan/submit"), json!({}), &format!("{n}/submit")).await?);
    }
    if stage == Stage::PlanReturned {
        let reason = json!({"reason": "Indikator kinerja belum terukur; mohon lengkapi target kuantitas dan waktu."});
        tally(seeder.send(rater, &[], &path("plan/return"), reason, &format!("{n}/return")).await?);
        return Ok(count);
    }
    if stage >= Stage::TargetsAgreed {
        tally(seeder.send(rater, &[], &path("plan/agree"), json!({}), &format!("{n}/agree")).await?);
        voices::before_score(seeder, &id, n, &employee, rater).await?.into_iter().for_each(&mut tally);
        // A few raters skip the feedback before scoring: the audit's participative check
        // finds them, as it should.
        if n % 11 != 5 {
            let feedback = json!({"about": "results", "text": "Progres triwulan baik; pertahankan ketepatan waktu layanan.", "indicator_id": "iki-1"});
            tally(seeder.send(rater, &[], &path("feedback"), feedback, &format!("{n}/feedback-1")).await?);
        }
        if n.is_multiple_of(3) {
            let peer = json!({"about": "behaviour", "text": "Kolaboratif dan responsif membantu rekan kerja."});
            tally(seeder.send(&heads_peer(n), &[], &path("feedback"), peer, &format!("{n}/feedback-2")).await?);
        }
        let realised = json!({"indicator_id": "iki-1", "value": 85 + n % 15, "evidence": format!("Laporan layanan {}", employee.unit)});
        tally(seeder.send(me, &[], &path("realisations"), realised, &format!("{n}/realisation")).await?);
    }
    if stage >= Stage::Scored {
        let (results, behaviour) = ratings(n);
        let score = json!({"results_rating": results, "behaviour_rating": behaviour, "notes": "Dinilai berdasarkan realisasi dan umpan balik triwulan."});
        tally(seeder.send(rater, &[], &path("score"), score, &format!("{n}/score")).await?);
    }
    match stage {
        Stage::Accepted => tally(seeder.send(me, &[], &path("accept"), json!({}), &format!("{n}/accept")).await?),
        Stage::Final if !n.is_multiple_of(4) => {
            tally(seeder.send(me, &[], &path("accept"), json!({}), &format!("{n}/accept")).await?);
            tally(seeder.send(rater, &[], &path("finalize"), json!({}), &format!("{n}/finalize")).await?);
        }
        Stage::Objected | Stage::Resolved | Stage::Final => {
            let objection = json!({"reason": "Realisasi dan bukti dukung belum dipertimbangkan sepenuhnya.", "requested_results_rating": "di_atas_ekspektasi"});
            tally(seeder.send(me, &[], &path("objection"), objection, &format!("{n}/object")).await?);
            if stage >= Stage::Resolved {
                let forum = if n.is_multiple_of(2) {
                    json!({"outcome": "revised", "results_rating": "di_atas_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "minutes": "Forum menerima bukti dukung tambahan; nilai hasil kerja direvisi."})
                } else {
                    json!({"outcome": "upheld", "minutes": "Forum menilai penilaian telah sesuai bukti; nilai dipertahankan."})
                };
                tally(seeder.send(superior, &[], &path("forum/resolve"), forum, &format!("{n}/forum")).await?);
            }
            if stage == Stage::Final {
                tally(seeder.send(rater, &[], &path("finalize"), json!({}), &format!("{n}/finalize")).await?);
            }
        }
        _ => {}
    }
    Ok(count)
}

/// A colleague who gives peer feedback: another employee of the agency.
fn heads_peer(n: u32) -> String {
    nip(n + 1)
}
