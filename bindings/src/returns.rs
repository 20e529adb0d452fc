//! Returns and exchanges (退换货) as the apps see them: the forms of the request, the receipt at
//! the door and its amendments (commands' inputs), and each return of a case as one snapshot
//! record (`CaseView.returns`) with its approval chain, RMA number, receipts and their checks
//! A–G, re-inspections, replenishment and analysis report. Every state, check and deadline is
//! the core's; this file only converts, and counts cross as `i64` (see [`crate::convert`]).

use fieldcore as core;
use fieldcore::{
    ChainStep, CheckNote, Freight, InspectionResult, Localized, Packing, ReceiptOutcome,
    ReceivingCheck, ReturnKind, ReturnState,
};

use crate::convert::{LocalDate, Timestamp, signed, unsigned};
use crate::error::FieldError;
use crate::locale::current_locale;
use crate::view::Stamp;

/// Return the product (退货) or exchange it for a new one (换货).
#[uniffi::remote(Enum)]
pub enum ReturnKind {
    Return,
    Exchange,
}

/// Who pays the freight back: the company for warranty returns.
#[uniffi::remote(Enum)]
pub enum Freight {
    Company,
    Customer,
}

/// How the returned goods arrived packed.
#[uniffi::remote(Enum)]
pub enum Packing {
    /// Packed as the procedure requires.
    AsRequired,
    /// In a package, but not as required (damaged, unsuitable): check D.
    NotAsRequired,
    /// Loose units, not packed: check C unless labelled and sorted.
    Loose,
}

/// The receiving checks of the procedure (退货异常), each a reason to flag a receipt.
#[uniffi::remote(Enum)]
pub enum ReceivingCheck {
    /// No RMA number, or no record of it on this device (clears when HQ's record arrives).
    A,
    /// The goods differ from the notice (model, quantity).
    B,
    /// Loose returns without a labelled reason or sorting.
    C,
    /// Packaging not as required.
    D,
    /// One RMA number with several products mixed.
    E,
    /// Goods not covered by the approved RMA, or carrying an older RMA number.
    F,
    /// No defect marking at all.
    G,
}

/// Whether the goods were taken in or refused at the door (refusal only for checks A–D).
#[uniffi::remote(Enum)]
pub enum ReceiptOutcome {
    Accepted,
    Refused,
}

/// Where a return stands: the first step of the procedure not yet done.
#[uniffi::remote(Enum)]
pub enum ReturnState {
    /// Waiting for a step of HQ's approval chain (`CaseReturn.waiting_for`).
    AwaitingApproval,
    /// Rejected at a step (its decision's `reason`); the request ends.
    Rejected,
    /// Approved with an RMA number; the goods have not been taken in.
    AwaitingGoods,
    /// Goods taken in; units wait for re-inspection (`CaseReturn.reinspection_due`).
    AwaitingInspection,
    /// A batch return waits for its return-analysis report.
    AwaitingAnalysis,
    /// An exchange waits for an approved replenishment notice.
    AwaitingReplenishment,
    /// The replacement may ship; the customer has not confirmed receipt.
    AwaitingCustomer,
    /// Everything the procedure asks is done.
    Done,
}

/// The re-inspection of one unit.
#[uniffi::remote(Enum)]
pub enum InspectionResult {
    /// Re-qualified, labelled 客退 (customer return) and restocked at `restocked_to`.
    Good { restocked_to: String },
    /// Scrapped under the nonconforming-product procedure, with the reason and the report
    /// number where one was opened.
    Bad {
        reason: String,
        nonconformance: Option<String>,
    },
}

/// A receiving check the receiver raised by hand, with a note and a photo where it applies.
#[uniffi::remote(Record)]
pub struct CheckNote {
    pub check: ReceivingCheck,
    pub note: String,
    /// The hash of a photo already imported on the case.
    #[uniffi(default)]
    pub photo: Option<String>,
}

/// A step of an approval chain: its name (`review`, `approve`) and the HQ role that decides it
/// (`cs_manager`, `vp`, as HQ's policy names them).
#[uniffi::remote(Record)]
pub struct ChainStep {
    pub step: String,
    pub role: String,
}

/// One line of a return request: one product model (a request is for one model, as one RMA
/// number is), the serial when the unit is known, how many, why, and the fault.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReturnItem {
    pub model: String,
    #[uniffi(default)]
    pub serial: Option<String>,
    /// At least 1; a negative number is refused with `FieldError.Validation` (`quantity`).
    pub quantity: i64,
    pub reason: String,
    pub fault: String,
}

