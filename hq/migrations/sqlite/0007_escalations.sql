-- Escalations HQ raised: a major quality incident (one per case), a batch fault (one per
-- product model, batch and window) or an overdue case (one per missed deadline). dedup_key
-- names what the escalation is about, so the same escalation is never raised twice, even by
-- two HQ nodes on one database.
CREATE TABLE escalations (
    escalation_id BLOB PRIMARY KEY,
    dedup_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    product_model TEXT,
    production_batch TEXT,
    -- A batch fault's window, [window_start, window_end), Unix seconds of received times.
    window_start INTEGER,
    window_end INTEGER,
    -- An overdue case's missed deadline and its due time.
    milestone TEXT,
    due_at INTEGER,
    to_role TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    acked_by TEXT,
    acked_at INTEGER,
    ack_note TEXT
);
CREATE INDEX escalations_open ON escalations (raised_at) WHERE acked_at IS NULL;

-- The cases each escalation concerns.
CREATE TABLE escalation_cases (
    escalation_id BLOB NOT NULL REFERENCES escalations (escalation_id),
    case_id BLOB NOT NULL REFERENCES cases (case_id),
    PRIMARY KEY (escalation_id, case_id)
);

-- Each case with a confirmed quality fault, counted once towards batch faults: its model and
-- batch ('' when none was recorded) and received time as HQ first saw them, and the batch
-- escalation that counted it.
CREATE TABLE batch_arrivals (
    case_id BLOB PRIMARY KEY REFERENCES cases (case_id),
    product_model TEXT NOT NULL,
    production_batch TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    escalation_id BLOB REFERENCES escalations (escalation_id)
);
CREATE INDEX batch_arrivals_by_product ON batch_arrivals (product_model, production_batch, received_at);
