//! HQ's side of warranty parts (三包配件): the approvals inbox of requisitions and emergency
//! purchases, decided by the role each waiting step names; stock issued against an approved
//! requisition; old-part shipments checked on arrival; a holder's balance from the read model.
//! Each writes HQ's entry into the holder's ledger ([`crate::ledgers::write_hq_entries`]) in
//! one transaction, so the devices pull it with their next sync.

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use fieldcore::{
    ApprovalRecord, BalanceInput, Holder, Locale, Localized, Movement, MovementKind, PartBalance,
    Quarter, ShipmentCheck, balances, booking,
};
use serde::Serialize;
use uuid::Uuid;

use crate::Role;
use crate::access::User;
use crate::error::{Error, Result};
use crate::ledgers::{HqLedgerEntry, write_hq_entry};
use crate::storage::{LedgerInfo, RequestRow, Storage, Tx};

/// A decision on a waiting requisition or purchase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartsDecision {
    Approve { note: Option<String> },
    Reject { reason: String },
}

/// What a decision did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartsDecided {
    pub entry: String,
    pub kind: String,
    pub holder: String,
    pub step: String,
    pub approved: bool,
    /// `waiting` (for a later step), `approved` or `rejected`.
    pub state: String,
}

/// Requisitions and purchases, only those waiting with `waiting_only`.
pub async fn requests(storage: &Storage, waiting_only: bool) -> Result<Vec<RequestRow>> {
    storage
        .read(move |tx| Box::pin(async move { tx.ledger_requests(waiting_only).await }))
        .await
}

/// Every ledger HQ holds, of one holder or all.
pub async fn ledgers(storage: &Storage, holder: Option<String>) -> Result<Vec<LedgerInfo>> {
    storage
        .read(move |tx| Box::pin(async move { tx.ledger_infos(holder.as_deref()).await }))
        .await
}

/// A holder's balance per part from HQ's read model: every quarter's movements, or those
/// booked up to and including `through`.
pub async fn balance(
    storage: &Storage,
    holder: &str,
    through: Option<Quarter>,
) -> Result<Vec<PartBalance>> {
    let holder = parse_holder(holder)?.to_string();
    let rows = storage
        .read(move |tx| Box::pin(async move { tx.ledger_movements(&holder, None).await }))
        .await?;
    let counted = rows.iter().filter(|m| {
        through.is_none_or(|q| {
            m.booked_quarter
                .parse::<Quarter>()
                .is_ok_and(|booked| booked <= q)
        })
    });
    Ok(balances(counted.map(|m| BalanceInput {
        id: &m.movement_id,
        part_number: &m.part_number,
        delta: m.delta,
        at_ms: m.at.saturating_mul(1000),
    })))
}

pub fn parse_holder(holder: &str) -> Result<Holder> {
    holder.parse().map_err(|e: fieldcore::NotHolder| {
        Error::refused(
            e.to_string(),
            format!("“{holder}”不是库存持有方（例如 center:C01、dealer:D07、van:wang）"),
        )
    })
}

pub fn parse_quarter(quarter: &str) -> Result<Quarter> {
    quarter.parse().map_err(|_: fieldcore::Error| {
        Error::refused(
            format!("`{quarter}` is not a quarter like 2026Q4"),
            format!("“{quarter}”不是季度（例如 2026Q4）"),
        )
    })
}

async fn hq_user(tx: &mut dyn Tx, name: &str) -> Result<User> {
    tx.user_by_name(name).await?.ok_or_else(|| {
        Error::refused(
            format!("no HQ user named {name:?}"),
            format!("没有名为 {name:?} 的总部用户"),
        )
    })
}

async fn ledger_of(tx: &mut dyn Tx, id: Uuid) -> Result<(Holder, Quarter)> {
    let info = tx
        .ledger_infos(None)
        .await?
        .into_iter()
        .find(|l| l.ledger_id == id)
        .ok_or_else(|| Error::internal(format!("ledger {id} has no read-model row")))?;
    Ok((parse_holder(&info.holder)?, parse_quarter(&info.quarter)?))
}

fn kind_text(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "requisition" => ("requisition", "三包配件领用单"),
        _ => ("emergency purchase", "紧急采购"),
    }
}

