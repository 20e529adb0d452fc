//! The case view as one snapshot record: everything a case's screens show, with who/where/when
//! for every value, concurrent facts and conflicting decisions laid out, and the actions the
//! status allows. Built from the core's `CaseView`; no rule is evaluated here.

use fieldcore as core;
use fieldcore::{Cause, Charge, ConfirmationInput, Measurement, Outcome, PhotoKind, Status};
use fieldcore::{
    Decided, Entry, FactChange, GpsPosition, StaleFact, StaleWarranty, UnknownContent, VisitBody,
};

use crate::convert::{self, CaseId, LocalDate, Timestamp};
use crate::model::{CaseAction, Milestone, PartInput, Registration, WarrantyRule};
use crate::returns::{CaseReturn, ReturnReceipt};
use fieldcore::CaseSyncState;

/// The 三包 decision with the rule, the dates it used and an explanation a customer can be shown,
/// in the language set with `setLocale`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WarrantyDecision {
    pub covered: bool,
    pub rule: WarrantyRule,
    /// The warranty period in months, when the product is in scope.
    pub months: Option<i32>,
    /// The last covered day (inclusive).
    pub period_end: Option<LocalDate>,
    pub purchase_date: Option<LocalDate>,
    pub received_date: LocalDate,
    pub cause: Cause,
    /// In the language set with `setLocale` (English by default).
    pub explanation: String,
}

impl From<fieldcore::WarrantyDecision> for WarrantyDecision {
    fn from(d: fieldcore::WarrantyDecision) -> WarrantyDecision {
        use fieldcore::Localized;
        WarrantyDecision {
            explanation: d.text(crate::locale::current_locale()),
            covered: d.covered,
            rule: d.rule,
            months: d.months.map(convert::signed32),
            period_end: d.period_end,
            purchase_date: d.purchase_date,
            received_date: d.received_date,
            cause: d.cause,
        }
    }
}

/// Content of a case written by a newer version of the app that this one does not know: shown
/// as unknown (with an "update the app" hint), kept in the case as it is, and synced on.
#[uniffi::remote(Enum)]
pub enum UnknownContent {
    /// A status value (as written), the case's own or one of a status conflict's.
    Status { value: String },
    /// A registration fact of a key this version does not have, with its JSON text.
    Fact { key: String, json: String },
    /// A decision field this version does not have, with its JSON record.
    Decision { field: String, json: String },
    /// An entry of a kind this version does not know, whole.
    Entry {
        collection: String,
        id: String,
        entry_kind: String,
        json: String,
    },
    /// A key at the root of the case this version does not have.
    RootKey { key: String },
}

/// A warranty decision made on facts corrected since: decide it again before resolving,
/// setting a charge or closing (those are refused meanwhile).
#[uniffi::remote(Record)]
pub struct StaleWarranty {
    pub facts: Vec<StaleFact>,
}

/// A fact the stale decision used, and its value now.
#[uniffi::remote(Record)]
pub struct StaleFact {
    pub field: String,
    pub decided_on: String,
    /// Every concurrent value joined by ` | ` while corrections conflict.
    pub now: String,
}

/// One fact a correction changed, as JSON texts (a date is `"2026-06-01"` with its quotes).
#[uniffi::remote(Record)]
pub struct FactChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// A correction of the warranty-deciding facts in the audit trail.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Correction {
    pub id: String,
    pub reason: String,
    pub changes: Vec<FactChange>,
    pub invoice_photo: Option<String>,
    pub corrected: Stamp,
}

/// Who did something, on which device, and when.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Stamp {
    pub by: String,
    pub device: String,
    pub at: Timestamp,
}

