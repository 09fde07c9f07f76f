//! The progress read model's row of one appraisal and the pure [`apply`] that moves it
//! (used by the progress projection, its counters and its period tables).

use skp_domain::appraisal::{status_after, Status, UnknownStatus};
use skp_events::Event;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// One appraisal as the dashboard counts it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AppraisalRow {
    /// The appraisal.
    pub appraisal_id: Uuid,
    /// Its cycle.
    pub cycle_id: Uuid,
    /// The employee's NIP.
    pub employee_nip: String,
    /// The employee's name at opening.
    pub employee_name: String,
    /// The employee's unit at opening.
    pub unit: String,
    /// The rater's NIP.
    pub rater_nip: String,
    /// The rater's name at opening.
    pub rater_name: String,
    /// Lifecycle status (wire name).
    pub status: String,
    /// The predikat that stands now (score, then forum), if scored.
    pub predikat: Option<String>,
    /// The plan due date.
    pub plan_due: Date,
    /// When an open objection should be decided.
    pub decision_due: Option<OffsetDateTime>,
    /// The appraisal's version.
    pub version: i64,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// Applies one appraisal event to its row (`None` before the opening).
///
/// # Errors
/// [`UnknownStatus`] when the row holds a status that is none of the lifecycle's.
pub fn apply(row: Option<AppraisalRow>, id: Uuid, event: &Event, version: u64, at: OffsetDateTime) -> Result<Option<AppraisalRow>, UnknownStatus> {
    let (mut row, current) = match (row, event) {
        (_, Event::AppraisalOpened(o)) => (AppraisalRow {
            appraisal_id: id,
            cycle_id: o.cycle_id,
            employee_nip: o.employee.nip.to_string(),
            employee_name: o.employee.name.clone(),
            unit: o.employee.unit.clone(),
            rater_nip: o.rater.nip.to_string(),
            rater_name: o.rater.name.clone(),
            status: String::new(),
            predikat: None,
            plan_due: o.plan_due,
            decision_due: None,
            version: 0,
            updated_at: at,
        }, Status::Absent),
        (Some(row), _) => {
            let current = row.status.parse()?;
            (row, current)
        }
        (None, _) => return Ok(None),
    };
    row.status = status_after(current, event).as_str().to_owned();
    match event {
        Event::ScoreGiven(s) => row.predikat = Some(s.predikat.as_str().to_owned()),
        Event::ForumResolved(f) => {
            row.predikat = Some(f.predikat.as_str().to_owned());
            row.decision_due = None;
        }
        Event::ScoreObjected(o) => row.decision_due = Some(o.decision_due),
        Event::ScoreFinalized(f) => row.predikat = Some(f.predikat.as_str().to_owned()),
        _ => {}
    }
    row.version = version as i64;
    row.updated_at = at;
    Ok(Some(row))
}
