//! Planning the commands of returns and exchanges: the request (with the return window), the
//! receipt at the door and its amendments, the re-inspection of each unit, the replenishment
//! notice, the customer's receipt of the replacement and the return-analysis report. All of
//! them work offline; HQ's decisions (the approval chain, the RMA number) arrive by sync.

use crate::case::commands::Context;
use crate::case::document::Collection;
use crate::case::plan::{Draft, not_closed, photos_on_case, push_entry};
use crate::case::return_records::{
    CheckNote, CountedItem, InspectionBody, InspectionResult, ReceiptAmendment, ReceiptBody,
    ReceiptInput, ReceiptOutcome, ReturnBody, ReturnKind, ReturnRequestInput,
};
use crate::case::returns::{ReceiptView, ReturnState, ReturnView, preview_receipt};
use crate::case::summary::Summary;
use crate::case::view::CaseView;
use crate::error::{Error, Invalid, Result};
use crate::rules::lifecycle::Step;
use crate::rules::returns::{self, ReceivingCheck};
use crate::rules::validate::{self, SHORT_TEXT};

/// How many lines a request or a count may have: more than a pallet's worth of separate lines
/// is a data-entry mistake, not a return.
const MAX_LINES: usize = 200;
/// The most units one line may count.
const MAX_UNITS: u32 = 100_000;

fn has_returns(view: &CaseView) -> Result<()> {
    if view.has_returns {
        Ok(())
    } else {
        Err(Error::validation("case", Invalid::CaseBeforeReturns))
    }
}

pub(super) fn request_return(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    input: &ReturnRequestInput,
) -> Result<Summary> {
    not_closed(view, Step::RequestReturn)?;
    has_returns(view)?;
    if input.items.is_empty() {
        return Err(Error::validation("items", Invalid::AtLeastOne));
    }
    if input.items.len() > MAX_LINES {
        return Err(Error::validation(
            "items",
            Invalid::TooMany { max: MAX_LINES },
        ));
    }
    for item in &input.items {
        validate::required("model", &item.model, SHORT_TEXT)?;
        if let Some(serial) = &item.serial {
            validate::required("serial_number", serial, SHORT_TEXT)?;
        }
        units("quantity", item.quantity)?;
        validate::text("reason", &item.reason)?;
        validate::text("fault", &item.fault)?;
    }
    // One RMA number is for one product: the procedure flags goods of several products under
    // one number (check E), so a request never asks for that.
    let model = input.items[0].model.trim();
    if input
        .items
        .iter()
        .any(|i| !i.model.trim().eq_ignore_ascii_case(model))
    {
        return Err(Error::validation("items", Invalid::OneModelPerReturn));
    }
    validate::text("why_not_on_site", &input.why_not_on_site)?;
    let override_reason = input
        .window_override
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    validate::optional_text("window_override", override_reason)?;
    let r = &view.registration;
    let zone = ctx.policies.deadlines.time_zone;
    let window = returns::window(
        &ctx.policies.returns,
        r.home_region,
        r.purchase_date,
        zone.date_of(ctx.at),
    );
    if !window.within && override_reason.is_none() {
        return Err(Error::validation(
            "window_override",
            Invalid::OutsideReturnWindow(window),
        ));
    }
    let units: u32 = input.items.iter().map(|i| i.quantity).sum();
    let within = window.within;
    let mut items = input.items.clone();
    for item in &mut items {
        item.model = item.model.trim().to_owned();
        item.serial = item.serial.as_ref().map(|s| s.trim().to_owned());
    }
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Returns,
        ReturnBody::Requested {
            return_kind: input.kind,
            items,
            freight: input.freight,
            why_not_on_site: input.why_not_on_site.clone(),
            window,
            window_override: override_reason.map(str::to_owned),
        },
    )?);
    Ok(Summary::ReturnRequested {
        kind: input.kind,
        model: model.to_owned(),
        units,
        within_window: within,
    })
}

pub(super) fn receive_return(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    input: &ReceiptInput,
) -> Result<Summary> {
    has_returns(view)?;
    if let Some(number) = &input.rma_number {
        validate::required("rma_number", number, SHORT_TEXT)?;
    }
    goods(view, &input.counted, &input.notes, &input.photos)?;
    let mut input = input.clone();
    input.rma_number = input.rma_number.map(|n| n.trim().to_owned());
    match input.outcome {
        ReceiptOutcome::Refused => {
            let reason = input.refusal_reason.as_deref().unwrap_or("");
            validate::text("refusal_reason", reason)?;
        }
        ReceiptOutcome::Accepted => {
            validate::optional_text("refusal_reason", input.refusal_reason.as_deref())?;
            if input.counted.is_empty() {
                return Err(Error::validation("counted", Invalid::AtLeastOne));
            }
        }
    }
    // The checks as this device sees them now: goods may be refused at the door only for
    // A to D, whether the goods raise them or the receiver noted them.
    let checks = checks_now(view, ctx, &input);
    if input.outcome == ReceiptOutcome::Refused && !checks.iter().any(|c| c.allows_refusal()) {
        return Err(Error::validation("outcome", Invalid::RefusalNeedsCheck));
    }
    let summary = Summary::GoodsReceived {
        rma_number: input.rma_number.clone(),
        units: input.counted.iter().map(|c| c.quantity).sum(),
        outcome: input.outcome,
        checks: letters(&checks),
    };
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Receipts,
        ReceiptBody::Received(input),
    )?);
    Ok(summary)
}

