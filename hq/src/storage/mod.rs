//! HQ's storage: one abstraction, two backends.
//!
//! [`Tx`] is the set of reads and writes HQ's logic needs inside one database transaction;
//! the sync, admin and naive-sync logic is written once against `&mut dyn Tx`. [`Storage`]
//! opens a transaction on the configured backend, runs that logic in it, and commits only if
//! it returned `Ok` — so a request applies entirely or not at all:
//! - [`sqlite`]: an embedded SQLite file in the data folder (the default). One writer
//!   connection; the transaction runs on a blocking thread, never on the async runtime.
//! - [`postgres`]: PostgreSQL through a deadpool of tokio-postgres connections, for
//!   deployments with several HQ nodes over one database.
//!
//! How both keep the global sequence gap-free and commit-ordered is explained on
//! [`Tx::lock_log`]; how writers of different cases avoid waiting for each other, on
//! [`Tx::lock_cases`].

pub mod postgres;
pub mod sqlite;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use automerge::ChangeHash;
use fieldcore::ReferenceData;
use uuid::Uuid;

use crate::access::{Role, Scope, User};
use crate::error::Result;

/// A boxed future borrowing the transaction, as the [`Storage::transaction`] closure returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where HQ keeps its database.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// The data folder: `hq.db` (SQLite) and the blob folder live here.
    pub data_dir: PathBuf,
    /// A PostgreSQL connection string (`postgres://...` or `host=... dbname=...`); when set,
    /// the database is PostgreSQL and the data folder holds only blobs.
    pub database_url: Option<String>,
    /// Connections this process keeps to PostgreSQL at most
    /// ([`DEFAULT_DATABASE_CONNECTIONS`]); SQLite ignores it. With several instances on one
    /// database, each takes its share of what the database serves well (docs/operations.md).
    pub database_connections: usize,
}

/// Connections to PostgreSQL an HQ process keeps at most unless configured otherwise.
pub const DEFAULT_DATABASE_CONNECTIONS: usize = 16;

/// How a PostgreSQL HQ's connections are used at a moment: for monitoring and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionUse {
    /// Connections open (idle or in a transaction).
    pub open: usize,
    /// The most this process opens.
    pub max: usize,
    /// Requests waiting for a connection because all `max` are in use.
    pub waiting: usize,
}

/// How a transaction takes the log lock (see [`Tx::lock_log`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// The transaction may allocate sequence numbers.
    Exclusive,
    /// The transaction only reads the log, but needs a stable view of it.
    Shared,
    /// The transaction runs in [`Storage::snapshot`] and only reads the log: its snapshot is
    /// the stable view, so it takes no lock and never waits for a writer.
    Snapshot,
}

/// A device as authentication and the sync see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    pub device_id: Uuid,
    pub user: User,
    /// The automerge actor bound at the first sync.
    pub actor: Option<Vec<u8>>,
    pub revoked: bool,
}

/// A device for `fieldhq device list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub device_id: Uuid,
    pub user: String,
    pub label: Option<String>,
    pub actor: Option<Vec<u8>>,
    pub revoked: bool,
    pub created_at: i64,
}

/// A new device row; the token itself is never stored.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub device_id: Uuid,
    pub user_id: i64,
    pub label: Option<String>,
    pub token_hash: [u8; 32],
    pub created_at: i64,
}

/// What HQ knows about a case besides its changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub case_id: Uuid,
    pub number: Option<String>,
    pub created_by: i64,
    pub assigned_engineer: Option<i64>,
    pub routed_center: Option<String>,
    /// The highest sequence number that touched the case (a change or an assignment).
    pub sync_seq: u64,
}

/// A case for `fieldhq case list`, with names instead of ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseInfo {
    pub case_id: Uuid,
    pub number: Option<String>,
    pub created_by: String,
    pub assigned_engineer: Option<String>,
    pub routed_center: Option<String>,
    pub sync_seq: u64,
    pub changes: u64,
}

/// A new case row, written by the push that first brings it.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub case_id: Uuid,
    pub number: String,
    pub created_by: i64,
    pub created_device: Option<Uuid>,
    pub routed_center: Option<String>,
    pub sync_seq: u64,
    pub created_at: i64,
}

/// A stock ledger new to HQ: its row among the documents (kind `ledger`, named
/// `"<holder> <quarter>"`, routed or assigned to its holder for the pull rules) and its row in
/// the read model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLedger {
    pub ledger_id: Uuid,
    pub holder: String,
    pub quarter: String,
    pub created_by: i64,
    pub created_device: Option<Uuid>,
    pub routed_center: Option<String>,
    pub assigned_engineer: Option<i64>,
    pub sync_seq: u64,
    pub created_at: i64,
}

/// A ledger in the read model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LedgerInfo {
    pub ledger_id: Uuid,
    pub holder: String,
    pub quarter: String,
    /// Unix seconds of the approved write-off, once the quarter is closed.
    pub closed_at: Option<i64>,
}

/// One movement in the read model (`ledger_movements`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MovementRow {
    pub ledger_id: Uuid,
    pub movement_id: String,
    pub holder: String,
    /// The quarter it counts in: its ledger's, or the next one for a correction.
    pub booked_quarter: String,
    pub correction_of: Option<String>,
    pub kind: String,
    pub part_number: String,
    pub quantity: i64,
    pub delta: i64,
    /// Unix seconds.
    pub at: i64,
    pub by_user: String,
    pub case_id: Option<String>,
    pub line: Option<String>,
}

/// A requisition or emergency purchase and where it stands with HQ's approvers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestRow {
    pub ledger_id: Uuid,
    pub entry_id: String,
    pub holder: String,
    /// `requisition` or `purchase`.
    pub kind: String,
    pub part_number: String,
    pub specification: String,
    pub quantity: i64,
    pub at: i64,
    pub by_user: String,
    /// `waiting`, `approved` or `rejected`.
    pub state: String,
    pub waiting_step: Option<String>,
    pub waiting_role: Option<String>,
    /// The receipt movement HQ recorded when it issued a requisition's stock.
    pub dispatched: Option<String>,
}

/// An old part on a return shipment, with HQ's check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ShipmentPartRow {
    pub ledger_id: Uuid,
    pub shipment_id: String,
    pub holder: String,
    pub tag: String,
    pub part_number: String,
    pub case_id: Option<String>,
    pub line: Option<String>,
    pub shipped_at: i64,
    /// `None` until HQ checked the shipment; then whether the part was in it.
    pub received: Option<bool>,
}

/// What one ledger's change brings to the read model: movements new to it (movements never
/// change), and the ledger's requests and shipment parts whole (few, and their states move).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerModel {
    pub ledger_id: Uuid,
    pub closed_at: Option<i64>,
    pub new_movements: Vec<MovementRow>,
    pub requests: Vec<RequestRow>,
    pub shipment_parts: Vec<ShipmentPartRow>,
}

/// A part line of a case in the read model (`case_part_lines`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartLineRow {
    /// The case id as hyphenated text, as movements name it.
    pub case_id: String,
    pub line_id: String,
    pub case_number: String,
    pub covered: bool,
    pub part_number: String,
    pub quantity: i64,
    /// The old part's fate as JSON (`fieldcore::OldPart`).
    pub old_part: String,
}

