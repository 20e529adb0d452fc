//! End-to-end test helpers: a real HQ on loopback and field devices that sync with it.
//!
//! - [`TestHq`] owns a tokio runtime and a [`fieldhq::RunningHq`] on `127.0.0.1` with a
//!   temporary data folder, and offers the admin functions as blocking calls. [`TestHq::kill`]
//!   drops the runtime without a graceful shutdown, like a crash; [`TestHq::restart`] serves
//!   again from the same data folder.
//! - [`Device`] is a real `fieldcore::Store` in a temporary folder with a [`SyncConfig`] for
//!   that HQ (short backoff, for tests). Its sync is blocking reqwest: call it from plain test
//!   threads, never from inside HQ's runtime.
//! - [`work::Ledger`] runs field work on devices and keeps what it appended, for the end
//!   checks; the random commands themselves come from `fieldcore::testing`, like the core's
//!   merge properties'.
//! - [`proxy::FaultyProxy`] cuts connections at random byte offsets; [`stall::StallingProxy`]
//!   holds requests until the test releases them.
//! - [`TestHq::in_process`] is the same HQ without sockets: devices enrolled at it sync through
//!   [`in_process::InProcessTransport`], straight into `fieldhq::app`, for fast sync tests
//!   beside the loopback ones.
//!
//! Helpers return [`Result`] instead of panicking, so that the crate stays within the
//! workspace's lints; tests unwrap.

pub mod in_process;
pub mod proxy;
pub mod stall;
pub mod work;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use fieldcore::CaseId;
use fieldcore::CaseView;
use fieldcore::testing::{registration_for, step_clock, t0};
use fieldcore::{CancelToken, SyncConfig, SyncProgress, SyncReport, Transport};
use fieldcore::{ListQuery, Store};
use fieldhq::admin::{self, Enrolment};
use fieldhq::blobs::BlobStore;
use fieldhq::storage::{CaseInfo, Storage};
use fieldhq::{AppState, Role, RunningHq, ServeConfig, User};
use tokio::runtime::Runtime;
use uuid::Uuid;

use crate::in_process::InProcessTransport;

/// Errors of the helpers: whatever failed, with its message.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

// ------------------------------------------------------------------------------------ HQ

/// A real HQ on loopback, with blocking helpers for tests that run on plain threads.
pub struct TestHq {
    state: Mutex<HqState>,
    data_dir: PathBuf,
    _dir: tempfile::TempDir,
}

struct HqState {
    runtime: Option<Runtime>,
    hq: Option<RunningHq>,
    /// The storage of the running HQ (kept apart so admin calls need no `RunningHq`).
    storage: Option<Storage>,
    /// Where HQ listens (or last listened, while it is down).
    addr: SocketAddr,
    /// HQ's router when it runs in process, without a listener ([`TestHq::in_process`]).
    app: Option<axum::Router>,
}

impl HqState {
    /// Drops HQ abruptly: the runtime goes first, without waiting for anything in flight,
    /// so the server never runs its graceful shutdown (the `RunningHq` dropped afterwards
    /// signals a server that no longer exists).
    fn crash(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
        self.hq.take();
        self.storage.take();
        self.app.take();
    }
}

impl Drop for HqState {
    fn drop(&mut self) {
        self.crash();
    }
}

fn runtime() -> Result<Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("test-hq")
        .build()?)
}

fn serve_config(addr: SocketAddr, data_dir: &Path) -> ServeConfig {
    let mut config = ServeConfig::new(addr, data_dir);
    config.clock = Some(Arc::new(t0));
    config
}

impl TestHq {
    /// Starts HQ on a free loopback port with a fresh SQLite data folder; its clock is fixed
    /// at [`t0`], so case numbers are `2611-NNNN`.
    pub fn start() -> Result<TestHq> {
        TestHq::start_with_pull_budget(fieldhq::pulls::PULL_BUDGET)
    }

    /// [`TestHq::start`] with another pull budget (`ServeConfig::pull_budget_bytes`): a
    /// small one makes HQ send small cases in pages.
    pub fn start_with_pull_budget(pull_budget_bytes: usize) -> Result<TestHq> {
        let dir = tempfile::tempdir()?;
        let data_dir = dir.path().join("hq");
        let runtime = runtime()?;
        let mut config = serve_config(SocketAddr::from(([127, 0, 0, 1], 0)), &data_dir);
        config.pull_budget_bytes = pull_budget_bytes;
        let hq = runtime.block_on(fieldhq::serve(config))?;
        let state = HqState {
            addr: hq.addr(),
            storage: Some(hq.storage().clone()),
            hq: Some(hq),
            runtime: Some(runtime),
            app: None,
        };
        Ok(TestHq {
            state: Mutex::new(state),
            data_dir,
            _dir: dir,
        })
    }

