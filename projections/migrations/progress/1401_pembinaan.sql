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
