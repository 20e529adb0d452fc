//! The `rma` commands: each command line becomes one core command on the case (or, for
//! `show`, a read of its returns), and the result names the return it concerns, where it
//! stands and what it waits for; a receipt shows the checks A–G it raises. Command-line text
//! (counted goods, check notes) is parsed before the database is opened, so a bad value
//! writes nothing.

use fieldcore::{
    CaseId, CaseView, CheckNote, Command, CountedItem, InspectionResult, ReceiptAmendment,
    ReceiptInput, ReceiptOutcome, ReceiptView, ReturnItem, ReturnRequestInput, ReturnView, Store,
    Timestamp,
};
use serde_json::{Map, Value, json};

use super::text;
use crate::args::{
    CaseRef, CheckNoteArgs, ReceiptRef, ReturnRef, RmaAmendArgs, RmaCommand, RmaInspectArgs,
    RmaReceiveArgs, RmaRequestArgs,
};
use crate::device::{Env, event_summary};
use crate::error::{CliError, Result};
use crate::input;
use crate::output::{Printer, status_line, to_value, view_json};
use crate::reason::Reason;

/// Runs one `rma` subcommand.
pub fn run(env: &Env, command: RmaCommand, out: &Printer) -> Result<()> {
    match command {
        RmaCommand::Request(args) => request(env, args, out),
        RmaCommand::Receive(args) => receive(env, args, out),
        RmaCommand::Amend(args) => amend(env, args, out),
        RmaCommand::Inspect(args) => inspect(env, args, out),
        RmaCommand::Replenish {
            case,
            request,
            note,
        } => on_return(env, &case, &request, out, |request| {
            Command::RequestReplenishment { request, note }
        }),
        RmaCommand::Replacement {
            case,
            request,
            note,
        } => on_return(env, &case, &request, out, |request| {
            Command::ConfirmReplacement { request, note }
        }),
        RmaCommand::Analysis {
            case,
            request,
            cause,
            actions,
            photos,
        } => on_return(env, &case, &request, out, |request| {
            Command::RecordReturnAnalysis {
                request,
                cause,
                actions,
                photos,
            }
        }),
        RmaCommand::Show(case) => show(env, &case, out),
    }
}

/// What a command's result is about: a return (by request id) or a receipt (by its id).
enum Focus {
    Return(String),
    Receipt(String),
}

fn open(env: &Env, case: &CaseRef) -> Result<(Store, CaseId, CaseView)> {
    let mut store = env.open_existing()?;
    let id = store.find(&case.case)?;
    let view = store.case(id)?;
    Ok((store, id, view))
}

fn request(env: &Env, args: RmaRequestArgs, out: &Printer) -> Result<()> {
    let (mut store, id, view) = open(env, &args.case)?;
    // What the case already knows fills what the request leaves out: the product and fault as
    // registered, the registered unit when no serial or count is given.
    let r = &view.registration;
    let model = args.model.unwrap_or_else(|| r.product_model.clone());
    let fault = args.fault.unwrap_or_else(|| r.fault_description.clone());
    let item = |serial: Option<String>, quantity: u32| ReturnItem {
        model: model.clone(),
        serial,
        quantity,
        reason: args.reason.clone(),
        fault: fault.clone(),
    };
    let items = match (args.serials.is_empty(), args.qty) {
        (false, _) => args.serials.into_iter().map(|s| item(Some(s), 1)).collect(),
        (true, Some(qty)) => vec![item(None, qty)],
        (true, None) => vec![item(Some(r.serial_number.clone()), 1)],
    };
    let input = ReturnRequestInput {
        kind: args.kind.into(),
        items,
        freight: args.freight.into(),
        why_not_on_site: args.why_not_on_site,
        window_override: args.override_window,
    };
    let command = Command::RequestReturn(input);
    let (view, entry) = execute(&mut store, id, &command)?;
    let focus = Focus::Return(entry.clone().unwrap_or_default());
    done(out, &store, &view, &command, entry.as_deref(), &focus)
}

