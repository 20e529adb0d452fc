#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `stock` commands through the real fieldctl binary on temporary databases, offline:
//! issues to a case recorded without stock on hand and the balance flagged below zero (never
//! refused), the ledger with a purchase's and a requisition's approval and a shipment, the
//! quarter a dated movement is booked in, and refusals with their typed reasons that write
//! nothing.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

const DB: &str = "stock.db";
const HOLDER: &str = "center:C01";

fn fieldctl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldctl"))
        .current_dir(dir)
        .env_remove("FIELDCTL_USER")
        .env_remove("FIELDCTL_ROLE")
        .env_remove("LANG")
        .args(["--db", DB, "--user", "Li Wei"])
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = fieldctl(dir, args);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        o.status.success(),
        "{args:?} failed: {text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    text
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&ok(dir, &all)).unwrap()
}

/// A command that must fail with exit code 2: its JSON error (kind, field, message).
fn refused(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let o = fieldctl(dir, &all);
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
    let json: Value = serde_json::from_slice(&o.stdout).unwrap();
    json["error"].clone()
}

/// A covered motor case on this device (offline: no official number yet); gives its id.
fn register_motor(dir: &Path) -> String {
    let purchased = (chrono::Local::now().date_naive() - chrono::Duration::days(90)).to_string();
    let out = ok_json(
        dir,
        &[
            "case",
            "register",
            "--customer-name",
            "Baoding Motor Works",
            "--phone",
            "+86 312 555 0100",
            "--address",
            "8 Industrial Road, Baoding",
            "--region",
            "Hebei",
            "--home-region",
            "--market",
            "domestic",
            "--model",
            "Y2-160M",
            "--category",
            "motor",
            "--serial",
            "Y2160-2608-0117",
            "--purchase-date",
            &purchased,
            "--invoice",
            "INV-5520",
            "--fault",
            "Bearing noise at full load",
            "--request",
            "repair",
            "--channel",
            "phone",
        ],
    );
    out["case"]["id"].as_str().unwrap().to_owned()
}

