//! The case view: everything a screen shows about one case, read from its document, with
//! concurrent facts and conflicting decisions laid out so a person can see and resolve them.

use automerge::ReadDoc;
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::case::correction::{self, StaleWarranty};
use crate::case::document::{self, Collection, DecisionField, Root, from_json};
use crate::case::facts;
use crate::case::records::{
    AgreedDeadlineRecord, ApprovalRecord, ConfirmationBody, CorrectionRecord, Decided,
    DefectRecord, Entry, EscalationRecord, EventBody, Handover, MissedRecord, NoteBody, PartBody,
    PhotoRecord, QaHandoverRecord, RemedyRecord, ReportRecord, ResolutionRecord, RoundBody, Stamp,
    StatusRecord, VisitBody, WarrantyRecord,
};
use crate::case::return_records::{InspectionBody, ReceiptBody, ReturnBody, RmaRecord};
use crate::case::returns::{self, ReceiptView, ReturnEntries, ReturnView};
use crate::error::{Error, Result};
use crate::model::{CaseId, CaseStatus, Registration, Status, Timestamp};
use crate::rules::custody::{
    self, CustodyEntry, CustodyMark, LossDecision, OldPartCustody, PartCustody,
};
use crate::rules::deadlines::{self, DeadlineInputs, Due, Milestone};
use crate::rules::lifecycle::Step;
use crate::rules::policy::Policies;

/// A decision field's current value and, when replicas disagree, every concurrent value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionView<T> {
    pub current: Decided<T>,
    /// Empty unless there is a conflict; then every concurrent value, `current` included.
    pub conflict: Vec<Decided<T>>,
}

impl<T> DecisionView<T> {
    pub fn in_conflict(&self) -> bool {
        !self.conflict.is_empty()
    }
}

/// A registration field edited concurrently: the shown value and the others kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConcurrentFact {
    pub field: String,
    pub values: Vec<String>,
    /// The same values as the facts map holds them (JSON texts), for writing one back.
    pub json: Vec<String>,
}

/// One conflicting decision, in a shape independent of the field's type, for conflict screens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictView {
    pub field: String,
    pub alternatives: Vec<ConflictAlternative>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictAlternative {
    /// What the choice means, e.g. "customer_misuse" or "covered".
    pub value: String,
    pub by: String,
    pub device: String,
    pub at: Timestamp,
}

/// A part line with what later entries say about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartLine {
    pub id: String,
    #[serde(flatten)]
    pub stamp: Stamp,
    #[serde(flatten)]
    pub part: crate::model::PartInput,
    /// Removed by a compensating entry (the reason is in `reversal_reason`).
    pub reversed: bool,
    pub reversal_reason: Option<String>,
    pub old_part_returned: bool,
    /// The part was off the parts catalog when recorded (`part.off_catalog_reason` says why).
    pub off_catalog: bool,
    /// Where the old part is, from the line's custody entries and HQ's loss decisions.
    pub custody: OldPartCustody,
}

/// Content of the case this version of the app does not know: written by a newer version,
/// shown as unknown, kept in the document as it is and synced on (ADR 0009). HQ, upgraded
/// first, refuses every one of these (`check_case`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UnknownContent {
    /// A status value (the text as written), the case's own or one of a conflict's.
    Status { value: String },
    /// A registration fact of a key this version does not have, with its JSON text.
    Fact { key: String, json: String },
    /// A decision field this version does not have, with its (winning) JSON record.
    Decision { field: String, json: String },
    /// An entry of a kind this version does not know in one of the collections, whole.
    Entry {
        collection: String,
        id: String,
        entry_kind: String,
        json: String,
    },
    /// A key at the root of the document this version does not have (a newer collection).
    RootKey { key: String },
}

impl UnknownContent {
    /// Where the content is, e.g. `decisions.status`, `facts.warranty_card`, `parts.<id>`.
    pub fn place(&self) -> String {
        match self {
            UnknownContent::Status { .. } => "decisions.status".into(),
            UnknownContent::Fact { key, .. } => format!("facts.{key}"),
            UnknownContent::Decision { field, .. } => format!("decisions.{field}"),
            UnknownContent::Entry { collection, id, .. } => format!("{collection}.{id}"),
            UnknownContent::RootKey { key } => key.clone(),
        }
    }
}

