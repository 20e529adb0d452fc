//! Test fixtures shared by the core's tests, HQ's tests and the end-to-end suite (the
//! `testing` feature; never part of a shipped build):
//!
//! - the fixed test time [`t0`] (HQ's clock in tests, so case numbers are `2611-NNNN`,
//!   [`MONTH`]) and a [`StepClock`] that starts an hour later and moves a minute per reading;
//! - one valid [`registration`] (a motor bought five months before the complaint, with an
//!   invoice), or [`registration_for`] a given serial number;
//! - field work in the abstract: [`Cmd`], a command as a small value generators can make, and
//!   [`to_command`], the real [`Command`] it stands for against a case as a device sees it;
//! - the two generators of random field work, with the same weights: [`arb_cmd`] (proptest,
//!   for the merge properties) and [`random_cmd`] (`rand`, for the end-to-end scenario);
//! - [`close_case`], a registered case taken the shortest way to closed ([`TO_CLOSED`]);
//! - [`entry_ids`], every entry of a view, to check that a merge lost nothing;
//! - [`summary_samples`], one history entry of every kind.

// Fixtures panic on a constant that does not parse, as the tests calling them would.
#![allow(clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, NaiveDate};
use proptest::prelude::{Just, Strategy, any, prop_oneof};
use rand::Rng;

use crate::{
    CaseId, CaseView, Cause, Channel, Charge, Clock, Command, ConfirmationInput, CorrectionRecord,
    CustomerRequest, DefectInput, FactChange, FactsUpdate, Handover, Market, Outcome, PartInput,
    PhotoKind, ProofOfPurchase, Registration, Store, Summary, Timestamp, WarrantyRule,
};

/// The month of every case number HQ gives in tests: its clock is fixed at [`t0`].
pub const MONTH: &str = "2611";

/// 2026-11-02 09:00 in China Standard Time.
pub fn t0() -> Timestamp {
    DateTime::parse_from_rfc3339("2026-11-02T09:00:00+08:00").expect("a valid time")
}

/// A date written `YYYY-MM-DD`.
pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a valid date")
}

/// A complaint about a motor bought five months before it was received, with an invoice;
/// serial number M2406-118842.
pub fn registration() -> Registration {
    registration_for("M2406-118842")
}

/// [`registration`] with the given serial number.
pub fn registration_for(serial: &str) -> Registration {
    Registration {
        customer_name: "Hebei Pump Station No. 3".into(),
        customer_phone: "+86 311 5555 0101".into(),
        customer_address: "12 Canal Road, Shijiazhuang".into(),
        region: "Hebei".into(),
        home_region: false,
        market: Market::Domestic,
        product_model: "YE3-132M-4".into(),
        product_category: "motor".into(),
        serial_number: serial.into(),
        manufacture_date: Some(date("2026-04-20")),
        purchase_date: Some(date("2026-06-01")),
        proof_of_purchase: ProofOfPurchase::Invoice("INV-0099812".into()),
        fault_description: "Motor trips the breaker two minutes after start".into(),
        customer_request: CustomerRequest::Repair,
        channel: Channel::Phone,
        received_at: t0(),
        first_responder: "Wang Fang".into(),
        first_responder_id: None,
        production_batch: None,
    }
}

/// A clock that starts at `t0() + 1 h` and moves one minute each time it is read, so every
/// command has its own time and tests are repeatable. Clones share the time.
#[derive(Clone)]
pub struct StepClock(Arc<AtomicI64>);

impl Default for StepClock {
    fn default() -> StepClock {
        StepClock::new()
    }
}

impl StepClock {
    pub fn new() -> StepClock {
        StepClock(Arc::new(AtomicI64::new(60)))
    }

    /// The clock for [`crate::Store::set_clock`].
    pub fn boxed(&self) -> Clock {
        let minutes = self.0.clone();
        Box::new(move || t0() + Duration::minutes(minutes.fetch_add(1, Ordering::SeqCst)))
    }

    /// Moves the time on (whole minutes).
    pub fn advance(&self, d: Duration) {
        self.0.fetch_add(d.num_minutes(), Ordering::SeqCst);
    }
}

