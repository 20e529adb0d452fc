//! Stock ledgers against a real HQ on loopback (issue 14): two technicians of one center
//! record the same part offline and both movements survive the merge; the balance goes below
//! zero and is flagged, never refused; only the holder's devices receive or may write its
//! ledger; a write-off closes the quarter and later movements dated in it become corrections
//! of the next quarter, on the devices and in HQ's read model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, FixedOffset};
use fieldcore::{CaseSyncState, Closing, Holder, Quarter, StockCommand, ledger_id};
use fieldcore_e2e::{Device, TestHq};
use fieldhq::Role;
use fieldhq::ledgers::{HqAuthor, HqLedgerEntry, write_hq_entries};
use uuid::Uuid;

fn at(s: &str) -> Option<DateTime<FixedOffset>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap())
}

fn issue(quantity: i64, when: &str) -> StockCommand {
    StockCommand::Issue {
        part_number: "B-6205".into(),
        quantity,
        case_id: Uuid::now_v7(),
        line: None,
        at: at(when),
    }
}

fn center() -> Holder {
    "center:C01".parse().unwrap()
}

fn q3() -> Quarter {
    "2026Q3".parse().unwrap()
}

#[test]
fn two_technicians_issue_the_same_part_offline_and_both_movements_are_kept() {
    let hq = TestHq::start().unwrap();
    hq.user("zhao", Role::Technician, Some("C01")).unwrap();
    hq.user("qian", Role::Technician, Some("C01")).unwrap();
    hq.user("sun", Role::Technician, Some("C02")).unwrap();
    let mut zhao = Device::enrolled(&hq, "zhao").unwrap();
    let mut qian = Device::enrolled(&hq, "qian").unwrap();
    let mut sun = Device::enrolled(&hq, "sun").unwrap();

    // One bearing counted into stock, known to both tablets.
    zhao.store
        .record_stock(
            &center(),
            &StockCommand::Adjust {
                part_number: "B-6205".into(),
                delta: 1,
                reason: "opening count".into(),
                at: at("2026-07-01T08:00:00+08:00"),
            },
        )
        .unwrap();
    zhao.sync().unwrap();
    qian.sync().unwrap();
    assert_eq!(qian.store.stock_balance(&center()).unwrap()[0].quantity, 1);

    // Both fit that bearing offline, on different cases.
    let first = zhao
        .store
        .record_stock(&center(), &issue(1, "2026-07-02T09:00:00+08:00"))
        .unwrap();
    let second = qian
        .store
        .record_stock(&center(), &issue(1, "2026-07-02T10:00:00+08:00"))
        .unwrap();
    assert_eq!(
        first.ledger_id, second.ledger_id,
        "one ledger per holder and quarter"
    );
    assert_eq!(first.quarter, q3());
    zhao.sync().unwrap();
    qian.sync().unwrap();
    zhao.sync().unwrap();
    for device in [&zhao, &qian] {
        let balance = device.store.stock_balance(&center()).unwrap();
        assert_eq!(balance.len(), 1);
        assert_eq!(balance[0].quantity, -1, "both issues counted");
        assert!(balance[0].negative());
        assert_eq!(
            balance[0].went_negative,
            std::slice::from_ref(&second.entry_id)
        );
        let ledger = device.store.stock_ledger(&center(), q3()).unwrap().unwrap();
        assert_eq!(ledger.movements.len(), 3);
        assert_eq!(
            device.store.case_sync_state(first.ledger_id).unwrap(),
            CaseSyncState::Synced
        );
    }
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM ledger_movements WHERE holder = 'center:C01'")
            .unwrap(),
        3
    );
    assert_eq!(
        hq.count("SELECT SUM(delta) FROM ledger_movements WHERE holder = 'center:C01'")
            .unwrap(),
        -1
    );

    // Another center's technician neither receives the ledger nor may write it.
    sun.sync().unwrap();
    assert!(sun.store.stock_ledgers().unwrap().is_empty());
    sun.store
        .record_stock(&center(), &issue(1, "2026-07-03T10:00:00+08:00"))
        .unwrap();
    let report = sun.sync().unwrap();
    assert_eq!(report.refused, 1, "HQ refuses a ledger of another holder");
    assert_eq!(
        hq.count("SELECT COUNT(*) FROM ledger_movements").unwrap(),
        3,
        "nothing of it stored"
    );
}

