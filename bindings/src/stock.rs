//! Warranty spare parts (三包配件) as the apps see them: the stock commands a holder's device
//! records offline (`FieldStore.record_stock`), the balance per part with the movements that
//! drove a part below zero, and one quarter's ledger with its requisitions' approvals, HQ's
//! checks of old-part shipments and the write-off's closing. Every rule is the core's; this
//! file only converts. Holders (`center:C01`, `dealer:D07`, `van:wang`) and quarters
//! (`2026Q4`) cross as strings, refused with `validation.not_stock_holder` and
//! `validation.not_quarter` before the call runs; counts cross as `i64`.

use fieldcore as core;
use fieldcore::{MovementKind, ShippedPart};

use crate::convert::{CaseId, Timestamp, parse_holder, parse_quarter, signed};
use crate::error::{FieldError, Result};
use crate::store::FieldStore;

/// What moved stock in or out of a holder's hands.
#[uniffi::remote(Enum)]
pub enum MovementKind {
    /// Received from HQ or a manufacturing unit (HQ records it when it dispatches a requisition).
    Receipt,
    /// Fitted on a case.
    Issue,
    /// Handed to another holder.
    TransferOut,
    /// Taken over from another holder.
    TransferIn,
    /// A defective new part sent back.
    ReturnDefective,
    /// Bought locally in an emergency; needs the approver's approval.
    Purchase,
    /// A count correction, signed, with its reason.
    Adjustment,
}

/// One old part on a return shipment: the tag tied to it when it came off, its part number,
/// and the case and part line it came from.
#[uniffi::remote(Record)]
pub struct ShippedPart {
    pub tag: String,
    pub part_number: String,
    /// The case's id (a UUID), when known.
    #[uniffi(default)]
    pub case_id: Option<String>,
    /// The case's part line (`CommandResult.entry_id` of `RecordPart`).
    #[uniffi(default)]
    pub line: Option<String>,
}

/// A stock command on one holder's ledger. `at` is when it happened (now when `null`/`nil`);
/// it decides the quarter the entry is booked in. A refused command writes nothing and
/// throws `FieldError.Validation` with the field. An issue is never refused for want of
/// stock: the balance shows the part below zero instead.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum StockCommand {
    /// Parts fitted on a case, taken from this holder's stock.
    Issue {
        part_number: String,
        /// At least 1.
        quantity: i64,
        case_id: CaseId,
        /// The case's part line, when known.
        #[uniffi(default)]
        line: Option<String>,
        #[uniffi(default)]
        at: Option<Timestamp>,
    },
    /// Parts handed to another holder (`to`, not this one).
    TransferOut {
        part_number: String,
        quantity: i64,
        to: String,
        #[uniffi(default)]
        at: Option<Timestamp>,
    },
    /// Parts taken over from another holder; `transfer` is the sender's entry id when known.
    TransferIn {
        part_number: String,
        quantity: i64,
        from: String,
        #[uniffi(default)]
        transfer: Option<String>,
        #[uniffi(default)]
        at: Option<Timestamp>,
    },
    /// Defective new parts sent back.
    ReturnDefective {
        part_number: String,
        quantity: i64,
        reason: String,
        #[uniffi(default)]
        at: Option<Timestamp>,
    },
    /// A local emergency purchase: counts at once, approved later. `unit_cost` is yuan with
    /// at most two decimals (`"35.50"`).
    Purchase {
        part_number: String,
        quantity: i64,
        supplier: String,
        reason: String,
        // After every field without a default: Python's generated constructor needs that.
        #[uniffi(default)]
        unit_cost: Option<String>,
        #[uniffi(default)]
        at: Option<Timestamp>,
    },
    /// A count correction: `delta` units more (positive) or fewer (negative), never 0.
    Adjust {
        part_number: String,
        delta: i64,
        reason: String,
        #[uniffi(default)]
        at: Option<Timestamp>,
    },
    /// A warranty parts requisition (三包配件领用单) for the CS head to approve.
    Requisition {
        part_number: String,
        specification: String,
        quantity: i64,
        #[uniffi(default)]
        reason: Option<String>,
        #[uniffi(default)]
        case_id: Option<CaseId>,
    },
    /// Old parts sent back to HQ on one shipment.
    ShipOldParts {
        parts: Vec<ShippedPart>,
        #[uniffi(default)]
        waybill: Option<String>,
    },
}