/// A return or exchange request (产品退换维修单), for `CaseCommand.RequestReturn`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReturnRequest {
    pub kind: ReturnKind,
    pub items: Vec<ReturnItem>,
    pub freight: Freight,
    /// Why the product cannot be fixed on site.
    pub why_not_on_site: String,
    /// Why the request is made outside the return window; required there (the refusal is
    /// `FieldError.Validation` on `window_override`, explaining the window).
    #[uniffi(default)]
    pub window_override: Option<String>,
}

/// One line of goods counted at the door.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CountedItem {
    pub model: String,
    #[uniffi(default)]
    pub serial: Option<String>,
    /// At least 1; a negative number is refused with `FieldError.Validation` (`quantity`).
    pub quantity: i64,
}

/// What the receiver records at the door (退货产品接收单), for `CaseCommand.ReceiveReturn`. Works
/// offline: the checks are made against the RMA numbers this device holds, and made again when
/// a sync brings more.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReceiptInput {
    /// The RMA number on the goods, scanned or typed; `null`/`nil` when they carry none.
    pub rma_number: Option<String>,
    pub counted: Vec<CountedItem>,
    pub packing: Packing,
    /// Every unit carries a label with its return reason.
    pub labelled: bool,
    /// The units are sorted by product.
    pub sorted: bool,
    /// The units carry a defect marking.
    pub defect_marked: bool,
    /// Hashes of photos of the goods as they arrived, imported on the case first.
    #[uniffi(default)]
    pub photos: Vec<String>,
    /// Checks raised by hand, each with its note (and photo).
    #[uniffi(default)]
    pub notes: Vec<CheckNote>,
    /// `Refused` only when a check A–D is raised (by the goods or by hand).
    pub outcome: ReceiptOutcome,
    /// Why the goods were refused; required with `Refused`.
    #[uniffi(default)]
    pub refusal_reason: Option<String>,
}

/// What another look at a receipt adds, for `CaseCommand.AmendReceipt`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReceiptAmendment {
    /// The receipt's id (`ReturnReceipt.id`).
    pub receipt: String,
    #[uniffi(default)]
    pub counted: Vec<CountedItem>,
    #[uniffi(default)]
    pub notes: Vec<CheckNote>,
    #[uniffi(default)]
    pub photos: Vec<String>,
}

/// What the return window said when the request was made on the device.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReturnWindow {
    pub within: bool,
    pub home_region: bool,
    pub months: i64,
    /// The purchase or delivery date counted from; `null`/`nil` when the case has none.
    pub from: Option<LocalDate>,
    pub last_day: Option<LocalDate>,
    pub requested: LocalDate,
    /// In the language set with `setLocale`.
    pub explanation: String,
}

/// A decision of an approval step at HQ.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StepDecision {
    pub approved: bool,
    /// The HQ user who decided.
    pub by: String,
    pub at: Timestamp,
    /// Why: required on a rejection (the requester sees it), optional on an approval.
    pub reason: Option<String>,
    /// The role the deciding user held.
    pub role: Option<String>,
}

/// One step of an approval chain with its decision, once made.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ApprovalStep {
    pub step: String,
    pub role: String,
    pub decision: Option<StepDecision>,
}

/// HQ's RMA number (`R` + YYMM-NNNN), issued on the chain's final approval.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RmaNumber {
    pub number: String,
    pub issued_at: Timestamp,
    /// The approver whose decision issued it.
    pub by: String,
}

/// A receiving check raised on a receipt: by the goods (`reasons`), by hand (`notes`), or both.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RaisedCheck {
    pub check: ReceivingCheck,
    /// The check itself, e.g. "A no RMA number, or no record of it", in the `setLocale`
    /// language.
    pub title: String,
    /// What in the goods raised it, in the `setLocale` language; empty when raised by hand only.
    pub reasons: Vec<String>,
    pub notes: Vec<CheckNote>,
}

/// A receipt at the door with every amendment folded in and the checks it raises now.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReturnReceipt {
    pub id: String,
    pub received: Stamp,
    pub rma_number: Option<String>,
    /// Every line counted, the receipt's and its amendments', in order.
    pub counted: Vec<CountedItem>,
    /// The units counted in all.
    pub units: i64,
    pub packing: Packing,
    pub labelled: bool,
    pub sorted: bool,
    pub defect_marked: bool,
    pub photos: Vec<String>,
    pub outcome: ReceiptOutcome,
    pub refusal_reason: Option<String>,
    /// Who amended it since, oldest first.
    pub amended_by: Vec<Stamp>,
    /// Checks A–G raised now, in letter order; empty when the goods are as approved.
    pub checks: Vec<RaisedCheck>,
}

