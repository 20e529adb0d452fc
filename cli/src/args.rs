//! The command line: clap definitions of every fieldctl command. Values clap can check alone
//! (choices, counts) are typed here; dates, times and amounts stay text and are parsed by
//! [`crate::input`] so that their errors name the domain field.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use fieldcore::{
    Cause, Channel, CustomerRequest, Freight, Market, Outcome, Packing, PhotoKind, ReturnKind,
    Status,
};

#[derive(Debug, Parser)]
#[command(
    name = "fieldctl",
    version,
    about = "A field device on the command line: service cases worked offline over the fieldcore engine"
)]
pub struct Cli {
    /// The device database [default: fieldctl.db in the current folder]
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// Who the commands are recorded as [default: $FIELDCTL_USER, else "engineer"]
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,

    /// The user's role at HQ (engineer, technician, hq-staff, cs-manager, vp, quality,
    /// warehouse) [default: $FIELDCTL_ROLE]; with it, a command writing a field the role may
    /// not write is refused here, not at sync
    #[arg(long, global = true, value_name = "ROLE")]
    pub role: Option<String>,

    /// The language of the output: zh-CN or en [default: zh-CN when $LANG says zh, else en]
    #[arg(long, global = true, value_name = "LANG")]
    pub lang: Option<String>,

