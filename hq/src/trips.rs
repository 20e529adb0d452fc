//! Trip approvals (出差申请): an engineer requests a site trip on the device; an HQ user of the
//! policy's approver role approves or rejects it here, and HQ writes the decision into the
//! case's HQ-owned `approvals` map with an actor of its own, so the device, once synced, lets
//! the engineer arrive on site (ADR 0014).

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use fieldcore::{ApprovalRecord, Locale, Localized};

use crate::admin::lock_case_named;
use crate::error::{Error, Result};
use crate::escalation::{HqEntry, write_from_admin};
use crate::read_model;
use crate::storage::Storage;

/// What an approver decides about a case's waiting trip request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TripDecision {
    Approve { note: Option<String> },
    Reject { reason: String },
}

/// Decides the case's (by id or number) trip request that waits for HQ, by `by`, who must
/// hold the policy's approver role. Returns the record written into the case.
pub async fn decide(
    storage: &Storage,
    case: &str,
    by: &str,
    decision: TripDecision,
    now: DateTime<FixedOffset>,
    time_zone: Tz,
) -> Result<ApprovalRecord> {
    let (approved, reason) = match decision {
        TripDecision::Approve { note } => (true, note.filter(|n| !n.trim().is_empty())),
        TripDecision::Reject { reason } if !reason.trim().is_empty() => (false, Some(reason)),
        TripDecision::Reject { .. } => {
            return Err(Error::Invalid("a rejection needs a reason".into()));
        }
    };
    let case = case.to_owned();
    let by = by.trim().to_owned();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let user = tx
                    .user_by_name(&by)
                    .await?
                    .ok_or_else(|| Error::NotFound(format!("no user named {by:?}")))?;
                let policies = read_model::current_policies(tx).await?;
                let approver = &policies.trips.approver_role;
                if user.role.as_str() != approver.as_str() {
                    let approver_zh = fieldcore::Role::parse(approver)
                        .map(|r| r.text(Locale::ZhCn))
                        .unwrap_or_else(|| approver.clone());
                    return Err(Error::refused(
                        format!(
                            "{by} is a {}; trip requests are decided by {approver}",
                            user.role
                        ),
                        format!(
                            "{by} 是{}；出差申请须由{approver_zh}审批",
                            user.role.text(Locale::ZhCn)
                        ),
                    ));
                }
                let row = lock_case_named(tx, &case).await?;
                let view = read_model::load_views(tx, &[row.case_id], &policies)
                    .await?
                    .remove(&row.case_id)
                    .ok_or_else(|| Error::NotFound(format!("case {case} has no changes")))?
                    .map_err(|reason| {
                        Error::internal(format!("case {case} cannot be read: {reason}"))
                    })?;
                let waiting = view
                    .trip_requests()
                    .into_iter()
                    .rev()
                    .find(|(_, decided)| decided.is_none())
                    .map(|(request, _)| request.id.clone())
                    .ok_or_else(|| {
                        Error::refused(
                            format!("case {case} has no trip request waiting"),
                            format!("案件 {case} 没有待审批的出差申请"),
                        )
                    })?;
                let record = ApprovalRecord {
                    request: waiting,
                    kind: "trip".into(),
                    approved,
                    by: by.clone(),
                    at: now,
                    reason,
                    step: None,
                    role: Some(user.role.as_str().to_owned()),
                };
                let entry = HqEntry::approval(row.case_id, &record)?;
                write_from_admin(tx, &now, vec![entry], time_zone).await?;
                tracing::info!(case = %row.case_id, approved, "trip request decided");
                Ok(record)
            })
        })
        .await
}
