//! Stock ledgers at HQ (ADR 0021, docs/stock-ledger.md): pushes of ledger documents tried and
//! stored beside the cases' in the same sync transaction and change log, HQ's own entries
//! (approvals, dispatched stock, shipment checks, the write-off's closing), and the read model
//! the balance, the approvals inbox and the write-off read.
//!
//! A ledger push is judged like a case push (the same acks and reasons) with the ledger's own
//! rules: the pushing user must belong to the holder; a device writes only new keys of
//! `movements`, `requisitions` and `shipments` (entries are immutable); the only change not
//! authored by the device that it may bring is the ledger's first change, which every replica
//! makes identically.

use std::collections::{HashMap, HashSet};

use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};
use chrono::{DateTime, FixedOffset};
use fieldcore::{
    AckOutcome, Holder, HolderKind, LEDGER_DEVICE_MAPS, LedgerRoot, LedgerView, PartsPolicy,
    Quarter, RejectReason, StockApproval, fields_written, ledger_actor, ledger_genesis, ledger_id,
    ledger_keys, read_ledger,
};
use serde::Serialize;
use uuid::Uuid;

use crate::access::User;
use crate::changes;
use crate::documents::{self, Documents, Held};
use crate::error::{Error, Result};
use crate::storage::{
    CaseRow, DeviceAuth, LedgerModel, LockMode, LogRow, MovementRow, NewLedger, RequestRow,
    ShipmentPartRow, Tx, unix_now,
};
use crate::sync::Rejection;

/// A push of a ledger document, in the request's position `index`.
pub(crate) struct LedgerPush {
    pub index: usize,
    pub id: Uuid,
    pub changes: Vec<Change>,
    pub rejected: Option<Rejection>,
}

/// What the ledger pushes of a request did.
pub(crate) struct LedgerWritten {
    pub acks: Vec<(usize, AckOutcome)>,
    pub documents: Vec<(Uuid, Held)>,
}

/// Whether `user` may hold and write `holder`'s ledgers: HQ's people every one, a center's
/// (or dealer's) staff their center's, an engineer their own van's.
pub fn member(user: &User, holder: &Holder) -> bool {
    if user.role.at_hq() {
        return true;
    }
    match holder.kind {
        HolderKind::Center | HolderKind::Dealer => user.center.as_deref() == Some(&holder.id),
        HolderKind::Van => user.name == holder.id,
    }
}

/// A ledger push accepted: its document with the new changes and what to write.
struct Accepted {
    index: usize,
    id: Uuid,
    held: Held,
    new: Vec<Change>,
    before: HashSet<String>,
    view: LedgerView,
    created: bool,
}

/// Tries and stores every ledger push of a request, inside its transaction (the log lock is
/// held already).
pub(crate) async fn apply_pushes(
    tx: &mut dyn Tx,
    device: &DeviceAuth,
    actor: &[u8],
    pushes: Vec<LedgerPush>,
    policy: &PartsPolicy,
    limit_bytes: u64,
    cache: &Documents,
) -> Result<LedgerWritten> {
    let mut out = LedgerWritten {
        acks: Vec::with_capacity(pushes.len()),
        documents: Vec::new(),
    };
    if pushes.is_empty() {
        return Ok(out);
    }
    let ids: Vec<Uuid> = pushes.iter().map(|p| p.id).collect();
    let rows = tx.cases(&ids).await?;
    let mut keys = HashSet::new();
    for push in &pushes {
        for change in &push.changes {
            keys.insert((push.id, change.hash()));
            for dep in change.deps() {
                keys.insert((push.id, *dep));
            }
        }
    }
    let held = tx.held(&keys.into_iter().collect::<Vec<_>>()).await?;
    let mut accepted = Vec::new();
    for push in pushes {
        let outcome = judge(
            tx,
            device,
            actor,
            push.id,
            push.changes,
            push.rejected,
            &rows,
            &held,
            policy,
            limit_bytes,
            cache,
        )
        .await?;
        match outcome {
            Judged::Ack(ack) => out.acks.push((push.index, ack)),
            Judged::Accept(mut a) => {
                a.index = push.index;
                accepted.push(*a);
            }
        }
    }
    let count: u64 = accepted.iter().map(|a| a.new.len() as u64).sum();
    if count == 0 {
        for a in accepted {
            out.acks.push((a.index, AckOutcome::Applied));
        }
        return Ok(out);
    }
    let mut seq = tx.allocate_seqs(count).await?;
    let mut log = Vec::with_capacity(count as usize);
    let mut touched = Vec::new();
    let mut pushed = Vec::new();
    let now = unix_now();
    for mut a in accepted {
        for change in &a.new {
            let bytes = changes::stored_bytes(change);
            a.held.bytes += bytes.len() as u64;
            log.push(LogRow {
                seq,
                case_id: a.id,
                hash: change.hash(),
                actor: change.actor_id().to_bytes().to_vec(),
                actor_seq: change.seq(),
                authored_by: Some(device.device_id),
                bytes,
            });
            seq += 1;
        }
        a.held.seq = seq - 1;
        if a.created {
            insert_ledger(
                tx,
                &a.view,
                &device.user,
                Some(device.device_id),
                a.held.seq,
                now,
            )
            .await?;
        } else {
            touched.push((a.id, a.held.seq));
        }
        out.acks.push((a.index, AckOutcome::Applied));
        pushed.push((a.id, 0));
        tx.append(&log).await?;
        log.clear();
        tx.write_ledger_model(&model_of(&a.view, &a.before)).await?;
        out.documents.push((a.id, a.held));
    }
    tx.set_sync_seqs(&touched).await?;
    tx.mark_held_by_device(device.device_id, &pushed).await?;
    Ok(out)
}

