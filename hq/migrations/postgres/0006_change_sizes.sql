-- Pull budgeting: each change's stored size in bytes, so that a pull decides what fits its
-- response from sizes alone and loads the bytes of exactly what it sends.
ALTER TABLE changes ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
UPDATE changes SET size = octet_length(bytes);
-- Covers the pull's reads of a case's changes (sequence, size, author) without the bytes; it
-- supersedes changes_by_case.
CREATE INDEX changes_sizes ON changes (case_id, seq) INCLUDE (size, authored_by);
DROP INDEX changes_by_case;

-- A case sent to a device in pages: the device was sent the case's changes through sent_seq,
-- in a response whose cursor was sent_cursor. Until the case's last page is sent, the case is
-- pulled again, from after sent_seq. NULL when no paging is under way.
ALTER TABLE device_cases ADD COLUMN sent_seq BIGINT, ADD COLUMN sent_cursor BIGINT;
CREATE INDEX device_cases_paged ON device_cases (device_id, case_id) WHERE sent_seq IS NOT NULL;
