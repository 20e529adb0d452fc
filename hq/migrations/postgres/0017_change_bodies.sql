-- HQ schema 17 (PostgreSQL): the bytes of big pushes, written before the log lock.
-- A sync that brings megabytes writes its changes' bytes here first, while other syncs go on,
-- and then takes the log lock only to write the small log rows in `changes` (whose `bytes`
-- is then NULL) and commit. Readers take a change's bytes from `changes` or, when NULL,
-- from here (the same case and hash).
CREATE TABLE change_bodies (
    case_id UUID NOT NULL,
    hash    BYTEA NOT NULL,
    bytes   BYTEA NOT NULL,
    PRIMARY KEY (case_id, hash)
);
ALTER TABLE changes ALTER COLUMN bytes DROP NOT NULL;
