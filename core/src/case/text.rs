//! Cases as plain text, pure: the full case view as `fieldctl case show` and `fieldhq case
//! show` print it, and the small formatting rules (times, money, deadlines, photo lines) every
//! text of a case shares.

use serde::Serialize;

use crate::case::correction_text::{CorrectionText, correction_parts};
use crate::case::records::{PhotoRecord, Stamp, VisitBody};
use crate::case::summary::history_text;
use crate::case::view::{CaseView, DecisionView, UnknownContent};
use crate::labels::{event_action_text, quality_fault_text};
use crate::locale::{Locale, Localized};
use crate::model::{ProofOfPurchase, Timestamp};
use crate::rules::custody::OldPartCustody;
use crate::rules::deadlines::{self, Due};

/// The first responder: an HQ user with their id, or the free text of an older case.
fn first_responder_text(r: &crate::model::Registration, l: Locale) -> String {
    match r.first_responder_id {
        Some(id) => format!(
            "{} ({} {id})",
            r.first_responder,
            l.pick("总部用户", "HQ user")
        ),
        None => format!("{} ({})", r.first_responder, l.pick("手填", "free text")),
    }
}

/// Width of the label column.
const LABEL: usize = 12;

/// Hex digits of a hash shown in lists; the core's own summaries use as many.
const SHORT_HASH: usize = 12;

const CAPTION_WIDTH: usize = 32;

/// What a case's text shows beyond its document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseTextExtras {
    /// Lines after "Updated", as (label, value): a device's standing with HQ, HQ's engineer
    /// and repair center.
    pub header: Vec<(String, String)>,
    /// One line per photo when the caller knows more than the document (a device: upload
    /// states, see [`photo_line`]); `None` prints the view's photos.
    pub photos: Option<Vec<String>>,
}

