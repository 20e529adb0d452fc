//! `fieldbench console`: HQ's read model filled with 100,000 cases over two years (written
//! through the storage API, as syncs would leave them), then the console's case list timed
//! over a mix of its filters (`console_list_p95_ms`, [`crate::console_list`]), the report of
//! one month generated (`report_month_s`) and exported to Excel (`report_excel_s`), on SQLite
//! and, when `FIELDHQ_BENCH_PG_URL` (or `FIELDHQ_TEST_PG_URL`) names a server, on PostgreSQL
//! (`…_pg`; `null` otherwise).

use std::time::Instant;

use chrono::{Duration, TimeZone};
use fieldhq::report::{self, ReportOptions};
use fieldhq::storage::{
    CaseIndexRow, CaseReportRow, IssuedCase, NewCase, PartLineRow, ReturnSummary, ShipmentRow,
};
use fieldhq::{Storage, StorageConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::BenchError;
use crate::measure::round;

/// Cases in the read model.
pub const CASES: usize = 100_000;
/// Months they are received over, ending with the report's month.
const MONTHS: u32 = 24;
/// Cases written per transaction.
const BATCH: usize = 2_000;
const MODELS: usize = 40;
const CUSTOMERS: usize = 600;
/// Engineers the cases are assigned to, and centers a third of them are routed to.
const ENGINEERS: usize = 30;
const CENTERS: usize = 12;
/// Cities of the customers with Chinese names (every other customer).
const CITIES: [&str; 8] = [
    "杭州",
    "郑州",
    "济南",
    "南京",
    "广州",
    "成都",
    "武汉",
    "石家庄",
];
const REGIONS: [&str; 8] = [
    "Hebei",
    "Henan",
    "Shandong",
    "Jiangsu",
    "Zhejiang",
    "Guangdong",
    "Sichuan",
    "Hubei",
];
const CHANNELS: [&str; 6] = ["phone", "email", "fax", "letter", "dealer", "on_site"];
const CAUSES: [&str; 3] = [
    "design_manufacturing",
    "storage_transport",
    "customer_misuse",
];
/// The report's month: the last of the [`MONTHS`].
const MONTH: &str = "2026-11";

/// The figures of the report part, on SQLite and PostgreSQL.
pub fn report() -> Result<Map<String, Value>, BenchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = std::env::temp_dir().join(format!("fieldbench-report-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let sqlite = runtime.block_on(measure(StorageConfig {
        data_dir: dir.clone(),
        database_url: None,
        database_connections: fieldhq::DEFAULT_DATABASE_CONNECTIONS,
    }));
    let pg_url = std::env::var("FIELDHQ_BENCH_PG_URL")
        .or_else(|_| std::env::var("FIELDHQ_TEST_PG_URL"))
        .ok();
    let pg = match pg_url {
        Some(url) => Some(runtime.block_on(async {
            let schema = crate::pg_schema::FreshSchema::create(&url).await?;
            let figures = measure(StorageConfig {
                data_dir: dir.clone(),
                database_url: Some(schema.url.clone()),
                database_connections: fieldhq::DEFAULT_DATABASE_CONNECTIONS,
            })
            .await;
            schema.remove().await?;
            figures
        })),
        None => {
            eprintln!("report: FIELDHQ_BENCH_PG_URL is not set; no PostgreSQL figures");
            None
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    let (month_s, excel_s, list) = sqlite?;
    let pg = pg.transpose()?;
    let mut out = Map::new();
    out.insert("report_cases".into(), json!(CASES));
    out.insert("console_list_p95_ms".into(), json!(list.p95_ms));
    out.insert(
        "console_list_p95_ms_pg".into(),
        json!(pg.as_ref().map(|p| p.2.p95_ms)),
    );
    out.insert(
        "console_short_search_p95_ms".into(),
        json!(list.short_search_p95_ms),
    );
    out.insert(
        "console_short_search_p95_ms_pg".into(),
        json!(pg.as_ref().map(|p| p.2.short_search_p95_ms)),
    );
    out.insert("report_month_s".into(), json!(month_s));
    out.insert("report_excel_s".into(), json!(excel_s));
    out.insert("report_month_s_pg".into(), json!(pg.as_ref().map(|p| p.0)));
    out.insert("report_excel_s_pg".into(), json!(pg.as_ref().map(|p| p.1)));
    Ok(out)
}

/// A customer's name: every other one Chinese (a city and a running number), as HQ's read
/// model holds both.
pub fn customer(c: usize) -> String {
    if c % 2 == 1 {
        format!("{}客户{c}有限公司", CITIES[c % CITIES.len()])
    } else {
        format!("Customer {c}")
    }
}

/// Fills the read model, then times the case list (p95 ms), the month's report and its
/// workbook (seconds).
async fn measure(
    config: StorageConfig,
) -> Result<(f64, f64, crate::console_list::ListTimes), BenchError> {
    let storage = Storage::open(&config).await?;
    let (numbers, overdue_keys) = fill(&storage).await?;
    let now = fieldhq::state::DEFAULT_TIME_ZONE
        .with_ymd_and_hms(2026, 12, 5, 9, 0, 0)
        .single()
        .map(|t| t.fixed_offset())
        .ok_or_else(|| BenchError::Failed("the bench's now".into()))?;
    let months: Vec<String> = (0..MONTHS)
        .map(|m| {
            let (y, mm) = (2024 + m.div_ceil(12), (11 + m) % 12 + 1);
            format!("{y}-{mm:02}")
        })
        .collect();
    let engineers: Vec<String> = (0..ENGINEERS).map(engineer).collect();
    let centers: Vec<String> = (0..CENTERS).map(center).collect();
    let list = crate::console_list::list_p95(
        &storage,
        &config.data_dir,
        now,
        &crate::console_list::Filled {
            months: &months,
            models: MODELS,
            engineers: &engineers,
            centers: &centers,
            customers: CUSTOMERS,
            serials: CASES as u32,
            numbers: &numbers,
            overdue_keys: &overdue_keys,
        },
    )
    .await?;
    let options = ReportOptions {
        time_zone: fieldhq::state::DEFAULT_TIME_ZONE,
        now: fieldhq::state::DEFAULT_TIME_ZONE
            .with_ymd_and_hms(2026, 12, 5, 9, 0, 0)
            .single()
            .map(|t| t.timestamp())
            .unwrap_or_default(),
    };
    let timed = Instant::now();
    let view = report::view_with(&storage, MONTH, options).await?;
    let month_s = timed.elapsed().as_secs_f64();
    let timed = Instant::now();
    let bytes = report::excel(&view, fieldcore::Locale::ZhCn)?;
    let excel_s = timed.elapsed().as_secs_f64();
    eprintln!(
        "report ({}): {} complaints in {MONTH}, workbook {} KiB",
        storage.kind(),
        view.report.total,
        bytes.len() / 1024
    );
    Ok((round(month_s), round(excel_s), list))
}

fn engineer(e: usize) -> String {
    format!("eng{e:02}")
}

fn center(c: usize) -> String {
    format!("center-{c:02}")
}

/// [`CASES`] cases received evenly over [`MONTHS`] months, each with its `case_index` and
/// `case_report` rows; one in ten with a part line, one in twenty with a return; shipments of
/// every model for the report's month. Returns case numbers to search for and page from (one
/// in 500), and the paging keys of open cases (one in 100).
async fn fill(storage: &Storage) -> Result<(Vec<String>, Vec<String>), BenchError> {
    let mut numbers = Vec::new();
    let mut overdue_keys = Vec::new();
    let user = fieldhq::admin::add_user(storage, "wang", fieldhq::Role::Engineer, None).await?;
    let tz = fieldhq::state::DEFAULT_TIME_ZONE;
    let first = tz
        .with_ymd_and_hms(2024, 12, 1, 8, 0, 0)
        .single()
        .ok_or_else(|| BenchError::Failed("the first day".into()))?;
    let span_minutes = i64::from(MONTHS) * 30 * 24 * 60;
    let mut rng = StdRng::seed_from_u64(15);
    let mut counters = std::collections::HashMap::<String, u32>::new();
    for batch in 0..CASES.div_ceil(BATCH) {
        let mut cases = Vec::with_capacity(BATCH);
        let mut index = Vec::with_capacity(BATCH);
        let mut facts = Vec::with_capacity(BATCH);
        let mut issued = Vec::new();
        let mut lines = Vec::new();
        let mut returns = Vec::new();
        for i in batch * BATCH..((batch + 1) * BATCH).min(CASES) {
            let case_id = Uuid::now_v7();
            let received = first + Duration::minutes(i as i64 * span_minutes / CASES as i64);
            let month = fieldhq::numbering::month_of(&received);
            let running = counters.entry(month.clone()).or_insert(0);
            *running += 1;
            let number = fieldhq::numbering::format_number(&month, *running);
            if i % 500 == 0 {
                numbers.push(number.clone());
            }
            let model = format!("YE3-{:03}", rng.random_range(0..MODELS));
            let confirmed = rng.random_range(0..10) < 7;
            let cause = CAUSES[rng.random_range(0..CAUSES.len())];
            let closed = rng.random_range(0..10) < 6;
            let received_at = received.timestamp();
            if !closed && i % 100 == 0 {
                overdue_keys.push(format!("{}~{number}", received_at + 13 * 86_400));
            }
            cases.push(NewCase {
                case_id,
                number: number.clone(),
                created_by: user.id,
                created_device: None,
                routed_center: None,
                sync_seq: 0,
                created_at: received_at,
            });
            let far = 8_210_266_876_799;
            index.push(CaseIndexRow {
                case_id,
                number: number.clone(),
                status: if closed { "closed" } else { "acknowledged" }.into(),
                customer_name: customer(rng.random_range(0..CUSTOMERS)),
                region: REGIONS[rng.random_range(0..REGIONS.len())].into(),
                market: "domestic".into(),
                product_model: model.clone(),
                product_category: if model.ends_with('0') {
                    "pump"
                } else {
                    "motor"
                }
                .into(),
                serial_number: format!("SN-{}", rng.random_range(0..(CASES as u32))),
                received_at,
                received_month: month.clone(),
                closed_at: closed.then_some(received_at + 5 * 86_400),
                defect_cause: confirmed.then(|| cause.to_owned()),
                quality_fault: confirmed.then_some(cause != "customer_misuse"),
                warranty_covered: confirmed.then_some(cause != "customer_misuse"),
                warranty_rule: None,
                charge_minor: (confirmed && cause == "customer_misuse").then_some(15_000),
                charge_currency: (confirmed && cause == "customer_misuse").then(|| "CNY".into()),
                parts_count: i64::from(i % 10 == 0),
                reply_due_at: received_at + 86_400,
                reply_met: true,
                remedy_due_at: far,
                remedy_met: false,
                report_due_at: far,
                report_met: false,
                close_due_at: received_at + 13 * 86_400,
                close_met: closed,
                working_days_due_at: far,
                working_days_met: false,
                missed_deadlines: i64::from(i % 7 == 0),
                next_due_at: (!closed).then_some(received_at + 13 * 86_400),
                next_due_milestone: (!closed).then(|| "close".into()),
                engineer: engineer(rng.random_range(0..ENGINEERS)),
                center: (i % 3 == 0).then(|| center(rng.random_range(0..CENTERS))),
                has_conflict: false,
                updated_at: received_at,
                last_seq: 0,
            });
            facts.push(CaseReportRow {
                case_id,
                channel: CHANNELS[rng.random_range(0..CHANNELS.len())].into(),
                customer_request: "repair".into(),
                fault: format!("fault {}", rng.random_range(0..30)),
                production_batch: None,
                major_incident: confirmed.then_some(false),
                outcome: None,
                // One case in 200 with compensation paid.
                compensation_minor: (i % 200 == 0).then_some(200_000),
                compensation_currency: (i % 200 == 0).then(|| "CNY".into()),
                last_seq: 0,
            });
            if i % 10 == 0 {
                let covered = confirmed && cause != "customer_misuse";
                issued.push(IssuedCase {
                    case_id: case_id.to_string(),
                    number: number.clone(),
                    covered: Some(covered),
                });
                lines.push(PartLineRow {
                    case_id: case_id.to_string(),
                    line_id: "L-1".into(),
                    case_number: number.clone(),
                    covered,
                    part_number: format!("P-{:03}", rng.random_range(0..60)),
                    quantity: 1,
                    old_part: r#"{"fate":"unrecorded"}"#.into(),
                });
            }
            if i % 20 == 0 {
                returns.push(ReturnSummary {
                    case_id,
                    request: "R-1".into(),
                    case_number: number.clone(),
                    kind: if i % 40 == 0 { "return" } else { "exchange" }.into(),
                    state: "done".into(),
                    waiting_kind: None,
                    waiting_step: None,
                    waiting_role: None,
                    rma_number: None,
                    model: model.clone(),
                    units: 1,
                    units_received: 1,
                    units_inspected: 1,
                    requested_at: received_at + 86_400,
                    reinspection_due_at: None,
                });
            }
        }
        let ids: Vec<Uuid> = cases.iter().map(|c| c.case_id).collect();
        storage
            .transaction(move |tx| {
                Box::pin(async move {
                    tx.insert_cases(&cases).await?;
                    tx.upsert_case_index(&index).await?;
                    tx.upsert_case_report(&facts).await?;
                    tx.replace_case_part_lines(&issued, &lines).await?;
                    tx.replace_case_returns(&ids, &returns).await
                })
            })
            .await?;
    }
    let shipments: Vec<ShipmentRow> = (0..MODELS)
        .map(|m| ShipmentRow {
            month: "2611".into(),
            product_model: format!("YE3-{m:03}"),
            quantity: 2_000 + 100 * m as i64,
        })
        .collect();
    storage
        .transaction(move |tx| Box::pin(async move { tx.put_shipments(&shipments, 0).await }))
        .await?;
    // A parts catalog, so the cost of quality prices the part lines.
    let parts: Vec<Value> = (0..60)
        .map(|p| {
            json!({"part_number": format!("P-{p:03}"), "specification": "spec", "unit": "个",
                   "unit_cost": format!("{}.50", 10 + p)})
        })
        .collect();
    fieldhq::admin::set_reference(
        storage,
        &serde_json::to_string(&fieldcore::Policies::default())
            .map_err(|e| BenchError::Failed(e.to_string()))?,
        Some(&json!({ "parts": parts }).to_string()),
    )
    .await?;
    Ok((numbers, overdue_keys))
}
