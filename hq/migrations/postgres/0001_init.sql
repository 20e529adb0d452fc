-- HQ schema 1 (PostgreSQL): users, devices, cases, the change log, counters, reference data.
-- Times are Unix seconds.

CREATE TABLE users (
    user_id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    role       TEXT NOT NULL CHECK (role IN ('engineer', 'technician', 'hq_staff')),
    -- A technician works for one repair center; nobody else has one.
    center     TEXT CHECK ((role = 'technician') = (center IS NOT NULL)),
    created_at BIGINT NOT NULL
);

CREATE TABLE devices (
    device_id  UUID PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (user_id),
    label      TEXT,
    -- SHA-256 of the bearer token; the token itself is shown once at enrolment.
    token_hash BYTEA NOT NULL UNIQUE,
    -- The automerge actor bound at the device's first sync.
    actor      BYTEA UNIQUE,
    revoked    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE cases (
    case_id           UUID PRIMARY KEY,
    number            TEXT NOT NULL UNIQUE,
    created_by        BIGINT NOT NULL REFERENCES users (user_id),
    created_device    UUID REFERENCES devices (device_id),
    assigned_engineer BIGINT REFERENCES users (user_id),
    routed_center     TEXT,
    -- The highest sequence number that touched the case: a change or an assignment.
    sync_seq          BIGINT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX cases_by_seq ON cases (sync_seq);
CREATE INDEX cases_by_creator ON cases (created_by, sync_seq);
CREATE INDEX cases_by_engineer ON cases (assigned_engineer, sync_seq);
CREATE INDEX cases_by_center ON cases (routed_center, sync_seq);

-- Every change of every case, in the global order devices pull it.
CREATE TABLE changes (
    seq         BIGINT PRIMARY KEY,
    case_id     UUID NOT NULL REFERENCES cases (case_id),
    hash        BYTEA NOT NULL,
    actor       BYTEA NOT NULL,
    -- The device that pushed the change; NULL for HQ's own (the case number).
    authored_by UUID REFERENCES devices (device_id),
    bytes       BYTEA NOT NULL,
    UNIQUE (case_id, hash)
);
CREATE INDEX changes_by_case ON changes (case_id, seq);

-- Named counters; 'seq' is the last sequence number given out. Its row is also the log
-- lock: writers take it FOR UPDATE first thing, readers FOR SHARE.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('seq', 0);

-- The last running number given out per month ('2611' -> 42).
CREATE TABLE number_counters (
    month TEXT PRIMARY KEY,
    last  BIGINT NOT NULL
);

-- Which device holds which case, and as of which sequence number: a device that holds a
-- case (and has stored a cursor at least that far) is sent changes; any other, the history.
CREATE TABLE device_cases (
    device_id UUID NOT NULL REFERENCES devices (device_id),
    case_id   UUID NOT NULL REFERENCES cases (case_id),
    since_seq BIGINT NOT NULL,
    PRIMARY KEY (device_id, case_id)
);

CREATE TABLE reference_data (
    version       BIGINT PRIMARY KEY,
    policies_json TEXT NOT NULL,
    catalogs_json TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
