//! What a holder's device records in its stock ledger, checked before anything is written:
//! each command becomes one immutable entry.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Invalid, Result};
use crate::model::{CaseId, Timestamp};
use crate::rules::validate::{SHORT_TEXT, optional_text, required, text};
use crate::stock::document::{MOVEMENTS, REQUISITIONS, SHIPMENTS};
use crate::stock::holder::Holder;
use crate::stock::records::{Movement, MovementKind, Requisition, Shipment, ShippedPart};

/// A stock command. `at` is when it happened (the device's clock when absent); it decides the
/// quarter the movement is booked in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum StockCommand {
    /// Parts fitted on a case, taken from this holder's stock.
    Issue {
        part_number: String,
        quantity: i64,
        case_id: CaseId,
        /// The case's part line (`used` entry id), when known.
        line: Option<String>,
        at: Option<Timestamp>,
    },
    TransferOut {
        part_number: String,
        quantity: i64,
        to: Holder,
        at: Option<Timestamp>,
    },
    TransferIn {
        part_number: String,
        quantity: i64,
        from: Holder,
        /// The sender's `transfer_out` entry id, when the paper slip names it.
        transfer: Option<String>,
        at: Option<Timestamp>,
    },
    /// A defective new part sent back.
    ReturnDefective {
        part_number: String,
        quantity: i64,
        reason: String,
        at: Option<Timestamp>,
    },
    /// A local emergency purchase; counts at once, approved later by the approver.
    Purchase {
        part_number: String,
        quantity: i64,
        supplier: String,
        unit_cost: Option<String>,
        reason: String,
        at: Option<Timestamp>,
    },
    /// A count correction: `delta` units more (positive) or fewer (negative).
    Adjust {
        part_number: String,
        delta: i64,
        reason: String,
        at: Option<Timestamp>,
    },
    /// A warranty parts requisition (三包配件领用单) for HQ to approve and issue.
    Requisition {
        part_number: String,
        specification: String,
        quantity: i64,
        reason: Option<String>,
        case_id: Option<CaseId>,
    },
    /// Old parts sent back to HQ.
    ShipOldParts {
        parts: Vec<ShippedPart>,
        waybill: Option<String>,
    },
}

/// The entry a command becomes: its container and JSON record, and the moment that dates it.
pub(crate) enum Draft {
    Movement(Movement),
    Requisition(Requisition),
    Shipment(Shipment),
}

impl Draft {
    pub fn map(&self) -> &'static str {
        match self {
            Draft::Movement(_) => MOVEMENTS,
            Draft::Requisition(_) => REQUISITIONS,
            Draft::Shipment(_) => SHIPMENTS,
        }
    }

    pub fn at(&self) -> Timestamp {
        match self {
            Draft::Movement(m) => m.at,
            Draft::Requisition(r) => r.at,
            Draft::Shipment(s) => s.at,
        }
    }
}