/// The on-site defect confirmation in force.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DefectDecision {
    pub cause: Cause,
    /// Design/manufacturing and storage/transport causes are quality faults.
    pub quality_fault: bool,
    pub findings: String,
    pub measurements: Vec<Measurement>,
    pub major_incident: bool,
    pub evidence_photos: Vec<String>,
    pub decided: Stamp,
    /// Set when a person chose this value to resolve a conflict.
    pub resolved_by: Option<Stamp>,
    /// Other devices decided differently: see `CaseView.conflicts`.
    pub in_conflict: bool,
}

/// The warranty decision in force, with the photos it cites.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WarrantyOnCase {
    pub decision: WarrantyDecision,
    pub evidence_photos: Vec<String>,
    pub decided: Stamp,
    pub resolved_by: Option<Stamp>,
    pub in_conflict: bool,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ChargeOnCase {
    pub charge: Charge,
    pub decided: Stamp,
    pub resolved_by: Option<Stamp>,
    pub in_conflict: bool,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Resolution {
    pub outcome: Outcome,
    pub summary: String,
    pub decided: Stamp,
    pub resolved_by: Option<Stamp>,
    pub in_conflict: bool,
}

/// A registration field edited on two devices at once: the shown value first, then the others.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConcurrentFact {
    pub field: String,
    pub values: Vec<String>,
}

/// A decision with concurrent values that a person must resolve
/// (`CaseCommand.ResolveConflict { field, choose }`, `choose` indexing `alternatives`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Conflict {
    /// `status`, `defect`, `warranty`, `charge` or `resolution`.
    pub field: String,
    /// In the same order on every device.
    pub alternatives: Vec<ConflictAlternative>,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ConflictAlternative {
    /// What choosing it means, e.g. `customer_misuse` or `covered:covered_quality_fault`.
    pub value: String,
    pub by: String,
    pub device: String,
    pub at: Timestamp,
    /// The decision itself, typed, for a conflict screen that shows each side in full;
    /// `null`/`nil` for a concurrently corrected fact (`facts.<key>`: `value` is the fact).
    #[uniffi(default)]
    pub decision: Option<ConflictDecision>,
}

/// One side of a decision conflict, as the device that made it recorded it.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum ConflictDecision {
    /// `status` is `null`/`nil` for a status a newer app wrote (`status_text` holds it).
    Status {
        status: Option<Status>,
        status_text: String,
    },
    Defect {
        cause: Cause,
        quality_fault: bool,
        findings: String,
        measurements: Vec<Measurement>,
        major_incident: bool,
        evidence_photos: Vec<String>,
    },
    Warranty {
        decision: WarrantyDecision,
        evidence_photos: Vec<String>,
    },
    Charge {
        charge: Charge,
    },
    Resolution {
        outcome: Outcome,
        summary: String,
    },
}

/// The case passed on to quality (品保部): the remedy deadline no longer applies to its round.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PassedToQa {
    pub reason: String,
    pub round: i32,
    pub decided: Stamp,
    pub in_conflict: bool,
}

/// The remedy proposed to the customer (what will be done): meets the remedy deadline.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Remedy {
    pub proposal: String,
    pub round: i32,
    pub decided: Stamp,
    pub in_conflict: bool,
}

/// The investigation report after the on-site defect confirmation: meets the report deadline.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct InvestigationReport {
    pub findings: String,
    pub cause: String,
    pub handling: String,
    pub round: i32,
    pub decided: Stamp,
    pub in_conflict: bool,
}

/// A settlement date agreed with the customer, replacing the working-day deadline; due at the
/// end of that day in the company's time zone.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AgreedDeadline {
    pub date: LocalDate,
    pub with_whom: String,
    pub round: i32,
    pub decided: Stamp,
    pub in_conflict: bool,
}

/// A deadline noticed past due: what, when it was due, and who noticed it when (`noticed`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MissedDeadline {
    pub milestone: Milestone,
    pub round: i32,
    pub due_at: Timestamp,
    pub noticed: Stamp,
}

/// The next deadline of the case's current round.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Due {
    pub milestone: Milestone,
    pub due_at: Timestamp,
}

