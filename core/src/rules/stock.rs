//! Stock rules as pure functions: who approves requisitions and emergency purchases, which
//! quarter's ledger a movement is booked into, and a holder's balance per part with the
//! movements that drove it below zero. An offline issue is never refused for want of stock:
//! the count may be wrong, the part is in the customer's machine; it is flagged instead.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rules::quarter::Quarter;
use crate::rules::returns::ChainStep;

/// Spare parts as a deployment configures them; absent in policies from before stock existed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartsPolicy {
    /// Who approves a warranty parts requisition (三包配件领用单) before HQ issues the stock.
    pub requisition_chain: Vec<ChainStep>,
    /// Who approves a local emergency purchase.
    pub purchase_chain: Vec<ChainStep>,
}

impl Default for PartsPolicy {
    fn default() -> Self {
        // The procedure: the customer-service head approves requisitions, the department head
        // (the same role here) an engineer's local emergency purchase.
        PartsPolicy {
            requisition_chain: vec![ChainStep::new("approve", "cs_manager")],
            purchase_chain: vec![ChainStep::new("approve", "cs_manager")],
        }
    }
}

/// Where a movement dated in `dated_in` goes: its own quarter while that is open; once the
/// quarter is written off (closed), the first later quarter that is still open, as a
/// correction of the closed one.
pub fn booking(dated_in: Quarter, closed: impl Fn(Quarter) -> bool) -> (Quarter, Option<Quarter>) {
    if !closed(dated_in) {
        return (dated_in, None);
    }
    let mut quarter = dated_in;
    // The first later quarter still open; the last representable one takes what is left.
    while let Some(next) = quarter.next() {
        quarter = next;
        if !closed(quarter) {
            break;
        }
    }
    (quarter, Some(dated_in))
}

/// One movement as the balance sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceInput<'a> {
    pub id: &'a str,
    pub part_number: &'a str,
    pub delta: i64,
    /// Milliseconds since the epoch of the movement's time; ties keep the input order.
    pub at_ms: i64,
}

/// A holder's balance of one part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartBalance {
    pub part_number: String,
    pub quantity: i64,
    pub movements: u32,
    /// The movements (in time order) after which the balance stood below zero: recorded
    /// without stock on hand, most often offline. Empty when it never did.
    pub went_negative: Vec<String>,
}

impl PartBalance {
    pub fn negative(&self) -> bool {
        self.quantity < 0
    }
}

/// The balance of every part: the sum of its movements in time order, flagging each movement
/// that left it below zero.
pub fn balances<'a>(movements: impl IntoIterator<Item = BalanceInput<'a>>) -> Vec<PartBalance> {
    let mut by_part: BTreeMap<&str, Vec<BalanceInput<'a>>> = BTreeMap::new();
    for m in movements {
        by_part.entry(m.part_number).or_default().push(m);
    }
    by_part
        .into_iter()
        .map(|(part, mut list)| {
            list.sort_by_key(|m| m.at_ms);
            let mut quantity = 0i64;
            let mut went_negative = Vec::new();
            for m in &list {
                quantity = quantity.saturating_add(m.delta);
                if quantity < 0 {
                    went_negative.push(m.id.to_owned());
                }
            }
            PartBalance {
                part_number: part.to_owned(),
                quantity,
                movements: u32::try_from(list.len()).unwrap_or(u32::MAX),
                went_negative,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_closed_quarter_books_into_the_next_open_one() {
        let q3 = Quarter::new(2026, 3).unwrap();
        assert_eq!(booking(q3, |_| false), (q3, None));
        let q4 = q3.next().unwrap();
        assert_eq!(booking(q3, |q| q == q3), (q4, Some(q3)));
        assert_eq!(
            booking(q3, |q| q == q3 || q == q4),
            (q4.next().unwrap(), Some(q3))
        );
    }

    #[test]
    fn the_movement_that_drives_a_part_below_zero_is_flagged() {
        let input = [
            BalanceInput {
                id: "r",
                part_number: "B-6205",
                delta: 1,
                at_ms: 1,
            },
            BalanceInput {
                id: "i1",
                part_number: "B-6205",
                delta: -1,
                at_ms: 2,
            },
            BalanceInput {
                id: "i2",
                part_number: "B-6205",
                delta: -1,
                at_ms: 3,
            },
            BalanceInput {
                id: "s",
                part_number: "S-40",
                delta: 2,
                at_ms: 1,
            },
        ];
        let b = balances(input);
        assert_eq!(b[0].part_number, "B-6205");
        assert_eq!(b[0].quantity, -1);
        assert_eq!(b[0].went_negative, ["i2"]);
        assert!(b[0].negative());
        assert_eq!(b[1].quantity, 2);
        assert!(b[1].went_negative.is_empty());
    }

    proptest! {
        /// The balance is the sum whatever order replicas delivered the movements in, and a
        /// part is flagged exactly when some prefix in time order sums below zero.
        #[test]
        fn balance_is_the_sum_and_flags_follow_time_order(
            deltas in prop::collection::vec((-3i64..4, 0i64..50), 0..40),
            seed in any::<u64>(),
        ) {
            let ids: Vec<String> = (0..deltas.len()).map(|i| format!("m{i}")).collect();
            let mut input: Vec<BalanceInput> = deltas
                .iter()
                .zip(&ids)
                .enumerate()
                .map(|(i, ((d, _), id))| BalanceInput { id, part_number: "P", delta: *d, at_ms: i as i64 })
                .collect();
            // Shuffle deterministically: arrival order must not matter.
            let mut s = seed;
            for i in (1..input.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                input.swap(i, (s >> 33) as usize % (i + 1));
            }
            let b = balances(input);
            let total: i64 = deltas.iter().map(|(d, _)| d).sum();
            if deltas.is_empty() {
                prop_assert!(b.is_empty());
            } else {
                prop_assert_eq!(b[0].quantity, total);
                let mut run = 0;
                let expected: Vec<String> = deltas.iter().zip(&ids).filter_map(|((d, _), id)| {
                    run += d;
                    (run < 0).then(|| id.clone())
                }).collect();
                prop_assert_eq!(&b[0].went_negative, &expected);
            }
        }
    }
}
