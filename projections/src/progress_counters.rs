//! Dashboard counters in the progress read model (issue 16): per cycle, unit and rater the
//! appraisals by status and the scored ones by current predikat, a unit's annual capaian, the
//! codes of each unit's and rater's SE MenPANRB 3/2023 pattern warnings, per cycle how many
//! units and raters there are and how many carry each warning, and the appraisals still
//! before an agreed plan per plan due date (overdue plans without a scan).
//!
//! A batch compares each appraisal row it changed with the row as loaded ([`Counters::moved`]:
//! the old row counted out, the new one in), loads the groups it touches in one statement,
//! applies the changes in memory, recomputes the touched groups' warnings with
//! `skp_domain::capaian::pattern_warnings` (units by their annual capaian, `baik` assumed;
//! raters by `baik`), and writes each table back in one statement. The cycle's summary and a
//! page of units read a handful of rows, whatever the cycle's size.

use crate::error::ProjectionError;
use crate::progress_row::AppraisalRow;
use skp_domain::appraisal::Status;
use skp_domain::capaian::{pattern_warnings, Distribution, PatternWarning};
use skp_events::period::Capaian;
use skp_events::Predikat;
use sqlx::PgConnection;
use std::collections::{BTreeMap, BTreeSet};
use time::Date;
use uuid::Uuid;

/// The group of a whole cycle.
pub const CYCLE: &str = "cycle";
/// A unit's group (key: the unit's name).
pub const UNIT: &str = "unit";
/// A rater's group (key: the rater's NIP).
pub const RATER: &str = "rater";
/// In `progress_group_counts`: every group of the kind.
pub const ALL_GROUPS: &str = "all";
/// In `progress_group_counts`: the groups that carry at least one warning.
pub const WITH_WARNINGS: &str = "with_warnings";

/// The statuses before the targets are agreed: a plan still owed.
pub const PRE_AGREEMENT: [Status; 4] = [Status::Opened, Status::PlanDrafted, Status::PlanSubmitted, Status::PlanReturned];

/// A cycle's, unit's or rater's counters as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupRow {
    /// The cycle.
    pub cycle_id: Uuid,
    /// [`CYCLE`], [`UNIT`] or [`RATER`].
    pub kind: String,
    /// `''`, the unit's name or the rater's NIP.
    pub key: String,
    /// The rater's name (the least of the names its appraisals were opened with).
    pub name: Option<String>,
    /// Appraisals.
    pub total: i64,
    /// Appraisals by status, in the order of `Status::ALL`.
    pub by_status: Vec<i64>,
    /// Scored appraisals by current predikat, in the order of `Predikat::ALL`.
    pub by_predikat: Vec<i64>,
    /// A unit's annual capaian, if set.
    pub capaian: Option<String>,
    /// The warning codes; `None` while not computed (see the migration 1601).
    pub warnings: Option<Vec<String>>,
}

impl GroupRow {
    fn empty(cycle_id: Uuid, kind: &str, key: &str) -> Self {
        Self {
            cycle_id,
            kind: kind.to_owned(),
            key: key.to_owned(),
            name: None,
            total: 0,
            by_status: vec![0; Status::ALL.len()],
            by_predikat: vec![0; Predikat::ALL.len()],
            capaian: None,
            warnings: Some(Vec::new()),
        }
    }

    /// The scored appraisals' distribution.
    pub fn distribution(&self) -> Distribution {
        Distribution::of(Predikat::ALL.into_iter().zip(self.by_predikat.iter().copied()))
    }

    /// The capaian whose pattern the group is held to: a unit's annual capaian (`baik` when
    /// none is set), `baik` for a rater; `None` for a cycle (no pattern).
    pub fn pattern(&self) -> Option<Capaian> {
        match self.kind.as_str() {
            UNIT => Some(self.capaian.as_deref().and_then(Capaian::parse).unwrap_or(Capaian::Baik)),
            RATER => Some(Capaian::Baik),
            _ => None,
        }
    }

    /// The group's warnings by the domain's rule.
    pub fn computed_warnings(&self) -> Vec<PatternWarning> {
        self.pattern().map_or_else(Vec::new, |capaian| pattern_warnings(capaian, &self.distribution()))
    }

    /// Counts `row` in (`by` = 1) or out (`by` = -1).
    fn shift(&mut self, row: &AppraisalRow, by: i64) -> Result<(), ProjectionError> {
        let status: Status = row.status.parse()?;
        self.total += by;
        if let Some(i) = Status::ALL.iter().position(|s| *s == status) {
            self.by_status[i] += by;
        }
        if let Some(i) = row.predikat.as_deref().and_then(|p| Predikat::ALL.iter().position(|k| k.as_str() == p)) {
            self.by_predikat[i] += by;
        }
        Ok(())
    }
}