/// What a stock command wrote.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StockRecorded {
    /// The new entry's id.
    pub entry_id: String,
    pub ledger_id: String,
    /// The quarter whose ledger took the entry (`2026Q4`).
    pub quarter: String,
    /// Set when the entry is dated in a quarter already written off: it went into `quarter`
    /// as a correction of this one.
    pub correction_of: Option<String>,
}

/// A holder's balance of one part: the sum of its movements in time order.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PartBalance {
    pub part_number: String,
    /// May be below zero: issues recorded offline without stock on hand.
    pub quantity: i64,
    /// How many movements it sums.
    pub movements: i64,
    /// The balance is below zero now: show it flagged, never hide the movement.
    pub negative: bool,
    /// The movements (entry ids, in time order) after which the balance stood below zero;
    /// empty when it never did.
    pub went_negative: Vec<String>,
}

/// Where a purchase or a requisition stands with its approvers.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum StockApproval {
    /// Waits for `step` by an HQ user of `role` (`cs_manager`).
    Waiting {
        step: String,
        role: String,
    },
    Approved,
    Rejected {
        step: String,
        reason: Option<String>,
    },
}

/// One movement of a ledger.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StockMovement {
    pub id: String,
    pub kind: MovementKind,
    pub part_number: String,
    /// Units as recorded (an adjustment's is signed).
    pub quantity: i64,
    /// What it does to the balance: negative for an issue, a transfer out, a return.
    pub delta: i64,
    pub at: Timestamp,
    pub by: String,
    pub device: String,
    pub case_id: Option<String>,
    pub line: Option<String>,
    /// The other holder of a transfer, the source of a receipt, the supplier of a purchase.
    pub counterparty: Option<String>,
    /// A receipt's requisition, a transfer-in's transfer-out.
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub unit_cost: Option<String>,
    /// Dated in this written-off quarter (`2026Q3`) and booked here as its correction.
    pub correction_of: Option<String>,
    /// A purchase's approval; `null`/`nil` for every other kind.
    pub approval: Option<StockApproval>,
    /// Recorded in this ledger after its write-off: booked into the next quarter.
    pub late: bool,
}

/// A warranty parts requisition (三包配件领用单) and its approval.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StockRequisition {
    pub id: String,
    pub part_number: String,
    pub specification: String,
    pub quantity: i64,
    pub reason: Option<String>,
    pub case_id: Option<String>,
    pub at: Timestamp,
    pub by: String,
    pub device: String,
    pub approval: StockApproval,
    /// The receipt HQ recorded when it issued the stock.
    pub dispatched: Option<String>,
}

/// HQ's check of an old-part shipment on arrival.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ShipmentCheck {
    /// Tags found in the parcel.
    pub received: Vec<String>,
    /// Tags listed but not found.
    pub missing: Vec<String>,
    pub note: Option<String>,
    pub at: Timestamp,
    pub by: String,
}

/// Old parts sent back to HQ together, and HQ's check once done.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OldPartShipment {
    pub id: String,
    pub parts: Vec<ShippedPart>,
    pub waybill: Option<String>,
    pub at: Timestamp,
    pub by: String,
    pub device: String,
    pub check: Option<ShipmentCheck>,
}

/// The approved write-off (核销) that closed a quarter's ledger.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LedgerClosing {
    /// The movements it covered; any other one in the ledger is `late`.
    pub movements: Vec<String>,
    pub at: Timestamp,
    pub by: String,
}

/// One holder's ledger for one quarter.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LedgerView {
    pub ledger_id: String,
    pub holder: String,
    pub quarter: String,
    /// In time order.
    pub movements: Vec<StockMovement>,
    pub requisitions: Vec<StockRequisition>,
    pub shipments: Vec<OldPartShipment>,
    /// The approved write-off, once the quarter is closed.
    pub closing: Option<LedgerClosing>,
    pub closed: bool,
}

/// A ledger this device holds.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HeldLedger {
    pub ledger_id: String,
    pub holder: String,
    pub quarter: String,
    pub closed: bool,
}

#[uniffi::export]
impl FieldStore {
    /// Records a stock command in `holder`'s ledger of the quarter it is dated in (or, when
    /// that quarter is written off, the next open one, as a correction); it reaches HQ with
    /// the next sync.
    pub fn record_stock(&self, holder: String, command: StockCommand) -> Result<StockRecorded> {
        let holder = parse_holder("holder", &holder)?;
        let command = core::StockCommand::try_from(command)?;
        Ok(self.lock()?.record_stock(&holder, &command)?.into())
    }

