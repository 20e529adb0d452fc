//! The deadline anchors on real case documents: what each deadline counts from, what meets it,
//! and the missed-deadline records commands leave, through merges of devices that noticed the
//! same miss at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::{ActorId, Automerge};
use chrono::{DateTime, Duration};
use fieldcore::testing::{registration, t0};
use fieldcore::{
    CaseView, Cause, Command, Context, DefectInput, Error, Milestone, Policies, Timestamp,
    build_view, execute_on_document, new_case_document,
};
use uuid::Uuid;

fn ts(s: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap()
}

struct Case {
    id: Uuid,
    doc: Automerge,
    policies: Policies,
}

impl Case {
    /// A case received at `t0` (Mon 2 Nov 2026, 09:00 in Shanghai), registered a minute later.
    fn new() -> Case {
        let policies = Policies::default();
        let id = Uuid::now_v7();
        let ctx = Context {
            by: "Li Wei",
            device: "device-a",
            at: t0() + Duration::minutes(1),
            policies: &policies,
            parts_catalog: None,
        };
        let doc = new_case_document(&actor(1), &ctx, id, &registration()).unwrap();
        Case { id, doc, policies }
    }

    fn run_at(&mut self, at: Timestamp, command: Command) -> Result<(), Error> {
        let ctx = Context {
            by: "Li Wei",
            device: "device-a",
            at,
            policies: &self.policies,
            parts_catalog: None,
        };
        execute_on_document(&mut self.doc, self.id, &ctx, &command).map(|_| ())
    }

    fn run(&mut self, hours_after_t0: i64, command: Command) {
        self.run_at(t0() + Duration::hours(hours_after_t0), command)
            .unwrap();
    }

    fn view(&self) -> CaseView {
        build_view(&self.doc, self.id, &self.policies).unwrap()
    }

    fn due(&self, m: Milestone) -> Option<Timestamp> {
        self.view()
            .deadlines
            .iter()
            .find(|d| d.milestone == m)
            .map(|d| d.due_at)
    }
}

fn actor(n: u8) -> ActorId {
    ActorId::from(vec![n; 16])
}

fn defect() -> Command {
    Command::ConfirmDefect(DefectInput {
        cause: Cause::DesignManufacturing,
        findings: "Winding insulation failed".into(),
        measurements: Vec::new(),
        major_incident: false,
        evidence_photos: Vec::new(),
    })
}

fn to_warranty_decided(case: &mut Case) {
    case.run(1, Command::Acknowledge { note: None });
    case.run(2, Command::ArriveOnSite);
    case.run(3, defect());
    case.run(
        4,
        Command::DecideWarranty {
            evidence_photos: Vec::new(),
            charge: None,
        },
    );
}

#[test]
fn the_remedy_is_met_by_a_proposal_not_by_the_warranty_decision() {
    let mut case = Case::new();
    to_warranty_decided(&mut case);
    // 48 hours from the receipt, still open after the warranty decision.
    assert_eq!(
        case.due(Milestone::Remedy),
        Some(ts("2026-11-04T09:00:00+08:00"))
    );
    case.run(
        5,
        Command::ProposeRemedy {
            proposal: "Rewind the stator on site, free of charge".into(),
        },
    );
    let view = case.view();
    assert_eq!(case.due(Milestone::Remedy), None);
    assert_eq!(view.remedy.unwrap().current.value.round, 1);
}

#[test]
fn a_case_passed_to_qa_has_no_remedy_deadline() {
    let mut case = Case::new();
    assert!(case.due(Milestone::Remedy).is_some());
    case.run(
        1,
        Command::PassToQa {
            reason: "Third failure of this batch".into(),
        },
    );
    assert_eq!(case.due(Milestone::Remedy), None);
    assert!(case.view().passed_to_qa.is_some());
    // Passing twice is refused, with nothing written.
    let err = case
        .run_at(
            t0() + Duration::hours(2),
            Command::PassToQa {
                reason: "again".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation { field, .. } if field == "passed_to_qa"),
        "{err}"
    );
}

