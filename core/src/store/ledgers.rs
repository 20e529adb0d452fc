//! The device's stock ledgers: their documents (a full save plus incremental changes, like a
//! case's), the movement rows the balance is summed from, and the commands that write them.

use automerge::{ActorId, Automerge, ChangeHash, ReadDoc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::rules::quarter::Quarter;
use crate::rules::stock::{PartBalance, booking};
use crate::stock::commands::{Draft, StockCommand};
use crate::stock::document::{self, CLOSING, LedgerRoot, WRITEOFF};
use crate::stock::holder::{Holder, ledger_id};
use crate::stock::view::{self, LedgerView};
use crate::store::{Store, outbox};

/// Incremental changes kept beside a ledger's snapshot before it is saved whole again.
const COMPACT_AFTER: i64 = 64;

/// What a stock command wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StockRecorded {
    /// The new entry's id.
    pub entry_id: String,
    pub ledger_id: Uuid,
    /// The quarter whose ledger took the entry.
    pub quarter: Quarter,
    /// Set when the entry is dated in a quarter already written off: it went into `quarter`
    /// as a correction of this one.
    pub correction_of: Option<Quarter>,
}

/// A ledger this device holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldLedger {
    pub ledger_id: Uuid,
    pub holder: Holder,
    pub quarter: Quarter,
    pub closed: bool,
}

impl Store {
    /// Records a stock command in `holder`'s ledger of the quarter it is dated in (or, when
    /// that quarter is written off, the next open one, as a correction). An issue is never
    /// refused for want of stock: the balance shows it below zero instead.
    pub fn record_stock(
        &mut self,
        holder: &Holder,
        command: &StockCommand,
    ) -> Result<StockRecorded> {
        let now = self.now();
        let mut draft = command.draft(holder, &self.user, &self.device_id, now)?;
        let zone = self.policies.deadlines.time_zone;
        let dated_in = Quarter::of(zone.date_of(draft.at()));
        let (quarter, correction_of) =
            booking(dated_in, |q| self.ledger_closed(holder, q).unwrap_or(false));
        if let Draft::Movement(m) = &mut draft {
            m.correction_of = correction_of;
        }
        let id = ledger_id(holder, quarter);
        let cached = self.open_ledger.take().filter(|(open, _)| *open == id);
        let (mut doc, created) = match cached {
            Some((_, doc)) => (doc, false),
            None => match load(&self.conn, id, &self.actor)? {
                Some(doc) => (doc, false),
                None => (document::open_new(holder, quarter, &self.actor), true),
            },
        };
        // A ledger new to this device: its first change goes to HQ with the first entry (HQ
        // already holds it when another replica made the ledger first: it is the same change).
        let first = created.then(|| {
            let heads: Vec<String> = doc.get_heads().iter().map(ToString::to_string).collect();
            let chunks: Vec<Vec<u8>> = doc
                .get_changes(&[])
                .into_iter()
                .map(|mut c| c.bytes().into_owned())
                .collect();
            (heads, chunks)
        });
        let heads = doc.get_heads();
        let root = LedgerRoot::read(&doc).map_err(|reason| corrupt(id, reason))?;
        let entry_id = Uuid::now_v7().to_string();
        let (map, record) = match &draft {
            Draft::Movement(m) => (draft.map(), serde_json::to_value(m)),
            Draft::Requisition(r) => (draft.map(), serde_json::to_value(r)),
            Draft::Shipment(s) => (draft.map(), serde_json::to_value(s)),
        };
        let record = record.map_err(|e| Error::InvalidDocument(e.to_string()))?;
        document::put_entry(
            &mut doc,
            &root,
            map,
            &entry_id,
            &record,
            command.name(),
            now.timestamp(),
        )
        .map_err(Error::InvalidDocument)?;
        self.write(|tx| {
            store_doc(tx, &root, &doc, &heads)?;
            if let Draft::Movement(m) = &draft {
                insert_movement(tx, &root, &entry_id, m)?;
            }
            tx.prepare_cached(
                "DELETE FROM sync_refused WHERE case_id = ?1 AND reason IS NOT NULL",
            )?
            .execute([id.to_string()])?;
            if let Some((heads, chunks)) = &first {
                for chunk in chunks {
                    outbox::push_chunk(tx, id, "ledger", heads, Some(chunk.clone()), now)?;
                }
            }
            outbox::push(tx, id, command.name(), &doc, now)
        })?;
        self.open_ledger = Some((id, doc));
        Ok(StockRecorded {
            entry_id,
            ledger_id: id,
            quarter,
            correction_of,
        })
    }

