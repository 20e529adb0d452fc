//! Escalations (ADR 0014): HQ raises one for a major quality incident (重大质量事故) at once, for
//! a batch fault (批量故障) when the policy's number of quality-fault cases of one product model
//! (and batch, where recorded) arrive within its window, and for a case overdue by longer than
//! the policy's delay, to the first responder's supervisor role. Each is kept in HQ's tables,
//! listed and acknowledged at HQ, and written into every case it concerns as an HQ-owned
//! `escalations` entry, by HQ's own actor, so the devices holding those cases show it. The same
//! passes record in each case the deadlines it missed that nobody recorded yet (ADR 0012).
//!
//! Everything here runs inside a transaction holding the exclusive log lock (a sync with
//! pushes, or an admin command), so two HQ nodes on one database raise one after the other;
//! the unique `dedup_key` of each escalation makes raising idempotent besides.

use std::collections::{BTreeMap, HashMap};

use automerge::{ActorId, Automerge};
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use fieldcore::{
    Acknowledgement, ApprovalRecord, CaseView, EscalationKind, EscalationPolicy, EscalationRecord,
    Policies,
};
use uuid::Uuid;

use crate::changes;
use crate::documents::{self, Held};
use crate::error::{Error, Result};
use crate::read_model;
use crate::storage::{EscalationRow, LockMode, LogRow, NewEscalation, Storage, Tx};

const DAY_SECONDS: i64 = 24 * 60 * 60;

/// Who a missed deadline HQ noticed was noticed by, in its record's stamp.
pub const HQ_NOTICER: &str = "HQ";

/// Missed-deadline records go into the case's decisions, under `missed.<round>.<milestone>`.
const MISSED_MAP: &str = "decisions";

/// The pseudo-map of an entry that adds the return containers to a case lacking them.
const RETURN_CONTAINERS_ENTRY: &str = "returns";

/// One record HQ writes into one case: the map (`escalations`, `approvals`, `rma`, the
/// decisions' missed deadlines, or the return containers of an older case), the key in it and
/// the record's JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct HqEntry {
    pub case_id: Uuid,
    pub map: &'static str,
    pub key: String,
    pub json: String,
}

impl HqEntry {
    fn escalation(case_id: Uuid, record: &EscalationRecord) -> Result<HqEntry> {
        Ok(HqEntry {
            case_id,
            map: fieldcore::ESCALATIONS,
            key: record.id.clone(),
            json: to_json(record)?,
        })
    }

    /// The missed-deadline records HQ notices in a case at `now` and the case does not hold
    /// yet, stamped as noticed by HQ (`by` and `device` both [`HQ_NOTICER`]).
    pub(crate) fn missed(
        case_id: Uuid,
        view: &CaseView,
        policies: &Policies,
        now: &DateTime<FixedOffset>,
    ) -> Result<Vec<HqEntry>> {
        let ctx = fieldcore::Context {
            by: HQ_NOTICER,
            device: HQ_NOTICER,
            at: *now,
            policies,
            parts_catalog: None,
        };
        let records = fieldcore::missed_records(view, &ctx)
            .map_err(|e| Error::internal(format!("case {case_id}: missed deadlines: {e}")))?;
        Ok(records
            .into_iter()
            .map(|(key, json)| HqEntry {
                case_id,
                map: MISSED_MAP,
                key,
                json,
            })
            .collect())
    }

    /// An RMA number, under `rma.<request id>`.
    pub(crate) fn rma(case_id: Uuid, record: &fieldcore::RmaRecord) -> Result<HqEntry> {
        Ok(HqEntry {
            case_id,
            map: fieldcore::RMA,
            key: record.request.clone(),
            json: to_json(record)?,
        })
    }

    /// The containers of returns for a case registered before them (no key, no JSON).
    pub(crate) fn return_containers(case_id: Uuid) -> HqEntry {
        HqEntry {
            case_id,
            map: RETURN_CONTAINERS_ENTRY,
            key: String::new(),
            json: String::new(),
        }
    }

    pub(crate) fn approval(case_id: Uuid, record: &ApprovalRecord) -> Result<HqEntry> {
        Ok(HqEntry {
            case_id,
            map: fieldcore::APPROVALS,
            key: record.key(),
            json: to_json(record)?,
        })
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::internal(format!("an HQ record: {e}")))
}

