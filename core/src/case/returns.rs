//! Where each return or exchange of a case stands, read from its entries on devices (request,
//! receipts, re-inspections, replenishment, the customer's confirmation) and HQ's records
//! (the approval chain's decisions, the RMA number). Nothing of this state is stored: two
//! tablets' receipts, HQ's approval and a late sync all fold into the same answer on every
//! replica. A receipt typed with an RMA number this replica has no record of is checked
//! again when the record arrives, so its flag A clears by itself.

use serde::{Deserialize, Serialize};

use crate::case::records::{ApprovalRecord, Entry, EscalationKind, EscalationRecord, Stamp};
use crate::case::return_records::{
    CheckNote, CountedItem, Freight, InspectionBody, ReceiptBody, ReceiptInput, ReceiptOutcome,
    ReturnBody, ReturnItem, ReturnKind, RmaRecord,
};
use crate::locale::{Locale, Localized};
use crate::model::Timestamp;
use crate::rules::policy::Policies;
use crate::rules::returns::{
    Arrival, ChainState, ChainStep, CheckReason, Counted, Notice, ReceivingCheck, StepDecision,
    chain_state, is_batch, receiving_checks, reinspection_last_day,
};

/// Where a return stands; the first step not yet done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnState {
    /// Waiting for a step of the approval chain (see `waiting_for`).
    AwaitingApproval,
    /// Rejected at a step; the request ends (see the step's reason).
    Rejected,
    /// Approved with an RMA number; the goods have not been taken in.
    AwaitingGoods,
    /// Goods taken in; units wait for re-inspection.
    AwaitingInspection,
    /// A batch return waits for its return-analysis report.
    AwaitingAnalysis,
    /// An exchange waits for an approved replenishment notice.
    AwaitingReplenishment,
    /// The replacement is approved to ship; the customer has not confirmed receipt.
    AwaitingCustomer,
    /// Everything the procedure asks is done.
    Done,
}

impl ReturnState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReturnState::AwaitingApproval => "awaiting_approval",
            ReturnState::Rejected => "rejected",
            ReturnState::AwaitingGoods => "awaiting_goods",
            ReturnState::AwaitingInspection => "awaiting_inspection",
            ReturnState::AwaitingAnalysis => "awaiting_analysis",
            ReturnState::AwaitingReplenishment => "awaiting_replenishment",
            ReturnState::AwaitingCustomer => "awaiting_customer",
            ReturnState::Done => "done",
        }
    }

    /// Whether the return still holds the case open.
    pub fn is_open(self) -> bool {
        !matches!(self, ReturnState::Rejected | ReturnState::Done)
    }
}

impl Localized for ReturnState {
    fn text(&self, l: Locale) -> String {
        let (zh, en) = match self {
            ReturnState::AwaitingApproval => ("待审批", "awaiting approval"),
            ReturnState::Rejected => ("已驳回", "rejected"),
            ReturnState::AwaitingGoods => ("待收货", "awaiting the goods"),
            ReturnState::AwaitingInspection => ("待复检", "awaiting re-inspection"),
            ReturnState::AwaitingAnalysis => {
                ("待提交退货分析改善报告", "awaiting the analysis report")
            }
            ReturnState::AwaitingReplenishment => {
                ("待补货通知批准", "awaiting the replenishment notice")
            }
            ReturnState::AwaitingCustomer => {
                ("待客户确认收到换货", "awaiting the customer's receipt")
            }
            ReturnState::Done => ("已完成", "done"),
        };
        l.pick(zh, en).into()
    }
}

/// A receiving check raised on a receipt: by the goods (`reasons`), by hand (`notes`), or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaisedCheck {
    pub check: ReceivingCheck,
    /// What raised it, in English (as stored and sent); see [`ReceiptView::reason_texts`].
    pub reasons: Vec<String>,
    pub notes: Vec<CheckNote>,
}

