//! The quarterly write-off's reconciliation (核销) on generated quarters: a clean quarter
//! reconciles without a discrepancy, and every discrepancy planted in one (each kind, each
//! way it arises) is found, with nothing else flagged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use fieldcore::{
    CaseLine, CaseParts, Discrepancy, DiscrepancyKind, Error, Invalid, IssuedPart, LineStatus,
    Locale, Localized, MissingWhy, OldPart, Quarter, ReceivedOldPart, WriteoffInput, parse_yuan,
    reconcile_writeoff, yuan_text,
};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const PARTS: usize = 20;

fn part(i: usize) -> String {
    format!("P-{:03}", 100 + i)
}

fn q4() -> Quarter {
    "2026Q4".parse().unwrap()
}

/// A time inside `quarter`, in China's offset.
fn time_in(rng: &mut StdRng, quarter: Quarter) -> String {
    let days = (quarter.last_day() - quarter.first_day()).num_days();
    let day = quarter.first_day() + chrono::Days::new(rng.random_range(0..=days) as u64);
    format!(
        "{day}T{:02}:{:02}:00+08:00",
        rng.random_range(0..24),
        rng.random_range(0..60)
    )
}

/// Splits `total` units into 1 to 3 positive parts.
fn split(rng: &mut StdRng, total: i64) -> Vec<i64> {
    let pieces = rng.random_range(1..=total.min(3));
    let mut out = vec![1; pieces as usize];
    for _ in 0..total - pieces {
        let i = rng.random_range(0..out.len());
        out[i] += 1;
    }
    out
}

/// A quarter of `n` cases in which everything reconciles: each covered case's parts issued
/// in one to three movements (some booked as corrections of the quarter before), recorded in
/// one to three lines, every old part accounted for in one of the four ways; a few
/// non-covered cases without parts; unit costs; and shipment entries no line names.
fn clean_quarter(rng: &mut StdRng, n: usize) -> WriteoffInput {
    let quarter = q4();
    let mut input = WriteoffInput {
        holder: "center-north".into(),
        quarter,
        issues: Vec::new(),
        cases: Vec::new(),
        received: Vec::new(),
        unit_costs: (0..PARTS)
            .filter(|i| i % 7 != 6)
            .map(|i| (part(i), format!("{}.{:02}", 10 + i * 3, i * 5 % 100)))
            .collect(),
        time_zone: Default::default(),
    };
    let (mut movement, mut line_no) = (0, 0);
    for c in 0..n {
        let case_id = format!("c-{c:04}");
        let covered = c % 9 != 8;
        let mut case = CaseParts {
            case_id: case_id.clone(),
            number: (c % 5 != 4).then(|| format!("2610-{:04}", c + 1)),
            covered,
            lines: Vec::new(),
        };
        if covered {
            let mut parts: Vec<usize> = (0..PARTS).collect();
            for _ in 0..rng.random_range(1..=3) {
                let p = part(parts.swap_remove(rng.random_range(0..parts.len())));
                let total = rng.random_range(1..=5);
                for q in split(rng, total) {
                    movement += 1;
                    let correction = rng.random_bool(0.05);
                    let dated_in = if correction {
                        quarter.previous().unwrap()
                    } else {
                        quarter
                    };
                    input.issues.push(IssuedPart {
                        movement_id: format!("m-{movement:05}"),
                        case_id: case_id.clone(),
                        part_number: p.clone(),
                        quantity: q,
                        at: time_in(rng, dated_in),
                        correction_of: correction.then_some(dated_in),
                    });
                }
                for q in split(rng, total) {
                    line_no += 1;
                    let line_id = format!("l-{line_no:05}");
                    let old_part = match rng.random_range(0..4) {
                        0 => OldPart::Kept {
                            tag: format!("K-{line_no}"),
                        },
                        1 => {
                            let shipment_id = format!("s-{}", line_no % 7);
                            let tag = format!("T-{line_no}");
                            input.received.push(ReceivedOldPart {
                                shipment_id: shipment_id.clone(),
                                tag: tag.clone(),
                                part_number: p.clone(),
                                case_id: Some(case_id.clone()),
                                line_id: Some(line_id.clone()),
                                received: true,
                            });
                            OldPart::Shipped { shipment_id, tag }
                        }
                        2 => OldPart::Returned,
                        _ => OldPart::LostApproved {
                            reason: "fell into the pump pit".into(),
                        },
                    };
                    case.lines.push(CaseLine {
                        line_id,
                        part_number: p.clone(),
                        quantity: q,
                        old_part,
                    });
                }
            }
        }
        input.cases.push(case);
    }
    // Shipment entries that belong to no line of this quarter, present or missing: not the
    // write-off's concern.
    for i in 0..5 {
        input.received.push(ReceivedOldPart {
            shipment_id: "s-older".into(),
            tag: format!("X-{i}"),
            part_number: part(i),
            case_id: None,
            line_id: None,
            received: i % 2 == 0,
        });
    }
    input
}

