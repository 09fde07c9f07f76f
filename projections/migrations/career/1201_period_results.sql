-- Periodic evaluation (issue 12): each employee's standing predikat per period (the last
-- evaluation or correction recorded), for the career's periodic history.
CREATE TABLE period_results (
    employee_nip text NOT NULL,
    period text NOT NULL,
    appraisal_id uuid NOT NULL,
    predikat text NOT NULL,
    corrected boolean NOT NULL,
    evaluated_at timestamptz NOT NULL,
    PRIMARY KEY (employee_nip, period)
);
