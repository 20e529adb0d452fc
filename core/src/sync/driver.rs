//! The sync loop, holding the store only while it prepares a request or stores an answer:
//! every HTTP exchange (and photo upload or download) runs with the store free, so a list, a
//! case and a command made on another thread never wait for the network (ADR 0018).
//!
//! The loop reaches the store through [`StoreAccess`]: an app shares one `Store` behind a
//! mutex and passes the mutex; [`Store::sync`] passes itself ([`Exclusive`]). A command made
//! between a round's prepare and its apply is kept: the round acknowledges only the outbox
//! entries it pushed (each case's last sequence number), and the next round pushes the rest.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::error::{Error, Result};
use crate::model::CaseId;
use crate::store::Store;
use crate::sync::protocol::{self, SyncResponse};
use crate::sync::transport::Transport;
use crate::sync::transport::{CancelToken, HttpTransport, SyncConfig, SyncProgress, SyncReport};

/// How the sync loop reaches the store: `f` runs with the store held, and nothing else runs on
/// it meanwhile. Implementations hold it only for the call.
pub trait StoreAccess {
    fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> Result<R>) -> Result<R>;
}

/// A store behind a mutex, as an app shares it between threads. A poisoned mutex (a panic in
/// an earlier call) is refused rather than reused: the caller decides whether to reopen.
impl StoreAccess for Mutex<Store> {
    fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> Result<R>) -> Result<R> {
        let mut store = self
            .lock()
            .map_err(|_: PoisonError<_>| Error::Io(std::io::Error::other("store poisoned")))?;
        f(&mut store)
    }
}

/// A store the caller holds exclusively for the whole sync ([`Store::sync`]).
pub(crate) struct Exclusive<'a>(pub(crate) RefCell<&'a mut Store>);

impl StoreAccess for Exclusive<'_> {
    fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> Result<R>) -> Result<R> {
        // The loop never nests calls, so the cell is free whenever it asks.
        let mut store = self
            .0
            .try_borrow_mut()
            .map_err(|_| Error::Io(std::io::Error::other("store borrowed twice")))?;
        f(&mut store)
    }
}