/// A case a holder's issues of a quarter went to, as the read model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCase {
    /// The case id as hyphenated text, as movements name it.
    pub case_id: String,
    pub number: String,
    /// The 三包 warranty decision: `None` before it is made.
    pub covered: Option<bool>,
}

/// One row of the change log.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub seq: u64,
    pub case_id: Uuid,
    pub hash: ChangeHash,
    pub actor: Vec<u8>,
    /// The change's sequence number among its actor's changes to the case.
    pub actor_seq: u64,
    /// The device that pushed it; `None` for HQ's own changes (the case number).
    pub authored_by: Option<Uuid>,
    pub bytes: Vec<u8>,
}

/// HQ's own facts of a case that its document does not hold, kept in the archive so a
/// restore writes the case's row back as it was.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaseOrigin {
    pub created_by: i64,
    pub created_device: Option<Uuid>,
    pub assigned_engineer: Option<i64>,
    pub routed_center: Option<String>,
    pub created_at: i64,
}

/// What stays of an archived case in the live database: its number, reserved, and where it
/// went, so a device pushing to it is told "archived" rather than "unknown".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    pub case_id: Uuid,
    pub number: String,
    /// Unix seconds the case was closed, as the read model had it.
    pub closed_at: Option<i64>,
    /// Unix seconds.
    pub archived_at: i64,
    /// The archive it was written to (a folder, later a bucket URL).
    pub location: String,
}

/// What a pull asks the log for.
#[derive(Debug, Clone)]
pub struct PullQuery {
    pub device_id: Uuid,
    pub scope: Scope,
    pub cursor: u64,
    pub limit: u32,
}

/// A case a device should receive: it is visible, touched after the cursor, and either new
/// to the device or changed by someone else after the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub case_id: Uuid,
    pub sync_seq: u64,
    pub number: Option<String>,
    /// The device holds the case as of the cursor, so changes after it are enough.
    pub device_has_it: bool,
    /// The case is being sent to the device in pages and the device stored the last page
    /// (its response's cursor is at most the request's): it holds the case's changes
    /// through this sequence number and gets the rest next.
    pub sent_seq: Option<u64>,
    /// The device has a paging record for the case, stored or not (cleared once the case is
    /// sent to the end).
    pub paged: bool,
}

/// The reads and writes of one transaction. Implemented by each backend; everything above
/// storage uses only this.
#[async_trait::async_trait]
pub trait Tx: Send {
    // ---- the log lock and counters

    /// Takes the log lock and returns the current (highest allocated) sequence number.
    ///
    /// Safety of the sequence: a reader must never see seq N+1 committed while N is not. Each
    /// transaction that allocates sequence numbers holds the lock from its first statement to
    /// its commit, so such transactions commit one after another, in sequence order, and the
    /// numbers they take are consecutive. SQLite gets this from its single writer (every
    /// transaction begins `IMMEDIATE`); PostgreSQL from a row lock on the counter row
    /// (`FOR UPDATE` for [`LockMode::Exclusive`], `FOR SHARE` for readers, which therefore
    /// see no half-committed range and read every later statement against the same log).
    /// A [`LockMode::Snapshot`] reader on PostgreSQL reads the counter without a lock: its
    /// `REPEATABLE READ` snapshot shows the counter as the last committed writer left it and
    /// every row up to it, and nothing a writer commits afterwards.
    ///
    /// A writer holds this lock only for the short tail of its work (taking sequence numbers,
    /// writing the log rows and what derives from them, committing): everything it reads and
    /// decides before is guarded by [`Tx::lock_cases`], and the bulk of a big push is written
    /// before the lock by [`Tx::stage_bodies`].
    async fn lock_log(&mut self, mode: LockMode) -> Result<u64>;

    /// Takes the write locks of these cases (stock ledgers are cases here too) until the
    /// transaction ends: two transactions that change the same case run one after the other,
    /// while transactions of different cases overlap. Order, so that no two transactions wait
    /// for each other: one call per transaction, with every case it will change, before
    /// [`Tx::lock_log`] in [`LockMode::Exclusive`]. SQLite's single writer already serialises
    /// every write transaction, so there it takes nothing; PostgreSQL takes transaction-scoped
    /// advisory locks, in a fixed order.
    async fn lock_cases(&mut self, ids: &[Uuid]) -> Result<()>;

    /// Writes the stored bytes of changes the transaction will [`Tx::append`], before it takes
    /// the log lock: [`Tx::append`] then writes only their log rows. A big push thus writes its
    /// megabytes while other writers go on, and holds the log lock for a few small rows.
    /// Each change needs the lock of its case ([`Tx::lock_cases`]). SQLite writes the bytes
    /// with the log row (its single writer gains nothing from staging), so there it does
    /// nothing.
    async fn stage_bodies(&mut self, bodies: &[(Uuid, ChangeHash, &[u8])]) -> Result<()>;

    /// Takes `n` sequence numbers and returns the first; needs the exclusive log lock.
    async fn allocate_seqs(&mut self, n: u64) -> Result<u64>;

    /// Takes `n` running numbers of `month` (`YYMM`) and returns the first. Called under the
    /// exclusive log lock, in the transaction that creates the cases, so numbers of a month
    /// have no gaps and no duplicates even under concurrent first syncs.
    async fn allocate_numbers(&mut self, month: &str, n: u32) -> Result<u32>;

    /// Takes the next RMA running number of `month` (`YYMM`, the month of the final approval)
    /// and returns it. Called under the exclusive log lock, in the transaction that writes the
    /// number into the case, so a month's RMA numbers have no gaps and no duplicates.
    async fn allocate_rma_number(&mut self, month: &str) -> Result<u32>;

    // ---- users and devices

    async fn insert_user(
        &mut self,
        name: &str,
        role: Role,
        center: Option<&str>,
        at: i64,
    ) -> Result<User>;
    async fn user_by_name(&mut self, name: &str) -> Result<Option<User>>;
    async fn users_by_id(&mut self, ids: &[i64]) -> Result<HashMap<i64, User>>;
    async fn insert_device(&mut self, device: &NewDevice) -> Result<()>;
    async fn device_by_token(&mut self, token_hash: &[u8; 32]) -> Result<Option<DeviceAuth>>;
    async fn device_by_id(&mut self, device_id: Uuid) -> Result<Option<DeviceAuth>>;
    /// The device an actor is bound to, if any.
    async fn device_of_actor(&mut self, actor: &[u8]) -> Result<Option<Uuid>>;
    /// Records an actor HQ signs changes with, so that no device may bind it.
    async fn reserve_hq_actor(&mut self, actor: &[u8]) -> Result<()>;
    /// Whether HQ has signed changes with this actor.
    async fn is_hq_actor(&mut self, actor: &[u8]) -> Result<bool>;
    /// Binds an actor to a device that has none; false if the device had one meanwhile.
    async fn bind_actor(&mut self, device_id: Uuid, actor: &[u8]) -> Result<bool>;
    /// Marks a device revoked; false if there is no such device.
    async fn revoke_device(&mut self, device_id: Uuid) -> Result<bool>;
    async fn devices(&mut self) -> Result<Vec<DeviceInfo>>;

