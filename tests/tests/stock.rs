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
