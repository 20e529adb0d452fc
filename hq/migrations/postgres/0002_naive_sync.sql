-- HQ schema 2 (PostgreSQL): the automerge sync state of the naive per-case endpoint, kept per
-- (device, case) between requests. Only the benchmark's baseline uses it.

CREATE TABLE naive_sync_states (
    device_id UUID NOT NULL REFERENCES devices (device_id),
    case_id   UUID NOT NULL REFERENCES cases (case_id),
    state     BYTEA NOT NULL,
    PRIMARY KEY (device_id, case_id)
);
