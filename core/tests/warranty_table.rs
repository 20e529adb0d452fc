//! The 三包 decision checked against a table of dated cases, one per line, so that the boundary
//! policy (last day covered, month-end clamping) is written down where reviewers can read it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use fieldcore::Error;
use fieldcore::{Cause, ProofOfPurchase};
use fieldcore::{
    WarrantyInput, WarrantyPolicy, WarrantyRule, decide_warranty as decide,
    warranty_period_end as period_end,
};

/// Columns: category | model | purchase | proof | received | cause | covered | period end | rule.
/// Categories and models in double quotes keep their whitespace. `-` is "none". Causes: dm =
/// design/manufacturing, st = storage/transport, cm = customer misuse. A rule of `error` means
/// the input is rejected as invalid (received before purchase).
///
/// The table's policy is the default (motor 12, generator 12, pump 6) plus model overrides
/// YE3-160M 24, QJ-200 12 and XK-7 9 (XK-7's category "fan" is not in the table).
const TABLE: &str = "
# leap days
motor     | M1       | 2024-02-29 | invoice | 2025-02-28 | dm | yes | 2025-02-28 | covered_quality_fault
motor     | M1       | 2024-02-29 | invoice | 2025-03-01 | dm | no  | 2025-02-28 | out_of_period
generator | G1       | 2024-02-29 | voucher | 2025-02-28 | st | yes | 2025-02-28 | covered_quality_fault
generator | G1       | 2024-02-29 | voucher | 2025-03-01 | st | no  | 2025-02-28 | out_of_period
pump      | P1       | 2024-02-29 | invoice | 2024-08-29 | dm | yes | 2024-08-29 | covered_quality_fault
pump      | P1       | 2024-02-29 | invoice | 2024-08-30 | dm | no  | 2024-08-29 | out_of_period
pump      | P1       | 2023-08-29 | invoice | 2024-02-29 | dm | yes | 2024-02-29 | covered_quality_fault
pump      | P1       | 2023-08-29 | invoice | 2024-03-01 | dm | no  | 2024-02-29 | out_of_period
pump      | P1       | 2023-08-30 | invoice | 2024-02-29 | st | yes | 2024-02-29 | covered_quality_fault
pump      | P1       | 2023-08-30 | invoice | 2024-03-01 | st | no  | 2024-02-29 | out_of_period
pump      | P1       | 2023-08-31 | voucher | 2024-02-29 | dm | yes | 2024-02-29 | covered_quality_fault
pump      | P1       | 2023-08-31 | voucher | 2024-03-01 | dm | no  | 2024-02-29 | out_of_period
pump      | P1       | 2025-08-29 | invoice | 2026-02-28 | dm | yes | 2026-02-28 | covered_quality_fault
pump      | P1       | 2025-08-31 | invoice | 2026-02-28 | dm | yes | 2026-02-28 | covered_quality_fault
pump      | P1       | 2025-08-31 | invoice | 2026-03-01 | dm | no  | 2026-02-28 | out_of_period
motor     | M1       | 2023-02-28 | invoice | 2024-02-28 | dm | yes | 2024-02-28 | covered_quality_fault
motor     | M1       | 2023-02-28 | invoice | 2024-02-29 | dm | no  | 2024-02-28 | out_of_period
motor     | M1       | 2028-02-29 | invoice | 2029-02-28 | st | yes | 2029-02-28 | covered_quality_fault
motor     | M1       | 2027-02-28 | invoice | 2028-02-28 | st | yes | 2028-02-28 | covered_quality_fault
# month ends, pump (6 months)
pump      | P1       | 2025-01-31 | invoice | 2025-07-31 | dm | yes | 2025-07-31 | covered_quality_fault
pump      | P1       | 2025-03-31 | invoice | 2025-09-30 | dm | yes | 2025-09-30 | covered_quality_fault
pump      | P1       | 2025-03-31 | invoice | 2025-10-01 | dm | no  | 2025-09-30 | out_of_period
pump      | P1       | 2025-04-30 | invoice | 2025-10-30 | dm | yes | 2025-10-30 | covered_quality_fault
pump      | P1       | 2025-04-30 | invoice | 2025-10-31 | dm | no  | 2025-10-30 | out_of_period
pump      | P1       | 2025-05-31 | invoice | 2025-11-30 | dm | yes | 2025-11-30 | covered_quality_fault
pump      | P1       | 2025-06-30 | invoice | 2025-12-30 | dm | yes | 2025-12-30 | covered_quality_fault
pump      | P1       | 2025-07-31 | invoice | 2026-01-31 | dm | yes | 2026-01-31 | covered_quality_fault
pump      | P1       | 2025-10-31 | invoice | 2026-04-30 | dm | yes | 2026-04-30 | covered_quality_fault
pump      | P1       | 2025-12-31 | invoice | 2026-06-30 | dm | yes | 2026-06-30 | covered_quality_fault
pump      | P1       | 2025-12-31 | invoice | 2026-07-01 | dm | no  | 2026-06-30 | out_of_period
# month ends, motor (12 months)
motor     | M1       | 2025-01-31 | invoice | 2026-01-31 | dm | yes | 2026-01-31 | covered_quality_fault
motor     | M1       | 2025-01-31 | invoice | 2026-02-01 | dm | no  | 2026-01-31 | out_of_period
motor     | M1       | 2025-12-31 | invoice | 2026-12-31 | dm | yes | 2026-12-31 | covered_quality_fault
motor     | M1       | 2025-12-31 | invoice | 2027-01-01 | dm | no  | 2026-12-31 | out_of_period
# an ordinary mid-month date: the boundary day and the day after, per category
motor     | M1       | 2025-06-15 | invoice | 2026-06-15 | dm | yes | 2026-06-15 | covered_quality_fault
motor     | M1       | 2025-06-15 | invoice | 2026-06-16 | dm | no  | 2026-06-15 | out_of_period
generator | G1       | 2025-06-15 | invoice | 2026-06-15 | st | yes | 2026-06-15 | covered_quality_fault
generator | G1       | 2025-06-15 | invoice | 2026-06-16 | st | no  | 2026-06-15 | out_of_period
pump      | P1       | 2025-06-15 | voucher | 2025-12-15 | dm | yes | 2025-12-15 | covered_quality_fault
pump      | P1       | 2025-06-15 | voucher | 2025-12-16 | dm | no  | 2025-12-15 | out_of_period
# received on the purchase day
motor     | M1       | 2025-06-15 | invoice | 2025-06-15 | dm | yes | 2026-06-15 | covered_quality_fault
# each cause, inside the period
motor     | M1       | 2025-06-15 | invoice | 2025-09-01 | st | yes | 2026-06-15 | covered_quality_fault
motor     | M1       | 2025-06-15 | invoice | 2025-09-01 | cm | no  | 2026-06-15 | non_quality_fault
generator | G1       | 2025-06-15 | invoice | 2025-09-01 | dm | yes | 2026-06-15 | covered_quality_fault
generator | G1       | 2025-06-15 | invoice | 2025-09-01 | cm | no  | 2026-06-15 | non_quality_fault
pump      | P1       | 2025-06-15 | invoice | 2025-09-01 | st | yes | 2025-12-15 | covered_quality_fault
pump      | P1       | 2025-06-15 | invoice | 2025-09-01 | cm | no  | 2025-12-15 | non_quality_fault
pump      | P1       | 2025-06-15 | invoice | 2025-12-15 | cm | no  | 2025-12-15 | non_quality_fault
motor     | M1       | 2025-06-15 | invoice | 2025-06-15 | cm | no  | 2026-06-15 | non_quality_fault
# out of period wins over the cause
pump      | P1       | 2025-06-15 | invoice | 2025-12-16 | cm | no  | 2025-12-15 | out_of_period
generator | G1       | 2023-01-10 | voucher | 2025-01-10 | cm | no  | 2024-01-10 | out_of_period
# no proof of purchase: none, or a proof without a date
motor     | M1       | 2025-06-15 | none    | 2025-07-01 | dm | no  | -          | no_proof_of_purchase
generator | G1       | 2025-06-15 | none    | 2025-07-01 | st | no  | -          | no_proof_of_purchase
pump      | P1       | 2025-06-15 | none    | 2025-07-01 | cm | no  | -          | no_proof_of_purchase
motor     | M1       | -          | invoice | 2025-07-01 | dm | no  | -          | no_proof_of_purchase
pump      | P1       | -          | voucher | 2025-07-01 | st | no  | -          | no_proof_of_purchase
pump      | P1       | -          | none    | 2025-07-01 | dm | no  | -          | no_proof_of_purchase
# a complaint before the purchase is wrong input, even without proof
motor     | M1       | 2025-06-15 | none    | 2025-06-01 | dm | no  | -          | error
# outside the 三包 scope
compressor| C1       | 2025-01-01 | invoice | 2025-02-01 | dm | no  | -          | not_in_scope
\"\"      | \"\"     | 2025-01-01 | invoice | 2025-02-01 | dm | no  | -          | not_in_scope
motors    | M1       | 2025-01-01 | invoice | 2025-02-01 | dm | no  | -          | not_in_scope
fan       | XK-8     | 2025-01-01 | invoice | 2025-02-01 | st | no  | -          | not_in_scope
compressor| C1       | 2025-01-01 | none    | 2025-02-01 | dm | no  | -          | no_proof_of_purchase
compressor| C1       | 2025-03-01 | invoice | 2025-02-01 | dm | no  | -          | error
# case and whitespace variants of the category
MOTOR     | M1       | 2025-06-15 | invoice | 2026-06-15 | dm | yes | 2026-06-15 | covered_quality_fault
\"  Motor \"| M1     | 2025-06-15 | invoice | 2026-06-16 | dm | no  | 2026-06-15 | out_of_period
PuMp      | P1       | 2025-06-15 | invoice | 2025-12-15 | st | yes | 2025-12-15 | covered_quality_fault
\"\\tGenerator\\n\"| G1| 2025-06-15 | invoice | 2025-09-01 | cm | no  | 2026-06-15 | non_quality_fault
# model overrides win over the category, and apply to categories outside the table
motor     | YE3-160M | 2024-02-29 | invoice | 2026-02-28 | dm | yes | 2026-02-28 | covered_quality_fault
motor     | YE3-160M | 2024-02-29 | invoice | 2026-03-01 | dm | no  | 2026-02-28 | out_of_period
MOTOR     | \" ye3-160m \" | 2024-02-29 | invoice | 2025-12-01 | dm | yes | 2026-02-28 | covered_quality_fault
pump      | QJ-200   | 2025-08-31 | invoice | 2026-08-31 | dm | yes | 2026-08-31 | covered_quality_fault
pump      | QJ-200   | 2025-08-31 | invoice | 2026-09-01 | dm | no  | 2026-08-31 | out_of_period
pump      | QJ-200   | 2025-08-31 | invoice | 2026-05-01 | cm | no  | 2026-08-31 | non_quality_fault
fan       | XK-7     | 2025-05-31 | invoice | 2026-02-28 | st | yes | 2026-02-28 | covered_quality_fault
fan       | XK-7     | 2025-05-31 | invoice | 2026-03-01 | st | no  | 2026-02-28 | out_of_period
fan       | XK-7     | 2025-05-31 | none    | 2025-06-01 | dm | no  | -          | no_proof_of_purchase
# received before purchase is invalid input
motor     | M1       | 2025-06-15 | invoice | 2025-06-14 | dm | no  | -          | error
pump      | QJ-200   | 2025-01-01 | voucher | 2024-12-31 | cm | no  | -          | error
generator | G1       | 2024-02-29 | invoice | 2023-02-28 | st | no  | -          | error
";