type GroupKey = (Uuid, &'static str, String);

/// The kind constant named `raw`.
pub fn kind_of(raw: &str) -> Option<&'static str> {
    [CYCLE, UNIT, RATER].into_iter().find(|k| *k == raw)
}

/// The changes of a batch to the counters.
#[derive(Debug, Default)]
pub struct Counters {
    /// Per group: the rows counted out (old) and in (new).
    moves: BTreeMap<GroupKey, Vec<(AppraisalRow, i64)>>,
    /// Units whose annual capaian the batch set.
    capaian: BTreeSet<(Uuid, String)>,
    /// Pre-agreement appraisals per cycle and plan due date.
    plan_due: BTreeMap<(Uuid, Date), i64>,
}

fn pre_agreement(row: &AppraisalRow) -> bool {
    PRE_AGREEMENT.iter().any(|s| s.as_str() == row.status)
}

impl Counters {
    /// An appraisal row changed from `before` (`None`: opened in this batch) to `after`.
    pub fn moved(&mut self, before: Option<&AppraisalRow>, after: &AppraisalRow) {
        for (row, by) in before.map(|b| (b, -1)).into_iter().chain([(after, 1)]) {
            for (kind, key) in [(CYCLE, ""), (UNIT, row.unit.as_str()), (RATER, row.rater_nip.as_str())] {
                self.moves.entry((row.cycle_id, kind, key.to_owned())).or_default().push((row.clone(), by));
            }
            if pre_agreement(row) {
                *self.plan_due.entry((row.cycle_id, row.plan_due)).or_default() += by;
            }
        }
    }

    /// The batch set the annual capaian of `unit` in `cycle`.
    pub fn capaian_set(&mut self, cycle: Uuid, unit: &str) {
        self.capaian.insert((cycle, unit.to_owned()));
    }

    fn keys(&self) -> BTreeSet<GroupKey> {
        self.moves.keys().cloned().chain(self.capaian.iter().map(|(c, u)| (*c, UNIT, u.clone()))).collect()
    }

    /// Applies the batch's changes (after the period tables were written, so that the annual
    /// capaian read is the batch's last) and returns the units that changed, per cycle.
    ///
    /// # Errors
    /// When the database fails or a row holds an unknown status.
    pub async fn write(self, tx: &mut PgConnection) -> Result<BTreeMap<Uuid, BTreeSet<String>>, ProjectionError> {
        let keys = self.keys();
        if keys.is_empty() {
            return Ok(BTreeMap::new());
        }
        let (stored, capaian) = load(tx, &keys).await?;
        let mut changed_units: BTreeMap<Uuid, BTreeSet<String>> = BTreeMap::new();
        let mut groups = Vec::new();
        let mut counts = GroupCountDeltas::default();
        for key in keys {
            let existing = stored.get(&key).cloned();
            let mut group = existing.clone().unwrap_or_else(|| GroupRow::empty(key.0, key.1, &key.2));
            for (row, by) in self.moves.get(&key).into_iter().flatten() {
                group.shift(row, *by)?;
                if key.1 == RATER {
                    group.name = Some(group.name.take().map_or_else(|| row.rater_name.clone(), |n| n.min(row.rater_name.clone())));
                }
            }
            if key.1 == UNIT {
                group.capaian = capaian.get(&(key.0, key.2.clone())).cloned();
            }
            if existing.is_none() && group.total == 0 {
                continue; // a capaian for a unit without appraisals: no group yet
            }
            counts.regroup(&mut group, existing.is_none());
            if key.1 == UNIT {
                changed_units.entry(key.0).or_default().insert(key.2.clone());
            }
            groups.push(group);
        }
        write_groups(tx, &groups).await?;
        counts.write(tx).await?;
        write_plan_due(tx, &self.plan_due).await?;
        Ok(changed_units)
    }
}

