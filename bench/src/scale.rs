//! `fieldbench scale`: HQ on PostgreSQL under load. How long a device's empty sync takes
//! while another device pushes 100 MB of case changes (`pg_empty_sync_wait_during_big_push_s`,
//! the slowest of the empty syncs that started while the push ran), and how many case syncs a
//! second HQ serves with one instance and with three on the same database
//! (`pg_case_syncs_per_s_1`, `pg_case_syncs_per_s_3`: the same devices and work, each device
//! sent to one instance as the proxy of docs/operations.md sends it, and the same connections
//! to the database shared out among the instances; on one machine this shows whether instances
//! convoy on a lock, not how far they scale). Three instances taking each sync in turn, which
//! makes every instance catch up on the others' changes, are counted too and go to stderr
//! only. Needs `FIELDHQ_TEST_PG_URL`; without it every PostgreSQL
//! figure is `null`. Photo uploads through HQ with its blobs in its folder and in
//! S3-compatible storage (`folder_upload_mb_per_s`, `s3_upload_mb_per_s`, see
//! [`crate::blob_upload`]).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate};
use fieldcore::{
    CancelToken, Channel, Command, CustomerRequest, Market, ProofOfPurchase, Registration, Store,
    SyncConfig,
};
use fieldhq::{DocumentSources, Role, ServeConfig, admin};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::error::BenchError;
use crate::measure::{percentile, round};
use crate::pg_schema::FreshSchema;
use crate::photos::median;

/// Cases the pushing device brings, and the notes of each: 100 cases of about 1 MB stay under
/// HQ's 8 MiB limit per case and add up to the 100 MB push (checked before it starts).
const CASES: usize = 100;
const NOTES_PER_CASE: usize = 140;
const PUSH_BYTES: u64 = 100_000_000;
/// A note holds at most 10,000 bytes.
const NOTE_CHARS: usize = 10_000;

fn failed(e: impl std::fmt::Display) -> BenchError {
    BenchError::Failed(e.to_string())
}

pub fn scale() -> Result<Value, BenchError> {
    let (wait, one, three) = match std::env::var("FIELDHQ_TEST_PG_URL") {
        Ok(url) => {
            let wait = empty_sync_during_big_push(&url)?;
            // Each count four times, in the order 1, 3, 3, 1, 1, 3, 3, 1, and the median of
            // each kept: a count lasts seconds, a run on this machine varies by a tenth or
            // more from one count to the next, and what the database still does after the big
            // push above (checkpoints, autovacuum) weighs on whichever runs first.
            let (mut one, mut three) = (Vec::new(), Vec::new());
            for instances in [1, 3, 3, 1, 1, 3, 3, 1] {
                let count = case_syncs_per_s(&url, instances, Routing::ByDevice)?;
                if instances == 1 {
                    one.push(count)
                } else {
                    three.push(count)
                }
            }
            let (one, three) = (round(median(&mut one)), round(median(&mut three)));
            // What routing by device saves: two counts of three instances taking each sync in
            // turn, against the medians above.
            let mut in_turn = Vec::new();
            for _ in 0..2 {
                in_turn.push(case_syncs_per_s(&url, 3, Routing::EachSyncInTurn)?);
            }
            let in_turn = round(median(&mut in_turn));
            eprintln!(
                "scale: 3 instances taking each sync in turn: {in_turn} case syncs/s \
                 ({:.2} of 1 instance, {:.2} of 3 instances by device)",
                in_turn / one,
                in_turn / three
            );
            (Some(wait), Some(one), Some(three))
        }
        Err(_) => {
            eprintln!("scale: FIELDHQ_TEST_PG_URL is not set; no PostgreSQL figure");
            (None, None, None)
        }
    };
    let (folder_upload, s3_upload) = crate::blob_upload::upload_figures()?;
    Ok(json!({
        "pg_empty_sync_wait_during_big_push_s": wait,
        "pg_case_syncs_per_s_1": one,
        "pg_case_syncs_per_s_3": three,
        "s3_upload_mb_per_s": s3_upload,
        "folder_upload_mb_per_s": folder_upload,
    }))
}

/// Devices syncing at once in [`case_syncs_per_s`], the cases each holds, and the timed syncs
/// each makes (one note on one case before each).
const DEVICES: usize = 8;
const DEVICE_CASES: usize = 10;
const DEVICE_SYNCS: usize = 100;
/// The connections to PostgreSQL all instances of [`case_syncs_per_s`] keep together, an
/// equal share each, as docs/operations.md advises: one instance takes all [`DEVICES`]
/// syncs at once, three take them three by three, so both keep about eight database
/// processes busy. Each instance keeping the default 16 would compare 8 busy database
/// processes with 24 on two cores, not one instance with three.
const DATABASE_CONNECTIONS: usize = 9;
/// Rounds of a note on every case before the timing, routed as the timed syncs are: with
/// [`Routing::EachSyncInTurn`] at least one through each of three instances.
const WARM_UP_ROUNDS: usize = 3;

