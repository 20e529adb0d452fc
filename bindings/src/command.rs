//! The commands an app runs on a case, one enum so that a screen's action is one call
//! (`FieldStore.execute`). Photos are attached through `FieldStore.import_photo`, which
//! processes the image first; everything else is here.

use fieldcore::Command;
use fieldcore::{Charge, ConfirmationInput, DefectInput, FactsUpdate, Outcome};

use crate::convert::{self, LocalDate, Timestamp};
use crate::error::FieldError;
use crate::model::{FactsCorrection, PartInput};
use crate::returns::{ReceiptAmendment, ReceiptInput, ReturnRequest};
use fieldcore::InspectionResult;

/// A command on a case. Each is checked against the case and the rules first; a refused
/// command changes nothing and throws `FieldError.Validation` (with the field) or
/// `FieldError.Conflict`.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum CaseCommand {
    /// Tell the customer how the complaint will be handled (due 24 hours after receipt).
    Acknowledge {
        #[uniffi(default)]
        note: Option<String>,
    },
    ScheduleVisit {
        planned_for: Timestamp,
    },
    ArriveOnSite,
    ConfirmDefect {
        defect: DefectInput,
    },
    /// Applies the 三包 rule to the case's registration and confirmed defect; the decision and
    /// its explanation are in the returned view's `warranty`.
    DecideWarranty {
        #[uniffi(default)]
        evidence_photos: Vec<String>,
        /// The paid-service charge, when already known; refused on a covered case.
        #[uniffi(default)]
        charge: Option<Charge>,
    },
    SetCharge {
        charge: Charge,
    },
    /// Compensation (赔偿) paid to the customer, in a charge's shape; any status. 0 withdraws
    /// a wrongly recorded one.
    SetCompensation {
        compensation: Charge,
    },
    Resolve {
        outcome: Outcome,
        summary: String,
    },
    /// Records a spare part used; the new line's id is `CommandResult.entry_id`.
    RecordPart {
        part: PartInput,
    },
    /// Removes a part line by a compensating entry (lines are never edited).
    ReversePart {
        line_id: String,
        reason: String,
    },
    /// The kept old part of a line was handed back for write-off.
    ReturnOldPart {
        line_id: String,
    },
    /// The old part of a line is kept at the holder under a tag number (旧件留存).
    KeepOldPart {
        line_id: String,
        tag: String,
    },
    /// The old part of a line was sent back to HQ on a return shipment.
    ShipOldPart {
        line_id: String,
        shipment: String,
        tag: String,
    },
    /// The old part of a line was lost, saying why; HQ's CS manager approves the loss.
    ReportOldPartLost {
        line_id: String,
        reason: String,
    },
    AddNote {
        text: String,
    },
    /// The customer accepts (the case can close) or rejects (a new round opens).
    ConfirmCustomer {
        confirmation: ConfirmationInput,
    },
    Close,
    Reopen {
        reason: String,
    },
    UpdateFacts {
        update: FactsUpdate,
    },
    /// Corrects the facts that decide warranty, with a reason (see `FactsCorrection`).
    CorrectFacts {
        correction: FactsCorrection,
    },
    /// Takes a photo off the case; its bytes are removed once HQ has them.
    RemovePhoto {
        hash: String,
        reason: String,
    },
    /// Picks alternative `choose` (its index in `Conflict.alternatives`) of a conflicting
    /// decision `field`, or of a warranty-deciding fact corrected concurrently
    /// (`facts.purchase_date`, ...).
    ResolveConflict {
        field: String,
        choose: i32,
    },
    /// Passes the case on to quality (品保部); it then has no 48-hour remedy deadline.
    PassToQa {
        reason: String,
    },
    /// The remedy proposed to the customer; meets the remedy deadline of the round.
    ProposeRemedy {
        proposal: String,
    },
    /// The investigation report after the defect confirmation; meets the report deadline.
    RecordReport {
        findings: String,
        cause: String,
        handling: String,
    },
    /// A settlement date agreed with the customer; replaces the working-day deadline.
    AgreeDeadline {
        date: LocalDate,
        with_whom: String,
    },
    /// Asks HQ to approve a site trip (出差申请); HQ's answer arrives with a sync.
    RequestTrip {
        reason: String,
        #[uniffi(default)]
        planned_for: Option<Timestamp>,
    },
    /// Arrives on site for an emergency without an approved trip, saying why.
    EmergencyVisit {
        reason: String,
    },
    /// Hands the first responder (首问责任人) over to the HQ user `to_id`, named `to`.
    HandOverFirstResponder {
        to_id: i64,
        to: String,
        reason: String,
    },
    /// Requests a return or exchange (产品退换维修单), checking the return window; HQ's approval
    /// chain decides it and issues the RMA number, which arrives with a sync
    /// (`CaseView.returns`). The request's id is `CommandResult.entry_id`.
    RequestReturn {
        request: ReturnRequest,
    },
    /// Records returned goods at the door (退货产品接收单), taken in or refused (checks A–D
    /// only). Works offline; the receipt's id is `CommandResult.entry_id`.
    ReceiveReturn {
        receipt: ReceiptInput,
    },
    /// Adds to a receipt: more goods counted, checks noted, photos.
    AmendReceipt {
        amendment: ReceiptAmendment,
    },
    /// Records the re-inspection of one received unit (its serial, or its position 1, 2, …).
    InspectReturnUnit {
        receipt: String,
        unit: String,
        result: InspectionResult,
    },
    /// Asks HQ to approve the replenishment notice (补货通知) of an exchange; `request` is the
    /// return's id or its RMA number.
    RequestReplenishment {
        request: String,
        note: String,
    },
    /// The customer confirms receipt of an exchange's replacement.
    ConfirmReplacement {
        request: String,
        #[uniffi(default)]
        note: String,
    },
    /// Records the return-analysis report (退货分析改善报告) a batch return needs.
    RecordReturnAnalysis {
        request: String,
        cause: String,
        actions: String,
        #[uniffi(default)]
        photos: Vec<String>,
    },
}

