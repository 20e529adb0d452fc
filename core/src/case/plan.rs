//! Planning a command: each command checked against the case view and the rules, and turned
//! into the writes it will make, before anything is written. A refused command therefore
//! changes nothing. One function per command, grouped by family.

use serde::Serialize;
use uuid::Uuid;

use crate::case::commands::{Command, Context};
use crate::case::correction::{self, WarrantyFacts};
use crate::case::correction_text::StaleStep;
use crate::case::document::{Collection, DecisionField};
use crate::case::facts;
use crate::case::plan_deadlines;
use crate::case::plan_returns;
use crate::case::records::{
    ConfirmationBody, CorrectionRecord, Decided, DefectRecord, Entry, FactChange, Handover,
    NoteBody, PartBody, PhotoAttachment, PhotoRecord, ResolutionRecord, RoundBody, UsedPart,
    VisitBody, WarrantyRecord,
};
use crate::case::summary::Summary;
use crate::case::view::{CaseView, DecisionView, PartLine};
use crate::error::{Error, Invalid, Result};
use crate::model::{
    Charge, ConfirmationInput, DefectInput, FactsCorrection, FactsUpdate, Outcome, PartInput,
    Status, Timestamp,
};
use crate::rules::custody::OldPartCustody;
use crate::rules::lifecycle::{self, Action, Step};
use crate::rules::parts_catalog::CatalogFit;
use crate::rules::validate;
use crate::rules::warranty::{self, WarrantyInput};

/// One planned write; a command is planned completely before anything is written.
pub(super) enum Write {
    Fact(String, String),
    Decision(DecisionField, String),
    Append(Collection, String, String),
    Photo(String, String),
    RemovePhoto(String),
    /// A record under a decision key that is not a [`DecisionField`] (a missed deadline).
    DecisionKey(String, String),
}

/// A command's planned writes, the entry it appends (if any) and its audit summary.
#[derive(Default)]
pub(super) struct Draft {
    pub(super) writes: Vec<Write>,
    pub(super) entry_id: Option<String>,
    /// What a correction replaced, for its audit event.
    pub(super) correction: Option<CorrectionRecord>,
    /// A handover of the first responder, recorded with the command's audit event.
    pub(super) handover: Option<Handover>,
}