fn receive(env: &Env, args: RmaReceiveArgs, out: &Printer) -> Result<()> {
    let (counted, notes) = goods(&args.counted, &args.notes)?;
    let input = ReceiptInput {
        rma_number: args.rma_number,
        counted,
        packing: args.packing.into(),
        labelled: !args.unlabelled,
        sorted: !args.unsorted,
        defect_marked: !args.no_defect_marking,
        photos: args.notes.photos,
        notes,
        outcome: if args.refuse.is_some() {
            ReceiptOutcome::Refused
        } else {
            ReceiptOutcome::Accepted
        },
        refusal_reason: args.refuse,
    };
    let (mut store, id, _) = open(env, &args.case)?;
    let command = Command::ReceiveReturn(input);
    let (view, entry) = execute(&mut store, id, &command)?;
    let focus = Focus::Receipt(entry.clone().unwrap_or_default());
    done(out, &store, &view, &command, entry.as_deref(), &focus)
}

fn amend(env: &Env, args: RmaAmendArgs, out: &Printer) -> Result<()> {
    let (counted, notes) = goods(&args.counted, &args.notes)?;
    let (mut store, id, view) = open(env, &args.case)?;
    let receipt = receipt_of(&view, &args.receipt)?;
    let command = Command::AmendReceipt(ReceiptAmendment {
        receipt: receipt.clone(),
        counted,
        notes,
        photos: args.notes.photos,
    });
    let (view, entry) = execute(&mut store, id, &command)?;
    done(
        out,
        &store,
        &view,
        &command,
        entry.as_deref(),
        &Focus::Receipt(receipt),
    )
}

fn inspect(env: &Env, args: RmaInspectArgs, out: &Printer) -> Result<()> {
    let result = match (args.result.restock, args.result.scrap) {
        (Some(restocked_to), _) => InspectionResult::Good { restocked_to },
        (None, Some(reason)) => InspectionResult::Bad {
            reason,
            nonconformance: args.nonconformance,
        },
        // Clap's group requires exactly one of the two.
        (None, None) => {
            return Err(CliError::invalid("result", Reason::Empty));
        }
    };
    let (mut store, id, view) = open(env, &args.case)?;
    let receipt = receipt_of(&view, &args.receipt)?;
    let command = Command::InspectReturnUnit {
        receipt: receipt.clone(),
        unit: args.unit,
        result,
    };
    let (view, entry) = execute(&mut store, id, &command)?;
    done(
        out,
        &store,
        &view,
        &command,
        entry.as_deref(),
        &Focus::Receipt(receipt),
    )
}

/// A command on one return of the case, named by `--request` or the case's only one.
fn on_return(
    env: &Env,
    case: &CaseRef,
    request: &ReturnRef,
    out: &Printer,
    command: impl FnOnce(String) -> Command,
) -> Result<()> {
    let (mut store, id, view) = open(env, case)?;
    let request = return_of(&view, request)?;
    let command = command(request.clone());
    let (view, entry) = execute(&mut store, id, &command)?;
    done(
        out,
        &store,
        &view,
        &command,
        entry.as_deref(),
        &Focus::Return(request),
    )
}

/// The counted goods and the check notes a receipt or an amendment was given.
fn goods(counted: &[String], notes: &CheckNoteArgs) -> Result<(Vec<CountedItem>, Vec<CheckNote>)> {
    let counted = counted
        .iter()
        .map(|c| input::counted(c))
        .collect::<Result<Vec<_>>>()?;
    Ok((
        counted,
        input::check_notes(&notes.notes, &notes.note_photos)?,
    ))
}

fn execute(store: &mut Store, id: CaseId, command: &Command) -> Result<(CaseView, Option<String>)> {
    let (view, applied) = store.execute(id, command)?;
    Ok((view, applied.entry_id))
}

/// The request id of the return `--request` names (its RMA number or id, passed on for the
/// core to find), or of the case's only return.
fn return_of(view: &CaseView, request: &ReturnRef) -> Result<String> {
    if let Some(r) = &request.request {
        return Ok(r.trim().to_owned());
    }
    match view.returns.as_slice() {
        [] => Err(CliError::invalid("request", Reason::NoReturn)),
        [one] => Ok(one.id.clone()),
        several => Err(CliError::invalid(
            "request",
            Reason::WhichReturn {
                choices: several.iter().map(return_name).collect(),
            },
        )),
    }
}

/// A return as people name it: its RMA number once HQ issued one, else its request id.
fn return_name(r: &ReturnView) -> String {
    r.rma
        .as_ref()
        .map_or_else(|| r.id.clone(), |n| n.number.clone())
}

fn all_receipts(view: &CaseView) -> impl Iterator<Item = &ReceiptView> {
    view.returns
        .iter()
        .flat_map(|r| &r.receipts)
        .chain(&view.unmatched_receipts)
}