    /// The holder's balance of every part it has moved, over every quarter on this device.
    pub fn stock_balance(&self, holder: String) -> Result<Vec<PartBalance>> {
        let holder = parse_holder("holder", &holder)?;
        let balances = self.lock()?.stock_balance(&holder)?;
        Ok(balances.into_iter().map(Into::into).collect())
    }

    /// One quarter's ledger (`2026Q4`); `null`/`nil` when this device holds none.
    pub fn stock_ledger(&self, holder: String, quarter: String) -> Result<Option<LedgerView>> {
        let holder = parse_holder("holder", &holder)?;
        let quarter = parse_quarter(&quarter)?;
        let ledger = self.lock()?.stock_ledger(&holder, quarter)?;
        Ok(ledger.map(Into::into))
    }

    /// Every ledger this device holds, by holder and quarter.
    pub fn stock_ledgers(&self) -> Result<Vec<HeldLedger>> {
        let ledgers = self.lock()?.stock_ledgers()?;
        Ok(ledgers.into_iter().map(Into::into).collect())
    }
}

impl TryFrom<StockCommand> for core::StockCommand {
    type Error = FieldError;

    fn try_from(c: StockCommand) -> Result<core::StockCommand> {
        Ok(match c {
            StockCommand::Issue {
                part_number,
                quantity,
                case_id,
                line,
                at,
            } => core::StockCommand::Issue {
                part_number,
                quantity,
                case_id,
                line,
                at,
            },
            StockCommand::TransferOut {
                part_number,
                quantity,
                to,
                at,
            } => core::StockCommand::TransferOut {
                part_number,
                quantity,
                to: parse_holder("to", &to)?,
                at,
            },
            StockCommand::TransferIn {
                part_number,
                quantity,
                from,
                transfer,
                at,
            } => core::StockCommand::TransferIn {
                part_number,
                quantity,
                from: parse_holder("from", &from)?,
                transfer,
                at,
            },
            StockCommand::ReturnDefective {
                part_number,
                quantity,
                reason,
                at,
            } => core::StockCommand::ReturnDefective {
                part_number,
                quantity,
                reason,
                at,
            },
            StockCommand::Purchase {
                part_number,
                quantity,
                supplier,
                reason,
                unit_cost,
                at,
            } => core::StockCommand::Purchase {
                part_number,
                quantity,
                supplier,
                unit_cost,
                reason,
                at,
            },
            StockCommand::Adjust {
                part_number,
                delta,
                reason,
                at,
            } => core::StockCommand::Adjust {
                part_number,
                delta,
                reason,
                at,
            },
            StockCommand::Requisition {
                part_number,
                specification,
                quantity,
                reason,
                case_id,
            } => core::StockCommand::Requisition {
                part_number,
                specification,
                quantity,
                reason,
                case_id,
            },
            StockCommand::ShipOldParts { parts, waybill } => {
                core::StockCommand::ShipOldParts { parts, waybill }
            }
        })
    }
}

impl From<core::StockRecorded> for StockRecorded {
    fn from(r: core::StockRecorded) -> StockRecorded {
        StockRecorded {
            entry_id: r.entry_id,
            ledger_id: r.ledger_id.to_string(),
            quarter: r.quarter.to_string(),
            correction_of: r.correction_of.map(|q| q.to_string()),
        }
    }
}

impl From<core::PartBalance> for PartBalance {
    fn from(b: core::PartBalance) -> PartBalance {
        PartBalance {
            negative: b.negative(),
            part_number: b.part_number,
            quantity: b.quantity,
            movements: signed(b.movements),
            went_negative: b.went_negative,
        }
    }
}

impl From<core::StockApproval> for StockApproval {
    fn from(a: core::StockApproval) -> StockApproval {
        match a {
            core::StockApproval::Waiting { step, role } => StockApproval::Waiting { step, role },
            core::StockApproval::Approved => StockApproval::Approved,
            core::StockApproval::Rejected { step, reason } => {
                StockApproval::Rejected { step, reason }
            }
        }
    }
}

impl From<core::MovementEntry> for StockMovement {
    fn from(e: core::MovementEntry) -> StockMovement {
        let m = e.movement;
        StockMovement {
            id: e.id,
            kind: m.kind,
            delta: m.delta(),
            part_number: m.part_number,
            quantity: m.quantity,
            at: m.at,
            by: m.by,
            device: m.device,
            case_id: m.case_id,
            line: m.line,
            counterparty: m.counterparty,
            reference: m.reference,
            reason: m.reason,
            unit_cost: m.unit_cost,
            correction_of: m.correction_of.map(|q| q.to_string()),
            approval: e.approval.map(Into::into),
            late: e.late,
        }
    }
}