pub(super) fn amend_receipt(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    amendment: &ReceiptAmendment,
) -> Result<Summary> {
    has_returns(view)?;
    let receipt = receipt(view, &amendment.receipt)?;
    if amendment.counted.is_empty() && amendment.notes.is_empty() && amendment.photos.is_empty() {
        return Err(Error::validation("update", Invalid::NothingToUpdate));
    }
    goods(
        view,
        &amendment.counted,
        &amendment.notes,
        &amendment.photos,
    )?;
    let units = receipt.units() + amendment.counted.iter().map(|c| c.quantity).sum::<u32>();
    let mut letters_now: Vec<ReceivingCheck> = receipt.checks.iter().map(|c| c.check).collect();
    letters_now.extend(amendment.notes.iter().map(|n| n.check));
    letters_now.sort();
    letters_now.dedup();
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Receipts,
        ReceiptBody::Amended(amendment.clone()),
    )?);
    Ok(Summary::ReceiptAmended {
        units,
        checks: letters(&letters_now),
    })
}

pub(super) fn inspect_unit(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    receipt_id: &str,
    unit: &str,
    result: &InspectionResult,
) -> Result<Summary> {
    has_returns(view)?;
    let receipt = receipt(view, receipt_id)?;
    if receipt.outcome == ReceiptOutcome::Refused {
        return Err(Error::validation("receipt", Invalid::ReceiptRefused));
    }
    let unit = unit.trim();
    validate::required("unit", unit, SHORT_TEXT)?;
    let serials: Vec<&str> = receipt
        .counted
        .iter()
        .filter_map(|c| c.serial.as_deref())
        .collect();
    let by_position = unit
        .parse::<u32>()
        .is_ok_and(|n| n >= 1 && n <= receipt.units());
    if !serials.iter().any(|s| s.trim() == unit) && !by_position {
        return Err(Error::validation("unit", Invalid::UnitNotReceived));
    }
    let inspected = view
        .returns
        .iter()
        .flat_map(|r| &r.inspections)
        .chain(&view.unmatched_inspections)
        .any(|i| i.body.receipt == receipt.id && i.body.unit == unit);
    if inspected {
        return Err(Error::validation("unit", Invalid::UnitAlreadyInspected));
    }
    let good = match result {
        InspectionResult::Good { restocked_to } => {
            validate::required("restocked_to", restocked_to, SHORT_TEXT)?;
            true
        }
        InspectionResult::Bad {
            reason,
            nonconformance,
        } => {
            validate::text("reason", reason)?;
            if let Some(n) = nonconformance {
                validate::required("nonconformance", n, SHORT_TEXT)?;
            }
            false
        }
    };
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Inspections,
        InspectionBody {
            receipt: receipt.id.clone(),
            unit: unit.to_owned(),
            result: result.clone(),
        },
    )?);
    Ok(Summary::UnitInspected {
        unit: unit.to_owned(),
        good,
    })
}

pub(super) fn request_replenishment(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    request: &str,
    note: &str,
) -> Result<Summary> {
    not_closed(view, Step::RequestReturn)?;
    has_returns(view)?;
    let r = return_of(view, request)?;
    if r.kind != ReturnKind::Exchange {
        return Err(Error::validation("request", Invalid::NotAnExchange));
    }
    if r.state == ReturnState::Rejected {
        return Err(Error::validation("request", Invalid::ReturnRejected));
    }
    if r.replenishment_waiting().is_some() || r.replenishment.iter().any(|n| n.approved) {
        return Err(Error::validation(
            "request",
            Invalid::ReplenishmentAlreadyRequested,
        ));
    }
    validate::text("note", note)?;
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Returns,
        ReturnBody::ReplenishmentRequested {
            request: r.id.clone(),
            note: note.to_owned(),
        },
    )?);
    Ok(Summary::ReplenishmentRequested)
}

