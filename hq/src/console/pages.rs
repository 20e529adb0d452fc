//! The console's pages (GET): each checks the session and the role's right to open it, reads
//! through the same functions the `fieldhq` commands use, and renders a template.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono_tz::Tz;
use fieldcore::{Locale, Localized};
use serde::Deserialize;

use super::access::Page;
use super::auth::{self, LOGIN_COOKIE, Signed};
use super::lang::Lang;
use super::view::{Chrome, ConsoleError, html};
use crate::blobs::BlobStore;
use crate::error::Error;
use crate::returns::ReturnFilter;
use crate::state::AppState;
use crate::storage::{CaseIndexQuery, CaseIndexRow, PageKey};
use crate::{admin, escalation, parts, returns, writeoff};

/// Rows of the case list per page.
pub const PAGE_ROWS: u32 = 50;

type PageResult = Result<Response, ConsoleError>;

/// A time in the company's time zone, to the minute.
pub fn local_time(at: i64, tz: Tz) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Percent-encodes a query or path value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `/console`: the case list when signed in, else the sign-in page.
pub async fn home(signed: Result<Signed, ConsoleError>) -> Response {
    match signed {
        Ok(_) => Redirect::to("/console/cases").into_response(),
        Err(_) => Redirect::to("/console/login").into_response(),
    }
}

#[derive(Template)]
#[template(path = "console/login.html")]
pub struct LoginTemplate {
    pub l: Lang,
    pub login_token: String,
    pub name: String,
    pub message: Option<String>,
}

/// The sign-in page, with a fresh double-submit token in its form and its cookie.
pub fn login_page(
    l: Lang,
    headers: &HeaderMap,
    state: &AppState,
    status: StatusCode,
    name: String,
    message: Option<String>,
) -> PageResult {
    let token = auth::new_login_token();
    let mut response = html(&LoginTemplate {
        l,
        login_token: token.clone(),
        name,
        message,
    })?;
    *response.status_mut() = status;
    let secure = auth::secure(headers, state.console());
    response.headers_mut().append(
        header::SET_COOKIE,
        auth::set_cookie(LOGIN_COOKIE, &token, 3600, secure),
    );
    Ok(response)
}

pub async fn login(
    State(state): State<AppState>,
    l: Lang,
    headers: HeaderMap,
    signed: Result<Signed, ConsoleError>,
) -> PageResult {
    if signed.is_ok() {
        return Ok(Redirect::to("/console/cases").into_response());
    }
    login_page(l, &headers, &state, StatusCode::OK, String::new(), None)
}

// ---- Cases

/// The case list's filters, as the form sends them (empty fields are no filter).
#[derive(Debug, Default, Deserialize)]
pub struct CaseFilters {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub overdue: String,
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub cause: String,
    #[serde(default)]
    pub center: String,
    #[serde(default)]
    pub engineer: String,
    #[serde(default)]
    pub q: String,
    /// Which page this is, for its heading only: pages are found by `after` and `before`.
    #[serde(default)]
    pub page: u32,
    /// The page after the row of this key (the next-page link), or before it (previous).
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub before: String,
}

/// A row's place in the list as the paging links carry it: its number, with its next due
/// time first in the overdue list (`1780000000~2611-0042`).
fn page_key_text(row: &CaseIndexRow, overdue: bool) -> String {
    match (overdue, row.next_due_at) {
        (true, Some(due)) => format!("{due}~{}", row.number),
        _ => row.number.clone(),
    }
}

