//! Properties of the pure rules (warranty, deadlines, lifecycle) over generated inputs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate};
use fieldcore::{Action, allowed_actions, next_status};
use fieldcore::{Cause, Market, ProofOfPurchase, Status, Timestamp};
use fieldcore::{
    CloseRule, DeadlineInputs, DeadlinePolicy, Milestone, WorkingCalendar,
    deadline_due_at as due_at, is_overdue, next_deadline as next_due, pending_deadlines as pending,
};
use fieldcore::{Error, Result};
use fieldcore::{
    WarrantyInput, WarrantyPolicy, WarrantyRule, decide_warranty as decide,
    warranty_period_end as period_end,
};
use proptest::prelude::*;
use proptest::sample::select;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()
}

/// Dates from 2000 to about 2055.
fn arb_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..20_000).prop_map(|n| epoch() + Days::new(n))
}

fn arb_cause() -> impl Strategy<Value = Cause> {
    select(vec![
        Cause::DesignManufacturing,
        Cause::StorageTransport,
        Cause::CustomerMisuse,
    ])
}

fn arb_proof() -> impl Strategy<Value = ProofOfPurchase> {
    prop_oneof![
        "[A-Z0-9-]{0,8}".prop_map(ProofOfPurchase::Invoice),
        "[A-Z0-9-]{0,8}".prop_map(ProofOfPurchase::Voucher),
        Just(ProofOfPurchase::None),
    ]
}

fn arb_timestamp() -> impl Strategy<Value = Timestamp> {
    // 2000-01-01 .. about 2060, offsets from -12:00 to +14:00 in quarter hours.
    (946_684_800i64..2_840_000_000, -48i32..=56).prop_map(|(secs, quarters)| {
        let offset = FixedOffset::east_opt(quarters * 900).unwrap();
        DateTime::from_timestamp(secs, 0)
            .unwrap()
            .with_timezone(&offset)
    })
}

fn arb_close_rule() -> impl Strategy<Value = CloseRule> {
    prop_oneof![
        (0u32..60, 0u32..60)
            .prop_map(|(domestic, foreign)| CloseRule::CalendarDays { domestic, foreign }),
        (0u32..60).prop_map(|days| CloseRule::WorkingDays { days }),
    ]
}

fn arb_deadline_policy() -> impl Strategy<Value = DeadlinePolicy> {
    (0u32..500, 0u32..500, 0u32..60, arb_close_rule()).prop_map(
        |(reply_hours, remedy_hours, report_days, close)| DeadlinePolicy {
            reply_hours,
            remedy_hours,
            report_days,
            close,
            ..DeadlinePolicy::default()
        },
    )
}

fn arb_deadline_inputs() -> impl Strategy<Value = DeadlineInputs> {
    (
        arb_timestamp(),
        arb_market(),
        arb_status(),
        proptest::option::of(0i64..1_000),
        any::<(bool, bool, bool)>(),
        proptest::option::of(0i64..1_000),
        proptest::option::of(0u64..90),
    )
        .prop_map(
            |(start, market, status, accepted, (qa, remedy, report), investigated, agreed)| {
                let later = |hours: i64| start + chrono::Duration::hours(hours);
                DeadlineInputs {
                    accepted_at: accepted.map(later),
                    passed_to_qa: qa,
                    remedy_proposed: remedy,
                    investigated_at: investigated.map(later),
                    report_recorded: report,
                    agreed_date: agreed.map(|d| start.date_naive() + Days::new(d)),
                    status,
                    ..DeadlineInputs::received(start, market)
                }
            },
        )
}

fn arb_market() -> impl Strategy<Value = Market> {
    select(vec![Market::Domestic, Market::Foreign])
}

fn arb_status() -> impl Strategy<Value = Status> {
    select(Status::ALL.to_vec())
}

fn arb_action() -> impl Strategy<Value = Action> {
    select(Action::ALL.to_vec())
}

