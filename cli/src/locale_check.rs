//! Every message fieldctl itself produces exists in both locales: each `CliError` variant and
//! each refusal `Reason`, with sample arguments, has a non-empty text in each locale, Chinese
//! characters in the Chinese one, the two different, and every argument in both. The exhaustive
//! matches beside the sample lists make a new variant fail to compile here until it has one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io;
use std::path::PathBuf;

use fieldcore::{Locale, Localized};

use crate::error::CliError;
#[cfg(feature = "demo")]
use crate::error::DemoFailure;
use crate::reason::{CLI_FIELD_LABELS, Reason, TokenSource, field_label};

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

fn check(kind: &str, value: &impl Localized, args: &[&str]) {
    let (zh, en) = (value.text(Locale::ZhCn), value.text(Locale::En));
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

fn reason_samples() -> Vec<(Reason, Vec<&'static str>)> {
    let samples = vec![
        (
            Reason::NotDate {
                got: "2025-02-30".into(),
            },
            vec!["2025-02-30", "YYYY-MM-DD"],
        ),
        (
            Reason::NotTime {
                got: "2026-03-01 09:30".into(),
            },
            vec!["2026-03-01 09:30", "RFC 3339"],
        ),
        (
            Reason::NotAmount { got: "abc".into() },
            vec!["abc", "120.50"],
        ),
        (Reason::Negative, vec![]),
        (
            Reason::TooManyDecimals {
                got: "1.234".into(),
            },
            vec!["1.234", "2"],
        ),
        (
            Reason::TooLarge {
                got: "99999999999999999999".into(),
            },
            vec!["99999999999999999999"],
        ),
        (
            Reason::NotMeasurement {
                got: "no equals sign".into(),
            },
            vec!["no equals sign", "insulation_resistance=550MΩ"],
        ),
        (
            Reason::MeasurementNotNumber {
                name: "ratio".into(),
                got: "high".into(),
            },
            vec!["ratio", "high"],
        ),
        (Reason::Empty, vec![]),
        (
            Reason::NotRole,
            vec![
                "engineer",
                "technician",
                "hq-staff",
                "cs-manager",
                "vp",
                "quality",
                "warehouse",
            ],
        ),
        (Reason::LimitOutOfRange { max: 500 }, vec!["1", "500"]),
        (
            Reason::FileUnreadable {
                path: PathBuf::from("nameplate.jpg"),
                detail: "No such file or directory (os error 2)".into(),
            },
            vec!["nameplate.jpg", "No such file or directory (os error 2)"],
        ),
        (
            Reason::NotAFile {
                path: PathBuf::from("photos"),
            },
            vec!["photos"],
        ),
        (Reason::NotHashPrefix { min: 6 }, vec!["6"]),
        (
            Reason::NoPhotoStartsWith {
                prefix: "abc123".into(),
            },
            vec!["abc123"],
        ),
        (Reason::SeveralPhotosMatch, vec![]),
        (
            Reason::TokenFileUnreadable {
                path: PathBuf::from("/etc/fieldctl/token"),
                detail: "Permission denied (os error 13)".into(),
            },
            vec!["/etc/fieldctl/token", "Permission denied (os error 13)"],
        ),
        (Reason::NoToken, vec!["--token-file", "FIELDCTL_TOKEN"]),
        (Reason::EmptyToken(TokenSource::File), vec![]),
        (Reason::EmptyToken(TokenSource::Stdin), vec![]),
        (Reason::EmptyToken(TokenSource::Flag), vec!["--token"]),
        (
            Reason::NotCounted {
                got: "QJ-200,2".into(),
            },
            vec!["QJ-200,2", "model=", "qty="],
        ),
        (
            Reason::NotCheckNote {
                got: "H=odd smell".into(),
            },
            vec!["H=odd smell", "A", "G"],
        ),
        (
            Reason::PhotoWithoutNote { letter: 'G' },
            vec!["G", "--note"],
        ),
        (Reason::NoReturn, vec!["fieldctl rma request"]),
        (
            Reason::WhichReturn {
                choices: vec!["R2612-0001".into(), "R2612-0004".into()],
            },
            vec!["--request", "R2612-0001", "R2612-0004"],
        ),
        (Reason::NoReceipt, vec!["fieldctl rma receive"]),
        (
            Reason::WhichReceipt {
                choices: vec!["01a2-r1".into(), "01a2-r2".into()],
            },
            vec!["--receipt", "01a2-r1", "01a2-r2"],
        ),
        (
            Reason::NoReceiptStartsWith {
                prefix: "01a2ff".into(),
            },
            vec!["01a2ff"],
        ),
        (Reason::SeveralReceiptsMatch, vec![]),
        (
            Reason::NotOldPartTag {
                got: "T-0007".into(),
            },
            vec!["T-0007", "T-0007:B-6205:2611-0042"],
        ),
    ];
    for (sample, _) in &samples {
        match sample {
            Reason::NotDate { .. }
            | Reason::NotTime { .. }
            | Reason::NotAmount { .. }
            | Reason::Negative
            | Reason::TooManyDecimals { .. }
            | Reason::TooLarge { .. }
            | Reason::NotMeasurement { .. }
            | Reason::MeasurementNotNumber { .. }
            | Reason::Empty
            | Reason::NotRole
            | Reason::LimitOutOfRange { .. }
            | Reason::FileUnreadable { .. }
            | Reason::NotAFile { .. }
            | Reason::NotHashPrefix { .. }
            | Reason::NoPhotoStartsWith { .. }
            | Reason::SeveralPhotosMatch
            | Reason::TokenFileUnreadable { .. }
            | Reason::NoToken
            | Reason::EmptyToken(_)
            | Reason::NotCounted { .. }
            | Reason::NotCheckNote { .. }
            | Reason::PhotoWithoutNote { .. }
            | Reason::NoReturn
            | Reason::WhichReturn { .. }
            | Reason::NoReceipt
            | Reason::WhichReceipt { .. }
            | Reason::NoReceiptStartsWith { .. }
            | Reason::SeveralReceiptsMatch
            | Reason::NotOldPartTag { .. } => {}
        }
    }
    samples
}

fn error_samples() -> Vec<(CliError, Vec<&'static str>)> {
    let usage = clap::Error::raw(
        clap::error::ErrorKind::InvalidValue,
        "invalid value 'mars' for '--market <MARKET>'\n",
    );
    #[allow(unused_mut)]
    let mut samples = vec![
        (
            CliError::Core(fieldcore::Error::EntryNotFound("line-0042".into())),
            vec!["line-0042"],
        ),
        (CliError::invalid("charge", Reason::Negative), vec![]),
        (CliError::Usage(usage), vec!["'mars'", "--market"]),
        (
            CliError::NoDatabase(PathBuf::from("site.db")),
            vec!["site.db", "--db"],
        ),
        (
            CliError::Output(io::Error::other("disk quota exceeded")),
            vec!["disk quota exceeded"],
        ),
        (CliError::PhotoNotHere("9f2c41".into()), vec!["9f2c41"]),
        (
            CliError::WriteFile {
                path: PathBuf::from("out.jpg"),
                source: io::Error::other("read-only file system"),
            },
            vec!["out.jpg", "read-only file system"],
        ),
        (
            CliError::Io(io::Error::other("too many open files")),
            vec!["too many open files"],
        ),
    ];
    #[cfg(feature = "demo")]
    samples.extend([
        (
            CliError::DemoFolder {
                path: PathBuf::from("demo-run"),
                source: io::Error::other("permission denied"),
            },
            vec!["demo-run", "permission denied"],
        ),
        (
            CliError::DemoPhoto {
                what: fieldcore::PhotoKind::Nameplate,
                reason: "encoder refused".into(),
            },
            vec!["encoder refused"],
        ),
        (
            CliError::Demo(DemoFailure::Hq("address in use".into())),
            vec!["address in use"],
        ),
    ]);
    for (sample, _) in &samples {
        match sample {
            CliError::Core(_)
            | CliError::Invalid { .. }
            | CliError::Usage(_)
            | CliError::NoDatabase(_)
            | CliError::Output(_)
            | CliError::PhotoNotHere(_)
            | CliError::WriteFile { .. }
            | CliError::Io(_) => {}
            #[cfg(feature = "demo")]
            CliError::DemoFolder { .. } | CliError::DemoPhoto { .. } | CliError::Demo(_) => {}
        }
    }
    samples
}

#[test]
fn every_reason_reads_in_both_locales() {
    let samples = reason_samples();
    assert_eq!(
        samples.len(),
        31,
        "one sample per variant (three token sources)"
    );
    for (reason, args) in &samples {
        check(&format!("{reason:?}"), reason, args);
        // English is what fieldctl always printed.
        assert_eq!(reason.to_string(), reason.text(Locale::En));
    }
}

/// Every way the demo can fail, with its English text as the demo always printed it.
#[cfg(feature = "demo")]
fn demo_failure_samples() -> Vec<(DemoFailure, Vec<&'static str>)> {
    let samples = vec![
        (DemoFailure::LoopbackAddress, vec![]),
        (DemoFailure::HqStopped, vec![]),
        (DemoFailure::NoDefectConflict, vec![]),
        (DemoFailure::NotConverged, vec![]),
        (DemoFailure::NoRmaNumber, vec![]),
        (DemoFailure::ReturnNotDone, vec![]),
        (
            DemoFailure::Hq("address in use".into()),
            vec!["address in use"],
        ),
    ];
    for (sample, _) in &samples {
        match sample {
            DemoFailure::LoopbackAddress
            | DemoFailure::HqStopped
            | DemoFailure::NoDefectConflict
            | DemoFailure::NotConverged
            | DemoFailure::NoRmaNumber
            | DemoFailure::ReturnNotDone
            | DemoFailure::Hq(_) => {}
        }
    }
    samples
}

#[cfg(feature = "demo")]
#[test]
fn every_demo_failure_reads_in_both_locales() {
    let samples = demo_failure_samples();
    assert_eq!(samples.len(), 7, "one sample per variant");
    for (failure, args) in &samples {
        check(&format!("{failure:?}"), failure, args);
        assert_eq!(failure.to_string(), failure.text(Locale::En));
    }
    // The photo the demo could not make is named by its kind, in English as before.
    let photo = CliError::DemoPhoto {
        what: fieldcore::PhotoKind::Signature,
        reason: "encoder refused".into(),
    };
    assert_eq!(
        photo.text(Locale::En),
        "could not make the demo's signature photo: encoder refused"
    );
    assert!(photo.text(Locale::ZhCn).contains("客户签字照片"));
    assert_eq!(
        CliError::Demo(DemoFailure::NotConverged).text(Locale::En),
        "demo failed: the devices did not converge"
    );
}

#[test]
fn every_error_reads_in_both_locales() {
    let samples = error_samples();
    let variants = if cfg!(feature = "demo") { 11 } else { 8 };
    assert_eq!(samples.len(), variants, "one sample per variant");
    for (error, args) in &samples {
        check(error.kind(), error, args);
        assert_eq!(error.to_string(), error.text(Locale::En));
    }
}

#[test]
fn a_refusal_names_its_field_in_either_language_and_keeps_the_machine_name() {
    let e = CliError::invalid(
        "purchase_date",
        Reason::NotDate {
            got: "2025-02-30".into(),
        },
    );
    assert_eq!(
        e.text(Locale::En),
        "invalid purchase_date: expected a date as YYYY-MM-DD, got \"2025-02-30\""
    );
    assert_eq!(
        e.text(Locale::ZhCn),
        "购买日期：应为 YYYY-MM-DD 格式的日期，实际为“2025-02-30”"
    );
    assert_eq!(e.field().as_deref(), Some("purchase_date"));
}

/// Every field a fieldctl refusal names has a Chinese label, the CLI's own or the core's.
#[test]
fn every_field_fieldctl_names_has_a_chinese_label() {
    let fields = [
        "received_at",
        "agreed_date",
        "purchase_date",
        "manufacture_date",
        "received_date",
        "planned_for",
        "date",
        "updated_since",
        "charge",
        "measurement",
        "user",
        "role",
        "limit",
        "file",
        "hash",
        "counted",
        "notes",
        "request",
        "receipt",
    ];
    for field in fields {
        let zh = field_label(field, Locale::ZhCn);
        assert!(has_chinese(&zh), "{field} has no Chinese label");
        assert_eq!(field_label(field, Locale::En), field);
    }
    for (field, _) in CLI_FIELD_LABELS {
        assert!(
            fields.contains(field),
            "{field} is labelled but named nowhere"
        );
    }
}
