//! The device's half of the sync protocol, without I/O: what to send (outbox, repairs, cursor)
//! and how to store what HQ answered, all in one SQLite transaction so that a cut at any
//! point leaves the store consistent and the next sync simply repeats.

use std::collections::{BTreeSet, HashMap, HashSet};

use automerge::{Automerge, Change, ReadDoc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::case::document;
use crate::case::view::{self, CaseView};
use crate::error::{Error, Result};
use crate::model::CaseId;
use crate::rules::parts_catalog::PartsCatalog;
use crate::rules::policy::Policies;
use crate::stock::holder::is_ledger_id;
use crate::store::{OpenCase, Store, insert_snapshot, write_doc_delta};
use crate::store::{ledgers, projection};
use crate::sync::protocol::{
    AckOutcome, ByteBuf, CasePull, CasePush, PROTOCOL_VERSION, Payload, ReferenceData, SyncRequest,
    SyncResponse,
};

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
    /// HQ refused this device's unsent work for what it would do to the case (content the
    /// apps cannot read, a field this user's role may not write, over the size limit), with
    /// a reason ([`Store::rejected_cases`]). The work stays on the device; the case is pushed
    /// again once its user changes it.
    Rejected,
    /// HQ sent this case in a form this device cannot read or store (a value only a newer app
    /// version knows, or a damaged change): it is set aside with the reason
    /// HQ sent this case in a form this device cannot read or store (a newer schema, a value
    /// of the wrong type, a damaged change; content a newer app wrote in schema 1 is not this
    /// but shown as unknown, ADR 0009): it is set aside with the reason
    /// ([`Store::quarantined_cases`]), the device's own copy and work stay as they were, and
    /// every other case syncs on. A later pull of the case that applies cleanly lifts it.
    Quarantined,
    /// HQ archived this case (closed long ago, moved out of its live database, its number
    /// kept): HQ takes no more work on it until it restores the case. The device keeps its
    /// copy and any unsent work; a pull of the restored case lifts the state.
    Archived,
}

