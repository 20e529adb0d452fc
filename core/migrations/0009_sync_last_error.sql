-- How the last sync ended, kept across restarts so the sync banner still says "last sync
-- failed: …" when the app is opened again (ADR 0018): the failure's stable code, its message in
-- both languages (the app shows the one it is set to, also after the user switches), and when.
-- All four are NULL while the last sync succeeded (or none has run); `last_sync_at` beside them
-- is the last success.
ALTER TABLE sync_state ADD COLUMN last_error_code TEXT;
ALTER TABLE sync_state ADD COLUMN last_error_zh_cn TEXT;
ALTER TABLE sync_state ADD COLUMN last_error_en TEXT;
ALTER TABLE sync_state ADD COLUMN last_error_at TEXT;
