//! What a refused photo is told with: a reason written in both languages at the place that
//! knows it, so the engineer reads why the photo was refused and what to do in plain words,
//! not a decoder's jargon (ADR 0017).

use std::fmt;

use crate::locale::{Locale, Localized};

/// Why a photo was refused, in Chinese and English. Details that come from a library (a
/// decoder's own fault name) are kept in brackets at the end, for support to search for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoText {
    zh_cn: String,
    en: String,
}

impl PhotoText {
    pub(crate) fn new(zh_cn: impl Into<String>, en: impl Into<String>) -> PhotoText {
        PhotoText {
            zh_cn: zh_cn.into(),
            en: en.into(),
        }
    }
}

/// A text with no translation: a library's detail, or a caller's own words. The same text
/// is shown in both languages.
impl From<&str> for PhotoText {
    fn from(text: &str) -> PhotoText {
        PhotoText::new(text, text)
    }
}

impl From<String> for PhotoText {
    fn from(text: String) -> PhotoText {
        PhotoText::new(text.clone(), text)
    }
}

impl fmt::Display for PhotoText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

impl Localized for PhotoText {
    fn text(&self, locale: Locale) -> String {
        locale.pick(&self.zh_cn, &self.en).clone()
    }
}

/// A byte count in megabytes with one decimal, as a person reads a file size.
pub(crate) fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}
