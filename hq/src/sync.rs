//! `POST /v1/sync`, HQ's side of docs/sync-protocol.md: authorise, try and store pushed
//! changes, number new cases, and pick what the device should pull — all in one transaction.
//!
//! The work is split in two. [`prepare`] is pure CPU (decoding and parsing automerge chunks,
//! building the documents of cases that may be new) and runs on the blocking pool, outside
//! any transaction. [`apply`] runs inside the storage transaction and does the checks that
//! need HQ's state, the writes and the pulls. Every pushed change is applied to HQ's copy of
//! its case ([`crate::documents`]) and the result read with the core's own checks before
//! anything is written: a push that would make its case unreadable, write a field its author
//! may not write, or grow the case past its size limit is refused for that case alone
//! (`Rejected`, with the reason), and the rest of the request applies. What refuses a whole
//! request (a bad token, another device's actor, too much work) comes before the first write,
//! and a refusal rolls the transaction back.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use std::sync::Arc;

use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};
use fieldcore::{
    self, AckOutcome, Author, CaseView, MAX_CASE_BYTES, PROTOCOL_VERSION, Payload, Policies,
    ReferenceData, RejectReason, Role, SyncRequest, SyncResponse,
};
use uuid::Uuid;

use crate::changes;
use crate::documents::{self, Documents, Held};
use crate::error::{Error, Result};
use crate::numbering;
use crate::state::{AppState, DocumentSources, Metrics, ValidationTimer};
use crate::storage::{CaseRow, DeviceAuth, LockMode, LogRow, NewCase, Span, Storage, Tx, unix_now};

/// The longest actor id HQ binds; automerge actors made by devices are 16 bytes.
const MAX_ACTOR_BYTES: usize = 64;

/// The most one case's pushed changes may take once inflated. Compressed chunks are bounded by
/// `MAX_CASE_BYTES` on the wire, but deflate packs a thousandfold; this bounds what HQ
/// inflates, stores and later sends for one push.
pub const MAX_CASE_INFLATED_BYTES: usize = 16 * 1024 * 1024;

/// The most a whole request's changes may take once inflated: the work one request may cause.
pub const MAX_REQUEST_INFLATED_BYTES: usize = 64 * 1024 * 1024;

/// The most stored history one request may make HQ load to try its pushes on (cases not in
/// memory are rebuilt from the log); pushes past it are answered `Later`. The first case is
/// always tried, so every request makes progress.
pub const MAX_REQUEST_LOAD_BYTES: u64 = 64 * 1024 * 1024;

/// The largest cursor or reference version a request may carry: what the databases store.
pub const MAX_SEQUENCE: u64 = i64::MAX as u64;

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
    // Sequence numbers and versions are stored as signed 64-bit integers; HQ never hands out
    // one above that, so a larger one is a client's error, not a database failure.
    if request.cursor > MAX_SEQUENCE {
        return Err(Error::malformed(format!(
            "the cursor {} is past any sequence number HQ gives (at most {MAX_SEQUENCE})",
            request.cursor
        )));
    }
    if request.reference_version > MAX_SEQUENCE {
        return Err(Error::malformed(format!(
            "the reference version {} is past any version HQ gives (at most {MAX_SEQUENCE})",
            request.reference_version
        )));
    }
    Ok(request)
}

/// What a request's transaction needs besides the request: HQ's actor and clock, the company's
/// time zone, the per-case size limit and the shared case documents.
#[derive(Clone)]
struct Context {
    hq_actor: ActorId,
    now: chrono::DateTime<chrono::FixedOffset>,
    time_zone: chrono_tz::Tz,
    case_limit_bytes: u64,
    documents: Arc<Documents>,
    metrics: Arc<Metrics>,
    /// The most bytes of change chunks one response carries.
    pull_budget: usize,
    /// The most stored history this request may load to try pushes on.
    load_budget_bytes: u64,
    state: AppState,
}

/// The whole exchange: prepare off the runtime, commit the pushes in one transaction and keep
/// the documents they changed for the next push, then read the pulls in a snapshot.
pub async fn run(
    state: &AppState,
    device: DeviceAuth,
    request: SyncRequest,
) -> Result<SyncResponse> {
    let started = Instant::now();
    let role = device.user.role;
    let context = Context {
        hq_actor: state.hq_actor().clone(),
        now: state.now(),
        time_zone: state.time_zone(),
        case_limit_bytes: state.case_limit_bytes(),
        documents: state.documents().clone(),
        metrics: state.metrics().clone(),
        pull_budget: state.pull_budget(),
        load_budget_bytes: state.load_budget_bytes(),
        state: state.clone(),
    };
    // Parsing, and trying the pushes on the cached documents, run on the blocking pool before
    // the transaction: the transaction serialises writers, and must not wait on this CPU work.
    let ahead = context.clone();
    let (prepared, tried) = tokio::task::spawn_blocking(move || {
        prepare(request, role).map(|prepared| {
            let tried = try_ahead(&prepared, &ahead);
            (prepared, tried)
        })
    })
    .await??;
    let prepare_ms = started.elapsed().as_millis() as u64;
    let device_id = device.device_id;
    let storage = state.storage();
    let Prepared {
        request_actor,
        role,
        cursor,
        reference_version,
        max_pull,
        want_full,
        pushes,
    } = prepared;
    let pull = PullRequest {
        device_id,
        request_actor: request_actor.clone(),
        hq_actor: context.hq_actor.clone(),
        want_full,
        cursor,
        max_pull,
        budget: context.pull_budget,
    };
    let (acks, mut stats, pulled, reference) = if pushes.is_empty() {
        // A pull-only request reads the log in a snapshot: it never waits for another
        // device's push, however long that push's transaction runs (ADR 0026).
        let (pulled, reference) = pulls_in_snapshot(storage, pull, None).await?;
        (Vec::new(), Stats::default(), pulled, reference)
    } else if storage.has_one_writer() {
        // SQLite: the pulls would take the one writer's lock again at once; they are read
        // in the pushes' transaction, after the writes.
        let (written, (pulled, reference)) = storage
            .transaction(move |tx| {
                Box::pin(async move {
                    let Pushed {
                        device,
                        reference,
                        written,
                    } = apply_pushes(tx, device_id, pushes, request_actor, role, tried, context)
                        .await?;
                    let pulls = apply_pulls(tx, pull, Some((device, reference))).await?;
                    Ok((written, pulls))
                })
            })
            .await?;
        cache_documents(state, written.documents);
        (written.acks, written.stats, pulled, reference)
    } else {
        // PostgreSQL: the pushes commit in a transaction of their own, which holds the log
        // lock only to append; the pulls then read a snapshot taken after that commit, which
        // holds the pushes and every other one committed before, so no writer waits for
        // them (ADR 0033).
        let Pushed {
            device,
            reference,
            written,
        } = storage
            .transaction(move |tx| {
                Box::pin(apply_pushes(
                    tx,
                    device_id,
                    pushes,
                    request_actor,
                    role,
                    tried,
                    context,
                ))
            })
            .await?;
        cache_documents(state, written.documents);
        let committed_reference = reference.clone();
        let known = Some((device, reference));
        let pulls = pulls_in_snapshot(storage, pull, known).await;
        let (pulled, reference) = match pulls {
            Ok(pulled) => pulled,
            // The pushes are committed: the device gets their acks, nothing to pull and its
            // cursor as it was, with `more`, so it asks again at once, and an error response
            // keeps meaning that nothing of the request was applied.
            Err(e) => {
                tracing::warn!(device = %device_id, error = %e, "sync: the pulls after the pushes failed");
                let nothing = crate::pulls::Pulled {
                    pulls: Vec::new(),
                    documents: Vec::new(),
                    cursor,
                    more: true,
                    bytes: 0,
                };
                (nothing, committed_reference)
            }
        };
        (written.acks, written.stats, pulled, reference)
    };
    let reference = reference.filter(|r| r.version > reference_version);
    stats.pull_bytes = pulled.bytes;
    tracing::info!(
        device = %device_id,
        pushes = stats.pushes,
        applied_changes = stats.applied_changes,
        need_full = stats.need_full,
        forbidden = stats.forbidden,
        rejected = stats.rejected,
        later = stats.later,
        archived = stats.archived,
        new_cases = stats.new_cases,
        pulls = pulled.pulls.len(),
        pull_bytes = stats.pull_bytes,
        cases_caught_up = stats.documents.caught_up,
        cases_rebuilt = stats.documents.rebuilt,
        more = pulled.more,
        cursor = pulled.cursor,
        prepare_ms,
        ms = started.elapsed().as_millis() as u64,
        "sync"
    );
    Ok(SyncResponse {
        version: PROTOCOL_VERSION,
        cursor: pulled.cursor,
        more: pulled.more,
        acks,
        pulls: pulled.pulls,
        reference,
    })
}

