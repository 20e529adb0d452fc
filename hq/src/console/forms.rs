//! The console's forms (POST). Each checks the session's CSRF token first (a form without it
//! is refused 403 with nothing done), then calls the same function the `fieldhq` command
//! calls, as the signed-in person: that function checks the role, so a wrong role gets the
//! refusal the command gives, here in the person's language.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::access::Page;
use super::auth::{self, LOGIN_COOKIE, SESSION_COOKIE, SignInRefused, Signed};
use super::lang::Lang;
use super::pages::{encode, login_page};
use super::view::ConsoleError;
use crate::error::Error;
use crate::old_parts::{self, LossDecision};
use crate::parts::PartsDecision;
use crate::returns::ReturnDecision;
use crate::state::AppState;
use crate::trips::TripDecision;
use crate::{admin, escalation, parts, returns, trips, writeoff, writeoff_input};

type Fields = Form<HashMap<String, String>>;
type FormResult = Result<Response, ConsoleError>;

fn field<'a>(fields: &'a HashMap<String, String>, name: &str) -> &'a str {
    fields.get(name).map(|v| v.trim()).unwrap_or("")
}

/// Approve or reject, with the note or reason of the form.
enum Decision {
    Approve(Option<String>),
    Reject(String),
}

fn decision(fields: &HashMap<String, String>) -> Result<Decision, ConsoleError> {
    let note = field(fields, "note").to_owned();
    match field(fields, "decision") {
        "approve" => Ok(Decision::Approve((!note.is_empty()).then_some(note))),
        "reject" => Ok(Decision::Reject(note)),
        _ => Err(ConsoleError::Refused(Error::refused(
            "choose approve or reject",
            "请选择批准或驳回",
        ))),
    }
}

fn done(to: &str, ok: &str) -> Response {
    let sep = if to.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{to}{sep}ok={ok}")).into_response()
}

/// Where a case's decision form returns to: the approvals inbox when it was sent from there
/// (`back=approvals`), else the case's page.
fn back_from_case(fields: &HashMap<String, String>, case: &str) -> String {
    match field(fields, "back") {
        "approvals" => "/console/approvals".to_owned(),
        _ => format!("/console/cases/{}", encode(case)),
    }
}

fn ok_word(d: &Decision) -> &'static str {
    match d {
        Decision::Approve(_) => "approved",
        Decision::Reject(_) => "rejected",
    }
}

/// Sign-in: the double-submit token, then name and password.
pub async fn login(
    State(state): State<AppState>,
    l: Lang,
    headers: HeaderMap,
    Form(fields): Fields,
) -> FormResult {
    let cookie = auth::cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    let presented = field(&fields, "login_token");
    if cookie.is_empty() || !auth::constant_time_eq(cookie.as_bytes(), presented.as_bytes()) {
        return Err(ConsoleError::Csrf);
    }
    let name = field(&fields, "name").to_owned();
    let password = fields.get("password").cloned().unwrap_or_default();
    match auth::sign_in(&state, &name, &password).await? {
        Ok(session) => {
            let secure = auth::secure(&headers, state.console());
            let lifetime = state.console().session_lifetime.as_secs();
            let mut response = Redirect::to("/console/cases").into_response();
            let cookies = response.headers_mut();
            cookies.append(
                header::SET_COOKIE,
                auth::set_cookie(SESSION_COOKIE, &session.token, lifetime, secure),
            );
            cookies.append(
                header::SET_COOKIE,
                auth::set_cookie(LOGIN_COOKIE, "", 0, secure),
            );
            Ok(response)
        }
        Err(refused) => {
            let status = match refused {
                SignInRefused::Locked(_) => StatusCode::TOO_MANY_REQUESTS,
                SignInRefused::Wrong | SignInRefused::FieldRole => StatusCode::UNAUTHORIZED,
            };
            login_page(l, &headers, &state, status, name, Some(refused.text(l)))
        }
    }
}

/// Sign-out: the session's row is deleted and the cookie cleared.
pub async fn logout(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(fields): Fields,
) -> FormResult {
    signed.check_csrf(fields.get("csrf").map(String::as_str))?;
    auth::sign_out(state.storage(), &signed.token).await?;
    let secure = auth::secure(&headers, state.console());
    let mut response = Redirect::to("/console/login").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        auth::set_cookie(SESSION_COOKIE, "", 0, secure),
    );
    Ok(response)
}

/// A return request's or replenishment notice's waiting step (`fieldhq rma approve|reject`).
pub async fn decide_return(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Fields,
) -> FormResult {
    signed.check_csrf(fields.get("csrf").map(String::as_str))?;
    signed.may_open(Page::Approvals)?;
    let d = decision(&fields)?;
    let ok = ok_word(&d);
    let decision = match d {
        Decision::Approve(note) => ReturnDecision::Approve { note },
        Decision::Reject(reason) => ReturnDecision::Reject { reason },
    };
    returns::decide(
        state.storage(),
        field(&fields, "case"),
        &signed.user.name,
        decision,
        state.now(),
        state.time_zone(),
    )
    .await?;
    Ok(done("/console/approvals", ok))
}

