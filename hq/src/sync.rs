//! `POST /v1/sync`, HQ's side of docs/sync-protocol.md: authorise and store pushed changes,
//! number new cases, and pick what the device should pull — all in one transaction.
//!
//! The work is split in two. [`prepare`] is pure CPU (decoding and parsing automerge chunks,
//! building the documents of cases that may be new) and runs on the blocking pool, outside
//! any transaction. [`apply`] runs inside the storage transaction and does the checks that
//! need HQ's state, the writes and the pulls. Every check that can refuse the request comes
//! before the first write, and a refusal rolls the transaction back, so a request applies
//! entirely or not at all.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};
use fieldcore::{
    self, AckOutcome, MAX_CASE_BYTES, PROTOCOL_VERSION, Payload, SyncRequest, SyncResponse,
};
use uuid::Uuid;

use crate::changes;
use crate::error::{Error, Result};
use crate::numbering;
use crate::state::AppState;
use crate::storage::{CaseRow, DeviceAuth, LockMode, LogRow, NewCase, Tx, unix_now};

/// The longest actor id HQ binds; automerge actors made by devices are 16 bytes.
const MAX_ACTOR_BYTES: usize = 64;

/// The most one case's pushed changes may take once inflated. Compressed chunks are bounded by
/// `MAX_CASE_BYTES` on the wire, but deflate packs a thousandfold; this bounds what HQ
/// inflates, stores and later sends for one push.
pub const MAX_CASE_INFLATED_BYTES: usize = 16 * 1024 * 1024;

/// The most a whole request's changes may take once inflated: the work one request may cause.
pub const MAX_REQUEST_INFLATED_BYTES: usize = 64 * 1024 * 1024;

/// Reads the version first, so a body of a future protocol gets `426` even if the rest of
/// it no longer decodes as version 1; then decodes the whole request.
pub fn decode_request(body: &[u8]) -> Result<SyncRequest> {
    let (version, _) = postcard::take_from_bytes::<u16>(body)
        .map_err(|_| Error::malformed("the body does not decode as a sync request"))?;
    if version != PROTOCOL_VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    let request: SyncRequest = fieldcore::decode_message(body)
        .map_err(|_| Error::malformed("the body does not decode as a sync request"))?;
    if request.actor.is_empty() || request.actor.len() > MAX_ACTOR_BYTES {
        return Err(Error::malformed("the actor id is empty or too long"));
    }
    Ok(request)
}

/// The whole exchange: prepare off the runtime, apply in one transaction.
pub async fn run(
    state: &AppState,
    device: DeviceAuth,
    request: SyncRequest,
) -> Result<SyncResponse> {
    let started = Instant::now();
    let prepared = tokio::task::spawn_blocking(move || prepare(request)).await??;
    let prepare_ms = started.elapsed().as_millis() as u64;
    let hq_actor = state.hq_actor().clone();
    let now = state.now();
    let time_zone = state.time_zone();
    let pull_budget = state.pull_budget();
    let device_id = device.device_id;
    let outcome = state
        .storage()
        .transaction(move |tx| {
            Box::pin(apply(
                tx,
                device_id,
                prepared,
                hq_actor,
                now,
                time_zone,
                pull_budget,
            ))
        })
        .await?;
    tracing::info!(
        device = %device_id,
        pushes = outcome.stats.pushes,
        applied_changes = outcome.stats.applied_changes,
        need_full = outcome.stats.need_full,
        forbidden = outcome.stats.forbidden,
        new_cases = outcome.stats.new_cases,
        pulls = outcome.response.pulls.len(),
        pull_bytes = outcome.stats.pull_bytes,
        more = outcome.response.more,
        cursor = outcome.response.cursor,
        prepare_ms,
        ms = started.elapsed().as_millis() as u64,
        "sync"
    );
    Ok(outcome.response)
}