/// Plans `command` against `view`; returns the draft and the summary for the audit event.
pub(super) fn plan(
    view: &CaseView,
    ctx: &Context<'_>,
    command: &Command,
) -> Result<(Draft, Summary)> {
    let mut draft = Draft::default();
    let summary = match command {
        Command::Acknowledge { note } => acknowledge(&mut draft, view, ctx, note),
        Command::ScheduleVisit { planned_for } => {
            schedule_visit(&mut draft, view, ctx, planned_for)
        }
        Command::ArriveOnSite => arrive_on_site(&mut draft, view, ctx),
        Command::Close => close(&mut draft, view, ctx),
        Command::Reopen { reason } => reopen(&mut draft, view, ctx, reason),
        Command::ConfirmDefect(input) => confirm_defect(&mut draft, view, ctx, input),
        Command::DecideWarranty {
            evidence_photos,
            charge,
        } => decide_warranty(&mut draft, view, ctx, evidence_photos, charge),
        Command::SetCharge(charge) => set_charge(&mut draft, view, ctx, charge),
        Command::SetCompensation(amount) => set_compensation(&mut draft, view, ctx, amount),
        Command::Resolve { outcome, summary } => resolve(&mut draft, view, ctx, outcome, summary),
        Command::ResolveConflict { field, choose } => {
            resolve_conflict(&mut draft, view, ctx, field, *choose)
        }
        Command::RecordPart(part) => record_part(&mut draft, view, ctx, part),
        Command::ReversePart { line_id, reason } => {
            reverse_part(&mut draft, view, ctx, line_id, reason)
        }
        Command::ReturnOldPart { line_id } => return_old_part(&mut draft, view, ctx, line_id),
        Command::KeepOldPart { line_id, tag } => {
            validate::required("tag", tag, validate::SHORT_TEXT)?;
            let body = PartBody::OldPartKept {
                line: line_id.clone(),
                tag: tag.trim().to_owned(),
            };
            record_custody(&mut draft, view, ctx, line_id, body)
        }
        Command::ShipOldPart {
            line_id,
            shipment,
            tag,
        } => {
            validate::required("shipment", shipment, validate::SHORT_TEXT)?;
            validate::required("tag", tag, validate::SHORT_TEXT)?;
            let body = PartBody::OldPartShipped {
                line: line_id.clone(),
                shipment: shipment.trim().to_owned(),
                tag: tag.trim().to_owned(),
            };
            record_custody(&mut draft, view, ctx, line_id, body)
        }
        Command::ReportOldPartLost { line_id, reason } => {
            validate::text("reason", reason)?;
            let body = PartBody::OldPartLost {
                line: line_id.clone(),
                reason: reason.clone(),
            };
            record_custody(&mut draft, view, ctx, line_id, body)
        }
        Command::AddNote { text } => add_note(&mut draft, ctx, text),
        Command::ConfirmCustomer(input) => confirm_customer(&mut draft, view, ctx, input),
        Command::UpdateFacts(update) => update_facts(&mut draft, view, ctx, update),
        Command::CorrectFacts(correction) => correct_facts(&mut draft, view, ctx, correction),
        Command::AttachPhoto(photo) => attach_photo(&mut draft, view, ctx, photo),
        Command::RemovePhoto { hash, reason } => remove_photo(&mut draft, view, hash, reason),
        Command::PassToQa { reason } => plan_deadlines::pass_to_qa(&mut draft, view, ctx, reason),
        Command::ProposeRemedy { proposal } => {
            plan_deadlines::propose_remedy(&mut draft, view, ctx, proposal)
        }
        Command::RecordReport {
            findings,
            cause,
            handling,
        } => plan_deadlines::record_report(&mut draft, view, ctx, findings, cause, handling),
        Command::AgreeDeadline { date, with_whom } => {
            plan_deadlines::agree_deadline(&mut draft, view, ctx, *date, with_whom)
        }
        Command::RequestTrip {
            reason,
            planned_for,
        } => request_trip(&mut draft, view, ctx, reason, planned_for),
        Command::EmergencyVisit { reason } => emergency_visit(&mut draft, view, ctx, reason),
        Command::HandOverFirstResponder { to_id, to, reason } => {
            hand_over(&mut draft, view, *to_id, to, reason)
        }
        Command::RequestReturn(input) => plan_returns::request_return(&mut draft, view, ctx, input),
        Command::ReceiveReturn(input) => plan_returns::receive_return(&mut draft, view, ctx, input),
        Command::AmendReceipt(amendment) => {
            plan_returns::amend_receipt(&mut draft, view, ctx, amendment)
        }
        Command::InspectReturnUnit {
            receipt,
            unit,
            result,
        } => plan_returns::inspect_unit(&mut draft, view, ctx, receipt, unit, result),
        Command::RequestReplenishment { request, note } => {
            plan_returns::request_replenishment(&mut draft, view, ctx, request, note)
        }
        Command::ConfirmReplacement { request, note } => {
            plan_returns::confirm_replacement(&mut draft, view, ctx, request, note)
        }
        Command::RecordReturnAnalysis {
            request,
            cause,
            actions,
            photos,
        } => plan_returns::record_analysis(&mut draft, view, ctx, request, cause, actions, photos),
    }?;
    // The command notices every deadline already past: it leaves the record in its change.
    draft
        .writes
        .extend(plan_deadlines::missed_writes(view, ctx)?);
    Ok((draft, summary))
}

// Progress through the visit: the status moves, with the entry that records it.

fn acknowledge(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    note: &Option<String>,
) -> Result<Summary> {
    draft
        .writes
        .push(status_write(view, ctx, Action::Acknowledge)?);
    if let Some(text) = note {
        validate::text("note", text)?;
        draft.entry_id = Some(push_entry(
            &mut draft.writes,
            ctx,
            Collection::Notes,
            NoteBody { text: text.clone() },
        )?);
    }
    Ok(Summary::Acknowledged)
}

fn schedule_visit(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    planned_for: &Timestamp,
) -> Result<Summary> {
    draft
        .writes
        .push(status_write(view, ctx, Action::ScheduleVisit)?);
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Visits,
        VisitBody::Scheduled {
            planned_for: *planned_for,
        },
    )?);
    Ok(Summary::VisitPlanned {
        at: planned_for.to_rfc3339(),
    })
}

fn arrive_on_site(draft: &mut Draft, view: &CaseView, ctx: &Context<'_>) -> Result<Summary> {
    // Checked on the device against the policies it last received: offline, an engineer
    // without an approved trip records an emergency visit instead.
    if ctx.policies.trips.approval_required && !view.trip_approved() {
        return Err(Error::validation("trip", Invalid::TripNotApproved));
    }
    draft
        .writes
        .push(status_write(view, ctx, Action::ArriveOnSite)?);
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Visits,
        VisitBody::Arrived,
    )?);
    Ok(Summary::Arrived)
}

fn request_trip(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    reason: &str,
    planned_for: &Option<Timestamp>,
) -> Result<Summary> {
    not_closed(view, Step::RequestTrip)?;
    validate::text("reason", reason)?;
    if view
        .trip_requests()
        .last()
        .is_some_and(|(_, d)| d.is_none())
    {
        return Err(Error::validation("trip", Invalid::TripAlreadyWaiting));
    }
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Visits,
        VisitBody::TripRequested {
            reason: reason.to_owned(),
            planned_for: *planned_for,
        },
    )?);
    Ok(Summary::TripRequested {
        reason: reason.to_owned(),
    })
}

