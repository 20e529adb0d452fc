//! `fieldbench store`: measures the store at field scale (10,000 cases) and prints one JSON
//! object. The memory figure comes from a second process that only reads, as a phone app
//! reopening its store would.

use std::path::Path;
use std::process::Command as Process;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate};
use fieldcore::{
    CaseId, Cause, Channel, CustomerRequest, DefectInput, Market, Measurement, PartInput,
    ProofOfPurchase, Registration, Timestamp,
};
use fieldcore::{Command, ListQuery, SortOrder, Status, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::error::BenchError;
use crate::measure::{peak_rss_mb, percentile, round};

const SAMPLES: usize = 1_000;

/// Fills a fresh store with `cases` cases, then measures commands, opens, lists and search.
pub fn store(cases: usize) -> Result<Value, BenchError> {
    let dir = std::env::temp_dir().join(format!("fieldbench-store-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("bench.db");
    let result = run_store(&db, cases);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_store(db: &Path, cases: usize) -> Result<Value, BenchError> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut store = Store::open(db, "bench")?;
    let first_received = DateTime::parse_from_rfc3339("2026-10-01T09:00:00+08:00")
        .map_err(|e| BenchError::Failed(e.to_string()))?;

    let fill_started = Instant::now();
    let mut ids = Vec::with_capacity(cases);
    for i in 0..cases {
        let id = store.register(&registration(i, first_received))?.id;
        store.execute(id, &Command::Acknowledge { note: None })?;
        // One case in ten has had a full visit: a realistic mix of small and larger documents.
        if i.is_multiple_of(10) {
            visit(&mut store, id)?;
        }
        ids.push(id);
    }
    let fill_s = fill_started.elapsed().as_secs_f64();

    let mut command_ms = Vec::with_capacity(SAMPLES);
    for n in 0..SAMPLES {
        let id = ids[rng.random_range(0..ids.len())];
        let started = Instant::now();
        store.execute(
            id,
            &Command::AddNote {
                text: format!("bench note {n}"),
            },
        )?;
        command_ms.push(ms(started));
    }

    // A fresh store: its cache is empty, so every open reads and loads a document.
    drop(store);
    let mut store = Store::open(db, "bench")?;
    let mut open_ms = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let id = ids[rng.random_range(0..ids.len())];
        let started = Instant::now();
        let view = store.case(id)?;
        open_ms.push(ms(started));
        std::hint::black_box(view);
    }

    let mut list_ms = Vec::new();
    let mut after = None;
    for _ in 0..20 {
        let started = Instant::now();
        let page = store.list(&ListQuery {
            limit: 200,
            after: after.clone(),
            ..Default::default()
        })?;
        list_ms.push(ms(started));
        after = page.next;
    }

    let mut search_ms = Vec::new();
    for _ in 0..50 {
        let serial = serial(rng.random_range(0..cases));
        let started = Instant::now();
        let page = store.list(&ListQuery {
            serial: Some(serial),
            ..Default::default()
        })?;
        search_ms.push(ms(started));
        if page.rows.is_empty() {
            return Err(BenchError::Failed("search found nothing".into()));
        }
    }

    // Free text as a search box sends it: a piece of a Chinese customer name, the last digits
    // of a phone, the middle of a serial (three or more characters: the trigram index), each
    // a page of 50 newest first.
    let mut text_ms = Vec::new();
    for n in 0..60 {
        let i = rng.random_range(0..cases);
        let text = match n % 3 {
            0 => customer(i & !1).chars().skip(2).take(4).collect(),
            1 => format!("{:04}", i % 10_000),
            _ => serial(i)[3..].to_owned(),
        };
        let started = Instant::now();
        let page = store.list(&ListQuery {
            text: Some(text),
            ..Default::default()
        })?;
        text_ms.push(ms(started));
        if page.rows.is_empty() {
            return Err(BenchError::Failed("text search found nothing".into()));
        }
    }
    // Two characters (a two-character name): too short for trigrams, a scan of the columns.
    let mut short_ms = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let page = store.list(&ListQuery {
            text: Some("唐山".into()),
            ..Default::default()
        })?;
        short_ms.push(ms(started));
        std::hint::black_box(page);
    }
    // The "due soon" tab of open cases, and the tab badges.
    let mut due_ms = Vec::new();
    let mut counts_ms = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let page = store.list(&ListQuery {
            statuses: vec![
                Status::Registered,
                Status::Acknowledged,
                Status::VisitScheduled,
            ],
            sort: SortOrder::NextDue,
            limit: 50,
            ..Default::default()
        })?;
        due_ms.push(ms(started));
        std::hint::black_box(page);
        let started = Instant::now();
        std::hint::black_box(store.counts()?);
        counts_ms.push(ms(started));
    }
    drop(store);

    let db_bytes = file_size(db) + file_size(&db.with_extension("db-wal"));
    let rss = rss_probe(db)?;

    Ok(json!({
        "suite": "store",
        "cases": cases,
        "fill_s": round(fill_s),
        "command_p50_ms": round(percentile(&mut command_ms, 0.50)),
        "command_p99_ms": round(percentile(&mut command_ms, 0.99)),
        "open_case_p50_ms": round(percentile(&mut open_ms, 0.50)),
        "open_case_p99_ms": round(percentile(&mut open_ms, 0.99)),
        "list_200_ms": round(percentile(&mut list_ms, 0.50)),
        "search_serial_ms": round(percentile(&mut search_ms, 0.50)),
        "list_search_ms": round(percentile(&mut text_ms, 0.50)),
        "list_search_p99_ms": round(percentile(&mut text_ms, 0.99)),
        "list_search_2_chars_ms": round(percentile(&mut short_ms, 0.50)),
        "list_due_soon_ms": round(percentile(&mut due_ms, 0.50)),
        "counts_ms": round(percentile(&mut counts_ms, 0.50)),
        "rss_mb": rss.get("rss_mb").cloned().unwrap_or(Value::Null),
        "rss_probe": rss,
        "db_bytes_per_case": db_bytes / cases.max(1) as u64,
        "targets": {
            "command_p99_ms": 5.0, "open_case_p99_ms": 3.0, "list_200_ms": 5.0,
            "search_serial_ms": 5.0, "list_search_ms": 10.0, "rss_mb": 64.0
        }
    }))
}