fn parse_page_key(text: &str) -> PageKey {
    match text.split_once('~') {
        Some((due, number)) => match due.parse() {
            Ok(due) => PageKey {
                next_due_at: Some(due),
                number: number.to_owned(),
            },
            Err(_) => PageKey {
                next_due_at: None,
                number: text.to_owned(),
            },
        },
        None => PageKey {
            next_due_at: None,
            number: text.to_owned(),
        },
    }
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl CaseFilters {
    /// The read-model query of one page (one row more than shown, to know a next page).
    pub fn query(&self, now: i64) -> CaseIndexQuery {
        // The form's month input gives `YYYY-MM`; the read model keys months as `YYMM`.
        let month = some(&self.month).map(|m| match m.split_once('-') {
            Some((y, mm)) if y.len() == 4 => format!("{}{mm}", &y[2..]),
            _ => m,
        });
        CaseIndexQuery {
            overdue_at: (!self.overdue.is_empty()).then_some(now),
            status: some(&self.status),
            month,
            model: some(&self.model),
            defect_cause: some(&self.cause),
            center: some(&self.center),
            category: some(&self.category),
            engineer: some(&self.engineer),
            search: some(&self.q),
            limit: Some(PAGE_ROWS + 1),
            // Keyset paging: a deep page reads no more rows than the first.
            offset: 0,
            after: self.cursor().map(|(key, _)| parse_page_key(key)),
            backwards: self.cursor().is_some_and(|(_, backwards)| backwards),
        }
    }

    /// The paging cursor and whether it pages backwards.
    fn cursor(&self) -> Option<(&str, bool)> {
        match (self.after.trim(), self.before.trim()) {
            ("", "") => None,
            (after, "") => Some((after, false)),
            (_, before) => Some((before, true)),
        }
    }

    /// The filters as a query string, for the paging links: `cursor` is `after=…` or
    /// `before=…`.
    fn query_string(&self, page: u32, cursor: (&str, &str)) -> String {
        let mut pairs = Vec::new();
        for (k, v) in [
            ("status", &self.status),
            ("overdue", &self.overdue),
            ("month", &self.month),
            ("model", &self.model),
            ("category", &self.category),
            ("cause", &self.cause),
            ("center", &self.center),
            ("engineer", &self.engineer),
            ("q", &self.q),
        ] {
            if !v.trim().is_empty() {
                pairs.push(format!("{k}={}", encode(v.trim())));
            }
        }
        pairs.push(format!("{}={}", cursor.0, encode(cursor.1)));
        pairs.push(format!("page={page}"));
        pairs.join("&")
    }
}

pub struct CaseLine {
    pub id: String,
    pub number: String,
    pub received: String,
    pub customer: String,
    pub model: String,
    pub category: String,
    pub status: String,
    pub engineer: String,
    pub center: String,
    pub next_due: String,
    pub overdue: bool,
    pub conflict: bool,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "console/cases.html")]
pub struct CasesTemplate {
    pub chrome: Chrome,
    pub l: Lang,
    pub filters: CaseFilters,
    pub statuses: Vec<Choice>,
    pub causes: Vec<Choice>,
    pub rows: Vec<CaseLine>,
    pub page: u32,
    pub prev: Option<String>,
    pub next: Option<String>,
}

fn status_text(status: &str, l: Locale) -> String {
    match fieldcore::Status::parse(status) {
        Some(s) => s.text(l),
        None => status.to_owned(),
    }
}

