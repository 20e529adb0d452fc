//! China's official working-day calendar: Monday to Friday, minus the statutory holidays, plus
//! the make-up working weekends (调休), per year as the State Council publishes it. It is
//! reference data that travels in the policies, so HQ can publish next year's schedule; a date
//! in a year the calendar does not cover is counted Monday to Friday, and the count says so.
//!
//! The default covers 2025 and 2026, from the notices of the General Office of the State
//! Council (国务院办公厅关于2025年部分节假日安排的通知, 国务院办公厅关于2026年部分节假日安排的通知).

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// One holiday of a year's notice: the days off from `first` to `last`, both included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub name: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// One year's notice: its holidays and the weekend days that are worked instead (调休).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarYear {
    /// The notice the year was taken from.
    pub source: String,
    pub holidays: Vec<Holiday>,
    pub make_up_working_days: Vec<NaiveDate>,
}

/// The working-day calendar, by year. A year's notice may name days of a neighbouring year (a
/// New Year holiday that starts on 31 December); they count wherever they are listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingCalendar {
    pub years: BTreeMap<i32, CalendarYear>,
}

/// What a day is on the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A statutory holiday day off (weekend days inside a holiday included).
    Holiday,
    /// A Saturday or Sunday worked in exchange for a holiday day.
    MakeUpWorkingDay,
    /// Monday to Friday, worked.
    Weekday,
    /// Saturday or Sunday, off.
    Weekend,
}

impl DayKind {
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::MakeUpWorkingDay | DayKind::Weekday)
    }
}

/// Why a count did not follow the calendar for every day: from `year` on (up to the next year
/// the calendar covers, if any) days were counted Monday to Friday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fallback {
    pub year: i32,
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not in the working-day calendar; its days were counted Monday to Friday",
            self.year
        )
    }
}

/// The result of counting working days: the day reached, and whether any day of the count lay
/// outside the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    pub date: NaiveDate,
    pub fallback: Option<Fallback>,
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Calendar days from a day on `weekday` to the `n`th Monday-to-Friday day after it (n ≥ 1).
/// Counting from a weekend behaves as counting from the Friday before it.
pub(crate) fn weekday_offset(weekday: Weekday, n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    // Monday = 0 .. Sunday = 6.
    let wd = u64::from(weekday.num_days_from_monday());
    let back = wd.saturating_sub(4);
    let base = wd - back;
    // The n-th weekday is (n - 1) / 5 weeks plus 1..=5 weekdays after the Friday-based start.
    let (weeks, rest) = ((n - 1) / 5, (n - 1) % 5 + 1);
    let mut offset = weeks * 7 + rest;
    if base + rest > 4 {
        offset += 2;
    }
    offset - back
}

/// Monday-to-Friday days in `(from, to]`; zero when `to` is not after `from`.
fn weekdays_between(from: NaiveDate, to: NaiveDate) -> u64 {
    let days = u64::try_from((to - from).num_days()).unwrap_or(0);
    let start = u64::from(from.weekday().num_days_from_monday());
    let mut count = days / 7 * 5;
    for i in 1..=days % 7 {
        if (start + i) % 7 < 5 {
            count += 1;
        }
    }
    count
}

impl WorkingCalendar {
    /// Whether `year` has a notice in the calendar.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// What `date` is. Outside the covered years: weekday or weekend, unless a covered year's
    /// notice names the day.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        // A notice can reach into the neighbouring years only.
        for year in self
            .years
            .range(date.year() - 1..=date.year() + 1)
            .map(|(_, y)| y)
        {
            if year.make_up_working_days.contains(&date) {
                return DayKind::MakeUpWorkingDay;
            }
            if year
                .holidays
                .iter()
                .any(|h| h.first <= date && date <= h.last)
            {
                return DayKind::Holiday;
            }
        }
        if is_weekend(date) {
            DayKind::Weekend
        } else {
            DayKind::Weekday
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.day_kind(date).is_working()
    }

