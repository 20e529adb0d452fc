//! Old-part custody and the parts catalog on a case: every old part of a covered case is
//! accounted for before it closes (kept under a tag, shipped to HQ, returned, or lost with HQ's
//! approval, written here with HQ's own actor as fieldhq writes it); a part off the catalog is
//! recorded only with a reason, and flagged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::{ActorId, Automerge};
use chrono::Duration;
use fieldcore::testing::{registration, t0};
use fieldcore::{
    ApprovalRecord, CaseView, Cause, Command, ConfirmationInput, Context, DefectInput, Error,
    Invalid, Locale, Localized, OldPartCustody, Outcome, PartInput, PartsCatalog, Policies, Status,
    Store,
};
use uuid::Uuid;

const PHONE: usize = 0;
const TABLET: usize = 1;
const HQ: usize = 2;

const CATALOG: &str = r#"{"products": [], "parts": [
    {"part_number": "BRG-6308", "specification": "6308-2RS", "unit": "个",
     "categories": ["motor"], "models": ["YE3-132M-4"], "unit_cost": "42.50"},
    {"part_number": "IMP-40", "specification": "impeller 40", "unit": "个",
     "categories": ["pump"], "unit_cost": "120"}
]}"#;

struct Replicas {
    docs: Vec<Automerge>,
    case_id: Uuid,
    policies: Policies,
    catalog: Option<PartsCatalog>,
    minutes: i64,
}

fn actor(r: usize) -> ActorId {
    ActorId::from(vec![r as u8 + 1; 16])
}

fn part(number: &str) -> PartInput {
    PartInput {
        part_number: number.into(),
        specification: "bearing".into(),
        quantity: 2,
        new_serial: None,
        old_part_kept: false,
        old_part_serial: None,
        off_catalog_reason: None,
    }
}

impl Replicas {
    fn new() -> Replicas {
        let policies = Policies::default();
        let case_id = Uuid::now_v7();
        let ctx = Context {
            by: "Wang",
            device: "phone",
            at: t0() + Duration::minutes(1),
            policies: &policies,
            parts_catalog: None,
        };
        let origin =
            fieldcore::new_case_document(&actor(0), &ctx, case_id, &registration()).unwrap();
        let docs = (0..3)
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
            catalog: None,
            minutes: 2,
        }
    }

    fn with_catalog() -> Replicas {
        let mut r = Replicas::new();
        r.catalog = PartsCatalog::from_catalogs_json(CATALOG).unwrap();
        r
    }

    fn view(&self, r: usize) -> CaseView {
        fieldcore::build_view(&self.docs[r], self.case_id, &self.policies).unwrap()
    }

    fn run(&mut self, r: usize, command: &Command) -> Result<(CaseView, Option<String>), Error> {
        self.minutes += 1;
        let ctx = Context {
            by: ["Wang", "Li", "HQ"][r],
            device: ["phone", "tablet", "hq"][r],
            at: t0() + Duration::minutes(self.minutes),
            policies: &self.policies,
            parts_catalog: self.catalog.as_ref(),
        };
        let heads = self.docs[r].get_heads();
        match fieldcore::execute_on_document(&mut self.docs[r], self.case_id, &ctx, command) {
            Ok(applied) => Ok((self.view(r), applied.entry_id)),
            Err(e) => {
                assert_eq!(self.docs[r].get_heads(), heads, "a refusal wrote something");
                Err(e)
            }
        }
    }

    fn ok(&mut self, r: usize, command: Command) -> (CaseView, Option<String>) {
        let name = command.name();
        self.run(r, &command)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn merge(&mut self, from: usize, to: usize) {
        let mut other = self.docs[from].clone();
        self.docs[to].merge(&mut other).unwrap();
    }

    /// HQ's cs_manager decides the loss reported in entry `lost`, then the phone has it.
    fn hq_decides_loss(&mut self, lost: &str, approved: bool) {
        self.merge(PHONE, HQ);
        self.minutes += 1;
        let record = ApprovalRecord {
            request: lost.into(),
            kind: fieldcore::LOSS_APPROVAL.into(),
            approved,
            by: "Zhou".into(),
            at: t0() + Duration::minutes(self.minutes),
            reason: (!approved).then(|| "look in the van again".into()),
            step: Some(fieldcore::LOSS_APPROVAL.into()),
            role: Some("cs_manager".into()),
        };
        assert_eq!(record.key(), format!("{lost}:loss"));
        let json = serde_json::to_string(&record).unwrap();
        let doc = &mut self.docs[HQ];
        let mut tx = doc.transaction();
        fieldcore::put_hq_entry(&mut tx, fieldcore::APPROVALS, &record.key(), json).unwrap();
        tx.commit();
        self.merge(HQ, PHONE);
    }

    /// The visit up to the customer's acceptance, with the cause given; returns the part
    /// lines recorded (one per part number).
    fn visit_until_confirmed(&mut self, cause: Cause, parts: &[&str]) -> Vec<String> {
        self.ok(PHONE, Command::Acknowledge { note: None });
        self.ok(PHONE, Command::ArriveOnSite);
        self.ok(
            PHONE,
            Command::ConfirmDefect(DefectInput {
                cause,
                findings: "bearing seized".into(),
                measurements: vec![],
                major_incident: false,
                evidence_photos: vec![],
            }),
        );
        self.ok(
            PHONE,
            Command::DecideWarranty {
                evidence_photos: vec![],
                charge: None,
            },
        );
        let lines = parts
            .iter()
            .map(|p| {
                self.ok(PHONE, Command::RecordPart(part(p)))
                    .1
                    .expect("a line id")
            })
            .collect();
        self.ok(
            PHONE,
            Command::Resolve {
                outcome: Outcome::RepairedOnSite,
                summary: "bearings replaced".into(),
            },
        );
        self.ok(
            PHONE,
            Command::ConfirmCustomer(ConfirmationInput {
                customer_name: "Zhao Lei".into(),
                accepted: true,
                reason: None,
                signature_hash: None,
            }),
        );
        lines
    }

    /// The close refused for unaccounted old parts: the lines it names.
    fn close_refused(&mut self) -> Vec<String> {
        match self.run(PHONE, &Command::Close) {
            Err(Error::Validation {
                field: "status",
                reason: reason @ Invalid::OldPartsUnaccounted { .. },
            }) => {
                assert_eq!(reason.code(), "lifecycle.old_part_unaccounted");
                let Invalid::OldPartsUnaccounted { parts } = reason else {
                    unreachable!()
                };
                parts.into_iter().map(|p| p.line_id).collect()
            }
            other => panic!("close should be refused for old parts, got {other:?}"),
        }
    }
}

