//! The HQ console in the browser (ADR 0024): server-rendered pages under `/console` in the
//! same router, process and port as the sync, for HQ's people (not devices).
//!
//! | module | concern |
//! |---|---|
//! | [`auth`] | passwords (argon2), sessions in the database, lock-out, CSRF, cookies |
//! | [`access`] | which console role may open which page |
//! | [`lang`] | zh-CN by default, English on request (`?lang=en`, remembered in a cookie) |
//! | [`pages`] | the pages: cases, case detail, photos, escalations, approvals, parts, devices |
//! | [`forms`] | the POST forms; each calls the same function the `fieldhq` command does |
//! | [`assets`] | the style sheet and the CJK font, served by HQ itself (no CDN) |
//! | [`view`] | the page chrome and the console's error page |

pub mod access;
pub mod assets;
pub mod auth;
pub mod forms;
pub mod lang;
pub mod pages;
pub mod report;
pub mod view;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::state::AppState;

/// The console's form bodies are small: a few fields of text.
const FORM_BODY_LIMIT: usize = 64 * 1024;

/// How the console signs people in; [`Default`] is what `fieldhq serve` uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSettings {
    /// How long a session lasts after sign-in (a working day by default).
    pub session_lifetime: Duration,
    /// Failed sign-ins of one name within `failure_window` that lock it out.
    pub max_failures: u32,
    pub failure_window: Duration,
    /// How long a lock-out lasts.
    pub lockout: Duration,
    /// Mark cookies `Secure` on every response, not only on requests a TLS proxy forwarded
    /// (`X-Forwarded-Proto: https`); `fieldhq serve --console-secure-cookies`.
    pub secure_cookies: bool,
}

impl Default for ConsoleSettings {
    fn default() -> ConsoleSettings {
        ConsoleSettings {
            session_lifetime: Duration::from_secs(10 * 60 * 60),
            max_failures: 5,
            failure_window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
            secure_cookies: false,
        }
    }
}

/// The console's routes, merged into [`crate::app`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(pages::home))
        .route("/console/", get(pages::home))
        .route("/console/login", get(pages::login).post(forms::login))
        .route("/console/logout", post(forms::logout))
        .route("/console/cases", get(pages::cases))
        .route("/console/cases/{case}", get(pages::case_detail))
        .route("/console/cases/{case}/trip", post(forms::trip))
        .route("/console/cases/{case}/loss", post(forms::loss))
        .route("/console/photos/{hash}", get(pages::photo))
        .route("/console/escalations", get(pages::escalations))
        .route("/console/escalations/{id}/ack", post(forms::acknowledge))
        .route("/console/approvals", get(pages::approvals))
        .route("/console/approvals/return", post(forms::decide_return))
        .route("/console/approvals/parts", post(forms::decide_parts))
        .route("/console/approvals/writeoff", post(forms::approve_writeoff))
        .route("/console/parts", get(pages::parts))
        .route(
            "/console/writeoffs/{holder}/{quarter}/voucher.{format}",
            get(pages::voucher),
        )
        .route("/console/devices", get(pages::devices))
        .route("/console/report", get(report::page))
        .route("/console/report/print", get(report::print))
        .route("/console/report/xlsx", get(report::workbook))
        .route("/console/report/issue", post(report::issue))
        .route("/console/report/reopen", post(report::reopen))
        .route("/console/devices/{id}/revoke", post(forms::revoke))
        .route("/console/assets/console.css", get(assets::css))
        .route("/console/assets/cjk-font", get(assets::font))
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(axum::middleware::from_fn(lang::remember))
}
