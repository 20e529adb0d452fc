//! Corrections of the registration facts that decide warranty: a reason is required, the old
//! value stays in the audit trail, a decision made on the old facts is stale until decided
//! again (and the steps relying on it are refused meanwhile), an invoice photo can back the
//! proof of purchase, and concurrent corrections on two devices surface as a conflict that a
//! person resolves, the same on every replica whatever the merge order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::{ActorId, Automerge};
use chrono::Duration;
use fieldcore::testing::{StepClock, date, t0};
use fieldcore::{
    CaseView, Cause, Charge, Command, ConfirmationInput, Context, DefectInput, Error,
    FactsCorrection, FactsUpdate, Locale, Market, Outcome, PhotoAttachment, PhotoKind, Policies,
    ProofOfPurchase, StaleStep, Status, Store, WarrantyRule,
};
use proptest::prelude::*;
use uuid::Uuid;

/// Case documents worked on by separate devices (replica `r` is user `USERS[r]`).
struct Devices {
    docs: Vec<Automerge>,
    case_id: Uuid,
    policies: Policies,
    minutes: i64,
}

const USERS: [&str; 2] = ["Li Wei", "Zhang Min"];

impl Devices {
    fn new(registration: fieldcore::Registration) -> Devices {
        let policies = Policies::default();
        let case_id = Uuid::now_v7();
        let ctx = Context {
            by: USERS[0],
            device: "phone-0",
            at: t0() + Duration::minutes(1),
            policies: &policies,
            parts_catalog: None,
        };
        let origin = fieldcore::new_case_document(&actor(0), &ctx, case_id, &registration).unwrap();
        let docs = (0..2)
            .map(|r| {
                let mut d = Automerge::load(&origin.save()).unwrap();
                d.set_actor(actor(r));
                d
            })
            .collect();
        Devices {
            docs,
            case_id,
            policies,
            minutes: 2,
        }
    }

    fn view(&self, r: usize) -> CaseView {
        fieldcore::build_view(&self.docs[r], self.case_id, &self.policies).unwrap()
    }

    /// Runs `command` on device `r`; a refusal must leave the document as it was.
    fn run(&mut self, r: usize, command: &Command) -> Result<CaseView, Error> {
        self.minutes += 1;
        let ctx = Context {
            by: USERS[r],
            device: ["phone-0", "phone-1"][r],
            at: t0() + Duration::minutes(self.minutes),
            policies: &self.policies,
            parts_catalog: None,
        };
        let heads = self.docs[r].get_heads();
        match fieldcore::execute_on_document(&mut self.docs[r], self.case_id, &ctx, command) {
            Ok(_) => Ok(self.view(r)),
            Err(e) => {
                assert_eq!(self.docs[r].get_heads(), heads, "a refusal wrote something");
                Err(e)
            }
        }
    }

