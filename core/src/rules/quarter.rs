//! Calendar quarters (`2026Q4`): the period a stock ledger covers and a write-off (核销) closes.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One calendar quarter: Q1 is January to March, Q4 October to December.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    /// 1 ..= 4.
    pub q: u8,
}

/// Text that is not a quarter in the form `YYYYQn`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a quarter like 2026Q4")]
pub struct NotQuarter(pub String);

impl Quarter {
    /// `None` for a quarter number outside 1 ..= 4 or a year chrono cannot date.
    pub fn new(year: i32, q: u8) -> Option<Quarter> {
        let quarter = Quarter { year, q };
        ((1..=4).contains(&q) && NaiveDate::from_ymd_opt(year, 1, 1).is_some()).then_some(quarter)
    }

    /// The quarter a date falls in.
    pub fn of(date: NaiveDate) -> Quarter {
        Quarter {
            year: date.year(),
            // month0 is 0 ..= 11, so the quotient is 0 ..= 3.
            q: (date.month0() / 3) as u8 + 1,
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, u32::from(self.q) * 3 - 2, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter {
                year: self.year + 1,
                q: 1,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q + 1,
            }
        }
    }

    pub fn previous(self) -> Quarter {
        if self.q == 1 {
            Quarter {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q - 1,
            }
        }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        Quarter::of(date) == self
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.q)
    }
}

impl FromStr for Quarter {
    type Err = NotQuarter;

    fn from_str(s: &str) -> Result<Quarter, NotQuarter> {
        let not = || NotQuarter(s.to_owned());
        let (year, q) = s.split_once(['Q', 'q']).ok_or_else(not)?;
        if year.len() != 4 || q.len() != 1 {
            return Err(not());
        }
        let year: i32 = year.parse().map_err(|_| not())?;
        let q: u8 = q.parse().map_err(|_| not())?;
        Quarter::new(year, q).ok_or_else(not)
    }
}

impl Serialize for Quarter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quarter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Quarter, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn quarters_have_their_calendar_bounds() {
        let q4: Quarter = "2026Q4".parse().unwrap();
        assert_eq!(q4.first_day(), date(2026, 10, 1));
        assert_eq!(q4.last_day(), date(2026, 12, 31));
        assert_eq!(q4.next().to_string(), "2027Q1");
        assert_eq!(q4.next().previous(), q4);
        assert_eq!(Quarter::of(date(2026, 3, 31)).to_string(), "2026Q1");
        assert_eq!(Quarter::of(date(2026, 4, 1)).to_string(), "2026Q2");
    }

    #[test]
    fn text_that_is_no_quarter_is_refused() {
        for bad in [
            "2026Q5", "2026Q0", "26Q1", "2026-Q1", "2026Q", "Q1", "2026Q12", "",
        ] {
            assert!(bad.parse::<Quarter>().is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn every_day_is_in_exactly_its_quarter(days in 0i64..40_000) {
            let day = date(1990, 1, 1) + chrono::Duration::days(days);
            let q = Quarter::of(day);
            prop_assert!(q.first_day() <= day && day <= q.last_day());
            prop_assert!(!q.next().contains(day) && !q.previous().contains(day));
            prop_assert_eq!(q.to_string().parse::<Quarter>().unwrap(), q);
        }
    }
}