/// Which instance takes a device's sync.
#[derive(Clone, Copy)]
enum Routing {
    /// Device `d` always to instance `d mod n`, as a proxy hashing the device's token does
    /// (docs/operations.md), with the devices spread evenly: the instance's copies of the
    /// device's cases stay current.
    ByDevice,
    /// Device `d`'s sync `i` to instance `(d + i) mod n`: every instance takes every device's
    /// syncs, and catches up on what the others wrote to a case before it checks a push.
    EachSyncInTurn,
}

impl Routing {
    fn instance(self, device: usize, sync: usize, instances: usize) -> usize {
        match self {
            Routing::ByDevice => device % instances,
            Routing::EachSyncInTurn => (device + sync) % instances,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Routing::ByDevice => "by device",
            Routing::EachSyncInTurn => "each sync in turn",
        }
    }
}

/// Case syncs per second HQ serves with `instances` instances on one fresh database: every
/// device registers its cases and pushes a note on each [`WARM_UP_ROUNDS`] times (not timed),
/// then makes [`DEVICE_SYNCS`] syncs of one changed case each, all devices at once, each sync
/// sent where `routing` says. Where the instances took the documents they tried the pushes on
/// (current in memory, caught up, rebuilt) goes to stderr.
fn case_syncs_per_s(pg_url: &str, instances: usize, routing: Routing) -> Result<f64, BenchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("bench-hq")
        .build()?;
    let name = format!("fieldbench-instances-{}", uuid::Uuid::now_v7());
    let devices_dir = std::env::temp_dir().join(format!("{name}-devices"));
    let data = std::env::temp_dir().join(&name);
    std::fs::create_dir_all(&devices_dir)?;
    let schema = runtime.block_on(FreshSchema::create(pg_url))?;
    let result = (|| {
        let mut servers = Vec::new();
        for _ in 0..instances {
            let mut config = ServeConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)), &data);
            config.database_url = Some(schema.url.clone());
            config.database_connections = DATABASE_CONNECTIONS / instances;
            servers.push(runtime.block_on(fieldhq::serve(config)).map_err(failed)?);
        }
        let urls: Vec<String> = servers.iter().map(|s| s.url()).collect();
        let storage = servers[0].storage().clone();
        let tokens = runtime
            .block_on(async {
                let mut tokens = Vec::new();
                for d in 0..DEVICES {
                    let user = format!("engineer{d}");
                    admin::add_user(&storage, &user, Role::Engineer, None).await?;
                    tokens.push(
                        admin::enrol_device(&storage, &user, Some("bench"))
                            .await?
                            .token,
                    );
                }
                Ok::<_, fieldhq::Error>(tokens)
            })
            .map_err(failed)?;
        let mut devices = Vec::new();
        for d in 0..DEVICES {
            let mut store =
                Store::open(devices_dir.join(format!("{d}.db")), &format!("engineer{d}"))?;
            let cases = (0..DEVICE_CASES)
                .map(|c| Ok(store.register(&registration(d * DEVICE_CASES + c))?.id))
                .collect::<Result<Vec<_>, BenchError>>()?;
            devices.push((store, cases));
        }
        // A note on every case, all devices at once, so that each instance has its
        // connections to the database open and the cases in memory before the timing starts,
        // as a server that has been up a while has. Three rounds whatever the instances, so
        // every count starts from the same cases with the same history.
        for round in 0..WARM_UP_ROUNDS {
            on_every_device(&mut devices, &tokens, |d, store, cases, token| {
                for case in cases {
                    let text = "warming up".to_owned();
                    store.execute(*case, &Command::AddNote { text })?;
                }
                let via = &urls[routing.instance(d, round, urls.len())];
                store.sync(&sync_config(via, token), &mut |_| {}, &CancelToken::new())?;
                Ok(0)
            })?;
        }
        let before = document_sources(&servers);
        let started = Instant::now();
        let synced = on_every_device(&mut devices, &tokens, |d, store, cases, token| {
            let mut pushed = 0;
            for i in 0..DEVICE_SYNCS {
                let text = format!("reading {i}: vibration 4.{d} mm/s");
                store.execute(cases[i % cases.len()], &Command::AddNote { text })?;
                let via = &urls[routing.instance(d, i, urls.len())];
                let report =
                    store.sync(&sync_config(via, token), &mut |_| {}, &CancelToken::new())?;
                pushed += report.progress.pushed_cases;
            }
            Ok(pushed)
        })?;
        let seconds = started.elapsed().as_secs_f64();
        let expected = (DEVICES * DEVICE_SYNCS) as u64;
        if synced != expected {
            return Err(failed(format!(
                "{synced} of {expected} case syncs acknowledged"
            )));
        }
        let sources = document_sources(&servers);
        eprintln!(
            "scale: {instances} instance(s), {}: {synced} case syncs by {DEVICES} devices in {seconds:.2} s; \
             documents current {}, caught up {}, rebuilt {}",
            routing.label(),
            sources.current - before.current,
            sources.caught_up - before.caught_up,
            sources.rebuilt - before.rebuilt
        );
        for server in servers {
            runtime.block_on(server.shutdown()).map_err(failed)?;
        }
        Ok(round(synced as f64 / seconds))
    })();
    let _ = std::fs::remove_dir_all(&devices_dir);
    let _ = std::fs::remove_dir_all(&data);
    let removed = runtime.block_on(schema.remove());
    result.and_then(|count| removed.map(|()| count))
}

