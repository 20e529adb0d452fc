-- HQ schema 16 (PostgreSQL): archived cases. `fieldhq archive` moves a closed case out of the live
-- tables into an archive folder; its tombstone stays here so the case's number remains
-- reserved (no new case is ever given it) and a device pushing to the case is told
-- "archived" rather than treated as bringing an unknown case. `fieldhq archive restore`
-- removes the tombstone as it puts the case back.
CREATE TABLE archived_cases (
    case_id     UUID PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE,
    -- When the case was closed (Unix seconds), as the read model had it.
    closed_at   BIGINT,
    archived_at BIGINT NOT NULL,
    -- Where the archive was written: a folder (an object-store URL later).
    location    TEXT NOT NULL
);