/// The `sync_refused.reason` that marks a case HQ answered [`AckOutcome::Archived`]: a
/// rejection's reason is always `"<Reason>: <detail>"`, so it can never read like this.
pub(crate) const ARCHIVED_REASON: &str = "archived";

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
    /// Pushed cases HQ rejected for what the push would do to them (see
    /// [`CaseSyncState::Rejected`]).
    pub rejected: u64,
    /// Pushed cases HQ left for a later request (`AckOutcome::Later`).
    pub later: u64,
    /// Pulled cases this device cannot read or store, set aside (see
    /// [`CaseSyncState::Quarantined`]).
    pub quarantined: u64,
    /// Pulled stock ledgers (merged, repaired or set aside).
    pub ledgers: u64,
    /// Pushed cases HQ answered were archived (see [`CaseSyncState::Archived`]).
    #[serde(default)]
    pub archived: u64,
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
        let batch = self.outbox_batch(&refused, max_push_bytes)?;
        let mut pushes = Vec::with_capacity(batch.len());
        let mut plan = PushPlan::default();
        for (case, queued) in batch {
            let case_id: CaseId = parse_id(&case)?;
            let payload = if queued.missing_change || push_document.contains(&case) {
                Payload::Document(ByteBuf::from(self.export_any(case_id)?))
            } else {
                Payload::Changes(queued.changes)
            };
            pushes.push(CasePush { case_id, payload });
            plan.cases.push((case_id, queued.last_seq));
        }
        // A repair with nothing left in the outbox still pushes the whole document.
        for case in push_document {
            let case_id = parse_id(&case)?;
            if !plan.cases.iter().any(|(id, _)| *id == case_id) && !refused.contains(&case) {
                pushes.push(CasePush {
                    case_id,
                    payload: Payload::Document(ByteBuf::from(self.export_any(case_id)?)),
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

    /// The outbox's entries per case, oldest case first, up to about `max_push_bytes` (at
    /// least one case), leaving out refused cases.
    fn outbox_batch(
        &self,
        refused: &HashSet<String>,
        max_push_bytes: usize,
    ) -> Result<Vec<(String, Queued)>> {
        let mut order: Vec<String> = Vec::new();
        let mut queued: HashMap<String, Queued> = HashMap::new();
        let mut budget = 0usize;
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT seq, case_id, change FROM outbox ORDER BY seq")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let case: String = row.get(1)?;
            let change: Option<Vec<u8>> = row.get(2)?;
            if refused.contains(&case) {
                continue;
            }
            if !queued.contains_key(&case) {
                if budget >= max_push_bytes && !order.is_empty() {
                    // Later entries of cases already in the request still join them, so a
                    // case's changes are never split across requests out of order.
                    continue;
                }
                order.push(case.clone());
            }
            let entry = queued.entry(case).or_default();
            entry.last_seq = seq;
            match change {
                Some(bytes) => {
                    budget += bytes.len();
                    entry.changes.push(ByteBuf::from(bytes));
                }
                None => entry.missing_change = true,
            }
        }
        Ok(order
            .into_iter()
            .filter_map(|case| queued.remove(&case).map(|q| (case, q)))
            .collect())
    }

    /// Stores a response: acknowledged outbox entries go, pulled changes are merged, repairs
    /// are noted and the cursor moves, in one transaction. Reference data follows it.
    pub fn apply_sync(&mut self, plan: &PushPlan, response: &SyncResponse) -> Result<RoundOutcome> {
        Ok(self.apply_sync_round(plan, response)?.0)
    }

    /// [`Store::apply_sync`], also saying which cases the round may have changed for a screen:
    /// the pushed ones (their sync state), the pulled ones, and every case when reference data
    /// arrived (it re-dates every deadline).
    pub fn apply_sync_round(
        &mut self,
        plan: &PushPlan,
        response: &SyncResponse,
    ) -> Result<(RoundOutcome, BTreeSet<CaseId>)> {
        if response.version != PROTOCOL_VERSION {
            return Err(Error::Protocol(format!(
                "HQ answered protocol version {}",
                response.version
            )));
        }
        if response.acks.len() != plan.cases.len() {
            return Err(Error::Protocol(format!(
                "{} acknowledgements for {} pushed cases",
                response.acks.len(),
                plan.cases.len()
            )));
        }
        // Stock ledgers travel beside the cases (ADR 0021) and are stored apart from them.
        let (ledger_pulls, case_pulls): (Vec<&CasePull>, Vec<&CasePull>) =
            response.pulls.iter().partition(|p| is_ledger_id(p.case_id));
        // The ledger kept open may be the one a pull changes: read them all from the store.
        self.open_ledger = None;
        let mut ledgers = Vec::with_capacity(ledger_pulls.len());
        for pull in &ledger_pulls {
            let chunks: Vec<&[u8]> = pull.changes.iter().map(|c| c.as_slice()).collect();
            ledgers.push(ledgers::merge_pull(
                self,
                pull.case_id,
                pull.whole,
                &chunks,
            )?);
        }
        let pulled: Vec<CaseId> = case_pulls.iter().map(|p| p.case_id).collect();
        let kept = self.quarantined_chunks(&pulled)?;
        let outcome = self.with_docs(&pulled, |store, open| {
            let pulled = merge_pulls(store, &case_pulls, &kept, open);
            let now = store.now().to_rfc3339();
            store.write(|tx| {
                let mut outcome = RoundOutcome::default();
                write_acks(tx, plan, &response.acks, &now, &mut outcome)?;
                write_pulls(tx, &pulled, open, &now, &mut outcome)?;
                ledgers::write_merges(tx, &ledgers, &now)?;
                outcome.ledgers = ledgers.len() as u64;
                tx.prepare_cached(
                    "UPDATE sync_state SET cursor = ?1, last_sync_at = ?2 WHERE id = 1",
                )?
                .execute(params![response.cursor as i64, now])?;
                Ok(outcome)
            })
        })?;
        let mut changed: BTreeSet<CaseId> = plan
            .cases
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !is_ledger_id(*id))
            .collect();
        changed.extend(pulled);
        if let Some(reference) = &response.reference {
            self.store_reference(reference)?;
            changed.extend(self.case_ids()?);
        }
        Ok((outcome, changed))
    }

    /// A document's whole save for a push HQ answered `NeedFull`: a case's or a ledger's.
    fn export_any(&mut self, id: CaseId) -> Result<Vec<u8>> {
        if is_ledger_id(id) {
            self.export_ledger(id)
        } else {
            self.export_document(id)
        }
    }

    /// Every case id in the store.
    fn case_ids(&self) -> Result<Vec<CaseId>> {
        let mut stmt = self.conn().prepare_cached("SELECT case_id FROM cases")?;
        let ids: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| parse_id(id)).collect()
    }

    /// Stores reference data from HQ: the policies (which re-date every case) and catalogs.
    fn store_reference(&mut self, reference: &ReferenceData) -> Result<()> {
        let policies = serde_json::from_str(&reference.policies_json)
            .map_err(|e| Error::Protocol(format!("reference policies: {e}")))?;
        self.set_policies(policies)?;
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES ('catalogs', ?1)",
                [&reference.catalogs_json],
            )?;
            tx.execute(
                "UPDATE sync_state SET reference_version = ?1 WHERE id = 1",
                [reference.version as i64],
            )?;
            Ok(())
        })?;
        self.parts_catalog = crate::store::parts_catalog_of(&reference.catalogs_json);
        Ok(())
    }

    /// Replaces the catalogs as HQ would send them (a device set up without HQ, a test): a
    /// malformed `parts` key is refused with its reason and nothing is stored.
    pub fn set_catalogs_json(&mut self, catalogs_json: &str) -> Result<()> {
        let catalog = PartsCatalog::from_catalogs_json(catalogs_json)?;
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES ('catalogs', ?1)",
                [catalogs_json],
            )?;
            Ok(())
        })?;
        self.parts_catalog = catalog;
        Ok(())
    }

    /// The cursor and reference version this device holds.
    pub fn sync_position(&self) -> Result<(u64, u64)> {
        let (cursor, reference): (i64, i64) = self.conn().query_row(
            "SELECT cursor, reference_version FROM sync_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((cursor as u64, reference as u64))
    }

    /// Cases with local work HQ has not acknowledged (or a pending repair), not counting the
    /// refused ones: they wait for HQ, not for the next sync.
    pub fn pending_sync_cases(&self) -> Result<u64> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM (SELECT case_id FROM outbox UNION \
             SELECT case_id FROM sync_repairs) WHERE case_id NOT IN (SELECT case_id FROM sync_refused)",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Cases whose unsent work HQ refused (see [`CaseSyncState::Refused`]), by id.
    pub fn refused_cases(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT case_id FROM sync_refused ORDER BY case_id")?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }

    /// Why a case is [`CaseSyncState::Rejected`] (HQ's reason) or
    /// [`CaseSyncState::Quarantined`] (why this device cannot read what HQ sent); `None` for
    /// every other state.
    pub fn case_sync_reason(&self, case_id: CaseId) -> Result<Option<String>> {
        case_sync_reason(self.conn(), case_id)
    }

    /// Cases whose push HQ rejected (see [`CaseSyncState::Rejected`]), each with HQ's reason,
    /// oldest first.
    pub fn rejected_cases(&self) -> Result<Vec<(CaseId, String)>> {
        self.cases_with_reasons(
            "SELECT case_id, reason FROM sync_refused WHERE reason IS NOT NULL \
             AND reason <> 'archived' ORDER BY refused_at, case_id",
        )
    }

    /// Cases HQ answered were archived (see [`CaseSyncState::Archived`]), oldest first.
    pub fn archived_cases(&self) -> Result<Vec<CaseId>> {
        Ok(self
            .cases_with_reasons(
                "SELECT case_id, reason FROM sync_refused WHERE reason = 'archived' \
                 ORDER BY refused_at, case_id",
            )?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    /// Cases HQ sent that this device set aside (see [`CaseSyncState::Quarantined`]): each
    /// with the reason it could not be read or stored, oldest first.
    pub fn quarantined_cases(&self) -> Result<Vec<(CaseId, String)>> {
        self.cases_with_reasons(
            "SELECT case_id, reason FROM sync_quarantine ORDER BY quarantined_at, case_id",
        )
    }

    /// The (case id, reason) rows `sql` selects.
    fn cases_with_reasons(&self, sql: &str) -> Result<Vec<(CaseId, String)>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(id, reason)| Ok((parse_id(&id)?, reason)))
            .collect()
    }

    /// The chunks kept aside for those of `cases` that are quarantined.
    fn quarantined_chunks(&self, cases: &[CaseId]) -> Result<HashMap<CaseId, Vec<u8>>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT changes FROM sync_quarantine WHERE case_id = ?1")?;
        let mut kept = HashMap::new();
        for case_id in cases {
            let changes: Option<Vec<u8>> = stmt
                .query_row([case_id.to_string()], |r| r.get(0))
                .optional()?;
            if let Some(changes) = changes {
                kept.insert(*case_id, changes);
            }
        }
        Ok(kept)
    }

    /// How a case stands with HQ.
    pub fn case_sync_state(&self, case_id: CaseId) -> Result<CaseSyncState> {
        case_sync_state(self.conn(), case_id)
    }

    /// Cases whose view shows a conflict.
    pub fn conflict_count(&self) -> Result<u64> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM cases WHERE has_conflict = 1",
            [],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// The product and parts catalogs HQ last sent, as JSON (`{}` before the first sync).
    pub fn catalogs_json(&self) -> Result<String> {
        Ok(self
            .conn()
            .query_row(
                "SELECT value FROM settings WHERE key = 'catalogs'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_else(|| "{}".into()))
    }

    fn repairs(&self, kind: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT case_id FROM sync_repairs WHERE repair = ?1 ORDER BY case_id",
        )?;
        let ids = stmt
            .query_map([kind], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ids)
    }
}

/// What one request pushed from the outbox for one case.
#[derive(Default)]
struct Queued {
    last_seq: i64,
    changes: Vec<ByteBuf>,
    /// An entry without its change chunk (written before chunks were kept): push the document.
    missing_change: bool,
}

/// A pulled case merged in memory, with what the write needs: its view and its bytes (a
/// full save for a case new to the device, the incremental save after its old heads else).
struct Merged {
    case_id: CaseId,
    known: bool,
    view: CaseView,
    bytes: Vec<u8>,
}

enum Merge {
    Done(Box<(OpenCase, Merged)>),
    /// Changes that do not fit the device's copy (a dependency missing): the case is asked
    /// for whole next time.
    Unusable(CaseId),
    /// A case this device cannot read or store: set aside, and every other case syncs on.
    Quarantined(Quarantine),
}

/// A pulled case set aside, with why and the chunks as they arrived.
struct Quarantine {
    case_id: CaseId,
    reason: String,
    changes: Vec<u8>,
}

/// What a round's pulls became: merged cases, cases to ask for whole, cases set aside.
#[derive(Default)]
struct Pulled {
    merged: Vec<Merged>,
    repairs: Vec<CaseId>,
    quarantined: Vec<Quarantine>,
}

/// Merges every pulled case into its open document (or a new one), on every core: cases are
/// independent. The merged documents go back into `open`, for the store to cache once the
/// write commits; a document whose merge failed is dropped, so the stored copy is what the
/// next read sees.
fn merge_pulls(
    store: &Store,
    pulls: &[&CasePull],
    kept: &HashMap<CaseId, Vec<u8>>,
    open: &mut Vec<(CaseId, Option<OpenCase>)>,
) -> Pulled {
    let mut jobs = Vec::with_capacity(pulls.len());
    let mut out = Pulled::default();
    for (pull, (_, doc)) in pulls.iter().zip(open.iter_mut()) {
        let kept = kept.get(&pull.case_id).map(Vec::as_slice);
        match doc.take() {
            Some(doc) => jobs.push((pull, Some(doc.doc), kept)),
            // A case whose first page was set aside: its next pages complete it.
            None if pull.whole || kept.is_some() => jobs.push((pull, None, kept)),
            None => out.repairs.push(pull.case_id),
        }
    }
    let actor = store.actor().clone();
    let policies = &store.policies;
    open.clear();
    for result in parallel_map(jobs, |(pull, doc, kept)| {
        merge_pull(pull, doc, kept, &actor, policies)
    }) {
        match result {
            Merge::Done(done) => {
                let (doc, m) = *done;
                open.push((m.case_id, Some(doc)));
                out.merged.push(m);
            }
            Merge::Unusable(case_id) => out.repairs.push(case_id),
            Merge::Quarantined(q) => out.quarantined.push(q),
        }
    }
    out
}

/// Merges one pulled case into `doc` (the device's copy), or into a new document when the
/// device does not have the case. Pure CPU, so it runs on any thread.
///
/// A quarantined case's chunks kept aside (`kept`) are merged too when the pull alone does not
/// make a readable case: HQ sends a case too big for one response in pages, and a first page
/// (a prefix of the case's log) that the view cannot read is completed by the next pages
/// rather than asked for again and again.
fn merge_pull(
    pull: &CasePull,
    doc: Option<Automerge>,
    kept: Option<&[u8]>,
    actor: &automerge::ActorId,
    policies: &Policies,
) -> Merge {
    let pulled: Vec<&[u8]> = pull.changes.iter().map(|c| c.as_slice()).collect();
    let Some(kept) = kept.and_then(split_chunks) else {
        return merge_chunks(pull, &pulled, doc, actor, policies);
    };
    if doc.is_some() || pull.whole {
        let alone = merge_chunks(pull, &pulled, doc.clone(), actor, policies);
        if let Merge::Done(_) = alone {
            return alone;
        }
    }
    let mut seen = HashSet::new();
    let combined: Vec<&[u8]> = kept
        .into_iter()
        .chain(pulled)
        .filter(|chunk| seen.insert(*chunk))
        .collect();
    merge_chunks(pull, &combined, doc, actor, policies)
}

/// The chunks of a concatenation of automerge chunks (as quarantine keeps them), or `None`
/// if it is not one: each is the magic bytes, a 4-byte checksum, a type byte, a uLEB128
/// length and that many bytes.
fn split_chunks(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    const HEADER: usize = 9;
    let mut chunks = Vec::new();
    while !bytes.is_empty() {
        let mut len: u64 = 0;
        let mut at = HEADER;
        for shift in (0..64).step_by(7) {
            let byte = *bytes.get(at)?;
            at += 1;
            len |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
        }
        let end = at.checked_add(usize::try_from(len).ok()?)?;
        if end > bytes.len() {
            return None;
        }
        let (chunk, rest) = bytes.split_at(end);
        chunks.push(chunk);
        bytes = rest;
    }
    Some(chunks)
}

/// [`merge_pull`] of these chunks (the pull's, or the kept ones and the pull's).
fn merge_chunks(
    pull: &CasePull,
    chunks: &[&[u8]],
    doc: Option<Automerge>,
    actor: &automerge::ActorId,
    policies: &Policies,
) -> Merge {
    let quarantine = |reason: String| {
        Merge::Quarantined(Quarantine {
            case_id: pull.case_id,
            reason,
            changes: chunks.concat(),
        })
    };
    // Chunks that do not parse or do not fit are repaired by asking for the whole case; when
    // the whole case itself does not, asking again would not help.
    let unusable = |reason: &str| {
        if pull.whole {
            quarantine(reason.to_owned())
        } else {
            Merge::Unusable(pull.case_id)
        }
    };
    let mut changes = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        match Change::from_bytes(chunk.to_vec()) {
            Ok(change) => changes.push(change),
            Err(_) => return unusable("a change HQ sent is not a readable automerge change"),
        }
    }
    let known = doc.is_some();
    let mut doc = doc.unwrap_or_else(|| Automerge::new().with_actor(actor.clone()));
    let heads = doc.get_heads();
    let origin = known.then(|| document::origin_of(&doc));
    if doc.apply_changes(changes).is_err() || !doc.get_missing_deps(&[]).is_empty() {
        return unusable("the changes HQ sent do not apply to this device's copy");
    }
    if let Err(reason) = document::check_schema(&doc) {
        return quarantine(reason);
    }
    if document::case_id_of(&doc) != Some(pull.case_id)
        || origin.is_some_and(|before| document::origin_of(&doc) != before)
    {
        return quarantine("the document HQ sent is of another case".into());
    }
    let view = match view::build(&doc, pull.case_id, policies) {
        Ok(view) => view,
        Err(e) => return quarantine(e.to_string()),
    };
    let bytes = if known {
        doc.save_after(&heads)
    } else {
        doc.save()
    };
    // The view is not kept with the document: a bootstrap pulls thousands of cases, and
    // copying each view would cost more than building the few a screen opens next.
    Merge::Done(Box::new((
        OpenCase::new(doc),
        Merged {
            case_id: pull.case_id,
            known,
            view,
            bytes,
        },
    )))
}

