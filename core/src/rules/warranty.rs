//! The 三包 warranty rule: which policy period applies to a product, when it ends, and whether a
//! complaint is covered, with an explanation a customer can be shown.
//!
//! Boundary policy, decided once: the period is counted in calendar months from the purchase
//! date and its last day is covered. Where the final month has no matching day (31 August plus
//! six months, 29 February plus a year) the period ends on that month's last day.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Invalid, Result};
use crate::locale::{Locale, Localized};
use crate::model::{Cause, ProofOfPurchase};

/// The rule that a deployment configures: warranty months per product category, with per-model
/// overrides. Keys are stored trimmed and lowercase; lookups normalise their input the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarrantyPolicy {
    pub category_months: BTreeMap<String, u32>,
    pub model_months: BTreeMap<String, u32>,
}

impl Default for WarrantyPolicy {
    /// Motors and generators one year, pumps half a year, as in the procedures.
    fn default() -> Self {
        let category_months = [("motor", 12), ("generator", 12), ("pump", 6)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        WarrantyPolicy {
            category_months,
            model_months: BTreeMap::new(),
        }
    }
}

/// Where the months of a decision came from; only used to word the explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PeriodSource {
    Model,
    Category,
}

fn normalize(key: &str) -> String {
    key.trim().to_lowercase()
}

/// Exact (normalised) key first; the scan covers tables that were deserialised from hand-written
/// configuration with mixed-case keys.
fn lookup(table: &BTreeMap<String, u32>, key: &str) -> Option<u32> {
    let key = normalize(key);
    if key.is_empty() {
        return None;
    }
    table.get(&key).copied().or_else(|| {
        table
            .iter()
            .find(|(k, _)| normalize(k) == key)
            .map(|(_, v)| *v)
    })
}

impl WarrantyPolicy {
    /// Sets (or replaces) the period of a category.
    pub fn with_category(mut self, category: &str, months: u32) -> Self {
        self.category_months.insert(normalize(category), months);
        self
    }

    /// Sets (or replaces) a per-model override.
    pub fn with_model(mut self, model: &str, months: u32) -> Self {
        self.model_months.insert(normalize(model), months);
        self
    }

    /// The warranty months for a product: the model override if there is one, else the category.
    /// `None` means the product is outside the 三包 scope. A zero-month entry is treated the
    /// same way, because a period that ends on the day of purchase is an exclusion in practice.
    pub fn months_for(&self, category: &str, model: &str) -> Option<u32> {
        self.months_with_source(category, model).map(|(m, _)| m)
    }

    fn months_with_source(&self, category: &str, model: &str) -> Option<(u32, PeriodSource)> {
        let found = match lookup(&self.model_months, model) {
            Some(m) => (m, PeriodSource::Model),
            None => (
                lookup(&self.category_months, category)?,
                PeriodSource::Category,
            ),
        };
        (found.0 > 0).then_some(found)
    }
}

/// The last covered day of a warranty of `months` calendar months bought on `purchase`.
/// `None` only when the date falls outside what chrono can represent.
pub fn period_end(purchase: NaiveDate, months: u32) -> Option<NaiveDate> {
    purchase.checked_add_months(Months::new(months))
}

/// The facts a warranty decision depends on, borrowed from the case.
#[derive(Debug, Clone, Copy)]
pub struct WarrantyInput<'a> {
    pub category: &'a str,
    pub model: &'a str,
    pub purchase_date: Option<NaiveDate>,
    pub proof: &'a ProofOfPurchase,
    /// The local date the complaint was received; it is what must fall inside the period.
    pub received_date: NaiveDate,
    pub cause: Cause,
}

/// Which rule settled the decision, in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarrantyRule {
    NoProofOfPurchase,
    NotInScope,
    OutOfPeriod,
    NonQualityFault,
    CoveredQualityFault,
}

