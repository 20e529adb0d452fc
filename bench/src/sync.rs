//! `fieldbench sync`: the sync protocol against a real HQ on loopback (embedded with
//! `fieldhq::serve` on a tokio runtime whose worker threads serve it, SQLite data folder in a
//! temporary directory), with devices that are real stores syncing over HTTP.
//!
//! On one device holding 10,000 cases already in sync it measures a sync after one field of
//! every case changed (time and bytes per case), the same with plain per-case automerge sync
//! against HQ's `/v1/naive/{case_id}` (one message exchange per case, on warmed sync states),
//! a sync where nothing changed, and a new HQ-staff device receiving all 10,000 cases. Then
//! HQ's throughput with 50 devices syncing changes concurrently, and 500 devices each syncing
//! once at the same moment; during the concurrent devices, HQ's own timings of validating each
//! case push (`Metrics::take_validations`: the push applied to HQ's copy of the case and read
//! with the core's checks) give the per-change validation percentiles, in the validating
//! thread's CPU time (the wall-clock ones beside them). Bytes are HTTP bodies
//! (what `SyncReport` counts), for both protocols. Where the time of a batched sync goes is
//! split by timing the transport: the HTTP round trips (HQ's work included) against everything
//! on the device (prepare, encode, decode, apply); the bootstrap's device time is further split
//! into the steps of applying a case new to the device.
//!
//! Untimed setup (filling stores, the 10,000 change commands) runs on a RAM folder when there
//! is one (`/dev/shm`) and the stores move to the disk folder before anything is timed: at one
//! fsync per command the setup alone would otherwise take minutes.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use automerge::sync::{Message, State, SyncDoc};
use automerge::{Automerge, ReadDoc};
use chrono::{Duration as Days, NaiveDate};
use fieldcore::SyncResponse;
use fieldcore::{CancelToken, HttpTransport, SyncConfig, SyncReport, Transport};
use fieldcore::{
    CaseId, Channel, CustomerRequest, FactsUpdate, Market, ProofOfPurchase, Registration, Timestamp,
};
use fieldcore::{Command, Context, Policies, Store};
use fieldhq::{Role, RunningHq, ServeConfig, admin};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

use crate::error::BenchError;
use crate::measure::{percentile, round};

/// How big a run is; the defaults are the issue's.
#[derive(Debug, Clone, Copy)]
pub struct SyncBench {
    pub cases: usize,
    pub clients: usize,
    pub client_seconds: u64,
    pub devices: usize,
}

const NOOP_RUNS: usize = 7;
/// Cases each of the concurrent clients holds, and how many it changes before each sync.
const CLIENT_CASES: usize = 20;
const CLIENT_CHANGES: usize = 5;
/// New cases each device of the many-devices run brings.
const DEVICE_CASES: usize = 3;

pub fn sync(bench: SyncBench) -> Result<Value, BenchError> {
    let name = format!("fieldbench-sync-{}", uuid::Uuid::now_v7());
    let dirs = Dirs {
        disk: std::env::temp_dir().join(&name),
        setup: match Path::new(RAM_DIR).is_dir() {
            true => Path::new(RAM_DIR).join(&name),
            false => std::env::temp_dir().join(format!("{name}-setup")),
        },
    };
    std::fs::create_dir_all(&dirs.disk)?;
    std::fs::create_dir_all(&dirs.setup)?;
    let result = run(&dirs, bench);
    let _ = std::fs::remove_dir_all(&dirs.disk);
    let _ = std::fs::remove_dir_all(&dirs.setup);
    result
}

/// A RAM folder for untimed setup (filling stores, running the change commands): with
/// `synchronous = FULL` each command is an fsync, ~5 ms on the CI machine's virtual disk,
/// which would make the setup of 10,000 cases take most of the run. Stores move to the disk
/// folder before anything is timed.
const RAM_DIR: &str = "/dev/shm";

struct Dirs {
    /// HQ's data and every store while it is measured.
    disk: PathBuf,
    /// Stores while they are filled.
    setup: PathBuf,
}

impl Dirs {
    /// Opens `name` in the setup folder, runs `fill` on it, closes it, moves it to the disk
    /// folder and opens it there.
    fn filled<T>(
        &self,
        name: &str,
        user: &str,
        fill: impl FnOnce(&mut Store) -> Result<T, BenchError>,
    ) -> Result<(Store, T), BenchError> {
        let mut store = Store::open(self.setup.join(name), user)?;
        let out = fill(&mut store)?;
        drop(store);
        move_store(&self.setup.join(name), &self.disk.join(name))?;
        Ok((Store::open(self.disk.join(name), user)?, out))
    }

