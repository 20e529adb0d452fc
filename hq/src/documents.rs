//! HQ's copy of each case as an automerge document, on which every pushed change is tried
//! before it is accepted. The change log is the record; the documents of recently synced cases
//! are kept in memory (a bounded LRU) and any other is rebuilt from the log when a push needs
//! it. A cached document is used as it is only if the case has not moved since (its
//! `sync_seq`); one that is behind (another HQ instance on the same database wrote the case)
//! is caught up with the changes logged since ([`since`]), so several instances never validate against a
//! stale copy and need not rebuild a case each time a device's syncs alternate between them.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;
use std::sync::Mutex;

use automerge::{Automerge, Change, ChangeHash, ReadDoc};
use lru::LruCache;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::storage::{Span, SpanLoad, Tx};

/// How many case documents HQ keeps in memory at most: a busy week's cases (the bytes bound
/// below is what bounds memory; a case's history is a few KiB typically).
pub const DEFAULT_CACHED_DOCUMENTS: usize = 16_384;

/// The most stored history bytes the cached documents may add up to (a document in memory
/// takes a few times its stored size): a few big cases cannot fill the server's memory.
pub const DEFAULT_CACHED_BYTES: u64 = 256 * 1024 * 1024;

/// A case's document as of a point of the log.
pub struct Held {
    pub doc: Automerge,
    /// The case's `sync_seq` the document reflects.
    pub seq: u64,
    /// The stored bytes of the case's whole history (what the per-case size limit counts).
    pub bytes: u64,
}

impl Held {
    /// Brings the copy from its `seq` to `seq` with `logged`, the case's changes logged after
    /// its own `seq` through the new one ([`since`]): the document is then the one a
    /// rebuild from the log gives (automerge documents with the same changes are equal,
    /// whatever order the changes came in).
    pub fn catch_up(&mut self, case_id: Uuid, logged: Logged, seq: u64) -> Result<()> {
        self.doc
            .apply_changes(logged.changes)
            .map_err(|e| Error::internal(format!("case {case_id}: logged changes: {e}")))?;
        if !self.doc.get_missing_deps(&[]).is_empty() {
            return Err(Error::internal(format!(
                "case {case_id}: the changes logged after {} do not complete the cached copy",
                self.seq
            )));
        }
        self.bytes += logged.bytes;
        self.seq = seq;
        Ok(())
    }
}

/// A case's changes logged after some point, in log order, and their stored bytes.
pub struct Logged {
    pub changes: Vec<Change>,
    pub bytes: u64,
}

impl Logged {
    /// The changes of a span as stored (`bytes` their stored size).
    pub fn parse(case_id: Uuid, chunks: Vec<Vec<u8>>, bytes: u64) -> Result<Logged> {
        let changes = chunks
            .into_iter()
            .map(automerge::Change::from_bytes)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::internal(format!("case {case_id}: a stored change: {e}")))?;
        Ok(Logged { changes, bytes })
    }

    /// The heads of a document whose heads were `before` once these changes are applied to it
    /// (they were logged after it, so none of `before` depends on them): the heads a rebuild
    /// of the case from the log through them has.
    pub fn heads_after(&self, before: &[ChangeHash]) -> Vec<ChangeHash> {
        let depended: HashSet<ChangeHash> = self
            .changes
            .iter()
            .flat_map(|c| c.deps().iter().copied())
            .collect();
        let mut heads: Vec<ChangeHash> = before
            .iter()
            .copied()
            .chain(self.changes.iter().map(Change::hash))
            .filter(|h| !depended.contains(h))
            .collect();
        heads.sort();
        heads.dedup();
        heads
    }
}

/// The cache; shared by every request of one HQ process.
pub struct Documents {
    cache: Mutex<Cache>,
}

struct Cache {
    held: LruCache<Uuid, Held>,
    /// The sum of `bytes` of the held documents.
    bytes: u64,
    max_bytes: u64,
}

