-- What each case's deadlines are computed from (JSON: round start, market, status), so that new
-- policies from HQ re-date every case from its projection row without loading its document.
-- Rows written before this column existed keep NULL until the next policy update rebuilds them.
ALTER TABLE cases ADD COLUMN deadline_inputs TEXT;
