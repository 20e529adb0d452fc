//! A case's returns as text: each return's kind, items, window, approval chain, RMA number,
//! state and what it waits for; each receipt with the checks A–G it raises (what raised them
//! and the receiver's notes); re-inspections and when they are due; the replenishment notice,
//! the replacement and the analysis report. `rma show` prints it, and `case show` below the
//! case.

use fieldcore::{
    CaseView, InspectionResult, Locale, Localized, ReceiptOutcome, ReceiptView, ReturnKind,
    ReturnView, Role, Stamp, StepView, Timestamp,
};

use crate::output::{Text, locale, time};

/// Every return of the case and the receipts that belong to none; a line saying there are
/// none when the case has neither.
pub fn returns_text(view: &CaseView, now: Timestamp) -> String {
    let l = locale();
    let mut text = Text::default();
    if view.returns.is_empty() && view.unmatched_receipts.is_empty() {
        text.line(l.pick("没有退换货", "no returns or exchanges"));
        return text.into_string();
    }
    for r in &view.returns {
        text.line(return_text(r, now).trim_end());
    }
    for receipt in &view.unmatched_receipts {
        text.line(receipt_text(receipt, true).trim_end());
    }
    text.into_string()
}

fn kind_text(kind: ReturnKind, l: Locale) -> &'static str {
    match kind {
        ReturnKind::Return => l.pick("退货", "Return"),
        ReturnKind::Exchange => l.pick("换货", "Exchange"),
    }
}

fn role_text(role: &str, l: Locale) -> String {
    match Role::parse(role) {
        Some(r) if l == Locale::ZhCn => r.text(l),
        _ => role.to_owned(),
    }
}

fn stamp_text(s: &Stamp, l: Locale) -> String {
    l.pick(
        format!("{} 于 {}", s.by, time(&s.at)),
        format!("by {} at {}", s.by, time(&s.at)),
    )
}

/// The one line a command prints about the return it touched: its name, state, what it
/// waits for and when re-inspection is due.
pub fn return_line(r: &ReturnView, now: Timestamp) -> String {
    let l = locale();
    let name = match &r.rma {
        Some(n) => n.number.clone(),
        None => l.pick("（尚无退货编号）", "(no RMA number yet)").to_owned(),
    };
    let mut line = l.pick(
        format!("{} {name} · {}", kind_text(r.kind, l), state_text(r)),
        format!("{} {name} · {}", kind_text(r.kind, l), state_text(r)),
    );
    if let Some(due) = due_text(r, now) {
        line.push_str(" · ");
        line.push_str(&due);
    }
    line.push('\n');
    line
}

/// The state, with the step and role it waits for while in the approval chain, or the
/// replenishment notice's.
fn state_text(r: &ReturnView) -> String {
    let l = locale();
    let state = l.pick(r.state.text(l), r.state.as_str().to_owned());
    let waiting = r
        .waiting_for()
        .map(|s| (s.step.clone(), s.role.clone()))
        .or_else(|| {
            r.replenishment_waiting().and_then(|n| {
                n.steps
                    .iter()
                    .find(|s| s.decision.is_none())
                    .map(|s| (s.step.step.clone(), s.step.role.clone()))
            })
        });
    match waiting {
        Some((step, role)) => l.pick(
            format!("{state}（待{}{}）", role_text(&role, l), step_zh(&step)),
            format!("{state} (waits for the {step} by {role})"),
        ),
        None => state,
    }
}

fn step_zh(step: &str) -> String {
    match step {
        "review" => "审核".to_owned(),
        "approve" => "批准".to_owned(),
        other => other.to_owned(),
    }
}

fn due_text(r: &ReturnView, now: Timestamp) -> Option<String> {
    let l = locale();
    let due = r.reinspection_due?;
    if r.state != fieldcore::ReturnState::AwaitingInspection {
        return None;
    }
    let at = time(&due);
    Some(if r.reinspection_overdue(now) {
        l.pick(
            format!("复检期限 {at}（已逾期）"),
            format!("re-inspection due {at} (OVERDUE)"),
        )
    } else {
        l.pick(format!("复检期限 {at}"), format!("re-inspection due {at}"))
    })
}

