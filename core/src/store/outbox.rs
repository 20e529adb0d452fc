//! The outbox: every local command's change chunk, in order, until HQ acknowledges it.

use automerge::Automerge;
use rusqlite::{Connection, params};

use crate::error::Result;
use crate::model::{CaseId, Timestamp};

/// Queues a local command for HQ: its change chunk, ready to push without loading the case.
pub(crate) fn push(
    conn: &Connection,
    case_id: CaseId,
    command: &str,
    doc: &Automerge,
    at: Timestamp,
) -> Result<()> {
    let heads: Vec<String> = doc.get_heads().iter().map(ToString::to_string).collect();
    // Stored as pushed: in automerge's compressed chunk form (deflated once the chunk is over
    // 256 bytes), about a fifth smaller for a typical command; any automerge parser reads it.
    let change = doc
        .get_last_local_change()
        .map(|mut c| c.bytes().into_owned());
    push_chunk(conn, case_id, command, &heads, change, at)
}

/// Queues one change chunk as it is (a stock ledger's first change, which is not this
/// device's own but must reach HQ with the device's first entry).
pub(crate) fn push_chunk(
    conn: &Connection,
    case_id: CaseId,
    command: &str,
    heads: &[String],
    change: Option<Vec<u8>>,
    at: Timestamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO outbox (case_id, command, heads, created_at, change) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        case_id.to_string(),
        command,
        heads.join(","),
        at.to_rfc3339(),
        change
    ])?;
    Ok(())
}