fn emergency_visit(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    reason: &str,
) -> Result<Summary> {
    validate::text("reason", reason)?;
    draft
        .writes
        .push(status_write(view, ctx, Action::ArriveOnSite)?);
    push_entry(
        &mut draft.writes,
        ctx,
        Collection::Visits,
        VisitBody::Emergency {
            reason: reason.to_owned(),
        },
    )?;
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Visits,
        VisitBody::Arrived,
    )?);
    Ok(Summary::EmergencyVisit {
        reason: reason.to_owned(),
    })
}

fn hand_over(
    draft: &mut Draft,
    view: &CaseView,
    to_id: i64,
    to: &str,
    reason: &str,
) -> Result<Summary> {
    not_closed(view, Step::HandOver)?;
    validate::required("to", to, validate::SHORT_TEXT)?;
    validate::text("reason", reason)?;
    if to_id <= 0 {
        return Err(Error::validation("to_id", Invalid::NotHqUser));
    }
    let r = &view.registration;
    if r.first_responder_id == Some(to_id) {
        return Err(Error::validation("to_id", Invalid::AlreadyFirstResponder));
    }
    draft
        .writes
        .push(Write::Fact("first_responder".into(), to_json(&to)?));
    draft
        .writes
        .push(Write::Fact("first_responder_id".into(), to_json(&to_id)?));
    draft.handover = Some(Handover {
        from: r.first_responder.clone(),
        from_id: r.first_responder_id,
        to: to.to_owned(),
        to_id,
        reason: reason.to_owned(),
    });
    Ok(Summary::HandedOver {
        handover: draft.handover.clone(),
    })
}

fn close(draft: &mut Draft, view: &CaseView, ctx: &Context<'_>) -> Result<Summary> {
    let status = status_write(view, ctx, Action::Close)?;
    not_stale(view, StaleStep::Close)?;
    plan_returns::no_open_return(view)?;
    all_old_parts_accounted(view)?;
    draft.writes.push(status);
    Ok(Summary::Closed)
}

fn reopen(draft: &mut Draft, view: &CaseView, ctx: &Context<'_>, reason: &str) -> Result<Summary> {
    validate::text("reason", reason)?;
    draft.writes.push(status_write(view, ctx, Action::Reopen)?);
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Rounds,
        RoundBody {
            round: view.round + 1,
            reason: reason.to_owned(),
            follows_confirmation: None,
        },
    )?);
    Ok(Summary::Reopened {
        round: view.round + 1,
    })
}

// Decisions: the defect, warranty, charge and resolution, each a record that may conflict.

fn confirm_defect(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    input: &DefectInput,
) -> Result<Summary> {
    validate::defect(input)?;
    photos_on_case(view, "evidence_photos", &input.evidence_photos)?;
    no_conflict(&view.defect, DecisionField::Defect)?;
    draft
        .writes
        .push(status_write(view, ctx, Action::ConfirmDefect)?);
    let record = DefectRecord {
        cause: input.cause,
        quality_fault: input.cause.is_quality_fault(),
        findings: input.findings.clone(),
        measurements: input.measurements.clone(),
        major_incident: input.major_incident,
        evidence_photos: input.evidence_photos.to_vec(),
    };
    draft.writes.push(Write::Decision(
        DecisionField::Defect,
        decided(ctx, input.cause.as_str(), record)?,
    ));
    Ok(Summary::DefectConfirmed {
        cause: input.cause,
        major_incident: input.major_incident,
    })
}

