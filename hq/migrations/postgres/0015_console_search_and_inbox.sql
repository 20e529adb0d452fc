-- The console's search box, its approvals inbox, and compensation in the cost of quality
-- (ADR 0029).
--
-- The search box matches part of the case number, serial number or customer name: trigram
-- GIN indexes (pg_trgm, a trusted extension) answer `LIKE '%…%'` without reading the whole
-- read model. The extension lives in one schema of the database; where it is already
-- installed it is used from there. Several HQ schemas migrating at once take turns. Without
-- `fastupdate` a write puts its trigrams in the index at once: a pending list that only
-- VACUUM merges would make every search read it through (tens of ms after a bulk reindex).
DO $$
DECLARE
    home TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(20260015);
    CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    SELECT n.nspname INTO home FROM pg_extension e
        JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX case_index_search_number ON case_index '
        'USING gin (number %I.gin_trgm_ops) WITH (fastupdate = off)', home);
    EXECUTE format('CREATE INDEX case_index_search_serial ON case_index '
        'USING gin (serial_number %I.gin_trgm_ops) WITH (fastupdate = off)', home);
    EXECUTE format('CREATE INDEX case_index_search_customer ON case_index '
        'USING gin (customer_name %I.gin_trgm_ops) WITH (fastupdate = off)', home);
END
$$;

-- The overdue list pages by (next due time, number) from a cursor (keyset paging), read in
-- that order from this index, not sorted.
CREATE INDEX case_index_by_due_number ON case_index (next_due_at, number)
    WHERE next_due_at IS NOT NULL;

-- What waits for an HQ person's decision on a case besides its returns (`case_returns`):
-- trip requests (`kind` 'trip', `entry` the visit entry) and old parts reported lost
-- (`kind` 'loss', `entry` the custody entry), with the role that decides them. Rewritten
-- with the case's `case_index` row from its view; cases stored before this schema get
-- theirs when they next change or when `fieldhq reindex` runs.
CREATE TABLE case_waiting (
    case_id      UUID NOT NULL REFERENCES cases (case_id),
    entry        TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('trip', 'loss')),
    case_number  TEXT NOT NULL,
    waiting_role TEXT NOT NULL,
    -- A trip: the engineer's reason; a loss: the part number and specification.
    subject      TEXT NOT NULL,
    -- A loss: why the old part is missing.
    reason       TEXT,
    -- A trip: when it is planned (Unix seconds).
    planned_for  BIGINT,
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, entry)
);
CREATE INDEX case_waiting_by_role ON case_waiting (waiting_role, requested_at);

-- Compensation (赔偿) paid to the customer, in minor units of its currency: the cost of
-- quality's third part beside charges and parts. NULL when none is recorded.
ALTER TABLE case_report ADD COLUMN compensation_minor BIGINT;
ALTER TABLE case_report ADD COLUMN compensation_currency TEXT;
