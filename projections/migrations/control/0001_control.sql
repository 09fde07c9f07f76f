-- Which generation of each projection serves, and how far each generation got.
-- A generation's tables live in their own schema: <base>_<projection>_g<generation>.
CREATE TABLE projection_state (
    projection text NOT NULL,
    generation integer NOT NULL,
    active boolean NOT NULL DEFAULT false,
    last_seq bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, generation)
);
CREATE UNIQUE INDEX projection_state_one_active ON projection_state (projection) WHERE active;