    /// Runs `work` on a store of the disk folder from the setup folder, and moves it back.
    fn off_disk<T>(
        &self,
        store: Store,
        name: &str,
        user: &str,
        work: impl FnOnce(&mut Store) -> Result<T, BenchError>,
    ) -> Result<(Store, T), BenchError> {
        drop(store);
        move_store(&self.disk.join(name), &self.setup.join(name))?;
        let mut store = Store::open(self.setup.join(name), user)?;
        let out = work(&mut store)?;
        drop(store);
        move_store(&self.setup.join(name), &self.disk.join(name))?;
        Ok((Store::open(self.disk.join(name), user)?, out))
    }
}

/// Moves a closed store (database, WAL, shared memory; its blob folder is empty here)
/// between file systems.
fn move_store(from: &Path, to: &Path) -> Result<(), BenchError> {
    let with = |p: &Path, suffix: &str| {
        let mut s = p.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    for suffix in ["", "-wal", "-shm"] {
        let source = with(from, suffix);
        if source.exists() {
            std::fs::copy(&source, with(to, suffix))?;
            std::fs::remove_file(&source)?;
        }
    }
    let blobs = with(from, ".blobs");
    if blobs.is_dir() {
        std::fs::remove_dir_all(blobs)?;
    }
    Ok(())
}

fn bench_err(e: impl std::fmt::Display) -> BenchError {
    BenchError::Failed(e.to_string())
}

/// An HQ served by a runtime's worker threads; the caller's thread stays free for blocking
/// device syncs.
struct Hq {
    runtime: Runtime,
    hq: Option<RunningHq>,
}

impl Hq {
    fn start(data_dir: &Path) -> Result<Hq, BenchError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("bench-hq")
            .build()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut config = ServeConfig::new(addr, data_dir);
        // The baseline route: only this benchmark's HQ serves it.
        config.bench_baseline = true;
        let hq = runtime
            .block_on(fieldhq::serve(config))
            .map_err(bench_err)?;
        Ok(Hq {
            runtime,
            hq: Some(hq),
        })
    }

    fn running(&self) -> Result<&RunningHq, BenchError> {
        self.hq.as_ref().ok_or_else(|| bench_err("HQ stopped"))
    }

    fn url(&self) -> Result<String, BenchError> {
        Ok(self.running()?.url())
    }

    fn user(&self, name: &str, role: Role) -> Result<(), BenchError> {
        let storage = self.running()?.storage().clone();
        self.runtime
            .block_on(async move { admin::add_user(&storage, name, role, None).await })
            .map_err(bench_err)?;
        Ok(())
    }

    fn enrol(&self, user: &str) -> Result<String, BenchError> {
        let storage = self.running()?.storage().clone();
        let enrolment = self
            .runtime
            .block_on(async move { admin::enrol_device(&storage, user, Some("bench")).await })
            .map_err(bench_err)?;
        Ok(enrolment.token)
    }

    fn count(&self, sql: &str) -> Result<i64, BenchError> {
        let storage = self.running()?.storage().clone();
        self.runtime
            .block_on(async move { storage.query_count(sql).await })
            .map_err(bench_err)
    }

    fn stop(mut self) -> Result<(), BenchError> {
        if let Some(hq) = self.hq.take() {
            self.runtime.block_on(hq.shutdown()).map_err(bench_err)?;
        }
        Ok(())
    }
}

fn config(url: &str, token: &str) -> SyncConfig {
    let mut config = SyncConfig::new(url, token);
    config.initial_backoff = Duration::from_millis(20);
    config.max_backoff = Duration::from_secs(1);
    config.max_attempts = 6;
    config
}

/// The HTTP transport with the time spent inside its calls (round trips, HQ's work
/// included), so a sync's time splits into network+HQ and device.
struct TimedTransport {
    inner: HttpTransport,
    spent: Cell<Duration>,
    calls: Cell<u32>,
}

impl TimedTransport {
    fn new(config: &SyncConfig) -> Result<TimedTransport, BenchError> {
        Ok(TimedTransport {
            inner: HttpTransport::new(config)?,
            spent: Cell::new(Duration::ZERO),
            calls: Cell::new(0),
        })
    }
}

