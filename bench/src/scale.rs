//! `fieldbench scale`: HQ on PostgreSQL under load. So far: how long a device's empty sync
//! takes while another device pushes 100 MB of case changes
//! (`pg_empty_sync_wait_during_big_push_s`, the slowest of the empty syncs that started while
//! the push ran). Needs `FIELDHQ_TEST_PG_URL`; without it that figure is `null`. Photo
//! uploads through HQ with its blobs in its folder and in S3-compatible storage
//! (`folder_upload_mb_per_s`, `s3_upload_mb_per_s`, see [`crate::blob_upload`]). The figures
//! of several HQ instances are not measured yet and print as `null`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate};
use fieldcore::{
    CancelToken, Channel, Command, CustomerRequest, Market, ProofOfPurchase, Registration, Store,
    SyncConfig,
};
use fieldhq::{Role, ServeConfig, admin};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::error::BenchError;
use crate::measure::{percentile, round};

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
    let wait = match std::env::var("FIELDHQ_TEST_PG_URL") {
        Ok(url) => Some(empty_sync_during_big_push(&url)?),
        Err(_) => {
            eprintln!("scale: FIELDHQ_TEST_PG_URL is not set; no PostgreSQL figure");
            None
        }
    };
    let (folder_upload, s3_upload) = crate::blob_upload::upload_figures()?;
    eprintln!("scale: pg_case_syncs_per_s_1 and pg_case_syncs_per_s_3 are not measured yet");
    Ok(json!({
        "pg_empty_sync_wait_during_big_push_s": wait,
        "pg_case_syncs_per_s_1": null,
        "pg_case_syncs_per_s_3": null,
        "s3_upload_mb_per_s": s3_upload,
        "folder_upload_mb_per_s": folder_upload,
    }))
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
    let result = (|| {
        let mut config = ServeConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)), &data);
        config.database_url = Some(runtime.block_on(crate::parts::fresh_schema(pg_url))?);
        let hq = runtime.block_on(fieldhq::serve(config)).map_err(failed)?;
        let storage = hq.storage().clone();
        let (wang, zhao) = runtime
            .block_on(async {
                admin::add_user(&storage, "wang", Role::Engineer, None).await?;
                admin::add_user(&storage, "zhao", Role::Engineer, None).await?;
                let wang = admin::enrol_device(&storage, "wang", Some("bench")).await?;
                let zhao = admin::enrol_device(&storage, "zhao", Some("bench")).await?;
                Ok::<_, fieldhq::Error>((wang.token, zhao.token))
            })
            .map_err(failed)?;
        let url = hq.url();
        let phone_config = sync_config(&url, &wang);
        let desk_config = sync_config(&url, &zhao);

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

        let pushing = AtomicBool::new(true);
        let (push, waits) = std::thread::scope(|scope| {
            let pusher = scope.spawn(|| {
                let started = Instant::now();
                let report = phone.sync(&phone_config, &mut |_| {}, &CancelToken::new());
                pushing.store(false, Ordering::SeqCst);
                report.map(|r| (r, started.elapsed()))
            });
            let mut waits = Vec::new();
            while pushing.load(Ordering::SeqCst) {
                let started = Instant::now();
                let report = desk.sync(&desk_config, &mut |_| {}, &CancelToken::new());
                // Only the syncs that ran wholly or partly during the push count.
                waits.push((started.elapsed().as_secs_f64(), report.is_ok()));
            }
            (pusher.join(), waits)
        });
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
        runtime.block_on(hq.shutdown()).map_err(failed)?;
        Ok(round(slowest))
    })();
    let _ = std::fs::remove_dir_all(&devices);
    let _ = std::fs::remove_dir_all(&data);
    result
}
