-- Every automerge actor HQ has signed a change with (case numbers). No device may bind one
-- as its own: its changes would then pass for HQ's.
CREATE TABLE hq_actors (
    actor BLOB PRIMARY KEY
);
