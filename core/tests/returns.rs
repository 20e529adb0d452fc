//! Returns and exchanges across replicas: an engineer's phone requests, HQ decides and numbers
//! (written here with HQ's own actor, as fieldhq writes it), warehouse tablets receive and
//! re-inspect offline; every replica reads the same state once the documents meet, nothing a
//! tablet recorded is lost, and the case cannot close while a return is open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::{ActorId, Automerge};
use chrono::Duration;
use fieldcore::testing::{registration, t0};
use fieldcore::{
    ApprovalRecord, CaseView, CheckNote, Command, Context, CountedItem, Error, Freight,
    InspectionResult, Invalid, Packing, Policies, ReceiptAmendment, ReceiptInput, ReceiptOutcome,
    ReceivingCheck, ReturnItem, ReturnKind, ReturnRequestInput, ReturnState, RmaRecord, Role,
    Store,
};
use proptest::prelude::*;
use uuid::Uuid;

const PHONE: usize = 0;
const TABLET_A: usize = 1;
const TABLET_B: usize = 2;
const HQ: usize = 3;

struct Replicas {
    docs: Vec<Automerge>,
    case_id: Uuid,
    policies: Policies,
    minutes: i64,
}

fn actor(r: usize) -> ActorId {
    ActorId::from(vec![r as u8 + 1; 16])
}