/// The whole case as text, the way `fieldctl case show` and `fieldhq case show` print it:
/// facts, decisions with who and when, conflicts numbered for `resolve-conflict`, photos, the
/// append-only entries and the history. `now` decides what is overdue. Recorded free text
/// (findings, notes, history summaries) is shown as it was written.
pub fn case_text(v: &CaseView, extras: &CaseTextExtras, now: Timestamp, locale: Locale) -> String {
    let l = locale;
    let mut t = Text::new(l);
    let r = &v.registration;
    field(
        &mut t,
        l.pick("案件", "Case"),
        format!(
            "{} · {}",
            v.id,
            v.number
                .as_deref()
                .map(|n| l.pick(format!("编号 {n}"), format!("number {n}")))
                .unwrap_or_else(|| l.pick("尚无正式编号", "no official number yet").to_owned())
        ),
    );
    field(
        &mut t,
        l.pick("状态", "Status"),
        l.pick(
            format!(
                "{} · 第 {} 轮（{} 开始）{}",
                status_text(v, l),
                v.round,
                time_text(&v.round_started_at),
                resolved_note(&v.status.current.resolved_by, l)
            ),
            format!(
                "{} · round {} (started {}){}",
                status_text(v, l),
                v.round,
                time_text(&v.round_started_at),
                resolved_note(&v.status.current.resolved_by, l)
            ),
        ),
    );
    field(
        &mut t,
        l.pick("下一期限", "Next"),
        due_text(&v.next_due, now, l),
    );
    field(
        &mut t,
        l.pick("更新时间", "Updated"),
        time_text(&v.updated_at),
    );
    for (label, value) in &extras.header {
        field(&mut t, label, value);
    }
    t.line("");

    field(
        &mut t,
        l.pick("客户", "Customer"),
        format!("{} · {}", r.customer_name, r.customer_phone),
    );
    field(&mut t, l.pick("地址", "Address"), &r.customer_address);
    field(
        &mut t,
        l.pick("地区", "Region"),
        format!(
            "{}{} · {}",
            r.region,
            if r.home_region {
                l.pick("（本地区）", " (home region)")
            } else {
                ""
            },
            r.market.text(l)
        ),
    );
    field(
        &mut t,
        l.pick("产品", "Product"),
        format!(
            "{} {} · {} {}",
            r.product_category,
            r.product_model,
            l.pick("出厂编号", "serial"),
            r.serial_number
        ),
    );
    let proof = match &r.proof_of_purchase {
        ProofOfPurchase::Invoice(n) => format!("{} {n}", l.pick("发票", "invoice")),
        ProofOfPurchase::Voucher(n) => format!("{} {n}", l.pick("凭证", "voucher")),
        ProofOfPurchase::None => l.pick("无购买凭证", "no proof of purchase").to_owned(),
    };
    field(
        &mut t,
        l.pick("日期", "Dates"),
        format!(
            "{} {} · {} {} · {proof}",
            l.pick("出厂", "made"),
            date_or_unknown(r.manufacture_date, l),
            l.pick("购买", "purchased"),
            date_or_unknown(r.purchase_date, l)
        ),
    );
    field(&mut t, l.pick("故障", "Fault"), &r.fault_description);
    field(
        &mut t,
        l.pick("客户要求", "Request"),
        l.pick(
            format!(
                "{} · 经{} · {} 收到 · 首问责任人 {}",
                r.customer_request.text(l),
                r.channel.text(l),
                time_text(&r.received_at),
                first_responder_text(r, l)
            ),
            format!(
                "{} · via {} · received {} · first responder {}",
                r.customer_request.text(l),
                r.channel.text(l),
                time_text(&r.received_at),
                first_responder_text(r, l)
            ),
        ),
    );
    t.line("");

    if !v.escalations.is_empty() {
        section(&mut t, l.pick("升级", "Escalations"), v.escalations.len());
        for e in &v.escalations {
            t.line(format!("  {} {}", time_text(&e.raised_at), e.text(l)));
        }
    }
    if !v.handovers.is_empty() {
        section(
            &mut t,
            l.pick("首问责任人移交", "First responder handovers"),
            v.handovers.len(),
        );
        for h in &v.handovers {
            t.line(format!(
                "  {} {}: {} → {}: {}",
                time_text(&h.stamp.at),
                h.stamp.by,
                h.body.from,
                h.body.to,
                h.body.reason
            ));
        }
    }

    match &v.defect {
        None => field(
            &mut t,
            l.pick("故障鉴定", "Defect"),
            l.pick("尚未鉴定", "not confirmed yet"),
        ),
        Some(d) => {
            let rec = &d.current.value;
            field(
                &mut t,
                l.pick("故障鉴定", "Defect"),
                l.pick(
                    format!(
                        "{}（{}）· {}",
                        rec.cause.text(l),
                        quality_fault_text(rec.quality_fault, l),
                        decided_by(d, l)
                    ),
                    format!(
                        "{} ({}) · {}",
                        rec.cause.text(l),
                        quality_fault_text(rec.quality_fault, l),
                        decided_by(d, l)
                    ),
                ),
            );
            if rec.major_incident {
                detail(
                    &mut t,
                    l.pick(
                        "重大质量事故：须立即上报管理层",
                        "MAJOR QUALITY INCIDENT: report to management at once",
                    ),
                );
            }
            detail(
                &mut t,
                format!("{}{}", l.pick("鉴定结论：", "findings: "), rec.findings),
            );
            if !rec.measurements.is_empty() {
                let measured: Vec<String> = rec
                    .measurements
                    .iter()
                    .map(|m| {
                        format!("{} {} {}", m.name, m.value, m.unit)
                            .trim_end()
                            .to_owned()
                    })
                    .collect();
                detail(
                    &mut t,
                    format!(
                        "{}{}",
                        l.pick("测量值：", "measured: "),
                        measured.join("; ")
                    ),
                );
            }
            for hash in &rec.evidence_photos {
                detail(
                    &mut t,
                    format!("{}{hash}", l.pick("证据照片 ", "evidence photo ")),
                );
            }
        }
    }
    match &v.warranty {
        None => field(
            &mut t,
            l.pick("三包", "Warranty"),
            l.pick("尚未判定", "not decided yet"),
        ),
        Some(w) => {
            let d = &w.current.value.decision;
            let period = match (d.months, d.period_end) {
                (Some(m), Some(end)) => l.pick(
                    format!(" · {m} 个月，{end} 届满"),
                    format!(" · {m} months, ends {end}"),
                ),
                _ => String::new(),
            };
            field(
                &mut t,
                l.pick("三包", "Warranty"),
                l.pick(
                    format!(
                        "{}（{}）{period} · {}",
                        if d.covered {
                            "予以三包"
                        } else {
                            "不予三包"
                        },
                        d.rule.text(l),
                        decided_by(w, l)
                    ),
                    format!(
                        "{} ({}){period} · {}",
                        if d.covered { "covered" } else { "not covered" },
                        d.rule.text(l),
                        decided_by(w, l)
                    ),
                ),
            );
            detail(&mut t, d.text(l));
            for hash in &w.current.value.evidence_photos {
                detail(
                    &mut t,
                    format!("{}{hash}", l.pick("证据照片 ", "evidence photo ")),
                );
            }
            // A decision made on facts corrected since says so, with each fact then and now.
            if let Some(stale) = &v.warranty_stale {
                detail(
                    &mut t,
                    format!(
                        "{}: {}",
                        l.pick("已过时", "STALE"),
                        CorrectionText::Stale.text(l)
                    ),
                );
                for f in &stale.facts {
                    detail(
                        &mut t,
                        CorrectionText::StaleFact {
                            field: &f.field,
                            decided_on: &f.decided_on,
                            now: &f.now,
                        }
                        .text(l),
                    );
                }
            }
        }
    }
    match &v.charge {
        None => field(&mut t, l.pick("收费", "Charge"), l.pick("无", "none")),
        Some(c) => field(
            &mut t,
            l.pick("收费", "Charge"),
            format!(
                "{} · {}",
                money_text(c.current.value.amount_minor, &c.current.value.currency),
                decided_by(c, l)
            ),
        ),
    }
    // Compensation only when recorded: most cases have none.
    if let Some(c) = &v.compensation {
        field(
            &mut t,
            l.pick("赔偿", "Compensation"),
            format!(
                "{} · {}",
                money_text(c.current.value.amount_minor, &c.current.value.currency),
                decided_by(c, l)
            ),
        );
    }
    match &v.resolution {
        None => field(
            &mut t,
            l.pick("处理结果", "Resolution"),
            l.pick("尚未处理", "not resolved yet"),
        ),
        Some(res) => {
            field(
                &mut t,
                l.pick("处理结果", "Resolution"),
                format!(
                    "{} · {}",
                    res.current.value.outcome.text(l),
                    decided_by(res, l)
                ),
            );
            detail(&mut t, &res.current.value.summary);
        }
    }

    deadline_records(&mut t, v, l);
    if !v.corrections.is_empty() {
        section(
            &mut t,
            &CorrectionText::Corrections.text(l),
            v.corrections.len(),
        );
        for c in &v.corrections {
            let parts = correction_parts(&c.body, l);
            t.line(format!("  {} · {}", parts.join(", "), stamped(&c.stamp, l)));
            t.line(format!(
                "    {}",
                CorrectionText::Reason(&c.body.reason).text(l)
            ));
        }
    }

    if !v.conflicts.is_empty() {
        t.line("");
        t.line(l.pick(
            format!(
                "冲突：用 `fieldctl case resolve-conflict {} --field FIELD --choose N` 选定",
                v.id
            ),
            format!(
                "Conflicts: resolve with `fieldctl case resolve-conflict {} --field FIELD --choose N`",
                v.id
            ),
        ));
        for c in &v.conflicts {
            t.line(format!("  {}", c.field));
            for (i, alt) in c.alternatives.iter().enumerate() {
                t.line(l.pick(
                    format!(
                        "    [{i}] {} · {} 于 {} 在设备 {} 上",
                        alt.value,
                        alt.by,
                        time_text(&alt.at),
                        alt.device
                    ),
                    format!(
                        "    [{i}] {} by {} on device {} at {}",
                        alt.value,
                        alt.by,
                        alt.device,
                        time_text(&alt.at)
                    ),
                ));
            }
        }
    }
    if !v.concurrent_facts.is_empty() {
        t.line("");
        t.line(l.pick(
            "并发修改的登记信息（显示第一个，全部保留）：",
            "Concurrent facts (first shown, all kept):",
        ));
        for f in &v.concurrent_facts {
            t.line(format!("  {}: {}", f.field, f.values.join(" | ")));
        }
    }

    if !v.unknown.is_empty() {
        t.line("");
        t.line(l.pick(
            format!(
                "无法识别的内容（{}）：由更新版本的应用写入，已原样保留并同步。请更新应用后查看和处理。",
                v.unknown.len()
            ),
            format!(
                "Unknown content ({}): written by a newer version of the app; kept and synced as \
                 it is. Update the app to see and work on it.",
                v.unknown.len()
            ),
        ));
        for u in &v.unknown {
            t.line(format!(
                "  {} {}",
                l.pick("无法识别", "UNKNOWN"),
                unknown_line(u, l)
            ));
        }
    }

    let photos: Vec<String> = match &extras.photos {
        Some(lines) => lines.clone(),
        None => v
            .photos
            .iter()
            .map(|p| photo_line(&p.hash, &p.record, None, l))
            .collect(),
    };
    section(&mut t, l.pick("照片", "Photos"), photos.len());
    for line in &photos {
        t.line(format!("  {line}"));
    }

    section(&mut t, l.pick("配件", "Parts"), v.parts.len());
    let unaccounted = v.unaccounted_old_parts();
    for p in &v.parts {
        let part = &p.part;
        let mut line = format!(
            "  {} · {} · {} x{}",
            p.id, part.part_number, part.specification, part.quantity
        );
        if let Some(serial) = &part.new_serial {
            line.push_str(&format!(
                " · {} {serial}",
                l.pick("新件序列号", "new serial")
            ));
        }
        if part.old_part_kept {
            line.push_str(l.pick(" · 旧件已留存", " · old part kept"));
            if let Some(serial) = &part.old_part_serial {
                line.push_str(&l.pick(
                    format!("（序列号 {serial}）"),
                    format!(" (serial {serial})"),
                ));
            }
            line.push_str(if p.old_part_returned {
                l.pick("，已交回", ", returned")
            } else {
                l.pick("，尚未交回", ", not returned yet")
            });
        }
        line.push_str(&format!(" · {}", stamped(&p.stamp, l)));
        t.line(line);
        if p.off_catalog {
            detail(
                &mut t,
                format!(
                    "{}{}",
                    l.pick("目录外配件：", "OFF CATALOG: "),
                    p.part.off_catalog_reason.as_deref().unwrap_or("")
                ),
            );
        }
        // Custody is shown once recorded, or when the case cannot close without it; a return
        // is already on the line itself.
        let needed = unaccounted.iter().any(|u| u.line_id == p.id);
        let recorded = !matches!(
            p.custody,
            OldPartCustody::Unrecorded | OldPartCustody::Returned
        );
        if !p.reversed && (recorded || needed) {
            detail(
                &mut t,
                format!(
                    "{}{}{}",
                    l.pick("旧件：", "old part: "),
                    p.custody.text(l),
                    if needed {
                        l.pick("（结案前须落实）", " (needed before closing)")
                    } else {
                        ""
                    }
                ),
            );
        }
        if p.reversed {
            detail(
                &mut t,
                format!(
                    "{}{}",
                    l.pick("已删除：", "REMOVED: "),
                    p.reversal_reason
                        .as_deref()
                        .unwrap_or(l.pick("未说明原因", "no reason given"))
                ),
            );
        }
    }

    section(&mut t, l.pick("备注", "Notes"), v.notes.len());
    for n in &v.notes {
        t.line(format!(
            "  {} {}: {}",
            time_text(&n.stamp.at),
            n.stamp.by,
            n.body.text
        ));
    }

    section(&mut t, l.pick("上门记录", "Visits"), v.visits.len());
    for visit in &v.visits {
        let what = match &visit.body {
            VisitBody::Scheduled { planned_for } => {
                format!(
                    "{} {}",
                    l.pick("计划上门", "visit planned for"),
                    time_text(planned_for)
                )
            }
            VisitBody::Arrived => l.pick("已到达现场", "arrived on site").to_owned(),
            VisitBody::TripRequested {
                reason,
                planned_for,
            } => {
                let mut what = format!("{} ({reason})", l.pick("出差申请", "trip requested"));
                if let Some(at) = planned_for {
                    what.push_str(&format!(" {} {}", l.pick("计划", "for"), time_text(at)));
                }
                what.push_str(&match v.approvals.iter().find(|a| a.request == visit.id) {
                    None => format!(" · {}", l.pick("等待总部审批", "waiting for HQ")),
                    Some(a) => format!(
                        " · {} {} {}{}",
                        match (a.approved, l) {
                            (true, Locale::ZhCn) => "已批准，审批人",
                            (false, Locale::ZhCn) => "已驳回，审批人",
                            (true, Locale::En) => "approved by",
                            (false, Locale::En) => "rejected by",
                        },
                        a.by,
                        time_text(&a.at),
                        a.reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    ),
                });
                what
            }
            VisitBody::Emergency { reason } => {
                format!("{}: {reason}", l.pick("紧急上门", "emergency visit"))
            }
        };
        t.line(format!(
            "  {} {}: {what}",
            time_text(&visit.stamp.at),
            visit.stamp.by
        ));
    }

    section(
        &mut t,
        l.pick("客户确认", "Confirmations"),
        v.confirmations.len(),
    );
    for c in &v.confirmations {
        let input = &c.body.input;
        let mut line = match l {
            Locale::ZhCn => format!(
                "  {} {}: {} {}第 {} 轮的处理结果",
                time_text(&c.stamp.at),
                c.stamp.by,
                input.customer_name,
                if input.accepted {
                    "认可"
                } else {
                    "不认可"
                },
                c.body.round
            ),
            Locale::En => format!(
                "  {} {}: {} {} the outcome of round {}",
                time_text(&c.stamp.at),
                c.stamp.by,
                input.customer_name,
                if input.accepted {
                    "accepted"
                } else {
                    "rejected"
                },
                c.body.round
            ),
        };
        if let Some(reason) = &input.reason {
            line.push_str(&l.pick(format!("（{reason}）"), format!(" ({reason})")));
        }
        if let Some(hash) = &input.signature_hash {
            line.push_str(&format!(" · {} {hash}", l.pick("签字", "signature")));
        }
        t.line(line);
    }

    if !v.rounds.is_empty() {
        section(&mut t, l.pick("处理轮次", "Rounds"), v.rounds.len());
        for round in &v.rounds {
            t.line(l.pick(
                format!(
                    "  第 {} 轮 · {} 于 {} 开始：{}",
                    round.body.round,
                    round.stamp.by,
                    time_text(&round.stamp.at),
                    round.body.reason
                ),
                format!(
                    "  round {} started {} by {}: {}",
                    round.body.round,
                    time_text(&round.stamp.at),
                    round.stamp.by,
                    round.body.reason
                ),
            ));
        }
    }

    section(&mut t, l.pick("历史记录", "History"), v.events.len());
    for e in &v.events {
        t.line(format!(
            "  {} {} {}: {}",
            time_text(&e.stamp.at),
            e.stamp.by,
            event_action_text(&e.body.action, l),
            history_text(&e.body, l)
        ));
    }
    t.into_string()
}

