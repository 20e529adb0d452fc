//! `FieldStore`, the object an app opens once per database: every method is one coarse,
//! blocking call that delegates to `fieldcore::Store` and converts the result.
//!
//! Calls are serialised by one mutex (the core has one writer connection). A panic inside a
//! call poisons it; the next call reopens the store from disk, which is always consistent
//! because every command is one SQLite transaction. `sync` holds the mutex for the whole sync
//! (the core's sync needs the store throughout); other calls wait for it, which is why apps
//! sync from a background worker and never on a screen's critical path.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::view::WarrantyDecision;
use fieldcore::PhotoKind;
use fieldcore::{Command, Store};

use crate::command::CaseCommand;
use crate::convert::CaseId;
use crate::error::Result;
use crate::list::{CasePage, ListQuery};
use crate::model::Registration;
use crate::photos::{Collected, PhotoBatch, PhotoFile, PhotoImport, PhotoInfo, path_text};
use crate::progress::{CancelToken, Observer, ProgressListener, ProgressStage, ProgressUpdate};
use crate::sync::{SyncConfig, SyncProgress, SyncReport};
use crate::view::CaseView;
use crate::warranty::{self, WarrantyQuestion};
use fieldcore::Role;

/// A device's case database, opened once for the app's lifetime and shared by its screens.
///
/// Every method blocks while it reads or writes the database (a list: milliseconds; a
/// command: a few milliseconds plus an fsync; a photo: hundreds of milliseconds): call them
/// off the main thread (Kotlin: `Dispatchers.IO`; Swift: a detached task or the async
/// wrappers). Methods may be called from several threads; they run one at a time.
///
/// Release it with `close()` (Kotlin, Python: `destroy()`; Swift: when the last reference
/// goes) when the app no longer needs it; the database closes once running calls finish.
#[derive(uniffi::Object)]
pub struct FieldStore {
    path: PathBuf,
    store: Mutex<Store>,
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CommandResult {
    /// The case after the command.
    pub view: CaseView,
    /// The id of the entry the command appended (a part line, a note, a confirmation, ...).
    pub entry_id: Option<String>,
}

/// A summary of the store for a status line or a settings screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoreSummary {
    /// This install's device id (made on first open).
    pub device_id: String,
    /// Who commands are recorded as.
    pub user: String,
    pub case_count: u64,
    /// Changes recorded here and not yet sent to HQ.
    pub unsynced_changes: u64,
    /// Photos (and thumbnails) on this device that HQ has not confirmed yet.
    pub photos_to_upload: u64,
}

#[uniffi::export]
impl FieldStore {
    /// Opens (or creates) the database at `path` for `user`; photos go to the folder
    /// `<path>.blobs/` beside it. Put both in app-private storage and exclude them from
    /// cloud backups (see docs/mobile.md). A file that is not a readable database is moved
    /// aside (never deleted) and `FieldError.Storage` says where.
    #[uniffi::constructor]
    pub fn open(path: String, user: String) -> Result<Arc<FieldStore>> {
        let path = PathBuf::from(path);
        let store = Store::open(&path, &user)?;
        Ok(Arc::new(FieldStore {
            path,
            store: Mutex::new(store),
        }))
    }

    /// Who following commands are recorded as (a tablet shared by technicians).
    pub fn set_user(&self, user: String) -> Result<()> {
        self.lock()?.set_user(&user);
        Ok(())
    }

    /// The role of the user working now, as HQ has it (`None`: not known). With a role, a
    /// command writing a field the role may not write (say, a warranty decision from HQ
    /// staff) fails at once with `FieldError.Unauthorized` instead of being refused at sync.
    pub fn set_role(&self, role: Option<Role>) -> Result<()> {
        self.lock()?.set_role(role);
        Ok(())
    }

    pub fn summary(&self) -> Result<StoreSummary> {
        let store = self.lock()?;
        Ok(StoreSummary {
            device_id: store.device_id().to_owned(),
            user: store.user().to_owned(),
            case_count: count(store.case_count()?),
            unsynced_changes: count(store.outbox_len()?),
            photos_to_upload: store.pending_uploads()?.len() as u64,
        })
    }

    /// Registers a new complaint; the case id (UUIDv7) is made here, the official number
    /// comes from HQ on first sync.
    pub fn register(&self, registration: Registration) -> Result<CaseView> {
        let mut store = self.lock()?;
        let view = store.register(&registration.into())?;
        view_of(&store, view)
    }

    /// Everything about one case.
    pub fn get_case(&self, case_id: CaseId) -> Result<CaseView> {
        let mut store = self.lock()?;
        let view = store.case(case_id)?;
        view_of(&store, view)
    }

