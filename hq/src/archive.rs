//! Data lifetime: closed cases moved out of the live database into an archive, and back.
//!
//! The procedures keep records two years; the live database need not. [`archive_closed`]
//! writes each case closed before a date to an [`ArchiveDestination`] (a folder or a bucket
//! of S3-compatible storage: its change log as one loadable automerge document, the rendered
//! record as JSON and printable HTML, every blob the case names (photos, their thumbnails,
//! signatures), and a manifest with every file's SHA-256, written last), reads every file
//! back to verify it, and only then removes the case from the live tables in one
//! transaction, leaving a tombstone: the number stays reserved and a device pushing to the
//! case is answered `Archived`. A blob no live case names any more then leaves the blob
//! store. [`restore`] puts the case back: the same change bytes under new sequence numbers
//! (so every device in scope pulls it again), its row as it was, the read model by the same
//! indexing as `fieldhq reindex`, its blobs into the blob store. The reasoning is in ADR
//! 0028.

use std::collections::BTreeSet;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::archive_dest::ArchiveDestination;
use crate::blobs::BlobStore;
use crate::changes;
use crate::error::{Error, Result};
use crate::read_model;
use crate::storage::{CaseOrigin, LockMode, LogRow, NewCase, Storage, Tombstone, unix_now};

/// The manifest's format; a restore refuses any other.
pub const FORMAT: u32 = 1;

/// Cases listed per read while choosing what to archive.
const BATCH: u32 = 200;

/// One stored change as the manifest records it, in log order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedChange {
    /// The change's automerge hash (hex), checked again on restore.
    pub hash: String,
    /// Its stored size: `document.automerge` is the changes back to back.
    pub bytes: usize,
    /// The device that pushed it; `None` for HQ's own changes.
    pub authored_by: Option<Uuid>,
}

/// One file of an archived case and its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedFile {
    pub key: String,
    pub sha256: String,
    pub bytes: u64,
}

/// `<number>/manifest.json`: what an archived case is, written after every other file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub case_id: Uuid,
    pub number: String,
    pub closed_at: Option<i64>,
    pub archived_at: i64,
    pub origin: CaseOrigin,
    pub changes: Vec<ArchivedChange>,
    pub files: Vec<ArchivedFile>,
    /// Blobs the case names that HQ never received (a visible state, not an error).
    pub missing_photos: Vec<String>,
}

/// What one `fieldhq archive` run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Archived {
    /// Numbers of the cases moved to the archive.
    pub archived: Vec<String>,
    /// Cases left live, each with why (the run went on with the others).
    pub failed: Vec<(String, String)>,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    /// The case is live again, with this many changes.
    Restored { changes: usize },
    /// The case was live already (restored before): nothing was written.
    AlreadyLive,
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Moves every case closed before `closed_before` (Unix seconds) to `dest`. A case that fails
/// (it changed meanwhile, a file did not verify) stays live and is reported; the others go
/// on. Running it again archives only what is still live: it is idempotent.
pub async fn archive_closed(
    storage: &Storage,
    blobs: &BlobStore,
    dest: &dyn ArchiveDestination,
    closed_before: i64,
) -> Result<Archived> {
    let mut done = Archived::default();
    let mut after: Option<Uuid> = None;
    loop {
        let ids = storage
            .read(move |tx| {
                Box::pin(async move { tx.archive_candidates(closed_before, after, BATCH).await })
            })
            .await?;
        for (id, closed_at) in &ids {
            match archive_case(storage, blobs, dest, *id, *closed_at).await {
                Ok(number) => done.archived.push(number),
                Err(e) => {
                    tracing::warn!(case = %id, error = %e, "case not archived");
                    done.failed.push((id.to_string(), e.to_string()));
                }
            }
        }
        match ids.last() {
            Some((last, _)) if ids.len() == BATCH as usize => after = Some(*last),
            _ => break,
        }
    }
    Ok(done)
}