/// A label padded to the label column; a Chinese character takes two columns in a terminal.
pub fn label_padded(label: &str, width: usize) -> String {
    format!(
        "{label}{}",
        " ".repeat(width.saturating_sub(text_width(label)))
    )
}

/// The terminal columns a text takes: two for a CJK ideograph, a Hangul syllable or a
/// full-width form (the Chinese punctuation `：（）` included), one for anything else, so the
/// columns of a table line up in either language and a `°C` or `MΩ` is not padded short.
pub fn text_width(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

fn field(t: &mut Text, label: &str, value: impl AsRef<str>) {
    t.line(format!("{}{}", label_padded(label, LABEL), value.as_ref()));
}

fn detail(t: &mut Text, value: impl AsRef<str>) {
    t.line(format!("{:<LABEL$}{}", "", value.as_ref()));
}

fn section(t: &mut Text, title: &str, count: usize) {
    t.line("");
    let l = t.locale;
    match count {
        0 => t.line(l.pick(format!("{title}：无"), format!("{title}: none"))),
        _ => t.line(l.pick(
            format!("{title}（{count}）："),
            format!("{title} ({count}):"),
        )),
    }
}

fn stamped(stamp: &Stamp, l: Locale) -> String {
    l.pick(
        format!("{} 于 {}", stamp.by, time_text(&stamp.at)),
        format!("by {} at {}", stamp.by, time_text(&stamp.at)),
    )
}

fn decided_by<T>(d: &DecisionView<T>, l: Locale) -> String {
    format!(
        "{}{}",
        stamped(&d.current.stamp, l),
        resolved_note(&d.current.resolved_by, l)
    )
}

fn resolved_note(resolved_by: &Option<Stamp>, l: Locale) -> String {
    resolved_by
        .as_ref()
        .map(|s| {
            l.pick(
                format!("（{} 选定）", stamped(s, l)),
                format!(" (chosen {})", stamped(s, l)),
            )
        })
        .unwrap_or_default()
}

fn date_or_unknown(date: Option<chrono::NaiveDate>, l: Locale) -> String {
    date.map_or_else(|| l.pick("未知", "unknown").to_owned(), |d| d.to_string())
}

/// A time as people read it, in the offset it was recorded with.
pub fn time_text(at: &Timestamp) -> String {
    at.format("%Y-%m-%d %H:%M %:z").to_string()
}

/// Minor units as a major-unit amount with two decimals: 12050 CNY → "120.50 CNY".
pub fn money_text(amount_minor: i64, currency: &str) -> String {
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", abs / 100, abs % 100)
}

/// What the deadlines count from and what met them, shown only when recorded.
fn deadline_records(t: &mut Text, v: &CaseView, l: Locale) {
    if let Some(qa) = &v.passed_to_qa {
        field(
            t,
            l.pick("品保", "Quality"),
            format!(
                "{} · {}",
                l.pick("已转交品保部", "passed to QA"),
                decided_by(qa, l)
            ),
        );
        detail(t, &qa.current.value.reason);
    }
    if let Some(r) = &v.remedy {
        let round = r.current.value.round;
        field(
            t,
            l.pick("处理方案", "Remedy"),
            format!("{} {round} · {}", l.pick("轮次", "round"), decided_by(r, l)),
        );
        detail(t, &r.current.value.proposal);
    }
    if let Some(r) = &v.report {
        let report = &r.current.value;
        field(
            t,
            l.pick("调查报告", "Report"),
            format!(
                "{} {} · {}",
                l.pick("轮次", "round"),
                report.round,
                decided_by(r, l)
            ),
        );
        detail(t, format!("findings: {}", report.findings));
        detail(t, format!("cause: {}", report.cause));
        detail(t, format!("handling: {}", report.handling));
    }
    if let Some(a) = &v.agreed_deadline {
        let agreed = &a.current.value;
        field(
            t,
            l.pick("约定日期", "Agreed date"),
            format!(
                "{} with {} · round {} · {}",
                agreed.date,
                agreed.with_whom,
                agreed.round,
                decided_by(a, l)
            ),
        );
    }
    for m in &v.missed_deadlines {
        field(
            t,
            l.pick("逾期", "Missed"),
            format!(
                "{} of round {} due {}, noticed {} by {}",
                m.value.milestone.text(l),
                m.value.round,
                time_text(&m.value.due_at),
                time_text(&m.stamp.at),
                m.stamp.by
            ),
        );
    }
}

/// "reply due 2026-03-02 09:30 +08:00", with " OVERDUE" when it has passed; in Chinese
/// "答复客户 截止 2026-03-02 09:30 +08:00 已逾期".
pub fn due_text(due: &Option<Due>, now: Timestamp, l: Locale) -> String {
    match due {
        None => l.pick("无待办期限", "nothing due").to_owned(),
        Some(d) => format!(
            "{} {} {}{}",
            d.milestone.text(l),
            l.pick("截止", "due"),
            time_text(&d.due_at),
            if deadlines::is_overdue(d, now) {
                l.pick(" 已逾期", " OVERDUE")
            } else {
                ""
            }
        ),
    }
}

/// The snake_case name serde gives an enum value.
pub fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::from("?"),
    }
}

