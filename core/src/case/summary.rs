//! What each history entry says, as a typed value: the command's planner builds it, its
//! English text is the event's recorded `summary` (what older apps and the audit trail read),
//! and the value itself is kept beside it as the event's `detail`, so the history can be read
//! in Chinese too, worded from the detail rather than translated from the English sentence.

use serde::{Deserialize, Serialize};

use crate::case::correction_text::{CorrectionText, correction_parts};
use crate::case::records::{CorrectionRecord, EventBody, Handover};
use crate::case::return_records::{ReceiptOutcome, ReturnKind};
use crate::error::field_label;
use crate::labels::quality_fault_text;
use crate::locale::{Locale, Localized};
use crate::model::{Cause, Outcome, PhotoKind};
use crate::rules::warranty::WarrantyRule;

/// One history entry's meaning. Free text the user typed (reasons, a model, a part number)
/// is kept as typed in both languages. The correction and the handover are not repeated
/// here: the event records them in its own fields and [`history_text`] words them from there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Summary {
    Registered {
        category: String,
        model: String,
        serial: String,
    },
    Acknowledged,
    VisitPlanned {
        /// RFC 3339, as planned.
        at: String,
    },
    Arrived,
    TripRequested {
        reason: String,
    },
    EmergencyVisit {
        reason: String,
    },
    HandedOver {
        #[serde(skip)]
        handover: Option<Handover>,
    },
    Closed,
    Reopened {
        round: u32,
    },
    DefectConfirmed {
        cause: Cause,
        major_incident: bool,
    },
    WarrantyDecided {
        covered: bool,
        rule: WarrantyRule,
        /// The decision's recorded English explanation: the English summary, as it always was.
        #[serde(skip)]
        explanation: Option<String>,
    },
    ChargeSet {
        /// Amount in minor units and currency, as the charge's decision key writes it.
        charge: String,
    },
    CompensationSet {
        /// Amount in minor units and currency, as the decision's key writes it.
        compensation: String,
    },
    Resolved {
        outcome: Outcome,
    },
    ConflictResolved {
        field: String,
        value: String,
    },
    PartUsed {
        part_number: String,
        quantity: u32,
    },
    PartRemoved {
        line_id: String,
    },
    OldPartReturned {
        line_id: String,
    },
    OldPartKept {
        line_id: String,
        tag: String,
    },
    OldPartShipped {
        line_id: String,
        shipment: String,
        tag: String,
    },
    OldPartLost {
        line_id: String,
        reason: String,
    },
    NoteAdded,
    CustomerAccepted,
    CustomerRejected {
        /// The round the rejection opened.
        round: u32,
    },
    FactsUpdated {
        fields: Vec<String>,
    },
    FactsCorrected {
        #[serde(skip)]
        correction: Option<CorrectionRecord>,
    },
    PhotoAttached {
        kind: PhotoKind,
        /// The photo's hash, its first 12 hex digits.
        hash: String,
    },
    PhotoRemoved {
        hash: String,
        reason: String,
    },
    PassedToQa {
        reason: String,
    },
    RemedyProposed,
    ReportRecorded {
        cause: String,
    },
    DeadlineAgreed {
        date: String,
        with_whom: String,
    },
    ReturnRequested {
        kind: ReturnKind,
        model: String,
        units: u32,
        within_window: bool,
    },
    GoodsReceived {
        rma_number: Option<String>,
        units: u32,
        outcome: ReceiptOutcome,
        /// The receiving checks raised, as letters (`"AG"`).
        checks: String,
    },
    ReceiptAmended {
        units: u32,
        checks: String,
    },
    UnitInspected {
        unit: String,
        good: bool,
    },
    ReplenishmentRequested,
    ReplacementConfirmed,
    ReturnAnalysisRecorded {
        cause: String,
    },
}

impl Summary {
    /// The `detail` kept on the event: the summary without what the event records itself.
    pub fn detail(&self) -> Option<serde_json::Value> {
        // Serializing an enum of strings, numbers and enums of names cannot fail; a failure
        // would only drop the Chinese wording of this entry, never the entry.
        serde_json::to_value(self).ok()
    }

    /// The summary an event records: its detail, with the correction and the handover taken
    /// from the event itself. None for an event without a detail (written before details
    /// existed) or with one this version does not know (written by a newer app).
    pub fn of(event: &EventBody) -> Option<Summary> {
        let detail = event.detail.clone()?;
        let mut summary: Summary = serde_json::from_value(detail).ok()?;
        match &mut summary {
            Summary::FactsCorrected { correction } => correction.clone_from(&event.correction),
            Summary::HandedOver { handover } => handover.clone_from(&event.handover),
            Summary::WarrantyDecided { explanation, .. } => {
                *explanation = Some(event.summary.clone());
            }
            _ => {}
        }
        Some(summary)
    }
}

