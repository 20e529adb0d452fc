//! `fieldctl sync`: sync the device's store with HQ, printing progress as it goes.

use fieldcore::{CancelToken, SyncConfig, SyncProgress};

use crate::device::Env;
use crate::error::Result;
use crate::output::Printer;

/// Where HQ is and this device's token; flags win over FIELDCTL_HQ / FIELDCTL_TOKEN.
pub struct SyncArgs {
    pub hq: String,
    pub token: String,
    pub pinned_certificate: Option<std::path::PathBuf>,
}

pub fn run(env: &Env, args: &SyncArgs, out: &Printer) -> Result<()> {
    let mut store = env.open_existing()?;
    let mut config = SyncConfig::new(&args.hq, &args.token);
    if let Some(path) = &args.pinned_certificate {
        config.pinned_certificate_pem = Some(std::fs::read_to_string(path)?);
    }
    let mut progress = |p: &SyncProgress| {
        let _ = out.line(&format!(
            "round {}: pushed {} cases, pulled {}, {} pending; photos {} up, {} to go",
            p.rounds,
            p.pushed_cases,
            p.pulled_cases,
            p.pending_cases,
            p.photos_uploaded,
            p.photos_pending
        ));
    };
    let report = store.sync(&config, &mut progress, &CancelToken::new())?;
    if out.is_json() {
        return out.json_value(&serde_json::to_value(report).unwrap_or_default());
    }
    out.line(&format!(
        "synced in {} ms: {} rounds, {} cases pushed, {} pulled, {} photos uploaded, {} B sent, {} B received, {} cases in conflict",
        report.millis,
        report.progress.rounds,
        report.progress.pushed_cases,
        report.progress.pulled_cases,
        report.progress.photos_uploaded,
        report.progress.bytes_sent,
        report.progress.bytes_received,
        report.conflicts
    ))?;
    if report.refused > 0 {
        out.line(&format!(
            "HQ refused the unsent work on {} case(s): they were routed or assigned away from you. \
             The work is kept on this device and goes up if HQ gives the case back.",
            report.refused
        ))?;
    }
    if report.rejected > 0 {
        out.line(&format!(
            "HQ rejected the unsent work on {} case(s); `fieldctl case show` says why. \
             The work is kept on this device.",
            report.rejected
        ))?;
    }
    Ok(())
}