    // ---- cases

    async fn cases(&mut self, ids: &[Uuid]) -> Result<HashMap<Uuid, CaseRow>>;
    async fn case_by_number(&mut self, number: &str) -> Result<Option<CaseRow>>;
    async fn insert_cases(&mut self, cases: &[NewCase]) -> Result<()>;
    /// Raises each case's `sync_seq` to the given value.
    async fn set_sync_seqs(&mut self, seqs: &[(Uuid, u64)]) -> Result<()>;
    /// Marks the read-model rows of each case (`case_index`, `case_report`) as reflecting the
    /// case through `seq`: for rows written from a case's view before the sequence number of
    /// its change was taken (a push writes them before the log lock), never lowering one.
    async fn set_read_model_seqs(&mut self, seqs: &[(Uuid, u64)]) -> Result<()>;
    async fn set_assignment(&mut self, case_id: Uuid, engineer: i64, seq: u64) -> Result<()>;
    async fn set_route(&mut self, case_id: Uuid, center: &str, seq: u64) -> Result<()>;
    async fn list_cases(&mut self) -> Result<Vec<CaseInfo>>;

    // ---- the change log

    /// For each (case, actor, actor_seq), the hash of the change HQ holds there, if any.
    async fn hashes_at(
        &mut self,
        keys: &[(Uuid, Vec<u8>, u64)],
    ) -> Result<HashMap<(Uuid, Vec<u8>, u64), ChangeHash>>;
    /// Which of these (case, change hash) pairs HQ holds.
    async fn held(&mut self, keys: &[(Uuid, ChangeHash)]) -> Result<HashSet<(Uuid, ChangeHash)>>;
    async fn append(&mut self, rows: &[LogRow]) -> Result<()>;
    /// Every change of each case, in sequence order.
    async fn histories(&mut self, cases: &[Uuid]) -> Result<HashMap<Uuid, Vec<Vec<u8>>>>;
    /// The cases to pull, in ascending `sync_seq`, at most `limit`.
    async fn pull_candidates(&mut self, query: &PullQuery) -> Result<Vec<Candidate>>;
    /// Records that `device` holds each case as of the given sequence number (0: since it
    /// pushed it), so later pulls send it changes rather than the whole history.
    async fn mark_held_by_device(&mut self, device: Uuid, cases: &[(Uuid, u64)]) -> Result<()>;

    // ---- reference data

    async fn reference(&mut self) -> Result<Option<ReferenceData>>;
    async fn insert_reference(
        &mut self,
        policies_json: &str,
        catalogs_json: &str,
        at: i64,
    ) -> Result<u64>;

    // ---- naive per-case sync (the benchmark's baseline)

    async fn naive_state(&mut self, device: Uuid, case_id: Uuid) -> Result<Option<Vec<u8>>>;
    async fn set_naive_state(&mut self, device: Uuid, case_id: Uuid, state: &[u8]) -> Result<()>;

    // ---- health

    async fn ping(&mut self) -> Result<()>;

    // ---- Pull budgeting: sizes first, bytes only of what is sent

    /// The total stored bytes of each case's history (every change); 0 for a case without
    /// changes or unknown. Reads the size column only.
    async fn history_sizes(&mut self, cases: &[Uuid]) -> Result<HashMap<Uuid, u64>>;
    /// How many changes each span holds and their stored bytes, from the size column alone;
    /// one entry per span (zero for an empty one).
    async fn span_totals(&mut self, spans: &[Span]) -> Result<HashMap<Uuid, SpanTotal>>;
    /// The sequence number and stored size of each change of a span, in sequence order,
    /// without loading the changes.
    async fn span_sizes(&mut self, span: &Span) -> Result<Vec<(u64, u64)>>;
    /// The bytes of each span's changes, in sequence order; one entry per span.
    async fn span_changes(&mut self, spans: &[Span]) -> Result<HashMap<Uuid, Vec<Vec<u8>>>>;
    /// Each span's total and, in the order given while the spans' bytes so far fit `budget`
    /// (the first span always when `first_fits`), the bytes of its changes in sequence order:
    /// sizes and the changes that fit in one statement. One entry per span, in order.
    async fn span_changes_within(
        &mut self,
        spans: &[Span],
        budget: u64,
        first_fits: bool,
    ) -> Result<Vec<SpanLoad>>;
    /// Records (`Some`) or clears (`None`) how far `device` got in each case sent in pages.
    /// Only updates cases the device already has a row for (see
    /// [`Tx::mark_held_by_device`]).
    async fn set_pages(&mut self, device: Uuid, pages: &[(Uuid, Option<Page>)]) -> Result<()>;

    // ---- Read model (`case_index`, see crate::read_model)

    /// Writes each case's read-model row, replacing the one it has unless that one is of a
    /// later `last_seq`.
    async fn upsert_case_index(&mut self, rows: &[CaseIndexRow]) -> Result<()>;
    /// The read-model rows `query` selects: by number, or by next due time for overdue.
    async fn query_case_index(&mut self, query: &CaseIndexQuery) -> Result<Vec<CaseIndexRow>>;
    /// Case ids in ascending order after `after`, at most `limit`: reindexing in batches.
    async fn case_ids(&mut self, after: Option<Uuid>, limit: u32) -> Result<Vec<Uuid>>;
    /// Replaces the return rows of each case of `cases` by `rows` (those of these cases).
    async fn replace_case_returns(&mut self, cases: &[Uuid], rows: &[ReturnSummary]) -> Result<()>;
    /// Every return row, or those of one RMA number, oldest request first.
    async fn case_returns(&mut self, rma_number: Option<&str>) -> Result<Vec<ReturnSummary>>;
    /// Replaces the waiting trip requests and losses of each case of `cases` by `rows`.
    async fn replace_case_waiting(&mut self, cases: &[Uuid], rows: &[CaseWaitingRow])
    -> Result<()>;
    /// The trip requests and losses waiting for `role` (every one without), oldest first.
    async fn case_waiting(&mut self, role: Option<&str>) -> Result<Vec<CaseWaitingRow>>;

    // ---- Stock ledgers (see crate::ledgers)

    /// Records a ledger new to HQ (its document row and its read-model row).
    async fn insert_ledger(&mut self, ledger: &NewLedger) -> Result<()>;
    /// Applies one ledger's read-model update.
    async fn write_ledger_model(&mut self, model: &LedgerModel) -> Result<()>;
    /// The ledgers, of one holder or all, by holder and quarter.
    async fn ledger_infos(&mut self, holder: Option<&str>) -> Result<Vec<LedgerInfo>>;
    /// The holders with a write-off to run for `quarter`: those with a ledger of it and those
    /// with movements booked in it (corrections of a closed quarter), sorted.
    async fn quarter_holders(&mut self, quarter: &str) -> Result<Vec<String>>;
    /// The movements of a holder, of one booked quarter or all, in time order.
    async fn ledger_movements(
        &mut self,
        holder: &str,
        booked_quarter: Option<&str>,
    ) -> Result<Vec<MovementRow>>;
    /// The old parts a holder shipped (every holder's with `None`), oldest first.
    async fn ledger_shipment_parts(&mut self, holder: Option<&str>)
    -> Result<Vec<ShipmentPartRow>>;
    /// Requisitions and purchases, only those waiting for an approver with `waiting_only`.
    async fn ledger_requests(&mut self, waiting_only: bool) -> Result<Vec<RequestRow>>;
    /// Replaces the warranty row and the part lines of each case of `cases` (`rows` are those
    /// of these cases).
    async fn replace_case_part_lines(
        &mut self,
        cases: &[IssuedCase],
        rows: &[PartLineRow],
    ) -> Result<()>;
    /// The cases `holder`'s issues booked in `quarter` went to, with their warranty decision.
    async fn issued_cases(&mut self, holder: &str, quarter: &str) -> Result<Vec<IssuedCase>>;
    /// The part lines of the cases `holder`'s issues booked in `quarter` went to.
    async fn issued_part_lines(&mut self, holder: &str, quarter: &str) -> Result<Vec<PartLineRow>>;

