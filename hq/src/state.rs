//! What every request handler shares: the storage, the blob store, HQ's automerge actor, its
//! clock, its transport limits and the failed-authentication counts.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::ActorId;
use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;

use fieldcore::{Policies, ReferenceData};

use crate::blobs::BlobStore;
use crate::documents::{DEFAULT_CACHED_BYTES, DEFAULT_CACHED_DOCUMENTS, Documents};
use crate::limits::Limits;
use crate::lockout::Lockout;
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
    /// The most a case's stored history may take (see [`DEFAULT_CASE_LIMIT_BYTES`]).
    case_limit_bytes: u64,
    documents: Arc<Documents>,
    policies: PolicyCache,
    metrics: Arc<Metrics>,
    /// The most bytes of change chunks one sync response carries.
    pull_budget: usize,
    /// The most stored history one request may load to try its pushes on.
    load_budget_bytes: u64,
    limits: Limits,
    lockout: Arc<Lockout>,
    /// Whether the router has the benchmark's naive route (only fieldbench turns it on).
    bench_baseline: bool,
    /// The browser console's sign-in settings.
    console: crate::console::ConsoleSettings,
}

/// The policies of the latest reference data, with its version, parsed once.
type PolicyCache = Arc<Mutex<Option<(u64, Arc<Policies>)>>>;

/// The per-case size limit unless configured. A case holds ~200 photos' descriptions (about
/// 1 KiB each with their audit events) and years of notes (a few notes a day at well under
/// 1 KiB each: ~3 MiB over three years); 8 MiB leaves room for both and still bounds what one
/// case costs HQ to keep, check and send.
pub const DEFAULT_CASE_LIMIT_BYTES: u64 = 8 * 1024 * 1024;

/// Timings HQ keeps for benchmarks and logs: the last [`Metrics::KEPT`] validations, and
/// where the case documents that pushes were tried on came from.
#[derive(Default)]
pub struct Metrics {
    validations: Mutex<Vec<Validation>>,
    documents: Mutex<DocumentSources>,
}

/// How many pushed-to cases were tried on a document that was current in memory, on one
/// caught up with the changes another instance logged since, or on one rebuilt from the
/// whole log ([`crate::documents`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocumentSources {
    pub current: u64,
    pub caught_up: u64,
    pub rebuilt: u64,
}

impl std::ops::Add for DocumentSources {
    type Output = DocumentSources;

    fn add(self, other: DocumentSources) -> DocumentSources {
        DocumentSources {
            current: self.current + other.current,
            caught_up: self.caught_up + other.caught_up,
            rebuilt: self.rebuilt + other.rebuilt,
        }
    }
}

/// How long validating one push took, per change it brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validation {
    /// The validating thread's CPU time: the work itself.
    pub cpu_us: u32,
    /// The wall clock, which also counts the time the thread waited for a core.
    pub wall_us: u32,
}

/// Times one validation on the thread that runs it (it never awaits).
pub struct ValidationTimer {
    wall: Instant,
    cpu: Duration,
}

impl ValidationTimer {
    pub fn start() -> ValidationTimer {
        ValidationTimer {
            wall: Instant::now(),
            cpu: thread_cpu_time(),
        }
    }
}

/// The calling thread's CPU time so far. Where there is no per-thread clock the wall clock
/// stands in, so the CPU figure is then no lower than the wall one.
fn thread_cpu_time() -> Duration {
    #[cfg(unix)]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Duration::new(
            u64::try_from(t.tv_sec).unwrap_or_default(),
            u32::try_from(t.tv_nsec).unwrap_or_default(),
        )
    }
    #[cfg(not(unix))]
    {
        static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        EPOCH.get_or_init(Instant::now).elapsed()
    }
}

impl Metrics {
    const KEPT: usize = 200_000;

    /// Records that validating a push of `changes` changes, timed by `timer`, has ended.
    pub fn record_validation(&self, timer: ValidationTimer, changes: usize) {
        let per_change =
            |d: Duration| u32::try_from(d.as_micros() / changes.max(1) as u128).unwrap_or(u32::MAX);
        let validation = Validation {
            cpu_us: per_change(thread_cpu_time().saturating_sub(timer.cpu)),
            wall_us: per_change(timer.wall.elapsed()),
        };
        let mut kept = self.validations.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() < Self::KEPT {
            kept.push(validation);
        }
    }

    /// Adds one request's document sources to the totals.
    pub fn record_documents(&self, sources: DocumentSources) {
        let mut totals = self.documents.lock().unwrap_or_else(|p| p.into_inner());
        *totals = *totals + sources;
    }

