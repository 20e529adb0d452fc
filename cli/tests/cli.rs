#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real fieldctl binary driven on temporary databases: a whole visit, the warranty check,
//! refusals that write nothing, list filters and the demo.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

const DB: &str = "test.db";

fn fieldctl(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldctl"))
        .current_dir(dir)
        .env_remove("FIELDCTL_USER")
        // English, whatever the shell running the tests speaks.
        .env_remove("LANG")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Runs a command that must succeed, on the test database.
fn ok(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["--db", DB];
    all.extend_from_slice(args);
    let o = fieldctl(dir, &all);
    assert!(
        o.status.success(),
        "{args:?} failed: {}{}",
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// Runs a command with --json that must succeed and parses its output.
fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&ok(dir, &all)).unwrap()
}

/// Runs a command that must fail with `code`; gives stderr and the JSON error on stdout.
fn fails(dir: &Path, code: i32, args: &[&str]) -> (String, Value) {
    let mut all = vec!["--db", DB, "--json"];
    all.extend_from_slice(args);
    let o = fieldctl(dir, &all);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    (stderr(&o), json["error"].clone())
}

/// Two months before today, so the default case is inside every warranty period.
fn purchase_date() -> chrono::NaiveDate {
    chrono::Local::now().date_naive() - chrono::Duration::days(60)
}

/// A valid registration, with some flags replaced.
fn register_args(overrides: &[(&str, &str)]) -> Vec<String> {
    let purchased = purchase_date().to_string();
    let base = [
        ("--customer-name", "Suzhou Lixin Pump Station"),
        ("--phone", "+86 512 6688 1234"),
        ("--address", "No. 9 Canal Road, Wuzhong District, Suzhou"),
        ("--region", "Jiangsu"),
        ("--market", "domestic"),
        ("--model", "YE3-132M-4"),
        ("--category", "motor"),
        ("--serial", "YE3-2406-00815"),
        ("--purchase-date", purchased.as_str()),
        ("--invoice", "INV-2026-0042"),
        ("--fault", "Motor trips the breaker a minute after start"),
        ("--request", "repair"),
        ("--channel", "phone"),
        ("--first-responder", "Zhang Min"),
    ];
    let mut args = vec!["case".to_owned(), "register".to_owned()];
    for (flag, value) in base {
        let value = overrides
            .iter()
            .find(|(f, _)| *f == flag)
            .map_or(value, |(_, v)| *v);
        args.push(flag.to_owned());
        args.push(value.to_owned());
    }
    for (flag, value) in overrides {
        if !base.iter().any(|(f, _)| f == flag) {
            args.push((*flag).to_owned());
            if !value.is_empty() {
                args.push((*value).to_owned());
            }
        }
    }
    args
}

/// Registers a case and gives its id.
fn register(dir: &Path, overrides: &[(&str, &str)]) -> String {
    let args = register_args(overrides);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ok_json(dir, &args);
    assert_eq!(out["case"]["status"]["current"]["value"], "registered");
    out["case"]["id"].as_str().unwrap().to_owned()
}

fn status(v: &Value) -> &str {
    v["case"]["status"]["current"]["value"].as_str().unwrap()
}

fn list_ids(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["case", "list"];
    all.extend_from_slice(args);
    ok_json(dir, &all)["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["case_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_full_visit_through_the_subcommands() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let id = register(dir, &[]);
    let case = id.as_str();

    let steps: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["case", "ack", case, "--note", "engineer comes tomorrow"],
            "acknowledged",
        ),
        (
            vec![
                "case",
                "schedule",
                case,
                "--at",
                "2026-01-20T09:30:00+08:00",
            ],
            "visit_scheduled",
        ),
        (vec!["case", "arrive", case], "on_site"),
        (
            vec![
                "case",
                "confirm-defect",
                case,
                "--cause",
                "design_manufacturing",
                "--findings",
                "Stator winding short between turns",
                "--measure",
                "insulation_resistance=0.8MΩ",
                "--measure",
                "winding temperature=118 °C",
            ],
            "defect_confirmed",
        ),
        (vec!["case", "decide-warranty", case], "warranty_decided"),
    ];
    for (args, want) in &steps {
        let out = ok_json(dir, args);
        assert_eq!(status(&out), *want, "{args:?}");
    }

    let out = ok_json(
        dir,
        &[
            "case",
            "part",
            "add",
            case,
            "--part-number",
            "YE3-132-STATOR",
            "--spec",
            "stator assembly 7.5 kW 4P",
            "--qty",
            "1",
            "--new-serial",
            "ST-7781",
            "--old-kept",
            "--old-serial",
            "ST-0815",
        ],
    );
    let line = out["entry_id"].as_str().unwrap().to_owned();
    assert_eq!(status(&out), "warranty_decided");
    let text = ok(dir, &["case", "part", "return-old", case, &line]);
    assert!(text.contains("returned"), "{text}");
    ok(
        dir,
        &["case", "note", case, "Old stator tagged for write-off"],
    );

    for (args, want) in [
        (
            vec![
                "case",
                "resolve",
                case,
                "--outcome",
                "parts_replaced",
                "--summary",
                "Stator replaced",
            ],
            "resolved",
        ),
        (
            vec!["case", "confirm", case, "--name", "Chen Jie", "--accepted"],
            "customer_confirmed",
        ),
        (vec!["case", "close", case], "closed"),
    ] {
        assert_eq!(status(&ok_json(dir, &args)), want, "{args:?}");
    }

    let view = ok_json(dir, &["case", "show", &id[..13]]);
    assert_eq!(view["id"], id.as_str());
    assert_eq!(view["status"]["current"]["value"], "closed");
    assert_eq!(view["round"], 1);
    assert_eq!(view["next_due"], Value::Null);
    assert_eq!(view["overdue"], false);
    // Never synced: everything on the case is still to go to HQ.
    assert_eq!(view["sync_state"], "pending");
    assert_eq!(view["registration"]["customer_phone"], "+86 512 6688 1234");
    assert_eq!(view["registration"]["first_responder"], "Zhang Min");
    let defect = &view["defect"]["current"]["value"];
    assert_eq!(defect["cause"], "design_manufacturing");
    assert_eq!(defect["measurements"][0]["value"], 0.8);
    assert_eq!(defect["measurements"][0]["unit"], "MΩ");
    assert_eq!(defect["measurements"][1]["name"], "winding temperature");
    let warranty = &view["warranty"]["current"]["value"];
    assert_eq!(warranty["covered"], true);
    let period_end = purchase_date()
        .checked_add_months(chrono::Months::new(12))
        .unwrap();
    assert_eq!(warranty["period_end"], period_end.to_string());
    assert_eq!(
        view["resolution"]["current"]["value"]["outcome"],
        "parts_replaced"
    );
    assert_eq!(view["parts"][0]["id"], line.as_str());
    assert_eq!(view["parts"][0]["old_part_returned"], true);
    assert_eq!(view["parts"][0]["reversed"], false);
    assert_eq!(view["notes"].as_array().unwrap().len(), 2);
    assert_eq!(view["visits"].as_array().unwrap().len(), 2);
    assert_eq!(view["confirmations"][0]["accepted"], true);
    assert_eq!(view["events"].as_array().unwrap().len(), 12);
    assert_eq!(view["events"][0]["by"], "engineer");
    assert!(view["conflicts"].as_array().unwrap().is_empty());

    let text = ok(dir, &["case", "show", case]);
    for want in [
        "pending: local work not yet at HQ",
        "closed",
        "covered (covered_quality_fault)",
        "insulation_resistance 0.8 MΩ",
        &line,
        "History (12)",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
}

#[test]
fn warranty_check_answers_without_a_database() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let check = |args: &[&str]| {
        let mut all = vec!["warranty", "check", "--json"];
        all.extend_from_slice(args);
        let o = fieldctl(dir, &all);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str::<Value>(&stdout(&o)).unwrap()
    };

    let covered = check(&[
        "--category",
        "motor",
        "--purchase-date",
        "2025-08-31",
        "--received-date",
        "2026-08-31",
        "--cause",
        "storage_transport",
        "--proof",
    ]);
    assert_eq!(covered["covered"], true);
    assert_eq!(covered["rule"], "covered_quality_fault");
    assert_eq!(covered["period_end"], "2026-08-31");

    let late = check(&[
        "--category",
        "pump",
        "--purchase-date",
        "2025-08-31",
        "--received-date",
        "2026-03-01",
        "--cause",
        "design_manufacturing",
        "--proof",
    ]);
    assert_eq!(late["covered"], false);
    assert_eq!(late["rule"], "out_of_period");
    assert_eq!(late["period_end"], "2026-02-28");

    let no_proof = check(&[
        "--category",
        "motor",
        "--purchase-date",
        "2025-08-31",
        "--received-date",
        "2025-09-30",
        "--cause",
        "design_manufacturing",
        "--no-proof",
    ]);
    assert_eq!(no_proof["covered"], false);
    assert_eq!(no_proof["rule"], "no_proof_of_purchase");
    assert!(no_proof.get("period_end").is_none(), "{no_proof}");

    let o = fieldctl(
        dir,
        &[
            "warranty",
            "check",
            "--category",
            "motor",
            "--purchase-date",
            "2025-08-31",
            "--received-date",
            "2026-01-05",
            "--cause",
            "customer_misuse",
            "--proof",
        ],
    );
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.contains("covered: no"), "{text}");
    assert!(text.contains("non_quality_fault"), "{text}");
    assert!(text.contains("2026-08-31"), "{text}");

    // Nothing checked here needs or creates a database.
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 0);
}