    // ---- Escalations (see crate::escalation)

    /// Counts a case with a confirmed quality fault towards batch faults of `model` and
    /// `batch` ('' for none), received at `received_at`; false if it was counted before.
    async fn record_batch_arrival(
        &mut self,
        case_id: Uuid,
        model: &str,
        batch: &str,
        received_at: i64,
    ) -> Result<bool>;
    /// The counted cases of `model` and `batch` received in `[from, until)` that no batch
    /// escalation counts yet, with their received times, earliest first.
    async fn unescalated_arrivals(
        &mut self,
        model: &str,
        batch: &str,
        from: i64,
        until: i64,
    ) -> Result<Vec<(Uuid, i64)>>;
    /// The batch escalation of `model` and `batch` whose window holds `at`, if any.
    async fn batch_escalation_at(
        &mut self,
        model: &str,
        batch: &str,
        at: i64,
    ) -> Result<Option<Uuid>>;
    /// Stores a new escalation; false (and nothing written) when one with its `dedup_key`
    /// exists already.
    async fn insert_escalation(&mut self, escalation: &NewEscalation) -> Result<bool>;
    /// Records the cases an escalation concerns; `counts_batch` also marks them counted by it.
    async fn link_escalation(
        &mut self,
        escalation_id: Uuid,
        cases: &[Uuid],
        counts_batch: bool,
    ) -> Result<()>;
    /// Every escalation (or the one `id` names), latest first, with its cases.
    async fn escalations(&mut self, id: Option<Uuid>) -> Result<Vec<EscalationRow>>;
    /// Records an acknowledgement; false if the escalation was acknowledged already.
    async fn acknowledge_escalation(
        &mut self,
        escalation_id: Uuid,
        by: &str,
        note: Option<&str>,
        at: i64,
    ) -> Result<bool>;

    // ---- Blob access (see crate::blob_access)

    /// Records that each case's document names the blob (rows are only ever added).
    async fn add_case_blobs(&mut self, refs: &[(Uuid, String)]) -> Result<()>;
    /// The cases whose documents name the blob.
    async fn cases_naming_blob(&mut self, hash: &str) -> Result<Vec<Uuid>>;
    /// The device that first uploaded the blob, if HQ recorded one.
    async fn blob_uploader(&mut self, hash: &str) -> Result<Option<Uuid>>;
    /// Records an upload unless the blob has one already (false then).
    async fn record_upload(
        &mut self,
        hash: &str,
        device: Uuid,
        bytes: u64,
        at: i64,
    ) -> Result<bool>;
    /// The total size of the device's uploads no case names.
    async fn unreferenced_upload_bytes(&mut self, device: Uuid) -> Result<u64>;
    /// Uploads no case names that were made before `before`, oldest first, at most `limit`.
    async fn stale_uploads(&mut self, before: i64, limit: u32) -> Result<Vec<String>>;
    /// Forgets these uploads.
    async fn delete_uploads(&mut self, hashes: &[String]) -> Result<()>;

    // ---- Quarterly write-offs (see crate::writeoff)

    /// Stores a run of the write-off of `holder` and `quarter`, replacing an earlier run;
    /// false, and nothing written, when that write-off is approved already.
    async fn put_writeoff_run(&mut self, run: &WriteoffRun) -> Result<bool>;
    /// Marks the run of `holder` and `quarter` approved, with its vouchers' hashes; false,
    /// and nothing written, when there is no run or it is approved already.
    async fn approve_writeoff(&mut self, approval: &WriteoffApproval) -> Result<bool>;
    /// The write-off of `holder` and `quarter`, if it was run.
    async fn writeoff(&mut self, holder: &str, quarter: &str) -> Result<Option<WriteoffRow>>;
    /// Every write-off (or a holder's), by holder and quarter.
    async fn writeoffs(&mut self, holder: Option<&str>) -> Result<Vec<WriteoffRow>>;

    // ---- The monthly quality report (see crate::report)

    /// Writes each case's report row, replacing the one it has unless that one is of a later
    /// `last_seq` (as [`Tx::upsert_case_index`]).
    async fn upsert_case_report(&mut self, rows: &[CaseReportRow]) -> Result<()>;
    /// The read model's rows of the cases received in these months (`YYMM`), by number; a
    /// case without a `case_report` row has its report fields `None`.
    async fn report_cases(&mut self, months: &[String]) -> Result<Vec<ReportCaseRow>>;
    /// The part lines of the cases received in `month` (`YYMM`).
    async fn report_part_lines(&mut self, month: &str) -> Result<Vec<PartLineRow>>;
    /// The return and exchange requests of the cases received in `month` (`YYMM`).
    async fn report_returns(&mut self, month: &str) -> Result<Vec<ReturnSummary>>;
    /// Complaints per received month (`YYMM`), all and quality faults, in month order.
    async fn month_counts(&mut self) -> Result<Vec<MonthCount>>;
    /// What repeats are found by, of the cases received in these months (`YYMM`).
    async fn report_keys(&mut self, months: &[String]) -> Result<Vec<ReportKey>>;
    /// Stores delivered quantities (a month and model given again replaces its quantity).
    async fn put_shipments(&mut self, rows: &[ShipmentRow], at: i64) -> Result<()>;
    /// The delivered quantities of these months (`YYMM`), by month and model.
    async fn shipments(&mut self, months: &[String]) -> Result<Vec<ShipmentRow>>;
    /// The report of `month` (`YYYY-MM`) as stored, issued or re-opened.
    async fn quality_report(&mut self, month: &str) -> Result<Option<QualityReportRow>>;
    /// Every issued (not re-opened) report, by month.
    async fn issued_quality_reports(&mut self) -> Result<Vec<QualityReportRow>>;
    /// Stores an issued report (replacing a re-opened one) and logs it; false, and nothing
    /// written, when the month is issued already.
    async fn issue_quality_report(&mut self, row: &QualityReportRow) -> Result<bool>;
    /// Marks the issued report of `month` re-opened and logs who and why; false, and nothing
    /// written, when the month is not issued.
    async fn reopen_quality_report(
        &mut self,
        month: &str,
        by: &str,
        reason: &str,
        at: i64,
    ) -> Result<bool>;
    /// The issues and re-openings of `month`, oldest first.
    async fn quality_report_log(&mut self, month: &str) -> Result<Vec<ReportLogRow>>;

