-- Photo blobs on disk and which cases reference them.

-- One row per blob file in the blob folder (photos and thumbnails), written in the same
-- transaction as the case change that first references it.
CREATE TABLE blobs (
    hash TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    -- 0 until HQ has confirmed it holds the blob.
    uploaded INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX blobs_pending ON blobs (uploaded) WHERE uploaded = 0;

-- The photos (and their thumbnails) each case document references: part of the projection,
-- rewritten with it, so garbage collection never has to load a document.
CREATE TABLE photo_refs (
    case_id TEXT NOT NULL REFERENCES case_docs (case_id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    PRIMARY KEY (case_id, hash)
) WITHOUT ROWID;
CREATE INDEX photo_refs_by_hash ON photo_refs (hash);
