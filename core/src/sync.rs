//! The device's half of the sync protocol, without I/O: what to send (outbox, repairs, cursor)
//! and how to store what HQ answered, all in one SQLite transaction so that a cut at any
//! point leaves the store consistent and the next sync simply repeats.

use std::collections::{HashMap, HashSet};

use automerge::{Automerge, Change, ReadDoc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::document;
use crate::error::{Error, Result};
use crate::model::CaseId;
use crate::policy::Policies;
use crate::projection;
use crate::store::{Store, insert_snapshot, write_doc_delta};
use crate::sync_protocol::{
    AckOutcome, ByteBuf, CasePull, CasePush, PROTOCOL_VERSION, Payload, SyncRequest, SyncResponse,
};
use crate::view::{self, CaseView};

/// How a case stands with HQ, for list badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseSyncState {
    /// Local work HQ has not acknowledged.
    Pending,
    Synced,
    /// Synced, but replicas disagree on a decision a person must resolve.
    Conflict,
    /// HQ refused this device's unsent work: its user may no longer write the case (it was
    /// routed to another center or reassigned). The work stays on the device and is pushed
    /// again if HQ gives the case back.
    Refused,
}

/// What one request carries from the outbox, remembered until its response arrives.
#[derive(Debug, Clone, Default)]
pub struct PushPlan {
    /// Per pushed case, the last outbox entry included: only entries up to it are acknowledged.
    cases: Vec<(CaseId, i64)>,
}

impl PushPlan {
    pub fn case_count(&self) -> usize {
        self.cases.len()
    }
}

/// What storing one response did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundOutcome {
    pub acknowledged: u64,
    pub need_full: u64,
    pub pulled: u64,
    /// Pulled cases that could not be applied and will be asked for whole next time.
    pub repairs: u64,
    /// Pushed cases HQ refused because this device's user may no longer write them.
    pub refused: u64,
}

impl Store {
    /// The next request: outbox entries grouped per case, oldest case first, up to about
    /// `max_push_bytes` of changes (at least one case), plus repairs and the cursor.
    pub fn prepare_sync(
        &mut self,
        max_push_bytes: usize,
        max_pull: u32,
    ) -> Result<(SyncRequest, PushPlan)> {
        let push_document: HashSet<String> = self.repairs("push_document")?.into_iter().collect();
        let refused: HashSet<String> = self.refused_cases()?.into_iter().collect();
        let mut order: Vec<String> = Vec::new();
        let mut rows: HashMap<String, (i64, Vec<ByteBuf>, bool)> = HashMap::new();
        let mut budget = 0usize;
        {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT seq, case_id, change FROM outbox ORDER BY seq")?;
            let mut cursor = stmt.query([])?;
            while let Some(row) = cursor.next()? {
                let seq: i64 = row.get(0)?;
                let case: String = row.get(1)?;
                let change: Option<Vec<u8>> = row.get(2)?;
                if refused.contains(&case) {
                    continue;
                }
                if !rows.contains_key(&case) {
                    if budget >= max_push_bytes && !order.is_empty() {
                        // Later entries of cases already in the request still join them, so a
                        // case's changes are never split across requests out of order.
                        continue;
                    }
                    order.push(case.clone());
                }
                let entry = rows.entry(case).or_insert((seq, Vec::new(), false));
                entry.0 = seq;
                match change {
                    Some(bytes) => {
                        budget += bytes.len();
                        entry.1.push(ByteBuf::from(bytes));
                    }
                    None => entry.2 = true,
                }
            }
        }
        let mut pushes = Vec::with_capacity(order.len());
        let mut plan = PushPlan::default();
        for case in &order {
            let Some((last_seq, changes, missing)) = rows.remove(case) else {
                continue;
            };
            let case_id: CaseId = parse_id(case)?;
            let payload = if missing || push_document.contains(case) {
                let doc = self.take(case_id)?;
                let bytes = doc.save();
                self.give_back(case_id, doc);
                Payload::Document(ByteBuf::from(bytes))
            } else {
                Payload::Changes(changes)
            };
            pushes.push(CasePush { case_id, payload });
            plan.cases.push((case_id, last_seq));
        }
        // A repair with nothing left in the outbox still pushes the whole document.
        for case in push_document {
            if !order.contains(&case) && !refused.contains(&case) {
                let case_id = parse_id(&case)?;
                let doc = self.take(case_id)?;
                let bytes = doc.save();
                self.give_back(case_id, doc);
                pushes.push(CasePush {
                    case_id,
                    payload: Payload::Document(ByteBuf::from(bytes)),
                });
                plan.cases.push((case_id, 0));
            }
        }
        // Refused cases are asked for too (16 bytes each): HQ sends one only once this user
        // may see it again, and its arrival lets the kept work go up.
        let want_full = self
            .repairs("pull_whole")?
            .iter()
            .chain(&refused)
            .map(|c| parse_id(c))
            .collect::<Result<Vec<_>>>()?;
        let (cursor, reference_version) = self.sync_position()?;
        let request = SyncRequest {
            version: PROTOCOL_VERSION,
            actor: self.actor().to_bytes().to_vec(),
            cursor,
            reference_version,
            pushes,
            want_full,
            max_pull,
        };
        Ok((request, plan))
    }

