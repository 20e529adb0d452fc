//! The `case` and `warranty` commands: each command line becomes a call on the store (or on a
//! pure rule) and its result goes to the printer. Input is parsed completely before the
//! database is opened, so a bad value never writes anything.

use fieldcore::Charge;
use fieldcore::WarrantyInput;
use fieldcore::{Command, ListQuery, Page, Policies};
use fieldcore::{
    ConfirmationInput, DefectInput, FactsCorrection, FactsUpdate, PartInput, ProofOfPurchase,
    Registration, Timestamp,
};
use serde_json::Value;

use super::text;
use crate::args::{
    CaseCommand, CaseRef, ConfirmArgs, ConfirmDefectArgs, CorrectArgs, DecideWarrantyArgs,
    ListArgs, PartAddArgs, PartCommand, RegisterArgs, UpdateArgs, WarrantyCheckArgs,
};
use crate::device::{Env, execute_in};
use crate::error::{CliError, Result};
use crate::input;
use crate::output::{Printer, locale, to_value, view_json};
use crate::reason::Reason;

/// Runs one `case` subcommand.
pub fn run(env: &Env, command: CaseCommand, out: &Printer) -> Result<()> {
    match command {
        CaseCommand::Register(args) => register(env, args, out),
        CaseCommand::Show(case) => show(env, &case, out),
        CaseCommand::List(args) => list(env, &args, out),
        CaseCommand::Ack { case, note } => execute(env, &case, Command::Acknowledge { note }, out),
        CaseCommand::Schedule { case, at } => {
            let planned_for = input::time("planned_for", &at)?;
            execute(env, &case, Command::ScheduleVisit { planned_for }, out)
        }
        CaseCommand::Arrive(case) => execute(env, &case, Command::ArriveOnSite, out),
        CaseCommand::RequestTrip { case, reason, at } => {
            let planned_for = input::optional_time("planned_for", at.as_deref())?;
            execute(
                env,
                &case,
                Command::RequestTrip {
                    reason,
                    planned_for,
                },
                out,
            )
        }
        CaseCommand::EmergencyVisit { case, reason } => {
            execute(env, &case, Command::EmergencyVisit { reason }, out)
        }
        CaseCommand::HandOver {
            case,
            to_id,
            to,
            reason,
        } => execute(
            env,
            &case,
            Command::HandOverFirstResponder { to_id, to, reason },
            out,
        ),
        CaseCommand::ConfirmDefect(args) => {
            let (case, defect) = defect_input(args)?;
            execute(env, &case, Command::ConfirmDefect(defect), out)
        }
        CaseCommand::DecideWarranty(args) => {
            let (case, command) = decide_warranty(args)?;
            execute(env, &case, command, out)
        }
        CaseCommand::SetCharge {
            case,
            amount,
            currency,
        } => {
            let charge = Charge {
                amount_minor: input::amount_minor("charge", &amount)?,
                currency,
            };
            execute(env, &case, Command::SetCharge(charge), out)
        }
        CaseCommand::SetCompensation {
            case,
            amount,
            currency,
        } => {
            let compensation = Charge {
                amount_minor: input::amount_minor("compensation", &amount)?,
                currency,
            };
            execute(env, &case, Command::SetCompensation(compensation), out)
        }
        CaseCommand::Resolve {
            case,
            outcome,
            summary,
        } => execute(
            env,
            &case,
            Command::Resolve {
                outcome: outcome.into(),
                summary,
            },
            out,
        ),
        CaseCommand::Part(PartCommand::Add(args)) => {
            let (case, part) = part_input(args);
            execute(env, &case, Command::RecordPart(part), out)
        }
        CaseCommand::Part(PartCommand::Remove { case, line, reason }) => execute(
            env,
            &case,
            Command::ReversePart {
                line_id: line,
                reason,
            },
            out,
        ),
        CaseCommand::Part(PartCommand::ReturnOld { case, line }) => {
            execute(env, &case, Command::ReturnOldPart { line_id: line }, out)
        }
        CaseCommand::Part(PartCommand::KeepOld { case, line, tag }) => {
            execute(env, &case, Command::KeepOldPart { line_id: line, tag }, out)
        }
        CaseCommand::Part(PartCommand::ShipOld {
            case,
            line,
            shipment,
            tag,
        }) => execute(
            env,
            &case,
            Command::ShipOldPart {
                line_id: line,
                shipment,
                tag,
            },
            out,
        ),
        CaseCommand::Part(PartCommand::LostOld { case, line, reason }) => execute(
            env,
            &case,
            Command::ReportOldPartLost {
                line_id: line,
                reason,
            },
            out,
        ),
        CaseCommand::Note { case, text } => execute(env, &case, Command::AddNote { text }, out),
        CaseCommand::Confirm(args) => {
            let (case, confirmation) = confirmation_input(args);
            execute(env, &case, Command::ConfirmCustomer(confirmation), out)
        }
        CaseCommand::Close(case) => execute(env, &case, Command::Close, out),
        CaseCommand::Reopen { case, reason } => {
            execute(env, &case, Command::Reopen { reason }, out)
        }
        CaseCommand::PassToQa { case, reason } => {
            execute(env, &case, Command::PassToQa { reason }, out)
        }
        CaseCommand::ProposeRemedy { case, proposal } => {
            execute(env, &case, Command::ProposeRemedy { proposal }, out)
        }
        CaseCommand::Report {
            case,
            findings,
            cause,
            handling,
        } => execute(
            env,
            &case,
            Command::RecordReport {
                findings,
                cause,
                handling,
            },
            out,
        ),
        CaseCommand::AgreeDeadline {
            case,
            date,
            with_whom,
        } => {
            let date = input::date("date", &date)?;
            execute(env, &case, Command::AgreeDeadline { date, with_whom }, out)
        }
        CaseCommand::Update(args) => {
            let (case, update) = facts_update(args);
            execute(env, &case, Command::UpdateFacts(update), out)
        }
        CaseCommand::Correct(args) => {
            let (case, correction) = facts_correction(args)?;
            execute(env, &case, Command::CorrectFacts(correction), out)
        }
        CaseCommand::ResolveConflict {
            case,
            field,
            choose,
        } => execute(
            env,
            &case,
            Command::ResolveConflict {
                field: field.name().to_owned(),
                choose,
            },
            out,
        ),
    }
}

