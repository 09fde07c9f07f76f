-- Public relay: what a finalized-score event needs from the opening, and what was published.
CREATE TABLE relay_appraisals (
    appraisal_id uuid PRIMARY KEY,
    cycle_id uuid NOT NULL,
    year integer NOT NULL,
    employee_nip text NOT NULL,
    unit text NOT NULL
);

CREATE TABLE published (
    source_event_id uuid PRIMARY KEY,
    public_event_id uuid NOT NULL,
    stream_seq bigint NOT NULL
);