/// A fresh [`StepClock`], boxed for [`crate::Store::set_clock`].
pub fn step_clock() -> Clock {
    StepClock::new().boxed()
}

/// The id of every entry in a view, across all append-only collections.
pub fn entry_ids(view: &CaseView) -> BTreeSet<String> {
    view.events
        .iter()
        .map(|e| e.id.clone())
        .chain(view.notes.iter().map(|e| e.id.clone()))
        .chain(view.parts.iter().map(|e| e.id.clone()))
        .chain(view.visits.iter().map(|e| e.id.clone()))
        .chain(view.confirmations.iter().map(|e| e.id.clone()))
        .chain(view.rounds.iter().map(|e| e.id.clone()))
        .collect()
}

// ------------------------------------------------------------------ field work in the abstract

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
            off_catalog_reason: None,
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

/// The shortest way from registered to closed: acknowledged, a quality fault confirmed, the
/// warranty decided (covered), resolved, accepted by the customer, closed. No photos, no parts.
pub const TO_CLOSED: [Cmd; 6] = [
    Cmd::Ack,
    Cmd::Confirm(Cause::DesignManufacturing),
    Cmd::Decide(None),
    Cmd::Resolve(Outcome::PartsReplaced),
    Cmd::Customer(true),
    Cmd::Close,
];

/// Runs [`TO_CLOSED`] on a registered case of `store`; the case's view once closed.
pub fn close_case(store: &mut Store, case_id: CaseId) -> crate::Result<CaseView> {
    let mut view = store.case(case_id)?;
    for cmd in &TO_CLOSED {
        view = store.execute(case_id, &to_command(cmd, &view))?.0;
    }
    Ok(view)
}

// ---------------------------------------------------------------------- random field work
// Both generators make the same mix: keep their weights (22 in all) in step.

const CAUSES: [Cause; 3] = [
    Cause::DesignManufacturing,
    Cause::StorageTransport,
    Cause::CustomerMisuse,
];

const OUTCOMES: [Outcome; 3] = [
    Outcome::PartsReplaced,
    Outcome::PaidRepair,
    Outcome::Rejected,
];

/// Any defect cause.
pub fn arb_cause() -> impl Strategy<Value = Cause> {
    prop_oneof![Just(CAUSES[0]), Just(CAUSES[1]), Just(CAUSES[2]),]
}

/// Any command, weighted so that a sequence of them moves cases through their lifecycle;
/// many are refused by it (closing a case never acknowledged, ...), which writes nothing.
pub fn arb_cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        2 => Just(Cmd::Ack),
        1 => Just(Cmd::Schedule),
        1 => Just(Cmd::Arrive),
        2 => arb_cause().prop_map(Cmd::Confirm),
        2 => proptest::option::of(0i64..100_000).prop_map(Cmd::Decide),
        1 => prop_oneof![Just(OUTCOMES[0]), Just(OUTCOMES[1]), Just(OUTCOMES[2])]
            .prop_map(Cmd::Resolve),
        2 => any::<u8>().prop_map(Cmd::Part),
        1 => (0usize..8).prop_map(Cmd::ReversePart),
        3 => any::<u8>().prop_map(Cmd::Note),
        1 => any::<bool>().prop_map(Cmd::Customer),
        1 => Just(Cmd::Close),
        1 => Just(Cmd::Reopen),
        1 => any::<u8>().prop_map(Cmd::Phone),
        1 => (0u8..5, 0usize..3).prop_map(|(f, c)| Cmd::ResolveConflict(f, c)),
    ]
}

/// One random command, with the weights of [`arb_cmd`].
pub fn random_cmd(rng: &mut impl Rng) -> Cmd {
    match rng.random_range(0..22u32) {
        0..=1 => Cmd::Ack,
        2 => Cmd::Schedule,
        3 => Cmd::Arrive,
        4..=5 => Cmd::Confirm(CAUSES[rng.random_range(0..3)]),
        6..=7 => Cmd::Decide(rng.random_bool(0.5).then(|| rng.random_range(0..100_000))),
        8 => Cmd::Resolve(OUTCOMES[rng.random_range(0..3)]),
        9..=10 => Cmd::Part(rng.random()),
        11 => Cmd::ReversePart(rng.random_range(0..8)),
        12..=14 => Cmd::Note(rng.random()),
        15 => Cmd::Customer(rng.random()),
        16 => Cmd::Close,
        17 => Cmd::Reopen,
        18 => Cmd::Phone(rng.random()),
        _ => Cmd::ResolveConflict(rng.random_range(0..5), rng.random_range(0..3)),
    }
}