#[test]
fn warranty_check_refuses_a_complaint_before_the_purchase() {
    let tmp = TempDir::new().unwrap();
    let (err, json) = fails(
        tmp.path(),
        2,
        &[
            "warranty",
            "check",
            "--category",
            "motor",
            "--purchase-date",
            "2026-03-01",
            "--received-date",
            "2026-02-28",
            "--cause",
            "design_manufacturing",
            "--proof",
        ],
    );
    assert!(err.starts_with("error: invalid received_date:"), "{err}");
    assert_eq!(json["kind"], "validation");
    assert_eq!(json["field"], "received_date");

    let (_, json) = fails(
        tmp.path(),
        2,
        &[
            "warranty",
            "check",
            "--category",
            "motor",
            "--purchase-date",
            "2026-02-30",
            "--received-date",
            "2026-03-01",
            "--cause",
            "design_manufacturing",
            "--proof",
        ],
    );
    assert_eq!(json["field"], "purchase_date");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn a_bad_phone_is_refused_and_nothing_is_written() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let args = register_args(&[("--phone", "call me maybe")]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (err, json) = fails(dir, 2, &args);
    assert!(err.starts_with("error: invalid customer_phone: "), "{err}");
    assert_eq!(json["kind"], "validation");
    assert_eq!(json["field"], "customer_phone");
    assert!(json["message"].as_str().unwrap().contains("customer_phone"));
    assert!(list_ids(dir, &[]).is_empty());

    // Also once the database exists.
    register(dir, &[]);
    let (_, json) = fails(dir, 2, &args);
    assert_eq!(json["field"], "customer_phone");
    assert_eq!(list_ids(dir, &[]).len(), 1);
}

#[test]
fn other_bad_input_names_its_field_and_exits_2() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let id = register(dir, &[]);

    let (_, json) = fails(dir, 2, &["case", "schedule", &id, "--at", "tomorrow"]);
    assert_eq!(json["field"], "planned_for");
    let (_, json) = fails(
        dir,
        2,
        &[
            "case",
            "confirm-defect",
            &id,
            "--cause",
            "customer_misuse",
            "--findings",
            "x",
            "--measure",
            "vibration=fast",
        ],
    );
    assert_eq!(json["field"], "measurement");
    let (_, json) = fails(dir, 2, &["case", "show", "zzzz-not-a-case"]);
    assert_eq!(json["field"], "case");
    let (err, json) = fails(dir, 2, &["case", "ack", &id, "--bogus"]);
    assert_eq!(json["kind"], "usage");
    assert!(err.contains("--bogus"), "{err}");
    let (_, json) = fails(dir, 2, &["case", "register", "--market", "mars"]);
    assert_eq!(json["kind"], "usage");
    let (_, json) = fails(dir, 2, &["case", "update", &id]);
    assert_eq!(json["field"], "update");
    let (_, json) = fails(
        dir,
        2,
        &[
            "case",
            "resolve-conflict",
            &id,
            "--field",
            "defect",
            "--choose",
            "0",
        ],
    );
    assert_eq!(json["field"], "field");

    let (_, json) = fails(
        dir,
        2,
        &[
            "case",
            "confirm",
            &id,
            "--name",
            "Chen Jie",
            "--accepted",
            "--reason",
            "x",
        ],
    );
    assert_eq!(json["kind"], "usage");
    let (_, json) = fails(
        dir,
        2,
        &["case", "confirm", &id, "--name", "Chen Jie", "--rejected"],
    );
    assert_eq!(json["field"], "reason");

    // A step the lifecycle does not allow is refused too, with exit 1.
    let (err, json) = fails(dir, 1, &["case", "close", &id]);
    assert_eq!(err, "error: cannot close a case that is registered\n");
    assert_eq!(json["kind"], "invalid_transition");
    assert_eq!(status(&ok_json(dir, &["case", "ack", &id])), "acknowledged");

    // Nothing above was written: only register and ack are in the history.
    let view = ok_json(dir, &["case", "show", &id]);
    assert_eq!(view["events"].as_array().unwrap().len(), 2);
}

