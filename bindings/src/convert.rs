//! The one place where chrono dates, timestamps and UUIDs cross the FFI, as strings, and where
//! the core's unsigned numbers cross as signed ones.
//!
//! The wire forms, chosen so that every language can read them without a library and no
//! information is lost:
//! - [`LocalDate`] (a calendar date, no time zone: purchase, manufacture, warranty end) is
//!   ISO 8601 `YYYY-MM-DD`. Kotlin sees `java.time.LocalDate`; Swift and Python see the string.
//! - [`Timestamp`] (an instant together with the device's UTC offset at that moment) is
//!   RFC 3339, e.g. `2026-11-23T09:30:00+08:00`. The offset is kept because "which day was it at
//!   the customer's site" decides deadlines and the warranty's received date; epoch millis
//!   would drop it. Kotlin sees `java.time.OffsetDateTime`; Swift and Python see the string.
//! - [`CaseId`] (UUIDv7 made on the device) is the hyphenated lowercase UUID. Kotlin sees
//!   `java.util.UUID`; Swift and Python see the string.
//!
//! - Counts, sizes, indexes and round numbers are signed (`i32`, `i64`): uniffi would show
//!   the core's `u32`/`u64` as Kotlin's `UInt`/`ULong`, which Java callers cannot use and
//!   Kotlin code has to convert at every `size`, `coerceIn` or literal. Out: [`signed`] and
//!   [`signed32`] (a value beyond the signed range, which no count reaches, saturates). In:
//!   [`unsigned`], which refuses a negative number with `validation.negative` (and one too big
//!   for the core's type with `validation.at_most`) before the call runs, so nothing is written.
//!
//! - Stock holders (`center:C01`) and quarters (`2026Q4`) cross as their text, parsed by
//!   [`parse_holder`] and [`parse_quarter`].
//!
//! The Kotlin mappings are in `bindings/uniffi.toml`. A malformed string from Swift or Python
//! is refused as [`FieldError::Validation`] naming the type, before the call runs.

use chrono::{DateTime, FixedOffset, NaiveDate};
use fieldcore::{Error as Core, Invalid};
use uuid::Uuid;

use crate::error::FieldError;

/// A calendar date without a time zone, `YYYY-MM-DD` on the wire.
pub type LocalDate = NaiveDate;

/// An instant with the UTC offset it was recorded in, RFC 3339 on the wire.
pub type Timestamp = DateTime<FixedOffset>;

/// A case's id: a UUIDv7 made on the device, a hyphenated lowercase UUID on the wire.
pub type CaseId = Uuid;

uniffi::custom_type!(LocalDate, String, {
    remote,
    lower: |date| format_date(&date),
    try_lift: |text| parse_date(&text).map_err(Into::into),
});

uniffi::custom_type!(Timestamp, String, {
    remote,
    lower: |at| format_timestamp(&at),
    try_lift: |text| parse_timestamp(&text).map_err(Into::into),
});

uniffi::custom_type!(CaseId, String, {
    remote,
    lower: |id| id.to_string(),
    try_lift: |text| parse_case_id(&text).map_err(Into::into),
});

pub fn format_date(date: &LocalDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A refusal of an input, worded and coded by the core's catalogue.
fn refused(field: &'static str, reason: Invalid) -> FieldError {
    Core::Validation { field, reason }.into()
}

pub fn parse_date(text: &str) -> Result<LocalDate, FieldError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| refused("date", Invalid::NotDate))
}

/// A stock holder (`center:C01`, `dealer:D07`, `van:wang`), refused with
/// `validation.not_stock_holder` on `field`.
pub fn parse_holder(field: &'static str, text: &str) -> Result<fieldcore::Holder, FieldError> {
    text.trim()
        .parse()
        .map_err(|_| refused(field, Invalid::NotStockHolder))
}

/// A calendar quarter (`2026Q4`), refused with `validation.not_quarter`.
pub fn parse_quarter(text: &str) -> Result<fieldcore::Quarter, FieldError> {
    text.trim()
        .parse()
        .map_err(|_| refused("quarter", Invalid::NotQuarter))
}

/// RFC 3339 with as many fractional digits as the instant needs (none for whole seconds).
pub fn format_timestamp(at: &Timestamp) -> String {
    at.to_rfc3339()
}

/// RFC 3339, and also ISO 8601 without seconds (`2026-11-23T09:30+08:00`), which is what
/// `java.time` prints for a whole minute when formatted with `toString()`.
pub fn parse_timestamp(text: &str) -> Result<Timestamp, FieldError> {
    let text = text.trim();
    let whole_minutes = |t: &str| DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M%:z").ok();
    DateTime::parse_from_rfc3339(text)
        .ok()
        .or_else(|| whole_minutes(text))
        .or_else(|| {
            text.strip_suffix('Z')
                .and_then(|t| whole_minutes(&format!("{t}+00:00")))
        })
        .ok_or_else(|| refused("timestamp", Invalid::NotTimestamp))
}

