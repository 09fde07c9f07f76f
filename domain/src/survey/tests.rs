//! The survey's decisions and its 360 view, against appraisals of the standard story.

use super::summary::{Feedback360, SurveyAccess};
use super::*;
use crate::appraisal::{Appraisal, Status};
use crate::testing::*;
use crate::{Caller, Ctx, Decision, DomainError};
use skp_events::voices::{BehaviourRated, Channel, CoreValue, PeriodRef, PublicFeedbackRecorded};
use skp_events::Rating::{self, *};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// A time while the targets are agreed (the standard story agrees them on its 4th day).
const NOW: OffsetDateTime = datetime!(2025-03-10 08:00 UTC);

fn appraisal(events: Vec<skp_events::Event>) -> Appraisal {
    given(events).state
}

fn nominated_and_agreed() -> Appraisal {
    appraisal(with_nominations(until(Status::TargetsAgreed)))
}

fn all(rating: Rating) -> BTreeMap<CoreValue, Rating> {
    CoreValue::ALL.into_iter().map(|v| (v, rating)).collect()
}

fn rate(period: &str, ratings: BTreeMap<CoreValue, Rating>) -> SurveyCommand {
    SurveyCommand::RateBehaviour { period: PeriodRef::parse(period).expect("a period"), ratings, comment: None }
}

fn public(score: u8, text: Option<&str>) -> SurveyCommand {
    SurveyCommand::RecordPublicFeedback { channel: Channel::Survei, service_ref: "SKM-2025-031".into(), score, text: text.map(str::to_owned) }
}

fn decide_as(survey: &Survey, appraisal: &Appraisal, command: &SurveyCommand, who: &Who) -> Result<Decision, DomainError> {
    decide(survey, appraisal, command, &Ctx { caller: who.caller.clone(), now: NOW })
}

fn code(result: Result<Decision, DomainError>) -> &'static str {
    result.expect_err("refused").code()
}

fn rated(period: &str, ratings: BTreeMap<CoreValue, Rating>) -> skp_events::Event {
    skp_events::Event::BehaviourRated(BehaviourRated { period: PeriodRef::parse(period).expect("a period"), ratings, comment: None })
}

/// A survey with answers by `who`s for `period`, a day apart from `NOW`.
fn answered(answers: Vec<(Who, &str, BTreeMap<CoreValue, Rating>)>) -> Survey {
    let events = answers.into_iter().zip(0..).map(|((who, period, ratings), day)| (NOW + Duration::days(day), who, rated(period, ratings))).collect();
    Survey::from_events(APPRAISAL_ID, &survey_history(events))
}

// ---------------------------------------------------------------- answering

#[test]
fn a_nominated_evaluator_answers_for_all_seven_values_in_the_relation_nominated() {
    let appraisal = nominated_and_agreed();
    let survey = Survey::new(APPRAISAL_ID);
    for (who, role) in [(peer(), ActorRole::Peer), (nominee(), ActorRole::Subordinate)] {
        let decision = decide_as(&survey, &appraisal, &rate("annual", all(SesuaiEkspektasi)), &who);
        assert_eq!(decision, Ok(Decision::Record { event: rated("annual", all(SesuaiEkspektasi)), role }));
    }
}

#[test]
fn an_evaluator_answers_once_per_period() {
    let appraisal = appraisal(with_nominations(in_cycle(skp_events::period::PeriodKind::Monthly, until(Status::TargetsAgreed))));
    let survey = answered(vec![(peer(), "2025-03", all(SesuaiEkspektasi))]);
    let refused = decide_as(&survey, &appraisal, &rate("2025-03", all(DiAtasEkspektasi)), &peer()).expect_err("refused");
    assert_eq!(refused.code(), "already_rated");
    assert!(matches!(refused, DomainError::Conflict { .. }));
    assert!(decide_as(&survey, &appraisal, &rate("2025-04", all(DiAtasEkspektasi)), &peer()).is_ok());
    assert!(decide_as(&survey, &appraisal, &rate("2025-03", all(DiAtasEkspektasi)), &nominee()).is_ok(), "another evaluator still answers");
}

#[test]
fn nobody_the_rater_did_not_nominate_answers_and_they_hear_only_forbidden() {
    let appraisal = nominated_and_agreed();
    let survey = Survey::new(APPRAISAL_ID);
    for who in [employee(), rater(), superior(), admin(), inspector(), service_desk(), peer().also_inspector()] {
        assert_eq!(code(decide_as(&survey, &appraisal, &rate("annual", all(SesuaiEkspektasi)), &who)), "forbidden", "{:?}", who.caller);
        assert_eq!(code(decide_as(&survey, &appraisal, &rate("1999-01", BTreeMap::new()), &who)), "forbidden");
    }
    let not_nominated = appraisal_without_nominations();
    assert_eq!(code(decide_as(&survey, &not_nominated, &rate("annual", all(SesuaiEkspektasi)), &peer())), "forbidden");
}

fn appraisal_without_nominations() -> Appraisal {
    appraisal(until(Status::TargetsAgreed))
}

