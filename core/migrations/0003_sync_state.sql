-- What the device needs to sync: each outbox entry's change bytes, the HQ cursor, repairs.

-- The automerge change chunk of the command, pushed as it is (NULL only for entries written
-- before this migration: their case is pushed as a whole document).
ALTER TABLE outbox ADD COLUMN change BLOB;

-- One row: how far this device has pulled from HQ, and which reference data it holds.
CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cursor INTEGER NOT NULL DEFAULT 0,
    reference_version INTEGER NOT NULL DEFAULT 0,
    last_sync_at TEXT
);
INSERT INTO sync_state (id) VALUES (1);

-- Cases whose next sync must repair them: pull every change (a pulled change could not be
-- applied) or push the whole document (HQ lacked a dependency).
CREATE TABLE sync_repairs (
    case_id TEXT PRIMARY KEY,
    repair TEXT NOT NULL CHECK (repair IN ('pull_whole', 'push_document'))
);