    // ---- Console sign-in (see crate::console::auth)

    /// Sets (or replaces) a user's console password, as its argon2 PHC string.
    async fn set_console_password(&mut self, user_id: i64, phc: &str, at: i64) -> Result<()>;
    /// A user's console password (PHC string), if one was set.
    async fn console_password(&mut self, user_id: i64) -> Result<Option<String>>;
    async fn insert_console_session(&mut self, session: &NewConsoleSession) -> Result<()>;
    /// The user of a session and when it expires, by the SHA-256 of its token.
    async fn console_session(&mut self, token_hash: &[u8; 32]) -> Result<Option<(User, i64)>>;
    async fn delete_console_session(&mut self, token_hash: &[u8; 32]) -> Result<()>;
    /// Deletes every session of a user (a new password signs out everywhere).
    async fn delete_user_sessions(&mut self, user_id: i64) -> Result<()>;
    /// Deletes the sessions expired at `now`.
    async fn delete_expired_sessions(&mut self, now: i64) -> Result<()>;
    /// The failed sign-ins counted against a (lower-cased) name.
    async fn sign_in_failures(&mut self, name: &str) -> Result<Option<SignInFailures>>;
    async fn put_sign_in_failures(&mut self, name: &str, failures: &SignInFailures) -> Result<()>;
    async fn clear_sign_in_failures(&mut self, name: &str) -> Result<()>;
    /// Every user, by name, with whether they have a console password.
    async fn console_users(&mut self) -> Result<Vec<ConsoleUser>>;

    // ---- Archive (crate::archive)

    /// Closed cases (by the read model) closed before `closed_before` (Unix seconds), after
    /// `after` in id order, at most `limit`, each with when it closed.
    async fn archive_candidates(
        &mut self,
        closed_before: i64,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(Uuid, i64)>>;
    /// HQ's row of a case beyond [`CaseRow`], for the archive.
    async fn case_origin(&mut self, case_id: Uuid) -> Result<Option<CaseOrigin>>;
    /// Every stored change of a case, in log order, as the log holds it.
    async fn case_log(&mut self, case_id: Uuid) -> Result<Vec<LogRow>>;
    /// Removes a case and every row derived from it, and leaves its tombstone.
    async fn remove_case(&mut self, tombstone: &Tombstone) -> Result<()>;
    /// Which of `ids` are archived.
    async fn tombstones(&mut self, ids: &[Uuid]) -> Result<HashSet<Uuid>>;
    /// The tombstone of the case numbered `number`, if it is archived.
    async fn tombstone_by_number(&mut self, number: &str) -> Result<Option<Tombstone>>;
    /// Lifts a tombstone (the case is being restored).
    async fn delete_tombstone(&mut self, case_id: Uuid) -> Result<()>;
}

/// What the monthly report asks of a case beyond its `case_index` row (`case_report`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseReportRow {
    pub case_id: Uuid,
    /// fieldcore's `Channel` name: `phone`, `email`, `fax`, `letter`, `dealer`, `on_site`.
    pub channel: String,
    /// fieldcore's `CustomerRequest` name: `repair`, `exchange`, `return`, `compensation`.
    pub customer_request: String,
    /// The fault description folded (see `report_sections::fault_key`).
    pub fault: String,
    pub production_batch: Option<String>,
    /// `None` until the defect is confirmed.
    pub major_incident: Option<bool>,
    /// fieldcore's `Outcome` name once resolved.
    pub outcome: Option<String>,
    /// Compensation paid to the customer (`decisions.compensation`), in minor units.
    pub compensation_minor: Option<i64>,
    pub compensation_currency: Option<String>,
    pub last_seq: u64,
}

/// A case as the monthly report reads it: its `case_index` row joined with its `case_report`
/// row. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportCaseRow {
    pub case_id: Uuid,
    pub number: String,
    pub status: String,
    pub customer_name: String,
    pub region: String,
    pub market: String,
    pub product_model: String,
    pub product_category: String,
    pub serial_number: String,
    pub received_at: i64,
    /// `YYMM`.
    pub received_month: String,
    pub closed_at: Option<i64>,
    pub defect_cause: Option<String>,
    pub quality_fault: Option<bool>,
    pub warranty_covered: Option<bool>,
    pub charge_minor: Option<i64>,
    pub charge_currency: Option<String>,
    pub missed_deadlines: i64,
    pub next_due_at: Option<i64>,
    pub center: Option<String>,
    pub engineer: String,
    pub channel: Option<String>,
    pub customer_request: Option<String>,
    pub fault: Option<String>,
    pub production_batch: Option<String>,
    pub major_incident: Option<bool>,
    pub outcome: Option<String>,
    /// Reports issued before compensation was recorded read as none.
    #[serde(default)]
    pub compensation_minor: Option<i64>,
    #[serde(default)]
    pub compensation_currency: Option<String>,
}

/// The columns [`ReportCaseRow`] reads, in its order (`i` is `case_index`, `r` `case_report`).
pub(crate) const REPORT_CASE_SELECT: &str = "SELECT i.case_id, i.number, i.status, \
    i.customer_name, i.region, i.market, i.product_model, i.product_category, i.serial_number, \
    i.received_at, i.received_month, i.closed_at, i.defect_cause, i.quality_fault, \
    i.warranty_covered, i.charge_minor, i.charge_currency, i.missed_deadlines, i.next_due_at, \
    i.center, i.engineer, r.channel, r.customer_request, r.fault, r.production_batch, \
    r.major_incident, r.outcome, r.compensation_minor, r.compensation_currency \
    FROM case_index i LEFT JOIN case_report r ON r.case_id = i.case_id";

/// Complaints received in one month (`YYMM`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCount {
    pub month: String,
    pub total: i64,
    /// Confirmed product-quality faults (causes a and b).
    pub quality: i64,
}

/// What a repeat is found by: model and fault, serial, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey {
    pub case_id: Uuid,
    pub product_model: String,
    /// `None` for a case without a `case_report` row (stored before schema 13, not reindexed).
    pub fault: Option<String>,
    pub serial_number: String,
    pub received_at: i64,
}

/// Units of a model delivered in a month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShipmentRow {
    /// `YYMM`.
    pub month: String,
    pub product_model: String,
    pub quantity: i64,
}

/// A stored report (`quality_reports`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityReportRow {
    /// `YYYY-MM`.
    pub month: String,
    /// `issued` or `reopened`.
    pub status: String,
    pub snapshot_json: String,
    pub issued_by: String,
    pub issued_at: i64,
}

/// The columns of `quality_reports` in [`QualityReportRow`]'s order, for both backends' SQL.
pub(crate) const QUALITY_REPORT_SELECT: &str =
    "SELECT month, status, snapshot_json, issued_by, issued_at FROM quality_reports";

/// One issue or re-opening (`quality_report_log`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportLogRow {
    pub month: String,
    /// `issue` or `reopen`.
    pub action: String,
    pub by_user: String,
    pub at: i64,
    pub reason: Option<String>,
}

