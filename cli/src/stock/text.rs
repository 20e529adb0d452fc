//! Stock as text in the output's language: what a command recorded (and the part's balance
//! it left, flagged below zero), a holder's balance with the movements that drove a part
//! below zero, one quarter's ledger and the list of ledgers.

use std::collections::HashMap;

use fieldcore::{
    HeldLedger, Holder, LedgerView, Locale, Localized, MovementEntry, MovementKind, PartBalance,
    Quarter, Role, StockApproval, StockCommand as Core, StockRecorded,
};

use crate::output::{Text, aligned, count, locale, time};

fn kind_text(kind: MovementKind, l: Locale) -> &'static str {
    match kind {
        MovementKind::Receipt => l.pick("入库", "receipt"),
        MovementKind::Issue => l.pick("领用出库", "issue"),
        MovementKind::TransferOut => l.pick("调出", "transfer out"),
        MovementKind::TransferIn => l.pick("调入", "transfer in"),
        MovementKind::ReturnDefective => l.pick("退回不良件", "defective return"),
        MovementKind::Purchase => l.pick("应急采购", "emergency purchase"),
        MovementKind::Adjustment => l.pick("盘点调整", "count adjustment"),
    }
}

fn role_text(role: &str, l: Locale) -> String {
    match Role::parse(role) {
        Some(r) if l == Locale::ZhCn => r.text(l),
        _ => role.to_owned(),
    }
}

fn step_zh(step: &str) -> String {
    match step {
        "review" => "审核".to_owned(),
        "approve" => "批准".to_owned(),
        other => other.to_owned(),
    }
}

/// Where a purchase or requisition stands with its approvers.
pub fn approval_text(a: &StockApproval) -> String {
    let l = locale();
    match a {
        StockApproval::Waiting { step, role } => l.pick(
            format!("待{}{}", role_text(role, l), step_zh(step)),
            format!("waits for the {step} by {role}"),
        ),
        StockApproval::Approved => l.pick("已批准", "approved").to_owned(),
        StockApproval::Rejected { step, reason } => {
            let reason = reason.as_deref().unwrap_or_default();
            l.pick(
                format!("{}被驳回：{reason}", step_zh(step)),
                format!("rejected at the {step}: {reason}"),
            )
        }
    }
}

/// `+3` or `-2`: what a count does to the balance.
fn delta_text(delta: i64) -> String {
    if delta > 0 {
        format!("+{delta}")
    } else {
        delta.to_string()
    }
}

/// The first line of a recorded command: who did what with which part.
fn summary(holder: &Holder, command: &Core) -> String {
    let l = locale();
    match command {
        Core::Issue {
            part_number,
            quantity,
            case_id,
            ..
        } => l.pick(
            format!("{holder} 领用 {part_number} × {quantity}，用于案件 {case_id}"),
            format!("{holder} issued {quantity} × {part_number} to case {case_id}"),
        ),
        Core::TransferOut {
            part_number,
            quantity,
            to,
            ..
        } => l.pick(
            format!("{holder} 调出 {part_number} × {quantity} 至 {to}"),
            format!("{holder} transferred {quantity} × {part_number} out to {to}"),
        ),
        Core::TransferIn {
            part_number,
            quantity,
            from,
            ..
        } => l.pick(
            format!("{holder} 自 {from} 调入 {part_number} × {quantity}"),
            format!("{holder} took over {quantity} × {part_number} from {from}"),
        ),
        Core::ReturnDefective {
            part_number,
            quantity,
            reason,
            ..
        } => l.pick(
            format!("{holder} 退回不良件 {part_number} × {quantity}：{reason}"),
            format!("{holder} sent back {quantity} defective × {part_number}: {reason}"),
        ),
        Core::Purchase {
            part_number,
            quantity,
            supplier,
            unit_cost,
            ..
        } => {
            let cost = unit_cost
                .as_deref()
                .map(|c| l.pick(format!("，单价 {c} 元"), format!(", {c} yuan each")))
                .unwrap_or_default();
            l.pick(
                format!("{holder} 向 {supplier} 应急采购 {part_number} × {quantity}{cost}"),
                format!(
                    "{holder} bought {quantity} × {part_number} from {supplier} in an emergency{cost}"
                ),
            )
        }
        Core::Adjust {
            part_number,
            delta,
            reason,
            ..
        } => {
            let delta = delta_text(*delta);
            l.pick(
                format!("{holder} 盘点调整 {part_number} {delta}：{reason}"),
                format!("{holder} adjusted the count of {part_number} by {delta}: {reason}"),
            )
        }
        Core::Requisition {
            part_number,
            specification,
            quantity,
            ..
        } => l.pick(
            format!("{holder} 申领三包配件 {part_number}（{specification}）× {quantity}"),
            format!(
                "{holder} requested {quantity} × {part_number} ({specification}) as warranty parts"
            ),
        ),
        Core::ShipOldParts { parts, waybill } => {
            let waybill = waybill
                .as_deref()
                .map(|w| l.pick(format!("，运单 {w}"), format!(", waybill {w}")))
                .unwrap_or_default();
            let tags: Vec<&str> = parts.iter().map(|p| p.tag.as_str()).collect();
            l.pick(
                format!(
                    "{holder} 向总部寄回旧件 {} 件（{}）{waybill}",
                    parts.len(),
                    tags.join("、")
                ),
                format!(
                    "{holder} shipped {} to HQ ({}){waybill}",
                    count(parts.len(), "件旧件", "old part", "old parts"),
                    tags.join(", ")
                ),
            )
        }
    }
}