/// A receipt with every amendment folded in and the checks it raises now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptView {
    pub id: String,
    pub stamp: Stamp,
    pub rma_number: Option<String>,
    pub counted: Vec<CountedItem>,
    pub packing: crate::rules::returns::Packing,
    pub labelled: bool,
    pub sorted: bool,
    pub defect_marked: bool,
    pub photos: Vec<String>,
    pub outcome: ReceiptOutcome,
    pub refusal_reason: Option<String>,
    /// Who amended it since, oldest first.
    pub amended_by: Vec<Stamp>,
    pub checks: Vec<RaisedCheck>,
    #[serde(skip)]
    reasons: Vec<(ReceivingCheck, CheckReason)>,
}

impl ReceiptView {
    pub fn units(&self) -> u32 {
        self.counted.iter().map(|c| c.quantity).sum()
    }

    pub fn flagged(&self, check: ReceivingCheck) -> bool {
        self.checks.iter().any(|c| c.check == check)
    }

    /// The derived reasons of `check` in `locale`.
    pub fn reason_texts(&self, check: ReceivingCheck, locale: Locale) -> Vec<String> {
        self.reasons
            .iter()
            .filter(|(c, _)| *c == check)
            .map(|(_, r)| r.text(locale))
            .collect()
    }
}

/// One step of an approval chain with its decision, when made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub step: ChainStep,
    pub decision: Option<ApprovalRecord>,
}

/// A replenishment notice (补货通知) and its approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplenishmentView {
    pub id: String,
    pub stamp: Stamp,
    pub note: String,
    pub steps: Vec<StepView>,
    pub approved: bool,
    pub rejected: bool,
}

/// The return-analysis report of a batch return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisView {
    pub stamp: Stamp,
    pub cause: String,
    pub actions: String,
    pub photos: Vec<String>,
}

/// One return or exchange of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnView {
    /// The request's entry id: the key of its approvals and RMA number.
    pub id: String,
    pub requested: Stamp,
    pub kind: ReturnKind,
    pub items: Vec<ReturnItem>,
    pub freight: Freight,
    pub why_not_on_site: String,
    pub window: crate::rules::returns::WindowCheck,
    pub window_override: Option<String>,
    pub steps: Vec<StepView>,
    pub rma: Option<RmaRecord>,
    pub receipts: Vec<ReceiptView>,
    pub inspections: Vec<Entry<InspectionBody>>,
    /// When re-inspection of the goods taken in is due (end of the day, company time).
    pub reinspection_due: Option<Timestamp>,
    pub replenishment: Vec<ReplenishmentView>,
    pub replacement_received: Option<Stamp>,
    pub batch: bool,
    pub analysis: Option<AnalysisView>,
    pub state: ReturnState,
}

impl ReturnView {
    pub fn units(&self) -> u32 {
        self.items.iter().map(|i| i.quantity).sum()
    }

    pub fn model(&self) -> &str {
        self.items.first().map(|i| i.model.as_str()).unwrap_or("")
    }

    /// The step waiting for a decision, if the chain is not through.
    pub fn waiting_for(&self) -> Option<&ChainStep> {
        match self.state {
            ReturnState::AwaitingApproval => self
                .steps
                .iter()
                .find(|s| s.decision.is_none())
                .map(|s| &s.step),
            _ => None,
        }
    }

    /// The units taken in (accepted receipts) and the distinct units re-inspected.
    pub fn units_received(&self) -> u32 {
        self.receipts
            .iter()
            .filter(|r| r.outcome == ReceiptOutcome::Accepted)
            .map(ReceiptView::units)
            .sum()
    }

    pub fn units_inspected(&self) -> u32 {
        let mut units: Vec<(&str, &str)> = self
            .inspections
            .iter()
            .map(|i| (i.body.receipt.as_str(), i.body.unit.as_str()))
            .collect();
        units.sort();
        units.dedup();
        units.len() as u32
    }

    /// Whether re-inspection is past due at `now`.
    pub fn reinspection_overdue(&self, now: Timestamp) -> bool {
        self.state == ReturnState::AwaitingInspection
            && self.reinspection_due.is_some_and(|due| now > due)
    }

    /// The replenishment notice waiting for HQ, if any.
    pub fn replenishment_waiting(&self) -> Option<&ReplenishmentView> {
        self.replenishment
            .iter()
            .find(|r| !r.approved && !r.rejected)
    }
}