#[test]
fn charges_are_exact_minor_units() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let id = register(dir, &[]);
    for args in [
        vec!["case", "ack", &id],
        vec![
            "case",
            "confirm-defect",
            &id,
            "--cause",
            "customer_misuse",
            "--findings",
            "Supply phase lost; motor ran on two phases",
        ],
        vec![
            "case",
            "decide-warranty",
            &id,
            "--charge",
            "0.29",
            "--currency",
            "CNY",
        ],
    ] {
        ok(dir, &args);
    }
    let view = ok_json(dir, &["case", "show", &id]);
    assert_eq!(view["warranty"]["current"]["value"]["covered"], false);
    assert_eq!(view["charge"]["current"]["value"]["amount_minor"], 29);
    let out = ok_json(dir, &["case", "set-charge", &id, "--amount", "120.50"]);
    assert_eq!(
        out["case"]["charge"]["current"]["value"]["amount_minor"],
        12050
    );
    assert_eq!(out["case"]["charge"]["current"]["value"]["currency"], "CNY");
    assert!(ok(dir, &["case", "show", &id]).contains("120.50 CNY"));
    let (_, json) = fails(dir, 2, &["case", "set-charge", &id, "--amount", "120.505"]);
    assert_eq!(json["field"], "charge");
    let (_, json) = fails(dir, 2, &["case", "set-charge", &id, "--amount", "-3"]);
    assert_eq!(json["field"], "charge");
}

#[test]
fn a_rejected_outcome_opens_a_new_round_and_parts_can_be_removed() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let id = register(dir, &[]);
    ok(dir, &["case", "ack", &id]);
    ok(
        dir,
        &[
            "case",
            "confirm-defect",
            &id,
            "--cause",
            "design_manufacturing",
            "--findings",
            "Bearing seized",
        ],
    );
    ok(dir, &["case", "decide-warranty", &id]);
    let line = ok_json(
        dir,
        &[
            "case",
            "part",
            "add",
            &id,
            "--part-number",
            "6308",
            "--spec",
            "bearing",
            "--qty",
            "2",
        ],
    )["entry_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, json) = fails(dir, 2, &["case", "part", "return-old", &id, &line]);
    assert_eq!(json["field"], "line_id");
    ok(
        dir,
        &[
            "case",
            "part",
            "remove",
            &id,
            &line,
            "--reason",
            "wrong bearing size",
        ],
    );
    ok(
        dir,
        &[
            "case",
            "resolve",
            &id,
            "--outcome",
            "repaired_on_site",
            "--summary",
            "Bearing freed",
        ],
    );
    let out = ok_json(
        dir,
        &[
            "case",
            "confirm",
            &id,
            "--name",
            "Chen Jie",
            "--rejected",
            "--reason",
            "noise is back",
        ],
    );
    assert_eq!(status(&out), "reopened");
    assert_eq!(out["case"]["round"], 2);
    let view = ok_json(dir, &["case", "show", &id]);
    assert_eq!(view["parts"][0]["reversed"], true);
    assert_eq!(view["parts"][0]["reversal_reason"], "wrong bearing size");
    assert_eq!(view["rounds"][0]["reason"], "noise is back");
    let text = ok(dir, &["case", "show", &id]);
    assert!(text.contains("REMOVED: wrong bearing size"), "{text}");
    assert!(text.contains("round 2 started"), "{text}");
}

#[test]
fn list_filters_by_serial_status_and_overdue() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let month_ago = (chrono::Local::now() - chrono::Duration::days(30)).to_rfc3339();
    let fresh = register(dir, &[("--serial", "AB-100")]);
    let other = register(
        dir,
        &[
            ("--serial", "AB-200"),
            ("--model", "XP-9"),
            ("--customer-name", "Hefei Water Works"),
        ],
    );
    let old = register(
        dir,
        &[("--serial", "CD-300"), ("--received-at", &month_ago)],
    );
    ok(dir, &["case", "ack", &other]);

    let mut ab = list_ids(dir, &["--serial", "AB"]);
    ab.sort();
    let mut want = vec![fresh.clone(), other.clone()];
    want.sort();
    assert_eq!(ab, want);
    assert_eq!(list_ids(dir, &["--serial", "ab-1"]), vec![fresh.clone()]);
    assert_eq!(
        list_ids(dir, &["--status", "acknowledged"]),
        vec![other.clone()]
    );
    assert_eq!(list_ids(dir, &["--overdue"]), vec![old.clone()]);
    assert_eq!(list_ids(dir, &["--model", "xp"]), vec![other.clone()]);
    assert_eq!(list_ids(dir, &["--customer", "water"]), vec![other.clone()]);
    assert!(list_ids(dir, &["--conflicts"]).is_empty());

    // Newest update first, two per page, and the cursor leads to the rest.
    let page = ok_json(dir, &["case", "list", "--limit", "2"]);
    assert_eq!(page["rows"][0]["case_id"], other.as_str());
    assert_eq!(page["rows"].as_array().unwrap().len(), 2);
    let cursor = page["next"].as_str().unwrap().to_owned();
    let rest = list_ids(dir, &["--limit", "2", "--after", &cursor]);
    assert_eq!(rest.len(), 1);

    let table = ok(dir, &["case", "list"]);
    assert!(table.starts_with("CASE"), "{table}");
    assert!(table.contains("OVERDUE"), "{table}");
    assert!(table.contains("3 cases"), "{table}");
    assert!(ok(dir, &["case", "list", "--overdue"]).contains(&old[..13]));
    let (_, json) = fails(dir, 2, &["case", "list", "--status", "lost"]);
    assert_eq!(json["kind"], "usage");
    let (_, json) = fails(dir, 2, &["case", "list", "--after", "nonsense"]);
    assert_eq!(json["field"], "after");
}