fn steps_text(text: &mut Text, label: &str, steps: &[StepView]) {
    let l = locale();
    for s in steps {
        let who = role_text(&s.step.role, l);
        let decided = match &s.decision {
            None => l.pick("待决定", "waiting").to_owned(),
            Some(d) => {
                let verdict = match (d.approved, l) {
                    (true, Locale::ZhCn) => "通过",
                    (false, Locale::ZhCn) => "驳回",
                    (true, Locale::En) => "approved",
                    (false, Locale::En) => "rejected",
                };
                let reason = d
                    .reason
                    .as_deref()
                    .map(|r| l.pick(format!("：{r}"), format!(": {r}")))
                    .unwrap_or_default();
                l.pick(
                    format!("{} 于 {} {verdict}{reason}", d.by, time(&d.at)),
                    format!("{verdict} by {} at {}{reason}", d.by, time(&d.at)),
                )
            }
        };
        text.line(l.pick(
            format!("  {label}{}（{who}）：{decided}", step_zh(&s.step.step)),
            format!("  {label}{} ({who}): {decided}", s.step.step),
        ));
    }
}

fn return_text(r: &ReturnView, now: Timestamp) -> String {
    let l = locale();
    let mut text = Text::default();
    text.line(return_line(r, now).trim_end());
    text.line(l.pick(
        format!("  申请：{}（编号 {}）", stamp_text(&r.requested, l), r.id),
        format!(
            "  requested {} (request {})",
            stamp_text(&r.requested, l),
            r.id
        ),
    ));
    for item in &r.items {
        let serial = item
            .serial
            .as_deref()
            .map(|s| l.pick(format!("，出厂编号 {s}"), format!(", serial {s}")))
            .unwrap_or_default();
        text.line(l.pick(
            format!(
                "  明细：{} {} 台{serial}；原因：{}；故障：{}",
                item.model, item.quantity, item.reason, item.fault
            ),
            format!(
                "  item: {} × {}{serial}; reason: {}; fault: {}",
                item.quantity, item.model, item.reason, item.fault
            ),
        ));
    }
    let freight = match (r.freight, l) {
        (fieldcore::Freight::Company, Locale::ZhCn) => "公司承担",
        (fieldcore::Freight::Customer, Locale::ZhCn) => "客户承担",
        (f, _) => f.as_str(),
    };
    text.line(l.pick(
        format!(
            "  运费：{freight}；无法现场修复的原因：{}",
            r.why_not_on_site
        ),
        format!(
            "  freight: {freight}; not fixable on site: {}",
            r.why_not_on_site
        ),
    ));
    text.line(l.pick(
        format!("  退货期限：{}", r.window.text(l)),
        format!("  window: {}", r.window.text(l)),
    ));
    if let Some(why) = &r.window_override {
        text.line(l.pick(
            format!("  超期申请原因：{why}"),
            format!("  outside the window because: {why}"),
        ));
    }
    steps_text(&mut text, "", &r.steps);
    if let Some(rma) = &r.rma {
        text.line(l.pick(
            format!(
                "  退货编号 {}：总部于 {} 签发（{} 批准）",
                rma.number,
                time(&rma.issued_at),
                rma.by
            ),
            format!(
                "  RMA number {} issued at {} (approved by {})",
                rma.number,
                time(&rma.issued_at),
                rma.by
            ),
        ));
    }
    for receipt in &r.receipts {
        text.line(receipt_text(receipt, false).trim_end());
    }
    for i in &r.inspections {
        let result = match &i.body.result {
            InspectionResult::Good { restocked_to } => l.pick(
                format!("合格，标识客退，入库 {restocked_to}"),
                format!("good, labelled customer return, restocked to {restocked_to}"),
            ),
            InspectionResult::Bad {
                reason,
                nonconformance,
            } => {
                let ncr = nonconformance
                    .as_deref()
                    .map(|n| l.pick(format!("（不合格品报告 {n}）"), format!(" (NCR {n})")))
                    .unwrap_or_default();
                l.pick(
                    format!("不合格，报废：{reason}{ncr}"),
                    format!("bad, scrapped: {reason}{ncr}"),
                )
            }
        };
        text.line(l.pick(
            format!(
                "  复检 {}：{result}（{}）",
                i.body.unit,
                stamp_text(&i.stamp, l)
            ),
            format!(
                "  unit {} re-inspected: {result} ({})",
                i.body.unit,
                stamp_text(&i.stamp, l)
            ),
        ));
    }
    for n in &r.replenishment {
        text.line(l.pick(
            format!("  补货通知：{}（{}）", n.note, stamp_text(&n.stamp, l)),
            format!(
                "  replenishment notice: {} ({})",
                n.note,
                stamp_text(&n.stamp, l)
            ),
        ));
        steps_text(&mut text, l.pick("补货", "replenishment "), &n.steps);
    }
    if let Some(s) = &r.replacement_received {
        text.line(l.pick(
            format!("  客户确认收到换货（{}）", stamp_text(s, l)),
            format!(
                "  customer confirmed the replacement ({})",
                stamp_text(s, l)
            ),
        ));
    }
    if r.batch {
        match &r.analysis {
            Some(a) => text.line(l.pick(
                format!("  退货分析改善报告：原因 {}；措施 {}", a.cause, a.actions),
                format!(
                    "  analysis report: cause {}; actions {}",
                    a.cause, a.actions
                ),
            )),
            None => text.line(l.pick(
                "  批量退货：结案前须提交退货分析改善报告",
                "  batch return: the analysis report is needed before the case closes",
            )),
        }
    } else if let Some(a) = &r.analysis {
        text.line(l.pick(
            format!("  退货分析改善报告：原因 {}；措施 {}", a.cause, a.actions),
            format!(
                "  analysis report: cause {}; actions {}",
                a.cause, a.actions
            ),
        ));
    }
    text.into_string()
}