    /// Where the documents pushes were tried on came from, since the server started.
    pub fn document_sources(&self) -> DocumentSources {
        *self.documents.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The recorded validations, and forgets them.
    pub fn take_validations(&self) -> Vec<Validation> {
        std::mem::take(&mut *self.validations.lock().unwrap_or_else(|p| p.into_inner()))
    }
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
                case_limit_bytes: DEFAULT_CASE_LIMIT_BYTES,
                documents: Arc::new(Documents::new(
                    DEFAULT_CACHED_DOCUMENTS,
                    DEFAULT_CACHED_BYTES,
                )),
                policies: Arc::default(),
                metrics: Arc::default(),
                pull_budget: crate::pulls::PULL_BUDGET,
                load_budget_bytes: crate::sync::MAX_REQUEST_LOAD_BYTES,
                limits: Limits::default(),
                lockout: Arc::new(Lockout::new(&Limits::default())),
                bench_baseline: false,
                console: crate::console::ConsoleSettings::default(),
            }),
        }
    }

    /// The same state with other console settings; call before the state is shared.
    pub fn with_console(self, console: crate::console::ConsoleSettings) -> AppState {
        let inner = Arc::unwrap_or_clone(self.inner);
        AppState {
            inner: Arc::new(Inner { console, ..inner }),
        }
    }

    pub fn console(&self) -> &crate::console::ConsoleSettings {
        &self.inner.console
    }

    /// The same state with other transport limits (and fresh lock-out counts under them);
    /// call before the state is shared.
    pub fn with_limits(self, limits: Limits) -> AppState {
        let inner = Arc::unwrap_or_clone(self.inner);
        AppState {
            inner: Arc::new(Inner {
                limits,
                lockout: Arc::new(Lockout::new(&limits)),
                ..inner
            }),
        }
    }

    /// The same state with the benchmark's naive route on or off (it exists at all only with
    /// the `bench-baseline` feature); call before the state is shared.
    pub fn with_bench_baseline(self, bench_baseline: bool) -> AppState {
        let inner = Arc::unwrap_or_clone(self.inner);
        AppState {
            inner: Arc::new(Inner {
                bench_baseline,
                ..inner
            }),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn lockout(&self) -> &Arc<Lockout> {
        &self.inner.lockout
    }

    pub fn bench_baseline(&self) -> bool {
        self.inner.bench_baseline
    }

    /// The same state in another company time zone; call before the state is shared.
    pub fn with_time_zone(self, time_zone: Tz) -> AppState {
        let inner = Arc::unwrap_or_clone(self.inner);
        AppState {
            inner: Arc::new(Inner { time_zone, ..inner }),
        }
    }

    /// The same state with another per-case size limit; call before the state is shared.
    pub fn with_case_limit(self, case_limit_bytes: u64) -> AppState {
        let inner = Arc::unwrap_or_clone(self.inner);
        AppState {
            inner: Arc::new(Inner {
                case_limit_bytes,
                ..inner
            }),
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

    /// The same state with another load budget per request (tests lower it); call before the
    /// state is shared.
    pub fn with_load_budget(self, load_budget_bytes: u64) -> AppState {
        let inner = Arc::unwrap_or_clone(self.inner);
        AppState {
            inner: Arc::new(Inner {
                load_budget_bytes,
                ..inner
            }),
        }
    }

    pub fn load_budget_bytes(&self) -> u64 {
        self.inner.load_budget_bytes
    }

    pub fn case_limit_bytes(&self) -> u64 {
        self.inner.case_limit_bytes
    }

    pub fn documents(&self) -> &Arc<Documents> {
        &self.inner.documents
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// The policies of the latest reference data this process has read (the defaults before
    /// any): what a push is tried with before its transaction reads the reference data; the
    /// transaction keeps the result only if they are still the current ones.
    pub fn latest_policies(&self) -> Arc<Policies> {
        let mut cached = self
            .inner
            .policies
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        cached
            .get_or_insert_with(|| (0, Arc::new(Policies::default())))
            .1
            .clone()
    }

    /// The policies HQ checks cases with: those of the reference data, parsed once per
    /// version; the defaults before any reference data exists.
    pub fn policies(&self, reference: Option<&ReferenceData>) -> Arc<Policies> {
        // Version 0 stands for "no reference data yet": the defaults.
        let version = reference.map_or(0, |r| r.version);
        let mut cached = self
            .inner
            .policies
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some((cached_version, policies)) = cached.as_ref()
            && *cached_version == version
        {
            return policies.clone();
        }
        let policies = Arc::new(match reference {
            None => Policies::default(),
            // Reference data is checked when an admin sets it; unreadable policies would mean
            // a damaged row, and checking with the defaults then is safer than refusing every
            // sync.
            Some(reference) => serde_json::from_str::<Policies>(&reference.policies_json)
                .unwrap_or_else(|e| {
                    tracing::error!(version = reference.version, error = %e, "reference policies unreadable; using the defaults");
                    Policies::default()
                }),
        });
        *cached = Some((version, policies.clone()));
        policies
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_timings_count_the_threads_work_per_change() {
        let metrics = Metrics::default();
        let timer = ValidationTimer::start();
        // Two milliseconds of this thread's CPU, spent.
        let begun = thread_cpu_time();
        let mut spins = 0u64;
        while thread_cpu_time() - begun < Duration::from_millis(2) {
            spins = std::hint::black_box(spins + 1);
        }
        metrics.record_validation(timer, 2);
        let taken = metrics.take_validations();
        assert_eq!(taken.len(), 1);
        // Per change: at least half of the two milliseconds, and the wall clock no less.
        assert!(taken[0].cpu_us >= 1000, "{taken:?}");
        assert!(taken[0].wall_us >= taken[0].cpu_us, "{taken:?}");
        assert!(metrics.take_validations().is_empty(), "taken once");
    }
}