/// Decides the waiting step of a requisition or purchase (`entry`, its entry id) as `by`,
/// who must hold the role the step names; a rejection needs the reason the requester sees.
pub async fn decide(
    storage: &Storage,
    entry: &str,
    by: &str,
    decision: PartsDecision,
    now: DateTime<FixedOffset>,
) -> Result<PartsDecided> {
    let (approved, reason) = match decision {
        PartsDecision::Approve { note } => (true, note.filter(|n| !n.trim().is_empty())),
        PartsDecision::Reject { reason } if !reason.trim().is_empty() => (false, Some(reason)),
        PartsDecision::Reject { .. } => {
            return Err(Error::refused(
                "a rejection needs a reason the requester sees",
                "驳回须填写原因（申请人可见）",
            ));
        }
    };
    let entry = entry.trim().to_owned();
    let by = by.trim().to_owned();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let user = hq_user(tx, &by).await?;
                let request = tx
                    .ledger_requests(false)
                    .await?
                    .into_iter()
                    .find(|r| r.entry_id == entry)
                    .ok_or_else(|| {
                        Error::refused(
                            format!("no requisition or purchase {entry}"),
                            format!("没有编号为 {entry} 的领用单或紧急采购"),
                        )
                    })?;
                let (what_en, what_zh) = kind_text(&request.kind);
                let (Some(step), Some(role)) = (request.waiting_step.clone(), request.waiting_role.clone())
                else {
                    return Err(Error::refused(
                        format!("the {what_en} {entry} is {} already", request.state),
                        format!(
                            "{what_zh} {entry} 已{}",
                            if request.state == "approved" { "批准" } else { "驳回" }
                        ),
                    ));
                };
                if user.role.as_str() != role {
                    let needed = Role::parse(&role)
                        .map(|r| r.text(Locale::ZhCn))
                        .unwrap_or_else(|| role.clone());
                    return Err(Error::refused(
                        format!(
                            "approval by the wrong role refused at HQ: {by} is {}; step {step} of the {what_en} {entry} is decided by {role}",
                            user.role
                        ),
                        format!(
                            "总部拒绝了错误角色的审批：{by} 是{}；{what_zh} {entry} 的“{step}”步骤须由{needed}审批",
                            user.role.text(Locale::ZhCn)
                        ),
                    ));
                }
                let record = ApprovalRecord {
                    request: entry.clone(),
                    kind: request.kind.clone(),
                    approved,
                    by: by.clone(),
                    at: now,
                    reason,
                    step: Some(step.clone()),
                    role: Some(role),
                };
                let (holder, quarter) = ledger_of(tx, request.ledger_id).await?;
                let view = write_hq_entry(
                    tx,
                    &user,
                    now,
                    &holder,
                    quarter,
                    HqLedgerEntry::new("approvals", format!("{entry}:{step}"), &record)?,
                )
                .await?;
                let state = view
                    .requisitions
                    .iter()
                    .find(|r| r.id == entry)
                    .map(|r| &r.approval)
                    .or_else(|| view.movement(&entry).and_then(|m| m.approval.as_ref()));
                Ok(PartsDecided {
                    entry,
                    kind: request.kind,
                    holder: holder.to_string(),
                    step,
                    approved,
                    state: match state {
                        Some(fieldcore::StockApproval::Approved) => "approved",
                        Some(fieldcore::StockApproval::Rejected { .. }) => "rejected",
                        _ => "waiting",
                    }
                    .into(),
                })
            })
        })
        .await
}

/// What issuing stock did: the receipt recorded in the holder's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dispatched {
    pub requisition: String,
    pub receipt: String,
    pub holder: String,
    pub quarter: String,
    pub part_number: String,
    pub quantity: i64,
}