/// A request after everything that needs no database: chunks parsed, actors checked.
pub struct Prepared {
    request_actor: Vec<u8>,
    cursor: u64,
    reference_version: u64,
    max_pull: u32,
    want_full: Vec<Uuid>,
    pushes: Vec<PreparedPush>,
}

struct PreparedPush {
    case_id: Uuid,
    is_document: bool,
    /// In causal order.
    changes: Vec<Change>,
    /// When the push starts with a change that creates a document: that document, built
    /// from the push alone and checked, or why it is not a valid new case.
    new_case: Option<std::result::Result<NewDocument, String>>,
}

/// Checks and parses a request; pure CPU, no database.
pub fn prepare(request: SyncRequest) -> Result<Prepared> {
    let mut seen = HashSet::with_capacity(request.pushes.len());
    for push in &request.pushes {
        if !seen.insert(push.case_id) {
            return Err(Error::malformed(format!(
                "case {} is pushed twice in one request",
                push.case_id
            )));
        }
        if push.payload.len() > MAX_CASE_BYTES {
            return Err(Error::TooLarge(format!(
                "the payload of case {} is over {MAX_CASE_BYTES} bytes",
                push.case_id
            )));
        }
    }
    // Inflated sizes first, each inflation bounded, before automerge inflates anything.
    let mut request_budget = MAX_REQUEST_INFLATED_BYTES;
    for push in &request.pushes {
        if let Payload::Changes(chunks) = &push.payload {
            let mut case_budget = MAX_CASE_INFLATED_BYTES.min(request_budget);
            for chunk in chunks {
                let size = changes::inflated_len(chunk, case_budget).map_err(|e| match e {
                    Error::TooLarge(_) => Error::TooLarge(format!(
                        "the changes of case {} inflate to over {} bytes",
                        push.case_id,
                        MAX_CASE_INFLATED_BYTES.min(request_budget)
                    )),
                    Error::Malformed(m) => Error::Malformed(format!("case {}: {m}", push.case_id)),
                    other => other,
                })?;
                case_budget -= size;
            }
            request_budget -= MAX_CASE_INFLATED_BYTES.min(request_budget) - case_budget;
        }
    }
    let actor = ActorId::from(request.actor.as_slice());
    let mut pushes = Vec::with_capacity(request.pushes.len());
    for push in request.pushes {
        let case_id = push.case_id;
        let at = |e: Error| match e {
            Error::Malformed(m) => Error::Malformed(format!("case {case_id}: {m}")),
            other => other,
        };
        let (is_document, changes, loaded) = match push.payload {
            Payload::Changes(chunks) => {
                let changes = changes::parse_changes(&chunks).map_err(at)?;
                // Spec, "What HQ does with pushes", 1: every pushed chunk is the device's.
                if changes.iter().any(|c| c.actor_id() != &actor) {
                    return Err(Error::forbidden(format!(
                        "case {case_id}: a pushed change is not authored by this device's actor"
                    )));
                }
                (false, changes, None)
            }
            Payload::Document(bytes) => {
                let doc = changes::load_document(&bytes).map_err(at)?;
                if fieldcore::case_id_of(&doc) != Some(case_id) {
                    return Err(Error::malformed(format!(
                        "case {case_id}: the document is of another case"
                    )));
                }
                (true, doc.get_changes(&[]), Some(doc))
            }
        };
        let starts_document = changes.first().is_some_and(|c| c.deps().is_empty());
        let new_case = starts_document.then(|| new_case_document(case_id, &changes, loaded));
        pushes.push(PreparedPush {
            case_id,
            is_document,
            changes,
            new_case,
        });
    }
    Ok(Prepared {
        request_actor: request.actor,
        cursor: request.cursor,
        reference_version: request.reference_version,
        max_pull: request.max_pull,
        want_full: request.want_full,
        pushes,
    })
}