/// The re-inspection of one received unit.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct UnitInspection {
    pub id: String,
    /// The receipt's id.
    pub receipt: String,
    /// The unit's serial, or its position (1, 2, …) among units without one.
    pub unit: String,
    pub result: InspectionResult,
    pub inspected: Stamp,
}

/// A replenishment notice (补货通知) of an exchange and its approval.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Replenishment {
    pub id: String,
    pub requested: Stamp,
    pub note: String,
    pub steps: Vec<ApprovalStep>,
    pub approved: bool,
    pub rejected: bool,
}

/// The return-analysis report (退货分析改善报告) of a batch return.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ReturnAnalysis {
    pub recorded: Stamp,
    pub cause: String,
    pub actions: String,
    pub photos: Vec<String>,
}

/// One return or exchange of a case, read from every device's entries and HQ's decisions.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CaseReturn {
    /// The request's entry id: what `RequestReplenishment`, `ConfirmReplacement` and
    /// `RecordReturnAnalysis` take (the RMA number works there too).
    pub id: String,
    pub requested: Stamp,
    pub kind: ReturnKind,
    pub items: Vec<ReturnItem>,
    /// The units requested in all.
    pub units: i64,
    pub freight: Freight,
    pub why_not_on_site: String,
    pub window: ReturnWindow,
    pub window_override: Option<String>,
    pub state: ReturnState,
    /// `state` in the `setLocale` language.
    pub state_text: String,
    /// HQ's approval chain, step by step.
    pub steps: Vec<ApprovalStep>,
    /// The step (and its role) a decision is awaited from, while awaiting approval.
    pub waiting_for: Option<ChainStep>,
    pub rma: Option<RmaNumber>,
    /// Receipts of goods for this return, oldest first.
    pub receipts: Vec<ReturnReceipt>,
    /// Units taken in (accepted receipts) and distinct units re-inspected.
    pub units_received: i64,
    pub units_inspected: i64,
    pub inspections: Vec<UnitInspection>,
    /// When every unit taken in must be re-inspected by (end of that day, company time).
    pub reinspection_due: Option<Timestamp>,
    /// Re-inspection still awaited past `reinspection_due`, as of the call.
    pub reinspection_overdue: bool,
    pub replenishment: Vec<Replenishment>,
    /// When the customer confirmed receipt of the replacement.
    pub replacement_received: Option<Stamp>,
    /// A batch return needs `analysis` before the case can close.
    pub batch: bool,
    pub analysis: Option<ReturnAnalysis>,
}

impl TryFrom<ReturnItem> for core::ReturnItem {
    type Error = FieldError;

    fn try_from(i: ReturnItem) -> Result<core::ReturnItem, FieldError> {
        Ok(core::ReturnItem {
            quantity: unsigned::<u32>("quantity", i.quantity)?,
            model: i.model,
            serial: i.serial,
            reason: i.reason,
            fault: i.fault,
        })
    }
}

impl From<core::ReturnItem> for ReturnItem {
    fn from(i: core::ReturnItem) -> ReturnItem {
        ReturnItem {
            quantity: signed(i.quantity),
            model: i.model,
            serial: i.serial,
            reason: i.reason,
            fault: i.fault,
        }
    }
}

impl TryFrom<CountedItem> for core::CountedItem {
    type Error = FieldError;

    fn try_from(c: CountedItem) -> Result<core::CountedItem, FieldError> {
        Ok(core::CountedItem {
            quantity: unsigned::<u32>("quantity", c.quantity)?,
            model: c.model,
            serial: c.serial,
        })
    }
}

impl From<core::CountedItem> for CountedItem {
    fn from(c: core::CountedItem) -> CountedItem {
        CountedItem {
            quantity: signed(c.quantity),
            model: c.model,
            serial: c.serial,
        }
    }
}

fn counted_in(counted: Vec<CountedItem>) -> Result<Vec<core::CountedItem>, FieldError> {
    counted.into_iter().map(TryInto::try_into).collect()
}

impl TryFrom<ReturnRequest> for core::ReturnRequestInput {
    type Error = FieldError;

    fn try_from(r: ReturnRequest) -> Result<core::ReturnRequestInput, FieldError> {
        Ok(core::ReturnRequestInput {
            kind: r.kind,
            items: r
                .items
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()?,
            freight: r.freight,
            why_not_on_site: r.why_not_on_site,
            window_override: r.window_override,
        })
    }
}