/// What the case holds for its returns, read by [`returns_of`].
pub(crate) struct ReturnEntries<'a> {
    pub returns: &'a [Entry<ReturnBody>],
    pub receipts: &'a [Entry<ReceiptBody>],
    pub inspections: &'a [Entry<InspectionBody>],
    pub approvals: &'a [ApprovalRecord],
    pub rma: &'a [RmaRecord],
    pub escalations: &'a [EscalationRecord],
}

/// Every return of the case, oldest request first, the receipts that belong to none (no
/// number, or a number this replica has no record of: flag A) and the re-inspections of
/// those receipts' units.
pub(crate) fn returns_of(
    e: &ReturnEntries<'_>,
    policies: &Policies,
) -> (
    Vec<ReturnView>,
    Vec<ReceiptView>,
    Vec<Entry<InspectionBody>>,
) {
    let policy = &policies.returns;
    let zone = policies.deadlines.time_zone;
    let batch_fault = e
        .escalations
        .iter()
        .any(|x| x.kind == EscalationKind::BatchFault);
    let mut views: Vec<ReturnView> = e
        .returns
        .iter()
        .filter_map(|entry| match &entry.body {
            ReturnBody::Requested {
                return_kind,
                items,
                freight,
                why_not_on_site,
                window,
                window_override,
            } => {
                let units = items.iter().map(|i| i.quantity).sum();
                Some(ReturnView {
                    id: entry.id.clone(),
                    requested: entry.stamp.clone(),
                    kind: *return_kind,
                    items: items.clone(),
                    freight: *freight,
                    why_not_on_site: why_not_on_site.clone(),
                    window: window.clone(),
                    window_override: window_override.clone(),
                    steps: steps(&policy.chain, &entry.id, e.approvals),
                    rma: e.rma.iter().find(|r| r.request == entry.id).cloned(),
                    receipts: Vec::new(),
                    inspections: Vec::new(),
                    reinspection_due: None,
                    replenishment: Vec::new(),
                    replacement_received: None,
                    batch: is_batch(policy, units, batch_fault),
                    analysis: None,
                    state: ReturnState::AwaitingApproval,
                })
            }
            _ => None,
        })
        .collect();
    for entry in e.returns {
        let request = match &entry.body {
            ReturnBody::Requested { .. } => continue,
            ReturnBody::ReplenishmentRequested { request, .. }
            | ReturnBody::ReplacementReceived { request, .. }
            | ReturnBody::AnalysisReport { request, .. } => request,
        };
        // A step recorded for a request this replica does not hold (yet) waits for it.
        let Some(view) = views.iter_mut().find(|v| &v.id == request) else {
            continue;
        };
        match &entry.body {
            ReturnBody::ReplenishmentRequested { note, .. } => {
                view.replenishment.push(ReplenishmentView {
                    id: entry.id.clone(),
                    stamp: entry.stamp.clone(),
                    note: note.clone(),
                    steps: steps(&policy.replenishment_chain, &entry.id, e.approvals),
                    approved: false,
                    rejected: false,
                });
            }
            ReturnBody::ReplacementReceived { .. } => {
                view.replacement_received.get_or_insert(entry.stamp.clone());
            }
            ReturnBody::AnalysisReport {
                cause,
                actions,
                photos,
                ..
            } => {
                view.analysis = Some(AnalysisView {
                    stamp: entry.stamp.clone(),
                    cause: cause.clone(),
                    actions: actions.clone(),
                    photos: photos.clone(),
                });
            }
            ReturnBody::Requested { .. } => {}
        }
    }
    for r in views.iter_mut().flat_map(|v| v.replenishment.iter_mut()) {
        match chain_state_of(&r.steps) {
            ChainState::Approved => r.approved = true,
            ChainState::Rejected { .. } => r.rejected = true,
            ChainState::Waiting(_) => {}
        }
    }

    let mut unmatched = Vec::new();
    for receipt in e.receipts {
        let ReceiptBody::Received(input) = &receipt.body else {
            continue;
        };
        let amendments: Vec<&Entry<ReceiptBody>> = e
            .receipts
            .iter()
            .filter(|a| matches!(&a.body, ReceiptBody::Amended(x) if x.receipt == receipt.id))
            .collect();
        let target = receipt_target(&views, input);
        let (current, older): (Option<usize>, Vec<String>) = match target {
            Target::Return { index, older } => (Some(index), older.into_iter().collect()),
            Target::None => (None, Vec::new()),
        };
        let view = receipt_view(
            receipt,
            input,
            &amendments,
            current.map(|i| &views[i]),
            &older,
        );
        match current {
            Some(i) => views[i].receipts.push(view),
            None => unmatched.push(view),
        }
    }
    for view in &mut views {
        let ids: Vec<&str> = view.receipts.iter().map(|r| r.id.as_str()).collect();
        view.inspections = e
            .inspections
            .iter()
            .filter(|i| ids.contains(&i.body.receipt.as_str()))
            .cloned()
            .collect();
        view.reinspection_due = view
            .receipts
            .iter()
            .filter(|r| r.outcome == ReceiptOutcome::Accepted)
            .map(|r| r.stamp.at)
            .min()
            .and_then(|arrived| reinspection_last_day(policy, zone.date_of(arrived)))
            .and_then(|last| zone.end_of_day(last));
        view.state = state_of(view);
    }
    let unmatched_inspections = e
        .inspections
        .iter()
        .filter(|i| unmatched.iter().any(|r| r.id == i.body.receipt))
        .cloned()
        .collect();
    (views, unmatched, unmatched_inspections)
}