pub async fn cases(
    State(state): State<AppState>,
    signed: Signed,
    l: Lang,
    Query(filters): Query<CaseFilters>,
) -> PageResult {
    signed.may_open(Page::Cases)?;
    let now = state.now().timestamp();
    let tz = state.time_zone();
    let query = filters.query(now);
    let overdue = query.overdue_at.is_some();
    let backwards = query.backwards;
    let mut rows = admin::case_index(state.storage(), query).await?;
    // One row more than a page says whether there is a page beyond, in the paging direction.
    let more = rows.len() > PAGE_ROWS as usize;
    rows.truncate(PAGE_ROWS as usize);
    if backwards {
        rows.reverse();
    }
    let has_next = if backwards { true } else { more };
    let has_prev = if backwards {
        more
    } else {
        filters.cursor().is_some()
    };
    let first_key = rows.first().map(|r| page_key_text(r, overdue));
    let last_key = rows.last().map(|r| page_key_text(r, overdue));
    let lines = rows
        .iter()
        .map(|r| CaseLine {
            id: r.case_id.to_string(),
            number: r.number.clone(),
            received: local_time(r.received_at, tz),
            customer: r.customer_name.clone(),
            model: r.product_model.clone(),
            category: r.product_category.clone(),
            status: status_text(&r.status, l.0),
            engineer: r.engineer.clone(),
            center: r.center.clone().unwrap_or_default(),
            next_due: match (&r.next_due_milestone, r.next_due_at) {
                (Some(m), Some(at)) => format!(
                    "{} {}",
                    fieldcore::Milestone::parse(m).map_or_else(|| m.clone(), |m| m.text(l.0)),
                    local_time(at, tz)
                ),
                _ => String::new(),
            },
            overdue: r.is_overdue(now),
            conflict: r.has_conflict,
        })
        .collect();
    let statuses = fieldcore::Status::ALL
        .into_iter()
        .map(|s| Choice {
            value: s.as_str().to_owned(),
            label: s.text(l.0),
            selected: filters.status == s.as_str(),
        })
        .collect();
    let causes = fieldcore::Cause::ALL
        .into_iter()
        .map(|c| Choice {
            value: c.as_str().to_owned(),
            label: c.text(l.0),
            selected: filters.cause == c.as_str(),
        })
        .collect();
    let page = if filters.cursor().is_some() {
        filters.page
    } else {
        0
    };
    let prev = first_key
        .filter(|_| has_prev)
        .map(|key| filters.query_string(page.saturating_sub(1), ("before", &key)));
    let next = last_key
        .filter(|_| has_next)
        .map(|key| filters.query_string(page + 1, ("after", &key)));
    html(&CasesTemplate {
        chrome: Chrome::new(&signed, l, Some(Page::Cases), l.t("客诉/服务单", "Cases")),
        l,
        filters,
        statuses,
        causes,
        rows: lines,
        page,
        prev,
        next,
    })
}

pub struct PhotoLine {
    pub hash: String,
    pub thumbnail: String,
    pub caption: String,
}

#[derive(Template)]
#[template(path = "console/case.html")]
pub struct CaseTemplate {
    pub chrome: Chrome,
    pub l: Lang,
    pub id: String,
    pub number: String,
    pub status: String,
    pub customer: String,
    pub model: String,
    pub overdue: bool,
    pub photos: Vec<PhotoLine>,
    pub trip_waiting: bool,
    /// Old parts reported lost, waiting for HQ's decision.
    pub losses: Vec<LossLine>,
    pub text: String,
    pub notice: Option<String>,
}

/// An old part reported lost on a part line, waiting for the CS manager.
pub struct LossLine {
    pub entry: String,
    pub part: String,
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    #[serde(default)]
    pub ok: String,
}

/// The localized notice of a form that succeeded (`?ok=...` after its redirect).
pub fn notice_text(ok: &str, l: Lang) -> Option<String> {
    let (zh, en) = match ok {
        "approved" => ("已批准", "Approved"),
        "rejected" => ("已驳回", "Rejected"),
        "acked" => ("已确认", "Acknowledged"),
        "revoked" => ("设备已吊销", "Device revoked"),
        _ => return None,
    };
    Some(l.t(zh, en).to_owned())
}

