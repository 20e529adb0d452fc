//! The warranty parts catalog (三包配件目录) that HQ publishes as the `parts` key of its
//! reference catalogs: what each part number is, what it fits and what it costs. Pure: JSON in,
//! a catalog or the reason it is malformed out, and the check a case's part line is held to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Invalid, Result};
use crate::locale::{Locale, Localized};

/// One part as the catalog lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogPart {
    pub part_number: String,
    pub specification: String,
    /// The unit it is counted in (个, 套, m).
    pub unit: String,
    /// The product categories it fits; empty means any.
    #[serde(default)]
    pub categories: Vec<String>,
    /// The product models it fits; empty means any model of its categories.
    #[serde(default)]
    pub models: Vec<String>,
    /// The unit cost in CNY as HQ wrote it, a decimal string with at most two decimals.
    pub unit_cost: String,
    /// The same cost in fen, checked when the catalog is read.
    #[serde(skip)]
    pub unit_cost_fen: i64,
}

impl CatalogPart {
    /// Whether the part fits a product of this category and model (compared without regard to
    /// case and surrounding spaces, as people type them).
    pub fn fits(&self, category: &str, model: &str) -> bool {
        let matches =
            |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| same(v, value));
        matches(&self.categories, category) && matches(&self.models, model)
    }
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Why a `parts` key cannot be read as a catalog; HQ refuses to publish it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogProblem {
    /// The catalogs are not a JSON object.
    NotAnObject,
    /// `parts` is not an array.
    NotAnArray,
    /// Entry `index` (from 0) is not a part record: `detail` says why.
    BadEntry { index: usize, detail: String },
    /// Entry `index` has an empty part number, specification or unit.
    EmptyField { index: usize, field: &'static str },
    /// A unit cost that is not a non-negative decimal with at most two decimals.
    BadUnitCost { part_number: String, value: String },
    /// The same part number listed twice.
    Duplicate { part_number: String },
}

impl Localized for CatalogProblem {
    fn text(&self, locale: Locale) -> String {
        match self {
            CatalogProblem::NotAnObject => locale
                .pick("目录必须是 JSON 对象", "the catalogs must be a JSON object")
                .to_owned(),
            CatalogProblem::NotAnArray => locale
                .pick(
                    "parts 必须是配件记录的数组",
                    "`parts` must be an array of part records",
                )
                .to_owned(),
            CatalogProblem::BadEntry { index, detail } => locale.pick(
                format!("parts 第 {index} 项不是配件记录：{detail}"),
                format!("parts entry {index} is not a part record: {detail}"),
            ),
            CatalogProblem::EmptyField { index, field } => locale.pick(
                format!("parts 第 {index} 项的 {field} 为空"),
                format!("parts entry {index} has an empty {field}"),
            ),
            CatalogProblem::BadUnitCost { part_number, value } => locale.pick(
                format!(
                    "配件 {part_number} 的单价 {value} 不是最多两位小数的非负金额（如 \"123.45\"）"
                ),
                format!(
                    "part {part_number} has unit cost {value}, not a non-negative amount with at \
                     most two decimals (such as \"123.45\")"
                ),
            ),
            CatalogProblem::Duplicate { part_number } => locale.pick(
                format!("配件编号 {part_number} 重复"),
                format!("part number {part_number} is listed twice"),
            ),
        }
    }
}

/// How a part line's part number stands against the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogFit {
    Fits,
    /// The part number is not in the catalog.
    Unknown,
    /// In the catalog, but not for this product's category or model.
    NotForProduct,
}

/// The parts catalog, by part number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartsCatalog {
    parts: BTreeMap<String, CatalogPart>,
}

impl PartsCatalog {
    /// Reads the `parts` key of HQ's catalogs JSON; other keys are left to whoever reads them.
    /// `None` when the catalogs have no `parts` key (or are not JSON at all, which a device
    /// never blocks on); a `parts` key that is not a catalog is refused with the reason.
    pub fn from_catalogs_json(catalogs_json: &str) -> Result<Option<PartsCatalog>> {
        let Ok(value) = serde_json::from_str::<Value>(catalogs_json) else {
            return Ok(None);
        };
        let refused = |p: CatalogProblem| Error::validation("catalogs", Invalid::PartsCatalog(p));
        let Some(object) = value.as_object() else {
            return Err(refused(CatalogProblem::NotAnObject));
        };
        let Some(parts) = object.get("parts") else {
            return Ok(None);
        };
        let Some(entries) = parts.as_array() else {
            return Err(refused(CatalogProblem::NotAnArray));
        };
        let mut catalog = PartsCatalog::default();
        for (index, entry) in entries.iter().enumerate() {
            let mut part: CatalogPart = serde_json::from_value(entry.clone()).map_err(|e| {
                refused(CatalogProblem::BadEntry {
                    index,
                    detail: e.to_string(),
                })
            })?;
            for (field, text) in [
                ("part_number", &part.part_number),
                ("specification", &part.specification),
                ("unit", &part.unit),
            ] {
                if text.trim().is_empty() {
                    return Err(refused(CatalogProblem::EmptyField { index, field }));
                }
            }
            part.unit_cost_fen = fen(&part.unit_cost).ok_or_else(|| {
                refused(CatalogProblem::BadUnitCost {
                    part_number: part.part_number.clone(),
                    value: part.unit_cost.clone(),
                })
            })?;
            let key = part.part_number.trim().to_owned();
            if catalog.parts.contains_key(&key) {
                return Err(refused(CatalogProblem::Duplicate { part_number: key }));
            }
            catalog.parts.insert(key, part);
        }
        Ok(Some(catalog))
    }