    /// Stores a response: acknowledged outbox entries go, pulled changes are merged, repairs
    /// are noted and the cursor moves, in one transaction. Reference data follows it.
    pub fn apply_sync(&mut self, plan: &PushPlan, response: &SyncResponse) -> Result<RoundOutcome> {
        if response.version != PROTOCOL_VERSION {
            return Err(Error::Protocol(format!(
                "HQ answered protocol version {}",
                response.version
            )));
        }
        let mut outcome = RoundOutcome::default();
        // Merge every pulled case in memory first, on every core (cases are independent);
        // a case that fails is left out and its cached document dropped, so the database,
        // which the failed merge never touched, is what the next read sees.
        let mut jobs = Vec::with_capacity(response.pulls.len());
        let mut repairs: Vec<CaseId> = Vec::new();
        for pull in &response.pulls {
            if self.exists(pull.case_id)? {
                jobs.push((pull, Some(self.take(pull.case_id)?)));
            } else if pull.whole {
                jobs.push((pull, None));
            } else {
                repairs.push(pull.case_id);
            }
        }
        let actor = self.actor().clone();
        let policies = &self.policies;
        let mut merged: Vec<Merged> = Vec::with_capacity(jobs.len());
        for result in parallel_map(jobs, |(pull, doc)| merge_pull(pull, doc, &actor, policies)) {
            match result {
                Merge::Done(done) => merged.push(*done),
                Merge::Unusable(case_id) => repairs.push(case_id),
                Merge::Failed(e) => return Err(e),
            }
        }

        let now = self.now().to_rfc3339();
        let written = (|| -> Result<()> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            if response.acks.len() != plan.cases.len() {
                return Err(Error::Protocol(format!(
                    "{} acknowledgements for {} pushed cases",
                    response.acks.len(),
                    plan.cases.len()
                )));
            }
            for (ack, (case_id, last_seq)) in response.acks.iter().zip(&plan.cases) {
                let id = case_id.to_string();
                match ack {
                    AckOutcome::Applied => {
                        tx.prepare_cached("DELETE FROM outbox WHERE case_id = ?1 AND seq <= ?2")?
                            .execute(params![id, last_seq])?;
                        tx.prepare_cached(
                            "DELETE FROM sync_repairs WHERE case_id = ?1 AND repair = 'push_document'",
                        )?
                        .execute([&id])?;
                        outcome.acknowledged += 1;
                    }
                    AckOutcome::NeedFull => {
                        tx.prepare_cached(
                            "INSERT OR REPLACE INTO sync_repairs (case_id, repair) VALUES (?1, 'push_document')",
                        )?
                        .execute([&id])?;
                        outcome.need_full += 1;
                    }
                    AckOutcome::Forbidden => {
                        // Kept, not deleted: what was recorded on site is never lost.
                        tx.prepare_cached(
                            "INSERT OR REPLACE INTO sync_refused (case_id, refused_at) VALUES (?1, ?2)",
                        )?
                        .execute(params![id, now])?;
                        outcome.refused += 1;
                    }
                }
            }
            for m in &merged {
                let case_id = &m.case_id;
                if m.known {
                    write_doc_delta(&tx, m.case_id, &m.doc, &m.bytes)?;
                } else {
                    insert_snapshot(&tx, m.case_id, &m.bytes)?;
                }
                projection::write(&tx, &m.view)?;
                tx.prepare_cached(
                    "DELETE FROM sync_repairs WHERE case_id = ?1 AND repair = 'pull_whole'",
                )?
                .execute([case_id.to_string()])?;
                // HQ sends a case only to devices that may see it: refused work goes again.
                tx.prepare_cached("DELETE FROM sync_refused WHERE case_id = ?1")?
                    .execute([case_id.to_string()])?;
                outcome.pulled += 1;
            }
            for case_id in &repairs {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO sync_repairs (case_id, repair) VALUES (?1, 'pull_whole')",
                )?
                .execute([case_id.to_string()])?;
                outcome.repairs += 1;
            }
            tx.prepare_cached("UPDATE sync_state SET cursor = ?1, last_sync_at = ?2 WHERE id = 1")?
                .execute(params![response.cursor as i64, now])?;
            tx.commit()?;
            Ok(())
        })();
        if let Err(e) = written {
            // The merged documents hold changes the database does not: forget them.
            for m in &merged {
                self.forget(m.case_id);
            }
            return Err(e);
        }
        self.committed();
        for m in merged {
            self.give_back(m.case_id, m.doc);
        }
        if let Some(reference) = &response.reference {
            let policies = serde_json::from_str(&reference.policies_json)
                .map_err(|e| Error::Protocol(format!("reference policies: {e}")))?;
            self.set_policies(policies)?;
            let tx = self.conn.transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES ('catalogs', ?1)",
                [&reference.catalogs_json],
            )?;
            tx.execute(
                "UPDATE sync_state SET reference_version = ?1 WHERE id = 1",
                [reference.version as i64],
            )?;
            tx.commit()?;
        }
        Ok(outcome)
    }

    /// The cursor and reference version this device holds.
    pub fn sync_position(&self) -> Result<(u64, u64)> {
        let (cursor, reference): (i64, i64) = self.conn.query_row(
            "SELECT cursor, reference_version FROM sync_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((cursor as u64, reference as u64))
    }

    /// Cases with local work HQ has not acknowledged (or a pending repair), not counting the
    /// refused ones: they wait for HQ, not for the next sync.
    pub fn pending_sync_cases(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM (SELECT case_id FROM outbox UNION \
             SELECT case_id FROM sync_repairs) WHERE case_id NOT IN (SELECT case_id FROM sync_refused)",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Cases whose unsent work HQ refused (see [`CaseSyncState::Refused`]), by id.
    pub fn refused_cases(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT case_id FROM sync_refused ORDER BY case_id")?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// How a case stands with HQ.
    pub fn case_sync_state(&self, case_id: CaseId) -> Result<CaseSyncState> {
        let id = case_id.to_string();
        let has_row = |sql: &str| -> Result<bool> {
            Ok(self
                .conn
                .query_row(sql, [&id], |_| Ok(()))
                .optional()?
                .is_some())
        };
        if has_row("SELECT 1 FROM sync_refused WHERE case_id = ?1")? {
            return Ok(CaseSyncState::Refused);
        }
        let pending = has_row(
            "SELECT 1 FROM outbox WHERE case_id = ?1 UNION SELECT 1 FROM sync_repairs WHERE case_id = ?1 LIMIT 1",
        )?;
        if pending {
            return Ok(CaseSyncState::Pending);
        }
        let row = self
            .projection_row(case_id)?
            .ok_or(Error::CaseNotFound(case_id))?;
        Ok(if row.has_conflict {
            CaseSyncState::Conflict
        } else {
            CaseSyncState::Synced
        })
    }

    /// Cases whose view shows a conflict.
    pub fn conflict_count(&self) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM cases WHERE has_conflict = 1",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The product and parts catalogs HQ last sent, as JSON (`{}` before the first sync).
    pub fn catalogs_json(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'catalogs'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_else(|| "{}".into()))
    }

    fn repairs(&self, kind: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT case_id FROM sync_repairs WHERE repair = ?1 ORDER BY case_id",
        )?;
        let ids = stmt
            .query_map([kind], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }
}

/// A pulled case merged in memory, with what the write needs: its view and its bytes (a
/// full save for a case new to the device, the incremental save after its old heads else).
struct Merged {
    case_id: CaseId,
    doc: Automerge,
    known: bool,
    view: CaseView,
    bytes: Vec<u8>,
}

enum Merge {
    Done(Box<Merged>),
    /// The case cannot be applied as sent: it is asked for whole next time.
    Unusable(CaseId),
    Failed(Error),
}

/// Merges one pulled case into `doc` (the device's copy), or into a new document when the
/// device does not have the case. Pure CPU, so it runs on any thread.
fn merge_pull(
    pull: &CasePull,
    doc: Option<Automerge>,
    actor: &automerge::ActorId,
    policies: &Policies,
) -> Merge {
    let mut changes = Vec::with_capacity(pull.changes.len());
    for chunk in &pull.changes {
        match Change::from_bytes(chunk.to_vec()) {
            Ok(change) => changes.push(change),
            Err(_) => return Merge::Unusable(pull.case_id),
        }
    }
    let known = doc.is_some();
    let mut doc = doc.unwrap_or_else(|| Automerge::new().with_actor(actor.clone()));
    let heads = doc.get_heads();
    let origin = known.then(|| document::origin_of(&doc));
    let applied = doc.apply_changes(changes).is_ok() && doc.get_missing_deps(&[]).is_empty();
    let valid = applied
        && document::check_schema(&doc).is_ok()
        && document::case_id_of(&doc) == Some(pull.case_id)
        && origin.is_none_or(|before| document::origin_of(&doc) == before);
    if !valid {
        return Merge::Unusable(pull.case_id);
    }
    let view = match view::build(&doc, pull.case_id, policies) {
        Ok(view) => view,
        Err(e) => return Merge::Failed(e),
    };
    let bytes = if known {
        doc.save_after(&heads)
    } else {
        doc.save()
    };
    Merge::Done(Box::new(Merged {
        case_id: pull.case_id,
        doc,
        known,
        view,
        bytes,
    }))
}

/// `f` over `items` on every available core, results in the items' order. Small batches run
/// on the calling thread: a thread costs more than merging a few cases.
fn parallel_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    const PER_THREAD_MIN: usize = 32;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(items.len() / PER_THREAD_MIN).max(1);
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let per_thread = items.len().div_ceil(threads);
    let mut batches: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut items = items.into_iter();
    loop {
        let batch: Vec<T> = items.by_ref().take(per_thread).collect();
        if batch.is_empty() {
            break;
        }
        batches.push(batch);
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = batches
            .into_iter()
            .map(|batch| scope.spawn(move || batch.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                // A panic in `f` is a bug; carry it to the caller as it would have been raised
                // without threads (the FFI layer turns it into an exception).
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

fn parse_id(s: &str) -> Result<Uuid> {
    s.parse()
        .map_err(|_| Error::InvalidDocument(format!("stored case id {s}")))
}
