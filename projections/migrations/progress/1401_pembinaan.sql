-- Pembinaan (issue 14): counters kept by deltas in the projector's transaction, so that the
-- cycle-wide reads add up a few rows per unit and never recount the cycle's appraisals.

-- Pembinaan plans, by plan: where each one's deltas go when it is reviewed or followed up.
CREATE TABLE pembinaan_plans (
    plan_id uuid PRIMARY KEY,
    appraisal_id uuid NOT NULL,
    cycle_id uuid NOT NULL,
    unit text NOT NULL,
    due date NOT NULL,
    status text NOT NULL,
    followed_up boolean NOT NULL
);

-- Per cycle and unit: low final predikat (pembinaan due), plans opened, open, improved,
-- not improved, followed up.
CREATE TABLE pembinaan_units (
    cycle_id uuid NOT NULL,
    unit text NOT NULL,
    due bigint NOT NULL,
    opened bigint NOT NULL,
    open bigint NOT NULL,
    improved bigint NOT NULL,
    not_improved bigint NOT NULL,
    followed_up bigint NOT NULL,
    PRIMARY KEY (cycle_id, unit)
);

-- What becomes overdue on which day, counted per cycle, unit and day: a low predikat still
-- without a plan (`plan_missing`) and an open plan still without a review (`review_missing`).
-- Overdue on a day = the sum of the counts whose overdue_from has come.
CREATE TABLE pembinaan_deadlines (
    cycle_id uuid NOT NULL,
    unit text NOT NULL,
    what text NOT NULL,
    overdue_from date NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (cycle_id, unit, what, overdue_from)
);

-- The same per cycle and day, without the unit: a cycle's overdue count reads at most two
-- rows per day of the year, however many units it has.
CREATE TABLE pembinaan_cycle_deadlines (
    cycle_id uuid NOT NULL,
    what text NOT NULL,
    overdue_from date NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (cycle_id, what, overdue_from)
);

-- A generation that already holds appraisals (SKP upgraded in place) starts from what is
-- final there: each low final predikat is due, and without a plan (none could exist before
-- this version) overdue from the 31st day after it became final, as
-- skp_domain::development::deadline::plan_missing_overdue_from says. A final appraisal's
-- last event is its ScoreFinalized (nothing follows final), so updated_at is when it became
-- final. A fresh generation (a rebuild, a new installation) has no rows yet: nothing to do.
INSERT INTO pembinaan_units (cycle_id, unit, due, opened, open, improved, not_improved, followed_up)
SELECT cycle_id, unit, count(*), 0, 0, 0, 0, 0
FROM appraisals
WHERE status = 'final' AND predikat IN ('butuh_perbaikan', 'kurang', 'sangat_kurang')
GROUP BY cycle_id, unit;

INSERT INTO pembinaan_deadlines (cycle_id, unit, what, overdue_from, count)
SELECT cycle_id, unit, 'plan_missing', (updated_at AT TIME ZONE 'UTC')::date + 31, count(*)
FROM appraisals
WHERE status = 'final' AND predikat IN ('butuh_perbaikan', 'kurang', 'sangat_kurang')
GROUP BY cycle_id, unit, (updated_at AT TIME ZONE 'UTC')::date + 31;

INSERT INTO pembinaan_cycle_deadlines (cycle_id, what, overdue_from, count)
SELECT cycle_id, what, overdue_from, sum(count)
FROM pembinaan_deadlines
GROUP BY cycle_id, what, overdue_from;
