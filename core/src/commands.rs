//! The commands a person runs on a case, applied to its document. Each command is checked
//! against the current view and the rules first, then written as one automerge change that
//! also appends its audit event; a refused command leaves the document untouched.

use automerge::{ActorId, Automerge};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::document::{self, Collection, DecisionField};
use crate::error::{Error, Result};
use crate::facts;
use crate::lifecycle::{self, Action};
use crate::model::{
    CaseId, Charge, ConfirmationInput, DefectInput, FactsUpdate, Outcome, PartInput, Registration,
    Status, Timestamp,
};
use crate::policy::Policies;
use crate::records::{
    Decided, DefectRecord, Entry, EventBody, NoteBody, PartBody, PhotoAttachment, PhotoRecord,
    ResolutionRecord, RoundBody, Stamp, VisitBody, WarrantyRecord,
};
use crate::validate;
use crate::view::{self, CaseView, DecisionView};
use crate::warranty::{self, WarrantyInput};

/// Who runs a command, on which device, when, under which policies.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub by: &'a str,
    pub device: &'a str,
    pub at: Timestamp,
    pub policies: &'a Policies,
}

impl Context<'_> {
    fn stamp(&self) -> Stamp {
        Stamp {
            by: self.by.to_owned(),
            device: self.device.to_owned(),
            at: self.at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    Acknowledge {
        note: Option<String>,
    },
    ScheduleVisit {
        planned_for: Timestamp,
    },
    ArriveOnSite,
    ConfirmDefect(DefectInput),
    DecideWarranty {
        evidence_photos: Vec<String>,
        /// The paid-service charge at production cost, when already known.
        charge: Option<Charge>,
    },
    SetCharge(Charge),
    Resolve {
        outcome: Outcome,
        summary: String,
    },
    RecordPart(PartInput),
    ReversePart {
        line_id: String,
        reason: String,
    },
    ReturnOldPart {
        line_id: String,
    },
    AddNote {
        text: String,
    },
    ConfirmCustomer(ConfirmationInput),
    Close,
    Reopen {
        reason: String,
    },
    UpdateFacts(FactsUpdate),
    /// Attaches a photo the store has already processed and written to its blob folder; use
    /// `Store::import_photo`, which does both.
    AttachPhoto(PhotoAttachment),
    /// Takes a photo off the case; the blob is collected once uploaded and unreferenced.
    RemovePhoto {
        hash: String,
        reason: String,
    },
    /// A person picks one of a conflicting decision's values (by its index in the view).
    ResolveConflict {
        field: String,
        choose: usize,
    },
}

impl Command {
    /// The command's name in the audit trail and the outbox.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Acknowledge { .. } => "acknowledge",
            Command::ScheduleVisit { .. } => "schedule_visit",
            Command::ArriveOnSite => "arrive_on_site",
            Command::ConfirmDefect(_) => "confirm_defect",
            Command::DecideWarranty { .. } => "decide_warranty",
            Command::SetCharge(_) => "set_charge",
            Command::Resolve { .. } => "resolve",
            Command::RecordPart(_) => "record_part",
            Command::ReversePart { .. } => "reverse_part",
            Command::ReturnOldPart { .. } => "return_old_part",
            Command::AddNote { .. } => "add_note",
            Command::ConfirmCustomer(_) => "confirm_customer",
            Command::Close => "close",
            Command::Reopen { .. } => "reopen",
            Command::UpdateFacts(_) => "update_facts",
            Command::AttachPhoto(_) => "attach_photo",
            Command::RemovePhoto { .. } => "remove_photo",
            Command::ResolveConflict { .. } => "resolve_conflict",
        }
    }
}

/// One planned write; a command is planned completely before anything is written.
enum Write {
    Fact(String, String),
    Decision(DecisionField, String),
    Append(Collection, String, String),
    Photo(String, String),
    RemovePhoto(String),
}

/// What a command produced besides the new document state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// The id of the entry the command appended (a part line, a note, ...), if any.
    pub entry_id: Option<String>,
}