    /// The holder's balance of every part it has moved: the sum of its movements over every
    /// quarter this device holds, with the movements that drove a part below zero.
    pub fn stock_balance(&self, holder: &Holder) -> Result<Vec<PartBalance>> {
        // The sums and the running sums in SQL, over the holder's index: a screen reads a few
        // dozen rows instead of every movement ([`crate::rules::stock::balances`] is the rule,
        // and a test holds the two to the same answers).
        let holder = holder.to_string();
        let mut parts: Vec<PartBalance> = self
            .conn
            .prepare_cached(
                "SELECT part_number, SUM(delta), COUNT(*) FROM stock_movements \
                 WHERE holder = ?1 GROUP BY part_number ORDER BY part_number",
            )?
            .query_map([&holder], |r| {
                Ok(PartBalance {
                    part_number: r.get(0)?,
                    quantity: r.get(1)?,
                    movements: r.get(2)?,
                    went_negative: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT part_number, movement_id, at_ms FROM (SELECT part_number, movement_id, \
             at_ms, SUM(delta) OVER (PARTITION BY part_number ORDER BY at_ms, movement_id \
             ROWS UNBOUNDED PRECEDING) AS running FROM stock_movements WHERE holder = ?1) \
             WHERE running < 0",
        )?;
        let mut flagged: Vec<(String, i64, String)> = stmt
            .query_map([&holder], |r| Ok((r.get(0)?, r.get(2)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        // Few rows (only those below zero): ordered here rather than by a sort in SQL.
        flagged.sort();
        for (part, _, movement) in flagged {
            if let Some(b) = parts.iter_mut().find(|b| b.part_number == part) {
                b.went_negative.push(movement);
            }
        }
        Ok(parts)
    }

    /// One ledger as stored here; `None` when this device holds none for that quarter.
    pub fn stock_ledger(&self, holder: &Holder, quarter: Quarter) -> Result<Option<LedgerView>> {
        let id = ledger_id(holder, quarter);
        let Some(doc) = load(&self.conn, id, &self.actor)? else {
            return Ok(None);
        };
        view::read(&doc, &self.policies.parts)
            .map(Some)
            .map_err(|reason| corrupt(id, reason))
    }

    /// Every ledger this device holds, by holder and quarter.
    pub fn stock_ledgers(&self) -> Result<Vec<HeldLedger>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT ledger_id, holder, quarter, closed FROM ledger_docs ORDER BY holder, quarter",
        )?;
        let rows: Vec<(String, String, String, bool)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(id, holder, quarter, closed)| {
                let bad =
                    |what: &str| Error::InvalidDocument(format!("stored ledger {id}: bad {what}"));
                Ok(HeldLedger {
                    ledger_id: id.parse().map_err(|_| bad("id"))?,
                    holder: holder.parse().map_err(|_| bad("holder"))?,
                    quarter: quarter.parse().map_err(|_| bad("quarter"))?,
                    closed,
                })
            })
            .collect()
    }

    /// Whether this device knows `holder`'s ledger of `quarter` to be written off.
    fn ledger_closed(&self, holder: &Holder, quarter: Quarter) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT closed FROM ledger_docs WHERE ledger_id = ?1")?
            .query_row([ledger_id(holder, quarter).to_string()], |r| r.get(0))
            .optional()?
            .unwrap_or(false))
    }

    /// A ledger's whole saved document, for a push HQ answered `NeedFull`.
    pub(crate) fn export_ledger(&self, id: Uuid) -> Result<Vec<u8>> {
        load(&self.conn, id, &self.actor)?
            .map(|doc| doc.save())
            .ok_or_else(|| Error::EntryNotFound(id.to_string()))
    }
}

fn corrupt(ledger: Uuid, reason: String) -> Error {
    Error::CorruptDocument {
        case_id: ledger,
        reason,
    }
}

/// A stored ledger document, `None` when the device has none under that id.
pub(crate) fn load(conn: &Connection, id: Uuid, actor: &ActorId) -> Result<Option<Automerge>> {
    let key = id.to_string();
    let Some(snapshot): Option<Vec<u8>> = conn
        .prepare_cached("SELECT snapshot FROM ledger_docs WHERE ledger_id = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?
    else {
        return Ok(None);
    };
    let changes: Vec<Vec<u8>> = conn
        .prepare_cached("SELECT bytes FROM ledger_changes WHERE ledger_id = ?1 ORDER BY id")?
        .query_map([&key], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut bytes = snapshot;
    for change in &changes {
        bytes.extend_from_slice(change);
    }
    let mut doc = Automerge::load(&bytes).map_err(|e| corrupt(id, e.to_string()))?;
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(corrupt(
            id,
            "a stored change depends on one that is missing".into(),
        ));
    }
    doc.set_actor(actor.clone());
    Ok(Some(doc))
}

/// Stores a ledger's changes since `heads` (none: a ledger new to the device, saved whole).
pub(crate) fn store_doc(
    conn: &Connection,
    root: &LedgerRoot,
    doc: &Automerge,
    heads: &[ChangeHash],
) -> Result<()> {
    let key = root.ledger_id.to_string();
    let closed = root
        .map(CLOSING)
        .is_some_and(|obj| doc.get(obj, WRITEOFF).ok().flatten().is_some());
    let pending: Option<i64> = conn
        .prepare_cached("SELECT pending_changes FROM ledger_docs WHERE ledger_id = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    match pending {
        None => {
            conn.prepare_cached(
                "INSERT INTO ledger_docs (ledger_id, holder, quarter, snapshot, pending_changes, closed) \
                 VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            )?
            .execute(params![key, root.holder.to_string(), root.quarter.to_string(), doc.save(), closed])?;
        }
        Some(pending) if pending + 1 >= COMPACT_AFTER => {
            conn.execute(
                "UPDATE ledger_docs SET snapshot = ?2, pending_changes = 0, closed = ?3 WHERE ledger_id = ?1",
                params![key, doc.save(), closed],
            )?;
            conn.execute("DELETE FROM ledger_changes WHERE ledger_id = ?1", [&key])?;
        }
        Some(_) => {
            let delta = doc.save_after(heads);
            if !delta.is_empty() {
                conn.prepare_cached(
                    "INSERT INTO ledger_changes (ledger_id, bytes) VALUES (?1, ?2)",
                )?
                .execute(params![key, delta])?;
            }
            conn.prepare_cached(
                "UPDATE ledger_docs SET pending_changes = pending_changes + 1, closed = ?2 WHERE ledger_id = ?1",
            )?
            .execute(params![key, closed])?;
        }
    }
    Ok(())
}

fn insert_movement(
    conn: &Connection,
    root: &LedgerRoot,
    id: &str,
    m: &crate::stock::records::Movement,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO stock_movements \
         (ledger_id, movement_id, holder, quarter, kind, part_number, delta, at_ms, case_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        root.ledger_id.to_string(),
        id,
        root.holder.to_string(),
        root.quarter.to_string(),
        m.kind.as_str(),
        m.part_number,
        m.delta(),
        m.at.timestamp_millis(),
        m.case_id
    ])?;
    Ok(())
}

/// Rewrites a ledger's movement rows from its view (after a merge brought entries).
pub(crate) fn write_movements(
    conn: &Connection,
    root: &LedgerRoot,
    ledger: &LedgerView,
) -> Result<()> {
    conn.prepare_cached("DELETE FROM stock_movements WHERE ledger_id = ?1")?
        .execute([ledger.ledger_id.to_string()])?;
    for m in &ledger.movements {
        insert_movement(conn, root, &m.id, &m.movement)?;
    }
    Ok(())
}

/// A pulled ledger merged in memory, ready to store.
pub(crate) struct MergedLedger {
    root: LedgerRoot,
    doc: Automerge,
    heads: Vec<ChangeHash>,
    view: LedgerView,
}

/// What one pulled ledger became.
pub(crate) enum LedgerMerge {
    Done(Box<MergedLedger>),
    /// Changes that do not fit this device's copy: asked for whole next time.
    Repair(Uuid),
    /// HQ sent the whole ledger and it does not read: set aside with the reason.
    Quarantined {
        id: Uuid,
        reason: String,
        changes: Vec<u8>,
    },
}

/// Merges a pulled ledger into the device's copy (or a new one). Pure apart from reading the
/// stored copy.
pub(crate) fn merge_pull(
    store: &Store,
    id: Uuid,
    whole: bool,
    chunks: &[&[u8]],
) -> Result<LedgerMerge> {
    let failed = |reason: &str| {
        if whole {
            LedgerMerge::Quarantined {
                id,
                reason: reason.to_owned(),
                changes: chunks.concat(),
            }
        } else {
            LedgerMerge::Repair(id)
        }
    };
    let mut changes = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        match automerge::Change::from_bytes(chunk.to_vec()) {
            Ok(change) => changes.push(change),
            Err(_) => {
                return Ok(failed(
                    "a change HQ sent is not a readable automerge change",
                ));
            }
        }
    }
    let stored = load(&store.conn, id, &store.actor)?;
    if stored.is_none() && !whole {
        return Ok(LedgerMerge::Repair(id));
    }
    let known = stored.is_some();
    let mut doc = stored.unwrap_or_else(|| Automerge::new().with_actor(store.actor.clone()));
    let heads = if known { doc.get_heads() } else { Vec::new() };
    if doc.apply_changes(changes).is_err() || !doc.get_missing_deps(&[]).is_empty() {
        return Ok(failed(
            "the changes HQ sent do not apply to this device's copy",
        ));
    }
    let root = match LedgerRoot::read(&doc) {
        Ok(root) if root.ledger_id == id => root,
        Ok(_) => return Ok(failed("the document HQ sent is another ledger")),
        Err(reason) => return Ok(failed(&reason)),
    };
    let view = match view::read(&doc, &store.policies.parts) {
        Ok(view) => view,
        Err(reason) => return Ok(failed(&reason)),
    };
    Ok(LedgerMerge::Done(Box::new(MergedLedger {
        root,
        doc,
        heads,
        view,
    })))
}

/// Stores merged ledgers, notes repairs and sets aside what did not read, inside the round's
/// transaction.
pub(crate) fn write_merges(conn: &Connection, merges: &[LedgerMerge], now: &str) -> Result<()> {
    for merge in merges {
        match merge {
            LedgerMerge::Done(m) => {
                store_doc(conn, &m.root, &m.doc, &m.heads)?;
                write_movements(conn, &m.root, &m.view)?;
                let id = m.root.ledger_id.to_string();
                for sql in [
                    "DELETE FROM sync_repairs WHERE case_id = ?1 AND repair = 'pull_whole'",
                    "DELETE FROM sync_refused WHERE case_id = ?1 AND reason IS NULL",
                    "DELETE FROM sync_quarantine WHERE case_id = ?1",
                ] {
                    conn.prepare_cached(sql)?.execute([&id])?;
                }
            }
            LedgerMerge::Repair(id) => {
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO sync_repairs (case_id, repair) VALUES (?1, 'pull_whole')",
                )?
                .execute([id.to_string()])?;
            }
            LedgerMerge::Quarantined {
                id,
                reason,
                changes,
            } => {
                let id = id.to_string();
                conn.prepare_cached(
                    "DELETE FROM sync_repairs WHERE case_id = ?1 AND repair = 'pull_whole'",
                )?
                .execute([&id])?;
                conn.prepare_cached(
                    "INSERT OR REPLACE INTO sync_quarantine (case_id, reason, quarantined_at, changes) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![id, reason, now, changes])?;
            }
        }
    }
    Ok(())
}