/// The first root key of the case document that `change` writes and only HQ may write.
fn hq_owned_key(change: &Change) -> Option<String> {
    use automerge::legacy::{Key, ObjectId};
    change
        .decode()
        .operations
        .into_iter()
        .find_map(|op| match (op.obj, op.key) {
            (ObjectId::Root, Key::Map(key))
                if fieldcore::root_key_writer(&key) == fieldcore::Writer::Hq =>
            {
                Some(key.to_string())
            }
            _ => None,
        })
}

/// A new case's document, checked, with when its complaint was received (its number's month).
pub struct NewDocument {
    doc: Automerge,
    received_at: chrono::DateTime<chrono::FixedOffset>,
}

/// The document a push would create, if HQ does not know the case: it must be complete, be
/// a case document of a schema HQ understands, and say it is this case.
fn new_case_document(
    case_id: Uuid,
    changes: &[Change],
    loaded: Option<Automerge>,
) -> std::result::Result<NewDocument, String> {
    let doc = match loaded {
        Some(doc) => doc,
        None => {
            let mut doc = Automerge::new();
            doc.apply_changes(changes.iter().cloned())
                .map_err(|_| "the changes do not apply".to_owned())?;
            if !doc.get_missing_deps(&[]).is_empty() {
                return Err("the changes of a new case depend on changes not pushed".into());
            }
            doc
        }
    };
    // Read with the core's own view code, as every device will read it: a case without its
    // registration facts, or with content no device can read, never enters the log.
    let view = fieldcore::check_case(&doc, case_id, &fieldcore::Policies::default())?;
    Ok(NewDocument {
        received_at: view.registration.received_at,
        doc,
    })
}

struct Stats {
    pushes: usize,
    applied_changes: usize,
    need_full: usize,
    forbidden: usize,
    new_cases: usize,
    pull_bytes: usize,
}

struct Outcome {
    response: SyncResponse,
    stats: Stats,
}

/// What a push turned into once HQ's state was read.
enum Decision {
    NeedFull,
    Forbidden,
    /// The changes HQ does not hold yet (empty for a replay), and for a new case its document.
    Apply {
        new: Vec<Change>,
        creates: Option<Box<NewDocument>>,
    },
}

/// One request inside its transaction: every check first, then the writes, then the pulls.
async fn apply(
    tx: &mut dyn Tx,
    device_id: Uuid,
    prepared: Prepared,
    hq_actor: ActorId,
    now: chrono::DateTime<chrono::FixedOffset>,
    time_zone: chrono_tz::Tz,
    pull_budget: usize,
) -> Result<Outcome> {
    let device = authorised_device(tx, device_id).await?;
    let mode = if prepared.pushes.is_empty() {
        LockMode::Shared
    } else {
        LockMode::Exclusive
    };
    let current = tx.lock_log(mode).await?;
    bind_actor(tx, &device, &prepared.request_actor, &hq_actor).await?;
    let decisions = check(tx, &device, prepared.pushes, &prepared.request_actor).await?;
    let written = write(tx, &device, decisions, &hq_actor, &now, time_zone).await?;
    let mut stats = written.stats;
    let pulled = crate::pulls::pulls(
        tx,
        &device,
        &prepared.want_full,
        prepared.cursor,
        prepared.max_pull,
        written.last_seq.unwrap_or(current),
        pull_budget,
    )
    .await?;
    tx.mark_held_by_device(device.device_id, &pulled.documents)
        .await?;
    stats.pull_bytes = pulled.bytes;
    let reference = tx
        .reference()
        .await?
        .filter(|r| r.version > prepared.reference_version);
    Ok(Outcome {
        response: SyncResponse {
            version: PROTOCOL_VERSION,
            cursor: pulled.cursor,
            more: pulled.more,
            acks: written.acks,
            pulls: pulled.pulls,
            reference,
        },
        stats,
    })
}

