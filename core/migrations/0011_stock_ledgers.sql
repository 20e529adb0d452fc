-- Stock ledgers (one automerge document per holder per quarter, docs/stock-ledger.md) and the
-- movement rows a holder's balance is summed from.

CREATE TABLE ledger_docs (
    ledger_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    quarter TEXT NOT NULL,
    snapshot BLOB NOT NULL,
    pending_changes INTEGER NOT NULL DEFAULT 0,
    -- HQ approved the quarter's write-off: later movements dated in it go to the next quarter.
    closed INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE ledger_changes (
    id INTEGER PRIMARY KEY,
    ledger_id TEXT NOT NULL REFERENCES ledger_docs (ledger_id) ON DELETE CASCADE,
    bytes BLOB NOT NULL
);
CREATE INDEX ledger_changes_by_ledger ON ledger_changes (ledger_id, id);

-- One row per movement, always what the ledger document says.
CREATE TABLE stock_movements (
    ledger_id TEXT NOT NULL REFERENCES ledger_docs (ledger_id) ON DELETE CASCADE,
    movement_id TEXT NOT NULL,
    holder TEXT NOT NULL,
    quarter TEXT NOT NULL,
    kind TEXT NOT NULL,
    part_number TEXT NOT NULL,
    delta INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    case_id TEXT,
    PRIMARY KEY (ledger_id, movement_id)
);
-- The balance reads only this index: sums and running sums per part in time order.
CREATE INDEX stock_movements_by_holder ON stock_movements (holder, part_number, at_ms, movement_id, delta);
