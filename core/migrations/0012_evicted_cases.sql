-- Cases evicted from this device (ADR 0028, "Device eviction"): closed, with nothing left to
-- push, synced, and closed longer ago than the policy age. Their document, projection rows and
-- photo files are gone; the id stays here so that opening the case says "evicted: fetch it
-- again" instead of "not found", its number still finds it, and a pull of a later change asks
-- for the case whole. A row goes when the case is stored again (HQ sent it whole).
CREATE TABLE evicted_cases (
    case_id TEXT PRIMARY KEY,
    -- The official number, for finding the case by the number on the paperwork.
    number TEXT,
    -- When the case closed (its projection's last update) and when it left this device.
    closed_at TEXT NOT NULL,
    evicted_at TEXT NOT NULL
);
CREATE INDEX evicted_cases_by_number ON evicted_cases (number);