impl Transport for TimedTransport {
    fn sync(
        &self,
        body: Vec<u8>,
        cancel: &CancelToken,
        retries: &mut u32,
    ) -> fieldcore::Result<Vec<u8>> {
        let started = Instant::now();
        let answer = self.inner.sync(body, cancel, retries);
        self.spent.set(self.spent.get() + started.elapsed());
        self.calls.set(self.calls.get() + 1);
        answer
    }

    fn put_blob(
        &self,
        hash: &str,
        bytes: Vec<u8>,
        cancel: &CancelToken,
        retries: &mut u32,
    ) -> fieldcore::Result<()> {
        self.inner.put_blob(hash, bytes, cancel, retries)
    }

    fn get_blob(
        &self,
        hash: &str,
        cancel: &CancelToken,
        retries: &mut u32,
    ) -> fieldcore::Result<Vec<u8>> {
        self.inner.get_blob(hash, cancel, retries)
    }
}

/// One timed sync: its report, wall time, and the time inside HTTP calls.
struct Timed {
    report: SyncReport,
    total: Duration,
    transport: Duration,
}

impl Timed {
    fn json(&self) -> Value {
        let p = &self.report.progress;
        json!({
            "s": secs(self.total),
            "http_and_hq_s": secs(self.transport),
            "device_s": secs(self.total.saturating_sub(self.transport)),
            "rounds": p.rounds,
            "pushed_cases": p.pushed_cases,
            "pulled_cases": p.pulled_cases,
            "bytes_sent": p.bytes_sent,
            "bytes_received": p.bytes_received,
            "retries": p.retries,
        })
    }

    fn bytes(&self) -> u64 {
        self.report.progress.bytes_sent + self.report.progress.bytes_received
    }
}

fn timed_sync(store: &mut Store, config: &SyncConfig) -> Result<Timed, BenchError> {
    let transport = TimedTransport::new(config)?;
    let started = Instant::now();
    let report = store.sync_with(&transport, config, &mut |_| {}, &CancelToken::new())?;
    Ok(Timed {
        report,
        total: started.elapsed(),
        transport: transport.spent.get(),
    })
}

