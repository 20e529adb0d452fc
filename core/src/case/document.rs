//! The automerge schema of one service case, and the only code that writes or reads it.
//!
//! Layout of a case document (schema 1):
//! ```text
//! ROOT
//!   schema: 1            case_id: "<uuid>"     number: "2611-0042" (put by HQ, absent before)
//!   facts: { customer_name, customer_phone, ..., received_at }   scalars, last writer wins
//!   decisions: { status, defect, warranty, charge, resolution }  JSON records; concurrent
//!                                                                values are a conflict
//!   notes | events | parts | visits | confirmations | rounds:     { <entry id>: JSON entry }
//!   photos: { <sha256>: JSON }                                   keyed by content hash
//! ```
//! Every container is made in the case's first change, which every replica shares, so two
//! replicas never create rival objects under the same key. Entries are immutable JSON strings
//! under unique keys: a merge is a union and no entry can be lost. Decisions are single JSON
//! strings so that two concurrent puts remain visible side by side through `get_all`.

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{ActorId, Automerge, ObjId, ObjType, ROOT, ReadDoc, Value};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::model::{CaseId, Registration};

/// The version of the layout above; a document from a newer app is refused, not misread.
pub const SCHEMA_VERSION: u64 = 1;

pub(crate) const FACTS: &str = "facts";
pub(crate) const DECISIONS: &str = "decisions";
pub(crate) const PHOTOS: &str = "photos";
const NUMBER: &str = "number";

/// The root keys of schema 1; any other root key was written by a newer app (ADR 0009).
const ROOT_KEYS: [&str; 12] = [
    "schema",
    "case_id",
    NUMBER,
    FACTS,
    DECISIONS,
    PHOTOS,
    "notes",
    "events",
    "parts",
    "visits",
    "confirmations",
    "rounds",
];

/// The append-only collections of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    Notes,
    Events,
    Parts,
    Visits,
    Confirmations,
    Rounds,
}

impl Collection {
    pub const ALL: [Collection; 6] = [
        Collection::Notes,
        Collection::Events,
        Collection::Parts,
        Collection::Visits,
        Collection::Confirmations,
        Collection::Rounds,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Collection::Notes => "notes",
            Collection::Events => "events",
            Collection::Parts => "parts",
            Collection::Visits => "visits",
            Collection::Confirmations => "confirmations",
            Collection::Rounds => "rounds",
        }
    }
}

/// The decision fields: a concurrent edit of any of them is a conflict for a person to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecisionField {
    Status,
    Defect,
    Warranty,
    Charge,
    Resolution,
}

impl DecisionField {
    pub const ALL: [DecisionField; 5] = [
        DecisionField::Status,
        DecisionField::Defect,
        DecisionField::Warranty,
        DecisionField::Charge,
        DecisionField::Resolution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionField::Status => "status",
            DecisionField::Defect => "defect",
            DecisionField::Warranty => "warranty",
            DecisionField::Charge => "charge",
            DecisionField::Resolution => "resolution",
        }
    }

    pub fn parse(s: &str) -> Option<DecisionField> {
        DecisionField::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Loads a case document from its stored parts: a full save plus incremental changes.
pub fn load(
    case_id: CaseId,
    snapshot: &[u8],
    changes: &[Vec<u8>],
    actor: &ActorId,
) -> Result<Automerge> {
    let corrupt = |reason: String| Error::CorruptDocument { case_id, reason };
    // One strict load of the snapshot followed by its change chunks: unlike
    // `load_incremental`, which skips a damaged chunk with only a log line, `load` fails on
    // any chunk it cannot read, so a damaged change can never silently hide later work.
    let mut bytes =
        Vec::with_capacity(snapshot.len() + changes.iter().map(Vec::len).sum::<usize>());
    bytes.extend_from_slice(snapshot);
    for change in changes {
        if change.is_empty() {
            return Err(corrupt("an empty change record".into()));
        }
        bytes.extend_from_slice(change);
    }
    let mut doc = Automerge::load(&bytes).map_err(|e| corrupt(e.to_string()))?;
    // Changes whose dependencies are missing are held back by automerge, not applied.
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(corrupt(
            "a stored change depends on one that is missing".into(),
        ));
    }
    check_schema(&doc).map_err(corrupt)?;
    doc.set_actor(actor.clone());
    Ok(doc)
}

/// Refuses documents that are not case documents of a schema this code understands.
pub fn check_schema(doc: &Automerge) -> std::result::Result<(), String> {
    match get_scalar(doc, &ROOT, "schema").and_then(|v| v.as_u64()) {
        Some(v) if v <= SCHEMA_VERSION => {}
        Some(v) => return Err(format!("schema {v} is newer than {SCHEMA_VERSION}")),
        None => return Err("not a case document".into()),
    }
    for key in [FACTS, DECISIONS, PHOTOS]
        .into_iter()
        .chain(Collection::ALL.iter().map(|c| c.key()))
    {
        if object(doc, &ROOT, key).is_none() {
            return Err(format!("missing {key}"));
        }
    }
    Ok(())
}

