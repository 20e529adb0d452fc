//! The case vocabulary as the apps see it: the core's enums exposed as they are (uniffi
//! "remote" definitions, checked against the core at compile time), and the inputs of the
//! registration form and commands.

use fieldcore::Action;
pub use fieldcore::Milestone;
pub use fieldcore::UploadState;
pub use fieldcore::WarrantyRule;
use fieldcore::{
    self as core, Cause, Channel, Charge, ConfirmationInput, CustomerRequest, DefectInput,
    FactsUpdate, Market, Measurement, Outcome, PhotoKind, Status,
};

use crate::convert::{self, LocalDate, Timestamp};
use crate::error::FieldError;

/// A step a person takes that moves a case to another status; `CaseView.allowed_actions`
/// lists the ones the case's status allows, so a screen can enable exactly those buttons.
pub type CaseAction = Action;

/// Where the customer is relative to the company: deadlines and the return window differ.
#[uniffi::remote(Enum)]
pub enum Market {
    Domestic,
    Foreign,
}

/// How the complaint reached the company.
#[uniffi::remote(Enum)]
pub enum Channel {
    Phone,
    Email,
    Fax,
    Letter,
    Dealer,
    OnSite,
}

/// What the customer asks for.
#[uniffi::remote(Enum)]
pub enum CustomerRequest {
    Repair,
    Exchange,
    Return,
    Compensation,
}

/// Where a case is in its lifecycle.
#[uniffi::remote(Enum)]
pub enum Status {
    Registered,
    Acknowledged,
    VisitScheduled,
    OnSite,
    DefectConfirmed,
    WarrantyDecided,
    Resolved,
    CustomerConfirmed,
    Closed,
    /// A new round after the customer rejected the outcome; it starts again from acknowledgement.
    Reopened,
}

/// The cause found on site (故障鉴定). Design/manufacturing and storage/transport are
/// product-quality faults; customer misuse is not.
#[uniffi::remote(Enum)]
pub enum Cause {
    DesignManufacturing,
    StorageTransport,
    CustomerMisuse,
}

/// How a case was resolved.
#[uniffi::remote(Enum)]
pub enum Outcome {
    RepairedOnSite,
    PartsReplaced,
    Exchanged,
    Returned,
    PaidRepair,
    Rejected,
}

/// What a photo shows; reports cite evidence by kind.
#[uniffi::remote(Enum)]
pub enum PhotoKind {
    Nameplate,
    Serial,
    Defect,
    Invoice,
    Signature,
    ReturnedGoods,
    Other,
}

#[uniffi::remote(Enum)]
pub enum CaseAction {
    Acknowledge,
    ScheduleVisit,
    ArriveOnSite,
    ConfirmDefect,
    DecideWarranty,
    Resolve,
    CustomerAccepts,
    CustomerRejects,
    Close,
    Reopen,
}

/// The deadline a case's next due item belongs to.
#[uniffi::remote(Enum)]
pub enum Milestone {
    /// Answer the customer (24 hours by default).
    Reply,
    /// Propose a remedy (48 hours by default; none for a case passed to QA).
    Remedy,
    /// The investigation report (3 days after the on-site defect confirmation by default).
    Report,
    /// Settle the case within 5 working days (by default), or by the date agreed with the
    /// customer; due at the end of that day in the company's time zone.
    WorkingDays,
    /// Close the case (13 days domestic / 17 days foreign from HQ's acceptance by default).
    Close,
}

/// Which 三包 rule decided a warranty question.
#[uniffi::remote(Enum)]
pub enum WarrantyRule {
    NoProofOfPurchase,
    NotInScope,
    OutOfPeriod,
    NonQualityFault,
    CoveredQualityFault,
}

/// Where a photo's bytes stand between this device and HQ.
#[uniffi::remote(Enum)]
pub enum UploadState {
    /// On this device, not yet confirmed by HQ.
    Pending,
    /// HQ has it.
    Uploaded,
    /// Another device attached it; the bytes are not on this device yet.
    NotHere,
}

/// A value measured on site (insulation resistance, current, vibration, ...). Named
/// `MeasuredValue` in the bindings: `Measurement` is taken in Swift's Foundation.
#[uniffi::remote(Record)]
#[uniffi(name = "MeasuredValue")]
pub struct Measurement {
    pub name: String,
    pub value: f64,
    pub unit: String,
}