    /// Print JSON on stdout (errors too, as {"error": {...}})
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register, work and list service cases
    #[command(subcommand)]
    Case(Box<CaseCommand>),
    /// Evidence photos on a case: attach, list, show and export, remove
    #[command(subcommand)]
    Photo(PhotoCommand),
    /// Returns and exchanges (退换货, RMA): request, receive with checks A–G, re-inspect,
    /// replenish, confirm the replacement, the analysis report, show
    #[command(subcommand)]
    Rma(Box<RmaCommand>),
    /// Warranty spare parts (三包配件) held by a repair center, a dealer or a van: issues to
    /// cases, transfers, returns, purchases, count adjustments, requisitions, old-part
    /// shipments, the balance and the quarter's ledger
    #[command(subcommand)]
    Stock(Box<StockCommand>),
    /// The 三包 warranty rule, without a database
    #[command(subcommand)]
    Warranty(WarrantyCommand),
    /// The deadlines of a complaint, without a database
    #[command(subcommand)]
    Deadline(DeadlineCommand),
    /// The main job: an HQ on loopback, an engineer's phone and a technician's tablet work one
    /// case apart, sync, resolve their conflict and converge (--offline: one device, no HQ)
    #[cfg(feature = "demo")]
    Demo {
        /// A complete visit on one device only, on a fresh database (or --db)
        #[arg(long)]
        offline: bool,
    },
    /// Sync this device's store with HQ
    Sync(SyncArgs),
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// HQ's base URL, e.g. https://hq.example.com
    #[arg(long, env = "FIELDCTL_HQ")]
    pub hq: String,
    /// This device's token from `fieldhq device enrol`. On the command line it shows in `ps`
    /// to every user of the machine: prefer --token-file, --token-stdin or FIELDCTL_TOKEN
    #[arg(long, env = "FIELDCTL_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Read this device's token from a file (its first line); wins over FIELDCTL_TOKEN
    #[arg(long, value_name = "FILE", conflicts_with = "token_stdin")]
    pub token_file: Option<PathBuf>,
    /// Read this device's token from standard input (its first line); wins over FIELDCTL_TOKEN
    #[arg(long)]
    pub token_stdin: bool,
    /// Trust only this certificate (PEM) for HQ instead of the bundled public roots
    #[arg(long, value_name = "PEM")]
    pub pin_cert: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Register a new complaint
    Register(RegisterArgs),
    /// Show everything about a case
    Show(CaseRef),
    /// List cases, newest update first
    List(ListArgs),
    /// Acknowledge the complaint to the customer
    Ack {
        #[command(flatten)]
        case: CaseRef,
        /// A note on what the customer was told
        #[arg(long)]
        note: Option<String>,
    },
    /// Plan an on-site visit
    Schedule {
        #[command(flatten)]
        case: CaseRef,
        /// When the visit is planned (RFC 3339)
        #[arg(long, value_name = "TIME")]
        at: String,
    },
    /// Record arrival at the customer's site (needs an approved trip when the policy says so)
    Arrive(CaseRef),
    /// Ask HQ to approve a site trip (出差申请)
    RequestTrip {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        reason: String,
        /// When the trip is planned (RFC 3339)
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Arrive on site for an emergency without an approved trip, saying why
    EmergencyVisit {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        reason: String,
    },
    /// Hand the first responder (首问责任人) over to another HQ user, saying why
    HandOver {
        #[command(flatten)]
        case: CaseRef,
        /// The new first responder's HQ user id
        #[arg(long, value_name = "USER_ID")]
        to_id: i64,
        /// The new first responder's name
        #[arg(long)]
        to: String,
        #[arg(long)]
        reason: String,
    },
    /// Record the defect found on site (故障鉴定)
    ConfirmDefect(ConfirmDefectArgs),
    /// Decide warranty coverage from the case's facts and its confirmed defect
    DecideWarranty(DecideWarrantyArgs),
    /// Set the paid-service charge of a case that is not covered
    SetCharge {
        #[command(flatten)]
        case: CaseRef,
        /// Amount in major units, at most 2 decimals (120.50)
        #[arg(long, allow_negative_numbers = true)]
        amount: String,
        #[arg(long, default_value = "CNY")]
        currency: String,
    },
    /// Record the compensation (赔偿) paid to the customer; 0 withdraws a wrong one
    SetCompensation {
        #[command(flatten)]
        case: CaseRef,
        /// Amount in major units, at most 2 decimals (800.00)
        #[arg(long, allow_negative_numbers = true)]
        amount: String,
        #[arg(long, default_value = "CNY")]
        currency: String,
    },
    /// Record how the case was resolved
    Resolve {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long, value_enum)]
        outcome: OutcomeArg,
        #[arg(long)]
        summary: String,
    },
    /// Spare parts used on the case (三包配件)
    #[command(subcommand)]
    Part(PartCommand),
    /// Add a note
    Note {
        #[command(flatten)]
        case: CaseRef,
        text: String,
    },
    /// Record the customer's answer to the outcome
    Confirm(ConfirmArgs),
    /// Close a case the customer confirmed
    Close(CaseRef),
    /// Start a new round on a confirmed or closed case
    Reopen {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        reason: String,
    },
    /// Edit registration facts that do not decide warranty (customer, region, serial, fault)
    Update(UpdateArgs),
    /// Pass the case on to quality (品保部); it then has no 48-hour remedy deadline
    PassToQa {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        reason: String,
    },
    /// Record the remedy proposed to the customer (meets the remedy deadline)
    ProposeRemedy {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        proposal: String,
    },
    /// Record the investigation report after the defect confirmation (meets the report deadline)
    Report {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long)]
        findings: String,
        #[arg(long)]
        cause: String,
        #[arg(long)]
        handling: String,
    },
    /// Record a settlement date agreed with the customer (replaces the working-day deadline)
    AgreeDeadline {
        #[command(flatten)]
        case: CaseRef,
        /// The agreed day, YYYY-MM-DD; due at its end in the company's time zone
        #[arg(long, value_name = "DATE")]
        date: String,
        /// Who on the customer's side agreed
        #[arg(long)]
        with_whom: String,
    },
    /// Correct the facts that decide warranty (purchase date, proof of purchase, category,
    /// model, market, received time) with a reason; the old values stay in the history and a
    /// warranty decision made on them must be decided again
    Correct(CorrectArgs),
    /// Pick one of a conflicting decision's or corrected fact's values (numbers as `case show`
    /// lists them)
    ResolveConflict {
        #[command(flatten)]
        case: CaseRef,
        #[arg(long, value_enum)]
        field: DecisionFieldArg,
        #[arg(long, value_name = "N")]
        choose: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum RmaCommand {
    /// Request a return or exchange of the case's product (产品退换维修单); HQ's approval chain
    /// decides it and issues the RMA number
    Request(RmaRequestArgs),
    /// Record returned goods at the door (退货产品接收单): counted, packing, checks A–G noted;
    /// prints the checks the goods raise
    Receive(RmaReceiveArgs),
    /// Add to a receipt: more goods counted, checks noted, photos
    Amend(RmaAmendArgs),
    /// Record the re-inspection of one received unit: restocked as a customer return (客退)
    /// or scrapped
    Inspect(RmaInspectArgs),
    /// Ask HQ to approve the replenishment notice (补货通知) of an exchange
    Replenish {
        #[command(flatten)]
        case: CaseRef,
        #[command(flatten)]
        request: ReturnRef,
        #[arg(long)]
        note: String,
    },
    /// The customer confirms receipt of the replacement of an exchange
    Replacement {
        #[command(flatten)]
        case: CaseRef,
        #[command(flatten)]
        request: ReturnRef,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Record the return-analysis report (退货分析改善报告) of a return
    Analysis {
        #[command(flatten)]
        case: CaseRef,
        #[command(flatten)]
        request: ReturnRef,
        /// The root cause found
        #[arg(long)]
        cause: String,
        /// The corrective and preventive actions
        #[arg(long)]
        actions: String,
        /// Hash of a photo on the case (repeatable)
        #[arg(long = "photo", value_name = "HASH")]
        photos: Vec<String>,
    },
    /// Show the case's returns: state and what each waits for, approvals, RMA number,
    /// receipts with their checks, re-inspections and when they are due
    Show(CaseRef),
}

#[derive(Debug, Subcommand)]
pub enum StockCommand {
    /// Parts fitted on a case, taken from the holder's stock; allowed offline without stock
    /// on hand (the balance then shows the part below zero)
    Issue {
        #[command(flatten)]
        movement: MovementArgs,
        /// The case: its id, an unambiguous id prefix, or its official number
        #[arg(long, value_name = "CASE")]
        case: String,
        /// The case's part line (as `case part add` printed it)
        #[arg(long, value_name = "ID")]
        line: Option<String>,
    },
    /// Parts handed to another holder
    TransferOut {
        #[command(flatten)]
        movement: MovementArgs,
        /// The holder receiving them
        #[arg(long, value_name = "HOLDER")]
        to: String,
    },
    /// Parts taken over from another holder
    TransferIn {
        #[command(flatten)]
        movement: MovementArgs,
        /// The holder that sent them
        #[arg(long, value_name = "HOLDER")]
        from: String,
        /// The sender's transfer-out entry id, when the slip names it
        #[arg(long, value_name = "ID")]
        transfer: Option<String>,
    },
    /// Defective new parts sent back
    ReturnDefective {
        #[command(flatten)]
        movement: MovementArgs,
        #[arg(long)]
        reason: String,
    },
    /// Parts bought locally in an emergency; they count at once, the approver approves later
    Purchase {
        #[command(flatten)]
        movement: MovementArgs,
        #[arg(long)]
        supplier: String,
        /// The price paid per unit in yuan (35.50)
        #[arg(long, value_name = "YUAN")]
        unit_cost: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// A count correction: --delta units more (positive) or fewer (negative)
    Adjust {
        #[command(flatten)]
        holder: HolderArg,
        #[arg(long, value_name = "PART")]
        part: String,
        /// Units more (5) or fewer (-2); never 0
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        delta: i64,
        #[arg(long)]
        reason: String,
        /// When it happened (RFC 3339) [default: now]
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// A warranty parts requisition (三包配件领用单) for the customer-service head to approve
    /// before HQ issues the stock
    Requisition {
        #[command(flatten)]
        holder: HolderArg,
        #[arg(long, value_name = "PART")]
        part: String,
        /// The part's specification
        #[arg(long, value_name = "SPEC")]
        spec: String,
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        qty: i64,
        #[arg(long)]
        reason: Option<String>,
        /// The case the parts are for: its id, an id prefix, or its official number
        #[arg(long, value_name = "CASE")]
        case: Option<String>,
    },
    /// Old parts sent back to HQ on one shipment
    Ship {
        #[command(flatten)]
        holder: HolderArg,
        /// One old part: its tag, part number, and the case and part line it came off
        /// (repeatable)
        #[arg(long = "tag", value_name = "TAG:PART[:CASE[:LINE]]", required = true)]
        tags: Vec<String>,
        /// The carrier's waybill number
        #[arg(long, value_name = "NO")]
        waybill: Option<String>,
    },
    /// The holder's balance of every part, flagging a part below zero with the movements
    /// that drove it there
    Balance(HolderArg),
    /// One quarter's ledger: movements (late ones and corrections marked), requisitions with
    /// their approval, shipments with HQ's check, and whether the quarter is written off
    Ledger {
        #[command(flatten)]
        holder: HolderArg,
        /// The quarter, e.g. 2026Q4
        #[arg(long, value_name = "QUARTER")]
        quarter: String,
    },
    /// Every stock ledger on this device
    Ledgers,
}

/// The stock holder a command is about.
#[derive(Debug, Args)]
pub struct HolderArg {
    /// The stock holder: center:C01, dealer:D07 or van:wang
    #[arg(long, value_name = "HOLDER")]
    pub holder: String,
}

/// What every movement names: the holder, the part, how many and when.
#[derive(Debug, Args)]
pub struct MovementArgs {
    #[command(flatten)]
    pub holder: HolderArg,
    /// The part number
    #[arg(long, value_name = "PART")]
    pub part: String,
    /// How many units, at least 1
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub qty: i64,
    /// When it happened (RFC 3339); decides the quarter it is booked in [default: now]
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// Which return of the case: its RMA number or request id; the case's only return when left
/// out.
#[derive(Debug, Args)]
pub struct ReturnRef {
    /// The RMA number or the request's id [default: the case's only return]
    #[arg(long = "request", value_name = "RMA_OR_ID")]
    pub request: Option<String>,
}

#[derive(Debug, Args)]
pub struct RmaRequestArgs {
    #[command(flatten)]
    pub case: CaseRef,
    #[arg(long, value_enum)]
    pub kind: ReturnKindArg,
    /// The product model [default: the case's model]
    #[arg(long)]
    pub model: Option<String>,
    /// A unit's serial number, one unit each (repeatable) [default: the case's serial with
    /// --qty 1]
    #[arg(long = "serial", value_name = "SERIAL")]
    pub serials: Vec<String>,
    /// How many units without serial numbers
    #[arg(long, value_name = "N", conflicts_with = "serials")]
    pub qty: Option<u32>,
    /// Why the goods go back
    #[arg(long)]
    pub reason: String,
    /// The fault found [default: the case's fault as registered]
    #[arg(long)]
    pub fault: Option<String>,
    /// Why the product cannot be fixed on site
    #[arg(long)]
    pub why_not_on_site: String,
    #[arg(long, value_enum, default_value = "company")]
    pub freight: FreightArg,
    /// Why the request is made although it is outside the return window
    #[arg(long, value_name = "REASON")]
    pub override_window: Option<String>,
}

#[derive(Debug, Args)]
pub struct RmaReceiveArgs {
    #[command(flatten)]
    pub case: CaseRef,
    /// The RMA number on the goods, scanned or typed; leave out when they carry none
    #[arg(long = "rma", value_name = "NUMBER")]
    pub rma_number: Option<String>,
    /// Goods counted: model=M[,serial=S][,qty=N] (repeatable)
    #[arg(long = "counted", value_name = "model=M[,serial=S][,qty=N]")]
    pub counted: Vec<String>,
    #[arg(long, value_enum, default_value = "as_required")]
    pub packing: PackingArg,
    /// Loose units carry no label with their return reason
    #[arg(long)]
    pub unlabelled: bool,
    /// Loose units are not sorted by product
    #[arg(long)]
    pub unsorted: bool,
    /// The units carry no defect marking
    #[arg(long)]
    pub no_defect_marking: bool,
    #[command(flatten)]
    pub notes: CheckNoteArgs,
    /// Refuse the goods at the door, saying why (only for checks A–D)
    #[arg(long, value_name = "REASON")]
    pub refuse: Option<String>,
}

/// Checks raised by hand with their notes, and photos.
#[derive(Debug, Args)]
pub struct CheckNoteArgs {
    /// A check raised by hand: LETTER=NOTE, e.g. G="no tag on the pump" (repeatable)
    #[arg(long = "note", value_name = "LETTER=NOTE")]
    pub notes: Vec<String>,
    /// The photo of a noted check: LETTER=HASH (repeatable)
    #[arg(long = "note-photo", value_name = "LETTER=HASH")]
    pub note_photos: Vec<String>,
    /// Hash of a photo of the goods as they arrived (repeatable)
    #[arg(long = "photo", value_name = "HASH")]
    pub photos: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmaAmendArgs {
    #[command(flatten)]
    pub case: CaseRef,
    #[command(flatten)]
    pub receipt: ReceiptRef,
    /// More goods counted: model=M[,serial=S][,qty=N] (repeatable)
    #[arg(long = "counted", value_name = "model=M[,serial=S][,qty=N]")]
    pub counted: Vec<String>,
    #[command(flatten)]
    pub notes: CheckNoteArgs,
}

/// Which receipt: its id or a prefix of it; the case's only receipt when left out.
#[derive(Debug, Args)]
pub struct ReceiptRef {
    /// The receipt's id or a prefix of it [default: the case's only receipt]
    #[arg(long = "receipt", value_name = "ID")]
    pub receipt: Option<String>,
}

#[derive(Debug, Args)]
pub struct RmaInspectArgs {
    #[command(flatten)]
    pub case: CaseRef,
    #[command(flatten)]
    pub receipt: ReceiptRef,
    /// The unit: its serial, or its position (1, 2, …) among the units received
    #[arg(long, value_name = "SERIAL_OR_N")]
    pub unit: String,
    #[command(flatten)]
    pub result: InspectResultArgs,
    /// With --scrap: the nonconforming-product report number
    #[arg(long, value_name = "NO", requires = "scrap")]
    pub nonconformance: Option<String>,
}

/// Good (re-qualified, labelled 客退, restocked) or bad (scrapped).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct InspectResultArgs {
    /// The unit is good: re-qualified, labelled customer return (客退) and restocked here
    #[arg(long, value_name = "LOCATION")]
    pub restock: Option<String>,
    /// The unit is bad: scrapped under the nonconforming-product procedure, for this reason
    #[arg(long, value_name = "REASON")]
    pub scrap: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PhotoCommand {
    /// Attach a photo from a file (JPEG, PNG or WebP): it is resized, stripped of its metadata
    /// and stored once; prints its hash, to cite as --evidence or --signature-hash
    Add(PhotoAddArgs),
    /// List the photos of a case with their upload state and thumbnails
    List(CaseRef),
    /// Show a photo's record; with --out, write the photo (or its thumbnail) to a file
    Show(PhotoShowArgs),
    /// Take a photo off a case (the record of who did it and why stays in the history)
    Remove {
        #[command(flatten)]
        case: CaseRef,
        #[command(flatten)]
        photo: PhotoRef,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct PhotoAddArgs {
    #[command(flatten)]
    pub case: CaseRef,
    /// The photo file
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// What the photo shows
    #[arg(long, value_parser = photo_kind_parser())]
    pub kind: PhotoKind,
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub caption: String,
}

#[derive(Debug, Args)]
pub struct PhotoShowArgs {
    #[command(flatten)]
    pub case: CaseRef,
    #[command(flatten)]
    pub photo: PhotoRef,
    /// Write the photo's JPEG to this file
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// With --out: write the thumbnail instead of the photo
    #[arg(long, requires = "out")]
    pub thumbnail: bool,
}

/// A photo of a case: its hash or an unambiguous prefix of it.
#[derive(Debug, Args)]
pub struct PhotoRef {
    /// The photo's hash, or an unambiguous prefix of at least 6 hex digits
    #[arg(value_name = "HASH")]
    pub hash: String,
}

/// A case: its id, an unambiguous id prefix, or its official number.
#[derive(Debug, Args)]
pub struct CaseRef {
    /// Case id, an unambiguous id prefix, or the official number
    #[arg(value_name = "CASE")]
    pub case: String,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    #[arg(long)]
    pub customer_name: String,
    #[arg(long)]
    pub phone: String,
    #[arg(long)]
    pub address: String,
    #[arg(long)]
    pub region: String,
    /// The region is the company's home region
    #[arg(long)]
    pub home_region: bool,
    #[arg(long, value_enum)]
    pub market: MarketArg,
    #[arg(long)]
    pub model: String,
    /// Product category as named in the warranty policy (motor, generator, pump, ...)
    #[arg(long)]
    pub category: String,
    #[arg(long)]
    pub serial: String,
    /// YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    pub manufacture_date: Option<String>,
    /// YYYY-MM-DD; required with --invoice or --voucher
    #[arg(long, value_name = "DATE")]
    pub purchase_date: Option<String>,
    #[command(flatten)]
    pub proof: ProofArgs,
    /// The main fault as the customer describes it
    #[arg(long)]
    pub fault: String,
    #[arg(long, value_enum)]
    pub request: RequestArg,
    #[arg(long, value_enum)]
    pub channel: ChannelArg,
    /// When the complaint was received (RFC 3339) [default: now]
    #[arg(long, value_name = "TIME")]
    pub received_at: Option<String>,
    /// 首问责任人, accountable until the case closes [default: --user]
    #[arg(long, value_name = "NAME")]
    pub first_responder: Option<String>,
    /// The first responder's HQ user id (a known user rather than a name alone)
    #[arg(long, value_name = "USER_ID")]
    pub first_responder_id: Option<i64>,
    /// The production batch or lot (生产批次) from the nameplate
    #[arg(long, value_name = "BATCH")]
    pub batch: Option<String>,
}

/// The proof of purchase: exactly one of an invoice, a voucher, or none.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct ProofArgs {
    /// Invoice number (发票)
    #[arg(long, value_name = "NO")]
    pub invoice: Option<String>,
    /// Voucher number (凭证)
    #[arg(long, value_name = "NO")]
    pub voucher: Option<String>,
    /// No proof of purchase: no warranty
    #[arg(long)]
    pub no_proof: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_parser = status_parser())]
    pub status: Option<Status>,
    /// Only cases past their next deadline
    #[arg(long)]
    pub overdue: bool,
    /// Part of the customer's name
    #[arg(long, value_name = "TEXT")]
    pub customer: Option<String>,
    /// Start of the serial number
    #[arg(long, value_name = "PREFIX")]
    pub serial: Option<String>,
    /// Start of the product model
    #[arg(long, value_name = "PREFIX")]
    pub model: Option<String>,
    /// Only cases updated at or after this time (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub updated_since: Option<String>,
    /// Only cases with a conflict to resolve
    #[arg(long)]
    pub conflicts: bool,
    /// Rows per page (1 to 500) [default: 50]
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
    /// The cursor printed under the previous page
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
}

#[derive(Debug, Args)]
pub struct ConfirmDefectArgs {
    #[command(flatten)]
    pub case: CaseRef,
    #[arg(long, value_enum)]
    pub cause: CauseArg,
    #[arg(long)]
    pub findings: String,
    /// name=value[unit], e.g. insulation_resistance=550MΩ (repeatable)
    #[arg(long = "measure", value_name = "NAME=VALUE[UNIT]")]
    pub measures: Vec<String>,
    /// A major quality incident (重大质量事故), reported to management at once
    #[arg(long)]
    pub major_incident: bool,
    /// Hash of an evidence photo on the case, as `photo add` printed it (repeatable)
    #[arg(long = "evidence", value_name = "HASH")]
    pub evidence: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DecideWarrantyArgs {
    #[command(flatten)]
    pub case: CaseRef,
    /// Hash of an evidence photo on the case, as `photo add` printed it (repeatable)
    #[arg(long = "evidence", value_name = "HASH")]
    pub evidence: Vec<String>,
    /// The paid-service charge in major units, when already known (120.50)
    #[arg(long, value_name = "AMOUNT", allow_negative_numbers = true)]
    pub charge: Option<String>,
    #[arg(long, default_value = "CNY", requires = "charge")]
    pub currency: String,
}

#[derive(Debug, Subcommand)]
pub enum PartCommand {
    /// Record a part used; prints the new line id
    Add(PartAddArgs),
    /// Remove a part line recorded by mistake (a compensating entry)
    Remove {
        #[command(flatten)]
        case: CaseRef,
        line: String,
        #[arg(long)]
        reason: String,
    },
    /// Record that a line's kept old part was returned
    ReturnOld {
        #[command(flatten)]
        case: CaseRef,
        line: String,
    },
    /// Record a line's old part kept at this holder under a tag number (旧件留存)
    KeepOld {
        #[command(flatten)]
        case: CaseRef,
        line: String,
        #[arg(long)]
        tag: String,
    },
    /// Record a line's old part sent back to HQ on a return shipment
    ShipOld {
        #[command(flatten)]
        case: CaseRef,
        line: String,
        #[arg(long)]
        shipment: String,
        #[arg(long)]
        tag: String,
    },
    /// Report a line's old part lost, saying why; HQ's CS manager approves the loss
    /// (`fieldhq parts approve-loss`)
    LostOld {
        #[command(flatten)]
        case: CaseRef,
        line: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct PartAddArgs {
    #[command(flatten)]
    pub case: CaseRef,
    #[arg(long)]
    pub part_number: String,
    #[arg(long)]
    pub spec: String,
    #[arg(long)]
    pub qty: u32,
    /// Serial number of the new part
    #[arg(long)]
    pub new_serial: Option<String>,
    /// The replaced old part is kept to be returned
    #[arg(long)]
    pub old_kept: bool,
    /// Serial number of the kept old part
    #[arg(long)]
    pub old_serial: Option<String>,
    /// Why a part off the parts catalog (not listed, or not for this product) is used;
    /// required for such a part, and the line is flagged
    #[arg(long)]
    pub off_catalog_reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct ConfirmArgs {
    #[command(flatten)]
    pub case: CaseRef,
    /// The customer's name as signed
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub answer: AnswerArgs,
    /// Why the customer rejects the outcome (required with --rejected)
    #[arg(long, conflicts_with = "accepted")]
    pub reason: Option<String>,
    /// Hash of the signature photo on the case, as `photo add` printed it
    #[arg(long, value_name = "HASH")]
    pub signature_hash: Option<String>,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct AnswerArgs {
    /// The customer accepts the outcome: the case can be closed
    #[arg(long)]
    pub accepted: bool,
    /// The customer rejects the outcome: a new round starts
    #[arg(long)]
    pub rejected: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub case: CaseRef,
    #[arg(long)]
    pub customer_name: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub serial: Option<String>,
    #[arg(long)]
    pub fault: Option<String>,
}

#[derive(Debug, Args)]
pub struct CorrectArgs {
    #[command(flatten)]
    pub case: CaseRef,
    /// Why the registration was wrong (kept in the history)
    #[arg(long)]
    pub reason: String,
    /// YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    pub purchase_date: Option<String>,
    #[command(flatten)]
    pub proof: CorrectProofArgs,
    /// The hash of an invoice photo already on the case (`case photo add --kind invoice`)
    #[arg(long, value_name = "HASH")]
    pub invoice_photo: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long, value_enum)]
    pub market: Option<MarketArg>,
    /// When the complaint was received (RFC 3339)
    #[arg(long, value_name = "TIME")]
    pub received_at: Option<String>,
}

/// A corrected proof of purchase: at most one of an invoice, a voucher, or none.
#[derive(Debug, Args)]
#[group(required = false, multiple = false)]
pub struct CorrectProofArgs {
    /// Invoice number (发票)
    #[arg(long, value_name = "NO")]
    pub invoice: Option<String>,
    /// Voucher number (凭证)
    #[arg(long, value_name = "NO")]
    pub voucher: Option<String>,
    /// There is no proof of purchase after all: no warranty
    #[arg(long)]
    pub no_proof: bool,
}

#[derive(Debug, Subcommand)]
pub enum WarrantyCommand {
    /// Decide coverage with the default policy; no database is opened or created
    Check(WarrantyCheckArgs),
}

#[derive(Debug, Args)]
pub struct WarrantyCheckArgs {
    #[arg(long)]
    pub category: String,
    #[arg(long, default_value = "")]
    pub model: String,
    /// YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    pub purchase_date: Option<String>,
    /// The date the complaint was received, YYYY-MM-DD
    #[arg(long, value_name = "DATE")]
    pub received_date: String,
    #[arg(long, value_enum)]
    pub cause: CauseArg,
    #[command(flatten)]
    pub proof: CheckProofArgs,
}

#[derive(Debug, Subcommand)]
pub enum DeadlineCommand {
    /// Every deadline of a case received at a moment, with the default policies and the
    /// official working-day calendar; no database is opened or created
    Check(DeadlineCheckArgs),
}

#[derive(Debug, Args)]
pub struct DeadlineCheckArgs {
    /// When the complaint was received, RFC 3339 (its offset is the case's local time)
    #[arg(long, value_name = "TIME")]
    pub received_at: String,
    #[arg(long, value_enum)]
    pub market: MarketArg,
    /// A settlement date agreed with the customer, YYYY-MM-DD (replaces the working days)
    #[arg(long, value_name = "DATE")]
    pub agreed_date: Option<String>,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct CheckProofArgs {
    /// There is an invoice or voucher with the purchase date
    #[arg(long)]
    pub proof: bool,
    #[arg(long)]
    pub no_proof: bool,
}

/// Status names come from the core, so a new status needs no change here.
fn status_parser() -> impl TypedValueParser<Value = Status> {
    PossibleValuesParser::new(Status::ALL.map(Status::as_str))
        .try_map(|s| Status::parse(&s).ok_or("is not a status"))
}

/// Photo kinds come from the core too.
fn photo_kind_parser() -> impl TypedValueParser<Value = PhotoKind> {
    PossibleValuesParser::new(PhotoKind::ALL.map(PhotoKind::as_str))
        .try_map(|s| PhotoKind::parse(&s).ok_or("is not a photo kind"))
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum ReturnKindArg {
    Return,
    Exchange,
}

impl From<ReturnKindArg> for ReturnKind {
    fn from(a: ReturnKindArg) -> ReturnKind {
        match a {
            ReturnKindArg::Return => ReturnKind::Return,
            ReturnKindArg::Exchange => ReturnKind::Exchange,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum FreightArg {
    Company,
    Customer,
}

impl From<FreightArg> for Freight {
    fn from(a: FreightArg) -> Freight {
        match a {
            FreightArg::Company => Freight::Company,
            FreightArg::Customer => Freight::Customer,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum PackingArg {
    AsRequired,
    NotAsRequired,
    Loose,
}

impl From<PackingArg> for Packing {
    fn from(a: PackingArg) -> Packing {
        match a {
            PackingArg::AsRequired => Packing::AsRequired,
            PackingArg::NotAsRequired => Packing::NotAsRequired,
            PackingArg::Loose => Packing::Loose,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum MarketArg {
    Domestic,
    Foreign,
}

impl From<MarketArg> for Market {
    fn from(a: MarketArg) -> Market {
        match a {
            MarketArg::Domestic => Market::Domestic,
            MarketArg::Foreign => Market::Foreign,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum RequestArg {
    Repair,
    Exchange,
    Return,
    Compensation,
}

impl From<RequestArg> for CustomerRequest {
    fn from(a: RequestArg) -> CustomerRequest {
        match a {
            RequestArg::Repair => CustomerRequest::Repair,
            RequestArg::Exchange => CustomerRequest::Exchange,
            RequestArg::Return => CustomerRequest::Return,
            RequestArg::Compensation => CustomerRequest::Compensation,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum ChannelArg {
    Phone,
    Email,
    Fax,
    Letter,
    Dealer,
    OnSite,
}

impl From<ChannelArg> for Channel {
    fn from(a: ChannelArg) -> Channel {
        match a {
            ChannelArg::Phone => Channel::Phone,
            ChannelArg::Email => Channel::Email,
            ChannelArg::Fax => Channel::Fax,
            ChannelArg::Letter => Channel::Letter,
            ChannelArg::Dealer => Channel::Dealer,
            ChannelArg::OnSite => Channel::OnSite,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum CauseArg {
    DesignManufacturing,
    StorageTransport,
    CustomerMisuse,
}

impl From<CauseArg> for Cause {
    fn from(a: CauseArg) -> Cause {
        match a {
            CauseArg::DesignManufacturing => Cause::DesignManufacturing,
            CauseArg::StorageTransport => Cause::StorageTransport,
            CauseArg::CustomerMisuse => Cause::CustomerMisuse,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum OutcomeArg {
    RepairedOnSite,
    PartsReplaced,
    Exchanged,
    Returned,
    PaidRepair,
    Rejected,
}

impl From<OutcomeArg> for Outcome {
    fn from(a: OutcomeArg) -> Outcome {
        match a {
            OutcomeArg::RepairedOnSite => Outcome::RepairedOnSite,
            OutcomeArg::PartsReplaced => Outcome::PartsReplaced,
            OutcomeArg::Exchanged => Outcome::Exchanged,
            OutcomeArg::Returned => Outcome::Returned,
            OutcomeArg::PaidRepair => Outcome::PaidRepair,
            OutcomeArg::Rejected => Outcome::Rejected,
        }
    }
}

/// The fields a conflict can be on: the decisions, and the warranty-deciding facts corrected
/// concurrently; the core takes the name as text.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum DecisionFieldArg {
    Status,
    Defect,
    Warranty,
    Charge,
    Resolution,
    PassedToQa,
    Remedy,
    Report,
    AgreedDeadline,
    Compensation,
    #[value(name = "facts.purchase_date")]
    PurchaseDate,
    #[value(name = "facts.proof_of_purchase")]
    ProofOfPurchase,
    #[value(name = "facts.product_category")]
    ProductCategory,
    #[value(name = "facts.product_model")]
    ProductModel,
    #[value(name = "facts.market")]
    Market,
    #[value(name = "facts.received_at")]
    ReceivedAt,
}

impl DecisionFieldArg {
    pub fn name(self) -> &'static str {
        match self {
            DecisionFieldArg::Status => "status",
            DecisionFieldArg::Defect => "defect",
            DecisionFieldArg::Warranty => "warranty",
            DecisionFieldArg::Charge => "charge",
            DecisionFieldArg::Resolution => "resolution",
            DecisionFieldArg::PassedToQa => "passed_to_qa",
            DecisionFieldArg::Remedy => "remedy",
            DecisionFieldArg::Report => "report",
            DecisionFieldArg::AgreedDeadline => "agreed_deadline",
            DecisionFieldArg::Compensation => "compensation",
            DecisionFieldArg::PurchaseDate => "facts.purchase_date",
            DecisionFieldArg::ProofOfPurchase => "facts.proof_of_purchase",
            DecisionFieldArg::ProductCategory => "facts.product_category",
            DecisionFieldArg::ProductModel => "facts.product_model",
            DecisionFieldArg::Market => "facts.market",
            DecisionFieldArg::ReceivedAt => "facts.received_at",
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