fn balance_of(dir: &Path, part: &str) -> Value {
    let b = ok_json(dir, &["stock", "balance", "--holder", HOLDER]);
    b["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["part_number"] == part)
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn issues_offline_drive_the_balance_below_zero_flagged_not_refused() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let case = register_motor(dir);
    // The case as people type it: an id prefix.
    let prefix = &case[..13];

    let bought = ok_json(
        dir,
        &[
            "stock",
            "purchase",
            "--holder",
            HOLDER,
            "--part",
            "B-6205",
            "--qty",
            "1",
            "--supplier",
            "Baoding Bearing Shop",
            "--unit-cost",
            "35.50",
            "--reason",
            "no stock and the line is down",
        ],
    );
    assert_eq!(bought["balance"]["quantity"], 1);
    assert_eq!(bought["approval"]["state"], "waiting");
    assert_eq!(bought["approval"]["role"], "cs_manager");

    let first = ok_json(
        dir,
        &[
            "stock", "issue", "--holder", HOLDER, "--part", "B-6205", "--qty", "1", "--case",
            prefix,
        ],
    );
    assert_eq!(first["balance"]["quantity"], 0);
    assert_eq!(first["balance"]["negative"], false);

    // The second bearing was fitted without stock on hand: recorded, flagged.
    let second = ok(
        dir,
        &[
            "stock", "issue", "--holder", HOLDER, "--part", "B-6205", "--qty", "1", "--case",
            &case, "--line", "L-2",
        ],
    );
    assert!(second.contains("issued 1 × B-6205 to case"), "{second}");
    assert!(
        second.contains("balance of B-6205: -1 (BELOW ZERO"),
        "{second}"
    );

    let b = balance_of(dir, "B-6205");
    assert_eq!(b["quantity"], -1);
    assert_eq!(b["negative"], true);
    assert_eq!(b["movements"], 3);
    let drove = b["below_zero_after"].as_array().unwrap();
    assert_eq!(drove.len(), 1);
    assert_eq!(drove[0]["case_id"], case.as_str());
    assert_eq!(drove[0]["line"], "L-2");
    assert_eq!(b["went_negative"][0], drove[0]["id"]);

    let text = ok(dir, &["stock", "balance", "--holder", HOLDER]);
    assert!(text.contains("BELOW ZERO"), "{text}");
    assert!(text.contains("B-6205 stood below zero after:"), "{text}");
    let zh = ok(
        dir,
        &["--lang", "zh-CN", "stock", "balance", "--holder", HOLDER],
    );
    assert!(zh.contains("低于零"), "{zh}");
    assert!(zh.contains("领用出库"), "{zh}");
    // A transfer in puts it right.
    ok(
        dir,
        &[
            "stock",
            "transfer-in",
            "--holder",
            HOLDER,
            "--part",
            "B-6205",
            "--qty",
            "2",
            "--from",
            "van:wang",
        ],
    );
    assert_eq!(balance_of(dir, "B-6205")["quantity"], 1);
    assert_eq!(balance_of(dir, "B-6205")["negative"], false);
}

#[test]
fn the_ledger_shows_movements_requisitions_with_approval_and_shipments() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let case = register_motor(dir);
    let req = ok_json(
        dir,
        &[
            "stock",
            "requisition",
            "--holder",
            HOLDER,
            "--part",
            "B-6205",
            "--spec",
            "6205-2RS deep groove",
            "--qty",
            "10",
            "--reason",
            "quarter's wear parts",
            "--case",
            &case,
        ],
    );
    let quarter = req["recorded"]["quarter"].as_str().unwrap().to_owned();
    assert_eq!(req["approval"]["state"], "waiting");
    ok(
        dir,
        &[
            "stock",
            "ship",
            "--holder",
            HOLDER,
            "--tag",
            &format!("T-0007:B-6205:{case}"),
            "--tag",
            "T-0008:S-40",
            "--waybill",
            "SF1234567",
        ],
    );
    ok(
        dir,
        &[
            "stock",
            "adjust",
            "--holder",
            HOLDER,
            "--part",
            "S-40",
            "--delta",
            "-2",
            "--reason",
            "count at month end",
        ],
    );
    // Dated in an earlier quarter: booked in that quarter's ledger.
    let dated = ok_json(
        dir,
        &[
            "stock",
            "transfer-out",
            "--holder",
            HOLDER,
            "--part",
            "S-40",
            "--qty",
            "1",
            "--to",
            "van:wang",
            "--at",
            "2026-07-15T10:00:00+08:00",
        ],
    );
    assert_eq!(dated["recorded"]["quarter"], "2026Q3");
    assert_eq!(dated["recorded"]["correction_of"], Value::Null);

    let ledger = ok_json(
        dir,
        &["stock", "ledger", "--holder", HOLDER, "--quarter", &quarter],
    );
    let l = &ledger["ledger"];
    assert_eq!(l["closed"], false);
    assert_eq!(l["movements"].as_array().unwrap().len(), 1);
    assert_eq!(l["movements"][0]["kind"], "adjustment");
    assert_eq!(l["movements"][0]["quantity"], -2);
    assert_eq!(l["movements"][0]["late"], false);
    assert_eq!(
        l["requisitions"][0]["specification"],
        "6205-2RS deep groove"
    );
    assert_eq!(l["requisitions"][0]["case_id"], case.as_str());
    assert_eq!(l["requisitions"][0]["approval"]["state"], "waiting");
    assert_eq!(l["shipments"][0]["parts"][0]["case_id"], case.as_str());
    assert_eq!(l["shipments"][0]["parts"][1]["tag"], "T-0008");
    assert_eq!(l["shipments"][0]["check"], Value::Null);

    let text = ok(
        dir,
        &["stock", "ledger", "--holder", HOLDER, "--quarter", &quarter],
    );
    assert!(
        text.contains(&format!("{HOLDER} · {quarter} · open")),
        "{text}"
    );
    assert!(text.contains("count adjustment"), "{text}");
    assert!(
        text.contains("waits for the approve by cs_manager"),
        "{text}"
    );
    assert!(text.contains("not yet checked at HQ"), "{text}");
    let zh = ok(
        dir,
        &[
            "--lang",
            "zh-CN",
            "stock",
            "ledger",
            "--holder",
            HOLDER,
            "--quarter",
            &quarter,
        ],
    );
    assert!(zh.contains("未核销"), "{zh}");
    assert!(zh.contains("三包配件领用单（1）"), "{zh}");
    assert!(zh.contains("总部尚未验收"), "{zh}");

    let ledgers = ok_json(dir, &["stock", "ledgers"]);
    let quarters: Vec<&str> = ledgers
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["quarter"].as_str().unwrap())
        .collect();
    assert!(quarters.contains(&"2026Q3") && quarters.contains(&quarter.as_str()));
    let none = ok_json(
        dir,
        &[
            "stock",
            "ledger",
            "--holder",
            "van:wang",
            "--quarter",
            "2020Q1",
        ],
    );
    assert_eq!(none["ledger"], Value::Null);
}

