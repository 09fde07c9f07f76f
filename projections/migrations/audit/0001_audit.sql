-- Audit: every envelope as stored (exact text, for the chain check) and the report
-- recomputed from them whenever an appraisal changes.
CREATE TABLE audit_events (
    appraisal_id uuid NOT NULL,
    position integer NOT NULL,
    stream_seq bigint NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (appraisal_id, position)
);

CREATE TABLE audit_reports (
    appraisal_id uuid PRIMARY KEY,
    cycle_id uuid,
    unit text,
    rater_nip text,
    chain_valid boolean NOT NULL,
    verdict text NOT NULL,
    findings text[] NOT NULL,
    report jsonb NOT NULL
);
CREATE INDEX audit_reports_findings ON audit_reports (cycle_id) WHERE verdict <> 'fair';