fn register(env: &Env, args: RegisterArgs, out: &Printer) -> Result<()> {
    let now = chrono::Local::now().fixed_offset();
    let registration = registration_of(args, &env.user, now)?;
    // Checked before the database is opened, so bad input never even creates the file; the
    // store checks again against its own clock.
    fieldcore::validate_registration(&registration, now)?;
    let mut store = env.open_at(&env.db_path())?;
    let view = store.register(&registration)?;
    out.case_changed(
        &view,
        None,
        &locale().pick(
            format!("已登记案件 {}", view.id),
            format!("registered case {}", view.id),
        ),
        store.now(),
    )
}

fn registration_of(args: RegisterArgs, user: &str, now: Timestamp) -> Result<Registration> {
    let proof = match (args.proof.invoice, args.proof.voucher) {
        (Some(number), _) => ProofOfPurchase::Invoice(number),
        (None, Some(number)) => ProofOfPurchase::Voucher(number),
        (None, None) => ProofOfPurchase::None,
    };
    Ok(Registration {
        customer_name: args.customer_name,
        customer_phone: args.phone,
        customer_address: args.address,
        region: args.region,
        home_region: args.home_region,
        market: args.market.into(),
        product_model: args.model,
        product_category: args.category,
        serial_number: args.serial,
        manufacture_date: input::optional_date(
            "manufacture_date",
            args.manufacture_date.as_deref(),
        )?,
        purchase_date: input::optional_date("purchase_date", args.purchase_date.as_deref())?,
        proof_of_purchase: proof,
        fault_description: args.fault,
        customer_request: args.request.into(),
        channel: args.channel.into(),
        received_at: input::optional_time("received_at", args.received_at.as_deref())?
            .unwrap_or(now),
        first_responder: args.first_responder.unwrap_or_else(|| user.to_owned()),
        first_responder_id: args.first_responder_id,
        production_batch: args.batch,
    })
}

fn show(env: &Env, case: &CaseRef, out: &Printer) -> Result<()> {
    let mut store = env.open_existing()?;
    let id = store.find(&case.case)?;
    let view = store.case(id)?;
    let photos = store.photos(id)?;
    let sync = store.case_sync_state(id)?;
    let reason = store.case_sync_reason(id)?;
    let now = store.now();
    if out.is_json() {
        let mut value = view_json(&view, now)?;
        if let Value::Object(object) = &mut value {
            object.insert("sync_state".into(), to_value(&sync)?);
            object.insert("sync_reason".into(), to_value(&reason)?);
            // Each return with what it waits for and whether re-inspection is overdue.
            let returns = view
                .returns
                .iter()
                .map(|r| crate::rma::return_json(r, now))
                .collect::<Result<Vec<_>>>()?;
            object.insert("returns".into(), Value::Array(returns));
        }
        return out.json(&value);
    }
    let mut shown = text::render(&view, &photos, Some(sync), now);
    if let Some(reason) = reason {
        let why = locale().pick("原因：", "Why: ");
        shown.push_str(&format!("\n{why}{reason}\n"));
    }
    out.text(&shown)
}

