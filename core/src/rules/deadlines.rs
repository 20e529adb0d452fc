//! Deadlines of a complaint round: when the reply, the remedy, the investigation report and the
//! closure are due, and which of them a case's status still leaves open.

use chrono::{Days, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::locale::{Locale, Localized};
use crate::model::{Market, Status, Timestamp};
use crate::rules::calendar::{Fallback, WorkingCalendar};

/// How the closing deadline is counted; the procedures of different companies disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CloseRule {
    /// Calendar days from the start of the round, by market.
    CalendarDays { domestic: u32, foreign: u32 },
    /// Working days on the policy's [`WorkingCalendar`] from the start of the round, for every
    /// market.
    WorkingDays { days: u32 },
}

/// The deadlines a deployment configures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    pub reply_hours: u32,
    pub remedy_hours: u32,
    pub report_days: u32,
    pub close: CloseRule,
    /// The official working days that working-day deadlines count; absent in policies written
    /// before it existed, which get the built-in schedules.
    #[serde(default)]
    pub calendar: WorkingCalendar,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            reply_hours: 24,
            remedy_hours: 48,
            report_days: 3,
            close: CloseRule::CalendarDays {
                domestic: 13,
                foreign: 17,
            },
            calendar: WorkingCalendar::default(),
        }
    }
}

/// A step of a round that has a deadline. The declaration order is the tie-break order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    /// The customer has been answered and told how the complaint will be handled.
    Reply,
    /// A remedy has been proposed.
    Remedy,
    /// The investigation report exists.
    Report,
    /// The case is closed.
    Close,
}

impl Milestone {
    pub const ALL: [Milestone; 4] = [
        Milestone::Reply,
        Milestone::Remedy,
        Milestone::Report,
        Milestone::Close,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Milestone::Reply => "reply",
            Milestone::Remedy => "remedy",
            Milestone::Report => "report",
            Milestone::Close => "close",
        }
    }

    pub fn parse(s: &str) -> Option<Milestone> {
        Milestone::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Whether a case in `status` has already reached this milestone in its current round.
    /// A reopened case starts over, so nothing counts as met there.
    pub fn is_met(self, status: Status) -> bool {
        use Status::*;
        match self {
            Milestone::Reply => !matches!(status, Registered | Reopened),
            Milestone::Report => matches!(
                status,
                DefectConfirmed | WarrantyDecided | Resolved | CustomerConfirmed | Closed
            ),
            Milestone::Remedy => {
                matches!(
                    status,
                    WarrantyDecided | Resolved | CustomerConfirmed | Closed
                )
            }
            Milestone::Close => status == Closed,
        }
    }
}

impl Localized for Milestone {
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            Milestone::Reply => "答复客户",
            Milestone::Remedy => "提出处理方案",
            Milestone::Report => "提交调查报告",
            Milestone::Close => "结案",
        };
        locale.pick(zh, self.as_str()).to_owned()
    }
}

/// A milestone and the moment it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub milestone: Milestone,
    pub due_at: Timestamp,
}

/// Deadlines too large for chrono's range are pushed to the latest representable instant: such
/// a deadline is never reached, which is what the configuration meant.
fn far_future() -> Timestamp {
    chrono::DateTime::<Utc>::MAX_UTC.fixed_offset()
}

fn add_days(start: Timestamp, days: u64) -> Timestamp {
    start
        .checked_add_days(Days::new(days))
        .unwrap_or_else(far_future)
}

/// A deadline counted in working days, and whether the count left the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingDaysDue {
    pub due_at: Timestamp,
    /// Set when some counted day lies in a year the calendar does not cover (counted Monday to
    /// Friday there).
    pub fallback: Option<Fallback>,
}

/// The moment `days` working days after `start` on `calendar`: the same local time of day, in
/// `start`'s offset, on the `days`th working day after `start`'s local date. Zero working days
/// from a day off means the next working day, so a deadline never falls on a day off.
pub fn working_days_due(calendar: &WorkingCalendar, start: Timestamp, days: u32) -> WorkingDaysDue {
    let date = start.date_naive();
    let counted = if days == 0 {
        calendar.working_day_on_or_after(date)
    } else {
        calendar.nth_working_day_after(date, days)
    };
    match counted {
        Some(c) => {
            let offset = u64::try_from((c.date - date).num_days()).unwrap_or(0);
            WorkingDaysDue {
                due_at: add_days(start, offset),
                fallback: c.fallback,
            }
        }
        None => WorkingDaysDue {
            due_at: far_future(),
            fallback: None,
        },
    }
}