impl TryFrom<ReceiptInput> for core::ReceiptInput {
    type Error = FieldError;

    fn try_from(r: ReceiptInput) -> Result<core::ReceiptInput, FieldError> {
        Ok(core::ReceiptInput {
            rma_number: r.rma_number,
            counted: counted_in(r.counted)?,
            packing: r.packing,
            labelled: r.labelled,
            sorted: r.sorted,
            defect_marked: r.defect_marked,
            photos: r.photos,
            notes: r.notes,
            outcome: r.outcome,
            refusal_reason: r.refusal_reason,
        })
    }
}

impl TryFrom<ReceiptAmendment> for core::ReceiptAmendment {
    type Error = FieldError;

    fn try_from(a: ReceiptAmendment) -> Result<core::ReceiptAmendment, FieldError> {
        Ok(core::ReceiptAmendment {
            receipt: a.receipt,
            counted: counted_in(a.counted)?,
            notes: a.notes,
            photos: a.photos,
        })
    }
}

fn steps(list: Vec<core::StepView>) -> Vec<ApprovalStep> {
    list.into_iter()
        .map(|s| ApprovalStep {
            step: s.step.step,
            role: s.step.role,
            decision: s.decision.map(|d| StepDecision {
                approved: d.approved,
                by: d.by,
                at: d.at,
                reason: d.reason,
                role: d.role,
            }),
        })
        .collect()
}

impl From<core::ReceiptView> for ReturnReceipt {
    fn from(r: core::ReceiptView) -> ReturnReceipt {
        let locale = current_locale();
        let checks = r
            .checks
            .iter()
            .map(|c| RaisedCheck {
                check: c.check,
                title: c.check.text(locale),
                reasons: r.reason_texts(c.check, locale),
                notes: c.notes.clone(),
            })
            .collect();
        ReturnReceipt {
            units: signed(r.units()),
            id: r.id,
            received: r.stamp.into(),
            rma_number: r.rma_number,
            counted: r.counted.into_iter().map(Into::into).collect(),
            packing: r.packing,
            labelled: r.labelled,
            sorted: r.sorted,
            defect_marked: r.defect_marked,
            photos: r.photos,
            outcome: r.outcome,
            refusal_reason: r.refusal_reason,
            amended_by: r.amended_by.into_iter().map(Into::into).collect(),
            checks,
        }
    }
}

impl CaseReturn {
    /// The record of the core's view of a return; `now` decides `reinspection_overdue`.
    pub(crate) fn new(v: core::ReturnView, now: Timestamp) -> CaseReturn {
        let locale = current_locale();
        CaseReturn {
            units: signed(v.units()),
            units_received: signed(v.units_received()),
            units_inspected: signed(v.units_inspected()),
            reinspection_overdue: v.reinspection_overdue(now),
            waiting_for: v.waiting_for().cloned(),
            state_text: v.state.text(locale),
            window: ReturnWindow {
                explanation: v.window.text(locale),
                within: v.window.within,
                home_region: v.window.home_region,
                months: signed(v.window.months),
                from: v.window.from,
                last_day: v.window.last_day,
                requested: v.window.requested,
            },
            id: v.id,
            requested: v.requested.into(),
            kind: v.kind,
            items: v.items.into_iter().map(Into::into).collect(),
            freight: v.freight,
            why_not_on_site: v.why_not_on_site,
            window_override: v.window_override,
            state: v.state,
            steps: steps(v.steps),
            rma: v.rma.map(|r| RmaNumber {
                number: r.number,
                issued_at: r.issued_at,
                by: r.by,
            }),
            receipts: v.receipts.into_iter().map(Into::into).collect(),
            inspections: v
                .inspections
                .into_iter()
                .map(|i| UnitInspection {
                    id: i.id,
                    receipt: i.body.receipt,
                    unit: i.body.unit,
                    result: i.body.result,
                    inspected: i.stamp.into(),
                })
                .collect(),
            reinspection_due: v.reinspection_due,
            replenishment: v
                .replenishment
                .into_iter()
                .map(|r| Replenishment {
                    id: r.id,
                    requested: r.stamp.into(),
                    note: r.note,
                    steps: steps(r.steps),
                    approved: r.approved,
                    rejected: r.rejected,
                })
                .collect(),
            replacement_received: v.replacement_received.map(Into::into),
            batch: v.batch,
            analysis: v.analysis.map(|a| ReturnAnalysis {
                recorded: a.stamp.into(),
                cause: a.cause,
                actions: a.actions,
                photos: a.photos,
            }),
        }
    }
}
