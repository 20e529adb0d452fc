//! The automerge schema of one service case, and the only code that writes or reads it.
//!
//! Layout of a case document (schema 1):
//! ```text
//! ROOT
//!   schema: 1            case_id: "<uuid>"     number: "2611-0042" (put by HQ, absent before)
//!   accepted: "<RFC 3339>" (put by HQ with the number: when HQ first received the case)
//!   facts: { customer_name, customer_phone, ..., received_at }   scalars, last writer wins
//!   decisions: { status, defect, warranty, charge, resolution,   JSON records; concurrent
//!                passed_to_qa, remedy, report, agreed_deadline,  values are a conflict
//!                missed.<round>.<milestone> }                    (missed: equal keys agree)
//!   notes | events | parts | visits | confirmations | rounds:     { <entry id>: JSON entry }
//!   photos: { <sha256>: JSON }                                   keyed by content hash
//!   returns | receipts | inspections: { <entry id>: JSON entry }  made with the others in a
//!                        case registered since returns exist; HQ adds them to an older case
//!   escalations | approvals | rma: { <id>: JSON }  HQ's own, made by HQ's first write to them
//! ```
//! Every container is made in the case's first change, which every replica shares, so two
//! replicas never create rival objects under the same key. Entries are immutable JSON strings
//! under unique keys: a merge is a union and no entry can be lost. Decisions are single JSON
//! strings so that two concurrent puts remain visible side by side through `get_all`.

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{ActorId, Automerge, ObjId, ObjType, ROOT, ReadDoc, Value, ValueRef};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::model::{CaseId, Registration};

/// The version of the layout above; a document from a newer app is refused, not misread.
pub const SCHEMA_VERSION: u64 = 1;

pub(crate) const FACTS: &str = "facts";
pub(crate) const DECISIONS: &str = "decisions";
pub(crate) const PHOTOS: &str = "photos";
/// HQ's escalations of the case, keyed by escalation id.
pub const ESCALATIONS: &str = "escalations";
/// HQ's decisions on requests made on a device, keyed by the request's entry id (and step).
pub const APPROVALS: &str = "approvals";
/// HQ's RMA numbers, keyed by the return request's entry id.
pub const RMA: &str = "rma";
const NUMBER: &str = "number";
const ACCEPTED: &str = "accepted";

/// The maps only HQ writes, absent until HQ first writes one: a case from before them has
/// none. Only HQ makes them, one HQ transaction at a time under the log lock, so no two
/// replicas ever make rival maps under one of these keys.
const HQ_MAPS: [&str; 3] = [ESCALATIONS, APPROVALS, RMA];

/// The containers of returns and exchanges, which cases registered before them lack. A device
/// never makes them on such a case (two devices making one concurrently would hide each
/// other's entries); HQ, the one writer that cannot race itself, adds them
/// ([`add_return_containers`]) and the device writes returns once it has them.
pub const RETURN_CONTAINERS: [&str; 3] = ["returns", "receipts", "inspections"];

/// The append-only collections of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    Notes,
    Events,
    Parts,
    Visits,
    Confirmations,
    Rounds,
    Returns,
    Receipts,
    Inspections,
}

