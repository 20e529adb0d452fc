//! What a person reads about fact corrections and stale warranty decisions, in zh-CN (the
//! procedures' own terms: 三包, 购买发票或凭证) and en. Each text is a typed value; the caller
//! picks the locale.

use crate::case::facts;
use crate::case::records::CorrectionRecord;
use crate::case::text::short_hash;
use crate::locale::Locale;

/// A step that relies on a current warranty decision and is refused while it is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaleStep {
    Resolve,
    SetCharge,
    Close,
}

impl StaleStep {
    pub const ALL: [StaleStep; 3] = [StaleStep::Resolve, StaleStep::SetCharge, StaleStep::Close];

    fn verb(self, locale: Locale) -> &'static str {
        match (self, locale) {
            (StaleStep::Resolve, Locale::En) => "resolve the case",
            (StaleStep::SetCharge, Locale::En) => "set the charge",
            (StaleStep::Close, Locale::En) => "close the case",
            (StaleStep::Resolve, Locale::ZhCn) => "办结处理",
            (StaleStep::SetCharge, Locale::ZhCn) => "设定收费",
            (StaleStep::Close, Locale::ZhCn) => "结案",
        }
    }
}

/// The label of a warranty-deciding fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactLabel<'a>(pub &'a str);

impl FactLabel<'_> {
    pub fn text(&self, locale: Locale) -> String {
        let label = match (self.0, locale) {
            ("purchase_date", Locale::En) => "purchase date",
            ("proof_of_purchase", Locale::En) => "proof of purchase",
            ("product_category", Locale::En) => "product category",
            ("product_model", Locale::En) => "model",
            ("market", Locale::En) => "market",
            ("received_at", Locale::En) => "received at",
            ("purchase_date", Locale::ZhCn) => "购买日期",
            ("proof_of_purchase", Locale::ZhCn) => "购买发票或凭证",
            ("product_category", Locale::ZhCn) => "产品类别",
            ("product_model", Locale::ZhCn) => "型号",
            ("market", Locale::ZhCn) => "国内/国外",
            ("received_at", Locale::ZhCn) => "投诉接收时间",
            // A key of a newer app is shown as it is stored.
            (other, _) => other,
        };
        label.to_owned()
    }
}

/// The texts of corrections and stale decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorrectionText<'a> {
    /// A step refused while the warranty decision is stale.
    RefusedWhileStale(StaleStep),
    /// A correction that would change nothing.
    NoChange,
    /// An invoice photo given while the case (after the correction) has no proof of purchase.
    PhotoWithoutProof,
    /// The heading over a stale decision's facts.
    Stale,
    /// One fact a stale decision used, and its value now.
    StaleFact {
        field: &'a str,
        decided_on: &'a str,
        now: &'a str,
    },
    /// One fact a correction changed.
    Changed {
        field: &'a str,
        from: &'a str,
        to: &'a str,
    },
    /// The reason a correction gives.
    Reason(&'a str),
    /// The invoice photo a correction cites.
    InvoicePhoto(&'a str),
    /// The heading of the corrections in the audit trail.
    Corrections,
}

impl CorrectionText<'_> {
    pub fn text(&self, locale: Locale) -> String {
        match (self, locale) {
            (CorrectionText::RefusedWhileStale(step), Locale::En) => format!(
                "the warranty decision was made on registration facts corrected since; decide \
                 the warranty again before you {}",
                step.verb(locale)
            ),
            (CorrectionText::RefusedWhileStale(step), Locale::ZhCn) => format!(
                "三包判定所依据的登记信息已更正，请先重新判定三包，再{}",
                step.verb(locale)
            ),
            (CorrectionText::NoChange, Locale::En) => {
                "changes no fact that decides warranty and cites no invoice photo".into()
            }
            (CorrectionText::NoChange, Locale::ZhCn) => {
                "未更正任何影响三包判定的登记信息，也未附发票照片".into()
            }
            (CorrectionText::PhotoWithoutProof, Locale::En) => {
                "an invoice photo needs an invoice or voucher recorded as proof of purchase".into()
            }
            (CorrectionText::PhotoWithoutProof, Locale::ZhCn) => {
                "附发票照片时须登记购买发票或凭证".into()
            }
            (CorrectionText::Stale, Locale::En) => {
                "stale: decided on facts corrected since; decide the warranty again".into()
            }
            (CorrectionText::Stale, Locale::ZhCn) => {
                "已失效：判定所依据的登记信息已更正，须重新判定三包".into()
            }
            (
                CorrectionText::StaleFact {
                    field,
                    decided_on,
                    now,
                },
                Locale::En,
            ) => format!(
                "{}: decided on {decided_on}, now {now}",
                FactLabel(field).text(locale)
            ),
            (
                CorrectionText::StaleFact {
                    field,
                    decided_on,
                    now,
                },
                Locale::ZhCn,
            ) => format!(
                "{}：判定时为 {decided_on}，现为 {now}",
                FactLabel(field).text(locale)
            ),
            (CorrectionText::Changed { field, from, to }, _) => {
                format!("{} {from} → {to}", FactLabel(field).text(locale))
            }
            (CorrectionText::Reason(reason), Locale::En) => format!("reason: {reason}"),
            (CorrectionText::Reason(reason), Locale::ZhCn) => format!("原因：{reason}"),
            (CorrectionText::InvoicePhoto(hash), Locale::En) => format!("invoice photo {hash}"),
            (CorrectionText::InvoicePhoto(hash), Locale::ZhCn) => format!("发票照片 {hash}"),
            (CorrectionText::Corrections, Locale::En) => "Corrections".into(),
            (CorrectionText::Corrections, Locale::ZhCn) => "更正记录".into(),
        }
    }
}

