//! The voucher of an approved quarterly write-off (核销凭证, ADR 0023): an Excel workbook for the
//! accounts (sheets 汇总 summary, 明细 one row per case and part number, 差异 the discrepancies)
//! and a printable page, as HTML and as an A4 PDF, for the file. Both are made from the same
//! reconciliation and approval, once, when HQ approves; HQ archives them as blobs.
//!
//! Every sheet heads its columns twice: Chinese in the first row, as the after-sales and
//! finance staff who file the voucher read it, English in the second, for support and for
//! scripts that find a column by a stable name. One workbook serves both, so the archived
//! voucher (whose hash HQ keeps) does not depend on who approved it in which language.
//! Numbers are numbers, dates Excel dates, amounts yuan with a currency format.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Timelike};
use chrono_tz::Tz;
use fieldcore::{
    Discrepancy, DiscrepancyKind, LineStatus, Locale, Localized, Quarter, Reconciliation,
    Timestamp, yuan_text,
};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::access::Role;
use crate::error::{Error, Result};
use crate::forms::{Block, Form};

/// Who approved the write-off, when, at which HQ: what the voucher states besides the
/// reconciliation.
#[derive(Debug, Clone, PartialEq)]
pub struct VoucherApproval {
    pub approved_by: String,
    pub approver_role: Role,
    pub approved_at: Timestamp,
    /// When the reconciliation was run.
    pub run_at: Timestamp,
    /// The HQ (company) the voucher is issued by, as printed in its heading.
    pub hq_name: String,
    /// The company's time zone, in which times are shown.
    pub time_zone: Tz,
}

/// The sheets' names, in order.
pub const SHEETS: [&str; 3] = ["汇总", "明细", "差异"];

/// Excel's format of an amount in yuan.
const YUAN_FORMAT: &str = "\"¥\"#,##0.00";

fn xlsx_error(e: XlsxError) -> Error {
    Error::internal(format!("writing the voucher workbook: {e}"))
}

fn excel_date(date: NaiveDate) -> Result<ExcelDateTime> {
    let year = u16::try_from(date.year()).map_err(|_| Error::internal("a date before year 0"))?;
    // month() is 1..=12 and day() 1..=31: both fit u8.
    ExcelDateTime::from_ymd(year, date.month() as u8, date.day() as u8).map_err(xlsx_error)
}

fn excel_time(at: &Timestamp, tz: Tz) -> Result<ExcelDateTime> {
    let local = at.with_timezone(&tz);
    excel_date(local.date_naive())?
        .and_hms(local.hour() as u16, local.minute() as u8, local.second())
        .map_err(xlsx_error)
}

fn yuan(fen: i64) -> f64 {
    // Amounts of a quarter's parts are far below 2^53 fen, where f64 is exact.
    fen as f64 / 100.0
}

fn covered_text(covered: Option<bool>, l: Locale) -> String {
    match covered {
        Some(true) => l.pick("是", "yes"),
        Some(false) => l.pick("否", "no"),
        None => l.pick("总部无此案件", "case unknown"),
    }
    .to_owned()
}

fn status_text(status: LineStatus, l: Locale) -> String {
    match status {
        LineStatus::Reconciled => l.pick("相符", "reconciled"),
        LineStatus::Discrepant => l.pick("有差异", "discrepant"),
    }
    .to_owned()
}

fn kinds_text(kinds: &[DiscrepancyKind], l: Locale) -> String {
    kinds
        .iter()
        .map(|k| k.text(l))
        .collect::<Vec<_>>()
        .join(l.pick("；", "; "))
}