/// What a sync reports while it runs, always with the store free (a listener may call it).
#[derive(Debug)]
pub enum SyncEvent<'a> {
    /// After every round trip and every photo upload.
    Progress(&'a SyncProgress),
    /// After a round stored its answer: the cases whose document, list row or sync state may
    /// have changed.
    CasesChanged(&'a BTreeSet<CaseId>),
}

/// A sync over `transport` with the store held only to prepare and to apply each round, and
/// to read and mark each photo: the loop of [`Store::sync`] for a shared store. How it ended
/// is recorded in the store ([`Store::sync_standing`]): a failure with its code and messages
/// until a later sync succeeds, so the sync banner survives a restart.
pub fn drive_sync<A: StoreAccess + ?Sized>(
    access: &A,
    transport: &dyn Transport,
    config: &SyncConfig,
    events: &mut dyn FnMut(SyncEvent<'_>),
    cancel: &CancelToken,
) -> Result<SyncReport> {
    let result = run_sync(access, transport, config, events, cancel);
    let recorded = access.with_store(|s| s.record_sync_end(result.as_ref().err()));
    match (result, recorded) {
        (Ok(report), Ok(())) => Ok(report),
        (Ok(_), Err(e)) => Err(e),
        // The sync's own failure is what the caller must hear about; when even recording it
        // failed, the store is failing and the next call says so.
        (Err(e), _) => Err(e),
    }
}

fn run_sync<A: StoreAccess + ?Sized>(
    access: &A,
    transport: &dyn Transport,
    config: &SyncConfig,
    events: &mut dyn FnMut(SyncEvent<'_>),
    cancel: &CancelToken,
) -> Result<SyncReport> {
    let started = Instant::now();
    let mut report = SyncReport::default();
    let p = &mut report.progress;
    loop {
        cancel.check()?;
        let (request, plan) =
            access.with_store(|s| s.prepare_sync(config.max_push_bytes, config.max_pull_cases))?;
        let body = protocol::encode(&request)
            .map_err(|e| Error::Protocol(format!("encoding a request: {e}")))?;
        p.bytes_sent += body.len() as u64;
        let answer = transport.sync(body, cancel, &mut p.retries)?;
        p.bytes_received += answer.len() as u64;
        let response: SyncResponse = protocol::decode(&answer)
            .map_err(|e| Error::Protocol(format!("unreadable response: {e}")))?;
        let (round, changed, pending) = access.with_store(|s| {
            let (round, changed) = s.apply_sync_round(&plan, &response)?;
            Ok((round, changed, s.pending_sync_cases()?))
        })?;
        p.rounds += 1;
        p.pushed_cases += round.acknowledged;
        p.pulled_cases += round.pulled;
        report.repairs += round.need_full + round.repairs;
        p.pending_cases = pending;
        if !changed.is_empty() {
            events(SyncEvent::CasesChanged(&changed));
        }
        events(SyncEvent::Progress(p));
        // Go on while HQ has more to pull, or while pushes still make progress; a round that
        // moved nothing would only repeat itself. Work added during the round counts as
        // pending, so it goes up in the next one. A pull this device could not apply (changes
        // of a case it evicted, say) is asked for whole in the next round of the same sync;
        // a round in which HQ does not send it notes no new repair, so this ends.
        let progressed = round.acknowledged
            + round.pulled
            + round.repairs
            + round.need_full
            + round.refused
            + round.rejected
            + round.archived
            > 0;
        if !(response.more || (p.pending_cases > 0 && progressed)) {
            break;
        }
    }
    if config.upload_photos {
        let pending = access.with_store(|s| s.pending_uploads())?;
        p.photos_pending = pending.len() as u64;
        for hash in pending {
            cancel.check()?;
            let bytes = access.with_store(|s| s.blob(&hash))?;
            p.bytes_sent += bytes.len() as u64;
            transport.put_blob(&hash, bytes, cancel, &mut p.retries)?;
            access.with_store(|s| s.mark_uploaded(&hash))?;
            p.photos_uploaded += 1;
            p.photos_pending -= 1;
            events(SyncEvent::Progress(p));
        }
    }
    access.with_store(|s| {
        report.conflicts = s.conflict_count()?;
        let rejected = s.rejected_cases()?.len() as u64;
        let archived = s.archived_cases()?.len() as u64;
        report.refused = s.refused_cases()?.len() as u64 - rejected - archived;
        report.rejected = rejected;
        report.archived = archived;
        report.quarantined = s.quarantined_cases()?.len() as u64;
        report.cursor = s.sync_position()?.0;
        Ok(())
    })?;
    report.millis = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// [`drive_sync`] over HTTP(S) to the HQ of `config`.
pub fn sync_shared<A: StoreAccess + ?Sized>(
    access: &A,
    config: &SyncConfig,
    events: &mut dyn FnMut(SyncEvent<'_>),
    cancel: &CancelToken,
) -> Result<SyncReport> {
    let transport = HttpTransport::new(config)?;
    drive_sync(access, &transport, config, events, cancel)
}

/// Downloads a photo (or thumbnail) from HQ with the store free, then stores it.
pub fn fetch_blob_shared<A: StoreAccess + ?Sized>(
    access: &A,
    config: &SyncConfig,
    hash: &str,
    cancel: &CancelToken,
) -> Result<()> {
    crate::rules::validate::photo_hash("hash", hash)?;
    let transport = HttpTransport::new(config)?;
    let bytes = transport.get_blob(hash, cancel, &mut 0)?;
    access.with_store(|s| s.receive_blob(hash, &bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// HQ out of reach: every call fails as the retries' last attempt would.
    struct Unreachable;

    impl Transport for Unreachable {
        fn sync(&self, _: Vec<u8>, _: &CancelToken, _: &mut u32) -> Result<Vec<u8>> {
            Err(Error::Network("connection refused".into()))
        }
        fn put_blob(&self, _: &str, _: Vec<u8>, _: &CancelToken, _: &mut u32) -> Result<()> {
            Err(Error::Network("connection refused".into()))
        }
        fn get_blob(&self, _: &str, _: &CancelToken, _: &mut u32) -> Result<Vec<u8>> {
            Err(Error::Network("connection refused".into()))
        }
    }

    #[test]
    fn a_failed_sync_is_recorded_for_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("field.db");
        let store = Mutex::new(Store::open(&path, "wang").unwrap());
        let config = SyncConfig::new("http://127.0.0.1:1", "token");
        let error = drive_sync(
            &store,
            &Unreachable,
            &config,
            &mut |_| {},
            &CancelToken::default(),
        )
        .unwrap_err();
        assert!(matches!(error, Error::Network(_)), "{error}");
        drop(store);

        let reader = crate::Reader::open(&path).unwrap();
        let standing = reader.sync_standing().unwrap();
        assert_eq!(standing.last_success_at, None);
        let failure = standing.last_failure.unwrap();
        assert_eq!(failure.code, "sync.network");
        assert_eq!(failure.en, "network error: connection refused");
        assert!(failure.zh_cn.contains("无法连接总部"), "{}", failure.zh_cn);
    }
}
