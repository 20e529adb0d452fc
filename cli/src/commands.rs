//! Dispatch: each command line becomes a call on the store (or on a pure rule) and its result
//! goes to the printer. Input is parsed completely before the database is opened, so a bad
//! value never writes anything.

use std::path::{Path, PathBuf};

use fieldcore::Charge;
use fieldcore::WarrantyInput;
use fieldcore::{
    CaseId, ConfirmationInput, DefectInput, FactsUpdate, PartInput, ProofOfPurchase, Registration,
    Timestamp,
};
use fieldcore::{Command, ListQuery, Page, Policies, Store};

use crate::args::{
    CaseCommand, CaseRef, Cli, ConfirmArgs, ConfirmDefectArgs, DecideWarrantyArgs, ListArgs,
    PartAddArgs, PartCommand, RegisterArgs, UpdateArgs, WarrantyCheckArgs, WarrantyCommand,
};
use crate::demo;
use crate::error::{CliError, Result};
use crate::input;
use crate::output::Printer;
use crate::photo_cmd;
use crate::sync_cmd;

const DEFAULT_DB: &str = "fieldctl.db";
const DEFAULT_USER: &str = "engineer";
const USER_VAR: &str = "FIELDCTL_USER";

pub fn run(cli: Cli, out: &Printer) -> Result<()> {
    let env = Env::new(cli.db, cli.user);
    match cli.command {
        crate::args::Command::Case(command) => case(&env, *command, out),
        crate::args::Command::Photo(command) => photo_cmd::run(&env, command, out),
        crate::args::Command::Warranty(WarrantyCommand::Check(args)) => warranty_check(&args, out),
        crate::args::Command::Demo { offline: true } => demo::run(&env, out),
        crate::args::Command::Demo { offline: false } => demo::run_with_hq(&env, out),
        crate::args::Command::Sync(args) => sync_cmd::run(
            &env,
            &sync_cmd::SyncArgs {
                hq: args.hq,
                token: args.token,
                pinned_certificate: args.pin_cert,
            },
            out,
        ),
    }
}

/// Where the database is and who is working.
pub struct Env {
    db: Option<PathBuf>,
    pub user: String,
}

impl Env {
    fn new(db: Option<PathBuf>, user: Option<String>) -> Env {
        let user = user
            .or_else(|| {
                std::env::var(USER_VAR)
                    .ok()
                    .filter(|u| !u.trim().is_empty())
            })
            .unwrap_or_else(|| DEFAULT_USER.to_owned());
        Env { db, user }
    }

    /// The database named by `--db`, when one was.
    pub fn explicit_db(&self) -> Option<&Path> {
        self.db.as_deref()
    }

    fn db_path(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_DB))
    }

    /// Opens (or creates) the database at `path`.
    pub fn open_at(&self, path: &Path) -> Result<Store> {
        if self.user.trim().is_empty() {
            return Err(CliError::invalid("user", "must not be empty"));
        }
        Ok(Store::open(path, &self.user)?)
    }

    /// Opens the database, which must exist: a mistyped --db must not create an empty one.
    pub fn open_existing(&self) -> Result<Store> {
        let path = self.db_path();
        if !path.exists() {
            return Err(CliError::NoDatabase(path));
        }
        self.open_at(&path)
    }
}

fn case(env: &Env, command: CaseCommand, out: &Printer) -> Result<()> {
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
        CaseCommand::Note { case, text } => execute(env, &case, Command::AddNote { text }, out),
        CaseCommand::Confirm(args) => {
            let (case, confirmation) = confirmation_input(args);
            execute(env, &case, Command::ConfirmCustomer(confirmation), out)
        }
        CaseCommand::Close(case) => execute(env, &case, Command::Close, out),
        CaseCommand::Reopen { case, reason } => {
            execute(env, &case, Command::Reopen { reason }, out)
        }
        CaseCommand::Update(args) => {
            let (case, update) = facts_update(args);
            execute(env, &case, Command::UpdateFacts(update), out)
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
        &format!("registered case {}", view.id),
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
    })
}

fn show(env: &Env, case: &CaseRef, out: &Printer) -> Result<()> {
    let mut store = env.open_existing()?;
    let id = store.find(&case.case)?;
    let view = store.case(id)?;
    let photos = store.photos(id)?;
    let sync = store.case_sync_state(id)?;
    out.case_view(&view, &photos, sync, store.now())
}

fn list(env: &Env, args: &ListArgs, out: &Printer) -> Result<()> {
    if args.limit == Some(0) {
        return Err(CliError::invalid("limit", "must be between 1 and 500"));
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
    };
    let path = env.db_path();
    if !path.exists() {
        // No database yet means no cases; listing must not create one.
        return out.page(&Page {
            rows: Vec::new(),
            next: None,
        });
    }
    let store = env.open_at(&path)?;
    if args.overdue {
        query.overdue_at = Some(store.now());
    }
    out.page(&store.list(&query)?)
}

/// Runs one core command on a case and prints what it did.
fn execute(env: &Env, case: &CaseRef, command: Command, out: &Printer) -> Result<()> {
    let mut store = env.open_existing()?;
    let id = store.find(&case.case)?;
    execute_in(&mut store, id, command, out)
}

/// Runs one core command on a case of an open store and prints what it did.
pub fn execute_in(store: &mut Store, id: CaseId, command: Command, out: &Printer) -> Result<()> {
    let (view, applied) = store.execute(id, &command)?;
    // The core writes a readable summary into the command's audit event: show that.
    let mut message = view
        .events
        .iter()
        .rev()
        .find(|e| e.body.action == command.name())
        .map(|e| e.body.summary.clone())
        .unwrap_or_else(|| command.name().replace('_', " "));
    if let (Command::RecordPart(_), Some(line)) = (&command, &applied.entry_id) {
        message.push_str(&format!("\nline id: {line}"));
    }
    out.case_changed(&view, applied.entry_id.as_deref(), &message, store.now())
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
            product_model: args.model,
            serial_number: args.serial,
            fault_description: args.fault,
        },
    )
}

/// The warranty rule alone, with the default policy: no database is opened or created.
fn warranty_check(args: &WarrantyCheckArgs, out: &Printer) -> Result<()> {
    let purchase_date = input::optional_date("purchase_date", args.purchase_date.as_deref())?;
    let received_date = input::date("received_date", &args.received_date)?;
    // The rule itself only checks the dates once proof and scope are settled; a complaint
    // before the purchase is wrong input whatever the proof.
    if let Some(purchase) = purchase_date
        && received_date < purchase
    {
        return Err(CliError::invalid(
            "received_date",
            format!("complaint received {received_date} is before the purchase date {purchase}"),
        ));
    }
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
    out.warranty(&decision)
}
