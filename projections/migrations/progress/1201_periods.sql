-- Periodic evaluation and unit capaian (issue 12).
--
-- The cycle's calendar, each appraisal's evaluation of each period as it stands, and
-- counters per (cycle, period, unit) moved by deltas in the projector's transaction, so a
-- period's progress reads a few rows per unit whatever the cycle's size and never recounts
-- the cycle. Cycles stored before periods existed are annual only ('none', 10, 7): exactly
-- what their events read as.
ALTER TABLE cycles
    ADD COLUMN period text NOT NULL DEFAULT 'none',
    ADD COLUMN period_entry_days integer NOT NULL DEFAULT 10,
    ADD COLUMN utc_offset_hours integer NOT NULL DEFAULT 7;

-- Each appraisal's evaluation of a period as it stands (after its last correction).
CREATE TABLE period_evaluations (
    appraisal_id uuid NOT NULL,
    period text NOT NULL,
    cycle_id uuid NOT NULL,
    unit text NOT NULL,
    predikat text NOT NULL,
    corrections integer NOT NULL,
    evaluated_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (appraisal_id, period)
);

-- Per cycle, period and unit: the evaluated appraisals by their standing predikat.
CREATE TABLE period_counts (
    cycle_id uuid NOT NULL,
    period text NOT NULL,
    unit text NOT NULL,
    predikat text NOT NULL,
    appraisals bigint NOT NULL,
    PRIMARY KEY (cycle_id, period, unit, predikat)
);

-- Per cycle, period and unit: appraisals scored before the period ended. They can no
-- longer evaluate it (evaluations are taken while the targets are agreed), so they do not
-- owe it.
CREATE TABLE period_exempt (
    cycle_id uuid NOT NULL,
    period text NOT NULL,
    unit text NOT NULL,
    appraisals bigint NOT NULL,
    PRIMARY KEY (cycle_id, period, unit)
);

-- Per cycle and unit: the appraisals opened, which every period of the cycle expects.
CREATE TABLE unit_totals (
    cycle_id uuid NOT NULL,
    unit text NOT NULL,
    appraisals bigint NOT NULL,
    PRIMARY KEY (cycle_id, unit)
);
-- A generation that served before this migration already holds its appraisals: count them
-- once here, as the projector would have.
INSERT INTO unit_totals (cycle_id, unit, appraisals)
    SELECT cycle_id, unit, count(*) FROM appraisals GROUP BY cycle_id, unit;

-- The capaian of each unit per period or 'annual', as last set.
CREATE TABLE unit_capaian (
    cycle_id uuid NOT NULL,
    unit text NOT NULL,
    period text NOT NULL,
    capaian text NOT NULL,
    decided_by_nip text NOT NULL,
    decided_by_name text NOT NULL,
    decided_by_position text NOT NULL,
    reason text,
    set_at timestamptz NOT NULL,
    PRIMARY KEY (cycle_id, unit, period)
);