fn decide_warranty(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    evidence_photos: &[String],
    charge: &Option<Charge>,
) -> Result<Summary> {
    validate::photo_hashes("evidence_photos", evidence_photos)?;
    photos_on_case(view, "evidence_photos", evidence_photos)?;
    no_conflict(&view.defect, DecisionField::Defect)?;
    no_conflict(&view.warranty, DecisionField::Warranty)?;
    no_fact_conflict(view)?;
    let status = decide_status_write(view, ctx)?;
    let defect = view
        .defect
        .as_ref()
        .ok_or_else(|| Error::validation("defect", Invalid::DefectNotConfirmed))?;
    let r = &view.registration;
    let decision = warranty::decide(
        &ctx.policies.warranty,
        &WarrantyInput {
            category: &r.product_category,
            model: &r.product_model,
            purchase_date: r.purchase_date,
            proof: &r.proof_of_purchase,
            received_date: r.received_at.date_naive(),
            cause: defect.current.value.cause,
        },
    )?;
    if let Some(charge) = charge {
        validate::charge(charge)?;
        if decision.covered && charge.amount_minor > 0 {
            return Err(Error::validation("charge", Invalid::CoveredNotCharged));
        }
        no_conflict(&view.charge, DecisionField::Charge)?;
        draft.writes.push(Write::Decision(
            DecisionField::Charge,
            decided(ctx, &charge_key(charge), charge.clone())?,
        ));
    }
    draft.writes.push(status);
    let key = format!(
        "{}:{}",
        if decision.covered {
            "covered"
        } else {
            "not_covered"
        },
        decision.rule.as_str()
    );
    let summary = Summary::WarrantyDecided {
        covered: decision.covered,
        rule: decision.rule,
        explanation: Some(decision.explanation.clone()),
    };
    // The invoice photo recorded with the proof is evidence of the decision's dates.
    let mut evidence = evidence_photos.to_vec();
    if let Some(photo) = &view.invoice_photo
        && !evidence.contains(photo)
    {
        evidence.push(photo.clone());
    }
    draft.writes.push(Write::Decision(
        DecisionField::Warranty,
        decided(
            ctx,
            &key,
            WarrantyRecord {
                decision,
                evidence_photos: evidence,
                decided_on: Some(WarrantyFacts::of(r)),
            },
        )?,
    ));
    Ok(summary)
}

fn set_charge(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    charge: &Charge,
) -> Result<Summary> {
    validate::charge(charge)?;
    no_conflict(&view.charge, DecisionField::Charge)?;
    let covered = view
        .warranty
        .as_ref()
        .map(|w| w.current.value.decision.covered);
    match (view.known_status(Step::SetCharge)?, covered) {
        (Status::WarrantyDecided | Status::Resolved, Some(false)) => {}
        (Status::WarrantyDecided | Status::Resolved, _) if charge.amount_minor == 0 => {}
        (Status::WarrantyDecided | Status::Resolved, _) => {
            return Err(Error::validation("charge", Invalid::CoveredNotCharged));
        }
        (from, _) => {
            return Err(Error::InvalidTransition {
                from,
                action: Step::SetCharge,
            });
        }
    }
    not_stale(view, StaleStep::SetCharge)?;
    draft.writes.push(Write::Decision(
        DecisionField::Charge,
        decided(ctx, &charge_key(charge), charge.clone())?,
    ));
    Ok(Summary::ChargeSet {
        charge: charge_key(charge),
    })
}

/// Compensation paid to the customer: a decision like the charge (a concurrent different
/// amount is a conflict for a person), in any status.
fn set_compensation(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    amount: &Charge,
) -> Result<Summary> {
    validate::money("compensation", amount)?;
    no_conflict(&view.compensation, DecisionField::Compensation)?;
    draft.writes.push(Write::Decision(
        DecisionField::Compensation,
        decided(ctx, &charge_key(amount), amount.clone())?,
    ));
    Ok(Summary::CompensationSet {
        compensation: charge_key(amount),
    })
}

fn resolve(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    outcome: &Outcome,
    summary: &str,
) -> Result<Summary> {
    validate::text("summary", summary)?;
    no_conflict(&view.warranty, DecisionField::Warranty)?;
    no_conflict(&view.resolution, DecisionField::Resolution)?;
    let status = status_write(view, ctx, Action::Resolve)?;
    not_stale(view, StaleStep::Resolve)?;
    let covered = view
        .warranty
        .as_ref()
        .is_some_and(|w| w.current.value.decision.covered);
    if covered && *outcome == Outcome::PaidRepair {
        return Err(Error::validation("outcome", Invalid::CoveredNotPaidRepair));
    }
    draft.writes.push(status);
    let key = serde_key(outcome);
    draft.writes.push(Write::Decision(
        DecisionField::Resolution,
        decided(
            ctx,
            &key,
            ResolutionRecord {
                outcome: *outcome,
                summary: summary.to_owned(),
            },
        )?,
    ));
    Ok(Summary::Resolved { outcome: *outcome })
}

