//! `fieldhq writeoff …`: the quarterly write-off (核销) of a holder's warranty parts, run from
//! HQ's read model, approved by its role (closing the quarter's ledger), its voucher exported.

use std::path::PathBuf;

use clap::Subcommand;
use fieldcore::{Locale, Localized};
use fieldhq::Storage;
use fieldhq::parts::{parse_holder, parse_quarter};

use crate::{print_json, to_json};

#[derive(Subcommand, Debug)]
pub enum WriteoffCommand {
    /// Reconcile a holder's quarter: parts issued to cases against old parts accounted for;
    /// lists every discrepancy. May run again until approved.
    Run {
        /// The holder (center:ID, dealer:ID, van:ID).
        #[arg(long, required_unless_present = "all")]
        holder: Option<String>,
        /// Every holder with a ledger or movements in the quarter, one line each; a holder
        /// refused (an approved quarter) is reported and the others run.
        #[arg(long, conflicts_with = "holder")]
        all: bool,
        #[arg(long)]
        quarter: String,
        #[arg(long)]
        by: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Approve the last run (cs_manager or quality): archives the voucher and closes the
    /// quarter's ledger.
    Approve {
        #[arg(long)]
        holder: String,
        #[arg(long)]
        quarter: String,
        #[arg(long)]
        by: String,
        /// The name printed on the voucher.
        #[arg(long, default_value = "总部客户服务部")]
        hq_name: String,
        /// A TrueType/OpenType font with Chinese glyphs for the PDF
        /// [default: fieldhq::forms::DEFAULT_FONTS, the first present].
        #[arg(long)]
        font: Option<PathBuf>,
    },
    /// Write an approved write-off's archived voucher: xlsx, pdf or html.
    Export {
        #[arg(long)]
        holder: String,
        #[arg(long)]
        quarter: String,
        #[arg(long, default_value = "xlsx")]
        format: String,
        /// The file to write [default: 核销-<holder>-<quarter>.<format>].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(
    storage: &Storage,
    blobs: &fieldhq::blobs::BlobLocation,
    command: WriteoffCommand,
    time_zone: chrono_tz::Tz,
    l: Locale,
) -> fieldhq::Result<()> {
    let now = chrono::Local::now().fixed_offset();
    match command {
        WriteoffCommand::Run {
            holder: None,
            quarter,
            by,
            json,
            ..
        } => run_all(storage, &quarter, by, now, time_zone, json, l).await,
        WriteoffCommand::Run {
            holder: Some(holder),
            quarter,
            by,
            json,
            ..
        } => {
            let holder = parse_holder(&holder)?.to_string();
            let quarter = parse_quarter(&quarter)?;
            let r = storage
                .transaction(move |tx| {
                    Box::pin(async move {
                        let input =
                            fieldhq::writeoff_input::input(tx, &holder, quarter, time_zone).await?;
                        fieldhq::writeoff::run_recorded(tx, &input, by.as_deref(), now).await
                    })
                })
                .await?;
            if json {
                return print_json(&to_json(&r)?);
            }
            println!(
                "{}",
                l.pick(
                    format!(
                        "{} {} 季度核对：{} 行，{} 处差异",
                        r.holder,
                        r.quarter,
                        r.lines.len(),
                        r.discrepancies.len()
                    ),
                    format!(
                        "{} {}: {} lines, {} discrepancies",
                        r.holder,
                        r.quarter,
                        r.lines.len(),
                        r.discrepancies.len()
                    )
                )
            );
            for d in &r.discrepancies {
                println!("  {}", d.text(l));
            }
            Ok(())
        }
        WriteoffCommand::Approve {
            holder,
            quarter,
            by,
            hq_name,
            font,
        } => {
            let holder = parse_holder(&holder)?;
            let quarter = parse_quarter(&quarter)?;
            let name = by.clone();
            let user = storage
                .read(move |tx| Box::pin(async move { tx.user_by_name(&name).await }))
                .await?
                .ok_or_else(|| {
                    fieldhq::Error::refused(
                        format!("no HQ user named {by:?}"),
                        format!("没有名为 {by:?} 的总部用户"),
                    )
                })?;
            let approval = fieldhq::writeoff::Approval {
                by: user,
                at: now,
                hq_name,
                time_zone,
                font: fieldhq::forms::load_font(font.as_deref())?,
            };
            let blobs = fieldhq::blobs::BlobStore::connect(blobs, false).await?;
            let approved = fieldhq::writeoff_input::approve_and_close(
                storage, blobs, holder, quarter, approval,
            )
            .await?;
            println!(
                "{}",
                l.pick(
                    format!(
                        "{} {} 季度核销已批准，凭证已归档，该季度台账已关闭",
                        approved.row.holder, approved.row.quarter
                    ),
                    format!(
                        "write-off of {} for {} approved: voucher archived, the quarter's ledger closed",
                        approved.row.holder, approved.row.quarter
                    )
                )
            );
            Ok(())
        }
        WriteoffCommand::Export {
            holder,
            quarter,
            format,
            out,
        } => {
            let holder = parse_holder(&holder)?.to_string();
            let quarter = parse_quarter(&quarter)?;
            let blobs = fieldhq::blobs::BlobStore::connect(blobs, false).await?;
            let key = holder.clone();
            let voucher = storage
                .read(move |tx| {
                    Box::pin(
                        async move { fieldhq::writeoff::export(tx, &blobs, &key, quarter).await },
                    )
                })
                .await?;
            let bytes = match format.as_str() {
                "xlsx" => voucher.xlsx,
                "pdf" => voucher.pdf,
                "html" => voucher.html.into_bytes(),
                other => {
                    return Err(fieldhq::Error::refused(
                        format!("unknown format {other:?}: xlsx, pdf or html"),
                        format!("未知格式 {other:?}：可选 xlsx、pdf、html"),
                    ));
                }
            };
            let out = out.unwrap_or_else(|| {
                PathBuf::from(format!(
                    "核销-{}-{quarter}.{format}",
                    holder.replace(':', "-")
                ))
            });
            std::fs::write(&out, bytes)
                .map_err(|e| fieldhq::Error::internal(format!("{}: {e}", out.display())))?;
            println!("{}", out.display());
            Ok(())
        }
    }
}

/// `writeoff run --all`: every holder's run of the quarter, one line (or JSON object) each;
/// fails at the end when any holder's run was refused, after all have been tried.
async fn run_all(
    storage: &Storage,
    quarter: &str,
    by: Option<String>,
    now: fieldcore::Timestamp,
    time_zone: chrono_tz::Tz,
    json: bool,
    l: Locale,
) -> fieldhq::Result<()> {
    let quarter = parse_quarter(quarter)?;
    let runs = fieldhq::writeoff_quarter::run_quarter(storage, quarter, by, now, time_zone).await?;
    let refused = runs.iter().filter(|r| r.outcome.is_err()).count();
    if json {
        let rows: Vec<serde_json::Value> = runs
            .iter()
            .map(|r| match &r.outcome {
                Ok(c) => serde_json::json!({
                    "holder": r.holder, "lines": c.lines, "discrepancies": c.discrepancies
                }),
                Err(e) => serde_json::json!({"holder": r.holder, "error": e.text(l)}),
            })
            .collect();
        print_json(&serde_json::Value::Array(rows))?;
    } else {
        for r in &runs {
            match &r.outcome {
                Ok(c) => println!(
                    "{}",
                    l.pick(
                        format!(
                            "{} {quarter}：{} 行，{} 处差异",
                            r.holder, c.lines, c.discrepancies
                        ),
                        format!(
                            "{} {quarter}: {} lines, {} discrepancies",
                            r.holder, c.lines, c.discrepancies
                        )
                    )
                ),
                Err(e) => println!("{} {quarter}: {}", r.holder, e.text(l)),
            }
        }
    }
    if refused > 0 {
        return Err(fieldhq::Error::Refused {
            zh: format!("{refused} 个持有方的核销未能运行（见上）"),
            en: format!("{refused} holders' write-offs could not run (see above)"),
        });
    }
    Ok(())
}
