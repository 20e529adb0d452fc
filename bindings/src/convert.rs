//! The one place where chrono dates, timestamps and UUIDs cross the FFI, as strings.
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
//! The Kotlin mappings are in `bindings/uniffi.toml`. A malformed string from Swift or Python
//! is refused as [`FieldError::Validation`] naming the type, before the call runs.
//!
//! Counts (quantities, units, months) cross as `i64`, since Kotlin and Swift have no idiomatic
//! unsigned type: [`count_in`] refuses a negative one with `FieldError.Validation` naming the
//! field, and [`count_out`] widens the core's `u32` without loss.

use chrono::{DateTime, FixedOffset, NaiveDate};
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

pub fn parse_date(text: &str) -> Result<LocalDate, FieldError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| FieldError::Validation {
        field: "date".into(),
        reason: "is not a date in the form YYYY-MM-DD".into(),
    })
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
        .ok_or_else(|| FieldError::Validation {
            field: "timestamp".into(),
            reason: "is not an RFC 3339 timestamp with an offset (2026-11-23T09:30:00+08:00)"
                .into(),
        })
}

/// A count the app passes in, as the core's `u32`: a negative one (or one past `u32::MAX`) is
/// refused with `FieldError.Validation` naming `field`, in the `setLocale` language.
pub fn count_in(field: &'static str, value: i64) -> Result<u32, FieldError> {
    let refused = |reason| fieldcore::Error::Validation { field, reason }.into();
    if value < 0 {
        return Err(refused(fieldcore::Invalid::Negative));
    }
    u32::try_from(value).map_err(|_| {
        refused(fieldcore::Invalid::TooMany {
            max: u32::MAX as usize,
        })
    })
}

/// A count of the core's, as the app reads it: every `u32` fits an `i64`.
pub fn count_out(value: u32) -> i64 {
    i64::from(value)
}

pub fn parse_case_id(text: &str) -> Result<CaseId, FieldError> {
    text.trim()
        .parse::<Uuid>()
        .map_err(|_| FieldError::Validation {
            field: "case_id".into(),
            reason: "is not a UUID".into(),
        })
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
    fn counts_refuse_negatives_and_round_trip() {
        assert_eq!(count_in("quantity", 0).unwrap(), 0);
        assert_eq!(count_in("quantity", 7).unwrap(), 7);
        assert_eq!(count_out(u32::MAX), 4_294_967_295);
        assert_eq!(count_in("quantity", count_out(u32::MAX)).unwrap(), u32::MAX);
        assert!(matches!(
            count_in("quantity", -1),
            Err(FieldError::Validation { field, reason })
                if field == "quantity" && reason == "must not be negative"
        ));
        assert!(matches!(
            count_in("quantity", i64::from(u32::MAX) + 1),
            Err(FieldError::Validation { field, .. }) if field == "quantity"
        ));
    }

    #[test]
    fn case_ids() {
        let id = Uuid::now_v7();
        assert_eq!(parse_case_id(&id.to_string().to_uppercase()).unwrap(), id);
        assert!(parse_case_id("2611-0042").is_err());
    }
}
