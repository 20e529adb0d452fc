-- The console's search box, its approvals inbox, and compensation in the cost of quality
-- (ADR 0029).
--
-- `case_search`: the case number, serial number and customer name of every `case_index` row,
-- indexed by trigrams (FTS5), so a search for part of one finds its rows without reading
-- the whole read model. It holds no copy of the text (external content): triggers keep it
-- in step with `case_index`.
CREATE VIRTUAL TABLE case_search USING fts5(
    number, serial_number, customer_name,
    content = 'case_index', content_rowid = 'rowid', tokenize = 'trigram'
);
CREATE TRIGGER case_search_insert AFTER INSERT ON case_index BEGIN
    INSERT INTO case_search (rowid, number, serial_number, customer_name)
    VALUES (new.rowid, new.number, new.serial_number, new.customer_name);
END;
CREATE TRIGGER case_search_delete AFTER DELETE ON case_index BEGIN
    INSERT INTO case_search (case_search, rowid, number, serial_number, customer_name)
    VALUES ('delete', old.rowid, old.number, old.serial_number, old.customer_name);
END;
-- A sync rewrites every column of the row; only a change of the searched text touches the
-- search index.
CREATE TRIGGER case_search_update AFTER UPDATE OF number, serial_number, customer_name
ON case_index
WHEN old.number IS NOT new.number OR old.serial_number IS NOT new.serial_number
    OR old.customer_name IS NOT new.customer_name
BEGIN
    INSERT INTO case_search (case_search, rowid, number, serial_number, customer_name)
    VALUES ('delete', old.rowid, old.number, old.serial_number, old.customer_name);
    INSERT INTO case_search (rowid, number, serial_number, customer_name)
    VALUES (new.rowid, new.number, new.serial_number, new.customer_name);
END;
INSERT INTO case_search (case_search) VALUES ('rebuild');

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
    case_id      BLOB NOT NULL REFERENCES cases (case_id),
    entry        TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('trip', 'loss')),
    case_number  TEXT NOT NULL,
    waiting_role TEXT NOT NULL,
    -- A trip: the engineer's reason; a loss: the part number and specification.
    subject      TEXT NOT NULL,
    -- A loss: why the old part is missing.
    reason       TEXT,
    -- A trip: when it is planned (Unix seconds).
    planned_for  INTEGER,
    requested_by TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    PRIMARY KEY (case_id, entry)
);
CREATE INDEX case_waiting_by_role ON case_waiting (waiting_role, requested_at);

-- Compensation (赔偿) paid to the customer, in minor units of its currency: the cost of
-- quality's third part beside charges and parts. NULL when none is recorded.
ALTER TABLE case_report ADD COLUMN compensation_minor INTEGER;
ALTER TABLE case_report ADD COLUMN compensation_currency TEXT;
