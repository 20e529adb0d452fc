//! `fieldhq parts` and `fieldhq writeoff` as HQ's people run them: the inbox, a write-off run
//! on an empty quarter, refusals of bad holders and quarters in both languages, nothing
//! written by a refused approval.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::fieldhq_command;

fn run(data: &std::path::Path, lang: &str, args: &[&str]) -> (bool, String) {
    let out = fieldhq_command(data)
        .args(["--lang", lang])
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn parts_and_writeoff_commands_answer_and_refuse_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (ok, text) = run(data, "en", &["user", "add", "wu", "--role", "cs_manager"]);
    assert!(ok, "{text}");
    let (ok, text) = run(data, "en", &["parts", "pending"]);
    assert!(ok && text.contains("nothing is waiting"), "{text}");
    let (ok, text) = run(data, "zh-CN", &["parts", "pending"]);
    assert!(ok && text.contains("没有待审批"), "{text}");

    let (ok, text) = run(
        data,
        "en",
        &[
            "writeoff",
            "run",
            "--holder",
            "center:C01",
            "--quarter",
            "2026Q4",
        ],
    );
    assert!(ok && text.contains("0 discrepancies"), "{text}");
    let (ok, text) = run(
        data,
        "zh-CN",
        &["writeoff", "run", "--holder", "C01", "--quarter", "2026Q4"],
    );
    assert!(!ok && text.contains("不是库存持有方"), "{text}");
    let (ok, text) = run(
        data,
        "en",
        &[
            "writeoff",
            "run",
            "--holder",
            "center:C01",
            "--quarter",
            "2026Q5",
        ],
    );
    assert!(!ok && text.contains("not a quarter"), "{text}");
    let (ok, text) = run(
        data,
        "en",
        &[
            "writeoff",
            "approve",
            "--holder",
            "center:C01",
            "--quarter",
            "2026Q3",
            "--by",
            "wu",
        ],
    );
    assert!(!ok && text.contains("has not been run"), "{text}");
    // A quarter without ledgers: nothing to run for any holder.
    let (ok, text) = run(
        data,
        "en",
        &["writeoff", "run", "--all", "--quarter", "2026Q4"],
    );
    assert!(ok && text.trim().is_empty(), "{text}");
    let (ok, text) = run(
        data,
        "en",
        &[
            "writeoff",
            "run",
            "--all",
            "--holder",
            "center:C01",
            "--quarter",
            "2026Q4",
        ],
    );
    assert!(!ok && text.contains("cannot be used with"), "{text}");
    let (ok, text) = run(data, "en", &["parts", "ledgers"]);
    assert!(ok && text.trim().is_empty(), "nothing written: {text}");
}