impl Documents {
    pub fn new(capacity: usize, max_bytes: u64) -> Documents {
        Documents {
            cache: Mutex::new(Cache {
                held: LruCache::new(NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN)),
                bytes: 0,
                max_bytes,
            }),
        }
    }

    /// Takes the case's document out of the cache, whatever state of the case it reflects (its
    /// `seq` says which). The caller changes it and puts it back only once its transaction
    /// committed, so a rolled-back request never leaves changes in the cache that the log
    /// does not have.
    pub fn take(&self, case_id: Uuid) -> Option<Held> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let held = cache.held.pop(&case_id)?;
        cache.bytes -= held.bytes;
        Some(held)
    }

    /// Keeps a document, dropping the least recently used ones beyond the count or the bytes.
    pub fn put(&self, case_id: Uuid, held: Held) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if held.bytes > cache.max_bytes {
            return;
        }
        cache.bytes += held.bytes;
        if let Some((_, old)) = cache.held.push(case_id, held) {
            cache.bytes -= old.bytes;
        }
        while cache.bytes > cache.max_bytes {
            match cache.held.pop_lru() {
                Some((_, old)) => cache.bytes -= old.bytes,
                None => break,
            }
        }
    }

    /// How many documents are cached (for logs and tests).
    pub fn len(&self) -> usize {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .held
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One case's document as of `seq`, its current `sync_seq`: the cached copy, caught up with
/// the log if it is behind, or else rebuilt from the log.
pub async fn current(tx: &mut dyn Tx, cache: &Documents, id: Uuid, seq: u64) -> Result<Held> {
    match cache.take(id) {
        Some(held) if held.seq == seq => Ok(held),
        Some(mut held) if held.seq < seq => {
            let span = since(id, held.seq, seq);
            let load = tx.span_changes_within(&[span], u64::MAX, true).await?;
            let logged = match load.into_iter().next() {
                Some(SpanLoad {
                    chunks: Some(chunks),
                    total,
                    ..
                }) => Logged::parse(id, chunks, total.bytes)?,
                _ => return Err(Error::internal(format!("case {id}: no changes logged"))),
            };
            held.catch_up(id, logged, seq)?;
            Ok(held)
        }
        _ => load(tx, &[(id, seq)])
            .await?
            .remove(&id)
            .ok_or_else(|| Error::internal(format!("case {id}: no document"))),
    }
}

/// The span of a case's changes a copy as of `after` lacks when the case is at `through`.
pub fn since(case_id: Uuid, after: u64, through: u64) -> Span {
    Span {
        case_id,
        after,
        through: Some(through),
        skip_author: None,
    }
}

/// Rebuilds the documents of `cases` (id, `sync_seq`) from the change log.
pub async fn load(tx: &mut dyn Tx, cases: &[(Uuid, u64)]) -> Result<HashMap<Uuid, Held>> {
    let ids: Vec<Uuid> = cases.iter().map(|(id, _)| *id).collect();
    let histories = tx.histories(&ids).await?;
    build(histories, cases)
}

/// The documents of `cases` (id, `sync_seq`) built from their histories as the log holds
/// them ([`Tx::histories`]); CPU only.
pub fn build(
    mut histories: HashMap<Uuid, Vec<Vec<u8>>>,
    cases: &[(Uuid, u64)],
) -> Result<HashMap<Uuid, Held>> {
    let mut out = HashMap::with_capacity(cases.len());
    for &(case_id, seq) in cases {
        let chunks = histories.remove(&case_id).unwrap_or_default();
        let bytes: u64 = chunks.iter().map(|c| c.len() as u64).sum();
        let mut doc = Automerge::new();
        let changes = chunks
            .into_iter()
            .map(automerge::Change::from_bytes)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::internal(format!("case {case_id}: a stored change: {e}")))?;
        doc.apply_changes(changes)
            .map_err(|e| Error::internal(format!("case {case_id}: stored changes: {e}")))?;
        out.insert(case_id, Held { doc, seq, bytes });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use automerge::transaction::Transactable;
    use automerge::{ActorId, ROOT};
    use proptest::prelude::*;

    use super::*;

    /// A case's history as HQ logs it: three replicas write and merge in the order `steps`
    /// gives ((replica, merge from), a write when both are equal), so the log holds
    /// concurrent branches; the changes come in the causal order of the merged document.
    fn logged_history(steps: &[(usize, usize)]) -> Vec<Change> {
        let mut replicas: Vec<Automerge> = (0..3u8)
            .map(|i| Automerge::new().with_actor(ActorId::from(vec![i + 1; 16])))
            .collect();
        for (i, &(replica, from)) in steps.iter().enumerate() {
            if replica == from {
                let mut tx = replicas[replica].transaction();
                tx.put(ROOT, format!("k{}", i % 5), i as i64).unwrap();
                tx.commit();
            } else {
                let mut other = replicas[from].clone();
                replicas[replica].merge(&mut other).unwrap();
            }
        }
        let mut all = Automerge::new();
        for replica in &mut replicas {
            all.merge(replica).unwrap();
        }
        all.get_changes(&[])
    }

    fn built(changes: &[Change]) -> Automerge {
        let mut doc = Automerge::new();
        doc.apply_changes(changes.iter().cloned()).unwrap();
        doc
    }

    proptest! {
        /// A copy of any prefix of the log, caught up with the rest, is the document rebuilt
        /// from the whole log: the same heads (which `heads_after` predicts), values (conflicts
        /// included) and bytes.
        #[test]
        fn a_copy_caught_up_equals_the_rebuilt_case(
            steps in prop::collection::vec((0usize..3, 0usize..3), 1..40),
            cut in 0.0f64..=1.0,
        ) {
            let log = logged_history(&steps);
            let at = ((log.len() as f64) * cut) as usize;
            let (older, since) = log.split_at(at.min(log.len()));
            let size = |c: &[Change]| c.iter().map(|c| c.raw_bytes().len() as u64).sum::<u64>();
            let mut held = Held { doc: built(older), seq: 7, bytes: size(older) };
            let logged = Logged { changes: since.to_vec(), bytes: size(since) };
            let predicted = logged.heads_after(&held.doc.get_heads());
            held.catch_up(Uuid::nil(), logged, 9).unwrap();
            let rebuilt = built(&log);
            let mut heads = rebuilt.get_heads();
            heads.sort();
            prop_assert_eq!(&predicted, &heads);
            prop_assert_eq!(held.doc.get_heads(), rebuilt.get_heads());
            for key in (0..5).map(|k| format!("k{k}")) {
                prop_assert_eq!(
                    held.doc.get_all(ROOT, key.as_str()).unwrap(),
                    rebuilt.get_all(ROOT, key.as_str()).unwrap()
                );
            }
            prop_assert_eq!((held.seq, held.bytes), (9, size(&log)));
        }
    }

    /// A copy is never caught up with changes that leave it incomplete (a gap in what was
    /// logged): that is HQ's error, not a document to validate on.
    #[test]
    fn changes_with_a_gap_do_not_catch_a_copy_up() {
        let log = logged_history(&[(0, 0), (0, 0), (0, 0)]);
        let mut held = Held {
            doc: built(&log[..1]),
            seq: 1,
            bytes: 0,
        };
        let logged = Logged {
            changes: log[2..].to_vec(),
            bytes: 0,
        };
        assert!(matches!(
            held.catch_up(Uuid::nil(), logged, 3),
            Err(Error::Internal(_))
        ));
    }
}