impl Replicas {
    fn new(registration: fieldcore::Registration) -> Replicas {
        let policies = Policies::default();
        let case_id = Uuid::now_v7();
        let ctx = Context {
            by: "Wang",
            device: "phone",
            at: t0() + Duration::minutes(1),
            policies: &policies,
            parts_catalog: None,
        };
        let origin = fieldcore::new_case_document(&actor(0), &ctx, case_id, &registration).unwrap();
        let docs = (0..4)
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
            minutes: 2,
        }
    }

    fn view(&self, r: usize) -> CaseView {
        fieldcore::build_view(&self.docs[r], self.case_id, &self.policies).unwrap()
    }

    fn run(&mut self, r: usize, command: &Command) -> Result<CaseView, Error> {
        self.minutes += 1;
        let ctx = Context {
            by: ["Wang", "Li", "Zhao", "HQ"][r],
            device: ["phone", "tablet-a", "tablet-b", "hq"][r],
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

    fn merge_all(&mut self) {
        for from in 0..4 {
            for to in 0..4 {
                if from != to {
                    self.merge(from, to);
                }
            }
        }
    }

    /// HQ decides the next step of `request` and, on the last approval of a return, numbers it.
    fn hq_decides(&mut self, request: &str, step: &str, role: &str, approved: bool) {
        self.minutes += 1;
        let record = ApprovalRecord {
            request: request.into(),
            kind: "return".into(),
            approved,
            by: format!("{role}-user"),
            at: t0() + Duration::minutes(self.minutes),
            reason: (!approved).then(|| "not a quality fault".into()),
            step: Some(step.into()),
            role: Some(role.into()),
        };
        let json = serde_json::to_string(&record).unwrap();
        let doc = &mut self.docs[HQ];
        let mut tx = doc.transaction();
        fieldcore::put_hq_entry(&mut tx, fieldcore::APPROVALS, &record.key(), json).unwrap();
        tx.commit();
    }

    fn hq_numbers(&mut self, request: &str, number: &str) {
        let record = RmaRecord {
            request: request.into(),
            number: number.into(),
            issued_at: t0() + Duration::minutes(self.minutes),
            by: "vp-user".into(),
        };
        let json = serde_json::to_string(&record).unwrap();
        let doc = &mut self.docs[HQ];
        let mut tx = doc.transaction();
        fieldcore::put_hq_entry(&mut tx, fieldcore::RMA, request, json).unwrap();
        tx.commit();
    }

    /// Acknowledged, on site, then an exchange of one unit requested on the phone; HQ has it.
    fn requested(&mut self, kind: ReturnKind, quantity: u32) -> String {
        self.ok(PHONE, Command::Acknowledge { note: None });
        self.ok(PHONE, Command::ArriveOnSite);
        let view = self.ok(PHONE, Command::RequestReturn(request(kind, quantity)));
        self.merge(PHONE, HQ);
        view.returns[0].id.clone()
    }

    fn approved(&mut self, kind: ReturnKind, quantity: u32) -> String {
        let id = self.requested(kind, quantity);
        self.hq_decides(&id, "review", "cs_manager", true);
        self.hq_decides(&id, "approve", "vp", true);
        self.hq_numbers(&id, "R2611-0001");
        id
    }
}

fn request(kind: ReturnKind, quantity: u32) -> ReturnRequestInput {
    ReturnRequestInput {
        kind,
        items: vec![ReturnItem {
            model: "YE3-132M-4".into(),
            serial: None,
            quantity,
            reason: "winding burnt".into(),
            fault: "trips the breaker".into(),
        }],
        freight: Freight::Company,
        why_not_on_site: "the stator must be rewound at the factory".into(),
        window_override: None,
    }
}

fn receipt(number: Option<&str>, quantity: u32) -> ReceiptInput {
    ReceiptInput {
        rma_number: number.map(str::to_owned),
        counted: vec![CountedItem {
            model: "YE3-132M-4".into(),
            serial: None,
            quantity,
        }],
        packing: Packing::AsRequired,
        labelled: true,
        sorted: true,
        defect_marked: true,
        photos: vec![],
        notes: vec![],
        outcome: ReceiptOutcome::Accepted,
        refusal_reason: None,
    }
}

fn letters(view: &CaseView, receipt: usize) -> String {
    let r = view
        .returns
        .iter()
        .flat_map(|r| &r.receipts)
        .chain(&view.unmatched_receipts)
        .nth(receipt)
        .unwrap();
    r.checks.iter().map(|c| c.check.letter()).collect()
}

#[test]
fn an_exchange_goes_from_request_to_the_customers_receipt_on_every_replica() {
    let mut r = Replicas::new(registration());
    let id = r.requested(ReturnKind::Exchange, 1);
    let view = r.view(HQ);
    assert_eq!(view.returns[0].state, ReturnState::AwaitingApproval);
    assert_eq!(
        view.returns[0].waiting_for().map(|s| s.role.as_str()),
        Some("cs_manager")
    );
    assert!(view.returns[0].window.within);
    r.hq_decides(&id, "review", "cs_manager", true);
    assert_eq!(
        r.view(HQ).returns[0].waiting_for().map(|s| s.role.as_str()),
        Some("vp")
    );
    r.hq_decides(&id, "approve", "vp", true);
    r.hq_numbers(&id, "R2611-0001");
    assert_eq!(r.view(HQ).returns[0].state, ReturnState::AwaitingGoods);

    // The tablet holds the case from before the approval and receives offline, typing the
    // number on the goods: it has no record of it yet, so the receipt raises A.
    r.merge(PHONE, TABLET_A);
    let view = r.ok(
        TABLET_A,
        Command::ReceiveReturn(receipt(Some("R2611-0001"), 1)),
    );
    assert_eq!(view.unmatched_receipts.len(), 1);
    assert_eq!(letters(&view, 0), "A");
    // Once HQ's record arrives, the same receipt belongs to the return and the flag is gone.
    r.merge(HQ, TABLET_A);
    let view = r.view(TABLET_A);
    assert!(view.unmatched_receipts.is_empty());
    assert_eq!(letters(&view, 0), "");
    let ret = &view.returns[0];
    assert_eq!(ret.state, ReturnState::AwaitingInspection);
    // Re-inspection is due five days after arrival, at the end of the company's day.
    let due = ret.reinspection_due.unwrap();
    assert_eq!(due.to_rfc3339(), "2026-11-07T23:59:59.999+08:00");
    assert!(!ret.reinspection_overdue(t0() + Duration::days(5)));
    assert!(ret.reinspection_overdue(t0() + Duration::days(6)));

    let receipt_id = ret.receipts[0].id.clone();
    // Unit 2 was never received; unit 1 is.
    let bad = |unit: &str| Command::InspectReturnUnit {
        receipt: receipt_id.clone(),
        unit: unit.into(),
        result: InspectionResult::Bad {
            reason: "stator insulation burnt through".into(),
            nonconformance: Some("NC-2611-07".into()),
        },
    };
    assert!(matches!(
        r.run(TABLET_A, &bad("2")),
        Err(Error::Validation {
            reason: Invalid::UnitNotReceived,
            ..
        })
    ));
    let view = r.ok(TABLET_A, bad("1"));
    assert_eq!(view.returns[0].state, ReturnState::AwaitingReplenishment);
    assert!(matches!(
        r.run(TABLET_A, &bad("1")),
        Err(Error::Validation {
            reason: Invalid::UnitAlreadyInspected,
            ..
        })
    ));

    // The phone asks for the replenishment notice; the customer cannot confirm a replacement
    // that has not been approved to ship.
    r.merge(TABLET_A, PHONE);
    r.merge(HQ, PHONE);
    let view = r.ok(
        PHONE,
        Command::RequestReplenishment {
            request: "r2611-0001".into(),
            note: "replace with a new YE3-132M-4".into(),
        },
    );
    let notice = view.returns[0].replenishment[0].id.clone();
    assert!(matches!(
        r.run(
            PHONE,
            &Command::ConfirmReplacement {
                request: id.clone(),
                note: String::new(),
            }
        ),
        Err(Error::Validation {
            reason: Invalid::ReplenishmentNotApproved,
            ..
        })
    ));
    r.merge(PHONE, HQ);
    r.hq_decides(&notice, "approve", "cs_manager", true);
    r.merge(HQ, PHONE);
    assert_eq!(
        r.view(PHONE).returns[0].state,
        ReturnState::AwaitingCustomer
    );
    r.ok(
        PHONE,
        Command::ConfirmReplacement {
            request: id.clone(),
            note: "received and running".into(),
        },
    );
    r.merge_all();
    let states: Vec<ReturnState> = (0..4).map(|i| r.view(i).returns[0].state).collect();
    assert_eq!(states, vec![ReturnState::Done; 4]);
    let numbers: Vec<Option<String>> = (0..4)
        .map(|i| r.view(i).returns[0].rma.as_ref().map(|n| n.number.clone()))
        .collect();
    assert_eq!(numbers, vec![Some("R2611-0001".to_owned()); 4]);
    // The number is in the search text of the case's list row, for the warehouse's scanner.
    assert_eq!(
        fieldcore::projection_row_of(&r.view(TABLET_A)).rma_numbers,
        "R2611-0001"
    );
}

#[test]
fn the_case_cannot_close_while_a_return_is_open() {
    let mut r = Replicas::new(registration());
    let id = r.approved(ReturnKind::Return, 1);
    r.merge(HQ, PHONE);
    // Through the visit to the customer's confirmation.
    r.ok(
        PHONE,
        Command::ConfirmDefect(fieldcore::DefectInput {
            cause: fieldcore::Cause::DesignManufacturing,
            findings: "winding burnt".into(),
            measurements: vec![],
            major_incident: false,
            evidence_photos: vec![],
        }),
    );
    r.ok(
        PHONE,
        Command::DecideWarranty {
            evidence_photos: vec![],
            charge: None,
        },
    );
    r.ok(
        PHONE,
        Command::Resolve {
            outcome: fieldcore::Outcome::Returned,
            summary: "returned to the factory".into(),
        },
    );
    r.ok(
        PHONE,
        Command::ConfirmCustomer(fieldcore::ConfirmationInput {
            customer_name: "Zhang".into(),
            accepted: true,
            reason: None,
            signature_hash: None,
        }),
    );
    let refused = r.run(PHONE, &Command::Close).unwrap_err();
    assert!(matches!(
        &refused,
        Error::Validation {
            reason: Invalid::ReturnOpen {
                state: ReturnState::AwaitingGoods,
                ..
            },
            ..
        }
    ));
    assert!(
        fieldcore::Localized::text(&refused, fieldcore::Locale::En).contains("R2611-0001"),
        "{refused}"
    );
    // Received and re-inspected: the return is done and the case closes.
    r.merge(PHONE, TABLET_A);
    r.merge(HQ, TABLET_A);
    let view = r.ok(
        TABLET_A,
        Command::ReceiveReturn(receipt(Some("R2611-0001"), 1)),
    );
    let receipt_id = view.returns[0].receipts[0].id.clone();
    r.ok(
        TABLET_A,
        Command::InspectReturnUnit {
            receipt: receipt_id,
            unit: "1".into(),
            result: InspectionResult::Good {
                restocked_to: "WH-A 3-2".into(),
            },
        },
    );
    r.merge(TABLET_A, PHONE);
    assert_eq!(r.view(PHONE).returns[0].id, id);
    assert_eq!(r.view(PHONE).returns[0].state, ReturnState::Done);
    r.ok(PHONE, Command::Close);
}

#[test]
fn a_rejection_ends_the_request_and_frees_the_case() {
    let mut r = Replicas::new(registration());
    let id = r.requested(ReturnKind::Return, 1);
    r.hq_decides(&id, "review", "cs_manager", false);
    r.merge(HQ, PHONE);
    let view = r.view(PHONE);
    assert_eq!(view.returns[0].state, ReturnState::Rejected);
    let decision = view.returns[0].steps[0].decision.as_ref().unwrap();
    assert_eq!(decision.reason.as_deref(), Some("not a quality fault"));
    assert!(view.returns[0].waiting_for().is_none());
}

#[test]
fn a_request_outside_the_window_needs_a_reason() {
    let mut reg = registration();
    reg.home_region = true; // one month from 2026-06-01: long past on 2026-11-02
    let mut r = Replicas::new(reg);
    r.ok(PHONE, Command::Acknowledge { note: None });
    let refused = r
        .run(
            PHONE,
            &Command::RequestReturn(request(ReturnKind::Return, 1)),
        )
        .unwrap_err();
    match &refused {
        Error::Validation {
            field: "window_override",
            reason: Invalid::OutsideReturnWindow(w),
        } => {
            assert!(!w.within);
            assert_eq!(w.last_day, Some(fieldcore::testing::date("2026-07-01")));
        }
        other => panic!("{other:?}"),
    }
    let mut input = request(ReturnKind::Return, 1);
    input.window_override = Some("the VP agreed with the customer by phone".into());
    let view = r.ok(PHONE, Command::RequestReturn(input));
    assert!(!view.returns[0].window.within);
    assert!(view.returns[0].window_override.is_some());
    // One model per request.
    let mut mixed = request(ReturnKind::Return, 1);
    mixed.items.push(ReturnItem {
        model: "QJ-200".into(),
        serial: None,
        quantity: 1,
        reason: "leaks".into(),
        fault: "seal".into(),
    });
    mixed.window_override = Some("agreed".into());
    assert!(matches!(
        r.run(PHONE, &Command::RequestReturn(mixed)),
        Err(Error::Validation {
            reason: Invalid::OneModelPerReturn,
            ..
        })
    ));
}

#[test]
fn goods_are_refused_at_the_door_only_for_checks_a_to_d() {
    let mut r = Replicas::new(registration());
    r.approved(ReturnKind::Return, 2);
    r.merge(HQ, TABLET_A);
    let mut refused = receipt(Some("R2611-0001"), 2);
    refused.outcome = ReceiptOutcome::Refused;
    refused.refusal_reason = Some("no defect marking".into());
    refused.defect_marked = false;
    // G alone does not allow a refusal.
    assert!(matches!(
        r.run(TABLET_A, &Command::ReceiveReturn(refused.clone())),
        Err(Error::Validation {
            reason: Invalid::RefusalNeedsCheck,
            ..
        })
    ));
    // Packaging not as required (D) does.
    refused.packing = Packing::NotAsRequired;
    let view = r.ok(TABLET_A, Command::ReceiveReturn(refused));
    assert_eq!(letters(&view, 0), "DG");
    // Refused goods do not count as received: the return still waits for them.
    assert_eq!(view.returns[0].state, ReturnState::AwaitingGoods);
    assert!(view.returns[0].reinspection_due.is_none());
}

#[test]
fn an_engineer_may_not_receive_goods_and_nobody_on_a_device_may_approve() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("phone.db"), "Wang").unwrap();
    store.set_role(Some(Role::Engineer));
    let case = store.register(&registration()).unwrap();
    let refused = store
        .execute(case.id, &Command::ReceiveReturn(receipt(None, 1)))
        .unwrap_err();
    assert!(matches!(refused, Error::NotPermitted(_)), "{refused:?}");
    assert!(store.case(case.id).unwrap().unmatched_receipts.is_empty());
    store.set_role(Some(Role::Warehouse));
    store
        .execute(case.id, &Command::ReceiveReturn(receipt(None, 1)))
        .unwrap();
    // Approvals and RMA numbers are HQ's; no device role writes them.
    for role in Role::ALL {
        assert!(
            fieldcore::may_write(
                fieldcore::Author::Device(role),
                "approvals",
                Some("q:review")
            )
            .is_err()
        );
        assert!(fieldcore::may_write(fieldcore::Author::Device(role), "rma", Some("q")).is_err());
    }
}