/// A new console session; the token itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsoleSession {
    pub token_hash: [u8; 32],
    pub user_id: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Failed sign-ins of one name: how many since `window_start`, and a lock-out's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInFailures {
    pub failures: i64,
    pub window_start: i64,
    pub locked_until: Option<i64>,
}

/// A user as the console's users page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleUser {
    pub user: User,
    pub has_password: bool,
    pub created_at: i64,
}

/// A run of a write-off to store: the reconciliation as the core's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteoffRun {
    pub holder: String,
    /// `2026Q4`.
    pub quarter: String,
    pub reconciliation_json: String,
    pub run_at: i64,
    pub run_by: Option<String>,
}

/// The approval of a run: who, when, and the SHA-256 of the vouchers archived as blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteoffApproval {
    pub holder: String,
    pub quarter: String,
    pub approved_by: String,
    pub approved_at: i64,
    pub voucher_xlsx_sha256: String,
    pub voucher_pdf_sha256: String,
    pub voucher_html_sha256: String,
}

/// A write-off as stored (`writeoffs`). Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WriteoffRow {
    pub holder: String,
    pub quarter: String,
    /// `run` or `approved`.
    pub status: String,
    pub reconciliation_json: String,
    pub run_at: i64,
    pub run_by: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    pub voucher_xlsx_sha256: Option<String>,
    pub voucher_pdf_sha256: Option<String>,
    pub voucher_html_sha256: Option<String>,
}

/// The columns of `writeoffs` in [`WriteoffRow`]'s order, for both backends' SQL.
pub(crate) const WRITEOFF_SELECT: &str = "SELECT holder, quarter, status, reconciliation_json, \
    run_at, run_by, approved_by, approved_at, voucher_xlsx_sha256, voucher_pdf_sha256, \
    voucher_html_sha256 FROM writeoffs";

/// A new escalation row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEscalation {
    pub escalation_id: Uuid,
    /// What the escalation is about: one escalation per key.
    pub dedup_key: String,
    pub kind: String,
    pub product_model: Option<String>,
    pub production_batch: Option<String>,
    /// A batch fault's window of received times, `[start, end)`, Unix seconds.
    pub window: Option<(i64, i64)>,
    pub milestone: Option<String>,
    pub due_at: Option<i64>,
    pub to_role: String,
    pub raised_at: i64,
}

/// An escalation as `fieldhq escalation list` shows it. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EscalationRow {
    pub escalation_id: Uuid,
    pub kind: String,
    pub product_model: Option<String>,
    pub production_batch: Option<String>,
    pub window_start: Option<i64>,
    pub window_end: Option<i64>,
    pub milestone: Option<String>,
    pub due_at: Option<i64>,
    pub to_role: String,
    pub raised_at: i64,
    pub acked_by: Option<String>,
    pub acked_at: Option<i64>,
    pub ack_note: Option<String>,
    /// The cases it concerns, in id order.
    pub cases: Vec<Uuid>,
}

/// The columns of `escalations` that [`EscalationRow`] holds, in its order, for both
/// backends' SQL.
pub(crate) const ESCALATION_SELECT: &str = "SELECT escalation_id, kind, product_model, \
    production_batch, window_start, window_end, milestone, due_at, to_role, raised_at, acked_by, \
    acked_at, ack_note FROM escalations";

/// The configured backend. Cloning is cheap (both hold shared handles).
#[derive(Clone)]
pub enum Storage {
    Sqlite(sqlite::SqliteStorage),
    Postgres(postgres::PgStorage),
}

impl Storage {
    /// Opens the database the configuration names and migrates it to the latest schema.
    pub async fn open(config: &StorageConfig) -> Result<Storage> {
        crate::data_dir::prepare(&config.data_dir)?;
        match &config.database_url {
            Some(url) => Ok(Storage::Postgres(
                postgres::PgStorage::open(url, None, config.database_connections).await?,
            )),
            None => Ok(Storage::Sqlite(
                sqlite::SqliteStorage::open(&config.data_dir.join(sqlite::FILE_NAME), None).await?,
            )),
        }
    }

    /// Opens the database migrated only up to `version`: for migration tests.
    #[doc(hidden)]
    pub async fn open_at_version(config: &StorageConfig, version: i64) -> Result<Storage> {
        crate::data_dir::prepare(&config.data_dir)?;
        match &config.database_url {
            Some(url) => Ok(Storage::Postgres(
                postgres::PgStorage::open(url, Some(version), config.database_connections).await?,
            )),
            None => Ok(Storage::Sqlite(
                sqlite::SqliteStorage::open(
                    &config.data_dir.join(sqlite::FILE_NAME),
                    Some(version),
                )
                .await?,
            )),
        }
    }

    /// How the PostgreSQL connections are used now; `None` on SQLite.
    pub fn connection_use(&self) -> Option<ConnectionUse> {
        match self {
            Storage::Sqlite(_) => None,
            Storage::Postgres(p) => Some(p.connection_use()),
        }
    }

    /// "sqlite" or "postgres", for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Storage::Sqlite(_) => "sqlite",
            Storage::Postgres(_) => "postgres",
        }
    }

    /// Runs `work` in one transaction and commits if it returns `Ok`; on `Err` (or a panic)
    /// nothing it wrote stays.
    pub async fn transaction<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, Result<R>> + Send + 'static,
    {
        match self {
            Storage::Sqlite(s) => s.transaction(work).await,
            Storage::Postgres(p) => p.transaction(work).await,
        }
    }

    /// Whether every write transaction holds the one write lock from start to commit
    /// (SQLite), so that splitting a request's work into two transactions frees nothing for
    /// other writers; PostgreSQL's writers overlap up to the log lock.
    pub fn has_one_writer(&self) -> bool {
        matches!(self, Storage::Sqlite(_))
    }

    /// Runs `work` in one transaction that sees the database as of its first statement and
    /// takes no lock a writer holds, for requests that only read the log but write rows of
    /// their own (a pull-only sync marks what its device holds). PostgreSQL: `REPEATABLE
    /// READ`, so one device's empty sync does not wait for another device's long push; a
    /// write that meets a row another transaction changed since the snapshot fails as
    /// [`Error::Busy`](crate::Error::Busy) and the client retries. SQLite: as
    /// [`Storage::transaction`] (its one writer is the lock).
    pub async fn snapshot<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, Result<R>> + Send + 'static,
    {
        match self {
            Storage::Sqlite(s) => s.transaction(work).await,
            Storage::Postgres(p) => p.snapshot(work).await,
        }
    }

    /// Runs `work` in a read-only transaction that takes no write lock and sees one snapshot
    /// throughout (SQLite: on a separate read-only connection; PostgreSQL: `REPEATABLE READ,
    /// READ ONLY`). For reads beside the writers: a request's token, `/health`, a blob's access
    /// check, a write-off's input.
    pub async fn read<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, Result<R>> + Send + 'static,
    {
        match self {
            Storage::Sqlite(s) => s.read(work).await,
            Storage::Postgres(p) => p.read(work).await,
        }
    }

    /// The schema version the database is at.
    pub async fn schema_version(&self) -> Result<i64> {
        match self {
            Storage::Sqlite(s) => s.schema_version().await,
            Storage::Postgres(p) => p.schema_version().await,
        }
    }

    /// Runs SQL outside the model, for tests that inspect or damage the database.
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<()> {
        match self {
            Storage::Sqlite(s) => s.execute_raw(sql).await,
            Storage::Postgres(p) => p.execute_raw(sql).await,
        }
    }

    /// Counts the rows of a query returning one integer, for tests.
    #[doc(hidden)]
    pub async fn query_count(&self, sql: &str) -> Result<i64> {
        match self {
            Storage::Sqlite(s) => s.query_count(sql).await,
            Storage::Postgres(p) => p.query_count(sql).await,
        }
    }
}

