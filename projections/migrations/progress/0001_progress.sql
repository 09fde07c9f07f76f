-- Dashboard progress: one row per cycle and per appraisal, counted at query time.
CREATE TABLE cycles (
    cycle_id uuid PRIMARY KEY,
    organization text NOT NULL,
    year integer NOT NULL,
    plan_due date NOT NULL,
    objection_window_days integer NOT NULL,
    decision_window_days integer NOT NULL
);

CREATE TABLE appraisals (
    appraisal_id uuid PRIMARY KEY,
    cycle_id uuid NOT NULL,
    employee_nip text NOT NULL,
    employee_name text NOT NULL,
    unit text NOT NULL,
    rater_nip text NOT NULL,
    rater_name text NOT NULL,
    status text NOT NULL,
    predikat text,
    plan_due date NOT NULL,
    decision_due timestamptz,
    version bigint NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX appraisals_by_cycle ON appraisals (cycle_id, status);