/// What a correction changed, one text per fact ("purchase date 2026-01-02 → 2026-02-01"),
/// then the invoice photo it cites: the case text's corrections and the history both say it so.
pub(crate) fn correction_parts(c: &CorrectionRecord, l: Locale) -> Vec<String> {
    let mut parts: Vec<String> = c
        .changes
        .iter()
        .map(|ch| {
            CorrectionText::Changed {
                field: &ch.field,
                from: &facts::display(&ch.from),
                to: &facts::display(&ch.to),
            }
            .text(l)
        })
        .collect();
    if let Some(photo) = &c.invoice_photo {
        parts.push(CorrectionText::InvoicePhoto(short_hash(photo)).text(l));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_text() -> Vec<CorrectionText<'static>> {
        let mut texts: Vec<CorrectionText<'static>> = StaleStep::ALL
            .into_iter()
            .map(CorrectionText::RefusedWhileStale)
            .collect();
        texts.extend([
            CorrectionText::NoChange,
            CorrectionText::PhotoWithoutProof,
            CorrectionText::Stale,
            CorrectionText::StaleFact {
                field: "purchase_date",
                decided_on: "2026-06-01",
                now: "2026-07-01",
            },
            CorrectionText::Changed {
                field: "market",
                from: "domestic",
                to: "foreign",
            },
            CorrectionText::Reason("typo"),
            CorrectionText::InvoicePhoto("abc"),
            CorrectionText::Corrections,
        ]);
        texts
    }

    #[test]
    fn every_text_exists_in_both_locales_and_they_differ() {
        for t in every_text() {
            let zh = t.text(Locale::ZhCn);
            let en = t.text(Locale::En);
            assert!(!zh.is_empty() && !en.is_empty(), "{t:?}");
            assert_ne!(zh, en, "{t:?} is not translated");
            assert!(zh.chars().any(|c| c > '\u{2E80}'), "{t:?}: {zh}");
        }
    }

    #[test]
    fn every_warranty_fact_has_a_label_in_both_locales() {
        for key in crate::case::correction::WARRANTY_FACTS {
            let zh = FactLabel(key).text(Locale::ZhCn);
            let en = FactLabel(key).text(Locale::En);
            assert_ne!(zh, key);
            assert!(!en.contains('_'), "{key}: {en}");
            assert!(zh.chars().any(|c| c > '\u{2E80}'), "{key}: {zh}");
        }
    }

    #[test]
    fn the_refusal_uses_the_procedures_terms() {
        let zh = CorrectionText::RefusedWhileStale(StaleStep::Close).text(Locale::ZhCn);
        assert!(zh.contains("三包") && zh.contains("结案"), "{zh}");
    }
}