/// Decides every push against HQ's state (access, what HQ holds), before anything is written.
async fn check(
    tx: &mut dyn Tx,
    device: &DeviceAuth,
    pushes: Vec<PreparedPush>,
    actor: &[u8],
) -> Result<Vec<(Uuid, Decision)>> {
    let ids: Vec<Uuid> = pushes.iter().map(|p| p.case_id).collect();
    let cases = tx.cases(&ids).await?;
    let held = held_of(tx, &pushes).await?;
    let numbered = numbered_of(tx, &pushes).await?;
    let mut decisions = Vec::with_capacity(pushes.len());
    for push in pushes {
        let case_id = push.case_id;
        // A case the user may not write is refused on its own (spec, "What HQ does with
        // pushes", 2): one re-routed case must not hold back the device's work on the others.
        let decision = match cases.get(&case_id) {
            Some(case) if !device.user.may_access(case) => {
                tracing::info!(device = %device.device_id, case = %case_id, "push refused: no write access");
                Decision::Forbidden
            }
            _ => decide(push, &cases, &held, &numbered, actor)?,
        };
        decisions.push((case_id, decision));
    }
    Ok(decisions)
}

/// What the writes of one request did.
struct Written {
    acks: Vec<AckOutcome>,
    stats: Stats,
    /// The last sequence number this request took, if it appended anything.
    last_seq: Option<u64>,
}

/// Appends the accepted changes, numbers new cases (with HQ's own change) and records which
/// cases the device now holds.
async fn write(
    tx: &mut dyn Tx,
    device: &DeviceAuth,
    decisions: Vec<(Uuid, Decision)>,
    hq_actor: &ActorId,
    now: &chrono::DateTime<chrono::FixedOffset>,
    time_zone: chrono_tz::Tz,
) -> Result<Written> {
    let mut stats = Stats {
        pushes: decisions.len(),
        applied_changes: 0,
        need_full: 0,
        forbidden: 0,
        new_cases: 0,
        pull_bytes: 0,
    };
    // Each new case is numbered in the month its complaint was received; the running numbers
    // of each month are taken in one allocation, in the order of the pushes.
    let mut months: Vec<String> = Vec::new();
    let mut per_month: HashMap<String, u32> = HashMap::new();
    for (_, decision) in &decisions {
        if let Decision::Apply {
            creates: Some(new_case),
            ..
        } = decision
        {
            let month = numbering::month_of(&new_case.received_at.with_timezone(&time_zone));
            *per_month.entry(month.clone()).or_default() += 1;
            months.push(month);
        }
    }
    let mut next_number: HashMap<String, u32> = HashMap::with_capacity(per_month.len());
    let mut allocations: Vec<(&String, &u32)> = per_month.iter().collect();
    // A fixed order of allocation, so concurrent requests take month counters alike.
    allocations.sort();
    for (month, count) in allocations {
        next_number.insert(month.clone(), tx.allocate_numbers(month, *count).await?);
    }
    let mut months = months.into_iter();
    let row_count: usize = decisions
        .iter()
        .map(|(_, d)| match d {
            Decision::Apply { new, creates } => new.len() + usize::from(creates.is_some()),
            Decision::NeedFull | Decision::Forbidden => 0,
        })
        .sum();
    let mut next_seq = if row_count > 0 {
        tx.allocate_seqs(row_count as u64).await?
    } else {
        0
    };
    let mut acks = Vec::with_capacity(decisions.len());
    let mut new_cases = Vec::new();
    let mut rows = Vec::with_capacity(row_count);
    let mut touched = Vec::new();
    let mut pushed: Vec<(Uuid, u64)> = Vec::new();
    let at = unix_now();
    for (case_id, decision) in decisions {
        let (new, creates) = match decision {
            Decision::NeedFull => {
                stats.need_full += 1;
                acks.push(AckOutcome::NeedFull);
                continue;
            }
            Decision::Forbidden => {
                stats.forbidden += 1;
                acks.push(AckOutcome::Forbidden);
                continue;
            }
            Decision::Apply { new, creates } => (new, creates),
        };
        acks.push(AckOutcome::Applied);
        pushed.push((case_id, 0));
        stats.applied_changes += new.len();
        for change in &new {
            rows.push(LogRow {
                seq: next_seq,
                case_id,
                hash: change.hash(),
                actor: change.actor_id().to_bytes().to_vec(),
                actor_seq: change.seq(),
                authored_by: Some(device.device_id),
                bytes: changes::stored_bytes(change),
            });
            next_seq += 1;
        }
        match creates {
            Some(new_case) => {
                let mut doc = new_case.doc;
                let month = months
                    .next()
                    .ok_or_else(|| Error::internal("a new case without its month"))?;
                let running = next_number
                    .get_mut(&month)
                    .ok_or_else(|| Error::internal("a month without its numbers"))?;
                let number = numbering::format_number(&month, *running);
                *running += 1;
                let change = numbering::number_change(&mut doc, hq_actor, &number, now)?;
                rows.push(LogRow {
                    seq: next_seq,
                    case_id,
                    hash: change.hash(),
                    actor: hq_actor.to_bytes().to_vec(),
                    actor_seq: change.seq(),
                    authored_by: None,
                    bytes: changes::stored_bytes(&change),
                });
                new_cases.push(NewCase {
                    case_id,
                    number,
                    created_by: device.user.id,
                    created_device: Some(device.device_id),
                    routed_center: device.user.route_of_new_case(),
                    sync_seq: next_seq,
                    created_at: at,
                });
                next_seq += 1;
                stats.new_cases += 1;
            }
            None if !new.is_empty() => touched.push((case_id, next_seq - 1)),
            None => {}
        }
    }
    if !new_cases.is_empty() {
        tx.reserve_hq_actor(hq_actor.to_bytes()).await?;
    }
    tx.insert_cases(&new_cases).await?;
    tx.append(&rows).await?;
    tx.set_sync_seqs(&touched).await?;
    // Before the pulls: a case the device just pushed is one it holds, so it gets changes.
    tx.mark_held_by_device(device.device_id, &pushed).await?;
    Ok(Written {
        acks,
        stats,
        last_seq: (row_count > 0).then(|| next_seq - 1),
    })
}

