-- Pembinaan (issue 14): what the audit of a low-predikat appraisal needs of its development
-- plan (the events it names), kept so that the report is recomputed when either side changes.
CREATE TABLE audit_pembinaan (
    plan_id uuid PRIMARY KEY,
    appraisal_id uuid NOT NULL UNIQUE,
    kind text NOT NULL,
    due date NOT NULL,
    opened_event uuid NOT NULL,
    opened_at timestamptz NOT NULL,
    outcome text,
    reviewed_event uuid,
    reviewed_at timestamptz,
    measure text,
    decided_event uuid,
    decided_at timestamptz
);
