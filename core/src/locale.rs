//! The two languages every text the core produces for a person exists in: Chinese as the
//! after-sales staff read it (the default), and English. A text is a typed value whose
//! `text(Locale)` answers in either; the caller (CLI `--lang`, the bindings' parameter) picks.

/// A language a message can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// Simplified Chinese, in the procedures' own terms (三包, 首问责任人, 核销).
    #[default]
    ZhCn,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// One of two texts written side by side. Taking both (rather than matching on the locale
    /// at each message) means a message cannot be written in one language only: a missing
    /// text does not compile.
    pub fn pick<T>(self, zh_cn: T, en: T) -> T {
        match self {
            Locale::ZhCn => zh_cn,
            Locale::En => en,
        }
    }

    /// The tag stored and passed: `zh-CN`, `en`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// The language `--lang` picks, or else the one `LANG` names: Chinese when it says zh,
    /// English otherwise (a `C` or unset `LANG` is a server or a script, which read English).
    /// A `--lang` the core does not speak is refused rather than ignored.
    pub fn choose(flag: Option<&str>, lang_env: Option<&str>) -> Option<Locale> {
        match flag {
            Some(tag) => Locale::parse(tag),
            None => Some(lang_env.and_then(Locale::parse).unwrap_or(Locale::En)),
        }
    }

    /// Accepts a tag (`zh-CN`, `zh`, `en`, `en-US`) or a POSIX locale as `LANG` holds it
    /// (`zh_CN.UTF-8`, `en_GB.UTF-8`); anything else is not a locale the core speaks.
    pub fn parse(s: &str) -> Option<Locale> {
        let language = s
            .split(['.', '@'])
            .next()
            .unwrap_or_default()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match language.as_str() {
            "zh" => Some(Locale::ZhCn),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
}

/// A text for a person, in either locale. Errors, warranty explanations, validation reasons,
/// lifecycle refusals, deadline names and labels all implement it; `Display` (where a type
/// has one) stays English, for logs and support.
pub trait Localized {
    fn text(&self, locale: Locale) -> String;
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_posix_locales_parse() {
        for (s, want) in [
            ("zh-CN", Some(Locale::ZhCn)),
            ("zh", Some(Locale::ZhCn)),
            ("zh_CN.UTF-8", Some(Locale::ZhCn)),
            ("en", Some(Locale::En)),
            ("en_GB.UTF-8", Some(Locale::En)),
            ("EN-us", Some(Locale::En)),
            ("C.UTF-8", None),
            ("fr_FR", None),
            ("", None),
        ] {
            assert_eq!(Locale::parse(s), want, "{s}");
        }
        for locale in Locale::ALL {
            assert_eq!(Locale::parse(locale.as_str()), Some(locale));
        }
    }
}
