#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `rma` commands through the real fieldctl binary on temporary databases: refusals with
//! their typed reasons that write nothing, a receipt's checks A–G with what raised them and
//! the receiver's notes, re-inspection, and the JSON of `rma show` and `case show`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

const DB: &str = "rma.db";

fn fieldctl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldctl"))
        .current_dir(dir)
        .env_remove("FIELDCTL_USER")
        .env_remove("FIELDCTL_ROLE")
        .env_remove("LANG")
        .args(["--db", DB])
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

/// A command that must fail with `code`: its JSON error (kind, field, message) and stderr.
fn fails(dir: &Path, code: i32, args: &[&str]) -> (Value, String) {
    let mut all = args.to_vec();
    all.push("--json");
    let o = fieldctl(dir, &all);
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(code), "{args:?}: {stderr}");
    let json: Value = serde_json::from_slice(&o.stdout).unwrap();
    (json["error"].clone(), stderr)
}

/// A pump bought `days_ago` days ago by a customer in the home region; gives the case id.
fn register_pump(dir: &Path, days_ago: i64) -> String {
    let purchased =
        (chrono::Local::now().date_naive() - chrono::Duration::days(days_ago)).to_string();
    let out = ok_json(
        dir,
        &[
            "case",
            "register",
            "--customer-name",
            "Wuxi Xishan Water Works",
            "--phone",
            "+86 510 8820 1100",
            "--address",
            "3 Lakeside Road, Xishan District, Wuxi",
            "--region",
            "Jiangsu",
            "--home-region",
            "--market",
            "domestic",
            "--model",
            "QJ-200",
            "--category",
            "pump",
            "--serial",
            "QJ200-2609-0042",
            "--purchase-date",
            &purchased,
            "--invoice",
            "INV-7731",
            "--fault",
            "Impeller rubs; the casing is cracked at the volute",
            "--request",
            "exchange",
            "--channel",
            "phone",
        ],
    );
    out["case"]["id"].as_str().unwrap().to_owned()
}

fn request_exchange(dir: &Path, case: &str) -> Value {
    ok_json(
        dir,
        &[
            "rma",
            "request",
            case,
            "--kind",
            "exchange",
            "--reason",
            "cracked casing",
            "--why-not-on-site",
            "the casing cannot be replaced on site",
        ],
    )
}

fn receipts(dir: &Path, case: &str) -> usize {
    let shown = ok_json(dir, &["rma", "show", case]);
    let mut n = shown["unmatched_receipts"].as_array().unwrap().len();
    for r in shown["returns"].as_array().unwrap() {
        n += r["receipts"].as_array().unwrap().len();
    }
    n
}

