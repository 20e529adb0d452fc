//! The three-device scenario shared by the convergence and fault tests: an engineer's phone,
//! a repair-center technician's tablet and an HQ staff desk work the same cases offline with
//! random commands and sync in random orders; then everyone syncs until quiet and the
//! end state is checked against HQ and against everything each device ever did.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use fieldcore::CaseSyncState;
use fieldcore::CaseView;
use fieldcore::Command;
use fieldcore::testing::{Cmd, MONTH, entry_ids, random_cmd};
use fieldcore::{CaseId, Cause, DefectInput};
use fieldcore_e2e::work::Ledger;
use fieldcore_e2e::{Device, TestHq, sync_until_quiet};
use fieldhq::Role;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

pub const CENTER: &str = "north";

/// How a scenario runs.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub seed: u64,
    /// Cases the engineer registers (all routed to the center).
    pub engineer_cases: usize,
    pub rounds: usize,
    /// Commands per device per round, at most.
    pub commands_per_round: usize,
    /// Attempts per request (generous when the connection is cut on purpose).
    pub max_attempts: u32,
}

/// What a scenario did, for the test's own checks and its printout.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub cases: usize,
    pub commands: usize,
    pub refused: usize,
    pub entries: usize,
    pub syncs: usize,
    pub conflicts_at_end: usize,
    pub log_rows: i64,
    pub retries: u64,
}

pub struct Team {
    pub phone: Device,
    pub tablet: Device,
    pub desk: Device,
}

impl Team {
    /// Users and devices at `hq`; the devices sync to `url` (HQ itself or a proxy), or in
    /// process when `hq` runs in process.
    pub fn new(hq: &TestHq, url: &str, max_attempts: u32) -> Team {
        hq.user("wang", Role::Engineer, None).unwrap();
        hq.user("li", Role::Technician, Some(CENTER)).unwrap();
        hq.user("zhou", Role::HqStaff, None).unwrap();
        // Each device knows its user's role, as an app does after sign-in, so the random
        // work a role may not do (HQ staff recording parts) is refused on the device.
        let device = |user: &str, role: Role| {
            let mut d = Device::at(hq, url, user, &hq.enrol(user).unwrap()).unwrap();
            d.config.max_attempts = max_attempts;
            d.store.set_role(Some(role));
            d
        };
        Team {
            phone: device("wang", Role::Engineer),
            tablet: device("li", Role::Technician),
            desk: device("zhou", Role::HqStaff),
        }
    }

    pub fn get(&mut self, i: usize) -> &mut Device {
        match i {
            0 => &mut self.phone,
            1 => &mut self.tablet,
            _ => &mut self.desk,
        }
    }

    pub fn all(&mut self) -> [&mut Device; 3] {
        [&mut self.phone, &mut self.tablet, &mut self.desk]
    }

    /// Syncs one device and counts the sync and its retries.
    fn sync(&mut self, i: usize, summary: &mut Summary) {
        let device = self.get(i);
        let name = device.name.clone();
        let report = device
            .sync()
            .unwrap_or_else(|e| panic!("{name}'s sync failed: {e}"));
        summary.syncs += 1;
        summary.retries += u64::from(report.progress.retries);
    }

    fn quiet(&mut self, summary: &mut Summary) {
        let quiet = sync_until_quiet(&mut self.all(), 12).unwrap();
        summary.syncs += quiet.syncs;
        summary.retries += quiet.retries;
    }
}

