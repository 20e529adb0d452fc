//! Merge properties: replicas that work the same case apart and then exchange documents in any
//! order converge, lose no appended entry, surface concurrent decisions as conflicts, and the
//! store's projection always says what the merged document says.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use automerge::{ActorId, Automerge};
use chrono::Duration;
use fieldcore::CaseView;
use fieldcore::FactsUpdate;
use fieldcore::testing::{Cmd, arb_cause, arb_cmd, entry_ids, registration, t0, to_command};
use fieldcore::{Command, Context};
use fieldcore::{Policies, Store, projection_row_of};
use proptest::prelude::*;
use uuid::Uuid;

const REPLICAS: usize = 3;

#[derive(Debug, Clone)]
enum Step {
    /// Replica `r` runs a command (refused commands are fine: they change nothing).
    Run(usize, Cmd),
    /// Replica `to` merges replica `from`'s document.
    Merge { from: usize, to: usize },
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        3 => (0..REPLICAS, arb_cmd()).prop_map(|(r, c)| Step::Run(r, c)),
        1 => (0..REPLICAS, 0..REPLICAS).prop_map(|(from, to)| Step::Merge { from, to }),
    ];
    proptest::collection::vec(step, 1..40)
}

struct Replicas {
    docs: Vec<Automerge>,
    case_id: Uuid,
    policies: Policies,
    /// Every entry id a successful command appended, on any replica.
    appended: BTreeSet<String>,
    clock: i64,
}

impl Replicas {
    fn new() -> Replicas {
        let policies = Policies::default();
        let case_id = Uuid::now_v7();
        let origin = fieldcore::new_case_document(
            &actor(0),
            &ctx(&policies, 0, 0),
            case_id,
            &registration(),
        )
        .unwrap();
        let docs = (0..REPLICAS)
            .map(|r| {
                let mut d = Automerge::load(&origin.save()).unwrap();
                d.set_actor(actor(r));
                d
            })
            .collect();
        Replicas {
            docs,
            case_id,
            policies,
            appended: BTreeSet::new(),
            clock: 1,
        }
    }

    fn view(&self, r: usize) -> CaseView {
        fieldcore::build_view(&self.docs[r], self.case_id, &self.policies).unwrap()
    }

    fn run(&mut self, r: usize, cmd: &Cmd) {
        let command = to_command(cmd, &self.view(r));
        self.run_command(r, &command);
    }

    fn run_command(&mut self, r: usize, command: &Command) -> bool {
        self.clock += 1;
        let before = entry_ids(&self.view(r));
        let heads = self.docs[r].get_heads();
        let ctx = ctx(&self.policies, r, self.clock);
        match fieldcore::execute_on_document(&mut self.docs[r], self.case_id, &ctx, command) {
            Ok(_) => {
                let after = entry_ids(&self.view(r));
                assert!(after.is_superset(&before));
                self.appended.extend(after.difference(&before).cloned());
                true
            }
            Err(_) => {
                assert_eq!(
                    self.docs[r].get_heads(),
                    heads,
                    "a refused command changed the document"
                );
                false
            }
        }
    }

    fn merge(&mut self, from: usize, to: usize) {
        if from == to {
            return;
        }
        let mut other = self.docs[from].clone();
        self.docs[to].merge(&mut other).unwrap();
    }
}

fn actor(r: usize) -> ActorId {
    ActorId::from(vec![r as u8 + 1; 16])
}

fn ctx(policies: &Policies, r: usize, minutes: i64) -> Context<'_> {
    Context {
        by: ["engineer", "technician", "hq"][r],
        device: ["phone", "tablet", "hq"][r],
        at: t0() + Duration::minutes(minutes),
        policies,
        parts_catalog: None,
    }
}