/// Runs `work` on every device at once, a thread each (device number, its store, its cases,
/// its token); the sum of what they return.
fn on_every_device(
    devices: &mut [(Store, Vec<uuid::Uuid>)],
    tokens: &[String],
    work: impl Fn(usize, &mut Store, &[uuid::Uuid], &str) -> Result<u64, BenchError> + Sync,
) -> Result<u64, BenchError> {
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = devices
            .iter_mut()
            .zip(tokens)
            .enumerate()
            .map(|(d, ((store, cases), token))| scope.spawn(move || work(d, store, cases, token)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| failed("a device panicked"))?)
            .sum()
    })
}

/// Where the documents the instances tried pushes on came from, all instances together.
fn document_sources(servers: &[fieldhq::RunningHq]) -> DocumentSources {
    servers
        .iter()
        .map(|s| s.metrics().document_sources())
        .fold(DocumentSources::default(), |a, b| a + b)
}

fn registration(i: usize) -> Registration {
    Registration {
        customer_name: format!("Customer {i} Works"),
        customer_phone: format!("+86 311 5555 {i:04}"),
        customer_address: format!("{i} Industrial Road, Shijiazhuang"),
        region: "Hebei".into(),
        home_region: true,
        market: Market::Domestic,
        product_model: "YE3-132M-4".into(),
        product_category: "motor".into(),
        serial_number: format!("M2406-{i:06}"),
        manufacture_date: NaiveDate::from_ymd_opt(2025, 1, 1),
        purchase_date: NaiveDate::from_ymd_opt(2025, 6, 1),
        proof_of_purchase: ProofOfPurchase::Invoice(format!("INV-{i:07}")),
        fault_description: "Trips the breaker shortly after start under load".into(),
        customer_request: CustomerRequest::Repair,
        channel: Channel::Phone,
        received_at: chrono::Local::now().fixed_offset() - Days::hours(2),
        first_responder: "Wang Fang".into(),
        first_responder_id: None,
        production_batch: None,
    }
}

fn sync_config(url: &str, token: &str) -> SyncConfig {
    let mut config = SyncConfig::new(url, token);
    config.initial_backoff = Duration::from_millis(20);
    config.max_backoff = Duration::from_secs(1);
    config.max_attempts = 6;
    config
}

