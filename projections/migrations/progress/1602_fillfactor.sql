-- The counter rows are updated by nearly every batch (a cycle's row by each one, a unit's or a
-- rater's by each batch that touches one of its appraisals). With full pages every update
-- writes a new tuple on another page and a new index entry, and a catch-up of a 300,000-
-- appraisal cycle left progress_groups at 150 MiB for 32,000 rows. Free room in each page lets
-- PostgreSQL update in place (HOT: no index entry, the old version pruned on the page).
ALTER TABLE progress_groups SET (fillfactor = 50);
ALTER TABLE progress_group_counts SET (fillfactor = 50);
ALTER TABLE plan_due_counts SET (fillfactor = 50);