/// The escalations the cases of `views` (as a sync just stored them) raise or join, as the
/// entries to write into their documents. Cases in a batch escalation that this sync did not
/// touch get their entry too.
pub async fn raise_for_views(
    tx: &mut dyn Tx,
    views: &[(Uuid, &CaseView)],
    policies: &Policies,
    now: &DateTime<FixedOffset>,
) -> Result<Vec<HqEntry>> {
    let policy = &policies.escalation;
    let mut entries = Vec::new();
    for (case_id, view) in views {
        let Some(defect) = view.defect.as_ref().map(|d| &d.current.value) else {
            continue;
        };
        if defect.major_incident {
            let new = NewEscalation {
                escalation_id: Uuid::now_v7(),
                dedup_key: format!("major_incident:{case_id}"),
                kind: EscalationKind::MajorIncident.as_str().into(),
                product_model: Some(view.registration.product_model.clone()),
                production_batch: view.registration.production_batch.clone(),
                window: None,
                milestone: None,
                due_at: None,
                to_role: policy.incident_role.clone(),
                raised_at: now.timestamp(),
            };
            entries.extend(raise(tx, &new, &[*case_id], false).await?);
        }
        if defect.quality_fault {
            entries.extend(count_batch(tx, *case_id, view, policy, now).await?);
        }
    }
    for (case_id, view) in views {
        entries.extend(HqEntry::missed(*case_id, view, policies, now)?);
        if let Some(due) = &view.next_due {
            entries.extend(
                overdue(
                    tx,
                    *case_id,
                    due.milestone.as_str(),
                    due.due_at.timestamp(),
                    policy,
                    now,
                )
                .await?,
            );
        }
    }
    Ok(entries)
}

/// Counts a quality-fault case towards its model's (and batch's) batch faults, once, and
/// raises a batch escalation when the threshold is reached within a window holding it.
async fn count_batch(
    tx: &mut dyn Tx,
    case_id: Uuid,
    view: &CaseView,
    policy: &EscalationPolicy,
    now: &DateTime<FixedOffset>,
) -> Result<Vec<HqEntry>> {
    let r = &view.registration;
    let model = r.product_model.trim();
    let batch = r.production_batch.as_deref().map(str::trim).unwrap_or("");
    let at = r.received_at.timestamp();
    if !tx.record_batch_arrival(case_id, model, batch, at).await? {
        return Ok(Vec::new());
    }
    if let Some(id) = tx.batch_escalation_at(model, batch, at).await? {
        // A later case of a batch already escalated joins it: the same escalation, not another.
        tx.link_escalation(id, &[case_id], true).await?;
        let row = escalation(tx, id).await?;
        return Ok(vec![HqEntry::escalation(case_id, &record_of(&row))?]);
    }
    // A threshold of zero turns batch faults off.
    let threshold = policy.batch_threshold as usize;
    if threshold == 0 {
        return Ok(Vec::new());
    }
    let width = i64::from(policy.batch_window_days) * DAY_SECONDS;
    // Every window of the policy's width that holds this case starts in (at - width, at]; one
    // starting at a counted case is the earliest with that count, so those are enough to try.
    let arrivals = tx
        .unescalated_arrivals(model, batch, at - width + 1, at + width)
        .await?;
    for (i, (_, start)) in arrivals.iter().enumerate() {
        if *start > at {
            break;
        }
        let inside: Vec<Uuid> = arrivals[i..]
            .iter()
            .take_while(|(_, t)| *t < start + width)
            .map(|(id, _)| *id)
            .collect();
        if inside.len() < threshold {
            continue;
        }
        let new = NewEscalation {
            escalation_id: Uuid::now_v7(),
            dedup_key: format!("batch_fault:{model}:{batch}:{start}"),
            kind: EscalationKind::BatchFault.as_str().into(),
            product_model: Some(model.to_owned()),
            production_batch: (!batch.is_empty()).then(|| batch.to_owned()),
            window: Some((*start, start + width)),
            milestone: None,
            due_at: None,
            to_role: policy.batch_role.clone(),
            raised_at: now.timestamp(),
        };
        return raise(tx, &new, &inside, true).await;
    }
    Ok(Vec::new())
}

