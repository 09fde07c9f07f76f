-- Audit: where each appraisal's hash chain stands after its stored events, so that a batch
-- checks only its new events against the stored head. NULL (rows written before this
-- migration) means unknown: the next batch touching the appraisal checks its whole chain
-- again from the stored bodies and records the state.
ALTER TABLE audit_reports
    ADD COLUMN chain_events integer,
    ADD COLUMN chain_head text,
    ADD COLUMN chain_breaks jsonb;

-- Reports are a few kilobytes of JSON, so PostgreSQL compresses each one it writes; lz4 does
-- that several times faster than the default pglz for the same size. Where this server
-- lacks lz4 (built without it, or older than PostgreSQL 14), the default stays.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE audit_reports ALTER COLUMN report SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'audit_reports.report keeps the default compression: %', SQLERRM;
END
$$;