fn resolve_conflict(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    field: &str,
    choose: usize,
) -> Result<Summary> {
    if let Some(key) = field.strip_prefix("facts.") {
        return resolve_fact_conflict(draft, view, field, key, choose);
    }
    let field = DecisionField::parse(field)
        .ok_or_else(|| Error::validation("field", Invalid::NotDecisionField))?;
    let json = match field {
        DecisionField::Status => {
            // Writing a record this version cannot read again could drop what a newer app
            // put in it; a status conflict with an unknown value waits for an update.
            if let Some(d) = std::iter::once(&view.status.current)
                .chain(&view.status.conflict)
                .find(|d| d.value.is_unknown())
            {
                return Err(Error::UnknownStatus {
                    status: d.value.as_str().to_owned(),
                    action: Step::ResolveStatusConflict,
                });
            }
            resolved_choice(&Some(view.status.clone()), choose, ctx)?
        }
        DecisionField::Defect => resolved_choice(&view.defect, choose, ctx)?,
        DecisionField::Warranty => resolved_choice(&view.warranty, choose, ctx)?,
        DecisionField::Charge => resolved_choice(&view.charge, choose, ctx)?,
        DecisionField::Resolution => resolved_choice(&view.resolution, choose, ctx)?,
        DecisionField::PassedToQa => resolved_choice(&view.passed_to_qa, choose, ctx)?,
        DecisionField::Remedy => resolved_choice(&view.remedy, choose, ctx)?,
        DecisionField::Report => resolved_choice(&view.report, choose, ctx)?,
        DecisionField::AgreedDeadline => resolved_choice(&view.agreed_deadline, choose, ctx)?,
        DecisionField::Compensation => resolved_choice(&view.compensation, choose, ctx)?,
    };
    draft.writes.push(Write::Decision(field, json.0));
    Ok(Summary::ConflictResolved {
        field: field.as_str().to_owned(),
        value: json.1,
    })
}

/// Picks one value of a warranty-deciding fact corrected concurrently: writing it again
/// replaces every value this replica has seen (automerge turns a put of the shown value into
/// the deletion of the others), so the conflict ends here and, once synced, everywhere.
fn resolve_fact_conflict(
    draft: &mut Draft,
    view: &CaseView,
    field: &str,
    key: &str,
    choose: usize,
) -> Result<Summary> {
    let conflict = view
        .conflicts
        .iter()
        .find(|c| c.field == field)
        .ok_or_else(|| Error::validation("field", Invalid::NoConflict))?;
    let chosen = conflict.alternatives.get(choose).ok_or_else(|| {
        Error::validation(
            "choose",
            Invalid::ChoiceOutOfRange {
                alternatives: conflict.alternatives.len(),
            },
        )
    })?;
    let json = view
        .concurrent_facts
        .iter()
        .find(|f| f.field == key)
        .and_then(|f| {
            f.values
                .iter()
                .position(|v| *v == chosen.value)
                .and_then(|i| f.json.get(i))
        })
        .ok_or_else(|| Error::validation("field", Invalid::NoConflict))?;
    draft.writes.push(Write::Fact(key.to_owned(), json.clone()));
    Ok(Summary::ConflictResolved {
        field: field.to_owned(),
        value: chosen.value.clone(),
    })
}

// Spare parts: lines are appended and reversed, never edited.

fn record_part(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    part: &PartInput,
) -> Result<Summary> {
    not_closed(view, Step::RecordPart)?;
    validate::part(part)?;
    let used = catalog_checked(view, ctx, part)?;
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Parts,
        PartBody::Used(used),
    )?);
    Ok(Summary::PartUsed {
        part_number: part.part_number.clone(),
        quantity: part.quantity,
    })
}

fn reverse_part(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    line_id: &str,
    reason: &str,
) -> Result<Summary> {
    not_closed(view, Step::RemovePart)?;
    validate::text("reason", reason)?;
    let line = part_line(view, line_id)?;
    if line.reversed {
        return Err(Error::validation("line_id", Invalid::PartLineRemoved));
    }
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Parts,
        PartBody::Reversal {
            line: line_id.to_owned(),
            reason: reason.to_owned(),
        },
    )?);
    Ok(Summary::PartRemoved {
        line_id: line_id.to_owned(),
    })
}

/// The line as it will be stored: a part off the device's catalog (not listed, or not for
/// this product) is flagged and needs a reason; without a catalog nothing is flagged, since
/// the device cannot tell (ADR 0022). A reason given for a catalog part is not kept.
fn catalog_checked(view: &CaseView, ctx: &Context<'_>, part: &PartInput) -> Result<UsedPart> {
    let r = &view.registration;
    let fit = ctx
        .parts_catalog
        .map(|c| c.fit(&part.part_number, &r.product_category, &r.product_model));
    let off_catalog = matches!(fit, Some(CatalogFit::Unknown | CatalogFit::NotForProduct));
    let mut part = part.clone();
    if off_catalog {
        match part.off_catalog_reason.as_deref() {
            Some(reason) if !reason.trim().is_empty() => {
                validate::text("off_catalog_reason", reason)?;
            }
            _ => {
                return Err(Error::validation(
                    "off_catalog_reason",
                    Invalid::OffCatalogNeedsReason {
                        part_number: part.part_number.clone(),
                        listed: fit == Some(CatalogFit::NotForProduct),
                    },
                ));
            }
        }
    } else {
        part.off_catalog_reason = None;
    }
    Ok(UsedPart { part, off_catalog })
}