/// A receipt: outcome, units, packing, who and when, then each check raised with what raised
/// it and the receiver's notes. `unmatched` says it belongs to no return yet.
pub fn receipt_text(r: &ReceiptView, unmatched: bool) -> String {
    let l = locale();
    let mut text = Text::default();
    let outcome = match (r.outcome, l) {
        (ReceiptOutcome::Accepted, Locale::ZhCn) => "已接收",
        (ReceiptOutcome::Refused, Locale::ZhCn) => "已拒收",
        (o, _) => o.as_str(),
    };
    let number = r.rma_number.as_deref().unwrap_or("-");
    let units = r.units();
    text.line(l.pick(
        format!(
            "  接收单 {}：{outcome}，退货编号 {number}，{units} 台，{}（{}）",
            r.id,
            r.packing.text(l),
            stamp_text(&r.stamp, l)
        ),
        format!(
            "  receipt {}: {outcome}, RMA number {number}, {units} unit(s), {} ({})",
            r.id,
            r.packing.text(l),
            stamp_text(&r.stamp, l)
        ),
    ));
    if unmatched {
        text.line(l.pick(
            "    尚未对应任何退换货申请：同步后由总部核对退货编号",
            "    belongs to no return yet: HQ confirms the RMA number at sync",
        ));
    }
    for c in &r.counted {
        let serial = c
            .serial
            .as_deref()
            .map(|s| l.pick(format!("，出厂编号 {s}"), format!(", serial {s}")))
            .unwrap_or_default();
        text.line(l.pick(
            format!("    实收：{} {} 台{serial}", c.model, c.quantity),
            format!("    counted: {} × {}{serial}", c.quantity, c.model),
        ));
    }
    if let Some(why) = &r.refusal_reason {
        text.line(l.pick(
            format!("    拒收原因：{why}"),
            format!("    refused because: {why}"),
        ));
    }
    if r.checks.is_empty() {
        text.line(l.pick("    退货异常：无", "    checks: none raised"));
    }
    for c in &r.checks {
        text.line(format!("    {}", c.check.text(l)));
        for reason in r.reason_texts(c.check, l) {
            text.line(l.pick(
                format!("      原因：{reason}"),
                format!("      raised by: {reason}"),
            ));
        }
        for n in &c.notes {
            let photo = n
                .photo
                .as_deref()
                .map(|p| {
                    let short = p.get(..12).unwrap_or(p);
                    l.pick(format!("（照片 {short}）"), format!(" (photo {short})"))
                })
                .unwrap_or_default();
            text.line(l.pick(
                format!("      说明：{}{photo}", n.note),
                format!("      note: {}{photo}", n.note),
            ));
        }
    }
    for stamp in &r.amended_by {
        text.line(l.pick(
            format!("    补充记录：{}", stamp_text(stamp, l)),
            format!("    amended {}", stamp_text(stamp, l)),
        ));
    }
    text.into_string()
}
