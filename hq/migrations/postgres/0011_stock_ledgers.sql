-- Stock ledgers (docs/stock-ledger.md, ADR 0021): one replicated document per holder per
-- quarter. Their changes share the change log with the cases (and its sequence numbers), and
-- each ledger has a row in `cases` (kind 'ledger', named "<holder> <quarter>") so that the pull
-- rules send it to exactly the devices of its holder: a center's ledger is routed to that
-- center, a van's is assigned to its engineer.
ALTER TABLE cases ADD COLUMN kind TEXT NOT NULL DEFAULT 'case';

-- The read model of the ledgers, rewritten from their documents in the transaction that
-- stores their changes, so the balance, the approvals and the write-off need no documents.
CREATE TABLE ledgers (
    ledger_id  UUID PRIMARY KEY REFERENCES cases (case_id),
    holder     TEXT NOT NULL,
    quarter    TEXT NOT NULL,
    -- Unix seconds of the approved write-off that closed the quarter.
    closed_at  BIGINT,
    UNIQUE (holder, quarter)
);

-- One row per movement. booked_quarter is the quarter it counts in: its ledger's, or the next
-- one for a movement that reached a ledger after its write-off (then correction_of is the
-- closed quarter) or that a device booked there as a correction.
CREATE TABLE ledger_movements (
    ledger_id      UUID NOT NULL REFERENCES ledgers (ledger_id),
    movement_id    TEXT NOT NULL,
    holder         TEXT NOT NULL,
    booked_quarter TEXT NOT NULL,
    correction_of  TEXT,
    kind           TEXT NOT NULL,
    part_number    TEXT NOT NULL,
    quantity       BIGINT NOT NULL,
    delta          BIGINT NOT NULL,
    at             BIGINT NOT NULL,
    by_user        TEXT NOT NULL,
    case_id        TEXT,
    line           TEXT,
    PRIMARY KEY (ledger_id, movement_id)
);
CREATE INDEX ledger_movements_by_holder ON ledger_movements (holder, booked_quarter);

-- Requests waiting for or decided by HQ's approvers: requisitions and emergency purchases.
CREATE TABLE ledger_requests (
    ledger_id     UUID NOT NULL REFERENCES ledgers (ledger_id),
    entry_id      TEXT NOT NULL,
    holder        TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('requisition', 'purchase')),
    part_number   TEXT NOT NULL,
    specification TEXT NOT NULL,
    quantity      BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    by_user       TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('waiting', 'approved', 'rejected')),
    waiting_step  TEXT,
    waiting_role  TEXT,
    dispatched    TEXT,
    PRIMARY KEY (ledger_id, entry_id)
);

-- Old parts on return shipments, with HQ's check: received NULL until checked, then 1 found
-- or 0 missing.
CREATE TABLE ledger_shipment_parts (
    ledger_id   UUID NOT NULL REFERENCES ledgers (ledger_id),
    shipment_id TEXT NOT NULL,
    holder      TEXT NOT NULL,
    tag         TEXT NOT NULL,
    part_number TEXT NOT NULL,
    case_id     TEXT,
    line        TEXT,
    shipped_at  BIGINT NOT NULL,
    received    BIGINT,
    PRIMARY KEY (ledger_id, shipment_id, tag)
);
CREATE INDEX ledger_shipment_parts_by_holder ON ledger_shipment_parts (holder);

-- Each case's number and 三包 warranty decision (covered 1, not 0, NULL undecided), keyed
-- by the case id as text, as the ledgers' movements name cases: what the write-off needs of
-- the cases a holder's issues went to. Rewritten with the case's `case_index` row.
CREATE TABLE case_warranty (
    case_id     TEXT PRIMARY KEY,
    case_number TEXT NOT NULL,
    covered     BIGINT
);

-- The part lines of each case (removed lines left out) with what became of their old parts,
-- rewritten with the case's `case_index` row from its view: what the write-off reconciles
-- the ledgers' issues against, without opening documents.
CREATE TABLE case_part_lines (
    -- Text, as the ledgers' movements name their cases.
    case_id     TEXT NOT NULL,
    line_id     TEXT NOT NULL,
    case_number TEXT NOT NULL,
    -- The case's 三包 warranty decision covers it (1) or not (0).
    covered     BIGINT NOT NULL,
    part_number TEXT NOT NULL,
    quantity    BIGINT NOT NULL,
    -- The old part's fate as JSON ({"fate": "kept", "tag": "T-1"}, ...: docs/stock-ledger.md).
    old_part    TEXT NOT NULL,
    PRIMARY KEY (case_id, line_id)
);