/// A custody entry for a line's old part (kept, shipped, lost). Allowed on a closed case too:
/// a kept old part is shipped back to HQ long after its case closed.
fn record_custody(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    line_id: &str,
    body: PartBody,
) -> Result<Summary> {
    let line = part_line(view, line_id)?;
    if line.reversed {
        return Err(Error::validation("line_id", Invalid::PartLineRemoved));
    }
    match (&line.custody, &body) {
        (OldPartCustody::Returned, _) => {
            return Err(Error::validation("line_id", Invalid::OldPartReturned));
        }
        (OldPartCustody::LostAwaitingApproval { .. }, PartBody::OldPartLost { .. }) => {
            return Err(Error::validation("line_id", Invalid::LossAwaitingApproval));
        }
        _ => {}
    }
    let summary = match &body {
        PartBody::OldPartKept { tag, .. } => Summary::OldPartKept {
            line_id: line_id.to_owned(),
            tag: tag.clone(),
        },
        PartBody::OldPartShipped { shipment, tag, .. } => Summary::OldPartShipped {
            line_id: line_id.to_owned(),
            shipment: shipment.clone(),
            tag: tag.clone(),
        },
        PartBody::OldPartLost { reason, .. } => Summary::OldPartLost {
            line_id: line_id.to_owned(),
            reason: reason.clone(),
        },
        // Only the three custody kinds come here.
        _ => return Err(Error::InvalidDocument("not a custody entry".into())),
    };
    draft.entry_id = Some(push_entry(&mut draft.writes, ctx, Collection::Parts, body)?);
    Ok(summary)
}

/// A covered case closes only with every old part accounted for, naming those that are not.
fn all_old_parts_accounted(view: &CaseView) -> Result<()> {
    let parts = view.unaccounted_old_parts();
    if parts.is_empty() {
        return Ok(());
    }
    Err(Error::validation(
        "status",
        Invalid::OldPartsUnaccounted { parts },
    ))
}

fn return_old_part(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    line_id: &str,
) -> Result<Summary> {
    let line = part_line(view, line_id)?;
    // A line's old part is returned when it was kept at recording (older apps) or is kept or
    // shipped by its custody entries.
    let held = line.part.old_part_kept
        || matches!(
            line.custody,
            OldPartCustody::Kept { .. } | OldPartCustody::Shipped { .. }
        );
    if line.reversed || !held {
        return Err(Error::validation("line_id", Invalid::NoOldPartKept));
    }
    if line.old_part_returned || line.custody == OldPartCustody::Returned {
        return Err(Error::validation("line_id", Invalid::OldPartReturned));
    }
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Parts,
        PartBody::OldPartReturned {
            line: line_id.to_owned(),
        },
    )?);
    Ok(Summary::OldPartReturned {
        line_id: line_id.to_owned(),
    })
}

// Entries: notes, the customer's confirmation and corrected registration facts.

fn add_note(draft: &mut Draft, ctx: &Context<'_>, text: &str) -> Result<Summary> {
    validate::text("text", text)?;
    draft.entry_id = Some(push_entry(
        &mut draft.writes,
        ctx,
        Collection::Notes,
        NoteBody {
            text: text.to_owned(),
        },
    )?);
    Ok(Summary::NoteAdded)
}

fn confirm_customer(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    input: &ConfirmationInput,
) -> Result<Summary> {
    validate::confirmation(input)?;
    photos_on_case(view, "signature_hash", input.signature_hash.as_slice())?;
    let action = if input.accepted {
        Action::CustomerAccepts
    } else {
        Action::CustomerRejects
    };
    draft.writes.push(status_write(view, ctx, action)?);
    let confirmation = push_entry(
        &mut draft.writes,
        ctx,
        Collection::Confirmations,
        ConfirmationBody {
            input: input.clone(),
            round: view.round,
        },
    )?;
    if !input.accepted {
        push_entry(
            &mut draft.writes,
            ctx,
            Collection::Rounds,
            RoundBody {
                round: view.round + 1,
                reason: input.reason.clone().unwrap_or_default(),
                follows_confirmation: Some(confirmation.clone()),
            },
        )?;
    }
    draft.entry_id = Some(confirmation);
    Ok(if input.accepted {
        Summary::CustomerAccepted
    } else {
        Summary::CustomerRejected {
            round: view.round + 1,
        }
    })
}

fn update_facts(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    update: &FactsUpdate,
) -> Result<Summary> {
    not_closed(view, Step::EditFacts)?;
    let updated = facts::apply_update(&view.registration, update)?;
    validate::registration(&updated, ctx.at)?;
    let pairs = facts::update_pairs(update);
    if pairs.is_empty() {
        return Err(Error::validation("update", Invalid::NothingToUpdate));
    }
    let summary = Summary::FactsUpdated {
        fields: pairs.iter().map(|(k, _)| k.clone()).collect(),
    };
    draft
        .writes
        .extend(pairs.into_iter().map(|(k, v)| Write::Fact(k, v)));
    Ok(summary)
}

