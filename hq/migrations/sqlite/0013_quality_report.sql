-- The monthly product-quality report (产品质量信息月报, ADR 0025).
--
-- `case_report`: what the report asks of a case beyond its `case_index` row (how the complaint
-- arrived, what the customer asked for, the fault as words, the outcome, a major incident),
-- rewritten with that row from the case's view. Cases stored before this schema get their row
-- when they next change or when `fieldhq reindex` runs (README, upgrading).
CREATE TABLE case_report (
    case_id          BLOB PRIMARY KEY REFERENCES cases (case_id),
    channel          TEXT NOT NULL,
    customer_request TEXT NOT NULL,
    -- The fault description folded (trimmed, lower case, single spaces): "the same fault".
    fault            TEXT NOT NULL,
    production_batch TEXT,
    -- NULL until the defect is confirmed.
    major_incident   INTEGER,
    -- NULL until the case is resolved.
    outcome          TEXT,
    last_seq         INTEGER NOT NULL
);

-- Delivered quantities per month (YYMM) and product model, imported from CSV: PPM's
-- denominator. A later import of the same month and model replaces the quantity.
CREATE TABLE shipments (
    month         TEXT NOT NULL,
    product_model TEXT NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity >= 0),
    imported_at   INTEGER NOT NULL,
    PRIMARY KEY (month, product_model)
);

-- One row per issued report (month `YYYY-MM`): the frozen report as JSON, who issued it and
-- when. `reopened` by quality with a reason: the month is a draft again until re-issued,
-- which replaces the snapshot.
CREATE TABLE quality_reports (
    month         TEXT PRIMARY KEY,
    status        TEXT NOT NULL CHECK (status IN ('issued', 'reopened')),
    snapshot_json TEXT NOT NULL,
    issued_by     TEXT NOT NULL,
    issued_at     INTEGER NOT NULL
);

-- Every issue and re-opening, never rewritten.
CREATE TABLE quality_report_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    month   TEXT NOT NULL,
    action  TEXT NOT NULL CHECK (action IN ('issue', 'reopen')),
    by_user TEXT NOT NULL,
    at      INTEGER NOT NULL,
    reason  TEXT
);
CREATE INDEX quality_report_log_by_month ON quality_report_log (month, id);
