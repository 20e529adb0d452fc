//! Corrections of the registration facts that decide warranty: which facts those are, what a
//! correction writes, and what the view derives from the document about them (the audit trail
//! of corrections, whether the warranty decision in force is stale, concurrent corrections of
//! one fact as a conflict). Everything here is read from the merged document alone, so every
//! replica holding the same changes reaches the same answer.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::case::facts;
use crate::case::records::{CorrectionRecord, Decided, Entry, EventBody, WarrantyRecord};
use crate::case::view::{CasePhoto, ConcurrentFact, ConflictAlternative, ConflictView};
use crate::error::{Error, Result};
use crate::model::{FactsCorrection, Market, ProofOfPurchase, Registration, Timestamp};

/// The fact keys that decide warranty, in the order texts list them. Only a correction (with a
/// reason) writes them after registration; concurrent values of one of them are a conflict.
pub const WARRANTY_FACTS: [&str; 6] = [
    "purchase_date",
    "proof_of_purchase",
    "product_category",
    "product_model",
    "market",
    "received_at",
];

/// Whether `key` is a fact that decides warranty.
pub fn decides_warranty(key: &str) -> bool {
    WARRANTY_FACTS.contains(&key)
}

/// The warranty-deciding facts as a decision saw them; stored in the warranty record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarrantyFacts {
    pub purchase_date: Option<NaiveDate>,
    pub proof_of_purchase: ProofOfPurchase,
    pub product_category: String,
    pub product_model: String,
    pub market: Market,
    pub received_at: Timestamp,
}

impl WarrantyFacts {
    pub fn of(r: &Registration) -> WarrantyFacts {
        WarrantyFacts {
            purchase_date: r.purchase_date,
            proof_of_purchase: r.proof_of_purchase.clone(),
            product_category: r.product_category.clone(),
            product_model: r.product_model.clone(),
            market: r.market,
            received_at: r.received_at,
        }
    }

    /// The keys whose values differ. Times compare as instants: the same moment written with
    /// another offset decides warranty the same way.
    fn differing(&self, now: &WarrantyFacts) -> Vec<&'static str> {
        let same = [
            self.purchase_date == now.purchase_date,
            self.proof_of_purchase == now.proof_of_purchase,
            self.product_category == now.product_category,
            self.product_model == now.product_model,
            self.market == now.market,
            self.received_at == now.received_at,
        ];
        WARRANTY_FACTS
            .into_iter()
            .zip(same)
            .filter(|(_, same)| !same)
            .map(|(key, _)| key)
            .collect()
    }

    /// A fact's value as a person reads it.
    fn display(&self, key: &str) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get(key).map(Value::to_string))
            .map(|json| facts::display(&json))
            .unwrap_or_default()
    }
}

/// The facts a correction sets, as (key, JSON text) in [`WARRANTY_FACTS`] order.
pub fn pairs(c: &FactsCorrection) -> Result<Vec<(String, String)>> {
    let value = serde_json::to_value(c).map_err(|e| Error::InvalidDocument(e.to_string()))?;
    Ok(WARRANTY_FACTS
        .into_iter()
        .filter_map(|key| match value.get(key) {
            Some(Value::Null) | None => None,
            Some(v) => Some((key.to_owned(), v.to_string())),
        })
        .collect())
}

/// A warranty decision made on facts that have been corrected since: it must be decided again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleWarranty {
    /// The corrected facts, in [`WARRANTY_FACTS`] order.
    pub facts: Vec<StaleFact>,
}

/// One fact the decision used that no longer holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleFact {
    pub field: String,
    /// The value the decision used, as a person reads it.
    pub decided_on: String,
    /// The value now; every concurrent value joined by ` | ` while corrections conflict.
    pub now: String,
}