/// A spare part line with what later entries say about it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PartLine {
    pub id: String,
    pub part: PartInput,
    pub recorded: Stamp,
    /// Removed by a compensating entry; `reversal_reason` says why.
    pub reversed: bool,
    pub reversal_reason: Option<String>,
    pub old_part_returned: bool,
    /// The part was off the parts catalog when recorded (`part.off_catalog_reason` says why).
    #[uniffi(default)]
    pub off_catalog: bool,
    /// Where the old part is (kept, shipped, lost, returned), from its custody entries and
    /// HQ's decision on a loss.
    pub custody: OldPartCustody,
    /// The custody in the app's language, with what is still needed.
    pub custody_text: String,
    /// On a covered case: the old part must be accounted for before the case closes.
    pub custody_needed: bool,
}

/// Where a part line's old part is (旧件去向, ADR 0022).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum OldPartCustody {
    /// Nothing recorded yet.
    Unrecorded,
    /// Kept at the holder under a tag number.
    Kept {
        tag: String,
    },
    /// Sent back to HQ on a return shipment.
    Shipped {
        shipment: String,
        tag: String,
    },
    /// Reported lost (`entry` is the report's id); HQ has not decided.
    LostAwaitingApproval {
        entry: String,
        reason: String,
    },
    LostApproved {
        entry: String,
        reason: String,
        by: String,
    },
    /// HQ rejected the loss: the part must be found and its fate recorded.
    LostRejected {
        entry: String,
        reason: String,
        by: String,
        rejection: Option<String>,
    },
    Returned,
}

impl From<fieldcore::OldPartCustody> for OldPartCustody {
    fn from(c: fieldcore::OldPartCustody) -> OldPartCustody {
        use fieldcore::OldPartCustody as C;
        match c {
            C::Unrecorded => OldPartCustody::Unrecorded,
            C::Kept { tag } => OldPartCustody::Kept { tag },
            C::Shipped { shipment, tag } => OldPartCustody::Shipped { shipment, tag },
            C::LostAwaitingApproval { entry, reason } => {
                OldPartCustody::LostAwaitingApproval { entry, reason }
            }
            C::LostApproved { entry, reason, by } => {
                OldPartCustody::LostApproved { entry, reason, by }
            }
            C::LostRejected {
                entry,
                reason,
                by,
                rejection,
            } => OldPartCustody::LostRejected {
                entry,
                reason,
                by,
                rejection,
            },
            C::Returned => OldPartCustody::Returned,
        }
    }
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Note {
    pub id: String,
    pub text: String,
    pub written: Stamp,
}

#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum VisitKind {
    Scheduled {
        planned_for: Timestamp,
    },
    Arrived,
    /// A trip request (出差申请); HQ's decision is in `CaseView.approvals` under this id.
    TripRequested {
        reason: String,
        planned_for: Option<Timestamp>,
    },
    /// An emergency visit made without an approved trip.
    Emergency {
        reason: String,
    },
}

/// An escalation HQ raised about the case (重大质量事故, 批量故障, overdue).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Escalation {
    pub id: String,
    /// `major_incident`, `batch_fault` or `overdue`.
    pub kind: String,
    pub raised_at: Timestamp,
    /// The role told (from HQ's policy).
    pub to_role: String,
    pub product_model: Option<String>,
    pub production_batch: Option<String>,
    pub cases: i32,
    /// For an overdue case: the deadline missed and when it was due.
    pub milestone: Option<String>,
    pub due_at: Option<Timestamp>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledgement_note: Option<String>,
}

/// HQ's decision on a request made on the device (a trip request).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Approval {
    /// The request's visit entry id.
    pub request: String,
    pub kind: String,
    pub approved: bool,
    pub by: String,
    pub at: Timestamp,
    pub reason: Option<String>,
}

/// A handover of the first responder (首问责任人).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Handover {
    pub id: String,
    pub from: String,
    pub from_id: Option<i64>,
    pub to: String,
    pub to_id: i64,
    pub reason: String,
    pub recorded: Stamp,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Visit {
    pub id: String,
    pub kind: VisitKind,
    pub recorded: Stamp,
}