#[test]
fn receipts_on_two_tablets_merge_with_nothing_lost() {
    let mut r = Replicas::new(registration());
    r.approved(ReturnKind::Return, 3);
    r.merge(HQ, TABLET_A);
    let view = r.ok(
        TABLET_A,
        Command::ReceiveReturn(receipt(Some("R2611-0001"), 2)),
    );
    let receipt_id = view.returns[0].receipts[0].id.clone();
    // B: two of three counted so far.
    assert_eq!(letters(&view, 0), "B");
    r.merge(TABLET_A, TABLET_B);
    // Both tablets amend the same receipt apart: one counts the third unit, the other notes G.
    r.ok(
        TABLET_A,
        Command::AmendReceipt(ReceiptAmendment {
            receipt: receipt_id.clone(),
            counted: vec![CountedItem {
                model: "YE3-132M-4".into(),
                serial: None,
                quantity: 1,
            }],
            notes: vec![],
            photos: vec![],
        }),
    );
    r.ok(
        TABLET_B,
        Command::AmendReceipt(ReceiptAmendment {
            receipt: receipt_id.clone(),
            counted: vec![],
            notes: vec![CheckNote {
                check: ReceivingCheck::G,
                note: "one unit's defect tag fell off in transit".into(),
                photo: None,
            }],
            photos: vec![],
        }),
    );
    r.merge(TABLET_A, TABLET_B);
    r.merge(TABLET_B, TABLET_A);
    for tablet in [TABLET_A, TABLET_B] {
        let view = r.view(tablet);
        let receipt = &view.returns[0].receipts[0];
        assert_eq!(receipt.units(), 3, "both counts kept");
        assert_eq!(receipt.amended_by.len(), 2);
        assert_eq!(
            letters(&view, 0),
            "G",
            "B cleared by the full count, G noted"
        );
        assert_eq!(view.returns[0].state, ReturnState::AwaitingInspection);
    }
}