enum Judged {
    Ack(AckOutcome),
    Accept(Box<Accepted>),
}

fn rejected(reason: RejectReason, detail: impl Into<String>) -> Judged {
    let detail = detail.into();
    tracing::debug!(reason = reason.as_str(), detail = %detail, "ledger push rejected");
    Judged::Ack(AckOutcome::Rejected { reason, detail })
}

#[allow(clippy::too_many_arguments)]
async fn judge(
    tx: &mut dyn Tx,
    device: &DeviceAuth,
    actor: &[u8],
    id: Uuid,
    changes: Vec<Change>,
    rejection: Option<Rejection>,
    rows: &HashMap<Uuid, CaseRow>,
    held: &HashSet<(Uuid, ChangeHash)>,
    policy: &PartsPolicy,
    limit_bytes: u64,
    cache: &Documents,
) -> Result<Judged> {
    if let Some(r) = rejection {
        return Ok(rejected(r.reason, r.detail));
    }
    let row = rows.get(&id);
    if let Some(row) = row
        && !device.user.may_access(row)
    {
        return Ok(Judged::Ack(AckOutcome::Forbidden));
    }
    let mut accepted: HashSet<ChangeHash> = HashSet::new();
    let mut new = Vec::new();
    for change in changes {
        let hash = change.hash();
        if held.contains(&(id, hash)) || accepted.contains(&hash) {
            continue;
        }
        if change
            .deps()
            .iter()
            .any(|d| !held.contains(&(id, *d)) && !accepted.contains(d))
        {
            return Ok(Judged::Ack(AckOutcome::NeedFull));
        }
        accepted.insert(hash);
        new.push(change);
    }
    if new.is_empty() {
        // A replay: HQ holds every pushed change already.
        return Ok(Judged::Ack(AckOutcome::Applied));
    }
    let mut held_doc = match row {
        Some(row) => documents::current(tx, cache, id, row.sync_seq).await?,
        None => Held {
            doc: Automerge::new(),
            seq: 0,
            bytes: 0,
        },
    };
    let before: HashSet<String> = match LedgerRoot::read(&held_doc.doc) {
        Ok(root) => LEDGER_DEVICE_MAPS
            .iter()
            .flat_map(|map| {
                ledger_keys(&held_doc.doc, &root, map)
                    .into_iter()
                    .map(move |k| format!("{map}.{k}"))
            })
            .collect(),
        Err(_) => HashSet::new(),
    };
    let added: u64 = new.iter().map(|c| c.raw_bytes().len() as u64).sum();
    if held_doc.bytes + added > limit_bytes {
        return Ok(rejected(
            RejectReason::TooLarge,
            format!(
                "the ledger would take {} bytes, over HQ's limit of {limit_bytes}",
                held_doc.bytes + added
            ),
        ));
    }
    if let Err(e) = held_doc.doc.apply_changes(new.iter().cloned()) {
        return Ok(rejected(
            RejectReason::Malformed,
            format!("the changes do not apply: {e}"),
        ));
    }
    if !held_doc.doc.get_missing_deps(&[]).is_empty() {
        return Ok(Judged::Ack(AckOutcome::NeedFull));
    }
    let root = match LedgerRoot::read(&held_doc.doc) {
        Ok(root) if root.ledger_id == id => root,
        Ok(_) => {
            return Ok(rejected(
                RejectReason::Malformed,
                "the document is another ledger",
            ));
        }
        Err(e) => return Ok(rejected(RejectReason::Unreadable, e)),
    };
    if !member(&device.user, &root.holder) {
        tracing::debug!(device = %device.device_id, ledger = %id, "ledger push refused: not the holder's");
        return Ok(Judged::Ack(AckOutcome::Forbidden));
    }
    let genesis = ledger_genesis(&root.holder, root.quarter).get_heads();
    let first_actor = ledger_actor(id);
    for change in &new {
        if change.actor_id() == &first_actor {
            if !genesis.contains(&change.hash()) {
                return Ok(rejected(
                    RejectReason::NotPermitted,
                    "a change by the ledger's first actor that is not the ledger's first change",
                ));
            }
            continue;
        }
        if change.actor_id().to_bytes() != actor {
            return Ok(rejected(
                RejectReason::NotPermitted,
                "a pushed change is not authored by this device's actor",
            ));
        }
        let fields = match fields_written(&held_doc.doc, change) {
            Ok(fields) => fields,
            Err(e) => return Ok(rejected(RejectReason::NotPermitted, e)),
        };
        for (map, key) in fields {
            let Some(key) = key.filter(|_| LEDGER_DEVICE_MAPS.contains(&map.as_str())) else {
                return Ok(rejected(
                    RejectReason::NotPermitted,
                    format!("{map} of a stock ledger is written only by HQ"),
                ));
            };
            if before.contains(&format!("{map}.{key}")) {
                return Ok(rejected(
                    RejectReason::NotPermitted,
                    format!("{map}.{key} exists already: ledger entries are never changed"),
                ));
            }
        }
    }
    let view = match read_ledger(&held_doc.doc, policy) {
        Ok(view) => view,
        Err(e) => return Ok(rejected(RejectReason::Unreadable, e)),
    };
    if row.is_none()
        && root.holder.kind == HolderKind::Van
        && tx.user_by_name(&root.holder.id).await?.is_none()
    {
        return Ok(rejected(
            RejectReason::NotPermitted,
            format!("the van stock {} names no HQ user", root.holder),
        ));
    }
    Ok(Judged::Accept(Box::new(Accepted {
        index: 0,
        id,
        held: held_doc,
        new,
        before,
        view,
        created: row.is_none(),
    })))
}