#[test]
fn rma_refusals_name_their_field_and_reason_and_write_nothing() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let case = register_pump(dir, 60);

    // Nothing requested yet: the steps on a return say so.
    let (e, _) = fails(dir, 2, &["rma", "replenish", &case, "--note", "ship one"]);
    assert_eq!(
        (e["kind"].as_str(), e["field"].as_str()),
        (Some("validation"), Some("request"))
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("no return or exchange yet"),
        "{e}"
    );
    let (e, _) = fails(
        dir,
        2,
        &[
            "--role",
            "warehouse",
            "rma",
            "inspect",
            &case,
            "--unit",
            "1",
            "--restock",
            "A-01",
        ],
    );
    assert_eq!(e["field"], "receipt");
    assert!(e["message"].as_str().unwrap().contains("no receipt"), "{e}");

    // Bought 60 days ago in the home region: outside the one-month window, so the request
    // needs a reason, and says which window it missed.
    let (e, _) = fails(
        dir,
        2,
        &[
            "rma",
            "request",
            &case,
            "--kind",
            "exchange",
            "--reason",
            "cracked casing",
            "--why-not-on-site",
            "casing",
        ],
    );
    assert_eq!(e["field"], "window_override");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("outside the return window"),
        "{e}"
    );
    assert!(
        ok_json(dir, &["rma", "show", &case])["returns"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Goods typed wrongly at the door: each refusal names its field, exits 2, writes nothing.
    let receive = |extra: &[&str]| {
        let mut args = vec!["--role", "warehouse", "rma", "receive", case.as_str()];
        args.extend_from_slice(extra);
        fails(dir, 2, &args)
    };
    let (e, _) = receive(&["--counted", "model=QJ-200,qty=two"]);
    assert_eq!(e["field"], "counted");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("model=M[,serial=S][,qty=N]"),
        "{e}"
    );
    let (e, _) = receive(&["--counted", "QJ-200", "--note", "H=odd smell"]);
    assert_eq!(e["field"], "notes");
    assert!(e["message"].as_str().unwrap().contains("A to G"), "{e}");
    let (e, _) = receive(&["--counted", "QJ-200", "--note-photo", "G=abcdef"]);
    assert_eq!(e["field"], "notes");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("check G has a photo but no note"),
        "{e}"
    );
    let (e, _) = receive(&["--counted", "QJ-200", "--refuse", " "]);
    assert_eq!(e["field"], "refusal_reason");
    // Only the warehouse or a repair-center technician receives goods: refused on the device.
    let (e, stderr) = fails(
        dir,
        1,
        &[
            "--role",
            "engineer",
            "rma",
            "receive",
            &case,
            "--counted",
            "QJ-200",
        ],
    );
    assert_eq!(e["kind"], "not_permitted", "{stderr}");
    assert_eq!(receipts(dir, &case), 0);

    // Roles: the new HQ roles parse with `-` as with `_`; an unknown one lists them all.
    for role in ["cs-manager", "cs_manager", "vp", "quality", "warehouse"] {
        ok(dir, &["--role", role, "rma", "show", &case]);
    }
    let (e, _) = fails(dir, 2, &["--role", "boss", "rma", "show", &case]);
    assert_eq!(e["field"], "role");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("cs-manager, vp, quality or warehouse")
    );
}

