//! The printed forms of a return (`fieldhq rma print`, ADR 0020), which the warehouse files as
//! the procedure requires: the return/exchange/repair slip (产品退换维修单) with the approval
//! chain, the return receipt (退货产品接收单) with the receiving checks A–G raised and their
//! notes, and, for an exchange, the exchange slip (退货产品换货单). Each form is built once as
//! plain blocks ([`forms`]) from the return's view, and rendered as text (`rma show`), as a
//! self-contained HTML page (thumbnails inlined as `data:` URIs) or as a PDF embedding the
//! subset of a CJK font it uses, so the three always say the same.
//! The page and PDF layouts ([`render_html`], [`render_pdf`]) take any forms: the quarterly
//! write-off's voucher ([`crate::voucher`]) prints through them too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use fieldcore::{
    Freight, InspectionResult, Locale, Localized, ReceiptOutcome, ReceiptView, ReceivingCheck,
    ReturnKind, Role, Stamp, StepView, Timestamp,
};

use crate::blobs::BlobStore;
use crate::error::{Error, Result};
use crate::returns::ReturnDetail;

/// Where `fieldhq rma print --format pdf` looks for a font with Chinese glyphs, in order,
/// when `--font` is not given: the Debian/Ubuntu paths of WenQuanYi Micro Hei
/// (`fonts-wqy-microhei`, what CI installs), Noto Sans CJK (`fonts-noto-cjk`), WenQuanYi Zen
/// Hei and Droid Sans Fallback.
pub const DEFAULT_FONTS: [&str; 4] = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
];

/// What `rma print` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Pdf,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "html" => Some(Format::Html),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Pdf => "pdf",
        }
    }
}

/// One form: its title and its blocks, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    pub title: String,
    pub blocks: Vec<Block>,
}

/// A piece of a form.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(String),
    /// A label and its value.
    Field(String, String),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// Photos of the case, by content hash, each with its caption.
    Photos(Vec<(String, String)>),
}

/// A photo's thumbnail as HQ holds it: its bytes and their type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// The text of a return state (`awaiting_approval`, ...) in `l`; an unknown one as stored.
pub fn state_text(state: &str, l: Locale) -> String {
    use fieldcore::ReturnState as S;
    [
        S::AwaitingApproval,
        S::Rejected,
        S::AwaitingGoods,
        S::AwaitingInspection,
        S::AwaitingAnalysis,
        S::AwaitingReplenishment,
        S::AwaitingCustomer,
        S::Done,
    ]
    .into_iter()
    .find(|s| s.as_str() == state)
    .map(|s| s.text(l))
    .unwrap_or_else(|| state.to_owned())
}

/// The text of a role name (`cs_manager`, ...) in `l`; an unknown one as stored.
pub fn role_text(role: &str, l: Locale) -> String {
    Role::parse(role)
        .map(|r| r.text(l))
        .unwrap_or_else(|| role.to_owned())
}

