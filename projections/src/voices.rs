//! Voices beyond the rater, per unit (issue 13): how many appraisals had a performance
//! dialogue and a survey answer before their score. Each appraisal keeps a row (its counts
//! and, once scored, what came before the score); each cycle and each unit of it keeps
//! counters, moved by deltas in the batch's transaction, so that a cycle of 300,000
//! appraisals answers as fast as one of 300 and nothing is ever recounted.
//!
//! "Before" is stream order: the survey's events and the appraisal's are in the same stream,
//! so a `BehaviourRated` stored before the `ScoreGiven` came before it.

use crate::error::ProjectionError;
use crate::event::StoredEvent;
use crate::projection::Projection;
use crate::store::ReadStore;
use futures::future::BoxFuture;
use serde::Serialize;
use skp_events::{AggregateType, Event};
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/voices");

/// The key of a cycle's own counters in `voices_units` (no unit is blank: opening refuses one).
const CYCLE_ROW: &str = "";

/// The voices projection.
#[derive(Debug, Clone, Default)]
pub struct VoicesProjection;

/// One appraisal as the projection keeps it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AppraisalVoices {
    /// The appraisal (and its survey).
    pub appraisal_id: Uuid,
    /// Its cycle.
    pub cycle_id: Uuid,
    /// The employee's unit at opening.
    pub unit: String,
    /// Dialogues recorded.
    pub dialogues: i32,
    /// Survey answers recorded.
    pub survey_answers: i32,
    /// Pieces of public feedback recorded.
    pub public_feedback: i32,
    /// Whether it has a score.
    pub scored: bool,
    /// Whether a dialogue came before the score.
    pub dialogue_before_score: bool,
    /// Whether a survey answer came before the score.
    pub survey_before_score: bool,
}

/// The counters of a cycle or a unit; also a delta of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Counters {
    /// Appraisals opened.
    pub appraisals: i64,
    /// Appraisals with at least one dialogue.
    pub with_dialogue: i64,
    /// Appraisals with at least one survey answer.
    pub with_survey: i64,
    /// Appraisals scored.
    pub scored: i64,
    /// Scored appraisals that had a dialogue before the score.
    pub dialogue_before_score: i64,
    /// Scored appraisals that had a survey answer before the score.
    pub survey_before_score: i64,
    /// Scored appraisals that had both before the score.
    pub both_before_score: i64,
}

/// What one event changes of an appraisal's row, and the counters' delta (pure).
///
/// # Errors
/// [`ProjectionError::Inconsistent`] for an event of an appraisal never opened.
pub fn apply(row: Option<AppraisalVoices>, stored: &StoredEvent) -> Result<(Option<AppraisalVoices>, Counters), ProjectionError> {
    let e = &stored.envelope;
    let mut delta = Counters::default();
    if let Event::AppraisalOpened(o) = &e.event {
        delta.appraisals = 1;
        let row = AppraisalVoices {
            appraisal_id: e.aggregate_id,
            cycle_id: o.cycle_id,
            unit: o.employee.unit.clone(),
            dialogues: 0,
            survey_answers: 0,
            public_feedback: 0,
            scored: false,
            dialogue_before_score: false,
            survey_before_score: false,
        };
        return Ok((Some(row), delta));
    }
    let counted = matches!(e.event, Event::DialogueHeld(_) | Event::BehaviourRated(_) | Event::PublicFeedbackRecorded(_) | Event::ScoreGiven(_));
    let Some(mut row) = row else {
        if counted {
            let problem = format!("{} of appraisal {} that was never opened", e.event.type_name(), e.aggregate_id);
            return Err(ProjectionError::Inconsistent { stream_seq: stored.stream_seq, problem });
        }
        return Ok((None, delta));
    };
    match &e.event {
        Event::DialogueHeld(_) => {
            row.dialogues += 1;
            delta.with_dialogue = i64::from(row.dialogues == 1);
        }
        Event::BehaviourRated(_) => {
            row.survey_answers += 1;
            delta.with_survey = i64::from(row.survey_answers == 1);
        }
        Event::PublicFeedbackRecorded(_) => row.public_feedback += 1,
        Event::ScoreGiven(_) if !row.scored => {
            row.scored = true;
            row.dialogue_before_score = row.dialogues > 0;
            row.survey_before_score = row.survey_answers > 0;
            delta.scored = 1;
            delta.dialogue_before_score = i64::from(row.dialogue_before_score);
            delta.survey_before_score = i64::from(row.survey_before_score);
            delta.both_before_score = i64::from(row.dialogue_before_score && row.survey_before_score);
        }
        _ => {}
    }
    Ok((Some(row), delta))
}

impl Counters {
    fn add(&mut self, other: Counters) {
        self.appraisals += other.appraisals;
        self.with_dialogue += other.with_dialogue;
        self.with_survey += other.with_survey;
        self.scored += other.scored;
        self.dialogue_before_score += other.dialogue_before_score;
        self.survey_before_score += other.survey_before_score;
        self.both_before_score += other.both_before_score;
    }

    fn is_zero(&self) -> bool {
        *self == Counters::default()
    }
}

