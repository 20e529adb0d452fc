//! `fieldctl sync`: sync the device's store with HQ, printing progress as it goes.
//!
//! The device token is read from a file (`--token-file`), standard input (`--token-stdin`) or
//! `FIELDCTL_TOKEN`, so it never has to be on the command line, where `ps` shows it to every
//! user of the machine. `--token` still works, for scripts that pass it knowingly.

use fieldcore::{CancelToken, SyncConfig, SyncProgress};

use std::io::BufRead;

use crate::device::Env;
use crate::error::{CliError, Result};
use crate::output::Printer;

/// Where HQ is and this device's token; flags win over FIELDCTL_HQ / FIELDCTL_TOKEN.
pub struct SyncArgs {
    pub hq: String,
    pub token: String,
    pub pinned_certificate: Option<std::path::PathBuf>,
}

/// The token the command line points at: the first line of `--token-file` or of standard
/// input (`--token-stdin`), else `--token` / `FIELDCTL_TOKEN`.
pub fn token(args: &crate::args::SyncArgs) -> Result<String> {
    let (line, from) = if let Some(path) = &args.token_file {
        let file = std::fs::File::open(path).map_err(|e| {
            CliError::invalid(
                "token",
                format!("the token file {} cannot be read: {e}", path.display()),
            )
        })?;
        (first_line(std::io::BufReader::new(file))?, "the token file")
    } else if args.token_stdin {
        (first_line(std::io::stdin().lock())?, "standard input")
    } else if let Some(token) = &args.token {
        (token.clone(), "--token")
    } else {
        return Err(CliError::invalid(
            "token",
            "no device token: pass --token-file FILE or --token-stdin, or set FIELDCTL_TOKEN",
        ));
    };
    let token = line.trim();
    if token.is_empty() {
        return Err(CliError::invalid("token", format!("{from} holds no token")));
    }
    Ok(token.to_owned())
}

/// The first line of a token source, at most a few KiB (a token is 64 characters).
fn first_line(reader: impl BufRead) -> Result<String> {
    let mut line = String::new();
    reader.take(4096).read_line(&mut line)?;
    Ok(line)
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
