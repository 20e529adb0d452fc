//! Random field work, as the core's merge properties (core/tests/merge_props.rs) generate it:
//! a weighted mix of every kind of command, turned into a real [`Command`] against the case
//! as the device sees it. Many are refused by the lifecycle (closing a case never
//! acknowledged, ...); refused commands write nothing, which is part of what is tested.

use std::collections::BTreeSet;

use fieldcore::Command;
use fieldcore::{CaseId, Cause, Outcome};
use rand::Rng;

pub use crate::commands::{Cmd, to_command};
use crate::{Device, Result, entry_ids};

const CAUSES: [Cause; 3] = [
    Cause::DesignManufacturing,
    Cause::StorageTransport,
    Cause::CustomerMisuse,
];

/// One random command, with the weights of the merge properties.
pub fn random_cmd(rng: &mut impl Rng) -> Cmd {
    // Weights: the same as merge_props' `cmd()` strategy (22 in all).
    let pick = rng.random_range(0..22u32);
    match pick {
        0..=1 => Cmd::Ack,
        2 => Cmd::Schedule,
        3 => Cmd::Arrive,
        4..=5 => Cmd::Confirm(CAUSES[rng.random_range(0..3)]),
        6..=7 => Cmd::Decide(rng.random_bool(0.5).then(|| rng.random_range(0..100_000))),
        8 => Cmd::Resolve(
            [
                Outcome::PartsReplaced,
                Outcome::PaidRepair,
                Outcome::Rejected,
            ][rng.random_range(0..3)],
        ),
        9..=10 => Cmd::Part(rng.random()),
        11 => Cmd::ReversePart(rng.random_range(0..8)),
        12..=14 => Cmd::Note(rng.random()),
        15 => Cmd::Customer(rng.random()),
        16 => Cmd::Close,
        17 => Cmd::Reopen,
        18 => Cmd::Phone(rng.random()),
        _ => Cmd::ResolveConflict(rng.random_range(0..5), rng.random_range(0..3)),
    }
}

/// What running commands on a device did, for the end-of-test checks.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// Every entry id a successful command appended, on any device.
    pub appended: BTreeSet<String>,
    /// Successful commands per case (each appends exactly one audit event).
    pub successes: std::collections::BTreeMap<CaseId, usize>,
    pub refused: usize,
}

impl Ledger {
    /// Runs `cmd` on `case` on `device`, made concrete against the device's view.
    pub fn run(&mut self, device: &mut Device, case: CaseId, cmd: &Cmd) -> Result<bool> {
        let view = device.store.case(case)?;
        self.run_command(device, case, &to_command(cmd, &view))
    }

    /// Runs `command`; records what a success appended, and checks that a refusal wrote
    /// nothing (no outbox entry, the same view). Returns whether it succeeded.
    pub fn run_command(
        &mut self,
        device: &mut Device,
        case: CaseId,
        command: &Command,
    ) -> Result<bool> {
        let before = device.store.case(case)?;
        let outbox = device.store.outbox_len()?;
        match device.store.execute(case, command) {
            Ok((after, _)) => {
                let (old, new) = (entry_ids(&before), entry_ids(&after));
                if !new.is_superset(&old) {
                    return Err(format!("{command:?} on {case} dropped an entry").into());
                }
                self.appended.extend(new.difference(&old).cloned());
                *self.successes.entry(case).or_default() += 1;
                Ok(true)
            }
            Err(_) => {
                if device.store.outbox_len()? != outbox || device.store.case(case)? != before {
                    return Err(format!("a refused {command:?} on {case} wrote something").into());
                }
                self.refused += 1;
                Ok(false)
            }
        }
    }

    /// Counts a registration: one event of its own.
    pub fn registered(&mut self, device: &mut Device, case: CaseId) -> Result<()> {
        self.appended.extend(entry_ids(&device.store.case(case)?));
        self.successes.entry(case).or_default();
        Ok(())
    }

    /// Events a case must show: its registration plus one per successful command.
    pub fn expected_events(&self, case: CaseId) -> usize {
        1 + self.successes.get(&case).copied().unwrap_or(0)
    }

    pub fn commands(&self) -> usize {
        self.successes.values().sum()
    }
}