#[test]
fn the_report_is_due_three_days_after_the_defect_confirmation_and_met_by_the_report() {
    let mut case = Case::new();
    case.run(1, Command::Acknowledge { note: None });
    // No investigation yet: no report deadline, and no report.
    assert_eq!(case.due(Milestone::Report), None);
    let refused = case.run_at(
        t0() + Duration::hours(2),
        Command::RecordReport {
            findings: "x".into(),
            cause: "y".into(),
            handling: "z".into(),
        },
    );
    assert!(matches!(refused, Err(Error::Validation { field, .. }) if field == "defect"));
    case.run(2, Command::ArriveOnSite);
    case.run(30, defect()); // Tue 3 Nov 15:00
    assert_eq!(
        case.due(Milestone::Report),
        Some(ts("2026-11-06T15:00:00+08:00"))
    );
    case.run(
        31,
        Command::RecordReport {
            findings: "Insulation breakdown in phase V".into(),
            cause: "Varnish not cured in batch 2406".into(),
            handling: "Replace the stator; quality to check the batch".into(),
        },
    );
    assert_eq!(case.due(Milestone::Report), None);
}

#[test]
fn the_close_counts_from_hqs_acceptance_with_the_receipt_until_then() {
    let mut case = Case::new();
    // Not yet accepted by HQ: 13 days from the receipt.
    assert_eq!(
        case.due(Milestone::Close),
        Some(ts("2026-11-15T09:00:00+08:00"))
    );
    // HQ stamps its acceptance with its own actor the next morning.
    case.doc.set_actor(actor(9));
    case.doc
        .transact_with(
            |_| fieldcore::commit_options("number", 0),
            |tx| {
                fieldcore::put_number(tx, "2611-0001")?;
                fieldcore::put_accepted(tx, ts("2026-11-03T08:30:00+08:00"))
            },
        )
        .unwrap();
    let view = case.view();
    assert_eq!(view.accepted_at, Some(ts("2026-11-03T08:30:00+08:00")));
    assert!(view.unknown.is_empty(), "{:?}", view.unknown);
    assert_eq!(
        case.due(Milestone::Close),
        Some(ts("2026-11-16T08:30:00+08:00"))
    );
    // The reply still counts from the receipt.
    assert_eq!(
        case.due(Milestone::Reply),
        Some(ts("2026-11-03T09:00:00+08:00"))
    );
}

#[test]
fn an_agreed_date_replaces_the_working_day_deadline() {
    let mut case = Case::new();
    // Mon 2 Nov: Tue 3 .. Mon 9, at the end of the day in Shanghai.
    assert_eq!(
        case.due(Milestone::WorkingDays),
        Some(ts("2026-11-09T23:59:59.999+08:00"))
    );
    case.run(
        1,
        Command::AgreeDeadline {
            date: fieldcore::testing::date("2026-11-20"),
            with_whom: "Mr Zhao, station manager".into(),
        },
    );
    let view = case.view();
    let agreed = view.agreed_deadline.unwrap();
    assert_eq!(agreed.current.value.with_whom, "Mr Zhao, station manager");
    assert_eq!(agreed.current.stamp.by, "Li Wei");
    assert_eq!(
        case.due(Milestone::WorkingDays),
        Some(ts("2026-11-20T23:59:59.999+08:00"))
    );
    // A date before the round started is refused.
    let refused = case.run_at(
        t0() + Duration::hours(2),
        Command::AgreeDeadline {
            date: fieldcore::testing::date("2026-11-01"),
            with_whom: "Mr Zhao".into(),
        },
    );
    assert!(matches!(refused, Err(Error::Validation { field, .. }) if field == "date"));
}

#[test]
fn a_missed_deadline_is_recorded_once_per_milestone_per_round() {
    let mut case = Case::new();
    // 25 hours after the receipt the reply is past due: the note records the miss.
    case.run(
        25,
        Command::AddNote {
            text: "Customer could not be reached".into(),
        },
    );
    let view = case.view();
    assert_eq!(view.missed_deadlines.len(), 1);
    let missed = &view.missed_deadlines[0];
    assert_eq!(missed.value.milestone, Milestone::Reply);
    assert_eq!(missed.value.round, 1);
    assert_eq!(missed.value.due_at, ts("2026-11-03T09:00:00+08:00"));
    assert_eq!(missed.stamp.at, t0() + Duration::hours(25));
    // Another command later does not record it again; the late reply itself adds nothing.
    case.run(26, Command::Acknowledge { note: None });
    assert_eq!(case.view().missed_deadlines.len(), 1);
    // Past the remedy and the working days: both recorded, the reply still once.
    case.run(
        24 * 8,
        Command::AddNote {
            text: "Waiting for parts".into(),
        },
    );
    let names: Vec<Milestone> = case
        .view()
        .missed_deadlines
        .iter()
        .map(|m| m.value.milestone)
        .collect();
    assert_eq!(
        names,
        vec![Milestone::Reply, Milestone::Remedy, Milestone::WorkingDays]
    );
}

