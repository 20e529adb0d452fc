//! The monthly quality report in the console: the month's report (the frozen one with its
//! amendments once issued, else a live draft) shown as the print page `fieldhq report export
//! --html` writes, the forms that issue and re-open it, and its Excel workbook. Each calls the
//! function `fieldhq report` calls, which checks the role.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{Datelike, TimeZone};
use serde::Deserialize;

use super::access::Page;
use super::auth::Signed;
use super::lang::Lang;
use super::pages::{encode, local_time};
use super::view::{Chrome, ConsoleError, html};
use crate::report::{self, ReportOptions, ReportState, ReportView};
use crate::report_sections::Month;
use crate::state::AppState;

type PageResult = Result<Response, ConsoleError>;

#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub ok: String,
}

/// The month asked for, or the month before this one in the company's time zone: the report
/// of month M is written in the first days of M+1.
fn month_of(asked: &str, state: &AppState) -> Result<Month, ConsoleError> {
    if !asked.trim().is_empty() {
        return Ok(Month::parse(asked)?);
    }
    let now = state
        .time_zone()
        .from_utc_datetime(&state.now().naive_utc());
    Ok(Month {
        year: now.year(),
        month: now.month(),
    }
    .minus(1))
}

/// The month asked for and its report, for a role that may open the page.
async fn month_view(
    state: &AppState,
    signed: &Signed,
    asked: &str,
) -> Result<(Month, ReportView), ConsoleError> {
    signed.may_open(Page::Report)?;
    let month = month_of(asked, state)?;
    let view = report::view_with(state.storage(), &month.to_string(), options(state)).await?;
    Ok((month, view))
}

fn options(state: &AppState) -> ReportOptions {
    ReportOptions {
        time_zone: state.time_zone(),
        now: state.now().timestamp(),
    }
}

#[derive(Template)]
#[template(path = "console/report.html")]
pub struct ReportTemplate {
    pub chrome: Chrome,
    pub l: Lang,
    pub month: String,
    pub status: String,
    pub issued: bool,
    pub complaints: usize,
    pub amendments: usize,
    pub log: Vec<String>,
    pub notice: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    signed: Signed,
    l: Lang,
    Query(query): Query<MonthQuery>,
) -> PageResult {
    let (month, view) = month_view(&state, &signed, &query.month).await?;
    let tz = state.time_zone();
    let (status, issued) = match &view.state {
        ReportState::Draft => (
            l.t("草稿（未签发）", "Draft (not issued)").to_owned(),
            false,
        ),
        ReportState::Issued { by, at } => (
            l.0.pick(
                format!("已由 {by} 于 {} 签发", local_time(*at, tz)),
                format!("Issued by {by} on {}", local_time(*at, tz)),
            ),
            true,
        ),
    };
    let log = view
        .log
        .iter()
        .map(|row| {
            let what = match row.action.as_str() {
                "issue" => l.t("签发", "issued"),
                "reopen" => l.t("重新打开", "re-opened"),
                other => other,
            };
            let reason = row
                .reason
                .as_deref()
                .map(|r| format!(" · {r}"))
                .unwrap_or_default();
            format!("{} {} {what}{reason}", local_time(row.at, tz), row.by_user)
        })
        .collect();
    let notice = match query.ok.as_str() {
        "issued" => Some(l.t("月报已签发", "The report is issued").to_owned()),
        "reopened" => Some(l.t("月报已重新打开", "The report is re-opened").to_owned()),
        _ => None,
    };
    html(&ReportTemplate {
        chrome: Chrome::new(
            &signed,
            l,
            Some(Page::Report),
            l.t("质量月报", "Monthly report"),
        ),
        l,
        month: month.to_string(),
        status,
        issued,
        complaints: view.report.complaints.len(),
        amendments: view.amendments.len(),
        log,
        notice,
    })
}

/// The print page of the month (`fieldhq report export --html`), shown inside the console's
/// page and printable on its own.
pub async fn print(
    State(state): State<AppState>,
    signed: Signed,
    l: Lang,
    Query(query): Query<MonthQuery>,
) -> PageResult {
    let (_, view) = month_view(&state, &signed, &query.month).await?;
    Ok(Html(report::html(&view, l.0)).into_response())
}

/// The month's Excel workbook (`fieldhq report export --xlsx`).
pub async fn workbook(
    State(state): State<AppState>,
    signed: Signed,
    l: Lang,
    Query(query): Query<MonthQuery>,
) -> PageResult {
    let (month, view) = month_view(&state, &signed, &query.month).await?;
    let bytes = report::excel(&view, l.0)?;
    let disposition = format!("attachment; filename=\"quality-report-{month}.xlsx\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

type Fields = Form<HashMap<String, String>>;

fn month_field(fields: &HashMap<String, String>) -> Result<Month, ConsoleError> {
    Ok(Month::parse(
        fields.get("month").map(String::as_str).unwrap_or(""),
    )?)
}

fn back(month: Month, ok: &str) -> Response {
    Redirect::to(&format!(
        "/console/report?month={}&ok={ok}",
        encode(&month.to_string())
    ))
    .into_response()
}

/// Issues (freezes) the month's report (`fieldhq report issue`).
pub async fn issue(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Fields,
) -> PageResult {
    signed.check_csrf(fields.get("csrf").map(String::as_str))?;
    signed.may_open(Page::Report)?;
    let month = month_field(&fields)?;
    report::issue_with(
        state.storage(),
        &month.to_string(),
        &signed.user,
        options(&state),
    )
    .await?;
    Ok(back(month, "issued"))
}

/// Re-opens an issued report, with the reason (`fieldhq report reopen`; quality only).
pub async fn reopen(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Fields,
) -> PageResult {
    signed.check_csrf(fields.get("csrf").map(String::as_str))?;
    signed.may_open(Page::Report)?;
    let month = month_field(&fields)?;
    let reason = fields.get("reason").map(|r| r.trim()).unwrap_or("");
    report::reopen_at(
        state.storage(),
        &month.to_string(),
        &signed.user,
        reason,
        state.now().timestamp(),
    )
    .await?;
    Ok(back(month, "reopened"))
}