impl Projection for VoicesProjection {
    fn name(&self) -> &'static str {
        "voices"
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    fn apply<'a>(&'a self, tx: &'a mut PgConnection, events: &'a [StoredEvent]) -> BoxFuture<'a, Result<Vec<Uuid>, ProjectionError>> {
        Box::pin(apply_batch(tx, events))
    }
}

async fn apply_batch(tx: &mut PgConnection, events: &[StoredEvent]) -> Result<Vec<Uuid>, ProjectionError> {
    let mine = |e: &&StoredEvent| matches!(e.envelope.aggregate_type, AggregateType::Appraisal | AggregateType::Survey);
    let ids: Vec<Uuid> = events.iter().filter(mine).map(|e| e.envelope.aggregate_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: HashMap<Uuid, AppraisalVoices> = sqlx::query_as::<_, AppraisalVoices>("SELECT * FROM voices_appraisals WHERE appraisal_id = ANY($1)")
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.appraisal_id, r))
        .collect();
    let mut changed: BTreeMap<Uuid, ()> = BTreeMap::new();
    let mut deltas: BTreeMap<(Uuid, String), Counters> = BTreeMap::new();
    for stored in events.iter().filter(mine) {
        let id = stored.envelope.aggregate_id;
        let (row, delta) = apply(rows.remove(&id), stored)?;
        if let Some(row) = row {
            if !delta.is_zero() {
                deltas.entry((row.cycle_id, row.unit.clone())).or_default().add(delta);
                deltas.entry((row.cycle_id, CYCLE_ROW.to_owned())).or_default().add(delta);
            }
            if is_voice_or_opening(&stored.envelope.event) {
                changed.insert(id, ());
            }
            rows.insert(id, row);
        }
    }
    let rows: Vec<AppraisalVoices> = changed.keys().filter_map(|id| rows.remove(id)).collect();
    write_rows(tx, &rows).await?;
    write_deltas(tx, &deltas).await?;
    Ok(Vec::new())
}

fn is_voice_or_opening(event: &Event) -> bool {
    matches!(event, Event::AppraisalOpened(_) | Event::DialogueHeld(_) | Event::BehaviourRated(_) | Event::PublicFeedbackRecorded(_) | Event::ScoreGiven(_))
}

async fn write_rows(tx: &mut PgConnection, rows: &[AppraisalVoices]) -> Result<(), ProjectionError> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO voices_appraisals SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::int[], $7::bool[], $8::bool[], $9::bool[]) \
         ON CONFLICT (appraisal_id) DO UPDATE SET dialogues = EXCLUDED.dialogues, survey_answers = EXCLUDED.survey_answers, \
         public_feedback = EXCLUDED.public_feedback, scored = EXCLUDED.scored, dialogue_before_score = EXCLUDED.dialogue_before_score, \
         survey_before_score = EXCLUDED.survey_before_score",
    )
    .bind(rows.iter().map(|r| r.appraisal_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.cycle_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.unit.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.dialogues).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.survey_answers).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.public_feedback).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.scored).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.dialogue_before_score).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.survey_before_score).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Adds the batch's deltas to the counters in one statement.
async fn write_deltas(tx: &mut PgConnection, deltas: &BTreeMap<(Uuid, String), Counters>) -> Result<(), ProjectionError> {
    if deltas.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&Counters) -> i64| deltas.values().map(f).collect::<Vec<i64>>();
    sqlx::query(
        "INSERT INTO voices_units AS u SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[]) \
         ON CONFLICT (cycle_id, unit) DO UPDATE SET appraisals = u.appraisals + EXCLUDED.appraisals, with_dialogue = u.with_dialogue + EXCLUDED.with_dialogue, \
         with_survey = u.with_survey + EXCLUDED.with_survey, scored = u.scored + EXCLUDED.scored, \
         dialogue_before_score = u.dialogue_before_score + EXCLUDED.dialogue_before_score, \
         survey_before_score = u.survey_before_score + EXCLUDED.survey_before_score, both_before_score = u.both_before_score + EXCLUDED.both_before_score",
    )
    .bind(deltas.keys().map(|(cycle, _)| *cycle).collect::<Vec<_>>())
    .bind(deltas.keys().map(|(_, unit)| unit.clone()).collect::<Vec<_>>())
    .bind(col(|c| c.appraisals))
    .bind(col(|c| c.with_dialogue))
    .bind(col(|c| c.with_survey))
    .bind(col(|c| c.scored))
    .bind(col(|c| c.dialogue_before_score))
    .bind(col(|c| c.survey_before_score))
    .bind(col(|c| c.both_before_score))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// One unit's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitVoices {
    /// The unit.
    pub unit: String,
    /// Its counters.
    #[serde(flatten)]
    pub counters: Counters,
}

/// `GET /v1/cycles/{id}/voices`: a page of units, by name, and the cycle's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CycleVoices {
    /// The cycle.
    pub cycle_id: Uuid,
    /// The whole cycle's counters (zeros for a cycle with no appraisal yet).
    pub totals: Counters,
    /// Units after `after`, by name, at most the limit asked.
    pub units: Vec<UnitVoices>,
    /// Pass as `?after=` for the next page; `null` on the last.
    pub next_after: Option<String>,
    /// The stream sequence the read model has reached.
    pub as_of_sequence: u64,
}

