//! `fieldhq report …` and `fieldhq shipments import`: the monthly product-quality report
//! (产品质量信息月报) at a terminal — generate, issue, re-open, export — and the delivered
//! quantities PPM is computed against.

use std::path::PathBuf;

use clap::Subcommand;
use fieldcore::Locale;
use fieldhq::Storage;
use fieldhq::report::{self, ReportOptions, ReportView};

use crate::{print_json, to_json};

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Generate the report of a month from the read model (a draft; nothing is stored).
    Generate {
        /// YYYY-MM.
        #[arg(long)]
        month: String,
        /// text (a summary), html or json.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Issue (freeze) the report of a month: later cases of the month become amendments.
    Issue {
        #[arg(long)]
        month: String,
        /// The HQ user issuing it (quality, cs-manager or hq-staff).
        #[arg(long = "as", value_name = "USER")]
        user: String,
    },
    /// Re-open an issued report (quality only), with the reason; it may then be issued again.
    Reopen {
        #[arg(long)]
        month: String,
        #[arg(long = "as", value_name = "USER")]
        user: String,
        #[arg(long)]
        reason: String,
    },
    /// Write the report (issued, else a draft) as an Excel workbook and/or an HTML page.
    Export {
        #[arg(long)]
        month: String,
        #[arg(long)]
        xlsx: Option<PathBuf>,
        #[arg(long)]
        html: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ShipmentsCommand {
    /// Import delivered quantities per month and model (CSV: month,model,quantity).
    Import { file: PathBuf },
}

pub async fn run(
    storage: &Storage,
    command: ReportCommand,
    time_zone: chrono_tz::Tz,
    l: Locale,
) -> fieldhq::Result<()> {
    let options = || ReportOptions {
        time_zone,
        ..ReportOptions::default()
    };
    match command {
        ReportCommand::Generate { month, format } => {
            let view = report::view_with(storage, &month, options()).await?;
            match format.as_str() {
                "json" => print_json(&to_json(&view)?),
                "html" => {
                    println!("{}", report::html(&view, l));
                    Ok(())
                }
                "text" => {
                    print_summary(&view, l);
                    Ok(())
                }
                other => Err(fieldhq::Error::refused(
                    format!("--format is text, html or json, not {other:?}"),
                    format!("--format 应为 text、html 或 json，而不是 {other:?}"),
                )),
            }
        }
        ReportCommand::Issue { month, user } => {
            let by = report::user(storage, &user).await?;
            let issued = report::issue_with(storage, &month, &by, options()).await?;
            println!(
                "{}",
                l.pick(
                    format!(
                        "{} 质量月报已签发（{}）：投诉 {} 件",
                        issued.month, issued.issued_by, issued.report.total
                    ),
                    format!(
                        "report {} issued by {}: {} complaints",
                        issued.month, issued.issued_by, issued.report.total
                    )
                )
            );
            Ok(())
        }
        ReportCommand::Reopen {
            month,
            user,
            reason,
        } => {
            let by = report::user(storage, &user).await?;
            report::reopen(storage, &month, &by, &reason).await?;
            println!(
                "{}",
                l.pick(
                    format!("{month} 质量月报已重新开启（{user}）：{reason}"),
                    format!("report {month} re-opened by {user}: {reason}")
                )
            );
            Ok(())
        }
        ReportCommand::Export { month, xlsx, html } => {
            if xlsx.is_none() && html.is_none() {
                return Err(fieldhq::Error::refused(
                    "give --xlsx FILE, --html FILE or both",
                    "请指定 --xlsx 文件、--html 文件或两者",
                ));
            }
            let view = report::view_with(storage, &month, options()).await?;
            if let Some(path) = xlsx {
                std::fs::write(&path, report::excel(&view, l)?)?;
                println!("{}", path.display());
            }
            if let Some(path) = html {
                std::fs::write(&path, report::html(&view, l))?;
                println!("{}", path.display());
            }
            Ok(())
        }
    }
}

pub async fn shipments(
    storage: &Storage,
    command: ShipmentsCommand,
    l: Locale,
) -> fieldhq::Result<()> {
    match command {
        ShipmentsCommand::Import { file } => {
            let csv = std::fs::read_to_string(&file)?;
            let done = report::import_shipments(storage, &csv).await?;
            println!(
                "{}",
                l.pick(
                    format!(
                        "已导入 {} 行发货数据（{}），共 {} 台",
                        done.rows,
                        done.months.join("、"),
                        done.units
                    ),
                    format!(
                        "{} shipment rows imported ({}), {} units",
                        done.rows,
                        done.months.join(", "),
                        done.units
                    )
                )
            );
            Ok(())
        }
    }
}

fn print_summary(view: &ReportView, l: Locale) {
    let r = &view.report;
    let state = match &view.state {
        report::ReportState::Draft => l.pick("草稿", "draft").to_owned(),
        report::ReportState::Issued { by, .. } => {
            l.pick(format!("已签发（{by}）"), format!("issued by {by}"))
        }
    };
    println!(
        "{}",
        l.pick(
            format!("{} 产品质量信息月报：{state}", r.month),
            format!("Product quality report {}: {state}", r.month)
        )
    );
    let lines = [
        (l.pick("投诉总数", "complaints"), r.total.to_string()),
        (
            l.pick(
                "质量 / 非质量 / 未鉴定",
                "quality / non-quality / unconfirmed",
            ),
            format!(
                "{} / {} / {}",
                r.quality.quality, r.quality.non_quality, r.quality.unconfirmed
            ),
        ),
        (
            l.pick("重复发生 / 偶发", "recurring / occasional"),
            format!("{} / {}", r.frequency.recurring, r.frequency.occasional),
        ),
        (
            l.pick("退换货申请", "return and exchange requests"),
            r.returns.requests.to_string(),
        ),
        (
            "PPM",
            r.ppm.ppm.map_or_else(|| "—".to_owned(), |p| p.to_string()),
        ),
        (
            l.pick("净质量成本（元）", "net cost of quality (CNY)"),
            fieldhq::report_tables::yuan_text(r.cost.net_fen),
        ),
        (
            l.pick("期限达成 / 未达成", "deadlines met / missed"),
            format!("{} / {}", r.deadlines.met, r.deadlines.missed),
        ),
        (
            l.pick("要求纠正措施", "corrective actions requested"),
            r.corrective_actions.len().to_string(),
        ),
        (
            l.pick("迟到记录 / 补录", "late records / amendments"),
            format!("{} / {}", r.late_records.len(), view.amendments.len()),
        ),
    ];
    for (k, v) in lines {
        println!("  {k}: {v}");
    }
}