#[test]
fn answers_are_taken_while_the_targets_are_agreed_and_on_an_appraisal_that_exists() {
    let survey = Survey::new(APPRAISAL_ID);
    for status in [Status::Opened, Status::PlanSubmitted, Status::Scored, Status::Final] {
        let appraisal = appraisal(with_nominations(until(status)));
        assert_eq!(code(decide_as(&survey, &appraisal, &rate("annual", all(SesuaiEkspektasi)), &peer())), "invalid_transition", "{status}");
    }
    let nothing = Appraisal::new(APPRAISAL_ID);
    assert_eq!(code(decide_as(&survey, &nothing, &rate("annual", all(SesuaiEkspektasi)), &peer())), "not_found");
}

#[test]
fn an_answer_names_a_period_of_the_cycles_year_and_rates_every_value() {
    let appraisal = nominated_and_agreed();
    let survey = Survey::new(APPRAISAL_ID);
    assert_eq!(code(decide_as(&survey, &appraisal, &rate("2024-12", all(SesuaiEkspektasi)), &peer())), "invalid_period");
    let mut six = all(SesuaiEkspektasi);
    six.remove(&CoreValue::Harmonis);
    let refused = decide_as(&survey, &appraisal, &rate("annual", six), &peer()).expect_err("refused");
    assert_eq!(refused.code(), "ratings_incomplete");
    assert!(refused.to_string().contains("harmonis"), "{refused}");
    let noisy = SurveyCommand::RateBehaviour { period: PeriodRef::annual(), ratings: all(SesuaiEkspektasi), comment: Some("\u{7}".into()) };
    assert_eq!(code(decide_as(&survey, &appraisal, &noisy, &peer())), "invalid_text");
}

// ---------------------------------------------------------------- public feedback

#[test]
fn the_service_desk_records_the_publics_feedback() {
    let decision = decide_as(&Survey::new(APPRAISAL_ID), &appraisal_without_nominations(), &public(4, Some("Pelayanan cepat")), &service_desk());
    let expected = skp_events::Event::PublicFeedbackRecorded(PublicFeedbackRecorded {
        channel: Channel::Survei,
        service_ref: "SKM-2025-031".into(),
        score: 4,
        text: Some("Pelayanan cepat".into()),
    });
    assert_eq!(decision, Ok(Decision::Record { event: expected, role: ActorRole::ServiceDesk }));
}

#[test]
fn only_a_service_desk_with_no_part_in_the_appraisal_records_public_feedback() {
    let appraisal = appraisal_without_nominations();
    let survey = Survey::new(APPRAISAL_ID);
    let desk = |who: Who| Who { caller: Caller { service_desk: true, ..who.caller }, role: who.role };
    for who in [employee(), rater(), superior(), admin(), peer(), inspector(), desk(employee()), desk(rater()), desk(superior()), service_desk().also_inspector()] {
        assert_eq!(code(decide_as(&survey, &appraisal, &public(4, None), &who)), "forbidden", "{:?}", who.caller);
    }
    let scored = self::appraisal(until(Status::Scored));
    assert_eq!(code(decide_as(&survey, &scored, &public(4, None), &service_desk())), "invalid_transition");
}

#[test]
fn public_feedback_has_a_score_of_one_to_five_a_reference_and_names_no_citizen() {
    let appraisal = appraisal_without_nominations();
    let survey = Survey::new(APPRAISAL_ID);
    let try_it = |command: SurveyCommand| decide_as(&survey, &appraisal, &command, &service_desk());
    assert_eq!(code(try_it(public(0, None))), "invalid_value");
    assert_eq!(code(try_it(public(6, None))), "invalid_value");
    assert!(try_it(public(1, None)).is_ok() && try_it(public(5, None)).is_ok());
    assert_eq!(code(try_it(public(2, Some("Pemohon NIK 3201012345678901 menunggu lama")))), "personal_data");
    let with_ref = |service_ref: &str| SurveyCommand::RecordPublicFeedback { channel: Channel::Pengaduan, service_ref: service_ref.into(), score: 2, text: None };
    assert_eq!(code(try_it(with_ref("3201 0123 4567 8901"))), "personal_data");
    assert_eq!(code(try_it(with_ref(" "))), "invalid_text");
    assert_eq!(code(try_it(with_ref(&"x".repeat(101)))), "invalid_text");
}

// ---------------------------------------------------------------- the 360 view

fn spread(kolaboratif: Rating) -> BTreeMap<CoreValue, Rating> {
    let mut ratings = all(SesuaiEkspektasi);
    ratings.insert(CoreValue::Kolaboratif, kolaboratif);
    ratings
}

