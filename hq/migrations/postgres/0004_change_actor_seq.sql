-- Each change's sequence number among its actor's changes to the case: a second change with
-- the same actor and number but other content is refused (it would hide later honest edits).
-- NULL for changes stored before this column existed.
ALTER TABLE changes ADD COLUMN actor_seq BIGINT;
CREATE INDEX changes_by_actor_seq ON changes (case_id, actor, actor_seq);
