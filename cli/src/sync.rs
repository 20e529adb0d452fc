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
use crate::reason::{Reason, TokenSource};

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
                Reason::TokenFileUnreadable {
                    path: path.clone(),
                    detail: e.to_string(),
                },
            )
        })?;
        (
            first_line(std::io::BufReader::new(file))?,
            TokenSource::File,
        )
    } else if args.token_stdin {
        (first_line(std::io::stdin().lock())?, TokenSource::Stdin)
    } else if let Some(token) = &args.token {
        (token.clone(), TokenSource::Flag)
    } else {
        return Err(CliError::invalid("token", Reason::NoToken));
    };
    let token = line.trim();
    if token.is_empty() {
        return Err(CliError::invalid("token", Reason::EmptyToken(from)));
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
    let l = crate::output::locale();
    let mut progress = |p: &SyncProgress| {
        let _ = out.line(&l.pick(
            format!(
                "第 {} 轮：上传 {} 个案件，下载 {} 个，{} 个待同步；照片已上传 {} 张，还有 {} 张",
                p.rounds,
                p.pushed_cases,
                p.pulled_cases,
                p.pending_cases,
                p.photos_uploaded,
                p.photos_pending
            ),
            format!(
                "round {}: pushed {} cases, pulled {}, {} pending; photos {} up, {} to go",
                p.rounds,
                p.pushed_cases,
                p.pulled_cases,
                p.pending_cases,
                p.photos_uploaded,
                p.photos_pending
            ),
        ));
    };
    let report = store.sync(&config, &mut progress, &CancelToken::new())?;
    if out.is_json() {
        return out.json_value(&serde_json::to_value(report).unwrap_or_default());
    }
    let (ms, p, conflicts) = (report.millis, &report.progress, report.conflicts);
    out.line(&l.pick(
        format!(
            "同步完成，用时 {ms} 毫秒：{} 轮，上传 {} 个案件，下载 {} 个，上传照片 {} 张，发送 {} B，接收 {} B，{conflicts} 个案件有冲突",
            p.rounds,
            p.pushed_cases,
            p.pulled_cases,
            p.photos_uploaded,
            p.bytes_sent,
            p.bytes_received,
        ),
        format!(
            "synced in {ms} ms: {} rounds, {} cases pushed, {} pulled, {} photos uploaded, {} B sent, {} B received, {conflicts} cases in conflict",
            p.rounds,
            p.pushed_cases,
            p.pulled_cases,
            p.photos_uploaded,
            p.bytes_sent,
            p.bytes_received,
        ),
    ))?;
    if report.refused > 0 {
        let n = report.refused;
        out.line(&l.pick(
            format!(
                "总部拒收了 {n} 个案件上未上传的工作：这些案件已改派或转给他人。\
                 工作保留在本设备上，总部把案件交还给你后会上传。"
            ),
            format!(
                "HQ refused the unsent work on {n} case(s): they were routed or assigned away from you. \
                 The work is kept on this device and goes up if HQ gives the case back."
            ),
        ))?;
    }
    if report.rejected > 0 {
        let n = report.rejected;
        out.line(&l.pick(
            format!(
                "总部退回了 {n} 个案件上未上传的工作；原因见 `fieldctl case show`。\
                 工作保留在本设备上。"
            ),
            format!(
                "HQ rejected the unsent work on {n} case(s); `fieldctl case show` says why. \
                 The work is kept on this device."
            ),
        ))?;
    }
    Ok(())
}
