//! Who holds stock (a repair center, a dealer, an engineer's van) and the identity of one
//! holder's ledger for one quarter: a name-based UUID, so every replica finds the same
//! document for `center:C01` in `2026Q4` without asking HQ.

use std::fmt;
use std::str::FromStr;

use automerge::ActorId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::rules::quarter::Quarter;

/// The namespace of ledger ids (UUIDv5 of `"<holder> <quarter>"`). Fixed forever: changing it
/// would split every holder's ledger in two.
const LEDGER_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_43c2_9b0e_4d57_a1c8_2f7e_5d90_3b64);

/// The prefix of the actor that writes a ledger's first change. A device's actor is 16
/// random bytes, so it can never be one of these 22-byte actors.
const LEDGER_ACTOR_PREFIX: &[u8; 6] = b"ledger";

/// The most bytes a holder's id may have.
const MAX_ID_BYTES: usize = 64;

/// The kind of stock holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HolderKind {
    /// An authorized repair center: its technicians and warehouse staff (HQ users of that center).
    Center,
    /// A main dealer's stock of wear parts: its staff are HQ users of that center id too.
    Dealer,
    /// One field engineer's van stock: that engineer alone.
    Van,
}

impl HolderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HolderKind::Center => "center",
            HolderKind::Dealer => "dealer",
            HolderKind::Van => "van",
        }
    }
}

/// A stock holder, written `center:<center id>`, `dealer:<center id>` or `van:<user name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Holder {
    pub kind: HolderKind,
    pub id: String,
}

/// Text that is not a holder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a stock holder like center:C01, dealer:D07 or van:wang")]
pub struct NotHolder(pub String);

impl FromStr for Holder {
    type Err = NotHolder;

    fn from_str(s: &str) -> Result<Holder, NotHolder> {
        let not = || NotHolder(s.to_owned());
        let (kind, id) = s.split_once(':').ok_or_else(not)?;
        let kind = match kind {
            "center" => HolderKind::Center,
            "dealer" => HolderKind::Dealer,
            "van" => HolderKind::Van,
            _ => return Err(not()),
        };
        // The id goes into the ledger's name and HQ's tables: no spaces or control characters
        // that would make two spellings of one holder.
        if id.is_empty()
            || id.len() > MAX_ID_BYTES
            || id.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(not());
        }
        Ok(Holder {
            kind,
            id: id.to_owned(),
        })
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.id)
    }
}

impl Serialize for Holder {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Holder {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Holder, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The id of `holder`'s ledger for `quarter`: the same on every replica.
pub fn ledger_id(holder: &Holder, quarter: Quarter) -> Uuid {
    Uuid::new_v5(&LEDGER_NAMESPACE, format!("{holder} {quarter}").as_bytes())
}

/// Whether a document id is a ledger's (a version-5 UUID); cases have version-7 ids.
pub fn is_ledger_id(id: Uuid) -> bool {
    id.get_version_num() == 5
}

/// The actor of a ledger's first change, derived from its id so that every replica writes the
/// very same change (same hash) and no two replicas create rival documents.
pub fn ledger_actor(ledger: Uuid) -> ActorId {
    let mut bytes = LEDGER_ACTOR_PREFIX.to_vec();
    bytes.extend_from_slice(ledger.as_bytes());
    ActorId::from(bytes)
}

/// Whether an actor is a ledger's first-change actor, which no device may bind.
pub fn is_ledger_actor(actor: &[u8]) -> bool {
    actor.len() == LEDGER_ACTOR_PREFIX.len() + 16 && actor.starts_with(LEDGER_ACTOR_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_read_and_print_alike() {
        for text in [
            "center:C01",
            "dealer:D-07",
            "van:wang.wei",
            "center:维修中心1",
        ] {
            let holder: Holder = text.parse().unwrap();
            assert_eq!(holder.to_string(), text);
        }
        for bad in [
            "C01",
            "shop:C01",
            "center:",
            "van:wang wei",
            &format!("van:{}", "x".repeat(65)),
        ] {
            assert!(bad.parse::<Holder>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_ledger_id_names_one_holder_and_quarter() {
        let c01: Holder = "center:C01".parse().unwrap();
        let c02: Holder = "center:C02".parse().unwrap();
        let q = Quarter::new(2026, 4).unwrap();
        assert_eq!(ledger_id(&c01, q), ledger_id(&c01, q));
        assert_ne!(ledger_id(&c01, q), ledger_id(&c02, q));
        assert_ne!(ledger_id(&c01, q), ledger_id(&c01, q.next().unwrap()));
        assert!(is_ledger_id(ledger_id(&c01, q)));
        assert!(!is_ledger_id(Uuid::now_v7()));
        let actor = ledger_actor(ledger_id(&c01, q));
        assert!(is_ledger_actor(actor.to_bytes()));
        assert!(!is_ledger_actor(ActorId::random().to_bytes()));
    }
}