#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Confirmation {
    pub id: String,
    pub confirmation: ConfirmationInput,
    /// The round the customer answered for.
    pub round: i32,
    pub recorded: Stamp,
}

/// The start of a new round after a rejection or a reopening.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Round {
    pub id: String,
    pub round: i32,
    pub reason: String,
    pub follows_confirmation: Option<String>,
    pub started: Stamp,
}

/// One entry of the audit trail (one per command).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Event {
    pub id: String,
    pub action: String,
    /// The entry in the locale set by `set_locale` (English: as recorded).
    pub summary: String,
    pub recorded: Stamp,
}

/// A position in decimal degrees, north and east positive (the core's own type).
#[uniffi::remote(Record)]
pub struct GpsPosition {
    pub lat: f64,
    pub lon: f64,
}

/// A photo on a case. The document holds this description; the bytes are files in the blob
/// folder (`FieldStore.photos` tells whether they are on this device).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CasePhoto {
    /// SHA-256 of the stored JPEG, lowercase hex.
    pub hash: String,
    pub kind: PhotoKind,
    pub caption: String,
    /// The camera's capture time as it recorded it (no offset), when it did.
    pub taken_at: Option<String>,
    pub size: i64,
    pub width: i32,
    pub height: i32,
    pub thumbnail_hash: String,
    pub thumbnail_size: i64,
    /// Only when the photo policy keeps positions.
    pub gps: Option<GpsPosition>,
    pub added: Stamp,
    /// The thumbnail's file when it is on this device (a detail screen shows it without
    /// another call); `null`/`nil` until `fetch_photo` brings it.
    #[uniffi(default)]
    pub thumbnail_path: Option<String>,
    /// The photo's file when it is on this device.
    #[uniffi(default)]
    pub photo_path: Option<String>,
}

