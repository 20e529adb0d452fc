//! Turning pushed bytes into automerge changes, strictly.
//!
//! A `Changes` push carries one change chunk per item (compressed or plain), so each is parsed
//! on its own with `automerge::Change::from_bytes`, which refuses trailing bytes and chunks of
//! another type; HQ also compares the chunk's checksum with the change's hash, which the parser
//! does not. A `Document` push is loaded strictly (a damaged chunk fails the load instead of
//! being skipped) and expanded into all its changes, in causal order. Loading chunks into a
//! scratch document instead would hide exactly what HQ must see: `Automerge::load` quietly
//! queues changes whose dependencies are missing, where HQ must answer `NeedFull`.

use std::io::Read;

use automerge::{Automerge, Change, LoadOptions, OnPartialLoad, ReadDoc, VerificationMode};

use crate::error::{Error, Result};

/// Chunk types of automerge's binary format (after the 4-byte magic and 4-byte checksum).
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED_CHANGE: u8 = 2;

/// How many bytes a change chunk's body takes once inflated, found without trusting it:
/// a compressed chunk is inflated here in a stream, into nothing, and given up on as soon as
/// it passes `limit` — automerge itself would inflate all of it first (a 1 MiB chunk can hold
/// 1 GiB). A plain chunk is its own size. Anything else is left to the parser to refuse.
pub fn inflated_len(chunk: &[u8], limit: usize) -> Result<usize> {
    let too_large = || Error::TooLarge(format!("a change chunk inflates to over {limit} bytes"));
    let Some(&kind) = chunk.get(8) else {
        return Ok(chunk.len());
    };
    if kind != CHUNK_COMPRESSED_CHANGE {
        return if kind == CHUNK_CHANGE && chunk.len() > limit {
            Err(too_large())
        } else {
            Ok(chunk.len())
        };
    }
    // The body's length, an unsigned LEB128 after the type byte.
    let mut at = 9;
    let mut shift = 0u32;
    loop {
        let byte = *chunk
            .get(at)
            .ok_or_else(|| Error::malformed("a change chunk is cut off"))?;
        at += 1;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return Err(Error::malformed("a change chunk's length does not parse"));
        }
    }
    let bound = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let inflated = std::io::copy(
        &mut flate2::read::DeflateDecoder::new(&chunk[at..]).take(bound),
        &mut std::io::sink(),
    )
    .map_err(|_| Error::malformed("a compressed change chunk does not inflate"))?;
    let total = usize::try_from(inflated)
        .unwrap_or(usize::MAX)
        .saturating_add(at);
    if inflated >= bound || total > limit {
        return Err(too_large());
    }
    Ok(total)
}

/// Parses one change chunk.
pub fn parse_change(chunk: &[u8]) -> Result<Change> {
    let bad = || Error::malformed("a change chunk does not parse");
    let change = Change::from_bytes(chunk.to_vec()).map_err(|_| bad())?;
    // The header's checksum is the first four bytes of the change's hash; automerge's parser
    // does not compare them, so a flipped byte in an operation would otherwise pass as a
    // different, valid-looking change.
    if chunk.get(4..8) != Some(&change.hash().0[..4]) {
        return Err(Error::malformed("a change chunk fails its checksum"));
    }
    Ok(change)
}

/// Parses every chunk of a `Changes` push, in the order given.
pub fn parse_changes<B: AsRef<[u8]>>(chunks: &[B]) -> Result<Vec<Change>> {
    if chunks.is_empty() {
        return Err(Error::malformed("a Changes push without changes"));
    }
    chunks.iter().map(|c| parse_change(c.as_ref())).collect()
}

/// Loads a whole saved document strictly.
pub fn load_document(bytes: &[u8]) -> Result<Automerge> {
    let doc = Automerge::load_with_options(
        bytes,
        LoadOptions::new()
            .on_partial_load(OnPartialLoad::Error)
            .verification_mode(VerificationMode::Check),
    )
    .map_err(|_| Error::malformed("a document does not load"))?;
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(Error::malformed("a document lacks some of its own changes"));
    }
    Ok(doc)
}

