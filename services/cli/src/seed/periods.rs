//! The demo's periodic evaluation (issue 12): a second agency of Kota Contoh, the Dinas
//! Kependudukan dan Pencatatan Sipil, evaluates its staff monthly (WIB) in 2026, so that the
//! dashboard's period view has something true to show on a first run.
//!
//! By the real clock: every month that has ended (ten minutes ago or more) is evaluated for
//! most appraisals; a few raters are late (their last two ended months are missing, and the
//! earlier of the two is overdue once it locked), one never evaluates, and a few plans are
//! never agreed; evaluations still within their entry days get some corrections. Three of
//! the four units have a capaian for the year and for every ended month (one superseded,
//! with its reason), and the `kurang` unit's staff are rated mostly `baik`, so its
//! distribution breaks its pattern; the Sekretariat has none (`baik` assumed).
//!
//! Like the rest of the seed, every command's `Idempotency-Key` is derived from what it is:
//! a second run records nothing new (unless a month ended in between).

use super::{nip, plan, Person, SeedError, Seeder, ADMIN, RATINGS};
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use skp_domain::period::Calendar;
use skp_events::period::{PeriodId, PeriodKind};
use time::{Duration, OffsetDateTime};

const ORGANIZATION: &str = "Dinas Kependudukan dan Pencatatan Sipil Kota Contoh";
const CALENDAR: Calendar = Calendar { year: 2026, kind: PeriodKind::Monthly, entry_days: 10, utc_offset_hours: 7 };
/// The units, their heads (the raters) and their annual capaian (`None`: not set).
const UNITS: [(&str, &str, Option<&str>); 4] = [
    ("Bidang Pelayanan Pendaftaran Penduduk", "Sri Mulyani Hartono", Some("istimewa")),
    ("Bidang Pelayanan Pencatatan Sipil", "Joko Prasetyo", Some("baik")),
    ("Bidang Pemanfaatan Data dan Inovasi", "Ratih Purnamasari", Some("kurang")),
    ("Sekretariat", "Taufik Hidayat", None),
];
/// The head of the agency: the raters' superior, who decides the units' capaian.
const HEAD: (&str, &str) = ("197204142000031002", "Ir. Wahyu Kurniawan, M.M.");
const NAMES: [&str; 12] = ["Agus", "Bella", "Citra", "Doni", "Erna", "Fikri", "Gita", "Hana", "Irfan", "Joko", "Kartika", "Lukman"];
const SURNAMES: [&str; 8] = ["Wibowo", "Maharani", "Sembiring", "Purba", "Anggraini", "Firmansyah", "Utami", "Gultom"];

/// What the periodic part of a run did.
#[derive(Debug, Default)]
pub(super) struct PeriodicSeed {
    /// The monthly cycle.
    pub cycle_id: String,
    /// Its appraisals.
    pub appraisals: u32,
    /// Commands sent.
    pub commands: u64,
    /// Commands that recorded a new event.
    pub new_events: u64,
}

impl PeriodicSeed {
    fn tally(&mut self, (_, new): (Value, bool)) {
        self.commands += 1;
        self.new_events += u64::from(new);
    }
}

/// The months of 2026 that have ended at least ten minutes ago (WIB).
fn ended(now: OffsetDateTime) -> Vec<PeriodId> {
    CALENDAR.ended(now - Duration::minutes(10))
}

/// Seeds the monthly cycle with `appraisals` appraisals.
pub(super) async fn seed_periods(seeder: &Seeder, appraisals: u32) -> Result<PeriodicSeed, SeedError> {
    let body = json!({"organization": ORGANIZATION, "year": 2026, "plan_due": "2026-01-31", "objection_window_days": 14, "decision_window_days": 14,
        "period": "monthly", "period_entry_days": CALENDAR.entry_days, "utc_offset_hours": CALENDAR.utc_offset_hours});
    let mut seed = PeriodicSeed { appraisals, ..PeriodicSeed::default() };
    let opened = seeder.send(ADMIN, &["admin"], "/v1/cycles", body, "periodic/cycle-2026").await?;
    seed.cycle_id = opened.0["aggregate_id"].as_str().ok_or_else(|| SeedError::Refused(format!("no cycle id in {}", opened.0)))?.to_owned();
    seed.tally(opened);
    let now = OffsetDateTime::now_utc();
    capaian(seeder, &seed.cycle_id.clone(), &ended(now), &mut seed).await?;
    let heads: Vec<Person> = UNITS
        .iter()
        .enumerate()
        .map(|(i, (unit, name, _))| Person { nip: nip(29_000 + i as u32), name: (*name).to_owned(), position: format!("Kepala {unit}"), unit: (*unit).to_owned() })
        .collect();
    let head = Person { nip: HEAD.0.to_owned(), name: HEAD.1.to_owned(), position: "Kepala Dinas".into(), unit: "Pimpinan".into() };
    let cycle = seed.cycle_id.clone();
    let counts: Vec<Result<PeriodicSeed, SeedError>> = stream::iter(0..appraisals)
        .map(|n| one(seeder, &cycle, n, &heads, &head, now))
        .buffer_unordered(super::CONCURRENCY)
        .collect()
        .await;
    for count in counts {
        let count = count?;
        seed.commands += count.commands;
        seed.new_events += count.new_events;
    }
    Ok(seed)
}