    /// The part listed under `part_number` (surrounding spaces ignored).
    pub fn get(&self, part_number: &str) -> Option<&CatalogPart> {
        self.parts.get(part_number.trim())
    }

    /// Every part, by part number.
    pub fn parts(&self) -> impl Iterator<Item = &CatalogPart> {
        self.parts.values()
    }

    pub fn len(&self) -> usize {
        self.parts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Whether a part line of `part_number` on a product of this category and model is a
    /// catalog part.
    pub fn fit(&self, part_number: &str, category: &str, model: &str) -> CatalogFit {
        match self.get(part_number) {
            None => CatalogFit::Unknown,
            Some(p) if p.fits(category, model) => CatalogFit::Fits,
            Some(_) => CatalogFit::NotForProduct,
        }
    }
}

/// A decimal CNY amount ("123.45", "7", "0.5") in fen; `None` for anything else (a sign, an
/// exponent, more than two decimals, or an amount past what fen in an i64 hold).
fn fen(text: &str) -> Option<i64> {
    let (whole, decimals) = match text.split_once('.') {
        Some((w, d)) => (w, d),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(decimals) || decimals.len() > 2 {
        return None;
    }
    if text.contains('.') && decimals.is_empty() {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let mut cents: i64 = if decimals.is_empty() {
        0
    } else {
        decimals.parse().ok()?
    };
    if decimals.len() == 1 {
        cents *= 10;
    }
    whole.checked_mul(100)?.checked_add(cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOG: &str = r#"{
        "products": ["ignored"],
        "parts": [
            {"part_number": "BRG-6308", "specification": "6308-2RS", "unit": "个",
             "categories": ["motor"], "models": [], "unit_cost": "42.50"},
            {"part_number": "SEAL-40", "specification": "40 mm", "unit": "套",
             "categories": ["pump"], "models": ["QJ-40"], "unit_cost": "7"}
        ]
    }"#;

    fn problem(json: &str) -> CatalogProblem {
        match PartsCatalog::from_catalogs_json(json) {
            Err(Error::Validation {
                reason: Invalid::PartsCatalog(p),
                ..
            }) => p,
            other => panic!("expected a catalog problem, got {other:?}"),
        }
    }

    #[test]
    fn reads_the_parts_and_ignores_other_keys() {
        let catalog = PartsCatalog::from_catalogs_json(CATALOG).unwrap().unwrap();
        assert_eq!(catalog.len(), 2);
        assert_eq!(catalog.get("BRG-6308").unwrap().unit_cost_fen, 4250);
        assert_eq!(catalog.get(" SEAL-40 ").unwrap().unit_cost_fen, 700);
        assert_eq!(
            catalog.fit("BRG-6308", "Motor", "YE3-132"),
            CatalogFit::Fits
        );
        assert_eq!(
            catalog.fit("BRG-6308", "pump", "QJ-40"),
            CatalogFit::NotForProduct
        );
        assert_eq!(
            catalog.fit("SEAL-40", "pump", "QJ-50"),
            CatalogFit::NotForProduct
        );
        assert_eq!(catalog.fit("SEAL-40", "pump", "qj-40"), CatalogFit::Fits);
        assert_eq!(catalog.fit("NOPE", "pump", "QJ-40"), CatalogFit::Unknown);
    }

    #[test]
    fn no_parts_key_is_no_catalog() {
        assert_eq!(PartsCatalog::from_catalogs_json("{}").unwrap(), None);
        assert_eq!(
            PartsCatalog::from_catalogs_json(r#"{"products":[]}"#).unwrap(),
            None
        );
        assert_eq!(PartsCatalog::from_catalogs_json("not json").unwrap(), None);
        let empty = PartsCatalog::from_catalogs_json(r#"{"parts":[]}"#).unwrap();
        assert!(empty.unwrap().is_empty());
    }

    #[test]
    fn a_malformed_parts_key_is_refused_with_its_reason() {
        assert_eq!(problem("[]"), CatalogProblem::NotAnObject);
        assert_eq!(problem(r#"{"parts":{}}"#), CatalogProblem::NotAnArray);
        assert!(matches!(
            problem(r#"{"parts":["bearing"]}"#),
            CatalogProblem::BadEntry { index: 0, .. }
        ));
        assert_eq!(
            problem(
                r#"{"parts":[{"part_number":" ","specification":"s","unit":"个","unit_cost":"1"}]}"#
            ),
            CatalogProblem::EmptyField {
                index: 0,
                field: "part_number"
            }
        );
        for cost in [
            "-1",
            "1.234",
            "1e3",
            "",
            ".5",
            "5.",
            "1,5",
            "99999999999999999999",
        ] {
            let json = format!(
                r#"{{"parts":[{{"part_number":"P","specification":"s","unit":"个","unit_cost":"{cost}"}}]}}"#
            );
            assert!(
                matches!(problem(&json), CatalogProblem::BadUnitCost { .. }),
                "{cost}"
            );
        }
        let twice = r#"{"parts":[
            {"part_number":"P","specification":"s","unit":"个","unit_cost":"1"},
            {"part_number":"P","specification":"t","unit":"个","unit_cost":"2"}]}"#;
        assert_eq!(
            problem(twice),
            CatalogProblem::Duplicate {
                part_number: "P".into()
            }
        );
    }

    #[test]
    fn amounts_in_fen() {
        assert_eq!(fen("0"), Some(0));
        assert_eq!(fen("0.5"), Some(50));
        assert_eq!(fen("0.05"), Some(5));
        assert_eq!(fen("123.45"), Some(12345));
        assert_eq!(fen("+1"), None);
    }
}