/// Ids of reversal and return entries are not in the view's part lines; count them via events.
fn all_events(v: &CaseView) -> usize {
    v.events.len()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any interleaving of commands and partial merges on three replicas, followed by each
    /// replica merging the others in its own order, gives one case view everywhere, and keeps
    /// every entry any replica ever appended.
    #[test]
    fn replicas_converge_and_keep_every_entry(
        steps in steps(),
        orders in proptest::collection::vec(Just([0usize, 1, 2]).prop_shuffle(), REPLICAS),
    ) {
        let mut reps = Replicas::new();
        let mut successes = 0usize;
        for step in &steps {
            match step {
                Step::Run(r, c) => {
                    let before = all_events(&reps.view(*r));
                    reps.run(*r, c);
                    successes += all_events(&reps.view(*r)) - before;
                }
                Step::Merge { from, to } => reps.merge(*from, *to),
            }
        }
        for (to, order) in orders.iter().enumerate() {
            for &from in order {
                reps.merge(from, to);
            }
        }
        // The first replicas merged before the last ones had everything: one more round.
        for to in 0..REPLICAS {
            for from in 0..REPLICAS {
                reps.merge(from, to);
            }
        }
        let views: Vec<CaseView> = (0..REPLICAS).map(|r| reps.view(r)).collect();
        prop_assert_eq!(&views[0], &views[1]);
        prop_assert_eq!(&views[1], &views[2]);
        let kept = entry_ids(&views[0]);
        prop_assert!(kept.is_superset(&reps.appended), "lost: {:?}", reps.appended.difference(&kept).collect::<Vec<_>>());
        // One register event plus one event per successful command.
        prop_assert_eq!(views[0].events.len(), 1 + successes);
    }

    /// Two replicas that set the same decision field to different values while apart always
    /// show a conflict after merging, on both sides, listing both values; a person's choice
    /// then resolves it everywhere.
    #[test]
    fn concurrent_decisions_surface_as_conflicts(a in arb_cause(), b in arb_cause(), choose in 0usize..2) {
        prop_assume!(a != b);
        let mut reps = Replicas::new();
        prop_assert!(reps.run_command(0, &to_command(&Cmd::Ack, &reps.view(0))));
        reps.merge(0, 1);
        prop_assert!(reps.run_command(0, &to_command(&Cmd::Confirm(a), &reps.view(0))));
        prop_assert!(reps.run_command(1, &to_command(&Cmd::Confirm(b), &reps.view(1))));
        reps.merge(0, 1);
        reps.merge(1, 0);
        for r in 0..2 {
            let v = reps.view(r);
            let conflict = v.conflicts.iter().find(|c| c.field == "defect").expect("defect conflict");
            let values: BTreeSet<&str> = conflict.alternatives.iter().map(|x| x.value.as_str()).collect();
            prop_assert_eq!(values, BTreeSet::from([a.as_str(), b.as_str()]));
            // A decision that depends on the disputed cause is refused until a person chooses.
            let decided = reps.run_command(r, &Command::DecideWarranty { evidence_photos: vec![], charge: None });
            prop_assert!(!decided);
        }
        let chosen = reps.view(1).conflicts[0].alternatives[choose].value.clone();
        let resolved = reps.run_command(1, &Command::ResolveConflict { field: "defect".into(), choose });
        prop_assert!(resolved);
        reps.merge(1, 0);
        let v = reps.view(0);
        prop_assert!(v.conflicts.is_empty());
        prop_assert_eq!(&v.defect.as_ref().unwrap().current.key, &chosen);
        prop_assert_eq!(v.defect.as_ref().unwrap().current.resolved_by.as_ref().unwrap().by.as_str(), "technician");
    }

    /// Concurrent status moves to different states conflict; to the same state they agree.
    #[test]
    fn concurrent_status_changes_conflict_only_when_they_differ(second_arrives in any::<bool>()) {
        let mut reps = Replicas::new();
        let acked = reps.run_command(0, &Command::Acknowledge { note: None });
        prop_assert!(acked);
        reps.merge(0, 1);
        prop_assert!(reps.run_command(0, &to_command(&Cmd::Schedule, &reps.view(0))));
        let second = if second_arrives { Cmd::Arrive } else { Cmd::Schedule };
        prop_assert!(reps.run_command(1, &to_command(&second, &reps.view(1))));
        reps.merge(1, 0);
        let v = reps.view(0);
        prop_assert_eq!(v.conflicts.iter().any(|c| c.field == "status"), second_arrives);
        // Both visits are kept either way.
        prop_assert_eq!(v.visits.len(), 2);
    }

    /// Concurrent edits of the same fact keep both values visible; different facts both apply.
    /// (The registered phone ends in 0101: setting a fact to its current value is no change.)
    #[test]
    fn concurrent_fact_edits_keep_every_value(p in 0u8..100, q in 102u8..200) {
        let mut reps = Replicas::new();
        prop_assert!(reps.run_command(0, &to_command(&Cmd::Phone(p), &reps.view(0))));
        prop_assert!(reps.run_command(1, &to_command(&Cmd::Phone(q), &reps.view(1))));
        let address = Command::UpdateFacts(FactsUpdate {
            customer_address: Some("3 New Road".into()),
            ..Default::default()
        });
        prop_assert!(reps.run_command(2, &address));
        reps.merge(1, 0);
        reps.merge(2, 0);
        let v = reps.view(0); let phone = v.concurrent_facts.iter().find(|f| f.field == "customer_phone").expect("phone kept twice");
        let values: BTreeSet<String> = phone.values.iter().cloned().collect();
        prop_assert_eq!(values, BTreeSet::from([format!("+86 311 5555 {p:04}"), format!("+86 311 5555 {q:04}")]));
        prop_assert_eq!(v.registration.customer_address.as_str(), "3 New Road");
        prop_assert!(v.conflicts.is_empty(), "facts are not decisions");
    }

    /// The store's projection row always equals the row the merged document implies, after
    /// local commands and after merging other replicas' documents.
    #[test]
    fn projection_always_matches_the_document(steps in steps()) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("p.db"), "engineer").unwrap();
        let mut reps = Replicas::new();
        let id = reps.case_id;
        store.merge_document(&reps.docs[0].save()).unwrap();
        for step in &steps {
            match step {
                Step::Run(0, c) => {
                    let command = to_command(c, &store.case(id).unwrap());
                    let _ = store.execute(id, &command);
                }
                Step::Run(r, c) => reps.run(*r, c),
                Step::Merge { from, .. } => {
                    let bytes = if *from == 0 { store.export_document(id).unwrap() } else { reps.docs[*from].save() };
                    store.merge_document(&bytes).unwrap();
                }
            }
            let view = store.case(id).unwrap();
            let stored = store.projection_row(id).unwrap().unwrap();
            prop_assert_eq!(&stored, &projection_row_of(&view));
        }
    }
}