    fn ok(&mut self, r: usize, command: Command) -> CaseView {
        let name = command.name();
        self.run(r, &command)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn merge(&mut self, from: usize, to: usize) {
        let mut other = self.docs[from].clone();
        self.docs[to].merge(&mut other).unwrap();
    }

    /// Acknowledged, on site, the defect confirmed with `cause`.
    fn confirm_defect(&mut self, r: usize, cause: Cause) {
        self.ok(r, Command::Acknowledge { note: None });
        self.ok(r, Command::ArriveOnSite);
        self.ok(r, Command::ConfirmDefect(defect(cause)));
    }

    fn decide(&mut self, r: usize) -> CaseView {
        self.ok(
            r,
            Command::DecideWarranty {
                evidence_photos: vec![],
                charge: None,
            },
        )
    }
}

/// The test registration without a manufacture date, so purchase dates can be corrected to
/// any day before the complaint.
fn registration() -> fieldcore::Registration {
    fieldcore::Registration {
        manufacture_date: None,
        ..fieldcore::testing::registration()
    }
}

fn actor(r: usize) -> ActorId {
    ActorId::from(vec![r as u8 + 7; 16])
}

fn defect(cause: Cause) -> DefectInput {
    DefectInput {
        cause,
        findings: "Winding insulation failed".into(),
        measurements: vec![],
        major_incident: false,
        evidence_photos: vec![],
    }
}

fn correction(reason: &str) -> FactsCorrection {
    FactsCorrection {
        reason: reason.into(),
        ..FactsCorrection::default()
    }
}

fn purchase_date(d: &str, reason: &str) -> Command {
    Command::CorrectFacts(FactsCorrection {
        purchase_date: Some(date(d)),
        ..correction(reason)
    })
}

fn invoice_photo(seed: &str) -> PhotoAttachment {
    PhotoAttachment {
        hash: fieldcore::sha256_hex(seed.as_bytes()),
        kind: PhotoKind::Invoice,
        caption: "Invoice".into(),
        taken_at: None,
        size: 1000,
        width: 800,
        height: 600,
        thumbnail_hash: fieldcore::sha256_hex(format!("{seed} thumbnail").as_bytes()),
        thumbnail_size: 100,
        gps: None,
    }
}

#[test]
fn a_correction_keeps_the_old_value_and_who_changed_it_when_and_why() {
    let mut d = Devices::new(registration());
    let v = d.ok(
        1,
        purchase_date("2026-05-20", "Date misread from the invoice"),
    );
    assert_eq!(v.registration.purchase_date, Some(date("2026-05-20")));
    assert_eq!(v.corrections.len(), 1);
    let c = &v.corrections[0];
    assert_eq!(c.stamp.by, "Zhang Min");
    assert_eq!(c.stamp.device, "phone-1");
    assert_eq!(c.body.reason, "Date misread from the invoice");
    assert_eq!(c.body.changes.len(), 1);
    assert_eq!(c.body.changes[0].field, "purchase_date");
    assert_eq!(c.body.changes[0].from, "\"2026-06-01\"");
    assert_eq!(c.body.changes[0].to, "\"2026-05-20\"");
    // The same record is in the audit trail, with a sentence saying what changed.
    let event = v.events.last().unwrap();
    assert_eq!(event.body.action, "correct_facts");
    assert_eq!(event.body.correction.as_ref(), Some(&c.body));
    assert!(
        event.body.summary.contains("2026-06-01 → 2026-05-20"),
        "{}",
        event.body.summary
    );
    // `case show` prints it.
    let text = fieldcore::case_text(&v, &Default::default(), t0(), fieldcore::Locale::En);
    assert!(text.contains("Corrections (1):"), "{text}");
    assert!(
        text.contains("purchase date 2026-06-01 → 2026-05-20 · by Zhang Min"),
        "{text}"
    );
    assert!(
        text.contains("reason: Date misread from the invoice"),
        "{text}"
    );
}

#[test]
fn a_correction_of_several_facts_lists_only_those_that_change() {
    let mut d = Devices::new(registration());
    let v = d.ok(
        0,
        Command::CorrectFacts(FactsCorrection {
            purchase_date: Some(date("2026-06-01")),
            product_category: Some("pump".into()),
            market: Some(Market::Foreign),
            ..correction("Export order, pump not motor")
        }),
    );
    let fields: Vec<&str> = v.corrections[0]
        .body
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    assert_eq!(fields, ["product_category", "market"]);
    assert_eq!(v.registration.market, Market::Foreign);
    assert_eq!(v.registration.product_category, "pump");
}

#[test]
fn a_correction_without_a_reason_or_without_a_change_is_refused_and_changes_nothing() {
    let mut d = Devices::new(registration());
    for reason in ["", "   "] {
        match d.run(0, &purchase_date("2026-05-20", reason)) {
            Err(Error::Validation { field, .. }) => assert_eq!(field, "reason"),
            other => panic!("{other:?}"),
        }
    }
    match d.run(0, &purchase_date("2026-06-01", "same date")) {
        Err(Error::Validation { field, .. }) => assert_eq!(field, "correction"),
        other => panic!("{other:?}"),
    }
    // A correction that would leave an invalid registration is refused as registering it is.
    match d.run(0, &purchase_date("2026-12-01", "after the complaint")) {
        Err(Error::Validation { field, .. }) => assert_eq!(field, "purchase_date"),
        other => panic!("{other:?}"),
    }
    let v = d.view(0);
    assert_eq!(v.registration, registration());
    assert!(v.corrections.is_empty());
    assert_eq!(v.events.len(), 1);
}

#[test]
fn a_decision_is_stale_after_a_warranty_fact_is_corrected_not_after_other_edits() {
    let mut d = Devices::new(registration());
    d.confirm_defect(0, Cause::DesignManufacturing);
    let v = d.decide(0);
    assert!(v.warranty_stale.is_none());
    let decided_on = v
        .warranty
        .as_ref()
        .unwrap()
        .current
        .value
        .decided_on
        .clone();
    assert_eq!(decided_on.unwrap().purchase_date, Some(date("2026-06-01")));

    // Editing facts that do not decide warranty leaves the decision as it is.
    let v = d.ok(
        0,
        Command::UpdateFacts(FactsUpdate {
            customer_phone: Some("+86 311 5555 0199".into()),
            serial_number: Some("M2406-118843".into()),
            ..FactsUpdate::default()
        }),
    );
    assert!(v.warranty_stale.is_none());

    let v = d.ok(
        0,
        purchase_date("2025-06-01", "The invoice is from last year"),
    );
    let stale = v.warranty_stale.as_ref().expect("stale");
    assert_eq!(stale.facts.len(), 1);
    assert_eq!(stale.facts[0].field, "purchase_date");
    assert_eq!(stale.facts[0].decided_on, "2026-06-01");
    assert_eq!(stale.facts[0].now, "2025-06-01");
    // The decision in force still says what it said; it is marked, not rewritten.
    assert!(v.warranty.as_ref().unwrap().current.value.decision.covered);
    let text = fieldcore::case_text(&v, &Default::default(), t0(), fieldcore::Locale::En);
    assert!(text.contains("STALE"), "{text}");
    assert!(
        text.contains("purchase date: decided on 2026-06-01, now 2025-06-01"),
        "{text}"
    );

    // Deciding again uses the corrected facts and clears it.
    let v = d.decide(0);
    assert!(v.warranty_stale.is_none());
    let w = &v.warranty.as_ref().unwrap().current.value.decision;
    assert!(!w.covered);
    assert_eq!(w.rule, WarrantyRule::OutOfPeriod);
    assert_eq!(v.status(), Status::WarrantyDecided);
}

#[test]
fn correcting_a_fact_back_to_what_the_decision_used_is_not_stale() {
    let mut d = Devices::new(registration());
    d.confirm_defect(0, Cause::DesignManufacturing);
    d.decide(0);
    assert!(
        d.ok(0, purchase_date("2026-05-01", "typo"))
            .warranty_stale
            .is_some()
    );
    let v = d.ok(0, purchase_date("2026-06-01", "the first date was right"));
    assert!(v.warranty_stale.is_none());
    assert_eq!(v.corrections.len(), 2);
}

#[test]
fn steps_relying_on_the_decision_are_refused_while_it_is_stale() {
    let mut d = Devices::new(registration());
    d.confirm_defect(0, Cause::CustomerMisuse);
    d.decide(0);
    d.ok(
        0,
        Command::CorrectFacts(FactsCorrection {
            product_category: Some("pump".into()),
            ..correction("It is a pump")
        }),
    );
    let refused = |d: &mut Devices, command: Command, step: StaleStep| match d.run(0, &command) {
        Err(Error::StaleWarranty(s)) => assert_eq!(s, step),
        other => panic!("{}: {other:?}", command.name()),
    };
    refused(
        &mut d,
        Command::Resolve {
            outcome: Outcome::PaidRepair,
            summary: "Rewound".into(),
        },
        StaleStep::Resolve,
    );
    refused(
        &mut d,
        Command::SetCharge(Charge {
            amount_minor: 10_000,
            currency: "CNY".into(),
        }),
        StaleStep::SetCharge,
    );
    // The message says what to do, in either language.
    let e = Error::StaleWarranty(StaleStep::Resolve);
    assert!(e.to_string().contains("decide the warranty again"), "{e}");
    let zh = fieldcore::CorrectionText::RefusedWhileStale(StaleStep::Resolve).text(Locale::ZhCn);
    assert!(zh.contains("重新判定三包"), "{zh}");
    // Other work goes on.
    d.ok(
        0,
        Command::AddNote {
            text: "Waiting for the invoice".into(),
        },
    );

    d.decide(0);
    d.ok(
        0,
        Command::Resolve {
            outcome: Outcome::PaidRepair,
            summary: "Rewound".into(),
        },
    );
    d.ok(
        0,
        Command::ConfirmCustomer(ConfirmationInput {
            customer_name: "Zhao".into(),
            accepted: true,
            reason: None,
            signature_hash: None,
        }),
    );
    // Corrected after the customer confirmed: closing waits for a new decision, which puts the
    // case back to `warranty_decided` so the resolution follows it.
    d.ok(
        0,
        Command::CorrectFacts(FactsCorrection {
            market: Some(Market::Foreign),
            ..correction("Export customer")
        }),
    );
    refused(&mut d, Command::Close, StaleStep::Close);
    let v = d.decide(0);
    assert_eq!(v.status(), Status::WarrantyDecided);
    assert!(v.warranty_stale.is_none());
    d.ok(
        0,
        Command::Resolve {
            outcome: Outcome::PaidRepair,
            summary: "Rewound".into(),
        },
    );
    d.ok(
        0,
        Command::ConfirmCustomer(ConfirmationInput {
            customer_name: "Zhao".into(),
            accepted: true,
            reason: None,
            signature_hash: None,
        }),
    );
    assert_eq!(d.ok(0, Command::Close).status(), Status::Closed);
    // A closed case is not corrected; it is reopened first.
    assert!(matches!(
        d.run(0, &purchase_date("2026-05-01", "late")),
        Err(Error::InvalidTransition { .. })
    ));
}

#[test]
fn an_invoice_photo_must_be_on_the_case_and_backs_the_decision() {
    let mut no_proof = registration();
    no_proof.proof_of_purchase = ProofOfPurchase::None;
    let mut d = Devices::new(no_proof);
    d.confirm_defect(0, Cause::DesignManufacturing);
    let v = d.decide(0);
    let w = &v.warranty.as_ref().unwrap().current.value.decision;
    assert_eq!(w.rule, WarrantyRule::NoProofOfPurchase);
    assert!(!w.covered);

    let photo = invoice_photo("invoice INV-7");
    let with_invoice = Command::CorrectFacts(FactsCorrection {
        proof_of_purchase: Some(ProofOfPurchase::Invoice("INV-7".into())),
        invoice_photo: Some(photo.hash.clone()),
        ..correction("The customer found the invoice")
    });
    // Not on the case yet: refused.
    match d.run(0, &with_invoice) {
        Err(Error::Validation { field, .. }) => assert_eq!(field, "invoice_photo"),
        other => panic!("{other:?}"),
    }
    d.ok(0, Command::AttachPhoto(photo.clone()));
    // A photo cannot back a proof the case does not have.
    match d.run(
        0,
        &Command::CorrectFacts(FactsCorrection {
            invoice_photo: Some(photo.hash.clone()),
            ..correction("photo only")
        }),
    ) {
        Err(Error::Validation { field, .. }) => assert_eq!(field, "invoice_photo"),
        other => panic!("{other:?}"),
    }
    let v = d.ok(0, with_invoice);
    assert_eq!(v.invoice_photo.as_deref(), Some(photo.hash.as_str()));
    assert_eq!(
        v.corrections[0].body.invoice_photo.as_deref(),
        Some(photo.hash.as_str())
    );
    assert!(v.warranty_stale.is_some());

    // Decided on the invoice: a quality fault inside the motor's year is covered, and the
    // invoice photo is cited as evidence.
    let v = d.decide(0);
    let w = &v.warranty.as_ref().unwrap().current.value;
    assert!(w.decision.covered, "{}", w.decision.explanation);
    assert_eq!(w.decision.rule, WarrantyRule::CoveredQualityFault);
    assert_eq!(w.evidence_photos, vec![photo.hash.clone()]);

    // Taken off the case, the photo no longer backs the proof.
    let v = d.ok(
        0,
        Command::RemovePhoto {
            hash: photo.hash.clone(),
            reason: "wrong picture".into(),
        },
    );
    assert_eq!(v.invoice_photo, None);
}

#[test]
fn a_photo_can_be_added_to_the_proof_already_recorded() {
    let mut d = Devices::new(registration());
    let photo = invoice_photo("invoice INV-0099812");
    d.ok(0, Command::AttachPhoto(photo.clone()));
    let v = d.ok(
        0,
        Command::CorrectFacts(FactsCorrection {
            invoice_photo: Some(photo.hash.clone()),
            ..correction("Photo of the invoice")
        }),
    );
    assert!(v.corrections[0].body.changes.is_empty());
    assert_eq!(v.invoice_photo, Some(photo.hash));
    assert_eq!(v.registration, registration());
}

fn store(dir: &tempfile::TempDir, name: &str, user: &str, clock: &StepClock) -> Store {
    let mut s = Store::open(dir.path().join(name), user).unwrap();
    s.set_clock(clock.boxed());
    s
}

#[test]
fn concurrent_corrections_on_two_stores_surface_as_a_conflict_a_person_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let clock = StepClock::new();
    let mut phone = store(&dir, "phone.db", "Li Wei", &clock);
    let mut tablet = store(&dir, "tablet.db", "Zhang Min", &clock);
    let id = phone.register(&registration()).unwrap().id;
    let run = |s: &mut Store, c: Command| s.execute(id, &c).unwrap().0;
    run(&mut phone, Command::Acknowledge { note: None });
    run(&mut phone, Command::ArriveOnSite);
    run(
        &mut phone,
        Command::ConfirmDefect(defect(Cause::DesignManufacturing)),
    );
    run(
        &mut phone,
        Command::DecideWarranty {
            evidence_photos: vec![],
            charge: None,
        },
    );
    tablet
        .merge_document(&phone.export_document(id).unwrap())
        .unwrap();