/// Everything about one case.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CaseView {
    pub id: CaseId,
    /// The official YYMM-NNNN number, once HQ has given it (it arrives with a sync after HQ
    /// first received the case).
    pub number: Option<String>,
    /// How the case stands with HQ: work not sent yet, synced, in conflict, or refused.
    pub sync_state: CaseSyncState,
    /// Why, when `sync_state` is `Rejected` (HQ's reason) or `Quarantined` (what this app
    /// version could not read); `null` otherwise.
    pub sync_reason: Option<String>,
    pub registration: Registration,
    pub concurrent_facts: Vec<ConcurrentFact>,
    /// Corrections of the warranty-deciding facts with old values, who and why; oldest first.
    pub corrections: Vec<Correction>,
    /// The invoice photo cited for the proof of purchase now recorded.
    pub invoice_photo: Option<String>,
    /// Set when the warranty decision was made on facts corrected since.
    pub warranty_stale: Option<StaleWarranty>,
    /// `null` when a newer version of the app wrote a status this one does not know: then
    /// `status_text` holds it, no status step is allowed (`FieldError.UpdateRequired`) and the
    /// app should suggest an update.
    pub status: Option<Status>,
    /// The status as stored: the snake_case name of `status`, or the unknown value.
    pub status_text: String,
    pub status_changed: Stamp,
    /// The status steps the lifecycle allows now (none when the status is unknown).
    pub allowed_actions: Vec<CaseAction>,
    pub defect: Option<DefectDecision>,
    pub warranty: Option<WarrantyOnCase>,
    pub charge: Option<ChargeOnCase>,
    /// Compensation paid to the customer (赔偿), in a charge's shape.
    #[uniffi(default)]
    pub compensation: Option<ChargeOnCase>,
    pub resolution: Option<Resolution>,
    /// Decisions, and warranty-deciding facts corrected concurrently (`facts.<key>`), that must
    /// be resolved before commands depending on them run.
    pub conflicts: Vec<Conflict>,
    pub round: i32,
    pub round_started_at: Timestamp,
    /// When HQ first received the case (the closing deadline counts from it), once known.
    pub accepted_at: Option<Timestamp>,
    /// Every open deadline of the round, earliest first.
    pub deadlines: Vec<Due>,
    pub next_due: Option<Due>,
    #[uniffi(default)]
    pub passed_to_qa: Option<PassedToQa>,
    #[uniffi(default)]
    pub remedy: Option<Remedy>,
    #[uniffi(default)]
    pub report: Option<InvestigationReport>,
    #[uniffi(default)]
    pub agreed_deadline: Option<AgreedDeadline>,
    /// Every deadline noticed past due, of every round.
    #[uniffi(default)]
    pub missed_deadlines: Vec<MissedDeadline>,
    pub parts: Vec<PartLine>,
    pub notes: Vec<Note>,
    pub visits: Vec<Visit>,
    pub confirmations: Vec<Confirmation>,
    pub rounds: Vec<Round>,
    /// Oldest first.
    pub photos: Vec<CasePhoto>,
    /// The audit trail, in time order.
    pub events: Vec<Event>,
    /// HQ's escalations of the case, oldest first.
    pub escalations: Vec<Escalation>,
    /// HQ's decisions on the case's trip requests.
    pub approvals: Vec<Approval>,
    /// Whether HQ approved the latest trip request (arrival needs it when the policy says so).
    pub trip_approved: bool,
    /// Every handover of the first responder, oldest first.
    pub handovers: Vec<Handover>,
    /// The case's returns and exchanges (退换货), oldest request first.
    #[uniffi(default)]
    pub returns: Vec<CaseReturn>,
    /// Receipts that belong to no return here: goods without an RMA number while not exactly
    /// one return waits for goods, or with a number this device has no record of yet (check
    /// A; the receipt moves to its return when a sync brings HQ's record).
    #[uniffi(default)]
    pub unmatched_receipts: Vec<ReturnReceipt>,
    /// Whether returns can be recorded on the case: a case registered before returns existed
    /// gets what they need from HQ (until then return commands are refused).
    #[uniffi(default)]
    pub has_returns: bool,
    /// Whether the warranty decision says covered (三包): every old part must then be
    /// accounted for before the case closes.
    #[uniffi(default)]
    pub covered: bool,
    /// The part lines whose old part still needs its fate recorded (or a loss approved) before
    /// the case can close; empty on a case not covered.
    #[uniffi(default)]
    pub unaccounted_old_parts: Vec<String>,
    pub updated_at: Timestamp,
    /// What a newer version of the app wrote that this one does not know; empty normally.
    pub unknown: Vec<UnknownContent>,
}

impl From<fieldcore::Stamp> for Stamp {
    fn from(s: fieldcore::Stamp) -> Stamp {
        Stamp {
            by: s.by,
            device: s.device,
            at: s.at,
        }
    }
}

impl From<fieldcore::Due> for Due {
    fn from(d: fieldcore::Due) -> Due {
        Due {
            milestone: d.milestone,
            due_at: d.due_at,
        }
    }
}

/// The value in force of a decision field, its stamps, and whether it is in conflict.
fn decided<T, U>(
    view: Option<core::DecisionView<T>>,
    build: impl FnOnce(T, Stamp, Option<Stamp>, bool) -> U,
) -> Option<U> {
    view.map(|v| {
        let in_conflict = v.in_conflict();
        let Decided {
            value,
            stamp,
            resolved_by,
            ..
        } = v.current;
        build(
            value,
            stamp.into(),
            resolved_by.map(Into::into),
            in_conflict,
        )
    })
}

fn entries<T, U>(list: Vec<Entry<T>>, build: impl Fn(String, T, Stamp) -> U) -> Vec<U> {
    list.into_iter()
        .map(|e| build(e.id, e.body, e.stamp.into()))
        .collect()
}