/// Records a ledger new to HQ, routed or assigned to its holder so its devices pull it.
async fn insert_ledger(
    tx: &mut dyn Tx,
    view: &LedgerView,
    created_by: &User,
    device: Option<Uuid>,
    seq: u64,
    now: i64,
) -> Result<()> {
    let (routed_center, assigned_engineer) = match view.holder.kind {
        HolderKind::Center | HolderKind::Dealer => (Some(view.holder.id.clone()), None),
        HolderKind::Van => (None, tx.user_by_name(&view.holder.id).await?.map(|u| u.id)),
    };
    tx.insert_ledger(&NewLedger {
        ledger_id: view.ledger_id,
        holder: view.holder.to_string(),
        quarter: view.quarter.to_string(),
        created_by: created_by.id,
        created_device: device,
        routed_center,
        assigned_engineer,
        sync_seq: seq,
        created_at: now,
    })
    .await
}

/// The read-model update of a ledger: the movements not in `before`, its requests and
/// shipment parts whole.
fn model_of(view: &LedgerView, before: &HashSet<String>) -> LedgerModel {
    let holder = view.holder.to_string();
    let new_movements = view
        .movements
        .iter()
        .filter(|m| !before.contains(&format!("movements.{}", m.id)))
        .map(|m| {
            // Late in a closed ledger: counted in the next quarter, as its correction.
            let (booked, correction_of) = if m.late {
                (
                    view.quarter.next().unwrap_or(view.quarter),
                    Some(view.quarter),
                )
            } else {
                (view.quarter, m.movement.correction_of)
            };
            MovementRow {
                ledger_id: view.ledger_id,
                movement_id: m.id.clone(),
                holder: holder.clone(),
                booked_quarter: booked.to_string(),
                correction_of: correction_of.map(|q| q.to_string()),
                kind: m.movement.kind.as_str().to_owned(),
                part_number: m.movement.part_number.clone(),
                quantity: m.movement.quantity,
                delta: m.movement.delta(),
                at: m.movement.at.timestamp(),
                by_user: m.movement.by.clone(),
                case_id: m.movement.case_id.clone(),
                line: m.movement.line.clone(),
            }
        })
        .collect();
    let state = |a: &StockApproval| match a {
        StockApproval::Waiting { step, role } => {
            ("waiting", Some(step.clone()), Some(role.clone()))
        }
        StockApproval::Approved => ("approved", None, None),
        StockApproval::Rejected { .. } => ("rejected", None, None),
    };
    let mut requests: Vec<RequestRow> = view
        .requisitions
        .iter()
        .map(|r| {
            let (state, waiting_step, waiting_role) = state(&r.approval);
            RequestRow {
                ledger_id: view.ledger_id,
                entry_id: r.id.clone(),
                holder: holder.clone(),
                kind: "requisition".into(),
                part_number: r.requisition.part_number.clone(),
                specification: r.requisition.specification.clone(),
                quantity: r.requisition.quantity,
                at: r.requisition.at.timestamp(),
                by_user: r.requisition.by.clone(),
                state: state.into(),
                waiting_step,
                waiting_role,
                dispatched: r.dispatched.clone(),
            }
        })
        .collect();
    requests.extend(view.movements.iter().filter_map(|m| {
        let approval = m.approval.as_ref()?;
        let (state, waiting_step, waiting_role) = state(approval);
        Some(RequestRow {
            ledger_id: view.ledger_id,
            entry_id: m.id.clone(),
            holder: holder.clone(),
            kind: "purchase".into(),
            part_number: m.movement.part_number.clone(),
            specification: m.movement.counterparty.clone().unwrap_or_default(),
            quantity: m.movement.quantity,
            at: m.movement.at.timestamp(),
            by_user: m.movement.by.clone(),
            state: state.into(),
            waiting_step,
            waiting_role,
            dispatched: None,
        })
    }));
    let shipment_parts = view
        .shipments
        .iter()
        .flat_map(|s| {
            s.shipment.parts.iter().map(|p| ShipmentPartRow {
                ledger_id: view.ledger_id,
                shipment_id: s.id.clone(),
                holder: holder.clone(),
                tag: p.tag.clone(),
                part_number: p.part_number.clone(),
                case_id: p.case_id.clone(),
                line: p.line.clone(),
                shipped_at: s.shipment.at.timestamp(),
                received: s.check.as_ref().map(|c| c.received.contains(&p.tag)),
            })
        })
        .collect();
    LedgerModel {
        ledger_id: view.ledger_id,
        closed_at: view.closing.as_ref().map(|c| c.at.timestamp()),
        new_movements,
        requests,
        shipment_parts,
    }
}