fn quarters_text(quarters: &[Quarter]) -> String {
    quarters
        .iter()
        .map(Quarter::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value of the summary.
enum Value {
    Text(String),
    Count(i64),
    Yuan(i64),
    Date(NaiveDate),
    Time(Timestamp),
}

/// The summary's rows: (Chinese label, English label, value).
fn summary_rows(
    r: &Reconciliation,
    a: &VoucherApproval,
) -> Vec<(&'static str, &'static str, Value)> {
    let t = &r.totals;
    vec![
        ("总部", "HQ", Value::Text(a.hq_name.clone())),
        ("库存持有方", "Holder", Value::Text(r.holder.clone())),
        ("季度", "Quarter", Value::Text(r.quarter.to_string())),
        ("期间起", "From", Value::Date(r.quarter.first_day())),
        ("期间止", "To", Value::Date(r.quarter.last_day())),
        ("核对时间", "Reconciled at", Value::Time(a.run_at)),
        ("批准人", "Approved by", Value::Text(a.approved_by.clone())),
        (
            "批准人角色",
            "Approver's role",
            Value::Text(format!(
                "{} / {}",
                a.approver_role.text(Locale::ZhCn),
                a.approver_role.as_str()
            )),
        ),
        ("批准时间", "Approved at", Value::Time(a.approved_at)),
        ("案件数", "Cases", Value::Count(t.cases)),
        ("明细行数", "Lines", Value::Count(t.lines)),
        ("出库数量", "Units issued", Value::Count(t.issued)),
        (
            "其中三包",
            "Issued to covered cases",
            Value::Count(t.issued_covered),
        ),
        (
            "其中非三包",
            "Issued to other cases",
            Value::Count(t.issued_not_covered),
        ),
        (
            "案件登记数量",
            "Units recorded on cases",
            Value::Count(t.recorded),
        ),
        (
            "旧件已核",
            "Old parts accounted for",
            Value::Count(t.accounted),
        ),
        ("旧件缺失", "Old parts missing", Value::Count(t.missing)),
        (
            "更正出库记录",
            "Correction movements",
            Value::Count(t.corrections),
        ),
        (
            "差异：缺少旧件",
            "Discrepancies: missing old part",
            Value::Count(t.missing_old_parts),
        ),
        (
            "差异：领用于非三包案件",
            "Discrepancies: issued to a non-covered case",
            Value::Count(t.issued_to_non_covered),
        ),
        (
            "差异：数量不符",
            "Discrepancies: count mismatch",
            Value::Count(t.count_mismatches),
        ),
        ("出库金额", "Value issued", Value::Yuan(t.issued_fen)),
        (
            "核销金额",
            "Value written off",
            Value::Yuan(t.written_off_fen),
        ),
        (
            "缺失旧件金额",
            "Value of missing old parts",
            Value::Yuan(t.missing_fen),
        ),
        (
            "非三包领用金额",
            "Value issued to other cases",
            Value::Yuan(t.not_covered_fen),
        ),
        (
            "未定价配件",
            "Parts without a unit cost",
            Value::Text(t.unpriced.join(", ")),
        ),
    ]
}

/// The 明细 columns: (Chinese, English).
pub const LINE_COLUMNS: [(&str, &str); 15] = [
    ("案件编号", "case number"),
    ("案件标识", "case id"),
    ("三包", "covered"),
    ("配件编号", "part number"),
    ("出库数量", "issued"),
    ("登记数量", "recorded"),
    ("旧件已核", "old parts accounted"),
    ("旧件缺失", "old parts missing"),
    ("单价", "unit cost"),
    ("金额", "value"),
    ("出库记录", "movements"),
    ("配件记录", "part lines"),
    ("更正所属季度", "corrections of"),
    ("状态", "status"),
    ("差异", "discrepancies"),
];

/// The 差异 columns: (Chinese, English).
pub const DISCREPANCY_COLUMNS: [(&str, &str); 7] = [
    ("序号", "no."),
    ("类型", "kind"),
    ("案件编号", "case"),
    ("配件编号", "part number"),
    ("记录", "reference"),
    ("说明", "explanation (Chinese)"),
    ("Explanation", "explanation"),
];

fn heads(sheet: &mut Worksheet, columns: &[(&str, &str)], bold: &Format) -> Result<()> {
    for (c, (zh, en)) in columns.iter().enumerate() {
        let c = c as u16;
        sheet
            .write_string_with_format(0, c, *zh, bold)
            .map_err(xlsx_error)?;
        sheet
            .write_string_with_format(1, c, *en, bold)
            .map_err(xlsx_error)?;
    }
    sheet.set_freeze_panes(2, 0).map_err(xlsx_error)?;
    Ok(())
}

/// The voucher as an Excel workbook (`.xlsx`). Its bytes depend only on the reconciliation
/// and the approval (the workbook's creation time is the approval's), so the archived hash
/// can be re-checked by making it again.
pub fn xlsx(r: &Reconciliation, a: &VoucherApproval) -> Result<Vec<u8>> {
    let tz = a.time_zone;
    let mut book = Workbook::new();
    let created = excel_time(&a.approved_at, chrono_tz::UTC)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(format!("备件核销凭证 {} {}", r.holder, r.quarter))
            .set_author(a.hq_name.clone())
            .set_creation_datetime(&created),
    );
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let money = Format::new().set_num_format(YUAN_FORMAT);

    let sheet = book.add_worksheet();
    sheet.set_name(SHEETS[0]).map_err(xlsx_error)?;
    heads(
        sheet,
        &[
            ("项目", "item (Chinese)"),
            ("项目（英文）", "item"),
            ("数值", "value"),
        ],
        &bold,
    )?;
    for (i, (zh, en, value)) in summary_rows(r, a).into_iter().enumerate() {
        let row = i as u32 + 2;
        sheet.write_string(row, 0, zh).map_err(xlsx_error)?;
        sheet.write_string(row, 1, en).map_err(xlsx_error)?;
        match value {
            Value::Text(t) => sheet.write_string(row, 2, t),
            Value::Count(n) => sheet.write_number(row, 2, n as f64),
            Value::Yuan(fen) => sheet.write_number_with_format(row, 2, yuan(fen), &money),
            Value::Date(d) => sheet.write_datetime_with_format(row, 2, excel_date(d)?, &date),
            Value::Time(at) => {
                sheet.write_datetime_with_format(row, 2, excel_time(&at, tz)?, &time)
            }
        }
        .map_err(xlsx_error)?;
    }
    sheet.set_column_width(0, 22).map_err(xlsx_error)?;
    sheet.set_column_width(1, 40).map_err(xlsx_error)?;
    sheet.set_column_width(2, 24).map_err(xlsx_error)?;

    let sheet = book.add_worksheet();
    sheet.set_name(SHEETS[1]).map_err(xlsx_error)?;
    heads(sheet, &LINE_COLUMNS, &bold)?;
    for (i, line) in r.lines.iter().enumerate() {
        let row = i as u32 + 2;
        let texts = [
            (0, line.number.clone().unwrap_or_default()),
            (1, line.case_id.clone()),
            (2, covered_text(line.covered, Locale::ZhCn)),
            (3, line.part_number.clone()),
            (10, line.movements.join(", ")),
            (11, line.line_ids.join(", ")),
            (12, quarters_text(&line.corrections_of)),
            (13, status_text(line.status, Locale::ZhCn)),
            (14, kinds_text(&line.kinds, Locale::ZhCn)),
        ];
        for (c, text) in texts {
            sheet.write_string(row, c, text).map_err(xlsx_error)?;
        }
        for (c, n) in [
            (4, line.issued),
            (5, line.recorded),
            (6, line.accounted),
            (7, line.missing),
        ] {
            sheet.write_number(row, c, n as f64).map_err(xlsx_error)?;
        }
        for (c, fen) in [(8, line.unit_cost_fen), (9, line.value_fen)] {
            if let Some(fen) = fen {
                sheet
                    .write_number_with_format(row, c, yuan(fen), &money)
                    .map_err(xlsx_error)?;
            }
        }
    }
    for (c, width) in [(0, 12), (1, 38), (3, 14), (10, 24), (11, 24), (14, 24)] {
        sheet.set_column_width(c, width).map_err(xlsx_error)?;
    }

    let sheet = book.add_worksheet();
    sheet.set_name(SHEETS[2]).map_err(xlsx_error)?;
    heads(sheet, &DISCREPANCY_COLUMNS, &bold)?;
    for (i, d) in r.discrepancies.iter().enumerate() {
        let row = i as u32 + 2;
        sheet
            .write_number(row, 0, (i + 1) as f64)
            .map_err(xlsx_error)?;
        let texts = [
            format!("{} / {}", d.kind().text(Locale::ZhCn), d.kind().as_str()),
            d.case_label().to_owned(),
            d.part_number().to_owned(),
            d.reference(),
            d.text(Locale::ZhCn),
            d.text(Locale::En),
        ];
        for (c, text) in texts.into_iter().enumerate() {
            sheet
                .write_string(row, c as u16 + 1, text)
                .map_err(xlsx_error)?;
        }
    }
    for (c, width) in [(1, 30), (2, 14), (3, 14), (4, 16), (5, 60), (6, 60)] {
        sheet.set_column_width(c, width).map_err(xlsx_error)?;
    }
    book.save_to_buffer().map_err(xlsx_error)
}

fn field(label: (&str, &str), value: impl Into<String>, l: Locale) -> Block {
    Block::Field(l.pick(label.0, label.1).to_owned(), value.into())
}

fn time_text(at: &Timestamp, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// The voucher as printed forms (the blocks the HTML page and the PDF render), labelled in
/// `l`: the summary with the approval and signature lines, the lines, the discrepancies.
pub fn forms(r: &Reconciliation, a: &VoucherApproval, l: Locale) -> Vec<Form> {
    let tz = a.time_zone;
    let mut summary = vec![
        field(("总部", "HQ"), a.hq_name.clone(), l),
        field(("库存持有方", "Holder"), r.holder.clone(), l),
        field(
            ("季度", "Quarter"),
            format!(
                "{}（{} – {}）",
                r.quarter,
                r.quarter.first_day(),
                r.quarter.last_day()
            ),
            l,
        ),
        field(("核对时间", "Reconciled at"), time_text(&a.run_at, tz), l),
        field(
            ("批准", "Approved"),
            format!(
                "{}（{}）  {}",
                a.approved_by,
                a.approver_role.text(l),
                time_text(&a.approved_at, tz)
            ),
            l,
        ),
        Block::Heading(l.pick("汇总", "Summary").to_owned()),
    ];
    for (zh, en, value) in summary_rows(r, a).into_iter().skip(9) {
        let text = match value {
            Value::Text(t) => t,
            Value::Count(n) => n.to_string(),
            Value::Yuan(fen) => format!("¥{}", yuan_text(fen)),
            Value::Date(d) => d.to_string(),
            Value::Time(at) => time_text(&at, tz),
        };
        summary.push(field((zh, en), text, l));
    }
    summary.push(field(("经办人签字", "Prepared by (signature)"), "", l));
    summary.push(field(("审核人签字", "Checked by (signature)"), "", l));

    let lines = Form {
        title: l.pick("核销明细", "Write-off lines").to_owned(),
        blocks: vec![Block::Table {
            head: l
                .pick(
                    [
                        "案件编号",
                        "三包",
                        "配件编号",
                        "出库",
                        "登记",
                        "旧件已核",
                        "缺失",
                        "金额",
                        "状态",
                    ],
                    [
                        "case",
                        "covered",
                        "part",
                        "issued",
                        "recorded",
                        "accounted",
                        "missing",
                        "value",
                        "status",
                    ],
                )
                .map(str::to_owned)
                .to_vec(),
            rows: r
                .lines
                .iter()
                .map(|line| {
                    let mut status = status_text(line.status, l);
                    if !line.kinds.is_empty() {
                        status = format!("{status}：{}", kinds_text(&line.kinds, l));
                    }
                    if !line.corrections_of.is_empty() {
                        status = format!(
                            "{status}{}",
                            l.pick(
                                format!("（含 {} 更正）", quarters_text(&line.corrections_of)),
                                format!(" (corrects {})", quarters_text(&line.corrections_of)),
                            )
                        );
                    }
                    vec![
                        line.number.clone().unwrap_or_else(|| line.case_id.clone()),
                        covered_text(line.covered, l),
                        line.part_number.clone(),
                        line.issued.to_string(),
                        line.recorded.to_string(),
                        line.accounted.to_string(),
                        line.missing.to_string(),
                        line.value_fen.map(yuan_text).unwrap_or_default(),
                        status,
                    ]
                })
                .collect(),
        }],
    };
    let discrepancies = Form {
        title: l.pick("核销差异", "Discrepancies").to_owned(),
        blocks: vec![if r.discrepancies.is_empty() {
            field(("差异", "Discrepancies"), l.pick("无", "none"), l)
        } else {
            Block::Table {
                head: l
                    .pick(["序号", "类型", "说明"], ["no.", "kind", "explanation"])
                    .map(str::to_owned)
                    .to_vec(),
                rows: r
                    .discrepancies
                    .iter()
                    .enumerate()
                    .map(|(i, d): (usize, &Discrepancy)| {
                        vec![(i + 1).to_string(), d.kind().text(l), d.text(l)]
                    })
                    .collect(),
            }
        }],
    };
    vec![
        Form {
            title: l.pick(
                format!("三包配件季度核销凭证 {}", r.quarter),
                format!("Warranty parts write-off voucher {}", r.quarter),
            ),
            blocks: summary,
        },
        lines,
        discrepancies,
    ]
}

/// The voucher as a printable HTML page (Chinese labels).
pub fn html(r: &Reconciliation, a: &VoucherApproval) -> String {
    crate::forms::render_html(
        &format!("核销凭证 {} {}", r.holder, r.quarter),
        &forms(r, a, Locale::ZhCn),
        &BTreeMap::new(),
    )
}

/// The voucher as an A4 PDF (Chinese labels), text in `font` as the return forms
/// ([`crate::forms::load_font`]).
pub fn pdf(r: &Reconciliation, a: &VoucherApproval, font: &[u8]) -> Result<Vec<u8>> {
    crate::forms::render_pdf(&forms(r, a, Locale::ZhCn), &BTreeMap::new(), font)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    use fieldcore::{CaseLine, CaseParts, IssuedPart, OldPart, ReceivedOldPart, WriteoffInput};

    use super::*;

    fn input() -> WriteoffInput {
        let issue = |id: &str, case: &str, part: &str, q: i64| IssuedPart {
            movement_id: id.into(),
            case_id: case.into(),
            part_number: part.into(),
            quantity: q,
            at: "2026-11-08T09:30:00+08:00".into(),
            correction_of: None,
        };
        let line = |id: &str, part: &str, q: i64, old_part: OldPart| CaseLine {
            line_id: id.into(),
            part_number: part.into(),
            quantity: q,
            old_part,
        };
        WriteoffInput {
            holder: "center-north".into(),
            quarter: "2026Q4".parse().unwrap(),
            issues: vec![
                issue("m-1", "c-1", "BRG-6205", 2),
                issue("m-2", "c-2", "SEAL-35", 3),
                issue("m-3", "c-3", "BRG-6205", 1),
            ],
            cases: vec![
                CaseParts {
                    case_id: "c-1".into(),
                    number: Some("2610-0001".into()),
                    covered: true,
                    lines: vec![line(
                        "l-1",
                        "BRG-6205",
                        2,
                        OldPart::Shipped {
                            shipment_id: "s-9".into(),
                            tag: "T7".into(),
                        },
                    )],
                },
                CaseParts {
                    case_id: "c-2".into(),
                    number: Some("2611-0002".into()),
                    covered: true,
                    lines: vec![line("l-2", "SEAL-35", 2, OldPart::Returned)],
                },
                CaseParts {
                    case_id: "c-3".into(),
                    number: Some("2612-0003".into()),
                    covered: false,
                    lines: vec![line("l-3", "BRG-6205", 1, OldPart::Unrecorded)],
                },
            ],
            received: vec![ReceivedOldPart {
                shipment_id: "s-9".into(),
                tag: "T7".into(),
                part_number: "BRG-6205".into(),
                case_id: Some("c-1".into()),
                line_id: Some("l-1".into()),
                received: true,
            }],
            unit_costs: BTreeMap::from([
                ("BRG-6205".into(), "38.50".into()),
                ("SEAL-35".into(), "4.2".into()),
            ]),
            time_zone: Default::default(),
        }
    }

    fn approval() -> VoucherApproval {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        VoucherApproval {
            approved_by: "wu".into(),
            approver_role: Role::CsManager,
            approved_at: at("2027-01-05T09:30:00+08:00"),
            run_at: at("2027-01-04T08:00:00Z"),
            hq_name: "华东电机总部".into(),
            time_zone: chrono_tz::Asia::Shanghai,
        }
    }

    use chrono::DateTime;

    /// Excel's serial day number of `date` (days since 1899-12-30).
    fn serial(date: &str) -> f64 {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64
    }

    fn cell(range: &calamine::Range<Data>, row: u32, col: u32) -> Data {
        range.get_value((row, col)).cloned().unwrap_or(Data::Empty)
    }

    /// The summary's value of the row whose English label is `label`.
    fn summary(range: &calamine::Range<Data>, label: &str) -> Data {
        let row = (2..range.height() as u32)
            .find(|&r| cell(range, r, 1) == Data::String(label.into()))
            .unwrap_or_else(|| panic!("no summary row {label}"));
        cell(range, row, 2)
    }

    fn float(d: &Data) -> f64 {
        match d {
            Data::Float(f) => *f,
            Data::Int(i) => *i as f64,
            Data::DateTime(t) => t.as_f64(),
            other => panic!("not a number: {other:?}"),
        }
    }

    #[test]
    fn the_workbook_holds_the_values_cell_by_cell() {
        let r = fieldcore::reconcile_writeoff(&input()).unwrap();
        assert_eq!(r.discrepancies.len(), 2, "{:?}", r.discrepancies);
        let bytes = xlsx(&r, &approval()).unwrap();
        assert_eq!(
            bytes,
            xlsx(&r, &approval()).unwrap(),
            "made again, byte for byte"
        );
        let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), SHEETS.map(str::to_owned).to_vec());

        let sum = book.worksheet_range("汇总").unwrap();
        assert_eq!(cell(&sum, 0, 2), Data::String("数值".into()));
        assert_eq!(cell(&sum, 1, 2), Data::String("value".into()));
        assert_eq!(summary(&sum, "HQ"), Data::String("华东电机总部".into()));
        assert_eq!(summary(&sum, "Quarter"), Data::String("2026Q4".into()));
        assert_eq!(float(&summary(&sum, "Cases")), 3.0);
        assert_eq!(float(&summary(&sum, "Units issued")), 6.0);
        assert_eq!(float(&summary(&sum, "Old parts missing")), 0.0);
        assert_eq!(float(&summary(&sum, "Discrepancies: count mismatch")), 1.0);
        assert_eq!(
            float(&summary(
                &sum,
                "Discrepancies: issued to a non-covered case"
            )),
            1.0
        );
        // 2 × 38.50 + 3 × 4.20 written off; 38.50 issued to the paid case.
        assert_eq!(float(&summary(&sum, "Value written off")), 89.6);
        assert_eq!(float(&summary(&sum, "Value issued")), 128.1);
        assert_eq!(float(&summary(&sum, "Value issued to other cases")), 38.5);
        // Dates are Excel dates: the quarter's bounds, and the approval in Shanghai's time.
        let from = summary(&sum, "From");
        assert!(matches!(from, Data::DateTime(_)), "{from:?}");
        assert_eq!(float(&from), serial("2026-10-01"));
        assert_eq!(float(&summary(&sum, "To")), serial("2026-12-31"));
        let approved = summary(&sum, "Approved at");
        assert!(matches!(approved, Data::DateTime(_)), "{approved:?}");
        assert!((float(&approved) - (serial("2027-01-05") + 9.5 / 24.0)).abs() < 1e-6);
        let run = summary(&sum, "Reconciled at");
        assert!((float(&run) - (serial("2027-01-04") + 16.0 / 24.0)).abs() < 1e-6);

        let lines = book.worksheet_range("明细").unwrap();
        assert_eq!(cell(&lines, 0, 0), Data::String("案件编号".into()));
        assert_eq!(cell(&lines, 1, 0), Data::String("case number".into()));
        assert_eq!(lines.height(), 2 + r.lines.len());
        // 2611-0002: 3 seals issued, 2 recorded, at 4.20.
        let row = (2..lines.height() as u32)
            .find(|&row| cell(&lines, row, 0) == Data::String("2611-0002".into()))
            .unwrap();
        assert_eq!(cell(&lines, row, 3), Data::String("SEAL-35".into()));
        let numbers: Vec<f64> = (4..10).map(|c| float(&cell(&lines, row, c))).collect();
        assert_eq!(numbers, [3.0, 2.0, 2.0, 0.0, 4.2, 12.6]);
        assert_eq!(cell(&lines, row, 10), Data::String("m-2".into()));
        assert_eq!(cell(&lines, row, 13), Data::String("有差异".into()));
        assert_eq!(cell(&lines, row, 14), Data::String("数量不符".into()));

        let diffs = book.worksheet_range("差异").unwrap();
        assert_eq!(diffs.height(), 2 + 2);
        // Discrepancies in kind order: the issue to the paid case, then the mismatch.
        assert_eq!(float(&cell(&diffs, 2, 0)), 1.0);
        assert_eq!(
            cell(&diffs, 2, 1),
            Data::String("领用于非三包案件 / issued_to_non_covered_case".into())
        );
        assert_eq!(cell(&diffs, 2, 2), Data::String("2612-0003".into()));
        assert_eq!(cell(&diffs, 2, 4), Data::String("m-3".into()));
        assert_eq!(
            cell(&diffs, 3, 5),
            Data::String(
                "案件 2611-0002 的 SEAL-35：台账出库 3 件（出库记录 m-2），案件登记使用 2 件"
                    .into()
            )
        );
        assert_eq!(
            cell(&diffs, 3, 6),
            Data::String(r.discrepancies[1].text(Locale::En))
        );
    }

    #[test]
    fn the_printed_voucher_shows_every_line_as_html_and_as_a_pdf() {
        let r = fieldcore::reconcile_writeoff(&input()).unwrap();
        let page = html(&r, &approval());
        for text in [
            "三包配件季度核销凭证 2026Q4",
            "华东电机总部",
            "2610-0001",
            "2611-0002",
            "2612-0003",
            "BRG-6205",
            "SEAL-35",
            "¥89.60",
            "wu（客户服务部经理）  2027-01-05 09:30",
            "数量不符",
        ] {
            assert!(page.contains(text), "the HTML lacks {text}");
        }
        let Ok(font) = crate::forms::load_font(None) else {
            panic!(
                "no CJK font at {:?}: install fonts-wqy-microhei (tests/run.sh does)",
                crate::forms::DEFAULT_FONTS
            );
        };
        let bytes = pdf(&r, &approval(), &font).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("voucher.pdf");
        std::fs::write(&file, &bytes).unwrap();
        // poppler-utils (tests/run.sh installs it) reads the pages and the text back.
        let info = std::process::Command::new("pdfinfo")
            .arg(&file)
            .output()
            .unwrap();
        assert!(info.status.success());
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(
            info.lines()
                .any(|l| l.starts_with("Pages:") && l.ends_with(" 3")),
            "one page per form: {info}"
        );
        let text = std::process::Command::new("pdftotext")
            .arg(&file)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        for label in ["核销明细", "核销差异", "2611-0002", "SEAL-35"] {
            assert!(text.contains(label), "the PDF lacks {label}: {text}");
        }
    }
}
