//! Device eviction (ADR 0028): closed cases that have nothing left to send, are synced and
//! closed longer ago than the policy age leave the phone (document, projection and search
//! rows, photo files no kept case needs), keeping only their id and number, so that opening
//! one says "fetch it again" and any later news of it at HQ brings it back whole.
//!
//! A phone keeps what its engineer works on; a year of closed cases with their photos is
//! gigabytes it does not need. Nothing is lost by evicting: HQ holds every change of a case
//! the device may evict, and `want_full` (docs/sync-protocol.md) brings it back.

use chrono::{DateTime, Duration};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Invalid, Result};
use crate::model::{CaseId, Timestamp};
use crate::store::Store;

/// How long after closing a case may be evicted, unless the app says otherwise (the policy of
/// docs/operations.md, "Eviction from devices").
pub const DEFAULT_EVICTION_AGE_DAYS: u32 = 90;

/// The longest age an app may pass (a hundred years): beyond it the cut-off time would leave
/// the calendar, and no case is that old anyway.
const MAX_EVICTION_AGE_DAYS: i64 = 36_500;

/// What one eviction removed from the device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eviction {
    /// The cases evicted, oldest closing first.
    pub cases: Vec<CaseId>,
    /// Photo and thumbnail files removed: those of evicted cases that no kept case references.
    pub photo_files: u64,
    /// The bytes of the evicted documents and of the removed photo files.
    pub bytes_freed: u64,
}

/// A case evicted from this device, as a "removed from this phone" list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvictedCase {
    pub case_id: CaseId,
    /// The official number, by which [`Store::find`] still finds the case.
    pub number: Option<String>,
    /// When the case closed (its last recorded step).
    pub closed_at: Timestamp,
    pub evicted_at: Timestamp,
    /// [`Store::request_case`] asked for it: the next sync fetches it.
    pub requested: bool,
}

/// A case the eviction takes, with what it frees.
struct Candidate {
    case_id: String,
    number: Option<String>,
    closed_at: String,
    document_bytes: u64,
}

impl Store {
    /// Evicts every case that is closed, has nothing left to send (no outbox entry, no repair,
    /// no refused, rejected, archived or quarantined work, no photo waiting for upload, no
    /// conflict to resolve), is synced (HQ numbered it, and a sync round finished after its
    /// last recorded step) and closed at least `max_age` before `now`.
    ///
    /// The closing time is the case's last recorded step (the projection's `updated_at`): a
    /// closed case takes no command but a reopening, so that is when it closed, and a later
    /// entry merged from another device only makes the case wait longer.
    ///
    /// One transaction removes the documents, their projection and search rows and the rows of
    /// photo files no kept case references, and records the evicted ids; a negative or absurd
    /// `max_age`, or any failure, changes nothing. The photo files go after the commit: a
    /// crash in between leaves files without rows, which [`Store::collect_garbage`] removes.
    pub fn evict_closed_cases(&mut self, now: Timestamp, max_age: Duration) -> Result<Eviction> {
        if max_age < Duration::zero() {
            return Err(Error::validation("max_age", Invalid::Negative));
        }
        let too_old = || {
            Error::validation(
                "max_age",
                Invalid::AtMost {
                    max: MAX_EVICTION_AGE_DAYS,
                },
            )
        };
        if max_age > Duration::days(MAX_EVICTION_AGE_DAYS) {
            return Err(too_old());
        }
        // Before the calendar's start only for a `now` no clock gives; refused, not a panic.
        let closed_before = now.checked_sub_signed(max_age).ok_or_else(too_old)?;
        let Some(last_sync) = self.last_sync_millis()? else {
            // Never synced: HQ holds nothing this device could fetch again.
            return Ok(Eviction::default());
        };
        let cutoff = closed_before.timestamp_millis().min(last_sync);
        let evicted_at = now.to_rfc3339();
        let (eviction, files) = self.write(|tx| evict(tx, cutoff, &evicted_at))?;
        for case_id in &eviction.cases {
            self.cache.pop(case_id);
        }
        let mut eviction = eviction;
        for (hash, size) in files {
            // A file that cannot be removed now has lost its row: garbage collection removes it
            // later, as it does the files a crash leaves.
            if self.blobs.remove(&hash).is_ok() {
                eviction.photo_files += 1;
                eviction.bytes_freed += size;
            }
        }
        Ok(eviction)
    }

