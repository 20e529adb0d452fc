//! The automerge layout of a stock ledger (one holder, one quarter), and the only code that
//! writes or reads it.
//!
//! ```text
//! ROOT
//!   kind: "stock_ledger"   schema: 1   ledger_id: "<uuid v5>"   holder: "center:C01"
//!   quarter: "2026Q4"
//!   movements | requisitions | shipments: { <entry id>: JSON }   the holder's devices (HQ too)
//!   approvals | checks | closing: { <key>: JSON }                 HQ's alone
//! ```
//! Every key and container is made by the ledger's first change, which is the same change on
//! every replica: written by an actor derived from the ledger id, at time 0, with the same
//! operations in the same order, so it has the same hash wherever it is made. Two devices that
//! open the same ledger offline therefore share its containers instead of making rival ones,
//! and HQ makes that change itself for a ledger it has not seen; devices never push it.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, ObjId, ObjType, ROOT, ReadDoc, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::rules::quarter::Quarter;
use crate::stock::holder::{Holder, ledger_actor, ledger_id};

/// The document's `kind`: what tells a ledger from a case.
pub const KIND: &str = "stock_ledger";
/// The version of the layout above; a ledger of a newer layout is refused, not misread.
pub const LEDGER_SCHEMA: u64 = 1;

pub const MOVEMENTS: &str = "movements";
pub const REQUISITIONS: &str = "requisitions";
pub const SHIPMENTS: &str = "shipments";
pub const APPROVALS: &str = "approvals";
pub const CHECKS: &str = "checks";
pub const CLOSING: &str = "closing";
/// The key of the write-off's record in `closing`.
pub const WRITEOFF: &str = "writeoff";

/// The containers the holder's devices write into, one new key per entry.
pub const DEVICE_MAPS: [&str; 3] = [MOVEMENTS, REQUISITIONS, SHIPMENTS];
/// The containers only HQ writes.
pub const HQ_MAPS: [&str; 3] = [APPROVALS, CHECKS, CLOSING];

/// The message of the first change.
const GENESIS_MESSAGE: &str = "ledger";

/// A ledger's first change, as every replica makes it: a document holding only it.
pub fn genesis(holder: &Holder, quarter: Quarter) -> Automerge {
    let id = ledger_id(holder, quarter);
    let mut doc = Automerge::new().with_actor(ledger_actor(id));
    // The operations below are fixed; their order is part of the change's hash.
    let result = doc.transact_with::<_, _, automerge::AutomergeError, _>(
        |_| {
            CommitOptions::default()
                .with_message(GENESIS_MESSAGE.to_owned())
                .with_time(0)
        },
        |tx| {
            tx.put(ROOT, "kind", KIND)?;
            tx.put(ROOT, "schema", LEDGER_SCHEMA)?;
            tx.put(ROOT, "ledger_id", id.to_string())?;
            tx.put(ROOT, "holder", holder.to_string())?;
            tx.put(ROOT, "quarter", quarter.to_string())?;
            for map in DEVICE_MAPS.iter().chain(&HQ_MAPS) {
                tx.put_object(ROOT, *map, ObjType::Map)?;
            }
            Ok(())
        },
    );
    // Putting fixed scalars and maps into a new document's root cannot fail.
    debug_assert!(result.is_ok());
    doc
}

/// `genesis` for a ledger, with `actor` set to write the next changes.
pub fn open_new(holder: &Holder, quarter: Quarter, actor: &ActorId) -> Automerge {
    let mut doc = genesis(holder, quarter);
    doc.set_actor(actor.clone());
    doc
}

/// The root of a ledger, read once.
#[derive(Debug, Clone)]
pub struct LedgerRoot {
    pub ledger_id: Uuid,
    pub holder: Holder,
    pub quarter: Quarter,
    maps: Vec<(&'static str, ObjId)>,
}

impl LedgerRoot {
    /// Reads and checks a ledger's root: its kind, schema, identity (the id must be the one
    /// its holder and quarter name) and every container.
    pub fn read(doc: &impl ReadDoc) -> Result<LedgerRoot, String> {
        let text = |key: &str| match doc.get(ROOT, key) {
            Ok(Some((Value::Scalar(s), _))) => s.as_str().map(str::to_owned),
            _ => None,
        };
        if text("kind").as_deref() != Some(KIND) {
            return Err("not a stock ledger".into());
        }
        match doc.get(ROOT, "schema") {
            Ok(Some((Value::Scalar(s), _))) => match s.as_u64() {
                Some(v) if v <= LEDGER_SCHEMA => {}
                Some(v) => return Err(format!("ledger schema {v} is newer than {LEDGER_SCHEMA}")),
                None => return Err("the ledger's schema is not a number".into()),
            },
            _ => return Err("the ledger has no schema".into()),
        }
        let holder: Holder = text("holder")
            .ok_or("the ledger has no holder")?
            .parse()
            .map_err(|e: crate::stock::holder::NotHolder| e.to_string())?;
        let quarter: Quarter = text("quarter")
            .ok_or("the ledger has no quarter")?
            .parse()
            .map_err(|e: crate::error::Error| e.to_string())?;
        let id: Uuid = text("ledger_id")
            .and_then(|s| s.parse().ok())
            .ok_or("the ledger has no id")?;
        if id != ledger_id(&holder, quarter) {
            return Err(format!(
                "ledger {id} is not the ledger of {holder} in {quarter}"
            ));
        }
        let mut maps = Vec::with_capacity(DEVICE_MAPS.len() + HQ_MAPS.len());
        for map in DEVICE_MAPS.iter().chain(&HQ_MAPS) {
            match doc.get(ROOT, *map) {
                Ok(Some((Value::Object(ObjType::Map), obj))) => maps.push((*map, obj)),
                _ => return Err(format!("the ledger lacks {map}")),
            }
        }
        Ok(LedgerRoot {
            ledger_id: id,
            holder,
            quarter,
            maps,
        })
    }

