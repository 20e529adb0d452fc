//! HQ's decision on an old part reported lost on a covered case (旧件丢失, ADR 0022): the
//! customer-service manager approves or rejects the loss, written into the case's HQ-owned
//! `approvals` map under `<lost entry id>:loss` by an HQ actor, so every device holding the
//! case pulls it, as trip and return decisions are (ADR 0014, 0019).

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use fieldcore::{ApprovalRecord, Locale, Localized, OldPartCustody};

use crate::access::Role;
use crate::admin::lock_case_named;
use crate::error::{Error, Result};
use crate::escalation::{HqEntry, write_from_admin};
use crate::read_model;
use crate::storage::Storage;

/// The role that decides a loss: the head of customer service keeps the parts ledger.
pub const LOSS_APPROVER: Role = Role::CsManager;

/// What the manager decides about a reported loss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LossDecision {
    Approve { note: Option<String> },
    Reject { reason: String },
}

/// What a decision wrote, with the part line it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct LossDecided {
    pub record: ApprovalRecord,
    pub line_id: String,
    pub part_number: String,
    pub case_number: Option<String>,
}

/// Decides the loss reported in `parts` entry `entry` (its id, or a unique end of it) of case
/// `case` (number or id). `by` must be a cs_manager; a rejection needs a reason. Refused when
/// the entry is not a loss waiting for a decision (already decided, or superseded by a later
/// custody entry of its line).
pub async fn decide(
    storage: &Storage,
    case: &str,
    entry: &str,
    by: &str,
    decision: LossDecision,
    now: DateTime<FixedOffset>,
    time_zone: Tz,
) -> Result<LossDecided> {
    let (approved, reason) = match decision {
        LossDecision::Approve { note } => (
            true,
            note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        ),
        LossDecision::Reject { reason } if !reason.trim().is_empty() => {
            (false, Some(reason.trim().to_owned()))
        }
        LossDecision::Reject { .. } => {
            return Err(Error::refused(
                "a rejection needs a reason the engineer sees",
                "驳回须填写原因（登记人可见）",
            ));
        }
    };
    let (case, entry, by) = (
        case.to_owned(),
        entry.trim().to_owned(),
        by.trim().to_owned(),
    );
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let user = tx.user_by_name(&by).await?.ok_or_else(|| {
                    Error::refused(
                        format!("no HQ user named {by:?}"),
                        format!("没有名为 {by:?} 的总部用户"),
                    )
                })?;
                if user.role != LOSS_APPROVER {
                    return Err(Error::refused(
                        format!(
                            "approval by the wrong role refused at HQ: {by} is {}; old-part \
                             losses are decided by {}",
                            user.role,
                            LOSS_APPROVER.as_str()
                        ),
                        format!(
                            "总部拒绝了错误角色的审批：{by} 是{}；旧件丢失须由{}审批",
                            user.role.text(Locale::ZhCn),
                            LOSS_APPROVER.text(Locale::ZhCn)
                        ),
                    ));
                }
                let policies = read_model::current_policies(tx).await?;
                let row = lock_case_named(tx, &case).await?;
                let view = read_model::load_views(tx, &[row.case_id], &policies)
                    .await?
                    .remove(&row.case_id)
                    .ok_or_else(|| Error::NotFound(format!("case {case} has no changes")))?
                    .map_err(|reason| {
                        Error::internal(format!("case {case} cannot be read: {reason}"))
                    })?;
                let waiting: Vec<(&fieldcore::PartLine, &str)> = view
                    .parts
                    .iter()
                    .filter(|l| !l.reversed)
                    .filter_map(|l| match &l.custody {
                        OldPartCustody::LostAwaitingApproval { entry: id, .. }
                            if id == &entry || (entry.len() >= 4 && id.ends_with(&entry)) =>
                        {
                            Some((l, id.as_str()))
                        }
                        _ => None,
                    })
                    .collect();
                let [(line, lost)] = waiting.as_slice() else {
                    return Err(Error::refused(
                        format!("case {case} has no old-part loss {entry} waiting for HQ"),
                        format!("案件 {case} 没有等待总部审批的旧件丢失 {entry}"),
                    ));
                };
                let record = ApprovalRecord {
                    request: (*lost).to_owned(),
                    kind: fieldcore::LOSS_APPROVAL.into(),
                    approved,
                    by: by.clone(),
                    at: now,
                    reason,
                    step: Some(fieldcore::LOSS_APPROVAL.into()),
                    role: Some(user.role.as_str().to_owned()),
                };
                let decided = LossDecided {
                    line_id: line.id.clone(),
                    part_number: line.part.part_number.clone(),
                    record: record.clone(),
                    case_number: row.number.clone(),
                };
                let hq_entry = HqEntry::approval(row.case_id, &record)?;
                write_from_admin(tx, &now, vec![hq_entry], time_zone).await?;
                tracing::info!(
                    case = %row.case_id,
                    entry = %record.request,
                    approved,
                    "old-part loss decided"
                );
                Ok(decided)
            })
        })
        .await
}
