//! `FieldStore`, the object an app opens once per database: every method is one coarse,
//! blocking call that delegates to `fieldcore::Store` and converts the result.
//!
//! Writes are serialised by one mutex over the core's writer connection; reads (lists,
//! counts, a case whose document the writer is busy with) go through a second, read-only
//! connection that WAL lets read the last committed state at any time. A sync holds the writer
//! only to prepare a request and to store an answer, never during HTTP, so neither a screen
//! nor a command waits for the network (ADR 0018). A panic inside a call poisons a mutex; the
//! next call reopens that connection from disk, which is always consistent because every
//! command is one SQLite transaction.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};

use crate::view::WarrantyDecision;
use fieldcore::PhotoKind;
use fieldcore::{Command, Reader, Store, StoreAccess, SyncEvent};

use crate::command::CaseCommand;
use crate::convert::{CaseId, signed};
use crate::error::Result;
use crate::list::{CaseCounts, CasePage, ListQuery};
use crate::log::{LogLevel, log};
use crate::model::Registration;
use crate::observe::{Observation, StoreObserver, SyncStatus};
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
/// wrappers). Methods may be called from several threads: writes run one at a time, reads
/// run beside them, and none of them waits for a sync's network traffic.
///
/// Release it with `close()` (Kotlin, Python: `destroy()`; Swift: when the last reference
/// goes) when the app no longer needs it; the database closes once running calls finish.
#[derive(uniffi::Object)]
pub struct FieldStore {
    path: PathBuf,
    store: Mutex<Store>,
    /// The read-only connection for screens.
    reader: Mutex<Reader>,
    /// One sync at a time; a second waits for the first (reads and commands do not).
    sync_gate: Mutex<()>,
    pub(crate) observation: Observation,
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
    pub case_count: i64,
    /// Changes recorded here and not yet sent to HQ.
    pub unsynced_changes: i64,
    /// Photos (and thumbnails) on this device that HQ has not confirmed yet.
    pub photos_to_upload: i64,
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
        let reader = Reader::open(&path)?;
        let observation = Observation::new(reader.sync_standing()?);
        Ok(Arc::new(FieldStore {
            path,
            store: Mutex::new(store),
            reader: Mutex::new(reader),
            sync_gate: Mutex::new(()),
            observation,
        }))
    }

    /// Registers the app's observer (one per store; `null`/`nil` removes it). It hears which
    /// cases changed after every command and sync round, and every change of `sync_status`.
    pub fn set_observer(&self, observer: Option<Arc<dyn StoreObserver>>) {
        self.observation.set_observer(observer);
    }

    /// How sync stands: idle or syncing (with progress), the last success, the last failure.
    pub fn sync_status(&self) -> SyncStatus {
        self.observation.status()
    }

    /// Tab badges: cases per status, overdue and in conflict, over every case on the device.
    /// Read beside any running write or sync.
    pub fn counts(&self) -> Result<CaseCounts> {
        let now = chrono::Local::now().fixed_offset();
        let counts = self.read()?.counts(now)?;
        Ok(counts.into())
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
            case_count: store.case_count()?,
            unsynced_changes: store.outbox_len()?,
            photos_to_upload: signed(store.pending_uploads()?.len()),
        })
    }

    /// Registers a new complaint; the case id (UUIDv7) is made here, the official number
    /// comes from HQ on first sync.
    pub fn register(&self, registration: Registration) -> Result<CaseView> {
        let view = {
            let mut store = self.lock()?;
            let view = store.register(&registration.into())?;
            view_of(&store, view)?
        };
        self.observation.cases_changed([view.id]);
        Ok(view)
    }

    /// Everything about one case, with the files of its photos and thumbnails that are on
    /// this device. Read from the writer's cache when it is free, from the read-only
    /// connection when a command or a sync round holds it: never waits for either.
    pub fn get_case(&self, case_id: CaseId) -> Result<CaseView> {
        let writer = match self.store.try_lock() {
            Ok(store) => Some(store),
            Err(TryLockError::WouldBlock) => None,
            // The poisoned guard is released before `lock` reopens the store.
            Err(TryLockError::Poisoned(poisoned)) => {
                drop(poisoned);
                Some(self.lock()?)
            }
        };
        match writer {
            Some(mut store) => {
                let view = store.case(case_id)?;
                view_of(&store, view)
            }
            None => {
                let mut reader = self.read()?;
                let view = reader.case(case_id)?;
                let state = reader.case_sync_state(case_id)?;
                let reason = reader.case_sync_reason(case_id)?;
                CaseView::new(view, state, reason).with_files(|hash| reader.blob_path(hash))
            }
        }
    }

    /// A case by full id, an unambiguous id prefix (at least 4 characters) or its official
    /// number.
    pub fn find_case(&self, reference: String) -> Result<CaseId> {
        Ok(self.lock()?.find(&reference)?)
    }

    /// A page of a list screen, newest update first: one indexed query, no case loaded.
    pub fn list_cases(&self, query: ListQuery) -> Result<CasePage> {
        let now = chrono::Local::now().fixed_offset();
        let query = query.into_core(now)?;
        let page = self.read()?.list(&query, now)?;
        page.try_into()
    }

    /// Runs a command on a case: checked, then stored durably together with the change to
    /// send to HQ, all or nothing.
    pub fn execute(&self, case_id: CaseId, command: CaseCommand) -> Result<CommandResult> {
        let command = Command::try_from(command)?;
        let result = {
            let mut store = self.lock()?;
            let (view, applied) = store.execute(case_id, &command)?;
            CommandResult {
                view: view_of(&store, view)?,
                entry_id: applied.entry_id,
            }
        };
        self.observation.cases_changed([case_id]);
        Ok(result)
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
        let import = {
            let mut store = self.lock()?;
            let (view, hash) = store.import_photo(case_id, &bytes, kind, &caption)?;
            PhotoImport {
                hash,
                view: view_of(&store, view)?,
            }
        };
        self.observation.cases_changed([case_id]);
        Ok(import)
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
        let import = {
            let mut store = self.lock()?;
            let (view, hash) =
                store.import_photo_file(case_id, Path::new(&path), kind, &caption)?;
            PhotoImport {
                hash,
                view: view_of(&store, view)?,
            }
        };
        self.observation.cases_changed([case_id]);
        Ok(import)
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
        let total = signed(files.len());
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
            self.observation.cases_changed([case_id]);
            observer.report(ProgressStage::ImportingPhotos, signed(hashes.len()), total);
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
        // A second sync waits for the first; only syncs wait here.
        let _gate = self
            .sync_gate
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.observation.sync_progress(SyncProgress::default());
        log(LogLevel::Info, || "sync started".to_owned());
        let mut events = |event: SyncEvent<'_>| match event {
            SyncEvent::CasesChanged(ids) => self.observation.cases_changed(ids.iter().copied()),
            SyncEvent::Progress(p) => {
                log(LogLevel::Debug, || {
                    format!(
                        "sync: round {}, {} cases sent, {} received, {} pending, {} photos sent",
                        p.rounds,
                        p.pushed_cases,
                        p.pulled_cases,
                        p.pending_cases,
                        p.photos_uploaded
                    )
                });
                let sync = SyncProgress::from(p);
                self.observation.sync_progress(sync);
                // The core counts photos only once the uploads begin, after the last round
                // trip.
                let photos = p.photos_pending + p.photos_uploaded;
                let (stage, completed, total) = if photos > 0 {
                    (ProgressStage::UploadingPhotos, p.photos_uploaded, photos)
                } else {
                    let total = p.pushed_cases + p.pending_cases;
                    (ProgressStage::SyncingCases, p.pushed_cases, total)
                };
                observer.send(ProgressUpdate {
                    stage,
                    completed: signed(completed),
                    total: signed(total),
                    sync: Some(sync),
                });
            }
        };
        let result = fieldcore::sync_shared(self, &config, &mut events, &token);
        // The core recorded how the sync ended in the database; the banner shows that record
        // (or, should the database fail to read it back, the outcome as it is known here).
        match self.read().and_then(|r| Ok(r.sync_standing()?)) {
            Ok(standing) => self.observation.sync_ended(standing),
            Err(_) => self
                .observation
                .sync_ended_unread(result.as_ref().err(), chrono::Local::now().fixed_offset()),
        }
        match result {
            Ok(report) => {
                log(LogLevel::Info, || {
                    format!(
                        "sync finished in {} ms: {} rounds, {} conflicts",
                        report.millis, report.progress.rounds, report.conflicts
                    )
                });
                Ok(report.into())
            }
            Err(e) => {
                log(LogLevel::Warn, || format!("sync failed: {}", e.code()));
                Err(e.into())
            }
        }
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
        let path = self.read()?.blob_path(&hash)?;
        if !path.is_file() {
            // Downloaded with the store free; only storing the file takes it.
            fieldcore::fetch_blob_shared(self, &config, &hash, &token)?;
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

/// The sync loop's door to the writer: held per prepare and per apply, never across HTTP.
impl StoreAccess for FieldStore {
    fn with_store<R>(
        &self,
        f: impl FnOnce(&mut Store) -> fieldcore::Result<R>,
    ) -> fieldcore::Result<R> {
        let mut store = self.lock_core()?;
        f(&mut store)
    }
}

impl FieldStore {
    /// The read-only connection, reopened if a panic interrupted an earlier read.
    fn read(&self) -> Result<MutexGuard<'_, Reader>> {
        match self.reader.lock() {
            Ok(reader) => Ok(reader),
            Err(poisoned) => {
                let mut reader = poisoned.into_inner();
                *reader = Reader::open(&self.path)?;
                self.reader.clear_poison();
                Ok(reader)
            }
        }
    }

    /// The store, reopened from disk if a panic interrupted an earlier call.
    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, Store>> {
        Ok(self.lock_core()?)
    }

    fn lock_core(&self) -> fieldcore::Result<MutexGuard<'_, Store>> {
        match self.store.lock() {
            Ok(store) => Ok(store),
            Err(poisoned) => {
                let mut store = poisoned.into_inner();
                // The database is consistent (each command is one transaction); memory may not
                // be, so the caches and the connection are replaced.
                let user = store.user().to_owned();
                log(LogLevel::Error, || {
                    "reopening the store after a panic in an earlier call".to_owned()
                });
                *store = Store::open(&self.path, &user)?;
                self.store.clear_poison();
                Ok(store)
            }
        }
    }
}

/// The record of a case view, with its sync state read from the same store and the files of
/// its photos that are on this device (the same whichever call returns the view).
pub(crate) fn view_of(store: &Store, view: fieldcore::CaseView) -> Result<CaseView> {
    let state = store.case_sync_state(view.id)?;
    let reason = store.case_sync_reason(view.id)?;
    CaseView::new(view, state, reason).with_files(|hash| store.blob_path(hash))
}