/// Seconds since the Unix epoch, as the database stores times.
pub(crate) fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Sequence numbers are `u64` in the protocol and `BIGINT` in the databases.
pub(crate) fn to_db(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| crate::error::Error::internal("sequence number out of range"))
}

pub(crate) fn from_db(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| crate::error::Error::internal("negative sequence number"))
}

pub(crate) fn hash_from_db(bytes: &[u8]) -> Result<ChangeHash> {
    ChangeHash::try_from(bytes).map_err(|_| crate::error::Error::internal("stored hash"))
}

// ---- Read model

/// One case in HQ's read model (`case_index`): what lists and reports ask about a case, taken
/// from its view by [`crate::read_model::row_of`]. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseIndexRow {
    pub case_id: Uuid,
    pub number: String,
    pub status: String,
    pub customer_name: String,
    pub region: String,
    pub market: String,
    pub product_model: String,
    pub product_category: String,
    pub serial_number: String,
    pub received_at: i64,
    /// `YYMM` of `received_at` in the company's time zone.
    pub received_month: String,
    pub closed_at: Option<i64>,
    pub defect_cause: Option<String>,
    pub quality_fault: Option<bool>,
    pub warranty_covered: Option<bool>,
    pub warranty_rule: Option<String>,
    pub charge_minor: Option<i64>,
    pub charge_currency: Option<String>,
    /// Part lines in use (removed lines are not counted).
    pub parts_count: i64,
    pub reply_due_at: i64,
    pub reply_met: bool,
    pub remedy_due_at: i64,
    pub remedy_met: bool,
    pub report_due_at: i64,
    pub report_met: bool,
    pub close_due_at: i64,
    pub close_met: bool,
    pub working_days_due_at: i64,
    pub working_days_met: bool,
    /// How many missed-deadline records the case holds, of every round.
    pub missed_deadlines: i64,
    /// The earliest open milestone's due time; `None` when nothing is open.
    pub next_due_at: Option<i64>,
    pub next_due_milestone: Option<String>,
    /// The assigned engineer's name, else the creator's.
    pub engineer: String,
    pub center: Option<String>,
    pub has_conflict: bool,
    /// The document's last recorded event.
    pub updated_at: i64,
    /// The case's `sync_seq` when the row was built.
    pub last_seq: u64,
}

impl CaseIndexRow {
    /// Open and past due at `now` (Unix seconds): a deadline met at its very moment is not.
    pub fn is_overdue(&self, now: i64) -> bool {
        self.next_due_at.is_some_and(|due| due < now)
    }
}

/// One return or exchange request of a case as the read model keeps it (`case_returns`),
/// for `fieldhq rma list`: where it stands, who it waits for, its RMA number.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReturnSummary {
    pub case_id: Uuid,
    /// The request's entry id.
    pub request: String,
    pub case_number: String,
    /// `return` or `exchange`.
    pub kind: String,
    /// fieldcore's `ReturnState` name: `awaiting_approval`, ..., `done`.
    pub state: String,
    /// What waits for an HQ decision: `return` (the request's chain) or `replenishment` (a
    /// replenishment notice of the exchange); `None` when nothing does.
    pub waiting_kind: Option<String>,
    pub waiting_step: Option<String>,
    /// The role the waiting step is decided by.
    pub waiting_role: Option<String>,
    pub rma_number: Option<String>,
    pub model: String,
    pub units: i64,
    pub units_received: i64,
    pub units_inspected: i64,
    /// When the request was made (Unix seconds).
    pub requested_at: i64,
    /// The end of the re-inspection's last day (Unix seconds), once goods were taken in.
    pub reinspection_due_at: Option<i64>,
}

impl ReturnSummary {
    /// Whether re-inspection is past due at `now` (Unix seconds).
    pub fn reinspection_overdue(&self, now: i64) -> bool {
        self.state == "awaiting_inspection" && self.reinspection_due_at.is_some_and(|d| now > d)
    }
}

/// A trip request or an old part reported lost that waits for an HQ decision
/// (`case_waiting`), for the console's approvals inbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CaseWaitingRow {
    pub case_id: Uuid,
    /// The visit entry of the trip request, or the custody entry of the loss.
    pub entry: String,
    /// `trip` or `loss`.
    pub kind: String,
    pub case_number: String,
    /// The role that decides it (the policies' trip approver; `cs_manager` for a loss).
    pub waiting_role: String,
    /// A trip: the engineer's reason; a loss: the part number and specification.
    pub subject: String,
    /// A loss: why the old part is missing.
    pub reason: Option<String>,
    /// A trip: when it is planned (Unix seconds).
    pub planned_for: Option<i64>,
    pub requested_by: String,
    pub requested_at: i64,
}

/// The columns of `case_waiting` in [`CaseWaitingRow`]'s order, for both backends' SQL.
pub(crate) const CASE_WAITING_COLUMNS: &str = "case_id, entry, kind, case_number, \
    waiting_role, subject, reason, planned_for, requested_by, requested_at";

/// What `fieldhq case list` asks the read model; every filter set must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseIndexQuery {
    /// Only cases with an open deadline before this time (Unix seconds), earliest first.
    pub overdue_at: Option<i64>,
    pub status: Option<String>,
    /// `YYMM`.
    pub month: Option<String>,
    pub model: Option<String>,
    pub defect_cause: Option<String>,
    pub center: Option<String>,
    /// The product category.
    pub category: Option<String>,
    /// The engineer's name as the row has it (the assigned engineer, else the creator).
    pub engineer: Option<String>,
    /// Part of the case number, the serial number or the customer's name (the console's
    /// search box).
    pub search: Option<String>,
    /// At most this many rows, after skipping `offset`.
    pub limit: Option<u32>,
    pub offset: u32,
    /// Keyset paging (the console's list): only the rows after this one in the list's order,
    /// or before it when `backwards` (the rows then come last first). A deep page costs what
    /// the first does, where an offset reads every row it skips.
    pub after: Option<PageKey>,
    pub backwards: bool,
}

/// Where a page of the case list starts: the sort key of the row before it (of the row after
/// it, paging backwards).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageKey {
    /// The row's next due time: the overdue list is in (due time, number) order.
    pub next_due_at: Option<i64>,
    pub number: String,
}

/// The columns of `case_returns` in [`ReturnSummary`]'s order, for both backends' SQL.
pub(crate) const CASE_RETURNS_COLUMNS: &str = "case_id, request, case_number, kind, state, waiting_kind, waiting_step, waiting_role, rma_number, model, units, units_received, units_inspected, requested_at, reinspection_due_at";