    pub fn map(&self, name: &str) -> Option<&ObjId> {
        self.maps.iter().find(|(n, _)| *n == name).map(|(_, id)| id)
    }
}

/// Every entry of a container, in key order: `(key, record)`. A value that is not a JSON
/// string of the record's shape makes the ledger unreadable (HQ never stores one).
pub fn entries<T: DeserializeOwned>(
    doc: &impl ReadDoc,
    root: &LedgerRoot,
    map: &str,
) -> Result<Vec<(String, T)>, String> {
    let obj = root
        .map(map)
        .ok_or_else(|| format!("the ledger lacks {map}"))?;
    let mut out = Vec::new();
    for item in doc.map_range(obj, ..) {
        let key = item.key.as_ref().to_owned();
        let json = item
            .value
            .into_value()
            .into_string()
            .map_err(|_| format!("{map}.{key} is not a JSON string"))?;
        let record = serde_json::from_str(&json).map_err(|e| format!("{map}.{key}: {e}"))?;
        out.push((key, record));
    }
    Ok(out)
}

/// The keys a container holds.
pub fn keys(doc: &impl ReadDoc, root: &LedgerRoot, map: &str) -> Vec<String> {
    root.map(map)
        .map(|obj| doc.keys(obj).collect())
        .unwrap_or_default()
}

/// Puts one entry as its own change (message `action`, time `unix_seconds`).
pub fn put_entry(
    doc: &mut Automerge,
    root: &LedgerRoot,
    map: &str,
    key: &str,
    record: &impl Serialize,
    action: &str,
    unix_seconds: i64,
) -> Result<(), String> {
    let obj = root
        .map(map)
        .ok_or_else(|| format!("the ledger lacks {map}"))?
        .clone();
    let json = serde_json::to_string(record).map_err(|e| e.to_string())?;
    doc.transact_with::<_, _, automerge::AutomergeError, _>(
        |_| {
            CommitOptions::default()
                .with_message(action.to_owned())
                .with_time(unix_seconds)
        },
        |tx| {
            tx.put(&obj, key, json)?;
            Ok(())
        },
    )
    .map(|_| ())
    .map_err(|e| e.error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_replica_makes_the_same_first_change() {
        let holder: Holder = "center:C01".parse().unwrap();
        let q = Quarter::new(2026, 4).unwrap();
        let a = open_new(&holder, q, &ActorId::random());
        let b = open_new(&holder, q, &ActorId::random());
        assert_eq!(a.get_heads(), b.get_heads());
        assert_eq!(a.get_heads().len(), 1);
        let other = genesis(&holder, q.next().unwrap());
        assert_ne!(a.get_heads(), other.get_heads());
        let root = LedgerRoot::read(&a).unwrap();
        assert_eq!(root.holder, holder);
        assert_eq!(root.quarter, q);
    }

    #[test]
    fn entries_of_two_replicas_merge_into_one_ledger() {
        let holder: Holder = "van:wang".parse().unwrap();
        let q = Quarter::new(2026, 4).unwrap();
        let mut a = open_new(&holder, q, &ActorId::random());
        let mut b = open_new(&holder, q, &ActorId::random());
        let root = LedgerRoot::read(&a).unwrap();
        put_entry(&mut a, &root, MOVEMENTS, "m1", &"x", "issue", 1).unwrap();
        put_entry(&mut b, &root, MOVEMENTS, "m2", &"y", "issue", 2).unwrap();
        a.merge(&mut b).unwrap();
        assert_eq!(keys(&a, &root, MOVEMENTS), ["m1", "m2"]);
        assert!(LedgerRoot::read(&a).is_ok());
    }

    #[test]
    fn a_case_document_is_not_a_ledger() {
        let doc = Automerge::new();
        assert!(LedgerRoot::read(&doc).is_err());
    }
}