/// What the engineer enters when confirming the defect.
#[uniffi::remote(Record)]
pub struct DefectInput {
    pub cause: Cause,
    pub findings: String,
    #[uniffi(default)]
    pub measurements: Vec<Measurement>,
    /// 重大质量事故: reported to management at once.
    #[uniffi(default)]
    pub major_incident: bool,
    /// Hashes of photos on the case cited as evidence.
    #[uniffi(default)]
    pub evidence_photos: Vec<String>,
}

/// A spare part used on the case (三包配件).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PartInput {
    pub part_number: String,
    pub specification: String,
    /// At least 1; negative is refused (`validation.negative`).
    pub quantity: i32,
    #[uniffi(default)]
    pub new_serial: Option<String>,
    /// The replaced old part is kept, to be returned and written off.
    #[uniffi(default)]
    pub old_part_kept: bool,
    #[uniffi(default)]
    pub old_part_serial: Option<String>,
    /// Why a part off the parts catalog (not listed, or not for this product) is used:
    /// required then (`validation.off_catalog_needs_reason`), dropped for a catalog part.
    #[uniffi(default)]
    pub off_catalog_reason: Option<String>,
}

impl TryFrom<PartInput> for core::PartInput {
    type Error = FieldError;

    fn try_from(p: PartInput) -> Result<core::PartInput, FieldError> {
        Ok(core::PartInput {
            part_number: p.part_number,
            specification: p.specification,
            quantity: convert::unsigned("quantity", p.quantity)?,
            new_serial: p.new_serial,
            old_part_kept: p.old_part_kept,
            old_part_serial: p.old_part_serial,
            off_catalog_reason: p.off_catalog_reason,
        })
    }
}

impl From<core::PartInput> for PartInput {
    fn from(p: core::PartInput) -> PartInput {
        PartInput {
            part_number: p.part_number,
            specification: p.specification,
            quantity: convert::signed32(p.quantity),
            new_serial: p.new_serial,
            old_part_kept: p.old_part_kept,
            old_part_serial: p.old_part_serial,
            off_catalog_reason: p.off_catalog_reason,
        }
    }
}

/// The customer's answer to the outcome.
#[uniffi::remote(Record)]
pub struct ConfirmationInput {
    pub customer_name: String,
    pub accepted: bool,
    /// Required when the customer rejects the outcome.
    #[uniffi(default)]
    pub reason: Option<String>,
    /// The hash of a signature photo imported on the case (kind `Signature`).
    #[uniffi(default)]
    pub signature_hash: Option<String>,
}

/// An edit of the registration's facts that do not decide warranty; a `null`/`nil` field stays
/// as it is. The facts that decide warranty change by `FactsCorrection`.
#[uniffi::remote(Record)]
pub struct FactsUpdate {
    #[uniffi(default)]
    pub customer_name: Option<String>,
    #[uniffi(default)]
    pub customer_phone: Option<String>,
    #[uniffi(default)]
    pub customer_address: Option<String>,
    #[uniffi(default)]
    pub region: Option<String>,
    #[uniffi(default)]
    pub serial_number: Option<String>,
    #[uniffi(default)]
    pub fault_description: Option<String>,
}

/// A correction of the facts that decide warranty, with the reason; a `null`/`nil` field stays
/// as it is. The case keeps the old values in `CaseView.corrections`, and a warranty decision
/// made on them shows as `CaseView.warranty_stale` until it is decided again.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FactsCorrection {
    #[uniffi(default)]
    pub purchase_date: Option<LocalDate>,
    #[uniffi(default)]
    pub proof_of_purchase: Option<ProofOfPurchase>,
    #[uniffi(default)]
    pub product_category: Option<String>,
    #[uniffi(default)]
    pub product_model: Option<String>,
    #[uniffi(default)]
    pub market: Option<Market>,
    #[uniffi(default)]
    pub received_at: Option<Timestamp>,
    /// Why the registration was wrong; required.
    pub reason: String,
    /// The hash of an invoice photo already imported on the case (kind `Invoice`).
    #[uniffi(default)]
    pub invoice_photo: Option<String>,
}

