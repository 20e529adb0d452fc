//! `fieldbench parts`: warranty parts at field and HQ scale. A repair center's tablet holding
//! a quarter of 5,000 movements sums the balance of every part (`stock_balance_ms`, the median
//! of repeated reads); HQ writes off 50 centers' quarters of 5,000 movements each, on SQLite
//! (`writeoff_50x5000_s`) and on PostgreSQL (`writeoff_50x5000_pg_s`, when
//! `FIELDHQ_TEST_PG_URL` names a server; `null` otherwise).

use std::time::Instant;

use chrono::{DateTime, Duration};
use fieldcore::{Holder, Quarter, StockCommand, Store};
use fieldhq::storage::{
    IssuedCase, LedgerModel, MovementRow, NewLedger, PartLineRow, ShipmentPartRow,
};
use fieldhq::{Storage, StorageConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::error::BenchError;
use crate::measure::{percentile, round};
use crate::pg_schema::FreshSchema;

/// Movements in one center's quarter.
const MOVEMENTS: usize = 5_000;
/// Part numbers a center stocks.
const PARTS: usize = 60;
/// Timed balance reads.
const READS: usize = 101;

/// Centers HQ writes off, each with a quarter of [`MOVEMENTS`] movements.
const CENTERS: usize = 50;

pub fn parts() -> Result<Value, BenchError> {
    let stock_balance_ms = stock_balance()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let dir = std::env::temp_dir().join(format!("fieldbench-writeoff-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let sqlite = runtime.block_on(writeoff(StorageConfig {
        data_dir: dir.clone(),
        database_url: None,
        database_connections: fieldhq::DEFAULT_DATABASE_CONNECTIONS,
    }));
    let pg = match std::env::var("FIELDHQ_TEST_PG_URL") {
        Ok(url) => Some(runtime.block_on(async {
            let schema = FreshSchema::create(&url).await?;
            let seconds = writeoff(StorageConfig {
                data_dir: dir.clone(),
                database_url: Some(schema.url.clone()),
                database_connections: fieldhq::DEFAULT_DATABASE_CONNECTIONS,
            })
            .await;
            schema.remove().await?;
            seconds
        })),
        Err(_) => {
            eprintln!("parts: FIELDHQ_TEST_PG_URL is not set; no PostgreSQL figure");
            None
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({
        "stock_balance_ms": stock_balance_ms,
        "writeoff_50x5000_s": sqlite?,
        "writeoff_50x5000_pg_s": pg.transpose()?,
    }))
}

/// Fills HQ's read model with [`CENTERS`] centers' quarters (issues to covered cases whose
/// old parts are mostly kept or shipped and checked, some not), then times the write-off of
/// every center: the input read from the read model, reconciled and recorded.
async fn writeoff(config: StorageConfig) -> Result<f64, BenchError> {
    let storage = Storage::open(&config).await?;
    let user = fieldhq::admin::add_user(&storage, "wu", fieldhq::Role::CsManager, None).await?;
    let quarter: Quarter = "2026Q4"
        .parse()
        .map_err(|e: fieldcore::Error| BenchError::Failed(e.to_string()))?;
    let start = DateTime::parse_from_rfc3339("2026-10-01T09:00:00+08:00")
        .map_err(|e| BenchError::Failed(e.to_string()))?;
    let mut rng = StdRng::seed_from_u64(50);
    for c in 0..CENTERS {
        let holder: Holder = format!("center:C{c:02}")
            .parse()
            .map_err(|e: fieldcore::NotHolder| BenchError::Failed(e.to_string()))?;
        let ledger = fieldcore::ledger_id(&holder, quarter);
        let mut movements = Vec::with_capacity(MOVEMENTS);
        let mut cases = Vec::new();
        let mut lines = Vec::new();
        let mut shipped = Vec::new();
        for i in 0..MOVEMENTS {
            let case_id = uuid::Uuid::now_v7().to_string();
            let part_number = format!("P-{:03}", rng.random_range(0..PARTS));
            let quantity = rng.random_range(1..3);
            let at = (start + Duration::minutes(i as i64 * 25)).timestamp();
            let tag = format!("T-{c}-{i}");
            let old_part = match i % 4 {
                0 => json!({"fate": "kept", "tag": tag}),
                1 | 2 => {
                    shipped.push(ShipmentPartRow {
                        ledger_id: ledger,
                        shipment_id: format!("S-{}", i / 100),
                        holder: holder.to_string(),
                        tag: tag.clone(),
                        part_number: part_number.clone(),
                        case_id: Some(case_id.clone()),
                        line: Some(format!("L-{i}")),
                        shipped_at: at,
                        received: Some(i % 50 != 1),
                    });
                    json!({"fate": "shipped", "shipment_id": format!("S-{}", i / 100), "tag": tag})
                }
                _ => json!({"fate": "unrecorded"}),
            };
            movements.push(MovementRow {
                ledger_id: ledger,
                movement_id: uuid::Uuid::now_v7().to_string(),
                holder: holder.to_string(),
                booked_quarter: quarter.to_string(),
                correction_of: None,
                kind: "issue".into(),
                part_number: part_number.clone(),
                quantity,
                delta: -quantity,
                at,
                by_user: "zhao".into(),
                case_id: Some(case_id.clone()),
                line: Some(format!("L-{i}")),
            });
            cases.push(IssuedCase {
                case_id: case_id.clone(),
                number: format!("2611-{i:04}"),
                covered: Some(i % 20 != 3),
            });
            lines.push(PartLineRow {
                case_id,
                line_id: format!("L-{i}"),
                case_number: format!("2611-{i:04}"),
                covered: i % 20 != 3,
                part_number,
                quantity: if i % 40 == 7 { quantity + 1 } else { quantity },
                old_part: old_part.to_string(),
            });
        }
        let new = NewLedger {
            ledger_id: ledger,
            holder: holder.to_string(),
            quarter: quarter.to_string(),
            created_by: user.id,
            created_device: None,
            routed_center: Some(holder.id.clone()),
            assigned_engineer: None,
            sync_seq: 0,
            created_at: start.timestamp(),
        };
        let model = LedgerModel {
            ledger_id: ledger,
            closed_at: None,
            new_movements: movements,
            requests: Vec::new(),
            shipment_parts: shipped,
        };
        storage
            .transaction(move |tx| {
                Box::pin(async move {
                    tx.insert_ledger(&new).await?;
                    tx.write_ledger_model(&model).await?;
                    tx.replace_case_part_lines(&cases, &lines).await
                })
            })
            .await?;
    }
    let tz = fieldhq::state::DEFAULT_TIME_ZONE;
    let cpu_before = crate::measure::process_cpu_ms();
    let timed = Instant::now();
    let runs =
        fieldhq::writeoff_quarter::run_quarter(&storage, quarter, Some("wu".into()), start, tz)
            .await?;
    let mut discrepancies = 0;
    for run in runs {
        discrepancies += run.outcome?.discrepancies;
    }
    let seconds = timed.elapsed().as_secs_f64();
    if let (Some(before), Some(after)) = (cpu_before, crate::measure::process_cpu_ms()) {
        eprintln!(
            "parts: write-off of {CENTERS} centers: {seconds:.2} s, {:.2} s of CPU",
            (after - before) / 1000.0
        );
    }
    if discrepancies == 0 {
        return Err(BenchError::Failed(
            "the planted discrepancies were not found".into(),
        ));
    }
    Ok(round(seconds))
}

/// The median time of the holder's balance over a quarter of [`MOVEMENTS`] movements, on a
/// store filled through the same command the tablet uses.
fn stock_balance() -> Result<f64, BenchError> {
    let dir = std::env::temp_dir().join(format!("fieldbench-parts-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    let result = (|| {
        let mut store = Store::open(dir.join("tablet.db"), "zhao")?;
        let holder: Holder = "center:C01"
            .parse()
            .map_err(|e: fieldcore::NotHolder| BenchError::Failed(e.to_string()))?;
        let start = DateTime::parse_from_rfc3339("2026-10-01T09:00:00+08:00")
            .map_err(|e| BenchError::Failed(e.to_string()))?;
        let mut rng = StdRng::seed_from_u64(14);
        let filled = Instant::now();
        for i in 0..MOVEMENTS {
            let part_number = format!("P-{:03}", rng.random_range(0..PARTS));
            let at = Some(start + Duration::minutes(i as i64 * 25));
            let command = match i % 10 {
                0 => StockCommand::Adjust {
                    part_number,
                    delta: rng.random_range(5..20),
                    reason: "count".into(),
                    at,
                },
                1 => StockCommand::TransferOut {
                    part_number,
                    quantity: 1,
                    to: Holder {
                        kind: fieldcore::HolderKind::Van,
                        id: "wang".into(),
                    },
                    at,
                },
                _ => StockCommand::Issue {
                    part_number,
                    quantity: rng.random_range(1..3),
                    case_id: uuid::Uuid::now_v7(),
                    line: None,
                    at,
                },
            };
            store.record_stock(&holder, &command)?;
        }
        eprintln!(
            "parts: {MOVEMENTS} movements recorded in {:.1} s",
            filled.elapsed().as_secs_f64()
        );
        let mut times = Vec::with_capacity(READS);
        for _ in 0..READS {
            let t = Instant::now();
            let balance = store.stock_balance(&holder)?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if balance.len() != PARTS {
                return Err(BenchError::Failed(format!(
                    "{} parts in the balance, {PARTS} expected",
                    balance.len()
                )));
            }
        }
        Ok(round(percentile(&mut times, 50.0)))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