#[test]
fn under_three_answers_the_employee_sees_the_count_and_no_aggregate_the_raters_side_sees_all() {
    let appraisal = nominated_and_agreed();
    let survey = answered(vec![(peer(), "annual", spread(DiAtasEkspektasi)), (nominee(), "annual", spread(DiBawahEkspektasi))]);
    let own = Feedback360::of(&appraisal, &survey, &PeriodRef::annual(), SurveyAccess::AggregatesOnly);
    assert_eq!((own.answers, own.view, own.by_value.is_none()), (2, "aggregates", true));
    assert!(own.responses.is_none() && own.public_feedback.is_none());
    let json = serde_json::to_value(&own).expect("JSON");
    assert!(json.get("responses").is_none() && json["by_value"].is_null(), "{json}");
    let full = Feedback360::of(&appraisal, &survey, &PeriodRef::annual(), SurveyAccess::Full);
    let by_value = full.by_value.expect("the rater's side sees aggregates from one answer");
    assert_eq!((by_value[&CoreValue::Kolaboratif].count, by_value[&CoreValue::Kolaboratif].median), (2, DiBawahEkspektasi), "the lower median");
    let responses = full.responses.expect("every answer");
    assert_eq!(responses.len(), 2);
    assert_eq!((responses[1].evaluator_name.as_deref(), responses[1].relation), (Some("Andi Pratama"), "subordinate"));
}

#[test]
fn from_three_answers_the_employee_sees_the_median_of_each_value_and_still_no_answer() {
    let appraisal = nominated_and_agreed();
    let third = Who { caller: Caller { nip: nip("199204042019031002"), ..peer().caller }, role: Some(ActorRole::Peer) };
    let survey = answered(vec![
        (peer(), "annual", spread(DiAtasEkspektasi)),
        (nominee(), "annual", spread(DiBawahEkspektasi)),
        (third, "annual", spread(DiAtasEkspektasi)),
        (peer(), "2025-03", all(DiBawahEkspektasi)),
    ]);
    let own = Feedback360::of(&appraisal, &survey, &PeriodRef::annual(), SurveyAccess::AggregatesOnly);
    let by_value = own.by_value.clone().expect("three answers");
    assert_eq!(own.answers, 3, "only the period's answers");
    assert_eq!((by_value[&CoreValue::Kolaboratif].count, by_value[&CoreValue::Kolaboratif].median), (3, DiAtasEkspektasi));
    assert_eq!(by_value[&CoreValue::Loyal].median, SesuaiEkspektasi);
    assert_eq!(by_value.len(), 7);
    let text = serde_json::to_string(&own).expect("JSON");
    for nip in [PEER_NIP, NOMINEE_NIP, "199204042019031002"] {
        assert!(!text.contains(nip), "no evaluator named in the employee's view: {text}");
    }
    let march = Feedback360::of(&appraisal, &survey, &PeriodRef::parse("2025-03").expect("a period"), SurveyAccess::AggregatesOnly);
    assert_eq!((march.answers, march.by_value), (1, None));
}

#[test]
fn public_feedback_is_counted_in_its_period_and_its_mean_shown_to_the_employee_from_three_pieces() {
    let appraisal = nominated_and_agreed();
    let piece = |score| skp_events::Event::PublicFeedbackRecorded(PublicFeedbackRecorded { channel: Channel::Loket, service_ref: "L-1".into(), score, text: None });
    // 2025-03-31 17:00 UTC is 2025-04-01 00:00 WIB: the third piece is April's.
    let survey = Survey::from_events(
        APPRAISAL_ID,
        &survey_history(vec![
            (datetime!(2025-03-02 08:00 UTC), service_desk(), piece(5)),
            (datetime!(2025-03-31 16:59:59 UTC), service_desk(), piece(4)),
            (datetime!(2025-03-31 17:00 UTC), service_desk(), piece(2)),
        ]),
    );
    let march = PeriodRef::parse("2025-03").expect("a period");
    let own = Feedback360::of(&appraisal, &survey, &march, SurveyAccess::AggregatesOnly);
    assert_eq!((own.public.count, own.public.mean_score), (2, None));
    let full = Feedback360::of(&appraisal, &survey, &march, SurveyAccess::Full);
    assert_eq!(full.public.mean_score, Some(4.5));
    assert_eq!(full.public_feedback.map(|p| p.len()), Some(2));
    let year = Feedback360::of(&appraisal, &survey, &PeriodRef::annual(), SurveyAccess::AggregatesOnly);
    assert_eq!((year.public.count, year.public.mean_score), (3, Some(3.67)));
}

#[test]
fn the_view_carries_the_self_assessment_and_the_raters_rating_of_the_period() {
    let mut events = until(Status::TargetsAgreed);
    events.push(skp_events::Event::SelfAssessed(skp_events::voices::SelfAssessed {
        period: PeriodRef::annual(),
        results_rating: DiAtasEkspektasi,
        behaviour_rating: DiAtasEkspektasi,
        narrative: "melampaui target".into(),
    }));
    events.push(scored());
    let appraisal = appraisal(events);
    let view = Feedback360::of(&appraisal, &Survey::new(APPRAISAL_ID), &PeriodRef::annual(), SurveyAccess::AggregatesOnly);
    assert_eq!(view.self_assessment.map(|s| s.results_rating), Some(DiAtasEkspektasi));
    assert_eq!(view.rater_rating.map(|r| r.predikat), Some(skp_events::Predikat::Baik));
    assert_eq!((view.answers, view.by_value, view.public.count, view.public.mean_score), (0, None, 0, None));
}