/// The identity of a case document's lineage: the id of its facts object, made by the case's
/// first change. Two documents with the same case id but different origins were created
/// separately, and merging them would let one's containers hide the other's.
pub fn origin_of(doc: &impl ReadDoc) -> Option<ObjId> {
    object(doc, &ROOT, FACTS)
}

/// The case id a document says it is for.
pub fn case_id_of(doc: &impl ReadDoc) -> Option<CaseId> {
    get_scalar(doc, &ROOT, "case_id")
        .and_then(|v| v.as_str().map(str::to_owned))
        .and_then(|s| s.parse().ok())
}

/// The official HQ number, once HQ has given one.
pub fn number_of(doc: &impl ReadDoc) -> Option<String> {
    get_scalar(doc, &ROOT, NUMBER).and_then(|v| v.as_str().map(str::to_owned))
}

/// The commit options every command uses: the action name and the device's clock, so the
/// change history reads as an audit trail even outside the event list.
pub fn commit_options(action: &str, unix_seconds: i64) -> CommitOptions {
    CommitOptions::default()
        .with_message(action.to_owned())
        .with_time(unix_seconds)
}

/// Writes a brand-new case: schema, every container, and the registration facts.
pub fn create(
    doc: &mut Transaction<'_>,
    case_id: CaseId,
    registration: &Registration,
) -> Result<()> {
    doc.put(ROOT, "schema", SCHEMA_VERSION).map_err(internal)?;
    doc.put(ROOT, "case_id", case_id.to_string())
        .map_err(internal)?;
    for key in [FACTS, DECISIONS, PHOTOS]
        .into_iter()
        .chain(Collection::ALL.iter().map(|c| c.key()))
    {
        doc.put_object(ROOT, key, ObjType::Map).map_err(internal)?;
    }
    for (key, value) in crate::case::facts::to_pairs(registration) {
        put_fact(doc, &key, value)?;
    }
    Ok(())
}

/// Sets one scalar fact (last writer wins; concurrent values stay visible through `get_all`).
pub fn put_fact(doc: &mut Transaction<'_>, key: &str, value: String) -> Result<()> {
    let facts = container(doc, FACTS)?;
    doc.put(&facts, key, value).map_err(internal)
}

/// Sets the official number HQ gave the case.
pub fn put_number(doc: &mut Transaction<'_>, number: &str) -> Result<()> {
    doc.put(ROOT, NUMBER, number.to_owned()).map_err(internal)
}

/// Sets a decision field to a JSON record; overwrites every value this replica has seen,
/// which is how a person's choice resolves a conflict.
pub fn put_decision_json(
    doc: &mut Transaction<'_>,
    field: DecisionField,
    json: String,
) -> Result<()> {
    let decisions = container(doc, DECISIONS)?;
    doc.put(&decisions, field.as_str(), json).map_err(internal)
}

/// Appends an immutable JSON entry under its own id.
pub fn append_json(
    doc: &mut Transaction<'_>,
    collection: Collection,
    id: &str,
    json: String,
) -> Result<()> {
    let obj = container(doc, collection.key())?;
    doc.put(&obj, id, json).map_err(internal)
}

/// Puts a JSON value under `key` of a keyed container such as photos.
pub fn put_keyed_json(
    doc: &mut Transaction<'_>,
    container_key: &str,
    key: &str,
    json: String,
) -> Result<()> {
    let obj = container(doc, container_key)?;
    doc.put(&obj, key, json).map_err(internal)
}

/// All current facts: key → every concurrent value (the winner first).
pub fn read_facts(doc: &impl ReadDoc) -> Vec<(String, Vec<String>)> {
    let Some(facts) = object(doc, &ROOT, FACTS) else {
        return Vec::new();
    };
    // One pass over the map; the concurrent values are looked up only where there are some
    // (a point read per key costs about as much as the whole pass).
    doc.map_range(&facts, ..)
        .map(|item| {
            let key = item.key.into_owned();
            let values = if item.conflict {
                all_strings(doc, &facts, &key)
            } else {
                item.value
                    .into_value()
                    .as_str()
                    .map(|s| vec![s.to_owned()])
                    .unwrap_or_default()
            };
            (key, values)
        })
        .collect()
}

/// Every concurrent value of a decision field, winner first, decoded.
pub fn read_decision<T: DeserializeOwned>(
    doc: &impl ReadDoc,
    field: DecisionField,
) -> Result<Vec<T>> {
    let Some(decisions) = object(doc, &ROOT, DECISIONS) else {
        return Ok(Vec::new());
    };
    all_strings(doc, &decisions, field.as_str())
        .iter()
        .map(|s| from_json(s))
        .collect()
}