#[test]
fn commands_are_recorded_as_the_user() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let id = register(dir, &[]);
    let o = Command::new(env!("CARGO_BIN_EXE_fieldctl"))
        .current_dir(dir)
        .env("FIELDCTL_USER", "wu.tech")
        .args(["--db", DB, "case", "note", &id, "from the tablet"])
        .output()
        .unwrap();
    assert!(o.status.success());
    ok(dir, &["--user", "li.hq", "case", "note", &id, "from HQ"]);
    let view = ok_json(dir, &["case", "show", &id]);
    assert_eq!(view["notes"][0]["by"], "wu.tech");
    assert_eq!(view["notes"][1]["by"], "li.hq");
    assert_eq!(view["events"][0]["by"], "engineer");
}

#[test]
fn commands_on_a_missing_database_create_nothing() {
    let tmp = TempDir::new().unwrap();
    let (err, json) = fails(tmp.path(), 1, &["case", "show", "01234567"]);
    assert!(err.contains("no database at test.db"), "{err}");
    assert_eq!(json["kind"], "no_database");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

// The demo is built with the `demo` feature (a default).
#[cfg(feature = "demo")]
#[test]
fn the_demo_runs_a_whole_visit() {
    let o = fieldctl(Path::new("."), &["demo", "--offline"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("close: closed → closed"), "{text}");
    assert!(text.contains("Status      closed"), "{text}");
    assert!(text.contains("covered (covered_quality_fault)"), "{text}");
    let db = text
        .lines()
        .find_map(|l| l.strip_prefix("database: "))
        .unwrap();
    let db = Path::new(db);
    assert!(db.exists());
    std::fs::remove_dir_all(db.parent().unwrap()).unwrap();

    // The engineer's photos: the nameplate, the bearing cited as evidence, the signature.
    for want in [
        "attach_photo: nameplate photo ",
        "(1600×1200 · ",
        "attach_photo: defect photo ",
        "attach_photo: signature photo ",
        "Photos (3):",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }

    // Into a given database, as JSON.
    let tmp = TempDir::new().unwrap();
    let out = ok_json(tmp.path(), &["demo", "--offline"]);
    assert_eq!(out["case"]["status"]["current"]["value"], "closed");
    assert_eq!(out["steps"].as_array().unwrap().len(), 15);
    let photos = out["case"]["photos"].as_array().unwrap();
    let kinds: Vec<&str> = photos.iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["nameplate", "defect", "signature"]);
    assert_eq!(
        (photos[0]["width"].as_u64(), photos[0]["height"].as_u64()),
        (Some(1600), Some(1200))
    );
    let defect = &out["case"]["defect"]["current"]["value"];
    assert_eq!(defect["evidence_photos"][0], photos[1]["hash"]);
    assert_eq!(
        out["case"]["warranty"]["current"]["value"]["evidence_photos"][0],
        photos[1]["hash"]
    );
    assert_eq!(
        out["case"]["confirmations"][0]["signature_hash"],
        photos[2]["hash"]
    );
    assert_eq!(out["database"], DB);
    assert!(tmp.path().join(DB).exists());
}

#[test]
fn help_is_not_an_error() {
    let tmp = TempDir::new().unwrap();
    let o = fieldctl(tmp.path(), &["--help"]);
    assert!(o.status.success());
    let help = stdout(&o);
    assert!(help.contains("warranty"));
    // The benchmarks are fieldbench's (bench/), not a device's.
    assert!(!help.contains("bench"), "{help}");
    assert_eq!(cfg!(feature = "demo"), help.contains("demo"), "{help}");
}

#[test]
fn conflicts_are_listed_numbered_and_resolved_by_choice() {
    use fieldcore::{Cause, DefectInput};

    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let id = register(dir, &[]);
    ok(dir, &["case", "ack", &id]);
    let case_id = id.parse().unwrap();

    // A tablet gets the case and, offline, finds another cause than the phone does.
    let mut tablet = fieldcore::Store::open(dir.join("tablet.db"), "technician").unwrap();
    {
        let mut phone = fieldcore::Store::open(dir.join(DB), "engineer").unwrap();
        tablet
            .merge_document(&phone.export_document(case_id).unwrap())
            .unwrap();
    }
    let defect = DefectInput {
        cause: Cause::CustomerMisuse,
        findings: "Motor run with a blocked impeller".into(),
        measurements: Vec::new(),
        major_incident: false,
        evidence_photos: Vec::new(),
    };
    tablet
        .execute(case_id, &fieldcore::Command::ConfirmDefect(defect))
        .unwrap();
    ok(
        dir,
        &[
            "case",
            "confirm-defect",
            &id,
            "--cause",
            "design_manufacturing",
            "--findings",
            "Rotor bar cracked",
        ],
    );
    {
        let mut phone = fieldcore::Store::open(dir.join(DB), "engineer").unwrap();
        phone
            .merge_document(&tablet.export_document(case_id).unwrap())
            .unwrap();
    }

    let view = ok_json(dir, &["case", "show", &id]);
    let conflict = &view["conflicts"][0];
    assert_eq!(conflict["field"], "defect");
    let alternatives = conflict["alternatives"].as_array().unwrap();
    assert_eq!(alternatives.len(), 2);
    let ours = alternatives
        .iter()
        .position(|a| a["value"] == "design_manufacturing")
        .unwrap();
    assert_eq!(alternatives[1 - ours]["by"], "technician");

    let text = ok(dir, &["case", "show", &id]);
    assert!(
        text.contains(&format!("[{ours}] design_manufacturing by engineer")),
        "{text}"
    );
    assert!(
        text.contains("customer_misuse by technician on device"),
        "{text}"
    );
    assert_eq!(list_ids(dir, &["--conflicts"]), vec![id.clone()]);
    assert!(ok(dir, &["case", "list"]).contains("CONFLICT"));

    // Deciding on a disputed defect is refused until a person chooses.
    let (err, json) = fails(dir, 1, &["case", "decide-warranty", &id]);
    assert_eq!(json["kind"], "conflict");
    assert_eq!(json["field"], "defect");
    assert!(err.contains("defect has concurrent values"), "{err}");

    let ours = ours.to_string();
    let out = ok_json(
        dir,
        &[
            "case",
            "resolve-conflict",
            &id,
            "--field",
            "defect",
            "--choose",
            &ours,
        ],
    );
    assert!(out["case"]["conflicts"].as_array().unwrap().is_empty());
    assert_eq!(
        out["case"]["defect"]["current"]["value"]["cause"],
        "design_manufacturing"
    );
    assert_eq!(
        status(&ok_json(dir, &["case", "decide-warranty", &id])),
        "warranty_decided"
    );
}

/// A camera JPEG of `width`×`height` written to `dir/name`.
fn write_jpeg(dir: &Path, name: &str, width: u32, height: u32) -> PathBuf {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    let path = dir.join(name);
    img.save_with_format(&path, image::ImageFormat::Jpeg)
        .unwrap();
    path
}

fn photo_hashes(dir: &Path, case: &str) -> Vec<String> {
    ok_json(dir, &["photo", "list", case])
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["hash"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn photos_are_added_cited_listed_exported_and_removed() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let id = register(dir, &[]);
    let case = id.as_str();
    write_jpeg(dir, "plate.jpg", 900, 600);
    let bearing = write_jpeg(dir, "bearing.jpg", 2100, 1400);
    let signed = write_jpeg(dir, "signature.jpg", 640, 200);

    // As JSON: the case and the photo's hash.
    let out = ok_json(
        dir,
        &[
            "photo",
            "add",
            case,
            "plate.jpg",
            "--kind",
            "nameplate",
            "--caption",
            "Nameplate",
        ],
    );
    let nameplate = out["photo"].as_str().unwrap().to_owned();
    assert_eq!(nameplate.len(), 64);
    assert_eq!(out["case"]["photos"][0]["hash"], nameplate.as_str());
    assert_eq!(out["case"]["photos"][0]["kind"], "nameplate");
    assert_eq!(out["case"]["photos"][0]["width"], 900);

    // As text: the hash to cite, the size and the dimensions (resized to the policy's edge).
    let text = ok(
        dir,
        &[
            "photo",
            "add",
            case,
            bearing.to_str().unwrap(),
            "--kind",
            "defect",
        ],
    );
    let defect = text
        .lines()
        .find_map(|l| l.strip_prefix("hash: "))
        .unwrap()
        .to_owned();
    assert!(
        text.contains(&format!(
            "attached defect photo {} · 2048×1365 · ",
            &defect[..12]
        )),
        "{text}"
    );
    assert!(text.contains("KiB"), "{text}");
    let text = ok(
        dir,
        &[
            "photo",
            "add",
            case,
            signed.to_str().unwrap(),
            "--kind",
            "signature",
        ],
    );
    let signature = text
        .lines()
        .find_map(|l| l.strip_prefix("hash: "))
        .unwrap()
        .to_owned();

    // Decisions cite the printed hashes.
    ok(dir, &["case", "ack", case]);
    ok(
        dir,
        &[
            "case",
            "confirm-defect",
            case,
            "--cause",
            "design_manufacturing",
            "--findings",
            "Bearing seat oversize",
            "--evidence",
            &defect,
        ],
    );
    ok(
        dir,
        &["case", "decide-warranty", case, "--evidence", &defect],
    );
    ok(
        dir,
        &[
            "case",
            "resolve",
            case,
            "--outcome",
            "parts_replaced",
            "--summary",
            "Bearing replaced",
        ],
    );
    ok(
        dir,
        &[
            "case",
            "confirm",
            case,
            "--name",
            "Chen Jie",
            "--accepted",
            "--signature-hash",
            &signature,
        ],
    );
    let view = ok_json(dir, &["case", "show", case]);
    assert_eq!(
        view["defect"]["current"]["value"]["evidence_photos"][0],
        defect.as_str()
    );
    assert_eq!(
        view["warranty"]["current"]["value"]["evidence_photos"][0],
        defect.as_str()
    );
    assert_eq!(
        view["confirmations"][0]["signature_hash"],
        signature.as_str()
    );

    // The list: upload state and thumbnails on this device.
    let listed = ok_json(dir, &["photo", "list", case]);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0]["hash"], nameplate.as_str());
    assert_eq!(listed[0]["caption"], "Nameplate");
    for photo in listed {
        assert_eq!(photo["upload"], "pending");
        // Where the store keeps it, beside the database: relative, like --db.
        let thumbnail = dir.join(photo["thumbnail_path"].as_str().unwrap());
        let thumbnail = std::fs::read(thumbnail).unwrap();
        let thumbnail = image::load_from_memory(&thumbnail).unwrap();
        assert_eq!(thumbnail.width().max(thumbnail.height()), 320);
    }
    let table = ok(dir, &["photo", "list", case]);
    assert!(table.starts_with("HASH"), "{table}");
    for want in [
        &nameplate[..12],
        "nameplate",
        "Nameplate",
        "900×600",
        "2048×1365",
        "pending",
        "3 photos",
    ] {
        assert!(table.contains(want), "{want:?} missing from\n{table}");
    }
    let text = ok(dir, &["case", "show", case]);
    assert!(text.contains("Photos (3):"), "{text}");
    assert!(
        text.contains(&format!(
            "nameplate · Nameplate · {} · 900×600 · pending",
            &nameplate[..12]
        )),
        "{text}"
    );

    // Show by prefix; export the photo and the thumbnail.
    let shown = ok(dir, &["photo", "show", case, &defect[..8]]);
    assert!(shown.contains(&defect), "{shown}");
    assert!(shown.contains("defect"), "{shown}");
    let out = ok_json(
        dir,
        &["photo", "show", case, &defect[..8], "--out", "defect.jpg"],
    );
    assert_eq!(out["hash"], defect.as_str());
    let written = std::fs::read(dir.join("defect.jpg")).unwrap();
    assert_eq!(out["written"]["bytes"], written.len());
    assert_eq!(out["size"], written.len());
    assert_eq!(
        image::guess_format(&written).unwrap(),
        image::ImageFormat::Jpeg
    );
    let exported = image::load_from_memory(&written).unwrap();
    assert_eq!((exported.width(), exported.height()), (2048, 1365));
    let text = ok(
        dir,
        &[
            "photo",
            "show",
            case,
            &nameplate[..6],
            "--out",
            "thumb.jpg",
            "--thumbnail",
        ],
    );
    assert!(text.contains("thumb.jpg"), "{text}");
    let thumb = image::open(dir.join("thumb.jpg")).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 213));

    // Unknown, malformed and missing hashes.
    let absent = ["0", "1"]
        .into_iter()
        .map(|c| c.repeat(6))
        .find(|p| {
            [&nameplate, &defect, &signature]
                .iter()
                .all(|h| !h.starts_with(p.as_str()))
        })
        .unwrap();
    let (err, json) = fails(dir, 2, &["photo", "show", case, &absent]);
    assert_eq!(json["field"], "hash");
    assert!(err.contains(&absent), "{err}");
    let whole = format!("{absent}{}", &nameplate[6..]);
    let (_, json) = fails(dir, 1, &["photo", "show", case, &whole]);
    assert_eq!(json["kind"], "entry_not_found");
    let (_, json) = fails(dir, 2, &["photo", "show", case, "abc"]);
    assert_eq!(json["field"], "hash");
    let (_, json) = fails(dir, 2, &["photo", "show", case, "photo.jpg"]);
    assert_eq!(json["field"], "hash");
    let (_, json) = fails(dir, 2, &["photo", "remove", case, &defect]);
    assert_eq!(json["kind"], "usage");

    // Removal, by prefix, leaves the list empty; removing again is an error.
    for hash in [&nameplate, &defect, &signature] {
        let out = ok_json(
            dir,
            &["photo", "remove", case, &hash[..10], "--reason", "retaken"],
        );
        assert!(
            out["case"]["photos"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["hash"] != hash.as_str())
        );
    }
    assert!(photo_hashes(dir, case).is_empty());
    assert_eq!(ok(dir, &["photo", "list", case]), "no photos\n");
    assert!(ok(dir, &["case", "show", case]).contains("Photos: none"));
    let (_, json) = fails(
        dir,
        2,
        &["photo", "remove", case, &defect[..10], "--reason", "again"],
    );
    assert_eq!(json["field"], "hash");
    let (_, json) = fails(
        dir,
        1,
        &["photo", "remove", case, &defect, "--reason", "again"],
    );
    assert_eq!(json["kind"], "entry_not_found");
    let view = ok_json(dir, &["case", "show", case]);
    let removals = view["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "remove_photo")
        .count();
    assert_eq!(removals, 3);
}

