//! The demo agency's development plans (issue 14), made through the API after its appraisals.
//!
//! Every appraisal of the cycle that is final is read back (`GET /v1/appraisals/{id}`) for its
//! final predikat and the day it became final; every date below comes from that day, so the
//! plans are true to the clock the seed runs on (the appraisals became final moments before).
//! Among the low final predikat (`butuh_perbaikan`, `kurang`, `sangat_kurang`), in NIP order:
//! - the first: pembinaan with a coaching action, sessions, the employee's completion and the
//!   rater's confirmation, then an early `improved` review;
//! - the second: pembinaan due on the day it became final (the rules allow a window shorter
//!   than six months, "paling lama"), reviewed `not_improved` on that day, and the follow-up
//!   (`uji_kompetensi`) recorded by the admin;
//! - the third: pembinaan due that same day and not reviewed: overdue from the next day;
//! - every fourth after them: no plan yet, so it counts as overdue 30 days after it became
//!   final;
//! - the others: pembinaan for six months with a mentored action and a first session.
//!
//! A few `baik` and `sangat_baik` appraisals get a pengembangan plan with a training. Nothing
//! can be overdue at the moment of seeding (every appraisal became final that moment); the
//! plans above become overdue as the days pass, as they would in an agency.

use super::{nip, SeedError, Seeder, ADMIN};
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use skp_events::ids::appraisal_id;
use skp_events::Nip;
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

/// What the seed does with one final appraisal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Improved,
    NotImprovedWithFollowUp,
    DueToday,
    NoPlanYet,
    Running,
    Pengembangan,
}

/// A final appraisal as read back.
struct Final {
    n: u32,
    id: String,
    low: bool,
    finalized: Date,
}

/// Reads the appraisals of `finals` (their number `n` and rater) back, and opens and runs
/// their plans. Returns (commands sent, new events).
pub(super) async fn seed_plans(seeder: &Seeder, cycle_id: &str, finals: Vec<(u32, String)>) -> Result<(u64, u64), SeedError> {
    let cycle = Uuid::parse_str(cycle_id).map_err(|_| SeedError::Refused(format!("cycle id {cycle_id:?} is not a UUID")))?;
    let read: Vec<Result<Option<Final>, SeedError>> = stream::iter(finals.iter().map(|(n, _)| *n))
        .map(|n| read_final(seeder, cycle, n))
        .buffered(super::CONCURRENCY)
        .collect()
        .await;
    let mut parts: Vec<(Final, Part, String)> = Vec::new();
    let (mut low_index, mut good_index) = (0, 0);
    for (found, (_, rater)) in read.into_iter().zip(finals) {
        let Some(found) = found? else { continue };
        let part = if found.low {
            low_index += 1;
            match low_index {
                1 => Part::Improved,
                2 => Part::NotImprovedWithFollowUp,
                3 => Part::DueToday,
                i if i % 4 == 0 => Part::NoPlanYet,
                _ => Part::Running,
            }
        } else {
            good_index += 1;
            if good_index % 20 != 1 {
                continue;
            }
            Part::Pengembangan
        };
        parts.push((found, part, rater));
    }
    let done: Vec<Result<(u64, u64), SeedError>> = stream::iter(parts).map(|(f, part, rater)| run(seeder, f, part, rater)).buffer_unordered(super::CONCURRENCY).collect().await;
    done.into_iter().try_fold((0, 0), |(c, e), r| r.map(|(c2, e2)| (c + c2, e + e2)))
}

async fn read_final(seeder: &Seeder, cycle: Uuid, n: u32) -> Result<Option<Final>, SeedError> {
    let employee = Nip::parse(&nip(n)).map_err(|e| SeedError::Refused(e.to_string()))?;
    let id = appraisal_id(cycle, &employee).to_string();
    let state = seeder.get(ADMIN, &["admin"], &format!("/v1/appraisals/{id}")).await?;
    let (Some(predikat), Some(at)) = (state["final"]["predikat"].as_str(), state["final"]["finalized_at"].as_str()) else { return Ok(None) };
    let finalized = OffsetDateTime::parse(at, &Rfc3339).map_err(|e| SeedError::Refused(format!("finalized_at {at:?}: {e}")))?.date();
    Ok(Some(Final { n, id, low: matches!(predikat, "butuh_perbaikan" | "kurang" | "sangat_kurang"), finalized }))
}