    /// HQ as [`TestHq::start`] makes it (fresh SQLite data folder, clock fixed at [`t0`]) but
    /// without a listener: only its router, `fieldhq::app`, on its runtime. Devices made with
    /// [`Device::enrolled`] or [`Device::at`] sync in process; [`TestHq::url`] is never dialled,
    /// and HQ cannot be killed or restarted.
    pub fn in_process() -> Result<TestHq> {
        let dir = tempfile::tempdir()?;
        let data_dir = dir.path().join("hq");
        let runtime = runtime()?;
        let config = serve_config(SocketAddr::from(([127, 0, 0, 1], 0)), &data_dir);
        let storage = runtime.block_on(fieldhq::Storage::open(&config.storage()))?;
        let blobs = BlobStore::open(&data_dir)?;
        let app = fieldhq::app(AppState::new(storage.clone(), blobs, Arc::new(t0)));
        let state = HqState {
            addr: config.addr,
            storage: Some(storage),
            hq: None,
            runtime: Some(runtime),
            app: Some(app),
        };
        Ok(TestHq {
            state: Mutex::new(state),
            data_dir,
            _dir: dir,
        })
    }

    /// For an in-process HQ, the transport a device with `token` syncs through; `None` for an
    /// HQ on loopback.
    pub fn transport(&self, token: &str) -> Option<InProcessTransport> {
        let state = self.state();
        let (Some(app), Some(runtime)) = (state.app.clone(), state.runtime.as_ref()) else {
            return None;
        };
        Some(InProcessTransport::new(
            app,
            runtime.handle().clone(),
            token,
        ))
    }

    fn state(&self) -> MutexGuard<'_, HqState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.state().addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.state().addr
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn is_running(&self) -> bool {
        self.state().runtime.is_some()
    }

    /// Runs an admin future on HQ's runtime and waits for it.
    pub fn block_on<F, T>(&self, work: impl FnOnce(Storage) -> F) -> Result<T>
    where
        F: std::future::Future<Output = fieldhq::Result<T>>,
    {
        let state = self.state();
        let (Some(runtime), Some(storage)) = (state.runtime.as_ref(), state.storage.clone()) else {
            return Err("HQ is not running".into());
        };
        Ok(runtime.block_on(work(storage))?)
    }

    pub fn user(&self, name: &str, role: Role, center: Option<&str>) -> Result<User> {
        self.block_on(|s| async move { admin::add_user(&s, name, role, center).await })
    }

    /// Adds an engineer (no service center) and enrols a device for them: its token.
    pub fn engineer_with_device(&self, name: &str) -> Result<String> {
        self.user(name, Role::Engineer, None)?;
        self.enrol(name)
    }

    /// Enrols a device for `user` and returns its token.
    pub fn enrol(&self, user: &str) -> Result<String> {
        Ok(self.enrol_device(user)?.token)
    }

    /// Enrols a device for `user`: its id (to revoke it) and its token.
    pub fn enrol_device(&self, user: &str) -> Result<Enrolment> {
        self.block_on(|s| async move { admin::enrol_device(&s, user, Some("e2e")).await })
    }

    pub fn revoke(&self, device_id: Uuid) -> Result<()> {
        self.block_on(|s| async move { admin::revoke_device(&s, device_id).await })
    }

    /// Assigns a case to an engineer; their devices pull it at the next sync.
    pub fn assign(&self, case: CaseId, engineer: &str) -> Result<()> {
        let case = case.to_string();
        self.block_on(|s| async move {
            admin::assign(&s, &case, engineer, fieldhq::state::DEFAULT_TIME_ZONE).await
        })?;
        Ok(())
    }

    /// Routes a case to a repair center; its technicians' tablets pull it at the next sync.
    pub fn route(&self, case: CaseId, center: &str) -> Result<()> {
        let case = case.to_string();
        self.block_on(|s| async move {
            admin::route(&s, &case, center, fieldhq::state::DEFAULT_TIME_ZONE).await
        })?;
        Ok(())
    }

    /// Every case HQ holds, with its number.
    pub fn cases(&self) -> Result<Vec<CaseInfo>> {
        self.block_on(|s| async move { admin::list_cases(&s).await })
    }

    /// One integer from HQ's database (`SELECT COUNT(*) ...`).
    pub fn count(&self, sql: &str) -> Result<i64> {
        self.block_on(|s| async move { s.query_count(sql).await })
    }