#[test]
fn photos_the_device_cannot_take_exit_2_and_attach_nothing() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let id = register(dir, &[]);
    let case = id.as_str();

    // An iPhone's HEIC: the ISO media header is enough to tell.
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    heic.resize(4096, 0);
    std::fs::write(dir.join("IMG_0001.HEIC"), &heic).unwrap();
    let (err, json) = fails(
        dir,
        2,
        &["photo", "add", case, "IMG_0001.HEIC", "--kind", "nameplate"],
    );
    assert_eq!(json["kind"], "unsupported_photo");
    assert!(err.starts_with("error: unsupported photo format"), "{err}");
    assert!(err.contains("JPEG"), "{err}");

    // Half a JPEG, a text file, a missing file, a folder.
    let whole = std::fs::read(write_jpeg(dir, "whole.jpg", 800, 600)).unwrap();
    std::fs::write(dir.join("half.jpg"), &whole[..whole.len() / 2]).unwrap();
    let (_, json) = fails(
        dir,
        2,
        &["photo", "add", case, "half.jpg", "--kind", "defect"],
    );
    assert_eq!(json["kind"], "invalid_photo");
    // A header claiming 100 megapixels is refused before anything is decoded.
    let mut huge = whole.clone();
    let sof = huge.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    huge[sof + 5..sof + 9].copy_from_slice(&[0x27, 0x10, 0x27, 0x10]);
    std::fs::write(dir.join("huge.jpg"), &huge).unwrap();
    let (err, json) = fails(
        dir,
        2,
        &["photo", "add", case, "huge.jpg", "--kind", "defect"],
    );
    assert_eq!(json["kind"], "photo_too_large");
    assert!(err.starts_with("error: photo too large"), "{err}");
    std::fs::write(dir.join("notes.txt"), "not a photo").unwrap();
    let (_, json) = fails(
        dir,
        2,
        &["photo", "add", case, "notes.txt", "--kind", "other"],
    );
    assert_eq!(json["kind"], "invalid_photo");
    let (err, json) = fails(
        dir,
        2,
        &["photo", "add", case, "missing.jpg", "--kind", "other"],
    );
    assert_eq!(json["field"], "file");
    assert!(err.contains("missing.jpg"), "{err}");
    let (_, json) = fails(dir, 2, &["photo", "add", case, ".", "--kind", "other"]);
    assert_eq!(json["field"], "file");
    let (_, json) = fails(
        dir,
        2,
        &["photo", "add", case, "whole.jpg", "--kind", "selfie"],
    );
    assert_eq!(json["kind"], "usage");

    // Nothing was attached or written: no photos, no events, no blobs.
    assert!(photo_hashes(dir, case).is_empty());
    let view = ok_json(dir, &["case", "show", case]);
    assert_eq!(view["events"].as_array().unwrap().len(), 1);
    let blobs = dir.join(format!("{DB}.blobs"));
    let files = walk(&blobs);
    assert!(files.is_empty(), "{files:?}");

    // The good photo goes in, once.
    ok(
        dir,
        &["photo", "add", case, "whole.jpg", "--kind", "defect"],
    );
    let (err, json) = fails(
        dir,
        2,
        &["photo", "add", case, "whole.jpg", "--kind", "defect"],
    );
    assert_eq!(json["field"], "hash");
    assert!(err.contains("already attached to the case"), "{err}");
    assert_eq!(photo_hashes(dir, case).len(), 1);
}