/// The columns of `case_index` in [`CaseIndexRow`]'s order, for both backends' SQL.
pub(crate) const CASE_INDEX_COLUMNS: [&str; 37] = [
    "case_id",
    "number",
    "status",
    "customer_name",
    "region",
    "market",
    "product_model",
    "product_category",
    "serial_number",
    "received_at",
    "received_month",
    "closed_at",
    "defect_cause",
    "quality_fault",
    "warranty_covered",
    "warranty_rule",
    "charge_minor",
    "charge_currency",
    "parts_count",
    "reply_due_at",
    "reply_met",
    "remedy_due_at",
    "remedy_met",
    "report_due_at",
    "report_met",
    "close_due_at",
    "close_met",
    "next_due_at",
    "next_due_milestone",
    "engineer",
    "center",
    "has_conflict",
    "updated_at",
    "last_seq",
    "working_days_due_at",
    "working_days_met",
    "missed_deadlines",
];

impl CaseIndexQuery {
    /// The `WHERE` clause (empty without filters) for `search`'s backend and its values in
    /// placeholder order; `placeholder(n)` writes the n-th placeholder (from 1).
    pub(crate) fn where_sql(
        &self,
        search: SearchIndex,
        placeholder: impl Fn(usize) -> String,
    ) -> (String, Vec<CaseIndexValue>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        for (i, (condition, mut condition_values)) in
            self.conditions(search).into_iter().enumerate()
        {
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            let mut parts = condition.split("{}");
            sql.push_str(parts.next().unwrap_or_default());
            // Each `{}` takes the condition's next value.
            for (part, value) in parts.zip(condition_values.drain(..)) {
                values.push(value);
                sql.push_str(&placeholder(values.len()));
                sql.push_str(part);
            }
        }
        (sql, values)
    }

    /// The filters as (SQL condition, values), each `{}` in the condition standing for the
    /// next of its values.
    fn conditions(&self, search: SearchIndex) -> Vec<(&'static str, Vec<CaseIndexValue>)> {
        let mut out = Vec::new();
        if let Some(at) = self.overdue_at {
            out.push(("next_due_at < {}", vec![CaseIndexValue::Int(at)]));
        }
        for (column, value) in [
            ("status = {}", &self.status),
            ("received_month = {}", &self.month),
            ("product_model = {}", &self.model),
            ("defect_cause = {}", &self.defect_cause),
            ("center = {}", &self.center),
            ("product_category = {}", &self.category),
            ("engineer = {}", &self.engineer),
        ] {
            if let Some(v) = value {
                out.push((column, vec![CaseIndexValue::Text(v.clone())]));
            }
        }
        if let Some(term) = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            out.push(search_condition(term, search));
        }
        if let Some(key) = &self.after {
            let number = CaseIndexValue::Text(key.number.clone());
            out.push(match (self.overdue_at, key.next_due_at, self.backwards) {
                // Both backends compare row values in index order.
                (Some(_), Some(due), false) => (
                    "(next_due_at, number) > ({}, {})",
                    vec![CaseIndexValue::Int(due), number],
                ),
                (Some(_), Some(due), true) => (
                    "(next_due_at, number) < ({}, {})",
                    vec![CaseIndexValue::Int(due), number],
                ),
                (_, _, false) => ("number > {}", vec![number]),
                (_, _, true) => ("number < {}", vec![number]),
            });
        }
        out
    }

    /// `LIMIT`/`OFFSET` for a page, empty without a limit.
    pub(crate) fn page_sql(&self) -> String {
        match self.limit {
            Some(limit) => format!(" LIMIT {limit} OFFSET {}", self.offset),
            None => String::new(),
        }
    }

    pub(crate) fn order_by(&self) -> &'static str {
        match (self.overdue_at.is_some(), self.backwards) {
            (true, false) => "next_due_at, number",
            (true, true) => "next_due_at DESC, number DESC",
            (false, false) => "number",
            (false, true) => "number DESC",
        }
    }
}

/// How a backend's read model finds part of a case number, serial number or customer name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SearchIndex {
    /// SQLite: the FTS5 trigram table `case_search` (migration 15).
    Fts5Trigram,
    /// PostgreSQL: pg_trgm GIN indexes on the three columns (migration 15), which `ILIKE`
    /// uses as it is.
    PgTrigram,
}

/// The search box's condition. A trigram index needs three characters: a shorter term (a
/// two-character Chinese surname and given name) is matched by `LIKE` over the rows the
/// other filters leave, as before the index.
fn search_condition(term: &str, search: SearchIndex) -> (&'static str, Vec<CaseIndexValue>) {
    if search == SearchIndex::Fts5Trigram && term.chars().count() >= 3 {
        // One FTS5 phrase: its trigrams in a row, i.e. the term anywhere in one column,
        // case folded as `LIKE` folds it. Quotes in the term are doubled, so any input is
        // one literal phrase.
        let phrase = format!("\"{}\"", term.replace('"', "\"\""));
        return (
            "rowid IN (SELECT rowid FROM case_search WHERE case_search MATCH {})",
            vec![CaseIndexValue::Text(phrase)],
        );
    }
    // The term is matched literally: LIKE's wildcards in it are escaped.
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = CaseIndexValue::Text(format!("%{escaped}%"));
    let condition = match search {
        // SQLite's LIKE folds ASCII case; PostgreSQL's ILIKE does the same (and more), and
        // its trigram indexes serve it.
        SearchIndex::Fts5Trigram => {
            "(number LIKE {} ESCAPE '\\' OR serial_number LIKE {} ESCAPE '\\' \
             OR customer_name LIKE {} ESCAPE '\\')"
        }
        SearchIndex::PgTrigram => {
            "(number ILIKE {} ESCAPE '\\' OR serial_number ILIKE {} ESCAPE '\\' \
             OR customer_name ILIKE {} ESCAPE '\\')"
        }
    };
    (condition, vec![pattern.clone(), pattern.clone(), pattern])
}

/// A filter's value.
#[derive(Clone)]
pub(crate) enum CaseIndexValue {
    Int(i64),
    Text(String),
}

// ---- Pull budgeting (the types of the Tx methods of that name)

/// A run of one case's changes a pull may send: those with a sequence number above `after`
/// and at most `through` (`None`: to the end), leaving out the changes `skip_author` pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub case_id: Uuid,
    pub after: u64,
    pub through: Option<u64>,
    pub skip_author: Option<Uuid>,
}

/// How many changes a [`Span`] holds and their stored bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpanTotal {
    pub count: u64,
    pub bytes: u64,
}

/// A span's total, and its changes' bytes if they fitted ([`Tx::span_changes_within`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanLoad {
    pub case_id: Uuid,
    pub total: SpanTotal,
    pub chunks: Option<Vec<Vec<u8>>>,
}

/// How far a device got in a case sent in pages: the changes through `sent_seq`, in the
/// response whose cursor was `cursor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub sent_seq: u64,
    pub cursor: u64,
}

impl Span {
    /// `through` as the databases compare it: the end of the log when unbounded.
    pub(crate) fn through_db(&self) -> Result<i64> {
        self.through
            .map(to_db)
            .transpose()
            .map(|t| t.unwrap_or(i64::MAX))
    }
}
