//! HQ's read model: one `case_index` row per case, built from the case's view, so lists and
//! reports (overdue, by month, model, defect cause, center, status) need no documents.
//!
//! A row is derived from the case's view, HQ's row of the case (number, assignment, routing,
//! `sync_seq`), the current policies' deadlines and the company's time zone — nothing else —
//! by the pure [`row_of`]. It is rewritten in the transaction that changes the case (a sync
//! that appends changes or creates it, an assignment, a routing), so it is never behind what
//! was committed; [`reindex`] rebuilds every row from the documents (after new reference data,
//! or to repair). Overdue depends on the clock, so the row keeps the next open due time and
//! the query compares it with "now".

use std::collections::HashMap;

use automerge::Automerge;
use chrono::Utc;
use chrono_tz::Tz;
use fieldcore::{CaseView, DeadlinePolicy, Milestone, Policies, Status};
use uuid::Uuid;

use crate::changes;
use crate::error::{Error, Result};
use crate::numbering;
use crate::storage::{
    CaseIndexRow, CaseReportRow, CaseRow, CaseWaitingRow, LockMode, ReturnSummary, Storage, Tx,
};

/// Cases per transaction when reindexing: a batch's documents are in memory at once, and a
/// batch holds the log lock (syncs wait) while it runs.
pub const REINDEX_BATCH: u32 = 200;

/// The read-model row of a case. `engineer` is the assigned engineer's name, else the
/// creator's; the deadlines are recomputed under `deadlines` (HQ's current policies), so the
/// row does not depend on the policies the view was built with.
pub fn row_of(
    case: &CaseRow,
    engineer: &str,
    view: &CaseView,
    deadlines: &DeadlinePolicy,
    time_zone: Tz,
) -> CaseIndexRow {
    let r = &view.registration;
    let status_text = view.status().as_str().to_owned();
    // A status HQ does not know (only in a log written around its checks) has no deadline
    // logic: nothing is met, nothing is next.
    let status = view.status().known();
    let inputs = view.deadline_inputs();
    let met = |m: Milestone| inputs.is_some_and(|i| i.is_met(m));
    // A deadline that does not apply or waits for a later event (the report before the
    // investigation, the remedy of a case with QA) is stored as never due, the core's own
    // reading of a deadline beyond reach.
    let due = |m: Milestone| {
        inputs
            .and_then(|i| fieldcore::deadline_due_at(deadlines, m, &i))
            .unwrap_or_else(fieldcore::far_future_deadline)
            .timestamp()
    };
    let next = inputs.and_then(|i| fieldcore::next_deadline(deadlines, &i));
    let defect = view.defect.as_ref().map(|d| &d.current.value);
    let warranty = view.warranty.as_ref().map(|w| &w.current.value.decision);
    let charge = view.charge.as_ref().map(|c| &c.current.value);
    CaseIndexRow {
        case_id: case.case_id,
        number: case
            .number
            .clone()
            .or_else(|| view.number.clone())
            .unwrap_or_default(),
        status: status_text,
        customer_name: r.customer_name.clone(),
        region: r.region.clone(),
        market: fieldcore::snake_name(&r.market),
        product_model: r.product_model.clone(),
        product_category: r.product_category.clone(),
        serial_number: r.serial_number.clone(),
        received_at: r.received_at.timestamp(),
        received_month: numbering::month_of(&r.received_at.with_timezone(&time_zone)),
        closed_at: (status == Some(Status::Closed))
            .then(|| view.status.current.stamp.at.timestamp()),
        defect_cause: defect.map(|d| d.cause.as_str().to_owned()),
        quality_fault: defect.map(|d| d.quality_fault),
        warranty_covered: warranty.map(|w| w.covered),
        warranty_rule: warranty.map(|w| w.rule.as_str().to_owned()),
        charge_minor: charge.map(|c| c.amount_minor),
        charge_currency: charge.map(|c| c.currency.clone()),
        parts_count: view.parts.iter().filter(|p| !p.reversed).count() as i64,
        reply_due_at: due(Milestone::Reply),
        reply_met: met(Milestone::Reply),
        remedy_due_at: due(Milestone::Remedy),
        remedy_met: met(Milestone::Remedy),
        report_due_at: due(Milestone::Report),
        report_met: met(Milestone::Report),
        close_due_at: due(Milestone::Close),
        close_met: met(Milestone::Close),
        working_days_due_at: due(Milestone::WorkingDays),
        working_days_met: met(Milestone::WorkingDays),
        missed_deadlines: view.missed_deadlines.len() as i64,
        next_due_at: next.map(|d| d.due_at.timestamp()),
        next_due_milestone: next.map(|d| d.milestone.as_str().to_owned()),
        engineer: engineer.to_owned(),
        center: case.routed_center.clone(),
        has_conflict: view.has_conflict(),
        updated_at: view.updated_at.timestamp(),
        last_seq: case.sync_seq,
    }
}