fn list(env: &Env, args: &ListArgs, out: &Printer) -> Result<()> {
    if args.limit == Some(0) {
        return Err(CliError::invalid(
            "limit",
            Reason::LimitOutOfRange {
                max: fieldcore::MAX_PAGE,
            },
        ));
    }
    let mut query = ListQuery {
        status: args.status,
        overdue_at: None,
        customer: args.customer.clone(),
        serial: args.serial.clone(),
        model: args.model.clone(),
        updated_since: input::optional_time("updated_since", args.updated_since.as_deref())?,
        only_conflicts: args.conflicts,
        limit: args.limit.unwrap_or(0),
        after: args.after.clone(),
        // Free text, several statuses and the due-soon order are the mobile screens'.
        ..ListQuery::default()
    };
    let path = env.db_path();
    if !path.exists() {
        // No database yet means no cases; listing must not create one.
        return print_page(
            out,
            &Page {
                rows: Vec::new(),
                next: None,
            },
        );
    }
    let store = env.open_at(&path)?;
    if args.overdue {
        query.overdue_at = Some(store.now());
    }
    print_page(out, &store.list(&query)?)
}

fn print_page(out: &Printer, page: &Page) -> Result<()> {
    if out.is_json() {
        return out.json(page);
    }
    out.text(&text::list_table(page))
}

/// Runs one core command on a case and prints what it did.
fn execute(env: &Env, case: &CaseRef, command: Command, out: &Printer) -> Result<()> {
    let mut store = env.open_existing()?;
    let id = store.find(&case.case)?;
    execute_in(&mut store, id, command, out)
}

fn defect_input(args: ConfirmDefectArgs) -> Result<(CaseRef, DefectInput)> {
    let measurements = args
        .measures
        .iter()
        .map(|m| input::measurement(m))
        .collect::<Result<Vec<_>>>()?;
    Ok((
        args.case,
        DefectInput {
            cause: args.cause.into(),
            findings: args.findings,
            measurements,
            major_incident: args.major_incident,
            evidence_photos: args.evidence,
        },
    ))
}

fn decide_warranty(args: DecideWarrantyArgs) -> Result<(CaseRef, Command)> {
    let charge = args
        .charge
        .map(|amount| {
            Ok::<_, CliError>(Charge {
                amount_minor: input::amount_minor("charge", &amount)?,
                currency: args.currency,
            })
        })
        .transpose()?;
    Ok((
        args.case,
        Command::DecideWarranty {
            evidence_photos: args.evidence,
            charge,
        },
    ))
}

fn part_input(args: PartAddArgs) -> (CaseRef, PartInput) {
    (
        args.case,
        PartInput {
            part_number: args.part_number,
            specification: args.spec,
            quantity: args.qty,
            new_serial: args.new_serial,
            old_part_kept: args.old_kept,
            old_part_serial: args.old_serial,
            off_catalog_reason: args.off_catalog_reason,
        },
    )
}

fn confirmation_input(args: ConfirmArgs) -> (CaseRef, ConfirmationInput) {
    (
        args.case,
        ConfirmationInput {
            customer_name: args.name,
            accepted: args.answer.accepted,
            reason: args.reason,
            signature_hash: args.signature_hash,
        },
    )
}

fn facts_update(args: UpdateArgs) -> (CaseRef, FactsUpdate) {
    (
        args.case,
        FactsUpdate {
            customer_name: args.customer_name,
            customer_phone: args.phone,
            customer_address: args.address,
            region: args.region,
            serial_number: args.serial,
            fault_description: args.fault,
        },
    )
}

fn facts_correction(args: CorrectArgs) -> Result<(CaseRef, FactsCorrection)> {
    let proof = match (args.proof.invoice, args.proof.voucher, args.proof.no_proof) {
        (Some(number), _, _) => Some(ProofOfPurchase::Invoice(number)),
        (None, Some(number), _) => Some(ProofOfPurchase::Voucher(number)),
        (None, None, true) => Some(ProofOfPurchase::None),
        (None, None, false) => None,
    };
    Ok((
        args.case,
        FactsCorrection {
            purchase_date: args
                .purchase_date
                .as_deref()
                .map(|d| input::date("purchase_date", d))
                .transpose()?,
            proof_of_purchase: proof,
            product_category: args.category,
            product_model: args.model,
            market: args.market.map(Into::into),
            received_at: input::optional_time("received_at", args.received_at.as_deref())?,
            reason: args.reason,
            invoice_photo: args.invoice_photo,
        },
    ))
}

/// `warranty check`: the warranty rule alone, with the default policy; no database is opened
/// or created.
pub fn warranty_check(args: &WarrantyCheckArgs, out: &Printer) -> Result<()> {
    let purchase_date = input::optional_date("purchase_date", args.purchase_date.as_deref())?;
    let received_date = input::date("received_date", &args.received_date)?;
    let proof = if args.proof.proof {
        ProofOfPurchase::Invoice(String::new())
    } else {
        ProofOfPurchase::None
    };
    let decision = fieldcore::decide_warranty(
        &Policies::default().warranty,
        &WarrantyInput {
            category: &args.category,
            model: &args.model,
            purchase_date,
            proof: &proof,
            received_date,
            cause: args.cause.into(),
        },
    )?;
    if out.is_json() {
        return out.json(&decision);
    }
    out.text(&text::warranty_text(&decision))
}