/// Raises the overdue escalation of a case whose `milestone`, due at `due_at`, is missed by
/// more than the policy's delay at `now`; once per missed deadline.
async fn overdue(
    tx: &mut dyn Tx,
    case_id: Uuid,
    milestone: &str,
    due_at: i64,
    policy: &EscalationPolicy,
    now: &DateTime<FixedOffset>,
) -> Result<Vec<HqEntry>> {
    let delay = i64::from(policy.overdue_delay_hours) * 60 * 60;
    if now.timestamp() <= due_at.saturating_add(delay) {
        return Ok(Vec::new());
    }
    let new = NewEscalation {
        escalation_id: Uuid::now_v7(),
        dedup_key: format!("overdue:{case_id}:{milestone}:{due_at}"),
        kind: EscalationKind::Overdue.as_str().into(),
        product_model: None,
        production_batch: None,
        window: None,
        milestone: Some(milestone.to_owned()),
        due_at: Some(due_at),
        to_role: policy.supervisor_role.clone(),
        raised_at: now.timestamp(),
    };
    raise(tx, &new, &[case_id], false).await
}

/// Stores `new` unless its `dedup_key` was raised before, links its cases and returns their
/// entries; nothing when it existed.
async fn raise(
    tx: &mut dyn Tx,
    new: &NewEscalation,
    cases: &[Uuid],
    counts_batch: bool,
) -> Result<Vec<HqEntry>> {
    if !tx.insert_escalation(new).await? {
        return Ok(Vec::new());
    }
    tx.link_escalation(new.escalation_id, cases, counts_batch)
        .await?;
    let record = record_of(&escalation(tx, new.escalation_id).await?);
    tracing::info!(escalation = %record.id, kind = record.kind.as_str(), cases = cases.len(), "escalation raised");
    cases
        .iter()
        .map(|case_id| HqEntry::escalation(*case_id, &record))
        .collect()
}

async fn escalation(tx: &mut dyn Tx, id: Uuid) -> Result<EscalationRow> {
    tx.escalations(Some(id))
        .await?
        .pop()
        .ok_or_else(|| Error::NotFound(format!("no escalation {id}")))
}

/// The record the case documents hold, from HQ's row: every case of one escalation holds the
/// same record.
pub fn record_of(row: &EscalationRow) -> EscalationRecord {
    let time = |s: i64| {
        DateTime::from_timestamp(s, 0)
            .unwrap_or_default()
            .fixed_offset()
    };
    EscalationRecord {
        id: row.escalation_id.to_string(),
        kind: EscalationKind::parse(&row.kind).unwrap_or(EscalationKind::Overdue),
        raised_at: time(row.raised_at),
        to_role: row.to_role.clone(),
        product_model: row.product_model.clone(),
        production_batch: row.production_batch.clone(),
        cases: u32::try_from(row.cases.len()).unwrap_or(u32::MAX),
        milestone: row.milestone.clone(),
        due_at: row.due_at.map(time),
        acknowledged: match (&row.acked_by, row.acked_at) {
            (Some(by), Some(at)) => Some(Acknowledgement {
                by: by.clone(),
                at: time(at),
                note: row.ack_note.clone(),
            }),
            _ => None,
        },
    }
}

/// Writes `entries` into their cases' documents, one change per case by `hq_actor`, appends
/// the changes to the log and raises each case's `sync_seq`, so the devices holding the case
/// pull the entry. Documents in `held` (this transaction's, current) are used and updated;
/// others are rebuilt from the log.
pub async fn write_entries(
    tx: &mut dyn Tx,
    hq_actor: &ActorId,
    now: &DateTime<FixedOffset>,
    entries: Vec<HqEntry>,
    held: &mut [(Uuid, Held)],
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut by_case: BTreeMap<Uuid, Vec<HqEntry>> = BTreeMap::new();
    for entry in entries {
        by_case.entry(entry.case_id).or_default().push(entry);
    }
    let missing: Vec<Uuid> = by_case
        .keys()
        .filter(|id| !held.iter().any(|(h, _)| h == *id))
        .copied()
        .collect();
    let rows = tx.cases(&missing).await?;
    let wanted: Vec<(Uuid, u64)> = rows.values().map(|r| (r.case_id, r.sync_seq)).collect();
    let mut loaded: HashMap<Uuid, Held> = documents::load(tx, &wanted).await?;
    tx.reserve_hq_actor(hq_actor.to_bytes()).await?;
    let mut seq = tx.allocate_seqs(by_case.len() as u64).await?;
    let mut log = Vec::with_capacity(by_case.len());
    let mut seqs = Vec::with_capacity(by_case.len());
    for (case_id, entries) in by_case {
        let doc = match held.iter_mut().find(|(h, _)| *h == case_id) {
            Some((_, h)) => h,
            None => loaded
                .get_mut(&case_id)
                .ok_or_else(|| Error::NotFound(format!("no case {case_id}")))?,
        };
        let change = hq_change(&mut doc.doc, hq_actor, now, &entries)?;
        let bytes = changes::stored_bytes(&change);
        doc.bytes += bytes.len() as u64;
        doc.seq = seq;
        log.push(LogRow {
            seq,
            case_id,
            hash: change.hash(),
            actor: hq_actor.to_bytes().to_vec(),
            actor_seq: change.seq(),
            authored_by: None,
            bytes,
        });
        seqs.push((case_id, seq));
        seq += 1;
    }
    tx.append(&log).await?;
    tx.set_sync_seqs(&seqs).await?;
    Ok(())
}

