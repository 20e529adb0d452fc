//! docs/stock-ledger.md checked against the code: the ledger id of a holder and quarter, the
//! bytes and hash of a ledger's first change (which every replica, a client of its own
//! included, must make byte for byte), and every field of the entries. A change to the code
//! that the doc does not follow fails here; `FIELDCORE_PRINT_DOC_EXAMPLES=1` prints the blocks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use fieldcore::{Holder, Quarter, ledger_genesis, ledger_id};

fn doc() -> String {
    let path = format!("{}/../docs/stock-ledger.md", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The lines of the fenced block after `<!-- {marker} -->`.
fn block(text: &str, marker: &str) -> Vec<String> {
    let tag = format!("<!-- {marker} -->");
    let at = text.find(&tag).unwrap_or_else(|| panic!("no {tag}"));
    let mut lines = text[at + tag.len()..].lines();
    lines.by_ref().find(|l| l.starts_with("```")).unwrap();
    lines
        .take_while(|l| !l.starts_with("```"))
        .map(str::to_owned)
        .collect()
}

fn example() -> (Holder, Quarter) {
    ("center:C01".parse().unwrap(), "2026Q4".parse().unwrap())
}

#[test]
fn the_documented_first_change_is_the_codes() {
    let (holder, quarter) = example();
    let genesis = ledger_genesis(&holder, quarter);
    let changes = genesis.get_changes(&[]);
    assert_eq!(changes.len(), 1);
    let change = &changes[0];
    let hex: String = change
        .raw_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let lines: Vec<String> = hex
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let generated = format!(
        "id {}\nhash {}\n{}",
        ledger_id(&holder, quarter),
        change.hash(),
        lines.join("\n")
    );
    if std::env::var_os("FIELDCORE_PRINT_DOC_EXAMPLES").is_some() {
        println!("<!-- hex: genesis -->\n```\n{generated}\n```");
    }
    assert_eq!(block(&doc(), "hex: genesis").join("\n"), generated);
}

#[test]
fn every_entry_field_is_documented() {
    let text = doc();
    let documented = |marker: &str| -> BTreeSet<String> {
        let at = text.find(&format!("<!-- fields: {marker} -->")).unwrap();
        text[at..]
            .lines()
            .skip(3)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                l.split('|')
                    .nth(1)
                    .unwrap()
                    .trim()
                    .trim_matches('`')
                    .to_owned()
            })
            .collect()
    };
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-30T10:00:00+08:00").unwrap();
    let movement = fieldcore::Movement {
        kind: fieldcore::MovementKind::Issue,
        part_number: "B-6205".into(),
        quantity: 1,
        at: now,
        by: "zhao".into(),
        device: "d".into(),
        case_id: Some("c".into()),
        line: Some("l".into()),
        counterparty: Some("x".into()),
        reference: Some("r".into()),
        reason: Some("why".into()),
        unit_cost: Some("1.00".into()),
        correction_of: Some("2026Q3".parse().unwrap()),
    };
    let requisition = fieldcore::Requisition {
        part_number: "B".into(),
        specification: "S".into(),
        quantity: 1,
        reason: Some("r".into()),
        case_id: Some("c".into()),
        at: now,
        by: "b".into(),
        device: "d".into(),
    };
    let shipment = fieldcore::Shipment {
        parts: vec![fieldcore::ShippedPart {
            tag: "T".into(),
            part_number: "B".into(),
            case_id: Some("c".into()),
            line: Some("l".into()),
        }],
        waybill: Some("w".into()),
        at: now,
        by: "b".into(),
        device: "d".into(),
    };
    let check = fieldcore::ShipmentCheck {
        shipment: "s".into(),
        received: vec![],
        missing: vec![],
        note: Some("n".into()),
        at: now,
        by: "b".into(),
    };
    let closing = fieldcore::Closing {
        quarter: "2026Q3".parse().unwrap(),
        movements: vec![],
        at: now,
        by: "b".into(),
    };
    let keys = |v: serde_json::Value| -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    };
    for (marker, value) in [
        ("movement", serde_json::to_value(&movement).unwrap()),
        ("requisition", serde_json::to_value(&requisition).unwrap()),
        ("shipment", serde_json::to_value(&shipment).unwrap()),
        (
            "shipped part",
            serde_json::to_value(&shipment.parts[0]).unwrap(),
        ),
        ("check", serde_json::to_value(&check).unwrap()),
        ("closing", serde_json::to_value(&closing).unwrap()),
    ] {
        assert_eq!(documented(marker), keys(value), "{marker}");
    }
    let kinds = documented("movement kinds");
    let code: BTreeSet<String> = fieldcore::MovementKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    assert_eq!(kinds, code);
}
