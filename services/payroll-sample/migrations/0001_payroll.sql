-- The sample payroll consumer's tables, in the schema PAYROLL_SCHEMA (first on the
-- search_path while migrating).

-- One row per public event applied: the idempotency record, written in the same transaction
-- as the effect.
CREATE TABLE processed_events (
    event_id uuid PRIMARY KEY,
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- The effect: the percentage that applies to an employee's allowance for a year.
CREATE TABLE tukin_adjustments (
    employee_nip text NOT NULL,
    year integer NOT NULL,
    appraisal_id uuid NOT NULL,
    predikat text NOT NULL,
    percent smallint NOT NULL CHECK (percent BETWEEN 0 AND 100),
    source_event_id uuid NOT NULL,
    finalized_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (employee_nip, year)
);
