//! Golden tests of the wire form (docs/contract.md, section NATS).
//!
//! Each event type is built in its envelope from fixed values at its current schema version,
//! written with `to_canonical_bytes` and compared byte for byte with `tests/golden/<Type>.json`
//! (`<Type>.v<N>.json` for a type whose current version N is above 1), then the fixture is
//! decoded back and compared with the value. The fixtures of older versions keep the bytes and
//! hash they were stored with and must read back, upcast, as the current version says. The fixtures were written by hand from
//! docs/contract.md and their `hash` computed outside this crate (`sha256sum` over `prev_hash` and
//! the canonical JSON without `hash`), so renaming a Rust identifier, reordering a field or
//! changing the hash can never go unnoticed. A fixed test vector pins the hash independently
//! of the crate's hashing, and the chain checker is tried on intact and broken chains.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use skp_events::chain::{verify_chain, BreakKind, ChainBreak, ChainVerifier};
use skp_events::data::{
    AppraisalOpened, CycleOpened, Empty, FeedbackGiven, ForumResolved, PeriodEvaluated, PeriodEvaluationCorrected,
    PlanDrafted, PlanReturned, RealisationRecorded, ScoreFinalized, ScoreGiven, ScoreObjected, UnitCapaianSet,
    EVENT_TYPES,
};
use skp_events::development::{
    ActionAdded, ActionCompleted, ActionConfirmed, ActionType, DevelopmentKind, DevelopmentPlanOpened, FollowUpDecided,
    FollowUpMeasure, ImprovementOutcome, ImprovementReviewed, SessionRecorded,
};
use skp_events::period::{Capaian, CapaianPeriod, Official, PeriodId, PeriodKind};
use skp_events::upcast::current_version;
use skp_events::DecodeError;
use skp_events::values::{FeedbackAbout, FinalizedVia, ForumOutcome, Indicator, Person, PlannedResult, Target};
use skp_events::voices::{
    BehaviourRated, Channel, CoreValue, DialogueAcknowledged, DialogueHeld, Evaluator, EvaluatorsNominated, Expectation,
    ExpectationsSet, PeriodRef, PublicFeedbackRecorded, Relation, SelfAssessed,
};
use skp_events::{Actor, ActorRole, AggregateType, Envelope, Event, Nip, Predikat, Rating, GENESIS_HASH};
use std::path::PathBuf;
use time::macros::{date, datetime};
use uuid::Uuid;

const APPRAISAL_ID: &str = "6f1c2b9e-4d3a-5e8f-9a1b-2c3d4e5f6a7b";
const CYCLE_ID: &str = "0b7e1f2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
const PLAN_ID: &str = "b98519b6-2f66-5c7a-a5e5-c69b08152901";
const COMMAND_ID: &str = "7d2e9f10-1a2b-4c3d-8e4f-5a6b7c8d9e0f";
const CORRELATION_ID: &str = "c0ffee00-0000-4000-8000-000000000001";
/// `prev_hash` of every fixture after a first event: any 64 lower-case hex digits.
const PREV_HASH: &str = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";

const ADMIN: &str = "198001012006041001";
const EMPLOYEE: &str = "198503152010011002";
const RATER: &str = "197801012005011001";
const SUPERIOR: &str = "197002022000031001";
const PEER: &str = "199001012015012001";
const SUBORDINATE: &str = "199503032020122001";
const SERVICE_DESK: &str = "198807072012011004";


fn uuid(text: &str) -> Uuid {
    Uuid::parse_str(text).expect("a UUID")
}

fn nip(raw: &str) -> Nip {
    Nip::parse(raw).expect("a valid NIP")
}

fn person(raw: &str, name: &str, position: &str, unit: &str) -> Person {
    Person { nip: nip(raw), name: name.into(), position: position.into(), unit: unit.into() }
}