/// A push HQ refuses for its case alone, and why.
#[derive(Debug, Clone)]
pub struct Rejection {
    pub reason: RejectReason,
    pub detail: String,
}

impl Rejection {
    pub(crate) fn new(reason: RejectReason, detail: impl Into<String>) -> Rejection {
        Rejection {
            reason,
            detail: detail.into(),
        }
    }
}

/// A request after everything that needs no database: chunks parsed, actors checked.
pub struct Prepared {
    request_actor: Vec<u8>,
    role: Role,
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
    new_case: Option<std::result::Result<NewDocument, Rejection>>,
    /// Why the push is refused already, from its bytes alone.
    rejected: Option<Rejection>,
}

impl PreparedPush {
    fn rejected(case_id: Uuid, rejection: Rejection) -> PreparedPush {
        PreparedPush {
            case_id,
            is_document: false,
            changes: Vec::new(),
            new_case: None,
            rejected: Some(rejection),
        }
    }
}

/// Checks and parses a request; pure CPU, no database. A case whose payload is bad is
/// refused alone; only a request that is malformed as a whole, or would make HQ inflate more
/// than [`MAX_REQUEST_INFLATED_BYTES`], is refused whole.
pub fn prepare(request: SyncRequest, role: Role) -> Result<Prepared> {
    let mut seen = HashSet::with_capacity(request.pushes.len());
    for push in &request.pushes {
        if !seen.insert(push.case_id) {
            return Err(Error::malformed(format!(
                "case {} is pushed twice in one request",
                push.case_id
            )));
        }
    }
    // Inflated sizes first, each inflation bounded, before automerge inflates anything.
    let mut request_budget = MAX_REQUEST_INFLATED_BYTES;
    let mut too_large: HashMap<Uuid, Rejection> = HashMap::new();
    for push in &request.pushes {
        if push.payload.len() > MAX_CASE_BYTES {
            too_large.insert(
                push.case_id,
                Rejection::new(
                    RejectReason::TooLarge,
                    format!("the payload is over {MAX_CASE_BYTES} bytes"),
                ),
            );
            continue;
        }
        if let Payload::Changes(chunks) = &push.payload {
            let mut case_left = MAX_CASE_INFLATED_BYTES;
            for chunk in chunks {
                let limit = case_left.min(request_budget);
                match changes::inflated_len(chunk, limit) {
                    Ok(size) => {
                        case_left -= size;
                        request_budget -= size;
                    }
                    Err(Error::TooLarge(_)) if case_left <= request_budget => {
                        too_large.insert(
                            push.case_id,
                            Rejection::new(
                                RejectReason::TooLarge,
                                format!(
                                    "the changes inflate to over {MAX_CASE_INFLATED_BYTES} bytes"
                                ),
                            ),
                        );
                        break;
                    }
                    Err(Error::TooLarge(_)) => {
                        return Err(Error::TooLarge(format!(
                            "the request's changes inflate to over {MAX_REQUEST_INFLATED_BYTES} bytes"
                        )));
                    }
                    // Reported per case when the chunk is parsed below.
                    Err(_) => break,
                }
            }
        }
    }
    let actor = ActorId::from(request.actor.as_slice());
    let mut pushes = Vec::with_capacity(request.pushes.len());
    for push in request.pushes {
        let case_id = push.case_id;
        if let Some(rejection) = too_large.remove(&case_id) {
            pushes.push(PreparedPush::rejected(case_id, rejection));
            continue;
        }
        let malformed = |e: Error| match e {
            Error::Malformed(m) => Rejection::new(RejectReason::Malformed, m),
            other => Rejection::new(RejectReason::Malformed, other.to_string()),
        };
        let parsed =
            match push.payload {
                Payload::Changes(chunks) => changes::parse_changes(&chunks)
                    .map_err(malformed)
                    .and_then(|changes| {
                        // Spec, "What HQ does with pushes", 1: every pushed chunk is the device's
                        // (a ledger's first change, which every replica makes alike, aside).
                        let first = fieldcore::is_ledger_id(case_id)
                            .then(|| fieldcore::ledger_actor(case_id));
                        if changes
                            .iter()
                            .any(|c| c.actor_id() != &actor && Some(c.actor_id()) != first.as_ref())
                        {
                            return Err(Rejection::new(
                                RejectReason::NotPermitted,
                                "a pushed change is not authored by this device's actor",
                            ));
                        }
                        Ok((false, changes, None))
                    }),
                Payload::Document(bytes) => changes::load_document(&bytes)
                    .map_err(malformed)
                    .and_then(|doc| {
                        if !fieldcore::is_ledger_id(case_id)
                            && fieldcore::case_id_of(&doc) != Some(case_id)
                        {
                            return Err(Rejection::new(
                                RejectReason::Malformed,
                                "the document is of another case",
                            ));
                        }
                        Ok((true, doc.get_changes(&[]), Some(doc)))
                    }),
            };
        let (is_document, changes, loaded) = match parsed {
            Ok(parsed) => parsed,
            Err(rejection) => {
                pushes.push(PreparedPush::rejected(case_id, rejection));
                continue;
            }
        };
        let starts_document = changes.first().is_some_and(|c| c.deps().is_empty())
            && !fieldcore::is_ledger_id(case_id);
        let new_case = starts_document.then(|| new_case_document(case_id, &changes, loaded, role));
        pushes.push(PreparedPush {
            case_id,
            is_document,
            changes,
            new_case,
            rejected: None,
        });
    }
    Ok(Prepared {
        request_actor: request.actor,
        role,
        cursor: request.cursor,
        reference_version: request.reference_version,
        max_pull: request.max_pull,
        want_full: request.want_full,
        pushes,
    })
}

