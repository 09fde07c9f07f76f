-- Development plans (issue 14): each employee's plan per final appraisal, for the career
-- answer's `development` (its status on a day is derived at query time by the domain).
CREATE TABLE development_plans (
    plan_id uuid PRIMARY KEY,
    appraisal_id uuid NOT NULL UNIQUE,
    employee_nip text NOT NULL,
    year integer NOT NULL,
    kind text NOT NULL,
    due date NOT NULL,
    opened_at timestamptz NOT NULL,
    outcome text,
    reviewed_at timestamptz,
    follow_up text,
    followed_up_at timestamptz
);
CREATE INDEX development_plans_by_employee ON development_plans (employee_nip, year);