impl WarrantyRule {
    pub fn as_str(self) -> &'static str {
        match self {
            WarrantyRule::NoProofOfPurchase => "no_proof_of_purchase",
            WarrantyRule::NotInScope => "not_in_scope",
            WarrantyRule::OutOfPeriod => "out_of_period",
            WarrantyRule::NonQualityFault => "non_quality_fault",
            WarrantyRule::CoveredQualityFault => "covered_quality_fault",
        }
    }
}

impl Localized for WarrantyRule {
    fn text(&self, locale: Locale) -> String {
        let zh = match self {
            WarrantyRule::NoProofOfPurchase => "无购买凭证",
            WarrantyRule::NotInScope => "不列入三包范围",
            WarrantyRule::OutOfPeriod => "超出三包期",
            WarrantyRule::NonQualityFault => "非质量问题",
            WarrantyRule::CoveredQualityFault => "三包期内质量问题",
        };
        locale.pick(zh, self.as_str()).to_owned()
    }
}

/// A warranty decision with everything needed to explain it later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarrantyDecision {
    pub covered: bool,
    pub rule: WarrantyRule,
    /// Absent when no period applies (no proof, out of scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub months: Option<u32>,
    /// Absent when no period applies (no proof, out of scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_end: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_date: Option<NaiveDate>,
    pub received_date: NaiveDate,
    pub cause: Cause,
    /// The explanation in English, as recorded for the audit trail. Screens show
    /// [`Localized::text`], which words the same facts in the reader's language.
    pub explanation: String,
    /// The facts the explanation cites beyond the fields above; absent in decisions recorded
    /// before explanations were worded in two languages, whose English text is then shown as
    /// recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grounds: Option<WarrantyGrounds>,
}

/// What a warranty explanation names besides the decision's dates: the product, where its
/// period came from, and the proof of purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarrantyGrounds {
    pub category: String,
    pub model: String,
    /// Set when a per-model override, not the category, gave the period.
    #[serde(default)]
    pub model_override: bool,
    pub proof: ProofOfPurchase,
}

impl Localized for WarrantyDecision {
    fn text(&self, locale: Locale) -> String {
        match (&self.grounds, locale) {
            (None, Locale::En) => self.explanation.clone(),
            (grounds, _) => explain(self, grounds.as_ref(), locale),
        }
    }
}

/// The rule behind every "no warranty" (凡无证明与不列入三包范围的产品，一律不予三包).
fn no_warranty_rule(locale: Locale) -> &'static str {
    locale.pick(
        "凡无购买证明或不列入三包范围的产品，一律不予三包",
        "the rule is that a product with no proof of purchase, or outside the 三包 scope, gets no warranty",
    )
}

fn paid_service(locale: Locale) -> &'static str {
    locale.pick(
        "按生产成本收费的有偿服务",
        "paid service at production cost",
    )
}

/// The cause as the explanation words it; English keeps its short phrases.
fn cause_phrase(cause: Cause, locale: Locale) -> String {
    let en = match cause {
        Cause::DesignManufacturing => "design/manufacturing",
        Cause::StorageTransport => "storage/transport",
        Cause::CustomerMisuse => "customer misuse",
    };
    locale.pick(cause.text(Locale::ZhCn), en.to_owned())
}

/// "with invoice F-1" / "发票 F-1"; without grounds, only that some proof was given.
fn proof_phrase(proof: Option<&ProofOfPurchase>, locale: Locale) -> String {
    let (kind, number) = match proof {
        Some(ProofOfPurchase::Invoice(n)) => (locale.pick("发票", "invoice"), n.trim()),
        Some(ProofOfPurchase::Voucher(n)) => (locale.pick("凭证", "voucher"), n.trim()),
        Some(ProofOfPurchase::None) => {
            return locale.pick("无购买凭证", "no proof of purchase").to_owned();
        }
        None => {
            return locale
                .pick("有发票或凭证", "with proof of purchase")
                .to_owned();
        }
    };
    match (number, locale) {
        ("", Locale::ZhCn) => format!("有{kind}"),
        (n, Locale::ZhCn) => format!("{kind} {n}"),
        ("", Locale::En) => format!("with {kind}"),
        (n, Locale::En) => format!("with {kind} {n}"),
    }
}