/// A new case's document, checked, with its view and when its complaint was received (its
/// number's month).
pub struct NewDocument {
    doc: Automerge,
    view: CaseView,
    received_at: chrono::DateTime<chrono::FixedOffset>,
}

/// The document a push would create, if HQ does not know the case: it must be complete, be
/// a case document every device can read, say it is this case, and write only what its
/// author may write.
fn new_case_document(
    case_id: Uuid,
    changes: &[Change],
    loaded: Option<Automerge>,
    role: Role,
) -> std::result::Result<NewDocument, Rejection> {
    let doc = match loaded {
        Some(doc) => doc,
        None => {
            let mut doc = Automerge::new();
            doc.apply_changes(changes.iter().cloned())
                .map_err(|_| Rejection::new(RejectReason::Malformed, "the changes do not apply"))?;
            if !doc.get_missing_deps(&[]).is_empty() {
                return Err(Rejection::new(
                    RejectReason::Malformed,
                    "the changes of a new case depend on changes not pushed",
                ));
            }
            doc
        }
    };
    for change in changes {
        fieldcore::check_change_authority(&doc, change, Author::Device(role))
            .map_err(|e| Rejection::new(RejectReason::NotPermitted, e))?;
    }
    // Read with the core's own checks, as every device will read it: a case without its
    // registration facts, or with content no device can read, never enters the log. The
    // policies do not decide whether a case reads; the view's derived dates are rebuilt with
    // HQ's policies by the read model.
    let view = fieldcore::check_case(&doc, case_id, &Policies::default())
        .map_err(|e| Rejection::new(RejectReason::Unreadable, e))?;
    Ok(NewDocument {
        received_at: view.registration.received_at,
        view,
        doc,
    })
}

#[derive(Default)]
struct Stats {
    pushes: usize,
    applied_changes: usize,
    need_full: usize,
    forbidden: usize,
    rejected: usize,
    later: usize,
    archived: usize,
    new_cases: usize,
    pull_bytes: usize,
    /// Where the pushed cases' documents came from ([`try_on_documents`]).
    documents: DocumentSources,
}

/// What a request's pushes came to once committed: the device as the transaction read it,
/// the company's reference data it checked them against, and what was written.
struct Pushed {
    device: DeviceAuth,
    reference: Option<ReferenceData>,
    written: Written,
}

/// What a request asks to receive (spec, "What HQ sends back"), and whose request it is.
struct PullRequest {
    device_id: Uuid,
    request_actor: Vec<u8>,
    hq_actor: ActorId,
    want_full: Vec<Uuid>,
    cursor: u64,
    max_pull: u32,
    /// The most bytes of change chunks the response carries.
    budget: usize,
}

/// What a push turned into once HQ's state was read.
enum Decision {
    NeedFull,
    Forbidden,
    /// Not tried in this request: loading its case would pass the request's load budget.
    Later,
    Rejected(Rejection),
    /// The case was archived (`crate::archive`): HQ takes nothing for it until it is restored.
    Archived,
    /// The changes HQ does not hold yet (empty for a replay), and for a new case its document.
    Apply {
        new: Vec<Change>,
        creates: Option<Box<NewDocument>>,
        /// For an existing case that changed: HQ's document with the changes applied.
        checked: Option<Box<(Held, CaseView)>>,
    },
}

/// Keeps the documents a committed transaction changed, which now match the log.
fn cache_documents(state: &AppState, documents: Vec<(Uuid, Held)>) {
    for (case_id, held) in documents {
        state.documents().put(case_id, held);
    }
}

