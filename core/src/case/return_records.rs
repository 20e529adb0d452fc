//! What a case document stores for returns and exchanges (退换货): the request and what
//! follows it on devices (`returns`), the goods received at the door (`receipts`), the
//! re-inspection of each unit (`inspections`), and HQ's RMA number (`rma`). Like every entry,
//! each is immutable under its own id, so two tablets working the same return merge without
//! losing either's work; the state of a return is read from all of them together.

use serde::{Deserialize, Serialize};

use crate::model::Timestamp;
use crate::rules::returns::{Packing, ReceivingCheck, WindowCheck};

/// Return the product (退货) or exchange it for a new one (换货).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnKind {
    Return,
    Exchange,
}

impl ReturnKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnKind::Return => "return",
            ReturnKind::Exchange => "exchange",
        }
    }

    pub fn parse(s: &str) -> Option<ReturnKind> {
        [ReturnKind::Return, ReturnKind::Exchange]
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
}

/// Who pays the freight back: the company for warranty returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Freight {
    Company,
    Customer,
}

impl Freight {
    pub fn as_str(self) -> &'static str {
        match self {
            Freight::Company => "company",
            Freight::Customer => "customer",
        }
    }

    pub fn parse(s: &str) -> Option<Freight> {
        [Freight::Company, Freight::Customer]
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
}

/// One line of a return request: one product model (one request is for one model, as one RMA
/// number is), a serial when the unit is known, how many, why and the fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnItem {
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    pub quantity: u32,
    pub reason: String,
    pub fault: String,
}

/// What a person asks for when they request a return or exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnRequestInput {
    pub kind: ReturnKind,
    pub items: Vec<ReturnItem>,
    pub freight: Freight,
    /// Why the product cannot be fixed on site.
    pub why_not_on_site: String,
    /// Required when the request is outside the return window: why it is made anyway.
    pub window_override: Option<String>,
}

/// One line of goods counted at the door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountedItem {
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    pub quantity: u32,
}

/// A receiving check the receiver raised by hand, with a note and a photo where it applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckNote {
    pub check: ReceivingCheck,
    pub note: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
}

/// Whether the goods were taken in or refused at the door (only for checks A–D).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptOutcome {
    Accepted,
    Refused,
}

impl ReceiptOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptOutcome::Accepted => "accepted",
            ReceiptOutcome::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<ReceiptOutcome> {
        [ReceiptOutcome::Accepted, ReceiptOutcome::Refused]
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
}

/// What the receiver records at the door (退货产品接收单).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptInput {
    /// The RMA number on the goods, scanned or typed; `None` when they carry none.
    pub rma_number: Option<String>,
    pub counted: Vec<CountedItem>,
    pub packing: Packing,
    pub labelled: bool,
    pub sorted: bool,
    pub defect_marked: bool,
    /// Photos of the goods as they arrived (hashes of photos on the case).
    pub photos: Vec<String>,
    /// Checks raised by hand, each with its note (and photo).
    pub notes: Vec<CheckNote>,
    pub outcome: ReceiptOutcome,
    /// Why the goods were refused; required with `refused`.
    pub refusal_reason: Option<String>,
}

/// What another look at a receipt adds: more goods counted, more checks noted, more photos.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptAmendment {
    pub receipt: String,
    pub counted: Vec<CountedItem>,
    pub notes: Vec<CheckNote>,
    pub photos: Vec<String>,
}

/// The re-inspection of one unit: good units are re-qualified, labelled 客退 and restocked;
/// bad units are scrapped under the nonconforming-product procedure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum InspectionResult {
    Good {
        /// Where the re-qualified unit was restocked.
        restocked_to: String,
    },
    Bad {
        reason: String,
        /// The nonconforming-product report number, where one was opened.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonconformance: Option<String>,
    },
}

/// An entry of `returns`: the request and the steps a device records after HQ's approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReturnBody {
    /// A return or exchange request (产品退换维修单), with the window check made on the device.
    Requested {
        return_kind: ReturnKind,
        items: Vec<ReturnItem>,
        freight: Freight,
        why_not_on_site: String,
        window: WindowCheck,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window_override: Option<String>,
    },
    /// A replenishment notice (补货通知) for an exchange: the replacement ships once approved.
    ReplenishmentRequested { request: String, note: String },
    /// The customer confirms receipt of the replacement.
    ReplacementReceived { request: String, note: String },
    /// The return-analysis report (退货分析改善报告) of a batch return.
    AnalysisReport {
        request: String,
        cause: String,
        actions: String,
        #[serde(default)]
        photos: Vec<String>,
    },
}

impl ReturnBody {
    /// Every `kind` this version reads; an entry of another kind is a newer app's (ADR 0009).
    pub const KINDS: [&'static str; 4] = [
        "requested",
        "replenishment_requested",
        "replacement_received",
        "analysis_report",
    ];
}

/// An entry of `receipts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReceiptBody {
    Received(ReceiptInput),
    Amended(ReceiptAmendment),
}

impl ReceiptBody {
    pub const KINDS: [&'static str; 2] = ["received", "amended"];
}

/// An entry of `inspections`: one unit of one receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectionBody {
    pub receipt: String,
    /// The unit: its serial, or its position (1, 2, …) among units without one.
    pub unit: String,
    pub result: InspectionResult,
}

/// HQ's RMA number for an approved request, under `rma.<request id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RmaRecord {
    pub request: String,
    pub number: String,
    pub issued_at: Timestamp,
    /// The approver whose decision issued it.
    pub by: String,
}
