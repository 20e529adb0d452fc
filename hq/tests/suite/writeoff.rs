//! The quarterly write-off at HQ (issue 14) on each backend: a run is recorded and may be run
//! again, the approval is refused to the wrong role with nothing written, given once by the
//! customer-service manager (a second approval and a new run are refused), and the voucher
//! archived in the blob store comes back byte for byte, its hashes checked.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::DateTime;
use fieldcore::{
    CaseLine, CaseParts, IssuedPart, Locale, OldPart, Quarter, ReceivedOldPart, WriteoffInput,
};
use fieldhq::blobs::BlobStore;
use fieldhq::writeoff::{self, Approval};
use fieldhq::{Error, Role, User};

use crate::common::{Backend, TestHq};

fn q4() -> Quarter {
    "2026Q4".parse().unwrap()
}

fn at(s: &str) -> fieldcore::Timestamp {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// A holder's quarter: one case reconciles, one misses an old part (shipped, missing at
/// HQ's check), one paid case was issued a part.
fn input() -> WriteoffInput {
    let issue = |id: &str, case: &str, part: &str, q: i64| IssuedPart {
        movement_id: id.into(),
        case_id: case.into(),
        part_number: part.into(),
        quantity: q,
        at: "2026-12-02T15:00:00+08:00".into(),
        correction_of: None,
    };
    let case = |id: &str, number: &str, covered: bool, lines: Vec<CaseLine>| CaseParts {
        case_id: id.into(),
        number: Some(number.into()),
        covered,
        lines,
    };
    let line = |id: &str, part: &str, old_part: OldPart| CaseLine {
        line_id: id.into(),
        part_number: part.into(),
        quantity: 1,
        old_part,
    };
    WriteoffInput {
        holder: "dealer-wuxi".into(),
        quarter: q4(),
        issues: vec![
            issue("m-1", "c-1", "IMP-80", 1),
            issue("m-2", "c-2", "IMP-80", 1),
            issue("m-3", "c-3", "SEAL-35", 1),
        ],
        cases: vec![
            case(
                "c-1",
                "2612-0001",
                true,
                vec![line("l-1", "IMP-80", OldPart::Kept { tag: "K-1".into() })],
            ),
            case(
                "c-2",
                "2612-0002",
                true,
                vec![line(
                    "l-2",
                    "IMP-80",
                    OldPart::Shipped {
                        shipment_id: "s-1".into(),
                        tag: "T-2".into(),
                    },
                )],
            ),
            case(
                "c-3",
                "2612-0003",
                false,
                vec![line("l-3", "SEAL-35", OldPart::Unrecorded)],
            ),
        ],
        received: vec![ReceivedOldPart {
            shipment_id: "s-1".into(),
            tag: "T-2".into(),
            part_number: "IMP-80".into(),
            case_id: Some("c-2".into()),
            line_id: Some("l-2".into()),
            received: false,
        }],
        unit_costs: BTreeMap::from([("IMP-80".into(), "120".into())]),
        time_zone: Default::default(),
    }
}

async fn run(hq: &TestHq, input: WriteoffInput, when: &str) -> fieldhq::Result<usize> {
    let when = at(when);
    hq.storage()
        .transaction(move |tx| {
            Box::pin(async move {
                let r = writeoff::run_recorded(tx, &input, Some("zhang"), when).await?;
                Ok(r.discrepancies.len())
            })
        })
        .await
}

async fn approve(
    hq: &TestHq,
    blobs: &BlobStore,
    by: &User,
    font: &[u8],
) -> fieldhq::Result<writeoff::Approved> {
    let blobs = blobs.clone();
    let approval = Approval {
        by: by.clone(),
        at: at("2027-01-06T10:15:00+08:00"),
        hq_name: "华东电机总部".into(),
        time_zone: fieldhq::state::DEFAULT_TIME_ZONE,
        font: font.to_vec(),
    };
    hq.storage()
        .transaction(move |tx| {
            Box::pin(
                async move { writeoff::approve(tx, &blobs, "dealer-wuxi", q4(), &approval).await },
            )
        })
        .await
}

async fn row(hq: &TestHq) -> Option<writeoff::WriteoffRow> {
    hq.storage()
        .read(|tx| Box::pin(async move { writeoff::get(tx, "dealer-wuxi", q4()).await }))
        .await
        .unwrap()
}

pub async fn a_writeoff_is_approved_once_by_its_roles_and_its_voucher_archived(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let wu = hq.user("wu", Role::CsManager, None).await;
    let li = hq.user("li", Role::Quality, None).await;
    let wang = hq.user("wang", Role::Engineer, None).await;
    let blobs = hq.blobs().await;
    let Ok(font) = fieldhq::forms::load_font(None) else {
        panic!("no CJK font: install fonts-wqy-microhei (tests/run.sh does)");
    };

    // Nothing to approve before a run.
    let refused = approve(&hq, &blobs, &wu, &font).await.unwrap_err();
    assert!(
        refused.to_string().contains("has not been run"),
        "{refused}"
    );

    // A movement dated outside the quarter is no input: refused, nothing recorded.
    let mut bad = input();
    bad.issues[0].at = "2027-01-02T09:00:00+08:00".into();
    let refused = run(&hq, bad, "2027-01-05T09:00:00+08:00")
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Refused { .. }), "{refused}");
    assert!(
        refused.text(Locale::ZhCn).contains("不在 2026Q4 季度内"),
        "{refused:?}"
    );
    assert_eq!(row(&hq).await, None);

    // A run, and a run again: the second replaces the first.
    assert_eq!(
        run(&hq, input(), "2027-01-05T09:00:00+08:00")
            .await
            .unwrap(),
        2
    );
    let mut fixed = input();
    fixed.cases[1].lines[0].old_part = OldPart::Returned;
    assert_eq!(
        run(&hq, fixed, "2027-01-05T17:00:00+08:00").await.unwrap(),
        1
    );
    let stored = row(&hq).await.unwrap();
    assert_eq!(stored.status, writeoff::RUN);
    assert_eq!(stored.run_at, at("2027-01-05T17:00:00+08:00").timestamp());
    assert_eq!(stored.run_by.as_deref(), Some("zhang"));
    assert_eq!(stored.approved_by, None);

    // The wrong role: refused in both languages, nothing written, no voucher made.
    let files = hq.blob_count().await;
    let refused = approve(&hq, &blobs, &wang, &font).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("approval by the wrong role refused at HQ"),
        "{refused}"
    );
    assert!(
        refused
            .text(Locale::ZhCn)
            .contains("客户服务部经理或品保部"),
        "{refused:?}"
    );
    assert_eq!(row(&hq).await.unwrap(), stored);
    assert_eq!(hq.blob_count().await, files);

    // The CS manager approves; the voucher's three files are archived under their hashes.
    let approved = approve(&hq, &blobs, &wu, &font).await.unwrap();
    assert_eq!(approved.row.status, writeoff::APPROVED);
    assert_eq!(approved.row.approved_by.as_deref(), Some("wu"));
    assert_eq!(
        approved.row.approved_at,
        Some(at("2027-01-06T10:15:00+08:00").timestamp())
    );
    assert_eq!(hq.blob_count().await, files + 3);
    assert_eq!(row(&hq).await.unwrap(), approved.row);

    // Approved once: quality's approval and a new run are refused, the row unchanged.
    let refused = approve(&hq, &blobs, &li, &font).await.unwrap_err();
    assert!(
        refused.to_string().contains("was approved by wu"),
        "{refused}"
    );
    let refused = run(&hq, input(), "2027-01-07T09:00:00+08:00")
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("an approved write-off is final"),
        "{refused}"
    );
    assert_eq!(row(&hq).await.unwrap(), approved.row);

    // The export reads the archive back and checks it.
    let reader = blobs.clone();
    let voucher = hq
        .storage()
        .read(move |tx| {
            Box::pin(async move { writeoff::export(tx, &reader, "dealer-wuxi", q4()).await })
        })
        .await
        .unwrap();
    assert_eq!(
        Some(fieldcore::sha256_hex(&voucher.xlsx)),
        voucher.row.voucher_xlsx_sha256
    );
    assert!(voucher.pdf.starts_with(b"%PDF"));
    assert!(voucher.html.contains("2612-0003") && voucher.html.contains("IMP-80"));
    assert_eq!(voucher.reconciliation, approved.reconciliation);
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(voucher.xlsx)).unwrap();
    let sum = book.worksheet_range("汇总").unwrap();
    let value = |label: &str| {
        let r = (0..sum.height() as u32)
            .find(|&r| sum.get_value((r, 1)) == Some(&Data::String(label.into())))
            .unwrap();
        sum.get_value((r, 2)).cloned().unwrap()
    };
    assert_eq!(value("Approved by"), Data::String("wu".into()));
    assert_eq!(value("Value written off"), Data::Float(240.0));
    assert_eq!(
        value("Discrepancies: issued to a non-covered case"),
        Data::Float(1.0)
    );
    let diffs = book.worksheet_range("差异").unwrap();
    assert_eq!(
        diffs.height(),
        3,
        "two heading rows and the one discrepancy"
    );

    let listed = hq
        .storage()
        .read(|tx| Box::pin(async move { writeoff::list(tx, None).await }))
        .await
        .unwrap();
    assert_eq!(listed, vec![approved.row]);
    // A corrupted archive is noticed, not exported (a file damaged in the folder; a bucket's
    // objects are written only through the checked upload).
    let fieldhq::blobs::BlobLocation::Folder(folder) = hq.config.blob_location() else {
        return;
    };
    let hash = voucher.row.voucher_pdf_sha256.clone().unwrap();
    let path = folder.join(&hash[..2]).join(&hash);
    std::fs::write(&path, b"%PDF-1.7 damaged").unwrap();
    let reader = blobs.clone();
    let failed = hq
        .storage()
        .read(move |tx| {
            Box::pin(async move { writeoff::export(tx, &reader, "dealer-wuxi", q4()).await })
        })
        .await
        .unwrap_err();
    assert!(
        failed.to_string().contains("does not match its hash"),
        "{failed}"
    );
}

