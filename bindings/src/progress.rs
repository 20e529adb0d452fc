//! Progress and cancellation of long calls: a listener the app implements and a token it can
//! cancel from any thread.
//!
//! Used by `FieldStore.import_photos` (a batch picked from the gallery: a few hundred
//! milliseconds of image processing per photo on a phone) and `FieldStore.sync` (round trips
//! to HQ, then photo uploads). Both report through [`ProgressListener`] and stop at the next
//! safe point (between photos; between round trips, uploads and retry waits), each step durable
//! on its own, once [`CancelToken::cancel`] is called, throwing `Cancelled` with what they
//! completed stored.

use std::sync::Arc;

use fieldcore::CancelToken as CoreToken;

use crate::error::{FieldError, Result};
use crate::sync::SyncProgress;

/// Which long operation a [`ProgressUpdate`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProgressStage {
    /// `FieldStore.import_photos`: `completed` of `total` photos are processed and attached.
    ImportingPhotos,
    /// `FieldStore.sync`, after each round trip: HQ has acknowledged `completed` of the `total`
    /// cases this sync has to push so far (`sync` has the pulls and bytes).
    SyncingCases,
    /// `FieldStore.sync`, after each photo upload: `completed` of `total` photos sent.
    UploadingPhotos,
}

/// How far a long call has got. (Not `Progress`: that name is taken in Swift's Foundation.)
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProgressUpdate {
    pub stage: ProgressStage,
    pub completed: i64,
    pub total: i64,
    /// The sync's running counters, for the two sync stages; `null`/`nil` otherwise.
    #[uniffi(default)]
    pub sync: Option<SyncProgress>,
}

/// Implemented by the app to follow a long call. Called on the thread that made the call,
/// between steps, with the store free: it may read the store (a sync holds it only while it
/// prepares or stores a round). Keep it quick (post to the UI, do not do I/O).
#[uniffi::export(foreign)]
pub trait ProgressListener: Send + Sync {
    fn on_progress(&self, progress: ProgressUpdate);
}

/// Cancels a long call from another thread. The call stops at its next safe point, keeps the
/// steps it finished (each is durable on its own) and throws `FieldError.Cancelled`. A token
/// is for one call; cancelling it again does nothing.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken {
    // The core's own token, so that a sync sees a cancel inside its retry waits too.
    inner: CoreToken,
}

#[uniffi::export]
impl CancelToken {
    #[uniffi::constructor]
    pub fn new() -> Arc<CancelToken> {
        Arc::new(CancelToken::default())
    }

    /// Asks the call to stop at its next safe point. Safe on any thread, also the main one.
    pub fn cancel(&self) {
        self.inner.cancel();
    }

    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }
}

/// What a long call gets from its caller: both optional.
pub(crate) struct Observer {
    listener: Option<Arc<dyn ProgressListener>>,
    cancel: Option<Arc<CancelToken>>,
}

impl Observer {
    pub(crate) fn new(
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Observer {
        Observer { listener, cancel }
    }

    /// `Err(Cancelled)` once the caller cancelled: call it at each safe point.
    pub(crate) fn check(&self) -> Result<()> {
        match &self.cancel {
            Some(token) if token.is_cancelled() => Err(FieldError::Cancelled),
            _ => Ok(()),
        }
    }

    /// The core's token behind the caller's (a fresh one when the caller gave none), for
    /// core calls that check it themselves.
    pub(crate) fn core_token(&self) -> CoreToken {
        self.cancel
            .as_ref()
            .map(|token| token.inner.clone())
            .unwrap_or_default()
    }

    pub(crate) fn report(&self, stage: ProgressStage, completed: i64, total: i64) {
        self.send(ProgressUpdate {
            stage,
            completed,
            total,
            sync: None,
        });
    }

    pub(crate) fn send(&self, update: ProgressUpdate) {
        if let Some(listener) = &self.listener {
            listener.on_progress(update);
        }
    }
}
