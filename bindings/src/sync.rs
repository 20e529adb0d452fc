//! Sync with HQ as records: where HQ is (`SyncConfig`), how far a sync has got
//! (`SyncProgress`, inside `ProgressUpdate`), what it did (`SyncReport`), and how a case stands
//! with HQ (`CaseSyncState`). The calls themselves are `FieldStore.sync` and
//! `FieldStore.fetch_photo`; the protocol, retries and TLS are the core's.

use std::time::Duration;

use fieldcore as core;
use fieldcore::{CaseSyncState, Invalid, Role};

use crate::convert::{self, signed, signed32};
use crate::error::{FieldError, Result};

/// Where HQ is and how to reach it. Only `hq_url` and `token` are needed; the rest have
/// defaults that suit a phone on a mobile network.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncConfig {
    /// `https://hq.example.com` (plain `http://` only for a test bench on loopback).
    pub hq_url: String,
    /// The device token `fieldhq device enrol` printed for this install. Keep it in the
    /// platform's secure storage (Keystore-backed on Android, the Keychain on iOS).
    pub token: String,
    /// HQ's certificate (PEM). When set it is the only one trusted (a private HQ, or pinning
    /// against a compromised public CA); otherwise the web PKI roots bundled in the library
    /// are. The platform's trust store is never used (docs/adr/0006).
    #[uniffi(default)]
    pub pinned_certificate_pem: Option<String>,
    /// Seconds one request may take before it counts as failed and is retried (default 60).
    #[uniffi(default)]
    pub request_timeout_seconds: Option<i32>,
    /// Attempts per request before the sync gives up with `FieldError.Network` (default 6,
    /// with exponential backoff and jitter between them).
    #[uniffi(default)]
    pub max_attempts: Option<i32>,
    /// Upload the photos HQ does not have yet after the cases. Turn off on a metered network
    /// to send only the (small) case changes.
    #[uniffi(default = true)]
    pub upload_photos: bool,
}

/// A sync's running counters, reported after every round trip and every photo upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, uniffi::Record)]
pub struct SyncProgress {
    /// Round trips to HQ so far.
    pub rounds: i32,
    /// Cases whose changes HQ has acknowledged.
    pub pushed_cases: i64,
    /// Cases received from HQ (new ones, and others' changes to known ones).
    pub pulled_cases: i64,
    /// Cases with changes still waiting to go up.
    pub pending_cases: i64,
    pub photos_uploaded: i64,
    pub photos_pending: i64,
    pub bytes_sent: i64,
    pub bytes_received: i64,
    /// Failed attempts that were retried.
    pub retries: i32,
}

/// What a finished sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    pub progress: SyncProgress,
    /// Cases that needed a repair round (a whole document sent or received).
    pub repairs: i64,
    /// Cases now showing a conflict for a person to resolve (`CaseView.conflicts`).
    pub conflicts: i64,
    /// Cases holding work HQ refused because this user may no longer write them (see
    /// `CaseSyncState.Refused`).
    pub refused: i64,
    /// Cases HQ rejected for what the push would do to them (see `CaseSyncState.Rejected`
    /// and `CaseView.syncReason`).
    pub rejected: i64,
    /// Cases HQ sent that this app version could not read, set aside (see
    /// `CaseSyncState.Quarantined`).
    pub quarantined: i64,
    pub millis: i64,
}

/// A user's role as HQ records it (the core's own type): which fields the user may write.
#[uniffi::remote(Enum)]
pub enum Role {
    /// Field service engineer, on site.
    Engineer,
    /// Repair-center technician.
    Technician,
    /// HQ customer-service staff.
    HqStaff,
    /// The customer-service manager: reviews returns, approves replenishment.
    CsManager,
    /// The vice president in charge: approves returns.
    Vp,
    /// Quality: re-inspection, the return-analysis report.
    Quality,
    /// The warehouse: receives returned goods and re-inspects them.
    Warehouse,
}

/// How a case stands with HQ, for a badge on its row or screen (the core's own type).
#[uniffi::remote(Enum)]
pub enum CaseSyncState {
    /// Work done on this device that HQ has not acknowledged yet.
    Pending,
    /// HQ has everything this device did.
    Synced,
    /// Synced, but devices disagree on a decision a person must resolve.
    Conflict,
    /// HQ refused this device's unsent work: the case was routed or reassigned away from this
    /// user. The work stays on the device and goes up if HQ gives the case back.
    Refused,
    /// HQ refused this device's unsent work for what it would do to the case (see
    /// `CaseView.syncReason`); the work stays and goes up again once the user changes the case.
    Rejected,
    /// HQ sent this case in a form this app version cannot read (a value only a newer version
    /// knows, or a damaged change): it is set aside and every other case syncs on.
    Quarantined,
    /// HQ archived this closed case and takes no changes to it; the device keeps its copy and
    /// any unsent work, which goes up again once HQ restores the case.
    Archived,
}

