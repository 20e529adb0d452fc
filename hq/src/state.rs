//! What every request handler shares: the storage, the blob folder, HQ's automerge actor and
//! its clock.

use std::sync::Arc;

use automerge::ActorId;
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

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

#[derive(Clone)]
struct Inner {
    storage: Storage,
    blobs: BlobStore,
    hq_actor: ActorId,
    clock: Clock,
    time_zone: Tz,
    pull_budget: usize,
}

/// The company's time zone unless configured: the procedures' users are in China.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::Asia::Shanghai;

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
                time_zone: DEFAULT_TIME_ZONE,
                pull_budget: crate::pulls::PULL_BUDGET,
            }),
        }
    }

    /// The same state in another company time zone; call before the state is shared.
    pub fn with_time_zone(self, time_zone: Tz) -> AppState {
        let inner = Arc::unwrap_or_clone(self.inner);
        AppState {
            inner: Arc::new(Inner { time_zone, ..inner }),
        }
    }

    /// The same state with another pull budget (see `ServeConfig::pull_budget_bytes`); call
    /// before the state is shared.
    pub fn with_pull_budget(self, pull_budget: usize) -> AppState {
        let inner = Arc::unwrap_or_clone(self.inner);
        AppState {
            inner: Arc::new(Inner {
                pull_budget,
                ..inner
            }),
        }
    }

    /// The most bytes of change chunks one sync response carries.
    pub fn pull_budget(&self) -> usize {
        self.inner.pull_budget
    }

    /// The company's time zone: a case number's month is the month the complaint was received
    /// there.
    pub fn time_zone(&self) -> Tz {
        self.inner.time_zone
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
