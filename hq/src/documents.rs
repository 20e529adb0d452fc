//! HQ's copy of each case as an automerge document, on which every pushed change is tried
//! before it is accepted. The change log is the record; the documents of recently synced cases
//! are kept in memory (a bounded LRU) and any other is rebuilt from the log when a push needs
//! it. A cached document is used only if the case has not moved since (its `sync_seq`), so
//! several HQ instances on one database never validate against a stale copy.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use automerge::Automerge;
use lru::LruCache;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::storage::Tx;

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

    /// Takes the case's document out of the cache if it reflects `seq`: the caller changes it
    /// and puts it back only once its transaction committed, so a rolled-back request never
    /// leaves changes in the cache that the log does not have.
    pub fn take(&self, case_id: Uuid, seq: u64) -> Option<Held> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let held = cache.held.pop(&case_id)?;
        cache.bytes -= held.bytes;
        (held.seq == seq).then_some(held)
    }

    /// Takes the case's document out of the cache whatever state of the case it reflects (its
    /// `seq` says which): for trying a push before the transaction, which then checks `seq`.
    pub fn take_any(&self, case_id: Uuid) -> Option<Held> {
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

/// Rebuilds the documents of `cases` (id, `sync_seq`) from the change log.
pub async fn load(tx: &mut dyn Tx, cases: &[(Uuid, u64)]) -> Result<HashMap<Uuid, Held>> {
    let ids: Vec<Uuid> = cases.iter().map(|(id, _)| *id).collect();
    let mut histories = tx.histories(&ids).await?;
    let mut out = HashMap::with_capacity(cases.len());
    for &(case_id, seq) in cases {
        let chunks = histories.remove(&case_id).unwrap_or_default();
        let bytes: u64 = chunks.iter().map(|c| c.len() as u64).sum();
        let mut doc = Automerge::new();
        let changes = chunks
            .iter()
            .map(|c| automerge::Change::from_bytes(c.clone()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::internal(format!("case {case_id}: a stored change: {e}")))?;
        doc.apply_changes(changes)
            .map_err(|e| Error::internal(format!("case {case_id}: stored changes: {e}")))?;
        out.insert(case_id, Held { doc, seq, bytes });
    }
    Ok(out)
}