/// A request's pushes inside their transaction: every check first, then the writes.
async fn apply_pushes(
    tx: &mut dyn Tx,
    device_id: Uuid,
    pushes: Vec<PreparedPush>,
    request_actor: Vec<u8>,
    role: Role,
    tried: HashMap<Uuid, Tried>,
    context: Context,
) -> Result<Pushed> {
    let device = authorised_device(tx, device_id).await?;
    // The pushed cases are locked first (and ledgers), so that everything below reads them
    // as they stay until the commit, and the log lock is taken only for the writes
    // (Tx::lock_cases, Tx::lock_log). Their rows are read once, under their locks.
    let ids: Vec<Uuid> = pushes.iter().map(|p| p.case_id).collect();
    tx.lock_cases(&ids).await?;
    let rows = tx.cases(&ids).await?;
    let locked: HashMap<Uuid, Option<u64>> = pushes
        .iter()
        .map(|p| (p.case_id, rows.get(&p.case_id).map(|row| row.sync_seq)))
        .collect();
    bind_actor(tx, &device, &request_actor, &context.hq_actor).await?;
    let reference = tx.reference().await?;
    let policies = context.state.policies(reference.as_ref());
    // Stock ledgers take their own path (crate::ledgers); the acks keep the request's order.
    let total = pushes.len();
    let mut case_order = Vec::with_capacity(total);
    let mut case_pushes = Vec::with_capacity(total);
    let mut ledger_pushes = Vec::new();
    for (index, push) in pushes.into_iter().enumerate() {
        if fieldcore::is_ledger_id(push.case_id) {
            ledger_pushes.push(crate::ledgers::LedgerPush {
                index,
                id: push.case_id,
                changes: push.changes,
                rejected: push.rejected,
            });
        } else {
            case_order.push(index);
            case_pushes.push(push);
        }
    }
    let decisions = check(tx, &device, case_pushes, &rows, &request_actor).await?;
    let (decisions, documents) =
        try_on_documents(tx, decisions, &rows, tried, role, &policies, &context).await?;
    let decisions = known_first_responders(tx, decisions).await?;
    // The read-model rows of the cases that exist already are written here, from the views
    // the checks built, under the cases' locks: the log lock's tail, which every other push
    // waits for, then only marks them with the sequence number (`write`).
    let views: Vec<(Uuid, &CaseView)> = decisions
        .iter()
        .filter_map(|(id, d)| match d {
            Decision::Apply {
                checked: Some(checked),
                ..
            } => Some((*id, &checked.1)),
            _ => None,
        })
        .collect();
    crate::read_model::upsert_views(tx, &views, &policies, context.time_zone).await?;
    stage_big_push(tx, &decisions).await?;
    tx.lock_log(LockMode::Exclusive).await?;
    if case_seqs(tx, &ids).await? != locked {
        // Only a batch escalation, raised in another sync's tail, writes a case it has not
        // locked; what this request read of that case is then not current.
        return Err(Error::Busy {
            what: "another request changed one of these cases meanwhile",
            retry_after_secs: 1,
        });
    }
    let mut written = write(tx, &device, decisions, &policies, &context).await?;
    written.stats.documents = documents;
    let ledgers = crate::ledgers::apply_pushes(
        tx,
        &device,
        &request_actor,
        ledger_pushes,
        &policies.parts,
        context.case_limit_bytes,
        &context.documents,
    )
    .await?;
    if !ledgers.acks.is_empty() {
        let mut acks: Vec<Option<AckOutcome>> = vec![None; total];
        for (index, ack) in case_order.into_iter().zip(written.acks.drain(..)) {
            acks[index] = Some(ack);
        }
        for (index, ack) in ledgers.acks {
            acks[index] = Some(ack);
        }
        written.acks = acks
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::internal("a push without its acknowledgement"))?;
        written.documents.extend(ledgers.documents);
    }
    Ok(Pushed {
        device,
        reference,
        written,
    })
}

/// [`apply_pulls`] in a transaction of its own ([`Storage::snapshot`]).
async fn pulls_in_snapshot(
    storage: &Storage,
    pull: PullRequest,
    known: Option<(DeviceAuth, Option<ReferenceData>)>,
) -> Result<(crate::pulls::Pulled, Option<ReferenceData>)> {
    storage
        .snapshot(move |tx| Box::pin(apply_pulls(tx, pull, known)))
        .await
}

/// A request's pulls, read in a snapshot of the log ([`LockMode::Snapshot`]), and the cases
/// the device holds from them on. `known` is the device and reference data the request's
/// pushes read already; without pushes they are read here, and the device's actor bound.
async fn apply_pulls(
    tx: &mut dyn Tx,
    pull: PullRequest,
    known: Option<(DeviceAuth, Option<ReferenceData>)>,
) -> Result<(crate::pulls::Pulled, Option<ReferenceData>)> {
    let (device, reference) = match known {
        Some(known) => known,
        None => {
            let device = authorised_device(tx, pull.device_id).await?;
            bind_actor(tx, &device, &pull.request_actor, &pull.hq_actor).await?;
            let reference = tx.reference().await?;
            (device, reference)
        }
    };
    let current = tx.lock_log(LockMode::Snapshot).await?;
    let pulled = crate::pulls::pulls(
        tx,
        &device,
        &pull.want_full,
        pull.cursor,
        pull.max_pull,
        current,
        pull.budget,
    )
    .await?;
    tx.mark_held_by_device(device.device_id, &pulled.documents)
        .await?;
    Ok((pulled, reference))
}

/// Each case's `sync_seq` (`None` for a case HQ does not hold).
async fn case_seqs(tx: &mut dyn Tx, ids: &[Uuid]) -> Result<HashMap<Uuid, Option<u64>>> {
    let rows = tx.cases(ids).await?;
    Ok(ids
        .iter()
        .map(|id| (*id, rows.get(id).map(|row| row.sync_seq)))
        .collect())
}

/// From how many bytes of new changes a request's are written before the log lock
/// ([`Tx::stage_bodies`]): below it, writing them with their log rows is quicker than a
/// second table, and keeps the log lock just as briefly.
const STAGE_FROM_BYTES: usize = 1024 * 1024;

/// Writes the bytes of a big push's new changes before the log lock, so the other writers
/// wait for its few log rows only, not for its megabytes.
async fn stage_big_push(tx: &mut dyn Tx, decisions: &[(Uuid, Decision)]) -> Result<()> {
    let bodies: Vec<(Uuid, ChangeHash, &[u8])> = decisions
        .iter()
        .filter_map(|(case_id, decision)| match decision {
            Decision::Apply { new, .. } => Some(
                new.iter()
                    .map(|change| (*case_id, change.hash(), changes::stored(change))),
            ),
            _ => None,
        })
        .flatten()
        .collect();
    if bodies
        .iter()
        .map(|(_, _, bytes)| bytes.len())
        .sum::<usize>()
        < STAGE_FROM_BYTES
    {
        return Ok(());
    }
    tx.stage_bodies(&bodies).await
}

/// Decides every push against HQ's state (access, what HQ holds), before anything is written.
async fn check(
    tx: &mut dyn Tx,
    device: &DeviceAuth,
    pushes: Vec<PreparedPush>,
    cases: &HashMap<Uuid, CaseRow>,
    actor: &[u8],
) -> Result<Vec<(Uuid, Decision)>> {
    let held = held_of(tx, &pushes).await?;
    let numbered = numbered_of(tx, &pushes).await?;
    // An archived case has no row, so it would read as new: its tombstone answers instead,
    // and a push of its whole document never creates it a second time.
    let without_row: Vec<Uuid> = pushes
        .iter()
        .map(|p| p.case_id)
        .filter(|id| !cases.contains_key(id))
        .collect();
    let archived = tx.tombstones(&without_row).await?;
    let mut decisions = Vec::with_capacity(pushes.len());
    for push in pushes {
        let case_id = push.case_id;
        // A case the user may not write is refused on its own (spec, "What HQ does with
        // pushes", 2): one re-routed case must not hold back the device's work on the others.
        let decision = match cases.get(&case_id) {
            None if archived.contains(&case_id) => {
                tracing::debug!(device = %device.device_id, case = %case_id, "push refused: the case is archived");
                Decision::Archived
            }
            Some(case) if !device.user.may_access(case) => {
                tracing::debug!(device = %device.device_id, case = %case_id, "push refused: no write access");
                Decision::Forbidden
            }
            _ => decide(push, cases, &held, &numbered, actor),
        };
        if let Decision::Rejected(r) = &decision {
            tracing::debug!(device = %device.device_id, case = %case_id, reason = r.reason.as_str(), detail = %r.detail, "push rejected");
        }
        decisions.push((case_id, decision));
    }
    Ok(decisions)
}