/// Each unit's capaian: for the year, and for every ended month (the first unit's latest
/// month set once as `baik`, then superseded as `istimewa` with a reason).
async fn capaian(seeder: &Seeder, cycle: &str, ended: &[PeriodId], seed: &mut PeriodicSeed) -> Result<(), SeedError> {
    let path = format!("/v1/cycles/{cycle}/units/capaian");
    let decided_by = json!({"nip": HEAD.0, "name": HEAD.1, "position": "Kepala Dinas"});
    let recent: Vec<String> = ended.iter().rev().map(ToString::to_string).collect();
    for (i, (unit, _, capaian)) in UNITS.iter().enumerate() {
        let Some(capaian) = capaian else { continue };
        let set = |period: &str, capaian: &str, reason: Option<&str>| json!({"unit": unit, "period": period, "capaian": capaian, "decided_by": decided_by, "reason": reason});
        seed.tally(seeder.send(ADMIN, &["admin"], &path, set("annual", capaian, None), &format!("periodic/capaian/{i}/annual")).await?);
        for period in &recent {
            let first = if i == 0 && Some(period) == recent.first() { "baik" } else { capaian };
            seed.tally(seeder.send(ADMIN, &["admin"], &path, set(period, first, None), &format!("periodic/capaian/{i}/{period}")).await?);
            if first != *capaian {
                let reason = Some("Revisi setelah reviu Inspektorat atas capaian kinerja unit");
                seed.tally(seeder.send(ADMIN, &["admin"], &path, set(period, capaian, reason), &format!("periodic/capaian/{i}/{period}/revised")).await?);
            }
        }
    }
    Ok(())
}

/// The ratings of appraisal `n` in `month`, in unit `unit`: near the pattern of the unit's
/// capaian, except in the `kurang` unit, rated mostly `baik` (its pattern broken).
fn ratings(unit: usize, n: u32, month: u8) -> (&'static str, &'static str) {
    let [atas, sesuai, bawah] = RATINGS;
    let x = (n * 31 + u32::from(month) * 17) % 20;
    match (unit, x) {
        (0, 0..=9) | (1 | 3, 0..=2) | (2, 0..=1) => (atas, atas),
        (0, 10..=17) | (1 | 3, 3..=14) | (2, 2..=17) => (sesuai, sesuai),
        (_, 15..=17) | (0, 18) | (2, 18) => (bawah, sesuai),
        (_, 18) => (sesuai, bawah),
        _ => (bawah, bawah),
    }
}

/// One appraisal: opened, agreed (most), then its ended months evaluated and some corrected.
async fn one(seeder: &Seeder, cycle: &str, n: u32, heads: &[Person], head: &Person, now: OffsetDateTime) -> Result<PeriodicSeed, SeedError> {
    let mut count = PeriodicSeed::default();
    let unit = n as usize % UNITS.len();
    let rater = &heads[unit];
    let name = format!("{} {}", NAMES[n as usize % NAMES.len()], SURNAMES[(n as usize / 4) % SURNAMES.len()]);
    let employee = Person { nip: nip(20_000 + n), name, position: "Pengadministrasi Kependudukan".into(), unit: rater.unit.clone() };
    let people = json!({"employee": employee.json(), "rater": rater.json(), "rater_superior": head.json()});
    let opened = seeder.send(ADMIN, &["admin"], &format!("/v1/cycles/{cycle}/appraisals"), people, &format!("periodic/{n}/open")).await?;
    let id = opened.0["aggregate_id"].as_str().ok_or_else(|| SeedError::Refused(format!("no appraisal id in {}", opened.0)))?.to_owned();
    count.tally(opened);
    if n % 13 == 12 {
        return Ok(count); // a plan never agreed: every ended month overdue
    }
    let at = |p: &str| format!("/v1/appraisals/{id}/{p}");
    let (me, by) = (employee.nip.as_str(), rater.nip.as_str());
    count.tally(seeder.send(me, &[], &at("plan"), plan(&employee.unit, n), &format!("periodic/{n}/plan")).await?);
    count.tally(seeder.send(me, &[], &at("plan/submit"), json!({}), &format!("periodic/{n}/submit")).await?);
    count.tally(seeder.send(by, &[], &at("plan/agree"), json!({}), &format!("periodic/{n}/agree")).await?);
    let feedback = json!({"about": "results", "text": "Layanan dokumen kependudukan tepat waktu; pertahankan.", "indicator_id": "iki-1"});
    count.tally(seeder.send(by, &[], &at("feedback"), feedback, &format!("periodic/{n}/feedback")).await?);
    if n % 17 == 5 {
        return Ok(count); // a rater who never evaluates
    }
    let ended = ended(now);
    let skip_last = if n % 7 == 3 { 2 } else { 0 }; // a late rater
    for period in &ended[..ended.len().saturating_sub(skip_last)] {
        let (results, behaviour) = ratings(unit, n, period.index());
        let body = json!({"results_rating": results, "behaviour_rating": behaviour, "notes": format!("Evaluasi bulan {period}")});
        count.tally(seeder.send(by, &[], &at(&format!("periods/{period}/evaluation")), body, &format!("periodic/{n}/evaluate/{period}")).await?);
        let correctable = CALENDAR.locks_at(*period) > now + Duration::hours(1);
        if correctable && (n + u32::from(period.index())).is_multiple_of(5) {
            let fix = json!({"results_rating": "sesuai_ekspektasi", "behaviour_rating": "sesuai_ekspektasi", "reason": "Bukti dukung realisasi diterima setelah evaluasi"});
            count.tally(seeder.send(by, &[], &at(&format!("periods/{period}/correction")), fix, &format!("periodic/{n}/correct/{period}")).await?);
        }
    }
    Ok(count)
}
