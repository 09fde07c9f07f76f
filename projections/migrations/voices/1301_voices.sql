-- Voices beyond the rater (issue 13): per appraisal, how many dialogues, survey answers and
-- pieces of public feedback it has and, once scored, whether a dialogue and a survey answer
-- came before the score; per cycle and per unit, counters of the same, updated by deltas in
-- the projector's transaction (never a recount of the cycle).
CREATE TABLE voices_appraisals (
    appraisal_id uuid PRIMARY KEY,
    cycle_id uuid NOT NULL,
    unit text NOT NULL,
    dialogues integer NOT NULL,
    survey_answers integer NOT NULL,
    public_feedback integer NOT NULL,
    scored boolean NOT NULL,
    dialogue_before_score boolean NOT NULL,
    survey_before_score boolean NOT NULL
);

-- The same counters per cycle (unit '') and per cycle and unit.
CREATE TABLE voices_units (
    cycle_id uuid NOT NULL,
    unit text NOT NULL,
    appraisals bigint NOT NULL,
    with_dialogue bigint NOT NULL,
    with_survey bigint NOT NULL,
    scored bigint NOT NULL,
    dialogue_before_score bigint NOT NULL,
    survey_before_score bigint NOT NULL,
    both_before_score bigint NOT NULL,
    PRIMARY KEY (cycle_id, unit)
);
