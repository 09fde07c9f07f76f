-- Dashboard counters (issue 16): the cycle summary, the units and the raters read a few rows
-- per cycle, kept by deltas in the projector's transaction; nothing recounts a cycle.

-- Per cycle (kind 'cycle', key ''), unit (key: the unit's name) and rater (key: the rater's
-- NIP): appraisals, by status (in the order of skp_domain's Status::ALL) and scored ones by
-- current predikat (in the order of Predikat::ALL). A unit carries its annual capaian (NULL:
-- none set, `baik` assumed); units and raters carry the codes of their SE MenPANRB 3/2023
-- pattern warnings, NULL while not computed yet (a generation upgraded in place, until its
-- projector starts and computes them with the domain's rule).
CREATE TABLE progress_groups (
    cycle_id uuid NOT NULL,
    kind text NOT NULL,
    key text NOT NULL,
    name text,
    total bigint NOT NULL,
    by_status bigint[] NOT NULL,
    by_predikat bigint[] NOT NULL,
    capaian text,
    warnings text[],
    PRIMARY KEY (cycle_id, kind, key)
);
CREATE INDEX progress_groups_unwarned ON progress_groups (cycle_id) WHERE warnings IS NULL;

-- Per cycle and kind ('unit', 'rater'): how many groups there are (`all`), how many carry a
-- warning (`with_warnings`) and how many carry each warning code. Rows at 0 are deleted.
CREATE TABLE progress_group_counts (
    cycle_id uuid NOT NULL,
    kind text NOT NULL,
    what text NOT NULL,
    groups bigint NOT NULL,
    PRIMARY KEY (cycle_id, kind, what)
);

-- Per cycle and plan due date: appraisals whose plan is not agreed yet (opened, plan_drafted,
-- plan_submitted, plan_returned). Overdue plans on a day = the sum of the rows due before it.
CREATE TABLE plan_due_counts (
    cycle_id uuid NOT NULL,
    plan_due date NOT NULL,
    appraisals bigint NOT NULL,
    PRIMARY KEY (cycle_id, plan_due)
);

-- Overdue objections: counted over the open ones only.
CREATE INDEX appraisals_objected ON appraisals (cycle_id, decision_due) WHERE status = 'objected';

-- A generation that already holds appraisals (SKP upgraded in place): the counts from its
-- rows; the warnings are left NULL for the projector (ProgressProjection::prepare).
INSERT INTO progress_groups (cycle_id, kind, key, name, total, by_status, by_predikat, capaian, warnings)
SELECT a.cycle_id, g.kind, g.key, min(g.name), count(*),
    ARRAY[count(*) FILTER (WHERE status = 'opened'), count(*) FILTER (WHERE status = 'plan_drafted'),
          count(*) FILTER (WHERE status = 'plan_submitted'), count(*) FILTER (WHERE status = 'plan_returned'),
          count(*) FILTER (WHERE status = 'targets_agreed'), count(*) FILTER (WHERE status = 'scored'),
          count(*) FILTER (WHERE status = 'accepted'), count(*) FILTER (WHERE status = 'objected'),
          count(*) FILTER (WHERE status = 'resolved'), count(*) FILTER (WHERE status = 'final')],
    ARRAY[count(*) FILTER (WHERE predikat = 'sangat_baik'), count(*) FILTER (WHERE predikat = 'baik'),
          count(*) FILTER (WHERE predikat = 'butuh_perbaikan'), count(*) FILTER (WHERE predikat = 'kurang'),
          count(*) FILTER (WHERE predikat = 'sangat_kurang')],
    NULL, NULL
FROM appraisals a
CROSS JOIN LATERAL (VALUES ('cycle', '', NULL), ('unit', a.unit, NULL), ('rater', a.rater_nip, a.rater_name)) AS g(kind, key, name)
GROUP BY a.cycle_id, g.kind, g.key;

UPDATE progress_groups SET warnings = '{}' WHERE kind = 'cycle';
UPDATE progress_groups g SET capaian = c.capaian
FROM unit_capaian c
WHERE g.kind = 'unit' AND c.cycle_id = g.cycle_id AND c.unit = g.key AND c.period = 'annual';

INSERT INTO progress_group_counts (cycle_id, kind, what, groups)
SELECT cycle_id, kind, 'all', count(*) FROM progress_groups WHERE kind <> 'cycle' GROUP BY cycle_id, kind;

INSERT INTO plan_due_counts (cycle_id, plan_due, appraisals)
SELECT cycle_id, plan_due, count(*) FROM appraisals
WHERE status IN ('opened', 'plan_drafted', 'plan_submitted', 'plan_returned')
GROUP BY cycle_id, plan_due;