    /// Appends `changes` to case `case_id` in HQ's log directly, without any of HQ's checks:
    /// what an older HQ that did not validate, or a newer one that knows more, holds. For tests
    /// of what devices do with content they cannot read or do not know.
    pub fn store_unchecked(&self, case_id: Uuid, changes: Vec<automerge::Change>) -> Result<()> {
        self.block_on(|s| async move {
            s.transaction(move |tx| {
                Box::pin(async move {
                    tx.lock_log(fieldhq::storage::LockMode::Exclusive).await?;
                    let first = tx.allocate_seqs(changes.len() as u64).await?;
                    let rows: Vec<fieldhq::storage::LogRow> = changes
                        .iter()
                        .enumerate()
                        .map(|(i, c)| fieldhq::storage::LogRow {
                            seq: first + i as u64,
                            case_id,
                            hash: c.hash(),
                            actor: c.actor_id().to_bytes().to_vec(),
                            actor_seq: c.seq(),
                            authored_by: None,
                            bytes: c.raw_bytes().to_vec(),
                        })
                        .collect();
                    tx.append(&rows).await?;
                    let last = first + changes.len() as u64 - 1;
                    tx.set_sync_seqs(&[(case_id, last)]).await
                })
            })
            .await
        })
    }

    /// Rows in HQ's change log.
    pub fn log_len(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM changes")
    }

    /// Kills HQ like a crash: the runtime is dropped with `shutdown_background`, so no
    /// request in flight gets an answer and no graceful shutdown runs. A transaction already
    /// inside SQLite may still commit, as it would before a real process died.
    pub fn kill(&self) {
        self.state().crash();
    }

    /// Serves again from the same data folder, on the same port if it can be bound again
    /// (within about two seconds), else on a new one. Returns HQ's URL.
    pub fn restart(&self) -> Result<String> {
        let mut state = self.state();
        if state.app.is_some() {
            return Err("an in-process HQ cannot restart".into());
        }
        state.crash();
        let runtime = runtime()?;
        let mut attempt = 0;
        let hq = loop {
            attempt += 1;
            let config = serve_config(state.addr, &self.data_dir);
            match runtime.block_on(fieldhq::serve(config)) {
                Ok(hq) => break hq,
                // The killed runtime's workers may still hold the listener for a moment.
                Err(fieldhq::Error::Io(e))
                    if e.kind() == std::io::ErrorKind::AddrInUse && attempt < 40 =>
                {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(fieldhq::Error::Io(e)) if e.kind() == std::io::ErrorKind::AddrInUse => {
                    let config =
                        serve_config(SocketAddr::from(([127, 0, 0, 1], 0)), &self.data_dir);
                    break runtime.block_on(fieldhq::serve(config))?;
                }
                Err(e) => return Err(e.into()),
            }
        };
        state.addr = hq.addr();
        state.storage = Some(hq.storage().clone());
        state.hq = Some(hq);
        state.runtime = Some(runtime);
        Ok(format!("http://{}", state.addr))
    }

    /// Stops HQ gracefully (requests in flight finish).
    pub fn shutdown(&self) -> Result<()> {
        let mut state = self.state();
        let (Some(runtime), Some(hq)) = (state.runtime.take(), state.hq.take()) else {
            return Ok(());
        };
        state.storage.take();
        runtime.block_on(hq.shutdown())?;
        Ok(())
    }
}

// -------------------------------------------------------------------------------- devices

/// A field device: a real store in its own folder, synced to HQ with the device client.
pub struct Device {
    pub name: String,
    pub store: Store,
    pub config: SyncConfig,
    /// Set when the device syncs with an in-process HQ; otherwise over HTTP to `config.hq_url`.
    pub transport: Option<InProcessTransport>,
    dir: tempfile::TempDir,
}

/// A sync configuration for tests: the given HQ and token, retries with millisecond backoff.
pub fn test_config(url: &str, token: &str) -> SyncConfig {
    let mut config = SyncConfig::new(url, token);
    config.initial_backoff = Duration::from_millis(2);
    config.max_backoff = Duration::from_millis(20);
    config.max_attempts = 8;
    config.request_timeout = Duration::from_secs(30);
    config
}

impl Device {
    /// A new device of `user` (the name its commands are recorded under), syncing to `url`
    /// with `token`. Its clock is a [`step_clock`].
    pub fn new(user: &str, url: &str, token: &str) -> Result<Device> {
        let dir = tempfile::tempdir()?;
        let mut store = Store::open(dir.path().join("device.db"), user)?;
        store.set_clock(step_clock());
        Ok(Device {
            name: user.to_owned(),
            store,
            config: test_config(url, token),
            transport: None,
            dir,
        })
    }