/// The monthly report's row of a case (`case_report`), from its view and its `case_index`
/// row (whose `last_seq` it shares).
pub fn report_row_of(row: &CaseIndexRow, view: &CaseView) -> CaseReportRow {
    let r = &view.registration;
    CaseReportRow {
        case_id: row.case_id,
        channel: fieldcore::snake_name(&r.channel),
        customer_request: fieldcore::snake_name(&r.customer_request),
        fault: crate::report_sections::fault_key(&r.fault_description),
        production_batch: r.production_batch.clone(),
        major_incident: view.defect.as_ref().map(|d| d.current.value.major_incident),
        outcome: view
            .resolution
            .as_ref()
            .map(|o| fieldcore::snake_name(&o.current.value.outcome)),
        compensation_minor: view
            .compensation
            .as_ref()
            .map(|c| c.current.value.amount_minor),
        compensation_currency: view
            .compensation
            .as_ref()
            .map(|c| c.current.value.currency.clone()),
        last_seq: row.last_seq,
    }
}

/// The read-model rows of the returns of a case (`case_returns`), from its view.
pub fn returns_of(case_id: Uuid, case_number: &str, view: &CaseView) -> Vec<ReturnSummary> {
    view.returns
        .iter()
        .map(|r| {
            // The request's own chain first; once through, a replenishment notice waiting.
            let waiting = r.waiting_for().map(|step| ("return", step)).or_else(|| {
                r.replenishment_waiting().and_then(|n| {
                    n.steps
                        .iter()
                        .find(|s| s.decision.is_none())
                        .map(|s| ("replenishment", &s.step))
                })
            });
            ReturnSummary {
                case_id,
                request: r.id.clone(),
                case_number: case_number.to_owned(),
                kind: r.kind.as_str().to_owned(),
                state: r.state.as_str().to_owned(),
                waiting_kind: waiting.map(|(k, _)| k.to_owned()),
                waiting_step: waiting.map(|(_, s)| s.step.clone()),
                waiting_role: waiting.map(|(_, s)| s.role.clone()),
                rma_number: r.rma.as_ref().map(|x| x.number.clone()),
                model: r.model().to_owned(),
                units: i64::from(r.units()),
                units_received: i64::from(r.units_received()),
                units_inspected: i64::from(r.units_inspected()),
                requested_at: r.requested.at.timestamp(),
                reinspection_due_at: r.reinspection_due.map(|d| d.timestamp()),
            }
        })
        .collect()
}

