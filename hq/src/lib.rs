//! `fieldhq`: the FieldCore HQ server.
//!
//! Field devices keep service cases as automerge documents and sync them here over
//! `POST /v1/sync` (docs/sync-protocol.md): HQ authenticates the device by its token, checks
//! that every pushed change is the device's own and that its user may write the case, keeps
//! every change in a log with a global sequence number, gives new cases their official
//! `YYMM-NNNN` number, and sends each device the changes of the cases its user may see.
//!
//! # Embedding
//! Tests, benchmarks and `fieldctl demo` run a real HQ on loopback:
//! ```no_run
//! # async fn demo() -> fieldhq::Result<()> {
//! let hq = fieldhq::serve(fieldhq::ServeConfig::new("127.0.0.1:0".parse().unwrap(), "/tmp/hq")).await?;
//! let user = fieldhq::admin::add_user(hq.storage(), "wang", fieldhq::Role::Engineer, None).await?;
//! let phone = fieldhq::admin::enrol_device(hq.storage(), &user.name, Some("phone")).await?;
//! println!("sync to {} with token {}", hq.url(), phone.token);
//! hq.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! # Modules
//! | module | concern |
//! |---|---|
//! | [`server`] | the accept loop: header-read and idle timeouts, the connection cap |
//! | [`http`] | the router: routes, body limits, timeouts, authentication, request logs |
//! | [`limits`] | the transport limits and the budget of request bodies in flight |
//! | [`lockout`] | failed authentications counted per address and token prefix |
//! | [`sync`] | the batched protocol: each push tried on its case, appends, numbering |
//! | [`pulls`] | what a sync response sends back, within its byte budget |
//! | `naive` | plain per-case automerge sync, the benchmark's baseline (feature `bench-baseline`) |
//! | [`changes`] | pushed payloads into automerge changes, strictly |
//! | [`documents`] | HQ's copy of each case as a document, on which pushes are tried |
//! | [`numbering`] | `YYMM-NNNN` and HQ's number change |
//! | [`access`] | roles and who may see which case |
//! | [`admin`] | users, devices, assignment, routing, reference data |
//! | [`escalation`] | major incidents, batch faults, overdue cases; trip approvals |
//! | [`returns`] | returns and exchanges: the approval chain, RMA numbers, the read model's list |
//! | [`forms`] | the printed forms of a return, HTML and PDF (`fieldhq rma print`) |
//! | [`writeoff`] | the quarterly write-off of spare parts: runs, approval, the archive |
//! | [`writeoff_quarter`] | a quarter's write-off run for every holder, pipelined |
//! | [`voucher`] | the write-off's voucher: Excel workbook, printable HTML, PDF |
//! | [`console`] | the HQ console in the browser: sign-in, sessions, pages, forms (ADR 0024) |
//! | [`read_model`] | one `case_index` row per case, from its view: lists, overdue, reindex |
//! | [`report`] | the monthly product-quality report: generate, issue, re-open, view |
//! | [`report_sections`] | the report's sections, computed purely from read-model rows |
//! | [`report_tables`] | the report's sections as localized tables, which both exports print |
//! | [`report_html`] | the report as a print-friendly HTML page with SVG charts |
//! | [`report_excel`] | the report as an Excel workbook with native charts |
//! | [`shipments`] | delivered quantities imported from CSV, for PPM |
//! | [`archive`] | closed cases moved to an archive and restored; tombstones (ADR 0028) |
//! | [`archive_dest`] | where an archive is written: a folder or an S3-compatible bucket, one trait |
//! | [`archive_record`] | an archived case's printable HTML record |
//! | [`backup`] | an online copy of the embedded database and the blob folder |
//! | [`auth`] | device tokens |
//! | [`blobs`] | the blob store: photos and vouchers by SHA-256, behind one trait |
//! | [`blob_folder`] | blobs in a folder on HQ's disk (the default) |
//! | [`blob_s3`] | blobs in S3-compatible object storage |
//! | [`blob_access`] | who may read a blob, upload quotas, removal of unreferenced uploads |
//! | [`data_dir`] | the data folder's permissions |
//! | [`storage`] | one transaction abstraction, SQLite and PostgreSQL backends |
//! | [`error`] | the one error type and its HTTP response |
//!
//! TLS is not terminated here: a deployment puts HQ behind a reverse proxy that does it.