/// When `milestone` is due for a round that started at `round_started_at`. Hours are exact
/// durations; days keep the local time of day in the start's offset.
pub fn due_at(
    policy: &DeadlinePolicy,
    milestone: Milestone,
    round_started_at: Timestamp,
    market: Market,
) -> Timestamp {
    let hours = |h: u32| {
        round_started_at
            .checked_add_signed(Duration::hours(i64::from(h)))
            .unwrap_or_else(far_future)
    };
    match milestone {
        Milestone::Reply => hours(policy.reply_hours),
        Milestone::Remedy => hours(policy.remedy_hours),
        Milestone::Report => add_days(round_started_at, u64::from(policy.report_days)),
        Milestone::Close => match policy.close {
            CloseRule::CalendarDays { domestic, foreign } => {
                let days = match market {
                    Market::Domestic => domestic,
                    Market::Foreign => foreign,
                };
                add_days(round_started_at, u64::from(days))
            }
            CloseRule::WorkingDays { days } => {
                working_days_due(&policy.calendar, round_started_at, days).due_at
            }
        },
    }
}

/// The milestones `status` leaves open, earliest first (ties in milestone order).
pub fn pending(
    policy: &DeadlinePolicy,
    round_started_at: Timestamp,
    market: Market,
    status: Status,
) -> Vec<Due> {
    if status == Status::Closed {
        return Vec::new();
    }
    let mut due: Vec<Due> = Milestone::ALL
        .into_iter()
        .filter(|m| !m.is_met(status))
        .map(|milestone| Due {
            milestone,
            due_at: due_at(policy, milestone, round_started_at, market),
        })
        .collect();
    due.sort_by_key(|d| (d.due_at, d.milestone));
    due
}

/// The earliest open milestone, if any.
pub fn next_due(
    policy: &DeadlinePolicy,
    round_started_at: Timestamp,
    market: Market,
    status: Status,
) -> Option<Due> {
    pending(policy, round_started_at, market, status)
        .into_iter()
        .next()
}

/// What a case's deadlines are computed from. The device keeps it in each case's projection
/// row, so that new policies from HQ re-date every case without loading a single document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineInputs {
    pub round_started_at: Timestamp,
    pub market: Market,
    pub status: Status,
}

impl DeadlineInputs {
    /// The earliest open milestone under `policy`.
    pub fn next_due(&self, policy: &DeadlinePolicy) -> Option<Due> {
        next_due(policy, self.round_started_at, self.market, self.status)
    }
}