#[test]
fn a_closed_quarter_sends_later_movements_to_the_next_as_corrections() {
    let hq = TestHq::start().unwrap();
    hq.user("zhao", Role::Technician, Some("C01")).unwrap();
    let cs = hq.user("wu", Role::CsManager, None).unwrap();
    let mut online = Device::enrolled(&hq, "zhao").unwrap();
    let mut offline = Device::enrolled(&hq, "zhao").unwrap();
    let kept = online
        .store
        .record_stock(&center(), &issue(2, "2026-09-10T09:00:00+08:00"))
        .unwrap();
    online.sync().unwrap();
    offline.sync().unwrap();

    // HQ writes the quarter off: the closing lists the movement it covered.
    let closing = Closing {
        quarter: q3(),
        movements: vec![kept.entry_id.clone()],
        at: at("2026-10-08T10:00:00+08:00").unwrap(),
        by: "wu".into(),
    };
    hq.block_on(|storage| async move {
        let now = at("2026-10-08T10:00:00+08:00").unwrap();
        let actor = automerge::ActorId::random();
        storage
            .transaction(move |tx| {
                Box::pin(async move {
                    let author = HqAuthor {
                        actor: &actor,
                        user: &cs,
                        now,
                    };
                    write_hq_entries(
                        tx,
                        &author,
                        &center(),
                        q3(),
                        vec![HqLedgerEntry::new("closing", "writeoff", &closing)?],
                        &fieldcore::PartsPolicy::default(),
                    )
                    .await
                })
            })
            .await
    })
    .unwrap();
    online.sync().unwrap();

    // A tablet that knows the quarter is closed books a late September issue into Q4.
    let late = online
        .store
        .record_stock(&center(), &issue(1, "2026-09-28T09:00:00+08:00"))
        .unwrap();
    assert_eq!(late.quarter, q3().next().unwrap());
    assert_eq!(late.correction_of, Some(q3()));
    // One that does not know writes it into the closed ledger; HQ books it into Q4 too.
    let unaware = offline
        .store
        .record_stock(&center(), &issue(1, "2026-09-29T09:00:00+08:00"))
        .unwrap();
    assert_eq!(unaware.quarter, q3());
    online.sync().unwrap();
    offline.sync().unwrap();
    online.sync().unwrap();

    let closed = online.store.stock_ledger(&center(), q3()).unwrap().unwrap();
    assert!(closed.is_closed());
    let flagged: Vec<&str> = closed
        .movements
        .iter()
        .filter(|m| m.late)
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(flagged, [unaware.entry_id.as_str()]);
    let booked = |id: &str| {
        hq.count(&format!(
            "SELECT COUNT(*) FROM ledger_movements WHERE movement_id = '{id}' \
             AND booked_quarter = '2026Q4' AND correction_of = '2026Q3'"
        ))
        .unwrap()
    };
    assert_eq!(booked(&late.entry_id), 1);
    assert_eq!(booked(&unaware.entry_id), 1);
    assert_eq!(
        hq.count(&format!(
            "SELECT COUNT(*) FROM ledger_movements WHERE movement_id = '{}' \
             AND booked_quarter = '2026Q3' AND correction_of IS NULL",
            kept.entry_id
        ))
        .unwrap(),
        1
    );
    assert_eq!(
        ledger_id(&center(), q3().next().unwrap()),
        late.ledger_id,
        "the correction lives in the next quarter's ledger"
    );
}

/// Runs field work on a case of the tablet.
fn work(device: &mut Device, case: Uuid, cmds: &[fieldcore::testing::Cmd]) {
    for cmd in cmds {
        let view = device.store.case(case).unwrap();
        let command = fieldcore::testing::to_command(cmd, &view);
        device.store.execute(case, &command).unwrap();
    }
}