/// The identity of a discrepancy: the ids it carries.
fn key(d: &Discrepancy) -> String {
    match d {
        Discrepancy::MissingOldPart { line_id, unit, .. } => format!("missing:{line_id}:{unit}"),
        Discrepancy::IssuedToNonCoveredCase { movement_id, .. } => {
            format!("non_covered:{movement_id}")
        }
        Discrepancy::CountMismatch {
            case_id,
            part_number,
            ..
        } => format!("count:{case_id}:{part_number}"),
    }
}

/// The ways a discrepancy is planted; each makes one kind arise one way.
#[derive(Debug, Clone, Copy)]
enum Plant {
    Unrecorded,
    LostPending,
    KeptWithoutTag,
    ShippedMissingAtHq,
    ShippedNotReceived,
    NotCovered,
    ExtraIssue,
    LineRemoved,
    LineQuantityRaised,
    IssueOfAnUnrecordedPart,
    IssueToAnUnknownCase,
}

const PLANTS: [Plant; 11] = [
    Plant::Unrecorded,
    Plant::LostPending,
    Plant::KeptWithoutTag,
    Plant::ShippedMissingAtHq,
    Plant::ShippedNotReceived,
    Plant::NotCovered,
    Plant::ExtraIssue,
    Plant::LineRemoved,
    Plant::LineQuantityRaised,
    Plant::IssueOfAnUnrecordedPart,
    Plant::IssueToAnUnknownCase,
];

/// Plants `plant` on the case at `case` (a covered case with parts, which no other plant
/// touches) and returns the keys of the discrepancies it must produce.
fn plant(input: &mut WriteoffInput, case: usize, plant: Plant, n: usize) -> Vec<String> {
    let case_id = input.cases[case].case_id.clone();
    let line = 0;
    let c = &mut input.cases[case];
    let missing = |c: &mut CaseParts, fate: OldPart| {
        c.lines[line].old_part = fate;
        (1..=c.lines[line].quantity)
            .map(|u| format!("missing:{}:{u}", c.lines[line].line_id))
            .collect::<Vec<_>>()
    };
    match plant {
        Plant::Unrecorded => missing(c, OldPart::Unrecorded),
        Plant::LostPending => missing(
            c,
            OldPart::LostPending {
                reason: "not found at the site".into(),
            },
        ),
        Plant::KeptWithoutTag => missing(c, OldPart::Kept { tag: " ".into() }),
        Plant::ShippedMissingAtHq => {
            let (shipment_id, tag) = (format!("s-plant-{n}"), format!("T-plant-{n}"));
            let p = c.lines[line].part_number.clone();
            let keys = missing(
                c,
                OldPart::Shipped {
                    shipment_id: shipment_id.clone(),
                    tag: tag.clone(),
                },
            );
            input.received.push(ReceivedOldPart {
                shipment_id,
                tag,
                part_number: p,
                case_id: Some(case_id),
                line_id: None,
                received: false,
            });
            keys
        }
        Plant::ShippedNotReceived => missing(
            c,
            OldPart::Shipped {
                shipment_id: format!("s-transit-{n}"),
                tag: format!("T-transit-{n}"),
            },
        ),
        Plant::NotCovered => {
            c.covered = false;
            input
                .issues
                .iter()
                .filter(|i| i.case_id == case_id)
                .map(|i| format!("non_covered:{}", i.movement_id))
                .collect()
        }
        Plant::ExtraIssue | Plant::IssueOfAnUnrecordedPart | Plant::IssueToAnUnknownCase => {
            let (target, p) = match plant {
                Plant::ExtraIssue => (case_id.clone(), c.lines[line].part_number.clone()),
                Plant::IssueOfAnUnrecordedPart => (case_id.clone(), format!("P-NEW-{n}")),
                _ => (format!("c-unknown-{n}"), part(0)),
            };
            let movement_id = format!("m-plant-{n}");
            input.issues.push(IssuedPart {
                movement_id: movement_id.clone(),
                case_id: target.clone(),
                part_number: p.clone(),
                quantity: 1,
                at: "2026-11-15T10:00:00+08:00".into(),
                correction_of: None,
            });
            let mut keys = vec![format!("count:{target}:{p}")];
            if matches!(plant, Plant::IssueToAnUnknownCase) {
                keys.push(format!("non_covered:{movement_id}"));
            }
            keys
        }
        Plant::LineRemoved => {
            let removed = c.lines.remove(line);
            vec![format!("count:{case_id}:{}", removed.part_number)]
        }
        Plant::LineQuantityRaised => {
            c.lines[line].quantity += 1;
            vec![format!("count:{case_id}:{}", c.lines[line].part_number)]
        }
    }
}

