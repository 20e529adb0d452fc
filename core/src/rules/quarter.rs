//! The calendar quarter (季度) that stock is reconciled and written off by (核销): `2026Q4` is
//! October to December 2026. The stock ledger and the write-off both count in it, so it is a
//! plain value with one written form.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Invalid};

/// A calendar quarter: `q` is 1 (January–March) to 4 (October–December). Ordered in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    q: u8,
}

impl Quarter {
    /// The quarter `q` (1..=4) of `year`; `None` for any other `q`, or a year whose quarter
    /// has no representable dates.
    pub fn new(year: i32, q: u8) -> Option<Quarter> {
        let quarter = Quarter { year, q };
        ((1..=4).contains(&q) && quarter.bounds().is_some()).then_some(quarter)
    }

    /// The quarter `date` falls in.
    pub fn of(date: NaiveDate) -> Quarter {
        // month0 is 0..=11, so the quotient is 0..=3 and fits u8.
        Quarter {
            year: date.year(),
            q: (date.month0() / 3) as u8 + 1,
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1 to 4.
    pub fn q(self) -> u8 {
        self.q
    }

    fn bounds(self) -> Option<(NaiveDate, NaiveDate)> {
        let first_month = u32::from(self.q) * 3 - 2;
        let first = NaiveDate::from_ymd_opt(self.year, first_month, 1)?;
        let last = match self.q {
            4 => NaiveDate::from_ymd_opt(self.year, 12, 31)?,
            _ => NaiveDate::from_ymd_opt(self.year, first_month + 3, 1)?.pred_opt()?,
        };
        Some((first, last))
    }

    /// The quarter's first day (1 January, April, July or October).
    pub fn first_day(self) -> NaiveDate {
        // `new`, `of` and parsing only make quarters whose bounds exist.
        self.bounds().map_or(NaiveDate::MIN, |(first, _)| first)
    }

    /// The quarter's last day (31 March, 30 June, 30 September or 31 December).
    pub fn last_day(self) -> NaiveDate {
        self.bounds().map_or(NaiveDate::MAX, |(_, last)| last)
    }

    /// Whether `date` is inside the quarter, both ends included.
    pub fn contains(self, date: NaiveDate) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }

    /// The quarter after this one (`2026Q4` → `2027Q1`); `None` past chrono's last date.
    pub fn next(self) -> Option<Quarter> {
        match self.q {
            4 => Quarter::new(self.year.checked_add(1)?, 1),
            q => Quarter::new(self.year, q + 1),
        }
    }

    /// The quarter before this one (`2027Q1` → `2026Q4`).
    pub fn previous(self) -> Option<Quarter> {
        match self.q {
            1 => Quarter::new(self.year.checked_sub(1)?, 4),
            q => Quarter::new(self.year, q - 1),
        }
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.q)
    }
}

impl FromStr for Quarter {
    type Err = Error;

    /// `2026Q4` (a lowercase `q` and surrounding spaces are accepted); anything else is
    /// refused as [`Invalid::NotQuarter`].
    fn from_str(s: &str) -> Result<Quarter, Error> {
        let refused = || Error::validation("quarter", Invalid::NotQuarter);
        let s = s.trim();
        let (year, q) = s.split_once(['Q', 'q']).ok_or_else(refused)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) || q.len() != 1 {
            return Err(refused());
        }
        let year: i32 = year.parse().map_err(|_| refused())?;
        let q: u8 = q.parse().map_err(|_| refused())?;
        Quarter::new(year, q).ok_or_else(refused)
    }
}

impl Serialize for Quarter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quarter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn quarters_parse_format_and_bound_their_days() {
        let q4: Quarter = "2026Q4".parse().unwrap();
        assert_eq!((q4.year(), q4.q()), (2026, 4));
        assert_eq!(q4.to_string(), "2026Q4");
        assert_eq!(q4.first_day(), d("2026-10-01"));
        assert_eq!(q4.last_day(), d("2026-12-31"));
        let q1 = q4.next().unwrap();
        assert_eq!(q1.to_string(), "2027Q1");
        assert_eq!(q1.previous(), Some(q4));
        assert_eq!(q1.last_day(), d("2027-03-31"));
        assert_eq!(
            " 2024q1 ".parse::<Quarter>().unwrap().last_day(),
            d("2024-03-31")
        );
        let q2: Quarter = "2026Q2".parse().unwrap();
        assert_eq!(
            (q2.first_day(), q2.last_day()),
            (d("2026-04-01"), d("2026-06-30"))
        );
        let q3: Quarter = "2026Q3".parse().unwrap();
        assert_eq!(
            (q3.first_day(), q3.last_day()),
            (d("2026-07-01"), d("2026-09-30"))
        );
        assert!(q2 < q3 && q3 < q4 && q4 < q1);
        assert_eq!(Quarter::of(d("2026-09-30")), q3);
        assert_eq!(Quarter::of(d("2026-10-01")), q4);
        assert!(q4.contains(d("2026-12-31")) && !q4.contains(d("2027-01-01")));
    }

    #[test]
    fn anything_but_yyyyqn_is_refused_with_its_code() {
        for bad in [
            "",
            "2026",
            "2026Q0",
            "2026Q5",
            "2026Q44",
            "26Q4",
            "Q4",
            "2026-Q4",
            "２０２６Q4",
        ] {
            let err = bad.parse::<Quarter>().unwrap_err();
            assert!(
                matches!(
                    &err,
                    Error::Validation {
                        field: "quarter",
                        reason: Invalid::NotQuarter
                    }
                ),
                "{bad}: {err}"
            );
            assert_eq!(
                match err {
                    Error::Validation { reason, .. } => reason.code(),
                    _ => "",
                },
                "validation.not_quarter"
            );
        }
        assert_eq!(Quarter::new(2026, 0), None);
    }

    #[test]
    fn a_quarter_is_its_text_in_json() {
        let q: Quarter = "2026Q3".parse().unwrap();
        assert_eq!(serde_json::to_string(&q).unwrap(), "\"2026Q3\"");
        assert_eq!(serde_json::from_str::<Quarter>("\"2026Q3\"").unwrap(), q);
        assert!(serde_json::from_str::<Quarter>("\"2026Q9\"").is_err());
    }
}