/// The bytes a change is stored and pulled as: its chunk, uncompressed.
pub fn stored(change: &Change) -> &[u8] {
    change.raw_bytes()
}

/// [`stored`], owned, for a log row.
pub fn stored_bytes(change: &Change) -> Vec<u8> {
    stored(change).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ActorId, ROOT};

    fn doc_with_two_changes() -> Automerge {
        let mut doc = Automerge::new().with_actor(ActorId::from(&[1u8; 16][..]));
        for (key, value) in [("a", "one"), ("b", "two")] {
            doc.transact::<_, _, automerge::AutomergeError>(|tx| {
                tx.put(ROOT, key, value)?;
                Ok(())
            })
            .unwrap();
        }
        doc
    }

    fn chunks(doc: &Automerge) -> Vec<Vec<u8>> {
        doc.get_changes(&[]).iter().map(stored_bytes).collect()
    }

    #[test]
    fn chunks_parse_into_their_changes() {
        let doc = doc_with_two_changes();
        let changes = parse_changes(&chunks(&doc)).unwrap();
        let expected: Vec<_> = doc.get_changes(&[]).iter().map(|c| c.hash()).collect();
        assert_eq!(
            changes.iter().map(|c| c.hash()).collect::<Vec<_>>(),
            expected
        );
        assert_eq!(
            load_document(&doc.save()).unwrap().get_heads(),
            doc.get_heads()
        );
    }

    #[test]
    fn compressed_chunks_parse_and_a_damaged_one_is_refused() {
        let mut doc = Automerge::new().with_actor(ActorId::from(&[2u8; 16][..]));
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            // Long and repetitive, so automerge deflates it (it does above 256 bytes).
            tx.put(ROOT, "findings", "winding insulation burnt; ".repeat(40))?;
            Ok(())
        })
        .unwrap();
        let mut change = doc.get_changes(&[])[0].clone();
        let compressed = change.bytes().into_owned();
        assert!(compressed.len() < change.raw_bytes().len());
        assert_eq!(parse_change(&compressed).unwrap().hash(), change.hash());
        for at in [compressed.len() / 2, compressed.len() - 1] {
            let mut damaged = compressed.clone();
            damaged[at] ^= 0x01;
            assert!(parse_change(&damaged).is_err(), "flipped byte {at}");
        }
    }

    #[test]
    fn inflation_is_bounded_before_automerge_sees_a_chunk() {
        let mut doc = Automerge::new().with_actor(ActorId::from(&[3u8; 16][..]));
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            tx.put(ROOT, "findings", "0".repeat(200_000))?;
            Ok(())
        })
        .unwrap();
        let mut change = doc.get_changes(&[])[0].clone();
        let compressed = change.bytes().into_owned();
        let plain = change.raw_bytes().len();
        assert!(
            compressed.len() * 20 < plain,
            "repetitive text deflates well"
        );
        let measured = inflated_len(&compressed, 1 << 20).unwrap();
        assert!(measured.abs_diff(plain) < 16, "{measured} vs {plain}");
        assert!(matches!(
            inflated_len(&compressed, plain / 2),
            Err(Error::TooLarge(_))
        ));
        assert!(matches!(
            inflated_len(change.raw_bytes(), plain / 2),
            Err(Error::TooLarge(_))
        ));
        assert_eq!(inflated_len(change.raw_bytes(), plain).unwrap(), plain);
    }

    #[test]
    fn damaged_truncated_or_concatenated_chunks_are_malformed() {
        let doc = doc_with_two_changes();
        let good = chunks(&doc);
        let first = &good[0];
        assert!(parse_change(&first[..first.len() - 1]).is_err());
        assert!(parse_changes::<Vec<u8>>(&[]).is_err());
        assert!(parse_change(b"not automerge at all").is_err());
        let mut flipped = first.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x01;
        assert!(parse_change(&flipped).is_err());
        assert!(parse_change(&good.concat()).is_err(), "one chunk per item");
        assert!(
            parse_change(&doc.save()).is_err(),
            "a document is not a change"
        );
        let saved = doc.save();
        assert!(load_document(&saved[..saved.len() - 2]).is_err());
    }
}