fn date(s: &str) -> Option<NaiveDate> {
    (s != "-").then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

/// Trims the padding of a column; a quoted column keeps its inner text, with `\t` and `\n`
/// spelled out in the table.
fn text(col: &str) -> String {
    let col = col.trim();
    match col.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
        Some(inner) => inner.to_owned(),
        None => col.to_owned(),
    }
}

fn cause(code: &str) -> Cause {
    match code {
        "dm" => Cause::DesignManufacturing,
        "st" => Cause::StorageTransport,
        "cm" => Cause::CustomerMisuse,
        other => panic!("unknown cause code {other}"),
    }
}

fn proof(kind: &str, row: usize) -> ProofOfPurchase {
    match kind {
        "invoice" => ProofOfPurchase::Invoice(format!("INV-{row}")),
        "voucher" => ProofOfPurchase::Voucher(format!("V-{row}")),
        "none" => ProofOfPurchase::None,
        other => panic!("unknown proof {other}"),
    }
}

fn table_policy() -> WarrantyPolicy {
    WarrantyPolicy::default()
        .with_model("YE3-160M", 24)
        .with_model("QJ-200", 12)
        .with_model("XK-7", 9)
}

#[test]
fn table_of_dated_cases() {
    let policy = table_policy();
    let mut rows = 0;
    for (line_no, line) in TABLE.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        // The table spells tabs and newlines as escapes inside quotes.
        let line = line.replace("\\t", "\t").replace("\\n", "\n");
        let cols: Vec<&str> = line.split('|').collect();
        assert_eq!(cols.len(), 9, "line {line_no}: {line}");
        let category = text(cols[0]);
        let model = text(cols[1]);
        let purchase = date(cols[2].trim());
        let proof = proof(cols[3].trim(), line_no);
        let received = date(cols[4].trim()).unwrap();
        let cause = cause(cols[5].trim());
        let covered = match cols[6].trim() {
            "yes" => true,
            "no" => false,
            other => panic!("line {line_no}: covered must be yes/no, not {other}"),
        };
        let end = date(cols[7].trim());
        let rule = cols[8].trim();
        rows += 1;

        let input = WarrantyInput {
            category: &category,
            model: &model,
            purchase_date: purchase,
            proof: &proof,
            received_date: received,
            cause,
        };
        let result = decide(&policy, &input);
        if rule == "error" {
            match result {
                Err(Error::Validation { field, .. }) => assert_eq!(field, "received_date"),
                other => panic!("line {line_no}: expected a validation error, got {other:?}"),
            }
            continue;
        }
        let dec = result.unwrap_or_else(|e| panic!("line {line_no}: {e}"));
        let ctx = format!("line {line_no}: {line}\n  -> {dec:?}");
        assert_eq!(dec.rule.as_str(), rule, "{ctx}");
        assert_eq!(dec.covered, covered, "{ctx}");
        assert_eq!(dec.period_end, end, "{ctx}");
        assert_eq!(dec.purchase_date, purchase, "{ctx}");
        assert_eq!(dec.received_date, received, "{ctx}");
        assert_eq!(dec.cause, cause, "{ctx}");
        assert_eq!(dec.months.is_some(), end.is_some(), "{ctx}");

        // The explanation names the dates it rests on and, for paid service, says so.
        let text = &dec.explanation;
        assert!(text.contains(&received.to_string()), "{ctx}");
        if let Some(end) = end {
            assert!(text.contains(&end.to_string()), "{ctx}");
            assert!(text.contains(&purchase.unwrap().to_string()), "{ctx}");
            assert!(
                text.contains(&format!("{}-month", dec.months.unwrap())),
                "{ctx}"
            );
        }
        let paid = matches!(
            dec.rule,
            WarrantyRule::OutOfPeriod | WarrantyRule::NonQualityFault
        );
        assert_eq!(
            text.contains("paid service at production cost"),
            paid,
            "{ctx}"
        );
        if !dec.covered && !paid {
            assert!(
                text.contains("no proof of purchase, or outside the 三包 scope"),
                "{ctx}"
            );
        }
    }
    assert!(rows >= 60, "only {rows} rows");
}

