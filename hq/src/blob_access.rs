//! Who may read a blob, and how much a device may upload that no case names.
//!
//! - A device may read (`GET`, `HEAD`) a blob it uploaded itself, or one that a case it may
//!   see names (a photo, its thumbnail, an evidence photo, a signature). Anything else is
//!   answered exactly as a blob HQ does not hold (`404`), so the answer reveals nothing.
//! - Which blobs a case names is recorded (`case_blobs`) with its read-model row, in the
//!   transaction that stores its changes; `fieldhq reindex` fills it for cases stored before.
//! - A device's uploads that no case names count against its quota
//!   ([`crate::Limits::blob_quota_bytes`]); once past their grace period
//!   ([`crate::Limits::blob_grace`]) they are removed, hourly, by [`spawn_collector`].
//!
//! A device that may write a case can name any hash in it; what the rule guarantees is that
//! knowing a hash is not enough: reading a blob leaves a trace in a case its reader may see.

use std::collections::BTreeSet;
use std::time::Duration;

use fieldcore::CaseView;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::blobs::BlobStore;
use crate::error::Result;
use crate::state::AppState;
use crate::storage::{DeviceAuth, LockMode, Storage, Tx};

/// How often unreferenced uploads past their grace period are looked for.
const COLLECT_EVERY: Duration = Duration::from_secs(3600);

/// Uploads removed per transaction.
const COLLECT_BATCH: u32 = 500;

/// Every blob name in a case's view: any string of 64 lowercase hex digits, wherever the
/// document keeps it (photos, thumbnails, evidence photos, signatures, fields of later
/// versions), so no kind of photo is forgotten.
pub fn named_blobs(view: &CaseView) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    // A view always serializes (plain data, string keys); one that did not would name none.
    if let Ok(value) = serde_json::to_value(view) {
        collect(&value, &mut found);
    }
    found
}

fn collect(value: &serde_json::Value, found: &mut BTreeSet<String>) {
    match value {
        serde_json::Value::String(s) if BlobStore::check_name(s).is_ok() => {
            found.insert(s.clone());
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, found)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect(v, found)),
        _ => {}
    }
}

/// Records the blobs the given cases' views name; called where their read-model rows are
/// written.
pub async fn record_named(tx: &mut dyn Tx, cases: &[(Uuid, &CaseView)]) -> Result<()> {
    let refs: Vec<(Uuid, String)> = cases
        .iter()
        .flat_map(|(id, view)| named_blobs(view).into_iter().map(move |h| (*id, h)))
        .collect();
    tx.add_case_blobs(&refs).await
}

/// Whether the device may read the blob (see the module's rules). Reads only; no write lock.
pub async fn may_read(storage: &Storage, device: &DeviceAuth, hash: &str) -> Result<bool> {
    let device = device.clone();
    let hash = hash.to_owned();
    storage
        .read(move |tx| {
            Box::pin(async move {
                if tx.blob_uploader(&hash).await? == Some(device.device_id) {
                    return Ok(true);
                }
                let ids = tx.cases_naming_blob(&hash).await?;
                if ids.is_empty() {
                    return Ok(false);
                }
                let cases = tx.cases(&ids).await?;
                Ok(cases.values().any(|case| device.user.may_access(case)))
            })
        })
        .await
}

/// The bytes of the device's uploads no case names yet.
pub async fn unreferenced_bytes(storage: &Storage, device: Uuid) -> Result<u64> {
    storage
        .read(move |tx| Box::pin(async move { tx.unreferenced_upload_bytes(device).await }))
        .await
}

/// Records the device's upload of a blob it stored.
pub async fn record_upload(
    storage: &Storage,
    device: Uuid,
    hash: &str,
    bytes: u64,
    at: i64,
) -> Result<()> {
    let hash = hash.to_owned();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                tx.record_upload(&hash, device, bytes, at).await?;
                Ok(())
            })
        })
        .await
}

/// Removes every upload no case names that was made before `before` (Unix seconds): its
/// record and its file. Each batch holds the log lock, so no sync can name a blob between
/// the check and the removal. Returns how many were removed.
pub async fn collect_unreferenced(
    storage: &Storage,
    blobs: &BlobStore,
    before: i64,
) -> Result<usize> {
    let mut removed = 0;
    loop {
        let blobs = blobs.clone();
        let batch = storage
            .transaction(move |tx| {
                Box::pin(async move {
                    tx.lock_log(LockMode::Exclusive).await?;
                    let stale = tx.stale_uploads(before, COLLECT_BATCH).await?;
                    tx.delete_uploads(&stale).await?;
                    // Blobs go while the lock is held; a failed commit leaves records of
                    // blobs already gone, which the next run removes again.
                    for hash in &stale {
                        blobs.remove(hash).await?;
                    }
                    Ok(stale.len())
                })
            })
            .await?;
        removed += batch;
        if batch < COLLECT_BATCH as usize {
            break;
        }
    }
    if removed > 0 {
        tracing::info!(
            removed,
            "unreferenced uploads past their grace period removed"
        );
    }
    Ok(removed)
}

/// Runs [`collect_unreferenced`] now and every hour while the server runs.
pub fn spawn_collector(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let grace = i64::try_from(state.limits().blob_grace.as_secs()).unwrap_or(i64::MAX);
        let mut every = tokio::time::interval(COLLECT_EVERY);
        loop {
            every.tick().await;
            let before = state.now().timestamp().saturating_sub(grace);
            if let Err(e) = collect_unreferenced(state.storage(), state.blobs(), before).await {
                tracing::error!(error = %e, "removing unreferenced uploads failed");
            }
        }
    })
}