/// Every file under `dir`, when it exists.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

// The demo is built with the `demo` feature (a default).
#[cfg(feature = "demo")]
#[test]
fn the_main_job_syncs_a_conflicting_case_through_an_embedded_hq() {
    let o = fieldctl(Path::new("."), &["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for want in [
        "phone now shows the official number 2",
        "conflict on defect:",
        "tablet shows 1 conflict(s)",
        "hq desk shows 1 conflict(s)",
        "show the same case: yes; conflicts left: 0",
        "Status      closed",
        // The exchange of a pump: approvals at HQ, the RMA number, the warehouse's receipt
        // with its check, the re-inspection and its due time, the replacement, the close.
        "7. A pump at another customer cannot be fixed on site",
        "    phone: request_return: exchange requested: 1 × QJ-200 → warranty_decided",
        "    HQ: zhao.min (cs_manager) approved the exchange request at the review step",
        "    HQ: liu.yang (vp) approved the exchange request at the approve step",
        "    HQ issued the RMA number R",
        "    phone now shows the RMA number R",
        "    warehouse tablet: receive_return: goods received for R",
        "      G no defect marking at all\n        raised by: no defect marking\n        note: No defect tag on the pump",
        " · awaiting_inspection · re-inspection due ",
        "    warehouse tablet: inspect_return_unit: unit QJ200-2609-0042 re-inspected: bad, scrapped as nonconforming",
        "    phone: request_replenishment: replenishment notice requested",
        "    HQ: zhao.min (cs_manager) approved the replenishment notice at the approve step",
        "    phone: confirm_replacement: customer confirmed receipt of the replacement",
        "    phone: close: closed → closed\n",
        "12. Converged: phone, warehouse tablet and HQ desk show the same exchange: yes; exchange R",
        " done\n  Exchange R",
    ] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
}

#[test]
fn deadline_check_counts_the_official_calendar() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let check_with = |received_at: &str, market: &str, extra: &[&str]| {
        let mut args = vec![
            "deadline",
            "check",
            "--received-at",
            received_at,
            "--market",
            market,
            "--json",
        ];
        args.extend_from_slice(extra);
        let o = fieldctl(dir, &args);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str::<Value>(&stdout(&o)).unwrap()
    };
    let check = |received_at: &str, market: &str| check_with(received_at, market, &[]);

    // Fri 26 Sep 2025, 10:00 in UTC+8. Five working days: Sat 27 off, make-up Sun 28 (1),
    // Mon 29 (2), Tue 30 (3), National Day 1–8 Oct, Thu 9 (4), Fri 10 (5), due at the end of
    // that day in Shanghai. Closing under the default policies: 13 calendar days (domestic)
    // from the receipt (HQ has not accepted a case that is only being checked) to Thu 9 Oct.
    let json = check("2025-09-26T10:00:00+08:00", "domestic");
    let due = &json["due"];
    assert_eq!(due["reply"], "2025-09-27T10:00:00+08:00");
    assert_eq!(due["remedy"], "2025-09-28T10:00:00+08:00");
    assert_eq!(due["working_days"], "2025-10-10T23:59:59.999+08:00");
    assert_eq!(due["close"], "2025-10-09T10:00:00+08:00");
    assert!(due.get("report").is_none(), "{json}");
    // Exactly the five deadlines' names, each an RFC 3339 time.
    let names: Vec<&str> = due
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["close", "remedy", "reply", "working_days"]);
    for at in due.as_object().unwrap().values() {
        chrono::DateTime::parse_from_rfc3339(at.as_str().unwrap()).unwrap();
    }
    assert_eq!(
        json["after_event"]["report"],
        "3 days after the investigation"
    );
    assert_eq!(json["calendar_note"], Value::Null);
    assert_eq!(json["market"], "domestic");

    // Foreign: 17 days. Wed 30 Dec 2026 runs past the calendar into 2027, and says so:
    // Thu 31 (1), Fri 1 Jan 2027 (2, Monday to Friday), Mon 4 (3), Tue 5 (4), Wed 6 (5).
    let json = check("2026-12-30T17:00:00+08:00", "foreign");
    assert_eq!(json["due"]["close"], "2027-01-16T17:00:00+08:00");
    assert_eq!(json["due"]["working_days"], "2027-01-06T23:59:59.999+08:00");
    assert!(
        json["calendar_note"].as_str().unwrap().contains("2027"),
        "{json}"
    );

    // A date agreed with the customer replaces the working days, to the end of that day; the
    // other deadlines stay.
    let json = check_with(
        "2025-09-26T10:00:00+08:00",
        "domestic",
        &["--agreed-date", "2025-10-20"],
    );
    assert_eq!(json["due"]["working_days"], "2025-10-20T23:59:59.999+08:00");
    assert_eq!(json["due"]["close"], "2025-10-09T10:00:00+08:00");
    assert_eq!(json["agreed_date"], "2025-10-20");
    // A device clock in UTC still counts the Shanghai day: 02:30Z on Fri 26 Sep is 10:30
    // there, so the same working day is reached.
    let json = check("2025-09-26T02:30:00Z", "domestic");
    assert_eq!(json["due"]["working_days"], "2025-10-10T23:59:59.999+08:00");

    // The text form lists the same moments.
    let o = fieldctl(
        dir,
        &[
            "deadline",
            "check",
            "--received-at",
            "2025-09-26T10:00:00+08:00",
            "--market",
            "domestic",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("5 working days  2025-10-10T23:59:59.999+08:00"),
        "{text}"
    );
    assert!(text.contains("3 days after the investigation"), "{text}");

    // A time without an offset is refused.
    let o = fieldctl(
        dir,
        &[
            "--json",
            "deadline",
            "check",
            "--received-at",
            "2025-09-26T10:00:00",
            "--market",
            "domestic",
        ],
    );
    assert!(!o.status.success());
    let json: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(json["error"].to_string().contains("received_at"), "{json}");
    assert!(!dir.join(DB).exists());
}