    // Apart, each corrects the purchase date differently.
    run(
        &mut phone,
        purchase_date("2026-05-20", "Invoice says 20 May"),
    );
    run(
        &mut tablet,
        purchase_date("2025-05-20", "Invoice year is 2025"),
    );
    tablet
        .merge_document(&phone.export_document(id).unwrap())
        .unwrap();
    phone
        .merge_document(&tablet.export_document(id).unwrap())
        .unwrap();

    let views = [phone.case(id).unwrap(), tablet.case(id).unwrap()];
    for v in &views {
        let conflict = v
            .conflicts
            .iter()
            .find(|c| c.field == "facts.purchase_date")
            .expect("a conflict on the purchase date");
        let values: Vec<(&str, &str)> = conflict
            .alternatives
            .iter()
            .map(|a| (a.value.as_str(), a.by.as_str()))
            .collect();
        assert_eq!(
            values,
            [("2026-05-20", "Li Wei"), ("2025-05-20", "Zhang Min")]
        );
        assert_eq!(v.corrections.len(), 2);
        let stale = v.warranty_stale.as_ref().expect("stale while in conflict");
        assert!(stale.facts[0].now.contains(" | "), "{:?}", stale.facts);
        assert!(phone.projection_row(id).unwrap().unwrap().has_conflict);
    }
    assert_eq!(views[0], views[1]);
    // Nobody decides on a disputed date.
    assert!(matches!(
        phone.execute(
            id,
            &Command::DecideWarranty {
                evidence_photos: vec![],
                charge: None
            }
        ),
        Err(Error::Conflict { field }) if field == "facts.purchase_date"
    ));

