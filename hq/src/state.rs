//! What every request handler shares: the storage, the blob folder, HQ's automerge actor and
//! its clock.

use std::sync::Arc;

use automerge::ActorId;
use chrono::{DateTime, FixedOffset};

use crate::blobs::BlobStore;
use crate::storage::Storage;

/// Where HQ's time comes from: the month of a case number, the time of HQ's own changes.
/// Tests set a fixed one; the server uses the local clock.
pub type Clock = Arc<dyn Fn() -> DateTime<FixedOffset> + Send + Sync>;

/// The local clock, with the machine's UTC offset.
pub fn system_clock() -> Clock {
    Arc::new(|| chrono::Local::now().fixed_offset())
}

/// The state of the HTTP application; cloning is cheap.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Storage,
    blobs: BlobStore,
    hq_actor: ActorId,
    clock: Clock,
}

impl AppState {
    /// A new state with a fresh HQ actor: every HQ process writes (case numbers) as its own
    /// actor, so two nodes, or a restarted node, never reuse an actor's sequence of changes.
    pub fn new(storage: Storage, blobs: BlobStore, clock: Clock) -> AppState {
        AppState {
            inner: Arc::new(Inner {
                storage,
                blobs,
                hq_actor: ActorId::random(),
                clock,
            }),
        }
    }

    pub fn storage(&self) -> &Storage {
        &self.inner.storage
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.inner.blobs
    }

    pub fn hq_actor(&self) -> &ActorId {
        &self.inner.hq_actor
    }

    pub fn now(&self) -> DateTime<FixedOffset> {
        (self.inner.clock)()
    }
}