    /// A case by full id, an unambiguous id prefix (at least 4 characters) or its official
    /// number.
    pub fn find_case(&self, reference: String) -> Result<CaseId> {
        Ok(self.lock()?.find(&reference)?)
    }

    /// A page of a list screen, newest update first: one indexed query, no case loaded.
    pub fn list_cases(&self, query: ListQuery) -> Result<CasePage> {
        let store = self.lock()?;
        let page = store.list(&query.into_core(store.now()))?;
        drop(store);
        page.try_into()
    }

    /// Runs a command on a case: checked, then stored durably together with the change to
    /// send to HQ, all or nothing.
    pub fn execute(&self, case_id: CaseId, command: CaseCommand) -> Result<CommandResult> {
        let command = Command::try_from(command)?;
        let mut store = self.lock()?;
        let (view, applied) = store.execute(case_id, &command)?;
        Ok(CommandResult {
            view: view_of(&store, view)?,
            entry_id: applied.entry_id,
        })
    }

    /// Decides a warranty question under this deployment's policy (HQ's reference data).
    pub fn check_warranty(&self, question: WarrantyQuestion) -> Result<WarrantyDecision> {
        let policy = self.lock()?.policies().warranty.clone();
        warranty::decide(&policy, question)
    }

    /// Processes a camera photo (JPEG, PNG or WebP: orientation applied, resized, re-encoded,
    /// metadata stripped, thumbnail made) and attaches it to the case. HEIC is refused with
    /// `FieldError.UnsupportedInput`: ask the camera or picker for JPEG. The same photo twice
    /// on one case is refused.
    #[uniffi::method(default(caption = ""))]
    pub fn import_photo(
        &self,
        case_id: CaseId,
        bytes: Vec<u8>,
        kind: PhotoKind,
        caption: String,
    ) -> Result<PhotoImport> {
        let mut store = self.lock()?;
        let (view, hash) = store.import_photo(case_id, &bytes, kind, &caption)?;
        Ok(PhotoImport {
            hash,
            view: view_of(&store, view)?,
        })
    }

    /// As `import_photo`, reading the file at `path` (refused unread when over the policy's
    /// size), so the photo's bytes never cross into the app's heap.
    #[uniffi::method(default(caption = ""))]
    pub fn import_photo_file(
        &self,
        case_id: CaseId,
        path: String,
        kind: PhotoKind,
        caption: String,
    ) -> Result<PhotoImport> {
        let mut store = self.lock()?;
        let (view, hash) = store.import_photo_file(case_id, Path::new(&path), kind, &caption)?;
        Ok(PhotoImport {
            hash,
            view: view_of(&store, view)?,
        })
    }