/// A part's balance on one line, flagged when below zero.
fn balance_line(b: &PartBalance) -> String {
    let l = locale();
    let mut line = l.pick(
        format!("结存 {}：{}", b.part_number, b.quantity),
        format!("balance of {}: {}", b.part_number, b.quantity),
    );
    if b.negative() {
        line.push_str(l.pick(
            "（低于零：有无库存时的出库，请核对）",
            " (BELOW ZERO: parts went out without stock on hand; check the count)",
        ));
    }
    line
}

/// What a stock command recorded.
pub fn recorded_text(
    holder: &Holder,
    command: &Core,
    recorded: &StockRecorded,
    balance: Option<&PartBalance>,
    approval: Option<&StockApproval>,
) -> String {
    let l = locale();
    let mut text = Text::default();
    text.line(summary(holder, command));
    let mut booked = l.pick(
        format!(
            "记录 {} · 计入 {} 台账",
            recorded.entry_id, recorded.quarter
        ),
        format!(
            "entry {} · booked in the {} ledger",
            recorded.entry_id, recorded.quarter
        ),
    );
    if let Some(closed) = recorded.correction_of {
        booked.push_str(&l.pick(
            format!(" · 作为已核销季度 {closed} 的更正"),
            format!(" · as a correction of {closed}, already written off"),
        ));
    }
    text.line(booked);
    if let Some(a) = approval {
        text.line(approval_text(a));
    }
    if let Some(b) = balance {
        text.line(balance_line(b));
    }
    text.into_string()
}

/// One movement as the balance's and the ledger's notes show it.
fn movement_line(m: &MovementEntry) -> String {
    let l = locale();
    let mv = &m.movement;
    format!(
        "{} · {} {} {} · {} · {}",
        time(&mv.at),
        kind_text(mv.kind, l),
        mv.part_number,
        delta_text(mv.delta()),
        detail(m),
        l.pick(format!("记录人 {}", mv.by), format!("by {}", mv.by)),
    )
}