/// Applies each accepted push to HQ's document of its case and reads the result the way the
/// devices will; a push that would break its case is turned into a rejection.
///
/// A document comes, cheapest first: tried before the transaction on a copy the case has not
/// moved from; from the cache as it is; caught up from a copy that is behind (another
/// instance wrote the case since: the changes logged since are applied, and a push tried on
/// the older copy is checked again on the result); rebuilt from the whole log.
async fn try_on_documents(
    tx: &mut dyn Tx,
    decisions: Vec<(Uuid, Decision)>,
    rows: &HashMap<Uuid, CaseRow>,
    mut tried: HashMap<Uuid, Tried>,
    role: Role,
    policies: &Arc<Policies>,
    context: &Context,
) -> Result<(Vec<(Uuid, Decision)>, DocumentSources)> {
    let changed: Vec<Uuid> = decisions
        .iter()
        .filter_map(|(id, d)| match d {
            Decision::Apply {
                new, creates: None, ..
            } if !new.is_empty() => Some(*id),
            _ => None,
        })
        .collect();
    if changed.is_empty() {
        return Ok((decisions, DocumentSources::default()));
    }
    let seq_of = |id: &Uuid| rows.get(id).map(|r| r.sync_seq).unwrap_or_default();
    // What was tried before the transaction stands if nothing moved since: the same state of
    // the case, the same new changes, the same policies. Tried on a copy that is behind, it is
    // caught up below and checked again.
    let mut done: HashMap<Uuid, std::result::Result<(Held, CaseView), Rejection>> = HashMap::new();
    let mut tried_behind: HashMap<Uuid, (Held, Vec<ChangeHash>)> = HashMap::new();
    for (id, decision) in &decisions {
        let (Some(t), Decision::Apply { new, .. }) = (tried.remove(id), decision) else {
            continue;
        };
        let same_changes =
            t.new.len() == new.len() && new.iter().zip(&t.new).all(|(c, h)| c.hash() == *h);
        if !same_changes || !Arc::ptr_eq(&t.policies, policies) {
            continue;
        }
        match t.outcome {
            outcome if t.seq == seq_of(id) => {
                done.insert(*id, outcome);
            }
            Ok((held, _)) if t.seq < seq_of(id) => {
                tried_behind.insert(*id, (held, t.before));
            }
            // A refusal on an older copy may not hold now: the case is tried again below.
            _ => {}
        }
    }
    let mut docs: HashMap<Uuid, Held> = HashMap::with_capacity(changed.len());
    let mut cached_behind: HashMap<Uuid, Held> = HashMap::new();
    let mut missing = Vec::new();
    for id in &changed {
        if done.contains_key(id) || tried_behind.contains_key(id) {
            continue;
        }
        let seq = seq_of(id);
        match context.documents.take(*id) {
            Some(held) if held.seq == seq => {
                docs.insert(*id, held);
            }
            Some(held) if held.seq < seq => {
                cached_behind.insert(*id, held);
            }
            _ => missing.push(*id),
        }
    }
    // What this request may load is budgeted: copies behind are caught up first, in one
    // statement that reads the changes only of those that fit; then cases are rebuilt as far
    // as the rest goes, by the log's size column. A case past the budget waits for a later
    // request; the first always goes, so every request makes progress.
    let mut budget = context.load_budget_bytes;
    let mut deferred: HashSet<Uuid> = HashSet::new();
    let behind: Vec<Span> = tried_behind
        .iter()
        .map(|(id, (held, _))| documents::since(*id, held.seq, seq_of(id)))
        .chain(
            cached_behind
                .iter()
                .map(|(id, held)| documents::since(*id, held.seq, seq_of(id))),
        )
        .collect();
    let first_fits = done.is_empty() && docs.is_empty();
    let loads = if behind.is_empty() {
        Vec::new()
    } else {
        tx.span_changes_within(&behind, budget, first_fits).await?
    };
    let mut caught = Vec::with_capacity(loads.len());
    for load in loads {
        let id = load.case_id;
        let Some(chunks) = load.chunks else {
            deferred.insert(id);
            // Unchanged, so still good for a later request; a copy the push was tried on
            // holds changes the log does not, and is dropped.
            if let Some(held) = cached_behind.remove(&id) {
                context.documents.put(id, held);
            }
            continue;
        };
        budget = budget.saturating_sub(load.total.bytes);
        caught.push((id, chunks, load.total.bytes, seq_of(&id)));
    }
    let sizes = if missing.is_empty() {
        HashMap::new()
    } else {
        tx.history_sizes(&missing).await?
    };
    let nothing_yet = caught.is_empty() && done.is_empty() && docs.is_empty();
    let mut admitted = Vec::with_capacity(missing.len());
    for id in missing {
        let size = sizes.get(&id).copied().unwrap_or_default();
        if size <= budget || (nothing_yet && admitted.is_empty()) {
            budget = budget.saturating_sub(size);
            admitted.push((id, seq_of(&id)));
        } else {
            deferred.insert(id);
        }
    }
    let histories = if admitted.is_empty() {
        HashMap::new()
    } else {
        let ids: Vec<Uuid> = admitted.iter().map(|(id, _)| *id).collect();
        tx.histories(&ids).await?
    };
    let sources = DocumentSources {
        current: (changed.len() - deferred.len() - caught.len() - admitted.len()) as u64,
        caught_up: caught.len() as u64,
        rebuilt: admitted.len() as u64,
    };
    context.metrics.record_documents(sources);
    // The rest is CPU work (applying changes, reading cases): off the runtime's workers, which
    // every other request's statements need, the holder of the log lock's among them.
    let (policies, context) = (policies.clone(), context.clone());
    tokio::task::spawn_blocking(move || {
        docs.extend(documents::build(histories, &admitted)?);
        for (id, chunks, bytes, seq) in caught {
            let logged = documents::Logged::parse(id, chunks, bytes)?;
            if let Some(mut held) = cached_behind.remove(&id) {
                held.catch_up(id, logged, seq)?;
                docs.insert(id, held);
            } else if let Some((mut held, before)) = tried_behind.remove(&id) {
                let before = logged.heads_after(&before);
                held.catch_up(id, logged, seq)?;
                let new = decisions.iter().find_map(|(case_id, d)| match d {
                    Decision::Apply { new, .. } if *case_id == id => Some(new.as_slice()),
                    _ => None,
                });
                let new = new.ok_or_else(|| Error::internal(format!("case {id}: no push")))?;
                let timer = ValidationTimer::start();
                let checked = check_applied(held, id, new, &before, role, &policies, &context);
                context.metrics.record_validation(timer, new.len());
                done.insert(id, checked);
            }
        }
        decide_on_documents(decisions, done, docs, &deferred, role, &policies, &context)
            .map(|decisions| (decisions, sources))
    })
    .await?
}