/// One history entry of every kind (`Summary`), with the arguments its text must carry: the
/// locale test and the case-document test both read it. The match makes a new
/// kind fail to compile here until it has a sample.
pub fn summary_samples() -> Vec<(Summary, Vec<&'static str>)> {
    let samples = vec![
        (
            Summary::Registered {
                category: "pump".into(),
                model: "QJ-200".into(),
                serial: "P-118".into(),
            },
            vec!["pump", "QJ-200", "P-118"],
        ),
        (Summary::Acknowledged, vec![]),
        (
            Summary::VisitPlanned {
                at: "2026-11-02T09:00:00+08:00".into(),
            },
            vec!["2026-11-02T09:00:00+08:00"],
        ),
        (Summary::Arrived, vec![]),
        (
            Summary::TripRequested {
                reason: "pump seized".into(),
            },
            vec!["pump seized"],
        ),
        (
            Summary::EmergencyVisit {
                reason: "flooding".into(),
            },
            vec!["flooding"],
        ),
        (
            Summary::HandedOver {
                handover: Some(Handover {
                    from: "Wang Fang".into(),
                    from_id: Some(3),
                    to: "Zhao Min".into(),
                    to_id: 4,
                    reason: "on leave".into(),
                }),
            },
            vec!["Wang Fang", "Zhao Min", "on leave"],
        ),
        (Summary::Closed, vec![]),
        (Summary::Reopened { round: 2 }, vec!["2"]),
        (
            Summary::DefectConfirmed {
                cause: Cause::DesignManufacturing,
                major_incident: true,
            },
            vec![],
        ),
        (
            Summary::WarrantyDecided {
                covered: true,
                rule: WarrantyRule::CoveredQualityFault,
                explanation: None,
            },
            vec![],
        ),
        (
            Summary::ChargeSet {
                charge: "12000 CNY".into(),
            },
            vec!["12000 CNY"],
        ),
        (
            Summary::CompensationSet {
                compensation: "50000 CNY".into(),
            },
            vec!["50000 CNY"],
        ),
        (
            Summary::Resolved {
                outcome: Outcome::Exchanged,
            },
            vec![],
        ),
        (
            Summary::ConflictResolved {
                field: "defect".into(),
                value: "customer_misuse".into(),
            },
            vec!["customer_misuse"],
        ),
        (
            Summary::PartUsed {
                part_number: "BRG-6205".into(),
                quantity: 2,
            },
            vec!["BRG-6205", "2"],
        ),
        (
            Summary::PartRemoved {
                line_id: "line-7".into(),
            },
            vec!["line-7"],
        ),
        (
            Summary::OldPartReturned {
                line_id: "line-8".into(),
            },
            vec!["line-8"],
        ),
        (
            Summary::OldPartKept {
                line_id: "line-9".into(),
                tag: "TAG-31".into(),
            },
            vec!["line-9", "TAG-31"],
        ),
        (
            Summary::OldPartShipped {
                line_id: "line-10".into(),
                shipment: "SHP-2611-4".into(),
                tag: "TAG-32".into(),
            },
            vec!["line-10", "SHP-2611-4", "TAG-32"],
        ),
        (
            Summary::OldPartLost {
                line_id: "line-11".into(),
                reason: "fell into the sump".into(),
            },
            vec!["line-11", "fell into the sump"],
        ),
        (Summary::NoteAdded, vec![]),
        (Summary::CustomerAccepted, vec![]),
        (Summary::CustomerRejected { round: 3 }, vec!["3"]),
        (
            Summary::FactsUpdated {
                fields: vec!["customer_phone".into()],
            },
            vec![],
        ),
        (
            Summary::FactsCorrected {
                correction: Some(CorrectionRecord {
                    reason: "typo on the form".into(),
                    changes: vec![FactChange {
                        field: "purchase_date".into(),
                        from: "\"2026-01-02\"".into(),
                        to: "\"2026-02-01\"".into(),
                    }],
                    invoice_photo: None,
                }),
            },
            vec!["typo on the form", "2026-01-02", "2026-02-01"],
        ),
        (
            Summary::PhotoAttached {
                kind: PhotoKind::Defect,
                hash: "abcdef012345".into(),
            },
            vec!["abcdef012345"],
        ),
        (
            Summary::PhotoRemoved {
                hash: "abcdef012345".into(),
                reason: "blurred".into(),
            },
            vec!["abcdef012345", "blurred"],
        ),
        (
            Summary::PassedToQa {
                reason: "batch fault".into(),
            },
            vec!["batch fault"],
        ),
        (Summary::RemedyProposed, vec![]),
        (
            Summary::ReportRecorded {
                cause: "bearing seal".into(),
            },
            vec!["bearing seal"],
        ),
        (
            Summary::DeadlineAgreed {
                date: "2026-11-20".into(),
                with_whom: "Zhao Min".into(),
            },
            vec!["2026-11-20", "Zhao Min"],
        ),
        (
            Summary::ReturnRequested {
                kind: crate::ReturnKind::Exchange,
                model: "QJ-200".into(),
                units: 2,
                within_window: false,
            },
            vec!["QJ-200", "2"],
        ),
        (
            Summary::GoodsReceived {
                rma_number: Some("R2611-0003".into()),
                units: 2,
                outcome: crate::ReceiptOutcome::Refused,
                checks: "AD".into(),
            },
            vec!["R2611-0003", "2", "AD"],
        ),
        (
            Summary::ReceiptAmended {
                units: 3,
                checks: "G".into(),
            },
            vec!["3", "G"],
        ),
        (
            Summary::UnitInspected {
                unit: "P-118".into(),
                good: true,
            },
            vec!["P-118"],
        ),
        (Summary::ReplenishmentRequested, vec![]),
        (Summary::ReplacementConfirmed, vec![]),
        (
            Summary::ReturnAnalysisRecorded {
                cause: "bearing lot 7 undersized".into(),
            },
            vec!["bearing lot 7 undersized"],
        ),
    ];
    for (s, _) in &samples {
        match s {
            Summary::Registered { .. }
            | Summary::Acknowledged
            | Summary::VisitPlanned { .. }
            | Summary::Arrived
            | Summary::TripRequested { .. }
            | Summary::EmergencyVisit { .. }
            | Summary::HandedOver { .. }
            | Summary::Closed
            | Summary::Reopened { .. }
            | Summary::DefectConfirmed { .. }
            | Summary::WarrantyDecided { .. }
            | Summary::ChargeSet { .. }
            | Summary::CompensationSet { .. }
            | Summary::Resolved { .. }
            | Summary::ConflictResolved { .. }
            | Summary::PartUsed { .. }
            | Summary::PartRemoved { .. }
            | Summary::OldPartReturned { .. }
            | Summary::OldPartKept { .. }
            | Summary::OldPartShipped { .. }
            | Summary::OldPartLost { .. }
            | Summary::NoteAdded
            | Summary::CustomerAccepted
            | Summary::CustomerRejected { .. }
            | Summary::FactsUpdated { .. }
            | Summary::FactsCorrected { .. }
            | Summary::PhotoAttached { .. }
            | Summary::PhotoRemoved { .. }
            | Summary::PassedToQa { .. }
            | Summary::RemedyProposed
            | Summary::ReportRecorded { .. }
            | Summary::DeadlineAgreed { .. }
            | Summary::ReturnRequested { .. }
            | Summary::GoodsReceived { .. }
            | Summary::ReceiptAmended { .. }
            | Summary::UnitInspected { .. }
            | Summary::ReplenishmentRequested
            | Summary::ReplacementConfirmed
            | Summary::ReturnAnalysisRecorded { .. } => {}
        }
    }
    samples
}