/// A history entry's text in `locale`. English is the recorded summary, byte for byte what
/// the audit trail holds; Chinese is worded from the detail, or is the recorded summary where
/// the event has none this version can read.
pub fn history_text(event: &EventBody, locale: Locale) -> String {
    match (locale, Summary::of(event)) {
        (Locale::ZhCn, Some(summary)) => summary.text(locale),
        _ => event.summary.clone(),
    }
}

impl Localized for Summary {
    fn text(&self, l: Locale) -> String {
        match self {
            Summary::Registered {
                category,
                model,
                serial,
            } => l.pick(
                format!("登记 {category} {model}（出厂编号 {serial}）"),
                format!("registered {category} {model} ({serial})"),
            ),
            Summary::Acknowledged => l
                .pick("已受理并答复客户", "acknowledged to the customer")
                .into(),
            Summary::VisitPlanned { at } => l.pick(
                format!("计划上门时间 {at}"),
                format!("visit planned for {at}"),
            ),
            Summary::Arrived => l.pick("已到达现场", "arrived on site").into(),
            Summary::TripRequested { reason } => l.pick(
                format!("申请出差：{reason}"),
                format!("trip requested: {reason}"),
            ),
            Summary::EmergencyVisit { reason } => l.pick(
                format!("紧急到场：{reason}"),
                format!("arrived on site for an emergency: {reason}"),
            ),
            Summary::HandedOver { handover } => match handover {
                Some(h) => l.pick(
                    format!("首问责任人由 {} 移交给 {}：{}", h.from, h.to, h.reason),
                    format!(
                        "first responder handed over from {} to {}: {}",
                        h.from, h.to, h.reason
                    ),
                ),
                None => l
                    .pick("首问责任人已移交", "first responder handed over")
                    .into(),
            },
            Summary::Closed => l.pick("已结案", "closed").into(),
            Summary::Reopened { round } => l.pick(
                format!("重新开启；第 {round} 轮"),
                format!("reopened; round {round}"),
            ),
            Summary::DefectConfirmed {
                cause,
                major_incident,
            } => l.pick(
                format!(
                    "{}（{}）{}",
                    cause.text(l),
                    quality_fault_text(cause.is_quality_fault(), l),
                    if *major_incident {
                        "，重大质量事故"
                    } else {
                        ""
                    }
                ),
                format!(
                    "defect confirmed: {} ({}){}",
                    cause.as_str(),
                    quality_fault_text(cause.is_quality_fault(), l),
                    if *major_incident {
                        ", major quality incident"
                    } else {
                        ""
                    }
                ),
            ),
            Summary::WarrantyDecided {
                covered,
                rule,
                explanation,
            } => match (l, explanation) {
                (Locale::En, Some(explanation)) => explanation.clone(),
                _ => l.pick(
                    format!(
                        "{}（{}）",
                        if *covered {
                            "予以三包"
                        } else {
                            "不予三包"
                        },
                        rule.text(l)
                    ),
                    format!(
                        "warranty decided: {} ({})",
                        if *covered { "covered" } else { "not covered" },
                        rule.text(l)
                    ),
                ),
            },
            Summary::ChargeSet { charge } => l.pick(
                format!("收费金额设为 {charge}"),
                format!("charge set to {charge}"),
            ),
            Summary::CompensationSet { compensation } => l.pick(
                format!("赔偿金额设为 {compensation}"),
                format!("compensation set to {compensation}"),
            ),
            Summary::Resolved { outcome } => l.pick(
                format!("处理方式：{}", outcome.text(l)),
                format!("resolved: {}", outcome.text(Locale::En)),
            ),
            Summary::ConflictResolved { field, value } => l.pick(
                format!("{} 的冲突已解决：{value}", field_label(field, l)),
                format!("conflict on {field} resolved: {value}"),
            ),
            Summary::PartUsed {
                part_number,
                quantity,
            } => l.pick(
                format!("使用配件 {part_number} ×{quantity}"),
                format!("part {part_number} x{quantity} used"),
            ),
            Summary::PartRemoved { line_id } => l.pick(
                format!("配件记录 {line_id} 已撤销"),
                format!("part line {line_id} removed"),
            ),
            Summary::OldPartReturned { line_id } => l.pick(
                format!("配件记录 {line_id} 的旧件已交回"),
                format!("old part of line {line_id} returned"),
            ),
            Summary::OldPartKept { line_id, tag } => l.pick(
                format!("配件记录 {line_id} 的旧件已留存，标签号 {tag}"),
                format!("old part of line {line_id} kept, tag {tag}"),
            ),
            Summary::OldPartShipped {
                line_id,
                shipment,
                tag,
            } => l.pick(
                format!("配件记录 {line_id} 的旧件随发运单 {shipment} 寄回总部，标签号 {tag}"),
                format!("old part of line {line_id} shipped to HQ on {shipment}, tag {tag}"),
            ),
            Summary::OldPartLost { line_id, reason } => l.pick(
                format!("配件记录 {line_id} 的旧件丢失：{reason}"),
                format!("old part of line {line_id} reported lost: {reason}"),
            ),
            Summary::NoteAdded => l.pick("添加备注", "note added").into(),
            Summary::CustomerAccepted => l
                .pick("客户确认接受处理结果", "customer accepted the outcome")
                .into(),
            Summary::CustomerRejected { round } => l.pick(
                format!("客户不接受处理结果；开启第 {round} 轮"),
                format!("customer rejected the outcome; round {round} opened"),
            ),
            Summary::FactsUpdated { fields } => {
                let names: Vec<String> = fields.iter().map(|f| field_label(f, l)).collect();
                l.pick(
                    format!("更新 {}", names.join("、")),
                    format!("updated {}", fields.join(", ")),
                )
            }
            Summary::FactsCorrected { correction } => match correction {
                Some(c) => correction_text(c, l),
                None => l.pick("更正登记信息", "corrected facts").into(),
            },
            Summary::PhotoAttached { kind, hash } => l.pick(
                format!("添加{}照片 {hash}", kind.text(l)),
                format!("{} photo {hash} attached", kind.as_str()),
            ),
            Summary::PhotoRemoved { hash, reason } => l.pick(
                format!("删除照片 {hash}：{reason}"),
                format!("photo {hash} removed: {reason}"),
            ),
            Summary::PassedToQa { reason } => l.pick(
                format!("转品保部处理：{reason}"),
                format!("passed to quality: {reason}"),
            ),
            Summary::RemedyProposed => l.pick("已提出处理方案", "remedy proposed").into(),
            Summary::ReportRecorded { cause } => l.pick(
                format!("已提交调查报告：{cause}"),
                format!("investigation report recorded: {cause}"),
            ),
            Summary::DeadlineAgreed { date, with_whom } => l.pick(
                format!("与 {with_whom} 约定结案日期 {date}"),
                format!("settlement date {date} agreed with {with_whom}"),
            ),
            Summary::ReturnRequested {
                kind,
                model,
                units,
                within_window,
            } => {
                let (zh_kind, en_kind) = match kind {
                    ReturnKind::Return => ("退货", "return"),
                    ReturnKind::Exchange => ("换货", "exchange"),
                };
                l.pick(
                    format!(
                        "申请{zh_kind}：{model} {units} 台{}",
                        if *within_window {
                            ""
                        } else {
                            "（超出退货期限）"
                        }
                    ),
                    format!(
                        "{en_kind} requested: {units} × {model}{}",
                        if *within_window {
                            ""
                        } else {
                            " (outside the return window)"
                        }
                    ),
                )
            }
            Summary::GoodsReceived {
                rma_number,
                units,
                outcome,
                checks,
            } => {
                let number = rma_number.as_deref().unwrap_or("-");
                let flags = |l: Locale| {
                    if checks.is_empty() {
                        String::new()
                    } else {
                        l.pick(format!("；异常 {checks}"), format!("; checks {checks}"))
                    }
                };
                match outcome {
                    ReceiptOutcome::Accepted => l.pick(
                        format!("退货接收 {number}：{units} 台{}", flags(l)),
                        format!("goods received for {number}: {units} units{}", flags(l)),
                    ),
                    ReceiptOutcome::Refused => l.pick(
                        format!("退货拒收 {number}：{units} 台{}", flags(l)),
                        format!("goods refused for {number}: {units} units{}", flags(l)),
                    ),
                }
            }
            Summary::ReceiptAmended { units, checks } => l.pick(
                format!("补充接收记录：共 {units} 台；异常 {checks}"),
                format!("receipt amended: {units} units; checks {checks}"),
            ),
            Summary::UnitInspected { unit, good: true } => l.pick(
                format!("复检 {unit}：合格，标识客退并入库"),
                format!("unit {unit} re-inspected: good, labelled customer return and restocked"),
            ),
            Summary::UnitInspected { unit, good: false } => l.pick(
                format!("复检 {unit}：不合格，按不合格品程序报废"),
                format!("unit {unit} re-inspected: bad, scrapped as nonconforming"),
            ),
            Summary::ReplenishmentRequested => l
                .pick("已申请补货通知", "replenishment notice requested")
                .into(),
            Summary::ReplacementConfirmed => l
                .pick(
                    "客户确认收到换货",
                    "customer confirmed receipt of the replacement",
                )
                .into(),
            Summary::ReturnAnalysisRecorded { cause } => l.pick(
                format!("已提交退货分析改善报告：{cause}"),
                format!("return-analysis report recorded: {cause}"),
            ),
        }
    }
}

/// "corrected purchase date 2026-01-02 → 2026-02-01, invoice photo …; reason: …".
fn correction_text(c: &CorrectionRecord, l: Locale) -> String {
    let parts = correction_parts(c, l);
    let reason = CorrectionText::Reason(&c.reason).text(l);
    l.pick(
        format!("更正 {}；{reason}", parts.join("，")),
        format!("corrected {}; {reason}", parts.join(", ")),
    )
}
