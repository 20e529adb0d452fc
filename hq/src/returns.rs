//! Returns and exchanges at HQ (退换货, DOMAIN "Returns and exchanges"): the approval chain of a
//! return request (reviewed by the customer-service manager, approved by the vice president,
//! as the policy names them) and of a replenishment notice, decided here by an HQ user who
//! holds the waiting step's role; the RMA number `R` + `YYMM-NNNN` issued on a request's final
//! approval, from a per-month counter taken in the transaction that writes it, so a month's
//! numbers have no gap and no duplicate. Each decision and number goes into the case's
//! HQ-owned maps (`approvals` under `<request id>:<step>`, `rma` under the request id) by an
//! HQ actor, so every device holding the case pulls them, as trip decisions do (ADR 0014).

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use fieldcore::{ApprovalRecord, CaseView, ChainStep, Locale, Localized, ReturnView, RmaRecord};
use uuid::Uuid;

use crate::access::Role;
use crate::admin::{case_named, lock_case_named};
use crate::error::{Error, Result};
use crate::escalation::{HqEntry, write_from_admin};
use crate::numbering;
use crate::read_model;
pub use crate::storage::ReturnSummary;
use crate::storage::{CaseRow, Storage, Tx};

/// What an HQ user decides about the step of a case's return or replenishment that waits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnDecision {
    Approve { note: Option<String> },
    Reject { reason: String },
}

/// What a decision wrote: the step's record and, on a return request's final approval, the
/// RMA number issued. `case_number` is the case's official number.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnDecided {
    pub record: fieldcore::ApprovalRecord,
    pub rma_number: Option<String>,
    pub case_number: Option<String>,
}

/// Which returns `fieldhq rma list` shows; every filter set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnFilter {
    /// Only returns waiting for a decision of this role (`cs_manager`, `vp`, ...).
    pub waiting_for: Option<String>,
    /// Only returns in this state (`awaiting_approval`, ..., `done`).
    pub state: Option<String>,
    pub rma_number: Option<String>,
    /// The case's number or id.
    pub case: Option<String>,
    pub model: Option<String>,
    /// Only returns whose re-inspection is past due at this time (Unix seconds).
    pub reinspection_overdue_at: Option<i64>,
}

/// The step waiting for HQ: what it belongs to and where it stands in its chain.
struct Waiting {
    /// The request's entry id (a return request or a replenishment notice).
    request: String,
    kind: &'static str,
    step: ChainStep,
    /// Whether the step is its chain's last: its approval is the final one.
    last: bool,
}

/// Decides the oldest waiting approval step of case `case` (id or number): a return request's
/// chain step, else a replenishment notice's step. `by` must hold the step's role; a
/// rejection needs a reason and ends the request. The final approval of a return request
/// issues its RMA number, in the month of `now` in `time_zone`.
pub async fn decide(
    storage: &Storage,
    case: &str,
    by: &str,
    decision: ReturnDecision,
    now: DateTime<FixedOffset>,
    time_zone: Tz,
) -> Result<ReturnDecided> {
    let (approved, reason) = match decision {
        ReturnDecision::Approve { note } => (
            true,
            note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        ),
        ReturnDecision::Reject { reason } if !reason.trim().is_empty() => {
            (false, Some(reason.trim().to_owned()))
        }
        ReturnDecision::Reject { .. } => {
            return Err(Error::refused(
                "a rejection needs a reason the requester sees",
                "驳回须填写原因（申请人可见）",
            ));
        }
    };
    let case = case.to_owned();
    let by = by.trim().to_owned();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let user = tx.user_by_name(&by).await?.ok_or_else(|| {
                    Error::refused(
                        format!("no HQ user named {by:?}"),
                        format!("没有名为 {by:?} 的总部用户"),
                    )
                })?;
                let policies = read_model::current_policies(tx).await?;
                lock_case_named(tx, &case).await?;
                let (row, view) = case_view(tx, &case, &policies).await?;
                let waiting = waiting_step(&view).ok_or_else(|| {
                    Error::refused(
                        format!("case {case} has no return or replenishment waiting for HQ"),
                        format!("案件 {case} 没有等待总部审批的退换货或补货申请"),
                    )
                })?;
                let needed = waiting.step.role.as_str();
                if user.role.as_str() != needed {
                    return Err(wrong_role(&by, user.role, &waiting));
                }
                let record = ApprovalRecord {
                    request: waiting.request.clone(),
                    kind: waiting.kind.into(),
                    approved,
                    by: by.clone(),
                    at: now,
                    reason,
                    step: Some(waiting.step.step.clone()),
                    role: Some(user.role.as_str().to_owned()),
                };
                let mut entries = vec![HqEntry::approval(row.case_id, &record)?];
                let mut rma_number = None;
                if approved && waiting.last && waiting.kind == "return" {
                    // The number's month is the approval's, in the company's time zone; the
                    // counter is taken here, so a failed write takes no number.
                    let month = numbering::month_of(&now.with_timezone(&time_zone));
                    let running = tx.allocate_rma_number(&month).await?;
                    let number = fieldcore::format_rma_number(&month, running);
                    let rma = RmaRecord {
                        request: waiting.request.clone(),
                        number: number.clone(),
                        issued_at: now,
                        by: by.clone(),
                    };
                    entries.push(HqEntry::rma(row.case_id, &rma)?);
                    rma_number = Some(number);
                }
                write_from_admin(tx, &now, entries, time_zone).await?;
                tracing::info!(
                    case = %row.case_id,
                    request = %record.request,
                    step = %waiting.step.step,
                    approved,
                    rma = rma_number.as_deref().unwrap_or(""),
                    "return step decided"
                );
                Ok(ReturnDecided {
                    record,
                    rma_number,
                    case_number: row.number,
                })
            })
        })
        .await
}