proptest! {
    #[test]
    fn warranty_decisions_are_consistent(
        category in select(vec!["motor", "generator", "pump", " Pump ", "MOTOR", "compressor", ""]),
        model in select(vec!["", "YE3", "x"]),
        purchase in arb_date(),
        has_purchase in any::<bool>(),
        shift in -60i64..900,
        proof in arb_proof(),
        cause in arb_cause(),
    ) {
        let policy = WarrantyPolicy::default().with_model("ye3", 24);
        let received = if shift < 0 {
            purchase - Days::new(shift.unsigned_abs())
        } else {
            purchase + Days::new(shift.unsigned_abs())
        };
        let input = WarrantyInput {
            category,
            model,
            purchase_date: has_purchase.then_some(purchase),
            proof: &proof,
            received_date: received,
            cause,
        };
        match decide(&policy, &input) {
            Err(Error::Validation { field, .. }) => {
                prop_assert_eq!(field, "received_date");
                // A complaint before the purchase is refused whatever the proof or scope.
                prop_assert!(has_purchase && received < purchase);
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
            Ok(dec) => {
                prop_assert_eq!(dec.covered, dec.rule == WarrantyRule::CoveredQualityFault);
                let has_period = matches!(
                    dec.rule,
                    WarrantyRule::OutOfPeriod
                        | WarrantyRule::NonQualityFault
                        | WarrantyRule::CoveredQualityFault
                );
                prop_assert_eq!(dec.period_end.is_some(), has_period);
                prop_assert_eq!(dec.months.is_some(), has_period);
                if dec.covered {
                    prop_assert!(proof.is_present());
                    prop_assert!(cause.is_quality_fault());
                    let end = dec.period_end.unwrap();
                    prop_assert!(received >= purchase && received <= end);
                }
                if dec.rule == WarrantyRule::NoProofOfPurchase {
                    prop_assert!(!proof.is_present() || !has_purchase);
                }
            }
        }
    }

    #[test]
    fn period_end_is_never_before_purchase_and_grows_with_months(
        purchase in arb_date(),
        a in 0u32..1200,
        b in 0u32..1200,
    ) {
        let (lo, hi) = (a.min(b), a.max(b));
        let end_lo = period_end(purchase, lo).unwrap();
        let end_hi = period_end(purchase, hi).unwrap();
        prop_assert!(end_lo >= purchase);
        prop_assert!(end_lo <= end_hi);
        // The end lies in the month exactly `months` calendar months on.
        let month_index = |d: NaiveDate| d.year() * 12 + d.month0() as i32;
        prop_assert_eq!(month_index(end_hi) - month_index(purchase), hi as i32);
        prop_assert!(end_hi.day() <= purchase.day());
    }

    #[test]
    fn early_days_of_month_keep_their_day(
        year in 2000i32..2060,
        month in 1u32..=12,
        day in 1u32..=28,
        months in 0u32..1200,
    ) {
        let purchase = NaiveDate::from_ymd_opt(year, month, day).unwrap();
        prop_assert_eq!(period_end(purchase, months).unwrap().day(), purchase.day());
    }

    #[test]
    fn next_due_is_the_earliest_pending_and_never_before_its_anchor(
        policy in arb_deadline_policy(),
        inputs in arb_deadline_inputs(),
    ) {
        let all = pending(&policy, &inputs);
        if inputs.status == Status::Closed {
            prop_assert!(all.is_empty());
        }
        let min = all.iter().copied().min_by_key(|d| (d.due_at, d.milestone));
        prop_assert_eq!(next_due(&policy, &inputs), min);
        for pair in all.windows(2) {
            prop_assert!((pair[0].due_at, pair[0].milestone) <= (pair[1].due_at, pair[1].milestone));
        }
        for d in &all {
            prop_assert!(!inputs.is_met(d.milestone));
            let anchor = match d.milestone {
                Milestone::Report => inputs.investigated_at.unwrap(),
                Milestone::Close => inputs.close_anchor(),
                Milestone::Reply | Milestone::Remedy | Milestone::WorkingDays => {
                    inputs.round_started_at
                }
            };
            if !(d.milestone == Milestone::WorkingDays && inputs.agreed_date.is_some()) {
                prop_assert!(d.due_at >= anchor, "{:?} {} before {}", d.milestone, d.due_at, anchor);
            }
            prop_assert_eq!(Some(d.due_at), due_at(&policy, d.milestone, &inputs));
            prop_assert!(!is_overdue(d, d.due_at));
        }
        // No remedy deadline for a case with QA; no report before the investigation.
        if inputs.passed_to_qa {
            prop_assert!(all.iter().all(|d| d.milestone != Milestone::Remedy));
        }
        if inputs.investigated_at.is_none() {
            prop_assert!(all.iter().all(|d| d.milestone != Milestone::Report));
        }
    }

    /// A working-day deadline ends the day it falls on in Shanghai, on a working day, never
    /// before its start, and needs at least as many calendar days as working days.
    #[test]
    fn working_day_deadlines_end_a_working_day_in_shanghai(
        days in 0u32..400,
        start in arb_timestamp(),
        market in arb_market(),
    ) {
        let policy = DeadlinePolicy {
            close: CloseRule::WorkingDays { days },
            working_days: Some(days),
            ..DeadlinePolicy::default()
        };
        let inputs = DeadlineInputs::received(start, market);
        for m in [Milestone::Close, Milestone::WorkingDays] {
            let due = due_at(&policy, m, &inputs).unwrap();
            let local = due.with_timezone(&chrono_tz::Asia::Shanghai);
            prop_assert!(policy.calendar.is_working_day(local.date_naive()), "{due}");
            prop_assert_eq!(local.time(), chrono::NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap());
            prop_assert!(due >= start);
            let start_day = start.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
            let span = (local.date_naive() - start_day).num_days();
            prop_assert!(span >= i64::from(days));
        }
    }

    /// For any day of the calendar's years and any N, the N-th working day after it is a
    /// working day and exactly N working days lie in (D, due].
    #[test]
    fn nth_working_day_counts_exactly_n(
        offset in 0u64..730,
        n in 1u32..=30,
    ) {
        let calendar = WorkingCalendar::default();
        let from = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Days::new(offset);
        let counted = calendar.nth_working_day_after(from, n).unwrap();
        let due = counted.date;
        prop_assert!(calendar.is_working_day(due), "{due}");
        let mut working = 0;
        let mut day = from;
        while day < due {
            day = day.succ_opt().unwrap();
            if calendar.is_working_day(day) {
                working += 1;
            }
        }
        prop_assert_eq!(working, n, "from {} to {}", from, due);
        prop_assert_eq!(counted.fallback.is_some(), due.year() > 2026);
    }

    #[test]
    fn lifecycle_walks_stay_in_the_enum(
        actions in prop::collection::vec(arb_action(), 0..60),
    ) {
        let mut status = Status::Registered;
        for action in actions {
            let result: Result<Status> = next_status(status, action);
            match result {
                Ok(next) => {
                    prop_assert!(Status::ALL.contains(&next));
                    prop_assert!(allowed_actions(status).contains(&action));
                    status = next;
                }
                Err(Error::InvalidTransition { from, action: step }) => {
                    prop_assert_eq!(from, status);
                    prop_assert_eq!(step, fieldcore::Step::Action(action));
                    prop_assert!(!allowed_actions(status).contains(&action));
                    // Asking again gives the same refusal: the rule has no hidden state.
                    prop_assert!(next_status(status, action).is_err());
                }
                Err(other) => prop_assert!(false, "unexpected error {other}"),
            }
        }
    }
}

/// Every status can be reached from a new registration, so none of them is dead weight.
#[test]
fn every_status_is_reachable_from_registered() {
    let mut seen = vec![Status::Registered];
    let mut frontier = vec![Status::Registered];
    while let Some(from) = frontier.pop() {
        for action in allowed_actions(from) {
            let to = next_status(from, action).unwrap();
            if !seen.contains(&to) {
                seen.push(to);
                frontier.push(to);
            }
        }
    }
    seen.sort();
    let mut all = Status::ALL.to_vec();
    all.sort();
    assert_eq!(seen, all);
}
