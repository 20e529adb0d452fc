//! Change observation for screens: a listener the app registers once on its `FieldStore`, told
//! which cases changed after every command and every sync round, and how sync stands (idle or
//! syncing with progress, the last success, the last failure). The Kotlin layer turns it into
//! a `SharedFlow<Set<UUID>>` and a `StateFlow<SyncStatus>`, the Swift layer into
//! `AsyncStream`s (ADR 0018).
//!
//! The listener is always called with the store free: it may read the store at once (a list
//! screen refreshing), also in the middle of a sync.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use crate::convert::{self, CaseId, Timestamp};
use crate::error::FieldError;
use crate::sync::SyncProgress;

/// Implemented by the app; register it with `FieldStore.set_observer`. Called on the thread
/// that made the change (a command's caller, the sync's worker): post to the UI, keep it quick.
#[uniffi::export(with_foreign)]
pub trait StoreObserver: Send + Sync {
    /// These cases changed (a command, or a sync round's pushes and pulls): reload what shows
    /// them. After reference data arrived every case is named (its deadlines were re-dated).
    fn on_cases_changed(&self, case_ids: Vec<CaseId>);
    /// Sync started, progressed, or ended (with success or an error).
    fn on_sync_status(&self, status: SyncStatus);
}

/// What the sync is doing now.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncActivity {
    Idle,
    /// A sync is running; `progress` is as of its last round trip or photo upload.
    Syncing {
        progress: SyncProgress,
    },
}

/// Why the last sync failed: `code` is the `FieldError` variant (`network`, `unauthorized`,
/// `cancelled`, ...), stable across versions and languages; `message` is the text in the
/// `setLocale` language.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncFailure {
    pub code: String,
    pub message: String,
    pub at: Timestamp,
}

/// The sync banner's state.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncStatus {
    pub activity: SyncActivity,
    /// When a sync last finished a round with HQ (kept in the database across restarts).
    pub last_success_at: Option<Timestamp>,
    /// The last sync's failure; cleared by the next successful sync.
    pub last_error: Option<SyncFailure>,
}

/// The observer and the status, shared by the store's calls.
pub(crate) struct Observation {
    observer: Mutex<Option<Arc<dyn StoreObserver>>>,
    status: Mutex<SyncStatus>,
}

impl Observation {
    pub(crate) fn new(last_success_at: Option<String>) -> Observation {
        Observation {
            observer: Mutex::new(None),
            status: Mutex::new(SyncStatus {
                activity: SyncActivity::Idle,
                last_success_at: last_success_at.and_then(|at| convert::parse_timestamp(&at).ok()),
                last_error: None,
            }),
        }
    }

    pub(crate) fn set_observer(&self, observer: Option<Arc<dyn StoreObserver>>) {
        // A panic in an earlier listener call leaves the slot as it was: still usable.
        *self.observer.lock().unwrap_or_else(PoisonError::into_inner) = observer;
    }

    fn observer(&self) -> Option<Arc<dyn StoreObserver>> {
        self.observer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn status(&self) -> SyncStatus {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Tells the observer about changed cases (nothing when none changed).
    pub(crate) fn cases_changed(&self, case_ids: impl IntoIterator<Item = CaseId>) {
        let ids: BTreeSet<CaseId> = case_ids.into_iter().collect();
        if ids.is_empty() {
            return;
        }
        if let Some(observer) = self.observer() {
            observer.on_cases_changed(ids.into_iter().collect());
        }
    }

    /// Changes the status and tells the observer.
    fn update(&self, change: impl FnOnce(&mut SyncStatus)) {
        let status = {
            let mut status = self.status.lock().unwrap_or_else(PoisonError::into_inner);
            change(&mut status);
            status.clone()
        };
        if let Some(observer) = self.observer() {
            observer.on_sync_status(status);
        }
    }

    pub(crate) fn sync_progress(&self, progress: SyncProgress) {
        self.update(|s| s.activity = SyncActivity::Syncing { progress });
    }

    pub(crate) fn sync_succeeded(&self, last_success_at: Option<String>) {
        self.update(|s| {
            s.activity = SyncActivity::Idle;
            s.last_error = None;
            if let Some(at) = last_success_at.and_then(|at| convert::parse_timestamp(&at).ok()) {
                s.last_success_at = Some(at);
            }
        });
    }

    pub(crate) fn sync_failed(&self, error: &FieldError, at: Timestamp) {
        let failure = SyncFailure {
            code: error.code().to_owned(),
            message: error.to_string(),
            at,
        };
        self.update(|s| {
            s.activity = SyncActivity::Idle;
            s.last_error = Some(failure);
        });
    }
}