fn kept(line: &str, tag: &str) -> Command {
    Command::KeepOldPart {
        line_id: line.into(),
        tag: tag.into(),
    }
}

fn lost(line: &str) -> Command {
    Command::ReportOldPartLost {
        line_id: line.into(),
        reason: "left at the pump station, not found".into(),
    }
}

#[test]
fn a_covered_case_closes_only_once_every_old_part_is_accounted_for() {
    let mut r = Replicas::new();
    let lines = r.visit_until_confirmed(
        Cause::DesignManufacturing,
        &["BRG-6308", "SEAL-40", "FAN-1"],
    );
    assert!(r.view(PHONE).covered());
    let unaccounted: Vec<String> = r
        .view(PHONE)
        .unaccounted_old_parts()
        .into_iter()
        .map(|p| p.line_id)
        .collect();
    assert_eq!(unaccounted, lines);
    assert_eq!(r.close_refused(), lines);
    // The message names every part line, in both languages.
    let err = r.run(PHONE, &Command::Close).unwrap_err();
    for locale in [Locale::ZhCn, Locale::En] {
        let text = err.text(locale);
        for (number, line) in ["BRG-6308", "SEAL-40", "FAN-1"].iter().zip(&lines) {
            assert!(text.contains(number), "{text}");
            assert!(text.contains(&line[line.len() - 8..]), "{text}");
        }
    }

    // Kept, shipped, reversed: only the loss is still open.
    r.ok(PHONE, kept(&lines[0], "T-0001"));
    r.ok(
        PHONE,
        Command::ShipOldPart {
            line_id: lines[1].clone(),
            shipment: "SHP-2611-07".into(),
            tag: "T-0002".into(),
        },
    );
    let (_, loss) = r.ok(PHONE, lost(&lines[2]));
    let loss = loss.unwrap();
    assert_eq!(r.close_refused(), vec![lines[2].clone()]);
    assert_eq!(
        r.run(PHONE, &lost(&lines[2])).unwrap_err().code(),
        "validation.loss_awaiting_approval"
    );

    // HQ rejects the loss: still refused; approves a new report of it: the case closes.
    r.hq_decides_loss(&loss, false);
    let view = r.view(PHONE);
    assert!(matches!(
        view.parts[2].custody,
        OldPartCustody::LostRejected { .. }
    ));
    assert!(
        view.parts[2]
            .custody
            .text(Locale::En)
            .contains("look in the van again")
    );
    assert_eq!(r.close_refused(), vec![lines[2].clone()]);
    let (_, again) = r.ok(PHONE, lost(&lines[2]));
    r.hq_decides_loss(&again.unwrap(), true);
    let (view, _) = r.ok(PHONE, Command::Close);
    assert_eq!(view.status(), Status::Closed);

    let custody: Vec<(String, u32, &str)> = view
        .old_part_custody()
        .into_iter()
        .map(|p| (p.part_number, p.quantity, p.custody.as_str()))
        .collect();
    assert_eq!(
        custody,
        vec![
            ("BRG-6308".to_owned(), 2, "kept"),
            ("SEAL-40".to_owned(), 2, "shipped"),
            ("FAN-1".to_owned(), 2, "lost_approved"),
        ]
    );

    // After closing, the kept old part is shipped back: custody entries are still taken.
    let (view, _) = r.ok(
        PHONE,
        Command::ShipOldPart {
            line_id: lines[0].clone(),
            shipment: "SHP-2612-01".into(),
            tag: "T-0001".into(),
        },
    );
    assert_eq!(
        view.parts[0].custody,
        OldPartCustody::Shipped {
            shipment: "SHP-2612-01".into(),
            tag: "T-0001".into()
        }
    );
}