impl Collection {
    pub const ALL: [Collection; 9] = [
        Collection::Notes,
        Collection::Events,
        Collection::Parts,
        Collection::Visits,
        Collection::Confirmations,
        Collection::Rounds,
        Collection::Returns,
        Collection::Receipts,
        Collection::Inspections,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Collection::Notes => "notes",
            Collection::Events => "events",
            Collection::Parts => "parts",
            Collection::Visits => "visits",
            Collection::Confirmations => "confirmations",
            Collection::Rounds => "rounds",
            Collection::Returns => "returns",
            Collection::Receipts => "receipts",
            Collection::Inspections => "inspections",
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
    PassedToQa,
    Remedy,
    Report,
    AgreedDeadline,
    Compensation,
}

impl DecisionField {
    pub const ALL: [DecisionField; 10] = [
        DecisionField::Status,
        DecisionField::Defect,
        DecisionField::Warranty,
        DecisionField::Charge,
        DecisionField::Resolution,
        DecisionField::PassedToQa,
        DecisionField::Remedy,
        DecisionField::Report,
        DecisionField::AgreedDeadline,
        DecisionField::Compensation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionField::Status => "status",
            DecisionField::Defect => "defect",
            DecisionField::Warranty => "warranty",
            DecisionField::Charge => "charge",
            DecisionField::Resolution => "resolution",
            DecisionField::PassedToQa => "passed_to_qa",
            DecisionField::Remedy => "remedy",
            DecisionField::Report => "report",
            DecisionField::AgreedDeadline => "agreed_deadline",
            DecisionField::Compensation => "compensation",
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

/// The root of a case document, read in one pass: each point read of a key costs about as
/// much as walking the whole root, and a case is read root-first many times per sync.
#[derive(Debug, Clone, Default)]
pub struct Root {
    schema: Option<u64>,
    case_id: Option<String>,
    number: Option<String>,
    accepted: Option<String>,
    /// The container maps of schema 1 that are present (`CONTAINERS` order).
    containers: [Option<ObjId>; CONTAINERS.len()],
    /// HQ's maps that are present (`HQ_MAPS` order).
    hq_maps: [Option<ObjId>; HQ_MAPS.len()],
    /// The return containers that are present (`RETURN_CONTAINERS` order).
    return_maps: [Option<ObjId>; RETURN_CONTAINERS.len()],
    /// Root keys schema 1 does not have, in key order (ADR 0009).
    unknown: Vec<String>,
}

/// The maps every case document holds under its root.
const CONTAINERS: [&str; 9] = [
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

impl Root {
    pub fn read(doc: &impl ReadDoc) -> Root {
        let mut root = Root::default();
        for item in doc.map_range(&ROOT, ..) {
            let key = item.key.as_ref();
            if let Some(slot) = CONTAINERS.iter().position(|c| *c == key) {
                if matches!(item.value, ValueRef::Object(ObjType::Map)) {
                    root.containers[slot] = Some(item.id());
                }
                continue;
            }
            if let Some(slot) = HQ_MAPS.iter().position(|c| *c == key)
                && matches!(item.value, ValueRef::Object(ObjType::Map))
            {
                root.hq_maps[slot] = Some(item.id());
                continue;
            }
            if let Some(slot) = RETURN_CONTAINERS.iter().position(|c| *c == key)
                && matches!(item.value, ValueRef::Object(ObjType::Map))
            {
                root.return_maps[slot] = Some(item.id());
                continue;
            }
            let value = item.value.into_value();
            match key {
                "schema" => root.schema = value.as_u64(),
                "case_id" => root.case_id = value.into_string().ok(),
                NUMBER => root.number = value.into_string().ok(),
                ACCEPTED => root.accepted = value.into_string().ok(),
                _ => root.unknown.push(key.to_owned()),
            }
        }
        root
    }

    /// Refuses documents that are not case documents of a schema this code understands.
    pub fn check(&self) -> std::result::Result<(), String> {
        match self.schema {
            Some(v) if v <= SCHEMA_VERSION => {}
            Some(v) => return Err(format!("schema {v} is newer than {SCHEMA_VERSION}")),
            None => return Err("not a case document".into()),
        }
        match CONTAINERS
            .iter()
            .zip(&self.containers)
            .find(|(_, id)| id.is_none())
        {
            Some((key, _)) => Err(format!("missing {key}")),
            None => Ok(()),
        }
    }

    /// The case id the document says it is for.
    pub fn case_id(&self) -> Option<CaseId> {
        self.case_id.as_deref().and_then(|s| s.parse().ok())
    }

    /// The official HQ number, once HQ has given one.
    pub fn number(&self) -> Option<&str> {
        self.number.as_deref()
    }

    /// When HQ first received the case (its acceptance), once HQ has stamped it; a value that
    /// is not an RFC 3339 moment is not HQ's and is ignored.
    pub fn accepted(&self) -> Option<crate::model::Timestamp> {
        self.accepted
            .as_deref()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    }

    /// The root keys schema 1 does not have, in key order: content of a newer app, kept unread.
    pub fn unknown_keys(&self) -> &[String] {
        &self.unknown
    }

    /// Whether the case has the containers of returns and exchanges.
    pub fn has_returns(&self) -> bool {
        self.return_maps.iter().all(Option::is_some)
    }

    fn object(&self, key: &str) -> Option<&ObjId> {
        if let Some(slot) = HQ_MAPS.iter().position(|c| *c == key) {
            return self.hq_maps[slot].as_ref();
        }
        if let Some(slot) = RETURN_CONTAINERS.iter().position(|c| *c == key) {
            return self.return_maps[slot].as_ref();
        }
        let slot = CONTAINERS.iter().position(|c| *c == key)?;
        self.containers[slot].as_ref()
    }
}

/// Refuses documents that are not case documents of a schema this code understands.
pub fn check_schema(doc: &Automerge) -> std::result::Result<(), String> {
    Root::read(doc).check()
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
    for key in CONTAINERS.into_iter().chain(RETURN_CONTAINERS) {
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

/// Sets HQ's acceptance time, written by HQ with the number on first receipt.
pub fn put_accepted(doc: &mut Transaction<'_>, at: crate::model::Timestamp) -> Result<()> {
    let text = at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    doc.put(ROOT, ACCEPTED, text).map_err(internal)
}

/// Puts a decision record under a key that is not one of the [`DecisionField`]s (a
/// missed-deadline record), in the same map.
pub fn put_decision_key_json(doc: &mut Transaction<'_>, key: &str, json: String) -> Result<()> {
    let decisions = container(doc, DECISIONS)?;
    doc.put(&decisions, key, json).map_err(internal)
}

/// Makes the return containers a case registered before them lacks; returns whether it made
/// any. Only HQ calls this, with its own actor (see [`RETURN_CONTAINERS`]).
pub fn add_return_containers(doc: &mut Transaction<'_>) -> Result<bool> {
    let mut made = false;
    for key in RETURN_CONTAINERS {
        if object(doc, &ROOT, key).is_none() {
            doc.put_object(ROOT, key, ObjType::Map).map_err(internal)?;
            made = true;
        }
    }
    Ok(made)
}

/// Puts an HQ record under `id` in one of HQ's maps (`ESCALATIONS`, `APPROVALS`, `RMA`),
/// making the map on HQ's first write to it. Only HQ calls this, with its own actor.
pub fn put_hq_entry(doc: &mut Transaction<'_>, map: &str, id: &str, json: String) -> Result<()> {
    if !HQ_MAPS.contains(&map) {
        return Err(Error::InvalidDocument(format!(
            "{map} is not one of HQ's maps"
        )));
    }
    let obj = match object(doc, &ROOT, map) {
        Some(obj) => obj,
        None => doc.put_object(ROOT, map, ObjType::Map).map_err(internal)?,
    };
    doc.put(&obj, id, json).map_err(internal)
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
pub fn read_facts(doc: &impl ReadDoc, root: &Root) -> Vec<(String, Vec<String>)> {
    let Some(facts) = root.object(FACTS) else {
        return Vec::new();
    };
    doc.map_range(facts, ..)
        .map(|item| {
            let key = item.key.into_owned();
            let values = if item.conflict {
                all_strings(doc, facts, &key, &item.value)
            } else {
                item.value
                    .into_value()
                    .into_string()
                    .map(|s| vec![s])
                    .unwrap_or_default()
            };
            (key, values)
        })
        .collect()
}

/// Every decision field, known or not, in key order, each with every concurrent value
/// (winner first) as the JSON text it must be: any other value is refused, not skipped.
pub fn read_decisions(doc: &impl ReadDoc, root: &Root) -> Result<Vec<(String, Vec<String>)>> {
    let Some(decisions) = root.object(DECISIONS) else {
        return Ok(Vec::new());
    };
    doc.map_range(decisions, ..)
        .map(|item| {
            let key = item.key.into_owned();
            let values = if item.conflict {
                all_values(doc, decisions, &key, &item.value)
            } else {
                vec![item.value.into_value()]
            };
            values
                .into_iter()
                .map(|v| {
                    v.into_string()
                        .ok()
                        .filter(|s| serde_json::from_str::<serde_json::Value>(s).is_ok())
                        .ok_or_else(|| {
                            Error::InvalidDocument(format!("decisions: {key} is not a JSON string"))
                        })
                })
                .collect::<Result<Vec<String>>>()
                .map(|values| (key, values))
        })
        .collect()
}

/// Every entry of a collection, decoded, in key order (entry ids are UUIDv7: time order).
pub fn read_collection<T: DeserializeOwned>(
    doc: &impl ReadDoc,
    collection: Collection,
) -> Result<Vec<T>> {
    read_raw(doc, &Root::read(doc), collection.key())?
        .into_iter()
        .map(|(_, json)| from_json(&json))
        .collect()
}

/// Every (key, JSON text) of a keyed container, undecoded, in key order.
pub fn read_raw(
    doc: &impl ReadDoc,
    root: &Root,
    container_key: &str,
) -> Result<Vec<(String, String)>> {
    let Some(obj) = root.object(container_key) else {
        return Ok(Vec::new());
    };
    // Anything but a JSON string (an object, automerge Text, a number) is refused rather than
    // skipped: an entry nobody can see would be work silently lost.
    doc.map_range(obj, ..)
        .map(|item| {
            let key = item.key.into_owned();
            match item.value.into_value().into_string() {
                Ok(json) => Ok((key, json)),
                Err(_) => Err(Error::InvalidDocument(format!(
                    "{container_key}: entry {key} is not a JSON string"
                ))),
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

/// Every concurrent value at `key`, automerge's deterministic winner (`winner`, as a map
/// range shows it) first.
fn all_values<'a>(
    doc: &'a impl ReadDoc,
    obj: &ObjId,
    key: &str,
    winner: &ValueRef<'_>,
) -> Vec<Value<'a>> {
    let winner = winner.clone().into_value();
    let mut values: Vec<Value<'a>> = doc
        .get_all(obj, key)
        .unwrap_or_default()
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    if let Some(pos) = values.iter().position(|v| *v == winner) {
        let w = values.remove(pos);
        values.insert(0, w);
    }
    values
}

/// [`all_values`] that are strings.
fn all_strings(doc: &impl ReadDoc, obj: &ObjId, key: &str, winner: &ValueRef<'_>) -> Vec<String> {
    all_values(doc, obj, key, winner)
        .into_iter()
        .filter_map(|v| v.into_string().ok())
        .collect()
}

/// Decodes one JSON record of the document; a record that does not decode is unreadable.
pub(crate) fn from_json<T: DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| Error::InvalidDocument(format!("unreadable entry: {e}")))
}

fn internal(e: automerge::AutomergeError) -> Error {
    Error::InvalidDocument(e.to_string())
}
