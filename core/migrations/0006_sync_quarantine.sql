-- Cases HQ sent that this device cannot read or store (a value from a newer app version, a
-- damaged change): set aside with the reason and the change chunks exactly as received, so
-- that every other case syncs on and nothing HQ sent is lost. A later pull of the case that
-- applies cleanly lifts the quarantine.
CREATE TABLE sync_quarantine (
    case_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    quarantined_at TEXT NOT NULL,
    -- The pulled change chunks, concatenated: automerge reads them back as one document.
    changes BLOB NOT NULL
);