impl From<FactsCorrection> for core::FactsCorrection {
    fn from(c: FactsCorrection) -> core::FactsCorrection {
        core::FactsCorrection {
            purchase_date: c.purchase_date,
            proof_of_purchase: c.proof_of_purchase.map(Into::into),
            product_category: c.product_category,
            product_model: c.product_model,
            market: c.market,
            received_at: c.received_at,
            reason: c.reason,
            invoice_photo: c.invoice_photo,
        }
    }
}

/// A charge for paid service, at production cost, in minor units (fen, cents).
#[uniffi::remote(Record)]
pub struct Charge {
    pub amount_minor: i64,
    /// ISO 4217 code, e.g. `CNY`.
    pub currency: String,
}

/// The document that proves the purchase date; without one there is no warranty.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ProofOfPurchase {
    Invoice { number: String },
    Voucher { number: String },
    None,
}

/// The registration form of a complaint (顾客质量投诉登记).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Registration {
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_address: String,
    /// Free-form region name.
    pub region: String,
    /// Whether `region` is the company's home region (shorter return window).
    pub home_region: bool,
    pub market: Market,
    pub product_model: String,
    /// As named in the warranty policy: motor, generator, pump, ...
    pub product_category: String,
    pub serial_number: String,
    pub manufacture_date: Option<LocalDate>,
    pub purchase_date: Option<LocalDate>,
    pub proof_of_purchase: ProofOfPurchase,
    pub fault_description: String,
    pub customer_request: CustomerRequest,
    pub channel: Channel,
    /// When the complaint arrived, with the local offset.
    pub received_at: Timestamp,
    /// 首问责任人: accountable for the case until it closes (free text on older cases).
    pub first_responder: String,
    /// The first responder's HQ user id, when known. Optional in the constructor, so apps
    /// written before it existed still build.
    #[uniffi(default)]
    pub first_responder_id: Option<i64>,
    /// The production batch or lot, where recorded.
    #[uniffi(default)]
    pub production_batch: Option<String>,
}

impl From<ProofOfPurchase> for core::ProofOfPurchase {
    fn from(p: ProofOfPurchase) -> core::ProofOfPurchase {
        match p {
            ProofOfPurchase::Invoice { number } => core::ProofOfPurchase::Invoice(number),
            ProofOfPurchase::Voucher { number } => core::ProofOfPurchase::Voucher(number),
            ProofOfPurchase::None => core::ProofOfPurchase::None,
        }
    }
}

impl From<core::ProofOfPurchase> for ProofOfPurchase {
    fn from(p: core::ProofOfPurchase) -> ProofOfPurchase {
        match p {
            core::ProofOfPurchase::Invoice(number) => ProofOfPurchase::Invoice { number },
            core::ProofOfPurchase::Voucher(number) => ProofOfPurchase::Voucher { number },
            core::ProofOfPurchase::None => ProofOfPurchase::None,
        }
    }
}

impl From<Registration> for core::Registration {
    fn from(r: Registration) -> core::Registration {
        core::Registration {
            customer_name: r.customer_name,
            customer_phone: r.customer_phone,
            customer_address: r.customer_address,
            region: r.region,
            home_region: r.home_region,
            market: r.market,
            product_model: r.product_model,
            product_category: r.product_category,
            serial_number: r.serial_number,
            manufacture_date: r.manufacture_date,
            purchase_date: r.purchase_date,
            proof_of_purchase: r.proof_of_purchase.into(),
            fault_description: r.fault_description,
            customer_request: r.customer_request,
            channel: r.channel,
            received_at: r.received_at,
            first_responder: r.first_responder,
            first_responder_id: r.first_responder_id,
            production_batch: r.production_batch,
        }
    }
}

impl From<core::Registration> for Registration {
    fn from(r: core::Registration) -> Registration {
        Registration {
            customer_name: r.customer_name,
            customer_phone: r.customer_phone,
            customer_address: r.customer_address,
            region: r.region,
            home_region: r.home_region,
            market: r.market,
            product_model: r.product_model,
            product_category: r.product_category,
            serial_number: r.serial_number,
            manufacture_date: r.manufacture_date,
            purchase_date: r.purchase_date,
            proof_of_purchase: r.proof_of_purchase.into(),
            fault_description: r.fault_description,
            customer_request: r.customer_request,
            channel: r.channel,
            received_at: r.received_at,
            first_responder: r.first_responder,
            first_responder_id: r.first_responder_id,
            production_batch: r.production_batch,
        }
    }
}