#[test]
fn a_batch_return_waits_for_its_analysis_report() {
    let mut r = Replicas::new(registration());
    let id = r.approved(ReturnKind::Return, 10);
    r.merge(HQ, TABLET_A);
    let view = r.ok(
        TABLET_A,
        Command::ReceiveReturn(receipt(Some("R2611-0001"), 10)),
    );
    assert!(view.returns[0].batch);
    let receipt_id = view.returns[0].receipts[0].id.clone();
    for unit in 1..=10 {
        r.ok(
            TABLET_A,
            Command::InspectReturnUnit {
                receipt: receipt_id.clone(),
                unit: unit.to_string(),
                result: InspectionResult::Good {
                    restocked_to: "WH-A".into(),
                },
            },
        );
    }
    assert_eq!(
        r.view(TABLET_A).returns[0].state,
        ReturnState::AwaitingAnalysis
    );
    let view = r.ok(
        TABLET_A,
        Command::RecordReturnAnalysis {
            request: id,
            cause: "one bearing lot undersized".into(),
            actions: "lot quarantined; incoming inspection of bearings tightened".into(),
            photos: vec![],
        },
    );
    assert_eq!(view.returns[0].state, ReturnState::Done);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Receipts and amendments made on two tablets in any interleaving of merges converge:
    /// both tablets read the same units and checks, and every amendment is kept.
    #[test]
    fn tablets_converge_whatever_the_merge_order(
        steps in proptest::collection::vec((0usize..2, 0u32..3, any::<bool>()), 1..8),
    ) {
        let mut r = Replicas::new(registration());
        r.approved(ReturnKind::Return, 4);
        r.merge(HQ, TABLET_A);
        let view = r.ok(TABLET_A, Command::ReceiveReturn(receipt(Some("R2611-0001"), 1)));
        let receipt_id = view.returns[0].receipts[0].id.clone();
        r.merge(TABLET_A, TABLET_B);
        let mut amended = 0;
        let mut units = 1;
        for (tablet, count, merge) in steps {
            let tablet = [TABLET_A, TABLET_B][tablet];
            r.ok(tablet, Command::AmendReceipt(ReceiptAmendment {
                receipt: receipt_id.clone(),
                counted: (0..count).map(|_| CountedItem {
                    model: "YE3-132M-4".into(), serial: None, quantity: 1,
                }).collect(),
                notes: vec![CheckNote { check: ReceivingCheck::C, note: "loose".into(), photo: None }],
                photos: vec![],
            }));
            amended += 1;
            units += count;
            if merge {
                let other = if tablet == TABLET_A { TABLET_B } else { TABLET_A };
                r.merge(tablet, other);
            }
        }
        r.merge(TABLET_A, TABLET_B);
        r.merge(TABLET_B, TABLET_A);
        let a = r.view(TABLET_A);
        let b = r.view(TABLET_B);
        prop_assert_eq!(&a.returns, &b.returns);
        let receipt = &a.returns[0].receipts[0];
        prop_assert_eq!(receipt.amended_by.len(), amended);
        prop_assert_eq!(receipt.units(), units);
        prop_assert_eq!(letters(&a, 0).contains('B'), units != 4);
    }
}