/// Re-reads the device inside the transaction: a device revoked since the request was
/// authenticated is refused.
pub(crate) async fn authorised_device(tx: &mut dyn Tx, device_id: Uuid) -> Result<DeviceAuth> {
    match tx.device_by_id(device_id).await? {
        Some(device) if !device.revoked => Ok(device),
        _ => Err(Error::Unauthorized("the device is unknown or revoked")),
    }
}

/// Binds the request's actor on the device's first sync; refuses any other actor later, an
/// actor already bound to another device, and HQ's own actors (its changes would pass for HQ's).
pub(crate) async fn bind_actor(
    tx: &mut dyn Tx,
    device: &DeviceAuth,
    actor: &[u8],
    hq_actor: &ActorId,
) -> Result<()> {
    match &device.actor {
        Some(bound) if bound.as_slice() == actor => Ok(()),
        Some(_) => Err(Error::forbidden(
            "this device is bound to another automerge actor",
        )),
        None => {
            if actor == hq_actor.to_bytes() || tx.is_hq_actor(actor).await? {
                return Err(Error::forbidden("this automerge actor is HQ's own"));
            }
            if let Some(other) = tx.device_of_actor(actor).await?
                && other != device.device_id
            {
                return Err(Error::forbidden(
                    "this automerge actor is bound to another device",
                ));
            }
            if tx.bind_actor(device.device_id, actor).await? {
                tracing::info!(device = %device.device_id, "actor bound");
                return Ok(());
            }
            // Bound meanwhile by a concurrent first sync of the same device.
            match tx
                .device_by_id(device.device_id)
                .await?
                .and_then(|d| d.actor)
            {
                Some(bound) if bound.as_slice() == actor => Ok(()),
                _ => Err(Error::forbidden(
                    "this device is bound to another automerge actor",
                )),
            }
        }
    }
}