/// Each accepted push of an existing case, decided on its case's document: the outcome tried
/// already (`done`), or tried now on the document (`docs`), or left for later (`deferred`).
fn decide_on_documents(
    decisions: Vec<(Uuid, Decision)>,
    mut done: HashMap<Uuid, std::result::Result<(Held, CaseView), Rejection>>,
    mut docs: HashMap<Uuid, Held>,
    deferred: &HashSet<Uuid>,
    role: Role,
    policies: &Policies,
    context: &Context,
) -> Result<Vec<(Uuid, Decision)>> {
    let mut out = Vec::with_capacity(decisions.len());
    for (case_id, decision) in decisions {
        let decision = match decision {
            Decision::Apply {
                new,
                creates: None,
                checked: None,
            } if done.contains_key(&case_id) => match done.remove(&case_id) {
                Some(Ok(checked)) => Decision::Apply {
                    new,
                    creates: None,
                    checked: Some(Box::new(checked)),
                },
                Some(Err(rejection)) => {
                    tracing::debug!(case = %case_id, reason = rejection.reason.as_str(), detail = %rejection.detail, "push rejected");
                    Decision::Rejected(rejection)
                }
                None => return Err(Error::internal(format!("case {case_id}: tried twice"))),
            },
            Decision::Apply {
                new,
                creates: None,
                checked: None,
            } if !new.is_empty() && deferred.contains(&case_id) => Decision::Later,
            Decision::Apply {
                new,
                creates: None,
                checked: None,
            } if !new.is_empty() => match docs.remove(&case_id) {
                Some(held) => {
                    let timer = ValidationTimer::start();
                    let tried = try_push(held, case_id, &new, role, policies, context);
                    context.metrics.record_validation(timer, new.len());
                    match tried {
                        Ok(checked) => Decision::Apply {
                            new,
                            creates: None,
                            checked: Some(Box::new(checked)),
                        },
                        Err(rejection) => {
                            tracing::debug!(case = %case_id, reason = rejection.reason.as_str(), detail = %rejection.detail, "push rejected");
                            Decision::Rejected(rejection)
                        }
                    }
                }
                None => return Err(Error::internal(format!("case {case_id}: no document"))),
            },
            other => other,
        };
        out.push((case_id, decision));
    }
    Ok(out)
}

/// The first responder (首问责任人) is an HQ user: a push that registers a case with a
/// `first_responder_id`, or writes one (a handover), is rejected unless HQ has that user.
/// Devices cannot check this offline (they do not hold HQ's user list), so HQ does; a case
/// whose first responder is free text (older cases, no id) is not touched.
async fn known_first_responders(
    tx: &mut dyn Tx,
    decisions: Vec<(Uuid, Decision)>,
) -> Result<Vec<(Uuid, Decision)>> {
    let named = |decision: &Decision| -> Option<i64> {
        match decision {
            Decision::Apply {
                creates: Some(new), ..
            } => new.view.registration.first_responder_id,
            Decision::Apply {
                new,
                checked: Some(checked),
                ..
            } => {
                let (held, view) = checked.as_ref();
                let writes_it = new.iter().any(|change| {
                    fieldcore::fields_written(&held.doc, change).is_ok_and(|fields| {
                        fields.iter().any(|(root, key)| {
                            root == "facts" && key.as_deref() == Some(FIRST_RESPONDER_ID)
                        })
                    })
                });
                writes_it
                    .then_some(view.registration.first_responder_id)
                    .flatten()
            }
            _ => None,
        }
    };
    let ids: Vec<i64> = decisions.iter().filter_map(|(_, d)| named(d)).collect();
    if ids.is_empty() {
        return Ok(decisions);
    }
    let users = tx.users_by_id(&ids).await?;
    Ok(decisions
        .into_iter()
        .map(|(case_id, decision)| match named(&decision) {
            Some(id) if !users.contains_key(&id) => {
                let rejection = Rejection::new(
                    RejectReason::NotPermitted,
                    format!("the first responder {FIRST_RESPONDER_ID} {id} is not an HQ user"),
                );
                tracing::debug!(case = %case_id, reason = rejection.reason.as_str(), detail = %rejection.detail, "push rejected");
                (case_id, Decision::Rejected(rejection))
            }
            _ => (case_id, decision),
        })
        .collect())
}

const FIRST_RESPONDER_ID: &str = "first_responder_id";

/// A push tried on HQ's cached copy of its case before the transaction.
struct Tried {
    /// The case's `sync_seq` the copy reflected.
    seq: u64,
    /// The copy's heads before the push.
    before: Vec<ChangeHash>,
    /// The pushed changes that were new to the copy, in push order.
    new: Vec<ChangeHash>,
    /// The policies the case was read with.
    policies: Arc<Policies>,
    outcome: std::result::Result<(Held, CaseView), Rejection>,
}

/// Tries, off the transaction, every push to a case whose document HQ has in memory: the
/// transaction keeps the result if the case has not moved since (almost always), so the
/// serialised part of a sync does no document work for them. A push this cannot judge alone
/// (a new case, a whole document, changes whose dependencies the copy lacks) is left to the
/// transaction.
///
/// A request of thousands of pushes (a phone back after days without signal) is tried on every
/// core, in contiguous shares of at least [`PUSHES_PER_TRY_THREAD`]: each push's case is its
/// own document, so the shares share nothing but the cache, and the request's wait before its
/// transaction shrinks by the cores' count.
fn try_ahead(prepared: &Prepared, context: &Context) -> HashMap<Uuid, Tried> {
    let policies = context.state.latest_policies();
    let pushes = &prepared.pushes;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(pushes.len() / PUSHES_PER_TRY_THREAD)
        .max(1);
    if threads == 1 {
        return try_share(pushes, prepared.role, &policies, context);
    }
    let share = pushes.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let running: Vec<_> = pushes
            .chunks(share)
            .map(|pushes| scope.spawn(|| try_share(pushes, prepared.role, &policies, context)))
            .collect();
        let mut tried = HashMap::with_capacity(pushes.len());
        for share in running {
            // A panic in a share is the request's panic, as it would be on one thread: the
            // blocking task that runs this turns it into the request's error.
            tried.extend(
                share
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            );
        }
        tried
    })
}