    // A person picks the tablet's date; once synced, both agree and decide on it.
    let v = run(
        &mut phone,
        Command::ResolveConflict {
            field: "facts.purchase_date".into(),
            choose: 1,
        },
    );
    assert!(v.conflicts.is_empty());
    assert_eq!(v.registration.purchase_date, Some(date("2025-05-20")));
    tablet
        .merge_document(&phone.export_document(id).unwrap())
        .unwrap();
    let v = tablet.case(id).unwrap();
    assert!(v.conflicts.is_empty());
    assert!(v.concurrent_facts.is_empty());
    assert_eq!(v.registration.purchase_date, Some(date("2025-05-20")));
    assert!(v.warranty_stale.is_some());
    let v = run(
        &mut tablet,
        Command::DecideWarranty {
            evidence_photos: vec![],
            charge: None,
        },
    );
    assert!(v.warranty_stale.is_none());
    assert_eq!(
        v.warranty.as_ref().unwrap().current.value.decision.rule,
        WarrantyRule::OutOfPeriod
    );
}

#[test]
fn a_decision_made_apart_from_a_correction_is_stale_after_the_merge() {
    let mut d = Devices::new(registration());
    d.confirm_defect(0, Cause::DesignManufacturing);
    d.merge(0, 1);
    // The engineer decides on the registered facts while HQ corrects the date.
    d.decide(0);
    d.ok(1, purchase_date("2025-01-10", "Invoice checked at HQ"));
    d.merge(1, 0);
    d.merge(0, 1);
    for r in 0..2 {
        let v = d.view(r);
        assert_eq!(
            v.warranty_stale.as_ref().unwrap().facts[0].field,
            "purchase_date"
        );
    }
}

