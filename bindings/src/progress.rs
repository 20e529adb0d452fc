//! Progress and cancellation of long calls: a listener the app implements and a token it can
//! cancel from any thread.
//!
//! Used today by `FieldStore.import_photos` (a batch picked from the gallery: a few hundred
//! milliseconds of image processing per photo on a phone). Sync will use the same two types
//! when it lands: `sync(listener, cancel)` reports its stages through [`ProgressListener`] and
//! stops at the next safe point (between cases and between blobs, each step durable on its
//! own) once [`CancelToken::cancel`] is called, throwing `Cancelled` with what it completed stored.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{FieldError, Result};

/// Which long operation a [`ProgressUpdate`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProgressStage {
    /// `FieldStore.import_photos`: `completed` of `total` photos are processed and attached.
    ImportingPhotos,
}

/// How far a long call has got. (Not `Progress`: that name is taken in Swift's Foundation.)
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProgressUpdate {
    pub stage: ProgressStage,
    pub completed: u64,
    pub total: u64,
}

/// Implemented by the app to follow a long call. Called on the thread that made the call,
/// between steps; keep it quick (post to the UI, do not do I/O). Must not call back into the
/// same `FieldStore` method.
#[uniffi::export(foreign)]
pub trait ProgressListener: Send + Sync {
    fn on_progress(&self, progress: ProgressUpdate);
}

/// Cancels a long call from another thread. The call stops at its next safe point, keeps the
/// steps it finished (each is durable on its own) and throws `FieldError.Cancelled`. A token
/// is for one call; cancelling it again does nothing.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken {
    cancelled: AtomicBool,
}

#[uniffi::export]
impl CancelToken {
    #[uniffi::constructor]
    pub fn new() -> Arc<CancelToken> {
        Arc::new(CancelToken::default())
    }

    /// Asks the call to stop at its next safe point. Safe on any thread, also the main one.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
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

    pub(crate) fn report(&self, stage: ProgressStage, completed: u64, total: u64) {
        if let Some(listener) = &self.listener {
            listener.on_progress(ProgressUpdate {
                stage,
                completed,
                total,
            });
        }
    }
}