/// The stored groups of `keys` and the annual capaian of their units.
async fn load(tx: &mut PgConnection, keys: &BTreeSet<GroupKey>) -> Result<(BTreeMap<GroupKey, GroupRow>, BTreeMap<(Uuid, String), String>), ProjectionError> {
    let cycles: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
    let kinds: Vec<&str> = keys.iter().map(|k| k.1).collect();
    let names: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
    let rows: Vec<GroupRow> = sqlx::query_as(
        "SELECT g.* FROM UNNEST($1::uuid[], $2::text[], $3::text[]) AS k(cycle_id, kind, key) \
         JOIN progress_groups g ON g.cycle_id = k.cycle_id AND g.kind = k.kind AND g.key = k.key",
    )
    .bind(&cycles)
    .bind(&kinds)
    .bind(&names)
    .fetch_all(&mut *tx)
    .await?;
    let capaian: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT c.cycle_id, c.unit, c.capaian FROM UNNEST($1::uuid[], $2::text[], $3::text[]) AS k(cycle_id, kind, key) \
         JOIN unit_capaian c ON k.kind = 'unit' AND c.cycle_id = k.cycle_id AND c.unit = k.key AND c.period = 'annual'",
    )
    .bind(&cycles)
    .bind(&kinds)
    .bind(&names)
    .fetch_all(&mut *tx)
    .await?;
    let stored = rows.into_iter().filter_map(|g| kind_of(&g.kind).map(|kind| ((g.cycle_id, kind, g.key.clone()), g))).collect();
    Ok((stored, capaian.into_iter().map(|(c, u, k)| ((c, u), k)).collect()))
}

/// Changes of `progress_group_counts`, by cycle, kind and what.
#[derive(Debug, Default)]
struct GroupCountDeltas(BTreeMap<(Uuid, String, String), i64>);

impl GroupCountDeltas {
    /// Recomputes `group`'s warnings and notes how the counts move: a new group counts in
    /// `all`; warnings not computed before count as none.
    fn regroup(&mut self, group: &mut GroupRow, new: bool) {
        if group.kind == CYCLE {
            group.warnings = Some(Vec::new());
            return;
        }
        let before = group.warnings.take().unwrap_or_default();
        let after: Vec<String> = group.computed_warnings().into_iter().map(|w| w.code.to_owned()).collect();
        let mut add = |what: &str, by: i64| *self.0.entry((group.cycle_id, group.kind.clone(), what.to_owned())).or_default() += by;
        if new {
            add(ALL_GROUPS, 1);
        }
        add(WITH_WARNINGS, i64::from(!after.is_empty()) - i64::from(!before.is_empty()));
        for code in &before {
            add(code, -1);
        }
        for code in &after {
            add(code, 1);
        }
        group.warnings = Some(after);
    }

    async fn write(mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        self.0.retain(|_, by| *by != 0);
        if self.0.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO progress_group_counts SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::bigint[]) \
             ON CONFLICT (cycle_id, kind, what) DO UPDATE SET groups = progress_group_counts.groups + EXCLUDED.groups",
        )
        .bind(self.0.keys().map(|k| k.0).collect::<Vec<Uuid>>())
        .bind(self.0.keys().map(|k| k.1.as_str()).collect::<Vec<&str>>())
        .bind(self.0.keys().map(|k| k.2.as_str()).collect::<Vec<&str>>())
        .bind(self.0.values().copied().collect::<Vec<i64>>())
        .execute(&mut *tx)
        .await?;
        let cycles: Vec<Uuid> = self.0.keys().map(|k| k.0).collect::<BTreeSet<_>>().into_iter().collect();
        sqlx::query("DELETE FROM progress_group_counts WHERE cycle_id = ANY($1) AND groups = 0").bind(&cycles).execute(&mut *tx).await?;
        Ok(())
    }
}

/// `{1,2,3}`: an array literal, so that rows of arrays go through `UNNEST` as text.
fn array_literal(values: &[i64]) -> String {
    let items: Vec<String> = values.iter().map(i64::to_string).collect();
    format!("{{{}}}", items.join(","))
}