/// The receipt `input` would be if recorded now with `stamp`, checked against the returns
/// `view` holds: what the device shows before the receiver saves it, and what decides whether
/// the goods may be refused at the door.
pub(crate) fn preview_receipt(
    view: &crate::case::view::CaseView,
    stamp: Stamp,
    input: &ReceiptInput,
) -> ReceiptView {
    let entry = Entry {
        id: String::new(),
        stamp,
        body: ReceiptBody::Received(input.clone()),
    };
    let (target, older) = match receipt_target(&view.returns, input) {
        Target::Return { index, older } => {
            (Some(&view.returns[index]), older.into_iter().collect())
        }
        Target::None => (None, Vec::new()),
    };
    receipt_view(&entry, input, &[], target, &older)
}

fn steps(chain: &[ChainStep], request: &str, approvals: &[ApprovalRecord]) -> Vec<StepView> {
    chain
        .iter()
        .map(|step| StepView {
            step: step.clone(),
            decision: approvals
                .iter()
                .find(|a| a.request == request && a.step.as_deref() == Some(step.step.as_str()))
                .cloned(),
        })
        .collect()
}

fn chain_state_of(steps: &[StepView]) -> ChainState {
    let chain: Vec<ChainStep> = steps.iter().map(|s| s.step.clone()).collect();
    let decisions: Vec<StepDecision<'_>> = steps
        .iter()
        .filter_map(|s| {
            s.decision.as_ref().map(|d| StepDecision {
                step: s.step.step.as_str(),
                approved: d.approved,
            })
        })
        .collect();
    chain_state(&chain, &decisions)
}

fn state_of(v: &ReturnView) -> ReturnState {
    match chain_state_of(&v.steps) {
        ChainState::Rejected { .. } => return ReturnState::Rejected,
        ChainState::Waiting(_) if v.rma.is_none() => return ReturnState::AwaitingApproval,
        // The number is HQ's word that the chain is through, even if this replica reads a
        // policy with a longer chain than the one HQ decided under.
        _ => {}
    }
    if v.rma.is_none() {
        return ReturnState::AwaitingApproval;
    }
    let received = v.units_received();
    if received == 0 {
        return ReturnState::AwaitingGoods;
    }
    if v.units_inspected() < received {
        return ReturnState::AwaitingInspection;
    }
    if v.batch && v.analysis.is_none() {
        return ReturnState::AwaitingAnalysis;
    }
    if v.kind == ReturnKind::Exchange {
        if !v.replenishment.iter().any(|r| r.approved) {
            return ReturnState::AwaitingReplenishment;
        }
        if v.replacement_received.is_none() {
            return ReturnState::AwaitingCustomer;
        }
    }
    ReturnState::Done
}

enum Target {
    /// The receipt belongs to the return at `index`; `older` is the older RMA number the
    /// goods carry instead of that return's.
    Return {
        index: usize,
        older: Option<String>,
    },
    None,
}

