//! The monthly product-quality report (产品质量信息月报, ADR 0025): generated for a month from
//! HQ's read model (never the documents), issued (frozen as a JSON snapshot, with who and
//! when), re-opened only by quality with a reason, viewed with its amendments.
//!
//! A case that reaches HQ after its month was issued never changes the issued report: it is
//! listed in that month's amendments and in the next report's late records (the first report
//! generated after it arrived that is not issued yet).

use std::collections::{HashMap, HashSet};

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{Role, User};
use crate::error::{Error, Result};
use crate::report_sections::{self as sections, ComplaintLine, Inputs, Month};
use crate::storage::{QualityReportRow, ReportCaseRow, ReportLogRow, Storage, Tx};

pub use crate::report_sections::MonthlyReport;

/// What a report is generated against: the company's time zone (month bounds of escalations)
/// and "now" (what is past due).
#[derive(Debug, Clone, Copy)]
pub struct ReportOptions {
    pub time_zone: Tz,
    /// Unix seconds.
    pub now: i64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            time_zone: crate::state::DEFAULT_TIME_ZONE,
            now: crate::storage::unix_now(),
        }
    }
}

/// An issued report: the frozen report and who issued it when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedReport {
    pub month: String,
    pub issued_by: String,
    /// Unix seconds.
    pub issued_at: i64,
    pub report: MonthlyReport,
}

/// Where a month's report stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReportState {
    /// Not issued (or re-opened): the report is generated live.
    Draft,
    Issued {
        by: String,
        at: i64,
    },
}

/// A month's report as the console and the exports show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub state: ReportState,
    pub report: MonthlyReport,
    /// Complaints of the month that reached HQ after it was issued (empty for a draft).
    pub amendments: Vec<ComplaintLine>,
    /// Every issue and re-opening of the month, oldest first.
    pub log: Vec<ReportLogRow>,
}

/// Generates the report of `month` (`YYYY-MM`) from the read model, now.
pub async fn generate(storage: &Storage, month: &str) -> Result<MonthlyReport> {
    generate_with(storage, month, ReportOptions::default()).await
}

/// [`generate`] at a given time and time zone.
pub async fn generate_with(
    storage: &Storage,
    month: &str,
    options: ReportOptions,
) -> Result<MonthlyReport> {
    let month = Month::parse(month)?;
    storage
        .read(move |tx| Box::pin(async move { generate_in(tx, month, options).await }))
        .await
}

/// The snapshots of issued months: their complaint ids and the late records they list.
struct IssuedSets {
    /// Month → the complaints its frozen report lists.
    listed: HashMap<Month, HashSet<Uuid>>,
    /// Every case an issued report of a month before lists as a late record, by that month.
    late_listed: Vec<(Month, Uuid)>,
}

async fn issued_sets(tx: &mut dyn Tx) -> Result<IssuedSets> {
    let mut sets = IssuedSets {
        listed: HashMap::new(),
        late_listed: Vec::new(),
    };
    for row in tx.issued_quality_reports().await? {
        let month = Month::parse(&row.month)?;
        let report = snapshot_of(&row)?;
        sets.listed
            .insert(month, report.complaints.iter().map(|c| c.case_id).collect());
        sets.late_listed
            .extend(report.late_records.iter().map(|c| (month, c.case_id)));
    }
    Ok(sets)
}

fn snapshot_of(row: &QualityReportRow) -> Result<MonthlyReport> {
    serde_json::from_str(&row.snapshot_json).map_err(|e| {
        Error::internal(format!(
            "the issued report of {} does not read: {e}",
            row.month
        ))
    })
}

