//! Blob rows: which photo files this device holds and whether HQ has them yet. Written in the
//! same transaction as the change that references a new blob.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};
use crate::store::Store;

impl Store {
    /// Blobs written here that HQ has not confirmed yet, oldest first.
    pub fn pending_uploads(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT hash FROM blobs WHERE uploaded = 0 ORDER BY created_at, hash",
        )?;
        let hashes = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(hashes)
    }

    /// Records that HQ holds this blob, so it may be collected once no case needs it.
    pub fn mark_uploaded(&mut self, hash: &str) -> Result<()> {
        let changed = self
            .write(|tx| Ok(tx.execute("UPDATE blobs SET uploaded = 1 WHERE hash = ?1", [hash])?))?;
        if changed == 0 {
            return Err(Error::EntryNotFound(hash.to_owned()));
        }
        Ok(())
    }
}

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
