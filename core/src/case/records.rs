//! What a case document stores under its decision fields and append-only collections.
//! Every record says who wrote it, on which device and when, because the case view must be
//! able to show all of that for each value, conflicting ones included.

use serde::{Deserialize, Serialize};

use chrono::NaiveDate;

use crate::case::correction::WarrantyFacts;
use crate::model::{
    CaseStatus, Cause, ConfirmationInput, GpsPosition, Measurement, Outcome, PartInput, PhotoKind,
    Timestamp,
};
use crate::rules::deadlines::Milestone;
use crate::rules::warranty::WarrantyDecision;

/// Who did something, where and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    pub by: String,
    pub device: String,
    pub at: Timestamp,
}

/// A value of a decision field. `key` is the decisive part as text: two concurrent records
/// with different keys are a conflict; with equal keys they agree and are not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decided<T> {
    pub key: String,
    pub value: T,
    #[serde(flatten)]
    pub stamp: Stamp,
    /// Set when a person chose this value to resolve a conflict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<Stamp>,
}

/// An append-only entry with its own id (UUIDv7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry<T> {
    pub id: String,
    #[serde(flatten)]
    pub stamp: Stamp,
    #[serde(flatten)]
    pub body: T,
}

/// The on-site defect confirmation (故障鉴定).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefectRecord {
    pub cause: Cause,
    pub quality_fault: bool,
    pub findings: String,
    pub measurements: Vec<Measurement>,
    pub major_incident: bool,
    pub evidence_photos: Vec<String>,
}

/// The warranty decision with the rule's explanation and the evidence it cites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarrantyRecord {
    #[serde(flatten)]
    pub decision: WarrantyDecision,
    pub evidence_photos: Vec<String>,
    /// The warranty-deciding facts as they stood when deciding: the view compares them with
    /// the facts now, so a later correction (here or merged from another device) makes the
    /// decision stale. Absent on decisions written before corrections existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_on: Option<WarrantyFacts>,
}

/// How the case was resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolutionRecord {
    pub outcome: Outcome,
    pub summary: String,
}

/// The audit trail: one event per command.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventBody {
    pub action: String,
    /// The entry in English, as recorded for the audit trail.
    pub summary: String,
    /// What the entry says as a typed value (`case::summary::Summary`), from which the
    /// history is worded in either language. Absent on entries recorded before it existed;
    /// kept as JSON so an entry a newer app words differently is still read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
    /// On a `correct_facts` event: the old and new values and the reason, so the audit trail
    /// keeps what a correction replaced. Absent on every other event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<CorrectionRecord>,
    /// On a handover of the first responder: who handed over to whom and why. The event is
    /// the handover's record, so the history needs no collection of its own (older apps read
    /// the event and ignore this field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover: Option<Handover>,
}

/// What a correction of warranty-deciding facts changed and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionRecord {
    pub reason: String,
    /// Each fact changed, in fact-key order; empty when the correction only adds an invoice
    /// photo to the proof of purchase already recorded.
    pub changes: Vec<FactChange>,
    /// A photo of the invoice or voucher (a key of `photos`), cited as evidence of the proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_photo: Option<String>,
}

/// One fact a correction changed, as JSON texts exactly as the facts map holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactChange {
    pub field: String,
    /// The value shown when correcting (the winner, when the fact had concurrent values: the
    /// correction replaces all of them).
    pub from: String,
    pub to: String,
}

/// A handover of the first responder (首问责任人) from one person to an HQ user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handover {
    /// The first responder before: a name, free text on older cases.
    pub from: String,
    pub from_id: Option<i64>,
    pub to: String,
    pub to_id: i64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteBody {
    pub text: String,
}

/// A part-usage ledger line. Lines are never edited: a removal is a `Reversal` entry, and the
/// old part's fate (kept, shipped, lost, returned) is a custody entry, all pointing at the line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PartBody {
    Used(UsedPart),
    Reversal {
        line: String,
        reason: String,
    },
    OldPartReturned {
        line: String,
    },
    /// The old part is kept at the holder under a tag number (ADR 0022).
    OldPartKept {
        line: String,
        tag: String,
    },
    /// The old part was sent back to HQ on a return shipment.
    OldPartShipped {
        line: String,
        shipment: String,
        tag: String,
    },
    /// The old part was lost; HQ approves the loss under `approvals.<this entry's id>:loss`.
    OldPartLost {
        line: String,
        reason: String,
    },
}