/// Who writes HQ's ledger entries: the actor of the change, the HQ user, when.
pub struct HqAuthor<'a> {
    pub actor: &'a ActorId,
    pub user: &'a User,
    pub now: DateTime<FixedOffset>,
}

/// [`write_hq_entries`] of one entry by `user` at `now`, with an actor of its own and the
/// policies HQ publishes: what each of HQ's ledger commands does.
pub async fn write_hq_entry(
    tx: &mut dyn Tx,
    user: &User,
    now: DateTime<FixedOffset>,
    holder: &Holder,
    quarter: Quarter,
    entry: HqLedgerEntry,
) -> Result<LedgerView> {
    let policies = crate::read_model::current_policies(tx).await?;
    let actor = ActorId::random();
    let author = HqAuthor {
        actor: &actor,
        user,
        now,
    };
    write_hq_entries(tx, &author, holder, quarter, vec![entry], &policies.parts).await
}

/// One entry HQ puts into a ledger.
pub struct HqLedgerEntry {
    pub map: &'static str,
    pub key: String,
    pub json: serde_json::Value,
}

impl HqLedgerEntry {
    pub fn new(
        map: &'static str,
        key: impl Into<String>,
        record: &impl Serialize,
    ) -> Result<HqLedgerEntry> {
        Ok(HqLedgerEntry {
            map,
            key: key.into(),
            json: serde_json::to_value(record).map_err(|e| Error::internal(e.to_string()))?,
        })
    }
}

