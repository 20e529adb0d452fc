//! The console's assets, served by HQ itself because HQ runs on intranets without internet:
//! the style sheet (compiled in) and a font with Chinese glyphs (the installed one found by
//! [`crate::forms::DEFAULT_FONTS`], the list the printed forms use).

use std::sync::OnceLock;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../templates/console/console.css");

pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// The first installed font of the list and its media type, read once.
fn installed_font() -> Option<&'static (Vec<u8>, &'static str)> {
    static FONT: OnceLock<Option<(Vec<u8>, &'static str)>> = OnceLock::new();
    FONT.get_or_init(|| {
        crate::forms::DEFAULT_FONTS.iter().find_map(|path| {
            let bytes = std::fs::read(path).ok()?;
            let kind = if path.ends_with(".ttc") {
                "font/collection"
            } else if path.ends_with(".otf") {
                "font/otf"
            } else {
                "font/ttf"
            };
            Some((bytes, kind))
        })
    })
    .as_ref()
}

/// `GET /console/assets/cjk-font`: 404 when no font is installed; the style sheet's font
/// stack then falls back to the browser's own fonts.
pub async fn font() -> Response {
    let found = tokio::task::spawn_blocking(installed_font).await;
    match found {
        Ok(Some((bytes, kind))) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            bytes.as_slice(),
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