/// A correction of the warranty-deciding facts: each fact that changes is written, and the
/// event keeps its old value with the reason. A fact in conflict counts as changed even when
/// the correction repeats the shown value, since writing it ends the conflict.
fn correct_facts(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    c: &FactsCorrection,
) -> Result<Summary> {
    not_closed(view, Step::CorrectFacts)?;
    validate::text("reason", &c.reason)?;
    let pairs = correction::pairs(c)?;
    let corrected = facts::apply_pairs(&view.registration, &pairs)?;
    validate::registration(&corrected, ctx.at)?;
    if let Some(photo) = &c.invoice_photo {
        validate::photo_hash("invoice_photo", photo)?;
        photos_on_case(view, "invoice_photo", std::slice::from_ref(photo))?;
        if !corrected.proof_of_purchase.is_present() {
            return Err(Error::validation(
                "invoice_photo",
                Invalid::InvoicePhotoWithoutProof,
            ));
        }
    }
    let shown = facts::to_pairs(&view.registration);
    let changes: Vec<FactChange> = pairs
        .into_iter()
        .filter_map(|(field, to)| {
            let from = shown
                .iter()
                .find(|(k, _)| *k == field)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let in_conflict = view.concurrent_facts.iter().any(|f| f.field == field);
            (from != to || in_conflict).then_some(FactChange { field, from, to })
        })
        .collect();
    if changes.is_empty() && c.invoice_photo.is_none() {
        return Err(Error::validation("correction", Invalid::NoCorrection));
    }
    draft.writes.extend(
        changes
            .iter()
            .map(|ch| Write::Fact(ch.field.clone(), ch.to.clone())),
    );
    let correction = CorrectionRecord {
        reason: c.reason.clone(),
        changes,
        invoice_photo: c.invoice_photo.clone(),
    };
    draft.correction = Some(correction.clone());
    Ok(Summary::FactsCorrected {
        correction: Some(correction),
    })
}

// Photos on the case: the document holds their descriptions, keyed by hash.

fn attach_photo(
    draft: &mut Draft,
    view: &CaseView,
    ctx: &Context<'_>,
    photo: &PhotoAttachment,
) -> Result<Summary> {
    validate::photo_hash("hash", &photo.hash)?;
    validate::photo_hash("thumbnail_hash", &photo.thumbnail_hash)?;
    validate::optional_text("caption", Some(&photo.caption))?;
    if let Some(attached) = view.photos.iter().find(|p| p.hash == photo.hash) {
        let added_at = attached
            .record
            .added_by
            .at
            .format("%Y-%m-%d %H:%M")
            .to_string();
        return Err(Error::validation(
            "hash",
            Invalid::PhotoAlreadyOnCase { added_at },
        ));
    }
    let record = PhotoRecord {
        kind: photo.kind,
        caption: photo.caption.clone(),
        taken_at: photo.taken_at.clone(),
        size: photo.size,
        width: photo.width,
        height: photo.height,
        thumbnail_hash: photo.thumbnail_hash.clone(),
        thumbnail_size: photo.thumbnail_size,
        gps: photo.gps,
        added_by: ctx.stamp(),
    };
    draft
        .writes
        .push(Write::Photo(photo.hash.clone(), to_json(&record)?));
    draft.entry_id = Some(photo.hash.clone());
    Ok(Summary::PhotoAttached {
        kind: photo.kind,
        hash: photo.hash.get(..12).unwrap_or(&photo.hash).to_owned(),
    })
}

fn remove_photo(draft: &mut Draft, view: &CaseView, hash: &str, reason: &str) -> Result<Summary> {
    validate::text("reason", reason)?;
    if !view.photos.iter().any(|p| p.hash == hash) {
        return Err(Error::EntryNotFound(hash.to_owned()));
    }
    draft.writes.push(Write::RemovePhoto(hash.to_owned()));
    Ok(Summary::PhotoRemoved {
        hash: hash.get(..12).unwrap_or(hash).to_owned(),
        reason: reason.to_owned(),
    })
}

/// The status record for `action`, refused while the status itself is in conflict.
fn status_write(view: &CaseView, ctx: &Context<'_>, action: Action) -> Result<Write> {
    if view.status.in_conflict() {
        return Err(Error::Conflict {
            field: "status".into(),
        });
    }
    let next = lifecycle::next_status(view.known_status(Step::Action(action))?, action)?;
    Ok(Write::Decision(
        DecisionField::Status,
        decided(ctx, next.as_str(), next)?,
    ))
}