impl From<core::RequisitionEntry> for StockRequisition {
    fn from(e: core::RequisitionEntry) -> StockRequisition {
        let r = e.requisition;
        StockRequisition {
            id: e.id,
            part_number: r.part_number,
            specification: r.specification,
            quantity: r.quantity,
            reason: r.reason,
            case_id: r.case_id,
            at: r.at,
            by: r.by,
            device: r.device,
            approval: e.approval.into(),
            dispatched: e.dispatched,
        }
    }
}

impl From<core::ShipmentEntry> for OldPartShipment {
    fn from(e: core::ShipmentEntry) -> OldPartShipment {
        let s = e.shipment;
        OldPartShipment {
            id: e.id,
            parts: s.parts,
            waybill: s.waybill,
            at: s.at,
            by: s.by,
            device: s.device,
            check: e.check.map(|c| ShipmentCheck {
                received: c.received,
                missing: c.missing,
                note: c.note,
                at: c.at,
                by: c.by,
            }),
        }
    }
}

impl From<core::LedgerView> for LedgerView {
    fn from(v: core::LedgerView) -> LedgerView {
        LedgerView {
            closed: v.is_closed(),
            ledger_id: v.ledger_id.to_string(),
            holder: v.holder.to_string(),
            quarter: v.quarter.to_string(),
            movements: v.movements.into_iter().map(Into::into).collect(),
            requisitions: v.requisitions.into_iter().map(Into::into).collect(),
            shipments: v.shipments.into_iter().map(Into::into).collect(),
            closing: v.closing.map(|c| LedgerClosing {
                movements: c.movements,
                at: c.at,
                by: c.by,
            }),
        }
    }
}

impl From<core::HeldLedger> for HeldLedger {
    fn from(h: core::HeldLedger) -> HeldLedger {
        HeldLedger {
            ledger_id: h.ledger_id.to_string(),
            holder: h.holder.to_string(),
            quarter: h.quarter.to_string(),
            closed: h.closed,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn store() -> (tempfile::TempDir, std::sync::Arc<FieldStore>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stock.db").to_string_lossy().into_owned();
        let store = FieldStore::open(path, "Li Wei".into()).unwrap();
        (dir, store)
    }

    #[test]
    fn bad_holders_and_quarters_have_stable_codes_and_write_nothing() {
        let (_dir, store) = store();
        let adjust = || StockCommand::Adjust {
            part_number: "B-6205".into(),
            delta: 2,
            reason: "count".into(),
            at: None,
        };
        let e = store.record_stock("C01".into(), adjust()).unwrap_err();
        assert_eq!(e.code(), "validation.not_stock_holder");
        assert!(matches!(&e, FieldError::Validation { field, .. } if field == "holder"));
        let e = store
            .record_stock(
                "center:C01".into(),
                StockCommand::TransferOut {
                    part_number: "B-6205".into(),
                    quantity: 1,
                    to: "nowhere".into(),
                    at: None,
                },
            )
            .unwrap_err();
        assert!(matches!(&e, FieldError::Validation { field, .. } if field == "to"));
        let e = store
            .stock_ledger("center:C01".into(), "2026Q5".into())
            .unwrap_err();
        assert_eq!(e.code(), "validation.not_quarter");
        assert!(store.stock_ledgers().unwrap().is_empty());
        store.record_stock("center:C01".into(), adjust()).unwrap();
        assert_eq!(store.stock_ledgers().unwrap().len(), 1);
    }

    #[test]
    fn an_issue_without_stock_is_recorded_and_flagged() {
        let (_dir, store) = store();
        let holder = "center:C01".to_owned();
        let recorded = store
            .record_stock(
                holder.clone(),
                StockCommand::Issue {
                    part_number: "B-6205".into(),
                    quantity: 2,
                    case_id: uuid::Uuid::now_v7(),
                    line: None,
                    at: None,
                },
            )
            .unwrap();
        let balance = store.stock_balance(holder.clone()).unwrap();
        assert_eq!(balance.len(), 1);
        assert_eq!(balance[0].quantity, -2);
        assert!(balance[0].negative);
        assert_eq!(
            balance[0].went_negative,
            std::slice::from_ref(&recorded.entry_id)
        );
        let ledger = store
            .stock_ledger(holder, recorded.quarter.clone())
            .unwrap()
            .unwrap();
        assert_eq!(ledger.movements[0].kind, MovementKind::Issue);
        assert_eq!(ledger.movements[0].delta, -2);
        assert!(!ledger.closed);
    }
}