impl TryFrom<CaseCommand> for Command {
    type Error = FieldError;

    fn try_from(command: CaseCommand) -> Result<Command, FieldError> {
        Ok(match command {
            CaseCommand::Acknowledge { note } => Command::Acknowledge { note },
            CaseCommand::ScheduleVisit { planned_for } => Command::ScheduleVisit { planned_for },
            CaseCommand::ArriveOnSite => Command::ArriveOnSite,
            CaseCommand::ConfirmDefect { defect } => Command::ConfirmDefect(defect),
            CaseCommand::DecideWarranty {
                evidence_photos,
                charge,
            } => Command::DecideWarranty {
                evidence_photos,
                charge,
            },
            CaseCommand::SetCharge { charge } => Command::SetCharge(charge),
            CaseCommand::SetCompensation { compensation } => Command::SetCompensation(compensation),
            CaseCommand::Resolve { outcome, summary } => Command::Resolve { outcome, summary },
            CaseCommand::RecordPart { part } => Command::RecordPart(part.try_into()?),
            CaseCommand::ReversePart { line_id, reason } => {
                Command::ReversePart { line_id, reason }
            }
            CaseCommand::ReturnOldPart { line_id } => Command::ReturnOldPart { line_id },
            CaseCommand::KeepOldPart { line_id, tag } => Command::KeepOldPart { line_id, tag },
            CaseCommand::ShipOldPart {
                line_id,
                shipment,
                tag,
            } => Command::ShipOldPart {
                line_id,
                shipment,
                tag,
            },
            CaseCommand::ReportOldPartLost { line_id, reason } => {
                Command::ReportOldPartLost { line_id, reason }
            }
            CaseCommand::AddNote { text } => Command::AddNote { text },
            CaseCommand::ConfirmCustomer { confirmation } => Command::ConfirmCustomer(confirmation),
            CaseCommand::Close => Command::Close,
            CaseCommand::Reopen { reason } => Command::Reopen { reason },
            CaseCommand::UpdateFacts { update } => Command::UpdateFacts(update),
            CaseCommand::CorrectFacts { correction } => Command::CorrectFacts(correction.into()),
            CaseCommand::RemovePhoto { hash, reason } => Command::RemovePhoto { hash, reason },
            CaseCommand::ResolveConflict { field, choose } => Command::ResolveConflict {
                field,
                choose: convert::unsigned("choose", choose)?,
            },
            CaseCommand::PassToQa { reason } => Command::PassToQa { reason },
            CaseCommand::ProposeRemedy { proposal } => Command::ProposeRemedy { proposal },
            CaseCommand::RecordReport {
                findings,
                cause,
                handling,
            } => Command::RecordReport {
                findings,
                cause,
                handling,
            },
            CaseCommand::AgreeDeadline { date, with_whom } => {
                Command::AgreeDeadline { date, with_whom }
            }
            CaseCommand::RequestTrip {
                reason,
                planned_for,
            } => Command::RequestTrip {
                reason,
                planned_for,
            },
            CaseCommand::EmergencyVisit { reason } => Command::EmergencyVisit { reason },
            CaseCommand::HandOverFirstResponder { to_id, to, reason } => {
                Command::HandOverFirstResponder { to_id, to, reason }
            }
            CaseCommand::RequestReturn { request } => Command::RequestReturn(request.try_into()?),
            CaseCommand::ReceiveReturn { receipt } => Command::ReceiveReturn(receipt.try_into()?),
            CaseCommand::AmendReceipt { amendment } => Command::AmendReceipt(amendment.try_into()?),
            CaseCommand::InspectReturnUnit {
                receipt,
                unit,
                result,
            } => Command::InspectReturnUnit {
                receipt,
                unit,
                result,
            },
            CaseCommand::RequestReplenishment { request, note } => {
                Command::RequestReplenishment { request, note }
            }
            CaseCommand::ConfirmReplacement { request, note } => {
                Command::ConfirmReplacement { request, note }
            }
            CaseCommand::RecordReturnAnalysis {
                request,
                cause,
                actions,
                photos,
            } => Command::RecordReturnAnalysis {
                request,
                cause,
                actions,
                photos,
            },
        })
    }
}