#[test]
fn an_invoice_found_later_is_recorded_as_a_correction_and_the_warranty_decided_again() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    // Registered with no proof of purchase: the invoice flag and its value left out.
    let mut args = register_args(&[("--no-proof", "")]);
    let at = args.iter().position(|a| a == "--invoice").unwrap();
    args.drain(at..at + 2);
    args.push("--json".into());
    let mut all: Vec<&str> = vec!["--db", DB];
    all.extend(args.iter().map(String::as_str));
    let o = fieldctl(dir, &all);
    assert!(o.status.success(), "{}", stderr(&o));
    let registered: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let id = registered["case"]["id"].as_str().unwrap().to_owned();
    let case = id.as_str();
    for args in [
        vec!["case", "ack", case],
        vec!["case", "arrive", case],
        vec![
            "case",
            "confirm-defect",
            case,
            "--cause",
            "design_manufacturing",
            "--findings",
            "Stator winding short between turns",
        ],
        vec!["case", "decide-warranty", case],
    ] {
        ok(dir, &args);
    }
    let out = ok_json(dir, &["case", "show", case]);
    assert_eq!(
        out["warranty"]["current"]["value"]["rule"],
        "no_proof_of_purchase"
    );

    // Without a reason the command line refuses before anything is written.
    let o = fieldctl(
        dir,
        &["--db", DB, "case", "correct", case, "--invoice", "INV-77"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    let out = ok_json(
        dir,
        &[
            "case",
            "correct",
            case,
            "--invoice",
            "INV-77",
            "--reason",
            "Customer found the invoice",
        ],
    );
    assert_eq!(
        out["case"]["corrections"][0]["reason"],
        "Customer found the invoice"
    );
    assert!(out["case"]["warranty_stale"].is_object(), "{out}");
    let text = ok(dir, &["case", "show", case]);
    assert!(text.contains("STALE"), "{text}");
    assert!(text.contains("Corrections (1):"), "{text}");
    assert!(
        text.contains("reason: Customer found the invoice"),
        "{text}"
    );

    // Resolving on the old decision is refused with a clear message.
    let (stderr_text, json) = fails(
        dir,
        1,
        &[
            "case",
            "resolve",
            case,
            "--outcome",
            "repaired_on_site",
            "--summary",
            "Rewound",
        ],
    );
    assert_eq!(json["kind"], "stale_warranty", "{stderr_text}");

    let out = ok_json(dir, &["case", "decide-warranty", case]);
    assert_eq!(out["case"]["warranty"]["current"]["value"]["covered"], true);
    assert!(out["case"]["warranty_stale"].is_null(), "{out}");
    ok(
        dir,
        &[
            "case",
            "resolve",
            case,
            "--outcome",
            "repaired_on_site",
            "--summary",
            "Rewound",
        ],
    );
}

/// `fieldctl sync` against a real HQ on loopback, its token never on the command line: from a
/// file, from standard input, from FIELDCTL_TOKEN. Without any, it says where to put it.
#[test]
fn sync_takes_the_token_from_a_file_stdin_or_the_environment() {
    use std::io::Write;
    use std::process::Stdio;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = TempDir::new().unwrap();
    let hq = runtime
        .block_on(fieldhq::serve(fieldhq::ServeConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            dir.path().join("hq"),
        )))
        .unwrap();
    let token = runtime.block_on(async {
        fieldhq::admin::add_user(hq.storage(), "wang", fieldhq::Role::Engineer, None)
            .await
            .unwrap();
        fieldhq::admin::enrol_device(hq.storage(), "wang", Some("cli"))
            .await
            .unwrap()
            .token
    });
    register(dir.path(), &[]);
    let url = hq.url();
    let sync = |extra: &[&str]| {
        let mut args = vec!["--db", DB, "sync", "--hq", url.as_str()];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let command = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_fieldctl"));
        c.current_dir(dir.path())
            .env_remove("FIELDCTL_USER")
            .env_remove("FIELDCTL_TOKEN")
            .env_remove("FIELDCTL_HQ");
        c
    };

    let file = dir.path().join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let o = command()
        .args(sync(&["--token-file", file.to_str().unwrap()]))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 cases pushed"), "{}", stdout(&o));

    let mut child = command()
        .args(sync(&["--token-stdin"]))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{token}").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));

    let o = command()
        .env("FIELDCTL_TOKEN", &token)
        .args(sync(&[]))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));

    // No token anywhere: bad input (exit 2) naming the ways to give one.
    let o = command().args(sync(&[])).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--token-file"), "{}", stderr(&o));
    // An empty file and a missing one are refused the same way.
    std::fs::write(&file, "\n").unwrap();
    let o = command()
        .args(sync(&["--token-file", file.to_str().unwrap()]))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = command()
        .args(sync(&["--token-file", "/nonexistent/token"]))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    runtime.block_on(hq.shutdown()).unwrap();
}

