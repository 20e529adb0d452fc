-- The working-day deadline (N working days from acceptance, or the date agreed with the
-- customer) beside the other milestones, and how many missed-deadline records the case holds
-- (of every round), so reports count misses without loading documents. Rows written before
-- get "never due" and no misses until their case next changes or `fieldhq reindex` runs
-- (README, upgrading).
ALTER TABLE case_index ADD COLUMN working_days_due_at INTEGER NOT NULL DEFAULT 8210266876799;
ALTER TABLE case_index ADD COLUMN working_days_met INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_index ADD COLUMN missed_deadlines INTEGER NOT NULL DEFAULT 0;