pub mod access;
pub mod admin;
pub mod archive;
pub mod archive_dest;
pub mod archive_record;
pub mod auth;
pub mod backup;
pub mod blob_access;
pub mod blob_folder;
pub mod blob_s3;
pub mod blobs;
pub mod changes;
pub mod console;
pub mod data_dir;
pub mod documents;
pub mod error;
pub mod escalation;
pub mod forms;
pub mod http;
pub mod ledgers;
pub mod limits;
pub mod lockout;
#[cfg(feature = "bench-baseline")]
pub mod naive;
pub mod numbering;
pub mod old_parts;
pub mod parts;
pub mod pulls;
pub mod read_model;
pub mod report;
pub mod report_excel;
pub mod report_html;
pub mod report_sections;
pub mod report_tables;
pub mod returns;
pub mod server;
pub mod shipments;
pub mod state;
pub mod storage;
pub mod sync;
pub mod trips;
pub mod voucher;
pub mod writeoff;
pub mod writeoff_input;
pub mod writeoff_quarter;

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use access::{Role, User};
pub use error::{Error, Result};
pub use http::app;
pub use limits::Limits;
pub use state::{AppState, Clock, DocumentSources};
pub use storage::{ConnectionUse, DEFAULT_DATABASE_CONNECTIONS, Storage, StorageConfig};
pub use sync::{MAX_CASE_INFLATED_BYTES, MAX_REQUEST_INFLATED_BYTES};

/// How to run an HQ.
#[derive(Clone)]
pub struct ServeConfig {
    /// Where to listen; port 0 picks a free port (see [`RunningHq::addr`]).
    pub addr: SocketAddr,
    /// The data folder: the SQLite database (unless `database_url` is set) and the blobs.
    pub data_dir: PathBuf,
    /// PostgreSQL instead of the embedded SQLite database.
    pub database_url: Option<String>,
    /// Connections to PostgreSQL at most ([`DEFAULT_DATABASE_CONNECTIONS`]).
    pub database_connections: usize,
    /// Where the blobs are kept; `None` is the `blobs` folder inside the data folder.
    pub blobs: Option<blobs::BlobLocation>,
    /// Where HQ's time comes from; the local clock by default.
    pub clock: Option<Clock>,
    /// The company's time zone: a case number's month is the month the complaint was
    /// received there (Asia/Shanghai by default).
    pub time_zone: chrono_tz::Tz,
    /// The most bytes of change chunks (with their framing) one sync response carries;
    /// [`pulls::PULL_BUDGET`] (16 MiB − 256 KiB) by default. Tests lower it to page small
    /// cases; a deployment keeps the default.
    pub pull_budget_bytes: usize,
    /// The most a case's stored history may take; a push that would grow a case past it is
    /// rejected for that case ([`state::DEFAULT_CASE_LIMIT_BYTES`], 8 MiB, by default).
    pub case_limit_bytes: u64,
    /// The most stored history one request may make HQ load to try its pushes on
    /// ([`sync::MAX_REQUEST_LOAD_BYTES`] by default); pushes past it are answered `Later`.
    /// Tests lower it; a deployment keeps the default.
    pub load_budget_bytes: u64,
    /// Timeouts, connection and memory caps, authentication lock-out, blob quota
    /// (docs/operations.md).
    pub limits: Limits,
    /// The browser console's sign-in settings (session lifetime, lock-out, Secure cookies).
    pub console: console::ConsoleSettings,
    /// Serve the benchmark's naive route (`POST /v1/naive/{case_id}`): only fieldbench sets
    /// it; `fieldhq serve` never does, whatever features the build has.
    #[cfg(feature = "bench-baseline")]
    pub bench_baseline: bool,
}