#[test]
fn bad_stock_input_is_refused_with_its_reason_and_writes_nothing() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let case = register_motor(dir);
    let issue = |qty: &str| {
        vec![
            "stock".to_owned(),
            "issue".into(),
            "--holder".into(),
            HOLDER.into(),
            "--part".into(),
            "B-6205".into(),
            "--qty".into(),
            qty.into(),
            "--case".into(),
            case.clone(),
        ]
    };

    for qty in ["0", "-3"] {
        let owned = issue(qty);
        let args: Vec<&str> = owned.iter().map(String::as_str).collect();
        let e = refused(dir, &args);
        assert_eq!(
            (e["kind"].as_str(), e["field"].as_str()),
            (Some("validation"), Some("quantity"))
        );
    }
    let e = refused(
        dir,
        &[
            "stock",
            "transfer-out",
            "--holder",
            HOLDER,
            "--part",
            "B-6205",
            "--qty",
            "1",
            "--to",
            HOLDER,
        ],
    );
    assert_eq!(e["field"], "to");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("another stock holder"),
        "{e}"
    );
    let e = refused(
        dir,
        &[
            "stock", "adjust", "--holder", HOLDER, "--part", "B-6205", "--delta", "0", "--reason",
            "x",
        ],
    );
    assert_eq!(e["field"], "quantity");
    let e = refused(
        dir,
        &[
            "stock", "issue", "--holder", "C01", "--part", "B-6205", "--qty", "1", "--case", &case,
        ],
    );
    assert_eq!(e["field"], "holder");
    assert!(e["message"].as_str().unwrap().contains("center:C01"), "{e}");
    let o = fieldctl(
        dir,
        &[
            "--lang", "zh-CN", "stock", "balance", "--holder", "shop:C01",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8(o.stderr).unwrap().contains("库存持有方"));
    let e = refused(
        dir,
        &["stock", "ledger", "--holder", HOLDER, "--quarter", "2026Q5"],
    );
    assert_eq!(e["field"], "quarter");
    let e = refused(
        dir,
        &[
            "stock",
            "issue",
            "--holder",
            HOLDER,
            "--part",
            "B-6205",
            "--qty",
            "1",
            "--case",
            "no-such-case",
        ],
    );
    assert_eq!(e["field"], "case");
    let e = refused(
        dir,
        &["stock", "ship", "--holder", HOLDER, "--tag", "T-0007"],
    );
    assert_eq!(e["field"], "tag");
    let e = refused(
        dir,
        &[
            "stock",
            "ship",
            "--holder",
            HOLDER,
            "--tag",
            "T-1:B-6205",
            "--tag",
            "T-1:S-40",
        ],
    );
    assert_eq!(e["field"], "tag");
    let e = refused(
        dir,
        &[
            "stock",
            "purchase",
            "--holder",
            HOLDER,
            "--part",
            "B-6205",
            "--qty",
            "1",
            "--supplier",
            "shop",
            "--unit-cost",
            "35.555",
            "--reason",
            "urgent",
        ],
    );
    assert_eq!(e["field"], "unit_cost");
    let e = refused(
        dir,
        &[
            "stock",
            "issue",
            "--holder",
            HOLDER,
            "--part",
            "B-6205",
            "--qty",
            "1",
            "--case",
            &case,
            "--at",
            "yesterday",
        ],
    );
    assert_eq!(e["field"], "at");

    // Nothing of it was written.
    assert_eq!(ok_json(dir, &["stock", "ledgers"]), Value::Array(vec![]));
    let b = ok_json(dir, &["stock", "balance", "--holder", HOLDER]);
    assert_eq!(b["parts"], Value::Array(vec![]));
}