/// Which pushed changes, and which of their dependencies, HQ already holds.
async fn held_of(tx: &mut dyn Tx, pushes: &[PreparedPush]) -> Result<HashSet<(Uuid, ChangeHash)>> {
    let mut keys = HashSet::new();
    for push in pushes {
        for change in &push.changes {
            keys.insert((push.case_id, change.hash()));
            for dep in change.deps() {
                keys.insert((push.case_id, *dep));
            }
        }
    }
    let keys: Vec<(Uuid, ChangeHash)> = keys.into_iter().collect();
    tx.held(&keys).await
}

/// A change's place among its actor's changes to a case.
type ActorSeq = (Uuid, Vec<u8>, u64);

/// The hashes HQ holds at the (actor, sequence number) places the pushed changes take.
async fn numbered_of(
    tx: &mut dyn Tx,
    pushes: &[PreparedPush],
) -> Result<HashMap<ActorSeq, ChangeHash>> {
    let keys: Vec<ActorSeq> = pushes
        .iter()
        .flat_map(|p| {
            p.changes
                .iter()
                .map(|c| (p.case_id, c.actor_id().to_bytes().to_vec(), c.seq()))
        })
        .collect();
    tx.hashes_at(&keys).await
}

/// Spec steps 1-3 for one push, given what HQ holds.
fn decide(
    push: PreparedPush,
    cases: &HashMap<Uuid, CaseRow>,
    held: &HashSet<(Uuid, ChangeHash)>,
    numbered: &HashMap<ActorSeq, ChangeHash>,
    actor: &[u8],
) -> Result<Decision> {
    let case_id = push.case_id;
    let exists = cases.contains_key(&case_id);
    let mut accepted: HashSet<ChangeHash> = HashSet::new();
    let mut places: HashMap<u64, ChangeHash> = HashMap::new();
    let mut new = Vec::new();
    for change in push.changes {
        let hash = change.hash();
        if held.contains(&(case_id, hash)) || accepted.contains(&hash) {
            continue;
        }
        // Two changes of one actor with one sequence number: automerge would keep only one,
        // and the honest edits after it would never reach the devices that got the other.
        let place = (case_id, change.actor_id().to_bytes().to_vec(), change.seq());
        let taken = numbered
            .get(&place)
            .or_else(|| places.get(&change.seq()))
            .is_some_and(|other| *other != hash);
        if taken {
            return Err(Error::malformed(format!(
                "case {case_id}: change {} of this actor was already pushed with other content",
                change.seq()
            )));
        }
        places.insert(change.seq(), hash);
        // Field authority (fieldcore's table): a device may not write what only HQ writes.
        if let Some(key) = hq_owned_key(&change) {
            return Err(Error::forbidden(format!(
                "case {case_id}: a pushed change writes {key}, which only HQ writes"
            )));
        }
        if push.is_document && change.actor_id().to_bytes() != actor {
            return Err(Error::forbidden(format!(
                "case {case_id}: the document holds a change HQ lacks that this device did not author"
            )));
        }
        if change.deps().is_empty() && (exists || !new.is_empty()) {
            return Err(Error::malformed(format!(
                "case {case_id}: a second change creating the document"
            )));
        }
        if change
            .deps()
            .iter()
            .any(|d| !held.contains(&(case_id, *d)) && !accepted.contains(d))
        {
            return Ok(Decision::NeedFull);
        }
        accepted.insert(hash);
        new.push(change);
    }
    let creates = if exists {
        None
    } else {
        match push.new_case {
            Some(Ok(doc)) => Some(Box::new(doc)),
            Some(Err(reason)) => {
                return Err(Error::malformed(format!("case {case_id}: {reason}")));
            }
            // Unreachable in practice: an unknown case whose first change has dependencies
            // was answered NeedFull above.
            None => return Ok(Decision::NeedFull),
        }
    };
    Ok(Decision::Apply { new, creates })
}
