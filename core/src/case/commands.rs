//! The commands a person runs on a case, who runs them and what they produced: the vocabulary
//! that `plan` checks and `change` writes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::case::records::{PhotoAttachment, Stamp};
use crate::case::return_records::{
    InspectionResult, ReceiptAmendment, ReceiptInput, ReturnRequestInput,
};
use crate::model::{
    Charge, ConfirmationInput, DefectInput, FactsCorrection, FactsUpdate, Outcome, PartInput,
    Timestamp,
};
use crate::rules::parts_catalog::PartsCatalog;
use crate::rules::policy::Policies;

/// Who runs a command, on which device, when, under which policies.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub by: &'a str,
    pub device: &'a str,
    pub at: Timestamp,
    pub policies: &'a Policies,
    /// The parts catalog HQ last sent, when it sent one: part lines are checked against it.
    pub parts_catalog: Option<&'a PartsCatalog>,
}

impl Context<'_> {
    pub(crate) fn stamp(&self) -> Stamp {
        Stamp {
            by: self.by.to_owned(),
            device: self.device.to_owned(),
            at: self.at,
        }
    }
}

/// Something a person does to a case, as the store records it: run with
/// [`crate::Store::execute`], which plans it against the case view (refusing it, with nothing
/// written, when the rules or the lifecycle say no) and writes it as one automerge change with
/// its audit event. Registering a new case is [`crate::Store::register`], not a command.
/// Each variant's name in snake case is its name in the audit trail and the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    Acknowledge {
        note: Option<String>,
    },
    ScheduleVisit {
        planned_for: Timestamp,
    },
    ArriveOnSite,
    ConfirmDefect(DefectInput),
    DecideWarranty {
        evidence_photos: Vec<String>,
        /// The paid-service charge at production cost, when already known.
        charge: Option<Charge>,
    },
    SetCharge(Charge),
    /// Compensation (赔偿) agreed with and paid to the customer, in the same shape as a charge:
    /// the monthly report counts it in the cost of quality. Recorded in any status, since a
    /// payment often follows the settlement; 0 withdraws a wrongly recorded one.
    SetCompensation(Charge),
    Resolve {
        outcome: Outcome,
        summary: String,
    },
    RecordPart(PartInput),
    ReversePart {
        line_id: String,
        reason: String,
    },
    ReturnOldPart {
        line_id: String,
    },
    /// Records the old part of a line kept at the holder under a tag number.
    KeepOldPart {
        line_id: String,
        tag: String,
    },
    /// Records the old part of a line sent back to HQ on a return shipment.
    ShipOldPart {
        line_id: String,
        shipment: String,
        tag: String,
    },
    /// Reports the old part of a line lost, saying why; HQ (cs_manager) approves the loss.
    ReportOldPartLost {
        line_id: String,
        reason: String,
    },
    AddNote {
        text: String,
    },
    ConfirmCustomer(ConfirmationInput),
    Close,
    Reopen {
        reason: String,
    },
    UpdateFacts(FactsUpdate),
    /// Corrects the registration facts that decide warranty, with a reason; the audit trail
    /// keeps the old values and a warranty decision made on them becomes stale.
    CorrectFacts(FactsCorrection),
    /// Attaches a photo the store has already processed and written to its blob folder; use
    /// `Store::import_photo`, which does both.
    AttachPhoto(PhotoAttachment),
    /// Takes a photo off the case; the blob is collected once uploaded and unreferenced.
    RemovePhoto {
        hash: String,
        reason: String,
    },
    /// A person picks one of a conflicting decision's values (by its index in the view), or one
    /// of the values of a warranty-deciding fact corrected concurrently (`facts.<key>`).
    ResolveConflict {
        field: String,
        choose: usize,
    },
    /// Passes the case on to quality (品保部); it then has no 48-hour remedy deadline.
    PassToQa {
        reason: String,
    },
    /// Records the remedy proposed to the customer (what will be done); meets the remedy
    /// deadline of the round.
    ProposeRemedy {
        proposal: String,
    },
    /// Records the investigation report after the defect confirmation; meets the report
    /// deadline of the round.
    RecordReport {
        findings: String,
        cause: String,
        handling: String,
    },
    /// Records a settlement date agreed with the customer (and with whom); it replaces the
    /// working-day deadline of the round.
    AgreeDeadline {
        date: NaiveDate,
        with_whom: String,
    },
    /// Asks HQ to approve a site trip (出差申请); HQ answers under `approvals`.
    RequestTrip {
        reason: String,
        planned_for: Option<Timestamp>,
    },
    /// Arrives on site without an approved trip, for an emergency, saying why.
    EmergencyVisit {
        reason: String,
    },
    /// Hands the case's first responder (首问责任人) over to another HQ user, saying why.
    HandOverFirstResponder {
        /// The HQ user id of the new first responder.
        to_id: i64,
        /// Their name as shown.
        to: String,
        reason: String,
    },
    /// Requests a return or exchange (产品退换维修单); HQ's approval chain decides it and
    /// issues the RMA number under `rma`.
    RequestReturn(ReturnRequestInput),
    /// Records returned goods at the door (退货产品接收单), taken in or refused (A–D only).
    ReceiveReturn(ReceiptInput),
    /// Adds to a receipt: more goods counted, checks noted, photos.
    AmendReceipt(ReceiptAmendment),
    /// Records the re-inspection of one received unit.
    InspectReturnUnit {
        receipt: String,
        unit: String,
        result: InspectionResult,
    },
    /// Asks HQ to approve the replenishment notice (补货通知) of an exchange.
    RequestReplenishment {
        /// The return request's entry id or RMA number.
        request: String,
        note: String,
    },
    /// The customer confirms receipt of the replacement of an exchange.
    ConfirmReplacement {
        request: String,
        note: String,
    },
    /// Records the return-analysis report (退货分析改善报告) of a (batch) return.
    RecordReturnAnalysis {
        request: String,
        cause: String,
        actions: String,
        photos: Vec<String>,
    },
}

