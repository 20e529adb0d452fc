-- The quarterly write-off (核销) of a holder's warranty spare parts (ADR 0023): one row per
-- holder and quarter. `run` while HQ reconciles (a new run replaces the row); `approved` once
-- a customer-service manager or quality approves it, after which it never changes. The
-- reconciliation is kept as the JSON the core produced; the vouchers themselves are blobs
-- (content-addressed, in the blob folder), named here by their SHA-256: the workbook, the
-- PDF and the printable HTML page.
CREATE TABLE writeoffs (
    holder              TEXT NOT NULL,
    quarter             TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('run', 'approved')),
    reconciliation_json TEXT NOT NULL,
    run_at              INTEGER NOT NULL,
    run_by              TEXT,
    approved_by         TEXT,
    approved_at         INTEGER,
    voucher_xlsx_sha256 TEXT,
    voucher_pdf_sha256  TEXT,
    voucher_html_sha256 TEXT,
    -- An approved write-off names its approver and its vouchers; a run has none of them.
    CHECK ((status = 'approved') = (approved_by IS NOT NULL AND approved_at IS NOT NULL)),
    UNIQUE (holder, quarter)
);
