//! Every message kind the core produces exists in both locales: a non-empty text in each,
//! Chinese characters in the Chinese one, the two different, and every argument in both.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::type_complexity)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::NaiveDate;
use fieldcore::{
    Action, CaseStatus, Cause, Channel, CustomerRequest, DeadlineRefusal, EVENT_ACTIONS, Error,
    FIELD_LABELS, Invalid, Locale, Localized, Market, Milestone, Outcome, PhotoKind,
    ProofOfPurchase, StaleStep, Status, Step, Summary, WarrantyInput, WarrantyPolicy, WarrantyRule,
    decide_warranty, event_action_text, field_label, quality_fault_text,
};

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// One message in both locales, with the argument values it must carry.
fn check(kind: &str, zh: String, en: String, args: &[&str]) {
    assert!(!zh.trim().is_empty(), "{kind}: no Chinese text");
    assert!(!en.trim().is_empty(), "{kind}: no English text");
    assert!(
        has_chinese(&zh),
        "{kind}: Chinese text has no Chinese: {zh}"
    );
    assert_ne!(zh, en, "{kind}: the same text in both locales");
    for arg in args {
        assert!(zh.contains(arg), "{kind}: Chinese text drops {arg}: {zh}");
        assert!(en.contains(arg), "{kind}: English text drops {arg}: {en}");
    }
}

