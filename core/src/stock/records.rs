//! The entries of a stock ledger: movements, requisitions and old-part shipments written on the
//! holder's devices, and HQ's approvals, shipment checks and the write-off's closing. Each is
//! an immutable JSON string under its own key (docs/stock-ledger.md).

use serde::{Deserialize, Serialize};

use crate::model::Timestamp;
use crate::rules::quarter::Quarter;

/// What moved stock in or out of a holder's hands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Stock received from HQ or a manufacturing unit (HQ records it when it dispatches an
    /// approved requisition).
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

impl MovementKind {
    pub const ALL: [MovementKind; 7] = [
        MovementKind::Receipt,
        MovementKind::Issue,
        MovementKind::TransferOut,
        MovementKind::TransferIn,
        MovementKind::ReturnDefective,
        MovementKind::Purchase,
        MovementKind::Adjustment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receipt => "receipt",
            MovementKind::Issue => "issue",
            MovementKind::TransferOut => "transfer_out",
            MovementKind::TransferIn => "transfer_in",
            MovementKind::ReturnDefective => "return_defective",
            MovementKind::Purchase => "purchase",
            MovementKind::Adjustment => "adjustment",
        }
    }

    pub fn parse(s: &str) -> Option<MovementKind> {
        MovementKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One movement of stock (under `movements.<entry id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Movement {
    pub kind: MovementKind,
    pub part_number: String,
    /// Units, at least 1; an adjustment's is signed and never 0.
    pub quantity: i64,
    /// When it happened (the day it is dated in decides its quarter).
    pub at: Timestamp,
    /// The user who recorded it.
    pub by: String,
    /// The device it was recorded on (`hq` for HQ's).
    pub device: String,
    /// `issue`: the case the part was fitted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// `issue`: the case's part line (the `used` entry id), when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The other side: the other holder of a transfer, the source of a receipt, the
    /// supplier of a purchase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<String>,
    /// `receipt`: the requisition dispatched; `transfer_in`: the sender's `transfer_out` id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Why: required on an adjustment, a purchase and a defective return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `purchase`: the price per unit paid, decimal CNY (`"35.50"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<String>,
    /// A movement dated in a quarter whose write-off was already approved is booked into the
    /// next open quarter's ledger as a correction of the closed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction_of: Option<Quarter>,
}

impl Movement {
    /// What the movement does to the holder's balance of its part.
    pub fn delta(&self) -> i64 {
        match self.kind {
            MovementKind::Receipt | MovementKind::TransferIn | MovementKind::Purchase => {
                self.quantity
            }
            MovementKind::Issue | MovementKind::TransferOut | MovementKind::ReturnDefective => {
                -self.quantity
            }
            MovementKind::Adjustment => self.quantity,
        }
    }
}

/// A warranty parts requisition (三包配件领用单, under `requisitions.<entry id>`): approved by
/// the CS head before HQ issues the stock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requisition {
    pub part_number: String,
    pub specification: String,
    pub quantity: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The case the parts are for, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    pub at: Timestamp,
    pub by: String,
    pub device: String,
}

/// One old part on a return shipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedPart {
    /// The tag tied to the old part when it was taken off.
    pub tag: String,
    pub part_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// The case's part line the old part came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// Old parts sent back to HQ together (under `shipments.<entry id>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    pub parts: Vec<ShippedPart>,
    /// The carrier's waybill number, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waybill: Option<String>,
    pub at: Timestamp,
    pub by: String,
    pub device: String,
}

/// HQ's check of a shipment on arrival (under `checks.<shipment entry id>`, HQ's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShipmentCheck {
    pub shipment: String,
    /// Tags found in the parcel.
    pub received: Vec<String>,
    /// Tags listed but not found.
    pub missing: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub at: Timestamp,
    pub by: String,
}

/// The approved write-off that closed the ledger (under `closing.writeoff`, HQ's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closing {
    pub quarter: Quarter,
    /// The movements the write-off covered; any other one in this ledger arrived later and is
    /// booked into the next quarter as a correction.
    pub movements: Vec<String>,
    pub at: Timestamp,
    pub by: String,
}
