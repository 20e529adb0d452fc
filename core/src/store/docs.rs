//! A case document's rows: a full save plus the incremental changes written since, compacted
//! into a new full save every [`COMPACT_AFTER`] changes.

use automerge::{ActorId, Automerge, ChangeHash};
use rusqlite::{Connection, OptionalExtension, params};

use crate::case::document;
use crate::error::{Error, Result};
use crate::model::CaseId;

/// Incremental changes kept beside a snapshot before the document is saved whole again:
/// appending is cheap per command, and compacting bounds load time and size.
const COMPACT_AFTER: i64 = 64;

/// Loads a stored case document. A case evicted from the device is `Error::Evicted`, not
/// "not found": every reader (commands, the case screen, the read-only connection) then tells
/// the user it can be fetched again.
pub(super) fn load(conn: &Connection, case_id: CaseId, actor: &ActorId) -> Result<Automerge> {
    let id = case_id.to_string();
    let snapshot: Option<Vec<u8>> = conn
        .prepare_cached("SELECT snapshot FROM case_docs WHERE case_id = ?1")?
        .query_row([&id], |r| r.get(0))
        .optional()?;
    let Some(snapshot) = snapshot else {
        return Err(if crate::store::evict::is_evicted(conn, case_id)? {
            Error::Evicted(case_id)
        } else {
            Error::CaseNotFound(case_id)
        });
    };
    let changes: Vec<Vec<u8>> = conn
        .prepare_cached("SELECT bytes FROM case_changes WHERE case_id = ?1 ORDER BY id")?
        .query_map([&id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    document::load(case_id, &snapshot, &changes, actor)
}

pub(super) fn exists(conn: &Connection, case_id: CaseId) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM case_docs WHERE case_id = ?1")?
        .query_row([case_id.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Stores a document's changes since `heads`: appended as one incremental record, or, every
/// [`COMPACT_AFTER`] records, as a fresh full save replacing them.
pub(crate) fn write_doc_change(
    conn: &Connection,
    case_id: CaseId,
    doc: &Automerge,
    heads: &[ChangeHash],
) -> Result<()> {
    write_doc_delta(conn, case_id, doc, &doc.save_after(heads))
}

/// [`write_doc_change`] with the incremental save (`save_after`) already made, so that
/// callers merging many cases can make it off the writing thread.
pub(crate) fn write_doc_delta(
    conn: &Connection,
    case_id: CaseId,
    doc: &Automerge,
    delta: &[u8],
) -> Result<()> {
    // Nothing new (a pull that brought only changes this copy had): no record, since an
    // empty one would read back as damage.
    if delta.is_empty() {
        return Ok(());
    }
    let id = case_id.to_string();
    let pending: i64 = conn
        .prepare_cached("SELECT pending_changes FROM case_docs WHERE case_id = ?1")?
        .query_row([&id], |r| r.get(0))?;
    if pending + 1 >= COMPACT_AFTER {
        conn.execute(
            "UPDATE case_docs SET snapshot = ?2, pending_changes = 0 WHERE case_id = ?1",
            params![id, doc.save()],
        )?;
        conn.execute("DELETE FROM case_changes WHERE case_id = ?1", [&id])?;
    } else {
        conn.prepare_cached("INSERT INTO case_changes (case_id, bytes) VALUES (?1, ?2)")?
            .execute(params![id, delta])?;
        conn.prepare_cached(
            "UPDATE case_docs SET pending_changes = pending_changes + 1 WHERE case_id = ?1",
        )?
        .execute([&id])?;
    }
    Ok(())
}

/// Stores a case this device has not had before, as a full save.
pub(crate) fn insert_doc(conn: &Connection, case_id: CaseId, doc: &Automerge) -> Result<()> {
    insert_snapshot(conn, case_id, &doc.save())
}

/// [`insert_doc`] with the save already made. A case evicted earlier and now stored again
/// (HQ sent it whole, or another replica's document was merged) is no longer evicted: the
/// mark goes in the same transaction as the document, here where every way in passes.
pub(crate) fn insert_snapshot(conn: &Connection, case_id: CaseId, snapshot: &[u8]) -> Result<()> {
    let id = case_id.to_string();
    conn.prepare_cached(
        "INSERT INTO case_docs (case_id, snapshot, pending_changes) VALUES (?1, ?2, 0)",
    )?
    .execute(params![id, snapshot])?;
    conn.prepare_cached("DELETE FROM evicted_cases WHERE case_id = ?1")?
        .execute([&id])?;
    Ok(())
}