/// At most `max` characters, the last one an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

pub fn short_hash(hash: &str) -> &str {
    hash.get(..SHORT_HASH).unwrap_or(hash)
}

/// "2048×1536".
pub fn dimensions(record: &PhotoRecord) -> String {
    format!("{}×{}", record.width, record.height)
}

/// One line of a case's photo section: kind, caption, short hash, size in pixels, and the
/// upload state (its name) where the caller knows it.
pub fn photo_line(hash: &str, record: &PhotoRecord, upload: Option<&str>, l: Locale) -> String {
    let mut line = format!("{} · ", record.kind.text(l));
    if !record.caption.trim().is_empty() {
        line.push_str(&format!("{} · ", truncate(&record.caption, CAPTION_WIDTH)));
    }
    line.push_str(&format!("{} · {}", short_hash(hash), dimensions(record)));
    if let Some(upload) = upload {
        line.push_str(&format!(" · {upload}"));
    }
    line
}

/// Lines of text built without `fmt::Result` plumbing, in one locale.
struct Text {
    text: String,
    locale: Locale,
}

impl Text {
    fn new(locale: Locale) -> Text {
        Text {
            text: String::new(),
            locale,
        }
    }

    fn line(&mut self, line: impl AsRef<str>) {
        self.text.push_str(line.as_ref());
        self.text.push('\n');
    }