/// One change of HQ's actor putting `entries` into the document.
fn hq_change(
    doc: &mut Automerge,
    hq_actor: &ActorId,
    now: &DateTime<FixedOffset>,
    entries: &[HqEntry],
) -> Result<automerge::Change> {
    doc.set_actor(hq_actor.clone());
    doc.transact_with(
        |_| fieldcore::commit_options(entries[0].map, now.timestamp()),
        |tx| {
            for e in entries {
                if e.map == MISSED_MAP {
                    fieldcore::put_decision_key_json(tx, &e.key, e.json.clone())?;
                } else if e.map == RETURN_CONTAINERS_ENTRY {
                    fieldcore::add_return_containers(tx)?;
                } else {
                    fieldcore::put_hq_entry(tx, e.map, &e.key, e.json.clone())?;
                }
            }
            Ok::<(), fieldcore::Error>(())
        },
    )
    .map_err(|f| Error::internal(format!("writing HQ's entry: {}", f.error)))?;
    doc.get_last_local_change()
        .ok_or_else(|| Error::internal("HQ's change is missing"))
}

/// Writes entries from an admin command (not a sync): under the exclusive log lock, with a
/// fresh HQ actor of this process, then refreshes the read-model rows of the cases.
pub(crate) async fn write_from_admin(
    tx: &mut dyn Tx,
    now: &DateTime<FixedOffset>,
    entries: Vec<HqEntry>,
    time_zone: Tz,
) -> Result<()> {
    let ids: Vec<Uuid> = entries.iter().map(|e| e.case_id).collect();
    // A command runs in its own process: an actor of its own, never a server's.
    let actor = ActorId::random();
    write_entries(tx, &actor, now, entries, &mut []).await?;
    read_model::refresh_cases(tx, &ids, time_zone).await?;
    Ok(())
}

/// What `fieldhq escalation list` shows.
pub async fn list(storage: &Storage) -> Result<Vec<EscalationRow>> {
    storage
        .transaction(|tx| Box::pin(async move { tx.escalations(None).await }))
        .await
}

/// Acknowledges an escalation (`fieldhq escalation ack`) by an HQ user, and rewrites its entry
/// in every case it concerns so the devices show who acknowledged it.
pub async fn acknowledge(
    storage: &Storage,
    id: Uuid,
    by: &str,
    note: Option<&str>,
    now: DateTime<FixedOffset>,
    time_zone: Tz,
) -> Result<EscalationRow> {
    let by = by.trim().to_owned();
    let note = note
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let user = tx
                    .user_by_name(&by)
                    .await?
                    .ok_or_else(|| Error::NotFound(format!("no user named {by:?}")))?;
                if user.role != crate::Role::HqStaff {
                    return Err(Error::refused(
                        format!(
                            "{by} is a {}; escalations are acknowledged by HQ staff",
                            user.role
                        ),
                        format!(
                            "{by} 是{}；升级事项须由总部客服人员确认",
                            fieldcore::Localized::text(&user.role, fieldcore::Locale::ZhCn)
                        ),
                    ));
                }
                let cases = escalation(tx, id).await?.cases;
                tx.lock_cases(&cases).await?;
                tx.lock_log(LockMode::Exclusive).await?;
                if !tx
                    .acknowledge_escalation(id, &by, note.as_deref(), now.timestamp())
                    .await?
                {
                    return Err(Error::refused(
                        format!("escalation {id} was acknowledged already"),
                        format!("升级事项 {id} 已确认过"),
                    ));
                }
                let row = escalation(tx, id).await?;
                let record = record_of(&row);
                let entries = row
                    .cases
                    .iter()
                    .map(|case_id| HqEntry::escalation(*case_id, &record))
                    .collect::<Result<Vec<_>>>()?;
                write_from_admin(tx, &now, entries, time_zone).await?;
                Ok(row)
            })
        })
        .await
}