/// The other side of a movement, its case or its reason.
fn detail(m: &MovementEntry) -> String {
    let l = locale();
    let mv = &m.movement;
    let mut parts: Vec<String> = Vec::new();
    if let Some(case) = &mv.case_id {
        parts.push(l.pick(format!("案件 {case}"), format!("case {case}")));
    }
    if let Some(line) = &mv.line {
        parts.push(l.pick(format!("配件记录 {line}"), format!("line {line}")));
    }
    if let Some(other) = &mv.counterparty {
        parts.push(match mv.kind {
            MovementKind::TransferOut => l.pick(format!("至 {other}"), format!("to {other}")),
            MovementKind::Purchase => {
                l.pick(format!("供应商 {other}"), format!("supplier {other}"))
            }
            _ => l.pick(format!("来自 {other}"), format!("from {other}")),
        });
    }
    if let Some(cost) = &mv.unit_cost {
        parts.push(l.pick(format!("单价 {cost} 元"), format!("{cost} yuan each")));
    }
    if let Some(reference) = &mv.reference {
        parts.push(l.pick(format!("单据 {reference}"), format!("ref {reference}")));
    }
    if let Some(reason) = &mv.reason {
        parts.push(reason.clone());
    }
    parts.join(l.pick("；", "; "))
}

/// The marks of a movement: late after the write-off, a correction, a purchase's approval.
fn marks(m: &MovementEntry) -> String {
    let l = locale();
    let mut marks: Vec<String> = Vec::new();
    if let Some(q) = m.movement.correction_of {
        marks.push(l.pick(format!("更正 {q}"), format!("correction of {q}")));
    }
    if m.late {
        marks.push(
            l.pick("核销后补录（转入下季度更正）", "LATE: after the write-off")
                .to_owned(),
        );
    }
    if let Some(a) = &m.approval {
        marks.push(approval_text(a));
    }
    marks.join(l.pick("；", "; "))
}

/// The holder's balance per part; parts below zero are flagged and followed by the movements
/// after which they stood there.
pub fn balance_text(
    holder: &Holder,
    balances: &[PartBalance],
    movements: &HashMap<String, MovementEntry>,
) -> String {
    let l = locale();
    let mut text = Text::default();
    if balances.is_empty() {
        text.line(l.pick(
            format!("{holder} 在本设备上没有库存记录"),
            format!("no stock movements of {holder} on this device"),
        ));
        return text.into_string();
    }
    text.line(l.pick(format!("{holder} 库存结存"), format!("stock of {holder}")));
    let mut rows = vec![[
        l.pick("配件编号", "part").to_owned(),
        l.pick("结存", "quantity").to_owned(),
        l.pick("记录数", "movements").to_owned(),
        String::new(),
    ]];
    for b in balances {
        rows.push([
            b.part_number.clone(),
            b.quantity.to_string(),
            b.movements.to_string(),
            if b.negative() {
                l.pick("低于零", "BELOW ZERO").to_owned()
            } else if !b.went_negative.is_empty() {
                l.pick("曾低于零", "was below zero").to_owned()
            } else {
                String::new()
            },
        ]);
    }
    aligned(&mut text, &rows);
    for b in balances.iter().filter(|b| !b.went_negative.is_empty()) {
        text.line(l.pick(
            format!("{} 在以下记录后低于零：", b.part_number),
            format!("{} stood below zero after:", b.part_number),
        ));
        for id in &b.went_negative {
            match movements.get(id) {
                Some(m) => text.line(format!("  {} ({id})", movement_line(m))),
                None => text.line(format!("  {id}")),
            }
        }
    }
    text.into_string()
}