/// What waits for an HQ decision on a case besides its returns (`case_waiting`): its trip
/// request not decided yet, decided by `trip_approver` (the policies' role), and each old part
/// reported lost and not decided, by [`crate::old_parts::LOSS_APPROVER`]. The same requests
/// `trips::decide` and `old_parts::decide` accept.
pub fn waiting_of(
    case_id: Uuid,
    case_number: &str,
    view: &CaseView,
    trip_approver: &str,
) -> Vec<CaseWaitingRow> {
    let mut out = Vec::new();
    // `trips::decide` decides the latest request without a decision.
    if let Some((request, _)) = view
        .trip_requests()
        .into_iter()
        .rev()
        .find(|(_, decided)| decided.is_none())
    {
        let (reason, planned_for) = match &request.body {
            fieldcore::VisitBody::TripRequested {
                reason,
                planned_for,
            } => (reason.clone(), planned_for.map(|p| p.timestamp())),
            _ => (String::new(), None),
        };
        out.push(CaseWaitingRow {
            case_id,
            entry: request.id.clone(),
            kind: "trip".into(),
            case_number: case_number.to_owned(),
            waiting_role: trip_approver.to_owned(),
            subject: reason,
            reason: None,
            planned_for,
            requested_by: request.stamp.by.clone(),
            requested_at: request.stamp.at.timestamp(),
        });
    }
    for line in view.parts.iter().filter(|l| !l.reversed) {
        if let fieldcore::OldPartCustody::LostAwaitingApproval { entry, reason } = &line.custody {
            // The loss entry's id is a UUIDv7: its time is when the device recorded the loss.
            let at = Uuid::parse_str(entry)
                .ok()
                .and_then(|id| id.get_timestamp())
                .map(|t| t.to_unix().0 as i64)
                .unwrap_or_else(|| line.stamp.at.timestamp());
            out.push(CaseWaitingRow {
                case_id,
                entry: entry.clone(),
                kind: "loss".into(),
                case_number: case_number.to_owned(),
                waiting_role: crate::old_parts::LOSS_APPROVER.as_str().to_owned(),
                subject: format!("{} {}", line.part.part_number, line.part.specification)
                    .trim()
                    .to_owned(),
                reason: Some(reason.clone()),
                planned_for: None,
                requested_by: line.stamp.by.clone(),
                requested_at: at,
            });
        }
    }
    out
}

/// Writes the rows of cases whose views the caller already has (a sync holds them), with the
/// current policies' deadlines (the caller has them too: no second read of reference data).
pub async fn upsert_views(
    tx: &mut dyn Tx,
    cases: &[(Uuid, &CaseView)],
    policies: &Policies,
    time_zone: Tz,
) -> Result<()> {
    if cases.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = cases.iter().map(|(id, _)| *id).collect();
    let rows = tx.cases(&ids).await?;
    let user_ids: Vec<i64> = rows
        .values()
        .map(|c| c.assigned_engineer.unwrap_or(c.created_by))
        .collect();
    let users = tx.users_by_id(&user_ids).await?;
    let mut index = Vec::with_capacity(cases.len());
    for (id, view) in cases {
        let case = rows
            .get(id)
            .ok_or_else(|| Error::internal(format!("read model: no case row for {id}")))?;
        let engineer = users
            .get(&case.assigned_engineer.unwrap_or(case.created_by))
            .map(|u| u.name.as_str())
            .unwrap_or_default();
        index.push(row_of(case, engineer, view, &policies.deadlines, time_zone));
    }
    tx.upsert_case_index(&index).await?;
    // The monthly report's facts of each case go with its row, from the same view.
    let report: Vec<CaseReportRow> = index
        .iter()
        .zip(cases)
        .map(|(row, (_, view))| report_row_of(row, view))
        .collect();
    tx.upsert_case_report(&report).await?;
    // The returns of each case go with its row, from the same view.
    let returns: Vec<ReturnSummary> = index
        .iter()
        .zip(cases)
        .flat_map(|(row, (id, view))| returns_of(*id, &row.number, view))
        .collect();
    tx.replace_case_returns(&ids, &returns).await?;
    // So do its trip requests and old-part losses waiting for HQ: the approvals inbox.
    let waiting: Vec<CaseWaitingRow> = index
        .iter()
        .zip(cases)
        .flat_map(|(row, (id, view))| {
            waiting_of(*id, &row.number, view, &policies.trips.approver_role)
        })
        .collect();
    tx.replace_case_waiting(&ids, &waiting).await?;
    // So do its part lines and their old parts, which the quarterly write-off reconciles.
    let mut warranty = Vec::with_capacity(cases.len());
    let mut lines = Vec::new();
    for (row, (id, view)) in index.iter().zip(cases) {
        let (case, case_lines) = crate::writeoff_input::part_lines_of(*id, &row.number, view)?;
        warranty.push(case);
        lines.extend(case_lines);
    }
    tx.replace_case_part_lines(&warranty, &lines).await?;
    // Which blobs each case names goes with its row: who may read a photo follows the case.
    crate::blob_access::record_named(tx, cases).await
}