pub(super) fn confirm_replacement(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    request: &str,
    note: &str,
) -> Result<Summary> {
    has_returns(view)?;
    let r = return_of(view, request)?;
    if !r.replenishment.iter().any(|n| n.approved) {
        return Err(Error::validation(
            "request",
            Invalid::ReplenishmentNotApproved,
        ));
    }
    if r.replacement_received.is_some() {
        return Err(Error::validation(
            "request",
            Invalid::ReplacementAlreadyConfirmed,
        ));
    }
    validate::optional_text("note", Some(note))?;
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Returns,
        ReturnBody::ReplacementReceived {
            request: r.id.clone(),
            note: note.to_owned(),
        },
    )?);
    Ok(Summary::ReplacementConfirmed)
}

pub(super) fn record_analysis(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    request: &str,
    cause: &str,
    actions: &str,
    photos: &[String],
) -> Result<Summary> {
    has_returns(view)?;
    let r = return_of(view, request)?;
    validate::text("cause", cause)?;
    validate::text("actions", actions)?;
    case_photos(view, photos)?;
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Returns,
        ReturnBody::AnalysisReport {
            request: r.id.clone(),
            cause: cause.to_owned(),
            actions: actions.to_owned(),
            photos: photos.to_vec(),
        },
    )?);
    Ok(Summary::ReturnAnalysisRecorded {
        cause: cause.to_owned(),
    })
}

/// Closing waits for every return: refused while one is open, naming it and what it waits for.
pub(super) fn no_open_return(view: &CaseView) -> Result<()> {
    match view.returns.iter().find(|r| r.state.is_open()) {
        Some(r) => Err(Error::validation(
            "status",
            Invalid::ReturnOpen {
                rma_number: r.rma.as_ref().map(|n| n.number.clone()),
                state: r.state,
            },
        )),
        None => Ok(()),
    }
}

fn return_of<'a>(view: &'a CaseView, request: &str) -> Result<&'a ReturnView> {
    let request = request.trim();
    view.returns
        .iter()
        .find(|r| {
            r.id == request
                || r.rma
                    .as_ref()
                    .is_some_and(|n| n.number.eq_ignore_ascii_case(request))
        })
        .ok_or_else(|| Error::EntryNotFound(request.to_owned()))
}

fn receipt<'a>(view: &'a CaseView, id: &str) -> Result<&'a ReceiptView> {
    view.returns
        .iter()
        .flat_map(|r| &r.receipts)
        .chain(&view.unmatched_receipts)
        .find(|r| r.id == id.trim())
        .ok_or_else(|| Error::EntryNotFound(id.trim().to_owned()))
}

fn units(field: &'static str, quantity: u32) -> Result<()> {
    if quantity == 0 {
        return Err(Error::validation(field, Invalid::AtLeastOne));
    }
    if quantity > MAX_UNITS {
        return Err(Error::validation(
            field,
            Invalid::TooMany {
                max: MAX_UNITS as usize,
            },
        ));
    }
    Ok(())
}

fn counted_lines(counted: &[CountedItem]) -> Result<()> {
    if counted.len() > MAX_LINES {
        return Err(Error::validation(
            "counted",
            Invalid::TooMany { max: MAX_LINES },
        ));
    }
    for c in counted {
        validate::required("model", &c.model, SHORT_TEXT)?;
        if let Some(serial) = &c.serial {
            validate::required("serial_number", serial, SHORT_TEXT)?;
        }
        units("quantity", c.quantity)?;
    }
    Ok(())
}

/// What a receipt or an amendment records of the goods: counted lines, notes, photos.
fn goods(
    view: &CaseView,
    counted: &[CountedItem],
    notes: &[CheckNote],
    photos: &[String],
) -> Result<()> {
    counted_lines(counted)?;
    check_notes(view, notes)?;
    case_photos(view, photos)
}

fn case_photos(view: &CaseView, photos: &[String]) -> Result<()> {
    validate::photo_hashes("photos", photos)?;
    photos_on_case(view, "photos", photos)
}

fn check_notes(view: &CaseView, notes: &[CheckNote]) -> Result<()> {
    if notes.len() > MAX_LINES {
        return Err(Error::validation(
            "notes",
            Invalid::TooMany { max: MAX_LINES },
        ));
    }
    for n in notes {
        validate::text("note", &n.note)?;
        if let Some(photo) = &n.photo {
            validate::photo_hash("photos", photo)?;
            photos_on_case(view, "photos", std::slice::from_ref(photo))?;
        }
    }
    Ok(())
}

/// The checks the receipt raises against what this device holds, as the view will read it:
/// the receipt is folded into a copy of the returns the same way [`crate::case::returns`]
/// folds every stored receipt.
fn checks_now(view: &CaseView, ctx: &Context<'_>, input: &ReceiptInput) -> Vec<ReceivingCheck> {
    preview_receipt(view, ctx.stamp(), input)
        .checks
        .iter()
        .map(|c| c.check)
        .collect()
}

fn letters(checks: &[ReceivingCheck]) -> String {
    checks.iter().map(|c| c.letter()).collect()
}
