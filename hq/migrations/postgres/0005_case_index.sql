-- HQ schema 5 (PostgreSQL): the read model. One row per case, built from the case's view (the
-- core's own view code over its whole document) whenever the case changes, so HQ answers
-- "which cases are overdue, this month, of this model, at this center" without loading
-- documents. Times are Unix seconds; `fieldhq reindex` rebuilds every row.
CREATE TABLE case_index (
    case_id            UUID PRIMARY KEY REFERENCES cases (case_id),
    number             TEXT NOT NULL,
    status             TEXT NOT NULL,
    customer_name      TEXT NOT NULL,
    region             TEXT NOT NULL,
    market             TEXT NOT NULL,
    product_model      TEXT NOT NULL,
    product_category   TEXT NOT NULL,
    serial_number      TEXT NOT NULL,
    received_at        BIGINT NOT NULL,
    -- YYMM of received_at in the company's time zone, as case numbers count months.
    received_month     TEXT NOT NULL,
    closed_at          BIGINT,
    -- NULL until the defect is confirmed.
    defect_cause       TEXT,
    quality_fault      BOOLEAN,
    -- NULL until the warranty is decided.
    warranty_covered   BOOLEAN,
    warranty_rule      TEXT,
    charge_minor       BIGINT,
    charge_currency    TEXT,
    -- Part lines in use (removed lines not counted).
    parts_count        BIGINT NOT NULL,
    -- Each milestone of the current round: when it is due and whether the status meets it.
    reply_due_at       BIGINT NOT NULL,
    reply_met          BOOLEAN NOT NULL,
    remedy_due_at      BIGINT NOT NULL,
    remedy_met         BOOLEAN NOT NULL,
    report_due_at      BIGINT NOT NULL,
    report_met         BOOLEAN NOT NULL,
    close_due_at       BIGINT NOT NULL,
    close_met          BOOLEAN NOT NULL,
    -- The earliest milestone still open; NULL when none is (closed). Overdue is
    -- next_due_at < now, asked at query time.
    next_due_at        BIGINT,
    next_due_milestone TEXT,
    -- The assigned engineer's name, else the creator's.
    engineer           TEXT NOT NULL,
    center             TEXT,
    has_conflict       BOOLEAN NOT NULL,
    -- The time of the document's last recorded event, and the case's sync_seq.
    updated_at         BIGINT NOT NULL,
    last_seq           BIGINT NOT NULL
);
CREATE INDEX case_index_by_next_due ON case_index (next_due_at) WHERE next_due_at IS NOT NULL;
CREATE INDEX case_index_by_month ON case_index (received_month, number);
CREATE INDEX case_index_by_model ON case_index (product_model, number);
CREATE INDEX case_index_by_cause ON case_index (defect_cause, number);
CREATE INDEX case_index_by_center ON case_index (center, number);
CREATE INDEX case_index_by_status ON case_index (status, number);
CREATE INDEX case_index_by_number ON case_index (number);