/// The whole scenario; panics on the first broken expectation.
pub fn run(hq: &TestHq, url: &str, plan: Plan) -> (Team, Summary) {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut team = Team::new(hq, url, plan.max_attempts);
    let mut ledger = Ledger::default();
    let mut summary = Summary::default();

    // The engineer registers cases on the phone; HQ routes them to the repair center.
    let mut shared = Vec::new();
    for i in 0..plan.engineer_cases {
        let case = team
            .phone
            .register(&format!("M-{}-{i}", plan.seed))
            .unwrap();
        ledger.registered(&mut team.phone, case).unwrap();
        shared.push(case);
    }
    team.sync(0, &mut summary);
    for case in &shared {
        hq.route(*case, CENTER).unwrap();
    }
    // HQ staff registers a case and assigns it to the engineer; the technician registers one
    // at the counter (it stays with their center).
    let desk_case = team.desk.register(&format!("D-{}", plan.seed)).unwrap();
    ledger.registered(&mut team.desk, desk_case).unwrap();
    team.sync(2, &mut summary);
    hq.assign(desk_case, "wang").unwrap();
    let counter_case = team.tablet.register(&format!("T-{}", plan.seed)).unwrap();
    ledger.registered(&mut team.tablet, counter_case).unwrap();
    team.quiet(&mut summary);

    // Partial replication: each device holds exactly the cases its user may see.
    let engineer: BTreeSet<CaseId> = shared.iter().copied().chain([desk_case]).collect();
    let technician: BTreeSet<CaseId> = shared.iter().copied().chain([counter_case]).collect();
    let everything: BTreeSet<CaseId> = engineer.union(&technician).copied().collect();
    let visible = [engineer, technician, everything.clone()];
    for (i, expected) in visible.iter().enumerate() {
        assert_eq!(
            &team.get(i).case_ids().unwrap(),
            expected,
            "device {i}'s cases"
        );
    }

    // A conflict for sure: phone and tablet confirm different causes of the same case
    // while apart.
    let disputed = shared[0];
    assert!(ledger.run(&mut team.phone, disputed, &Cmd::Ack).unwrap());
    team.quiet(&mut summary);
    for (i, cause) in [(0, Cause::DesignManufacturing), (1, Cause::CustomerMisuse)] {
        let confirm = Command::ConfirmDefect(DefectInput {
            cause,
            findings: format!("found {}", cause.as_str()),
            measurements: vec![],
            major_incident: false,
            evidence_photos: vec![],
        });
        assert!(ledger.run_command(team.get(i), disputed, &confirm).unwrap());
    }
    team.quiet(&mut summary);
    for i in 0..3 {
        let device = team.get(i);
        let view = device.store.case(disputed).unwrap();
        let conflict = view
            .conflicts
            .iter()
            .find(|c| c.field == "defect")
            .unwrap_or_else(|| panic!("{} does not show the defect conflict", device.name));
        let values: BTreeSet<&str> = conflict
            .alternatives
            .iter()
            .map(|a| a.value.as_str())
            .collect();
        assert_eq!(
            values,
            BTreeSet::from(["design_manufacturing", "customer_misuse"])
        );
        assert_eq!(
            device.store.case_sync_state(disputed).unwrap(),
            CaseSyncState::Conflict
        );
        assert!(device.store.conflict_count().unwrap() >= 1);
    }

    // Random offline work and syncs in random orders.
    for _ in 0..plan.rounds {
        for (i, seen) in visible.iter().enumerate() {
            let cases: Vec<CaseId> = seen.iter().copied().collect();
            let n = rng.random_range(0..=plan.commands_per_round);
            for _ in 0..n {
                let case = cases[rng.random_range(0..cases.len())];
                let cmd = random_cmd(&mut rng);
                ledger.run(team.get(i), case, &cmd).unwrap();
            }
        }
        let mut order = [0, 1, 2];
        order.shuffle(&mut rng);
        let syncing = rng.random_range(1..=3);
        for &i in order.iter().take(syncing) {
            team.sync(i, &mut summary);
        }
    }
    team.quiet(&mut summary);

    // ---- the end state
    let views: Vec<BTreeMap<CaseId, CaseView>> =
        (0..3).map(|i| team.get(i).views().unwrap()).collect();
    for (i, expected) in visible.iter().enumerate() {
        let held: BTreeSet<CaseId> = views[i].keys().copied().collect();
        assert_eq!(&held, expected, "device {i} holds exactly what it may see");
        let device = team.get(i);
        assert_eq!(
            device.store.outbox_len().unwrap(),
            0,
            "{}'s outbox",
            device.name
        );
        assert_eq!(device.store.pending_sync_cases().unwrap(), 0);
    }
    let hq_cases = hq.cases().unwrap();
    assert_eq!(hq_cases.len(), everything.len());
    let numbers: BTreeMap<CaseId, String> = hq_cases
        .iter()
        .map(|c| (c.case_id, c.number.clone().expect("HQ numbered the case")))
        .collect();
    let expected_numbers: BTreeSet<String> = (1..=everything.len())
        .map(|n| format!("{MONTH}-{n:04}"))
        .collect();
    assert_eq!(
        numbers.values().cloned().collect::<BTreeSet<_>>(),
        expected_numbers
    );

    let mut kept = BTreeSet::new();
    for case in &everything {
        let holders: Vec<usize> = (0..3).filter(|i| visible[*i].contains(case)).collect();
        let first = &views[holders[0]][case];
        for &i in &holders[1..] {
            assert_eq!(
                &views[i][case], first,
                "device {i} and device {} differ on {case}",
                holders[0]
            );
        }
        assert_eq!(
            first.number.as_ref(),
            Some(&numbers[case]),
            "the official number reached every device"
        );
        assert_eq!(
            first.events.len(),
            ledger.expected_events(*case),
            "events of {case}: one per registration and successful command, no more, no less"
        );
        for &i in &holders {
            let device = team.get(i);
            let state = device.store.case_sync_state(*case).unwrap();
            let expected = if first.has_conflict() {
                CaseSyncState::Conflict
            } else {
                CaseSyncState::Synced
            };
            assert_eq!(state, expected);
        }
        kept.extend(entry_ids(first));
        summary.conflicts_at_end += usize::from(first.has_conflict());
    }
    let lost: Vec<&String> = ledger.appended.difference(&kept).collect();
    assert!(lost.is_empty(), "entries lost: {lost:?}");

    // HQ's log holds every change of every case once: as many rows as the desk (which sees
    // everything) has changes.
    let mut desk_changes = 0;
    for case in &everything {
        desk_changes += team.desk.change_count(*case).unwrap();
    }
    summary.log_rows = hq.log_len().unwrap();
    assert_eq!(
        summary.log_rows as usize, desk_changes,
        "HQ's log has each change exactly once"
    );

    summary.cases = everything.len();
    summary.commands = ledger.commands();
    summary.refused = ledger.refused;
    summary.entries = ledger.appended.len();
    (team, summary)
}