/// Puts `holder`'s quarter into the read model as syncs would: a ledger, one issue per case
/// with its part line; `paid` cases are not covered (a discrepancy each), the others keep
/// their old part under a tag.
async fn seed_ledger(hq: &TestHq, holder: &str, quarter: &str, cases: usize, paid: usize) {
    use fieldhq::storage::{IssuedCase, LedgerModel, MovementRow, NewLedger, PartLineRow};
    let user = hq
        .user(&format!("seed-{holder}-{quarter}"), Role::HqStaff, None)
        .await;
    let parsed: fieldcore::Holder = holder.parse().unwrap();
    let ledger = fieldcore::ledger_id(&parsed, quarter.parse().unwrap());
    let start = at("2026-10-08T09:00:00+08:00").timestamp();
    let (holder, quarter) = (holder.to_owned(), quarter.to_owned());
    let mut movements = Vec::new();
    let mut issued = Vec::new();
    let mut lines = Vec::new();
    for i in 0..cases {
        let case_id = uuid::Uuid::now_v7().to_string();
        let covered = i >= paid;
        movements.push(MovementRow {
            ledger_id: ledger,
            movement_id: uuid::Uuid::now_v7().to_string(),
            holder: holder.clone(),
            booked_quarter: quarter.clone(),
            correction_of: None,
            kind: "issue".into(),
            part_number: "BRG-6205".into(),
            quantity: 1,
            delta: -1,
            at: start + i as i64 * 3600,
            by_user: "zhao".into(),
            case_id: Some(case_id.clone()),
            line: Some(format!("L{i}")),
        });
        issued.push(IssuedCase {
            case_id: case_id.clone(),
            number: format!("2610-{i:04}"),
            covered: Some(covered),
        });
        lines.push(PartLineRow {
            case_id,
            line_id: format!("L{i}"),
            case_number: format!("2610-{i:04}"),
            covered,
            part_number: "BRG-6205".into(),
            quantity: 1,
            old_part: serde_json::json!({"fate": "kept", "tag": format!("T-{i}")}).to_string(),
        });
    }
    let new = NewLedger {
        ledger_id: ledger,
        holder: holder.clone(),
        quarter: quarter.clone(),
        created_by: user.id,
        created_device: None,
        routed_center: None,
        assigned_engineer: None,
        sync_seq: 0,
        created_at: start,
    };
    let model = LedgerModel {
        ledger_id: ledger,
        closed_at: None,
        new_movements: movements,
        requests: Vec::new(),
        shipment_parts: Vec::new(),
    };
    hq.storage()
        .transaction(move |tx| {
            Box::pin(async move {
                tx.insert_ledger(&new).await?;
                tx.write_ledger_model(&model).await?;
                tx.replace_case_part_lines(&issued, &lines).await
            })
        })
        .await
        .unwrap();
}

