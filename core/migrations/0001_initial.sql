-- The device's identity, its policies, the case documents, their query projection and the outbox.

-- One row: who this install is. The actor id signs every automerge change made here.
CREATE TABLE device (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    device_id TEXT NOT NULL,
    actor_id BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- Reference data HQ owns (policies), as JSON.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A case document: a full save plus the incremental changes written since (see case_changes).
CREATE TABLE case_docs (
    case_id TEXT PRIMARY KEY,
    snapshot BLOB NOT NULL,
    pending_changes INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE case_changes (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES case_docs (case_id) ON DELETE CASCADE,
    bytes BLOB NOT NULL
);
CREATE INDEX case_changes_by_case ON case_changes (case_id, id);

-- The projection lists and search read; always what the document says (rewritten per command).
CREATE TABLE cases (
    case_id TEXT PRIMARY KEY REFERENCES case_docs (case_id) ON DELETE CASCADE,
    number TEXT,
    status TEXT NOT NULL,
    round INTEGER NOT NULL,
    customer_name TEXT NOT NULL COLLATE NOCASE,
    customer_phone TEXT NOT NULL,
    region TEXT NOT NULL,
    market TEXT NOT NULL,
    product_model TEXT NOT NULL COLLATE NOCASE,
    product_category TEXT NOT NULL,
    serial_number TEXT NOT NULL COLLATE NOCASE,
    received_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    next_due_kind TEXT,
    next_due_at TEXT,
    next_due_ms INTEGER,
    has_conflict INTEGER NOT NULL,
    warranty_covered INTEGER,
    major_incident INTEGER NOT NULL
);
CREATE INDEX cases_by_updated ON cases (updated_at_ms DESC, case_id DESC);
CREATE INDEX cases_by_status ON cases (status, updated_at_ms DESC, case_id DESC);
CREATE INDEX cases_by_due ON cases (next_due_ms) WHERE next_due_ms IS NOT NULL;
CREATE INDEX cases_by_serial ON cases (serial_number);
CREATE INDEX cases_by_model ON cases (product_model);
CREATE INDEX cases_by_number ON cases (number);

-- Every local command, in order, for the sync to send.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL,
    command TEXT NOT NULL,
    heads TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX outbox_by_case ON outbox (case_id);