#[test]
fn a_case_from_before_returns_waits_for_hq_to_prepare_it() {
    use automerge::transaction::Transactable;
    let mut r = Replicas::new(registration());
    // An older app made no return containers.
    for doc in &mut r.docs {
        let mut tx = doc.transaction();
        for key in fieldcore::RETURN_CONTAINERS {
            tx.delete(automerge::ROOT, key).unwrap();
        }
        tx.commit();
    }
    assert!(!r.view(PHONE).has_returns);
    assert!(matches!(
        r.run(
            PHONE,
            &Command::RequestReturn(request(ReturnKind::Return, 1))
        ),
        Err(Error::Validation {
            reason: Invalid::CaseBeforeReturns,
            ..
        })
    ));
    // HQ, the one writer that cannot race itself, adds them; the phone can then request.
    let mut tx = r.docs[HQ].transaction();
    assert!(fieldcore::add_return_containers(&mut tx).unwrap());
    tx.commit();
    let mut tx = r.docs[HQ].transaction();
    assert!(!fieldcore::add_return_containers(&mut tx).unwrap());
    tx.commit();
    r.merge(HQ, PHONE);
    assert!(r.view(PHONE).has_returns);
    r.ok(
        PHONE,
        Command::RequestReturn(request(ReturnKind::Return, 1)),
    );
}

#[test]
fn a_unit_of_a_receipt_without_its_return_yet_is_inspected_once() {
    let mut r = Replicas::new(registration());
    r.approved(ReturnKind::Return, 1);
    r.merge(PHONE, TABLET_A);
    let view = r.ok(
        TABLET_A,
        Command::ReceiveReturn(receipt(Some("R2611-0001"), 1)),
    );
    let early = view.unmatched_receipts[0].id.clone();
    let good = Command::InspectReturnUnit {
        receipt: early,
        unit: "1".into(),
        result: InspectionResult::Good {
            restocked_to: "WH-A".into(),
        },
    };
    let view = r.ok(TABLET_A, good.clone());
    assert_eq!(view.unmatched_inspections.len(), 1);
    assert!(matches!(
        r.run(TABLET_A, &good),
        Err(Error::Validation {
            reason: Invalid::UnitAlreadyInspected,
            ..
        })
    ));
    // Once HQ's number arrives, the receipt and its inspection belong to the return.
    r.merge(HQ, TABLET_A);
    let view = r.view(TABLET_A);
    assert!(view.unmatched_inspections.is_empty());
    assert_eq!(view.returns[0].state, ReturnState::Done);
}