impl From<core::CasePhoto> for CasePhoto {
    fn from(p: core::CasePhoto) -> CasePhoto {
        let r = p.record;
        CasePhoto {
            hash: p.hash,
            kind: r.kind,
            caption: r.caption,
            taken_at: r.taken_at,
            size: convert::signed(r.size),
            width: convert::signed32(r.width),
            height: convert::signed32(r.height),
            thumbnail_hash: r.thumbnail_hash,
            thumbnail_size: convert::signed(r.thumbnail_size),
            gps: r.gps,
            added: r.added_by.into(),
            thumbnail_path: None,
            photo_path: None,
        }
    }
}

impl CaseView {
    /// Fills in the photos' and thumbnails' files that are on this device.
    pub(crate) fn with_files(
        mut self,
        path_of: impl Fn(&str) -> fieldcore::Result<std::path::PathBuf>,
    ) -> crate::error::Result<CaseView> {
        let on_device = |hash: &str| -> crate::error::Result<Option<String>> {
            let path = path_of(hash)?;
            if path.is_file() {
                crate::photos::path_text(path).map(Some)
            } else {
                Ok(None)
            }
        };
        for photo in &mut self.photos {
            photo.thumbnail_path = on_device(&photo.thumbnail_hash)?;
            photo.photo_path = on_device(&photo.hash)?;
        }
        Ok(self)
    }