impl ServeConfig {
    pub fn new(addr: SocketAddr, data_dir: impl Into<PathBuf>) -> ServeConfig {
        ServeConfig {
            addr,
            data_dir: data_dir.into(),
            database_url: None,
            database_connections: DEFAULT_DATABASE_CONNECTIONS,
            blobs: None,
            clock: None,
            time_zone: state::DEFAULT_TIME_ZONE,
            pull_budget_bytes: pulls::PULL_BUDGET,
            case_limit_bytes: state::DEFAULT_CASE_LIMIT_BYTES,
            load_budget_bytes: sync::MAX_REQUEST_LOAD_BYTES,
            limits: Limits::default(),
            console: console::ConsoleSettings::default(),
            #[cfg(feature = "bench-baseline")]
            bench_baseline: false,
        }
    }

    /// Where the blobs are: the configured location, else the data folder's `blobs`.
    pub fn blob_location(&self) -> blobs::BlobLocation {
        self.blobs
            .clone()
            .unwrap_or_else(|| blobs::BlobLocation::in_data_dir(&self.data_dir))
    }

    pub fn storage(&self) -> StorageConfig {
        StorageConfig {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            database_connections: self.database_connections,
        }
    }
}

/// A running HQ: its address, its storage (for the admin functions), and a handle to stop it.
pub struct RunningHq {
    addr: SocketAddr,
    storage: Storage,
    metrics: std::sync::Arc<state::Metrics>,
    lockout: std::sync::Arc<lockout::Lockout>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningHq {
    /// The bound address (the real port when the configuration asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, the base URL devices use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// What the server measured of itself (how long validating pushes took).
    pub fn metrics(&self) -> &state::Metrics {
        &self.metrics
    }

    /// Authentication lock-outs begun since the server started.
    pub fn lockouts(&self) -> u64 {
        self.lockout.triggered()
    }

    /// Stops accepting connections, lets requests in flight finish, and returns when the
    /// server has stopped.
    pub async fn shutdown(mut self) -> Result<()> {
        if let Some(stop) = self.stop.take() {
            // The server may already have stopped on its own; nothing left to signal then.
            let _ = stop.send(());
        }
        (&mut self.task).await??;
        tracing::info!(addr = %self.addr, "HQ stopped");
        Ok(())
    }
}

/// Opens the storage (migrating it), binds the address and serves until
/// [`RunningHq::shutdown`].
pub async fn serve(config: ServeConfig) -> Result<RunningHq> {
    let storage = Storage::open(&config.storage()).await?;
    let location = config.blob_location();
    let blobs = blobs::BlobStore::connect(&location, true).await?;
    let blob_place = blobs.describe();
    let clock = config.clock.clone().unwrap_or_else(state::system_clock);
    let state = AppState::new(storage.clone(), blobs, clock)
        .with_time_zone(config.time_zone)
        .with_pull_budget(config.pull_budget_bytes)
        .with_case_limit(config.case_limit_bytes)
        .with_load_budget(config.load_budget_bytes)
        .with_limits(config.limits)
        .with_console(config.console.clone());
    #[cfg(feature = "bench-baseline")]
    let state = state.with_bench_baseline(config.bench_baseline);
    let metrics = state.metrics().clone();
    let lockout = state.lockout().clone();
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    // A dropped handle stops the server too: the receiver then completes with an error.
    let (stop, stopped) = oneshot::channel::<()>();
    let collector = blob_access::spawn_collector(state.clone());
    let router = app(state);
    let limits = config.limits;
    let task = tokio::spawn(async move {
        let served = server::run(listener, router, limits, stopped).await;
        collector.abort();
        served
    });
    tracing::info!(%addr, storage = storage.kind(), blobs = %blob_place, "HQ listening");
    Ok(RunningHq {
        addr,
        storage,
        metrics,
        lockout,
        stop: Some(stop),
        task,
    })
}