/// Late records for `month`'s report: complaints of an earlier issued month that its frozen
/// report does not list and no issued report of a month before `month` lists as late.
async fn late_records(
    tx: &mut dyn Tx,
    month: Month,
    sets: &IssuedSets,
) -> Result<Vec<ReportCaseRow>> {
    let earlier: Vec<Month> = sets
        .listed
        .keys()
        .filter(|m| **m < month)
        .copied()
        .collect();
    if earlier.is_empty() {
        return Ok(Vec::new());
    }
    let already: HashSet<Uuid> = sets
        .late_listed
        .iter()
        .filter(|(m, _)| *m < month)
        .map(|(_, id)| *id)
        .collect();
    let months: Vec<String> = earlier.iter().map(|m| m.yymm()).collect();
    let rows = tx.report_cases(&months).await?;
    Ok(rows
        .into_iter()
        .filter(|c| {
            let listed = Month::from_yymm(&c.received_month)
                .and_then(|m| sets.listed.get(&m))
                .is_some_and(|ids| ids.contains(&c.case_id));
            !listed && !already.contains(&c.case_id)
        })
        .collect())
}

/// Generates the report inside a transaction.
pub async fn generate_in(
    tx: &mut dyn Tx,
    month: Month,
    options: ReportOptions,
) -> Result<MonthlyReport> {
    let yymm = month.yymm();
    let cases = tx.report_cases(std::slice::from_ref(&yymm)).await?;
    let keys = tx.report_keys(&sections::key_months(month)).await?;
    let month_counts = tx.month_counts().await?;
    let part_lines = tx.report_part_lines(&yymm).await?;
    let returns = tx.report_returns(&yymm).await?;
    let shipments = tx.shipments(std::slice::from_ref(&yymm)).await?;
    let escalations = tx.escalations(None).await?;
    let catalog = match tx.reference().await? {
        Some(reference) => sections::catalog_costs(&reference.catalogs_json),
        None => HashMap::new(),
    };
    let sets = issued_sets(tx).await?;
    let late = late_records(tx, month, &sets).await?;
    Ok(sections::compute(&Inputs {
        month,
        now: options.now,
        time_zone: options.time_zone,
        cases: &cases,
        keys: &keys,
        month_counts: &month_counts,
        part_lines: &part_lines,
        catalog: &catalog,
        returns: &returns,
        shipments: &shipments,
        escalations: &escalations,
        late: &late,
    }))
}

/// Who may issue a report: quality, which writes it, and customer service's head and staff,
/// who compile it with quality.
fn may_issue(role: Role) -> bool {
    matches!(role, Role::Quality | Role::CsManager | Role::HqStaff)
}

/// Issues (freezes) the report of `month`, now.
pub async fn issue(storage: &Storage, month: &str, by: &User) -> Result<IssuedReport> {
    issue_with(storage, month, by, ReportOptions::default()).await
}

/// [`issue`] at a given time and time zone.
pub async fn issue_with(
    storage: &Storage,
    month: &str,
    by: &User,
    options: ReportOptions,
) -> Result<IssuedReport> {
    let month = Month::parse(month)?;
    if !may_issue(by.role) {
        return Err(Error::refused(
            format!(
                "{} ({}) may not issue the monthly report: quality, cs_manager or hq_staff does",
                by.name,
                by.role.as_str()
            ),
            format!(
                "{} 无权签发质量月报：由品保部、客服部负责人或客服人员签发",
                by.name
            ),
        ));
    }
    let by_name = by.name.clone();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                if let Some(row) = tx.quality_report(&month.to_string()).await?
                    && row.status == "issued"
                {
                    return Err(already_issued(month, &row));
                }
                let report = generate_in(tx, month, options).await?;
                let snapshot_json = serde_json::to_string(&report)
                    .map_err(|e| Error::internal(format!("the report as JSON: {e}")))?;
                let row = QualityReportRow {
                    month: month.to_string(),
                    status: "issued".into(),
                    snapshot_json,
                    issued_by: by_name.clone(),
                    issued_at: options.now,
                };
                if !tx.issue_quality_report(&row).await? {
                    return Err(already_issued(month, &row));
                }
                tracing::info!(%month, by = %by_name, complaints = report.total, "quality report issued");
                Ok(IssuedReport {
                    month: month.to_string(),
                    issued_by: by_name,
                    issued_at: options.now,
                    report,
                })
            })
        })
        .await
}

