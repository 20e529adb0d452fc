//! A whole service visit through the store, as the phone runs it offline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use fieldcore::testing::{StepClock, registration, t0};
use fieldcore::{Cause, ConfirmationInput, DefectInput, Measurement, Outcome, PartInput, Status};
use fieldcore::{Command, Error, ListQuery, Store};

fn open(dir: &tempfile::TempDir, clock: &StepClock) -> Store {
    let mut store = Store::open(dir.path().join("device.db"), "Li Wei").unwrap();
    store.set_clock(clock.boxed());
    store
}

#[test]
fn a_full_visit_ends_closed_with_every_record_kept() {
    let dir = tempfile::tempdir().unwrap();
    let clock = StepClock::new();
    let mut store = open(&dir, &clock);
    let case = store.register(&registration()).unwrap();
    let id = case.id;
    assert_eq!(case.status(), Status::Registered);
    assert_eq!(case.next_due.as_ref().unwrap().milestone.as_str(), "reply");

    let run = |store: &mut Store, c: Command| store.execute(id, &c).unwrap();
    run(
        &mut store,
        Command::Acknowledge {
            note: Some("Called back, visit tomorrow".into()),
        },
    );
    run(
        &mut store,
        Command::ScheduleVisit {
            planned_for: t0() + Duration::days(1),
        },
    );
    run(&mut store, Command::ArriveOnSite);
    run(
        &mut store,
        Command::ConfirmDefect(DefectInput {
            cause: Cause::DesignManufacturing,
            findings: "Stator winding insulation breakdown at slot 14".into(),
            measurements: vec![Measurement {
                name: "insulation".into(),
                value: 0.4,
                unit: "MΩ".into(),
            }],
            major_incident: false,
            evidence_photos: vec![],
        }),
    );
    let (view, _) = run(
        &mut store,
        Command::DecideWarranty {
            evidence_photos: vec![],
            charge: None,
        },
    );
    let warranty = &view.warranty.as_ref().unwrap().current;
    assert!(
        warranty.value.decision.covered,
        "{}",
        warranty.value.decision.explanation
    );
    assert_eq!(warranty.stamp.by, "Li Wei");
    let (_, applied) = run(
        &mut store,
        Command::RecordPart(PartInput {
            part_number: "BRG-6308".into(),
            specification: "Bearing 6308-2Z".into(),
            quantity: 2,
            new_serial: None,
            old_part_kept: true,
            old_part_serial: None,
            off_catalog_reason: None,
        }),
    );
    let line = applied.entry_id.unwrap();
    run(
        &mut store,
        Command::ReturnOldPart {
            line_id: line.clone(),
        },
    );
    run(
        &mut store,
        Command::Resolve {
            outcome: Outcome::PartsReplaced,
            summary: "Rewound, bearings replaced".into(),
        },
    );
    let signature = {
        let img = image::RgbImage::from_fn(400, 120, |x, y| {
            let ink = (y as i32 - 60 - ((x as f32 / 25.0).sin() * 30.0) as i32).abs() < 3;
            if ink {
                image::Rgb([20, 20, 60])
            } else {
                image::Rgb([250, 250, 250])
            }
        });
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    };
    let (_, signature_hash) = store
        .import_photo(
            id,
            &signature,
            fieldcore::PhotoKind::Signature,
            "Customer signature",
        )
        .unwrap();
    run(
        &mut store,
        Command::ConfirmCustomer(ConfirmationInput {
            customer_name: "Zhao Lei".into(),
            accepted: true,
            reason: None,
            signature_hash: Some(signature_hash.clone()),
        }),
    );
    let (view, _) = run(&mut store, Command::Close);
    assert_eq!(view.status(), Status::Closed);
    assert!(view.next_due.is_none());
    assert_eq!(view.parts.len(), 1);
    assert!(view.parts[0].old_part_returned);
    assert_eq!(view.notes.len(), 1);
    assert_eq!(view.visits.len(), 2);
    // register + 10 commands + the signature photo
    assert_eq!(view.events.len(), 12);
    assert_eq!(store.outbox_len().unwrap(), 12);
    assert_eq!(
        view.confirmations[0].body.input.signature_hash,
        Some(signature_hash)
    );

    // Reopened from disk, without the cache, the case reads the same.
    drop(store);
    let mut store = open(&dir, &clock);
    assert_eq!(store.case(id).unwrap(), view);
    let closed = store
        .list(&ListQuery {
            status: Some(Status::Closed),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(closed.rows.len(), 1);
}

#[test]
fn a_rejected_outcome_opens_a_linked_round_with_fresh_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let clock = StepClock::new();
    let mut store = open(&dir, &clock);
    let id = store.register(&registration()).unwrap().id;
    for c in [
        Command::Acknowledge { note: None },
        Command::ConfirmDefect(DefectInput {
            cause: Cause::CustomerMisuse,
            findings: "Supply voltage 310 V, motor rated 380 V".into(),
            measurements: vec![],
            major_incident: false,
            evidence_photos: vec![],
        }),
        Command::DecideWarranty {
            evidence_photos: vec![],
            charge: Some(fieldcore::Charge {
                amount_minor: 48_000,
                currency: "CNY".into(),
            }),
        },
        Command::Resolve {
            outcome: Outcome::PaidRepair,
            summary: "Paid rewind offered".into(),
        },
    ] {
        store.execute(id, &c).unwrap();
    }
    let view = store.case(id).unwrap();
    assert!(
        !view
            .warranty
            .as_ref()
            .unwrap()
            .current
            .value
            .decision
            .covered
    );
    assert_eq!(
        view.charge.as_ref().unwrap().current.value.amount_minor,
        48_000
    );

    clock.advance(Duration::days(2));
    let (view, applied) = store
        .execute(
            id,
            &Command::ConfirmCustomer(ConfirmationInput {
                customer_name: "Zhao Lei".into(),
                accepted: false,
                reason: Some("Disputes the supply voltage reading".into()),
                signature_hash: None,
            }),
        )
        .unwrap();
    assert_eq!(view.status(), Status::Reopened);
    assert_eq!(view.round, 2);
    assert_eq!(view.rounds[0].body.follows_confirmation, applied.entry_id);
    let due = view.next_due.unwrap();
    assert_eq!(due.milestone.as_str(), "reply");
    assert!(
        due.due_at > t0() + Duration::days(2),
        "deadlines restart with the new round"
    );

    // The new round goes through the lifecycle again.
    let err = store.execute(id, &Command::Close).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidTransition {
            from: Status::Reopened,
            ..
        }
    ));
    store
        .execute(id, &Command::Acknowledge { note: None })
        .unwrap();
}