impl StockCommand {
    /// The action name (the change's message and the outbox's command).
    pub fn name(&self) -> &'static str {
        match self {
            StockCommand::Issue { .. } => "stock_issue",
            StockCommand::TransferOut { .. } => "stock_transfer_out",
            StockCommand::TransferIn { .. } => "stock_transfer_in",
            StockCommand::ReturnDefective { .. } => "stock_return_defective",
            StockCommand::Purchase { .. } => "stock_purchase",
            StockCommand::Adjust { .. } => "stock_adjust",
            StockCommand::Requisition { .. } => "stock_requisition",
            StockCommand::ShipOldParts { .. } => "stock_ship_old_parts",
        }
    }

    /// Checks the command and makes its entry, by `by` on `device`, at `now` unless it says
    /// when it happened. Nothing is written here.
    pub(crate) fn draft(
        &self,
        holder: &Holder,
        by: &str,
        device: &str,
        now: Timestamp,
    ) -> Result<Draft> {
        let movement =
            |kind: MovementKind, part_number: &str, quantity: i64, at: &Option<Timestamp>| {
                Movement {
                    kind,
                    part_number: part_number.trim().to_owned(),
                    quantity,
                    at: at.unwrap_or(now),
                    by: by.to_owned(),
                    device: device.to_owned(),
                    case_id: None,
                    line: None,
                    counterparty: None,
                    reference: None,
                    reason: None,
                    unit_cost: None,
                    correction_of: None,
                }
            };
        let draft = match self {
            StockCommand::Issue {
                part_number,
                quantity,
                case_id,
                line,
                at,
            } => {
                part(part_number)?;
                at_least_one(*quantity)?;
                optional_short("line", line.as_deref())?;
                Draft::Movement(Movement {
                    case_id: Some(case_id.to_string()),
                    line: line.clone(),
                    ..movement(MovementKind::Issue, part_number, *quantity, at)
                })
            }
            StockCommand::TransferOut {
                part_number,
                quantity,
                to,
                at,
            } => {
                part(part_number)?;
                at_least_one(*quantity)?;
                other_holder("to", holder, to)?;
                Draft::Movement(Movement {
                    counterparty: Some(to.to_string()),
                    ..movement(MovementKind::TransferOut, part_number, *quantity, at)
                })
            }
            StockCommand::TransferIn {
                part_number,
                quantity,
                from,
                transfer,
                at,
            } => {
                part(part_number)?;
                at_least_one(*quantity)?;
                other_holder("from", holder, from)?;
                optional_short("transfer", transfer.as_deref())?;
                Draft::Movement(Movement {
                    counterparty: Some(from.to_string()),
                    reference: transfer.clone(),
                    ..movement(MovementKind::TransferIn, part_number, *quantity, at)
                })
            }
            StockCommand::ReturnDefective {
                part_number,
                quantity,
                reason,
                at,
            } => {
                part(part_number)?;
                at_least_one(*quantity)?;
                text("reason", reason)?;
                Draft::Movement(Movement {
                    reason: Some(reason.clone()),
                    ..movement(MovementKind::ReturnDefective, part_number, *quantity, at)
                })
            }
            StockCommand::Purchase {
                part_number,
                quantity,
                supplier,
                unit_cost,
                reason,
                at,
            } => {
                part(part_number)?;
                at_least_one(*quantity)?;
                required("supplier", supplier, SHORT_TEXT)?;
                text("reason", reason)?;
                if let Some(cost) = unit_cost {
                    money("unit_cost", cost)?;
                }
                Draft::Movement(Movement {
                    counterparty: Some(supplier.clone()),
                    reason: Some(reason.clone()),
                    unit_cost: unit_cost.clone(),
                    ..movement(MovementKind::Purchase, part_number, *quantity, at)
                })
            }
            StockCommand::Adjust {
                part_number,
                delta,
                reason,
                at,
            } => {
                part(part_number)?;
                if *delta == 0 {
                    return Err(Error::validation("quantity", Invalid::NotZero));
                }
                text("reason", reason)?;
                Draft::Movement(Movement {
                    reason: Some(reason.clone()),
                    ..movement(MovementKind::Adjustment, part_number, *delta, at)
                })
            }
            StockCommand::Requisition {
                part_number,
                specification,
                quantity,
                reason,
                case_id,
            } => {
                part(part_number)?;
                required("specification", specification, SHORT_TEXT)?;
                at_least_one(*quantity)?;
                optional_text("reason", reason.as_deref())?;
                Draft::Requisition(Requisition {
                    part_number: part_number.trim().to_owned(),
                    specification: specification.clone(),
                    quantity: *quantity,
                    reason: reason.clone(),
                    case_id: case_id.map(|c| c.to_string()),
                    at: now,
                    by: by.to_owned(),
                    device: device.to_owned(),
                })
            }
            StockCommand::ShipOldParts { parts, waybill } => {
                if parts.is_empty() {
                    return Err(Error::validation("parts", Invalid::AtLeastOne));
                }
                for (i, p) in parts.iter().enumerate() {
                    required("tag", &p.tag, SHORT_TEXT)?;
                    part(&p.part_number)?;
                    optional_short("line", p.line.as_deref())?;
                    if parts[..i].iter().any(|q| q.tag == p.tag) {
                        return Err(Error::validation("tag", Invalid::DuplicateTag));
                    }
                }
                optional_short("waybill", waybill.as_deref())?;
                Draft::Shipment(Shipment {
                    parts: parts.clone(),
                    waybill: waybill.clone(),
                    at: now,
                    by: by.to_owned(),
                    device: device.to_owned(),
                })
            }
        };
        Ok(draft)
    }
}

fn part(part_number: &str) -> Result<()> {
    required("part_number", part_number, SHORT_TEXT)
}

fn at_least_one(quantity: i64) -> Result<()> {
    if quantity < 1 {
        return Err(Error::validation("quantity", Invalid::AtLeastOne));
    }
    Ok(())
}

fn optional_short(field: &'static str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) => required(field, v, SHORT_TEXT),
        None => Ok(()),
    }
}

fn other_holder(field: &'static str, holder: &Holder, other: &Holder) -> Result<()> {
    if other == holder {
        return Err(Error::validation(field, Invalid::TransferToSelf));
    }
    Ok(())
}

/// A decimal amount of yuan with at most two places (`35`, `35.5`, `35.50`), never negative.
pub fn money(field: &'static str, value: &str) -> Result<()> {
    crate::rules::writeoff::parse_yuan(value)
        .map(|_| ())
        .map_err(|_| Error::validation(field, Invalid::NotAmount))
}