    fn into_string(self) -> String {
        self.text
    }
}

/// The case's status as text; one this version does not know is marked, with what to do.
pub fn status_text(view: &CaseView, locale: Locale) -> String {
    view.status().text(locale)
}

/// One item of unknown content: what and where, with its raw JSON where it has some.
fn unknown_line(u: &UnknownContent, l: Locale) -> String {
    match u {
        UnknownContent::Status { value } => format!("{} `{value}`", l.pick("状态", "status")),
        UnknownContent::Fact { key, json } => {
            format!("{} {key} = {json}", l.pick("登记信息", "fact"))
        }
        UnknownContent::Decision { field, json } => {
            format!("{} {field} = {json}", l.pick("判定", "decision"))
        }
        UnknownContent::Entry {
            collection,
            id,
            entry_kind,
            json,
        } => l.pick(
            format!("{collection} 记录 {id}（类型 `{entry_kind}`）：{json}"),
            format!("{collection} entry {id} of kind `{entry_kind}`: {json}"),
        ),
        UnknownContent::RootKey { key } => l.pick(
            format!("`{key}`（本版本不显示）"),
            format!("`{key}` (not shown by this version)"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(money_text(12050, "CNY"), "120.50 CNY");
        assert_eq!(money_text(5, "CNY"), "0.05 CNY");
        assert_eq!(money_text(0, "CNY"), "0.00 CNY");
        assert_eq!(money_text(-150, "EUR"), "-1.50 EUR");
        assert_eq!(money_text(i64::MIN, "X"), "-92233720368547758.08 X");
    }

    #[test]
    fn chinese_takes_two_columns_and_other_letters_one() {
        assert_eq!(text_width("status"), 6);
        assert_eq!(text_width("状态"), 4);
        assert_eq!(text_width("5 个工作日"), 10);
        assert_eq!(text_width("（国外）："), 10);
        assert_eq!(text_width("550MΩ · 96 °C"), 13);
        assert_eq!(label_padded("状态", 6), "状态  ");
        assert_eq!(label_padded("Status", 8), "Status  ");
        assert_eq!(label_padded("出厂编号", 4), "出厂编号");
    }

    #[test]
    fn long_names_are_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcd", 4), "abcd");
    }
}
