//! A quarter's write-off run for every holder at once (`fieldhq writeoff run --quarter Q
//! --all`), as HQ does it when the quarter ends: the holders' reconciliations overlap in a
//! pipeline of three steps — the next holder's input read in a read-only snapshot, the
//! current one reconciled on a blocking thread, the previous one's run recorded in its own
//! write transaction — so reading, reconciling and writing use both cores and the one
//! writer connection is held only to store a run. One holder's refusal (an approved quarter,
//! a damaged row) is reported for that holder and the others go on.

use chrono_tz::Tz;
use fieldcore::{Quarter, Timestamp};
use tokio::sync::mpsc;

use crate::Storage;
use crate::error::{Error, Result};
use crate::storage::WriteoffRun;
use crate::{writeoff, writeoff_input};

/// How one holder's run ended.
#[derive(Debug)]
pub struct HolderRun {
    pub holder: String,
    pub outcome: Result<RunCounts>,
}

/// What a recorded run found, in numbers; the reconciliation itself is in its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RunCounts {
    pub lines: usize,
    pub discrepancies: usize,
}

/// Runs and records the write-off of `quarter` for every holder that has one
/// ([`crate::storage::Tx::quarter_holders`]), in holder order.
///
/// A holder's input is read in one snapshot and its run recorded in a later transaction:
/// a movement arriving in between is, as with a single run, for the next run to see — a run
/// may be repeated until it is approved, and approval is of the run as recorded.
pub async fn run_quarter(
    storage: &Storage,
    quarter: Quarter,
    run_by: Option<String>,
    at: Timestamp,
    time_zone: Tz,
) -> Result<Vec<HolderRun>> {
    let booked = quarter.to_string();
    let holders = storage
        .read(move |tx| Box::pin(async move { tx.quarter_holders(&booked).await }))
        .await?;
    // Two holders waiting between steps keep each step busy without holding many inputs.
    let (to_reconcile, mut reconciling) = mpsc::channel(2);
    let (to_record, mut recording) = mpsc::channel::<(String, Result<(RunCounts, WriteoffRun)>)>(2);
    let reader = tokio::spawn({
        let storage = storage.clone();
        async move {
            for holder in holders {
                let h = holder.clone();
                let input = storage
                    .read(move |tx| {
                        Box::pin(
                            async move { writeoff_input::input(tx, &h, quarter, time_zone).await },
                        )
                    })
                    .await;
                if to_reconcile.send((holder, input)).await.is_err() {
                    break;
                }
            }
        }
    });
    let reconciler = tokio::spawn(async move {
        while let Some((holder, input)) = reconciling.recv().await {
            let run_by = run_by.clone();
            let reconciled = match input {
                Ok(input) => tokio::task::spawn_blocking(move || {
                    writeoff::reconcile(&input, run_by.as_deref(), at).map(|(r, run)| {
                        let counts = RunCounts {
                            lines: r.lines.len(),
                            discrepancies: r.discrepancies.len(),
                        };
                        (counts, run)
                    })
                })
                .await
                .map_err(Error::from)
                .and_then(|r| r),
                Err(e) => Err(e),
            };
            if to_record.send((holder, reconciled)).await.is_err() {
                break;
            }
        }
    });
    let mut runs = Vec::new();
    while let Some((holder, reconciled)) = recording.recv().await {
        let outcome = match reconciled {
            Ok((counts, run)) => storage
                .transaction(move |tx| {
                    Box::pin(async move { writeoff::record(tx, &run, counts.discrepancies).await })
                })
                .await
                .map(|()| counts),
            Err(e) => Err(e),
        };
        runs.push(HolderRun { holder, outcome });
    }
    reader.await?;
    reconciler.await?;
    Ok(runs)
}
