//! What every console page shares: the chrome (navigation, the signed-in person, the
//! language switch, the sign-out form) and the error page, in the person's language.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use fieldcore::Localized;

use super::access::Page;
use super::auth::Signed;
use super::lang::Lang;
use crate::error::Error;

/// One entry of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The frame around a page.
pub struct Chrome {
    pub l: Lang,
    pub title: String,
    pub user: String,
    pub role: String,
    pub csrf: String,
    pub nav: Vec<NavItem>,
}

impl Chrome {
    /// The chrome of `page` for the signed-in person: only the pages their role may open.
    pub fn new(signed: &Signed, l: Lang, page: Option<Page>, title: &str) -> Chrome {
        let nav = Page::ALL
            .into_iter()
            .filter(|p| p.allows(signed.user.role))
            .map(|p| {
                let (zh, en) = p.label();
                NavItem {
                    href: p.href(),
                    label: l.t(zh, en),
                    current: Some(p) == page,
                }
            })
            .collect();
        Chrome {
            l,
            title: title.to_owned(),
            user: signed.user.name.clone(),
            role: signed.user.role.text(l.0),
            csrf: signed.csrf.clone(),
            nav,
        }
    }
}

/// Renders a template as an HTML response.
pub fn html<T: Template>(template: &T) -> Result<Response, ConsoleError> {
    let body = template
        .render()
        .map_err(|e| ConsoleError::Internal(Error::internal(format!("rendering a page: {e}"))))?;
    Ok(Html(body).into_response())
}

/// Why a console request was not served.
#[derive(Debug)]
pub enum ConsoleError {
    /// No valid session: to the sign-in page.
    SignIn,
    /// The role may not open the page.
    PageRefused,
    /// A form without the session's CSRF token; nothing was done.
    Csrf,
    /// A refusal of the called function (a wrong role, a decided request, a bad input),
    /// worded in both languages where the function words it so.
    Refused(Error),
    /// HQ's fault: logged, answered with a fixed sentence.
    Internal(Error),
}

impl From<Error> for ConsoleError {
    fn from(e: Error) -> ConsoleError {
        if e.is_internal() {
            ConsoleError::Internal(e)
        } else {
            ConsoleError::Refused(e)
        }
    }
}

/// A message to render as the error page, in the language the [`super::lang`] layer knows:
/// an error response carries it as an extension, and the layer renders it.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub zh: String,
    pub en: String,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, zh, en) = match self {
            ConsoleError::SignIn => return Redirect::to("/console/login").into_response(),
            ConsoleError::PageRefused => (
                StatusCode::FORBIDDEN,
                "您的角色无权打开此页面".to_owned(),
                "Your role may not open this page".to_owned(),
            ),
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                "表单已失效（缺少或错误的安全令牌），未做任何更改；请刷新页面后重试".to_owned(),
                "The form has expired (its security token is missing or wrong); nothing was \
                 changed. Reload the page and try again"
                    .to_owned(),
            ),
            ConsoleError::Refused(e) => {
                let status = match e.status_and_code().0 {
                    StatusCode::NOT_FOUND => StatusCode::NOT_FOUND,
                    StatusCode::TOO_MANY_REQUESTS => StatusCode::TOO_MANY_REQUESTS,
                    _ => StatusCode::BAD_REQUEST,
                };
                (
                    status,
                    e.text(fieldcore::Locale::ZhCn),
                    e.text(fieldcore::Locale::En),
                )
            }
            ConsoleError::Internal(e) => {
                tracing::error!(error = %e, "console request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "总部未能完成请求，请稍后再试".to_owned(),
                    "HQ could not complete the request; try again later".to_owned(),
                )
            }
        };
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "",
        )
            .into_response();
        response.extensions_mut().insert(ErrorPage { zh, en });
        response
    }
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorTemplate<'a> {
    l: Lang,
    message: &'a str,
}

/// The error page's HTML in `l`.
pub fn error_html(page: &ErrorPage, l: Lang) -> String {
    let message = l.0.pick(&page.zh, &page.en);
    ErrorTemplate { l, message }
        .render()
        .unwrap_or_else(|_| message.clone())
}