    /// A new device of `user` with `token`, syncing with `hq`: in process when `hq` runs in
    /// process, else over HTTP to `url` (HQ's own, or a proxy in front of it).
    pub fn at(hq: &TestHq, url: &str, user: &str, token: &str) -> Result<Device> {
        let mut device = Device::new(user, url, token)?;
        device.transport = hq.transport(token);
        Ok(device)
    }

    /// Enrols a device for `user` at `hq` and opens its store.
    pub fn enrolled(hq: &TestHq, user: &str) -> Result<Device> {
        let token = hq.enrol(user)?;
        Device::at(hq, &hq.url(), user, &token)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn set_url(&mut self, url: &str) {
        self.config.hq_url = url.trim_end_matches('/').to_owned();
    }

    /// One `Store::sync` (`Store::sync_with` the in-process transport, if any).
    pub fn sync(&mut self) -> fieldcore::Result<SyncReport> {
        self.sync_with_progress(&mut |_| {})
    }

    /// One `Store::sync`, reporting progress after every round trip.
    pub fn sync_with_progress(
        &mut self,
        progress: &mut dyn FnMut(&SyncProgress),
    ) -> fieldcore::Result<SyncReport> {
        let cancel = CancelToken::new();
        match &self.transport {
            Some(transport) => self
                .store
                .sync_with(transport, &self.config, progress, &cancel),
            None => self.store.sync(&self.config, progress, &cancel),
        }
    }

    /// Downloads a photo (or thumbnail) from HQ: `Store::fetch_blob`, or the same through the
    /// in-process transport.
    pub fn fetch_blob(&mut self, hash: &str) -> fieldcore::Result<()> {
        let cancel = CancelToken::new();
        match &self.transport {
            Some(transport) => {
                let bytes = transport.get_blob(hash, &cancel, &mut 0)?;
                self.store.receive_blob(hash, &bytes)
            }
            None => self.store.fetch_blob(&self.config, hash, &cancel),
        }
    }

    /// Registers a case with a serial number of its own.
    pub fn register(&mut self, serial: &str) -> Result<CaseId> {
        Ok(self.store.register(&registration_for(serial))?.id)
    }

    /// Every case id the device holds, from its list (the projection).
    pub fn case_ids(&self) -> Result<BTreeSet<CaseId>> {
        let mut ids = BTreeSet::new();
        let mut after = None;
        loop {
            let page = self.store.list(&ListQuery {
                limit: 500,
                after,
                ..Default::default()
            })?;
            for row in &page.rows {
                ids.insert(row.case.case_id.parse::<Uuid>()?);
            }
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(ids),
            }
        }
    }

    /// The view of every case the device holds.
    pub fn views(&mut self) -> Result<BTreeMap<CaseId, CaseView>> {
        let mut views = BTreeMap::new();
        for id in self.case_ids()? {
            views.insert(id, self.store.case(id)?);
        }
        Ok(views)
    }

    /// The number of automerge changes in a case's document.
    pub fn change_count(&mut self, case: CaseId) -> Result<usize> {
        let bytes = self.store.export_document(case)?;
        Ok(automerge::Automerge::load(&bytes)?.get_changes(&[]).len())
    }
}

/// What one pass of [`sync_until_quiet`] did.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet {
    /// Passes over all devices, the last one quiet.
    pub passes: usize,
    pub syncs: usize,
    /// Failed attempts the syncs retried.
    pub retries: u64,
}

/// Syncs every device, in order, pass after pass, until a whole pass pushes and pulls
/// nothing and no device has anything pending. Fails after `max_passes`.
pub fn sync_until_quiet(devices: &mut [&mut Device], max_passes: usize) -> Result<Quiet> {
    let mut quiet = Quiet::default();
    while quiet.passes < max_passes {
        quiet.passes += 1;
        let mut moved = false;
        for device in devices.iter_mut() {
            let report = device.sync()?;
            quiet.syncs += 1;
            let p = report.progress;
            quiet.retries += u64::from(p.retries);
            moved |= p.pushed_cases + p.pulled_cases + report.repairs > 0;
            moved |= p.pending_cases > 0 || device.store.pending_sync_cases()? > 0;
        }
        if !moved {
            return Ok(quiet);
        }
    }
    Err(format!("devices did not go quiet in {max_passes} passes").into())
}

/// A JPEG as a phone camera would hand it over: `width` × `height`, a pattern made from
/// `seed` so different seeds give different photos.
pub fn jpeg(width: u32, height: u32, seed: u8) -> Result<Vec<u8>> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x as u8).wrapping_add(seed),
            (y as u8).wrapping_mul(3),
            seed ^ ((x ^ y) as u8),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}
