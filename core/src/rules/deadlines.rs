//! Deadlines of a complaint round: when the reply, the remedy, the investigation report, the
//! working-day settlement and the closure are due, from which event each counts, and which of
//! them a case still leaves open (ADR 0012).

use chrono::{Days, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::locale::{Locale, Localized};
use crate::model::{Market, Status, Timestamp};
use crate::rules::calendar::{Fallback, WorkingCalendar};
use crate::rules::company_time::CompanyTimeZone;

/// How the closing deadline is counted; the procedures of different companies disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CloseRule {
    /// Calendar days from HQ's acceptance, by market.
    CalendarDays { domestic: u32, foreign: u32 },
    /// Working days on the policy's [`WorkingCalendar`] from HQ's acceptance, for every
    /// market, due at the end of the last one.
    WorkingDays { days: u32 },
}

/// The deadlines a deployment configures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlinePolicy {
    pub reply_hours: u32,
    /// Hours from the start of the round to a remedy proposal, for cases not passed to QA.
    pub remedy_hours: u32,
    /// Days from the on-site defect confirmation to the investigation report.
    pub report_days: u32,
    pub close: CloseRule,
    /// Working days from the first responder's acceptance (the round's start) to settling the
    /// case, unless a date is agreed with the customer; `None` turns the deadline off. Absent
    /// in policies written before it existed, which get the procedures' 5.
    #[serde(default = "default_working_days")]
    pub working_days: Option<u32>,
    /// The official working days that working-day deadlines count; absent in policies written
    /// before it existed, which get the built-in schedules.
    #[serde(default)]
    pub calendar: WorkingCalendar,
    /// The zone whose days the working-day deadlines count and end in; absent in policies
    /// written before it existed, which get Asia/Shanghai.
    #[serde(default)]
    pub time_zone: CompanyTimeZone,
}

fn default_working_days() -> Option<u32> {
    Some(5)
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
            working_days: default_working_days(),
            calendar: WorkingCalendar::default(),
            time_zone: CompanyTimeZone::default(),
        }
    }
}

/// A step of a round that has a deadline. The declaration order is the tie-break order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    /// The customer has been answered and told how the complaint will be handled.
    Reply,
    /// A remedy has been proposed (cases not passed to QA).
    Remedy,
    /// The investigation report exists (after the on-site defect confirmation).
    Report,
    /// The case is settled within the working days, or by the date agreed with the customer.
    WorkingDays,
    /// The case is closed.
    Close,
}