fn time(at: &Timestamp, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

fn stamp(s: &Stamp, tz: Tz) -> String {
    format!("{}  {}", s.by, time(&s.at, tz))
}

fn yes_no(b: bool, l: Locale) -> String {
    if b {
        l.pick("是", "yes").to_owned()
    } else {
        l.pick("否", "no").to_owned()
    }
}

fn field(label: (&str, &str), value: impl Into<String>, l: Locale) -> Block {
    Block::Field(l.pick(label.0, label.1).to_owned(), value.into())
}

fn heading(text: (&str, &str), l: Locale) -> Block {
    Block::Heading(l.pick(text.0, text.1).to_owned())
}

fn steps_table(steps: &[StepView], tz: Tz, l: Locale) -> Block {
    let head = l.pick(
        ["步骤", "审批角色", "审批人", "时间", "结论", "意见"],
        ["step", "role", "by", "at", "decision", "comment"],
    );
    Block::Table {
        head: head.map(str::to_owned).to_vec(),
        rows: steps
            .iter()
            .map(|s| {
                let role = role_text(&s.step.role, l);
                match &s.decision {
                    Some(d) => vec![
                        s.step.step.clone(),
                        role,
                        d.by.clone(),
                        time(&d.at, tz),
                        l.pick(
                            if d.approved { "批准" } else { "驳回" },
                            if d.approved { "approved" } else { "rejected" },
                        )
                        .to_owned(),
                        d.reason.clone().unwrap_or_default(),
                    ],
                    None => vec![
                        s.step.step.clone(),
                        role,
                        String::new(),
                        String::new(),
                        l.pick("待审批", "waiting").to_owned(),
                        String::new(),
                    ],
                }
            })
            .collect(),
    }
}

/// The forms of the return in `detail`, labelled in `l` (the printed forms use Chinese).
pub fn forms(detail: &ReturnDetail, tz: Tz, l: Locale) -> Vec<Form> {
    let mut out = vec![slip(detail, tz, l), receipt_form(detail, tz, l)];
    if detail.ret.kind == ReturnKind::Exchange {
        out.push(exchange_form(detail, tz, l));
    }
    out
}

fn rma_text(detail: &ReturnDetail, l: Locale) -> String {
    detail
        .ret
        .rma
        .as_ref()
        .map(|r| r.number.clone())
        .unwrap_or_else(|| l.pick("（未发放）", "(not issued)").to_owned())
}

fn case_text(detail: &ReturnDetail) -> String {
    detail
        .case_number
        .clone()
        .unwrap_or_else(|| detail.case_id.to_string())
}

/// 产品退换维修单: the request, the window, the approval chain and the number.
fn slip(detail: &ReturnDetail, tz: Tz, l: Locale) -> Form {
    let r = &detail.ret;
    let reg = &detail.view.registration;
    let mut blocks = vec![
        field(("退货编号（RMA）", "RMA number"), rma_text(detail, l), l),
        field(("案件编号", "Case number"), case_text(detail), l),
        field(
            ("申请类型", "Kind"),
            match r.kind {
                ReturnKind::Return => l.pick("退货", "return"),
                ReturnKind::Exchange => l.pick("换货", "exchange"),
            },
            l,
        ),
        field(("状态", "State"), r.state.text(l), l),
        field(("申请人", "Requested by"), stamp(&r.requested, tz), l),
        heading(("客户与产品", "Customer and product"), l),
        field(("客户名称", "Customer"), reg.customer_name.clone(), l),
        field(("联系电话", "Phone"), reg.customer_phone.clone(), l),
        field(("地址", "Address"), reg.customer_address.clone(), l),
        field(
            ("地区", "Region"),
            format!(
                "{}（{}）",
                reg.region,
                if reg.home_region {
                    l.pick("本地区", "home region")
                } else {
                    l.pick("外地", "elsewhere")
                }
            ),
            l,
        ),
        field(("产品型号", "Product model"), reg.product_model.clone(), l),
        field(
            ("产品序列号", "Serial number"),
            reg.serial_number.clone(),
            l,
        ),
        heading(("退换货明细", "Items"), l),
        Block::Table {
            head: l
                .pick(
                    ["型号", "序列号", "数量", "退货原因", "故障描述"],
                    ["model", "serial", "quantity", "reason", "fault"],
                )
                .map(str::to_owned)
                .to_vec(),
            rows: r
                .items
                .iter()
                .map(|i| {
                    vec![
                        i.model.clone(),
                        i.serial.clone().unwrap_or_default(),
                        i.quantity.to_string(),
                        i.reason.clone(),
                        i.fault.clone(),
                    ]
                })
                .collect(),
        },
        field(
            ("运费承担", "Freight paid by"),
            match r.freight {
                Freight::Company => l.pick("公司承担", "the company"),
                Freight::Customer => l.pick("客户承担", "the customer"),
            },
            l,
        ),
        field(
            ("无法现场修复的原因", "Why not fixed on site"),
            r.why_not_on_site.clone(),
            l,
        ),
        field(("退货期限", "Return window"), r.window.text(l), l),
    ];
    if let Some(why) = &r.window_override {
        blocks.push(field(
            ("超期申请理由", "Outside the window because"),
            why.clone(),
            l,
        ));
    }
    if r.batch {
        blocks.push(field(
            ("退货分析改善报告", "Return-analysis report"),
            match &r.analysis {
                Some(a) => format!("{}；{}（{}）", a.cause, a.actions, stamp(&a.stamp, tz)),
                None => l
                    .pick("批量退货，待提交", "batch return; not yet recorded")
                    .to_owned(),
            },
            l,
        ));
    }
    blocks.push(heading(("审批", "Approvals"), l));
    blocks.push(steps_table(&r.steps, tz, l));
    if let Some(rma) = &r.rma {
        blocks.push(field(
            ("编号发放", "Number issued"),
            format!("{}  {}  {}", rma.number, rma.by, time(&rma.issued_at, tz)),
            l,
        ));
    }
    Form {
        title: l
            .pick("产品退换维修单", "Return, exchange and repair slip")
            .to_owned(),
        blocks,
    }
}

/// 退货产品接收单: every receipt of the return with the checks A–G, and the re-inspection.
fn receipt_form(detail: &ReturnDetail, tz: Tz, l: Locale) -> Form {
    let r = &detail.ret;
    let mut blocks = vec![
        field(("退货编号（RMA）", "RMA number"), rma_text(detail, l), l),
        field(("案件编号", "Case number"), case_text(detail), l),
        field(("产品型号", "Product model"), r.model().to_owned(), l),
        field(
            ("通知数量", "Units in the notice"),
            r.units().to_string(),
            l,
        ),
    ];
    if r.receipts.is_empty() {
        blocks.push(field(
            ("接收", "Received"),
            l.pick("尚未收货", "nothing received yet"),
            l,
        ));
    }
    for (n, receipt) in r.receipts.iter().enumerate() {
        blocks.extend(receipt_blocks(n + 1, receipt, tz, l));
    }
    blocks.push(heading(("复检", "Re-inspection"), l));
    if let Some(due) = &r.reinspection_due {
        blocks.push(field(("复检期限", "Re-inspect by"), time(due, tz), l));
    }
    blocks.push(Block::Table {
        head: l
            .pick(
                ["单元", "结果", "去向或原因", "检验人", "时间"],
                ["unit", "result", "restocked to / reason", "by", "at"],
            )
            .map(str::to_owned)
            .to_vec(),
        rows: r
            .inspections
            .iter()
            .map(|i| {
                let (result, detail) = match &i.body.result {
                    InspectionResult::Good { restocked_to } => (
                        l.pick("合格，贴客退标签入库", "good: labelled 客退, restocked"),
                        restocked_to.clone(),
                    ),
                    InspectionResult::Bad {
                        reason,
                        nonconformance,
                    } => (
                        l.pick(
                            "不合格，按不合格品程序报废",
                            "bad: scrapped as nonconforming",
                        ),
                        match nonconformance {
                            Some(n) => format!("{reason}（{n}）"),
                            None => reason.clone(),
                        },
                    ),
                };
                vec![
                    i.body.unit.clone(),
                    result.to_owned(),
                    detail,
                    i.stamp.by.clone(),
                    time(&i.stamp.at, tz),
                ]
            })
            .collect(),
    });
    Form {
        title: l.pick("退货产品接收单", "Return receipt").to_owned(),
        blocks,
    }
}

fn receipt_blocks(n: usize, receipt: &ReceiptView, tz: Tz, l: Locale) -> Vec<Block> {
    let mut blocks = vec![
        Block::Heading(l.pick(format!("接收记录 {n}"), format!("Receipt {n}"))),
        field(("接收人", "Received by"), stamp(&receipt.stamp, tz), l),
        field(
            ("货物上的退货编号", "RMA number on the goods"),
            receipt
                .rma_number
                .clone()
                .unwrap_or_else(|| l.pick("无", "none").to_owned()),
            l,
        ),
        field(
            ("结果", "Outcome"),
            match receipt.outcome {
                ReceiptOutcome::Accepted => l.pick("接收", "taken in"),
                ReceiptOutcome::Refused => l.pick("拒收", "refused"),
            },
            l,
        ),
    ];
    if let Some(why) = &receipt.refusal_reason {
        blocks.push(field(("拒收原因", "Refused because"), why.clone(), l));
    }
    blocks.extend([
        field(("包装", "Packing"), receipt.packing.text(l), l),
        field(
            ("已标明退货原因", "Reason labelled"),
            yes_no(receipt.labelled, l),
            l,
        ),
        field(("已分类", "Sorted"), yes_no(receipt.sorted, l), l),
        field(
            ("有故障标识", "Defect marked"),
            yes_no(receipt.defect_marked, l),
            l,
        ),
        Block::Table {
            head: l
                .pick(
                    ["清点型号", "序列号", "数量"],
                    ["model counted", "serial", "quantity"],
                )
                .map(str::to_owned)
                .to_vec(),
            rows: receipt
                .counted
                .iter()
                .map(|c| {
                    vec![
                        c.model.clone(),
                        c.serial.clone().unwrap_or_default(),
                        c.quantity.to_string(),
                    ]
                })
                .collect(),
        },
        Block::Table {
            head: l
                .pick(
                    ["检查项", "异常", "原因", "备注"],
                    ["check", "raised", "why", "notes"],
                )
                .map(str::to_owned)
                .to_vec(),
            rows: ReceivingCheck::ALL
                .into_iter()
                .map(|check| {
                    let raised = receipt.flagged(check);
                    let notes: Vec<String> = receipt
                        .checks
                        .iter()
                        .filter(|c| c.check == check)
                        .flat_map(|c| c.notes.iter().map(|n| n.note.clone()))
                        .collect();
                    vec![
                        check.text(l),
                        if raised {
                            l.pick("■ 是", "■ yes").to_owned()
                        } else {
                            l.pick("□ 否", "□ no").to_owned()
                        },
                        receipt.reason_texts(check, l).join("；"),
                        notes.join("；"),
                    ]
                })
                .collect(),
        },
    ]);
    for a in &receipt.amended_by {
        blocks.push(field(("补充记录", "Amended by"), stamp(a, tz), l));
    }
    let mut photos: Vec<(String, String)> = receipt
        .photos
        .iter()
        .map(|h| (h.clone(), l.pick("到货照片", "as arrived").to_owned()))
        .collect();
    for c in &receipt.checks {
        for note in &c.notes {
            if let Some(p) = &note.photo {
                photos.push((p.clone(), format!("{} {}", c.check.letter(), note.note)));
            }
        }
    }
    if !photos.is_empty() {
        blocks.push(Block::Photos(photos));
    }
    blocks
}

/// 退货产品换货单: the replenishment notices, their approval, the customer's confirmation.
fn exchange_form(detail: &ReturnDetail, tz: Tz, l: Locale) -> Form {
    let r = &detail.ret;
    let mut blocks = vec![
        field(("退货编号（RMA）", "RMA number"), rma_text(detail, l), l),
        field(("案件编号", "Case number"), case_text(detail), l),
        field(
            ("客户名称", "Customer"),
            detail.view.registration.customer_name.clone(),
            l,
        ),
        field(("换货型号", "Model exchanged"), r.model().to_owned(), l),
        field(("换货数量", "Units"), r.units().to_string(), l),
    ];
    if r.replenishment.is_empty() {
        blocks.push(field(
            ("补货通知", "Replenishment notice"),
            l.pick("尚未申请", "not yet requested"),
            l,
        ));
    }
    for (n, notice) in r.replenishment.iter().enumerate() {
        blocks.push(Block::Heading(l.pick(
            format!("补货通知 {}", n + 1),
            format!("Replenishment notice {}", n + 1),
        )));
        blocks.push(field(
            ("申请人", "Requested by"),
            stamp(&notice.stamp, tz),
            l,
        ));
        blocks.push(field(("说明", "Note"), notice.note.clone(), l));
        blocks.push(steps_table(&notice.steps, tz, l));
    }
    blocks.push(field(
        ("客户确认收到换货", "Customer confirmed receipt"),
        match &r.replacement_received {
            Some(s) => stamp(s, tz),
            None => l.pick("未确认", "not yet").to_owned(),
        },
        l,
    ));
    Form {
        title: l.pick("退货产品换货单", "Exchange slip").to_owned(),
        blocks,
    }
}

/// The forms as plain text (`fieldhq rma show`), photos by hash.
pub fn text(detail: &ReturnDetail, tz: Tz, l: Locale) -> String {
    let mut out = String::new();
    for form in forms(detail, tz, l) {
        out.push_str(&format!("== {} ==\n", form.title));
        for block in &form.blocks {
            match block {
                Block::Heading(h) => out.push_str(&format!("-- {h}\n")),
                Block::Field(label, value) => {
                    out.push_str(&format!("{}{value}\n", fieldcore::label_padded(label, 24)))
                }
                Block::Table { head, rows } => {
                    out.push_str(&format!("  {}\n", head.join(" | ")));
                    for row in rows {
                        out.push_str(&format!("  {}\n", row.join(" | ")));
                    }
                }
                Block::Photos(photos) => {
                    for (hash, caption) in photos {
                        out.push_str(&format!(
                            "  {} {caption}: {hash}\n",
                            l.pick("照片", "photo")
                        ));
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

/// The thumbnails of every photo the forms show, from HQ's blobs: the photo's thumbnail
/// blob, else the photo itself; a photo whose blobs HQ does not hold (not uploaded yet) is
/// left out and printed as a placeholder.
pub async fn thumbnails(
    detail: &ReturnDetail,
    blobs: &BlobStore,
) -> Result<BTreeMap<String, Thumbnail>> {
    let mut out = BTreeMap::new();
    for form in forms(detail, chrono_tz::UTC, Locale::En) {
        for block in form.blocks {
            let Block::Photos(photos) = block else {
                continue;
            };
            for (hash, _) in photos {
                if out.contains_key(&hash) || BlobStore::check_name(&hash).is_err() {
                    continue;
                }
                let thumb = detail
                    .view
                    .photos
                    .iter()
                    .find(|p| p.hash == hash)
                    .map(|p| p.record.thumbnail_hash.clone());
                let mut found = None;
                for candidate in thumb.iter().chain([&hash]) {
                    if BlobStore::check_name(candidate).is_err() {
                        continue;
                    }
                    if let Some(bytes) = blobs.get(candidate).await?
                        && let Some(mime) = image_type(&bytes)
                    {
                        found = Some(Thumbnail { mime, bytes });
                        break;
                    }
                }
                if let Some(t) = found {
                    out.insert(hash, t);
                }
            }
        }
    }
    Ok(out)
}

/// The type of an image by its first bytes: the JPEG and PNG phones and HQ thumbnails are.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The forms as one self-contained printable HTML page (Chinese labels), one form per printed
/// page, thumbnails inlined.
pub fn html(detail: &ReturnDetail, photos: &BTreeMap<String, Thumbnail>, tz: Tz) -> String {
    let l = Locale::ZhCn;
    render_html(&rma_text(detail, l), &forms(detail, tz, l), photos)
}

/// `forms` as one self-contained printable HTML page titled `title`, one form per printed
/// page, thumbnails inlined: the layout every printed form of HQ shares (return forms, the
/// write-off voucher).
pub fn render_html(title: &str, forms: &[Form], photos: &BTreeMap<String, Thumbnail>) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape(title)));
    out.push_str(
        "<style>\n\
         body { font-family: \"WenQuanYi Micro Hei\", \"Noto Sans CJK SC\", sans-serif; \
         font-size: 11pt; margin: 1.5cm; }\n\
         section { page-break-after: always; }\n\
         section:last-child { page-break-after: auto; }\n\
         h1 { text-align: center; font-size: 18pt; }\n\
         h2 { font-size: 12pt; border-bottom: 1px solid #000; margin-top: 1.2em; }\n\
         table { border-collapse: collapse; width: 100%; margin: 0.4em 0; }\n\
         th, td { border: 1px solid #000; padding: 2px 4px; text-align: left; \
         vertical-align: top; }\n\
         th.label { width: 28%; background: #f2f2f2; }\n\
         figure { display: inline-block; margin: 4px; width: 150px; text-align: center; }\n\
         figure img { max-width: 150px; max-height: 150px; }\n\
         .missing { border: 1px dashed #000; width: 150px; height: 100px; }\n\
         </style>\n</head>\n<body>\n",
    );
    for form in forms {
        out.push_str(&format!("<section>\n<h1>{}</h1>\n", escape(&form.title)));
        let mut fields_open = false;
        for block in &form.blocks {
            let is_field = matches!(block, Block::Field(..));
            if fields_open && !is_field {
                out.push_str("</table>\n");
                fields_open = false;
            }
            match block {
                Block::Field(label, value) => {
                    if !fields_open {
                        out.push_str("<table class=\"fields\">\n");
                        fields_open = true;
                    }
                    out.push_str(&format!(
                        "<tr><th class=\"label\">{}</th><td>{}</td></tr>\n",
                        escape(label),
                        escape(value)
                    ));
                }
                Block::Heading(h) => out.push_str(&format!("<h2>{}</h2>\n", escape(h))),
                Block::Table { head, rows } => {
                    out.push_str("<table>\n<tr>");
                    for h in head {
                        out.push_str(&format!("<th>{}</th>", escape(h)));
                    }
                    out.push_str("</tr>\n");
                    for row in rows {
                        out.push_str("<tr>");
                        for cell in row {
                            out.push_str(&format!("<td>{}</td>", escape(cell)));
                        }
                        out.push_str("</tr>\n");
                    }
                    out.push_str("</table>\n");
                }
                Block::Photos(list) => {
                    out.push_str("<div class=\"photos\">\n");
                    for (hash, caption) in list {
                        match photos.get(hash) {
                            Some(t) => out.push_str(&format!(
                                "<figure><img src=\"data:{};base64,{}\" alt=\"{}\">\
                                 <figcaption>{}</figcaption></figure>\n",
                                t.mime,
                                base64(&t.bytes),
                                escape(hash),
                                escape(caption)
                            )),
                            None => out.push_str(&format!(
                                "<figure><div class=\"missing\"></div><figcaption>{}（照片未上传）\
                                 </figcaption></figure>\n",
                                escape(caption)
                            )),
                        }
                    }
                    out.push_str("</div>\n");
                }
            }
        }
        if fields_open {
            out.push_str("</table>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Reads the font for PDF: `path`, else the first of [`DEFAULT_FONTS`] present.
pub fn load_font(path: Option<&Path>) -> Result<Vec<u8>> {
    let candidates: Vec<PathBuf> = match path {
        Some(p) => vec![p.to_owned()],
        None => DEFAULT_FONTS.iter().map(PathBuf::from).collect(),
    };
    for candidate in &candidates {
        match std::fs::read(candidate) {
            Ok(bytes) => return Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let tried = candidates
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Err(Error::refused(
        format!(
            "no font with Chinese glyphs for the PDF (looked at {tried}); install one \
             (e.g. the fonts-wqy-microhei package) or give --font PATH"
        ),
        format!(
            "找不到含中文字形的字体来生成 PDF（已查找 {tried}）；请安装字体（如 fonts-wqy-microhei \
             软件包）或用 --font PATH 指定"
        ),
    ))
}

// ---- PDF layout: A4 in points, top-left origin (krilla's), one form per new page.

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 48.0;
const BODY: f32 = 10.0;
const LEAD: f32 = 14.0;
const LABEL_W: f32 = 150.0;
const THUMB: f32 = 110.0;

enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
    },
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        hash: String,
    },
    Frame {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// Lays ops out page by page; `y` is the top of the next line.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

/// The width of `text` at `size`: full-width characters take an em, others a little over
/// half of one (the fonts used have no wider Latin); enough to wrap within a column.
fn width(text: &str, size: f32) -> f32 {
    fieldcore::text_width(text) as f32 * size * 0.5 * 1.1
}

/// `text` broken into lines no wider than `max` at `size`.
fn wrap(text: &str, max: f32, size: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for c in para.chars() {
            let mut next = line.clone();
            next.push(c);
            if width(&next, size) > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line.push(c);
            } else {
                line = next;
            }
        }
        lines.push(line);
    }
    lines
}

impl Layout {
    fn new() -> Layout {
        Layout {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Makes room for `h` points, on a new page if this one is full.
    fn room(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN && self.y > MARGIN {
            self.page();
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn text(&mut self, x: f32, size: f32, text: &str) {
        let y = self.y + size;
        self.push(Op::Text {
            x,
            y,
            size,
            text: text.to_owned(),
        });
    }

    fn title(&mut self, title: &str) {
        let size = 18.0;
        let x = (PAGE_W - width(title, size)) / 2.0;
        self.text(x.max(MARGIN), size, title);
        self.y += size + 14.0;
    }

    fn heading(&mut self, h: &str) {
        self.room(LEAD * 3.0);
        self.y += 6.0;
        self.text(MARGIN, 12.0, h);
        self.y += 12.0 + 4.0;
        let y = self.y;
        self.push(Op::Line {
            x1: MARGIN,
            y1: y,
            x2: PAGE_W - MARGIN,
            y2: y,
        });
        self.y += 4.0;
    }

    fn field(&mut self, label: &str, value: &str) {
        let lines = wrap(value, PAGE_W - 2.0 * MARGIN - LABEL_W, BODY);
        self.room(LEAD * lines.len().min(4) as f32);
        self.text(MARGIN, BODY, label);
        for line in lines {
            self.room(LEAD);
            self.text(MARGIN + LABEL_W, BODY, &line);
            self.y += LEAD;
        }
    }

    fn table(&mut self, head: &[String], rows: &[Vec<String>]) {
        let columns = head.len().max(1);
        let total = PAGE_W - 2.0 * MARGIN;
        // Columns as wide as their longest cell asks, within a fair share of the page.
        let wants: Vec<f32> = (0..columns)
            .map(|c| {
                std::iter::once(&head[c])
                    .chain(rows.iter().filter_map(|r| r.get(c)))
                    .map(|t| width(t, BODY) + 6.0)
                    .fold(24.0f32, f32::max)
            })
            .collect();
        let sum: f32 = wants.iter().sum();
        let widths: Vec<f32> = wants
            .iter()
            .map(|w| if sum > total { w / sum * total } else { *w })
            .collect();
        let draw_row = |layout: &mut Layout, cells: &[String]| {
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .zip(&widths)
                .map(|(t, w)| wrap(t, w - 6.0, BODY))
                .collect();
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let h = lines as f32 * LEAD + 4.0;
            layout.room(h);
            let top = layout.y;
            let mut x = MARGIN;
            for (cell, w) in wrapped.iter().zip(&widths) {
                for (i, line) in cell.iter().enumerate() {
                    layout.push(Op::Text {
                        x: x + 3.0,
                        y: top + 2.0 + BODY + i as f32 * LEAD,
                        size: BODY,
                        text: line.clone(),
                    });
                }
                layout.push(Op::Frame {
                    x,
                    y: top,
                    w: *w,
                    h,
                });
                x += w;
            }
            layout.y += h;
        };
        draw_row(self, head);
        for row in rows {
            draw_row(self, row);
        }
        self.y += 6.0;
    }

    fn photos(&mut self, list: &[(String, String)], sizes: &BTreeMap<String, (u32, u32)>) {
        let per_row = ((PAGE_W - 2.0 * MARGIN) / (THUMB + 10.0)).floor().max(1.0) as usize;
        for chunk in list.chunks(per_row) {
            self.room(THUMB + LEAD * 2.0);
            let top = self.y;
            for (i, (hash, caption)) in chunk.iter().enumerate() {
                let x = MARGIN + i as f32 * (THUMB + 10.0);
                match sizes.get(hash) {
                    Some((w, h)) => {
                        let scale = (THUMB / *w as f32).min(THUMB / *h as f32);
                        let (w, h) = (*w as f32 * scale, *h as f32 * scale);
                        self.push(Op::Image {
                            x,
                            y: top,
                            w,
                            h,
                            hash: hash.clone(),
                        });
                        // A frame, so a pale photo still shows where it is on the page.
                        self.push(Op::Frame { x, y: top, w, h });
                    }
                    None => self.push(Op::Frame {
                        x,
                        y: top,
                        w: THUMB,
                        h: THUMB * 0.7,
                    }),
                }
                let caption = match sizes.get(hash) {
                    Some(_) => caption.clone(),
                    None => format!("{caption}（照片未上传）"),
                };
                let line = wrap(&caption, THUMB, 8.0)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                self.push(Op::Text {
                    x,
                    y: top + THUMB + 10.0,
                    size: 8.0,
                    text: line,
                });
            }
            self.y = top + THUMB + LEAD * 1.5;
        }
    }
}

/// The forms as a PDF (A4, Chinese labels), text in `font` (a TrueType/OpenType font or
/// collection with Chinese glyphs; the PDF embeds the subset it uses), thumbnails as images.
pub fn pdf(
    detail: &ReturnDetail,
    photos: &BTreeMap<String, Thumbnail>,
    font: &[u8],
    tz: Tz,
) -> Result<Vec<u8>> {
    render_pdf(&forms(detail, tz, Locale::ZhCn), photos, font)
}

/// `forms` as an A4 PDF, each form from a new page, text in `font` (its used subset
/// embedded), thumbnails as images: the layout every printed form of HQ shares.
pub fn render_pdf(
    forms: &[Form],
    photos: &BTreeMap<String, Thumbnail>,
    font: &[u8],
) -> Result<Vec<u8>> {
    use krilla::Document;
    use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
    use krilla::image::Image;
    use krilla::page::PageSettings;
    use krilla::paint::{Fill, Stroke};
    use krilla::text::{Font, TextDirection};

    let font = Font::new(font.to_vec().into(), 0).ok_or_else(|| {
        Error::refused(
            "the font given for the PDF cannot be read as a TrueType/OpenType font",
            "为 PDF 指定的字体无法作为 TrueType/OpenType 字体读取",
        )
    })?;
    let mut images: BTreeMap<String, Image> = BTreeMap::new();
    for (hash, t) in photos {
        let data: krilla::Data = t.bytes.clone().into();
        let image = match t.mime {
            "image/png" => Image::from_png(data, true),
            _ => Image::from_jpeg(data, true),
        };
        // A thumbnail krilla cannot read prints as a placeholder, like one not uploaded.
        match image {
            Ok(image) => {
                images.insert(hash.clone(), image);
            }
            Err(e) => tracing::warn!(photo = %hash, error = %e, "thumbnail left out of the PDF"),
        }
    }
    let sizes: BTreeMap<String, (u32, u32)> = images
        .iter()
        .map(|(h, i)| (h.clone(), i.size()))
        .filter(|(_, (w, h))| *w > 0 && *h > 0)
        .collect();

    let mut layout = Layout::new();
    for (n, form) in forms.iter().enumerate() {
        if n > 0 {
            layout.page();
        }
        layout.title(&form.title);
        for block in &form.blocks {
            match block {
                Block::Heading(h) => layout.heading(h),
                Block::Field(label, value) => layout.field(label, value),
                Block::Table { head, rows } => layout.table(head, rows),
                Block::Photos(list) => layout.photos(list, &sizes),
            }
        }
    }

    let mut document = Document::new();
    let page_settings =
        PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| Error::internal("the A4 page size"))?;
    for ops in &layout.pages {
        let mut page = document.start_page_with(page_settings.clone());
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, size, text } => {
                    if text.is_empty() {
                        continue;
                    }
                    surface.set_fill(Some(Fill::default()));
                    surface.set_stroke(None);
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Line { x1, y1, x2, y2 } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y1);
                    path.line_to(*x2, *y2);
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            width: 0.8,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
                Op::Frame { x, y, w, h } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            width: 0.5,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                    }
                }
                Op::Image { x, y, w, h, hash } => {
                    if let (Some(image), Some(size)) = (images.get(hash), Size::from_wh(*w, *h)) {
                        surface.push_transform(&Transform::from_translate(*x, *y));
                        surface.draw_image(image.clone(), size);
                        surface.pop();
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| Error::internal(format!("writing the PDF: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xFF, 0xD8, 0xFF]), "/9j/");
    }

    #[test]
    fn text_wraps_within_the_width_and_keeps_every_character() {
        let text = "退货产品接收单 RMA R2611-0001 goods differ from the notice";
        let lines = wrap(text, 80.0, 10.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width(l, 10.0) <= 80.0));
        assert_eq!(lines.concat(), text);
    }

    #[test]
    fn html_escapes_what_people_typed() {
        assert_eq!(escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }
}
