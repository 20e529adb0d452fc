//! Stock ledgers on the device: the balance the store sums in SQL is the rule's
//! (`fieldcore::balances`) for any movements in any order; refused commands write nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration};
use fieldcore::{BalanceInput, Error, Holder, Invalid, StockCommand, Store, balances};
use proptest::prelude::*;

fn holder() -> Holder {
    "center:C01".parse().unwrap()
}

fn start() -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339("2026-10-01T09:00:00+08:00").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the movements and the order they are recorded in, the store's balance (sums
    /// and the movements after which a part stood below zero) is the pure rule's.
    #[test]
    fn the_stores_balance_is_the_rules(
        movements in prop::collection::vec((0usize..3, -3i64..4, 0i64..500), 1..40),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("t.db"), "zhao").unwrap();
        for (part, delta, minutes) in &movements {
            let part_number = format!("P-{part}");
            let at = Some(start() + Duration::minutes(*minutes));
            let command = match *delta {
                0 => continue,
                d if d < 0 => StockCommand::Issue {
                    part_number,
                    quantity: -d,
                    case_id: uuid::Uuid::now_v7(),
                    line: None,
                    at,
                },
                d => StockCommand::Adjust { part_number, delta: d, reason: "count".into(), at },
            };
            store.record_stock(&holder(), &command).unwrap();
        }
        // Movements of zero are skipped: when every one was, the quarter has no ledger and
        // the balance must be the rule's for no movements at all.
        let ledger = store.stock_ledger(&holder(), "2026Q4".parse().unwrap()).unwrap();
        let movements = ledger.map(|l| l.movements).unwrap_or_default();
        let expected = balances(movements.iter().map(|m| BalanceInput {
            id: &m.id,
            part_number: &m.movement.part_number,
            delta: m.movement.delta(),
            at_ms: m.movement.at.timestamp_millis(),
        }));
        prop_assert_eq!(store.stock_balance(&holder()).unwrap(), expected);
    }
}

#[test]
fn a_refused_stock_command_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("t.db"), "zhao").unwrap();
    let cases = [
        (
            StockCommand::Issue {
                part_number: "B-6205".into(),
                quantity: 0,
                case_id: uuid::Uuid::now_v7(),
                line: None,
                at: None,
            },
            "quantity",
            Invalid::AtLeastOne,
        ),
        (
            StockCommand::Adjust {
                part_number: "B-6205".into(),
                delta: 0,
                reason: "count".into(),
                at: None,
            },
            "quantity",
            Invalid::NotZero,
        ),
        (
            StockCommand::TransferOut {
                part_number: "B-6205".into(),
                quantity: 1,
                to: holder(),
                at: None,
            },
            "to",
            Invalid::TransferToSelf,
        ),
        (
            StockCommand::Purchase {
                part_number: "B-6205".into(),
                quantity: 1,
                supplier: "local shop".into(),
                unit_cost: Some("35.5.0".into()),
                reason: "pump down".into(),
                at: None,
            },
            "unit_cost",
            Invalid::NotAmount,
        ),
        (
            StockCommand::ShipOldParts {
                parts: vec![
                    fieldcore::ShippedPart {
                        tag: "T-1".into(),
                        part_number: "B-6205".into(),
                        case_id: None,
                        line: None,
                    };
                    2
                ],
                waybill: None,
            },
            "tag",
            Invalid::DuplicateTag,
        ),
        (
            StockCommand::Requisition {
                part_number: " ".into(),
                specification: "6205".into(),
                quantity: 1,
                reason: None,
                case_id: None,
            },
            "part_number",
            Invalid::Required,
        ),
    ];
    for (command, field, reason) in cases {
        match store.record_stock(&holder(), &command) {
            Err(Error::Validation {
                field: f,
                reason: r,
            }) => {
                assert_eq!((f, &r), (field, &reason), "{command:?}");
            }
            other => panic!("{command:?}: {other:?}"),
        }
    }
    assert_eq!(store.outbox_len().unwrap(), 0);
    assert!(store.stock_ledgers().unwrap().is_empty());
    assert!(store.stock_balance(&holder()).unwrap().is_empty());
}