pub async fn case_detail(
    State(state): State<AppState>,
    signed: Signed,
    l: Lang,
    Path(case): Path<String>,
    Query(notice): Query<Notice>,
) -> PageResult {
    signed.may_open(Page::Cases)?;
    let detail = admin::case_detail(state.storage(), &case).await?;
    let now = state.now();
    let created_by = &detail.created_by;
    let extras = fieldcore::CaseTextExtras {
        header: vec![
            (
                l.t("工程师", "Engineer").to_owned(),
                detail.engineer.clone().unwrap_or_else(|| {
                    l.0.pick(
                        format!("无（由 {created_by} 创建）"),
                        format!("none (created by {created_by})"),
                    )
                }),
            ),
            (
                l.t("维修中心", "Center").to_owned(),
                detail
                    .row
                    .routed_center
                    .clone()
                    .unwrap_or_else(|| l.t("无", "none").to_owned()),
            ),
        ],
        photos: None,
    };
    let view = &detail.view;
    let text = fieldcore::case_text(view, &extras, now, l.0);
    let photos = view
        .photos
        .iter()
        .map(|p| PhotoLine {
            hash: p.hash.clone(),
            thumbnail: p.record.thumbnail_hash.clone(),
            caption: p.record.caption.clone(),
        })
        .collect();
    let trip_waiting = view
        .trip_requests()
        .iter()
        .any(|(_, decided)| decided.is_none());
    let losses = view
        .parts
        .iter()
        .filter(|l| !l.reversed)
        .filter_map(|l| match &l.custody {
            fieldcore::OldPartCustody::LostAwaitingApproval { entry, reason, .. } => {
                Some(LossLine {
                    entry: entry.clone(),
                    part: format!("{} {}", l.part.part_number, l.part.specification),
                    reason: reason.clone(),
                })
            }
            _ => None,
        })
        .collect();
    let number = view.number.clone().unwrap_or_else(|| view.id.to_string());
    let r = &view.registration;
    html(&CaseTemplate {
        chrome: Chrome::new(&signed, l, Some(Page::Cases), &number),
        l,
        id: detail.row.case_id.to_string(),
        status: status_text(view.status.current.value.as_str(), l.0),
        customer: r.customer_name.clone(),
        model: r.product_model.clone(),
        overdue: view.is_overdue(now),
        number,
        photos,
        trip_waiting,
        losses,
        text,
        notice: notice_text(&notice.ok, l),
    })
}

/// A photo or thumbnail of a case, from HQ's blob store: for a signed-in person who may
/// open cases, and only blobs a case names.
pub async fn photo(
    State(state): State<AppState>,
    signed: Signed,
    Path(hash): Path<String>,
) -> PageResult {
    signed.may_open(Page::Cases)?;
    BlobStore::check_name(&hash)?;
    let not_held = || ConsoleError::Refused(Error::NotFound("no such photo".into()));
    let key = hash.clone();
    let named = state
        .storage()
        .read(move |tx| Box::pin(async move { tx.cases_naming_blob(&key).await }))
        .await?;
    if named.is_empty() {
        return Err(not_held());
    }
    let bytes = state.blobs().get(&hash).await?.ok_or_else(not_held)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        bytes,
    )
        .into_response())
}

// ---- Escalations