/// 31 January plus every month count from 1 to 12, through one category per count.
#[test]
fn january_31_plus_each_month_count() {
    let mut policy = WarrantyPolicy {
        category_months: Default::default(),
        model_months: Default::default(),
    };
    for m in 1..=12 {
        policy = policy.with_category(&format!("m{m}"), m);
    }
    let expected = [
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
        "2024-05-31",
        "2024-06-30",
        "2024-07-31",
        "2024-08-31",
        "2024-09-30",
        "2024-10-31",
        "2024-11-30",
        "2024-12-31",
        "2025-01-31",
    ];
    let purchase = date("2024-01-31").unwrap();
    let proof = ProofOfPurchase::Invoice("I".into());
    for (m, want) in (1..=12u32).zip(expected) {
        let want = date(want).unwrap();
        assert_eq!(period_end(purchase, m), Some(want), "+{m}");
        let category = format!("M{m}");
        for (received, covered) in [(want, true), (want.succ_opt().unwrap(), false)] {
            let dec = decide(
                &policy,
                &WarrantyInput {
                    category: &category,
                    model: "",
                    purchase_date: Some(purchase),
                    proof: &proof,
                    received_date: received,
                    cause: Cause::DesignManufacturing,
                },
            )
            .unwrap();
            assert_eq!(dec.covered, covered, "+{m} received {received}");
            assert_eq!(dec.period_end, Some(want));
        }
    }
}

