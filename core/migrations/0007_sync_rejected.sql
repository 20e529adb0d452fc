-- A case HQ refused for what the push would do to it (AckOutcome::Rejected: unreadable
-- content, a field the user may not write, over the size limit) is kept in sync_refused too,
-- with HQ's reason; a NULL reason is the older refusal, "this user may no longer write the
-- case". The work stays on the device either way. A rejected case is pushed again only after
-- its user changes it (the store's command removes the row).
ALTER TABLE sync_refused ADD COLUMN reason TEXT;