/// Every entry of a collection, decoded, in key order (entry ids are UUIDv7: time order).
pub fn read_collection<T: DeserializeOwned>(
    doc: &impl ReadDoc,
    collection: Collection,
) -> Result<Vec<T>> {
    Ok(read_keyed(doc, collection.key())?
        .into_iter()
        .map(|(_, v)| v)
        .collect())
}

/// Every (key, value) of a keyed container, decoded, in key order.
pub fn read_keyed<T: DeserializeOwned>(
    doc: &impl ReadDoc,
    container_key: &str,
) -> Result<Vec<(String, T)>> {
    read_raw(doc, container_key)?
        .into_iter()
        .map(|(key, json)| from_json(&json).map(|v| (key, v)))
        .collect()
}

/// Every (key, JSON text) of a keyed container, undecoded, in key order.
pub fn read_raw(doc: &impl ReadDoc, container_key: &str) -> Result<Vec<(String, String)>> {
    let Some(obj) = object(doc, &ROOT, container_key) else {
        return Ok(Vec::new());
    };
    // Anything but a JSON string (an object, automerge Text, a number) is refused rather than
    // skipped: an entry nobody can see would be work silently lost.
    doc.map_range(&obj, ..)
        .map(|item| {
            let key = item.key.into_owned();
            match item.value.into_value().as_str() {
                Some(json) => Ok((key, json.to_owned())),
                None => Err(Error::InvalidDocument(format!(
                    "{container_key}: entry {key} is not a JSON string"
                ))),
            }
        })
        .collect()
}

/// The root keys schema 1 does not have, in key order: content of a newer app, kept unread.
pub fn unknown_root_keys(doc: &impl ReadDoc) -> Vec<String> {
    doc.keys(&ROOT)
        .filter(|key| !ROOT_KEYS.contains(&key.as_str()))
        .collect()
}

/// The decision keys this version does not know, each with every concurrent value (winner
/// first). Like every decision, each value must be a string holding JSON.
pub fn read_unknown_decisions(doc: &impl ReadDoc) -> Result<Vec<(String, Vec<String>)>> {
    let Some(decisions) = object(doc, &ROOT, DECISIONS) else {
        return Ok(Vec::new());
    };
    doc.keys(&decisions)
        .filter(|key| DecisionField::parse(key).is_none())
        .map(|key| {
            let values = all_strings(doc, &decisions, &key);
            let readable = !values.is_empty()
                && values
                    .iter()
                    .all(|v| serde_json::from_str::<serde_json::Value>(v).is_ok());
            if readable {
                Ok((key, values))
            } else {
                Err(Error::InvalidDocument(format!(
                    "decisions: {key} is not a JSON string"
                )))
            }
        })
        .collect()
}

/// Removes `key` from a keyed container such as photos. A concurrent put of the same key on
/// another replica survives the merge: a delete only removes the values it saw.
pub fn delete_keyed(doc: &mut Transaction<'_>, container_key: &str, key: &str) -> Result<()> {
    let obj = container(doc, container_key)?;
    doc.delete(&obj, key).map_err(internal)
}

fn container(doc: &Transaction<'_>, key: &str) -> Result<ObjId> {
    object(doc, &ROOT, key).ok_or_else(|| Error::InvalidDocument(format!("missing {key}")))
}

fn object(doc: &impl ReadDoc, parent: &ObjId, key: &str) -> Option<ObjId> {
    match doc.get(parent, key) {
        Ok(Some((Value::Object(ObjType::Map), id))) => Some(id),
        _ => None,
    }
}

fn get_scalar<'a>(doc: &'a impl ReadDoc, obj: &ObjId, key: &str) -> Option<Value<'a>> {
    match doc.get(obj, key) {
        Ok(Some((value @ Value::Scalar(_), _))) => Some(value),
        _ => None,
    }
}

/// Every concurrent string value at `key`, with automerge's deterministic winner first.
fn all_strings(doc: &impl ReadDoc, obj: &ObjId, key: &str) -> Vec<String> {
    let winner = get_scalar(doc, obj, key).and_then(|v| v.as_str().map(str::to_owned));
    let mut values: Vec<String> = doc
        .get_all(obj, key)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(v, _)| v.as_str().map(str::to_owned))
        .collect();
    if let Some(w) = winner
        && let Some(pos) = values.iter().position(|v| *v == w)
    {
        let w = values.remove(pos);
        values.insert(0, w);
    }
    values
}

fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::InvalidDocument(format!("unreadable entry: {e}")))
}

fn internal(e: automerge::AutomergeError) -> Error {
    Error::InvalidDocument(e.to_string())
}