    /// The `n`th working day after `date`, which itself is not counted; `n == 0` gives `date`.
    /// `None` when the day lies beyond chrono's range of dates.
    pub fn nth_working_day_after(&self, date: NaiveDate, n: u32) -> Option<Counted> {
        let mut day = date;
        let mut left = u64::from(n);
        let mut fallback = None;
        while left > 0 {
            let next = day.succ_opt()?;
            let year = next.year();
            if !self.covers(year) {
                fallback.get_or_insert(Fallback { year });
            }
            // A covered year's notice may name days of its neighbours, so those are walked too.
            if self.years.range(year - 1..=year + 1).next().is_some() {
                day = next;
                if self.is_working_day(day) {
                    left -= 1;
                }
                continue;
            }
            // Far from every covered year: Monday to Friday up to the next covered year's
            // neighbour, or for the rest of the count. A day-by-day walk would take billions of
            // steps for the largest counts.
            let gap_end = match self.years.range(year + 2..).next() {
                Some((&covered, _)) => NaiveDate::from_ymd_opt(covered - 2, 12, 31),
                None => None,
            };
            match gap_end {
                Some(end) if weekdays_between(day, end) < left => {
                    left -= weekdays_between(day, end);
                    day = end;
                }
                _ => {
                    day = day.checked_add_days(Days::new(weekday_offset(day.weekday(), left)))?;
                    left = 0;
                }
            }
        }
        let fallback = fallback.or_else(|| {
            (n == 0 && !self.covers(date.year())).then_some(Fallback { year: date.year() })
        });
        Some(Counted {
            date: day,
            fallback,
        })
    }

    /// `date` when it is a working day, else the first working day after it.
    pub fn working_day_on_or_after(&self, date: NaiveDate) -> Option<Counted> {
        if self.is_working_day(date) {
            self.nth_working_day_after(date, 0)
        } else {
            self.nth_working_day_after(date, 1)
        }
    }

    /// Every covered year's notice read from the built-in table.
    fn from_table(table: &[YearTable]) -> WorkingCalendar {
        let years = table
            .iter()
            .map(|t| {
                let year = CalendarYear {
                    source: t.source.to_owned(),
                    holidays: t
                        .holidays
                        .iter()
                        .map(|&(name, first, last)| Holiday {
                            name: name.to_owned(),
                            first,
                            last,
                        })
                        .collect(),
                    make_up_working_days: t.make_up.to_vec(),
                };
                (t.year, year)
            })
            .collect();
        WorkingCalendar { years }
    }
}

impl Default for WorkingCalendar {
    /// The State Council's schedules for 2025 and 2026.
    fn default() -> Self {
        WorkingCalendar::from_table(DEFAULT_YEARS)
    }
}

struct YearTable {
    year: i32,
    source: &'static str,
    holidays: &'static [(&'static str, NaiveDate, NaiveDate)],
    make_up: &'static [NaiveDate],
}

/// A date of the table. It is only called in constants, so an impossible date stops the build
/// instead of panicking at run time.
const fn d(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("an impossible date in the working-day calendar"),
    }
}