#[test]
fn overdue_cases_are_listed_and_paging_visits_every_case_once() {
    let dir = tempfile::tempdir().unwrap();
    let clock = StepClock::new();
    let mut store = open(&dir, &clock);
    let mut ids = Vec::new();
    for i in 0..23 {
        let mut r = registration();
        r.serial_number = format!("SN-{i:03}");
        ids.push(store.register(&r).unwrap().id);
    }
    // Acknowledge a few: their reply deadline is met, the others' is 24 h after receipt.
    for id in &ids[..5] {
        store
            .execute(*id, &Command::Acknowledge { note: None })
            .unwrap();
    }
    let overdue = |store: &Store, hours: i64| {
        store
            .list(&ListQuery {
                overdue_at: Some(t0() + Duration::hours(hours)),
                limit: 100,
                ..Default::default()
            })
            .unwrap()
            .rows
            .len()
    };
    assert_eq!(overdue(&store, 23), 0);
    assert_eq!(
        overdue(&store, 25),
        18,
        "unacknowledged cases are past the 24 h reply"
    );
    assert_eq!(
        overdue(&store, 24 * 3 + 1),
        23,
        "acknowledged ones are past the 48 h remedy"
    );

    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list(&ListQuery {
                limit: 7,
                after: after.clone(),
                ..Default::default()
            })
            .unwrap();
        seen.extend(page.rows.iter().map(|r| r.case.case_id.clone()));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    seen.sort();
    let mut expected: Vec<String> = ids.iter().map(ToString::to_string).collect();
    expected.sort();
    assert_eq!(seen, expected);

    let found = store
        .list(&ListQuery {
            serial: Some("sn-01".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.rows.len(), 10, "prefix SN-01x, case-insensitive");
    let found = store
        .list(&ListQuery {
            customer: Some("pump station".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.rows.len(), 23);
    let none = store
        .list(&ListQuery {
            model: Some("YE2".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(none.rows.is_empty());
}