pub async fn a_quarters_run_of_every_holder_records_each_and_reports_the_refused(backend: Backend) {
    let hq = TestHq::start(backend).await;
    let wu = hq.user("wu", Role::CsManager, None).await;
    let blobs = BlobStore::open(&hq.config.data_dir).unwrap();
    let font = fieldhq::forms::load_font(None).expect("a CJK font (tests/run.sh installs one)");
    let tz = fieldhq::state::DEFAULT_TIME_ZONE;
    seed_ledger(&hq, "center:C01", "2026Q4", 6, 2).await;
    seed_ledger(&hq, "center:C02", "2026Q4", 3, 1).await;
    seed_ledger(&hq, "dealer:wuxi", "2026Q4", 4, 0).await;
    // Another quarter's ledger is not this quarter's to run.
    seed_ledger(&hq, "center:C09", "2026Q3", 2, 1).await;

    // C02's quarter is approved already: its run is refused, the others still run.
    let input = |holder: &'static str| {
        hq.storage().read(move |tx| {
            Box::pin(async move { fieldhq::writeoff_input::input(tx, holder, q4(), tz).await })
        })
    };
    let c02 = input("center:C02").await.unwrap();
    run(&hq, c02, "2027-01-04T09:00:00+08:00").await.unwrap();
    let approval = Approval {
        by: wu.clone(),
        at: at("2027-01-04T10:00:00+08:00"),
        hq_name: "华东电机总部".into(),
        time_zone: tz,
        font,
    };
    let approver = blobs.clone();
    hq.storage()
        .transaction(move |tx| {
            Box::pin(async move {
                writeoff::approve(tx, &approver, "center:C02", q4(), &approval).await
            })
        })
        .await
        .unwrap();

    let when = at("2027-01-05T09:00:00+08:00");
    let runs =
        fieldhq::writeoff_quarter::run_quarter(hq.storage(), q4(), Some("wu".into()), when, tz)
            .await
            .unwrap();
    let holders: Vec<&str> = runs.iter().map(|r| r.holder.as_str()).collect();
    assert_eq!(holders, ["center:C01", "center:C02", "dealer:wuxi"]);
    let c01 = runs[0].outcome.as_ref().unwrap();
    assert_eq!((c01.lines, c01.discrepancies), (6, 2));
    let refused = runs[1].outcome.as_ref().unwrap_err();
    assert!(matches!(refused, Error::Refused { .. }), "{refused}");
    let wuxi = runs[2].outcome.as_ref().unwrap();
    assert_eq!((wuxi.lines, wuxi.discrepancies), (4, 0));

    // Each recorded run is the one a single run of that holder records.
    for holder in ["center:C01", "dealer:wuxi"] {
        let stored = hq
            .storage()
            .read(move |tx| Box::pin(async move { writeoff::get(tx, holder, q4()).await }))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, writeoff::RUN);
        assert_eq!(stored.run_by.as_deref(), Some("wu"));
        let (_, single) =
            writeoff::reconcile(&input(holder).await.unwrap(), Some("wu"), when).unwrap();
        assert_eq!(
            stored.reconciliation_json, single.reconciliation_json,
            "{holder}"
        );
    }
    let approved = hq
        .storage()
        .read(|tx| Box::pin(async move { writeoff::get(tx, "center:C02", q4()).await }))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        approved.status,
        writeoff::APPROVED,
        "an approved run is never replaced"
    );
}
