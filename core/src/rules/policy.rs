//! The policies a deployment configures, with DOMAIN's defaults. HQ owns them; the device
//! keeps the copy it last received and never edits it.

use serde::{Deserialize, Serialize};

use crate::rules::deadlines::DeadlinePolicy;
use crate::rules::warranty::WarrantyPolicy;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Policies {
    pub warranty: WarrantyPolicy,
    pub deadlines: DeadlinePolicy,
    /// How evidence photos are normalised; absent in policies written before photos existed.
    #[serde(default)]
    pub photos: PhotoPolicy,
}

const MIB: usize = 1024 * 1024;

/// How photos are normalised. HQ sets it; the defaults suit evidence photos of nameplates and
/// serial numbers, which must stay legible after resizing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PhotoPolicy {
    /// The longest edge of the stored photo, in pixels; smaller photos keep their size.
    pub max_edge: u32,
    /// The longest edge of the thumbnail, in pixels.
    pub thumbnail_edge: u32,
    /// JPEG quality, 1 to 100.
    pub jpeg_quality: u8,
    /// Keep the GPS position from the photo's EXIF (it is never written into the stored JPEG).
    pub keep_gps: bool,
    /// The largest file accepted, in bytes.
    pub max_input_bytes: usize,
    /// The most pixels (width × height) a photo may have before it is decoded.
    pub max_pixels: u64,
    /// The most memory the decoder may allocate, in bytes.
    pub max_decode_bytes: u64,
}

impl Default for PhotoPolicy {
    fn default() -> PhotoPolicy {
        PhotoPolicy {
            max_edge: 2048,
            thumbnail_edge: 320,
            jpeg_quality: 82,
            keep_gps: false,
            // A 108 MP phone photo at high quality is around 30 MiB.
            max_input_bytes: 40 * MIB,
            max_pixels: 64_000_000,
            max_decode_bytes: 512 * MIB as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::calendar::WorkingCalendar;

    /// Policies published before the calendar existed get the built-in schedules.
    #[test]
    fn policies_without_a_calendar_get_the_default() {
        let json = r#"{
            "warranty": {"category_months": {"motor": 24}, "model_months": {}},
            "deadlines": {
                "reply_hours": 12,
                "remedy_hours": 48,
                "report_days": 3,
                "close": {"kind": "working_days", "days": 5}
            }
        }"#;
        let p: Policies = serde_json::from_str(json).unwrap();
        assert_eq!(p.deadlines.reply_hours, 12);
        assert_eq!(p.deadlines.calendar, WorkingCalendar::default());
        assert!(p.deadlines.calendar.covers(2025) && p.deadlines.calendar.covers(2026));
        assert_eq!(p.photos, PhotoPolicy::default());
        // And a published calendar replaces it.
        let mut value = serde_json::to_value(&p).unwrap();
        value["deadlines"]["calendar"] = serde_json::json!({"years": {"2027": {
            "source": "test",
            "holidays": [{"name": "New Year", "first": "2027-01-01", "last": "2027-01-03"}],
            "make_up_working_days": []
        }}});
        let p: Policies = serde_json::from_value(value).unwrap();
        assert!(p.deadlines.calendar.covers(2027));
        assert!(!p.deadlines.calendar.covers(2026));
    }
}