fn run(dirs: &Dirs, bench: SyncBench) -> Result<Value, BenchError> {
    let cases = bench.cases.max(1);
    let hq = Hq::start(&dirs.disk.join("hq"))?;
    let url = hq.url()?;
    let now = chrono::Local::now().fixed_offset();
    // Cases received over the last weeks, seven minutes apart, all before now (registration
    // numbers wrap at 10,000, see `registration`).
    let first_received = now - Days::minutes(10_000 * 7 + 60);

    // ---- a device with `cases` cases, pushed once
    hq.user("wang", Role::Engineer)?;
    let phone_config = config(&url, &hq.enrol("wang")?);
    let fill_started = Instant::now();
    let (mut phone, ids) = dirs.filled("phone.db", "wang", |store| {
        let mut ids = Vec::with_capacity(cases);
        for i in 0..cases {
            ids.push(store.register(&registration(i, first_received))?.id);
        }
        Ok(ids)
    })?;
    let fill_s = secs(fill_started.elapsed());
    let initial = timed_sync(&mut phone, &phone_config)?;
    let settle = timed_sync(&mut phone, &phone_config)?;
    if phone.pending_sync_cases()? != 0 || settle.report.progress.pushed_cases != 0 {
        return Err(bench_err("the initial push left work pending"));
    }
    let hq_cases = hq.count("SELECT COUNT(*) FROM cases")?;
    if hq_cases != cases as i64 {
        return Err(bench_err(format!("HQ holds {hq_cases} cases, not {cases}")));
    }

    // ---- one field changed in every case
    let change_started = Instant::now();
    let (mut phone, ()) = dirs.off_disk(phone, "phone.db", "wang", |store| {
        for (n, id) in ids.iter().enumerate() {
            store.execute(
                *id,
                &Command::UpdateFacts(FactsUpdate {
                    customer_phone: Some(format!("+86 311 7777 {:04}", n % 10_000)),
                    ..Default::default()
                }),
            )?;
        }
        Ok(())
    })?;
    let change_s = secs(change_started.elapsed());
    let change_bytes = pending_change_bytes(&mut phone)?;
    let log_before = hq.count("SELECT COUNT(*) FROM changes")?;
    let changed = timed_sync(&mut phone, &phone_config)?;
    let log_after = hq.count("SELECT COUNT(*) FROM changes")?;
    if changed.report.progress.pushed_cases != cases as u64
        || log_after - log_before != cases as i64
    {
        return Err(bench_err(format!(
            "the changed sync pushed {} cases and HQ logged {} changes, not {cases}",
            changed.report.progress.pushed_cases,
            log_after - log_before
        )));
    }

    // ---- nothing changed
    let mut noop_ms = Vec::with_capacity(NOOP_RUNS);
    let mut noop_bytes = Vec::with_capacity(NOOP_RUNS);
    let mut noop_rounds = 0;
    for _ in 0..NOOP_RUNS {
        let noop = timed_sync(&mut phone, &phone_config)?;
        let p = noop.report.progress;
        if p.pushed_cases + p.pulled_cases != 0 {
            return Err(bench_err("a sync with nothing changed moved cases"));
        }
        noop_ms.push(noop.total.as_secs_f64() * 1000.0);
        noop_bytes.push(noop.bytes() as f64);
        noop_rounds = p.rounds;
    }

    // ---- the same change with plain per-case automerge sync
    let naive = naive(&hq, &url, &mut phone, &ids)?;

    // ---- a new device receiving everything
    hq.user("zhou", Role::HqStaff)?;
    let desk_config = config(&url, &hq.enrol("zhou")?);
    let mut desk = Store::open(dirs.disk.join("desk.db"), "zhou")?;
    let bootstrap = timed_sync(&mut desk, &desk_config)?;
    if desk.case_count()? != cases as i64 {
        return Err(bench_err(format!(
            "the new device received {} cases",
            desk.case_count()?
        )));
    }
    drop(desk);
    let breakdown = bootstrap_breakdown(&hq, &url, dirs)?;
    drop(phone);

    let clients = concurrent_clients(&hq, &url, dirs, bench, first_received)?;
    let fleet = many_devices(&hq, &url, dirs, bench.devices, first_received)?;
    hq.stop()?;

    let validation = |key: &str| {
        clients
            .pointer(&format!("/validation/{key}"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let validate_p50 = validation("us_per_change_p50");
    let validate_p99 = validation("us_per_change_p99");
    let per_case = |bytes: u64| bytes as f64 / cases as f64;
    let changed_bytes_per_case = per_case(changed.bytes());
    Ok(json!({
        "suite": "sync",
        "cases": cases,
        "hq": "embedded fieldhq on 127.0.0.1, SQLite (synchronous = FULL) in a temporary folder",
        "setup_folder": dirs.setup.parent().map(|p| p.display().to_string()),
        "fill_s": fill_s,
        "initial_push_10k_s": secs(initial.total),
        "initial_push": initial.json(),
        "change_commands_s": change_s,
        "sync_10k_changed_s": secs(changed.total),
        "bytes_per_changed_case": round(changed_bytes_per_case),
        "sync_10k_changed": changed.json(),
        "changed_change_bytes_per_case": round(change_bytes as f64 / cases as f64),
        "naive_sync_10k_changed_s": round(naive.changed_s),
        "naive_bytes_per_changed_case": round(naive.changed_bytes as f64 / cases as f64),
        "naive": naive.json(),
        "noop_sync_10k_bytes": median(&mut noop_bytes),
        "noop_sync_10k_ms": round(median(&mut noop_ms)),
        "noop_rounds": noop_rounds,
        "bootstrap_10k_s": secs(bootstrap.total),
        "bootstrap": bootstrap.json(),
        "bootstrap_device_breakdown": breakdown,
        "hq_case_syncs_per_s": clients.get("case_syncs_per_s").cloned().unwrap_or(Value::Null),
        "hq_validate_us_per_change_p50": validate_p50,
        "hq_validate_us_per_change_p99": validate_p99,
        "concurrent_clients": clients,
        "devices_500_errors": fleet.get("errors").cloned().unwrap_or(Value::Null),
        "devices_500_s": fleet.get("s").cloned().unwrap_or(Value::Null),
        "devices_500": fleet,
        "targets": {
            "sync_10k_changed_s": 3.0, "bytes_per_changed_case": 400.0,
            "noop_sync_10k_bytes": 50_000.0, "noop_sync_10k_ms": 200.0, "bootstrap_10k_s": 5.0,
            "devices_500_errors": 0, "hq_validate_us_per_change_p99": 500.0
        },
        "met": {
            "sync_10k_changed_s": changed.total.as_secs_f64() < 3.0,
            "bytes_per_changed_case": changed_bytes_per_case <= 400.0,
            "noop_sync_10k_bytes": median(&mut noop_bytes) < 50_000.0,
            "noop_sync_10k_ms": median(&mut noop_ms) < 200.0,
            "bootstrap_10k_s": bootstrap.total.as_secs_f64() < 5.0,
            "hq_validate_us_per_change_p99": validate_p99.as_f64().map(|p99| p99 < 500.0),
        },
        "load": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
    }))
}

/// What the pending push's change chunks weigh, as the outbox holds and pushes them
/// (automerge's compressed chunk form).
fn pending_change_bytes(store: &mut Store) -> Result<u64, BenchError> {
    let (request, _) = store.prepare_sync(usize::MAX, 1)?;
    Ok(request.pushes.iter().map(|p| p.payload.len() as u64).sum())
}

/// Where a new device's time goes. A second new device of the same HQ-staff user fetches
/// the same pulls (stored nowhere), then each step `Store::apply_sync` takes for a case new
/// to the device is timed over all of them with fieldcore's public functions: parsing the
/// change chunks, applying them to an empty document, the schema checks, building the case
/// view, saving the document. What the sum leaves of the bootstrap's device time is SQLite
/// (documents, projection rows, the transaction) and the decode of the response.
fn bootstrap_breakdown(hq: &Hq, url: &str, dirs: &Dirs) -> Result<Value, BenchError> {
    let config = config(url, &hq.enrol("zhou")?);
    let mut probe = Store::open(dirs.disk.join("probe.db"), "zhou")?;
    let transport = HttpTransport::new(&config)?;
    let (mut request, _) = probe.prepare_sync(config.max_push_bytes, config.max_pull_cases)?;
    let mut pulls = Vec::new();
    loop {
        let body = fieldcore::encode_message(&request).map_err(bench_err)?;
        let answer = transport.sync(body, &CancelToken::new(), &mut 0)?;
        let response: SyncResponse = fieldcore::decode_message(&answer).map_err(bench_err)?;
        pulls.extend(response.pulls);
        if !response.more {
            break;
        }
        request.cursor = response.cursor;
    }
    drop(probe);

    let started = Instant::now();
    let mut parsed = Vec::with_capacity(pulls.len());
    for pull in &pulls {
        let changes = pull
            .changes
            .iter()
            .map(|c| automerge::Change::from_bytes(c.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(bench_err)?;
        parsed.push(changes);
    }
    let parse = started.elapsed();
    let started = Instant::now();
    let mut docs = Vec::with_capacity(pulls.len());
    for changes in parsed {
        let mut doc = Automerge::new();
        doc.apply_changes(changes).map_err(bench_err)?;
        docs.push(doc);
    }
    let apply = started.elapsed();
    let started = Instant::now();
    for (doc, pull) in docs.iter().zip(&pulls) {
        let complete = doc.get_missing_deps(&[]).is_empty();
        fieldcore::check_schema(doc).map_err(bench_err)?;
        if !complete || fieldcore::case_id_of(doc) != Some(pull.case_id) {
            return Err(bench_err("a pulled case does not check"));
        }
    }
    let check = started.elapsed();
    let policies = Policies::default();
    let started = Instant::now();
    for (doc, pull) in docs.iter().zip(&pulls) {
        std::hint::black_box(fieldcore::build_view(doc, pull.case_id, &policies)?);
    }
    let view = started.elapsed();
    let started = Instant::now();
    for doc in &docs {
        std::hint::black_box(doc.save());
    }
    let save = started.elapsed();
    let per_case = |d: Duration| round(d.as_secs_f64() * 1e6 / pulls.len().max(1) as f64);
    Ok(json!({
        "cases": pulls.len(),
        "parse_changes_s": secs(parse),
        "apply_changes_s": secs(apply),
        "check_schema_s": secs(check),
        "view_build_s": secs(view),
        "save_s": secs(save),
        "sum_s": secs(parse + apply + check + view + save),
        "per_case_us": {
            "parse_changes": per_case(parse), "apply_changes": per_case(apply),
            "check_schema": per_case(check), "view_build": per_case(view), "save": per_case(save),
        },
    }))
}

struct Naive {
    warmup_s: f64,
    warmup_exchanges: u64,
    changed_s: f64,
    changed_bytes: u64,
    changed_exchanges: u64,
    /// What the first messages of a restarted app (sync states decoded from storage) weigh
    /// when nothing changed; requests only, since sending them is another 10,000 exchanges.
    noop_request_bytes_after_restart: u64,
}

impl Naive {
    fn json(&self) -> Value {
        json!({
            "warmup_s": round(self.warmup_s),
            "warmup_exchanges": self.warmup_exchanges,
            "changed_s": round(self.changed_s),
            "changed_bytes": self.changed_bytes,
            "changed_exchanges": self.changed_exchanges,
            "noop_request_bytes_after_restart": self.noop_request_bytes_after_restart,
        })
    }
}

/// Plain per-case automerge sync from a second device of the same engineer, holding the
/// same documents: first every case synced until HQ and the device agree (untimed), then one
/// other field changed in every case and one message exchange per case, timed.
fn naive(hq: &Hq, url: &str, phone: &mut Store, ids: &[CaseId]) -> Result<Naive, BenchError> {
    let token = hq.enrol("wang")?;
    let client = naive_client()?;
    let actor = automerge::ActorId::random();
    let mut docs: BTreeMap<CaseId, (Automerge, State)> = BTreeMap::new();
    for id in ids {
        let mut doc = Automerge::load(&phone.export_document(*id)?).map_err(bench_err)?;
        doc.set_actor(actor.clone());
        docs.insert(*id, (doc, State::new()));
    }
    let post = |id: &CaseId, body: Vec<u8>| -> Result<Vec<u8>, BenchError> {
        let response = client
            .post(format!("{url}/v1/naive/{id}"))
            .bearer_auth(&token)
            .body(body)
            .send()
            .map_err(bench_err)?;
        if !response.status().is_success() {
            let status = response.status();
            return Err(bench_err(format!(
                "naive sync: HTTP {status}: {}",
                response.text().unwrap_or_default()
            )));
        }
        Ok(response.bytes().map_err(bench_err)?.to_vec())
    };
    let exchange =
        |id: &CaseId, doc: &mut Automerge, state: &mut State| -> Result<Option<u64>, BenchError> {
            let Some(message) = doc.generate_sync_message(state) else {
                return Ok(None);
            };
            let body = message.encode();
            let sent = body.len() as u64;
            let reply = post(id, body)?;
            if !reply.is_empty() {
                let message = Message::decode(&reply).map_err(bench_err)?;
                doc.receive_sync_message(state, message)
                    .map_err(bench_err)?;
            }
            Ok(Some(sent + reply.len() as u64))
        };

    let warmup_started = Instant::now();
    let mut warmup_exchanges = 0;
    for (id, (doc, state)) in docs.iter_mut() {
        for _ in 0..4 {
            match exchange(id, doc, state)? {
                Some(_) => warmup_exchanges += 1,
                None => break,
            }
        }
    }
    let warmup_s = warmup_started.elapsed().as_secs_f64();

    let policies = Policies::default();
    let device = uuid::Uuid::now_v7().to_string();
    let at = chrono::Local::now().fixed_offset();
    for (n, (id, (doc, _))) in docs.iter_mut().enumerate() {
        let ctx = Context {
            by: "wang",
            device: &device,
            at: at + Days::seconds(n as i64),
            policies: &policies,
            parts_catalog: None,
        };
        fieldcore::execute_on_document(
            doc,
            *id,
            &ctx,
            &Command::UpdateFacts(FactsUpdate {
                customer_address: Some(format!("{} Canal Road, Shijiazhuang", n % 500)),
                ..Default::default()
            }),
        )?;
    }
    let log_before = hq.count("SELECT COUNT(*) FROM changes")?;
    let started = Instant::now();
    let mut changed_bytes = 0;
    let mut changed_exchanges = 0;
    for (id, (doc, state)) in docs.iter_mut() {
        if let Some(bytes) = exchange(id, doc, state)? {
            changed_bytes += bytes;
            changed_exchanges += 1;
        }
    }
    let changed_s = started.elapsed().as_secs_f64();
    let logged = hq.count("SELECT COUNT(*) FROM changes")? - log_before;
    if logged != ids.len() as i64 {
        return Err(bench_err(format!(
            "one naive exchange per case left HQ with {logged} new changes, not {}",
            ids.len()
        )));
    }
    let mut noop_request_bytes_after_restart = 0;
    for (doc, state) in docs.values_mut() {
        let mut restarted = State::decode(&state.encode()).map_err(bench_err)?;
        if let Some(message) = doc.generate_sync_message(&mut restarted) {
            noop_request_bytes_after_restart += message.encode().len() as u64;
        }
    }
    Ok(Naive {
        warmup_s,
        warmup_exchanges,
        changed_s,
        changed_bytes,
        changed_exchanges,
        noop_request_bytes_after_restart,
    })
}

/// A plain HTTP client (HQ is on loopback without TLS; rustls is set up only because the
/// client insists on a TLS configuration).
pub(crate) fn naive_client() -> Result<reqwest::blocking::Client, BenchError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(bench_err)?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    reqwest::blocking::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(bench_err)
}

/// `clients` devices (two per engineer, so each pulls its sibling's work) sync changes
/// concurrently for a fixed time; HQ's throughput is pushed plus pulled cases per second.
fn concurrent_clients(
    hq: &Hq,
    url: &str,
    dirs: &Dirs,
    bench: SyncBench,
    first_received: Timestamp,
) -> Result<Value, BenchError> {
    let clients = bench.clients.max(1);
    let mut stores = Vec::with_capacity(clients);
    for c in 0..clients {
        let user = format!("client-{}", c / 2);
        if c % 2 == 0 {
            hq.user(&user, Role::Engineer)?;
        }
        let config = config(url, &hq.enrol(&user)?);
        let (store, ids) = dirs.filled(&format!("client-{c}.db"), &user, |store| {
            let mut ids = Vec::with_capacity(CLIENT_CASES);
            for i in 0..CLIENT_CASES {
                ids.push(
                    store
                        .register(&registration(c * 1000 + i, first_received))?
                        .id,
                );
            }
            Ok(ids)
        })?;
        stores.push((store, config, ids));
    }
    // Everyone pushes its cases and pulls its sibling's before the clock starts.
    for _ in 0..2 {
        for (store, config, _) in &mut stores {
            store.sync(config, &mut |_| {}, &CancelToken::new())?;
        }
    }
    let run_for = Duration::from_secs(bench.client_seconds.max(1));
    let barrier = Barrier::new(clients);
    // HQ's own validation timings of this phase only: what the earlier parts and the setup
    // syncs above recorded is dropped here.
    let metrics = hq.running()?.metrics();
    metrics.take_validations();
    let started = Instant::now();
    let results: Vec<(u64, u64, u64, u64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .iter_mut()
            .enumerate()
            .map(|(c, (store, config, ids))| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let begun = Instant::now();
                    let (mut syncs, mut case_syncs, mut errors, mut round) =
                        (0u64, 0u64, 0u64, 0usize);
                    while begun.elapsed() < run_for {
                        for k in 0..CLIENT_CHANGES {
                            let id = ids[(round * CLIENT_CHANGES + k) % ids.len()];
                            let note = Command::AddNote {
                                text: format!("client {c} round {round}"),
                            };
                            if store.execute(id, &note).is_err() {
                                errors += 1;
                            }
                        }
                        round += 1;
                        match store.sync(config, &mut |_| {}, &CancelToken::new()) {
                            Ok(report) => {
                                syncs += 1;
                                case_syncs +=
                                    report.progress.pushed_cases + report.progress.pulled_cases;
                            }
                            Err(_) => errors += 1,
                        }
                    }
                    (syncs, case_syncs, errors, round as u64)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((0, 0, 1, 0)))
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let validations = metrics.take_validations();
    let mut cpu: Vec<f64> = validations.iter().map(|v| f64::from(v.cpu_us)).collect();
    let mut wall: Vec<f64> = validations.iter().map(|v| f64::from(v.wall_us)).collect();
    let syncs: u64 = results.iter().map(|r| r.0).sum();
    let case_syncs: u64 = results.iter().map(|r| r.1).sum();
    let errors: u64 = results.iter().map(|r| r.2).sum();
    Ok(json!({
        "clients": clients,
        "cases_per_client": CLIENT_CASES,
        "changed_per_sync": CLIENT_CHANGES,
        "s": round(elapsed),
        "syncs": syncs,
        "case_syncs": case_syncs,
        "case_syncs_per_s": round(case_syncs as f64 / elapsed),
        "syncs_per_s": round(syncs as f64 / elapsed),
        "errors": errors,
        "validation": {
            "samples": validations.len(),
            "us_per_change_p50": validation_percentile(&mut cpu, 0.5),
            "us_per_change_p99": validation_percentile(&mut cpu, 0.99),
            "us_per_change_max": validation_percentile(&mut cpu, 1.0),
            "wall_us_per_change_p50": validation_percentile(&mut wall, 0.5),
            "wall_us_per_change_p99": validation_percentile(&mut wall, 0.99),
            "wall_us_per_change_max": validation_percentile(&mut wall, 1.0),
        },
    }))
}

/// A percentile of HQ's validation timings (one sample per validated case push: its time
/// divided by its changes, in whole µs); none without samples, so a run that validated
/// nothing reads as no figure rather than as 0 µs. The `us_per_change_*` figures are the
/// validating thread's CPU time, the work validation costs HQ; the `wall_*` ones add the
/// time that thread waited for a core, which with 50 devices' threads in this same process on
/// two cores is mostly the scheduler's time slice, not validation.
fn validation_percentile(samples: &mut [f64], p: f64) -> Option<f64> {
    (!samples.is_empty()).then(|| round(percentile(samples, p)))
}

/// `devices` devices (ten per engineer), each with a few new cases, all syncing once at the
/// same moment.
fn many_devices(
    hq: &Hq,
    url: &str,
    dirs: &Dirs,
    devices: usize,
    first_received: Timestamp,
) -> Result<Value, BenchError> {
    let cases_before = hq.count("SELECT COUNT(*) FROM cases")?;
    let mut stores = Vec::with_capacity(devices);
    for d in 0..devices {
        let user = format!("fleet-{}", d / 10);
        if d % 10 == 0 {
            hq.user(&user, Role::Engineer)?;
        }
        let config = config(url, &hq.enrol(&user)?);
        let (store, ()) = dirs.filled(&format!("fleet-{d}.db"), &user, |store| {
            for i in 0..DEVICE_CASES {
                store.register(&registration(d * 10 + i, first_received))?;
            }
            Ok(())
        })?;
        stores.push((store, config));
    }
    let barrier = Barrier::new(devices.max(1));
    let started = Instant::now();
    let results: Vec<Result<Duration, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = stores
            .iter_mut()
            .map(|(store, config)| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let begun = Instant::now();
                    let report = store
                        .sync(config, &mut |_| {}, &CancelToken::new())
                        .map_err(|e| e.to_string())?;
                    if store.pending_sync_cases().map_err(|e| e.to_string())? != 0
                        || report.progress.pushed_cases != DEVICE_CASES as u64
                    {
                        return Err("the sync left cases behind".to_owned());
                    }
                    Ok(begun.elapsed())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("the device thread panicked".into()))
            })
            .collect()
    });
    let elapsed = started.elapsed();
    let mut latencies: Vec<f64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    let errors: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let new_cases = hq.count("SELECT COUNT(*) FROM cases")? - cases_before;
    Ok(json!({
        "devices": devices,
        "cases_per_device": DEVICE_CASES,
        "s": secs(elapsed),
        "errors": errors.len(),
        "first_error": errors.first().map(|e| e.as_str()),
        "new_cases_at_hq": new_cases,
        "sync_p50_ms": round(percentile(&mut latencies, 0.5)),
        "sync_p99_ms": round(percentile(&mut latencies, 0.99)),
    }))
}

fn registration(i: usize, first_received: Timestamp) -> Registration {
    let categories = ["motor", "generator", "pump"];
    Registration {
        customer_name: format!("Customer {} Works", i % 997),
        customer_phone: format!("+86 311 {:04} {:04}", (i / 10_000) % 10_000, i % 10_000),
        customer_address: format!("{} Industrial Road, Shijiazhuang", i % 300),
        region: "Hebei".into(),
        home_region: i.is_multiple_of(3),
        market: Market::Domestic,
        product_model: format!("YE3-{}M-4", 100 + i % 60),
        product_category: categories[i % 3].into(),
        serial_number: format!("M2406-{i:06}"),
        manufacture_date: NaiveDate::from_ymd_opt(2025, 1, 1),
        purchase_date: NaiveDate::from_ymd_opt(2025, 6, 1),
        proof_of_purchase: ProofOfPurchase::Invoice(format!("INV-{i:07}")),
        fault_description: "Trips the breaker shortly after start under load".into(),
        customer_request: CustomerRequest::Repair,
        channel: Channel::Phone,
        received_at: first_received + Days::minutes((i % 10_000) as i64 * 7),
        first_responder: "Wang Fang".into(),
        first_responder_id: None,
        production_batch: None,
    }
}

fn secs(d: Duration) -> f64 {
    round(d.as_secs_f64())
}

fn median(values: &mut [f64]) -> f64 {
    percentile(values, 0.5)
}