impl Command {
    /// The command's name in the audit trail and the outbox.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Acknowledge { .. } => "acknowledge",
            Command::ScheduleVisit { .. } => "schedule_visit",
            Command::ArriveOnSite => "arrive_on_site",
            Command::ConfirmDefect(_) => "confirm_defect",
            Command::DecideWarranty { .. } => "decide_warranty",
            Command::SetCharge(_) => "set_charge",
            Command::SetCompensation(_) => "set_compensation",
            Command::Resolve { .. } => "resolve",
            Command::RecordPart(_) => "record_part",
            Command::ReversePart { .. } => "reverse_part",
            Command::ReturnOldPart { .. } => "return_old_part",
            Command::KeepOldPart { .. } => "keep_old_part",
            Command::ShipOldPart { .. } => "ship_old_part",
            Command::ReportOldPartLost { .. } => "report_old_part_lost",
            Command::AddNote { .. } => "add_note",
            Command::ConfirmCustomer(_) => "confirm_customer",
            Command::Close => "close",
            Command::Reopen { .. } => "reopen",
            Command::UpdateFacts(_) => "update_facts",
            Command::CorrectFacts(_) => "correct_facts",
            Command::AttachPhoto(_) => "attach_photo",
            Command::RemovePhoto { .. } => "remove_photo",
            Command::ResolveConflict { .. } => "resolve_conflict",
            Command::PassToQa { .. } => "pass_to_qa",
            Command::ProposeRemedy { .. } => "propose_remedy",
            Command::RecordReport { .. } => "record_report",
            Command::AgreeDeadline { .. } => "agree_deadline",
            Command::RequestTrip { .. } => "request_trip",
            Command::EmergencyVisit { .. } => "emergency_visit",
            Command::HandOverFirstResponder { .. } => "hand_over_first_responder",
            Command::RequestReturn(_) => "request_return",
            Command::ReceiveReturn(_) => "receive_return",
            Command::AmendReceipt(_) => "amend_receipt",
            Command::InspectReturnUnit { .. } => "inspect_return_unit",
            Command::RequestReplenishment { .. } => "request_replenishment",
            Command::ConfirmReplacement { .. } => "confirm_replacement",
            Command::RecordReturnAnalysis { .. } => "record_return_analysis",
        }
    }
}

/// What a command produced besides the new document state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// The id of the entry the command appended (a part line, a note, ...), if any.
    pub entry_id: Option<String>,
}
