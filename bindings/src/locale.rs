//! The language of the texts the library hands to the app: error reasons and warranty
//! explanations. One per process, as a phone shows one UI language: the app sets it at start
//! (from the system locale) and again when the user changes it.

use std::sync::atomic::{AtomicU8, Ordering};

use fieldcore::Locale;

/// A language texts are given in: Chinese as the after-sales staff read it, or English.
#[uniffi::remote(Enum)]
pub enum Locale {
    ZhCn,
    En,
}

/// English until the app says otherwise, so logs and apps written before the setting existed
/// read as they did.
static CURRENT: AtomicU8 = AtomicU8::new(1);

/// Sets the language of every text the library returns from now on (error reasons,
/// warranty explanations); safe from any thread.
#[uniffi::export]
pub fn set_locale(locale: Locale) {
    CURRENT.store(
        match locale {
            Locale::ZhCn => 0,
            Locale::En => 1,
        },
        Ordering::Relaxed,
    );
}

/// The language texts are given in now.
#[uniffi::export]
pub fn current_locale() -> Locale {
    match CURRENT.load(Ordering::Relaxed) {
        0 => Locale::ZhCn,
        _ => Locale::En,
    }
}

/// Reads a locale tag or the system's (`zh-CN`, `zh_CN.UTF-8`, `en-US`); `None` for a
/// language the library does not speak.
#[uniffi::export]
pub fn parse_locale(tag: String) -> Option<Locale> {
    Locale::parse(&tag)
}