    /// Asks for an evicted case: the next sync puts it in `want_full`, and once HQ sends it
    /// whole it is stored again and no longer evicted. A case the device holds needs nothing
    /// (`Ok`); an id the device never held is `CaseNotFound`.
    pub fn request_case(&mut self, case_id: CaseId) -> Result<()> {
        if self.exists(case_id)? {
            return Ok(());
        }
        if !is_evicted(self.conn(), case_id)? {
            return Err(Error::CaseNotFound(case_id));
        }
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO sync_repairs (case_id, repair) VALUES (?1, 'pull_whole')",
            )?
            .execute([case_id.to_string()])?;
            Ok(())
        })
    }

    /// The cases evicted from this device, most recently closed first.
    pub fn evicted_cases(&self) -> Result<Vec<EvictedCase>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT e.case_id, e.number, e.closed_at, e.evicted_at, \
             EXISTS (SELECT 1 FROM sync_repairs r WHERE r.case_id = e.case_id) \
             FROM evicted_cases e",
        )?;
        let rows: Vec<(String, Option<String>, String, String, bool)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut evicted = rows
            .into_iter()
            .map(|(id, number, closed_at, evicted_at, requested)| {
                Ok(EvictedCase {
                    case_id: id
                        .parse()
                        .map_err(|_| Error::InvalidDocument(format!("stored case id {id}")))?,
                    number,
                    closed_at: stored_time(&closed_at)?,
                    evicted_at: stored_time(&evicted_at)?,
                    requested,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // By instant, not by text: the times carry the offsets of the devices that wrote them.
        evicted.sort_by(|a, b| {
            b.closed_at
                .cmp(&a.closed_at)
                .then_with(|| a.case_id.cmp(&b.case_id))
        });
        Ok(evicted)
    }

    /// When the last sync round was stored, in milliseconds; `None` before the first.
    fn last_sync_millis(&self) -> Result<Option<i64>> {
        let at: Option<String> = self
            .conn()
            .query_row(
                "SELECT last_sync_at FROM sync_state WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        at.map(|at| stored_time(&at).map(|t| t.timestamp_millis()))
            .transpose()
    }
}

/// Whether `case_id` was evicted from this device (and not stored again since).
pub(crate) fn is_evicted(conn: &Connection, case_id: CaseId) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM evicted_cases WHERE case_id = ?1")?
        .query_row([case_id.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The eviction's writes, inside its transaction: the cases evicted and the photo files
/// (hash, size) whose rows went, to be removed once the transaction commits.
fn evict(
    tx: &Transaction<'_>,
    cutoff_ms: i64,
    evicted_at: &str,
) -> Result<(Eviction, Vec<(String, u64)>)> {
    let candidates: Vec<Candidate> = tx
        .prepare_cached(
            "SELECT c.case_id, c.number, c.updated_at, \
             (SELECT length(d.snapshot) FROM case_docs d WHERE d.case_id = c.case_id) + \
             (SELECT COALESCE(SUM(length(x.bytes)), 0) FROM case_changes x \
              WHERE x.case_id = c.case_id) \
             FROM cases c \
             WHERE c.status = 'closed' AND c.updated_at_ms <= ?1 AND c.has_conflict = 0 \
             AND c.number IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.case_id = c.case_id) \
             AND NOT EXISTS (SELECT 1 FROM sync_repairs r WHERE r.case_id = c.case_id) \
             AND NOT EXISTS (SELECT 1 FROM sync_refused f WHERE f.case_id = c.case_id) \
             AND NOT EXISTS (SELECT 1 FROM sync_quarantine q WHERE q.case_id = c.case_id) \
             AND NOT EXISTS (SELECT 1 FROM photo_refs p JOIN blobs b ON b.hash = p.hash \
                             WHERE p.case_id = c.case_id AND b.uploaded = 0) \
             ORDER BY c.updated_at_ms, c.case_id",
        )?
        .query_map([cutoff_ms], |r| {
            Ok(Candidate {
                case_id: r.get(0)?,
                number: r.get(1)?,
                closed_at: r.get(2)?,
                document_bytes: r.get::<_, i64>(3)?.max(0) as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut eviction = Eviction::default();
    let mut hashes: Vec<String> = Vec::new();
    for c in &candidates {
        let mut refs = tx.prepare_cached("SELECT hash FROM photo_refs WHERE case_id = ?1")?;
        let case_hashes = refs
            .query_map([&c.case_id], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        hashes.extend(case_hashes);
        // The projection row first, so its search-index trigger runs; then what refers to the
        // document, then the document and (by cascade) its incremental changes.
        tx.prepare_cached("DELETE FROM cases WHERE case_id = ?1")?
            .execute([&c.case_id])?;
        tx.prepare_cached("DELETE FROM photo_refs WHERE case_id = ?1")?
            .execute([&c.case_id])?;
        tx.prepare_cached("DELETE FROM case_changes WHERE case_id = ?1")?
            .execute([&c.case_id])?;
        tx.prepare_cached("DELETE FROM case_docs WHERE case_id = ?1")?
            .execute([&c.case_id])?;
        tx.prepare_cached(
            "INSERT INTO evicted_cases (case_id, number, closed_at, evicted_at) \
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![c.case_id, c.number, c.closed_at, evicted_at])?;
        eviction.cases.push(
            c.case_id
                .parse()
                .map_err(|_| Error::InvalidDocument(format!("stored case id {}", c.case_id)))?,
        );
        eviction.bytes_freed += c.document_bytes;
    }
    hashes.sort();
    hashes.dedup();
    // Content-addressed files may be shared: only those no kept case references go, and only
    // ones HQ holds (the candidates have no photo waiting for upload, so all of theirs are).
    let mut files = Vec::new();
    for hash in hashes {
        let unused: Option<i64> = tx
            .prepare_cached(
                "SELECT size FROM blobs WHERE hash = ?1 AND uploaded = 1 \
                 AND NOT EXISTS (SELECT 1 FROM photo_refs WHERE hash = ?1)",
            )?
            .query_row([&hash], |r| r.get(0))
            .optional()?;
        if let Some(size) = unused {
            tx.prepare_cached("DELETE FROM blobs WHERE hash = ?1")?
                .execute([&hash])?;
            files.push((hash, size.max(0) as u64));
        }
    }
    Ok((eviction, files))
}

/// A time the store wrote (RFC 3339).
fn stored_time(text: &str) -> Result<Timestamp> {
    DateTime::parse_from_rfc3339(text)
        .map_err(|e| Error::InvalidDocument(format!("stored time {text}: {e}")))
}