    /// The record of the core's view, with the case's sync state (read from the store by the
    /// caller, since the view itself does not know it).
    pub(crate) fn new(
        v: core::CaseView,
        sync_state: CaseSyncState,
        sync_reason: Option<String>,
    ) -> CaseView {
        let status = v.status.current.value.known();
        let status_text = v.status.current.value.as_str().to_owned();
        let covered = v.covered();
        let unaccounted: Vec<String> = v
            .unaccounted_old_parts()
            .into_iter()
            .map(|p| p.line_id)
            .collect();
        let mut typed = typed_alternatives(&v);
        let trip_approved = v.trip_approved();
        let now = chrono::Local::now().fixed_offset();
        CaseView {
            id: v.id,
            number: v.number,
            sync_state,
            sync_reason,
            registration: v.registration.into(),
            concurrent_facts: v
                .concurrent_facts
                .into_iter()
                .map(|f| ConcurrentFact {
                    field: f.field,
                    values: f.values,
                })
                .collect(),
            corrections: entries(v.corrections, |id, c, corrected| Correction {
                id,
                reason: c.reason,
                changes: c.changes,
                invoice_photo: c.invoice_photo,
                corrected,
            }),
            invoice_photo: v.invoice_photo,
            warranty_stale: v.warranty_stale,
            status,
            status_text,
            status_changed: v.status.current.stamp.into(),
            allowed_actions: status.map(fieldcore::allowed_actions).unwrap_or_default(),
            defect: decided(
                v.defect,
                |d: fieldcore::DefectRecord, decided, resolved_by, in_conflict| DefectDecision {
                    cause: d.cause,
                    quality_fault: d.quality_fault,
                    findings: d.findings,
                    measurements: d.measurements,
                    major_incident: d.major_incident,
                    evidence_photos: d.evidence_photos,
                    decided,
                    resolved_by,
                    in_conflict,
                },
            ),
            warranty: decided(
                v.warranty,
                |w: fieldcore::WarrantyRecord, decided, resolved_by, in_conflict| WarrantyOnCase {
                    decision: w.decision.into(),
                    evidence_photos: w.evidence_photos,
                    decided,
                    resolved_by,
                    in_conflict,
                },
            ),
            charge: decided(v.charge, |charge, decided, resolved_by, in_conflict| {
                ChargeOnCase {
                    charge,
                    decided,
                    resolved_by,
                    in_conflict,
                }
            }),
            compensation: decided(
                v.compensation,
                |charge, decided, resolved_by, in_conflict| ChargeOnCase {
                    charge,
                    decided,
                    resolved_by,
                    in_conflict,
                },
            ),
            resolution: decided(
                v.resolution,
                |r: fieldcore::ResolutionRecord, decided, resolved_by, in_conflict| Resolution {
                    outcome: r.outcome,
                    summary: r.summary,
                    decided,
                    resolved_by,
                    in_conflict,
                },
            ),
            conflicts: v
                .conflicts
                .into_iter()
                .map(|c| {
                    // The core lists a decision's alternatives in the order of its values.
                    let mut decisions = typed.remove(c.field.as_str()).unwrap_or_default();
                    decisions.reverse();
                    Conflict {
                        alternatives: c
                            .alternatives
                            .into_iter()
                            .map(|a| ConflictAlternative {
                                value: a.value,
                                by: a.by,
                                device: a.device,
                                at: a.at,
                                decision: decisions.pop(),
                            })
                            .collect(),
                        field: c.field,
                    }
                })
                .collect(),
            round: convert::signed32(v.round),
            round_started_at: v.round_started_at,
            accepted_at: v.accepted_at,
            deadlines: v.deadlines.into_iter().map(Into::into).collect(),
            next_due: v.next_due.map(Into::into),
            passed_to_qa: decided(v.passed_to_qa, |r, decided, _, in_conflict| PassedToQa {
                reason: r.reason,
                round: convert::signed32(r.round),
                decided,
                in_conflict,
            }),
            remedy: decided(v.remedy, |r, decided, _, in_conflict| Remedy {
                proposal: r.proposal,
                round: convert::signed32(r.round),
                decided,
                in_conflict,
            }),
            report: decided(v.report, |r, decided, _, in_conflict| InvestigationReport {
                findings: r.findings,
                cause: r.cause,
                handling: r.handling,
                round: convert::signed32(r.round),
                decided,
                in_conflict,
            }),
            agreed_deadline: decided(v.agreed_deadline, |r, decided, _, in_conflict| {
                AgreedDeadline {
                    date: r.date,
                    with_whom: r.with_whom,
                    round: convert::signed32(r.round),
                    decided,
                    in_conflict,
                }
            }),
            missed_deadlines: v
                .missed_deadlines
                .into_iter()
                .map(|m| MissedDeadline {
                    milestone: m.value.milestone,
                    round: convert::signed32(m.value.round),
                    due_at: m.value.due_at,
                    noticed: m.stamp.into(),
                })
                .collect(),
            parts: v
                .parts
                .into_iter()
                .map(|l| PartLine {
                    custody_text: fieldcore::Localized::text(
                        &l.custody,
                        crate::locale::current_locale(),
                    ),
                    custody_needed: unaccounted.contains(&l.id),
                    id: l.id,
                    part: l.part.into(),
                    recorded: l.stamp.into(),
                    reversed: l.reversed,
                    reversal_reason: l.reversal_reason,
                    old_part_returned: l.old_part_returned,
                    off_catalog: l.off_catalog,
                    custody: l.custody.into(),
                })
                .collect(),
            notes: entries(v.notes, |id, n, written| Note {
                id,
                text: n.text,
                written,
            }),
            visits: entries(v.visits, |id, body, recorded| Visit {
                id,
                kind: match body {
                    VisitBody::Scheduled { planned_for } => VisitKind::Scheduled { planned_for },
                    VisitBody::Arrived => VisitKind::Arrived,
                    VisitBody::TripRequested {
                        reason,
                        planned_for,
                    } => VisitKind::TripRequested {
                        reason,
                        planned_for,
                    },
                    VisitBody::Emergency { reason } => VisitKind::Emergency { reason },
                },
                recorded,
            }),
            confirmations: entries(v.confirmations, |id, c, recorded| Confirmation {
                id,
                confirmation: c.input,
                round: convert::signed32(c.round),
                recorded,
            }),
            rounds: entries(v.rounds, |id, r, started| Round {
                id,
                round: convert::signed32(r.round),
                reason: r.reason,
                follows_confirmation: r.follows_confirmation,
                started,
            }),
            photos: v.photos.into_iter().map(Into::into).collect(),
            trip_approved,
            escalations: v
                .escalations
                .into_iter()
                .map(|e| Escalation {
                    id: e.id,
                    kind: e.kind.as_str().to_owned(),
                    raised_at: e.raised_at,
                    to_role: e.to_role,
                    product_model: e.product_model,
                    production_batch: e.production_batch,
                    cases: convert::signed32(e.cases),
                    milestone: e.milestone,
                    due_at: e.due_at,
                    acknowledged_by: e.acknowledged.as_ref().map(|a| a.by.clone()),
                    acknowledged_at: e.acknowledged.as_ref().map(|a| a.at),
                    acknowledgement_note: e.acknowledged.and_then(|a| a.note),
                })
                .collect(),
            approvals: v
                .approvals
                .into_iter()
                .map(|a| Approval {
                    request: a.request,
                    kind: a.kind,
                    approved: a.approved,
                    by: a.by,
                    at: a.at,
                    reason: a.reason,
                })
                .collect(),
            handovers: entries(v.handovers, |id, h, recorded| Handover {
                id,
                from: h.from,
                from_id: h.from_id,
                to: h.to,
                to_id: h.to_id,
                reason: h.reason,
                recorded,
            }),
            events: entries(v.events, |id, e, recorded| Event {
                id,
                summary: fieldcore::history_text(&e, crate::locale::current_locale()),
                action: e.action,
                recorded,
            }),
            returns: v
                .returns
                .into_iter()
                .map(|r| CaseReturn::new(r, now))
                .collect(),
            unmatched_receipts: v.unmatched_receipts.into_iter().map(Into::into).collect(),
            has_returns: v.has_returns,
            covered,
            unaccounted_old_parts: unaccounted.clone(),
            updated_at: v.updated_at,
            unknown: v.unknown,
        }
    }
}