impl TryFrom<SyncConfig> for core::SyncConfig {
    type Error = FieldError;

    /// The core's configuration with its defaults, overridden where the app set a value.
    /// Zero is refused rather than passed on: no timeout or no attempt would make every sync
    /// fail in a way that looks like a network fault.
    fn try_from(config: SyncConfig) -> Result<core::SyncConfig> {
        if config.hq_url.trim().is_empty() {
            return Err(invalid("hq_url", Invalid::Required));
        }
        if config.token.trim().is_empty() {
            return Err(invalid("token", Invalid::Required));
        }
        let mut core = core::SyncConfig::new(config.hq_url.trim(), config.token.trim());
        core.pinned_certificate_pem = config.pinned_certificate_pem;
        if let Some(seconds) = config.request_timeout_seconds {
            let seconds: u32 = convert::unsigned("request_timeout_seconds", seconds)?;
            if seconds == 0 {
                return Err(invalid("request_timeout_seconds", Invalid::AtLeastOne));
            }
            core.request_timeout = Duration::from_secs(seconds.into());
        }
        if let Some(attempts) = config.max_attempts {
            let attempts: u32 = convert::unsigned("max_attempts", attempts)?;
            if attempts == 0 {
                return Err(invalid("max_attempts", Invalid::AtLeastOne));
            }
            core.max_attempts = attempts;
        }
        core.upload_photos = config.upload_photos;
        Ok(core)
    }
}

/// A refusal worded and coded by the core's catalogue.
fn invalid(field: &'static str, reason: Invalid) -> FieldError {
    core::Error::Validation { field, reason }.into()
}

impl From<&core::SyncProgress> for SyncProgress {
    fn from(p: &core::SyncProgress) -> SyncProgress {
        SyncProgress {
            rounds: signed32(p.rounds),
            pushed_cases: signed(p.pushed_cases),
            pulled_cases: signed(p.pulled_cases),
            pending_cases: signed(p.pending_cases),
            photos_uploaded: signed(p.photos_uploaded),
            photos_pending: signed(p.photos_pending),
            bytes_sent: signed(p.bytes_sent),
            bytes_received: signed(p.bytes_received),
            retries: signed32(p.retries),
        }
    }
}

impl From<core::SyncReport> for SyncReport {
    fn from(r: core::SyncReport) -> SyncReport {
        SyncReport {
            progress: (&r.progress).into(),
            repairs: signed(r.repairs),
            conflicts: signed(r.conflicts),
            refused: signed(r.refused),
            rejected: signed(r.rejected),
            quarantined: signed(r.quarantined),
            millis: signed(r.millis),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SyncConfig {
        SyncConfig {
            hq_url: " https://hq.example.com/ ".into(),
            token: "t0ken".into(),
            pinned_certificate_pem: None,
            request_timeout_seconds: None,
            max_attempts: None,
            upload_photos: true,
        }
    }

    #[test]
    fn defaults_are_the_cores() {
        let core = core::SyncConfig::try_from(config()).unwrap();
        let defaults = core::SyncConfig::new("https://hq.example.com", "t0ken");
        assert_eq!(core.hq_url, "https://hq.example.com");
        assert_eq!(core.request_timeout, defaults.request_timeout);
        assert_eq!(core.max_attempts, defaults.max_attempts);
        assert!(core.upload_photos);
    }

    #[test]
    fn overrides_apply_and_zero_is_refused() {
        let mut c = config();
        c.request_timeout_seconds = Some(5);
        c.max_attempts = Some(1);
        c.upload_photos = false;
        let core = core::SyncConfig::try_from(c.clone()).unwrap();
        assert_eq!(core.request_timeout, Duration::from_secs(5));
        assert_eq!(core.max_attempts, 1);
        assert!(!core.upload_photos);

        c.max_attempts = Some(0);
        let e = core::SyncConfig::try_from(c.clone()).unwrap_err();
        assert!(matches!(e, FieldError::Validation { field, .. } if field == "max_attempts"));
        c.max_attempts = None;
        c.request_timeout_seconds = Some(0);
        let e = core::SyncConfig::try_from(c.clone()).unwrap_err();
        assert!(
            matches!(e, FieldError::Validation { field, .. } if field == "request_timeout_seconds")
        );
        c.request_timeout_seconds = Some(-5);
        let e = core::SyncConfig::try_from(c.clone()).unwrap_err();
        assert_eq!(e.code(), "validation.negative");
        c.request_timeout_seconds = None;
        c.token = " ".into();
        let e = core::SyncConfig::try_from(c).unwrap_err();
        assert!(matches!(e, FieldError::Validation { field, .. } if field == "token"));
    }
}