/// Archives one case: write, verify, then remove in one transaction.
async fn archive_case(
    storage: &Storage,
    blobs: &BlobStore,
    dest: &dyn ArchiveDestination,
    case_id: Uuid,
    closed_at: i64,
) -> Result<String> {
    // What the case is now, read together.
    let (case, origin, log, policies) = storage
        .read(move |tx| {
            Box::pin(async move {
                let case = tx.cases(&[case_id]).await?.remove(&case_id);
                let origin = tx.case_origin(case_id).await?;
                let log = tx.case_log(case_id).await?;
                let policies = read_model::current_policies(tx).await?;
                Ok((case, origin, log, policies))
            })
        })
        .await?;
    let (Some(case), Some(origin)) = (case, origin) else {
        return Err(Error::NotFound(format!("case {case_id}")));
    };
    let number = case
        .number
        .clone()
        .ok_or_else(|| Error::Invalid(format!("case {case_id} has no number")))?;
    let closed_at = Some(closed_at);
    let document: Vec<u8> = log.iter().flat_map(|r| r.bytes.iter().copied()).collect();
    let doc = changes::load_document(&document)?;
    let view = fieldcore::build_view(&doc, case_id, &policies)
        .map_err(|e| Error::Invalid(format!("case {number} does not read: {e}")))?;

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.push((format!("{number}/document.automerge"), document));
    let record = serde_json::to_vec_pretty(&view)
        .map_err(|e| Error::internal(format!("a case record as JSON: {e}")))?;
    files.push((format!("{number}/record.json"), record));
    files.push((
        format!("{number}/record.html"),
        crate::archive_record::html(&number, &view).into_bytes(),
    ));
    // Every blob the case names, as blob access records them: thumbnails and signatures too,
    // which no live case would name after the archive either.
    let hashes: BTreeSet<String> = crate::blob_access::named_blobs(&view);
    let mut missing_photos = Vec::new();
    for hash in &hashes {
        match blobs.get(hash).await? {
            Some(bytes) => files.push((format!("{number}/photos/{hash}"), bytes)),
            None => missing_photos.push(hash.clone()),
        }
    }
    let archived_at = unix_now();
    let manifest = Manifest {
        format: FORMAT,
        case_id,
        number: number.clone(),
        closed_at,
        archived_at,
        origin,
        changes: log
            .iter()
            .map(|r| ArchivedChange {
                hash: r.hash.to_string(),
                bytes: r.bytes.len(),
                authored_by: r.authored_by,
            })
            .collect(),
        files: files
            .iter()
            .map(|(key, bytes)| ArchivedFile {
                key: key.clone(),
                sha256: sha256_hex(bytes),
                bytes: bytes.len() as u64,
            })
            .collect(),
        missing_photos,
    };
    for (key, bytes) in &files {
        dest.put(key, bytes).await?;
    }
    let manifest_bytes = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::internal(format!("a manifest as JSON: {e}")))?;
    dest.put(&format!("{number}/manifest.json"), &manifest_bytes)
        .await?;
    // Read back before anything is deleted: what the archive holds is what it should.
    verify(dest, &manifest).await?;

    let seq = case.sync_seq;
    let tombstone = Tombstone {
        case_id,
        number: number.clone(),
        closed_at,
        archived_at,
        location: dest.location(),
    };
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                // No sync may add to the case between the check and the delete.
                tx.lock_cases(&[case_id]).await?;
                tx.lock_log(LockMode::Exclusive).await?;
                let now = tx.cases(&[case_id]).await?.remove(&case_id);
                if now.map(|c| c.sync_seq) != Some(seq) {
                    return Err(Error::Invalid(format!(
                        "case {} changed while it was being archived",
                        tombstone.number
                    )));
                }
                tx.remove_case(&tombstone).await
            })
        })
        .await?;
    // Blobs no live case names any more leave the blob store; the archive has them.
    // Best effort: the case is archived already, and a blob left behind costs only space.
    for hash in &hashes {
        let key = hash.clone();
        let named = storage
            .read(move |tx| Box::pin(async move { tx.cases_naming_blob(&key).await }))
            .await;
        if matches!(&named, Ok(cases) if cases.is_empty())
            && let Err(e) = blobs.remove(hash).await
        {
            tracing::warn!(blob = %hash, error = %e, "an archived blob stayed in the blob store");
        }
    }
    tracing::info!(case = %case_id, %number, "case archived");
    Ok(number)
}

/// Reads back every file of a manifest and compares it with its digest.
pub async fn verify(dest: &dyn ArchiveDestination, manifest: &Manifest) -> Result<()> {
    for file in &manifest.files {
        let bytes = dest
            .get(&file.key)
            .await?
            .ok_or_else(|| Error::Invalid(format!("the archive lacks {}", file.key)))?;
        if bytes.len() as u64 != file.bytes || sha256_hex(&bytes) != file.sha256 {
            return Err(Error::Invalid(format!(
                "{} in the archive does not match its digest",
                file.key
            )));
        }
    }
    Ok(())
}