fn already_issued(month: Month, row: &QualityReportRow) -> Error {
    Error::refused(
        format!(
            "the report of {month} was issued by {} already; quality may re-open it with a reason",
            row.issued_by
        ),
        format!(
            "{month} 的质量月报已由 {} 签发；如需修改，由品保部填写原因后重新开启",
            row.issued_by
        ),
    )
}

/// Re-opens the issued report of `month`: quality only, with a reason; logged.
pub async fn reopen(storage: &Storage, month: &str, by: &User, reason: &str) -> Result<()> {
    reopen_at(storage, month, by, reason, crate::storage::unix_now()).await
}

/// [`reopen`] at a given time.
pub async fn reopen_at(
    storage: &Storage,
    month: &str,
    by: &User,
    reason: &str,
    at: i64,
) -> Result<()> {
    let month = Month::parse(month)?;
    if by.role != Role::Quality {
        return Err(Error::refused(
            format!(
                "{} ({}) may not re-open an issued report: only quality does",
                by.name,
                by.role.as_str()
            ),
            format!("{} 无权重新开启已签发的月报：仅品保部可以", by.name),
        ));
    }
    let reason = reason.trim().to_owned();
    if reason.is_empty() {
        return Err(Error::refused(
            "re-opening an issued report needs a reason",
            "重新开启已签发的月报须填写原因",
        ));
    }
    let name = by.name.clone();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                if !tx
                    .reopen_quality_report(&month.to_string(), &name, &reason, at)
                    .await?
                {
                    return Err(Error::refused(
                        format!("the report of {month} is not issued: nothing to re-open"),
                        format!("{month} 的月报尚未签发，无需重新开启"),
                    ));
                }
                tracing::info!(%month, by = %name, %reason, "quality report re-opened");
                Ok(())
            })
        })
        .await
}

/// The report of `month`: the frozen one with its amendments if issued, else a live draft.
pub async fn view(storage: &Storage, month: &str) -> Result<ReportView> {
    view_with(storage, month, ReportOptions::default()).await
}

/// [`view`] at a given time and time zone (for the draft).
pub async fn view_with(
    storage: &Storage,
    month: &str,
    options: ReportOptions,
) -> Result<ReportView> {
    let month = Month::parse(month)?;
    storage
        .read(move |tx| {
            Box::pin(async move {
                let log = tx.quality_report_log(&month.to_string()).await?;
                match tx.quality_report(&month.to_string()).await? {
                    Some(row) if row.status == "issued" => {
                        let report = snapshot_of(&row)?;
                        let listed: HashSet<Uuid> =
                            report.complaints.iter().map(|c| c.case_id).collect();
                        let amendments = tx
                            .report_cases(&[month.yymm()])
                            .await?
                            .iter()
                            .filter(|c| !listed.contains(&c.case_id))
                            .map(|c| sections::line_of(c, false))
                            .collect();
                        Ok(ReportView {
                            state: ReportState::Issued {
                                by: row.issued_by,
                                at: row.issued_at,
                            },
                            report,
                            amendments,
                            log,
                        })
                    }
                    _ => Ok(ReportView {
                        state: ReportState::Draft,
                        report: generate_in(tx, month, options).await?,
                        amendments: Vec::new(),
                        log,
                    }),
                }
            })
        })
        .await
}

/// The HQ user named `name`, for the commands' `--as`.
pub async fn user(storage: &Storage, name: &str) -> Result<User> {
    let name = name.to_owned();
    storage
        .read(move |tx| {
            Box::pin(async move {
                tx.user_by_name(&name).await?.ok_or_else(|| {
                    Error::refused(
                        format!("no HQ user named {name:?}"),
                        format!("没有名为 {name:?} 的总部用户"),
                    )
                })
            })
        })
        .await
}

/// The report as a print-friendly HTML page (see [`crate::report_html`]).
pub fn html(report: &ReportView, locale: fieldcore::Locale) -> String {
    crate::report_html::html(report, locale)
}

/// The report as an Excel workbook (see [`crate::report_excel`]).
pub fn excel(report: &ReportView, locale: fieldcore::Locale) -> Result<Vec<u8>> {
    crate::report_excel::excel(report, locale)
}

pub use crate::shipments::{ShipmentImport, import_shipments};