#[test]
fn two_devices_noticing_the_same_miss_merge_into_one_record() {
    let case = Case::new();
    let mut a = case.doc.fork();
    a.set_actor(actor(2));
    let mut b = case.doc.fork();
    b.set_actor(actor(3));
    let policies = &case.policies;
    let note = |doc: &mut Automerge, device: &str, hours: i64| {
        let ctx = Context {
            by: "someone",
            device,
            at: t0() + Duration::hours(hours),
            policies,
            parts_catalog: None,
        };
        execute_on_document(
            doc,
            case.id,
            &ctx,
            &Command::AddNote {
                text: format!("from {device}"),
            },
        )
        .unwrap();
    };
    note(&mut a, "device-a", 30);
    note(&mut b, "device-b", 31);
    a.merge(&mut b).unwrap();
    b.merge(&mut a.clone()).unwrap();
    for doc in [&a, &b] {
        let view = build_view(doc, case.id, policies).unwrap();
        let reply: Vec<_> = view
            .missed_deadlines
            .iter()
            .filter(|m| m.value.milestone == Milestone::Reply)
            .collect();
        assert_eq!(reply.len(), 1, "{:?}", view.missed_deadlines);
        // The records agree: no conflict for a person to resolve, both notes kept.
        assert!(view.conflicts.is_empty(), "{:?}", view.conflicts);
        assert_eq!(view.notes.len(), 2);
        assert!(view.unknown.is_empty());
    }
    assert_eq!(
        build_view(&a, case.id, policies).unwrap().missed_deadlines,
        build_view(&b, case.id, policies).unwrap().missed_deadlines
    );
}

#[test]
fn a_new_round_records_its_own_misses() {
    let mut case = Case::new();
    case.run(25, Command::Acknowledge { note: None }); // reply missed in round 1
    case.run(26, Command::ArriveOnSite);
    case.run(27, defect());
    case.run(
        28,
        Command::DecideWarranty {
            evidence_photos: Vec::new(),
            charge: None,
        },
    );
    case.run(
        29,
        Command::ProposeRemedy {
            proposal: "Replace the motor".into(),
        },
    );
    case.run(
        30,
        Command::Resolve {
            outcome: fieldcore::Outcome::Exchanged,
            summary: "Motor exchanged".into(),
        },
    );
    case.run(
        31,
        Command::ConfirmCustomer(fieldcore::ConfirmationInput {
            customer_name: "Zhao Min".into(),
            accepted: false,
            reason: Some("Still trips".into()),
            signature_hash: None,
        }),
    );
    let view = case.view();
    assert_eq!(view.round, 2);
    // The round-1 remedy proposal does not meet round 2's remedy deadline.
    assert!(view.deadline_inputs().is_some_and(|i| !i.remedy_proposed));
    // Round 2's reply is missed a day later and recorded beside round 1's.
    case.run(
        31 + 25,
        Command::AddNote {
            text: "Second visit planned".into(),
        },
    );
    let rounds: Vec<(u32, Milestone)> = case
        .view()
        .missed_deadlines
        .iter()
        .map(|m| (m.value.round, m.value.milestone))
        .collect();
    assert!(rounds.contains(&(1, Milestone::Reply)), "{rounds:?}");
    assert!(rounds.contains(&(2, Milestone::Reply)), "{rounds:?}");
}

#[test]
fn the_case_text_shows_the_agreed_date_and_the_misses() {
    let mut case = Case::new();
    case.run(
        25,
        Command::AgreeDeadline {
            date: fieldcore::testing::date("2026-11-20"),
            with_whom: "Mr Zhao".into(),
        },
    );
    let text = fieldcore::case_text(
        &case.view(),
        &fieldcore::CaseTextExtras::default(),
        t0() + Duration::hours(26),
        fieldcore::Locale::En,
    );
    assert!(
        text.contains("Agreed date 2026-11-20 with Mr Zhao · round 1"),
        "{text}"
    );
    assert!(text.contains("Missed"), "{text}");
    assert!(text.contains("reply of round 1 due"), "{text}");
}
