//! The commands a person runs on a case, applied to its document. Each command is checked
//! against the current view and the rules first, then written as one automerge change that
//! also appends its audit event; a refused command leaves the document untouched.

use automerge::{ActorId, Automerge};
use serde::{Deserialize, Serialize};

use crate::case::document::{self, Collection, DecisionField};
use crate::case::plan::{self, Write, decided, entry};
use crate::case::records::{EventBody, PhotoAttachment, Stamp};
use crate::case::view::CaseView;
use crate::error::Result;
use crate::model::{
    CaseId, Charge, ConfirmationInput, DefectInput, FactsUpdate, Outcome, PartInput, Registration,
    Status, Timestamp,
};
use crate::rules::policy::Policies;
use crate::rules::validate;

/// Who runs a command, on which device, when, under which policies.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub by: &'a str,
    pub device: &'a str,
    pub at: Timestamp,
    pub policies: &'a Policies,
}

impl Context<'_> {
    pub(crate) fn stamp(&self) -> Stamp {
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

/// Checks `command` against `view` (the case as `doc` stands) and writes it as one change.
pub fn execute(
    doc: &mut Automerge,
    view: &CaseView,
    ctx: &Context<'_>,
    command: &Command,
) -> Result<Applied> {
    let (draft, summary) = plan::plan(view, ctx, command)?;
    let mut writes = draft.writes;
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
    Ok(Applied {
        entry_id: draft.entry_id,
    })
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

/// [`execute`] for a caller holding only the document: the view is built here first.
pub fn execute_on_document(
    doc: &mut Automerge,
    case_id: CaseId,
    ctx: &Context<'_>,
    command: &Command,
) -> Result<Applied> {
    let view = crate::case::view::build(doc, case_id, ctx.policies)?;
    execute(doc, &view, ctx, command)
}
