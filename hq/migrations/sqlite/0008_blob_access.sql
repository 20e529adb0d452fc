-- Who uploaded each blob (the first device to store it), its size and when: a device may read
-- what it uploaded, its uploads no case references count against its quota, and those left
-- unreferenced past the grace period are removed. Blobs stored before this migration have no
-- row: they are never removed, and only case references grant access to them.
CREATE TABLE blob_uploads (
    hash TEXT PRIMARY KEY,
    device_id BLOB NOT NULL REFERENCES devices (device_id),
    bytes INTEGER NOT NULL,
    uploaded_at INTEGER NOT NULL
);
CREATE INDEX blob_uploads_device ON blob_uploads (device_id);
CREATE INDEX blob_uploads_time ON blob_uploads (uploaded_at);

-- The blobs each case's document names (photos, thumbnails, evidence, signatures), written
-- with the case's read-model row: a device may read a blob of a case it may see. Filled for
-- existing cases by `fieldhq reindex`.
CREATE TABLE case_blobs (
    hash TEXT NOT NULL,
    case_id BLOB NOT NULL REFERENCES cases (case_id),
    PRIMARY KEY (hash, case_id)
);