/// Writes HQ's entries into `holder`'s ledger of `quarter` as one change of `hq_actor`,
/// making the ledger (its first change logged too) when HQ has none yet; inside the caller's
/// transaction, under the exclusive log lock. Returns the ledger as it now reads.
pub async fn write_hq_entries(
    tx: &mut dyn Tx,
    author: &HqAuthor<'_>,
    holder: &Holder,
    quarter: Quarter,
    entries: Vec<HqLedgerEntry>,
    policy: &PartsPolicy,
) -> Result<LedgerView> {
    let (hq_actor, by, now) = (author.actor, author.user, &author.now);
    let id = ledger_id(holder, quarter);
    tx.lock_cases(&[id]).await?;
    tx.lock_log(LockMode::Exclusive).await?;
    let rows = tx.cases(&[id]).await?;
    let mut log_changes: Vec<Change> = Vec::new();
    let (mut doc, created, before) = match rows.get(&id) {
        Some(row) => {
            let held = documents::load(tx, &[(id, row.sync_seq)])
                .await?
                .remove(&id)
                .ok_or_else(|| Error::internal(format!("ledger {id}: no document")))?;
            let root = LedgerRoot::read(&held.doc).map_err(Error::internal)?;
            let before: HashSet<String> = LEDGER_DEVICE_MAPS
                .iter()
                .flat_map(|map| {
                    ledger_keys(&held.doc, &root, map)
                        .into_iter()
                        .map(move |k| format!("{map}.{k}"))
                })
                .collect();
            (held.doc, false, before)
        }
        None => {
            let doc = ledger_genesis(holder, quarter);
            log_changes.extend(doc.get_changes(&[]));
            (doc, true, HashSet::new())
        }
    };
    let root = LedgerRoot::read(&doc).map_err(Error::internal)?;
    doc.set_actor(hq_actor.clone());
    let action = entries.first().map(|e| e.map).unwrap_or("hq");
    doc.transact_with::<_, _, automerge::AutomergeError, _>(
        |_| fieldcore::commit_options(action, now.timestamp()),
        |t| {
            use automerge::transaction::Transactable;
            for e in &entries {
                let obj = root
                    .map(e.map)
                    .ok_or(automerge::AutomergeError::InvalidOp(
                        automerge::ObjType::Map,
                    ))?
                    .clone();
                t.put(&obj, e.key.as_str(), e.json.to_string())?;
            }
            Ok(())
        },
    )
    .map_err(|f| Error::internal(format!("writing HQ's ledger entry: {}", f.error)))?;
    let change = doc
        .get_last_local_change()
        .ok_or_else(|| Error::internal("HQ's ledger change is missing"))?;
    log_changes.push(change);
    let view = read_ledger(&doc, policy).map_err(Error::internal)?;
    tx.reserve_hq_actor(hq_actor.to_bytes()).await?;
    let mut seq = tx.allocate_seqs(log_changes.len() as u64).await?;
    let mut log = Vec::with_capacity(log_changes.len());
    for change in &log_changes {
        log.push(LogRow {
            seq,
            case_id: id,
            hash: change.hash(),
            actor: change.actor_id().to_bytes().to_vec(),
            actor_seq: change.seq(),
            authored_by: None,
            bytes: changes::stored_bytes(change),
        });
        seq += 1;
    }
    let last = seq - 1;
    if created {
        insert_ledger(tx, &view, by, None, last, unix_now()).await?;
    }
    tx.append(&log).await?;
    if !created {
        tx.set_sync_seqs(&[(id, last)]).await?;
    }
    tx.write_ledger_model(&model_of(&view, &before)).await?;
    Ok(view)
}