/// Applies HQ's acknowledgement of each pushed case to the outbox and the repair lists.
fn write_acks(
    tx: &Connection,
    plan: &PushPlan,
    acks: &[AckOutcome],
    now: &str,
    outcome: &mut RoundOutcome,
) -> Result<()> {
    for (ack, (case_id, last_seq)) in acks.iter().zip(&plan.cases) {
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
            AckOutcome::Rejected { reason, detail } => {
                // Kept too: the user sees HQ's reason, and the case goes up again once they
                // change it.
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO sync_refused (case_id, refused_at, reason) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![id, now, format!("{}: {detail}", reason.as_str())])?;
                outcome.rejected += 1;
            }
            // The outbox keeps the work; the next request pushes it.
            AckOutcome::Later => outcome.later += 1,
            AckOutcome::Archived => {
                // Kept like a refusal: the work waits on the device until HQ restores the
                // case, whose pull lifts the mark (`write_pulls`).
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO sync_refused (case_id, refused_at, reason) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![id, now, ARCHIVED_REASON])?;
                outcome.archived += 1;
            }
        }
    }
    Ok(())
}

/// Stores the merged pulls (documents and projection rows), notes the repairs and sets aside
/// the quarantined cases. `open` holds the merged documents in the order of `pulled.merged`.
fn write_pulls(
    tx: &Connection,
    pulled: &Pulled,
    open: &[(CaseId, Option<OpenCase>)],
    now: &str,
    outcome: &mut RoundOutcome,
) -> Result<()> {
    for (m, (_, doc)) in pulled.merged.iter().zip(open) {
        let id = m.case_id.to_string();
        if let (true, Some(doc)) = (m.known, doc) {
            write_doc_delta(tx, m.case_id, &doc.doc, &m.bytes)?;
        } else {
            insert_snapshot(tx, m.case_id, &m.bytes)?;
        }
        projection::write(tx, &m.view)?;
        tx.prepare_cached("DELETE FROM sync_repairs WHERE case_id = ?1 AND repair = 'pull_whole'")?
            .execute([&id])?;
        // HQ sends a case only to devices that may see it: refused work goes again. A
        // rejection stands until the user changes the case. A case HQ sends again after it
        // archived it was restored: its waiting work goes up too.
        tx.prepare_cached(
            "DELETE FROM sync_refused WHERE case_id = ?1 AND (reason IS NULL OR reason = 'archived')",
        )?
        .execute([&id])?;
        tx.prepare_cached("DELETE FROM sync_quarantine WHERE case_id = ?1")?
            .execute([&id])?;
        outcome.pulled += 1;
    }
    for case_id in &pulled.repairs {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO sync_repairs (case_id, repair) VALUES (?1, 'pull_whole')",
        )?
        .execute([case_id.to_string()])?;
        outcome.repairs += 1;
    }
    for q in &pulled.quarantined {
        let id = q.case_id.to_string();
        // Set aside, not asked for again at every sync: a later change to the case brings it.
        tx.prepare_cached("DELETE FROM sync_repairs WHERE case_id = ?1 AND repair = 'pull_whole'")?
            .execute([&id])?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO sync_quarantine (case_id, reason, quarantined_at, changes) \
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![id, q.reason, now, q.changes])?;
        outcome.quarantined += 1;
    }
    Ok(())
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