/// Puts the archived case numbered `number` back from `dest`: its changes (the same bytes, new
/// sequence numbers, so devices in scope pull it whole), its row, its read model and blobs.
/// A case that is live already is left as it is.
pub async fn restore(
    storage: &Storage,
    blobs: &BlobStore,
    dest: &dyn ArchiveDestination,
    number: &str,
    time_zone: Tz,
) -> Result<Restored> {
    let wanted = number.to_owned();
    let (tombstone, live) = storage
        .read(move |tx| {
            Box::pin(async move {
                Ok((
                    tx.tombstone_by_number(&wanted).await?,
                    tx.case_by_number(&wanted).await?,
                ))
            })
        })
        .await?;
    let Some(tombstone) = tombstone else {
        return match live {
            Some(_) => Ok(Restored::AlreadyLive),
            None => Err(Error::NotFound(format!("no archived case {number}"))),
        };
    };
    let manifest_bytes = dest
        .get(&format!("{number}/manifest.json"))
        .await?
        .ok_or_else(|| Error::Invalid(format!("the archive has no case {number}")))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| Error::Invalid(format!("the manifest of {number} does not read: {e}")))?;
    if manifest.format != FORMAT || manifest.case_id != tombstone.case_id {
        return Err(Error::Invalid(format!(
            "the archive's {number} is not the case HQ archived under that number"
        )));
    }
    verify(dest, &manifest).await?;
    let document = dest
        .get(&format!("{number}/document.automerge"))
        .await?
        .ok_or_else(|| Error::Invalid(format!("the archive lacks {number}'s document")))?;
    // Split the document back into the stored changes, each checked against its hash.
    let mut rows = Vec::with_capacity(manifest.changes.len());
    let mut at = 0usize;
    for entry in &manifest.changes {
        let end = at
            .checked_add(entry.bytes)
            .filter(|end| *end <= document.len())
            .ok_or_else(|| Error::Invalid(format!("{number}'s document is cut short")))?;
        let bytes = document[at..end].to_vec();
        at = end;
        let change = changes::parse_change(&bytes)?;
        if change.hash().to_string() != entry.hash {
            return Err(Error::Invalid(format!(
                "a change of {number} does not match its hash"
            )));
        }
        rows.push(LogRow {
            seq: 0,
            case_id: manifest.case_id,
            hash: change.hash(),
            actor: change.actor_id().to_bytes().to_vec(),
            actor_seq: change.seq(),
            authored_by: entry.authored_by,
            bytes,
        });
    }
    if at != document.len() || rows.is_empty() {
        return Err(Error::Invalid(format!(
            "{number}'s document does not match its manifest"
        )));
    }
    // Blobs first: a restored case whose photos are not there yet would show them missing.
    let prefix = format!("{number}/photos/");
    for file in &manifest.files {
        if let Some(hash) = file.key.strip_prefix(&prefix) {
            let bytes = dest
                .get(&file.key)
                .await?
                .ok_or_else(|| Error::Invalid(format!("the archive lacks {}", file.key)))?;
            blobs.put(hash, &bytes).await?;
        }
    }
    let count = rows.len();
    let case_id = manifest.case_id;
    let origin = manifest.origin.clone();
    let number = manifest.number.clone();
    storage
        .transaction(move |tx| {
            Box::pin(async move {
                tx.lock_cases(&[case_id]).await?;
                tx.lock_log(LockMode::Exclusive).await?;
                // Checked again under the lock: two restores at once write the case once.
                if tx.tombstones(&[case_id]).await?.is_empty() {
                    return Ok(Restored::AlreadyLive);
                }
                let first = tx.allocate_seqs(rows.len() as u64).await?;
                let mut seq = first;
                for row in &mut rows {
                    row.seq = seq;
                    seq += 1;
                }
                let last = seq - 1;
                tx.delete_tombstone(case_id).await?;
                tx.insert_cases(&[NewCase {
                    case_id,
                    number,
                    created_by: origin.created_by,
                    created_device: origin.created_device,
                    routed_center: origin.routed_center.clone(),
                    sync_seq: last,
                    created_at: origin.created_at,
                }])
                .await?;
                tx.append(&rows).await?;
                if let Some(engineer) = origin.assigned_engineer {
                    tx.set_assignment(case_id, engineer, last).await?;
                }
                read_model::refresh_cases(tx, &[case_id], time_zone).await?;
                Ok(Restored::Restored { changes: count })
            })
        })
        .await
}