/// Plants each of `plants` on its own covered case; returns the keys expected.
fn plant_all(input: &mut WriteoffInput, rng: &mut StdRng, plants: &[Plant]) -> BTreeSet<String> {
    let mut covered: Vec<usize> = (0..input.cases.len())
        .filter(|&c| input.cases[c].covered && !input.cases[c].lines.is_empty())
        .collect();
    let mut expected = BTreeSet::new();
    for (n, p) in plants.iter().enumerate() {
        let case = covered.swap_remove(rng.random_range(0..covered.len()));
        expected.extend(plant(input, case, *p, n));
    }
    expected
}

fn found(input: &WriteoffInput) -> BTreeSet<String> {
    let r = reconcile_writeoff(input).unwrap();
    let keys: BTreeSet<String> = r.discrepancies.iter().map(key).collect();
    assert_eq!(
        keys.len(),
        r.discrepancies.len(),
        "a discrepancy listed twice"
    );
    keys
}

#[test]
fn a_generated_quarter_with_planted_discrepancies_finds_them_all_and_nothing_else() {
    let mut rng = StdRng::seed_from_u64(20_261_201);
    let mut input = clean_quarter(&mut rng, 240);
    assert!(
        input.issues.len() >= 500,
        "{} movements",
        input.issues.len()
    );
    assert!(input.issues.iter().any(|i| i.correction_of.is_some()));
    let clean = reconcile_writeoff(&input).unwrap();
    assert!(clean.discrepancies.is_empty(), "{:?}", clean.discrepancies);
    assert!(
        clean
            .lines
            .iter()
            .all(|l| l.status == LineStatus::Reconciled)
    );
    assert_eq!(clean.totals.issued, clean.totals.accounted);

    // Every way, several times over.
    let plants: Vec<Plant> = PLANTS.iter().flat_map(|p| [*p; 3]).collect();
    let expected = plant_all(&mut input, &mut rng, &plants);
    let r = reconcile_writeoff(&input).unwrap();
    let keys: BTreeSet<String> = r.discrepancies.iter().map(key).collect();
    assert_eq!(keys, expected);
    for kind in DiscrepancyKind::ALL {
        assert!(r.of_kind(kind).count() >= 3, "{kind:?}");
    }
    let t = &r.totals;
    assert_eq!(
        t.missing_old_parts + t.issued_to_non_covered + t.count_mismatches,
        r.discrepancies.len() as i64
    );
    assert_eq!(t.missing, t.missing_old_parts);
    assert_eq!(
        r.lines
            .iter()
            .filter(|l| l.status == LineStatus::Discrepant)
            .count(),
        r.lines
            .iter()
            .filter(|l| {
                r.discrepancies
                    .iter()
                    .any(|d| d.case_id() == l.case_id && d.part_number() == l.part_number)
            })
            .count(),
        "a line is discrepant exactly when a discrepancy names it"
    );
    // Each explains itself with its ids, in both languages.
    for d in &r.discrepancies {
        let (zh, en) = (d.text(Locale::ZhCn), d.text(Locale::En));
        for text in [&zh, &en] {
            assert!(text.contains(d.case_label()), "{text}");
            assert!(text.contains(d.part_number()), "{text}");
        }
        assert!(zh.contains("案件") && !en.contains("案件"), "{zh} / {en}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_random_clean_quarter_has_no_discrepancy(seed in any::<u64>(), n in 1usize..60) {
        let mut rng = StdRng::seed_from_u64(seed);
        let input = clean_quarter(&mut rng, n);
        let r = reconcile_writeoff(&input).unwrap();
        prop_assert!(r.discrepancies.is_empty(), "{:?}", r.discrepancies);
        prop_assert_eq!(r.totals.issued, r.totals.recorded);
        prop_assert_eq!(r.totals.issued, r.totals.accounted);
        prop_assert_eq!(r.totals.issued, input.issues.iter().map(|i| i.quantity).sum::<i64>());
    }

    #[test]
    fn exactly_the_planted_discrepancies_are_found(
        seed in any::<u64>(),
        n in 20usize..60,
        plants in proptest::collection::vec(0..PLANTS.len(), 0..10),
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut input = clean_quarter(&mut rng, n);
        let plants: Vec<Plant> = plants.into_iter().map(|i| PLANTS[i]).collect();
        let expected = plant_all(&mut input, &mut rng, &plants);
        prop_assert!(plants.is_empty() || !expected.is_empty());
        prop_assert_eq!(found(&input), expected);
    }
}

/// A small quarter written out: two covered cases, one paid one.
fn small() -> WriteoffInput {
    let issue = |id: &str, case: &str, part: &str, q: i64| IssuedPart {
        movement_id: id.into(),
        case_id: case.into(),
        part_number: part.into(),
        quantity: q,
        at: "2026-10-08T09:30:00+08:00".into(),
        correction_of: None,
    };
    let line = |id: &str, part: &str, q: i64, old_part: OldPart| CaseLine {
        line_id: id.into(),
        part_number: part.into(),
        quantity: q,
        old_part,
    };
    WriteoffInput {
        holder: "center-north".into(),
        quarter: q4(),
        issues: vec![
            issue("m-1", "c-1", "BRG-6205", 2),
            issue("m-2", "c-2", "SEAL-35", 1),
            issue("m-3", "c-3", "BRG-6205", 1),
        ],
        cases: vec![
            CaseParts {
                case_id: "c-1".into(),
                number: Some("2610-0001".into()),
                covered: true,
                lines: vec![
                    line("l-1", "BRG-6205", 1, OldPart::Kept { tag: "K1".into() }),
                    line(
                        "l-2",
                        "BRG-6205",
                        1,
                        OldPart::Shipped {
                            shipment_id: "s-9".into(),
                            tag: "T7".into(),
                        },
                    ),
                ],
            },
            CaseParts {
                case_id: "c-2".into(),
                number: Some("2610-0002".into()),
                covered: true,
                lines: vec![line("l-3", "SEAL-35", 1, OldPart::Unrecorded)],
            },
            CaseParts {
                case_id: "c-3".into(),
                number: None,
                covered: false,
                lines: vec![line("l-4", "BRG-6205", 1, OldPart::Unrecorded)],
            },
        ],
        received: vec![ReceivedOldPart {
            shipment_id: "s-9".into(),
            tag: "T7".into(),
            part_number: "BRG-6205".into(),
            case_id: Some("c-1".into()),
            line_id: Some("l-2".into()),
            received: false,
        }],
        unit_costs: BTreeMap::from([
            ("BRG-6205".into(), "38.5".into()),
            ("SEAL-35".into(), "4.20".into()),
        ]),
        time_zone: Default::default(),
    }
}

#[test]
fn a_small_quarter_reconciles_line_by_line_with_its_amounts_in_fen() {
    let r = reconcile_writeoff(&small()).unwrap();
    let kinds: Vec<DiscrepancyKind> = r.discrepancies.iter().map(Discrepancy::kind).collect();
    assert_eq!(
        kinds,
        [
            DiscrepancyKind::MissingOldPart,
            DiscrepancyKind::MissingOldPart,
            DiscrepancyKind::IssuedToNonCoveredCase,
        ]
    );
    assert!(matches!(
        &r.discrepancies[0],
        Discrepancy::MissingOldPart { line_id, why: MissingWhy::MissingAtHq { shipment_id, tag }, .. }
            if line_id == "l-2" && shipment_id == "s-9" && tag == "T7"
    ));
    assert_eq!(r.lines.len(), 3);
    let c1 = &r.lines[0];
    assert_eq!(
        (
            c1.number.as_deref(),
            c1.issued,
            c1.recorded,
            c1.accounted,
            c1.missing
        ),
        (Some("2610-0001"), 2, 2, 1, 1)
    );
    assert_eq!((c1.unit_cost_fen, c1.value_fen), (Some(3850), Some(7700)));
    let t = &r.totals;
    assert_eq!((t.cases, t.lines, t.issued, t.issued_covered), (3, 3, 4, 3));
    assert_eq!(t.issued_fen, 2 * 3850 + 420 + 3850);
    assert_eq!(t.written_off_fen, 2 * 3850 + 420);
    assert_eq!(t.not_covered_fen, 3850);
    assert_eq!(t.missing_fen, 3850 + 420);
    assert!(t.unpriced.is_empty());

    let text = r.discrepancies[0].text(Locale::ZhCn);
    assert_eq!(
        text,
        "案件 2610-0001 配件记录 l-2（BRG-6205）第 1/1 件缺少旧件：列在返件单 s-9 上（标签 T7），总部验收时缺失"
    );
    let text = r.discrepancies[2].text(Locale::En);
    assert_eq!(
        text,
        "movement m-3 issued 1 × BRG-6205 to case c-3, which is not covered by the warranty (三包)"
    );
    // The reconciliation is plain data: it round-trips through JSON as HQ archives it.
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(
        serde_json::from_str::<fieldcore::Reconciliation>(&json).unwrap(),
        r
    );
}

fn refusal(input: &WriteoffInput) -> (&'static str, Invalid) {
    match reconcile_writeoff(input).unwrap_err() {
        Error::Validation { field, reason } => (field, reason),
        other => panic!("{other}"),
    }
}

#[test]
fn an_input_that_is_no_quarter_of_a_holder_is_refused_with_the_field() {
    let mut bad = small();
    bad.issues[1].movement_id = "m-1".into();
    assert_eq!(
        refusal(&bad),
        ("movement_id", Invalid::DuplicateId { id: "m-1".into() })
    );
    let mut bad = small();
    bad.issues[0].quantity = 0;
    assert_eq!(refusal(&bad), ("quantity", Invalid::AtLeastOne));
    let mut bad = small();
    bad.cases[0].lines[1].line_id = "l-1".into();
    assert_eq!(
        refusal(&bad),
        ("line_id", Invalid::DuplicateId { id: "l-1".into() })
    );
    // 2026-09-30 23:30 in Shanghai is the third quarter, though UTC says so too; 2026-10-01
    // 00:30 in Shanghai is the fourth quarter, though it is 30 September in UTC.
    let mut bad = small();
    bad.issues[0].at = "2026-09-30T23:30:00+08:00".into();
    assert_eq!(
        refusal(&bad),
        (
            "timestamp",
            Invalid::OutsideQuarter {
                at: "2026-09-30T23:30:00+08:00".into(),
                quarter: "2026Q4".into()
            }
        )
    );
    let mut fine = small();
    fine.issues[0].at = "2026-09-30T16:30:00Z".into();
    assert!(reconcile_writeoff(&fine).is_ok());
    // A correction is dated in the earlier quarter it corrects.
    let mut correction = small();
    correction.issues[0].correction_of = Some("2026Q3".parse().unwrap());
    assert_eq!(refusal(&correction).0, "timestamp");
    correction.issues[0].at = "2026-09-30T23:30:00+08:00".into();
    let r = reconcile_writeoff(&correction).unwrap();
    assert_eq!(r.lines[0].corrections_of, vec!["2026Q3".parse().unwrap()]);
    assert_eq!(r.totals.corrections, 1);
    let mut later = small();
    later.issues[0].correction_of = Some("2027Q1".parse().unwrap());
    later.issues[0].at = "2027-01-05T10:00:00+08:00".into();
    assert_eq!(refusal(&later).0, "timestamp");

    let mut bad = small();
    bad.issues[0].at = "yesterday".into();
    assert_eq!(refusal(&bad), ("timestamp", Invalid::NotTimestamp));
    let mut bad = small();
    bad.unit_costs.insert("X".into(), "12.505".into());
    assert_eq!(refusal(&bad), ("unit_cost", Invalid::NotAmount));
    let mut bad = small();
    bad.holder = " ".into();
    assert_eq!(refusal(&bad), ("holder", Invalid::Required));
    let mut bad = small();
    bad.received.push(bad.received[0].clone());
    assert_eq!(
        refusal(&bad),
        (
            "tag",
            Invalid::DuplicateId {
                id: "s-9/T7".into()
            }
        )
    );
}

#[test]
fn amounts_are_decimal_yuan_held_in_fen() {
    for (text, fen) in [
        ("0", 0),
        ("3", 300),
        ("12.5", 1250),
        ("12.50", 1250),
        ("0.07", 7),
    ] {
        assert_eq!(parse_yuan(text).unwrap(), fen, "{text}");
    }
    for bad in ["", "-1", "1.", ".5", "1.234", "1,000", "1e3", "¥5", "1 000"] {
        assert!(parse_yuan(bad).is_err(), "{bad}");
    }
    assert_eq!(yuan_text(1250), "12.50");
    assert_eq!(yuan_text(7), "0.07");
    assert_eq!(yuan_text(-305), "-3.05");
}