/// The id of the receipt `--receipt` names (its id or an unambiguous prefix), or of the
/// case's only receipt.
fn receipt_of(view: &CaseView, receipt: &ReceiptRef) -> Result<String> {
    let Some(prefix) = receipt.receipt.as_deref().map(str::trim) else {
        let ids: Vec<String> = all_receipts(view).map(|r| r.id.clone()).collect();
        return match ids.as_slice() {
            [] => Err(CliError::invalid("receipt", Reason::NoReceipt)),
            [one] => Ok(one.clone()),
            _ => Err(CliError::invalid(
                "receipt",
                Reason::WhichReceipt { choices: ids },
            )),
        };
    };
    if let Some(exact) = all_receipts(view).find(|r| r.id == prefix) {
        return Ok(exact.id.clone());
    }
    let mut matches = all_receipts(view).filter(|r| !prefix.is_empty() && r.id.starts_with(prefix));
    match (matches.next(), matches.next()) {
        (Some(one), None) => Ok(one.id.clone()),
        (None, _) => Err(CliError::invalid(
            "receipt",
            Reason::NoReceiptStartsWith {
                prefix: prefix.to_owned(),
            },
        )),
        (Some(_), Some(_)) => Err(CliError::invalid("receipt", Reason::SeveralReceiptsMatch)),
    }
}

/// The return a result is about, and the receipt when it is about one. A receipt that
/// belongs to no return yet (flag A) has none.
fn focused<'a>(
    view: &'a CaseView,
    focus: &Focus,
) -> (Option<&'a ReturnView>, Option<&'a ReceiptView>) {
    match focus {
        Focus::Return(id) => {
            let r = view.returns.iter().find(|r| {
                &r.id == id
                    || r.rma
                        .as_ref()
                        .is_some_and(|n| n.number.eq_ignore_ascii_case(id))
            });
            (r, None)
        }
        Focus::Receipt(id) => {
            let r = view
                .returns
                .iter()
                .find(|r| r.receipts.iter().any(|x| &x.id == id));
            (r, all_receipts(view).find(|x| &x.id == id))
        }
    }
}

/// Prints what a command did: the history's summary, where the case stands, then the return
/// (state, what it waits for, re-inspection due) and the receipt with its checks.
fn done(
    out: &Printer,
    store: &Store,
    view: &CaseView,
    command: &Command,
    entry_id: Option<&str>,
    focus: &Focus,
) -> Result<()> {
    let now = store.now();
    let (ret, receipt) = focused(view, focus);
    if out.is_json() {
        let mut object = Map::new();
        object.insert("case".into(), view_json(view, now)?);
        if let Some(id) = entry_id {
            object.insert("entry_id".into(), Value::String(id.to_owned()));
        }
        object.insert(
            "return".into(),
            ret.map(|r| return_json(r, now))
                .transpose()?
                .unwrap_or(Value::Null),
        );
        if let Some(receipt) = receipt {
            object.insert("receipt".into(), to_value(receipt)?);
        }
        return out.json(&Value::Object(object));
    }
    let mut shown = format!(
        "{}\n{}\n",
        event_summary(view, command),
        status_line(view, now)
    );
    if let Some(r) = ret {
        shown.push_str(&text::return_line(r, now));
    }
    if let Some(receipt) = receipt {
        shown.push_str(&text::receipt_text(receipt, ret.is_none()));
    }
    out.text(&shown)
}

/// A return as serde writes it, plus the step it waits for and whether its re-inspection is
/// overdue at `now`.
pub fn return_json(r: &ReturnView, now: Timestamp) -> Result<Value> {
    let mut value = to_value(r)?;
    if let Value::Object(object) = &mut value {
        object.insert("waiting_for".into(), to_value(&r.waiting_for())?);
        object.insert(
            "reinspection_overdue".into(),
            Value::Bool(r.reinspection_overdue(now)),
        );
    }
    Ok(value)
}

fn show(env: &Env, case: &CaseRef, out: &Printer) -> Result<()> {
    let (store, _, view) = open(env, case)?;
    let now = store.now();
    if out.is_json() {
        let returns = view
            .returns
            .iter()
            .map(|r| return_json(r, now))
            .collect::<Result<Vec<_>>>()?;
        return out.json(&json!({
            "case_id": view.id.to_string(),
            "number": view.number,
            "returns": returns,
            "unmatched_receipts": to_value(&view.unmatched_receipts)?,
        }));
    }
    out.text(&text::returns_text(&view, now))
}