/// Overdue means strictly after the due moment: a reply at the deadline itself is on time.
pub fn is_overdue(due: &Due, now: Timestamp) -> bool {
    now > due.due_at
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn ts(s: &str) -> Timestamp {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn default_deadlines() {
        let p = DeadlinePolicy::default();
        let start = ts("2026-03-06T16:30:00+08:00"); // a Friday
        assert_eq!(
            due_at(&p, Milestone::Reply, start, Market::Domestic),
            ts("2026-03-07T16:30:00+08:00")
        );
        assert_eq!(
            due_at(&p, Milestone::Remedy, start, Market::Domestic),
            ts("2026-03-08T16:30:00+08:00")
        );
        assert_eq!(
            due_at(&p, Milestone::Report, start, Market::Foreign),
            ts("2026-03-09T16:30:00+08:00")
        );
        assert_eq!(
            due_at(&p, Milestone::Close, start, Market::Domestic),
            ts("2026-03-19T16:30:00+08:00")
        );
        assert_eq!(
            due_at(&p, Milestone::Close, start, Market::Foreign),
            ts("2026-03-23T16:30:00+08:00")
        );
    }

    #[test]
    fn working_days_use_the_local_date() {
        let p = DeadlinePolicy {
            close: CloseRule::WorkingDays { days: 5 },
            ..DeadlinePolicy::default()
        };
        // 23:30 on Friday in UTC+8 is still Friday locally although it is Friday 15:30 UTC;
        // 01:00 Saturday in UTC+8 is Friday in UTC but must count as Saturday.
        assert_eq!(
            due_at(
                &p,
                Milestone::Close,
                ts("2026-03-06T23:30:00+08:00"),
                Market::Foreign
            ),
            ts("2026-03-13T23:30:00+08:00")
        );
        assert_eq!(
            due_at(
                &p,
                Milestone::Close,
                ts("2026-03-07T01:00:00+08:00"),
                Market::Domestic
            ),
            ts("2026-03-13T01:00:00+08:00")
        );
    }

    /// The closing deadline counts the official calendar in the round's own offset and keeps
    /// the time of day.
    #[test]
    fn working_days_follow_the_official_calendar() {
        let p = DeadlinePolicy {
            close: CloseRule::WorkingDays { days: 5 },
            ..DeadlinePolicy::default()
        };
        let close = |start: &str| due_at(&p, Milestone::Close, ts(start), Market::Domestic);
        // Mon 27 Jan 2025, Spring Festival 28 Jan–4 Feb, make-up Sat 8 Feb: Wed 5 (1), Thu 6
        // (2), Fri 7 (3), Sat 8 (4), Mon 10 (5).
        assert_eq!(
            close("2025-01-27T10:00:00+08:00"),
            ts("2025-02-10T10:00:00+08:00")
        );
        // 01:00 on Sat 14 Feb 2026 in UTC+8 (a make-up working day) is Fri 13 Feb in UTC; the
        // local Saturday counts: holiday 15–23, Tue 24 (1) .. Fri 27 (4), make-up Sat 28 (5).
        // Counted from the UTC Friday it would be Fri 27.
        assert_eq!(
            close("2026-02-14T01:00:00+08:00"),
            ts("2026-02-28T01:00:00+08:00")
        );
        // Zero working days from a holiday: the first day back, Thu 9 Oct 2025.
        let zero = DeadlinePolicy {
            close: CloseRule::WorkingDays { days: 0 },
            ..DeadlinePolicy::default()
        };
        assert_eq!(
            due_at(
                &zero,
                Milestone::Close,
                ts("2025-10-03T09:15:00+08:00"),
                Market::Foreign
            ),
            ts("2025-10-09T09:15:00+08:00")
        );
        // Beyond the calendar, Monday to Friday with the fallback named: Wed 30 Dec 2026 to
        // Wed 6 Jan 2027 (Fri 1 Jan 2027 counted, its holiday not yet published).
        let due = working_days_due(&p.calendar, ts("2026-12-30T17:00:00+08:00"), 5);
        assert_eq!(due.due_at, ts("2027-01-06T17:00:00+08:00"));
        assert_eq!(due.fallback, Some(Fallback { year: 2027 }));
        let due = working_days_due(&p.calendar, ts("2026-12-01T17:00:00+08:00"), 5);
        assert_eq!(due.fallback, None);
    }

    #[test]
    fn milestones_met_by_status() {
        use Status::*;
        let expected: [(Status, [bool; 4]); 10] = [
            // Reply, Remedy, Report, Close
            (Registered, [false, false, false, false]),
            (Acknowledged, [true, false, false, false]),
            (VisitScheduled, [true, false, false, false]),
            (OnSite, [true, false, false, false]),
            (DefectConfirmed, [true, false, true, false]),
            (WarrantyDecided, [true, true, true, false]),
            (Resolved, [true, true, true, false]),
            (CustomerConfirmed, [true, true, true, false]),
            (Closed, [true, true, true, true]),
            (Reopened, [false, false, false, false]),
        ];
        for (status, met) in expected {
            for (m, want) in Milestone::ALL.into_iter().zip(met) {
                assert_eq!(m.is_met(status), want, "{m:?} at {status:?}");
            }
        }
    }

    #[test]
    fn pending_is_sorted_with_ties_in_milestone_order() {
        let p = DeadlinePolicy {
            reply_hours: 72,
            remedy_hours: 72,
            report_days: 3,
            close: CloseRule::CalendarDays {
                domestic: 1,
                foreign: 1,
            },
            ..DeadlinePolicy::default()
        };
        let start = ts("2026-01-01T08:00:00+01:00");
        let got: Vec<Milestone> = pending(&p, start, Market::Domestic, Status::Registered)
            .into_iter()
            .map(|d| d.milestone)
            .collect();
        assert_eq!(
            got,
            vec![
                Milestone::Close,
                Milestone::Reply,
                Milestone::Remedy,
                Milestone::Report
            ]
        );
        let next = next_due(&p, start, Market::Domestic, Status::Resolved).unwrap();
        assert_eq!(next.milestone, Milestone::Close);
        assert!(pending(&p, start, Market::Foreign, Status::Closed).is_empty());
        assert!(next_due(&p, start, Market::Foreign, Status::Closed).is_none());
    }

    #[test]
    fn overdue_is_strict() {
        let due = Due {
            milestone: Milestone::Reply,
            due_at: ts("2026-01-02T08:00:00+08:00"),
        };
        assert!(!is_overdue(&due, ts("2026-01-02T08:00:00+08:00")));
        // Same instant in another offset.
        assert!(!is_overdue(&due, ts("2026-01-02T00:00:00+00:00")));
        assert!(is_overdue(&due, ts("2026-01-02T00:00:01+00:00")));
    }

    #[test]
    fn huge_values_saturate_instead_of_panicking() {
        let p = DeadlinePolicy {
            reply_hours: u32::MAX,
            remedy_hours: u32::MAX,
            report_days: u32::MAX,
            close: CloseRule::WorkingDays { days: u32::MAX },
            ..DeadlinePolicy::default()
        };
        let start = ts("2026-01-01T08:00:00+08:00");
        for m in Milestone::ALL {
            assert_eq!(due_at(&p, m, start, Market::Domestic), far_future());
        }
    }

    #[test]
    fn names_round_trip() {
        for m in Milestone::ALL {
            assert_eq!(Milestone::parse(m.as_str()), Some(m));
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.as_str())
            );
        }
        assert_eq!(Milestone::parse("Reply"), None);
        let json = serde_json::to_value(DeadlinePolicy::default()).unwrap();
        assert_eq!(json["close"]["kind"], "calendar_days");
        assert_eq!(json["close"]["domestic"], 13);
    }
}
