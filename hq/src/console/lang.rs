//! The console's language: Chinese (zh-CN) unless the person chose English. `?lang=en` (or
//! `?lang=zh-CN`) on any console page switches, and a `fieldhq_lang` cookie remembers it.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use fieldcore::Locale;

const COOKIE: &str = "fieldhq_lang";

/// The language of one response; templates call [`Lang::t`] with both wordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(pub Locale);

impl Lang {
    /// The wording in this language: every label is written in both, side by side.
    pub fn t<'a>(&self, zh_cn: &'a str, en: &'a str) -> &'a str {
        self.0.pick(zh_cn, en)
    }

    pub fn is_en(&self) -> bool {
        self.0 == Locale::En
    }

    /// The `lang` attribute of the page.
    pub fn code(&self) -> &'static str {
        self.t("zh-CN", "en")
    }
}

/// The language a `lang` query value or cookie names; anything else is no choice.
fn parse(value: &str) -> Option<Locale> {
    Locale::choose(Some(value), None)
}

fn from_query(query: Option<&str>) -> Option<Locale> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| parse(v))
}

fn from_cookie(headers: &axum::http::HeaderMap) -> Option<Locale> {
    super::auth::cookie(headers, COOKIE).and_then(|v| parse(&v))
}

/// Puts the request's [`Lang`] among its extensions and, when the query chose one, sets the
/// cookie that remembers it.
pub async fn remember(mut request: Request, next: Next) -> Response {
    let chosen = from_query(request.uri().query());
    let locale = chosen
        .or_else(|| from_cookie(request.headers()))
        .unwrap_or(Locale::ZhCn);
    request.extensions_mut().insert(Lang(locale));
    let mut response = next.run(request).await;
    if let Some(page) = response.extensions_mut().remove::<super::view::ErrorPage>() {
        let body = super::view::error_html(&page, Lang(locale));
        let (parts, _) = response.into_parts();
        response = Response::from_parts(parts, axum::body::Body::from(body));
    }
    if let Some(locale) = chosen {
        let value = format!(
            "{COOKIE}={}; Path=/console; Max-Age=31536000; SameSite=Strict",
            Lang(locale).code()
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Lang, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Lang>()
            .copied()
            .unwrap_or(Lang(Locale::ZhCn)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_names_the_language() {
        assert_eq!(from_query(Some("lang=en")), Some(Locale::En));
        assert_eq!(from_query(Some("a=1&lang=zh-CN")), Some(Locale::ZhCn));
        assert_eq!(from_query(Some("lang=fr")), None);
        assert_eq!(from_query(None), None);
        assert_eq!(Lang(Locale::En).t("案件", "Cases"), "Cases");
    }
}