fn empty_sync_during_big_push(pg_url: &str) -> Result<f64, BenchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("bench-hq")
        .build()?;
    let name = format!("fieldbench-scale-{}", uuid::Uuid::now_v7());
    // The device stores are not what is measured: they live in RAM when there is a RAM folder.
    let ram = Path::new("/dev/shm");
    let devices = if ram.is_dir() {
        ram.join(&name)
    } else {
        std::env::temp_dir().join(format!("{name}-devices"))
    };
    let data = std::env::temp_dir().join(&name);
    std::fs::create_dir_all(&devices)?;
    std::fs::create_dir_all(&data)?;
    let schema = runtime.block_on(FreshSchema::create(pg_url))?;
    let result = (|| {
        let mut config = ServeConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)), &data);
        config.database_url = Some(schema.url.clone());
        let hq = runtime.block_on(fieldhq::serve(config)).map_err(failed)?;
        let storage = hq.storage().clone();
        let (wang, zhao, chen) = runtime
            .block_on(async {
                let mut tokens = Vec::new();
                for name in ["wang", "zhao", "chen"] {
                    admin::add_user(&storage, name, Role::Engineer, None).await?;
                    tokens.push(
                        admin::enrol_device(&storage, name, Some("bench"))
                            .await?
                            .token,
                    );
                }
                let [wang, zhao, chen] = <[String; 3]>::try_from(tokens)
                    .map_err(|_| fieldhq::Error::internal("three devices"))?;
                Ok::<_, fieldhq::Error>((wang, zhao, chen))
            })
            .map_err(failed)?;
        let url = hq.url();
        let phone_config = sync_config(&url, &wang);
        let desk_config = sync_config(&url, &zhao);
        let fitter_config = sync_config(&url, &chen);

        let mut phone = Store::open(devices.join("phone.db"), "wang")?;
        let mut rng = StdRng::seed_from_u64(16);
        for i in 0..CASES {
            let id = phone.register(&registration(i))?.id;
            for _ in 0..NOTES_PER_CASE {
                // Letters and digits at random: what a device pushes, not what compresses well.
                let text: String = (0..NOTE_CHARS)
                    .map(|_| char::from(rng.sample(rand::distr::Alphanumeric)))
                    .collect();
                phone.execute(id, &Command::AddNote { text })?;
            }
        }
        let (request, _) = phone.prepare_sync(usize::MAX, 1)?;
        let pending: u64 = request.pushes.iter().map(|p| p.payload.len() as u64).sum();
        drop(request);
        if pending < PUSH_BYTES {
            return Err(failed(format!("only {pending} bytes to push")));
        }
        // Another engineer: the phone's cases are not his, so his sync has nothing to push or pull.
        let mut desk = Store::open(devices.join("desk.db"), "zhao")?;
        desk.sync(&desk_config, &mut |_| {}, &CancelToken::new())?;
        // A third engineer pushes a note on a case of his own again and again meanwhile: not
        // in the figure the issue names, but what shows whether writers wait for each other.
        let mut fitter = Store::open(devices.join("fitter.db"), "chen")?;
        let fitter_case = fitter.register(&registration(CASES))?.id;
        fitter.sync(&fitter_config, &mut |_| {}, &CancelToken::new())?;

        let pushing = AtomicBool::new(true);
        let (push, waits, small_pushes) = std::thread::scope(|scope| {
            let pusher = scope.spawn(|| {
                let started = Instant::now();
                let report = phone.sync(&phone_config, &mut |_| {}, &CancelToken::new());
                pushing.store(false, Ordering::SeqCst);
                report.map(|r| (r, started.elapsed()))
            });
            let small = scope.spawn(|| {
                let mut pushes = Vec::new();
                let mut i = 0;
                while pushing.load(Ordering::SeqCst) {
                    i += 1;
                    let text = format!("reading {i}: bearing 71 °C");
                    fitter.execute(fitter_case, &Command::AddNote { text })?;
                    let started = Instant::now();
                    let report = fitter.sync(&fitter_config, &mut |_| {}, &CancelToken::new())?;
                    if report.progress.pushed_cases != 1 {
                        return Err(failed("a small push was not acknowledged"));
                    }
                    pushes.push(started.elapsed().as_secs_f64());
                }
                Ok::<_, BenchError>(pushes)
            });
            let mut waits = Vec::new();
            while pushing.load(Ordering::SeqCst) {
                let started = Instant::now();
                let report = desk.sync(&desk_config, &mut |_| {}, &CancelToken::new());
                // Only the syncs that ran wholly or partly during the push count.
                waits.push((started.elapsed().as_secs_f64(), report.is_ok()));
            }
            (pusher.join(), waits, small.join())
        });
        let mut small_pushes =
            small_pushes.map_err(|_| failed("the fitter's device panicked"))??;
        let (report, pushed_in) = push
            .map_err(|_| failed("the pushing device panicked"))?
            .map_err(failed)?;
        if report.progress.pushed_cases != CASES as u64 {
            return Err(failed(format!(
                "{} of {CASES} cases pushed",
                report.progress.pushed_cases
            )));
        }
        if waits.iter().any(|(_, ok)| !ok) {
            return Err(failed("an empty sync failed during the push"));
        }
        let mut seconds: Vec<f64> = waits.iter().map(|(s, _)| *s).collect();
        let slowest = seconds.iter().copied().fold(0.0, f64::max);
        eprintln!(
            "scale: {:.0} MB pushed in {:.1} s; {} empty syncs meanwhile, median {:.3} s, \
             slowest {slowest:.3} s",
            pending as f64 / 1e6,
            pushed_in.as_secs_f64(),
            seconds.len(),
            percentile(&mut seconds, 0.5),
        );
        eprintln!(
            "scale: {} small pushes of another case meanwhile, median {:.3} s, slowest {:.3} s",
            small_pushes.len(),
            percentile(&mut small_pushes, 0.5),
            small_pushes.iter().copied().fold(0.0, f64::max),
        );
        runtime.block_on(hq.shutdown()).map_err(failed)?;
        Ok(round(slowest))
    })();
    let _ = std::fs::remove_dir_all(&devices);
    let _ = std::fs::remove_dir_all(&data);
    let removed = runtime.block_on(schema.remove());
    result.and_then(|slowest| removed.map(|()| slowest))
}
