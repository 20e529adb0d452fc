//! A command written to its case's document: planned first (`plan`), then written as one
//! automerge change that also appends its audit event; a refused command leaves the document
//! untouched. A new case's first document is made here too.

use automerge::{ActorId, Automerge};

use crate::case::commands::{Applied, Command, Context};
use crate::case::document::{self, Collection, DecisionField};
use crate::case::plan::{self, Write, decided, entry};
use crate::case::records::EventBody;
use crate::case::summary::Summary;
use crate::case::view::CaseView;
use crate::error::Result;
use crate::locale::{Locale, Localized};
use crate::model::{CaseId, Registration, Status};
use crate::rules::validate;

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
    let summary = Summary::Registered {
        category: registration.product_category.clone(),
        model: registration.product_model.clone(),
        serial: registration.serial_number.clone(),
    };
    let event = entry(
        ctx,
        EventBody {
            action: "register".into(),
            summary: summary.text(Locale::En),
            detail: summary.detail(),
            correction: None,
            handover: None,
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
            summary: summary.text(Locale::En),
            detail: summary.detail(),
            correction: draft.correction,
            handover: draft.handover,
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
            Write::DecisionKey(key, json) => document::put_decision_key_json(tx, &key, json)?,
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
