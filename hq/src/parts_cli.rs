//! `fieldhq parts …`: the approvals inbox of requisitions and emergency purchases, issuing
//! stock, checking old-part shipments, and balances, for HQ's people at a terminal.

use clap::Subcommand;
use fieldcore::{Locale, Localized};
use fieldhq::Storage;
use fieldhq::old_parts::LossDecision;
use fieldhq::parts::{self, PartsDecision};

use crate::{print_json, to_json};

#[derive(Subcommand, Debug)]
pub enum PartsCommand {
    /// Requisitions (三包配件领用单) and emergency purchases waiting for an approver.
    Pending {
        /// Every request, decided ones too.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Approve the waiting step of a requisition or purchase (its entry id).
    Approve {
        entry: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Reject it, with the reason the requester sees.
    Reject {
        entry: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: String,
    },
    /// Issue the stock of an approved requisition: a receipt in the holder's ledger.
    Issue {
        requisition: String,
        #[arg(long)]
        by: String,
    },
    /// Record the check of an old-part shipment on arrival: the tags found; every other tag
    /// the shipment lists is recorded missing.
    Check {
        shipment: String,
        #[arg(long)]
        by: String,
        /// Tags found in the parcel (repeat, or separate with commas).
        #[arg(long, value_delimiter = ',')]
        found: Vec<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// A holder's balance per part (center:C01, dealer:D07, van:wang).
    Balance {
        #[arg(long)]
        holder: String,
        /// Only movements booked up to and including this quarter (2026Q4).
        #[arg(long)]
        through: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The ledgers HQ holds, by holder and quarter, and whether each is written off.
    Ledgers {
        #[arg(long)]
        holder: Option<String>,
    },
    /// Approve the loss of an old part: ENTRY is the `old_part_lost` entry's id (or a unique
    /// end of it, as `fieldctl case show` shows it) on the case (number or id). cs_manager only.
    ApproveLoss {
        case: String,
        entry: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Reject the loss of an old part, with the reason the engineer sees: the old part must
    /// be found and its fate recorded before the case closes. cs_manager only.
    RejectLoss {
        case: String,
        entry: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: String,
    },
}

pub async fn run(
    storage: &Storage,
    command: PartsCommand,
    time_zone: chrono_tz::Tz,
    l: Locale,
) -> fieldhq::Result<()> {
    let now = chrono::Local::now().fixed_offset();
    match command {
        PartsCommand::Pending { all, json } => {
            let rows = parts::requests(storage, !all).await?;
            if json {
                return print_json(&to_json(&rows)?);
            }
            if rows.is_empty() {
                println!(
                    "{}",
                    l.pick("没有待审批的领用单或紧急采购", "nothing is waiting")
                );
            }
            for r in rows {
                let kind = match r.kind.as_str() {
                    "requisition" => l.pick("领用单", "requisition"),
                    _ => l.pick("紧急采购", "purchase"),
                };
                let state = match (r.state.as_str(), &r.waiting_role) {
                    ("waiting", Some(role)) => {
                        let role = fieldhq::Role::parse(role)
                            .map(|r| r.text(l))
                            .unwrap_or_else(|| role.clone());
                        l.pick(format!("待{role}审批"), format!("waiting for {role}"))
                    }
                    ("approved", _) => l.pick("已批准", "approved").to_owned(),
                    _ => l.pick("已驳回", "rejected").to_owned(),
                };
                println!(
                    "{}  {kind}  {}  {} × {}  {}  {state}",
                    r.entry_id, r.holder, r.part_number, r.quantity, r.by_user
                );
            }
            Ok(())
        }
        PartsCommand::Approve { entry, by, note } => {
            let d =
                parts::decide(storage, &entry, &by, PartsDecision::Approve { note }, now).await?;
            println!("{}", decided(&d, l));
            Ok(())
        }
        PartsCommand::Reject { entry, by, reason } => {
            let d =
                parts::decide(storage, &entry, &by, PartsDecision::Reject { reason }, now).await?;
            println!("{}", decided(&d, l));
            Ok(())
        }
        PartsCommand::Issue { requisition, by } => {
            let d = parts::dispatch(storage, &requisition, &by, now, time_zone).await?;
            println!(
                "{}",
                l.pick(
                    format!(
                        "领用单 {} 已发放：{} × {} 入 {}（{} 季度，入库记录 {}）",
                        d.requisition, d.part_number, d.quantity, d.holder, d.quarter, d.receipt
                    ),
                    format!(
                        "requisition {} issued: {} × {} to {} ({}, receipt {})",
                        d.requisition, d.part_number, d.quantity, d.holder, d.quarter, d.receipt
                    )
                )
            );
            Ok(())
        }
        PartsCommand::Check {
            shipment,
            by,
            found,
            note,
        } => {
            let c = parts::check_shipment(storage, &shipment, &by, found, note, now).await?;
            println!(
                "{}",
                l.pick(
                    format!(
                        "旧件发运单 {} 已验收：收到 {} 件，缺少 {} 件{}",
                        c.shipment,
                        c.received.len(),
                        c.missing.len(),
                        missing(&c.missing)
                    ),
                    format!(
                        "shipment {} checked: {} received, {} missing{}",
                        c.shipment,
                        c.received.len(),
                        c.missing.len(),
                        missing(&c.missing)
                    )
                )
            );
            Ok(())
        }
        PartsCommand::Balance {
            holder,
            through,
            json,
        } => {
            let through = through.as_deref().map(parts::parse_quarter).transpose()?;
            let rows = parts::balance(storage, &holder, through).await?;
            if json {
                return print_json(&to_json(&rows)?);
            }
            for b in rows {
                let flag = if b.negative() {
                    l.pick(
                        "  ⚠ 账面为负（离线领用未入库）",
                        "  ⚠ below zero (issued without stock on record)",
                    )
                } else {
                    ""
                };
                println!("{}  {}{flag}", b.part_number, b.quantity);
            }
            Ok(())
        }
        PartsCommand::ApproveLoss {
            case,
            entry,
            by,
            note,
        } => {
            loss(
                storage,
                case,
                entry,
                by,
                LossDecision::Approve { note },
                time_zone,
                l,
            )
            .await
        }
        PartsCommand::RejectLoss {
            case,
            entry,
            by,
            reason,
        } => {
            loss(
                storage,
                case,
                entry,
                by,
                LossDecision::Reject { reason },
                time_zone,
                l,
            )
            .await
        }
        PartsCommand::Ledgers { holder } => {
            for info in parts::ledgers(storage, holder).await? {
                let state = if info.closed_at.is_some() {
                    l.pick("已核销", "written off")
                } else {
                    l.pick("未核销", "open")
                };
                println!(
                    "{}  {}  {state}  {}",
                    info.holder, info.quarter, info.ledger_id
                );
            }
            Ok(())
        }
    }
}

async fn loss(
    storage: &Storage,
    case: String,
    entry: String,
    by: String,
    decision: LossDecision,
    time_zone: chrono_tz::Tz,
    l: Locale,
) -> fieldhq::Result<()> {
    let now = chrono::Local::now().fixed_offset();
    let decided =
        fieldhq::old_parts::decide(storage, &case, &entry, &by, decision, now, time_zone).await?;
    let part = &decided.part_number;
    let (zh, en) = if decided.record.approved {
        ("已批准", "approved")
    } else {
        ("已驳回", "rejected")
    };
    println!(
        "{}",
        l.pick(
            format!("案件 {case} 配件 {part} 的旧件丢失{zh}（{by}）"),
            format!("loss of the old part {part} on case {case} {en} by {by}")
        )
    );
    Ok(())
}

fn missing(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(" ({})", tags.join(", "))
    }
}

fn decided(d: &parts::PartsDecided, l: Locale) -> String {
    let kind = match d.kind.as_str() {
        "requisition" => l.pick("领用单", "requisition"),
        _ => l.pick("紧急采购", "purchase"),
    };
    let state = match d.state.as_str() {
        "approved" => l.pick("已批准", "approved"),
        "rejected" => l.pick("已驳回", "rejected"),
        _ => l.pick("待下一步审批", "waiting for its next step"),
    };
    format!("{kind} {} ({}): {state}", d.entry, d.holder)
}