#[test]
fn a_reversed_line_needs_nothing_and_takes_no_custody() {
    let mut r = Replicas::new();
    let lines = r.visit_until_confirmed(Cause::DesignManufacturing, &["BRG-6308"]);
    // A line recorded by mistake is reversed (any status but closed): its old part is no
    // one's to account for.
    r.ok(
        PHONE,
        Command::ReversePart {
            line_id: lines[0].clone(),
            reason: "recorded on the wrong case".into(),
        },
    );
    assert!(r.view(PHONE).unaccounted_old_parts().is_empty());
    assert!(r.view(PHONE).old_part_custody().is_empty());
    assert_eq!(
        r.run(PHONE, &kept(&lines[0], "T-1")).unwrap_err().code(),
        "validation.part_line_removed"
    );
    let (view, _) = r.ok(PHONE, Command::Close);
    assert_eq!(view.status(), Status::Closed);
}

#[test]
fn a_case_not_covered_closes_with_its_old_parts_unrecorded() {
    let mut r = Replicas::new();
    r.visit_until_confirmed(Cause::CustomerMisuse, &["BRG-6308"]);
    let view = r.view(PHONE);
    assert!(!view.covered());
    assert_eq!(view.parts[0].custody, OldPartCustody::Unrecorded);
    assert!(view.unaccounted_old_parts().is_empty());
    // The write-off still sees the line, unrecorded.
    assert_eq!(view.old_part_custody().len(), 1);
    let (view, _) = r.ok(PHONE, Command::Close);
    assert_eq!(view.status(), Status::Closed);
}

#[test]
fn custody_recorded_on_two_devices_merges_to_the_latest() {
    let mut r = Replicas::new();
    let lines = r.visit_until_confirmed(Cause::DesignManufacturing, &["BRG-6308"]);
    r.merge(PHONE, TABLET);
    r.ok(PHONE, kept(&lines[0], "T-PHONE"));
    r.ok(
        TABLET,
        Command::ShipOldPart {
            line_id: lines[0].clone(),
            shipment: "SHP-9".into(),
            tag: "T-PHONE".into(),
        },
    );
    r.merge(TABLET, PHONE);
    r.merge(PHONE, TABLET);
    let (phone, tablet) = (r.view(PHONE), r.view(TABLET));
    assert_eq!(phone.parts[0].custody, tablet.parts[0].custody);
    // The tablet's entry is a minute later.
    assert_eq!(phone.parts[0].custody.as_str(), "shipped");
    let (view, _) = r.ok(PHONE, Command::Close);
    assert_eq!(view.status(), Status::Closed);
}

#[test]
fn returned_old_parts_are_accounted_and_take_nothing_more() {
    let mut r = Replicas::new();
    let lines = r.visit_until_confirmed(Cause::DesignManufacturing, &["BRG-6308"]);
    // Neither kept at recording nor by an entry: nothing to return.
    assert_eq!(
        r.run(
            PHONE,
            &Command::ReturnOldPart {
                line_id: lines[0].clone()
            }
        )
        .unwrap_err()
        .code(),
        "validation.no_old_part_kept"
    );
    r.ok(PHONE, kept(&lines[0], "T-7"));
    r.ok(
        PHONE,
        Command::ReturnOldPart {
            line_id: lines[0].clone(),
        },
    );
    let view = r.view(PHONE);
    assert_eq!(view.parts[0].custody, OldPartCustody::Returned);
    assert!(view.parts[0].old_part_returned);
    assert_eq!(
        r.run(PHONE, &lost(&lines[0])).unwrap_err().code(),
        "validation.old_part_returned"
    );
    r.ok(PHONE, Command::Close);
}

