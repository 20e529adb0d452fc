//! The registration form as per-field facts. Each field is its own document key holding the
//! field's JSON text, so two replicas editing different fields never touch each other and two
//! editing the same field keep both values visible.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::model::{FactsUpdate, Registration};

/// The fact keys of schema 1, one per registration field; any other fact key was written by a
/// newer app and is shown as unknown (ADR 0009).
pub const KEYS: [&str; 19] = [
    "customer_name",
    "customer_phone",
    "customer_address",
    "region",
    "home_region",
    "market",
    "product_model",
    "product_category",
    "serial_number",
    "manufacture_date",
    "purchase_date",
    "proof_of_purchase",
    "fault_description",
    "customer_request",
    "channel",
    "received_at",
    "first_responder",
    "first_responder_id",
    "production_batch",
];

/// Every registration field as (key, JSON text).
pub fn to_pairs(registration: &Registration) -> Vec<(String, String)> {
    pairs_of(serde_json::to_value(registration).unwrap_or(Value::Null))
}

/// The fields an update sets, as (key, JSON text); untouched fields are absent.
pub fn update_pairs(update: &FactsUpdate) -> Vec<(String, String)> {
    pairs_of(serde_json::to_value(update).unwrap_or(Value::Null))
        .into_iter()
        .filter(|(_, v)| v != "null")
        .collect()
}

/// Rebuilds the registration from each field's winning value.
pub fn from_winners(facts: &[(String, Vec<String>)]) -> Result<Registration> {
    let mut object = Map::new();
    for (key, values) in facts {
        if let Some(winner) = values.first() {
            let value = serde_json::from_str(winner)
                .map_err(|e| Error::InvalidDocument(format!("fact {key}: {e}")))?;
            object.insert(key.clone(), value);
        }
    }
    serde_json::from_value(Value::Object(object))
        .map_err(|e| Error::InvalidDocument(format!("registration: {e}")))
}

/// A fact's JSON text as a person would read it: strings without quotes.
pub fn display(json_text: &str) -> String {
    match serde_json::from_str::<Value>(json_text) {
        Ok(Value::String(s)) => s,
        _ => json_text.to_owned(),
    }
}

/// Applies an update to a registration, for validating the result before writing it.
pub fn apply_update(registration: &Registration, update: &FactsUpdate) -> Result<Registration> {
    apply_pairs(registration, &update_pairs(update))
}

/// A registration with `pairs` (key, JSON text) written over it, for validating before writing.
pub fn apply_pairs(
    registration: &Registration,
    pairs: &[(String, String)],
) -> Result<Registration> {
    let mut value =
        serde_json::to_value(registration).map_err(|e| Error::InvalidDocument(e.to_string()))?;
    if let Value::Object(object) = &mut value {
        for (key, text) in pairs {
            let key = key.clone();
            let v =
                serde_json::from_str(text).map_err(|e| Error::InvalidDocument(e.to_string()))?;
            object.insert(key, v);
        }
    }
    serde_json::from_value(value).map_err(|e| Error::InvalidDocument(e.to_string()))
}

fn pairs_of(value: Value) -> Vec<(String, String)> {
    match value {
        Value::Object(object) => object
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect(),
        _ => Vec::new(),
    }
}