impl PartBody {
    /// Every `kind` this version reads; an entry of another kind is a newer app's (ADR 0009).
    pub const KINDS: [&'static str; 6] = [
        "used",
        "reversal",
        "old_part_returned",
        "old_part_kept",
        "old_part_shipped",
        "old_part_lost",
    ];
}

/// A `used` part line: the part as entered, and whether it was off the device's parts catalog
/// when recorded (then `off_catalog_reason` says why it was used anyway).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsedPart {
    #[serde(flatten)]
    pub part: PartInput,
    /// Set by the core: the part number was not in the catalog, or not for this product.
    /// Absent (false) on lines recorded before the catalog, or without one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub off_catalog: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VisitBody {
    Scheduled {
        planned_for: Timestamp,
    },
    Arrived,
    /// A trip request (出差申请) waiting for HQ's approval (`approvals.<this entry's id>`).
    TripRequested {
        reason: String,
        planned_for: Option<Timestamp>,
    },
    /// An emergency visit made without an approved trip, with the engineer's reason.
    Emergency {
        reason: String,
    },
}

impl VisitBody {
    /// Every `kind` this version reads; an entry of another kind is a newer app's (ADR 0009).
    pub const KINDS: [&'static str; 4] = ["scheduled", "arrived", "trip_requested", "emergency"];
}

/// What HQ decided about a request made on a device: under `approvals.<request entry id>` for
/// a single decision (a trip), under `approvals.<request entry id>:<step>` for each step of an
/// approval chain (a return, a replenishment notice).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    /// The id of the request's entry (a `trip_requested` visit entry, a `requested` or
    /// `replenishment_requested` return entry).
    pub request: String,
    /// What was requested: `trip`, `return`, `replenishment`, `loss` (of an old part).
    pub kind: String,
    pub approved: bool,
    /// The HQ user who decided.
    pub by: String,
    pub at: Timestamp,
    /// Why, on a rejection (required) or an approval (optional).
    pub reason: Option<String>,
    /// The chain step decided (`review`, `approve`); absent on a single decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The role the deciding user held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

impl ApprovalRecord {
    /// The key the record is stored under in `approvals`.
    pub fn key(&self) -> String {
        match &self.step {
            Some(step) => format!("{}:{step}", self.request),
            None => self.request.clone(),
        }
    }
}

/// Why HQ raised an escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationKind {
    /// A major quality incident (重大质量事故) recorded with the defect: raised at once.
    MajorIncident,
    /// Cases of the same model (and batch) past the policy's threshold within its window.
    BatchFault,
    /// A deadline missed by longer than the policy's delay: to the supervisor role.
    Overdue,
}

impl EscalationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationKind::MajorIncident => "major_incident",
            EscalationKind::BatchFault => "batch_fault",
            EscalationKind::Overdue => "overdue",
        }
    }

    pub fn parse(s: &str) -> Option<EscalationKind> {
        [
            EscalationKind::MajorIncident,
            EscalationKind::BatchFault,
            EscalationKind::Overdue,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The kind's name in the procedures' terms.
    pub fn text(&self, locale: crate::Locale) -> String {
        match (self, locale) {
            (EscalationKind::MajorIncident, crate::Locale::ZhCn) => "重大质量事故",
            (EscalationKind::MajorIncident, crate::Locale::En) => "major quality incident",
            (EscalationKind::BatchFault, crate::Locale::ZhCn) => "批量故障",
            (EscalationKind::BatchFault, crate::Locale::En) => "batch fault",
            (EscalationKind::Overdue, crate::Locale::ZhCn) => "超期升级",
            (EscalationKind::Overdue, crate::Locale::En) => "overdue escalation",
        }
        .to_owned()
    }
}

/// An escalation as HQ writes it into each case it concerns, under `escalations.<id>`; HQ
/// rewrites the record when a person acknowledges it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscalationRecord {
    pub id: String,
    pub kind: EscalationKind,
    pub raised_at: Timestamp,
    /// The role told: the vice president for incidents and batch faults, the first
    /// responder's supervisor for overdue cases (from the policy).
    pub to_role: String,
    pub product_model: Option<String>,
    pub production_batch: Option<String>,
    /// How many cases the escalation counts (one for an incident or an overdue case).
    pub cases: u32,
    /// For an overdue case: the deadline missed and when it was due.
    pub milestone: Option<String>,
    pub due_at: Option<Timestamp>,
    pub acknowledged: Option<Acknowledgement>,
}

/// Who at HQ acknowledged an escalation, when, and with what note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acknowledgement {
    pub by: String,
    pub at: Timestamp,
    pub note: Option<String>,
}