/// Rebuilds the rows of `ids` from their documents (the whole history of each) and returns
/// how many were written. A case the core cannot read is logged and keeps its previous row:
/// HQ stored its changes, and the read model must not refuse what sync accepted.
pub async fn refresh_cases(tx: &mut dyn Tx, ids: &[Uuid], time_zone: Tz) -> Result<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    // One row per case: an upsert naming a case twice is refused by PostgreSQL.
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let ids = ids.as_slice();
    let policies = current_policies(tx).await?;
    let views = load_views(tx, ids, &policies).await?;
    let readable: Vec<(Uuid, &CaseView)> = ids
        .iter()
        .filter_map(|id| match views.get(id) {
            Some(Ok(view)) => Some((*id, view)),
            Some(Err(reason)) => {
                tracing::warn!(case = %id, %reason, "read model: the case cannot be read");
                None
            }
            None => None,
        })
        .collect();
    upsert_views(tx, &readable, &policies, time_zone).await?;
    Ok(readable.len())
}

/// The view of each case HQ holds among `ids`, built from its whole history, or why the
/// core cannot read it.
pub async fn load_views(
    tx: &mut dyn Tx,
    ids: &[Uuid],
    policies: &Policies,
) -> Result<HashMap<Uuid, std::result::Result<CaseView, String>>> {
    let histories = tx.histories(ids).await?;
    Ok(histories
        .into_iter()
        .filter(|(_, chunks)| !chunks.is_empty())
        .map(|(id, chunks)| {
            // What HQ holds, read as a device reads it (HQ's checks ran when it was stored).
            let view = document_of(&chunks).and_then(|doc| {
                fieldcore::build_view(&doc, id, policies).map_err(|e| e.to_string())
            });
            (id, view)
        })
        .collect())
}

/// A case's document from its stored changes, loaded strictly.
fn document_of(chunks: &[Vec<u8>]) -> std::result::Result<Automerge, String> {
    changes::load_document(&chunks.concat()).map_err(|e| e.to_string())
}

/// The policies devices currently receive, or the defaults before any were published.
pub async fn current_policies(tx: &mut dyn Tx) -> Result<Policies> {
    match tx.reference().await? {
        Some(reference) => serde_json::from_str(&reference.policies_json)
            .map_err(|e| Error::internal(format!("the stored policies do not parse: {e}"))),
        None => Ok(Policies::default()),
    }
}

/// What a reindex did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reindexed {
    /// Rows written.
    pub cases: usize,
    /// Cases the core could not read; their rows were left as they were.
    pub unreadable: usize,
}

/// Rebuilds every case's row from its document, [`REINDEX_BATCH`] cases per transaction. Each
/// batch holds the log lock, so no sync changes its cases between reading and writing them.
pub async fn reindex(storage: &Storage, time_zone: Tz) -> Result<Reindexed> {
    let mut done = Reindexed::default();
    let mut after: Option<Uuid> = None;
    loop {
        let (ids, written) = storage
            .transaction(move |tx| {
                Box::pin(async move {
                    tx.lock_log(LockMode::Shared).await?;
                    let ids = tx.case_ids(after, REINDEX_BATCH).await?;
                    let written = refresh_cases(tx, &ids, time_zone).await?;
                    Ok((ids, written))
                })
            })
            .await?;
        done.cases += written;
        done.unreadable += ids.len() - written;
        match ids.last() {
            Some(last) if ids.len() == REINDEX_BATCH as usize => after = Some(*last),
            _ => break,
        }
    }
    tracing::info!(
        cases = done.cases,
        unreadable = done.unreadable,
        "read model rebuilt"
    );
    Ok(done)
}

/// "Now" as the read model compares due times: Unix seconds.
pub fn now_seconds() -> i64 {
    Utc::now().timestamp()
}
