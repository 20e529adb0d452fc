//! The policies a deployment configures, with DOMAIN's defaults. HQ owns them; the device
//! keeps the copy it last received and never edits it.

use serde::{Deserialize, Serialize};

use crate::rules::deadlines::DeadlinePolicy;
use crate::rules::returns::ReturnPolicy;
use crate::rules::stock::PartsPolicy;
use crate::rules::warranty::WarrantyPolicy;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Policies {
    pub warranty: WarrantyPolicy,
    pub deadlines: DeadlinePolicy,
    /// How evidence photos are normalised; absent in policies written before photos existed.
    #[serde(default)]
    pub photos: PhotoPolicy,
    /// When HQ raises escalations; absent in policies written before escalations existed.
    #[serde(default)]
    pub escalation: EscalationPolicy,
    /// Whether a site trip needs an approved trip request (出差申请); absent in older policies.
    #[serde(default)]
    pub trips: TripPolicy,
    /// Returns and exchanges: window, approval chains, re-inspection; absent in older policies.
    #[serde(default)]
    pub returns: ReturnPolicy,
    /// Spare parts: who approves requisitions and emergency purchases; absent in older policies.
    #[serde(default)]
    pub parts: PartsPolicy,
}

/// When HQ raises an escalation (ADR 0014). A major quality incident (重大质量事故) always
/// raises one at once; these set the batch-fault (批量故障) count and the overdue delay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EscalationPolicy {
    /// How many cases of one product model (and batch, where recorded) make a batch fault.
    pub batch_threshold: u32,
    /// Within how many days of the first of them (received times) the cases must arrive.
    pub batch_window_days: u32,
    /// How long after a missed deadline an overdue case goes to the supervisor, in hours.
    pub overdue_delay_hours: u32,
    /// The role an overdue case escalates to: the first responder's supervisor.
    pub supervisor_role: String,
    /// The role told of a major quality incident at once.
    pub incident_role: String,
    /// The role told of a batch fault, who starts the root-cause analysis.
    pub batch_role: String,
}

impl Default for EscalationPolicy {
    fn default() -> EscalationPolicy {
        EscalationPolicy {
            // DOMAIN: "the same defect at several customers"; three is the least that is
            // "several" and not a coincidence of two, within a month's reporting period.
            batch_threshold: 3,
            batch_window_days: 30,
            // One working day past the deadline before the head of customer service is told.
            overdue_delay_hours: 24,
            supervisor_role: "cs_manager".into(),
            // DOMAIN: the vice president in charge is "told of major incidents at once";
            // quality does the root cause and the corrective actions of a batch fault.
            incident_role: "vp".into(),
            batch_role: "quality".into(),
        }
    }
}

/// Site trips (出差): whether `ArriveOnSite` needs an approved trip request, and who approves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TripPolicy {
    /// Off by default: an engineer offline at a customer site must still be able to record
    /// the visit; a deployment that wants prior approval turns it on (ADR 0014).
    pub approval_required: bool,
    /// The HQ role whose users may approve or reject a trip request.
    pub approver_role: String,
}

impl Default for TripPolicy {
    fn default() -> TripPolicy {
        TripPolicy {
            approval_required: false,
            approver_role: "hq_staff".into(),
        }
    }
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
        assert_eq!(p.escalation, EscalationPolicy::default());
        assert_eq!(p.trips, TripPolicy::default());
        assert_eq!(p.returns, ReturnPolicy::default());
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