async fn write_groups(tx: &mut PgConnection, groups: &[GroupRow]) -> Result<(), ProjectionError> {
    if groups.is_empty() {
        return Ok(());
    }
    let warnings: Vec<String> = groups
        .iter()
        .map(|g| format!("{{{}}}", g.warnings.iter().flatten().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(",")))
        .collect();
    sqlx::query(
        "INSERT INTO progress_groups SELECT c, k, key, n, t, s::bigint[], p::bigint[], cap, w::text[] \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[]) AS u(c, k, key, n, t, s, p, cap, w) \
         ON CONFLICT (cycle_id, kind, key) DO UPDATE SET name = EXCLUDED.name, total = EXCLUDED.total, by_status = EXCLUDED.by_status, \
         by_predikat = EXCLUDED.by_predikat, capaian = EXCLUDED.capaian, warnings = EXCLUDED.warnings",
    )
    .bind(groups.iter().map(|g| g.cycle_id).collect::<Vec<_>>())
    .bind(groups.iter().map(|g| g.kind.as_str()).collect::<Vec<_>>())
    .bind(groups.iter().map(|g| g.key.as_str()).collect::<Vec<_>>())
    .bind(groups.iter().map(|g| g.name.as_deref()).collect::<Vec<_>>())
    .bind(groups.iter().map(|g| g.total).collect::<Vec<_>>())
    .bind(groups.iter().map(|g| array_literal(&g.by_status)).collect::<Vec<_>>())
    .bind(groups.iter().map(|g| array_literal(&g.by_predikat)).collect::<Vec<_>>())
    .bind(groups.iter().map(|g| g.capaian.as_deref()).collect::<Vec<_>>())
    .bind(warnings)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn write_plan_due(tx: &mut PgConnection, deltas: &BTreeMap<(Uuid, Date), i64>) -> Result<(), ProjectionError> {
    let rows: Vec<(&(Uuid, Date), &i64)> = deltas.iter().filter(|(_, by)| **by != 0).collect();
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO plan_due_counts SELECT * FROM UNNEST($1::uuid[], $2::date[], $3::bigint[]) \
         ON CONFLICT (cycle_id, plan_due) DO UPDATE SET appraisals = plan_due_counts.appraisals + EXCLUDED.appraisals",
    )
    .bind(rows.iter().map(|((c, _), _)| *c).collect::<Vec<_>>())
    .bind(rows.iter().map(|((_, d), _)| *d).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, by)| **by).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    let cycles: Vec<Uuid> = rows.iter().map(|((c, _), _)| *c).collect::<BTreeSet<_>>().into_iter().collect();
    sqlx::query("DELETE FROM plan_due_counts WHERE cycle_id = ANY($1) AND appraisals = 0").bind(&cycles).execute(&mut *tx).await?;
    Ok(())
}

/// Computes the warnings of the groups stored without them (a generation upgraded in place
/// by the migration 1601, which counts in SQL but leaves the rule to the domain), counting
/// them in `progress_group_counts`. Runs when the projector starts; touches only those rows
/// (a partial index finds them), so nothing when there are none.
///
/// # Errors
/// When the database fails.
pub async fn fill_warnings(tx: &mut PgConnection) -> Result<u64, ProjectionError> {
    let mut groups: Vec<GroupRow> = sqlx::query_as("SELECT * FROM progress_groups WHERE warnings IS NULL FOR UPDATE").fetch_all(&mut *tx).await?;
    let mut counts = GroupCountDeltas::default();
    for group in &mut groups {
        counts.regroup(group, false);
    }
    write_groups(tx, &groups).await?;
    counts.write(tx).await?;
    Ok(groups.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_array_literal_is_what_postgresql_reads() {
        assert_eq!(array_literal(&[1, 0, -2]), "{1,0,-2}");
        assert_eq!(array_literal(&[]), "{}");
    }

    #[test]
    fn a_rater_is_held_to_the_baik_pattern_and_a_unit_to_its_capaian() {
        let mut unit = GroupRow::empty(Uuid::nil(), UNIT, "Sekretariat");
        unit.by_predikat = vec![0, 6, 0, 0, 0];
        let codes = |g: &GroupRow| g.computed_warnings().into_iter().map(|w| w.code).collect::<Vec<_>>();
        assert_eq!(codes(&unit), ["baik_over_70_percent", "no_low_predikat"]);
        unit.capaian = Some("istimewa".into());
        assert_eq!(codes(&unit), ["sangat_baik_not_largest"]);
        let mut cycle = unit.clone();
        cycle.kind = CYCLE.into();
        assert!(codes(&cycle).is_empty(), "a cycle has no pattern");
    }
}

/// The units whose counters changed since a cycle's last live publication: at most
/// [`LIVE_CHANGED_UNITS_MAX`] names, and whether more changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedUnits {
    /// The units, by name.
    pub units: BTreeSet<String>,
    /// Whether more units changed than are named.
    pub truncated: bool,
}

/// At most this many changed units ride on a live message (each a `GroupProgress` of a few
/// hundred bytes: a message stays far below 64 KB).
pub const LIVE_CHANGED_UNITS_MAX: usize = 50;

impl ChangedUnits {
    pub(crate) fn extend(&mut self, units: impl IntoIterator<Item = String>, truncated: bool) {
        self.truncated |= truncated;
        for unit in units {
            if self.units.len() < LIVE_CHANGED_UNITS_MAX || self.units.contains(&unit) {
                self.units.insert(unit);
            } else {
                self.truncated = true;
            }
        }
    }
}