/// The default calendar, as the notices state it.
const DEFAULT_YEARS: &[YearTable] = &[
    YearTable {
        year: 2025,
        source: "国务院办公厅关于2025年部分节假日安排的通知",
        holidays: &[
            ("元旦 New Year's Day", d(2025, 1, 1), d(2025, 1, 1)),
            ("春节 Spring Festival", d(2025, 1, 28), d(2025, 2, 4)),
            ("清明节 Qingming", d(2025, 4, 4), d(2025, 4, 6)),
            ("劳动节 Labour Day", d(2025, 5, 1), d(2025, 5, 5)),
            ("端午节 Dragon Boat Festival", d(2025, 5, 31), d(2025, 6, 2)),
            (
                "国庆节、中秋节 National Day and Mid-Autumn Festival",
                d(2025, 10, 1),
                d(2025, 10, 8),
            ),
        ],
        make_up: &[
            d(2025, 1, 26),
            d(2025, 2, 8),
            d(2025, 4, 27),
            d(2025, 9, 28),
            d(2025, 10, 11),
        ],
    },
    YearTable {
        year: 2026,
        source: "国务院办公厅关于2026年部分节假日安排的通知",
        holidays: &[
            ("元旦 New Year's Day", d(2026, 1, 1), d(2026, 1, 3)),
            ("春节 Spring Festival", d(2026, 2, 15), d(2026, 2, 23)),
            ("清明节 Qingming", d(2026, 4, 4), d(2026, 4, 6)),
            ("劳动节 Labour Day", d(2026, 5, 1), d(2026, 5, 5)),
            (
                "端午节 Dragon Boat Festival",
                d(2026, 6, 19),
                d(2026, 6, 21),
            ),
            ("中秋节 Mid-Autumn Festival", d(2026, 9, 25), d(2026, 9, 27)),
            ("国庆节 National Day", d(2026, 10, 1), d(2026, 10, 7)),
        ],
        make_up: &[
            d(2026, 1, 4),
            d(2026, 2, 14),
            d(2026, 2, 28),
            d(2026, 5, 9),
            d(2026, 9, 20),
            d(2026, 10, 10),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The notices as the brief lists them, written out independently of the table above.
    const HOLIDAY_RANGES: &[(&str, &str)] = &[
        ("2025-01-01", "2025-01-01"),
        ("2025-01-28", "2025-02-04"),
        ("2025-04-04", "2025-04-06"),
        ("2025-05-01", "2025-05-05"),
        ("2025-05-31", "2025-06-02"),
        ("2025-10-01", "2025-10-08"),
        ("2026-01-01", "2026-01-03"),
        ("2026-02-15", "2026-02-23"),
        ("2026-04-04", "2026-04-06"),
        ("2026-05-01", "2026-05-05"),
        ("2026-06-19", "2026-06-21"),
        ("2026-09-25", "2026-09-27"),
        ("2026-10-01", "2026-10-07"),
    ];
    const MAKE_UP_DAYS: &[&str] = &[
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ];

    #[test]
    fn every_day_of_2025_and_2026_is_classified_as_the_notices_say() {
        let cal = WorkingCalendar::default();
        let mut day = date("2025-01-01");
        let mut counts: BTreeMap<(i32, &str), u32> = BTreeMap::new();
        while day <= date("2026-12-31") {
            let holiday = HOLIDAY_RANGES
                .iter()
                .any(|&(a, b)| date(a) <= day && day <= date(b));
            let make_up = MAKE_UP_DAYS.iter().any(|&m| date(m) == day);
            let want = match (holiday, make_up, is_weekend(day)) {
                (true, _, _) => DayKind::Holiday,
                (false, true, _) => DayKind::MakeUpWorkingDay,
                (false, false, true) => DayKind::Weekend,
                (false, false, false) => DayKind::Weekday,
            };
            assert_eq!(cal.day_kind(day), want, "{day}");
            assert_eq!(cal.is_working_day(day), want.is_working(), "{day}");
            let kind = match want {
                DayKind::Holiday => "holiday",
                DayKind::MakeUpWorkingDay => "make-up",
                DayKind::Weekday => "weekday",
                DayKind::Weekend => "weekend",
            };
            *counts.entry((day.year(), kind)).or_default() += 1;
            day = day.succ_opt().unwrap();
        }
        // Sums worked out by hand: both years have 261 Mondays to Fridays. 2025 has 28 holiday
        // days, 18 of them on weekdays, so 243 ordinary weekdays, plus 5 make-up days: 248
        // working days. 2026 has 33 holiday days, 19 on weekdays: 242 ordinary weekdays plus 6
        // make-up days, 248 again.
        assert_eq!(counts[&(2025, "holiday")], 28);
        assert_eq!(counts[&(2025, "make-up")], 5);
        assert_eq!(counts[&(2025, "weekday")], 243);
        assert_eq!(counts[&(2026, "holiday")], 33);
        assert_eq!(counts[&(2026, "make-up")], 6);
        assert_eq!(counts[&(2026, "weekday")], 242);
    }

    #[test]
    fn make_up_days_fall_on_weekends() {
        for year in WorkingCalendar::default().years.values() {
            for d in &year.make_up_working_days {
                assert!(is_weekend(*d), "{d}");
            }
            for h in &year.holidays {
                assert!(h.first <= h.last, "{}", h.name);
            }
        }
    }

    /// Five working days across every holiday of both years, counted by hand.
    #[test]
    fn five_working_days_across_the_holidays() {
        let cal = WorkingCalendar::default();
        let cases = [
            // Mon 27 Jan 2025: holiday 28 Jan–4 Feb; Wed 5 (1), Thu 6 (2), Fri 7 (3),
            // make-up Sat 8 Feb (4), Sun 9 off, Mon 10 Feb (5).
            ("2025-01-27", "2025-02-10"),
            // Fri 24 Jan 2025: Sat 25 off, make-up Sun 26 (1), Mon 27 (2), holiday, Wed 5 Feb
            // (3), Thu 6 (4), Fri 7 (5).
            ("2025-01-24", "2025-02-07"),
            // Thu 12 Feb 2026: Fri 13 (1), make-up Sat 14 (2), holiday 15–23, Tue 24 (3),
            // Wed 25 (4), Thu 26 (5).
            ("2026-02-12", "2026-02-26"),
            // Wed 25 Feb 2026: Thu 26 (1), Fri 27 (2), make-up Sat 28 (3), Sun 1 Mar off,
            // Mon 2 (4), Tue 3 (5).
            ("2026-02-25", "2026-03-03"),
            // Qingming 2025, Fri 4–Sun 6 Apr. Wed 2: Thu 3 (1), Mon 7 (2) .. Thu 10 (5).
            ("2025-04-02", "2025-04-10"),
            // Qingming 2026, Sat 4–Mon 6 Apr. Fri 3: Tue 7 (1) .. Fri 10 (4), Mon 13 (5).
            ("2026-04-03", "2026-04-13"),
            // Labour Day 2025, Thu 1–Mon 5 May. Fri 25 Apr: Sat 26 off, make-up Sun 27 (1),
            // Mon 28 (2), Tue 29 (3), Wed 30 (4), holiday, Tue 6 May (5).
            ("2025-04-25", "2025-05-06"),
            // Labour Day 2026, Fri 1–Tue 5 May. Thu 30 Apr: Wed 6 (1), Thu 7 (2), Fri 8 (3),
            // make-up Sat 9 (4), Sun 10 off, Mon 11 (5).
            ("2026-04-30", "2026-05-11"),
            // Dragon Boat 2025, Sat 31 May–Mon 2 Jun. Thu 29 May: Fri 30 (1), Tue 3 Jun (2) ..
            // Fri 6 (5).
            ("2025-05-29", "2025-06-06"),
            // Dragon Boat 2026, Fri 19–Sun 21 Jun. Wed 17: Thu 18 (1), Mon 22 (2) .. Thu 25 (5).
            ("2026-06-17", "2026-06-25"),
            // National Day and Mid-Autumn 2025, Wed 1–Wed 8 Oct. Fri 26 Sep: Sat 27 off,
            // make-up Sun 28 (1), Mon 29 (2), Tue 30 (3), holiday, Thu 9 Oct (4), Fri 10 (5).
            ("2025-09-26", "2025-10-10"),
            // Thu 9 Oct 2025: Fri 10 (1), make-up Sat 11 (2), Sun 12 off, Mon 13 (3), Tue 14
            // (4), Wed 15 (5).
            ("2025-10-09", "2025-10-15"),
            // Mid-Autumn 2026, Fri 25–Sun 27 Sep. Fri 18 Sep: Sat 19 off, make-up Sun 20 (1),
            // Mon 21 (2) .. Thu 24 (5).
            ("2026-09-18", "2026-09-24"),
            // Wed 23 Sep 2026: Thu 24 (1), holiday, Mon 28 (2), Tue 29 (3), Wed 30 (4),
            // National Day 1–7 Oct, Thu 8 Oct (5).
            ("2026-09-23", "2026-10-08"),
            // Thu 8 Oct 2026: Fri 9 (1), make-up Sat 10 (2), Sun 11 off, Mon 12 (3), Tue 13
            // (4), Wed 14 (5).
            ("2026-10-08", "2026-10-14"),
            // New Year 2025, Wed 1 Jan. Tue 31 Dec 2024: Thu 2 (1), Fri 3 (2), Mon 6 (3),
            // Tue 7 (4), Wed 8 (5).
            ("2024-12-31", "2025-01-08"),
            // New Year 2026, Thu 1–Sat 3 Jan. Wed 31 Dec 2025: make-up Sun 4 (1), Mon 5 (2) ..
            // Thu 8 (5).
            ("2025-12-31", "2026-01-08"),
        ];
        for (from, want) in cases {
            let got = cal.nth_working_day_after(date(from), 5).unwrap();
            assert_eq!(got.date, date(want), "from {from}");
            assert_eq!(got.fallback, None, "from {from}");
        }
    }

    #[test]
    fn outside_the_calendar_counts_monday_to_friday_and_says_so() {
        let cal = WorkingCalendar::default();
        // Wed 30 Dec 2026: Thu 31 (1); 2027 is not covered, so Fri 1 Jan 2027 counts (2),
        // Mon 4 (3), Tue 5 (4), Wed 6 (5).
        let got = cal.nth_working_day_after(date("2026-12-30"), 5).unwrap();
        assert_eq!(got.date, date("2027-01-06"));
        assert_eq!(got.fallback, Some(Fallback { year: 2027 }));
        assert!(got.fallback.unwrap().to_string().contains("2027"));
        // Mon 7 Jan 2030 to Mon 14 Jan 2030; years before the calendar too.
        let got = cal.nth_working_day_after(date("2030-01-07"), 5).unwrap();
        assert_eq!(got.date, date("2030-01-14"));
        assert_eq!(got.fallback, Some(Fallback { year: 2030 }));
        let got = cal.nth_working_day_after(date("2019-10-04"), 1).unwrap();
        assert_eq!(got.date, date("2019-10-07"));
        assert_eq!(got.fallback, Some(Fallback { year: 2019 }));
        // Zero days on an uncovered working day is that day, flagged.
        let got = cal.nth_working_day_after(date("2030-01-07"), 0).unwrap();
        assert_eq!(got.date, date("2030-01-07"));
        assert_eq!(got.fallback, Some(Fallback { year: 2030 }));
        // From far before the calendar into it: the gap is skipped arithmetically and the
        // covered days still follow the notices. 2023 runs from Sun 1 Jan to Sun 31 Dec: 52
        // whole weeks after 1 Jan, 260 weekdays, the last Fri 29 Dec; the 261st is Mon 1 Jan
        // 2024 (walked, as the neighbour of 2025).
        let got = cal.nth_working_day_after(date("2023-01-01"), 260).unwrap();
        assert_eq!(got.date, date("2023-12-29"));
        let got = cal.nth_working_day_after(date("2023-01-01"), 261).unwrap();
        assert_eq!(got.date, date("2024-01-01"));
        assert_eq!(got.fallback, Some(Fallback { year: 2023 }));
        // Beyond chrono's range there is no day.
        assert_eq!(
            cal.nth_working_day_after(date("2026-01-01"), u32::MAX),
            None
        );
    }

    #[test]
    fn zero_days_from_a_day_off_is_the_next_working_day() {
        let cal = WorkingCalendar::default();
        let on_or_after = |d: &str| cal.working_day_on_or_after(date(d)).unwrap().date;
        assert_eq!(on_or_after("2025-10-03"), date("2025-10-09"));
        assert_eq!(on_or_after("2025-10-11"), date("2025-10-11"));
        assert_eq!(on_or_after("2025-10-12"), date("2025-10-13"));
    }

    /// The Monday-to-Friday arithmetic against a day-by-day walk.
    #[test]
    fn weekday_offset_matches_a_walk() {
        let monday = date("2030-03-04");
        for shift in 0..7u64 {
            let start = monday + Days::new(shift);
            for n in 1..40u64 {
                let mut day = start;
                let mut counted = 0;
                while counted < n {
                    day = day + Days::new(1);
                    if !is_weekend(day) {
                        counted += 1;
                    }
                }
                let got = start + Days::new(weekday_offset(start.weekday(), n));
                assert_eq!(got, day, "start {start} n {n}");
                let end = start + Days::new(n);
                let walked = (1..=n)
                    .filter(|i| !is_weekend(start + Days::new(*i)))
                    .count() as u64;
                assert_eq!(weekdays_between(start, end), walked, "{start} {end}");
            }
        }
    }

    #[test]
    fn json_round_trips_with_year_keys() {
        let cal = WorkingCalendar::default();
        let json = serde_json::to_value(&cal).unwrap();
        assert_eq!(
            json["years"]["2026"]["make_up_working_days"][0],
            "2026-01-04"
        );
        assert_eq!(json["years"]["2025"]["holidays"][1]["first"], "2025-01-28");
        let back: WorkingCalendar = serde_json::from_value(json).unwrap();
        assert_eq!(back, cal);
    }
}