#[test]
fn a_covered_case_closes_once_its_old_parts_are_accounted_for() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path();
    let id = register(dir, &[]);
    let case = id.as_str();
    ok(dir, &["case", "ack", case]);
    ok(dir, &["case", "arrive", case]);
    ok(
        dir,
        &[
            "case",
            "confirm-defect",
            case,
            "--cause",
            "design_manufacturing",
            "--findings",
            "bearing seized",
        ],
    );
    ok(dir, &["case", "decide-warranty", case]);
    let add = |number: &str| {
        ok_json(
            dir,
            &[
                "case",
                "part",
                "add",
                case,
                "--part-number",
                number,
                "--spec",
                "bearing 6308-2RS",
                "--qty",
                "2",
            ],
        )["entry_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let kept_line = add("BRG-6308");
    let lost_line = add("BRG-6205");
    ok(
        dir,
        &[
            "case",
            "resolve",
            case,
            "--outcome",
            "parts_replaced",
            "--summary",
            "bearings replaced",
        ],
    );
    ok(
        dir,
        &["case", "confirm", case, "--name", "Chen Jie", "--accepted"],
    );

    // Refused, naming both lines; the screen says what is needed.
    let (err, json) = fails(dir, 2, &["case", "close", case]);
    assert_eq!(json["field"], "status", "{json}");
    for (number, line) in [("BRG-6308", &kept_line), ("BRG-6205", &lost_line)] {
        assert!(err.contains(number), "{err}");
        assert!(err.contains(&line[line.len() - 8..]), "{err}");
    }
    let text = ok(dir, &["case", "show", case]);
    assert!(text.contains("needed before closing"), "{text}");

    ok(
        dir,
        &[
            "case", "part", "keep-old", case, &kept_line, "--tag", "T-0042",
        ],
    );
    ok(
        dir,
        &[
            "case",
            "part",
            "lost-old",
            case,
            &lost_line,
            "--reason",
            "dropped into the sump",
        ],
    );
    // The loss waits for HQ: still refused, for that line only.
    let (err, _) = fails(dir, 2, &["case", "close", case]);
    assert!(
        err.contains("BRG-6205") && !err.contains("BRG-6308"),
        "{err}"
    );
    assert!(err.contains("awaiting"), "{err}");
    let shown = ok_json(dir, &["case", "show", case]);
    assert_eq!(shown["parts"][0]["custody"]["state"], "kept");
    assert_eq!(shown["parts"][0]["custody"]["tag"], "T-0042");
    assert_eq!(
        shown["parts"][1]["custody"]["state"],
        "lost_awaiting_approval"
    );
    let text = ok(dir, &["case", "show", case]);
    assert!(text.contains("old part kept, tag T-0042"), "{text}");

    // The part is found after all and shipped back: the case closes.
    ok(
        dir,
        &[
            "case",
            "part",
            "ship-old",
            case,
            &lost_line,
            "--shipment",
            "SHP-2611-07",
            "--tag",
            "T-0043",
        ],
    );
    let out = ok_json(dir, &["case", "close", case]);
    assert_eq!(status(&out), "closed");
    let text = ok(dir, &["case", "show", case]);
    assert!(text.contains("shipment SHP-2611-07"), "{text}");
}