// ------------------------------------------------------------------------- convergence

#[derive(Debug, Clone)]
enum Step {
    /// Device `r` corrects one warranty-deciding fact to variant `v`.
    Correct(usize, u8, u8),
    Decide(usize),
    /// Device `r` resolves the first fact conflict it sees by picking `choose`.
    Resolve(usize, usize),
    Merge(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..2usize, 0..3u8, 0..3u8).prop_map(|(r, f, v)| Step::Correct(r, f, v)),
        1 => (0..2usize).prop_map(Step::Decide),
        1 => (0..2usize, 0..3usize).prop_map(|(r, c)| Step::Resolve(r, c)),
        2 => (0..2usize).prop_map(Step::Merge),
    ]
}

fn correction_of(fact: u8, variant: u8) -> Command {
    let c = correction(&format!("correction {fact}/{variant}"));
    Command::CorrectFacts(match fact {
        0 => FactsCorrection {
            purchase_date: Some(date(
                ["2026-06-01", "2026-03-15", "2025-01-10"][variant as usize],
            )),
            ..c
        },
        1 => FactsCorrection {
            proof_of_purchase: Some(match variant {
                0 => ProofOfPurchase::Invoice("INV-0099812".into()),
                1 => ProofOfPurchase::Voucher("V-1".into()),
                _ => ProofOfPurchase::None,
            }),
            ..c
        },
        _ => FactsCorrection {
            product_category: Some(["motor", "pump", "generator"][variant as usize].into()),
            ..c
        },
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any order of corrections, decisions, conflict resolutions and merges on two devices,
    /// once both have merged each other, shows the same facts, the same staleness, the same
    /// conflicts and the same corrections in the audit trail on both; and a decision is stale
    /// exactly when the facts it recorded differ from the facts shown or are in conflict.
    #[test]
    fn corrections_converge_in_any_order(steps in proptest::collection::vec(step(), 1..24)) {
        let mut d = Devices::new(registration());
        d.confirm_defect(0, Cause::DesignManufacturing);
        d.merge(0, 1);
        let mut corrections = 0usize;
        for s in &steps {
            match s {
                Step::Correct(r, f, v) => {
                    corrections += usize::from(d.run(*r, &correction_of(*f, *v)).is_ok());
                }
                Step::Decide(r) => {
                    let _ = d.run(*r, &Command::DecideWarranty { evidence_photos: vec![], charge: None });
                }
                Step::Resolve(r, choose) => {
                    if let Some(c) = d.view(*r).conflicts.first().cloned() {
                        let _ = d.run(*r, &Command::ResolveConflict { field: c.field, choose: *choose });
                    }
                }
                Step::Merge(to) => d.merge(1 - to, *to),
            }
        }
        d.merge(0, 1);
        d.merge(1, 0);
        let (a, b) = (d.view(0), d.view(1));
        prop_assert_eq!(&a.registration, &b.registration);
        prop_assert_eq!(&a.concurrent_facts, &b.concurrent_facts);
        prop_assert_eq!(&a.warranty_stale, &b.warranty_stale);
        prop_assert_eq!(&a.conflicts, &b.conflicts);
        prop_assert_eq!(&a.corrections, &b.corrections);
        prop_assert_eq!(a.corrections.len(), corrections);
        if let Some(w) = &a.warranty {
            let decided_on = w.current.value.decided_on.clone().unwrap();
            let now = fieldcore::WarrantyFacts::of(&a.registration);
            let in_conflict = a.concurrent_facts.iter().any(|f| fieldcore::WARRANTY_FACTS.contains(&f.field.as_str()));
            prop_assert_eq!(a.warranty_stale.is_some(), decided_on != now || in_conflict);
        }
    }
}