/// Raises every overdue escalation due at `now` (`fieldhq escalation scan`, for a cron): the
/// read model's cases whose next deadline passed more than the policy's delay ago. Returns the
/// escalations raised.
pub async fn scan(
    storage: &Storage,
    now: DateTime<FixedOffset>,
    time_zone: Tz,
) -> Result<Vec<EscalationRow>> {
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                // The cases past a deadline now (those overdue by the policy's delay among
                // them) are locked before the log; one that passes its deadline in between
                // is left to the next scan.
                let due: Vec<Uuid> = overdue_cases(tx, now.timestamp()).await?;
                tx.lock_cases(&due).await?;
                tx.lock_log(LockMode::Exclusive).await?;
                let policies = read_model::current_policies(tx).await?;
                let policy = &policies.escalation;
                let delay = i64::from(policy.overdue_delay_hours) * 60 * 60;
                // Every case past a deadline gets the record of the miss, noticed now.
                let mut entries = missed_at(tx, &policies, &now).await?;
                let rows = tx
                    .query_case_index(&crate::storage::CaseIndexQuery {
                        overdue_at: Some(now.timestamp().saturating_sub(delay)),
                        ..Default::default()
                    })
                    .await?;
                for row in rows {
                    if let (Some(milestone), Some(due_at)) =
                        (row.next_due_milestone.as_deref(), row.next_due_at)
                    {
                        entries.extend(
                            overdue(tx, row.case_id, milestone, due_at, policy, &now).await?,
                        );
                    }
                }
                entries.retain(|e| due.contains(&e.case_id));
                let mut raised: Vec<String> = entries
                    .iter()
                    .filter(|e| e.map == fieldcore::ESCALATIONS)
                    .map(|e| e.key.clone())
                    .collect();
                raised.dedup();
                write_from_admin(tx, &now, entries, time_zone).await?;
                let all = tx.escalations(None).await?;
                Ok(all
                    .into_iter()
                    .filter(|r| raised.contains(&r.escalation_id.to_string()))
                    .collect())
            })
        })
        .await
}

/// The cases whose next deadline passed by `at` (the read model says which).
async fn overdue_cases(tx: &mut dyn Tx, at: i64) -> Result<Vec<Uuid>> {
    let rows = tx
        .query_case_index(&crate::storage::CaseIndexQuery {
            overdue_at: Some(at),
            ..Default::default()
        })
        .await?;
    Ok(rows.into_iter().map(|r| r.case_id).collect())
}

/// The missed-deadline records of every case whose next deadline passed by `now` (the read
/// model says which), read from the cases' documents: what a device would record with its
/// next command, written by HQ as soon as its scan notices, so reports count the miss even
/// when nobody touches the case.
async fn missed_at(
    tx: &mut dyn Tx,
    policies: &Policies,
    now: &DateTime<FixedOffset>,
) -> Result<Vec<HqEntry>> {
    let ids = overdue_cases(tx, now.timestamp()).await?;
    let wanted: Vec<(Uuid, u64)> = tx
        .cases(&ids)
        .await?
        .values()
        .map(|c| (c.case_id, c.sync_seq))
        .collect();
    let docs = documents::load(tx, &wanted).await?;
    let mut entries = Vec::new();
    for (case_id, held) in &docs {
        // A case HQ cannot read is left to the read model's own report of it; the others go on.
        match fieldcore::read_case(&held.doc, *case_id, policies) {
            Ok(view) => entries.extend(HqEntry::missed(*case_id, &view, policies, now)?),
            Err(e) => {
                tracing::warn!(case = %case_id, error = %e, "case skipped by the deadline scan")
            }
        }
    }
    Ok(entries)
}