    /// Imports several photo files onto one case, reporting progress after each photo. Each
    /// photo is stored on its own, so a batch that fails or is cancelled keeps the photos
    /// before that point: it throws the failing photo's error, or `FieldError.Cancelled`
    /// when `cancel` was cancelled (checked between photos). Other calls on the store run
    /// between photos, so a list screen is not held up by a whole batch.
    #[uniffi::method(default(listener = None, cancel = None))]
    pub fn import_photos(
        &self,
        case_id: CaseId,
        files: Vec<PhotoFile>,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<PhotoBatch> {
        let observer = Observer::new(listener, cancel);
        let total = files.len() as u64;
        // An unknown case fails before any photo is read.
        self.lock()?.case(case_id)?;
        let mut hashes = Vec::with_capacity(files.len());
        observer.report(ProgressStage::ImportingPhotos, 0, total);
        for file in files {
            observer.check()?;
            let (_, hash) = self.lock()?.import_photo_file(
                case_id,
                Path::new(&file.path),
                file.kind,
                &file.caption,
            )?;
            hashes.push(hash);
            observer.report(ProgressStage::ImportingPhotos, hashes.len() as u64, total);
        }
        let mut store = self.lock()?;
        let view = store.case(case_id)?;
        let view = view_of(&store, view)?;
        Ok(PhotoBatch { hashes, view })
    }

    /// The photos of a case with their upload state and thumbnail files; reads no image.
    pub fn photos(&self, case_id: CaseId) -> Result<Vec<PhotoInfo>> {
        let photos = self.lock()?.photos(case_id)?;
        photos.into_iter().map(PhotoInfo::try_from).collect()
    }

    /// The file of a photo or thumbnail by hash, or `null`/`nil` when its bytes are not on
    /// this device (attached elsewhere and not downloaded yet). Files are read-only JPEGs.
    pub fn photo_path(&self, hash: String) -> Result<Option<String>> {
        let path = self.lock()?.blob_path(&hash)?;
        if path.is_file() {
            path_text(path).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Syncs with HQ: sends this device's work, receives what its user may see (new cases,
    /// others' changes, official numbers, reference data), then uploads the photos HQ lacks.
    /// Blocks for as long as that takes (seconds; minutes for many photos on a slow network):
    /// call it from a background worker, never the main thread.
    ///
    /// `listener` hears `SyncingCases` after each round trip and `UploadingPhotos` after each
    /// photo. `cancel` stops it at the next safe point (between round trips and uploads, and
    /// during retry waits) with `FieldError.Cancelled`; everything finished stays stored, and
    /// the next sync resumes from there. Safe to cut at any point, also by the app being killed.
    ///
    /// Errors: `Network` when HQ stays unreachable after the retries (try again later),
    /// `Unauthorized` when HQ refuses the token (revoked or wrong: enrol the device again),
    /// `Validation` for a bad `config`, `Internal` when HQ speaks a newer protocol.
    #[uniffi::method(default(listener = None, cancel = None))]
    pub fn sync(
        &self,
        config: SyncConfig,
        listener: Option<Arc<dyn ProgressListener>>,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<SyncReport> {
        let config = fieldcore::SyncConfig::try_from(config)?;
        let observer = Observer::new(listener, cancel);
        let token = observer.core_token();
        let mut report = |p: &fieldcore::SyncProgress| {
            let sync = SyncProgress::from(p);
            // The core counts photos only once the uploads begin, after the last round trip.
            let photos = p.photos_pending + p.photos_uploaded;
            let (stage, completed, total) = if photos > 0 {
                (ProgressStage::UploadingPhotos, p.photos_uploaded, photos)
            } else {
                let total = p.pushed_cases + p.pending_cases;
                (ProgressStage::SyncingCases, p.pushed_cases, total)
            };
            observer.send(ProgressUpdate {
                stage,
                completed,
                total,
                sync: Some(sync),
            });
        };
        let report = self.lock()?.sync(&config, &mut report, &token)?;
        Ok(report.into())
    }

    /// Downloads a photo or thumbnail that is on a case but not on this device (taken on
    /// another device) from HQ, and returns its file. A tablet calls it when a screen shows
    /// the photo; `photo_path` is cheaper when the file may already be here. `NotFound` when
    /// HQ has not received it yet either (the taking device has not uploaded it).
    #[uniffi::method(default(cancel = None))]
    pub fn fetch_photo(
        &self,
        config: SyncConfig,
        hash: String,
        cancel: Option<Arc<CancelToken>>,
    ) -> Result<String> {
        let config = fieldcore::SyncConfig::try_from(config)?;
        let token = Observer::new(None, cancel).core_token();
        let mut store = self.lock()?;
        let path = store.blob_path(&hash)?;
        if !path.is_file() {
            store.fetch_blob(&config, &hash, &token)?;
        }
        path_text(path)
    }

    /// Removes photo files no case needs any more (only ones HQ already has) and files left
    /// by crashes. Cheap when there is nothing to do; run it now and then (e.g. after sync).
    pub fn collect_garbage(&self) -> Result<Collected> {
        Ok(self.lock()?.collect_garbage()?.into())
    }
}

#[cfg(feature = "test-hooks")]
#[uniffi::export]
impl FieldStore {
    /// Test hook, absent from shipped builds: panics while holding the store, as a bug in the
    /// core would, to prove a panic reaches the app as an exception and the store recovers.
    pub fn panic_for_test(&self, message: String) -> Result<()> {
        let _store = self.store.lock();
        panic!("{message}");
    }
}

impl FieldStore {
    /// The store, reopened from disk if a panic interrupted an earlier call.
    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, Store>> {
        match self.store.lock() {
            Ok(store) => Ok(store),
            Err(poisoned) => {
                let mut store = poisoned.into_inner();
                // The database is consistent (each command is one transaction); memory may not
                // be, so the caches and the connection are replaced.
                let user = store.user().to_owned();
                *store = Store::open(&self.path, &user)?;
                self.store.clear_poison();
                Ok(store)
            }
        }
    }
}

/// The record of a case view, with its sync state read from the same store.
pub(crate) fn view_of(store: &Store, view: fieldcore::CaseView) -> Result<CaseView> {
    let state = store.case_sync_state(view.id)?;
    let reason = store.case_sync_reason(view.id)?;
    Ok(CaseView::new(view, state, reason))
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}