fn both(kind: &str, value: &impl Localized, args: &[&str]) {
    check(kind, value.text(Locale::ZhCn), value.text(Locale::En), args);
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Every variant of `Invalid`. The match makes a new variant fail to compile here until it
/// has a sample.
fn invalid_samples() -> Vec<(Invalid, Vec<&'static str>)> {
    let samples = vec![
        (Invalid::Required, vec![]),
        (Invalid::TooLong { max_bytes: 200 }, vec!["200"]),
        (Invalid::RequiredWithProofOfPurchase, vec![]),
        (Invalid::InTheFuture, vec![]),
        (Invalid::AfterReceived, vec![]),
        (Invalid::AfterPurchase, vec![]),
        (Invalid::NotFinite, vec![]),
        (Invalid::AtLeastOne, vec!["1"]),
        (Invalid::AtMost { max: 255 }, vec!["255"]),
        (Invalid::NotDate, vec!["YYYY-MM-DD"]),
        (Invalid::NotTimestamp, vec!["RFC 3339"]),
        (Invalid::NotCaseId, vec!["UUID"]),
        (Invalid::OldPartNotKept, vec![]),
        (Invalid::Negative, vec![]),
        (Invalid::NotCurrencyCode, vec!["CNY"]),
        (Invalid::NotPhotoHash, vec!["SHA-256"]),
        (Invalid::NotPhoneNumber, vec!["5", "20"]),
        (Invalid::DefectNotConfirmed, vec![]),
        (Invalid::CoveredNotCharged, vec![]),
        (Invalid::CoveredNotPaidRepair, vec![]),
        (Invalid::NotDecisionField, vec![]),
        (Invalid::PartLineRemoved, vec![]),
        (Invalid::NoOldPartKept, vec![]),
        (Invalid::OldPartReturned, vec![]),
        (Invalid::NothingToUpdate, vec![]),
        (
            Invalid::PhotoAlreadyOnCase {
                added_at: "2026-11-30 10:26".into(),
            },
            vec!["2026-11-30 10:26"],
        ),
        (Invalid::PhotoNotOnCase, vec![]),
        (Invalid::PhotoNotImported, vec![]),
        (Invalid::NoConflict, vec![]),
        (Invalid::NotCaptureTime, vec![]),
        (Invalid::NotCoordinate, vec![]),
        (Invalid::ChoiceOutOfRange { alternatives: 3 }, vec!["3"]),
        (
            Invalid::ReceivedBeforePurchase {
                received: d("2026-02-28"),
                purchase: d("2026-03-01"),
            },
            vec!["2026-02-28", "2026-03-01"],
        ),
        (
            Invalid::PeriodBeyondDates {
                purchase: d("2026-03-01"),
                months: 18,
            },
            vec!["2026-03-01", "18"],
        ),
        (Invalid::HashMismatch, vec![]),
        (Invalid::NoCertificate, vec![]),
        (
            Invalid::BadCertificate {
                detail: "bad PEM section".into(),
            },
            vec!["bad PEM section"],
        ),
        (Invalid::NoFolder, vec![]),
        (Invalid::NoCaseMatches, vec![]),
        (Invalid::SeveralCasesMatch, vec![]),
        (Invalid::PageTooLarge { max: 500 }, vec!["500"]),
        (Invalid::NotCursor, vec![]),
        (Invalid::UnknownLanguage, vec!["zh-CN", "en"]),
        (Invalid::Deadline(DeadlineRefusal::AlreadyWithQa), vec![]),
        (Invalid::Deadline(DeadlineRefusal::NoInvestigation), vec![]),
        (
            Invalid::Deadline(DeadlineRefusal::AgreedBeforeStart),
            vec![],
        ),
        (Invalid::NoCorrection, vec![]),
        (Invalid::InvoicePhotoWithoutProof, vec![]),
        (Invalid::TripNotApproved, vec![]),
        (Invalid::TripAlreadyWaiting, vec![]),
        (Invalid::NotHqUser, vec![]),
        (Invalid::AlreadyFirstResponder, vec![]),
        (Invalid::NotQuarter, vec!["2026Q4"]),
        (
            Invalid::OutsideQuarter {
                at: "2026-09-30T23:00:00+08:00".into(),
                quarter: "2026Q4".into(),
            },
            vec!["2026-09-30T23:00:00+08:00", "2026Q4"],
        ),
        (Invalid::DuplicateId { id: "m-17".into() }, vec!["m-17"]),
        (Invalid::NotAmount, vec!["12.50"]),
        (Invalid::CaseBeforeReturns, vec![]),
        (Invalid::NotZero, vec![]),
        (Invalid::TransferToSelf, vec![]),
        (Invalid::DuplicateTag, vec![]),
        (Invalid::NotStockHolder, vec![]),
        (Invalid::TooMany { max: 200 }, vec!["200"]),
        (Invalid::OneModelPerReturn, vec![]),
        (
            Invalid::OutsideReturnWindow(fieldcore::return_window(
                &fieldcore::ReturnPolicy::default(),
                true,
                Some(d("2026-10-15")),
                d("2026-11-20"),
            )),
            vec!["2026-10-15", "2026-11-15", "2026-11-20"],
        ),
        (Invalid::RefusalNeedsCheck, vec!["A", "D"]),
        (Invalid::ReceiptRefused, vec![]),
        (Invalid::UnitNotReceived, vec!["1", "2"]),
        (Invalid::UnitAlreadyInspected, vec![]),
        (Invalid::NotAnExchange, vec![]),
        (Invalid::ReturnRejected, vec![]),
        (Invalid::ReplenishmentAlreadyRequested, vec![]),
        (Invalid::ReplenishmentNotApproved, vec![]),
        (Invalid::ReplacementAlreadyConfirmed, vec![]),
        (
            Invalid::ReturnOpen {
                rma_number: Some("R2611-0002".into()),
                state: fieldcore::ReturnState::AwaitingInspection,
            },
            vec!["R2611-0002"],
        ),
        (
            Invalid::PartsCatalog(fieldcore::CatalogProblem::BadUnitCost {
                part_number: "BRG-6308".into(),
                value: "12,5".into(),
            }),
            vec!["BRG-6308", "12,5"],
        ),
        (
            Invalid::OffCatalogNeedsReason {
                part_number: "SEAL-40".into(),
                listed: false,
            },
            vec!["SEAL-40"],
        ),
        (
            Invalid::OffCatalogNeedsReason {
                part_number: "SEAL-41".into(),
                listed: true,
            },
            vec!["SEAL-41"],
        ),
        (Invalid::LossAwaitingApproval, vec![]),
        (
            Invalid::OldPartsUnaccounted {
                parts: vec![
                    fieldcore::PartCustody {
                        line_id: "0193aaaa-bbbb-7ccc-8ddd-eeee12345678".into(),
                        part_number: "BRG-6308".into(),
                        quantity: 2,
                        custody: fieldcore::OldPartCustody::Unrecorded,
                    },
                    fieldcore::PartCustody {
                        line_id: "0193aaaa-bbbb-7ccc-8ddd-eeee87654321".into(),
                        part_number: "SEAL-40".into(),
                        quantity: 1,
                        custody: fieldcore::OldPartCustody::LostAwaitingApproval {
                            entry: "x".into(),
                            reason: "dropped in the sump".into(),
                        },
                    },
                ],
            },
            vec![
                "BRG-6308",
                "12345678",
                "SEAL-40",
                "87654321",
                "dropped in the sump",
            ],
        ),
    ];
    for (sample, _) in &samples {
        match sample {
            Invalid::Required
            | Invalid::TooLong { .. }
            | Invalid::RequiredWithProofOfPurchase
            | Invalid::InTheFuture
            | Invalid::AfterReceived
            | Invalid::AfterPurchase
            | Invalid::NotFinite
            | Invalid::AtLeastOne
            | Invalid::AtMost { .. }
            | Invalid::NotDate
            | Invalid::NotTimestamp
            | Invalid::NotCaseId
            | Invalid::OldPartNotKept
            | Invalid::Negative
            | Invalid::NotCurrencyCode
            | Invalid::NotPhotoHash
            | Invalid::NotPhoneNumber
            | Invalid::DefectNotConfirmed
            | Invalid::CoveredNotCharged
            | Invalid::CoveredNotPaidRepair
            | Invalid::NotDecisionField
            | Invalid::PartLineRemoved
            | Invalid::NoOldPartKept
            | Invalid::OldPartReturned
            | Invalid::NothingToUpdate
            | Invalid::PhotoAlreadyOnCase { .. }
            | Invalid::PhotoNotOnCase
            | Invalid::PhotoNotImported
            | Invalid::NoConflict
            | Invalid::ChoiceOutOfRange { .. }
            | Invalid::ReceivedBeforePurchase { .. }
            | Invalid::PeriodBeyondDates { .. }
            | Invalid::HashMismatch
            | Invalid::NoCertificate
            | Invalid::BadCertificate { .. }
            | Invalid::NoFolder
            | Invalid::NoCaseMatches
            | Invalid::SeveralCasesMatch
            | Invalid::PageTooLarge { .. }
            | Invalid::NotCursor
            | Invalid::UnknownLanguage
            | Invalid::Deadline(_)
            | Invalid::NoCorrection
            | Invalid::InvoicePhotoWithoutProof
            | Invalid::TripNotApproved
            | Invalid::TripAlreadyWaiting
            | Invalid::NotHqUser
            | Invalid::AlreadyFirstResponder
            | Invalid::NotQuarter
            | Invalid::OutsideQuarter { .. }
            | Invalid::DuplicateId { .. }
            | Invalid::NotAmount
            | Invalid::NotCaptureTime
            | Invalid::NotCoordinate
            | Invalid::CaseBeforeReturns
            | Invalid::NotZero
            | Invalid::TransferToSelf
            | Invalid::DuplicateTag
            | Invalid::NotStockHolder
            | Invalid::TooMany { .. }
            | Invalid::OneModelPerReturn
            | Invalid::OutsideReturnWindow(_)
            | Invalid::RefusalNeedsCheck
            | Invalid::ReceiptRefused
            | Invalid::UnitNotReceived
            | Invalid::UnitAlreadyInspected
            | Invalid::NotAnExchange
            | Invalid::ReturnRejected
            | Invalid::ReplenishmentAlreadyRequested
            | Invalid::ReplenishmentNotApproved
            | Invalid::ReplacementAlreadyConfirmed
            | Invalid::ReturnOpen { .. }
            | Invalid::PartsCatalog(_)
            | Invalid::OffCatalogNeedsReason { .. }
            | Invalid::LossAwaitingApproval
            | Invalid::OldPartsUnaccounted { .. } => {}
        }
    }
    samples
}

#[test]
fn every_validation_reason_in_both_locales() {
    let samples = invalid_samples();
    // One sample per variant (three for the deadline refusals, two for off-catalog parts).
    let distinct: std::collections::BTreeSet<String> =
        samples.iter().map(|(s, _)| format!("{s:?}")).collect();
    assert_eq!(distinct.len(), samples.len());
    assert_eq!(samples.len(), 79);
    for (reason, args) in &samples {
        both(&format!("{reason:?}"), reason, args);
        let e = Error::Validation {
            field: "customer_phone",
            reason: reason.clone(),
        };
        let mut with_field = args.clone();
        with_field.push("customer_phone");
        check(
            &format!("validation {reason:?}"),
            e.text(Locale::ZhCn).replace("customer_phone", "?"),
            e.text(Locale::En),
            &[],
        );
        assert!(e.text(Locale::ZhCn).contains("客户电话"));
        assert!(e.text(Locale::En).contains("customer_phone"));
        // English stays what logs and scripts read.
        assert_eq!(e.text(Locale::En), e.to_string());
    }
}

/// Every variant of `Error`, matched so a new variant fails to compile here.
fn error_samples() -> Vec<(Error, Vec<&'static str>)> {
    let id = uuid::Uuid::parse_str("0195f1c2-9a00-7c3e-8b21-5d4a3f2e1c0b").unwrap();
    let samples = vec![
        (
            Error::Validation {
                field: "quantity",
                reason: Invalid::AtLeastOne,
            },
            vec!["1"],
        ),
        (
            Error::CaseNotFound(id),
            vec!["0195f1c2-9a00-7c3e-8b21-5d4a3f2e1c0b"],
        ),
        (Error::EntryNotFound("line-7".into()), vec!["line-7"]),
        (
            Error::Evicted(id),
            vec!["0195f1c2-9a00-7c3e-8b21-5d4a3f2e1c0b"],
        ),
        (
            Error::InvalidTransition {
                from: Status::Closed,
                action: Step::Action(Action::ScheduleVisit),
            },
            vec![],
        ),
        (
            Error::NotPermitted("decisions.defect".into()),
            vec!["decisions.defect"],
        ),
        (
            Error::UnknownStatus {
                status: "escalated".into(),
                action: Step::SetCharge,
            },
            vec!["escalated"],
        ),
        (
            Error::Conflict {
                field: "warranty".into(),
            },
            vec![],
        ),
        (
            Error::CorruptDatabase {
                moved_to: PathBuf::from("/data/field.db.corrupt"),
                reason: "not a database".into(),
            },
            vec!["/data/field.db.corrupt", "not a database"],
        ),
        (
            Error::NewerSchema {
                found: 9,
                supported: 4,
            },
            vec!["9", "4"],
        ),
        (
            Error::CorruptDocument {
                case_id: id,
                reason: "truncated".into(),
            },
            vec!["0195f1c2-9a00-7c3e-8b21-5d4a3f2e1c0b", "truncated"],
        ),
        (
            Error::InvalidDocument("bad chunk".into()),
            vec!["bad chunk"],
        ),
        (
            Error::UnsupportedPhoto {
                format: "HEIC".into(),
                hint: "convert".into(),
            },
            vec!["HEIC", "convert"],
        ),
        (Error::InvalidPhoto("truncated".into()), vec!["truncated"]),
        (Error::PhotoTooLarge("9000×9000".into()), vec!["9000×9000"]),
        (Error::Network("timed out".into()), vec!["timed out"]),
        (Error::Unauthorized("revoked".into()), vec!["revoked"]),
        (Error::Protocol("version 9".into()), vec!["version 9"]),
        (Error::Cancelled, vec![]),
        (Error::Storage(rusqlite::Error::InvalidQuery), vec![]),
        (
            Error::Io(std::io::Error::other("disk full")),
            vec!["disk full"],
        ),
        (Error::StaleWarranty(StaleStep::Close), vec![]),
    ];
    for (sample, _) in &samples {
        match sample {
            Error::Validation { .. }
            | Error::CaseNotFound(_)
            | Error::EntryNotFound(_)
            | Error::Evicted(_)
            | Error::InvalidTransition { .. }
            | Error::NotPermitted(_)
            | Error::UnknownStatus { .. }
            | Error::Conflict { .. }
            | Error::CorruptDatabase { .. }
            | Error::NewerSchema { .. }
            | Error::CorruptDocument { .. }
            | Error::InvalidDocument(_)
            | Error::UnsupportedPhoto { .. }
            | Error::InvalidPhoto(_)
            | Error::PhotoTooLarge(_)
            | Error::Network(_)
            | Error::Unauthorized(_)
            | Error::Protocol(_)
            | Error::Cancelled
            | Error::Storage(_)
            | Error::Io(_)
            | Error::StaleWarranty(_) => {}
        }
    }
    samples
}

/// Every stable code (`fieldcore::all_codes`) is produced by a sample above, and every sample's
/// code is listed: the list docs/mobile.md's table is checked against is the one the code
/// produces.
#[test]
fn every_code_is_produced_and_listed() {
    let mut produced: BTreeSet<&'static str> = invalid_samples()
        .iter()
        .map(|(reason, _)| reason.code())
        .collect();
    produced.extend(error_samples().iter().map(|(error, _)| error.code()));
    produced.extend(Status::ALL.into_iter().map(|from| {
        Error::InvalidTransition {
            from,
            action: Step::Action(Action::Close),
        }
        .code()
    }));
    produced.insert(Error::Io(std::io::ErrorKind::NotFound.into()).code());
    produced.insert(fieldcore::INTERNAL_CODE);
    let listed: BTreeSet<&'static str> = fieldcore::all_codes().into_iter().collect();
    assert_eq!(produced, listed);
}

#[test]
fn every_error_in_both_locales() {
    let samples = error_samples();
    assert_eq!(samples.len(), 22);
    for (error, args) in &samples {
        both(&format!("{error:?}"), error, args);
        assert_eq!(error.text(Locale::En), error.to_string());
    }
}

#[test]
fn every_refused_step_in_both_locales() {
    let steps = Step::all();
    assert_eq!(steps.len(), Action::ALL.len() + 13);
    for step in steps {
        both(&format!("{step:?}"), &step, &[]);
        for from in Status::ALL {
            let e = Error::InvalidTransition { from, action: step };
            both(&format!("{step:?} from {from:?}"), &e, &[]);
            assert!(e.text(Locale::ZhCn).contains(&from.text(Locale::ZhCn)));
            assert!(e.text(Locale::ZhCn).contains(&step.text(Locale::ZhCn)));
        }
    }
}

#[test]
fn every_label_in_both_locales() {
    for s in Status::ALL {
        both(&format!("{s:?}"), &s, &[]);
    }
    both(
        "unknown status",
        &CaseStatus::Unknown("escalated".into()),
        &["escalated"],
    );
    for c in Cause::ALL {
        both(&format!("{c:?}"), &c, &[]);
    }
    for m in Market::ALL {
        both(&format!("{m:?}"), &m, &[]);
    }
    for c in Channel::ALL {
        both(&format!("{c:?}"), &c, &[]);
    }
    for r in CustomerRequest::ALL {
        both(&format!("{r:?}"), &r, &[]);
    }
    for o in Outcome::ALL {
        both(&format!("{o:?}"), &o, &[]);
    }
    for k in PhotoKind::ALL {
        both(&format!("{k:?}"), &k, &[]);
    }
    for m in Milestone::ALL {
        both(&format!("{m:?}"), &m, &[]);
    }
    for r in [
        WarrantyRule::NoProofOfPurchase,
        WarrantyRule::NotInScope,
        WarrantyRule::OutOfPeriod,
        WarrantyRule::NonQualityFault,
        WarrantyRule::CoveredQualityFault,
    ] {
        both(&format!("{r:?}"), &r, &[]);
    }
    for q in [true, false] {
        check(
            "quality fault",
            quality_fault_text(q, Locale::ZhCn),
            quality_fault_text(q, Locale::En),
            &[],
        );
    }
    for (field, _) in FIELD_LABELS {
        check(
            field,
            field_label(field, Locale::ZhCn),
            field_label(field, Locale::En),
            &[],
        );
    }
    for (action, _) in EVENT_ACTIONS {
        check(
            action,
            event_action_text(action, Locale::ZhCn),
            event_action_text(action, Locale::En),
            &[],
        );
    }
}

/// Each rule's explanation, worded in both locales from the decision; the English one is the
/// one recorded in the document.
#[test]
fn every_warranty_explanation_in_both_locales() {
    let policy = WarrantyPolicy::default().with_model("P-9", 24);
    let invoice = ProofOfPurchase::Invoice("INV-0099812".into());
    let voucher = ProofOfPurchase::Voucher("V-77".into());
    let none = ProofOfPurchase::None;
    let cases: Vec<(
        &str,
        &str,
        Option<&str>,
        &ProofOfPurchase,
        &str,
        Cause,
        WarrantyRule,
    )> = vec![
        (
            "motor",
            "",
            Some("2025-01-10"),
            &none,
            "2025-02-01",
            Cause::DesignManufacturing,
            WarrantyRule::NoProofOfPurchase,
        ),
        (
            "motor",
            "",
            None,
            &invoice,
            "2025-02-01",
            Cause::StorageTransport,
            WarrantyRule::NoProofOfPurchase,
        ),
        (
            "compressor",
            "C-1",
            Some("2025-01-10"),
            &invoice,
            "2025-02-01",
            Cause::DesignManufacturing,
            WarrantyRule::NotInScope,
        ),
        (
            "motor",
            "",
            Some("2025-03-01"),
            &invoice,
            "2026-03-02",
            Cause::DesignManufacturing,
            WarrantyRule::OutOfPeriod,
        ),
        (
            "motor",
            "",
            Some("2025-03-01"),
            &voucher,
            "2025-03-01",
            Cause::CustomerMisuse,
            WarrantyRule::NonQualityFault,
        ),
        (
            "pump",
            "p-9",
            Some("2024-02-29"),
            &voucher,
            "2026-02-28",
            Cause::StorageTransport,
            WarrantyRule::CoveredQualityFault,
        ),
    ];
    for (category, model, purchase, proof, received, cause, rule) in cases {
        let decision = decide_warranty(
            &policy,
            &WarrantyInput {
                category,
                model,
                purchase_date: purchase.map(d),
                proof,
                received_date: d(received),
                cause,
            },
        )
        .unwrap();
        assert_eq!(decision.rule, rule);
        assert_eq!(decision.text(Locale::En), decision.explanation);
        let mut args = vec![received];
        args.extend(purchase);
        if let Some(end) = decision.period_end {
            let end = end.to_string();
            assert!(decision.text(Locale::ZhCn).contains(&end), "{rule:?}");
        }
        both(&format!("{rule:?}"), &decision, &args);
        let zh = decision.text(Locale::ZhCn);
        match rule {
            WarrantyRule::CoveredQualityFault => {
                assert!(zh.contains("予以三包") && zh.contains("质量问题"), "{zh}");
                assert!(zh.contains("型号 p-9"), "{zh}");
            }
            WarrantyRule::NonQualityFault => {
                assert!(zh.contains("非质量问题") && zh.contains("不予三包"), "{zh}");
                assert!(zh.contains("客户使用不当"), "{zh}");
            }
            _ => assert!(zh.contains("不予三包"), "{zh}"),
        }
        // A decision recorded before the grounds existed still reads in both locales.
        let older = fieldcore::WarrantyDecision {
            grounds: None,
            ..decision.clone()
        };
        assert_eq!(older.text(Locale::En), decision.explanation);
        assert!(has_chinese(&older.text(Locale::ZhCn)));
        assert!(older.text(Locale::ZhCn).contains(received));
    }
}

/// `case show` in both locales: the same facts, Chinese labels and the procedures' terms in
/// one, the English text unchanged in the other.
#[test]
fn the_case_text_in_both_locales() {
    use fieldcore::testing::{StepClock, registration, t0};
    use fieldcore::{CaseTextExtras, Command, DefectInput, Store, case_text};

    let dir = tempfile::tempdir().unwrap();
    let clock = StepClock::new();
    let mut store = Store::open(dir.path().join("device.db"), "Li Wei").unwrap();
    store.set_clock(clock.boxed());
    let id = store.register(&registration()).unwrap().id;
    store
        .execute(id, &Command::Acknowledge { note: None })
        .unwrap();
    store.execute(id, &Command::ArriveOnSite).unwrap();
    store
        .execute(
            id,
            &Command::ConfirmDefect(DefectInput {
                cause: Cause::CustomerMisuse,
                findings: "Pump run dry".into(),
                measurements: vec![],
                major_incident: false,
                evidence_photos: vec![],
            }),
        )
        .unwrap();
    let (view, _) = store
        .execute(
            id,
            &Command::DecideWarranty {
                evidence_photos: vec![],
                charge: None,
            },
        )
        .unwrap();
    let extras = CaseTextExtras::default();
    let zh = case_text(&view, &extras, t0(), Locale::ZhCn);
    let en = case_text(&view, &extras, t0(), Locale::En);
    for want in [
        "案件",
        "状态",
        "已判定三包",
        "故障鉴定",
        "非质量问题",
        "不予三包",
        "首问责任人",
        "历史记录",
        "Pump run dry",
    ] {
        assert!(zh.contains(want), "{want} missing from:\n{zh}");
    }
    for want in [
        "Status      warranty_decided",
        "non-quality fault",
        "not covered",
        "first responder",
    ] {
        assert!(en.contains(want), "{want} missing from:\n{en}");
    }
    assert_eq!(zh.lines().count(), en.lines().count());
    // The history in Chinese is worded from each entry's detail; English is as recorded.
    assert!(
        zh.contains("故障鉴定: 客户使用不当或其他客户原因（非质量问题）"),
        "{zh}"
    );
    assert!(!zh.contains("defect confirmed"), "{zh}");
    assert!(
        en.contains("defect confirmed: customer_misuse (non-quality fault)"),
        "{en}"
    );
}

/// Every history entry in both locales; and kept on the event, it reads back as written.
#[test]
fn every_history_entry_in_both_locales() {
    let samples = fieldcore::testing::summary_samples();
    assert_eq!(samples.len(), 39);
    for (summary, args) in &samples {
        both(&format!("{summary:?}"), summary, args);
        let event = fieldcore::EventBody {
            action: "any".into(),
            summary: summary.text(Locale::En),
            detail: summary.detail(),
            correction: match summary {
                Summary::FactsCorrected { correction } => correction.clone(),
                _ => None,
            },
            handover: match summary {
                Summary::HandedOver { handover } => handover.clone(),
                _ => None,
            },
        };
        assert_eq!(
            fieldcore::history_text(&event, Locale::ZhCn),
            summary.text(Locale::ZhCn)
        );
        assert_eq!(
            fieldcore::history_text(&event, Locale::En),
            summary.text(Locale::En)
        );
    }
}

/// An entry recorded before details existed, or with one a newer app wrote, is shown as
/// recorded in either language rather than dropped or misread.
#[test]
fn history_without_a_readable_detail_shows_the_recorded_summary() {
    for detail in [
        None,
        Some(serde_json::json!({"what": "repaired_by_drone", "drone": "D-1"})),
        Some(serde_json::json!("not an object")),
    ] {
        let event = fieldcore::EventBody {
            action: "repair_by_drone".into(),
            summary: "repaired by drone D-1".into(),
            detail,
            correction: None,
            handover: None,
        };
        for locale in Locale::ALL {
            assert_eq!(
                fieldcore::history_text(&event, locale),
                "repaired by drone D-1"
            );
        }
    }
}