/// How a case stands with HQ, read through any connection to the store (the writer's or a
/// reader's).
pub(crate) fn case_sync_state(conn: &Connection, case_id: CaseId) -> Result<CaseSyncState> {
    let id = case_id.to_string();
    let has_row = |sql: &str| -> Result<bool> {
        Ok(conn
            .prepare_cached(sql)?
            .query_row([&id], |_| Ok(()))
            .optional()?
            .is_some())
    };
    if has_row("SELECT 1 FROM sync_quarantine WHERE case_id = ?1")? {
        return Ok(CaseSyncState::Quarantined);
    }
    if has_row("SELECT 1 FROM sync_refused WHERE case_id = ?1 AND reason = 'archived'")? {
        return Ok(CaseSyncState::Archived);
    }
    if has_row("SELECT 1 FROM sync_refused WHERE case_id = ?1 AND reason IS NOT NULL")? {
        return Ok(CaseSyncState::Rejected);
    }
    if has_row("SELECT 1 FROM sync_refused WHERE case_id = ?1")? {
        return Ok(CaseSyncState::Refused);
    }
    if has_row(
        "SELECT 1 FROM outbox WHERE case_id = ?1 UNION SELECT 1 FROM sync_repairs WHERE case_id = ?1 LIMIT 1",
    )? {
        return Ok(CaseSyncState::Pending);
    }
    if is_ledger_id(case_id) {
        // A ledger has no conflicts: its entries are all kept side by side.
        return if has_row("SELECT 1 FROM ledger_docs WHERE ledger_id = ?1")? {
            Ok(CaseSyncState::Synced)
        } else {
            Err(Error::CaseNotFound(case_id))
        };
    }
    let Some(row) = projection::get(conn, case_id)? else {
        return Err(if crate::store::evict::is_evicted(conn, case_id)? {
            Error::Evicted(case_id)
        } else {
            Error::CaseNotFound(case_id)
        });
    };
    Ok(if row.has_conflict {
        CaseSyncState::Conflict
    } else {
        CaseSyncState::Synced
    })
}

/// Why a case is rejected or quarantined (see [`Store::case_sync_reason`]).
pub(crate) fn case_sync_reason(conn: &Connection, case_id: CaseId) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT reason FROM sync_quarantine WHERE case_id = ?1 \
             UNION ALL SELECT reason FROM sync_refused WHERE case_id = ?1 AND reason IS NOT NULL \
             AND reason <> 'archived'",
        )?
        .query_row([case_id.to_string()], |r| r.get(0))
        .optional()?)
}
