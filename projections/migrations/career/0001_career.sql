-- Career: the final predikat of every employee per year.
CREATE TABLE appraisal_owners (
    appraisal_id uuid PRIMARY KEY,
    employee_nip text NOT NULL,
    year integer NOT NULL
);

CREATE TABLE final_results (
    employee_nip text NOT NULL,
    year integer NOT NULL,
    appraisal_id uuid NOT NULL,
    predikat text NOT NULL,
    finalized_at timestamptz NOT NULL,
    PRIMARY KEY (employee_nip, year)
);