/// A fresh document for a new case, written by this device's actor.
pub fn register(
    actor: &ActorId,
    ctx: &Context<'_>,
    case_id: CaseId,
    registration: &Registration,
) -> Result<Automerge> {
    validate::registration(registration, ctx.at)?;
    let mut doc = Automerge::new().with_actor(actor.clone());
    let status = decided(ctx, Status::Registered.as_str(), Status::Registered)?;
    let event = entry(
        ctx,
        EventBody {
            action: "register".into(),
            summary: format!(
                "registered {} {} ({})",
                registration.product_category,
                registration.product_model,
                registration.serial_number
            ),
        },
    )?;
    doc.transact_with(
        |_| document::commit_options("register", ctx.at.timestamp()),
        |tx| {
            document::create(tx, case_id, registration)?;
            write_all(
                tx,
                vec![
                    Write::Decision(DecisionField::Status, status),
                    Write::Append(Collection::Events, event.0, event.1),
                ],
            )
        },
    )
    .map_err(|f| f.error)?;
    Ok(doc)
}

/// Checks `command` against the case as it stands and writes it as one change.
pub fn execute(
    doc: &mut Automerge,
    case_id: CaseId,
    ctx: &Context<'_>,
    command: &Command,
) -> Result<Applied> {
    let view = view::build(doc, case_id, ctx.policies)?;
    let (mut writes, applied, summary) = plan(&view, ctx, command)?;
    let event = entry(
        ctx,
        EventBody {
            action: command.name().into(),
            summary,
        },
    )?;
    writes.push(Write::Append(Collection::Events, event.0, event.1));
    doc.transact_with(
        |_| document::commit_options(command.name(), ctx.at.timestamp()),
        |tx| write_all(tx, writes),
    )
    .map_err(|f| f.error)?;
    Ok(applied)
}

fn write_all(tx: &mut automerge::transaction::Transaction<'_>, writes: Vec<Write>) -> Result<()> {
    for w in writes {
        match w {
            Write::Fact(key, value) => document::put_fact(tx, &key, value)?,
            Write::Decision(field, json) => document::put_decision_json(tx, field, json)?,
            Write::Append(collection, id, json) => {
                document::append_json(tx, collection, &id, json)?
            }
            Write::Photo(hash, json) => {
                document::put_keyed_json(tx, document::PHOTOS, &hash, json)?
            }
            Write::RemovePhoto(hash) => document::delete_keyed(tx, document::PHOTOS, &hash)?,
        }
    }
    Ok(())
}

type Plan = (Vec<Write>, Applied, String);

