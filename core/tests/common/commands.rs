//! Field work in the abstract, shared by the core's merge properties (core/tests/merge_props.rs)
//! and the end-to-end tests (tests/src/work.rs, which includes this file by path): every kind of
//! command as a small value generators can make, and the real [`Command`] it stands for against
//! a case as a device sees it.

use chrono::Duration;
use fieldcore::CaseView;
use fieldcore::Command;
use fieldcore::{Cause, Charge, ConfirmationInput, DefectInput, FactsUpdate, Outcome, PartInput};

use super::t0;

/// A command in the abstract; [`to_command`] makes it concrete for one case's view.
#[derive(Debug, Clone)]
pub enum Cmd {
    Ack,
    Schedule,
    Arrive,
    Confirm(Cause),
    Decide(Option<i64>),
    Resolve(Outcome),
    Part(u8),
    ReversePart(usize),
    Note(u8),
    Customer(bool),
    Close,
    Reopen,
    Phone(u8),
    ResolveConflict(u8, usize),
}

/// The concrete command for a case as `view` shows it.
pub fn to_command(cmd: &Cmd, view: &CaseView) -> Command {
    match cmd {
        Cmd::Ack => Command::Acknowledge { note: None },
        Cmd::Schedule => Command::ScheduleVisit {
            planned_for: t0() + Duration::days(1),
        },
        Cmd::Arrive => Command::ArriveOnSite,
        Cmd::Confirm(cause) => Command::ConfirmDefect(DefectInput {
            cause: *cause,
            findings: format!("found {}", cause.as_str()),
            measurements: vec![],
            major_incident: false,
            evidence_photos: vec![],
        }),
        Cmd::Decide(charge) => Command::DecideWarranty {
            evidence_photos: vec![],
            charge: charge.map(|amount_minor| Charge {
                amount_minor,
                currency: "CNY".into(),
            }),
        },
        Cmd::Resolve(outcome) => Command::Resolve {
            outcome: *outcome,
            summary: "done".into(),
        },
        Cmd::Part(n) => Command::RecordPart(PartInput {
            part_number: format!("P-{n}"),
            specification: "spec".into(),
            quantity: u32::from(*n % 3) + 1,
            new_serial: None,
            old_part_kept: n % 2 == 0,
            old_part_serial: None,
        }),
        Cmd::ReversePart(i) => Command::ReversePart {
            line_id: view
                .parts
                .get(*i)
                .map(|l| l.id.clone())
                .unwrap_or_else(|| "missing".into()),
            reason: "wrong part".into(),
        },
        Cmd::Note(n) => Command::AddNote {
            text: format!("note {n}"),
        },
        Cmd::Customer(accepted) => Command::ConfirmCustomer(ConfirmationInput {
            customer_name: "Zhao".into(),
            accepted: *accepted,
            reason: (!accepted).then(|| "not fixed".into()),
            signature_hash: None,
        }),
        Cmd::Close => Command::Close,
        Cmd::Reopen => Command::Reopen {
            reason: "fault came back".into(),
        },
        Cmd::Phone(n) => Command::UpdateFacts(FactsUpdate {
            customer_phone: Some(format!("+86 311 5555 {n:04}")),
            ..Default::default()
        }),
        Cmd::ResolveConflict(field, choose) => Command::ResolveConflict {
            field: ["status", "defect", "warranty", "charge", "resolution"][usize::from(*field)]
                .into(),
            choose: *choose,
        },
    }
}