/// Opens and runs one plan. Returns (commands sent, new events).
async fn run(seeder: &Seeder, f: Final, part: Part, rater: String) -> Result<(u64, u64), SeedError> {
    let mut count = (0u64, 0u64);
    let mut tally = |(_, new): (Value, bool)| {
        count.0 += 1;
        count.1 += u64::from(new);
    };
    if part == Part::NoPlanYet {
        return Ok(count);
    }
    let (n, day) = (f.n, |d: Date| d.to_string());
    // The day it became final, or today when a run interrupted earlier is completed later
    // (what was recorded the first time replays by its key, whatever the body says now).
    let due_now = f.finalized.max(OffsetDateTime::now_utc().date());
    let key = |what: &str| format!("{n}/development/{what}");
    let open = match part {
        Part::NotImprovedWithFollowUp | Part::DueToday => json!({"kind": "pembinaan", "due": day(due_now)}),
        Part::Pengembangan => json!({"kind": "pengembangan"}),
        _ => json!({}),
    };
    let (opened, new) = seeder.send(&rater, &[], &format!("/v1/appraisals/{}/development", f.id), open, &key("open")).await?;
    tally((Value::Null, new));
    let plan = opened["aggregate_id"].as_str().ok_or_else(|| SeedError::Refused(format!("no plan id in {opened}")))?.to_owned();
    let path = |p: &str| format!("/v1/development/{plan}/{p}");
    let employee = nip(n);
    let mentor = nip(n + 7);
    let action_due = match part {
        Part::NotImprovedWithFollowUp | Part::DueToday => due_now,
        _ => due_now + Duration::days(90),
    };
    let (kind, description) = match part {
        Part::Pengembangan => ("pelatihan", "Pelatihan kepemimpinan pengawas dan sertifikasi kompetensi teknis"),
        Part::Improved | Part::NotImprovedWithFollowUp => ("coaching", "Coaching manajemen waktu dan ketepatan layanan bersama mentor"),
        _ => ("mentoring", "Pendampingan penyusunan laporan layanan mingguan"),
    };
    let action = json!({"action_id": "A1", "type": kind, "description": description, "due": day(action_due), "mentor_nip": mentor});
    tally(seeder.send(&rater, &[], &path("actions"), action, &key("action-1")).await?);
    let session = json!({"action_id": "A1", "held_on": day(f.finalized), "notes": "Sesi pertama: target perbaikan dan jadwal pendampingan disepakati.", "next_steps": "Laporan kemajuan dua mingguan"});
    tally(seeder.send(&mentor, &[], &path("sessions"), session, &key("session-1")).await?);
    match part {
        Part::Improved => {
            let konseling = json!({"action_id": "A2", "type": "konseling", "description": "Konseling disiplin kerja", "due": day(due_now + Duration::days(30))});
            tally(seeder.send(&rater, &[], &path("actions"), konseling, &key("action-2")).await?);
            let evidence = json!({"evidence": "Laporan coaching dan catatan kehadiran, ditandatangani mentor"});
            tally(seeder.send(&employee, &[], &path("actions/A1/complete"), evidence, &key("complete-1")).await?);
            tally(seeder.send(&rater, &[], &path("actions/A1/confirm"), json!({}), &key("confirm-1")).await?);
            let review = json!({"outcome": "improved", "basis": "Capaian layanan dan kehadiran kembali sesuai target pada evaluasi bulanan."});
            tally(seeder.send(&rater, &[], &path("review"), review, &key("review")).await?);
        }
        Part::NotImprovedWithFollowUp => {
            let review = json!({"outcome": "not_improved", "basis": "Tidak ada perbaikan capaian pada jatuh tempo pembinaan."});
            tally(seeder.send(&rater, &[], &path("review"), review, &key("review")).await?);
            let follow_up = json!({"measure": "uji_kompetensi", "basis": "Keputusan Kepala Badan tentang uji kompetensi (pejabat berwenang)."});
            tally(seeder.send(ADMIN, &["admin"], &path("follow-up"), follow_up, &key("follow-up")).await?);
        }
        _ => {}
    }
    Ok(count)
}