/// One quarter's ledger: whether it is written off, its movements with their marks, its
/// requisitions with their approval, its shipments with HQ's check.
pub fn ledger_text(ledger: &LedgerView) -> String {
    let l = locale();
    let mut text = Text::default();
    let state = match &ledger.closing {
        Some(c) => l.pick(
            format!(
                "已核销（{} 于 {} 批准，涵盖 {} 条记录）",
                c.by,
                time(&c.at),
                c.movements.len()
            ),
            format!(
                "written off (approved by {} at {}, {} movements covered)",
                c.by,
                time(&c.at),
                c.movements.len()
            ),
        ),
        None => l.pick("未核销", "open").to_owned(),
    };
    text.line(format!("{} · {} · {state}", ledger.holder, ledger.quarter));

    text.line(l.pick(
        format!("库存记录（{}）", ledger.movements.len()),
        format!("movements ({})", ledger.movements.len()),
    ));
    if !ledger.movements.is_empty() {
        let mut rows = vec![[
            l.pick("时间", "time").to_owned(),
            l.pick("类型", "kind").to_owned(),
            l.pick("配件编号", "part").to_owned(),
            l.pick("数量", "qty").to_owned(),
            l.pick("明细", "detail").to_owned(),
            l.pick("记录人", "by").to_owned(),
            l.pick("标记", "marks").to_owned(),
        ]];
        for m in &ledger.movements {
            rows.push([
                time(&m.movement.at),
                kind_text(m.movement.kind, l).to_owned(),
                m.movement.part_number.clone(),
                delta_text(m.movement.delta()),
                detail(m),
                m.movement.by.clone(),
                marks(m),
            ]);
        }
        aligned(&mut text, &rows);
    }

    text.line(l.pick(
        format!("三包配件领用单（{}）", ledger.requisitions.len()),
        format!("requisitions ({})", ledger.requisitions.len()),
    ));
    for r in &ledger.requisitions {
        let q = &r.requisition;
        let dispatched = r
            .dispatched
            .as_deref()
            .map(|d| l.pick(format!(" · 已发货 {d}"), format!(" · dispatched {d}")))
            .unwrap_or_default();
        let case = q
            .case_id
            .as_deref()
            .map(|c| l.pick(format!(" · 案件 {c}"), format!(" · case {c}")))
            .unwrap_or_default();
        text.line(format!(
            "  {} · {} ({}) × {}{case} · {}{dispatched} ({})",
            time(&q.at),
            q.part_number,
            q.specification,
            q.quantity,
            approval_text(&r.approval),
            r.id
        ));
    }

    text.line(l.pick(
        format!("旧件寄回（{}）", ledger.shipments.len()),
        format!("old-part shipments ({})", ledger.shipments.len()),
    ));
    for s in &ledger.shipments {
        let tags: Vec<String> = s
            .shipment
            .parts
            .iter()
            .map(|p| format!("{} {}", p.tag, p.part_number))
            .collect();
        let waybill = s
            .shipment
            .waybill
            .as_deref()
            .map(|w| l.pick(format!(" · 运单 {w}"), format!(" · waybill {w}")))
            .unwrap_or_default();
        let check = match &s.check {
            None => l.pick("总部尚未验收", "not yet checked at HQ").to_owned(),
            Some(c) if c.missing.is_empty() => l.pick(
                format!("总部已验收，{} 件齐全", c.received.len()),
                format!("checked at HQ: all {} received", c.received.len()),
            ),
            Some(c) => l.pick(
                format!(
                    "总部已验收：收到 {} 件，缺少 {}",
                    c.received.len(),
                    c.missing.join("、")
                ),
                format!(
                    "checked at HQ: {} received, MISSING {}",
                    c.received.len(),
                    c.missing.join(", ")
                ),
            ),
        };
        text.line(format!(
            "  {}{waybill} · {} · {check} ({})",
            time(&s.shipment.at),
            tags.join(l.pick("、", ", ")),
            s.id
        ));
    }
    text.into_string()
}

/// The line `stock ledger` prints when this device holds no such ledger.
pub fn no_ledger(holder: &Holder, quarter: Quarter) -> String {
    locale().pick(
        format!("本设备上没有 {holder} 的 {quarter} 台账\n"),
        format!("no ledger of {holder} for {quarter} on this device\n"),
    )
}

/// Every ledger on this device, by holder and quarter.
pub fn ledgers_text(ledgers: &[HeldLedger]) -> String {
    let l = locale();
    let mut text = Text::default();
    if ledgers.is_empty() {
        text.line(l.pick("本设备上没有库存台账", "no stock ledgers on this device"));
        return text.into_string();
    }
    let mut rows = vec![[
        l.pick("库存持有方", "holder").to_owned(),
        l.pick("季度", "quarter").to_owned(),
        l.pick("状态", "state").to_owned(),
    ]];
    for h in ledgers {
        rows.push([
            h.holder.to_string(),
            h.quarter.to_string(),
            if h.closed {
                l.pick("已核销", "written off").to_owned()
            } else {
                l.pick("未核销", "open").to_owned()
            },
        ]);
    }
    aligned(&mut text, &rows);
    text.into_string()
}
