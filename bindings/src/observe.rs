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

use fieldcore::{Localized, SyncStanding};

use crate::convert::{self, CaseId, Timestamp};
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

/// Why the last sync failed: `code` is the error's stable code (`sync.network`,
/// `sync.unauthorized`, `cancelled`, ...; the table in docs/mobile.md), the same across
/// versions and languages; `message` is the text in the `setLocale` language.
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
    /// The last sync's failure, kept in the database across restarts; cleared by the next
    /// successful sync.
    pub last_error: Option<SyncFailure>,
}

/// The observer and the status, shared by the store's calls.
pub(crate) struct Observation {
    observer: Mutex<Option<Arc<dyn StoreObserver>>>,
    state: Mutex<State>,
}

/// The status as kept between calls: the failure in both languages, so the banner follows a
/// later `setLocale`.
struct State {
    activity: SyncActivity,
    standing: SyncStanding,
}

impl State {
    fn status(&self) -> SyncStatus {
        let locale = crate::locale::current_locale();
        let time = |at: &str| convert::parse_timestamp(at).ok();
        SyncStatus {
            activity: self.activity.clone(),
            last_success_at: self.standing.last_success_at.as_deref().and_then(time),
            // A failure whose time does not read back is not shown rather than shown undated;
            // the core writes RFC 3339, so it always reads.
            last_error: self.standing.last_failure.as_ref().and_then(|f| {
                Some(SyncFailure {
                    code: f.code.clone(),
                    message: f.text(locale),
                    at: time(&f.at)?,
                })
            }),
        }
    }
}

impl Observation {
    /// Starts from how sync stands in the database (the last success and failure survive a
    /// restart).
    pub(crate) fn new(standing: SyncStanding) -> Observation {
        Observation {
            observer: Mutex::new(None),
            state: Mutex::new(State {
                activity: SyncActivity::Idle,
                standing,
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
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .status()
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
    fn update(&self, change: impl FnOnce(&mut State)) {
        let status = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            change(&mut state);
            state.status()
        };
        if let Some(observer) = self.observer() {
            observer.on_sync_status(status);
        }
    }

    pub(crate) fn sync_progress(&self, progress: SyncProgress) {
        self.update(|s| s.activity = SyncActivity::Syncing { progress });
    }

    /// A sync ended; `standing` is how the core recorded it in the database.
    pub(crate) fn sync_ended(&self, standing: SyncStanding) {
        self.update(|s| {
            s.activity = SyncActivity::Idle;
            s.standing = standing;
        });
    }

    /// A sync ended but its record could not be read back (the database failing): the
    /// banner shows the outcome as known here, a failure worded in both languages by the core.
    pub(crate) fn sync_ended_unread(&self, error: Option<&fieldcore::Error>, at: Timestamp) {
        let failure = error.map(|error| fieldcore::SyncFailure {
            code: error.code().to_owned(),
            zh_cn: error.text(fieldcore::Locale::ZhCn),
            en: error.text(fieldcore::Locale::En),
            at: convert::format_timestamp(&at),
        });
        self.update(|s| {
            s.activity = SyncActivity::Idle;
            s.standing.last_failure = failure;
        });
    }
}
