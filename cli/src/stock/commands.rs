//! The `stock` commands: each command line becomes one core stock command on the holder's
//! ledger (or, for `balance`, `ledger` and `ledgers`, a read). Holders, quarters, times and
//! old-part tags are parsed before the database is opened, and the core checks the command
//! before it writes, so a bad value writes nothing. An issue without stock on hand is
//! recorded and its balance shown below zero, never refused.

use std::collections::HashMap;

use fieldcore::{
    Holder, LedgerView, MovementEntry, PartBalance, ShippedPart, StockApproval,
    StockCommand as Core, Store, Timestamp,
};
use serde_json::{Value, json};

use super::text;
use crate::args::{MovementArgs, StockCommand};
use crate::device::Env;
use crate::error::Result;
use crate::input;
use crate::output::{Printer, to_value};

/// Runs one `stock` subcommand.
pub fn run(env: &Env, command: StockCommand, out: &Printer) -> Result<()> {
    match command {
        StockCommand::Issue {
            movement,
            case,
            line,
        } => {
            let m = Parsed::of(&movement)?;
            let mut store = env.open_at(&env.db_path())?;
            let case_id = store.find(&case)?;
            let command = Core::Issue {
                part_number: movement.part,
                quantity: movement.qty,
                case_id,
                line,
                at: m.at,
            };
            record(&mut store, &m.holder, &command, out)
        }
        StockCommand::TransferOut { movement, to } => {
            let m = Parsed::of(&movement)?;
            let to = input::holder("to", &to)?;
            let command = Core::TransferOut {
                part_number: movement.part,
                quantity: movement.qty,
                to,
                at: m.at,
            };
            record(&mut env.open_at(&env.db_path())?, &m.holder, &command, out)
        }
        StockCommand::TransferIn {
            movement,
            from,
            transfer,
        } => {
            let m = Parsed::of(&movement)?;
            let from = input::holder("from", &from)?;
            let command = Core::TransferIn {
                part_number: movement.part,
                quantity: movement.qty,
                from,
                transfer,
                at: m.at,
            };
            record(&mut env.open_at(&env.db_path())?, &m.holder, &command, out)
        }
        StockCommand::ReturnDefective { movement, reason } => {
            let m = Parsed::of(&movement)?;
            let command = Core::ReturnDefective {
                part_number: movement.part,
                quantity: movement.qty,
                reason,
                at: m.at,
            };
            record(&mut env.open_at(&env.db_path())?, &m.holder, &command, out)
        }
        StockCommand::Purchase {
            movement,
            supplier,
            unit_cost,
            reason,
        } => {
            let m = Parsed::of(&movement)?;
            let command = Core::Purchase {
                part_number: movement.part,
                quantity: movement.qty,
                supplier,
                unit_cost: unit_cost.map(|c| c.trim().to_owned()),
                reason,
                at: m.at,
            };
            record(&mut env.open_at(&env.db_path())?, &m.holder, &command, out)
        }
        StockCommand::Adjust {
            holder,
            part,
            delta,
            reason,
            at,
        } => {
            let holder = input::holder("holder", &holder.holder)?;
            let at = input::optional_time("at", at.as_deref())?;
            let command = Core::Adjust {
                part_number: part,
                delta,
                reason,
                at,
            };
            record(&mut env.open_at(&env.db_path())?, &holder, &command, out)
        }
        StockCommand::Requisition {
            holder,
            part,
            spec,
            qty,
            reason,
            case,
        } => {
            let holder = input::holder("holder", &holder.holder)?;
            let mut store = env.open_at(&env.db_path())?;
            let case_id = case.map(|c| store.find(&c)).transpose()?;
            let command = Core::Requisition {
                part_number: part,
                specification: spec,
                quantity: qty,
                reason,
                case_id,
            };
            record(&mut store, &holder, &command, out)
        }
        StockCommand::Ship {
            holder,
            tags,
            waybill,
        } => {
            let holder = input::holder("holder", &holder.holder)?;
            let tags = tags
                .iter()
                .map(|t| input::old_part_tag(t))
                .collect::<Result<Vec<_>>>()?;
            let mut store = env.open_at(&env.db_path())?;
            let parts = tags
                .into_iter()
                .map(|t| {
                    Ok(ShippedPart {
                        tag: t.tag,
                        part_number: t.part_number,
                        case_id: t
                            .case
                            .map(|c| store.find(&c))
                            .transpose()?
                            .map(|id| id.to_string()),
                        line: t.line,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let command = Core::ShipOldParts { parts, waybill };
            record(&mut store, &holder, &command, out)
        }
        StockCommand::Balance(holder) => {
            let holder = input::holder("holder", &holder.holder)?;
            balance(&env.open_existing()?, &holder, out)
        }
        StockCommand::Ledger { holder, quarter } => {
            let holder = input::holder("holder", &holder.holder)?;
            let quarter = input::quarter(&quarter)?;
            let store = env.open_existing()?;
            let ledger = store.stock_ledger(&holder, quarter)?;
            if out.is_json() {
                return out.json(&json!({
                    "holder": holder.to_string(),
                    "quarter": quarter.to_string(),
                    "ledger": ledger.as_ref().map(ledger_json).transpose()?,
                }));
            }
            match ledger {
                Some(ledger) => out.text(&text::ledger_text(&ledger)),
                None => out.text(&text::no_ledger(&holder, quarter)),
            }
        }
        StockCommand::Ledgers => {
            let ledgers = env.open_existing()?.stock_ledgers()?;
            if out.is_json() {
                return out.json(&ledgers);
            }
            out.text(&text::ledgers_text(&ledgers))
        }
    }
}

/// What every movement names, parsed.
struct Parsed {
    holder: Holder,
    at: Option<Timestamp>,
}

impl Parsed {
    fn of(args: &MovementArgs) -> Result<Parsed> {
        Ok(Parsed {
            holder: input::holder("holder", &args.holder.holder)?,
            at: input::optional_time("at", args.at.as_deref())?,
        })
    }
}

/// The part a command moves, whose balance its result shows.
fn moved_part(command: &Core) -> Option<&str> {
    match command {
        Core::Issue { part_number, .. }
        | Core::TransferOut { part_number, .. }
        | Core::TransferIn { part_number, .. }
        | Core::ReturnDefective { part_number, .. }
        | Core::Purchase { part_number, .. }
        | Core::Adjust { part_number, .. } => Some(part_number.trim()),
        Core::Requisition { .. } | Core::ShipOldParts { .. } => None,
    }
}

/// Records the command and prints what it did: the entry, the ledger that took it (a
/// correction of a written-off quarter said so), the moved part's balance (flagged below
/// zero) and, for a purchase or a requisition, whom it waits for.
fn record(store: &mut Store, holder: &Holder, command: &Core, out: &Printer) -> Result<()> {
    let recorded = store.record_stock(holder, command)?;
    let balance: Option<PartBalance> = match moved_part(command) {
        Some(part) => store
            .stock_balance(holder)?
            .into_iter()
            .find(|b| b.part_number == part),
        None => None,
    };
    let approval = match command {
        Core::Purchase { .. } | Core::Requisition { .. } => {
            let ledger = store.stock_ledger(holder, recorded.quarter)?;
            ledger.and_then(|l| entry_approval(&l, &recorded.entry_id))
        }
        _ => None,
    };
    if out.is_json() {
        return out.json(&json!({
            "holder": holder.to_string(),
            "command": command.name(),
            "recorded": to_value(&recorded)?,
            "balance": balance.as_ref().map(balance_json).transpose()?,
            "approval": approval.as_ref().map(to_value).transpose()?,
        }));
    }
    out.text(&text::recorded_text(
        holder,
        command,
        &recorded,
        balance.as_ref(),
        approval.as_ref(),
    ))
}

fn entry_approval(ledger: &LedgerView, entry: &str) -> Option<StockApproval> {
    if let Some(m) = ledger.movement(entry) {
        return m.approval.clone();
    }
    ledger
        .requisitions
        .iter()
        .find(|r| r.id == entry)
        .map(|r| r.approval.clone())
}

/// A part's balance as serde writes it, plus `negative`.
fn balance_json(b: &PartBalance) -> Result<Value> {
    let mut value = to_value(b)?;
    if let Value::Object(object) = &mut value {
        object.insert("negative".into(), Value::Bool(b.negative()));
    }
    Ok(value)
}

/// A ledger as serde writes it, plus `closed`.
fn ledger_json(ledger: &LedgerView) -> Result<Value> {
    let mut value = to_value(ledger)?;
    if let Value::Object(object) = &mut value {
        object.insert("closed".into(), Value::Bool(ledger.is_closed()));
    }
    Ok(value)
}

/// The holder's balance of every part; a part below zero with the movements after which it
/// stood there, read from the holder's ledgers on this device.
fn balance(store: &Store, holder: &Holder, out: &Printer) -> Result<()> {
    let balances = store.stock_balance(holder)?;
    let wanted: Vec<&str> = balances
        .iter()
        .flat_map(|b| b.went_negative.iter().map(String::as_str))
        .collect();
    let mut movements: HashMap<String, MovementEntry> = HashMap::new();
    if !wanted.is_empty() {
        for held in store.stock_ledgers()? {
            if &held.holder != holder {
                continue;
            }
            if let Some(ledger) = store.stock_ledger(holder, held.quarter)? {
                movements.extend(
                    ledger
                        .movements
                        .into_iter()
                        .filter(|m| wanted.contains(&m.id.as_str()))
                        .map(|m| (m.id.clone(), m)),
                );
            }
        }
    }
    if out.is_json() {
        let parts = balances
            .iter()
            .map(|b| {
                let mut value = balance_json(b)?;
                if let Value::Object(object) = &mut value {
                    let drove: Vec<&MovementEntry> = b
                        .went_negative
                        .iter()
                        .filter_map(|id| movements.get(id))
                        .collect();
                    object.insert("below_zero_after".into(), to_value(&drove)?);
                }
                Ok(value)
            })
            .collect::<Result<Vec<_>>>()?;
        return out.json(&json!({ "holder": holder.to_string(), "parts": parts }));
    }
    out.text(&text::balance_text(holder, &balances, &movements))
}
