//! A stock ledger as the holder's screens and HQ read it: its entries with their approval and
//! check states, and the movements that came in after the quarter was written off.

use std::collections::HashMap;

use automerge::ReadDoc;
use serde::Serialize;
use uuid::Uuid;

use crate::case::records::ApprovalRecord;
use crate::rules::quarter::Quarter;
use crate::rules::returns::{ChainState, ChainStep, StepDecision, chain_state};
use crate::rules::stock::{BalanceInput, PartBalance, PartsPolicy, balances};
use crate::stock::document::{
    self, APPROVALS, CHECKS, CLOSING, LedgerRoot, MOVEMENTS, REQUISITIONS, SHIPMENTS, WRITEOFF,
};
use crate::stock::holder::Holder;
use crate::stock::records::{
    Closing, Movement, MovementKind, Requisition, Shipment, ShipmentCheck,
};

/// Where a request stands with its approvers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Approval {
    Waiting {
        step: String,
        role: String,
    },
    Approved,
    Rejected {
        step: String,
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MovementEntry {
    pub id: String,
    #[serde(flatten)]
    pub movement: Movement,
    /// A purchase's approval; `None` for every other kind.
    pub approval: Option<Approval>,
    /// Recorded in this ledger after its write-off was approved: booked into the next quarter
    /// as a correction.
    pub late: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequisitionEntry {
    pub id: String,
    #[serde(flatten)]
    pub requisition: Requisition,
    pub approval: Approval,
    /// The receipt HQ recorded when it issued the stock.
    pub dispatched: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShipmentEntry {
    pub id: String,
    #[serde(flatten)]
    pub shipment: Shipment,
    /// HQ's check on arrival, once done.
    pub check: Option<ShipmentCheck>,
}

/// One holder's ledger for one quarter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerView {
    pub ledger_id: Uuid,
    pub holder: Holder,
    pub quarter: Quarter,
    /// In time order (then by id).
    pub movements: Vec<MovementEntry>,
    pub requisitions: Vec<RequisitionEntry>,
    pub shipments: Vec<ShipmentEntry>,
    /// The approved write-off, once the quarter is closed.
    pub closing: Option<Closing>,
}

impl LedgerView {
    pub fn is_closed(&self) -> bool {
        self.closing.is_some()
    }

    /// This ledger's own movements summed per part (not the holder's whole balance, which
    /// adds every quarter's).
    pub fn balances(&self) -> Vec<PartBalance> {
        balances(self.movements.iter().map(|m| BalanceInput {
            id: &m.id,
            part_number: &m.movement.part_number,
            delta: m.movement.delta(),
            at_ms: m.movement.at.timestamp_millis(),
        }))
    }

    pub fn movement(&self, id: &str) -> Option<&MovementEntry> {
        self.movements.iter().find(|m| m.id == id)
    }
}

/// Reads a ledger with the policy's approval chains.
pub fn read(doc: &impl ReadDoc, policy: &PartsPolicy) -> Result<LedgerView, String> {
    let root = LedgerRoot::read(doc)?;
    let approvals: Vec<(String, ApprovalRecord)> = document::entries(doc, &root, APPROVALS)?;
    let mut decided: HashMap<&str, Vec<&ApprovalRecord>> = HashMap::new();
    for (_, record) in &approvals {
        decided
            .entry(record.request.as_str())
            .or_default()
            .push(record);
    }
    let approval_of = |id: &str, chain: &[ChainStep]| {
        let records = decided.get(id).map(Vec::as_slice).unwrap_or_default();
        let steps: Vec<StepDecision<'_>> = records
            .iter()
            .map(|r| StepDecision {
                step: r.step.as_deref().unwrap_or("approve"),
                approved: r.approved,
            })
            .collect();
        match chain_state(chain, &steps) {
            ChainState::Waiting(step) => Approval::Waiting {
                step: step.step,
                role: step.role,
            },
            ChainState::Approved => Approval::Approved,
            ChainState::Rejected { step } => Approval::Rejected {
                reason: records
                    .iter()
                    .find(|r| r.step.as_deref().unwrap_or("approve") == step)
                    .and_then(|r| r.reason.clone()),
                step,
            },
        }
    };
    let closing: Option<Closing> = document::entries::<Closing>(doc, &root, CLOSING)?
        .into_iter()
        .find(|(key, _)| key == WRITEOFF)
        .map(|(_, c)| c);
    let movements = document::entries::<Movement>(doc, &root, MOVEMENTS)?;
    // HQ's read model joins movements to cases by this id: only a case id is one.
    if let Some((id, _)) = movements.iter().find(|(_, m)| {
        m.case_id.as_deref().is_some_and(|c| {
            c.parse::<Uuid>()
                .map(|u| u.to_string() != c)
                .unwrap_or(true)
        })
    }) {
        return Err(format!("movements.{id}: case_id is not a case id"));
    }
    let mut movements: Vec<MovementEntry> = movements
        .into_iter()
        .map(|(id, movement)| MovementEntry {
            approval: (movement.kind == MovementKind::Purchase)
                .then(|| approval_of(&id, &policy.purchase_chain)),
            late: closing.as_ref().is_some_and(|c| !c.movements.contains(&id)),
            id,
            movement,
        })
        .collect();
    movements.sort_by(|a, b| a.movement.at.cmp(&b.movement.at).then(a.id.cmp(&b.id)));
    let requisitions = document::entries::<Requisition>(doc, &root, REQUISITIONS)?
        .into_iter()
        .map(|(id, requisition)| RequisitionEntry {
            approval: approval_of(&id, &policy.requisition_chain),
            dispatched: movements
                .iter()
                .find(|m| {
                    m.movement.kind == MovementKind::Receipt
                        && m.movement.reference.as_deref() == Some(id.as_str())
                })
                .map(|m| m.id.clone()),
            id,
            requisition,
        })
        .collect();
    let checks: HashMap<String, ShipmentCheck> =
        document::entries(doc, &root, CHECKS)?.into_iter().collect();
    let shipments = document::entries::<Shipment>(doc, &root, SHIPMENTS)?
        .into_iter()
        .map(|(id, shipment)| ShipmentEntry {
            check: checks.get(&id).cloned(),
            id,
            shipment,
        })
        .collect();
    Ok(LedgerView {
        ledger_id: root.ledger_id,
        holder: root.holder,
        quarter: root.quarter,
        movements,
        requisitions,
        shipments,
        closing,
    })
}