impl Milestone {
    pub const ALL: [Milestone; 5] = [
        Milestone::Reply,
        Milestone::Remedy,
        Milestone::Report,
        Milestone::WorkingDays,
        Milestone::Close,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Milestone::Reply => "reply",
            Milestone::Remedy => "remedy",
            Milestone::Report => "report",
            Milestone::WorkingDays => "working_days",
            Milestone::Close => "close",
        }
    }

    pub fn parse(s: &str) -> Option<Milestone> {
        Milestone::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// The deadline's name for people: the procedures' terms in Chinese, the machine name in
/// English (what English output and scripts have always shown).
impl Localized for Milestone {
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            Milestone::Reply => "答复客户",
            Milestone::Remedy => "提出处理方案",
            Milestone::Report => "提交调查报告",
            Milestone::WorkingDays => "工作日内处理完毕",
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

/// What a case's deadlines are computed from: the events each deadline counts from and what
/// has met them in the current round. The device keeps it in each case's projection row, so
/// that new policies from HQ re-date every case without loading a single document; the fields
/// after `status` are absent in rows written before they existed, where nothing could have
/// set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineInputs {
    /// The start of the round: the reply, the remedy and the working days count from it.
    pub round_started_at: Timestamp,
    pub market: Market,
    pub status: Status,
    /// HQ's acceptance when it counts for this round (the first only; a later round restarts
    /// the clock); the closing deadline counts from it, else from the round's start.
    #[serde(default)]
    pub accepted_at: Option<Timestamp>,
    /// Passed on to quality: there is no remedy deadline then.
    #[serde(default)]
    pub passed_to_qa: bool,
    /// A remedy proposal was recorded in this round.
    #[serde(default)]
    pub remedy_proposed: bool,
    /// When the defect was confirmed on site in this round: the investigation's end.
    #[serde(default)]
    pub investigated_at: Option<Timestamp>,
    /// An investigation report was recorded in this round.
    #[serde(default)]
    pub report_recorded: bool,
    /// The date agreed with the customer, replacing the working-day deadline.
    #[serde(default)]
    pub agreed_date: Option<NaiveDate>,
}

impl DeadlineInputs {
    /// A round that has just started with nothing done: every deadline that needs no later
    /// event is open.
    pub fn received(round_started_at: Timestamp, market: Market) -> DeadlineInputs {
        DeadlineInputs {
            round_started_at,
            market,
            status: Status::Registered,
            accepted_at: None,
            passed_to_qa: false,
            remedy_proposed: false,
            investigated_at: None,
            report_recorded: false,
            agreed_date: None,
        }
    }

    /// The moment the closing deadline counts from: HQ's acceptance, else the round's start.
    pub fn close_anchor(&self) -> Timestamp {
        self.accepted_at.unwrap_or(self.round_started_at)
    }

    /// The earliest open milestone under `policy`.
    pub fn next_due(&self, policy: &DeadlinePolicy) -> Option<Due> {
        next_due(policy, self)
    }

    /// Whether this round has reached `milestone`. A reopened case starts over, so the
    /// status-based milestones are not met there.
    pub fn is_met(&self, milestone: Milestone) -> bool {
        use Status::*;
        match milestone {
            Milestone::Reply => !matches!(self.status, Registered | Reopened),
            Milestone::Remedy => self.remedy_proposed,
            Milestone::Report => self.report_recorded,
            Milestone::WorkingDays | Milestone::Close => self.status == Closed,
        }
    }
}

/// Deadlines too large for chrono's range are pushed to the latest representable instant: such
/// a deadline is never reached, which is what the configuration meant.
pub fn far_future() -> Timestamp {
    chrono::DateTime::<Utc>::MAX_UTC.fixed_offset()
}

fn add_days(start: Timestamp, days: u64) -> Timestamp {
    start
        .checked_add_days(Days::new(days))
        .unwrap_or_else(far_future)
}

fn add_hours(start: Timestamp, hours: u32) -> Timestamp {
    start
        .checked_add_signed(Duration::hours(i64::from(hours)))
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

/// The end (23:59:59.999 in `zone`) of the `days`th working day after the day `start` falls
/// on in `zone`; that day itself is not counted. Zero working days from a day off means the
/// next working day, so a deadline never falls on a day off.
pub fn working_days_due(
    calendar: &WorkingCalendar,
    zone: CompanyTimeZone,
    start: Timestamp,
    days: u32,
) -> WorkingDaysDue {
    let date = zone.date_of(start);
    let counted = if days == 0 {
        calendar.working_day_on_or_after(date)
    } else {
        calendar.nth_working_day_after(date, days)
    };
    match counted {
        Some(c) => WorkingDaysDue {
            due_at: zone.end_of_day(c.date).unwrap_or_else(far_future),
            fallback: c.fallback,
        },
        None => WorkingDaysDue {
            due_at: far_future(),
            fallback: None,
        },
    }
}

/// When `milestone` is due for a case with `inputs`; `None` when it does not apply (a case
/// passed to QA has no remedy deadline, a working-day deadline turned off) or needs an event
/// that has not happened (the report before the investigation). Hours are exact durations;
/// calendar days keep the anchor's time of day in its offset; working days and an agreed date
/// end with the company's day.
pub fn due_at(
    policy: &DeadlinePolicy,
    milestone: Milestone,
    inputs: &DeadlineInputs,
) -> Option<Timestamp> {
    let start = inputs.round_started_at;
    match milestone {
        Milestone::Reply => Some(add_hours(start, policy.reply_hours)),
        Milestone::Remedy => (!inputs.passed_to_qa).then(|| add_hours(start, policy.remedy_hours)),
        Milestone::Report => inputs
            .investigated_at
            .map(|at| add_days(at, u64::from(policy.report_days))),
        Milestone::WorkingDays => match inputs.agreed_date {
            Some(date) => Some(policy.time_zone.end_of_day(date).unwrap_or_else(far_future)),
            None => policy.working_days.map(|days| {
                working_days_due(&policy.calendar, policy.time_zone, start, days).due_at
            }),
        },
        Milestone::Close => {
            let anchor = inputs.close_anchor();
            Some(match policy.close {
                CloseRule::CalendarDays { domestic, foreign } => {
                    let days = match inputs.market {
                        Market::Domestic => domestic,
                        Market::Foreign => foreign,
                    };
                    add_days(anchor, u64::from(days))
                }
                CloseRule::WorkingDays { days } => {
                    working_days_due(&policy.calendar, policy.time_zone, anchor, days).due_at
                }
            })
        }
    }
}

/// The milestones the case leaves open and that have a due moment, earliest first (ties in
/// milestone order).
pub fn pending(policy: &DeadlinePolicy, inputs: &DeadlineInputs) -> Vec<Due> {
    if inputs.status == Status::Closed {
        return Vec::new();
    }
    let mut due: Vec<Due> = Milestone::ALL
        .into_iter()
        .filter(|m| !inputs.is_met(*m))
        .filter_map(|milestone| {
            due_at(policy, milestone, inputs).map(|due_at| Due { milestone, due_at })
        })
        .collect();
    due.sort_by_key(|d| (d.due_at, d.milestone));
    due
}

/// The earliest open milestone, if any.
pub fn next_due(policy: &DeadlinePolicy, inputs: &DeadlineInputs) -> Option<Due> {
    pending(policy, inputs).into_iter().next()
}

/// The open milestones already past due at `now`: what a command noticing them records.
pub fn missed(policy: &DeadlinePolicy, inputs: &DeadlineInputs, now: Timestamp) -> Vec<Due> {
    pending(policy, inputs)
        .into_iter()
        .filter(|d| is_overdue(d, now))
        .collect()
}

/// Overdue means strictly after the due moment: a reply at the deadline itself is on time, and
/// a day-counted deadline (due at 23:59:59.999) is overdue from the next day's first moment.
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

    fn inputs(start: &str, market: Market) -> DeadlineInputs {
        DeadlineInputs::received(ts(start), market)
    }

    fn due(p: &DeadlinePolicy, m: Milestone, i: &DeadlineInputs) -> Option<Timestamp> {
        due_at(p, m, i)
    }

    #[test]
    fn default_deadlines_of_a_new_case() {
        let p = DeadlinePolicy::default();
        let i = inputs("2026-03-06T16:30:00+08:00", Market::Domestic); // a Friday
        assert_eq!(
            due(&p, Milestone::Reply, &i),
            Some(ts("2026-03-07T16:30:00+08:00"))
        );
        assert_eq!(
            due(&p, Milestone::Remedy, &i),
            Some(ts("2026-03-08T16:30:00+08:00"))
        );
        // The report waits for the investigation.
        assert_eq!(due(&p, Milestone::Report, &i), None);
        // Mon 9 .. Fri 13 March, to the end of the Friday in Shanghai.
        assert_eq!(
            due(&p, Milestone::WorkingDays, &i),
            Some(ts("2026-03-13T23:59:59.999+08:00"))
        );
        // No acceptance by HQ yet: the close counts from the receipt.
        assert_eq!(
            due(&p, Milestone::Close, &i),
            Some(ts("2026-03-19T16:30:00+08:00"))
        );
        let foreign = inputs("2026-03-06T16:30:00+08:00", Market::Foreign);
        assert_eq!(
            due(&p, Milestone::Close, &foreign),
            Some(ts("2026-03-23T16:30:00+08:00"))
        );
    }

    #[test]
    fn the_close_counts_from_hqs_acceptance() {
        let p = DeadlinePolicy::default();
        let mut i = inputs("2026-03-06T16:30:00+08:00", Market::Domestic);
        i.accepted_at = Some(ts("2026-03-09T08:10:00+08:00"));
        assert_eq!(
            due(&p, Milestone::Close, &i),
            Some(ts("2026-03-22T08:10:00+08:00"))
        );
        i.market = Market::Foreign;
        assert_eq!(
            due(&p, Milestone::Close, &i),
            Some(ts("2026-03-26T08:10:00+08:00"))
        );
        // The other deadlines still count from the receipt.
        assert_eq!(
            due(&p, Milestone::Reply, &i),
            Some(ts("2026-03-07T16:30:00+08:00"))
        );
        // A working-day close rule counts from the acceptance too, to the end of the day:
        // Tue 10 .. Mon 16.
        let wd = DeadlinePolicy {
            close: CloseRule::WorkingDays { days: 5 },
            ..DeadlinePolicy::default()
        };
        assert_eq!(
            due(&wd, Milestone::Close, &i),
            Some(ts("2026-03-16T23:59:59.999+08:00"))
        );
    }

    #[test]
    fn the_remedy_is_met_by_a_proposal_and_waived_for_qa() {
        let p = DeadlinePolicy::default();
        let mut i = inputs("2026-03-06T16:30:00+08:00", Market::Domestic);
        // A warranty decision does not meet the remedy deadline.
        i.status = Status::WarrantyDecided;
        let open: Vec<Milestone> = pending(&p, &i).iter().map(|d| d.milestone).collect();
        assert_eq!(
            open,
            vec![Milestone::Remedy, Milestone::WorkingDays, Milestone::Close]
        );
        i.remedy_proposed = true;
        assert!(i.is_met(Milestone::Remedy));
        assert_eq!(next_due(&p, &i).unwrap().milestone, Milestone::WorkingDays);
        // Passed to QA: no remedy deadline at all.
        let mut qa = inputs("2026-03-06T16:30:00+08:00", Market::Domestic);
        qa.passed_to_qa = true;
        assert_eq!(due(&p, Milestone::Remedy, &qa), None);
        assert!(
            pending(&p, &qa)
                .iter()
                .all(|d| d.milestone != Milestone::Remedy)
        );
    }

    #[test]
    fn the_report_is_due_three_days_after_the_investigation() {
        let p = DeadlinePolicy::default();
        let mut i = inputs("2026-03-06T16:30:00+08:00", Market::Domestic);
        i.status = Status::DefectConfirmed;
        i.investigated_at = Some(ts("2026-03-10T11:20:00+08:00"));
        assert_eq!(
            due(&p, Milestone::Report, &i),
            Some(ts("2026-03-13T11:20:00+08:00"))
        );
        assert!(
            pending(&p, &i)
                .iter()
                .any(|d| d.milestone == Milestone::Report)
        );
        // The confirmation alone does not meet it; the report record does.
        assert!(!i.is_met(Milestone::Report));
        i.report_recorded = true;
        assert!(
            pending(&p, &i)
                .iter()
                .all(|d| d.milestone != Milestone::Report)
        );
    }

    #[test]
    fn an_agreed_date_replaces_the_working_day_deadline() {
        let p = DeadlinePolicy::default();
        let mut i = inputs("2026-03-06T16:30:00+08:00", Market::Domestic);
        i.agreed_date = NaiveDate::from_ymd_opt(2026, 3, 25);
        assert_eq!(
            due(&p, Milestone::WorkingDays, &i),
            Some(ts("2026-03-25T23:59:59.999+08:00"))
        );
        // Even with the working-day deadline turned off.
        let off = DeadlinePolicy {
            working_days: None,
            ..DeadlinePolicy::default()
        };
        assert_eq!(
            due(&off, Milestone::WorkingDays, &i),
            Some(ts("2026-03-25T23:59:59.999+08:00"))
        );
        i.agreed_date = None;
        assert_eq!(due(&off, Milestone::WorkingDays, &i), None);
    }

    #[test]
    fn working_days_end_with_the_day_in_shanghai() {
        let p = DeadlinePolicy::default();
        let wd = |start: &str| due(&p, Milestone::WorkingDays, &inputs(start, Market::Foreign));
        // 23:30 Friday in Shanghai, written by a device in UTC: still Friday (not counted).
        assert_eq!(
            wd("2026-03-06T15:30:00Z"),
            Some(ts("2026-03-13T23:59:59.999+08:00"))
        );
        // 01:00 Saturday in Shanghai is Friday in UTC but counts as Saturday: same due day.
        assert_eq!(
            wd("2026-03-06T17:00:00Z"),
            Some(ts("2026-03-13T23:59:59.999+08:00"))
        );
        // Mon 27 Jan 2025, Spring Festival 28 Jan–4 Feb, make-up Sat 8 Feb: Wed 5 (1), Thu 6
        // (2), Fri 7 (3), Sat 8 (4), Mon 10 (5).
        assert_eq!(
            wd("2025-01-27T10:00:00+08:00"),
            Some(ts("2025-02-10T23:59:59.999+08:00"))
        );
        // Sat 14 Feb 2026 (a make-up working day, not counted): holiday 15–23, Tue 24 (1) ..
        // Fri 27 (4), make-up Sat 28 (5).
        assert_eq!(
            wd("2026-02-14T01:00:00+08:00"),
            Some(ts("2026-02-28T23:59:59.999+08:00"))
        );
        let due = Due {
            milestone: Milestone::WorkingDays,
            due_at: ts("2026-03-13T23:59:59.999+08:00"),
        };
        assert!(!is_overdue(&due, ts("2026-03-13T23:59:59.999+08:00")));
        assert!(is_overdue(&due, ts("2026-03-14T00:00:00+08:00")));
        // Zero working days from a holiday: the first day back, Thu 9 Oct 2025.
        let zero = working_days_due(&p.calendar, p.time_zone, ts("2025-10-03T09:15:00+08:00"), 0);
        assert_eq!(zero.due_at, ts("2025-10-09T23:59:59.999+08:00"));
        // Beyond the calendar, Monday to Friday with the fallback named.
        let late = working_days_due(&p.calendar, p.time_zone, ts("2026-12-30T17:00:00+08:00"), 5);
        assert_eq!(late.due_at, ts("2027-01-06T23:59:59.999+08:00"));
        assert_eq!(late.fallback, Some(Fallback { year: 2027 }));
    }

    #[test]
    fn missed_lists_the_open_milestones_past_due() {
        let p = DeadlinePolicy::default();
        let i = inputs("2026-03-06T16:30:00+08:00", Market::Domestic);
        let at = |s: &str| -> Vec<Milestone> {
            missed(&p, &i, ts(s)).iter().map(|d| d.milestone).collect()
        };
        assert!(at("2026-03-07T16:30:00+08:00").is_empty());
        assert_eq!(at("2026-03-07T16:30:01+08:00"), vec![Milestone::Reply]);
        assert_eq!(
            at("2026-03-14T00:00:00+08:00"),
            vec![Milestone::Reply, Milestone::Remedy, Milestone::WorkingDays]
        );
    }

    #[test]
    fn milestones_met_by_status() {
        use Status::*;
        let expected: [(Status, [bool; 5]); 10] = [
            // Reply, Remedy, Report, WorkingDays, Close
            (Registered, [false, false, false, false, false]),
            (Acknowledged, [true, false, false, false, false]),
            (VisitScheduled, [true, false, false, false, false]),
            (OnSite, [true, false, false, false, false]),
            (DefectConfirmed, [true, false, false, false, false]),
            (WarrantyDecided, [true, false, false, false, false]),
            (Resolved, [true, false, false, false, false]),
            (CustomerConfirmed, [true, false, false, false, false]),
            (Closed, [true, false, false, true, true]),
            (Reopened, [false, false, false, false, false]),
        ];
        for (status, met) in expected {
            let mut i = inputs("2026-01-01T08:00:00+08:00", Market::Domestic);
            i.status = status;
            for (m, want) in Milestone::ALL.into_iter().zip(met) {
                assert_eq!(i.is_met(m), want, "{m:?} at {status:?}");
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
            working_days: None,
            ..DeadlinePolicy::default()
        };
        let mut i = inputs("2026-01-01T08:00:00+01:00", Market::Domestic);
        i.investigated_at = Some(i.round_started_at);
        let got: Vec<Milestone> = pending(&p, &i).into_iter().map(|d| d.milestone).collect();
        assert_eq!(
            got,
            vec![
                Milestone::Close,
                Milestone::Reply,
                Milestone::Remedy,
                Milestone::Report
            ]
        );
        i.status = Status::Closed;
        assert!(pending(&p, &i).is_empty());
        assert!(next_due(&p, &i).is_none());
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
            working_days: Some(u32::MAX),
            ..DeadlinePolicy::default()
        };
        let mut i = inputs("2026-01-01T08:00:00+08:00", Market::Domestic);
        i.investigated_at = Some(i.round_started_at);
        for m in Milestone::ALL {
            assert_eq!(due_at(&p, m, &i), Some(far_future()));
        }
    }

    #[test]
    fn names_round_trip_and_exist_in_both_locales() {
        for m in Milestone::ALL {
            assert_eq!(Milestone::parse(m.as_str()), Some(m));
            assert_eq!(
                serde_json::to_string(&m).unwrap(),
                format!("\"{}\"", m.as_str())
            );
            let zh = m.text(Locale::ZhCn);
            let en = m.text(Locale::En);
            assert!(!zh.is_empty() && !en.is_empty() && zh != en, "{m:?}");
        }
        assert_eq!(Milestone::parse("Reply"), None);
        let json = serde_json::to_value(DeadlinePolicy::default()).unwrap();
        assert_eq!(json["close"]["kind"], "calendar_days");
        assert_eq!(json["close"]["domestic"], 13);
        assert_eq!(json["working_days"], 5);
        assert_eq!(json["time_zone"], "Asia/Shanghai");
    }

    /// Inputs a device stored before the anchors existed read with nothing recorded.
    #[test]
    fn inputs_without_the_anchors_read_as_nothing_recorded() {
        let old = r#"{"round_started_at":"2026-03-06T16:30:00+08:00","market":"domestic","status":"acknowledged"}"#;
        let i: DeadlineInputs = serde_json::from_str(old).unwrap();
        let mut want = inputs("2026-03-06T16:30:00+08:00", Market::Domestic);
        want.status = Status::Acknowledged;
        assert_eq!(i, want);
    }
}