/// The fewest pushes [`try_ahead`] gives a thread of its own: below it, starting the thread
/// costs about as much as trying the pushes (a push is tried in about 0.1–0.3 ms).
const PUSHES_PER_TRY_THREAD: usize = 64;

/// [`try_ahead`] on one thread, for `pushes`.
fn try_share(
    pushes: &[PreparedPush],
    role: Role,
    policies: &Arc<Policies>,
    context: &Context,
) -> HashMap<Uuid, Tried> {
    let mut tried = HashMap::new();
    for push in pushes {
        if push.rejected.is_some()
            || push.new_case.is_some()
            || push.is_document
            || fieldcore::is_ledger_id(push.case_id)
        {
            continue;
        }
        let Some(held) = context.documents.take(push.case_id) else {
            continue;
        };
        let mut known: HashSet<ChangeHash> = HashSet::new();
        let mut new = Vec::new();
        let mut complete = true;
        for change in &push.changes {
            let hash = change.hash();
            if held.doc.get_change_by_hash(&hash).is_some() || known.contains(&hash) {
                continue;
            }
            if change
                .deps()
                .iter()
                .any(|d| held.doc.get_change_by_hash(d).is_none() && !known.contains(d))
            {
                complete = false;
                break;
            }
            known.insert(hash);
            new.push(change.clone());
        }
        if !complete || new.is_empty() {
            context.documents.put(push.case_id, held);
            continue;
        }
        let seq = held.seq;
        let before = held.doc.get_heads();
        let timer = ValidationTimer::start();
        let outcome = try_push(held, push.case_id, &new, role, policies, context);
        context.metrics.record_validation(timer, new.len());
        tried.insert(
            push.case_id,
            Tried {
                seq,
                before,
                new: new.iter().map(Change::hash).collect(),
                policies: policies.clone(),
                outcome,
            },
        );
    }
    tried
}

/// One case's push tried on HQ's document: size, then the changes applied, each change's
/// fields against the author's role, then the whole case read as a device reads it.
fn try_push(
    mut held: Held,
    case_id: Uuid,
    new: &[Change],
    role: Role,
    policies: &Policies,
    context: &Context,
) -> std::result::Result<(Held, CaseView), Rejection> {
    let added: u64 = new.iter().map(|c| c.raw_bytes().len() as u64).sum();
    if held.bytes + added > context.case_limit_bytes {
        let rejection = too_large(held.bytes + added, context.case_limit_bytes);
        // Untouched: the document goes back as it was.
        context.documents.put(case_id, held);
        return Err(rejection);
    }
    // From here on a refusal drops the document: it is rebuilt from the log next time.
    let before = held.doc.get_heads();
    held.doc.apply_changes(new.iter().cloned()).map_err(|e| {
        Rejection::new(
            RejectReason::Malformed,
            format!("the changes do not apply: {e}"),
        )
    })?;
    held.bytes += added;
    check_applied(held, case_id, new, &before, role, policies, context)
}

fn too_large(bytes: u64, limit: u64) -> Rejection {
    Rejection::new(
        RejectReason::TooLarge,
        format!("the case would take {bytes} bytes, over HQ's limit of {limit} per case"),
    )
}

/// The checks of a push whose changes `new` are applied to `held`, whose heads without them
/// were `before`: the case's size, each change's fields against the author's role, then the
/// whole case read as a device reads it. Also how a push tried before the transaction on a
/// copy that was behind is checked again, once that copy is caught up with the log.
fn check_applied(
    held: Held,
    case_id: Uuid,
    new: &[Change],
    before: &[ChangeHash],
    role: Role,
    policies: &Policies,
    context: &Context,
) -> std::result::Result<(Held, CaseView), Rejection> {
    if held.bytes > context.case_limit_bytes {
        return Err(too_large(held.bytes, context.case_limit_bytes));
    }
    for change in new {
        fieldcore::check_change_authority(&held.doc, change, Author::Device(role))
            .map_err(|e| Rejection::new(RejectReason::NotPermitted, e))?;
    }
    let unreadable = |e: fieldcore::CheckError| Rejection::new(RejectReason::Unreadable, e);
    let view = fieldcore::read_case(&held.doc, case_id, policies).map_err(unreadable)?;
    if !view.unknown.is_empty() {
        // HQ refuses content it does not know that a push brings; content it already holds
        // (stored by a newer HQ before a downgrade) must not stop every later push.
        let held_before = held
            .doc
            .fork_at(before)
            .ok()
            .and_then(|doc| fieldcore::build_view(&doc, case_id, policies).ok())
            .map(|v| v.unknown)
            .unwrap_or_default();
        let brought: Vec<_> = view
            .unknown
            .iter()
            .filter(|u| !held_before.contains(u))
            .cloned()
            .collect();
        if !brought.is_empty() {
            return Err(unreadable(fieldcore::CheckError::UnknownContent(brought)));
        }
    }
    Ok((held, view))
}

/// What the writes of one request did.
struct Written {
    acks: Vec<AckOutcome>,
    stats: Stats,
    documents: Vec<(Uuid, Held)>,
}

