//! Field work on devices, for the end checks: [`Ledger`] runs commands (the abstract ones of
//! `fieldcore::testing`, made concrete against the case as the device sees it, or real ones)
//! and keeps what each success appended. Many random commands are refused by the lifecycle
//! (closing a case never acknowledged, ...); a refused command must write nothing, which
//! [`Ledger::run_command`] checks.

use std::collections::BTreeSet;

use fieldcore::CaseId;
use fieldcore::Command;
use fieldcore::testing::{Cmd, entry_ids, to_command};

use crate::{Device, Result};

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
