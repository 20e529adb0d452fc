//! Official case numbers: `YYMM-NNNN`, the month the complaint was received in the company's
//! time zone, and that month's next running number. The running numbers come from the storage's
//! per-month counter in the transaction that creates the case (see
//! [`crate::storage::Tx::allocate_numbers`]); this module formats them and writes them into
//! the case document as a change of HQ's own actor, together with HQ's acceptance time (the
//! root key `accepted`), from which the 13/17-day closing deadline counts.

use automerge::{ActorId, Automerge, Change};
use chrono::{DateTime, Datelike, FixedOffset};

use crate::error::{Error, Result};

/// The counter key of a month: `YYMM`.
pub fn month_of(day: &impl Datelike) -> String {
    format!("{:02}{:02}", day.year().rem_euclid(100), day.month())
}

/// `YYMM-NNNN`; a month past 9,999 cases widens to five digits rather than wrapping.
pub fn format_number(month: &str, running: u32) -> String {
    format!("{month}-{running:04}")
}

/// Writes `number` and the acceptance time `now` into the case document as one change by HQ's
/// actor and returns it. It runs once, when HQ first receives the case: that moment is HQ's
/// acceptance (受理).
pub fn number_change(
    doc: &mut Automerge,
    hq_actor: &ActorId,
    number: &str,
    now: &DateTime<FixedOffset>,
) -> Result<Change> {
    doc.set_actor(hq_actor.clone());
    doc.transact_with(
        |_| fieldcore::commit_options("number", now.timestamp()),
        |tx| {
            fieldcore::put_number(tx, number)?;
            fieldcore::put_accepted(tx, *now)
        },
    )
    .map_err(|f| Error::internal(format!("writing the case number: {}", f.error)))?;
    doc.get_last_local_change()
        .ok_or_else(|| Error::internal("the number change is missing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_yymm_and_four_digits_at_least() {
        let t = DateTime::parse_from_rfc3339("2026-11-02T09:00:00+08:00").unwrap();
        assert_eq!(month_of(&t), "2611");
        assert_eq!(format_number("2611", 42), "2611-0042");
        assert_eq!(format_number("2611", 10_000), "2611-10000");
        let jan = DateTime::parse_from_rfc3339("2030-01-31T23:59:59+08:00").unwrap();
        assert_eq!(month_of(&jan), "3001");
    }
}
