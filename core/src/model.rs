//! The vocabulary of a service case: the registration form, lifecycle states and the entries
//! a visit appends. Plain data with serde, shared by the rules, the document and the store.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A point in time as the device saw it, with the local offset kept so that "which day was it
/// at the customer's site" stays answerable.
pub type Timestamp = DateTime<FixedOffset>;

/// Where the customer is, relative to the company: the procedures treat the home region and
/// foreign customers differently (close deadline, return window).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Market {
    Domestic,
    Foreign,
}

impl Market {
    pub const ALL: [Market; 2] = [Market::Domestic, Market::Foreign];
}

/// How the complaint reached the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Email,
    Fax,
    Letter,
    Dealer,
    OnSite,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Phone,
        Channel::Email,
        Channel::Fax,
        Channel::Letter,
        Channel::Dealer,
        Channel::OnSite,
    ];
}

/// What the customer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerRequest {
    Repair,
    Exchange,
    Return,
    Compensation,
}

impl CustomerRequest {
    pub const ALL: [CustomerRequest; 4] = [
        CustomerRequest::Repair,
        CustomerRequest::Exchange,
        CustomerRequest::Return,
        CustomerRequest::Compensation,
    ];
}

/// The document that proves the purchase date; without one there is no warranty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "number", rename_all = "snake_case")]
pub enum ProofOfPurchase {
    Invoice(String),
    Voucher(String),
    None,
}

impl ProofOfPurchase {
    pub fn is_present(&self) -> bool {
        !matches!(self, ProofOfPurchase::None)
    }
}

/// The registration form of a complaint (顾客质量投诉登记), as entered on the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_address: String,
    /// Free-form region name; `home_region` says whether it is the company's home region.
    pub region: String,
    pub home_region: bool,
    pub market: Market,
    pub product_model: String,
    /// Product category as named in the warranty policy table (motor, generator, pump, ...).
    pub product_category: String,
    pub serial_number: String,
    pub manufacture_date: Option<NaiveDate>,
    pub purchase_date: Option<NaiveDate>,
    pub proof_of_purchase: ProofOfPurchase,
    pub fault_description: String,
    pub customer_request: CustomerRequest,
    pub channel: Channel,
    pub received_at: Timestamp,
    /// 首问责任人: accountable for the case until it closes. The person's name as shown; on
    /// cases registered before first responders were HQ users, free text.
    pub first_responder: String,
    /// The first responder's HQ user id, when the first responder is a known user; absent on
    /// older cases, whose free-text first responder stays shown as it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_responder_id: Option<i64>,
    /// The production batch or lot (生产批次) from the nameplate, where recorded: batch faults
    /// are counted per model and batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_batch: Option<String>,
}

/// A change to the registration's facts that do not decide warranty; `None` leaves a field as
/// it is. The facts that decide warranty change only by a [`FactsCorrection`], with a reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FactsUpdate {
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
    pub customer_address: Option<String>,
    pub region: Option<String>,
    pub serial_number: Option<String>,
    pub fault_description: Option<String>,
}

/// A correction of the registration facts that decide warranty, with the reason for it; `None`
/// leaves a field as it is. The case keeps every old value, who replaced it and why, and a
/// warranty decision made on the old facts becomes stale.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FactsCorrection {
    pub purchase_date: Option<NaiveDate>,
    pub proof_of_purchase: Option<ProofOfPurchase>,
    pub product_category: Option<String>,
    /// The model decides warranty too, through the policy's per-model periods.
    pub product_model: Option<String>,
    pub market: Option<Market>,
    pub received_at: Option<Timestamp>,
    /// Why the registration was wrong; required.
    pub reason: String,
    /// A photo already on the case showing the invoice or voucher, cited as evidence of the
    /// proof of purchase (the case's proof after the correction must be present).
    pub invoice_photo: Option<String>,
}

/// Where a case is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Registered,
        Status::Acknowledged,
        Status::VisitScheduled,
        Status::OnSite,
        Status::DefectConfirmed,
        Status::WarrantyDecided,
        Status::Resolved,
        Status::CustomerConfirmed,
        Status::Closed,
        Status::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Registered => "registered",
            Status::Acknowledged => "acknowledged",
            Status::VisitScheduled => "visit_scheduled",
            Status::OnSite => "on_site",
            Status::DefectConfirmed => "defect_confirmed",
            Status::WarrantyDecided => "warranty_decided",
            Status::Resolved => "resolved",
            Status::CustomerConfirmed => "customer_confirmed",
            Status::Closed => "closed",
            Status::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// A case's status as its document holds it: one this version knows, or a value a newer
/// version of the app wrote (ADR 0009). An unknown status is shown and kept as its text; the
/// commands that depend on the status refuse to run on it (`Error::UnknownStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseStatus {
    Known(Status),
    /// The raw text of a status this version does not know.
    Unknown(String),
}