pub struct EscalationLine {
    pub id: String,
    pub kind: String,
    pub about: String,
    pub to_role: String,
    pub raised: String,
    pub due: String,
    pub acked: Option<String>,
    pub cases: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/escalations.html")]
pub struct EscalationsTemplate {
    pub chrome: Chrome,
    pub l: Lang,
    pub rows: Vec<EscalationLine>,
    pub notice: Option<String>,
}

fn escalation_kind(kind: &str, l: Lang) -> String {
    match kind {
        "major_incident" => l.t("重大质量事故", "Major quality incident"),
        "batch_fault" => l.t("批量故障", "Batch fault"),
        "overdue" => l.t("逾期", "Overdue"),
        other => other,
    }
    .to_owned()
}

pub async fn escalations(
    State(state): State<AppState>,
    signed: Signed,
    l: Lang,
    Query(notice): Query<Notice>,
) -> PageResult {
    signed.may_open(Page::Escalations)?;
    let tz = state.time_zone();
    let rows = escalation::list(state.storage()).await?;
    let rows = rows
        .iter()
        .map(|e| EscalationLine {
            id: e.escalation_id.to_string(),
            kind: escalation_kind(&e.kind, l),
            about: [
                e.product_model.clone(),
                e.production_batch.clone(),
                e.milestone.as_deref().map(|m| {
                    fieldcore::Milestone::parse(m).map_or_else(|| m.to_owned(), |m| m.text(l.0))
                }),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
            to_role: crate::forms::role_text(&e.to_role, l.0),
            raised: local_time(e.raised_at, tz),
            due: e.due_at.map(|d| local_time(d, tz)).unwrap_or_default(),
            acked: e.acked_by.as_ref().map(|by| {
                format!(
                    "{by} {}{}",
                    e.acked_at.map(|t| local_time(t, tz)).unwrap_or_default(),
                    e.ack_note
                        .as_deref()
                        .map(|n| format!(" · {n}"))
                        .unwrap_or_default()
                )
            }),
            cases: e.cases.iter().map(|c| c.to_string()).collect(),
        })
        .collect();
    html(&EscalationsTemplate {
        chrome: Chrome::new(
            &signed,
            l,
            Some(Page::Escalations),
            l.t("升级/上报", "Escalations"),
        ),
        l,
        rows,
        notice: notice_text(&notice.ok, l),
    })
}

// ---- Approvals

pub struct ReturnLine {
    pub case: String,
    pub case_id: String,
    pub what: String,
    pub step: String,
    pub model: String,
    pub units: i64,
    pub requested: String,
}

pub struct RequestLine {
    pub entry: String,
    pub what: String,
    pub holder: String,
    pub part: String,
    pub quantity: i64,
    pub step: String,
    pub by: String,
    pub at: String,
}

/// A trip request or an old part reported lost, waiting for the person's role.
pub struct WaitingLine {
    pub case: String,
    pub case_id: String,
    pub entry: String,
    pub subject: String,
    pub reason: String,
    pub planned: String,
    pub by: String,
    pub at: String,
}

pub struct WriteoffLine {
    pub holder: String,
    pub quarter: String,
    pub run: String,
}

#[derive(Template)]
#[template(path = "console/approvals.html")]
pub struct ApprovalsTemplate {
    pub chrome: Chrome,
    pub l: Lang,
    pub role: String,
    pub returns: Vec<ReturnLine>,
    pub requests: Vec<RequestLine>,
    pub trips: Vec<WaitingLine>,
    pub losses: Vec<WaitingLine>,
    pub writeoffs: Vec<WriteoffLine>,
    pub notice: Option<String>,
}

pub async fn approvals(
    State(state): State<AppState>,
    signed: Signed,
    l: Lang,
    Query(notice): Query<Notice>,
) -> PageResult {
    signed.may_open(Page::Approvals)?;
    let tz = state.time_zone();
    let role = signed.user.role;
    let waiting = returns::list(
        state.storage(),
        ReturnFilter {
            waiting_for: Some(role.as_str().to_owned()),
            ..ReturnFilter::default()
        },
    )
    .await?;
    let returns = waiting
        .iter()
        .map(|r| ReturnLine {
            case: r.case_number.clone(),
            case_id: r.case_id.to_string(),
            what: match r.waiting_kind.as_deref() {
                Some("replenishment") => l.t("补货通知", "Replenishment notice"),
                _ if r.kind == "exchange" => l.t("换货申请", "Exchange request"),
                _ => l.t("退货申请", "Return request"),
            }
            .to_owned(),
            step: r.waiting_step.clone().unwrap_or_default(),
            model: r.model.clone(),
            units: r.units,
            requested: local_time(r.requested_at, tz),
        })
        .collect();
    let requests = parts::requests(state.storage(), true)
        .await?
        .into_iter()
        .filter(|r| r.waiting_role.as_deref() == Some(role.as_str()))
        .map(|r| RequestLine {
            what: if r.kind == "requisition" {
                l.t("三包配件领用单", "Parts requisition")
            } else {
                l.t("紧急采购", "Emergency purchase")
            }
            .to_owned(),
            entry: r.entry_id,
            holder: r.holder,
            part: format!("{} {}", r.part_number, r.specification),
            quantity: r.quantity,
            step: r.waiting_step.unwrap_or_default(),
            by: r.by_user,
            at: local_time(r.at, tz),
        })
        .collect();
    // Trip requests and old-part losses from the read model; each is decided by the form
    // the case's page has (the function `fieldhq trip` and `fieldhq parts` call).
    let role_name = role.as_str().to_owned();
    let waiting = state
        .storage()
        .read(move |tx| Box::pin(async move { tx.case_waiting(Some(&role_name)).await }))
        .await?;
    let (mut trips, mut losses) = (Vec::new(), Vec::new());
    for w in waiting {
        let line = WaitingLine {
            case: w.case_number,
            case_id: w.case_id.to_string(),
            entry: w.entry,
            subject: w.subject,
            reason: w.reason.unwrap_or_default(),
            planned: w.planned_for.map(|p| local_time(p, tz)).unwrap_or_default(),
            by: w.requested_by,
            at: local_time(w.requested_at, tz),
        };
        if w.kind == "trip" {
            trips.push(line);
        } else {
            losses.push(line);
        }
    }
    let writeoffs = if writeoff::APPROVER_ROLES.contains(&role) {
        state
            .storage()
            .read(|tx| Box::pin(async move { writeoff::list(tx, None).await }))
            .await?
            .into_iter()
            .filter(|w| w.status == "run")
            .map(|w| WriteoffLine {
                run: local_time(w.run_at, tz),
                holder: w.holder,
                quarter: w.quarter,
            })
            .collect()
    } else {
        Vec::new()
    };
    html(&ApprovalsTemplate {
        chrome: Chrome::new(
            &signed,
            l,
            Some(Page::Approvals),
            l.t("待审批", "Approvals"),
        ),
        l,
        role: role.text(l.0),
        returns,
        requests,
        trips,
        losses,
        writeoffs,
        notice: notice_text(&notice.ok, l),
    })
}

// ---- Parts and write-offs

pub struct BalanceLine {
    pub holder: String,
    pub part: String,
    pub quantity: i64,
    pub went_negative: bool,
}

pub struct MovementLine {
    pub at: String,
    pub kind: String,
    pub part: String,
    pub delta: i64,
    pub by: String,
    pub quarter: String,
}

pub struct VoucherLine {
    pub holder: String,
    pub quarter: String,
    pub status: String,
    pub approved: Option<String>,
    pub link: String,
}

#[derive(Template)]
#[template(path = "console/parts.html")]
pub struct PartsTemplate {
    pub chrome: Chrome,
    pub l: Lang,
    pub holders: Vec<String>,
    pub balances: Vec<BalanceLine>,
    pub holder: Option<String>,
    pub movements: Vec<MovementLine>,
    pub writeoffs: Vec<VoucherLine>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HolderQuery {
    #[serde(default)]
    pub holder: String,
}

pub async fn parts(
    State(state): State<AppState>,
    signed: Signed,
    l: Lang,
    Query(query): Query<HolderQuery>,
) -> PageResult {
    signed.may_open(Page::Parts)?;
    let tz = state.time_zone();
    let holders: BTreeSet<String> = parts::ledgers(state.storage(), None)
        .await?
        .into_iter()
        .map(|l| l.holder)
        .collect();
    let mut balances = Vec::new();
    for holder in &holders {
        for b in parts::balance(state.storage(), holder, None).await? {
            balances.push(BalanceLine {
                holder: holder.clone(),
                part: b.part_number,
                quantity: b.quantity,
                went_negative: !b.went_negative.is_empty(),
            });
        }
    }
    let holder = some(&query.holder).filter(|h| holders.contains(h));
    let movements = match &holder {
        Some(h) => {
            let h = h.clone();
            state
                .storage()
                .read(move |tx| Box::pin(async move { tx.ledger_movements(&h, None).await }))
                .await?
                .into_iter()
                .map(|m| MovementLine {
                    at: local_time(m.at, tz),
                    kind: m.kind,
                    part: m.part_number,
                    delta: m.delta,
                    by: m.by_user,
                    quarter: m.booked_quarter,
                })
                .collect()
        }
        None => Vec::new(),
    };
    let writeoffs = state
        .storage()
        .read(|tx| Box::pin(async move { writeoff::list(tx, None).await }))
        .await?
        .into_iter()
        .map(|w| VoucherLine {
            link: format!(
                "/console/writeoffs/{}/{}",
                encode(&w.holder),
                encode(&w.quarter)
            ),
            status: if w.status == "approved" {
                l.t("已批准", "approved")
            } else {
                l.t("待批准", "waiting for approval")
            }
            .to_owned(),
            approved: w.approved_by.as_ref().map(|by| {
                format!(
                    "{by} {}",
                    w.approved_at.map(|t| local_time(t, tz)).unwrap_or_default()
                )
            }),
            holder: w.holder,
            quarter: w.quarter,
        })
        .collect();
    html(&PartsTemplate {
        chrome: Chrome::new(
            &signed,
            l,
            Some(Page::Parts),
            l.t("备件与核销", "Parts & write-offs"),
        ),
        l,
        holders: holders.into_iter().collect(),
        balances,
        holder,
        movements,
        writeoffs,
    })
}

/// An approved write-off's archived voucher (`xlsx`, `pdf` or `html`), as `fieldhq writeoff
/// export` writes it.
pub async fn voucher(
    State(state): State<AppState>,
    signed: Signed,
    Path((holder, quarter, format)): Path<(String, String, String)>,
) -> PageResult {
    signed.may_open(Page::Parts)?;
    let parsed_holder = parts::parse_holder(&holder)?.to_string();
    let parsed_quarter = parts::parse_quarter(&quarter)?;
    let blobs = state.blobs().clone();
    let voucher = state
        .storage()
        .read(move |tx| {
            Box::pin(
                async move { writeoff::export(tx, &blobs, &parsed_holder, parsed_quarter).await },
            )
        })
        .await?;
    let name = format!("writeoff-{}-{quarter}", holder.replace(':', "-"));
    let (bytes, content_type, ext) = match format.as_str() {
        "xlsx" => (
            voucher.xlsx,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        "pdf" => (voucher.pdf, "application/pdf", "pdf"),
        "html" => (
            voucher.html.into_bytes(),
            "text/html; charset=utf-8",
            "html",
        ),
        _ => {
            return Err(ConsoleError::Refused(Error::NotFound(
                "no such voucher format".into(),
            )));
        }
    };
    let disposition = format!("attachment; filename=\"{}.{ext}\"", encode(&name));
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

// ---- Devices and users

pub struct DeviceLine {
    pub id: String,
    pub user: String,
    pub label: String,
    pub bound: bool,
    pub revoked: bool,
    pub enrolled: String,
}

pub struct UserLine {
    pub name: String,
    pub role: String,
    pub center: String,
    pub console: bool,
}

#[derive(Template)]
#[template(path = "console/devices.html")]
pub struct DevicesTemplate {
    pub chrome: Chrome,
    pub l: Lang,
    pub devices: Vec<DeviceLine>,
    pub users: Vec<UserLine>,
    pub notice: Option<String>,
}

pub async fn devices(
    State(state): State<AppState>,
    signed: Signed,
    l: Lang,
    Query(notice): Query<Notice>,
) -> PageResult {
    signed.may_open(Page::Devices)?;
    let tz = state.time_zone();
    let devices = admin::list_devices(state.storage())
        .await?
        .into_iter()
        .map(|d| DeviceLine {
            id: d.device_id.to_string(),
            user: d.user,
            label: d.label.unwrap_or_default(),
            bound: d.actor.is_some(),
            revoked: d.revoked,
            enrolled: local_time(d.created_at, tz),
        })
        .collect();
    let users = state
        .storage()
        .read(|tx| Box::pin(async move { tx.console_users().await }))
        .await?
        .into_iter()
        .map(|u| UserLine {
            role: u.user.role.text(l.0),
            center: u.user.center.unwrap_or_default(),
            console: u.has_password,
            name: u.user.name,
        })
        .collect();
    html(&DevicesTemplate {
        chrome: Chrome::new(
            &signed,
            l,
            Some(Page::Devices),
            l.t("设备与用户", "Devices & users"),
        ),
        l,
        devices,
        users,
        notice: notice_text(&notice.ok, l),
    })
}