fn wrong_role(by: &str, holds: Role, waiting: &Waiting) -> Error {
    let needed = &waiting.step.role;
    let step = &waiting.step.step;
    let needed_zh = Role::parse(needed)
        .map(|r| r.text(Locale::ZhCn))
        .unwrap_or_else(|| needed.clone());
    let (what_en, what_zh) = match waiting.kind {
        "return" => ("return request", "退换货申请"),
        _ => ("replenishment notice", "补货通知"),
    };
    Error::refused(
        format!(
            "approval by the wrong role refused at HQ: {by} is {holds}; step {step} of the \
             {what_en} {} is decided by {needed}",
            waiting.request
        ),
        format!(
            "总部拒绝了错误角色的审批：{by} 是{}；{what_zh} {} 的“{step}”步骤须由{needed_zh}审批",
            holds.text(Locale::ZhCn),
            waiting.request
        ),
    )
}

/// The oldest step waiting for HQ in the case: a return request's (oldest request first),
/// else a replenishment notice's.
fn waiting_step(view: &CaseView) -> Option<Waiting> {
    let of = |request: &str, kind: &'static str, steps: &[fieldcore::StepView]| {
        let index = steps.iter().position(|s| s.decision.is_none())?;
        Some(Waiting {
            request: request.to_owned(),
            kind,
            step: steps[index].step.clone(),
            last: index + 1 == steps.len(),
        })
    };
    view.returns
        .iter()
        .filter(|r| r.waiting_for().is_some())
        .find_map(|r| of(&r.id, "return", &r.steps))
        .or_else(|| {
            view.returns.iter().find_map(|r| {
                r.replenishment_waiting()
                    .and_then(|n| of(&n.id, "replenishment", &n.steps))
            })
        })
}

async fn case_view(
    tx: &mut dyn Tx,
    case: &str,
    policies: &fieldcore::Policies,
) -> Result<(CaseRow, CaseView)> {
    let row = case_named(tx, case).await?;
    let view = read_model::load_views(tx, &[row.case_id], policies)
        .await?
        .remove(&row.case_id)
        .ok_or_else(|| Error::NotFound(format!("case {case} has no changes")))?
        .map_err(|reason| Error::internal(format!("case {case} cannot be read: {reason}")))?;
    Ok((row, view))
}

/// The returns `filter` selects, from the read model, oldest request first.
pub async fn list(storage: &Storage, filter: ReturnFilter) -> Result<Vec<ReturnSummary>> {
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let case = match filter.case.as_deref() {
                    Some(c) => Some(case_named(tx, c).await?.case_id),
                    None => None,
                };
                let rows = tx.case_returns(filter.rma_number.as_deref()).await?;
                Ok(rows
                    .into_iter()
                    .filter(|r| {
                        filter
                            .waiting_for
                            .as_deref()
                            .is_none_or(|w| r.waiting_role.as_deref() == Some(&w.replace('-', "_")))
                            && filter.state.as_deref().is_none_or(|s| r.state == s)
                            && case.is_none_or(|c| r.case_id == c)
                            && filter
                                .model
                                .as_deref()
                                .is_none_or(|m| r.model.eq_ignore_ascii_case(m.trim()))
                            && filter
                                .reinspection_overdue_at
                                .is_none_or(|now| r.reinspection_overdue(now))
                    })
                    .collect())
            })
        })
        .await
}

/// One return in full, for `fieldhq rma show` and `print`: the case and the return.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnDetail {
    pub case_id: Uuid,
    pub case_number: Option<String>,
    pub view: CaseView,
    pub ret: ReturnView,
}

/// The return an RMA number names, or the latest return of a case (number or id).
pub async fn detail(storage: &Storage, reference: &str) -> Result<ReturnDetail> {
    let reference = reference.trim().to_owned();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let policies = read_model::current_policies(tx).await?;
                let by_rma = tx.case_returns(Some(&reference.to_uppercase())).await?;
                let (case, request) = match by_rma.first() {
                    Some(r) => (r.case_id.to_string(), Some(r.request.clone())),
                    None => (reference.clone(), None),
                };
                let (row, view) = case_view(tx, &case, &policies).await.map_err(|e| match e {
                    Error::NotFound(_) => Error::refused(
                        format!("no RMA number or case {reference}"),
                        format!("没有退货编号或案件 {reference}"),
                    ),
                    other => other,
                })?;
                let ret = match &request {
                    Some(id) => view.returns.iter().find(|r| &r.id == id),
                    None => view.returns.last(),
                }
                .cloned()
                .ok_or_else(|| {
                    Error::refused(
                        format!("case {reference} has no return or exchange"),
                        format!("案件 {reference} 没有退换货申请"),
                    )
                })?;
                Ok(ReturnDetail {
                    case_id: row.case_id,
                    case_number: row.number,
                    view,
                    ret,
                })
            })
        })
        .await
}