#[test]
fn custody_inputs_are_checked() {
    let mut r = Replicas::new();
    let lines = r.visit_until_confirmed(Cause::DesignManufacturing, &["BRG-6308"]);
    let refused = |r: &mut Replicas, c: Command| r.run(PHONE, &c).unwrap_err();
    match refused(&mut r, kept(&lines[0], "  ")) {
        Error::Validation { field: "tag", .. } => {}
        e => panic!("{e:?}"),
    }
    match refused(
        &mut r,
        Command::ShipOldPart {
            line_id: lines[0].clone(),
            shipment: String::new(),
            tag: "T".into(),
        },
    ) {
        Error::Validation {
            field: "shipment", ..
        } => {}
        e => panic!("{e:?}"),
    }
    match refused(
        &mut r,
        Command::ReportOldPartLost {
            line_id: lines[0].clone(),
            reason: " ".into(),
        },
    ) {
        Error::Validation {
            field: "reason", ..
        } => {}
        e => panic!("{e:?}"),
    }
    assert!(matches!(
        refused(&mut r, kept("no-such-line", "T")),
        Error::EntryNotFound(_)
    ));
}

#[test]
fn a_part_off_the_catalog_needs_a_reason_and_is_flagged() {
    let mut r = Replicas::with_catalog();
    // In the catalog and for this motor: not flagged; a reason given anyway is not kept.
    let mut with_reason = part("BRG-6308");
    with_reason.off_catalog_reason = Some("habit".into());
    let (view, _) = r.ok(PHONE, Command::RecordPart(with_reason));
    assert!(!view.parts[0].off_catalog);
    assert_eq!(view.parts[0].part.off_catalog_reason, None);

    // Not in the catalog, and in it but for pumps: refused without a reason, naming the part.
    for (number, listed) in [("SEAL-99", false), ("IMP-40", true)] {
        let err = r
            .run(PHONE, &Command::RecordPart(part(number)))
            .unwrap_err();
        assert_eq!(err.code(), "validation.off_catalog_needs_reason");
        match &err {
            Error::Validation {
                field: "off_catalog_reason",
                reason:
                    Invalid::OffCatalogNeedsReason {
                        part_number,
                        listed: l,
                    },
            } => {
                assert_eq!(part_number, number);
                assert_eq!(*l, listed);
            }
            e => panic!("{e:?}"),
        }
        assert!(err.text(Locale::ZhCn).contains(number));
        let mut blank = part(number);
        blank.off_catalog_reason = Some("   ".into());
        assert_eq!(
            r.run(PHONE, &Command::RecordPart(blank))
                .unwrap_err()
                .code(),
            "validation.off_catalog_needs_reason"
        );
        let mut explained = part(number);
        explained.off_catalog_reason = Some("bought locally in an emergency".into());
        let (view, _) = r.ok(PHONE, Command::RecordPart(explained));
        let line = view.parts.last().unwrap();
        assert!(line.off_catalog);
        assert_eq!(
            line.part.off_catalog_reason.as_deref(),
            Some("bought locally in an emergency")
        );
    }

    // Without a catalog nothing is flagged and nothing is required.
    let mut r = Replicas::new();
    let (view, _) = r.ok(PHONE, Command::RecordPart(part("ANYTHING-1")));
    assert!(!view.parts[0].off_catalog);
}

#[test]
fn the_store_checks_parts_against_the_catalog_it_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("device.db"), "Li Wei").unwrap();
    // A malformed parts key is refused and changes nothing.
    let err = store
        .set_catalogs_json(r#"{"parts":[{"part_number":"X"}]}"#)
        .unwrap_err();
    assert_eq!(err.code(), "validation.parts_catalog");
    assert!(store.parts_catalog().is_none());
    assert_eq!(store.catalogs_json().unwrap(), "{}");

    store.set_catalogs_json(CATALOG).unwrap();
    assert_eq!(store.parts_catalog().unwrap().len(), 2);
    let id = store.register(&registration()).unwrap().id;
    let err = store
        .execute(id, &Command::RecordPart(part("SEAL-99")))
        .unwrap_err();
    assert_eq!(err.code(), "validation.off_catalog_needs_reason");
    store
        .execute(id, &Command::RecordPart(part("BRG-6308")))
        .unwrap();

    // Reopened, the store still has the catalog.
    drop(store);
    let mut store = Store::open(dir.path().join("device.db"), "Li Wei").unwrap();
    assert_eq!(store.parts_catalog().unwrap().len(), 2);
    let err = store
        .execute(id, &Command::RecordPart(part("SEAL-99")))
        .unwrap_err();
    assert_eq!(err.code(), "validation.off_catalog_needs_reason");
}