impl std::fmt::Display for UnknownContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnknownContent::Status { value } => write!(f, "status `{value}`"),
            UnknownContent::Fact { key, .. } => write!(f, "fact `{key}`"),
            UnknownContent::Decision { field, .. } => write!(f, "decision `{field}`"),
            UnknownContent::Entry {
                collection,
                id,
                entry_kind,
                ..
            } => write!(f, "{collection} entry {id} of kind `{entry_kind}`"),
            UnknownContent::RootKey { key } => write!(f, "root key `{key}`"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CasePhoto {
    pub hash: String,
    #[serde(flatten)]
    pub record: PhotoRecord,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseView {
    pub id: CaseId,
    /// The official YYMM-NNNN number once HQ has given it.
    pub number: Option<String>,
    pub registration: Registration,
    pub concurrent_facts: Vec<ConcurrentFact>,
    /// Corrections of the warranty-deciding facts, oldest first: old and new values, who, why
    /// (the same entries are in `events`, as their `correction`).
    pub corrections: Vec<Entry<CorrectionRecord>>,
    /// The invoice photo cited for the proof of purchase now recorded, when one is.
    pub invoice_photo: Option<String>,
    /// Present when the warranty decision in force was made on facts corrected since (or now
    /// in conflict): it must be decided again before the steps that rely on it.
    pub warranty_stale: Option<StaleWarranty>,
    /// The status; an unknown one (`CaseStatus::Unknown`) is also listed in `unknown`.
    pub status: DecisionView<CaseStatus>,
    pub defect: Option<DecisionView<DefectRecord>>,
    pub warranty: Option<DecisionView<WarrantyRecord>>,
    pub charge: Option<DecisionView<crate::model::Charge>>,
    /// Compensation paid to the customer (赔偿), in a charge's shape.
    pub compensation: Option<DecisionView<crate::model::Charge>>,
    pub resolution: Option<DecisionView<ResolutionRecord>>,
    /// Passed on to quality (no remedy deadline from then on).
    pub passed_to_qa: Option<DecisionView<QaHandoverRecord>>,
    /// The latest remedy proposal (of this round or an earlier one: see its `round`).
    pub remedy: Option<DecisionView<RemedyRecord>>,
    /// The latest investigation report (see its `round`).
    pub report: Option<DecisionView<ReportRecord>>,
    /// The latest date agreed with the customer (see its `round`).
    pub agreed_deadline: Option<DecisionView<AgreedDeadlineRecord>>,
    /// Conflicting decisions, then warranty-deciding facts corrected concurrently
    /// (`facts.<key>`); a person resolves each with `ResolveConflict`.
    pub conflicts: Vec<ConflictView>,
    pub round: u32,
    pub round_started_at: Timestamp,
    /// When HQ first received the case (its acceptance), once HQ has stamped it.
    pub accepted_at: Option<Timestamp>,
    /// Every open deadline of the round, earliest first.
    pub deadlines: Vec<Due>,
    pub next_due: Option<Due>,
    /// Deadlines noticed past due, one per milestone per round, by round then milestone.
    pub missed_deadlines: Vec<Decided<MissedRecord>>,
    pub parts: Vec<PartLine>,
    pub notes: Vec<Entry<NoteBody>>,
    pub visits: Vec<Entry<VisitBody>>,
    pub confirmations: Vec<Entry<ConfirmationBody>>,
    pub rounds: Vec<Entry<RoundBody>>,
    /// Photos on the case, oldest first; the bytes are in the blob folder (or not yet here).
    pub photos: Vec<CasePhoto>,
    /// The audit trail: one event per command, in time order.
    pub events: Vec<Entry<EventBody>>,
    /// HQ's escalations of this case (重大质量事故, 批量故障, overdue), oldest first.
    pub escalations: Vec<EscalationRecord>,
    /// HQ's decisions on this case's requests (trip requests), by request id order.
    pub approvals: Vec<ApprovalRecord>,
    /// Every handover of the first responder, oldest first, with who, when and why.
    pub handovers: Vec<Entry<Handover>>,
    /// The case's returns and exchanges (退换货), oldest request first.
    pub returns: Vec<ReturnView>,
    /// Receipts of goods that belong to no return yet: no RMA number, or one this replica has
    /// no record of (flag A until HQ's record arrives).
    pub unmatched_receipts: Vec<ReceiptView>,
    /// Re-inspections of the units of `unmatched_receipts`; they join their return's with
    /// the receipt.
    pub unmatched_inspections: Vec<Entry<InspectionBody>>,
    /// Whether the case has the containers returns are written in (a case registered before
    /// returns existed gets them from HQ).
    pub has_returns: bool,
    pub updated_at: Timestamp,
    /// Everything a newer version of the app wrote that this one does not know, in document
    /// order (facts, status, decisions, entries, root keys); empty on a case it fully reads.
    pub unknown: Vec<UnknownContent>,
}

impl CaseView {
    pub fn status(&self) -> CaseStatus {
        self.status.current.value.clone()
    }

    /// The status, for a step that depends on it: `Error::UnknownStatus` when a newer app wrote
    /// a status this version does not know. `action` completes "cannot … a case".
    pub fn known_status(&self, action: Step) -> Result<Status> {
        match &self.status.current.value {
            CaseStatus::Known(status) => Ok(*status),
            CaseStatus::Unknown(text) => Err(Error::UnknownStatus {
                status: text.clone(),
                action,
            }),
        }
    }

    pub fn has_conflict(&self) -> bool {
        !self.conflicts.is_empty()
    }

    /// What this case's deadlines are computed from; `None` when its status is unknown to this
    /// version, which then cannot tell which milestones it has met (no deadline is shown).
    pub fn deadline_inputs(&self) -> Option<DeadlineInputs> {
        let status = self.status.current.value.known()?;
        let this_round = |round: u32| round == self.round;
        Some(DeadlineInputs {
            round_started_at: self.round_started_at,
            market: self.registration.market,
            status,
            // HQ accepts a case once; a later round restarts every clock from its own start.
            accepted_at: self.accepted_at.filter(|_| self.round == 1),
            passed_to_qa: self.passed_to_qa.is_some(),
            remedy_proposed: self
                .remedy
                .as_ref()
                .is_some_and(|r| this_round(r.current.value.round)),
            // The investigation ends with the on-site confirmation; one from an earlier round
            // does not start this round's report clock.
            investigated_at: self
                .defect
                .as_ref()
                .map(|d| d.current.stamp.at)
                .filter(|at| *at >= self.round_started_at),
            report_recorded: self
                .report
                .as_ref()
                .is_some_and(|r| this_round(r.current.value.round)),
            agreed_date: self
                .agreed_deadline
                .as_ref()
                .filter(|a| this_round(a.current.value.round))
                .map(|a| a.current.value.date),
        })
    }

    /// Whether a missed-deadline record exists for `milestone` in the current round.
    pub fn missed_recorded(&self, milestone: Milestone) -> bool {
        self.missed_deadlines
            .iter()
            .any(|m| m.value.round == self.round && m.value.milestone == milestone)
    }

    /// The trip requests (出差申请) made on the case, oldest first, each with HQ's decision.
    pub fn trip_requests(&self) -> Vec<(&Entry<VisitBody>, Option<&ApprovalRecord>)> {
        self.visits
            .iter()
            .filter(|v| matches!(v.body, VisitBody::TripRequested { .. }))
            .map(|v| (v, self.approvals.iter().find(|a| a.request == v.id)))
            .collect()
    }

    /// Whether HQ approved the latest trip request: a rejection of a later request withdraws
    /// the permission an earlier approval gave, since the engineer asked again.
    pub fn trip_approved(&self) -> bool {
        self.trip_requests()
            .last()
            .is_some_and(|(_, decision)| decision.is_some_and(|d| d.approved))
    }

    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.next_due
            .as_ref()
            .is_some_and(|due| deadlines::is_overdue(due, now))
    }
}

/// Builds the view of a case document: the registration, the decisions, the collections, and
/// what follows from them (round, deadlines, last update).
pub fn build(doc: &impl ReadDoc, case_id: CaseId, policies: &Policies) -> Result<CaseView> {
    build_from(doc, &Root::read(doc), case_id, policies)
}

/// [`build`] from the document's root already read.
pub fn build_from(
    doc: &impl ReadDoc,
    root: &Root,
    case_id: CaseId,
    policies: &Policies,
) -> Result<CaseView> {
    let mut unknown = Vec::new();
    let (registration, concurrent_facts) = registration_of(doc, root, &mut unknown)?;
    let mut decisions = decisions_of(doc, root, &registration, &mut unknown)?;
    let entries = entries_of(doc, root, &mut unknown)?;
    let corrections = correction::corrections_of(&entries.events);
    decisions.conflicts.extend(correction::fact_conflicts(
        &concurrent_facts,
        &corrections,
        registration.received_at,
    ));
    let warranty_stale = decisions.warranty.as_ref().and_then(|w| {
        correction::stale(&w.current, &registration, &concurrent_facts, &corrections)
    });
    let invoice_photo = correction::invoice_photo(&corrections, &entries.photos);
    unknown.extend(
        root.unknown_keys()
            .iter()
            .map(|key| UnknownContent::RootKey { key: key.clone() }),
    );

    let round = 1 + entries.rounds.len() as u32;
    let round_started_at = entries
        .rounds
        .last()
        .map(|r| r.stamp.at)
        .unwrap_or(registration.received_at);
    let handovers = entries
        .events
        .iter()
        .filter_map(|e| {
            e.body.handover.clone().map(|body| Entry {
                id: e.id.clone(),
                stamp: e.stamp.clone(),
                body,
            })
        })
        .collect();
    let mut escalations: Vec<EscalationRecord> = read_hq_map(doc, root, document::ESCALATIONS)?;
    escalations.sort_by(|a, b| (a.raised_at, &a.id).cmp(&(b.raised_at, &b.id)));
    let approvals: Vec<ApprovalRecord> = read_hq_map(doc, root, document::APPROVALS)?;
    let rma: Vec<RmaRecord> = read_hq_map(doc, root, document::RMA)?;
    let (returns, unmatched_receipts, unmatched_inspections) = returns::returns_of(
        &ReturnEntries {
            returns: &entries.returns,
            receipts: &entries.receipts,
            inspections: &entries.inspections,
            approvals: &approvals,
            rma: &rma,
            escalations: &escalations,
        },
        policies,
    );
    let updated_at = entries
        .events
        .iter()
        .map(|e| e.stamp.at)
        .max()
        .unwrap_or(registration.received_at);

    let mut view = CaseView {
        id: case_id,
        number: root.number().map(str::to_owned),
        registration,
        concurrent_facts,
        corrections,
        invoice_photo,
        warranty_stale,
        status: decisions.status,
        defect: decisions.defect,
        warranty: decisions.warranty,
        charge: decisions.charge,
        compensation: decisions.compensation,
        resolution: decisions.resolution,
        passed_to_qa: decisions.passed_to_qa,
        remedy: decisions.remedy,
        report: decisions.report,
        agreed_deadline: decisions.agreed_deadline,
        conflicts: decisions.conflicts,
        round,
        round_started_at,
        accepted_at: root.accepted(),
        deadlines: Vec::new(),
        next_due: None,
        missed_deadlines: decisions.missed,
        parts: part_lines(entries.parts, &approvals),
        notes: entries.notes,
        visits: entries.visits,
        confirmations: entries.confirmations,
        rounds: entries.rounds,
        photos: entries.photos,
        events: entries.events,
        escalations,
        approvals,
        handovers,
        returns,
        unmatched_receipts,
        unmatched_inspections,
        has_returns: root.has_returns(),
        updated_at,
        unknown,
    };
    view.redate(&policies.deadlines);
    Ok(view)
}

impl CaseView {
    /// Recomputes the open deadlines under `policy` (new policies, or HQ's acceptance set).
    pub fn redate(&mut self, policy: &deadlines::DeadlinePolicy) {
        self.deadlines = self
            .deadline_inputs()
            .map(|inputs| deadlines::pending(policy, &inputs))
            .unwrap_or_default();
        self.next_due = self.deadlines.first().copied();
    }
}

/// The records of one of HQ's maps, in key order; none when HQ has not written it yet.
fn read_hq_map<T: DeserializeOwned>(doc: &impl ReadDoc, root: &Root, map: &str) -> Result<Vec<T>> {
    document::read_raw(doc, root, map)?
        .into_iter()
        .map(|(_, json)| from_json(&json))
        .collect()
}

/// The registration as its winning facts, and the facts replicas wrote concurrently.
/// Fact keys this version does not have are listed in `unknown` with their winning JSON text
/// (a fact is a string holding JSON, known or not).
fn registration_of(
    doc: &impl ReadDoc,
    root: &Root,
    unknown: &mut Vec<UnknownContent>,
) -> Result<(Registration, Vec<ConcurrentFact>)> {
    let fact_values = document::read_facts(doc, root);
    for (key, values) in &fact_values {
        if facts::KEYS.contains(&key.as_str()) {
            continue;
        }
        match values.first() {
            Some(json) if serde_json::from_str::<Value>(json).is_ok() => {
                unknown.push(UnknownContent::Fact {
                    key: key.clone(),
                    json: json.clone(),
                });
            }
            _ => {
                return Err(Error::InvalidDocument(format!(
                    "fact {key} is not a string holding JSON"
                )));
            }
        }
    }
    let registration = facts::from_winners(&fact_values)?;
    let concurrent = fact_values
        .iter()
        .filter(|(_, values)| values.len() > 1)
        .map(|(field, values)| ConcurrentFact {
            field: field.clone(),
            values: values.iter().map(|v| facts::display(v)).collect(),
            json: values.clone(),
        })
        .collect();
    Ok((registration, concurrent))
}

struct Decisions {
    status: DecisionView<CaseStatus>,
    defect: Option<DecisionView<DefectRecord>>,
    warranty: Option<DecisionView<WarrantyRecord>>,
    charge: Option<DecisionView<crate::model::Charge>>,
    compensation: Option<DecisionView<crate::model::Charge>>,
    resolution: Option<DecisionView<ResolutionRecord>>,
    passed_to_qa: Option<DecisionView<QaHandoverRecord>>,
    remedy: Option<DecisionView<RemedyRecord>>,
    report: Option<DecisionView<ReportRecord>>,
    agreed_deadline: Option<DecisionView<AgreedDeadlineRecord>>,
    missed: Vec<Decided<MissedRecord>>,
    conflicts: Vec<ConflictView>,
}

fn decisions_of(
    doc: &impl ReadDoc,
    root: &Root,
    registration: &Registration,
    unknown: &mut Vec<UnknownContent>,
) -> Result<Decisions> {
    let mut raw: BTreeMap<String, Vec<String>> =
        document::read_decisions(doc, root)?.into_iter().collect();
    let mut conflicts = Vec::new();
    let mut take = |field: DecisionField| raw.remove(field.as_str()).unwrap_or_default();
    let status = take(DecisionField::Status);
    let defect = take(DecisionField::Defect);
    let warranty = take(DecisionField::Warranty);
    let charge = take(DecisionField::Charge);
    let resolution = take(DecisionField::Resolution);
    let passed_to_qa = take(DecisionField::PassedToQa);
    let remedy = take(DecisionField::Remedy);
    let report = take(DecisionField::Report);
    let agreed_deadline = take(DecisionField::AgreedDeadline);
    let compensation = take(DecisionField::Compensation);
    // Missed-deadline records: every replica noticing a miss writes the same key with the same
    // `key` inside, so concurrent records agree and the winner stands for all of them.
    let missed_keys: Vec<String> = raw
        .keys()
        .filter(|k| k.starts_with(MissedRecord::PREFIX))
        .cloned()
        .collect();
    let mut missed = Vec::new();
    for key in missed_keys {
        if let Some(json) = raw.remove(&key).and_then(|v| v.into_iter().next()) {
            missed.push(from_json::<Decided<MissedRecord>>(&json)?);
        }
    }
    missed.sort_by(|a, b| {
        (a.value.round, a.value.milestone).cmp(&(b.value.round, b.value.milestone))
    });
    let status: DecisionView<CaseStatus> =
        decision::<CaseStatus>(DecisionField::Status, &status, &mut conflicts)?.unwrap_or_else(
            || {
                // A case written before its first status record is simply registered.
                DecisionView {
                    current: StatusRecord {
                        key: Status::Registered.as_str().into(),
                        value: CaseStatus::Known(Status::Registered),
                        stamp: Stamp {
                            by: registration.first_responder.clone(),
                            device: String::new(),
                            at: registration.received_at,
                        },
                        resolved_by: None,
                    },
                    conflict: Vec::new(),
                }
            },
        );
    let mut unknown_statuses: Vec<&str> = std::iter::once(&status.current)
        .chain(&status.conflict)
        .filter(|d| d.value.is_unknown())
        .map(|d| d.value.as_str())
        .collect();
    unknown_statuses.sort_unstable();
    unknown_statuses.dedup();
    unknown.extend(
        unknown_statuses
            .into_iter()
            .map(|value| UnknownContent::Status {
                value: value.to_owned(),
            }),
    );
    // What is left are the fields this version does not have.
    for (field, values) in raw {
        if let Some(json) = values.into_iter().next() {
            unknown.push(UnknownContent::Decision { field, json });
        }
    }
    Ok(Decisions {
        status,
        defect: decision(DecisionField::Defect, &defect, &mut conflicts)?,
        warranty: decision(DecisionField::Warranty, &warranty, &mut conflicts)?,
        charge: decision(DecisionField::Charge, &charge, &mut conflicts)?,
        compensation: decision(DecisionField::Compensation, &compensation, &mut conflicts)?,
        resolution: decision(DecisionField::Resolution, &resolution, &mut conflicts)?,
        passed_to_qa: decision(DecisionField::PassedToQa, &passed_to_qa, &mut conflicts)?,
        remedy: decision(DecisionField::Remedy, &remedy, &mut conflicts)?,
        report: decision(DecisionField::Report, &report, &mut conflicts)?,
        agreed_deadline: decision(
            DecisionField::AgreedDeadline,
            &agreed_deadline,
            &mut conflicts,
        )?,
        missed,
        conflicts,
    })
}

struct Entries {
    events: Vec<Entry<EventBody>>,
    notes: Vec<Entry<NoteBody>>,
    visits: Vec<Entry<VisitBody>>,
    confirmations: Vec<Entry<ConfirmationBody>>,
    rounds: Vec<Entry<RoundBody>>,
    parts: Vec<Entry<PartBody>>,
    photos: Vec<CasePhoto>,
    returns: Vec<Entry<ReturnBody>>,
    receipts: Vec<Entry<ReceiptBody>>,
    inspections: Vec<Entry<InspectionBody>>,
}

/// The append-only collections, each in time order, and the photos. Part and visit entries of
/// a kind this version does not know are listed in `unknown` instead.
fn entries_of(
    doc: &impl ReadDoc,
    root: &Root,
    unknown: &mut Vec<UnknownContent>,
) -> Result<Entries> {
    fn sorted<T: DeserializeOwned>(
        doc: &impl ReadDoc,
        root: &Root,
        c: Collection,
    ) -> Result<Vec<Entry<T>>> {
        let mut entries = document::read_raw(doc, root, c.key())?
            .into_iter()
            .map(|(_, json)| from_json(&json))
            .collect::<Result<Vec<_>>>()?;
        sort_entries(&mut entries);
        Ok(entries)
    }
    let mut photos: Vec<CasePhoto> = document::read_raw(doc, root, document::PHOTOS)?
        .into_iter()
        .map(|(hash, json)| {
            from_json::<PhotoRecord>(&json).map(|record| CasePhoto { hash, record })
        })
        .collect::<Result<_>>()?;
    photos.sort_by(|a, b| (a.record.added_by.at, &a.hash).cmp(&(b.record.added_by.at, &b.hash)));
    // Parts before visits, as `Collection::ALL` lists them, so `unknown` has one order.
    let parts = part_entries(of_known_kinds(
        doc,
        root,
        Collection::Parts,
        &PartBody::KINDS,
        unknown,
    )?);
    let mut visits = of_known_kinds(doc, root, Collection::Visits, &VisitBody::KINDS, unknown)?;
    sort_entries(&mut visits);
    let mut returns = of_known_kinds(doc, root, Collection::Returns, &ReturnBody::KINDS, unknown)?;
    sort_entries(&mut returns);
    let mut receipts = of_known_kinds(
        doc,
        root,
        Collection::Receipts,
        &ReceiptBody::KINDS,
        unknown,
    )?;
    sort_entries(&mut receipts);
    Ok(Entries {
        events: sorted(doc, root, Collection::Events)?,
        notes: sorted(doc, root, Collection::Notes)?,
        visits,
        confirmations: sorted(doc, root, Collection::Confirmations)?,
        rounds: sorted(doc, root, Collection::Rounds)?,
        parts,
        photos,
        returns,
        receipts,
        inspections: sorted(doc, root, Collection::Inspections)?,
    })
}

/// The entries of a collection whose `kind` this version knows, decoded; the others, whole and
/// undecoded, go to `unknown`. An entry that is not JSON, or of a known kind but not of its
/// shape, is unreadable as before: only a new kind is a newer app's.
fn of_known_kinds<T: DeserializeOwned>(
    doc: &impl ReadDoc,
    root: &Root,
    collection: Collection,
    kinds: &[&str],
    unknown: &mut Vec<UnknownContent>,
) -> Result<Vec<Entry<T>>> {
    let unreadable =
        |e: serde_json::Error| Error::InvalidDocument(format!("unreadable entry: {e}"));
    let mut known = Vec::new();
    for (id, json) in document::read_raw(doc, root, collection.key())? {
        let value: Value = serde_json::from_str(&json).map_err(unreadable)?;
        match value.get("kind").and_then(Value::as_str) {
            Some(kind) if !kinds.contains(&kind) => unknown.push(UnknownContent::Entry {
                collection: collection.key().into(),
                id,
                entry_kind: kind.to_owned(),
                json,
            }),
            _ => known.push(serde_json::from_value(value).map_err(unreadable)?),
        }
    }
    Ok(known)
}

/// Decodes a decision field's values (winner first); records a conflict when they disagree.
fn decision<T: DeserializeOwned + Clone>(
    field: DecisionField,
    json: &[String],
    conflicts: &mut Vec<ConflictView>,
) -> Result<Option<DecisionView<T>>> {
    let mut values: Vec<Decided<T>> = json.iter().map(|s| from_json(s)).collect::<Result<_>>()?;
    if values.is_empty() {
        return Ok(None);
    }
    let current = values[0].clone();
    let disagree = values.iter().any(|v| v.key != current.key);
    if !disagree {
        return Ok(Some(DecisionView {
            current,
            conflict: Vec::new(),
        }));
    }
    // A stable order, the same on every replica, so "choose alternative 2" means the same value
    // everywhere.
    values.sort_by(|a, b| {
        (a.stamp.at, &a.stamp.device, &a.key).cmp(&(b.stamp.at, &b.stamp.device, &b.key))
    });
    conflicts.push(ConflictView {
        field: field.as_str().into(),
        alternatives: values
            .iter()
            .map(|v| ConflictAlternative {
                value: v.key.clone(),
                by: v.stamp.by.clone(),
                device: v.stamp.device.clone(),
                at: v.stamp.at,
            })
            .collect(),
    });
    Ok(Some(DecisionView {
        current,
        conflict: values,
    }))
}

fn sort_entries<T>(entries: &mut [Entry<T>]) {
    entries.sort_by(|a, b| (a.stamp.at, &a.id).cmp(&(b.stamp.at, &b.id)));
}

fn part_entries(mut entries: Vec<Entry<PartBody>>) -> Vec<Entry<PartBody>> {
    sort_entries(&mut entries);
    entries
}

/// The part lines with what later entries say about them: a reversal, the old part's custody
/// (read with HQ's decisions on reported losses, `approvals.<lost entry id>:loss`).
fn part_lines(entries: Vec<Entry<PartBody>>, approvals: &[ApprovalRecord]) -> Vec<PartLine> {
    let mut lines: Vec<PartLine> = entries
        .iter()
        .filter_map(|e| match &e.body {
            PartBody::Used(used) => Some(PartLine {
                id: e.id.clone(),
                stamp: e.stamp.clone(),
                part: used.part.clone(),
                reversed: false,
                reversal_reason: None,
                old_part_returned: false,
                off_catalog: used.off_catalog,
                custody: OldPartCustody::Unrecorded,
            }),
            _ => None,
        })
        .collect();
    let mut marks: BTreeMap<String, Vec<CustodyEntry>> = BTreeMap::new();
    let mut mark = |line: &str, e: &Entry<PartBody>, mark: CustodyMark| {
        let entry = CustodyEntry {
            id: e.id.clone(),
            at: e.stamp.at,
            mark,
        };
        marks.entry(line.to_owned()).or_default().push(entry);
    };
    for e in &entries {
        match &e.body {
            PartBody::Reversal { line, reason } => {
                if let Some(l) = lines.iter_mut().find(|l| &l.id == line) {
                    l.reversed = true;
                    l.reversal_reason = Some(reason.clone());
                }
            }
            PartBody::OldPartReturned { line } => {
                if let Some(l) = lines.iter_mut().find(|l| &l.id == line) {
                    l.old_part_returned = true;
                }
                mark(line, e, CustodyMark::Returned);
            }
            PartBody::OldPartKept { line, tag } => {
                mark(line, e, CustodyMark::Kept { tag: tag.clone() })
            }
            PartBody::OldPartShipped {
                line,
                shipment,
                tag,
            } => mark(
                line,
                e,
                CustodyMark::Shipped {
                    shipment: shipment.clone(),
                    tag: tag.clone(),
                },
            ),
            PartBody::OldPartLost { line, reason } => mark(
                line,
                e,
                CustodyMark::Lost {
                    reason: reason.clone(),
                },
            ),
            PartBody::Used(_) => {}
        }
    }
    let loss_decision = |entry: &str| {
        approvals
            .iter()
            .find(|a| a.request == entry && a.kind == LOSS)
            .map(|a| LossDecision {
                approved: a.approved,
                by: a.by.clone(),
                reason: a.reason.clone(),
            })
    };
    for l in &mut lines {
        if let Some(entries) = marks.get(&l.id) {
            l.custody = custody::custody(entries, loss_decision);
        }
    }
    lines
}

/// The `kind` (and step) of HQ's decision on a reported old-part loss.
pub const LOSS: &str = "loss";

impl CaseView {
    /// Whether the warranty decision in force says the case is covered (三包); while the
    /// decision is in conflict, whether any of its values does, so no old part goes
    /// unaccounted because of a conflict not yet resolved.
    pub fn covered(&self) -> bool {
        self.warranty.as_ref().is_some_and(|w| {
            std::iter::once(&w.current)
                .chain(&w.conflict)
                .any(|d| d.value.decision.covered)
        })
    }

    /// Every part line not reversed, with its old part's custody: what the quarterly
    /// write-off reconciles against the old parts received back.
    pub fn old_part_custody(&self) -> Vec<PartCustody> {
        self.parts
            .iter()
            .filter(|l| !l.reversed)
            .map(|l| PartCustody {
                line_id: l.id.clone(),
                part_number: l.part.part_number.clone(),
                quantity: l.part.quantity,
                custody: l.custody.clone(),
            })
            .collect()
    }

    /// The lines whose old part must still be accounted for before the case closes: on a
    /// covered case, every line not reversed whose old part is unrecorded or lost without an
    /// approval. None on a case not covered.
    pub fn unaccounted_old_parts(&self) -> Vec<PartCustody> {
        if !self.covered() {
            return Vec::new();
        }
        self.old_part_custody()
            .into_iter()
            .filter(|p| !p.custody.accounted())
            .collect()
    }
}
