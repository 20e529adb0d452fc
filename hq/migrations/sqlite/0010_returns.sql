-- The roles of returns and exchanges besides the field's and HQ staff: the customer-service
-- manager and the vice president decide the approval chain, quality and the warehouse receive
-- and re-inspect returned goods. SQLite cannot change a CHECK in place: the table is rebuilt
-- (foreign keys are off while migrations run; see `migrate`).
CREATE TABLE users_new (
    user_id    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('engineer', 'technician', 'hq_staff', 'cs_manager', 'vp', 'quality', 'warehouse')),
    -- A technician works for one repair center; nobody else has one.
    center     TEXT CHECK ((role = 'technician') = (center IS NOT NULL)),
    created_at INTEGER NOT NULL
);
INSERT INTO users_new (user_id, name, role, center, created_at)
    SELECT user_id, name, role, center, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

-- Returns and exchanges (退换货). The RMA number (R + YYMM-NNNN) is HQ's: the last running
-- number given out per month of the final approval ('2611' -> 42), taken in the transaction
-- that writes the number into the case, so a month's numbers have no gap and no duplicate.
CREATE TABLE rma_counters (
    month TEXT PRIMARY KEY,
    last  INTEGER NOT NULL
);

-- The read model of returns: one row per return request of a case, rewritten with the case's
-- `case_index` row from its view, so `fieldhq rma list` needs no documents. Cases stored before
-- get their rows from `fieldhq reindex`.
CREATE TABLE case_returns (
    case_id             BLOB NOT NULL REFERENCES cases (case_id),
    request             TEXT NOT NULL,
    case_number         TEXT NOT NULL,
    kind                TEXT NOT NULL,
    state               TEXT NOT NULL,
    waiting_kind        TEXT,
    waiting_step        TEXT,
    waiting_role        TEXT,
    rma_number          TEXT,
    model               TEXT NOT NULL,
    units               INTEGER NOT NULL,
    units_received      INTEGER NOT NULL,
    units_inspected     INTEGER NOT NULL,
    requested_at        INTEGER NOT NULL,
    reinspection_due_at INTEGER,
    PRIMARY KEY (case_id, request)
);
CREATE INDEX case_returns_by_rma ON case_returns (rma_number);