/// The typed values of each conflicting decision field, in the order of the conflict's
/// alternatives (the core sorts both the same way).
fn typed_alternatives(
    v: &core::CaseView,
) -> std::collections::HashMap<&'static str, Vec<ConflictDecision>> {
    fn each<T>(
        d: &Option<core::DecisionView<T>>,
        f: impl Fn(&T) -> ConflictDecision,
    ) -> Vec<ConflictDecision> {
        d.as_ref()
            .map(|d| d.conflict.iter().map(|c| f(&c.value)).collect())
            .unwrap_or_default()
    }
    let mut typed = std::collections::HashMap::new();
    typed.insert(
        "status",
        v.status
            .conflict
            .iter()
            .map(|c| ConflictDecision::Status {
                status: c.value.known(),
                status_text: c.value.as_str().to_owned(),
            })
            .collect(),
    );
    typed.insert(
        "defect",
        each(&v.defect, |d: &fieldcore::DefectRecord| {
            ConflictDecision::Defect {
                cause: d.cause,
                quality_fault: d.quality_fault,
                findings: d.findings.clone(),
                measurements: d.measurements.clone(),
                major_incident: d.major_incident,
                evidence_photos: d.evidence_photos.clone(),
            }
        }),
    );
    typed.insert(
        "warranty",
        each(&v.warranty, |w: &fieldcore::WarrantyRecord| {
            ConflictDecision::Warranty {
                decision: w.decision.clone().into(),
                evidence_photos: w.evidence_photos.clone(),
            }
        }),
    );
    typed.insert(
        "charge",
        each(&v.charge, |c| ConflictDecision::Charge {
            charge: c.clone(),
        }),
    );
    typed.insert(
        "resolution",
        each(&v.resolution, |r: &fieldcore::ResolutionRecord| {
            ConflictDecision::Resolution {
                outcome: r.outcome,
                summary: r.summary.clone(),
            }
        }),
    );
    typed
}