#[test]
fn the_write_off_finds_each_discrepancy_and_closes_the_quarter() {
    use fieldcore::testing::Cmd;
    use fieldcore::{Cause, Command, DiscrepancyKind};
    let hq = TestHq::start().unwrap();
    hq.user("zhao", Role::Technician, Some("C01")).unwrap();
    let cs = hq.user("wu", Role::CsManager, None).unwrap();
    let mut tablet = Device::enrolled(&hq, "zhao").unwrap();
    // A covered case with two parts: the old bearing kept under a tag, the seal's unrecorded.
    let covered = tablet.register("M-COVERED").unwrap();
    work(
        &mut tablet,
        covered,
        &[
            Cmd::Ack,
            Cmd::Confirm(Cause::DesignManufacturing),
            Cmd::Decide(None),
            Cmd::Part(2),
            Cmd::Part(4),
        ],
    );
    let lines = tablet.store.case(covered).unwrap().parts;
    tablet
        .store
        .execute(
            covered,
            &Command::KeepOldPart {
                line_id: lines[0].id.clone(),
                tag: "T-1".into(),
            },
        )
        .unwrap();
    // A case the customer caused: not covered, charged.
    let charged = tablet.register("M-CHARGED").unwrap();
    work(
        &mut tablet,
        charged,
        &[
            Cmd::Ack,
            Cmd::Confirm(Cause::CustomerMisuse),
            Cmd::Decide(Some(5_000)),
        ],
    );
    let issue_to = |case: Uuid, part: &str, quantity: i64| StockCommand::Issue {
        part_number: part.into(),
        quantity,
        case_id: case,
        line: None,
        at: at("2026-11-20T10:00:00+08:00"),
    };
    for command in [
        issue_to(covered, "P-2", 3),
        issue_to(covered, "P-4", 1),
        issue_to(charged, "P-9", 1),
    ] {
        tablet.store.record_stock(&center(), &command).unwrap();
    }
    tablet.sync().unwrap();
    assert!(tablet.store.rejected_cases().unwrap().is_empty());

    let q4: Quarter = "2026Q4".parse().unwrap();
    let tz = fieldhq::state::DEFAULT_TIME_ZONE;
    let reconciliation = hq
        .block_on(|storage| async move {
            storage
                .transaction(move |tx| {
                    Box::pin(async move {
                        let input =
                            fieldhq::writeoff_input::input(tx, "center:C01", q4, tz).await?;
                        fieldhq::writeoff::run_recorded(
                            tx,
                            &input,
                            Some("wu"),
                            at("2026-12-01T09:00:00+08:00").unwrap(),
                        )
                        .await
                    })
                })
                .await
        })
        .unwrap();
    let mut found: Vec<(DiscrepancyKind, String, String)> = reconciliation
        .discrepancies
        .iter()
        .map(|d| (d.kind(), d.case_id().to_owned(), d.part_number().to_owned()))
        .collect();
    found.sort();
    found.dedup();
    let mut expected = vec![
        (
            DiscrepancyKind::MissingOldPart,
            covered.to_string(),
            "P-4".to_owned(),
        ),
        (
            DiscrepancyKind::IssuedToNonCoveredCase,
            charged.to_string(),
            "P-9".to_owned(),
        ),
        (
            DiscrepancyKind::CountMismatch,
            covered.to_string(),
            "P-4".to_owned(),
        ),
        (
            DiscrepancyKind::CountMismatch,
            charged.to_string(),
            "P-9".to_owned(),
        ),
    ];
    expected.sort();
    assert_eq!(found, expected, "{:#?}", reconciliation.discrepancies);

    // Approval closes the quarter's ledger; the tablet learns it at its next sync.
    let approval = fieldhq::writeoff::Approval {
        by: cs,
        at: at("2026-12-02T09:00:00+08:00").unwrap(),
        hq_name: "总部客户服务部".into(),
        time_zone: tz,
        font: fieldhq::forms::load_font(None).unwrap(),
    };
    let data = hq.data_dir().to_owned();
    hq.block_on(|storage| async move {
        let blobs = fieldhq::blobs::BlobStore::open(&data)?;
        fieldhq::writeoff_input::approve_and_close(&storage, blobs, center(), q4, approval).await
    })
    .unwrap();
    tablet.sync().unwrap();
    let ledger = tablet.store.stock_ledger(&center(), q4).unwrap().unwrap();
    let closing = ledger.closing.expect("the quarter is closed");
    assert_eq!(closing.movements.len(), 3);
    let late = tablet
        .store
        .record_stock(&center(), &issue_to(covered, "P-4", 1))
        .unwrap();
    assert_eq!(late.correction_of, Some(q4));
}