/// A requisition's or emergency purchase's waiting step (`fieldhq parts approve|reject`).
pub async fn decide_parts(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Fields,
) -> FormResult {
    signed.check_csrf(fields.get("csrf").map(String::as_str))?;
    signed.may_open(Page::Approvals)?;
    let d = decision(&fields)?;
    let ok = ok_word(&d);
    let decision = match d {
        Decision::Approve(note) => PartsDecision::Approve { note },
        Decision::Reject(reason) => PartsDecision::Reject { reason },
    };
    parts::decide(
        state.storage(),
        field(&fields, "entry"),
        &signed.user.name,
        decision,
        state.now(),
    )
    .await?;
    Ok(done("/console/approvals", ok))
}

/// A case's waiting trip request (`fieldhq trip approve|reject`), from the case's page or
/// the approvals inbox.
pub async fn trip(
    State(state): State<AppState>,
    signed: Signed,
    Path(case): Path<String>,
    Form(fields): Fields,
) -> FormResult {
    signed.check_csrf(fields.get("csrf").map(String::as_str))?;
    signed.may_open(Page::Cases)?;
    let d = decision(&fields)?;
    let ok = ok_word(&d);
    let decision = match d {
        Decision::Approve(note) => TripDecision::Approve { note },
        Decision::Reject(reason) => TripDecision::Reject { reason },
    };
    let record = trips::decide(
        state.storage(),
        &case,
        &signed.user.name,
        decision,
        state.now(),
        state.time_zone(),
    )
    .await?;
    tracing::debug!(request = %record.request, "trip decided in the console");
    Ok(done(&back_from_case(&fields, &case), ok))
}

/// An old part reported lost on the case (`fieldhq parts approve-loss|reject-loss`), from the
/// case's page or the approvals inbox.
pub async fn loss(
    State(state): State<AppState>,
    signed: Signed,
    Path(case): Path<String>,
    Form(fields): Fields,
) -> FormResult {
    signed.check_csrf(fields.get("csrf").map(String::as_str))?;
    signed.may_open(Page::Cases)?;
    let d = decision(&fields)?;
    let ok = ok_word(&d);
    let decision = match d {
        Decision::Approve(note) => LossDecision::Approve { note },
        Decision::Reject(reason) => LossDecision::Reject { reason },
    };
    old_parts::decide(
        state.storage(),
        &case,
        field(&fields, "entry"),
        &signed.user.name,
        decision,
        state.now(),
        state.time_zone(),
    )
    .await?;
    Ok(done(&back_from_case(&fields, &case), ok))
}

/// A write-off run (`fieldhq writeoff approve`): the voucher is made and archived, the
/// quarter's ledger closed.
pub async fn approve_writeoff(
    State(state): State<AppState>,
    signed: Signed,
    Form(fields): Fields,
) -> FormResult {
    signed.check_csrf(fields.get("csrf").map(String::as_str))?;
    signed.may_open(Page::Approvals)?;
    let holder = parts::parse_holder(field(&fields, "holder"))?;
    let quarter = parts::parse_quarter(field(&fields, "quarter"))?;
    let font = tokio::task::spawn_blocking(|| crate::forms::load_font(None))
        .await
        .map_err(Error::from)??;
    let approval = writeoff::Approval {
        by: signed.user.clone(),
        at: state.now(),
        hq_name: "总部客户服务部".to_owned(),
        time_zone: state.time_zone(),
        font,
    };
    writeoff_input::approve_and_close(
        state.storage(),
        state.blobs().clone(),
        holder,
        quarter,
        approval,
    )
    .await?;
    Ok(done("/console/approvals", "approved"))
}

/// An escalation (`fieldhq escalation ack`).
pub async fn acknowledge(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> FormResult {
    signed.check_csrf(fields.get("csrf").map(String::as_str))?;
    signed.may_open(Page::Escalations)?;
    let id: Uuid = id
        .parse()
        .map_err(|_| Error::NotFound("no such escalation".into()))?;
    let note = field(&fields, "note");
    escalation::acknowledge(
        state.storage(),
        id,
        &signed.user.name,
        (!note.is_empty()).then_some(note),
        state.now(),
        state.time_zone(),
    )
    .await?;
    Ok(done("/console/escalations", "acked"))
}

/// Revokes a device (`fieldhq device revoke`): a lost phone's next sync is refused.
pub async fn revoke(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Fields,
) -> FormResult {
    signed.check_csrf(fields.get("csrf").map(String::as_str))?;
    signed.may_open(Page::Devices)?;
    let id: Uuid = id
        .parse()
        .map_err(|_| Error::NotFound("no such device".into()))?;
    admin::revoke_device(state.storage(), id).await?;
    tracing::info!(device = %id, by = %signed.user.name, "device revoked in the console");
    Ok(done("/console/devices", "revoked"))
}