#[test]
fn a_receipt_shows_its_checks_with_what_raised_them_and_the_notes() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let case = register_pump(dir, 10);
    let requested = request_exchange(dir, &case);
    let ret = &requested["return"];
    assert_eq!(ret["kind"], "exchange");
    assert_eq!(ret["state"], "awaiting_approval");
    assert_eq!(ret["waiting_for"]["step"], "review");
    assert_eq!(ret["waiting_for"]["role"], "cs_manager");
    assert_eq!(ret["window"]["within"], true);
    // The registered unit is the one that goes back.
    assert_eq!(ret["items"][0]["serial"], "QJ200-2609-0042");
    assert_eq!(ret["items"][0]["quantity"], 1);
    assert_eq!(requested["entry_id"], ret["id"]);

    // The tablet has no record of the number yet: A until HQ's record arrives; G noted by hand.
    let received = ok_json(
        dir,
        &[
            "--role",
            "warehouse",
            "--user",
            "zhou.qing",
            "rma",
            "receive",
            &case,
            "--rma",
            "R2612-0007",
            "--counted",
            "model=QJ-200,serial=QJ200-2609-0042",
            "--no-defect-marking",
            "--note",
            "G=no defect tag on the pump",
        ],
    );
    let receipt = &received["receipt"];
    assert_eq!(received["return"], Value::Null, "belongs to no return yet");
    let letters: Vec<&str> = receipt["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(letters, ["A", "G"]);
    assert_eq!(
        receipt["checks"][0]["reasons"][0],
        "no record of RMA number R2612-0007 here (HQ confirms it at sync)"
    );
    assert_eq!(receipt["checks"][1]["reasons"][0], "no defect marking");
    assert_eq!(
        receipt["checks"][1]["notes"][0]["note"],
        "no defect tag on the pump"
    );
    assert_eq!(receipt["outcome"], "accepted");
    assert_eq!(receipt["stamp"]["by"], "zhou.qing");
    let receipt_id = receipt["id"].as_str().unwrap().to_owned();

    // The text says the same, in words.
    let text = ok(dir, &["rma", "show", &case]);
    for want in [
        "Exchange (no RMA number yet) · awaiting_approval (waits for the review by cs_manager)",
        "  review (cs_manager): waiting",
        "  approve (vp): waiting",
        "    belongs to no return yet: HQ confirms the RMA number at sync",
        "    A no RMA number, or no record of it",
        "      raised by: no record of RMA number R2612-0007 here (HQ confirms it at sync)",
        "    G no defect marking at all",
        "      raised by: no defect marking",
        "      note: no defect tag on the pump",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    let zh = ok(dir, &["--lang", "zh-CN", "rma", "show", &case]);
    for want in [
        "换货 （尚无退货编号） · 待审批（待客户服务部经理审核）",
        "    G 无任何故障标识",
        "      说明：no defect tag on the pump",
    ] {
        assert!(zh.contains(want), "{want:?} missing from\n{zh}");
    }

    // Goods refused at the door for packaging (D): recorded with the reason.
    let refused = ok_json(
        dir,
        &[
            "--role",
            "warehouse",
            "rma",
            "receive",
            &case,
            "--rma",
            "R2612-0007",
            "--counted",
            "QJ-200",
            "--packing",
            "not_as_required",
            "--refuse",
            "carton crushed, water inside",
        ],
    );
    assert_eq!(refused["receipt"]["outcome"], "refused");
    let refused_id = refused["receipt"]["id"].as_str().unwrap().to_owned();

    // Two receipts now: amend and inspect must name one.
    let (e, _) = fails(
        dir,
        2,
        &[
            "--role",
            "warehouse",
            "rma",
            "amend",
            &case,
            "--note",
            "D=strap torn",
        ],
    );
    assert_eq!(e["field"], "receipt");
    assert!(e["message"].as_str().unwrap().contains(&receipt_id), "{e}");
    // A prefix long enough to tell them apart names the first.
    let common = receipt_id
        .chars()
        .zip(refused_id.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let prefix = &receipt_id[..common + 1];
    let amended = ok_json(
        dir,
        &[
            "--role",
            "warehouse",
            "rma",
            "amend",
            &case,
            "--receipt",
            prefix,
            "--note",
            "D=strap torn",
        ],
    );
    let letters: Vec<&str> = amended["receipt"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(letters, ["A", "D", "G"]);
    assert_eq!(
        amended["receipt"]["amended_by"].as_array().unwrap().len(),
        1
    );

    // Re-inspection: a refused receipt has nothing to inspect; a received unit is inspected
    // once, by serial.
    let (e, _) = fails(
        dir,
        2,
        &[
            "--role",
            "warehouse",
            "rma",
            "inspect",
            &case,
            "--receipt",
            &refused_id,
            "--unit",
            "1",
            "--restock",
            "A-01",
        ],
    );
    assert_eq!(e["field"], "receipt");
    let inspect = [
        "--role",
        "quality",
        "rma",
        "inspect",
        &case,
        "--receipt",
        prefix,
        "--unit",
        "QJ200-2609-0042",
        "--scrap",
        "volute cracked through",
        "--nonconformance",
        "NCR-2612-003",
    ];
    let inspected = ok(dir, &inspect);
    assert!(
        inspected
            .starts_with("unit QJ200-2609-0042 re-inspected: bad, scrapped as nonconforming\n"),
        "{inspected}"
    );
    // A unit not on the receipt is refused.
    let (e, _) = fails(
        dir,
        2,
        &[
            "--role",
            "quality",
            "rma",
            "inspect",
            &case,
            "--receipt",
            prefix,
            "--unit",
            "QJ200-0000-0000",
            "--restock",
            "A-01",
        ],
    );
    assert_eq!(e["field"], "unit");

    // `case show` carries the returns in JSON (with what each waits for) and in text.
    let shown = ok_json(dir, &["case", "show", &case]);
    assert_eq!(shown["returns"][0]["waiting_for"]["role"], "cs_manager");
    assert_eq!(shown["returns"][0]["reinspection_overdue"], false);
    assert_eq!(shown["unmatched_receipts"].as_array().unwrap().len(), 2);
    let text = ok(dir, &["case", "show", &case]);
    let returns = text.find("\nReturns and exchanges\n").expect(&text);
    assert!(text[returns..].contains("      note: strap torn"), "{text}");
}
