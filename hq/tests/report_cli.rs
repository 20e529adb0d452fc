//! `fieldhq report` and `fieldhq shipments` as HQ's people run them: a draft generated, issued
//! once, re-opened only by quality with a reason, exported to Excel and HTML; a bad shipments
//! file refused naming its line, in both languages.
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
fn report_commands_issue_reopen_export_and_refuse_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.as_path();
    for (name, role) in [("qin", "quality"), ("li", "hq-staff")] {
        let (ok, text) = run(data, "en", &["user", "add", name, "--role", role]);
        assert!(ok, "{text}");
    }
    let csv = dir.path().join("shipments.csv");
    std::fs::write(&csv, "month,model,quantity\n2026-11,A,10\n2026-11,B,x\n").unwrap();
    let (ok, text) = run(data, "en", &["shipments", "import", csv.to_str().unwrap()]);
    assert!(!ok && text.contains("line 3"), "{text}");
    let (ok, text) = run(
        data,
        "zh-CN",
        &["shipments", "import", csv.to_str().unwrap()],
    );
    assert!(!ok && text.contains("第 3 行"), "{text}");
    std::fs::write(&csv, "month,model,quantity\n2026-11,A,10\n").unwrap();
    let (ok, text) = run(data, "en", &["shipments", "import", csv.to_str().unwrap()]);
    assert!(
        ok && text.contains("1 shipment rows imported (2026-11), 10 units"),
        "{text}"
    );

    let (ok, text) = run(data, "en", &["report", "generate", "--month", "2026-11"]);
    assert!(ok && text.contains("2026-11: draft"), "{text}");
    let (ok, text) = run(
        data,
        "en",
        &[
            "report", "generate", "--month", "2026-11", "--format", "json",
        ],
    );
    assert!(ok, "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["report"]["total"], 0);
    assert_eq!(json["state"]["state"], "draft");
    let (ok, text) = run(data, "zh-CN", &["report", "generate", "--month", "2026-13"]);
    assert!(!ok && text.contains("YYYY-MM"), "{text}");

    let (ok, text) = run(
        data,
        "en",
        &["report", "issue", "--month", "2026-11", "--as", "li"],
    );
    assert!(ok && text.contains("report 2026-11 issued by li"), "{text}");
    let (ok, text) = run(
        data,
        "zh-CN",
        &["report", "issue", "--month", "2026-11", "--as", "qin"],
    );
    assert!(!ok && text.contains("已由 li 签发"), "{text}");
    let (ok, text) = run(
        data,
        "en",
        &[
            "report", "reopen", "--month", "2026-11", "--as", "li", "--reason", "late",
        ],
    );
    assert!(!ok && text.contains("only quality"), "{text}");
    let (ok, text) = run(
        data,
        "en",
        &[
            "report",
            "reopen",
            "--month",
            "2026-11",
            "--as",
            "qin",
            "--reason",
            "late case",
        ],
    );
    assert!(ok && text.contains("re-opened by qin"), "{text}");

    let xlsx = dir.path().join("r.xlsx");
    let html = dir.path().join("r.html");
    let (ok, text) = run(
        data,
        "zh-CN",
        &[
            "report",
            "export",
            "--month",
            "2026-11",
            "--xlsx",
            xlsx.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
    );
    assert!(ok, "{text}");
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("产品质量信息月报 2026-11") && page.contains("<svg"),
        "{page}"
    );
}
