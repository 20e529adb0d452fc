//! Blob rows: which photo files this device holds and whether HQ has them yet. Written in the
//! same transaction as the change that references a new blob.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

/// Inserts a blob's row if it has none; an existing row (the same photo on another case) keeps
/// its upload state, except that HQ's copy marks it uploaded.
pub(crate) fn record_blob(conn: &Connection, hash: &str, size: u64, uploaded: bool) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO blobs (hash, size, uploaded, created_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (hash) DO UPDATE SET uploaded = MAX(uploaded, excluded.uploaded)",
    )?
    .execute(params![
        hash,
        size as i64,
        uploaded,
        chrono::Utc::now().to_rfc3339()
    ])?;
    Ok(())
}

/// `Some(uploaded)` for a recorded blob, `None` when there is no record.
pub(crate) fn blob_uploaded(conn: &Connection, hash: &str) -> Result<Option<bool>> {
    Ok(conn
        .prepare_cached("SELECT uploaded FROM blobs WHERE hash = ?1")?
        .query_row([hash], |r| r.get(0))
        .optional()?)
}