/// Issues the stock of an approved requisition: a `receipt` movement in the holder's ledger of
/// the quarter `now` falls in (the next open one if that is written off), referring to it.
/// Refused before approval, after a rejection, and a second time.
pub async fn dispatch(
    storage: &Storage,
    requisition: &str,
    by: &str,
    now: DateTime<FixedOffset>,
    time_zone: Tz,
) -> Result<Dispatched> {
    let requisition = requisition.trim().to_owned();
    let by = by.trim().to_owned();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let user = hq_user(tx, &by).await?;
                if !matches!(user.role, Role::Warehouse | Role::HqStaff | Role::CsManager) {
                    return Err(Error::refused(
                        format!("{by} is {}: stock is issued by the warehouse, HQ staff or the CS manager", user.role),
                        format!("{by} 是{}：配件由仓库、总部人员或客服经理发放", user.role.text(Locale::ZhCn)),
                    ));
                }
                let request = tx
                    .ledger_requests(false)
                    .await?
                    .into_iter()
                    .find(|r| r.entry_id == requisition && r.kind == "requisition")
                    .ok_or_else(|| {
                        Error::refused(
                            format!("no requisition {requisition}"),
                            format!("没有编号为 {requisition} 的领用单"),
                        )
                    })?;
                if request.state != "approved" {
                    return Err(Error::refused(
                        format!("the requisition {requisition} is {}: stock is issued only once it is approved", request.state),
                        format!("领用单 {requisition} 尚未批准（{}）：批准后才能发放配件", request.state),
                    ));
                }
                if let Some(receipt) = &request.dispatched {
                    return Err(Error::refused(
                        format!("the requisition {requisition} was issued already (receipt {receipt})"),
                        format!("领用单 {requisition} 的配件已发放（入库记录 {receipt}）"),
                    ));
                }
                let holder = parse_holder(&request.holder)?;
                let infos = tx.ledger_infos(Some(&request.holder)).await?;
                let today = Quarter::of(now.with_timezone(&time_zone).date_naive());
                let (quarter, _) = booking(today, |q| {
                    infos.iter().any(|i| i.quarter == q.to_string() && i.closed_at.is_some())
                });
                let receipt = Uuid::now_v7().to_string();
                let movement = Movement {
                    kind: MovementKind::Receipt,
                    part_number: request.part_number.clone(),
                    quantity: request.quantity,
                    at: now,
                    by: by.clone(),
                    device: "hq".into(),
                    case_id: None,
                    line: None,
                    counterparty: Some("hq".into()),
                    reference: Some(requisition.clone()),
                    reason: None,
                    unit_cost: None,
                    correction_of: None,
                };
                write_hq_entry(
                    tx,
                    &user,
                    now,
                    &holder,
                    quarter,
                    HqLedgerEntry::new("movements", receipt.clone(), &movement)?,
                )
                .await?;
                Ok(Dispatched {
                    requisition,
                    receipt,
                    holder: holder.to_string(),
                    quarter: quarter.to_string(),
                    part_number: request.part_number,
                    quantity: request.quantity,
                })
            })
        })
        .await
}

/// What checking a shipment found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    pub shipment: String,
    pub holder: String,
    pub received: Vec<String>,
    pub missing: Vec<String>,
}

/// Records HQ's check of an old-part shipment on arrival: the tags found (`found`), every
/// other listed tag missing. A tag the shipment does not list is refused; a shipment is
/// checked once.
pub async fn check_shipment(
    storage: &Storage,
    shipment: &str,
    by: &str,
    found: Vec<String>,
    note: Option<String>,
    now: DateTime<FixedOffset>,
) -> Result<Checked> {
    let shipment = shipment.trim().to_owned();
    let by = by.trim().to_owned();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                let user = hq_user(tx, &by).await?;
                if !matches!(user.role, Role::Warehouse | Role::Quality | Role::HqStaff) {
                    return Err(Error::refused(
                        format!("{by} is {}: shipments are checked by the warehouse, quality or HQ staff", user.role),
                        format!("{by} 是{}：旧件由仓库、质量部或总部人员验收", user.role.text(Locale::ZhCn)),
                    ));
                }
                let parts: Vec<_> = tx
                    .ledger_shipment_parts(None)
                    .await?
                    .into_iter()
                    .filter(|p| p.shipment_id == shipment)
                    .collect();
                let Some(first) = parts.first() else {
                    return Err(Error::refused(
                        format!("no old-part shipment {shipment}"),
                        format!("没有编号为 {shipment} 的旧件发运单"),
                    ));
                };
                if parts.iter().any(|p| p.received.is_some()) {
                    return Err(Error::refused(
                        format!("the shipment {shipment} was checked already"),
                        format!("旧件发运单 {shipment} 已验收"),
                    ));
                }
                if let Some(stranger) = found.iter().find(|t| !parts.iter().any(|p| &&p.tag == t)) {
                    return Err(Error::refused(
                        format!("the shipment {shipment} lists no old part tagged {stranger}"),
                        format!("旧件发运单 {shipment} 中没有标签为 {stranger} 的旧件"),
                    ));
                }
                let ledger = first.ledger_id;
                let received: Vec<String> = parts.iter().filter(|p| found.contains(&p.tag)).map(|p| p.tag.clone()).collect();
                let missing: Vec<String> = parts.iter().filter(|p| !found.contains(&p.tag)).map(|p| p.tag.clone()).collect();
                let check = ShipmentCheck {
                    shipment: shipment.clone(),
                    received: received.clone(),
                    missing: missing.clone(),
                    note,
                    at: now,
                    by: by.clone(),
                };
                let (holder, quarter) = ledger_of(tx, ledger).await?;
                write_hq_entry(
                    tx,
                    &user,
                    now,
                    &holder,
                    quarter,
                    HqLedgerEntry::new("checks", shipment.clone(), &check)?,
                )
                .await?;
                Ok(Checked {
                    shipment,
                    holder: holder.to_string(),
                    received,
                    missing,
                })
            })
        })
        .await
}