pub fn parse_case_id(text: &str) -> Result<CaseId, FieldError> {
    text.trim()
        .parse::<Uuid>()
        .map_err(|_| refused("case_id", Invalid::NotCaseId))
}

/// A count or size of the core as the signed 64-bit number the apps see.
pub fn signed(n: impl TryInto<i64>) -> i64 {
    // Saturates: no count on a device comes near 2^63.
    n.try_into().unwrap_or(i64::MAX)
}

/// A small number of the core (a round, a pixel size, a month count) as a signed 32-bit one.
pub fn signed32(n: u32) -> i32 {
    // Saturates: none of these comes near 2^31.
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// An unsigned type of the core that an app's signed number is converted to.
pub trait Unsigned: TryFrom<i64> {
    /// The largest value, as an `i64` (for the refusal's text).
    const MAX: i64;
}

impl Unsigned for u8 {
    const MAX: i64 = u8::MAX as i64;
}

impl Unsigned for u32 {
    const MAX: i64 = u32::MAX as i64;
}

impl Unsigned for usize {
    const MAX: i64 = if usize::BITS >= 64 {
        i64::MAX
    } else {
        usize::MAX as i64
    };
}

/// An app's signed number as the core's unsigned `T`: negative is refused
/// (`validation.negative`), and so is a number `T` cannot hold (`validation.at_most`).
pub fn unsigned<T: Unsigned>(field: &'static str, value: impl Into<i64>) -> Result<T, FieldError> {
    let value = value.into();
    if value < 0 {
        return Err(refused(field, Invalid::Negative));
    }
    T::try_from(value).map_err(|_| refused(field, Invalid::AtMost { max: T::MAX }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_as_iso() {
        let d = parse_date("2026-02-28").unwrap();
        assert_eq!(format_date(&d), "2026-02-28");
        assert!(matches!(
            parse_date("28/02/2026"),
            Err(FieldError::Validation { field, .. }) if field == "date"
        ));
    }

    #[test]
    fn timestamps_keep_their_offset() {
        let t = parse_timestamp("2026-11-23T09:30:00+08:00").unwrap();
        assert_eq!(t.offset().local_minus_utc(), 8 * 3600);
        assert_eq!(format_timestamp(&t), "2026-11-23T09:30:00+08:00");
        let t = parse_timestamp("2026-11-23T09:30:00.250-05:00").unwrap();
        assert_eq!(format_timestamp(&t), "2026-11-23T09:30:00.250-05:00");
    }

    #[test]
    fn java_time_forms_are_accepted() {
        // OffsetDateTime.toString() drops zero seconds; Instant.toString() ends in Z.
        let t = parse_timestamp("2026-11-23T09:30+08:00").unwrap();
        assert_eq!(format_timestamp(&t), "2026-11-23T09:30:00+08:00");
        let t = parse_timestamp("2026-11-23T01:30Z").unwrap();
        assert_eq!(format_timestamp(&t), "2026-11-23T01:30:00+00:00");
        let t = parse_timestamp("2026-11-23T01:30:05Z").unwrap();
        assert_eq!(format_timestamp(&t), "2026-11-23T01:30:05+00:00");
        assert!(parse_timestamp("2026-11-23 09:30").is_err());
        assert!(
            parse_timestamp("2026-11-23T09:30:00").is_err(),
            "an offset is required"
        );
    }

    #[test]
    fn numbers_cross_signed_and_negative_ones_are_refused() {
        assert_eq!(signed(7u64), 7);
        assert_eq!(signed(u64::MAX), i64::MAX);
        assert_eq!(signed32(u32::MAX), i32::MAX);
        assert_eq!(unsigned::<u32>("quantity", 3).unwrap(), 3);
        assert_eq!(unsigned::<usize>("choose", 0).unwrap(), 0);
        let negative = unsigned::<u32>("quantity", -1).unwrap_err();
        assert_eq!(negative.code(), "validation.negative");
        assert!(
            matches!(&negative, FieldError::Validation { field, .. } if field == "quantity"),
            "{negative:?}"
        );
        let too_big = unsigned::<u8>("orientation", 300).unwrap_err();
        assert_eq!(too_big.code(), "validation.at_most");
        assert!(too_big.to_string().contains("255"), "{too_big}");
    }

    #[test]
    fn case_ids() {
        let id = Uuid::now_v7();
        assert_eq!(parse_case_id(&id.to_string().to_uppercase()).unwrap(), id);
        assert!(parse_case_id("2611-0042").is_err());
    }
}