/// A deployment's own table, loaded from configuration: compressors get 18 months and the
/// default categories are gone.
#[test]
fn custom_policy_from_configuration() {
    let policy: WarrantyPolicy = serde_json::from_str(
        r#"{"category_months": {"compressor": 18}, "model_months": {"ye3-160m": 36}}"#,
    )
    .unwrap();
    let proof = ProofOfPurchase::Voucher("V-1".into());
    let run = |category: &str, model: &str, purchase: &str, received: &str, cause| {
        decide(
            &policy,
            &WarrantyInput {
                category,
                model,
                purchase_date: date(purchase),
                proof: &proof,
                received_date: date(received).unwrap(),
                cause,
            },
        )
        .unwrap()
    };

    let dec = run(
        "Compressor",
        "",
        "2024-08-31",
        "2026-02-28",
        Cause::DesignManufacturing,
    );
    assert!(dec.covered);
    assert_eq!(dec.months, Some(18));
    assert_eq!(dec.period_end, date("2026-02-28"));
    assert!(dec.explanation.contains("18-month period"));

    let dec = run(
        "compressor",
        "",
        "2024-08-31",
        "2026-03-01",
        Cause::DesignManufacturing,
    );
    assert_eq!(dec.rule, WarrantyRule::OutOfPeriod);

    let dec = run(
        "compressor",
        "",
        "2024-08-31",
        "2025-01-01",
        Cause::CustomerMisuse,
    );
    assert_eq!(dec.rule, WarrantyRule::NonQualityFault);

    // Motors are not in this deployment's table, except for the overridden model.
    let dec = run(
        "motor",
        "",
        "2025-01-01",
        "2025-02-01",
        Cause::DesignManufacturing,
    );
    assert_eq!(dec.rule, WarrantyRule::NotInScope);
    let dec = run(
        "motor",
        "YE3-160M",
        "2025-01-01",
        "2027-12-31",
        Cause::StorageTransport,
    );
    assert!(dec.covered);
    assert_eq!(dec.period_end, date("2028-01-01"));
}