/// Whether `warranty` was decided on the facts as they stand. A fact with concurrent
/// corrections counts as changed: until a person picks one, the decision cannot be known to
/// hold. A decision written before corrections existed carries no facts; it is stale when a
/// correction was made after it (by the times recorded), the best that can be known of it.
pub fn stale(
    warranty: &Decided<WarrantyRecord>,
    registration: &Registration,
    concurrent: &[ConcurrentFact],
    corrections: &[Entry<CorrectionRecord>],
) -> Option<StaleWarranty> {
    let now = WarrantyFacts::of(registration);
    let in_conflict = |key: &str| concurrent.iter().find(|f| f.field == key);
    let mut facts = Vec::new();
    for key in WARRANTY_FACTS {
        let decided_on = match &warranty.value.decided_on {
            Some(decided) if decided.differing(&now).contains(&key) => Some(decided.display(key)),
            Some(decided) => in_conflict(key).map(|_| decided.display(key)),
            None => corrections
                .iter()
                .filter(|c| c.stamp.at > warranty.stamp.at)
                .flat_map(|c| &c.body.changes)
                .find(|change| change.field == key)
                .map(|change| facts::display(&change.from))
                .or_else(|| in_conflict(key).map(|_| now.display(key))),
        };
        if let Some(decided_on) = decided_on {
            let now = match in_conflict(key) {
                Some(f) => f.values.join(" | "),
                None => now.display(key),
            };
            facts.push(StaleFact {
                field: key.to_owned(),
                decided_on,
                now,
            });
        }
    }
    (!facts.is_empty()).then_some(StaleWarranty { facts })
}

/// The corrections in the audit trail, in time order (`events` already is).
pub fn corrections_of(events: &[Entry<EventBody>]) -> Vec<Entry<CorrectionRecord>> {
    events
        .iter()
        .filter_map(|e| {
            e.body.correction.as_ref().map(|c| Entry {
                id: e.id.clone(),
                stamp: e.stamp.clone(),
                body: c.clone(),
            })
        })
        .collect()
}

/// The conflict's field name for a fact: `facts.<key>`, as `resolve_conflict` takes it.
pub fn conflict_field(key: &str) -> String {
    format!("facts.{key}")
}

/// Concurrent corrections of one warranty-deciding fact, as conflicts a person resolves. Each
/// value is attributed to the latest correction that wrote it; the order (time, device, value)
/// is the same on every replica, so an index names the same value everywhere. A value no
/// correction wrote is attributed to no one at `fallback` (the registration).
pub fn fact_conflicts(
    concurrent: &[ConcurrentFact],
    corrections: &[Entry<CorrectionRecord>],
    fallback: Timestamp,
) -> Vec<ConflictView> {
    concurrent
        .iter()
        .filter(|f| decides_warranty(&f.field))
        .map(|f| {
            let mut alternatives: Vec<ConflictAlternative> = f
                .values
                .iter()
                .zip(&f.json)
                .map(|(shown, json)| {
                    let by = corrections
                        .iter()
                        .rev()
                        .find(|c| {
                            c.body
                                .changes
                                .iter()
                                .any(|ch| ch.field == f.field && &ch.to == json)
                        })
                        .map(|c| &c.stamp);
                    ConflictAlternative {
                        value: shown.clone(),
                        by: by.map(|s| s.by.clone()).unwrap_or_default(),
                        device: by.map(|s| s.device.clone()).unwrap_or_default(),
                        at: by.map_or(fallback, |s| s.at),
                    }
                })
                .collect();
            alternatives
                .sort_by(|a, b| (a.at, &a.device, &a.value).cmp(&(b.at, &b.device, &b.value)));
            ConflictView {
                field: conflict_field(&f.field),
                alternatives,
            }
        })
        .collect()
}

/// The invoice photo cited for the proof of purchase now recorded: the latest correction that
/// touched the proof or cited a photo decides, and its photo counts while it is on the case.
pub fn invoice_photo(
    corrections: &[Entry<CorrectionRecord>],
    photos: &[CasePhoto],
) -> Option<String> {
    corrections
        .iter()
        .rev()
        .find(|c| {
            c.body.invoice_photo.is_some()
                || c.body
                    .changes
                    .iter()
                    .any(|ch| ch.field == "proof_of_purchase")
        })
        .and_then(|c| c.body.invoice_photo.clone())
        .filter(|hash| photos.iter().any(|p| &p.hash == hash))
}