fn plan(view: &CaseView, ctx: &Context<'_>, command: &Command) -> Result<Plan> {
    let mut writes = Vec::new();
    let mut applied = Applied::default();
    let summary: String = match command {
        Command::Acknowledge { note } => {
            writes.push(status_write(view, ctx, Action::Acknowledge)?);
            if let Some(text) = note {
                validate::text("note", text)?;
                applied.entry_id = Some(push_entry(
                    &mut writes,
                    ctx,
                    Collection::Notes,
                    NoteBody { text: text.clone() },
                )?);
            }
            "acknowledged to the customer".into()
        }
        Command::ScheduleVisit { planned_for } => {
            writes.push(status_write(view, ctx, Action::ScheduleVisit)?);
            applied.entry_id = Some(push_entry(
                &mut writes,
                ctx,
                Collection::Visits,
                VisitBody::Scheduled {
                    planned_for: *planned_for,
                },
            )?);
            format!("visit planned for {}", planned_for.to_rfc3339())
        }
        Command::ArriveOnSite => {
            writes.push(status_write(view, ctx, Action::ArriveOnSite)?);
            applied.entry_id = Some(push_entry(
                &mut writes,
                ctx,
                Collection::Visits,
                VisitBody::Arrived,
            )?);
            "arrived on site".into()
        }
        Command::ConfirmDefect(input) => {
            validate::defect(input)?;
            photos_on_case(view, "evidence_photos", &input.evidence_photos)?;
            no_conflict(&view.defect, DecisionField::Defect)?;
            writes.push(status_write(view, ctx, Action::ConfirmDefect)?);
            let record = DefectRecord {
                cause: input.cause,
                quality_fault: input.cause.is_quality_fault(),
                findings: input.findings.clone(),
                measurements: input.measurements.clone(),
                major_incident: input.major_incident,
                evidence_photos: input.evidence_photos.clone(),
            };
            writes.push(Write::Decision(
                DecisionField::Defect,
                decided(ctx, input.cause.as_str(), record)?,
            ));
            format!(
                "defect confirmed: {} ({}){}",
                input.cause.as_str(),
                if input.cause.is_quality_fault() {
                    "quality fault"
                } else {
                    "non-quality fault"
                },
                if input.major_incident {
                    ", major quality incident"
                } else {
                    ""
                }
            )
        }
        Command::DecideWarranty {
            evidence_photos,
            charge,
        } => {
            validate::photo_hashes("evidence_photos", evidence_photos)?;
            photos_on_case(view, "evidence_photos", evidence_photos)?;
            no_conflict(&view.defect, DecisionField::Defect)?;
            no_conflict(&view.warranty, DecisionField::Warranty)?;
            let status = status_write(view, ctx, Action::DecideWarranty)?;
            let defect = view.defect.as_ref().ok_or_else(|| {
                Error::validation("defect", "confirm the defect before deciding warranty")
            })?;
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
                    return Err(Error::validation(
                        "charge",
                        "a covered repair is not charged",
                    ));
                }
                no_conflict(&view.charge, DecisionField::Charge)?;
                writes.push(Write::Decision(
                    DecisionField::Charge,
                    decided(ctx, &charge_key(charge), charge.clone())?,
                ));
            }
            writes.push(status);
            let key = format!(
                "{}:{}",
                if decision.covered {
                    "covered"
                } else {
                    "not_covered"
                },
                decision.rule.as_str()
            );
            let summary = decision.explanation.clone();
            writes.push(Write::Decision(
                DecisionField::Warranty,
                decided(
                    ctx,
                    &key,
                    WarrantyRecord {
                        decision,
                        evidence_photos: evidence_photos.clone(),
                    },
                )?,
            ));
            summary
        }
        Command::SetCharge(charge) => {
            validate::charge(charge)?;
            no_conflict(&view.charge, DecisionField::Charge)?;
            let covered = view
                .warranty
                .as_ref()
                .map(|w| w.current.value.decision.covered);
            match (view.status(), covered) {
                (Status::WarrantyDecided | Status::Resolved, Some(false)) => {}
                (Status::WarrantyDecided | Status::Resolved, _) if charge.amount_minor == 0 => {}
                (Status::WarrantyDecided | Status::Resolved, _) => {
                    return Err(Error::validation(
                        "charge",
                        "a covered repair is not charged",
                    ));
                }
                (from, _) => {
                    return Err(Error::InvalidTransition {
                        from,
                        action: "set the charge of",
                    });
                }
            }
            writes.push(Write::Decision(
                DecisionField::Charge,
                decided(ctx, &charge_key(charge), charge.clone())?,
            ));
            format!("charge set to {}", charge_key(charge))
        }
        Command::Resolve { outcome, summary } => {
            validate::text("summary", summary)?;
            no_conflict(&view.warranty, DecisionField::Warranty)?;
            no_conflict(&view.resolution, DecisionField::Resolution)?;
            let covered = view
                .warranty
                .as_ref()
                .is_some_and(|w| w.current.value.decision.covered);
            if covered && *outcome == Outcome::PaidRepair {
                return Err(Error::validation(
                    "outcome",
                    "a covered case is not a paid repair",
                ));
            }
            writes.push(status_write(view, ctx, Action::Resolve)?);
            let key = serde_key(outcome);
            writes.push(Write::Decision(
                DecisionField::Resolution,
                decided(
                    ctx,
                    &key,
                    ResolutionRecord {
                        outcome: *outcome,
                        summary: summary.clone(),
                    },
                )?,
            ));
            format!("resolved: {key}")
        }
        Command::RecordPart(part) => {
            not_closed(view, "record a part on")?;
            validate::part(part)?;
            applied.entry_id = Some(push_entry(
                &mut writes,
                ctx,
                Collection::Parts,
                PartBody::Used(part.clone()),
            )?);
            format!("part {} x{} used", part.part_number, part.quantity)
        }
        Command::ReversePart { line_id, reason } => {
            not_closed(view, "remove a part from")?;
            validate::text("reason", reason)?;
            let line = part_line(view, line_id)?;
            if line.reversed {
                return Err(Error::validation(
                    "line_id",
                    "this part line was already removed",
                ));
            }
            applied.entry_id = Some(push_entry(
                &mut writes,
                ctx,
                Collection::Parts,
                PartBody::Reversal {
                    line: line_id.clone(),
                    reason: reason.clone(),
                },
            )?);
            format!("part line {line_id} removed")
        }
        Command::ReturnOldPart { line_id } => {
            let line = part_line(view, line_id)?;
            if line.reversed || !line.part.old_part_kept {
                return Err(Error::validation(
                    "line_id",
                    "this part line has no kept old part",
                ));
            }
            if line.old_part_returned {
                return Err(Error::validation(
                    "line_id",
                    "the old part was already returned",
                ));
            }
            applied.entry_id = Some(push_entry(
                &mut writes,
                ctx,
                Collection::Parts,
                PartBody::OldPartReturned {
                    line: line_id.clone(),
                },
            )?);
            format!("old part of line {line_id} returned")
        }
        Command::AddNote { text } => {
            validate::text("text", text)?;
            applied.entry_id = Some(push_entry(
                &mut writes,
                ctx,
                Collection::Notes,
                NoteBody { text: text.clone() },
            )?);
            "note added".into()
        }
        Command::ConfirmCustomer(input) => {
            validate::confirmation(input)?;
            photos_on_case(view, "signature_hash", input.signature_hash.as_slice())?;
            let action = if input.accepted {
                Action::CustomerAccepts
            } else {
                Action::CustomerRejects
            };
            writes.push(status_write(view, ctx, action)?);
            let confirmation = push_entry(
                &mut writes,
                ctx,
                Collection::Confirmations,
                crate::records::ConfirmationBody {
                    input: input.clone(),
                    round: view.round,
                },
            )?;
            if !input.accepted {
                push_entry(
                    &mut writes,
                    ctx,
                    Collection::Rounds,
                    RoundBody {
                        round: view.round + 1,
                        reason: input.reason.clone().unwrap_or_default(),
                        follows_confirmation: Some(confirmation.clone()),
                    },
                )?;
            }
            applied.entry_id = Some(confirmation);
            if input.accepted {
                "customer accepted the outcome".into()
            } else {
                format!(
                    "customer rejected the outcome; round {} opened",
                    view.round + 1
                )
            }
        }
        Command::Close => {
            writes.push(status_write(view, ctx, Action::Close)?);
            "closed".into()
        }
        Command::Reopen { reason } => {
            validate::text("reason", reason)?;
            writes.push(status_write(view, ctx, Action::Reopen)?);
            applied.entry_id = Some(push_entry(
                &mut writes,
                ctx,
                Collection::Rounds,
                RoundBody {
                    round: view.round + 1,
                    reason: reason.clone(),
                    follows_confirmation: None,
                },
            )?);
            format!("reopened; round {}", view.round + 1)
        }
        Command::UpdateFacts(update) => {
            not_closed(view, "edit")?;
            let updated = facts::apply_update(&view.registration, update)?;
            validate::registration(&updated, ctx.at)?;
            let pairs = facts::update_pairs(update);
            if pairs.is_empty() {
                return Err(Error::validation("update", "names no field to change"));
            }
            let fields: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
            let summary = format!("updated {}", fields.join(", "));
            writes.extend(pairs.into_iter().map(|(k, v)| Write::Fact(k, v)));
            summary
        }
        Command::AttachPhoto(photo) => {
            validate::photo_hash("hash", &photo.hash)?;
            validate::photo_hash("thumbnail_hash", &photo.thumbnail_hash)?;
            validate::optional_text("caption", Some(&photo.caption))?;
            if view.photos.iter().any(|p| p.hash == photo.hash) {
                return Err(Error::validation(
                    "hash",
                    "this photo is already on the case",
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
            writes.push(Write::Photo(photo.hash.clone(), to_json(&record)?));
            applied.entry_id = Some(photo.hash.clone());
            format!(
                "{} photo {} attached",
                photo.kind.as_str(),
                &photo.hash[..12]
            )
        }
        Command::RemovePhoto { hash, reason } => {
            validate::text("reason", reason)?;
            if !view.photos.iter().any(|p| &p.hash == hash) {
                return Err(Error::EntryNotFound(hash.clone()));
            }
            writes.push(Write::RemovePhoto(hash.clone()));
            format!("photo {} removed: {reason}", hash.get(..12).unwrap_or(hash))
        }
        Command::ResolveConflict { field, choose } => {
            let field = DecisionField::parse(field)
                .ok_or_else(|| Error::validation("field", "is not a decision field"))?;
            let json = match field {
                DecisionField::Status => resolved_choice(&Some(view.status.clone()), *choose, ctx)?,
                DecisionField::Defect => resolved_choice(&view.defect, *choose, ctx)?,
                DecisionField::Warranty => resolved_choice(&view.warranty, *choose, ctx)?,
                DecisionField::Charge => resolved_choice(&view.charge, *choose, ctx)?,
                DecisionField::Resolution => resolved_choice(&view.resolution, *choose, ctx)?,
            };
            writes.push(Write::Decision(field, json.0));
            format!("conflict on {} resolved: {}", field.as_str(), json.1)
        }
    };
    Ok((writes, applied, summary))
}

/// The status record for `action`, refused while the status itself is in conflict.
fn status_write(view: &CaseView, ctx: &Context<'_>, action: Action) -> Result<Write> {
    if view.status.in_conflict() {
        return Err(Error::Conflict {
            field: "status".into(),
        });
    }
    let next = lifecycle::next_status(view.status(), action)?;
    Ok(Write::Decision(
        DecisionField::Status,
        decided(ctx, next.as_str(), next)?,
    ))
}

fn no_conflict<T>(decision: &Option<DecisionView<T>>, field: DecisionField) -> Result<()> {
    match decision {
        Some(d) if d.in_conflict() => Err(Error::Conflict {
            field: field.as_str().into(),
        }),
        _ => Ok(()),
    }
}

/// Evidence must be a photo of this case, so a decision never cites a picture nobody can see.
fn photos_on_case(view: &CaseView, field: &'static str, hashes: &[String]) -> Result<()> {
    match hashes
        .iter()
        .find(|h| !view.photos.iter().any(|p| &p.hash == *h))
    {
        Some(_) => Err(Error::validation(
            field,
            "cites a photo that is not on this case",
        )),
        None => Ok(()),
    }
}

fn not_closed(view: &CaseView, action: &'static str) -> Result<()> {
    if view.status() == Status::Closed {
        return Err(Error::InvalidTransition {
            from: Status::Closed,
            action,
        });
    }
    Ok(())
}

fn part_line<'a>(view: &'a CaseView, line_id: &str) -> Result<&'a view::PartLine> {
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
        return Err(Error::validation("field", "has no conflict to resolve"));
    };
    let mut chosen = d.conflict.get(choose).cloned().ok_or_else(|| {
        Error::validation("choose", format!("must be below {}", d.conflict.len()))
    })?;
    chosen.resolved_by = Some(ctx.stamp());
    let key = chosen.key.clone();
    Ok((to_json(&chosen)?, key))
}

fn decided<T: Serialize>(ctx: &Context<'_>, key: &str, value: T) -> Result<String> {
    to_json(&Decided {
        key: key.to_owned(),
        value,
        stamp: ctx.stamp(),
        resolved_by: None,
    })
}

/// Builds an entry with a fresh UUIDv7 id: (id, JSON).
fn entry<T: Serialize>(ctx: &Context<'_>, body: T) -> Result<(String, String)> {
    let id = Uuid::now_v7().to_string();
    let json = to_json(&Entry {
        id: id.clone(),
        stamp: ctx.stamp(),
        body,
    })?;
    Ok((id, json))
}

fn push_entry<T: Serialize>(
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

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::InvalidDocument(e.to_string()))
}