/// Which return a receipt belongs to. A number matching a return's RMA belongs to it, unless
/// a newer return of the case with its own number still waits for goods: then the goods carry
/// an older number (flag F) and belong to the newer return. Goods without a number belong to
/// the one return waiting for goods, if exactly one is (flag A); a number with no record here
/// belongs to none until the record arrives (flag A).
fn receipt_target(views: &[ReturnView], input: &ReceiptInput) -> Target {
    let waiting = |v: &ReturnView| v.rma.is_some() && v.units_received() == 0;
    let typed = input
        .rma_number
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    match typed {
        Some(n) => {
            let Some(index) = views.iter().position(|v| {
                v.rma
                    .as_ref()
                    .is_some_and(|r| r.number.eq_ignore_ascii_case(n))
            }) else {
                return Target::None;
            };
            let newer = views
                .iter()
                .enumerate()
                .skip(index + 1)
                .filter(|(_, v)| waiting(v))
                .map(|(i, _)| i)
                .next_back();
            match newer {
                Some(newer) => Target::Return {
                    index: newer,
                    older: Some(n.to_owned()),
                },
                None => Target::Return { index, older: None },
            }
        }
        None => {
            let mut open = views.iter().enumerate().filter(|(_, v)| waiting(v));
            match (open.next(), open.next()) {
                (Some((index, _)), None) => Target::Return { index, older: None },
                _ => Target::None,
            }
        }
    }
}

fn receipt_view(
    entry: &Entry<ReceiptBody>,
    input: &ReceiptInput,
    amendments: &[&Entry<ReceiptBody>],
    target: Option<&ReturnView>,
    older: &[String],
) -> ReceiptView {
    let mut counted = input.counted.clone();
    let mut notes = input.notes.clone();
    let mut photos = input.photos.clone();
    let mut amended_by = Vec::new();
    for a in amendments {
        if let ReceiptBody::Amended(x) = &a.body {
            counted.extend(x.counted.iter().cloned());
            notes.extend(x.notes.iter().cloned());
            photos.extend(
                x.photos
                    .iter()
                    .filter(|p| !photos.contains(p))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            amended_by.push(a.stamp.clone());
        }
    }
    let notice = target.and_then(|v| {
        v.rma.as_ref().map(|rma| Notice {
            number: rma.number.as_str(),
            model: v.model(),
            quantity: v.units(),
            serials: v.items.iter().filter_map(|i| i.serial.as_deref()).collect(),
        })
    });
    let arrival = Arrival {
        number: input.rma_number.as_deref(),
        counted: counted
            .iter()
            .map(|c| Counted {
                model: c.model.as_str(),
                serial: c.serial.as_deref(),
                quantity: c.quantity,
            })
            .collect(),
        packing: input.packing,
        labelled: input.labelled,
        sorted: input.sorted,
        defect_marked: input.defect_marked,
    };
    let older: Vec<&str> = older.iter().map(String::as_str).collect();
    let raised = receiving_checks(&arrival, notice.as_ref(), &older);
    let reasons: Vec<(ReceivingCheck, CheckReason)> =
        raised.into_iter().map(|r| (r.check, r.why)).collect();
    let checks = ReceivingCheck::ALL
        .into_iter()
        .filter_map(|check| {
            let why: Vec<String> = reasons
                .iter()
                .filter(|(c, _)| *c == check)
                .map(|(_, r)| r.text(Locale::En))
                .collect();
            let by_hand: Vec<CheckNote> =
                notes.iter().filter(|n| n.check == check).cloned().collect();
            (!why.is_empty() || !by_hand.is_empty()).then_some(RaisedCheck {
                check,
                reasons: why,
                notes: by_hand,
            })
        })
        .collect();
    ReceiptView {
        id: entry.id.clone(),
        stamp: entry.stamp.clone(),
        rma_number: input.rma_number.clone(),
        counted,
        packing: input.packing,
        labelled: input.labelled,
        sorted: input.sorted,
        defect_marked: input.defect_marked,
        photos,
        outcome: input.outcome,
        refusal_reason: input.refusal_reason.clone(),
        amended_by,
        checks,
        reasons,
    }
}