type UnitRow = (String, i64, i64, i64, i64, i64, i64, i64);

/// The voices of `cycle`: its totals and up to `limit` units named after `after`.
///
/// # Errors
/// When the database fails.
pub async fn cycle_voices(store: &ReadStore, cycle: Uuid, after: Option<&str>, limit: i64) -> Result<CycleVoices, ProjectionError> {
    let Some(g) = store.active("voices").await? else {
        return Ok(CycleVoices { cycle_id: cycle, totals: Counters::default(), units: vec![], next_after: None, as_of_sequence: 0 });
    };
    let sql = format!(
        "SELECT unit, appraisals, with_dialogue, with_survey, scored, dialogue_before_score, survey_before_score, both_before_score \
         FROM {}.voices_units WHERE cycle_id = $1 AND (unit = '' OR unit > $2) ORDER BY unit LIMIT $3",
        g.schema
    );
    let rows: Vec<UnitRow> = sqlx::query_as(&sql).bind(cycle).bind(after.unwrap_or(CYCLE_ROW)).bind(limit + 2).fetch_all(store.pool()).await?;
    let counters = |r: &UnitRow| Counters {
        appraisals: r.1,
        with_dialogue: r.2,
        with_survey: r.3,
        scored: r.4,
        dialogue_before_score: r.5,
        survey_before_score: r.6,
        both_before_score: r.7,
    };
    let totals = rows.iter().find(|r| r.0 == CYCLE_ROW).map(counters).unwrap_or_default();
    let mut units: Vec<UnitVoices> = rows.iter().filter(|r| r.0 != CYCLE_ROW).map(|r| UnitVoices { unit: r.0.clone(), counters: counters(r) }).collect();
    let more = units.len() as i64 > limit;
    units.truncate(usize::try_from(limit).unwrap_or(0));
    let next_after = if more { units.last().map(|u| u.unit.clone()) } else { None };
    Ok(CycleVoices { cycle_id: cycle, totals, units, next_after, as_of_sequence: g.last_seq })
}

#[cfg(test)]
mod tests {
    use super::*;
    use skp_domain::testing::*;

    fn stored(envelope: skp_events::Envelope) -> StoredEvent {
        let body = bytes::Bytes::from(envelope.to_canonical_bytes().expect("canonical"));
        StoredEvent { stream_seq: envelope.version, body, envelope: std::sync::Arc::new(envelope) }
    }

    /// Folds the events through [`apply`], summing the deltas.
    fn fold(envelopes: Vec<skp_events::Envelope>) -> (Option<AppraisalVoices>, Counters) {
        let mut total = Counters::default();
        let mut row = None;
        for envelope in envelopes {
            let (next, delta) = apply(row, &stored(envelope)).expect("consistent");
            total.add(delta);
            row = next;
        }
        (row, total)
    }

    #[test]
    fn a_dialogue_and_a_survey_answer_before_the_score_are_counted_once_and_what_follows_is_not() {
        let mut appraisal = history(vec![opened(), drafted(), submitted(), agreed(), dialogue(), dialogue()]);
        let survey = survey_history(vec![(START, peer(), skp_events::Event::BehaviourRated(skp_events::voices::BehaviourRated {
            period: skp_events::voices::PeriodRef::annual(),
            ratings: Default::default(),
            comment: None,
        }))]);
        appraisal.insert(4, survey[0].clone());
        let mut after = history(until(skp_domain::appraisal::Status::Scored));
        let (row, counters) = fold(appraisal.into_iter().chain(after.drain(4..5)).collect());
        let row = row.expect("opened");
        assert_eq!((row.dialogues, row.survey_answers, row.scored, row.dialogue_before_score, row.survey_before_score), (2, 1, true, true, true));
        assert_eq!(
            counters,
            Counters { appraisals: 1, with_dialogue: 1, with_survey: 1, scored: 1, dialogue_before_score: 1, survey_before_score: 1, both_before_score: 1 }
        );
    }

    #[test]
    fn a_dialogue_after_the_score_counts_as_a_dialogue_but_not_before_the_score() {
        let mut events = until(skp_domain::appraisal::Status::Scored);
        events.push(dialogue());
        let (row, counters) = fold(history(events));
        assert_eq!(row.map(|r| (r.dialogues, r.dialogue_before_score)), Some((1, false)));
        assert_eq!((counters.scored, counters.with_dialogue, counters.dialogue_before_score, counters.both_before_score), (1, 1, 0, 0));
    }

    #[test]
    fn a_voice_of_an_appraisal_never_opened_stops_the_projector_naming_the_sequence() {
        let lonely = history(vec![opened(), dialogue()]).remove(1);
        let error = apply(None, &stored(lonely)).expect_err("inconsistent");
        assert!(error.to_string().contains("never opened") || format!("{error:?}").contains("never opened"), "{error:?}");
    }
}