/// Appends the accepted changes, numbers new cases (with HQ's own change) and records which
/// cases the device now holds.
async fn write(
    tx: &mut dyn Tx,
    device: &DeviceAuth,
    decisions: Vec<(Uuid, Decision)>,
    policies: &Policies,
    context: &Context,
) -> Result<Written> {
    let mut stats = Stats {
        pushes: decisions.len(),
        applied_changes: 0,
        need_full: 0,
        forbidden: 0,
        rejected: 0,
        later: 0,
        archived: 0,
        new_cases: 0,
        pull_bytes: 0,
        documents: DocumentSources::default(),
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
            let month =
                numbering::month_of(&new_case.received_at.with_timezone(&context.time_zone));
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
            Decision::Apply { new, creates, .. } => new.len() + usize::from(creates.is_some()),
            Decision::NeedFull
            | Decision::Forbidden
            | Decision::Later
            | Decision::Archived
            | Decision::Rejected(_) => 0,
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
    let mut documents = Vec::new();
    let mut views: Vec<(Uuid, CaseView)> = Vec::new();
    // The cases whose read-model rows `apply` wrote before the log lock, with their new seq.
    let mut viewed_ahead: Vec<(Uuid, u64)> = Vec::new();
    let at = unix_now();
    for (case_id, decision) in decisions {
        let (new, creates, checked) = match decision {
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
            Decision::Later => {
                stats.later += 1;
                acks.push(AckOutcome::Later);
                continue;
            }
            Decision::Archived => {
                stats.archived += 1;
                acks.push(AckOutcome::Archived);
                continue;
            }
            Decision::Rejected(rejection) => {
                stats.rejected += 1;
                acks.push(AckOutcome::Rejected {
                    reason: rejection.reason,
                    detail: rejection.detail,
                });
                continue;
            }
            Decision::Apply {
                new,
                creates,
                checked,
            } => (new, creates, checked),
        };
        acks.push(AckOutcome::Applied);
        pushed.push((case_id, 0));
        stats.applied_changes += new.len();
        let mut added: u64 = 0;
        for change in &new {
            let bytes = changes::stored_bytes(change);
            added += bytes.len() as u64;
            rows.push(LogRow {
                seq: next_seq,
                case_id,
                hash: change.hash(),
                actor: change.actor_id().to_bytes().to_vec(),
                actor_seq: change.seq(),
                authored_by: Some(device.device_id),
                bytes,
            });
            next_seq += 1;
        }
        match (creates, checked) {
            (Some(new_case), _) => {
                let NewDocument {
                    mut doc, mut view, ..
                } = *new_case;
                // The number change below stamps HQ's acceptance; the read model counts the
                // closing deadline from it at once.
                view.accepted_at = Some(context.now);
                views.push((case_id, view));
                let month = months
                    .next()
                    .ok_or_else(|| Error::internal("a new case without its month"))?;
                let running = next_number
                    .get_mut(&month)
                    .ok_or_else(|| Error::internal("a month without its numbers"))?;
                let number = numbering::format_number(&month, *running);
                *running += 1;
                let change =
                    numbering::number_change(&mut doc, &context.hq_actor, &number, &context.now)?;
                let bytes = changes::stored_bytes(&change);
                added += bytes.len() as u64;
                rows.push(LogRow {
                    seq: next_seq,
                    case_id,
                    hash: change.hash(),
                    actor: context.hq_actor.to_bytes().to_vec(),
                    actor_seq: change.seq(),
                    authored_by: None,
                    bytes,
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
                documents.push((
                    case_id,
                    Held {
                        doc,
                        seq: next_seq,
                        bytes: added,
                    },
                ));
                next_seq += 1;
                stats.new_cases += 1;
            }
            (None, Some(checked)) => {
                let (mut held, view) = *checked;
                views.push((case_id, view));
                viewed_ahead.push((case_id, next_seq - 1));
                held.seq = next_seq - 1;
                touched.push((case_id, next_seq - 1));
                documents.push((case_id, held));
            }
            (None, None) if !new.is_empty() => touched.push((case_id, next_seq - 1)),
            (None, None) => {}
        }
    }
    if !new_cases.is_empty() {
        tx.reserve_hq_actor(context.hq_actor.to_bytes()).await?;
    }
    tx.insert_cases(&new_cases).await?;
    tx.append(&rows).await?;
    tx.set_sync_seqs(&touched).await?;
    // Before the pulls: a case the device just pushed is one it holds, so it gets changes.
    tx.mark_held_by_device(device.device_id, &pushed).await?;
    // The read model follows in the same transaction, from the views the checks built: the
    // rows of new cases (numbered just now) here, the others' before the log lock.
    tx.set_read_model_seqs(&viewed_ahead).await?;
    let ahead: HashSet<Uuid> = viewed_ahead.iter().map(|(id, _)| *id).collect();
    let new_views: Vec<(Uuid, &CaseView)> = views
        .iter()
        .filter(|(id, _)| !ahead.contains(id))
        .map(|(id, v)| (*id, v))
        .collect();
    crate::read_model::upsert_views(tx, &new_views, policies, context.time_zone).await?;
    let views: Vec<(Uuid, &CaseView)> = views.iter().map(|(id, v)| (*id, v)).collect();
    // Escalations follow in the same transaction: what this sync stored may raise one, and its
    // entries go out to the devices with this very response's pulls.
    let mut entries =
        crate::escalation::raise_for_views(tx, &views, policies, &context.now).await?;
    let escalated: Vec<Uuid> = entries.iter().map(|e| e.case_id).collect();
    // A case registered before returns existed gets their containers from HQ, the one writer
    // that cannot race itself, so its devices can record returns once they pull them.
    entries.extend(
        views
            .iter()
            .filter(|(_, view)| !view.has_returns)
            .map(|(id, _)| crate::escalation::HqEntry::return_containers(*id)),
    );
    crate::escalation::write_entries(tx, &context.hq_actor, &context.now, entries, &mut documents)
        .await?;
    crate::read_model::refresh_cases(tx, &escalated, context.time_zone).await?;
    Ok(Written {
        acks,
        stats,
        documents,
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
            if actor == hq_actor.to_bytes()
                || fieldcore::is_ledger_actor(actor)
                || tx.is_hq_actor(actor).await?
            {
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
) -> Decision {
    let case_id = push.case_id;
    if let Some(rejection) = push.rejected {
        return Decision::Rejected(rejection);
    }
    let exists = cases.contains_key(&case_id);
    let mut accepted: HashSet<ChangeHash> = HashSet::new();
    let mut places: HashMap<u64, ChangeHash> = HashMap::new();
    let mut new = Vec::new();
    let malformed =
        |detail: String| Decision::Rejected(Rejection::new(RejectReason::Malformed, detail));
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
            return malformed(format!(
                "change {} of this actor was already pushed with other content",
                change.seq()
            ));
        }
        places.insert(change.seq(), hash);
        if push.is_document && change.actor_id().to_bytes() != actor {
            return Decision::Rejected(Rejection::new(
                RejectReason::NotPermitted,
                "the document holds a change HQ lacks that this device did not author",
            ));
        }
        if change.deps().is_empty() && (exists || !new.is_empty()) {
            return malformed("a second change creating the document".into());
        }
        if change
            .deps()
            .iter()
            .any(|d| !held.contains(&(case_id, *d)) && !accepted.contains(d))
        {
            return Decision::NeedFull;
        }
        accepted.insert(hash);
        new.push(change);
    }
    let creates = if exists {
        None
    } else {
        match push.new_case {
            Some(Ok(doc)) => Some(Box::new(doc)),
            Some(Err(rejection)) => return Decision::Rejected(rejection),
            // Unreachable in practice: an unknown case whose first change has dependencies
            // was answered NeedFull above.
            None => return Decision::NeedFull,
        }
    };
    Decision::Apply {
        new,
        creates,
        checked: None,
    }
}