/// The status a warranty decision writes. Deciding again a stale decision is also allowed
/// after the case was resolved or the customer confirmed: the case goes back to
/// `warranty_decided`, so the resolution (and the customer's answer) follow the new decision.
fn decide_status_write(view: &CaseView, ctx: &Context<'_>) -> Result<Write> {
    let from = view.known_status(Step::Action(Action::DecideWarranty))?;
    if view.warranty_stale.is_some() && matches!(from, Status::Resolved | Status::CustomerConfirmed)
    {
        if view.status.in_conflict() {
            return Err(Error::Conflict {
                field: "status".into(),
            });
        }
        let to = Status::WarrantyDecided;
        return Ok(Write::Decision(
            DecisionField::Status,
            decided(ctx, to.as_str(), to)?,
        ));
    }
    status_write(view, ctx, Action::DecideWarranty)
}

/// Refuses a step that relies on the warranty decision while it is stale.
fn not_stale(view: &CaseView, step: StaleStep) -> Result<()> {
    match &view.warranty_stale {
        Some(_) => Err(Error::StaleWarranty(step)),
        None => Ok(()),
    }
}

/// A warranty decision cannot be made while a fact it rests on has concurrent values.
fn no_fact_conflict(view: &CaseView) -> Result<()> {
    match view
        .conflicts
        .iter()
        .find(|c| c.field.strip_prefix("facts.").is_some())
    {
        Some(c) => Err(Error::Conflict {
            field: c.field.clone(),
        }),
        None => Ok(()),
    }
}

pub(super) fn no_conflict<T>(
    decision: &Option<DecisionView<T>>,
    field: DecisionField,
) -> Result<()> {
    match decision {
        Some(d) if d.in_conflict() => Err(Error::Conflict {
            field: field.as_str().into(),
        }),
        _ => Ok(()),
    }
}

/// Evidence must be a photo of this case, so a decision never cites a picture nobody can see.
pub(super) fn photos_on_case(
    view: &CaseView,
    field: &'static str,
    hashes: &[String],
) -> Result<()> {
    match hashes
        .iter()
        .find(|h| !view.photos.iter().any(|p| &p.hash == *h))
    {
        Some(_) => Err(Error::validation(field, Invalid::PhotoNotOnCase)),
        None => Ok(()),
    }
}

/// Refused when closed; also when the status is unknown, since a newer status may be one that
/// forbids the step as `closed` does.
pub(super) fn not_closed(view: &CaseView, action: Step) -> Result<()> {
    if view.known_status(action)? == Status::Closed {
        return Err(Error::InvalidTransition {
            from: Status::Closed,
            action,
        });
    }
    Ok(())
}

fn part_line<'a>(view: &'a CaseView, line_id: &str) -> Result<&'a PartLine> {
    view.parts
        .iter()
        .find(|l| l.id == line_id)
        .ok_or_else(|| Error::EntryNotFound(line_id.to_owned()))
}

fn resolved_choice<T: Clone + Serialize>(
    decision: &Option<DecisionView<T>>,
    choose: usize,
    ctx: &Context<'_>,
) -> Result<(String, String)> {
    let Some(d) = decision.as_ref().filter(|d| d.in_conflict()) else {
        return Err(Error::validation("field", Invalid::NoConflict));
    };
    let mut chosen = d.conflict.get(choose).cloned().ok_or_else(|| {
        Error::validation(
            "choose",
            Invalid::ChoiceOutOfRange {
                alternatives: d.conflict.len(),
            },
        )
    })?;
    chosen.resolved_by = Some(ctx.stamp());
    let key = chosen.key.clone();
    Ok((to_json(&chosen)?, key))
}

pub(super) fn decided<T: Serialize>(ctx: &Context<'_>, key: &str, value: T) -> Result<String> {
    to_json(&Decided {
        key: key.to_owned(),
        value,
        stamp: ctx.stamp(),
        resolved_by: None,
    })
}

/// Builds an entry with a fresh UUIDv7 id: (id, JSON).
pub(super) fn entry<T: Serialize>(ctx: &Context<'_>, body: T) -> Result<(String, String)> {
    let id = Uuid::now_v7().to_string();
    let json = to_json(&Entry {
        id: id.clone(),
        stamp: ctx.stamp(),
        body,
    })?;
    Ok((id, json))
}

pub(super) fn push_entry<T: Serialize>(
    writes: &mut Vec<Write>,
    ctx: &Context<'_>,
    collection: Collection,
    body: T,
) -> Result<String> {
    let (id, json) = entry(ctx, body)?;
    writes.push(Write::Append(collection, id.clone(), json));
    Ok(id)
}

fn charge_key(charge: &Charge) -> String {
    format!("{} {}", charge.amount_minor, charge.currency)
}

fn serde_key<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

pub(super) fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::InvalidDocument(e.to_string()))
}