impl CaseStatus {
    /// Reads a stored status text; never fails: a text that is no [`Status`] is unknown.
    pub fn parse(s: &str) -> CaseStatus {
        Status::parse(s).map_or_else(|| CaseStatus::Unknown(s.to_owned()), CaseStatus::Known)
    }

    /// The text as stored: the snake_case name, or the unknown value as it was written.
    pub fn as_str(&self) -> &str {
        match self {
            CaseStatus::Known(status) => status.as_str(),
            CaseStatus::Unknown(text) => text,
        }
    }

    /// The status, when this version knows it.
    pub fn known(&self) -> Option<Status> {
        match self {
            CaseStatus::Known(status) => Some(*status),
            CaseStatus::Unknown(_) => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, CaseStatus::Unknown(_))
    }
}

impl From<Status> for CaseStatus {
    fn from(status: Status) -> CaseStatus {
        CaseStatus::Known(status)
    }
}

impl PartialEq<Status> for CaseStatus {
    fn eq(&self, other: &Status) -> bool {
        self.known() == Some(*other)
    }
}

impl std::fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// Stored as the bare status text, exactly like `Status`, so a known value reads and writes the
// same bytes either way and an unknown one is written back unchanged.
impl Serialize for CaseStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CaseStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<CaseStatus, D::Error> {
        // Only a string is a status: a number or an object where a status belongs is a value
        // no version wrote, and stays unreadable.
        let text = String::deserialize(deserializer)?;
        Ok(CaseStatus::parse(&text))
    }
}

/// The cause found on site (故障鉴定).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// (a) design or manufacturing.
    DesignManufacturing,
    /// (b) storage or transport.
    StorageTransport,
    /// (c) customer misuse or another customer-side cause.
    CustomerMisuse,
}

impl Cause {
    pub const ALL: [Cause; 3] = [
        Cause::DesignManufacturing,
        Cause::StorageTransport,
        Cause::CustomerMisuse,
    ];

    /// (a) and (b) are product-quality faults; (c) is not.
    pub fn is_quality_fault(self) -> bool {
        !matches!(self, Cause::CustomerMisuse)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::DesignManufacturing => "design_manufacturing",
            Cause::StorageTransport => "storage_transport",
            Cause::CustomerMisuse => "customer_misuse",
        }
    }

    pub fn parse(s: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A value measured on site (insulation resistance, current, vibration, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub name: String,
    pub value: f64,
    pub unit: String,
}

/// What the engineer enters when confirming the defect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefectInput {
    pub cause: Cause,
    pub findings: String,
    pub measurements: Vec<Measurement>,
    /// 重大质量事故: must be reported to management at once.
    pub major_incident: bool,
    /// Content hashes of photos cited as evidence.
    pub evidence_photos: Vec<String>,
}

/// How a case was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    RepairedOnSite,
    PartsReplaced,
    Exchanged,
    Returned,
    PaidRepair,
    Rejected,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::RepairedOnSite,
        Outcome::PartsReplaced,
        Outcome::Exchanged,
        Outcome::Returned,
        Outcome::PaidRepair,
        Outcome::Rejected,
    ];
}

/// A charge for paid service, at production cost, in minor currency units (fen, cents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub amount_minor: i64,
    pub currency: String,
}

/// A spare part used on the case (三包配件).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartInput {
    pub part_number: String,
    pub specification: String,
    pub quantity: u32,
    pub new_serial: Option<String>,
    /// The replaced old part is kept to be returned and written off.
    pub old_part_kept: bool,
    pub old_part_serial: Option<String>,
    /// Why a part off the parts catalog (not listed, or not for this product) was used:
    /// required then, dropped for a catalog part or when the device has no catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub off_catalog_reason: Option<String>,
}

/// The customer's answer to the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfirmationInput {
    pub customer_name: String,
    pub accepted: bool,
    /// Required when the customer rejects the outcome.
    pub reason: Option<String>,
    /// SHA-256 (hex) of the signature image, stored with the photos.
    pub signature_hash: Option<String>,
}

/// What a photo shows; evidence is cited by kind in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoKind {
    Nameplate,
    Serial,
    Defect,
    Invoice,
    Signature,
    ReturnedGoods,
    Other,
}

impl PhotoKind {
    pub const ALL: [PhotoKind; 7] = [
        PhotoKind::Nameplate,
        PhotoKind::Serial,
        PhotoKind::Defect,
        PhotoKind::Invoice,
        PhotoKind::Signature,
        PhotoKind::ReturnedGoods,
        PhotoKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PhotoKind::Nameplate => "nameplate",
            PhotoKind::Serial => "serial",
            PhotoKind::Defect => "defect",
            PhotoKind::Invoice => "invoice",
            PhotoKind::Signature => "signature",
            PhotoKind::ReturnedGoods => "returned_goods",
            PhotoKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<PhotoKind> {
        PhotoKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A case id: UUIDv7 made on the device, so ids sort by creation time and never collide.
pub type CaseId = Uuid;

/// A position in decimal degrees, north and east positive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GpsPosition {
    pub lat: f64,
    pub lon: f64,
}
