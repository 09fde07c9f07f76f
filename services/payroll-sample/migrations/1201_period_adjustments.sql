-- The monthly table (issue 12): per employee and period (YYYY-MM, or YYYY-Qn / YYYY-Sn for
-- agencies evaluating quarterly or per semester), the latest periodic predikat and the
-- percentage the agency's table gives it. A correction supersedes the evaluation, and a
-- later correction an earlier one, whatever order they arrive in.
CREATE TABLE period_adjustments (
    employee_nip text NOT NULL,
    period text NOT NULL,
    appraisal_id uuid NOT NULL,
    cycle_id uuid NOT NULL,
    predikat text NOT NULL,
    percent smallint NOT NULL CHECK (percent BETWEEN 0 AND 100),
    corrected boolean NOT NULL,
    source_event_id uuid NOT NULL,
    evaluated_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (employee_nip, period)
);