/// Runs `fieldbench store-rss-probe` on the filled store in a new process.
fn rss_probe(db: &Path) -> Result<Value, BenchError> {
    let exe = std::env::current_exe()?;
    let out = Process::new(exe)
        .args(["store-rss-probe", "--json", "--store"])
        .arg(db)
        .output()?;
    if !out.status.success() {
        return Err(BenchError::Failed(format!(
            "rss probe failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| BenchError::Failed(e.to_string()))
}

/// The probe: open the store, page through every case with the list API, open 1,000 cases,
/// then report the process's peak resident memory.
pub fn store_rss_probe(db: &Path) -> Result<Value, BenchError> {
    let mut store = Store::open(db, "probe")?;
    let mut listed = 0usize;
    let mut ids: Vec<CaseId> = Vec::new();
    let mut after = None;
    loop {
        let page = store.list(&ListQuery {
            limit: 200,
            after,
            ..Default::default()
        })?;
        listed += page.rows.len();
        for row in &page.rows {
            if ids.len() < SAMPLES {
                ids.push(
                    row.case
                        .case_id
                        .parse()
                        .map_err(|_| BenchError::Failed("bad id".into()))?,
                );
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    for id in &ids {
        std::hint::black_box(store.case(*id)?);
    }
    Ok(json!({ "listed": listed, "opened": ids.len(), "rss_mb": round(peak_rss_mb()?) }))
}

fn visit(store: &mut Store, id: CaseId) -> Result<(), BenchError> {
    store.execute(id, &Command::ArriveOnSite)?;
    store.execute(
        id,
        &Command::ConfirmDefect(DefectInput {
            cause: Cause::DesignManufacturing,
            findings: "Winding insulation breakdown, phase V to frame".into(),
            measurements: vec![Measurement {
                name: "insulation".into(),
                value: 0.4,
                unit: "MΩ".into(),
            }],
            major_incident: false,
            evidence_photos: vec![],
        }),
    )?;
    store.execute(
        id,
        &Command::DecideWarranty {
            evidence_photos: vec![],
            charge: None,
        },
    )?;
    store.execute(
        id,
        &Command::RecordPart(PartInput {
            part_number: "BRG-6308".into(),
            specification: "Bearing 6308-2Z".into(),
            quantity: 2,
            new_serial: None,
            old_part_kept: true,
            old_part_serial: None,
            off_catalog_reason: None,
        }),
    )?;
    store.execute(
        id,
        &Command::AddNote {
            text: "Customer asked for the test report".into(),
        },
    )?;
    Ok(())
}

/// Half the customers Chinese (the search's hard case: no spaces between words), half English.
fn customer(i: usize) -> String {
    const CITIES: [&str; 8] = [
        "石家庄",
        "保定",
        "唐山",
        "邯郸",
        "沧州",
        "廊坊",
        "衡水",
        "邢台",
    ];
    const TRADES: [&str; 5] = ["水泵", "电机", "机电", "农机", "风机"];
    if i.is_multiple_of(2) {
        format!("{}{}{}厂", CITIES[i % 8], TRADES[(i / 8) % 5], i % 997)
    } else {
        format!("Customer {} Works", i % 997)
    }
}

fn serial(i: usize) -> String {
    format!("M2406-{i:06}")
}

/// Case `i` of the bench: received seven minutes after case `i - 1`.
fn registration(i: usize, first_received: Timestamp) -> Registration {
    let received = first_received + Duration::minutes(i as i64 * 7);
    let categories = ["motor", "generator", "pump"];
    Registration {
        customer_name: customer(i),
        customer_phone: format!("+86 311 {:04} {:04}", i / 10_000, i % 10_000),
        customer_address: format!("{} Industrial Road, Shijiazhuang", i % 300),
        region: "Hebei".into(),
        home_region: i.is_multiple_of(3),
        market: if i.is_multiple_of(20) {
            Market::Foreign
        } else {
            Market::Domestic
        },
        product_model: format!("YE3-{}M-4", 100 + i % 60),
        product_category: categories[i % 3].into(),
        serial_number: serial(i),
        manufacture_date: NaiveDate::from_ymd_opt(2025, 1, 1),
        purchase_date: NaiveDate::from_ymd_opt(2025, 6, 1),
        proof_of_purchase: ProofOfPurchase::Invoice(format!("INV-{i:07}")),
        fault_description: "Trips the breaker shortly after start under load".into(),
        customer_request: CustomerRequest::Repair,
        channel: Channel::Phone,
        received_at: received,
        first_responder: "Wang Fang".into(),
        first_responder_id: None,
        production_batch: None,
    }
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}