fn period(raw: &str) -> PeriodId {
    PeriodId::parse(raw).expect("a period id")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The event of each type as the fixtures hold it, with its version and who did it.
fn event_of(type_name: &str) -> (u64, Event, &'static str, ActorRole) {
    let empty = Empty {};
    match type_name {
        "CycleOpened" => (
            1,
            Event::CycleOpened(CycleOpened {
                organization: "BKPSDM Kabupaten Sleman".into(),
                year: 2025,
                plan_due: date!(2025 - 01 - 31),
                objection_window_days: 14,
                decision_window_days: 30,
                period: PeriodKind::Monthly,
                period_entry_days: 10,
                utc_offset_hours: 7,
            }),
            ADMIN,
            ActorRole::Admin,
        ),
        "AppraisalOpened" => (
            1,
            Event::AppraisalOpened(AppraisalOpened {
                cycle_id: uuid(CYCLE_ID),
                organization: "BKPSDM Kabupaten Sleman".into(),
                year: 2025,
                plan_due: date!(2025 - 01 - 31),
                objection_window_days: 14,
                decision_window_days: 30,
                employee: person(EMPLOYEE, "Siti Rahmawati", "Analis Kebijakan Ahli Muda", "Bidang Perencanaan"),
                rater: person(RATER, "Bambang Sutrisno", "Kepala Bidang Perencanaan", "Bidang Perencanaan"),
                rater_superior: person(SUPERIOR, "Dewi Lestari", "Sekretaris Badan", "Sekretariat"),
                period: PeriodKind::Monthly,
                period_entry_days: 10,
                utc_offset_hours: 7,
            }),
            ADMIN,
            ActorRole::Admin,
        ),
        "PlanDrafted" => {
            let indicator = |id: &str, description: &str, value, unit: &str| Indicator {
                id: id.into(),
                description: description.into(),
                target: Target { value, unit: unit.into() },
            };
            let result = PlannedResult {
                id: "R1".into(),
                description: "Dokumen perencanaan tersusun".into(),
                indicators: vec![
                    indicator("I1", "Jumlah dokumen", 12, "dokumen"),
                    indicator("I2", "Ketepatan waktu", 100, "persen"),
                ],
            };
            (2, Event::PlanDrafted(PlanDrafted { results: vec![result] }), EMPLOYEE, ActorRole::Employee)
        }
        "PlanSubmitted" => (3, Event::PlanSubmitted(empty), EMPLOYEE, ActorRole::Employee),
        "PlanReturned" => (
            4,
            Event::PlanReturned(PlanReturned { reason: "Target I2 terlalu rendah".into() }),
            RATER,
            ActorRole::Rater,
        ),
        "TargetsAgreed" => (5, Event::TargetsAgreed(empty), RATER, ActorRole::Rater),
        "FeedbackGiven" => (
            6,
            Event::FeedbackGiven(FeedbackGiven {
                about: FeedbackAbout::Results,
                text: "Dokumen triwulan I tepat waktu — terima kasih".into(),
                indicator_id: Some("I1".into()),
            }),
            PEER,
            ActorRole::Peer,
        ),
        "RealisationRecorded" => (
            7,
            Event::RealisationRecorded(RealisationRecorded {
                indicator_id: "I1".into(),
                value: 13,
                evidence: Some("ND-2025/117".into()),
            }),
            EMPLOYEE,
            ActorRole::Employee,
        ),
        "ScoreGiven" => (
            8,
            Event::ScoreGiven(ScoreGiven {
                results_rating: Rating::SesuaiEkspektasi,
                behaviour_rating: Rating::SesuaiEkspektasi,
                predikat: Predikat::Baik,
                notes: Some("Capaian baik".into()),
                objection_due: datetime!(2025-03-15 02:30 UTC),
            }),
            RATER,
            ActorRole::Rater,
        ),
        "ScoreAccepted" => (9, Event::ScoreAccepted(empty), EMPLOYEE, ActorRole::Employee),
        "ScoreObjected" => (
            9,
            Event::ScoreObjected(ScoreObjected {
                reason: "Realisasi I1 melebihi target".into(),
                requested_results_rating: Some(Rating::DiAtasEkspektasi),
                requested_behaviour_rating: Some(Rating::DiAtasEkspektasi),
                decision_due: datetime!(2025-03-31 02:30 UTC),
            }),
            EMPLOYEE,
            ActorRole::Employee,
        ),
        "ForumResolved" => (
            10,
            Event::ForumResolved(ForumResolved {
                outcome: ForumOutcome::Revised,
                results_rating: Rating::DiAtasEkspektasi,
                behaviour_rating: Rating::DiAtasEkspektasi,
                predikat: Predikat::SangatBaik,
                minutes: "Forum 2025-03-20:\nrealisasi I1 diakui".into(),
                late: false,
            }),
            SUPERIOR,
            ActorRole::RaterSuperior,
        ),
        "ScoreFinalized" => (
            11,
            Event::ScoreFinalized(ScoreFinalized {
                results_rating: Rating::DiAtasEkspektasi,
                behaviour_rating: Rating::DiAtasEkspektasi,
                predikat: Predikat::SangatBaik,
                via: FinalizedVia::Forum,
                employee_nip: nip(EMPLOYEE),
            }),
            RATER,
            ActorRole::Rater,
        ),
        // Periodic evaluation and unit capaian (issue 12).
        "PeriodEvaluated" => (
            6,
            Event::PeriodEvaluated(PeriodEvaluated {
                period: period("2025-02"),
                results_rating: Rating::DiAtasEkspektasi,
                behaviour_rating: Rating::SesuaiEkspektasi,
                predikat: Predikat::Baik,
                notes: Some("Februari: laporan lengkap".into()),
            }),
            RATER,
            ActorRole::Rater,
        ),
        "PeriodEvaluationCorrected" => (
            7,
            Event::PeriodEvaluationCorrected(PeriodEvaluationCorrected {
                period: period("2025-02"),
                results_rating: Rating::DiBawahEkspektasi,
                behaviour_rating: Rating::SesuaiEkspektasi,
                predikat: Predikat::ButuhPerbaikan,
                reason: "Realisasi Februari salah input — dikoreksi".into(),
            }),
            RATER,
            ActorRole::Rater,
        ),
        "UnitCapaianSet" => (
            2,
            Event::UnitCapaianSet(UnitCapaianSet {
                unit: "Bidang Perencanaan".into(),
                period: CapaianPeriod::Period(period("2025-02")),
                capaian: Capaian::Istimewa,
                decided_by: Official { nip: nip(SUPERIOR), name: "Dewi Lestari".into(), position: "Sekretaris Badan".into() },
                reason: Some("Revisi setelah reviu Inspektorat".into()),
            }),
            ADMIN,
            ActorRole::Admin,
        ),
        other => voices_event_of(other),
    }
}

/// The events of the voices beyond the rater (issue 13), as their fixtures hold them.
fn voices_event_of(type_name: &str) -> (u64, Event, &'static str, ActorRole) {
    let period = |raw: &str| PeriodRef::parse(raw).expect("a period");
    match type_name {
        "ExpectationsSet" => (
            5,
            Event::ExpectationsSet(ExpectationsSet {
                expectations: vec![
                    Expectation { value: CoreValue::BerorientasiPelayanan, expectation: "Menanggapi permohonan layanan paling lambat 2 hari kerja".into() },
                    Expectation { value: CoreValue::Kolaboratif, expectation: "Berbagi data perencanaan dengan bidang lain".into() },
                ],
            }),
            RATER,
            ActorRole::Rater,
        ),
        "DialogueHeld" => (
            7,
            Event::DialogueHeld(DialogueHeld {
                held_on: date!(2025 - 02 - 28),
                topics: "Capaian triwulan I dan hambatan layanan".into(),
                agreed_actions: vec!["Menyusun SOP pelayanan baru".into(), "Pendampingan oleh pejabat fungsional senior".into()],
            }),
            RATER,
            ActorRole::Rater,
        ),
        "DialogueAcknowledged" => {
            (8, Event::DialogueAcknowledged(DialogueAcknowledged { dialogue_version: 7 }), EMPLOYEE, ActorRole::Employee)
        }
        "SelfAssessed" => (
            9,
            Event::SelfAssessed(SelfAssessed {
                period: period("2025-02"),
                results_rating: Rating::DiAtasEkspektasi,
                behaviour_rating: Rating::SesuaiEkspektasi,
                narrative: "Dokumen selesai lebih awal dari target".into(),
            }),
            EMPLOYEE,
            ActorRole::Employee,
        ),
        "EvaluatorsNominated" => (
            6,
            Event::EvaluatorsNominated(EvaluatorsNominated {
                evaluators: vec![
                    Evaluator { nip: nip(PEER), name: "Rina Wijayanti".into(), relation: Relation::Peer },
                    Evaluator { nip: nip(SUBORDINATE), name: "Andi Pratama".into(), relation: Relation::Subordinate },
                ],
            }),
            RATER,
            ActorRole::Rater,
        ),
        "BehaviourRated" => {
            let ratings = CoreValue::ALL
                .into_iter()
                .map(|v| (v, if v == CoreValue::Kolaboratif { Rating::DiAtasEkspektasi } else { Rating::SesuaiEkspektasi }))
                .collect();
            let rated = BehaviourRated { period: period("2025-02"), ratings, comment: Some("Selalu membantu rekan".into()) };
            (1, Event::BehaviourRated(rated), PEER, ActorRole::Peer)
        }
        "PublicFeedbackRecorded" => (
            2,
            Event::PublicFeedbackRecorded(PublicFeedbackRecorded {
                channel: Channel::Loket,
                service_ref: "LKT-2025-000417".into(),
                score: 4,
                text: Some("Pelayanan cepat dan ramah".into()),
            }),
            SERVICE_DESK,
            ActorRole::ServiceDesk,
        ),
        other => development_event_of(other),
    }
}

/// The development plan's events as the fixtures hold them (issue 14).
fn development_event_of(type_name: &str) -> (u64, Event, &'static str, ActorRole) {
    let action = || "A1".to_owned();
    match type_name {
        "DevelopmentPlanOpened" => (
            1,
            Event::DevelopmentPlanOpened(DevelopmentPlanOpened {
                kind: DevelopmentKind::Pembinaan,
                due: date!(2025 - 09 - 01),
                appraisal_id: uuid(APPRAISAL_ID),
                cycle_id: uuid(CYCLE_ID),
                year: 2025,
                employee: person(EMPLOYEE, "Siti Rahmawati", "Analis Kebijakan Ahli Muda", "Bidang Perencanaan"),
                rater: person(RATER, "Bambang Sutrisno", "Kepala Bidang Perencanaan", "Bidang Perencanaan"),
                rater_superior: person(SUPERIOR, "Dewi Lestari", "Sekretaris Badan", "Sekretariat"),
                predikat: Predikat::Kurang,
                finalized_at: datetime!(2025-03-01 02:30 UTC),
            }),
            RATER,
            ActorRole::Rater,
        ),
        "ActionAdded" => (
            2,
            Event::ActionAdded(ActionAdded {
                action_id: action(),
                action_type: ActionType::Coaching,
                description: "Coaching manajemen waktu dan disiplin kerja".into(),
                due: date!(2025 - 06 - 30),
                mentor_nip: Some(nip(PEER)),
            }),
            RATER,
            ActorRole::Rater,
        ),
        "SessionRecorded" => (
            3,
            Event::SessionRecorded(SessionRecorded {
                action_id: action(),
                held_on: date!(2025 - 03 - 15),
                notes: "Sesi 1: jadwal harian disepakati".into(),
                next_steps: Some("Catatan kehadiran dua minggu".into()),
            }),
            PEER,
            ActorRole::Mentor,
        ),
        "ActionCompleted" => (
            4,
            Event::ActionCompleted(ActionCompleted { action_id: action(), evidence: "Laporan coaching ND-2025/201".into() }),
            EMPLOYEE,
            ActorRole::Employee,
        ),
        "ActionConfirmed" => (5, Event::ActionConfirmed(ActionConfirmed { action_id: action() }), RATER, ActorRole::Rater),
        "ImprovementReviewed" => (
            6,
            Event::ImprovementReviewed(ImprovementReviewed {
                outcome: ImprovementOutcome::NotImproved,
                basis: "Capaian triwulan III tetap di bawah target".into(),
            }),
            RATER,
            ActorRole::Rater,
        ),
        "FollowUpDecided" => (
            7,
            Event::FollowUpDecided(FollowUpDecided {
                measure: FollowUpMeasure::UjiKompetensi,
                basis: "Keputusan Kepala BKPSDM 800/123/2025".into(),
            }),
            ADMIN,
            ActorRole::Admin,
        ),
        other => panic!("no golden value for {other}"),
    }
}

/// The number in the fixture's `event_id`, fixed when the fixture was written: the type's
/// place in its feature's block of [`EVENT_TYPES`] (the first 13 types, then each later
/// feature's types numbered from 14 on, as they were on the branch that wrote them). A new
/// type never renumbers an older fixture, so its bytes and hash stay as they were.
fn fixture_number(type_name: &str) -> usize {
    const BLOCKS: [&[&str]; 4] = [
        &[
            "CycleOpened", "AppraisalOpened", "PlanDrafted", "PlanSubmitted", "PlanReturned", "TargetsAgreed", "FeedbackGiven",
            "RealisationRecorded", "ScoreGiven", "ScoreAccepted", "ScoreObjected", "ForumResolved", "ScoreFinalized",
        ],
        // Voices beyond the rater (issue 13).
        &["ExpectationsSet", "DialogueHeld", "DialogueAcknowledged", "SelfAssessed", "EvaluatorsNominated", "BehaviourRated", "PublicFeedbackRecorded"],
        // Development plans and pembinaan (issue 14).
        &["DevelopmentPlanOpened", "ActionAdded", "SessionRecorded", "ActionCompleted", "ActionConfirmed", "ImprovementReviewed", "FollowUpDecided"],
        // Periodic evaluation and unit capaian (issue 12).
        &["PeriodEvaluated", "PeriodEvaluationCorrected", "UnitCapaianSet"],
    ];
    let (block, position) = BLOCKS
        .iter()
        .enumerate()
        .find_map(|(b, types)| types.iter().position(|t| *t == type_name).map(|p| (b, p)))
        .unwrap_or_else(|| panic!("{type_name} has no fixture number"));
    if block == 0 { position + 1 } else { 14 + position }
}


/// The sealed envelope of the fixture `type_name`.
fn golden_envelope(type_name: &str) -> Envelope {
    let (version, event, actor, role) = event_of(type_name);
    let index = fixture_number(type_name);
    let (aggregate_type, aggregate_id) = match event {
        Event::CycleOpened(_) | Event::UnitCapaianSet(_) => (AggregateType::Cycle, CYCLE_ID),
        // The survey of an appraisal has the appraisal's id, on its own subject.
        Event::BehaviourRated(_) | Event::PublicFeedbackRecorded(_) => (AggregateType::Survey, APPRAISAL_ID),
        Event::DevelopmentPlanOpened(_)
        | Event::ActionAdded(_)
        | Event::SessionRecorded(_)
        | Event::ActionCompleted(_)
        | Event::ActionConfirmed(_)
        | Event::ImprovementReviewed(_)
        | Event::FollowUpDecided(_) => (AggregateType::Development, PLAN_ID),
        _ => (AggregateType::Appraisal, APPRAISAL_ID),
    };
    Envelope {
        event_id: uuid(&format!("01955a3e-2f00-7000-8000-{index:012x}")),
        aggregate_type,
        aggregate_id: uuid(aggregate_id),
        version,
        schema_version: event.schema_version(),
        event,
        occurred_at: datetime!(2025-03-01 02:30 UTC),
        actor: Actor { nip: nip(actor), role },
        command_id: uuid(COMMAND_ID),
        correlation_id: uuid(CORRELATION_ID),
        causation_id: uuid(COMMAND_ID),
        prev_hash: if version == 1 { GENESIS_HASH } else { PREV_HASH }.into(),
        hash: String::new(),
    }
    .seal()
    .expect("no floats")
}

/// The fixture file of `type_name` at schema `version`: `<Type>.json` for version 1,
/// `<Type>.v<N>.json` above.
fn fixture_file(type_name: &str, version: u32) -> String {
    if version == 1 {
        format!("{type_name}.json")
    } else {
        format!("{type_name}.v{version}.json")
    }
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn read_fixture(file: &str) -> String {
    let path = golden_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

/// The fixture of `type_name` at its current schema version.
fn fixture(type_name: &str) -> String {
    read_fixture(&fixture_file(type_name, current_version(type_name)))
}

/// Every fixture file, of every version.
fn all_fixtures() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(golden_dir())
        .expect("the golden directory")
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

/// Writes the value canonically, compares with the fixture, and reads the fixture back.
fn check_golden(type_name: &str) {
    let envelope = golden_envelope(type_name);
    assert_eq!(envelope.event.type_name(), type_name);
    assert_eq!(envelope.schema_version, current_version(type_name));
    let written = String::from_utf8(envelope.to_canonical_bytes().expect("canonical")).expect("UTF-8");
    let expected = fixture(type_name);
    assert_eq!(written, expected, "the wire form of {type_name} changed");
    let read = Envelope::decode(expected.as_bytes()).expect("the fixture decodes");
    assert_eq!(read, envelope, "{type_name} read back");
}

macro_rules! golden {
    ($($test:ident => $type_name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_golden($type_name);
            }
        )*
    };
}

golden! {
    cycle_opened_keeps_its_wire_form => "CycleOpened",
    appraisal_opened_keeps_its_wire_form => "AppraisalOpened",
    plan_drafted_keeps_its_wire_form => "PlanDrafted",
    plan_submitted_keeps_its_wire_form => "PlanSubmitted",
    plan_returned_keeps_its_wire_form => "PlanReturned",
    targets_agreed_keeps_its_wire_form => "TargetsAgreed",
    feedback_given_keeps_its_wire_form => "FeedbackGiven",
    realisation_recorded_keeps_its_wire_form => "RealisationRecorded",
    score_given_keeps_its_wire_form => "ScoreGiven",
    score_accepted_keeps_its_wire_form => "ScoreAccepted",
    score_objected_keeps_its_wire_form => "ScoreObjected",
    forum_resolved_keeps_its_wire_form => "ForumResolved",
    score_finalized_keeps_its_wire_form => "ScoreFinalized",
    // Periodic evaluation and unit capaian (issue 12).
    period_evaluated_keeps_its_wire_form => "PeriodEvaluated",
    period_evaluation_corrected_keeps_its_wire_form => "PeriodEvaluationCorrected",
    unit_capaian_set_keeps_its_wire_form => "UnitCapaianSet",
    // Voices beyond the rater (issue 13).
    expectations_set_keeps_its_wire_form => "ExpectationsSet",
    dialogue_held_keeps_its_wire_form => "DialogueHeld",
    dialogue_acknowledged_keeps_its_wire_form => "DialogueAcknowledged",
    self_assessed_keeps_its_wire_form => "SelfAssessed",
    evaluators_nominated_keeps_its_wire_form => "EvaluatorsNominated",
    behaviour_rated_keeps_its_wire_form => "BehaviourRated",
    public_feedback_recorded_keeps_its_wire_form => "PublicFeedbackRecorded",
    // Development plans and pembinaan (issue 14).
    development_plan_opened_keeps_its_wire_form => "DevelopmentPlanOpened",
    action_added_keeps_its_wire_form => "ActionAdded",
    session_recorded_keeps_its_wire_form => "SessionRecorded",
    action_completed_keeps_its_wire_form => "ActionCompleted",
    action_confirmed_keeps_its_wire_form => "ActionConfirmed",
    improvement_reviewed_keeps_its_wire_form => "ImprovementReviewed",
    follow_up_decided_keeps_its_wire_form => "FollowUpDecided",
}

#[test]
fn there_is_one_fixture_per_event_type_and_schema_version_and_no_other() {
    let mut expected: Vec<String> =
        EVENT_TYPES.iter().flat_map(|t| (1..=current_version(t)).map(move |v| fixture_file(t, v))).collect();
    expected.sort();
    assert_eq!(all_fixtures(), expected);
}

// ---------------------------------------------------------------- older schema versions

/// `(event, schema_version)` of a stored version-1 fixture read by this code: the current
/// version's value with the defaults the upcaster gives.
fn upcast_value(type_name: &str) -> Event {
    match golden_envelope(type_name).event {
        Event::CycleOpened(c) => Event::CycleOpened(CycleOpened { period: PeriodKind::None, period_entry_days: 10, utc_offset_hours: 7, ..c }),
        Event::AppraisalOpened(a) => {
            Event::AppraisalOpened(AppraisalOpened { period: PeriodKind::None, period_entry_days: 10, utc_offset_hours: 7, ..a })
        }
        other => panic!("{} has no older version", other.type_name()),
    }
}

#[test]
fn the_types_at_version_2_are_the_opening_events_and_only_they() {
    let bumped: Vec<&str> = EVENT_TYPES.iter().copied().filter(|t| current_version(t) > 1).collect();
    assert_eq!(bumped, ["CycleOpened", "AppraisalOpened"]);
    assert!(EVENT_TYPES.iter().all(|t| current_version(t) <= 2));
}

#[test]
fn a_version_1_opening_keeps_its_bytes_and_hash_and_reads_as_annual_only() {
    for type_name in ["CycleOpened", "AppraisalOpened"] {
        let stored = read_fixture(&fixture_file(type_name, 1));
        let value: Value = serde_json::from_str(&stored).expect("JSON");
        assert_eq!(value["schema_version"], 1, "{type_name}");
        assert!(value["data"].get("period").is_none(), "{type_name} v1 has no period");
        let read = Envelope::decode(stored.as_bytes()).expect("a version 1 envelope decodes");
        assert_eq!(read.event, upcast_value(type_name), "{type_name} reads as annual only");
        assert_eq!(read.schema_version, 2, "{type_name} read back at the current version");
        assert_eq!(read.hash, value["hash"], "{type_name} keeps its stored hash");
        let current = golden_envelope(type_name);
        assert_eq!((read.event_id, read.version, &read.actor, &read.prev_hash), (current.event_id, current.version, &current.actor, &current.prev_hash));
        // The chain is checked on the stored text, which upcasting never touches.
        let mut verifier = ChainVerifier::default();
        assert_eq!(verifier.push_stored(stored.as_bytes()), vec![], "{type_name} v1 is intact as stored");
        assert_eq!(verifier.head(), value["hash"]);
    }
}

#[test]
fn an_appraisal_chain_begun_by_a_version_1_opening_goes_on_with_current_events() {
    let opening: Value = serde_json::from_str(&read_fixture("AppraisalOpened.json")).expect("JSON");
    let opened = Envelope::from_value(opening.clone()).expect("decodes");
    let mut next = golden_envelope("PlanDrafted");
    next.version = 2;
    next.prev_hash = opened.hash.clone();
    let next = serde_json::to_value(next.seal().expect("sealed")).expect("JSON");
    assert_eq!(verify_chain(&[opening, next]), vec![]);
}

#[test]
fn every_fixture_holds_exactly_the_envelope_fields_of_the_contract() {
    let fields = [
        "actor",
        "aggregate_id",
        "aggregate_type",
        "causation_id",
        "command_id",
        "correlation_id",
        "data",
        "event_id",
        "hash",
        "occurred_at",
        "prev_hash",
        "schema_version",
        "type",
        "version",
    ];
    for file in all_fixtures() {
        let value: Value = serde_json::from_str(&read_fixture(&file)).expect("JSON");
        let keys: Vec<&str> = value.as_object().expect("an object").keys().map(String::as_str).collect();
        assert_eq!(keys, fields, "{file}");
        let actor: Vec<&str> = value["actor"].as_object().expect("actor").keys().map(String::as_str).collect();
        assert_eq!(actor, ["nip", "role"], "{file}");
        let type_name = value["type"].as_str().expect("a type");
        assert_eq!(file, fixture_file(type_name, value["schema_version"].as_u64().expect("a version") as u32));
    }
}

#[test]
fn every_fixture_hash_is_sha256_of_prev_hash_and_the_rest() {
    for file in all_fixtures() {
        let mut value: Value = serde_json::from_str(&read_fixture(&file)).expect("JSON");
        let stored = value.as_object_mut().and_then(|o| o.remove("hash")).expect("a hash");
        let rest = skp_events::canonical::to_canonical_string(&value).expect("canonical");
        let prev = value["prev_hash"].as_str().expect("prev_hash");
        assert_eq!(stored, sha256_hex(format!("{prev}{rest}").as_bytes()), "{file}");
    }
}

#[test]
fn optional_fields_are_left_out_when_absent_and_read_back_as_none() {
    let feedback =
        Event::FeedbackGiven(FeedbackGiven { about: FeedbackAbout::Behaviour, text: "ok".into(), indicator_id: None });
    let realisation =
        Event::RealisationRecorded(RealisationRecorded { indicator_id: "I1".into(), value: 0, evidence: None });
    let objection = Event::ScoreObjected(ScoreObjected {
        reason: "r".into(),
        requested_results_rating: None,
        requested_behaviour_rating: None,
        decision_due: datetime!(2025-03-31 02:30 UTC),
    });
    let expected = [
        json!({"type": "FeedbackGiven", "data": {"about": "behaviour", "text": "ok"}}),
        json!({"type": "RealisationRecorded", "data": {"indicator_id": "I1", "value": 0}}),
        json!({"type": "ScoreObjected", "data": {"decision_due": "2025-03-31T02:30:00Z", "reason": "r"}}),
    ];
    for (event, expected) in [feedback, realisation, objection].into_iter().zip(expected) {
        assert_eq!(serde_json::to_value(&event).expect("JSON"), expected);
        assert_eq!(serde_json::from_value::<Event>(expected).expect("reads back"), event);
    }
}

#[test]
fn a_schema_version_newer_than_this_code_is_refused_not_misread() {
    let mut value: Value = serde_json::from_str(&fixture("ScoreGiven")).expect("JSON");
    value["schema_version"] = json!(2);
    let error = Envelope::from_value(value).expect_err("refused");
    assert!(matches!(error, DecodeError::UnknownSchema { found: 2, known: 1, .. }), "{error}");
    let mut value: Value = serde_json::from_str(&fixture("CycleOpened")).expect("JSON");
    value["schema_version"] = json!(3);
    let error = Envelope::from_value(value).expect_err("refused");
    assert!(matches!(error, DecodeError::UnknownSchema { found: 3, known: 2, .. }), "{error}");
}

#[test]
fn a_current_opening_without_its_period_fields_is_refused_not_defaulted() {
    // Only a version 1 event is upcast; a version 2 event must carry what version 2 says.
    let mut value: Value = serde_json::from_str(&fixture("CycleOpened")).expect("JSON");
    value["data"].as_object_mut().expect("data").remove("period");
    assert!(Envelope::from_value(value).is_err());
}

#[test]
fn a_period_of_another_grammar_in_a_stored_event_is_refused() {
    let text = fixture("PeriodEvaluated").replace("2025-02", "2025-13");
    assert!(Envelope::decode(text.as_bytes()).is_err());
}

#[test]
fn a_development_plans_id_is_uuid_v5_of_its_appraisals() {
    assert_eq!(skp_events::ids::development_plan_id(uuid(APPRAISAL_ID)), uuid(PLAN_ID));
}

#[test]
fn the_optional_fields_of_the_development_events_are_left_out_when_absent() {
    let action = Event::ActionAdded(ActionAdded {
        action_id: "A2".into(),
        action_type: ActionType::PenugasanKhusus,
        description: "d".into(),
        due: date!(2025 - 06 - 30),
        mentor_nip: None,
    });
    let session = Event::SessionRecorded(SessionRecorded { action_id: "A2".into(), held_on: date!(2025 - 04 - 01), notes: "n".into(), next_steps: None });
    let expected = [
        json!({"type": "ActionAdded", "data": {"action_id": "A2", "type": "penugasan_khusus", "description": "d", "due": "2025-06-30"}}),
        json!({"type": "SessionRecorded", "data": {"action_id": "A2", "held_on": "2025-04-01", "notes": "n"}}),
    ];
    for (event, expected) in [action, session].into_iter().zip(expected) {
        assert_eq!(serde_json::to_value(&event).expect("JSON"), expected);
        assert_eq!(serde_json::from_value::<Event>(expected).expect("reads back"), event);
    }
}

#[test]
fn an_invalid_nip_in_a_stored_event_is_refused() {
    let text = fixture("ScoreFinalized").replace(EMPLOYEE, "198513152010011002");
    assert!(Envelope::decode(text.as_bytes()).is_err());
}

#[test]
fn the_appraisal_id_is_uuid_v5_of_cycle_and_employee() {
    let id = skp_events::ids::appraisal_id(uuid(CYCLE_ID), &nip(EMPLOYEE));
    assert_eq!(id, uuid("e97709d4-45fa-56a6-8fc1-271212590b91"));
    assert_ne!(id, skp_events::ids::appraisal_id(uuid(CYCLE_ID), &nip(RATER)));
}

// ---------------------------------------------------------------- the hash, by a fixed vector

/// The canonical JSON of the test vector's envelope without `hash`, written out by hand:
/// keys sorted, no white space, `"` and the line break escaped, the dash left as UTF-8.
const VECTOR_CANONICAL: &str = r#"{"actor":{"nip":"197801012005011001","role":"rater"},"aggregate_id":"6f1c2b9e-4d3a-5e8f-9a1b-2c3d4e5f6a7b","aggregate_type":"appraisal","causation_id":"7d2e9f10-1a2b-4c3d-8e4f-5a6b7c8d9e0f","command_id":"7d2e9f10-1a2b-4c3d-8e4f-5a6b7c8d9e0f","correlation_id":"c0ffee00-0000-4000-8000-000000000001","data":{"reason":"Target \"I2\" terlalu rendah — revisi\nlihat catatan"},"event_id":"01955a3e-2f00-7000-8000-000000000005","occurred_at":"2025-03-01T02:30:00Z","prev_hash":"5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8","schema_version":1,"type":"PlanReturned","version":4}"#;
/// `printf '%s' "$PREV_HASH$VECTOR_CANONICAL" | sha256sum`
const VECTOR_HASH: &str = "f54bdbf94b4a83f168590290bf900cea973024b2b8871a792eee2821c7a24a6d";

fn vector_envelope() -> Envelope {
    let mut envelope = golden_envelope("PlanReturned");
    envelope.event =
        Event::PlanReturned(PlanReturned { reason: "Target \"I2\" terlalu rendah — revisi\nlihat catatan".into() });
    envelope.hash = String::new();
    envelope
}

#[test]
fn the_hash_vector_is_sha256_of_prev_hash_followed_by_the_canonical_json() {
    assert_eq!(sha256_hex(format!("{PREV_HASH}{VECTOR_CANONICAL}").as_bytes()), VECTOR_HASH);
}

#[test]
fn the_envelope_without_its_hash_is_written_exactly_as_the_vector() {
    let mut value = serde_json::to_value(vector_envelope()).expect("JSON");
    value.as_object_mut().expect("an object").remove("hash");
    assert_eq!(skp_events::canonical::to_canonical_string(&value).expect("canonical"), VECTOR_CANONICAL);
}

#[test]
fn sealing_the_vector_envelope_gives_the_vector_hash() {
    let sealed = vector_envelope().seal().expect("sealed");
    assert_eq!(sealed.hash, VECTOR_HASH);
    let body = String::from_utf8(sealed.to_canonical_bytes().expect("canonical")).expect("UTF-8");
    let with_hash = VECTOR_CANONICAL.replace(r#""occurred_at""#, &format!(r#""hash":"{VECTOR_HASH}","occurred_at""#));
    assert_eq!(body, with_hash);
}

// ---------------------------------------------------------------- the chain checker

/// Three chained events of one appraisal, as stored JSON.
fn chain_of_three() -> Vec<Value> {
    let mut previous = GENESIS_HASH.to_owned();
    ["AppraisalOpened", "PlanDrafted", "PlanSubmitted"]
        .into_iter()
        .zip(1..)
        .map(|(type_name, version)| {
            let mut envelope = golden_envelope(type_name);
            envelope.version = version;
            envelope.event_id = uuid(&format!("01955a3e-2f00-7000-8000-{:012x}", 0x100 + version));
            envelope.prev_hash = previous.clone();
            let sealed = envelope.seal().expect("sealed");
            previous = sealed.hash.clone();
            serde_json::to_value(sealed).expect("JSON")
        })
        .collect()
}

fn breaks(position: u64, chain: &[Value], kinds: Vec<BreakKind>) -> Vec<ChainBreak> {
    let event_id = chain[position as usize - 1]["event_id"].as_str().map(str::to_owned);
    kinds.into_iter().map(|kind| ChainBreak { position, event_id: event_id.clone(), kind }).collect()
}

#[test]
fn an_intact_chain_of_three_has_no_break() {
    let chain = chain_of_three();
    assert_eq!(chain[0]["prev_hash"], GENESIS_HASH);
    assert_eq!(chain[1]["prev_hash"], chain[0]["hash"]);
    assert_eq!(verify_chain(&chain), vec![]);
}

#[test]
fn a_changed_data_field_is_a_hash_mismatch_at_that_event() {
    let mut chain = chain_of_three();
    chain[1]["data"]["results"][0]["indicators"][0]["target"]["value"] = json!(1);
    assert_eq!(verify_chain(&chain), breaks(2, &chain, vec![BreakKind::HashMismatch]));
}

#[test]
fn a_changed_envelope_field_is_a_hash_mismatch_too() {
    let mut chain = chain_of_three();
    chain[2]["actor"]["role"] = json!("rater");
    assert_eq!(verify_chain(&chain), breaks(3, &chain, vec![BreakKind::HashMismatch]));
}

#[test]
fn a_removed_middle_event_is_a_version_gap_and_a_prev_hash_mismatch() {
    let mut chain = chain_of_three();
    chain.remove(1);
    let expected =
        breaks(2, &chain, vec![BreakKind::VersionGap { expected: 2, found: Some(3) }, BreakKind::PrevHashMismatch]);
    assert_eq!(verify_chain(&chain), expected);
}

#[test]
fn two_swapped_events_are_detected_at_both_places() {
    let mut chain = chain_of_three();
    chain.swap(1, 2);
    let mut expected =
        breaks(2, &chain, vec![BreakKind::VersionGap { expected: 2, found: Some(3) }, BreakKind::PrevHashMismatch]);
    expected.extend(breaks(
        3,
        &chain,
        vec![BreakKind::VersionGap { expected: 3, found: Some(2) }, BreakKind::PrevHashMismatch],
    ));
    assert_eq!(verify_chain(&chain), expected);
}

#[test]
fn a_float_in_the_data_has_no_canonical_form() {
    let mut chain = chain_of_three();
    chain[1]["data"]["results"][0]["indicators"][0]["target"]["value"] = json!(12.5);
    assert_eq!(verify_chain(&chain), breaks(2, &chain, vec![BreakKind::NotCanonical]));
}

#[test]
fn a_chain_whose_first_event_does_not_start_from_genesis_is_broken() {
    let mut chain = chain_of_three();
    chain.remove(0);
    let found = verify_chain(&chain);
    assert!(found.contains(&ChainBreak {
        position: 1,
        event_id: chain[0]["event_id"].as_str().map(str::to_owned),
        kind: BreakKind::PrevHashMismatch
    }));
}

#[test]
fn a_resumed_verifier_finds_what_the_whole_check_finds_after_the_split() {
    let mut tampered = chain_of_three();
    tampered[0]["actor"]["role"] = json!("rater");
    let mut swapped = chain_of_three();
    swapped.swap(1, 2);
    for chain in [chain_of_three(), tampered, swapped] {
        let whole = verify_chain(&chain);
        for split in 0..=chain.len() {
            let mut first = ChainVerifier::default();
            let mut found: Vec<ChainBreak> = chain[..split].iter().flat_map(|e| first.push(e)).collect();
            let mut resumed = ChainVerifier::resume(first.checked(), first.head().to_owned());
            found.extend(chain[split..].iter().flat_map(|e| resumed.push_mut(&mut e.clone())));
            assert_eq!(found, whole, "split at {split}");
        }
    }
}

/// `push_stored` of `body` and `push` of what serde_json reads from it (null when nothing),
/// from the same state: the breaks and the head after.
fn both_ways(checked: u64, head: &str, body: &[u8]) -> [(Vec<ChainBreak>, String); 2] {
    let mut fast = ChainVerifier::resume(checked, head.to_owned());
    let mut slow = ChainVerifier::resume(checked, head.to_owned());
    let fast_breaks = fast.push_stored(body);
    let slow_breaks = slow.push(&serde_json::from_slice(body).unwrap_or(Value::Null));
    [(fast_breaks, fast.head().to_owned()), (slow_breaks, slow.head().to_owned())]
}

fn sealed_body(type_name: &str) -> Vec<u8> {
    golden_envelope(type_name).seal_with_body().expect("sealed").1
}

#[test]
fn a_stored_canonical_body_is_checked_on_its_text() {
    for type_name in EVENT_TYPES {
        let body = sealed_body(type_name);
        let text = std::str::from_utf8(&body).expect("UTF-8");
        assert!(skp_events::canonical::canonical_members(text).is_some(), "{type_name} is stored canonical");
        let value: Value = serde_json::from_slice(&body).expect("JSON");
        let prev = value["prev_hash"].as_str().expect("prev_hash").to_owned();
        let version = value["version"].as_u64().expect("version");
        let [fast, slow] = both_ways(version - 1, &prev, &body);
        assert_eq!(fast, slow, "{type_name}");
        assert_eq!(fast.0, vec![], "{type_name} is intact");
    }
}

#[test]
fn checking_the_stored_text_finds_what_checking_the_parsed_json_finds_for_any_edit() {
    // Every single-byte edit of two stored envelopes, and edits of their structure: the text
    // path and the parsed path agree on the breaks and on the head they leave.
    let replacements = [b' ', b'0', b'1', b'9', b'-', b'.', b'e', b'"', b'\\', b'u', b'a', b'{', b'}', b',', b'\n', 0x7f];
    for type_name in ["ScoreGiven", "ForumResolved"] {
        let body = sealed_body(type_name);
        let value: Value = serde_json::from_slice(&body).expect("JSON");
        let prev = value["prev_hash"].as_str().expect("prev_hash").to_owned();
        let mut edits: Vec<Vec<u8>> = vec![body.clone()];
        for i in 0..body.len() {
            let mut deleted = body.clone();
            deleted.remove(i);
            edits.push(deleted);
            for &byte in &replacements {
                let mut replaced = body.clone();
                replaced[i] = byte;
                edits.push(replaced);
            }
        }
        let text = String::from_utf8(body.clone()).expect("UTF-8");
        let structural = [
            text.replacen(r#""hash":"#, r#""hash": "#, 1),
            text.replacen(r#""version":"#, r#""version":"5","x":"#, 1),
            text.replacen(r#""version":"#, r#""version":-"#, 1),
            text.replacen(r#""version":"#, r#""version":1.0,"z":"#, 1),
            text.replacen(r#""event_id":""#, r#""event_id":"\u0030"#, 1),
            text.replacen(r#""prev_hash":""#, r#""prev_hash":"\/"#, 1),
            text.replacen(r#""hash":""#, r#""hash":"\"\\"#, 1),
            text.replacen(r#""hash":"#, r#""hash":7,"hash2":"#, 1),
            text.replacen(r#""actor":"#, r#""actor":{},"actor":"#, 1),
            text.replacen(r#""causation_id":"#, r#""aaa":1,"causation_id":"#, 1),
            serde_json::to_string_pretty(&value).expect("JSON"),
            format!("{text} "),
            format!(r#"{{"hash":{}}}"#, serde_json::json!(value["hash"])),
            r#"{"hash":"x"}"#.to_owned(),
            r#"{"hash":"x","prev_hash":"y","version":5}"#.to_owned(),
            r#"{"event_id":"e","hash":"x"}"#.to_owned(),
            r#"{"version":1}"#.to_owned(),
            "{}".to_owned(),
            "null".to_owned(),
            String::new(),
        ];
        edits.extend(structural.into_iter().map(String::into_bytes));
        // Sealed correctly with `hash` first, last or alone: intact both ways.
        for unsealed in [json!({}), json!({"prev_hash": "y", "version": 5}), json!({"event_id": "e", "data": [1]}), json!({"a": 1})] {
            let mut sealed = unsealed.clone();
            let hash = skp_events::envelope::hash_of_value(&mut sealed.clone()).expect("canonical");
            sealed["hash"] = json!(hash);
            edits.push(skp_events::canonical::to_canonical_string(&sealed).expect("canonical").into_bytes());
        }
        for edit in &edits {
            for (checked, head) in [(0, GENESIS_HASH), (4, prev.as_str()), (4, "")] {
                let [fast, slow] = both_ways(checked, head, edit);
                assert_eq!(fast, slow, "{type_name} edited to {}", String::from_utf8_lossy(edit));
            }
        }
    }
}
