//! The company's time zone, in which a day-counted deadline's day begins and ends: a policy HQ
//! publishes (default Asia/Shanghai), so a case received by a device abroad is still due on
//! the company's working days, at the end of the company's day.

use std::fmt;

use chrono::{Duration, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::Timestamp;

/// An IANA time zone name that is known to the time zone database, e.g. `Asia/Shanghai`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompanyTimeZone(pub Tz);

impl Default for CompanyTimeZone {
    fn default() -> Self {
        CompanyTimeZone(Tz::Asia__Shanghai)
    }
}

impl fmt::Display for CompanyTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name())
    }
}

impl Serialize for CompanyTimeZone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for CompanyTimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        // A policy naming a zone nobody knows is refused whole rather than read in UTC.
        name.parse::<Tz>()
            .map(CompanyTimeZone)
            .map_err(|_| serde::de::Error::custom(format!("unknown time zone {name}")))
    }
}

impl CompanyTimeZone {
    /// The company's calendar date at `at`.
    pub fn date_of(self, at: Timestamp) -> NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }

    /// The last millisecond of `date` in the company's zone (23:59:59.999 local), the moment a
    /// day-counted deadline falls due. The core's clock is cut to milliseconds, so "after this
    /// moment" and "on a later day" are the same thing. `None` past chrono's range.
    pub fn end_of_day(self, date: NaiveDate) -> Option<Timestamp> {
        let next = date.succ_opt()?.and_hms_opt(0, 0, 0)?;
        // A zone that skips midnight (a DST change at 00:00) starts the day at the first
        // instant that exists; `earliest` of an ambiguous midnight is the day's real start.
        let start = match self.0.from_local_datetime(&next).earliest() {
            Some(start) => start,
            None => self
                .0
                .from_local_datetime(&(next + Duration::hours(1)))
                .earliest()?,
        };
        start
            .checked_sub_signed(Duration::milliseconds(1))
            .map(|t| t.fixed_offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_a_shanghai_day_is_just_before_its_midnight() {
        let tz = CompanyTimeZone::default();
        let date = NaiveDate::from_ymd_opt(2026, 3, 13).unwrap();
        let end = tz.end_of_day(date).unwrap();
        assert_eq!(end.to_rfc3339(), "2026-03-13T23:59:59.999+08:00");
        // 20:00 UTC on the 12th is already the 13th in Shanghai.
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-12T20:00:00Z").unwrap();
        assert_eq!(tz.date_of(at), date);
    }

    #[test]
    fn names_round_trip_and_unknown_zones_are_refused() {
        let json = serde_json::to_string(&CompanyTimeZone::default()).unwrap();
        assert_eq!(json, "\"Asia/Shanghai\"");
        let berlin: CompanyTimeZone = serde_json::from_str("\"Europe/Berlin\"").unwrap();
        assert_eq!(berlin.to_string(), "Europe/Berlin");
        assert!(serde_json::from_str::<CompanyTimeZone>("\"Mars/Olympus\"").is_err());
    }
}