/// The product as the explanation's subject: "Pump", or "Model X (pump)" when a model override
/// decided the period, so the reader sees why the category's period was not used.
fn subject(grounds: Option<&WarrantyGrounds>, with_source: bool, locale: Locale) -> String {
    let (category, model, model_override) = match grounds {
        Some(g) => (g.category.trim(), g.model.trim(), g.model_override),
        None => ("", "", false),
    };
    match (with_source && model_override, category.is_empty(), locale) {
        (true, true, Locale::ZhCn) => format!("型号 {model}"),
        (true, false, Locale::ZhCn) => format!("型号 {model}（{category}）"),
        (true, true, Locale::En) => format!("Model {model}"),
        (true, false, Locale::En) => format!("Model {model} ({category})"),
        (false, true, _) => locale.pick("产品", "Product").to_owned(),
        (false, false, Locale::ZhCn) => category.to_owned(),
        (false, false, Locale::En) => {
            let mut chars = category.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

fn period_phrase(months: u32, model_override: bool, locale: Locale) -> String {
    match (model_override, locale) {
        (true, Locale::ZhCn) => format!("{months} 个月三包期（按型号单独规定）"),
        (false, Locale::ZhCn) => format!("{months} 个月三包期"),
        (true, Locale::En) => format!("{months}-month period (model override)"),
        (false, Locale::En) => format!("{months}-month period"),
    }
}

/// The explanation of `d` in `locale`. The English wording is the one recorded in the document
/// (`decide` stores it), so a recorded explanation and a re-worded one never disagree.
fn explain(d: &WarrantyDecision, grounds: Option<&WarrantyGrounds>, locale: Locale) -> String {
    let zh = locale == Locale::ZhCn;
    let cause = cause_phrase(d.cause, locale);
    let received = d.received_date;
    let proof = grounds.map(|g| &g.proof);
    let no_warranty = no_warranty_rule(locale);
    let paid = paid_service(locale);
    let (Some(purchase), true) = (d.purchase_date, d.rule != WarrantyRule::NoProofOfPurchase)
    else {
        let subject = subject(grounds, false, locale);
        let present = proof.is_some_and(ProofOfPurchase::is_present);
        let kind = match proof {
            Some(ProofOfPurchase::Voucher(_)) => locale.pick("凭证", "voucher"),
            _ => locale.pick("发票", "invoice"),
        };
        let what = match (present, zh) {
            (true, true) => format!("{kind}上没有购买日期"),
            (true, false) => format!("the {kind} carries no purchase date"),
            (false, true) => "没有可证明购买日期的发票或凭证".to_owned(),
            (false, false) => "there is no invoice or voucher proving the purchase date".to_owned(),
        };
        return match (d.purchase_date, zh) {
            (p, true) => format!(
                "{subject}{}，{received} 收到投诉（原因：{cause}）：{what}。不予三包：{no_warranty}。",
                p.map(|p| format!("（称于 {p} 购买）")).unwrap_or_default()
            ),
            (p, false) => format!(
                "{subject}{}, complaint received {received} (cause: {cause}): {what}. \
                 Not covered: {no_warranty}.",
                p.map(|p| format!(" said to be bought {p}"))
                    .unwrap_or_default()
            ),
        };
    };
    let proof = proof_phrase(proof, locale);
    let (Some(months), Some(end)) = (d.months, d.period_end) else {
        let subject = subject(grounds, false, locale);
        let (category, model) = grounds
            .map(|g| (g.category.trim(), g.model.trim()))
            .unwrap_or_default();
        return if zh {
            format!(
                "{subject}于 {purchase} 购买（{proof}），{received} 收到投诉（原因：{cause}）：\
                 三包政策中产品类别“{category}”和型号“{model}”均无三包期，该产品不列入三包范围。\
                 不予三包：{no_warranty}。"
            )
        } else {
            format!(
                "{subject} bought {purchase} {proof}, complaint received {received} (cause: \
                 {cause}): neither category \"{category}\" nor model \"{model}\" has a warranty \
                 period in the policy, so the product is outside the 三包 scope. Not covered: \
                 {no_warranty}."
            )
        };
    };
    let model_override = grounds.is_some_and(|g| g.model_override);
    let subject = subject(grounds, true, locale);
    let period = period_phrase(months, model_override, locale);
    match (d.rule, zh) {
        (WarrantyRule::OutOfPeriod, true) => format!(
            "{subject}于 {purchase} 购买（{proof}）：{period}已于 {end} 届满（含当日）；\
             {received} 收到投诉，已超出三包期，无论原因如何（{cause}）。不予三包：{paid}。"
        ),
        (WarrantyRule::OutOfPeriod, false) => format!(
            "{subject} bought {purchase} {proof}: {period} ended {end} (inclusive); complaint \
             received {received} is after it, so it is out of period whatever the cause \
             ({cause}). Not covered: {paid}."
        ),
        (WarrantyRule::NonQualityFault, true) => format!(
            "{subject}于 {purchase} 购买（{proof}）：{period}至 {end} 届满（含当日），\
             {received} 收到投诉，在三包期内，但原因（{cause}）属于非质量问题。不予三包：{paid}。"
        ),
        (WarrantyRule::NonQualityFault, false) => format!(
            "{subject} bought {purchase} {proof}: {period} ends {end} (inclusive) and complaint \
             received {received} is inside it, but the cause ({cause}) is not a quality \
             fault. Not covered: {paid}."
        ),
        // A recorded decision names its rule; the covered wording is the only one left.
        (_, true) => format!(
            "{subject}于 {purchase} 购买（{proof}）：{period}至 {end} 届满（含当日）；\
             {received} 收到投诉，在三包期内，且原因（{cause}）属于质量问题：予以三包。"
        ),
        (_, false) => format!(
            "{subject} bought {purchase} {proof}: {period} ends {end} (inclusive); complaint \
             received {received} is inside it and the cause ({cause}) is a quality fault: \
             covered."
        ),
    }
}

/// Decides 三包 coverage. A complaint dated before the purchase is wrong input whatever the
/// proof, and is refused first; then the checks run in a fixed order so the reported rule is
/// the first that applies: proof, scope, period, cause.
pub fn decide(policy: &WarrantyPolicy, input: &WarrantyInput) -> Result<WarrantyDecision> {
    let received = input.received_date;
    if let Some(purchase) = input.purchase_date
        && received < purchase
    {
        return Err(Error::validation(
            "received_date",
            Invalid::ReceivedBeforePurchase { received, purchase },
        ));
    }
    let mut grounds = WarrantyGrounds {
        category: input.category.trim().to_owned(),
        model: input.model.trim().to_owned(),
        model_override: false,
        proof: input.proof.clone(),
    };
    let mut decision = WarrantyDecision {
        covered: false,
        rule: WarrantyRule::NoProofOfPurchase,
        months: None,
        period_end: None,
        purchase_date: input.purchase_date,
        received_date: received,
        cause: input.cause,
        explanation: String::new(),
        grounds: None,
    };
    if let (Some(purchase), true) = (input.purchase_date, input.proof.is_present()) {
        match policy.months_with_source(input.category, input.model) {
            None => decision.rule = WarrantyRule::NotInScope,
            Some((months, source)) => {
                let end = period_end(purchase, months).ok_or_else(|| {
                    Error::validation(
                        "purchase_date",
                        Invalid::PeriodBeyondDates { purchase, months },
                    )
                })?;
                grounds.model_override = source == PeriodSource::Model;
                decision.rule = if received > end {
                    WarrantyRule::OutOfPeriod
                } else if !input.cause.is_quality_fault() {
                    WarrantyRule::NonQualityFault
                } else {
                    WarrantyRule::CoveredQualityFault
                };
                decision.covered = decision.rule == WarrantyRule::CoveredQualityFault;
                decision.months = Some(months);
                decision.period_end = Some(end);
            }
        }
    }
    decision.explanation = explain(&decision, Some(&grounds), Locale::En);
    decision.grounds = Some(grounds);
    Ok(decision)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input<'a>(
        category: &'a str,
        model: &'a str,
        purchase: Option<&str>,
        proof: &'a ProofOfPurchase,
        received: &str,
        cause: Cause,
    ) -> WarrantyInput<'a> {
        WarrantyInput {
            category,
            model,
            purchase_date: purchase.map(d),
            proof,
            received_date: d(received),
            cause,
        }
    }

    /// The CLI and the apps get the same answer: a complaint before the purchase is refused
    /// whatever the proof or scope, not decided as "no proof".
    #[test]
    fn complaint_before_purchase_is_refused_whatever_the_proof() {
        let policy = WarrantyPolicy::default();
        for proof in [
            ProofOfPurchase::None,
            ProofOfPurchase::Invoice("INV-1".into()),
        ] {
            for category in ["pump", "compressor"] {
                let q = input(
                    category,
                    "",
                    Some("2026-03-01"),
                    &proof,
                    "2026-02-28",
                    Cause::DesignManufacturing,
                );
                match decide(&policy, &q) {
                    Err(Error::Validation { field, .. }) => assert_eq!(field, "received_date"),
                    other => panic!("{category} {proof:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn period_end_clamps_to_month_end() {
        assert_eq!(period_end(d("2024-02-29"), 12), Some(d("2025-02-28")));
        assert_eq!(period_end(d("2025-08-31"), 6), Some(d("2026-02-28")));
        assert_eq!(period_end(d("2024-01-31"), 1), Some(d("2024-02-29")));
        assert_eq!(period_end(d("2024-02-29"), 48), Some(d("2028-02-29")));
        assert_eq!(period_end(d("2025-03-15"), 0), Some(d("2025-03-15")));
        assert_eq!(period_end(NaiveDate::MAX, 1), None);
    }

    #[test]
    fn default_policy_and_lookup() {
        let p = WarrantyPolicy::default();
        assert_eq!(p.months_for("motor", ""), Some(12));
        assert_eq!(p.months_for("  GENERATOR ", ""), Some(12));
        assert_eq!(p.months_for("Pump", "x"), Some(6));
        assert_eq!(p.months_for("compressor", ""), None);
        assert_eq!(p.months_for("", ""), None);

        let p = p.with_model(" YE3-132 ", 24).with_category("Valve", 0);
        assert_eq!(p.model_months.get("ye3-132"), Some(&24));
        assert_eq!(p.months_for("pump", "ye3-132"), Some(24));
        assert_eq!(p.months_for("unknown", "Ye3-132"), Some(24));
        assert_eq!(p.months_for("valve", ""), None);
    }

    #[test]
    fn mixed_case_keys_from_configuration_still_match() {
        let mut p = WarrantyPolicy::default();
        p.category_months.insert("Compressor".into(), 18);
        assert_eq!(p.months_for("compressor", ""), Some(18));
    }

    #[test]
    fn covered_on_the_last_day_with_the_documented_wording() {
        let proof = ProofOfPurchase::Invoice(String::new());
        let dec = decide(
            &WarrantyPolicy::default(),
            &input(
                "pump",
                "",
                Some("2025-08-31"),
                &proof,
                "2026-02-28",
                Cause::DesignManufacturing,
            ),
        )
        .unwrap();
        assert!(dec.covered);
        assert_eq!(dec.rule, WarrantyRule::CoveredQualityFault);
        assert_eq!(dec.months, Some(6));
        assert_eq!(dec.period_end, Some(d("2026-02-28")));
        assert_eq!(
            dec.explanation,
            "Pump bought 2025-08-31 with invoice: 6-month period ends 2026-02-28 (inclusive); \
             complaint received 2026-02-28 is inside it and the cause (design/manufacturing) is \
             a quality fault: covered."
        );
    }

    #[test]
    fn each_rule_in_order() {
        let policy = WarrantyPolicy::default();
        let inv = ProofOfPurchase::Invoice("F-1".into());
        let none = ProofOfPurchase::None;

        let dec = decide(
            &policy,
            &input(
                "motor",
                "",
                Some("2025-01-10"),
                &none,
                "2025-02-01",
                Cause::DesignManufacturing,
            ),
        )
        .unwrap();
        assert_eq!(dec.rule, WarrantyRule::NoProofOfPurchase);
        assert!(!dec.covered && dec.period_end.is_none() && dec.months.is_none());
        assert!(dec.explanation.contains("no proof of purchase"));
        assert!(!dec.explanation.contains(paid_service(Locale::En)));

        let dec = decide(
            &policy,
            &input(
                "motor",
                "",
                None,
                &inv,
                "2025-02-01",
                Cause::StorageTransport,
            ),
        )
        .unwrap();
        assert_eq!(dec.rule, WarrantyRule::NoProofOfPurchase);
        assert!(dec.explanation.contains("carries no purchase date"));

        // An impossible date pair is wrong input before anything else, even out of scope.
        let err = decide(
            &policy,
            &input(
                "fan",
                "",
                Some("2025-03-01"),
                &inv,
                "2025-02-01",
                Cause::DesignManufacturing,
            ),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::Validation {
                field: "received_date",
                ..
            }
        ));

        let err = decide(
            &policy,
            &input(
                "motor",
                "",
                Some("2025-03-01"),
                &inv,
                "2025-02-28",
                Cause::DesignManufacturing,
            ),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            Error::Validation {
                field: "received_date",
                ..
            }
        ));

        let dec = decide(
            &policy,
            &input(
                "motor",
                "",
                Some("2025-03-01"),
                &inv,
                "2026-03-02",
                Cause::DesignManufacturing,
            ),
        )
        .unwrap();
        assert_eq!(dec.rule, WarrantyRule::OutOfPeriod);
        assert_eq!(dec.period_end, Some(d("2026-03-01")));
        assert!(dec.explanation.contains(paid_service(Locale::En)));

        let dec = decide(
            &policy,
            &input(
                "motor",
                "",
                Some("2025-03-01"),
                &inv,
                "2025-03-01",
                Cause::CustomerMisuse,
            ),
        )
        .unwrap();
        assert_eq!(dec.rule, WarrantyRule::NonQualityFault);
        assert_eq!(dec.period_end, Some(d("2026-03-01")));
        assert!(!dec.covered);
        assert!(dec.explanation.contains(paid_service(Locale::En)));
        assert!(dec.explanation.contains("customer misuse"));
    }

    #[test]
    fn model_override_is_named_in_the_explanation() {
        let policy = WarrantyPolicy::default().with_model("P-9", 24);
        let proof = ProofOfPurchase::Voucher("V-77".into());
        let dec = decide(
            &policy,
            &input(
                "pump",
                "p-9",
                Some("2024-02-29"),
                &proof,
                "2026-02-28",
                Cause::StorageTransport,
            ),
        )
        .unwrap();
        assert!(dec.covered);
        assert_eq!(dec.months, Some(24));
        assert_eq!(dec.period_end, Some(d("2026-02-28")));
        assert!(
            dec.explanation
                .starts_with("Model p-9 (pump) bought 2024-02-29 with voucher V-77")
        );
        assert!(dec.explanation.contains("(model override)"));
    }

    #[test]
    fn serde_names() {
        assert_eq!(
            serde_json::to_string(&WarrantyRule::CoveredQualityFault).unwrap(),
            "\"covered_quality_fault\""
        );
        let p = WarrantyPolicy::default();
        let back: WarrantyPolicy =
            serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
        for r in [
            WarrantyRule::NoProofOfPurchase,
            WarrantyRule::NotInScope,
            WarrantyRule::OutOfPeriod,
            WarrantyRule::NonQualityFault,
            WarrantyRule::CoveredQualityFault,
        ] {
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
    }
}