impl EscalationRecord {
    /// One line for a person: what, about which product, and whether it was acknowledged.
    pub fn text(&self, locale: crate::Locale) -> String {
        let zh = locale == crate::Locale::ZhCn;
        let mut line = self.kind.text(locale);
        if let Some(model) = &self.product_model {
            line.push_str(&format!(" {model}"));
            if let Some(batch) = &self.production_batch {
                line.push_str(&if zh {
                    format!(" 批次 {batch}")
                } else {
                    format!(" batch {batch}")
                });
            }
        }
        if self.kind == EscalationKind::BatchFault {
            line.push_str(&if zh {
                format!("（{} 起）", self.cases)
            } else {
                format!(" ({} cases)", self.cases)
            });
        }
        if let Some(milestone) = &self.milestone {
            line.push_str(&if zh {
                // The deadline's Chinese name; a name this version does not know, as written.
                let name = Milestone::parse(milestone)
                    .map_or_else(|| milestone.clone(), |m| crate::Localized::text(&m, locale));
                format!(" 超期：{name}")
            } else {
                format!(" overdue: {milestone}")
            });
        }
        line.push_str(&if zh {
            format!("，上报 {}", self.to_role)
        } else {
            format!(", to {}", self.to_role)
        });
        line.push_str(&match (&self.acknowledged, zh) {
            (Some(a), true) => format!("，{} 已确认", a.by),
            (Some(a), false) => format!(", acknowledged by {}", a.by),
            (None, true) => "，待确认".to_owned(),
            (None, false) => ", not acknowledged".to_owned(),
        });
        line
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfirmationBody {
    #[serde(flatten)]
    pub input: ConfirmationInput,
    /// The round the customer answered for.
    pub round: u32,
}

/// The start of a new round after the customer rejected the outcome or the case was reopened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundBody {
    pub round: u32,
    pub reason: String,
    /// The rejecting confirmation this round answers, when there is one.
    pub follows_confirmation: Option<String>,
}

/// What the device knows of a processed photo when it attaches it to a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoAttachment {
    pub hash: String,
    pub kind: PhotoKind,
    pub caption: String,
    pub taken_at: Option<String>,
    pub size: u64,
    pub width: u32,
    pub height: u32,
    pub thumbnail_hash: String,
    pub thumbnail_size: u64,
    pub gps: Option<GpsPosition>,
}

/// A photo attached to a case, keyed by the SHA-256 of its processed JPEG. The document holds
/// only this description; the bytes live in the blob folder and travel separately.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoRecord {
    pub kind: PhotoKind,
    pub caption: String,
    /// Capture time from the camera, when it recorded one.
    pub taken_at: Option<String>,
    pub size: u64,
    pub width: u32,
    pub height: u32,
    pub thumbnail_hash: String,
    pub thumbnail_size: u64,
    /// Only when the photo policy keeps positions.
    pub gps: Option<GpsPosition>,
    pub added_by: Stamp,
}

/// A photo taken off a case; the event trail keeps who did it and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoRemoval {
    pub hash: String,
    pub reason: String,
}

pub type StatusRecord = Decided<CaseStatus>;

/// The case passed on to quality (品保部) for root-cause work: from then on there is no 48-hour
/// remedy deadline, since quality decides the handling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QaHandoverRecord {
    pub reason: String,
    /// The round it was passed in.
    pub round: u32,
}

/// A remedy proposed to the customer (what will be done): meets the remedy deadline of its
/// round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemedyRecord {
    pub proposal: String,
    pub round: u32,
}

/// The investigation report after the on-site defect confirmation: meets the report deadline
/// of its round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRecord {
    pub findings: String,
    pub cause: String,
    pub handling: String,
    pub round: u32,
}

/// A settlement date agreed with the customer: replaces the working-day deadline of its round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreedDeadlineRecord {
    /// The agreed day; due at its end in the company's time zone.
    pub date: NaiveDate,
    /// Who on the customer's side agreed to it.
    pub with_whom: String,
    pub round: u32,
}

/// A deadline noticed past due: the stamp says who noticed it, where and when. Stored under
/// the decision key `missed.<round>.<milestone>`, so every replica that notices the same miss
/// writes the same key and a merge keeps one record per milestone per round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissedRecord {
    pub milestone: Milestone,
    pub round: u32,
    pub due_at: Timestamp,
}

impl MissedRecord {
    /// The decision key the record is stored under.
    pub fn key(round: u32, milestone: Milestone) -> String {
        format!("{}{round}.{}", MissedRecord::PREFIX, milestone.as_str())
    }

    /// What every missed-deadline key starts with.
    pub const PREFIX: &'static str = "missed.";
}
