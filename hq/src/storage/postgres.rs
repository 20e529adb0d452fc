//! The PostgreSQL backend: a deadpool of tokio-postgres connections, for deployments where
//! several stateless HQ nodes share one database.
//!
//! Why tokio-postgres + deadpool rather than sqlx: it speaks the binary protocol with real
//! `uuid[]`/`bytea[]` array parameters, so a whole batch (thousands of changes of one sync)
//! is one `UNNEST` statement instead of thousands of round trips; it brings no macros or
//! offline query cache; and sqlx's SQLite driver would link a second SQLite beside rusqlite's.
//!
//! Ordering: transactions run at READ COMMITTED. A writer first takes the advisory locks of
//! the cases it changes ([`Tx::lock_cases`]), reads and decides under them, writes the bytes
//! of a big push ([`Tx::stage_bodies`]), and only then takes [`Tx::lock_log`], a row lock on
//! the `seq` counter row (`FOR UPDATE`), for the short tail that numbers and writes the log
//! rows. Writers therefore commit one after another in sequence order, while their long
//! parts overlap; pull-only syncs read a `REPEATABLE READ` snapshot and wait for nobody
//! (ADR 0026). Since READ COMMITTED reads every statement against what was committed when it
//! started, everything a writer reads after the counter lock is consistent with the value it
//! read, and everything it read of its cases before is still current: no one else may change
//! them meanwhile.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use automerge::ChangeHash;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use fieldcore::ReferenceData;
use tokio_postgres::error::SqlState;
use tokio_postgres::{IsolationLevel, NoTls, Row};
use uuid::Uuid;

use super::{
    BoxFuture, Candidate, CaseInfo, CaseOrigin, CaseRow, DeviceAuth, DeviceInfo, LockMode, LogRow,
    NewCase, NewDevice, Page, PullQuery, Span, SpanLoad, SpanTotal, Tombstone, Tx, from_db,
    hash_from_db, to_db,
};
// Read model
use super::{CASE_INDEX_COLUMNS, CaseIndexQuery, CaseIndexRow, CaseIndexValue, SearchIndex};
use super::{CASE_RETURNS_COLUMNS, ReturnSummary};
use super::{CASE_WAITING_COLUMNS, CaseWaitingRow};
use super::{
    CaseReportRow, MonthCount, QUALITY_REPORT_SELECT, QualityReportRow, REPORT_CASE_SELECT,
    ReportCaseRow, ReportKey, ReportLogRow, ShipmentRow,
};
use super::{ConsoleUser, NewConsoleSession, SignInFailures};
use super::{ESCALATION_SELECT, EscalationRow, NewEscalation};
use super::{
    IssuedCase, LedgerInfo, LedgerModel, MovementRow, NewLedger, PartLineRow, RequestRow,
    ShipmentPartRow,
};
use super::{WRITEOFF_SELECT, WriteoffApproval, WriteoffRow, WriteoffRun};
use crate::access::{Role, Scope, User};
use crate::error::{Error, Result};

/// Numbered migrations, applied in order inside one transaction, tracked in
/// `schema_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/postgres/0002_naive_sync.sql"),
    ),
    (
        3,
        include_str!("../../migrations/postgres/0003_hq_actors.sql"),
    ),
    (
        4,
        include_str!("../../migrations/postgres/0004_change_actor_seq.sql"),
    ),
    (
        5,
        include_str!("../../migrations/postgres/0005_case_index.sql"),
    ),
    (
        6,
        include_str!("../../migrations/postgres/0006_change_sizes.sql"),
    ),
    (
        7,
        include_str!("../../migrations/postgres/0007_escalations.sql"),
    ),
    (
        8,
        include_str!("../../migrations/postgres/0008_blob_access.sql"),
    ),
    (
        9,
        include_str!("../../migrations/postgres/0009_case_index_working_days.sql"),
    ),
    (
        10,
        include_str!("../../migrations/postgres/0010_returns.sql"),
    ),
    (
        11,
        include_str!("../../migrations/postgres/0011_stock_ledgers.sql"),
    ),
    (
        12,
        include_str!("../../migrations/postgres/0012_writeoffs.sql"),
    ),
    (
        13,
        include_str!("../../migrations/postgres/0013_quality_report.sql"),
    ),
    (
        14,
        include_str!("../../migrations/postgres/0014_console_sign_in.sql"),
    ),
    (
        15,
        include_str!("../../migrations/postgres/0015_console_search_and_inbox.sql"),
    ),
    (
        16,
        include_str!("../../migrations/postgres/0016_archive.sql"),
    ),
    (
        17,
        include_str!("../../migrations/postgres/0017_change_bodies.sql"),
    ),
];

pub const LATEST: i64 = 17;

#[derive(Clone)]
pub struct PgStorage {
    pool: Pool,
}

impl PgStorage {
    /// Connects, and migrates the database to `version` (the latest if `None`). A request
    /// holds one of the `connections` for its transaction only; when all are in use the next
    /// waits for one.
    pub async fn open(url: &str, version: Option<i64>, connections: usize) -> Result<PgStorage> {
        let config = tokio_postgres::Config::from_str(url)?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(connections.max(1))
            .build()
            .map_err(|e| Error::Pool(e.to_string()))?;
        let storage = PgStorage { pool };
        storage.migrate(version.unwrap_or(LATEST)).await?;
        Ok(storage)
    }

    pub(super) fn connection_use(&self) -> super::ConnectionUse {
        let status = self.pool.status();
        super::ConnectionUse {
            open: status.size,
            max: status.max_size,
            waiting: status.waiting,
        }
    }

    async fn migrate(&self, target: i64) -> Result<()> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // Several HQ nodes may start at once: one migrates, the others wait and find it done.
        tx.batch_execute("SELECT pg_advisory_xact_lock(hashtext(current_schema()))")
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations \
             (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await?;
        let current: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await?
            .try_get(0)?;
        if current > LATEST {
            return Err(Error::NewerSchema {
                found: current,
                supported: LATEST,
            });
        }
        for (version, sql) in MIGRATIONS {
            if *version > current && *version <= target {
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    &[version, &super::unix_now()],
                )
                .await?;
                tracing::info!(version, "postgres migration applied");
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn transaction<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, Result<R>> + Send + 'static,
    {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let mut pg = PgTx::new(tx);
        let result = match work(&mut pg).await {
            Ok(value) => pg.tx.commit().await.map(|()| value).map_err(Error::from),
            Err(e) => {
                if let Err(rollback) = pg.tx.rollback().await {
                    tracing::error!(error = %rollback, "postgres rollback failed");
                }
                Err(e)
            }
        };
        result.map_err(busy_on_conflict)
    }

    /// Runs `work` in a `REPEATABLE READ` transaction ([`super::Storage::snapshot`]).
    pub(super) async fn snapshot<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, Result<R>> + Send + 'static,
    {
        let mut client = self.pool.get().await?;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .start()
            .await?;
        let mut pg = PgTx::new(tx);
        let result = match work(&mut pg).await {
            Ok(value) => pg.tx.commit().await.map(|()| value).map_err(Error::from),
            Err(e) => {
                if let Err(rollback) = pg.tx.rollback().await {
                    tracing::error!(error = %rollback, "postgres rollback failed");
                }
                Err(e)
            }
        };
        result.map_err(busy_on_conflict)
    }

    /// Runs `work` in a read-only transaction: PostgreSQL readers take no lock writers wait
    /// on, and any write fails.
    pub(super) async fn read<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, Result<R>> + Send + 'static,
    {
        let mut client = self.pool.get().await?;
        // Repeatable read: every statement sees the same snapshot, as SQLite's read transaction
        // does, so a multi-query read (a write-off's input) is consistent.
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let mut pg = PgTx::new(tx);
        let result = work(&mut pg).await;
        if let Err(e) = pg.tx.rollback().await {
            tracing::warn!(error = %e, "ending a postgres read transaction failed");
        }
        result
    }

    pub(super) async fn schema_version(&self) -> Result<i64> {
        let client = self.pool.get().await?;
        Ok(client
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await?
            .try_get(0)?)
    }

    pub(super) async fn execute_raw(&self, sql: &str) -> Result<()> {
        let client = self.pool.get().await?;
        client.batch_execute(sql).await?;
        Ok(())
    }

    pub(super) async fn query_count(&self, sql: &str) -> Result<i64> {
        let client = self.pool.get().await?;
        Ok(client.query_one(sql, &[]).await?.try_get(0)?)
    }
}

/// A row of [`CASE_RETURNS_COLUMNS`].
fn return_summary_of(r: &Row) -> Result<ReturnSummary> {
    Ok(ReturnSummary {
        case_id: r.try_get(0)?,
        request: r.try_get(1)?,
        case_number: r.try_get(2)?,
        kind: r.try_get(3)?,
        state: r.try_get(4)?,
        waiting_kind: r.try_get(5)?,
        waiting_step: r.try_get(6)?,
        waiting_role: r.try_get(7)?,
        rma_number: r.try_get(8)?,
        model: r.try_get(9)?,
        units: r.try_get(10)?,
        units_received: r.try_get(11)?,
        units_inspected: r.try_get(12)?,
        requested_at: r.try_get(13)?,
        reinspection_due_at: r.try_get(14)?,
    })
}

/// A transaction PostgreSQL ended because of a concurrent one (a snapshot's serialization
/// failure, or a deadlock between lock orders HQ does not foresee) is answered "busy, try
/// again": the retry finds the other one committed.
fn busy_on_conflict(e: Error) -> Error {
    match e {
        Error::Postgres(e)
            if e.code() == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
                || e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED) =>
        {
            Error::Busy {
                what: "a concurrent request changed the same records",
                retry_after_secs: 1,
            }
        }
        e => e,
    }
}

struct PgTx<'c> {
    tx: deadpool_postgres::Transaction<'c>,
    /// The changes whose bytes [`Tx::stage_bodies`] wrote in this transaction: `append`
    /// writes their log rows without the bytes.
    staged: HashSet<(Uuid, ChangeHash)>,
}

impl<'c> PgTx<'c> {
    fn new(tx: deadpool_postgres::Transaction<'c>) -> PgTx<'c> {
        PgTx {
            tx,
            staged: HashSet::new(),
        }
    }
}

impl PgTx<'_> {
    async fn rows(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        let stmt = self.tx.prepare_cached(sql).await?;
        Ok(self.tx.query(&stmt, params).await?)
    }

    async fn opt(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Option<Row>> {
        let stmt = self.tx.prepare_cached(sql).await?;
        Ok(self.tx.query_opt(&stmt, params).await?)
    }

    async fn one(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Row> {
        let stmt = self.tx.prepare_cached(sql).await?;
        Ok(self.tx.query_one(&stmt, params).await?)
    }

    async fn exec(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64> {
        let stmt = self.tx.prepare_cached(sql).await?;
        Ok(self.tx.execute(&stmt, params).await?)
    }
}

fn role_of(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| Error::internal("stored role"))
}

fn user_of(row: &Row, offset: usize) -> Result<User> {
    Ok(User {
        id: row.try_get(offset)?,
        name: row.try_get(offset + 1)?,
        role: role_of(row.try_get::<_, &str>(offset + 2)?)?,
        center: row.try_get(offset + 3)?,
    })
}

const DEVICE_SELECT: &str = "SELECT d.device_id, d.actor, d.revoked, u.user_id, u.name, u.role, u.center \
     FROM devices d JOIN users u ON u.user_id = d.user_id";

fn device_of(row: &Row) -> Result<DeviceAuth> {
    Ok(DeviceAuth {
        device_id: row.try_get(0)?,
        actor: row.try_get(1)?,
        revoked: row.try_get(2)?,
        user: user_of(row, 3)?,
    })
}

const CASE_SELECT: &str =
    "SELECT case_id, number, created_by, assigned_engineer, routed_center, sync_seq FROM cases";

fn case_of(row: &Row) -> Result<CaseRow> {
    Ok(CaseRow {
        case_id: row.try_get(0)?,
        number: row.try_get(1)?,
        created_by: row.try_get(2)?,
        assigned_engineer: row.try_get(3)?,
        routed_center: row.try_get(4)?,
        sync_seq: from_db(row.try_get(5)?)?,
    })
}

fn grouped(rows: Vec<Row>, cases: &[Uuid]) -> Result<HashMap<Uuid, Vec<Vec<u8>>>> {
    let mut out: HashMap<Uuid, Vec<Vec<u8>>> = cases.iter().map(|id| (*id, Vec::new())).collect();
    for row in rows {
        let id: Uuid = row.try_get(0)?;
        out.entry(id).or_default().push(row.try_get(1)?);
    }
    Ok(out)
}

#[async_trait::async_trait]
impl Tx for PgTx<'_> {
    async fn lock_log(&mut self, mode: LockMode) -> Result<u64> {
        let sql = match mode {
            LockMode::Exclusive => "SELECT value FROM counters WHERE name = 'seq' FOR UPDATE",
            LockMode::Shared => "SELECT value FROM counters WHERE name = 'seq' FOR SHARE",
            LockMode::Snapshot => "SELECT value FROM counters WHERE name = 'seq'",
        };
        from_db(self.one(sql, &[]).await?.try_get(0)?)
    }

    async fn lock_cases(&mut self, ids: &[Uuid]) -> Result<()> {
        // One key per case within this schema's lock space (HQ tests share a database, one
        // schema each). Sorted and distinct, so every transaction takes its locks in the same
        // order; two cases folding to one key only wait for each other.
        let mut keys: Vec<i32> = ids.iter().map(|id| case_lock_key(*id)).collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.is_empty() {
            return Ok(());
        }
        // unnest yields the array in order and the locks are taken row by row in that order.
        self.exec(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema()), k) \
             FROM unnest($1::int4[]) AS k",
            &[&keys],
        )
        .await?;
        Ok(())
    }

    async fn stage_bodies(&mut self, bodies: &[(Uuid, ChangeHash, &[u8])]) -> Result<()> {
        for batch in by_statement_bytes(bodies, |(_, _, bytes)| bytes.len()) {
            let ids: Vec<Uuid> = batch.iter().map(|(id, _, _)| *id).collect();
            let hashes: Vec<&[u8]> = batch.iter().map(|(_, h, _)| h.0.as_slice()).collect();
            let bytes: Vec<&[u8]> = batch.iter().map(|(_, _, b)| *b).collect();
            // A body staged already (a retried request) is the same bytes: its hash says so.
            self.exec(
                "INSERT INTO change_bodies (case_id, hash, bytes) \
                 SELECT * FROM UNNEST($1::uuid[], $2::bytea[], $3::bytea[]) \
                 ON CONFLICT (case_id, hash) DO NOTHING",
                &[&ids, &hashes, &bytes],
            )
            .await?;
        }
        self.staged
            .extend(bodies.iter().map(|(id, hash, _)| (*id, *hash)));
        Ok(())
    }

    async fn allocate_seqs(&mut self, n: u64) -> Result<u64> {
        let last: i64 = self
            .one(
                "UPDATE counters SET value = value + $1 WHERE name = 'seq' RETURNING value",
                &[&to_db(n)?],
            )
            .await?
            .try_get(0)?;
        Ok(from_db(last)? + 1 - n)
    }

    async fn allocate_numbers(&mut self, month: &str, n: u32) -> Result<u32> {
        let last: i64 = self
            .one(
                "INSERT INTO number_counters (month, last) VALUES ($1, $2) \
                 ON CONFLICT (month) DO UPDATE SET last = number_counters.last + EXCLUDED.last \
                 RETURNING last",
                &[&month, &i64::from(n)],
            )
            .await?
            .try_get(0)?;
        let last = u32::try_from(last).map_err(|_| Error::internal("number counter"))?;
        Ok(last + 1 - n)
    }

    async fn allocate_rma_number(&mut self, month: &str) -> Result<u32> {
        let last: i64 = self
            .one(
                "INSERT INTO rma_counters (month, last) VALUES ($1, 1) \
                 ON CONFLICT (month) DO UPDATE SET last = rma_counters.last + 1 \
                 RETURNING last",
                &[&month],
            )
            .await?
            .try_get(0)?;
        u32::try_from(last).map_err(|_| Error::internal("RMA number counter"))
    }

    async fn insert_user(
        &mut self,
        name: &str,
        role: Role,
        center: Option<&str>,
        at: i64,
    ) -> Result<User> {
        let inserted = self
            .one(
                "INSERT INTO users (name, role, center, created_at) VALUES ($1, $2, $3, $4) \
                 RETURNING user_id",
                &[&name, &role.as_str(), &center, &at],
            )
            .await;
        match inserted {
            Ok(row) => Ok(User {
                id: row.try_get(0)?,
                name: name.to_owned(),
                role,
                center: center.map(str::to_owned),
            }),
            Err(Error::Postgres(e)) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Err(
                Error::Invalid(format!("a user named {name:?} exists already")),
            ),
            Err(e) => Err(e),
        }
    }

    async fn user_by_name(&mut self, name: &str) -> Result<Option<User>> {
        self.opt(
            "SELECT user_id, name, role, center FROM users WHERE name = $1",
            &[&name],
        )
        .await?
        .map(|row| user_of(&row, 0))
        .transpose()
    }

    async fn users_by_id(&mut self, ids: &[i64]) -> Result<HashMap<i64, User>> {
        let rows = self
            .rows(
                "SELECT user_id, name, role, center FROM users WHERE user_id = ANY($1)",
                &[&ids],
            )
            .await?;
        rows.iter()
            .map(|row| user_of(row, 0).map(|u| (u.id, u)))
            .collect()
    }

    async fn insert_device(&mut self, device: &NewDevice) -> Result<()> {
        self.exec(
            "INSERT INTO devices (device_id, user_id, label, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &device.device_id,
                &device.user_id,
                &device.label,
                &device.token_hash.as_slice(),
                &device.created_at,
            ],
        )
        .await?;
        Ok(())
    }

    async fn device_by_token(&mut self, token_hash: &[u8; 32]) -> Result<Option<DeviceAuth>> {
        self.opt(
            &format!("{DEVICE_SELECT} WHERE d.token_hash = $1"),
            &[&token_hash.as_slice()],
        )
        .await?
        .map(|row| device_of(&row))
        .transpose()
    }

    async fn device_by_id(&mut self, device_id: Uuid) -> Result<Option<DeviceAuth>> {
        self.opt(
            &format!("{DEVICE_SELECT} WHERE d.device_id = $1"),
            &[&device_id],
        )
        .await?
        .map(|row| device_of(&row))
        .transpose()
    }

    async fn device_of_actor(&mut self, actor: &[u8]) -> Result<Option<Uuid>> {
        self.opt("SELECT device_id FROM devices WHERE actor = $1", &[&actor])
            .await?
            .map(|row| Ok(row.try_get(0)?))
            .transpose()
    }

    async fn reserve_hq_actor(&mut self, actor: &[u8]) -> Result<()> {
        self.exec(
            "INSERT INTO hq_actors (actor) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&actor],
        )
        .await?;
        Ok(())
    }

    async fn is_hq_actor(&mut self, actor: &[u8]) -> Result<bool> {
        Ok(self
            .opt("SELECT 1 FROM hq_actors WHERE actor = $1", &[&actor])
            .await?
            .is_some())
    }

    async fn bind_actor(&mut self, device_id: Uuid, actor: &[u8]) -> Result<bool> {
        let n = self
            .exec(
                "UPDATE devices SET actor = $2 WHERE device_id = $1 AND actor IS NULL",
                &[&device_id, &actor],
            )
            .await?;
        Ok(n == 1)
    }

    async fn revoke_device(&mut self, device_id: Uuid) -> Result<bool> {
        let n = self
            .exec(
                "UPDATE devices SET revoked = TRUE WHERE device_id = $1",
                &[&device_id],
            )
            .await?;
        Ok(n == 1)
    }

    async fn devices(&mut self) -> Result<Vec<DeviceInfo>> {
        let rows = self
            .rows(
                "SELECT d.device_id, u.name, d.label, d.actor, d.revoked, d.created_at \
                 FROM devices d JOIN users u ON u.user_id = d.user_id \
                 ORDER BY d.created_at, d.device_id",
                &[],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(DeviceInfo {
                    device_id: row.try_get(0)?,
                    user: row.try_get(1)?,
                    label: row.try_get(2)?,
                    actor: row.try_get(3)?,
                    revoked: row.try_get(4)?,
                    created_at: row.try_get(5)?,
                })
            })
            .collect()
    }

    async fn cases(&mut self, ids: &[Uuid]) -> Result<HashMap<Uuid, CaseRow>> {
        // Asked with none by the steps of a sync that had nothing to do (a push of no
        // ledger, no case wanted whole): no round trip to the server for them.
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = self
            .rows(&format!("{CASE_SELECT} WHERE case_id = ANY($1)"), &[&ids])
            .await?;
        rows.iter()
            .map(|row| case_of(row).map(|c| (c.case_id, c)))
            .collect()
    }

    async fn case_by_number(&mut self, number: &str) -> Result<Option<CaseRow>> {
        self.opt(&format!("{CASE_SELECT} WHERE number = $1"), &[&number])
            .await?
            .map(|row| case_of(&row))
            .transpose()
    }

    async fn insert_cases(&mut self, cases: &[NewCase]) -> Result<()> {
        if cases.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = cases.iter().map(|c| c.case_id).collect();
        let numbers: Vec<&str> = cases.iter().map(|c| c.number.as_str()).collect();
        let creators: Vec<i64> = cases.iter().map(|c| c.created_by).collect();
        let devices: Vec<Option<Uuid>> = cases.iter().map(|c| c.created_device).collect();
        let centers: Vec<Option<&str>> = cases.iter().map(|c| c.routed_center.as_deref()).collect();
        let seqs: Vec<i64> = cases
            .iter()
            .map(|c| to_db(c.sync_seq))
            .collect::<Result<_>>()?;
        let times: Vec<i64> = cases.iter().map(|c| c.created_at).collect();
        self.exec(
            "INSERT INTO cases (case_id, number, created_by, created_device, routed_center, \
             sync_seq, created_at) \
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], \
             $6::bigint[], $7::bigint[])",
            &[&ids, &numbers, &creators, &devices, &centers, &seqs, &times],
        )
        .await?;
        Ok(())
    }

    async fn set_sync_seqs(&mut self, seqs: &[(Uuid, u64)]) -> Result<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = seqs.iter().map(|(id, _)| *id).collect();
        let values: Vec<i64> = seqs.iter().map(|(_, s)| to_db(*s)).collect::<Result<_>>()?;
        self.exec(
            "UPDATE cases SET sync_seq = GREATEST(cases.sync_seq, u.seq) \
             FROM UNNEST($1::uuid[], $2::bigint[]) AS u(id, seq) WHERE cases.case_id = u.id",
            &[&ids, &values],
        )
        .await?;
        Ok(())
    }

    async fn set_read_model_seqs(&mut self, seqs: &[(Uuid, u64)]) -> Result<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = seqs.iter().map(|(id, _)| *id).collect();
        let values: Vec<i64> = seqs.iter().map(|(_, s)| to_db(*s)).collect::<Result<_>>()?;
        // Both tables in one statement: it runs under the log lock.
        self.exec(
            "WITH u AS (SELECT * FROM UNNEST($1::uuid[], $2::bigint[]) AS u(id, seq)), \
             i AS (UPDATE case_index c SET last_seq = u.seq FROM u \
                   WHERE c.case_id = u.id AND c.last_seq < u.seq) \
             UPDATE case_report r SET last_seq = u.seq FROM u \
             WHERE r.case_id = u.id AND r.last_seq < u.seq",
            &[&ids, &values],
        )
        .await?;
        Ok(())
    }

    async fn set_assignment(&mut self, case_id: Uuid, engineer: i64, seq: u64) -> Result<()> {
        self.exec(
            "UPDATE cases SET assigned_engineer = $2, sync_seq = $3 WHERE case_id = $1",
            &[&case_id, &engineer, &to_db(seq)?],
        )
        .await?;
        Ok(())
    }

    async fn set_route(&mut self, case_id: Uuid, center: &str, seq: u64) -> Result<()> {
        self.exec(
            "UPDATE cases SET routed_center = $2, sync_seq = $3 WHERE case_id = $1",
            &[&case_id, &center, &to_db(seq)?],
        )
        .await?;
        Ok(())
    }

    async fn list_cases(&mut self) -> Result<Vec<CaseInfo>> {
        let rows = self
            .rows(
                "SELECT c.case_id, c.number, cu.name, au.name, c.routed_center, c.sync_seq, \
                        (SELECT COUNT(*) FROM changes l WHERE l.case_id = c.case_id) \
                 FROM cases c JOIN users cu ON cu.user_id = c.created_by \
                 LEFT JOIN users au ON au.user_id = c.assigned_engineer \
                 WHERE c.kind = 'case' ORDER BY c.number",
                &[],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(CaseInfo {
                    case_id: row.try_get(0)?,
                    number: row.try_get(1)?,
                    created_by: row.try_get(2)?,
                    assigned_engineer: row.try_get(3)?,
                    routed_center: row.try_get(4)?,
                    sync_seq: from_db(row.try_get(5)?)?,
                    changes: from_db(row.try_get(6)?)?,
                })
            })
            .collect()
    }

    async fn held(&mut self, keys: &[(Uuid, ChangeHash)]) -> Result<HashSet<(Uuid, ChangeHash)>> {
        if keys.is_empty() {
            return Ok(HashSet::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|(id, _)| *id).collect();
        let hashes: Vec<&[u8]> = keys.iter().map(|(_, h)| h.0.as_slice()).collect();
        let rows = self
            .rows(
                "SELECT c.case_id, c.hash FROM changes c \
                 JOIN UNNEST($1::uuid[], $2::bytea[]) AS k(case_id, hash) \
                 ON c.case_id = k.case_id AND c.hash = k.hash",
                &[&ids, &hashes],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<_, Uuid>(0)?,
                    hash_from_db(row.try_get::<_, &[u8]>(1)?)?,
                ))
            })
            .collect()
    }

    async fn hashes_at(
        &mut self,
        keys: &[(Uuid, Vec<u8>, u64)],
    ) -> Result<HashMap<(Uuid, Vec<u8>, u64), ChangeHash>> {
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = keys.iter().map(|(id, _, _)| *id).collect();
        let actors: Vec<&[u8]> = keys.iter().map(|(_, a, _)| a.as_slice()).collect();
        let seqs: Vec<i64> = keys
            .iter()
            .map(|(_, _, s)| to_db(*s))
            .collect::<Result<_>>()?;
        let rows = self
            .rows(
                "SELECT c.case_id, c.actor, c.actor_seq, c.hash FROM changes c \
                 JOIN UNNEST($1::uuid[], $2::bytea[], $3::bigint[]) AS k(case_id, actor, actor_seq) \
                 ON c.case_id = k.case_id AND c.actor = k.actor AND c.actor_seq = k.actor_seq",
                &[&ids, &actors, &seqs],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get(2)?;
                let seq =
                    u64::try_from(seq).map_err(|_| Error::internal("a negative actor_seq"))?;
                let key = (
                    row.try_get::<_, Uuid>(0)?,
                    row.try_get::<_, Vec<u8>>(1)?,
                    seq,
                );
                Ok((key, hash_from_db(row.try_get::<_, &[u8]>(3)?)?))
            })
            .collect()
    }

    async fn append(&mut self, rows: &[LogRow]) -> Result<()> {
        let staged = &self.staged;
        let is_staged = |r: &LogRow| staged.contains(&(r.case_id, r.hash));
        let inline = |r: &LogRow| if is_staged(r) { 0 } else { r.bytes.len() };
        for batch in by_statement_bytes(rows, inline) {
            let seqs: Vec<i64> = batch.iter().map(|r| to_db(r.seq)).collect::<Result<_>>()?;
            let ids: Vec<Uuid> = batch.iter().map(|r| r.case_id).collect();
            let hashes: Vec<&[u8]> = batch.iter().map(|r| r.hash.0.as_slice()).collect();
            let actors: Vec<&[u8]> = batch.iter().map(|r| r.actor.as_slice()).collect();
            let authors: Vec<Option<Uuid>> = batch.iter().map(|r| r.authored_by).collect();
            // A staged change's bytes are in `change_bodies` already.
            let bytes: Vec<Option<&[u8]>> = batch
                .iter()
                .map(|r| (!is_staged(r)).then_some(r.bytes.as_slice()))
                .collect();
            let actor_seqs: Vec<i64> = batch
                .iter()
                .map(|r| to_db(r.actor_seq))
                .collect::<Result<_>>()?;
            let sizes: Vec<i64> = batch
                .iter()
                .map(|r| {
                    i64::try_from(r.bytes.len())
                        .map_err(|_| Error::internal("a change over i64::MAX bytes"))
                })
                .collect::<Result<_>>()?;
            self.exec(
                "INSERT INTO changes \
                 (seq, case_id, hash, actor, authored_by, bytes, actor_seq, size) \
                 SELECT * FROM UNNEST($1::bigint[], $2::uuid[], $3::bytea[], $4::bytea[], \
                 $5::uuid[], $6::bytea[], $7::bigint[], $8::bigint[])",
                &[
                    &seqs,
                    &ids,
                    &hashes,
                    &actors,
                    &authors,
                    &bytes,
                    &actor_seqs,
                    &sizes,
                ],
            )
            .await?;
        }
        Ok(())
    }

    async fn histories(&mut self, cases: &[Uuid]) -> Result<HashMap<Uuid, Vec<Vec<u8>>>> {
        if cases.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = self
            .rows(
                &format!(
                    "SELECT l.case_id, {BYTES} FROM changes l {BODY_JOIN} \
                     WHERE l.case_id = ANY($1) ORDER BY l.seq"
                ),
                &[&cases],
            )
            .await?;
        grouped(rows, cases)
    }

    async fn pull_candidates(&mut self, query: &PullQuery) -> Result<Vec<Candidate>> {
        const COLUMNS: &str = "c.case_id, c.sync_seq, c.number, \
             (h.since_seq IS NOT NULL AND h.since_seq <= $2), \
             CASE WHEN h.sent_cursor <= $2 THEN h.sent_seq END, h.sent_seq IS NOT NULL";
        // Cases sent in pages whose last page the device stored come first, also when the
        // cursor is past them (a want_full case): they are not finished yet.
        let paged = format!(
            "SELECT {COLUMNS} FROM device_cases h JOIN cases c ON c.case_id = h.case_id \
             WHERE h.device_id = $1 AND h.sent_seq IS NOT NULL AND h.sent_cursor <= $2 \
               AND c.sync_seq <= $2"
        );
        let touched = format!(
            "SELECT {COLUMNS} \
             FROM cases c \
             LEFT JOIN device_cases h ON h.device_id = $1 AND h.case_id = c.case_id \
             WHERE c.sync_seq > $2 \
               AND (h.since_seq IS NULL OR h.since_seq > $2 \
                    OR (h.sent_seq IS NOT NULL AND h.sent_cursor <= $2) OR EXISTS ( \
                    SELECT 1 FROM changes l WHERE l.case_id = c.case_id AND l.seq > $2 \
                    AND l.authored_by IS DISTINCT FROM $1))"
        );
        let cursor = to_db(query.cursor)?;
        let limit = i64::from(query.limit);
        let mut rows = Vec::new();
        for head in [paged, touched] {
            rows.extend(match &query.scope {
                Scope::All => {
                    self.rows(
                        &format!("{head} ORDER BY c.sync_seq LIMIT $3"),
                        &[&query.device_id, &cursor, &limit],
                    )
                    .await?
                }
                Scope::Engineer(user) => {
                    self.rows(
                        &format!(
                            "{head} AND (c.created_by = $4 OR c.assigned_engineer = $4) \
                             ORDER BY c.sync_seq LIMIT $3"
                        ),
                        &[&query.device_id, &cursor, &limit, user],
                    )
                    .await?
                }
                Scope::Center(center) => {
                    self.rows(
                        &format!("{head} AND c.routed_center = $4 ORDER BY c.sync_seq LIMIT $3"),
                        &[&query.device_id, &cursor, &limit, center],
                    )
                    .await?
                }
            });
        }
        rows.truncate(query.limit as usize);
        rows.iter()
            .map(|row| {
                Ok(Candidate {
                    case_id: row.try_get(0)?,
                    sync_seq: from_db(row.try_get(1)?)?,
                    number: row.try_get(2)?,
                    device_has_it: row.try_get(3)?,
                    sent_seq: row.try_get::<_, Option<i64>>(4)?.map(from_db).transpose()?,
                    paged: row.try_get(5)?,
                })
            })
            .collect()
    }

    async fn mark_held_by_device(&mut self, device: Uuid, cases: &[(Uuid, u64)]) -> Result<()> {
        if cases.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = cases.iter().map(|(id, _)| *id).collect();
        let since: Vec<i64> = cases
            .iter()
            .map(|(_, s)| to_db(*s))
            .collect::<Result<_>>()?;
        self.exec(
            "INSERT INTO device_cases (device_id, case_id, since_seq) \
             SELECT $1, u.case_id, u.since FROM UNNEST($2::uuid[], $3::bigint[]) AS u(case_id, since) \
             ON CONFLICT (device_id, case_id) \
             DO UPDATE SET since_seq = LEAST(device_cases.since_seq, EXCLUDED.since_seq)",
            &[&device, &ids, &since],
        )
        .await?;
        Ok(())
    }

    async fn reference(&mut self) -> Result<Option<ReferenceData>> {
        self.opt(
            "SELECT version, policies_json, catalogs_json FROM reference_data \
             ORDER BY version DESC LIMIT 1",
            &[],
        )
        .await?
        .map(|row| {
            Ok(ReferenceData {
                version: from_db(row.try_get(0)?)?,
                policies_json: row.try_get(1)?,
                catalogs_json: row.try_get(2)?,
            })
        })
        .transpose()
    }

    async fn insert_reference(
        &mut self,
        policies_json: &str,
        catalogs_json: &str,
        at: i64,
    ) -> Result<u64> {
        // Two admins publishing at once must get consecutive versions, not the same MAX + 1.
        self.tx
            .batch_execute("LOCK TABLE reference_data IN EXCLUSIVE MODE")
            .await?;
        let version: i64 = self
            .one(
                "INSERT INTO reference_data (version, policies_json, catalogs_json, created_at) \
                 SELECT COALESCE(MAX(version), 0) + 1, $1, $2, $3 FROM reference_data \
                 RETURNING version",
                &[&policies_json, &catalogs_json, &at],
            )
            .await?
            .try_get(0)?;
        from_db(version)
    }

    async fn naive_state(&mut self, device: Uuid, case_id: Uuid) -> Result<Option<Vec<u8>>> {
        self.opt(
            "SELECT state FROM naive_sync_states WHERE device_id = $1 AND case_id = $2",
            &[&device, &case_id],
        )
        .await?
        .map(|row| Ok(row.try_get(0)?))
        .transpose()
    }

    async fn set_naive_state(&mut self, device: Uuid, case_id: Uuid, state: &[u8]) -> Result<()> {
        self.exec(
            "INSERT INTO naive_sync_states (device_id, case_id, state) VALUES ($1, $2, $3) \
             ON CONFLICT (device_id, case_id) DO UPDATE SET state = EXCLUDED.state",
            &[&device, &case_id, &state],
        )
        .await?;
        Ok(())
    }

    async fn ping(&mut self) -> Result<()> {
        self.one("SELECT 1", &[]).await?;
        Ok(())
    }

    // ---- Read model

    async fn upsert_case_index(&mut self, rows: &[CaseIndexRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        // One statement for the whole batch: the rows travel as one JSON array, typed by the
        // record definition, rather than as 34 parallel arrays.
        let json = serde_json::to_string(rows)
            .map_err(|e| Error::internal(format!("read-model rows as JSON: {e}")))?;
        self.exec(&case_index_upsert_sql(), &[&json]).await?;
        Ok(())
    }

    async fn query_case_index(&mut self, query: &CaseIndexQuery) -> Result<Vec<CaseIndexRow>> {
        let (filter, filter_values) = query.where_sql(SearchIndex::PgTrigram, |n| format!("${n}"));
        let mut sql = format!(
            "SELECT {} FROM case_index{filter}",
            CASE_INDEX_COLUMNS.join(", ")
        );
        let params: Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>> = filter_values
            .into_iter()
            .map(
                |value| -> Box<dyn tokio_postgres::types::ToSql + Sync + Send> {
                    match value {
                        CaseIndexValue::Int(n) => Box::new(n),
                        CaseIndexValue::Text(t) => Box::new(t),
                    }
                },
            )
            .collect();
        sql.push_str(&format!(" ORDER BY {}", query.order_by()));
        sql.push_str(&query.page_sql());
        let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        // Prepared anew, not cached: PostgreSQL plans a cached statement generically after
        // five runs, and a generic plan cannot know a search term is rare, so it walked the
        // number index filtering every row (276 ms at 100,000 cases) where the trigram
        // indexes answer in under a millisecond. Planning each list costs ~2 ms.
        let rows = self.tx.query(sql.as_str(), &refs).await?;
        rows.iter().map(case_index_row_of).collect()
    }

    async fn replace_case_returns(&mut self, cases: &[Uuid], rows: &[ReturnSummary]) -> Result<()> {
        if !cases.is_empty() {
            self.exec(
                "DELETE FROM case_returns WHERE case_id = ANY($1)",
                &[&cases],
            )
            .await?;
        }
        let sql = format!(
            "INSERT INTO case_returns ({CASE_RETURNS_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        );
        for r in rows {
            self.exec(
                &sql,
                &[
                    &r.case_id,
                    &r.request,
                    &r.case_number,
                    &r.kind,
                    &r.state,
                    &r.waiting_kind,
                    &r.waiting_step,
                    &r.waiting_role,
                    &r.rma_number,
                    &r.model,
                    &r.units,
                    &r.units_received,
                    &r.units_inspected,
                    &r.requested_at,
                    &r.reinspection_due_at,
                ],
            )
            .await?;
        }
        Ok(())
    }

    async fn replace_case_waiting(
        &mut self,
        cases: &[Uuid],
        rows: &[CaseWaitingRow],
    ) -> Result<()> {
        if !cases.is_empty() {
            self.exec(
                "DELETE FROM case_waiting WHERE case_id = ANY($1)",
                &[&cases],
            )
            .await?;
        }
        let sql = format!(
            "INSERT INTO case_waiting ({CASE_WAITING_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        for r in rows {
            self.exec(
                &sql,
                &[
                    &r.case_id,
                    &r.entry,
                    &r.kind,
                    &r.case_number,
                    &r.waiting_role,
                    &r.subject,
                    &r.reason,
                    &r.planned_for,
                    &r.requested_by,
                    &r.requested_at,
                ],
            )
            .await?;
        }
        Ok(())
    }

    async fn case_waiting(&mut self, role: Option<&str>) -> Result<Vec<CaseWaitingRow>> {
        let rows = self
            .rows(
                &format!(
                    "SELECT {CASE_WAITING_COLUMNS} FROM case_waiting \
                     WHERE $1::text IS NULL OR waiting_role = $1 \
                     ORDER BY requested_at, case_number, entry"
                ),
                &[&role],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseWaitingRow {
                    case_id: r.try_get(0)?,
                    entry: r.try_get(1)?,
                    kind: r.try_get(2)?,
                    case_number: r.try_get(3)?,
                    waiting_role: r.try_get(4)?,
                    subject: r.try_get(5)?,
                    reason: r.try_get(6)?,
                    planned_for: r.try_get(7)?,
                    requested_by: r.try_get(8)?,
                    requested_at: r.try_get(9)?,
                })
            })
            .collect()
    }

    async fn case_returns(&mut self, rma_number: Option<&str>) -> Result<Vec<ReturnSummary>> {
        let rows = self
            .rows(
                &format!(
                    "SELECT {CASE_RETURNS_COLUMNS} FROM case_returns \
                     WHERE $1::text IS NULL OR rma_number = $1 \
                     ORDER BY requested_at, case_number, request"
                ),
                &[&rma_number],
            )
            .await?;
        rows.iter().map(return_summary_of).collect()
    }

    async fn case_ids(&mut self, after: Option<Uuid>, limit: u32) -> Result<Vec<Uuid>> {
        let rows = self
            .rows(
                "SELECT case_id FROM cases WHERE ($1::uuid IS NULL OR case_id > $1) \
                 AND kind = 'case' ORDER BY case_id LIMIT $2",
                &[&after, &i64::from(limit)],
            )
            .await?;
        rows.iter()
            .map(|r| r.try_get(0).map_err(Error::from))
            .collect()
    }

    // ---- Stock ledgers

    async fn insert_ledger(&mut self, ledger: &NewLedger) -> Result<()> {
        self.exec(
            "INSERT INTO cases (case_id, number, created_by, created_device, assigned_engineer, \
             routed_center, sync_seq, created_at, kind) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'ledger')",
            &[
                &ledger.ledger_id,
                &format!("{} {}", ledger.holder, ledger.quarter),
                &ledger.created_by,
                &ledger.created_device,
                &ledger.assigned_engineer,
                &ledger.routed_center,
                &to_db(ledger.sync_seq)?,
                &ledger.created_at,
            ],
        )
        .await?;
        self.exec(
            "INSERT INTO ledgers (ledger_id, holder, quarter) VALUES ($1, $2, $3)",
            &[&ledger.ledger_id, &ledger.holder, &ledger.quarter],
        )
        .await?;
        Ok(())
    }

    async fn write_ledger_model(&mut self, model: &LedgerModel) -> Result<()> {
        let id = &model.ledger_id;
        self.exec(
            "UPDATE ledgers SET closed_at = $2 WHERE ledger_id = $1",
            &[id, &model.closed_at],
        )
        .await?;
        // Movements in bounded batches of one statement each: a quarter of a busy center is
        // thousands of rows, sent as arrays rather than one round trip per row.
        for batch in model.new_movements.chunks(2_000) {
            let col = |f: fn(&MovementRow) -> String| batch.iter().map(f).collect::<Vec<_>>();
            let opt =
                |f: fn(&MovementRow) -> Option<String>| batch.iter().map(f).collect::<Vec<_>>();
            let num = |f: fn(&MovementRow) -> i64| batch.iter().map(f).collect::<Vec<_>>();
            let ids: Vec<Uuid> = batch.iter().map(|m| m.ledger_id).collect();
            self.exec(
                "INSERT INTO ledger_movements (ledger_id, movement_id, holder, booked_quarter, \
                 correction_of, kind, part_number, quantity, delta, at, by_user, case_id, line) \
                 SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], \
                 $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[], \
                 $12::text[], $13::text[]) ON CONFLICT DO NOTHING",
                &[
                    &ids,
                    &col(|m| m.movement_id.clone()),
                    &col(|m| m.holder.clone()),
                    &col(|m| m.booked_quarter.clone()),
                    &opt(|m| m.correction_of.clone()),
                    &col(|m| m.kind.clone()),
                    &col(|m| m.part_number.clone()),
                    &num(|m| m.quantity),
                    &num(|m| m.delta),
                    &num(|m| m.at),
                    &col(|m| m.by_user.clone()),
                    &opt(|m| m.case_id.clone()),
                    &opt(|m| m.line.clone()),
                ],
            )
            .await?;
        }
        self.exec("DELETE FROM ledger_requests WHERE ledger_id = $1", &[id])
            .await?;
        for r in &model.requests {
            self.exec(
                "INSERT INTO ledger_requests (ledger_id, entry_id, holder, kind, part_number, \
                 specification, quantity, at, by_user, state, waiting_step, waiting_role, \
                 dispatched) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    id,
                    &r.entry_id,
                    &r.holder,
                    &r.kind,
                    &r.part_number,
                    &r.specification,
                    &r.quantity,
                    &r.at,
                    &r.by_user,
                    &r.state,
                    &r.waiting_step,
                    &r.waiting_role,
                    &r.dispatched,
                ],
            )
            .await?;
        }
        self.exec(
            "DELETE FROM ledger_shipment_parts WHERE ledger_id = $1",
            &[id],
        )
        .await?;
        for p in &model.shipment_parts {
            let received: Option<i64> = p.received.map(i64::from);
            self.exec(
                "INSERT INTO ledger_shipment_parts (ledger_id, shipment_id, holder, tag, \
                 part_number, case_id, line, shipped_at, received) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    id,
                    &p.shipment_id,
                    &p.holder,
                    &p.tag,
                    &p.part_number,
                    &p.case_id,
                    &p.line,
                    &p.shipped_at,
                    &received,
                ],
            )
            .await?;
        }
        Ok(())
    }

    async fn quarter_holders(&mut self, quarter: &str) -> Result<Vec<String>> {
        let rows = self
            .rows(
                "SELECT holder FROM ledgers WHERE quarter = $1 \
                 UNION SELECT holder FROM ledger_movements WHERE booked_quarter = $1 \
                 ORDER BY holder",
                &[&quarter],
            )
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    async fn ledger_infos(&mut self, holder: Option<&str>) -> Result<Vec<LedgerInfo>> {
        let rows = self
            .rows(
                "SELECT ledger_id, holder, quarter, closed_at FROM ledgers \
                 WHERE $1::text IS NULL OR holder = $1 ORDER BY holder, quarter",
                &[&holder],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(LedgerInfo {
                    ledger_id: r.try_get(0)?,
                    holder: r.try_get(1)?,
                    quarter: r.try_get(2)?,
                    closed_at: r.try_get(3)?,
                })
            })
            .collect()
    }

    async fn ledger_movements(
        &mut self,
        holder: &str,
        booked_quarter: Option<&str>,
    ) -> Result<Vec<MovementRow>> {
        let rows = self
            .rows(
                "SELECT ledger_id, movement_id, holder, booked_quarter, correction_of, kind, \
                 part_number, quantity, delta, at, by_user, case_id, line FROM ledger_movements \
                 WHERE holder = $1 AND ($2::text IS NULL OR booked_quarter = $2) \
                 ORDER BY at, movement_id",
                &[&holder, &booked_quarter],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(MovementRow {
                    ledger_id: r.try_get(0)?,
                    movement_id: r.try_get(1)?,
                    holder: r.try_get(2)?,
                    booked_quarter: r.try_get(3)?,
                    correction_of: r.try_get(4)?,
                    kind: r.try_get(5)?,
                    part_number: r.try_get(6)?,
                    quantity: r.try_get(7)?,
                    delta: r.try_get(8)?,
                    at: r.try_get(9)?,
                    by_user: r.try_get(10)?,
                    case_id: r.try_get(11)?,
                    line: r.try_get(12)?,
                })
            })
            .collect()
    }

    async fn ledger_shipment_parts(
        &mut self,
        holder: Option<&str>,
    ) -> Result<Vec<ShipmentPartRow>> {
        // Two statements, not `$1::text IS NULL OR holder = $1`: with the OR the
        // planner cannot use the holder's index, and each holder's write-off read every
        // holder's old parts.
        let filter = if holder.is_some() {
            "WHERE holder = $1"
        } else {
            "WHERE $1::text IS NULL"
        };
        let rows = self
            .rows(
                &format!(
                    "SELECT ledger_id, shipment_id, holder, tag, part_number, case_id, line, \
                     shipped_at, received FROM ledger_shipment_parts \
                     {filter} ORDER BY shipped_at, shipment_id, tag"
                ),
                &[&holder],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let received: Option<i64> = r.try_get(8)?;
                Ok(ShipmentPartRow {
                    ledger_id: r.try_get(0)?,
                    shipment_id: r.try_get(1)?,
                    holder: r.try_get(2)?,
                    tag: r.try_get(3)?,
                    part_number: r.try_get(4)?,
                    case_id: r.try_get(5)?,
                    line: r.try_get(6)?,
                    shipped_at: r.try_get(7)?,
                    received: received.map(|v| v != 0),
                })
            })
            .collect()
    }

    async fn ledger_requests(&mut self, waiting_only: bool) -> Result<Vec<RequestRow>> {
        let rows = self
            .rows(
                "SELECT ledger_id, entry_id, holder, kind, part_number, specification, quantity, \
                 at, by_user, state, waiting_step, waiting_role, dispatched FROM ledger_requests \
                 WHERE NOT $1 OR state = 'waiting' ORDER BY at, entry_id",
                &[&waiting_only],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(RequestRow {
                    ledger_id: r.try_get(0)?,
                    entry_id: r.try_get(1)?,
                    holder: r.try_get(2)?,
                    kind: r.try_get(3)?,
                    part_number: r.try_get(4)?,
                    specification: r.try_get(5)?,
                    quantity: r.try_get(6)?,
                    at: r.try_get(7)?,
                    by_user: r.try_get(8)?,
                    state: r.try_get(9)?,
                    waiting_step: r.try_get(10)?,
                    waiting_role: r.try_get(11)?,
                    dispatched: r.try_get(12)?,
                })
            })
            .collect()
    }

    async fn replace_case_part_lines(
        &mut self,
        cases: &[IssuedCase],
        rows: &[PartLineRow],
    ) -> Result<()> {
        if !cases.is_empty() {
            let ids: Vec<&str> = cases.iter().map(|c| c.case_id.as_str()).collect();
            let numbers: Vec<&str> = cases.iter().map(|c| c.number.as_str()).collect();
            let covered: Vec<Option<i64>> =
                cases.iter().map(|c| c.covered.map(i64::from)).collect();
            self.exec(
                "DELETE FROM case_part_lines WHERE case_id = ANY($1)",
                &[&ids],
            )
            .await?;
            self.exec(
                "INSERT INTO case_warranty (case_id, case_number, covered) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[]) \
                 ON CONFLICT (case_id) DO UPDATE SET case_number = EXCLUDED.case_number, \
                 covered = EXCLUDED.covered",
                &[&ids, &numbers, &covered],
            )
            .await?;
        }
        for batch in rows.chunks(2_000) {
            let text = |f: fn(&PartLineRow) -> &str| batch.iter().map(f).collect::<Vec<_>>();
            let covered: Vec<i64> = batch.iter().map(|r| i64::from(r.covered)).collect();
            let quantity: Vec<i64> = batch.iter().map(|r| r.quantity).collect();
            self.exec(
                "INSERT INTO case_part_lines (case_id, line_id, case_number, covered, \
                 part_number, quantity, old_part) SELECT * FROM UNNEST($1::text[], $2::text[], \
                 $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[])",
                &[
                    &text(|r| &r.case_id),
                    &text(|r| &r.line_id),
                    &text(|r| &r.case_number),
                    &covered,
                    &text(|r| &r.part_number),
                    &quantity,
                    &text(|r| &r.old_part),
                ],
            )
            .await?;
        }
        Ok(())
    }

    async fn issued_cases(&mut self, holder: &str, quarter: &str) -> Result<Vec<IssuedCase>> {
        let rows = self
            .rows(
                "SELECT case_id, case_number, covered FROM case_warranty WHERE case_id IN \
                 (SELECT case_id FROM ledger_movements \
                 WHERE holder = $1 AND booked_quarter = $2 AND kind = 'issue')",
                &[&holder, &quarter],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let covered: Option<i64> = r.try_get(2)?;
                Ok(IssuedCase {
                    case_id: r.try_get(0)?,
                    number: r.try_get(1)?,
                    covered: covered.map(|c| c != 0),
                })
            })
            .collect()
    }

    async fn issued_part_lines(&mut self, holder: &str, quarter: &str) -> Result<Vec<PartLineRow>> {
        let rows = self
            .rows(
                "SELECT case_id, line_id, case_number, covered, part_number, quantity, old_part \
                 FROM case_part_lines WHERE case_id IN (SELECT case_id FROM ledger_movements \
                 WHERE holder = $1 AND booked_quarter = $2 AND kind = 'issue') \
                 ORDER BY case_id, line_id",
                &[&holder, &quarter],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let covered: i64 = r.try_get(3)?;
                Ok(PartLineRow {
                    case_id: r.try_get(0)?,
                    line_id: r.try_get(1)?,
                    case_number: r.try_get(2)?,
                    covered: covered != 0,
                    part_number: r.try_get(4)?,
                    quantity: r.try_get(5)?,
                    old_part: r.try_get(6)?,
                })
            })
            .collect()
    }

    // ---- Escalations

    async fn record_batch_arrival(
        &mut self,
        case_id: Uuid,
        model: &str,
        batch: &str,
        received_at: i64,
    ) -> Result<bool> {
        let inserted = self
            .exec(
                "INSERT INTO batch_arrivals (case_id, product_model, production_batch, \
                 received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (case_id) DO NOTHING",
                &[&case_id, &model, &batch, &received_at],
            )
            .await?;
        Ok(inserted == 1)
    }

    async fn unescalated_arrivals(
        &mut self,
        model: &str,
        batch: &str,
        from: i64,
        until: i64,
    ) -> Result<Vec<(Uuid, i64)>> {
        let rows = self
            .rows(
                "SELECT case_id, received_at FROM batch_arrivals \
                 WHERE product_model = $1 AND production_batch = $2 AND received_at >= $3 \
                 AND received_at < $4 AND escalation_id IS NULL ORDER BY received_at, case_id",
                &[&model, &batch, &from, &until],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    async fn batch_escalation_at(
        &mut self,
        model: &str,
        batch: &str,
        at: i64,
    ) -> Result<Option<Uuid>> {
        let row = self
            .opt(
                "SELECT escalation_id FROM escalations WHERE kind = 'batch_fault' \
                 AND product_model = $1 AND COALESCE(production_batch, '') = $2 \
                 AND window_start <= $3 AND $3 < window_end ORDER BY window_start LIMIT 1",
                &[&model, &batch, &at],
            )
            .await?;
        row.map(|r| r.try_get(0).map_err(Error::from)).transpose()
    }

    async fn insert_escalation(&mut self, e: &NewEscalation) -> Result<bool> {
        let inserted = self
            .exec(
                "INSERT INTO escalations (escalation_id, dedup_key, kind, product_model, \
                 production_batch, window_start, window_end, milestone, due_at, to_role, \
                 raised_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (dedup_key) DO NOTHING",
                &[
                    &e.escalation_id,
                    &e.dedup_key,
                    &e.kind,
                    &e.product_model,
                    &e.production_batch,
                    &e.window.map(|w| w.0),
                    &e.window.map(|w| w.1),
                    &e.milestone,
                    &e.due_at,
                    &e.to_role,
                    &e.raised_at,
                ],
            )
            .await?;
        Ok(inserted == 1)
    }

    async fn link_escalation(
        &mut self,
        escalation_id: Uuid,
        cases: &[Uuid],
        counts_batch: bool,
    ) -> Result<()> {
        self.exec(
            "INSERT INTO escalation_cases (escalation_id, case_id) \
             SELECT $1, c FROM UNNEST($2::uuid[]) AS c ON CONFLICT DO NOTHING",
            &[&escalation_id, &cases],
        )
        .await?;
        if counts_batch {
            self.exec(
                "UPDATE batch_arrivals SET escalation_id = $1 \
                 WHERE case_id = ANY($2) AND escalation_id IS NULL",
                &[&escalation_id, &cases],
            )
            .await?;
        }
        Ok(())
    }

    async fn escalations(&mut self, id: Option<Uuid>) -> Result<Vec<EscalationRow>> {
        let rows = self
            .rows(
                &format!(
                    "{ESCALATION_SELECT} WHERE $1::uuid IS NULL OR escalation_id = $1 \
                     ORDER BY raised_at DESC, escalation_id DESC"
                ),
                &[&id],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let escalation_id: Uuid = r.try_get(0)?;
            let cases = self
                .rows(
                    "SELECT case_id FROM escalation_cases WHERE escalation_id = $1 \
                     ORDER BY case_id",
                    &[&escalation_id],
                )
                .await?
                .iter()
                .map(|c| c.try_get(0).map_err(Error::from))
                .collect::<Result<Vec<Uuid>>>()?;
            out.push(EscalationRow {
                escalation_id,
                kind: r.try_get(1)?,
                product_model: r.try_get(2)?,
                production_batch: r.try_get(3)?,
                window_start: r.try_get(4)?,
                window_end: r.try_get(5)?,
                milestone: r.try_get(6)?,
                due_at: r.try_get(7)?,
                to_role: r.try_get(8)?,
                raised_at: r.try_get(9)?,
                acked_by: r.try_get(10)?,
                acked_at: r.try_get(11)?,
                ack_note: r.try_get(12)?,
                cases,
            });
        }
        Ok(out)
    }

    async fn acknowledge_escalation(
        &mut self,
        escalation_id: Uuid,
        by: &str,
        note: Option<&str>,
        at: i64,
    ) -> Result<bool> {
        let updated = self
            .exec(
                "UPDATE escalations SET acked_by = $2, acked_at = $3, ack_note = $4 \
                 WHERE escalation_id = $1 AND acked_at IS NULL",
                &[&escalation_id, &by, &at, &note],
            )
            .await?;
        Ok(updated == 1)
    }

    // ---- Pull budgeting

    async fn history_sizes(&mut self, cases: &[Uuid]) -> Result<HashMap<Uuid, u64>> {
        let mut out: HashMap<Uuid, u64> = cases.iter().map(|id| (*id, 0)).collect();
        if cases.is_empty() {
            return Ok(out);
        }
        let rows = self
            .rows(
                "SELECT case_id, SUM(size)::bigint FROM changes WHERE case_id = ANY($1) \
                 GROUP BY case_id",
                &[&cases],
            )
            .await?;
        for row in rows {
            out.insert(row.try_get(0)?, from_db(row.try_get(1)?)?);
        }
        Ok(out)
    }

    async fn span_totals(&mut self, spans: &[Span]) -> Result<HashMap<Uuid, SpanTotal>> {
        let mut out: HashMap<Uuid, SpanTotal> = spans
            .iter()
            .map(|s| (s.case_id, SpanTotal::default()))
            .collect();
        if spans.is_empty() {
            return Ok(out);
        }
        let (ids, after, through, skip) = span_arrays(spans)?;
        let rows = self
            .rows(
                &format!(
                    "SELECT s.case_id, COUNT(*), SUM(l.size)::bigint FROM {SPAN_JOIN} \
                     GROUP BY s.case_id"
                ),
                &[&ids, &after, &through, &skip],
            )
            .await?;
        for row in rows {
            out.insert(
                row.try_get(0)?,
                SpanTotal {
                    count: from_db(row.try_get(1)?)?,
                    bytes: from_db(row.try_get(2)?)?,
                },
            );
        }
        Ok(out)
    }

    async fn span_sizes(&mut self, span: &Span) -> Result<Vec<(u64, u64)>> {
        let rows = self
            .rows(
                "SELECT seq, size FROM changes WHERE case_id = $1 AND seq > $2 AND seq <= $3 \
                 AND ($4::uuid IS NULL OR authored_by IS DISTINCT FROM $4) ORDER BY seq",
                &[
                    &span.case_id,
                    &to_db(span.after)?,
                    &span.through_db()?,
                    &span.skip_author,
                ],
            )
            .await?;
        rows.iter()
            .map(|row| Ok((from_db(row.try_get(0)?)?, from_db(row.try_get(1)?)?)))
            .collect()
    }

    async fn span_changes(&mut self, spans: &[Span]) -> Result<HashMap<Uuid, Vec<Vec<u8>>>> {
        if spans.is_empty() {
            return Ok(HashMap::new());
        }
        let (ids, after, through, skip) = span_arrays(spans)?;
        let rows = self
            .rows(
                &format!("SELECT s.case_id, {BYTES} FROM {SPAN_JOIN} {BODY_JOIN} ORDER BY l.seq"),
                &[&ids, &after, &through, &skip],
            )
            .await?;
        grouped(rows, &ids)
    }

    async fn span_changes_within(
        &mut self,
        spans: &[Span],
        budget: u64,
        first_fits: bool,
    ) -> Result<Vec<SpanLoad>> {
        let mut out: Vec<SpanLoad> = spans
            .iter()
            .map(|s| SpanLoad {
                case_id: s.case_id,
                total: SpanTotal::default(),
                chunks: Some(Vec::new()),
            })
            .collect();
        if spans.is_empty() {
            return Ok(out);
        }
        let (ids, after, through, skip) = span_arrays(spans)?;
        let budget = i64::try_from(budget).unwrap_or(i64::MAX);
        // The window sums the sizes of every span up to and including the row's (its peers
        // share its `ord`), so a span's bytes are read only if it and all before it fit.
        let rows = self
            .rows(
                &format!(
                    "SELECT s.ord, l.size, CASE WHEN (s.ord = 1 AND $6::boolean) \
                     OR SUM(l.size) OVER (ORDER BY s.ord) <= $5::bigint THEN {BYTES} END \
                     FROM {SPAN_JOIN} {BODY_JOIN} ORDER BY s.ord, l.seq"
                ),
                &[&ids, &after, &through, &skip, &budget, &first_fits],
            )
            .await?;
        for row in rows {
            let ord: i64 = row.try_get(0)?;
            let span = usize::try_from(ord - 1)
                .ok()
                .and_then(|i| out.get_mut(i))
                .ok_or_else(|| Error::internal(format!("a span numbered {ord}")))?;
            span.total.count += 1;
            span.total.bytes += from_db(row.try_get::<_, i64>(1)?)?;
            let bytes: Option<Vec<u8>> = row.try_get(2)?;
            match (&mut span.chunks, bytes) {
                (Some(chunks), Some(bytes)) => chunks.push(bytes),
                (chunks, _) => *chunks = None,
            }
        }
        Ok(out)
    }

    async fn set_pages(&mut self, device: Uuid, pages: &[(Uuid, Option<Page>)]) -> Result<()> {
        if pages.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = pages.iter().map(|(id, _)| *id).collect();
        let seqs: Vec<Option<i64>> = pages
            .iter()
            .map(|(_, p)| p.map(|p| to_db(p.sent_seq)).transpose())
            .collect::<Result<_>>()?;
        let cursors: Vec<Option<i64>> = pages
            .iter()
            .map(|(_, p)| p.map(|p| to_db(p.cursor)).transpose())
            .collect::<Result<_>>()?;
        self.exec(
            "UPDATE device_cases h SET sent_seq = u.seq, sent_cursor = u.cursor \
             FROM UNNEST($2::uuid[], $3::bigint[], $4::bigint[]) AS u(case_id, seq, cursor) \
             WHERE h.device_id = $1 AND h.case_id = u.case_id",
            &[&device, &ids, &seqs, &cursors],
        )
        .await?;
        Ok(())
    }

    // ---- Blob access

    async fn add_case_blobs(&mut self, refs: &[(Uuid, String)]) -> Result<()> {
        if refs.is_empty() {
            return Ok(());
        }
        let hashes: Vec<&str> = refs.iter().map(|(_, h)| h.as_str()).collect();
        let cases: Vec<Uuid> = refs.iter().map(|(c, _)| *c).collect();
        self.exec(
            "INSERT INTO case_blobs (hash, case_id) \
             SELECT * FROM UNNEST($1::text[], $2::uuid[]) ON CONFLICT DO NOTHING",
            &[&hashes, &cases],
        )
        .await?;
        Ok(())
    }

    async fn cases_naming_blob(&mut self, hash: &str) -> Result<Vec<Uuid>> {
        let rows = self
            .rows("SELECT case_id FROM case_blobs WHERE hash = $1", &[&hash])
            .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<_, Uuid>(0)?))
            .collect()
    }

    async fn blob_uploader(&mut self, hash: &str) -> Result<Option<Uuid>> {
        self.opt(
            "SELECT device_id FROM blob_uploads WHERE hash = $1",
            &[&hash],
        )
        .await?
        .map(|row| Ok(row.try_get::<_, Uuid>(0)?))
        .transpose()
    }

    async fn record_upload(
        &mut self,
        hash: &str,
        device: Uuid,
        bytes: u64,
        at: i64,
    ) -> Result<bool> {
        let inserted = self
            .exec(
                "INSERT INTO blob_uploads (hash, device_id, bytes, uploaded_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO NOTHING",
                &[&hash, &device, &to_db(bytes)?, &at],
            )
            .await?;
        Ok(inserted == 1)
    }

    async fn unreferenced_upload_bytes(&mut self, device: Uuid) -> Result<u64> {
        let row = self
            .one(
                "SELECT COALESCE(SUM(bytes), 0)::BIGINT FROM blob_uploads u WHERE device_id = $1 \
                 AND NOT EXISTS (SELECT 1 FROM case_blobs c WHERE c.hash = u.hash)",
                &[&device],
            )
            .await?;
        from_db(row.try_get(0)?)
    }

    async fn stale_uploads(&mut self, before: i64, limit: u32) -> Result<Vec<String>> {
        let rows = self
            .rows(
                "SELECT hash FROM blob_uploads u WHERE uploaded_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM case_blobs c WHERE c.hash = u.hash) \
                 ORDER BY uploaded_at LIMIT $2",
                &[&before, &i64::from(limit)],
            )
            .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<_, String>(0)?))
            .collect()
    }

    async fn delete_uploads(&mut self, hashes: &[String]) -> Result<()> {
        if hashes.is_empty() {
            return Ok(());
        }
        self.exec("DELETE FROM blob_uploads WHERE hash = ANY($1)", &[&hashes])
            .await?;
        Ok(())
    }

    async fn put_writeoff_run(&mut self, run: &WriteoffRun) -> Result<bool> {
        // The upsert's WHERE leaves an approved row as it is: no row changes then.
        let changed = self
            .exec(
                "INSERT INTO writeoffs (holder, quarter, status, reconciliation_json, run_at, \
                 run_by) VALUES ($1, $2, 'run', $3, $4, $5) \
                 ON CONFLICT (holder, quarter) DO UPDATE SET \
                 reconciliation_json = excluded.reconciliation_json, run_at = excluded.run_at, \
                 run_by = excluded.run_by WHERE writeoffs.status = 'run'",
                &[
                    &run.holder,
                    &run.quarter,
                    &run.reconciliation_json,
                    &run.run_at,
                    &run.run_by,
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn approve_writeoff(&mut self, a: &WriteoffApproval) -> Result<bool> {
        let changed = self
            .exec(
                "UPDATE writeoffs SET status = 'approved', approved_by = $3, approved_at = $4, \
                 voucher_xlsx_sha256 = $5, voucher_pdf_sha256 = $6, voucher_html_sha256 = $7 \
                 WHERE holder = $1 AND quarter = $2 AND status = 'run'",
                &[
                    &a.holder,
                    &a.quarter,
                    &a.approved_by,
                    &a.approved_at,
                    &a.voucher_xlsx_sha256,
                    &a.voucher_pdf_sha256,
                    &a.voucher_html_sha256,
                ],
            )
            .await?;
        Ok(changed == 1)
    }

    async fn writeoff(&mut self, holder: &str, quarter: &str) -> Result<Option<WriteoffRow>> {
        self.opt(
            &format!("{WRITEOFF_SELECT} WHERE holder = $1 AND quarter = $2"),
            &[&holder, &quarter],
        )
        .await?
        .map(|row| writeoff_row(&row))
        .transpose()
    }

    async fn writeoffs(&mut self, holder: Option<&str>) -> Result<Vec<WriteoffRow>> {
        self.rows(
            &format!(
                "{WRITEOFF_SELECT} WHERE $1::text IS NULL OR holder = $1 ORDER BY holder, quarter"
            ),
            &[&holder],
        )
        .await?
        .iter()
        .map(writeoff_row)
        .collect()
    }

    // ---- The monthly quality report

    async fn upsert_case_report(&mut self, rows: &[CaseReportRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        // One statement for the batch, as the case_index rows travel.
        let json = serde_json::to_string(rows)
            .map_err(|e| Error::internal(format!("report rows as JSON: {e}")))?;
        self.exec(
            "INSERT INTO case_report (case_id, channel, customer_request, fault, \
             production_batch, major_incident, outcome, compensation_minor, \
             compensation_currency, last_seq) \
             SELECT case_id, channel, customer_request, fault, production_batch, \
             major_incident, outcome, compensation_minor, compensation_currency, last_seq \
             FROM jsonb_to_recordset($1::text::jsonb) AS \
             r(case_id uuid, channel text, customer_request text, fault text, \
             production_batch text, major_incident boolean, outcome text, \
             compensation_minor bigint, compensation_currency text, last_seq bigint) \
             ON CONFLICT (case_id) DO UPDATE SET channel = excluded.channel, \
             customer_request = excluded.customer_request, fault = excluded.fault, \
             production_batch = excluded.production_batch, \
             major_incident = excluded.major_incident, outcome = excluded.outcome, \
             compensation_minor = excluded.compensation_minor, \
             compensation_currency = excluded.compensation_currency, \
             last_seq = excluded.last_seq WHERE case_report.last_seq <= excluded.last_seq",
            &[&json],
        )
        .await?;
        Ok(())
    }

    async fn report_cases(&mut self, months: &[String]) -> Result<Vec<ReportCaseRow>> {
        let months = months.to_vec();
        let rows = self
            .rows(
                &format!(
                    "{REPORT_CASE_SELECT} WHERE i.received_month = ANY($1::text[]) \
                     ORDER BY i.number"
                ),
                &[&months],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportCaseRow {
                    case_id: r.try_get(0)?,
                    number: r.try_get(1)?,
                    status: r.try_get(2)?,
                    customer_name: r.try_get(3)?,
                    region: r.try_get(4)?,
                    market: r.try_get(5)?,
                    product_model: r.try_get(6)?,
                    product_category: r.try_get(7)?,
                    serial_number: r.try_get(8)?,
                    received_at: r.try_get(9)?,
                    received_month: r.try_get(10)?,
                    closed_at: r.try_get(11)?,
                    defect_cause: r.try_get(12)?,
                    quality_fault: r.try_get(13)?,
                    warranty_covered: r.try_get(14)?,
                    charge_minor: r.try_get(15)?,
                    charge_currency: r.try_get(16)?,
                    missed_deadlines: r.try_get(17)?,
                    next_due_at: r.try_get(18)?,
                    center: r.try_get(19)?,
                    engineer: r.try_get(20)?,
                    channel: r.try_get(21)?,
                    customer_request: r.try_get(22)?,
                    fault: r.try_get(23)?,
                    production_batch: r.try_get(24)?,
                    major_incident: r.try_get(25)?,
                    outcome: r.try_get(26)?,
                    compensation_minor: r.try_get(27)?,
                    compensation_currency: r.try_get(28)?,
                })
            })
            .collect()
    }

    async fn report_part_lines(&mut self, month: &str) -> Result<Vec<PartLineRow>> {
        let rows = self
            .rows(
                "SELECT l.case_id, l.line_id, l.case_number, l.covered, l.part_number, \
                 l.quantity, l.old_part FROM case_part_lines l \
                 JOIN case_index i ON i.number = l.case_number \
                 WHERE i.received_month = $1 ORDER BY l.case_number, l.line_id",
                &[&month],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let covered: i64 = r.try_get(3)?;
                Ok(PartLineRow {
                    case_id: r.try_get(0)?,
                    line_id: r.try_get(1)?,
                    case_number: r.try_get(2)?,
                    covered: covered != 0,
                    part_number: r.try_get(4)?,
                    quantity: r.try_get(5)?,
                    old_part: r.try_get(6)?,
                })
            })
            .collect()
    }

    async fn report_returns(&mut self, month: &str) -> Result<Vec<ReturnSummary>> {
        let columns: Vec<String> = CASE_RETURNS_COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect();
        let rows = self
            .rows(
                &format!(
                    "SELECT {} FROM case_returns c JOIN case_index i ON i.case_id = c.case_id \
                     WHERE i.received_month = $1 \
                     ORDER BY c.requested_at, c.case_number, c.request",
                    columns.join(", ")
                ),
                &[&month],
            )
            .await?;
        rows.iter().map(return_summary_of).collect()
    }

    async fn month_counts(&mut self) -> Result<Vec<MonthCount>> {
        let rows = self
            .rows(
                "SELECT received_month, COUNT(*), COUNT(*) FILTER (WHERE quality_fault) \
                 FROM case_index GROUP BY received_month ORDER BY received_month",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(MonthCount {
                    month: r.try_get(0)?,
                    total: r.try_get(1)?,
                    quality: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn report_keys(&mut self, months: &[String]) -> Result<Vec<ReportKey>> {
        let months = months.to_vec();
        let rows = self
            .rows(
                "SELECT i.case_id, i.product_model, r.fault, i.serial_number, i.received_at \
                 FROM case_index i LEFT JOIN case_report r ON r.case_id = i.case_id \
                 WHERE i.received_month = ANY($1::text[])",
                &[&months],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportKey {
                    case_id: r.try_get(0)?,
                    product_model: r.try_get(1)?,
                    fault: r.try_get(2)?,
                    serial_number: r.try_get(3)?,
                    received_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    async fn put_shipments(&mut self, rows: &[ShipmentRow], at: i64) -> Result<()> {
        for row in rows {
            self.exec(
                "INSERT INTO shipments (month, product_model, quantity, imported_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (month, product_model) DO UPDATE SET \
                 quantity = excluded.quantity, imported_at = excluded.imported_at",
                &[&row.month, &row.product_model, &row.quantity, &at],
            )
            .await?;
        }
        Ok(())
    }

    async fn shipments(&mut self, months: &[String]) -> Result<Vec<ShipmentRow>> {
        let months = months.to_vec();
        let rows = self
            .rows(
                "SELECT month, product_model, quantity FROM shipments \
                 WHERE month = ANY($1::text[]) ORDER BY month, product_model",
                &[&months],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ShipmentRow {
                    month: r.try_get(0)?,
                    product_model: r.try_get(1)?,
                    quantity: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn quality_report(&mut self, month: &str) -> Result<Option<QualityReportRow>> {
        self.opt(
            &format!("{QUALITY_REPORT_SELECT} WHERE month = $1"),
            &[&month],
        )
        .await?
        .map(|row| quality_report_row(&row))
        .transpose()
    }

    async fn issued_quality_reports(&mut self) -> Result<Vec<QualityReportRow>> {
        self.rows(
            &format!("{QUALITY_REPORT_SELECT} WHERE status = 'issued' ORDER BY month"),
            &[],
        )
        .await?
        .iter()
        .map(quality_report_row)
        .collect()
    }

    async fn issue_quality_report(&mut self, row: &QualityReportRow) -> Result<bool> {
        // The upsert's WHERE leaves an issued report as it is: no row changes then.
        let changed = self
            .exec(
                "INSERT INTO quality_reports (month, status, snapshot_json, issued_by, issued_at) \
                 VALUES ($1, 'issued', $2, $3, $4) ON CONFLICT (month) DO UPDATE SET \
                 status = 'issued', snapshot_json = excluded.snapshot_json, \
                 issued_by = excluded.issued_by, issued_at = excluded.issued_at \
                 WHERE quality_reports.status = 'reopened'",
                &[
                    &row.month,
                    &row.snapshot_json,
                    &row.issued_by,
                    &row.issued_at,
                ],
            )
            .await?;
        if changed != 1 {
            return Ok(false);
        }
        self.exec(
            "INSERT INTO quality_report_log (month, action, by_user, at) \
             VALUES ($1, 'issue', $2, $3)",
            &[&row.month, &row.issued_by, &row.issued_at],
        )
        .await?;
        Ok(true)
    }

    async fn reopen_quality_report(
        &mut self,
        month: &str,
        by: &str,
        reason: &str,
        at: i64,
    ) -> Result<bool> {
        let changed = self
            .exec(
                "UPDATE quality_reports SET status = 'reopened' \
                 WHERE month = $1 AND status = 'issued'",
                &[&month],
            )
            .await?;
        if changed != 1 {
            return Ok(false);
        }
        self.exec(
            "INSERT INTO quality_report_log (month, action, by_user, at, reason) \
             VALUES ($1, 'reopen', $2, $3, $4)",
            &[&month, &by, &at, &reason],
        )
        .await?;
        Ok(true)
    }

    async fn quality_report_log(&mut self, month: &str) -> Result<Vec<ReportLogRow>> {
        let rows = self
            .rows(
                "SELECT month, action, by_user, at, reason FROM quality_report_log \
                 WHERE month = $1 ORDER BY id",
                &[&month],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ReportLogRow {
                    month: r.try_get(0)?,
                    action: r.try_get(1)?,
                    by_user: r.try_get(2)?,
                    at: r.try_get(3)?,
                    reason: r.try_get(4)?,
                })
            })
            .collect()
    }

    async fn set_console_password(&mut self, user_id: i64, phc: &str, at: i64) -> Result<()> {
        self.exec(
            "INSERT INTO console_passwords (user_id, phc, set_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET phc = excluded.phc, set_at = excluded.set_at",
            &[&user_id, &phc, &at],
        )
        .await?;
        Ok(())
    }

    async fn console_password(&mut self, user_id: i64) -> Result<Option<String>> {
        self.opt(
            "SELECT phc FROM console_passwords WHERE user_id = $1",
            &[&user_id],
        )
        .await?
        .map(|row| Ok(row.try_get(0)?))
        .transpose()
    }

    async fn insert_console_session(&mut self, session: &NewConsoleSession) -> Result<()> {
        self.exec(
            "INSERT INTO console_sessions (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
            &[
                &session.token_hash.as_slice(),
                &session.user_id,
                &session.created_at,
                &session.expires_at,
            ],
        )
        .await?;
        Ok(())
    }

    async fn console_session(&mut self, token_hash: &[u8; 32]) -> Result<Option<(User, i64)>> {
        self.opt(
            "SELECT u.user_id, u.name, u.role, u.center, s.expires_at \
             FROM console_sessions s JOIN users u ON u.user_id = s.user_id \
             WHERE s.token_hash = $1",
            &[&token_hash.as_slice()],
        )
        .await?
        .map(|row| Ok((user_of(&row, 0)?, row.try_get(4)?)))
        .transpose()
    }

    async fn delete_console_session(&mut self, token_hash: &[u8; 32]) -> Result<()> {
        self.exec(
            "DELETE FROM console_sessions WHERE token_hash = $1",
            &[&token_hash.as_slice()],
        )
        .await?;
        Ok(())
    }

    async fn delete_user_sessions(&mut self, user_id: i64) -> Result<()> {
        self.exec(
            "DELETE FROM console_sessions WHERE user_id = $1",
            &[&user_id],
        )
        .await?;
        Ok(())
    }

    async fn delete_expired_sessions(&mut self, now: i64) -> Result<()> {
        self.exec(
            "DELETE FROM console_sessions WHERE expires_at <= $1",
            &[&now],
        )
        .await?;
        Ok(())
    }

    async fn sign_in_failures(&mut self, name: &str) -> Result<Option<SignInFailures>> {
        self.opt(
            "SELECT failures, window_start, locked_until FROM console_sign_in_failures \
             WHERE name = $1",
            &[&name],
        )
        .await?
        .map(|row| {
            Ok(SignInFailures {
                failures: row.try_get(0)?,
                window_start: row.try_get(1)?,
                locked_until: row.try_get(2)?,
            })
        })
        .transpose()
    }

    async fn put_sign_in_failures(&mut self, name: &str, failures: &SignInFailures) -> Result<()> {
        self.exec(
            "INSERT INTO console_sign_in_failures (name, failures, window_start, locked_until) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET \
             failures = excluded.failures, window_start = excluded.window_start, \
             locked_until = excluded.locked_until",
            &[
                &name,
                &failures.failures,
                &failures.window_start,
                &failures.locked_until,
            ],
        )
        .await?;
        Ok(())
    }

    async fn clear_sign_in_failures(&mut self, name: &str) -> Result<()> {
        self.exec(
            "DELETE FROM console_sign_in_failures WHERE name = $1",
            &[&name],
        )
        .await?;
        Ok(())
    }

    async fn console_users(&mut self) -> Result<Vec<ConsoleUser>> {
        let rows = self
            .rows(
                "SELECT u.user_id, u.name, u.role, u.center, u.created_at, \
                 p.user_id IS NOT NULL FROM users u \
                 LEFT JOIN console_passwords p ON p.user_id = u.user_id ORDER BY u.name",
                &[],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(ConsoleUser {
                    user: user_of(row, 0)?,
                    created_at: row.try_get(4)?,
                    has_password: row.try_get(5)?,
                })
            })
            .collect()
    }

    // ---- Archive

    async fn archive_candidates(
        &mut self,
        closed_before: i64,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<(Uuid, i64)>> {
        let rows = self
            .rows(
                "SELECT case_id, closed_at FROM case_index WHERE status = 'closed' \
                 AND closed_at < $1 AND ($2::uuid IS NULL OR case_id > $2) \
                 ORDER BY case_id LIMIT $3",
                &[&closed_before, &after, &i64::from(limit)],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    async fn case_origin(&mut self, case_id: Uuid) -> Result<Option<CaseOrigin>> {
        self.opt(
            "SELECT created_by, created_device, assigned_engineer, routed_center, created_at \
             FROM cases WHERE case_id = $1",
            &[&case_id],
        )
        .await?
        .map(|row| {
            Ok(CaseOrigin {
                created_by: row.try_get(0)?,
                created_device: row.try_get(1)?,
                assigned_engineer: row.try_get(2)?,
                routed_center: row.try_get(3)?,
                created_at: row.try_get(4)?,
            })
        })
        .transpose()
    }

    async fn case_log(&mut self, case_id: Uuid) -> Result<Vec<LogRow>> {
        let rows = self
            .rows(
                &format!(
                    "SELECT l.seq, l.hash, l.actor, l.actor_seq, l.authored_by, {BYTES} \
                     FROM changes l {BODY_JOIN} WHERE l.case_id = $1 ORDER BY l.seq"
                ),
                &[&case_id],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(LogRow {
                    seq: from_db(row.try_get(0)?)?,
                    case_id,
                    hash: hash_from_db(row.try_get::<_, &[u8]>(1)?)?,
                    actor: row.try_get(2)?,
                    actor_seq: from_db(row.try_get::<_, Option<i64>>(3)?.unwrap_or(0))?,
                    authored_by: row.try_get(4)?,
                    bytes: row.try_get(5)?,
                })
            })
            .collect()
    }

    async fn remove_case(&mut self, tombstone: &Tombstone) -> Result<()> {
        let id = tombstone.case_id;
        let text = id.to_string();
        // Rows derived from the case first, the case's own row last (foreign keys).
        for table in [
            "changes",
            "change_bodies",
            "device_cases",
            "naive_sync_states",
            "case_index",
            "escalation_cases",
            "batch_arrivals",
            "case_blobs",
            "case_returns",
            "case_report",
            "case_waiting",
        ] {
            self.exec(&format!("DELETE FROM {table} WHERE case_id = $1"), &[&id])
                .await?;
        }
        // The write-off's tables name a case by its text id.
        for table in ["case_warranty", "case_part_lines"] {
            self.exec(&format!("DELETE FROM {table} WHERE case_id = $1"), &[&text])
                .await?;
        }
        self.exec("DELETE FROM cases WHERE case_id = $1", &[&id])
            .await?;
        self.exec(
            "INSERT INTO archived_cases (case_id, number, closed_at, archived_at, location) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &id,
                &tombstone.number,
                &tombstone.closed_at,
                &tombstone.archived_at,
                &tombstone.location,
            ],
        )
        .await?;
        Ok(())
    }

    async fn tombstones(&mut self, ids: &[Uuid]) -> Result<HashSet<Uuid>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let rows = self
            .rows(
                "SELECT case_id FROM archived_cases WHERE case_id = ANY($1)",
                &[&ids],
            )
            .await?;
        rows.iter()
            .map(|r| r.try_get(0).map_err(Error::from))
            .collect()
    }

    async fn tombstone_by_number(&mut self, number: &str) -> Result<Option<Tombstone>> {
        self.opt(
            "SELECT case_id, number, closed_at, archived_at, location FROM archived_cases \
             WHERE number = $1",
            &[&number],
        )
        .await?
        .map(|row| {
            Ok(Tombstone {
                case_id: row.try_get(0)?,
                number: row.try_get(1)?,
                closed_at: row.try_get(2)?,
                archived_at: row.try_get(3)?,
                location: row.try_get(4)?,
            })
        })
        .transpose()
    }

    async fn delete_tombstone(&mut self, case_id: Uuid) -> Result<()> {
        self.exec("DELETE FROM archived_cases WHERE case_id = $1", &[&case_id])
            .await?;
        Ok(())
    }
}

fn quality_report_row(row: &Row) -> Result<QualityReportRow> {
    Ok(QualityReportRow {
        month: row.try_get(0)?,
        status: row.try_get(1)?,
        snapshot_json: row.try_get(2)?,
        issued_by: row.try_get(3)?,
        issued_at: row.try_get(4)?,
    })
}

fn writeoff_row(row: &Row) -> Result<WriteoffRow> {
    Ok(WriteoffRow {
        holder: row.try_get(0)?,
        quarter: row.try_get(1)?,
        status: row.try_get(2)?,
        reconciliation_json: row.try_get(3)?,
        run_at: row.try_get(4)?,
        run_by: row.try_get(5)?,
        approved_by: row.try_get(6)?,
        approved_at: row.try_get(7)?,
        voucher_xlsx_sha256: row.try_get(8)?,
        voucher_pdf_sha256: row.try_get(9)?,
        voucher_html_sha256: row.try_get(10)?,
    })
}

// ---- Change bytes

/// A change's bytes, from its log row `l` or, when staged, from [`BODY_JOIN`]'s `b`.
const BYTES: &str = "COALESCE(l.bytes, b.bytes)";

/// Joins the staged bytes of the log rows `l` that have none (see [`Tx::stage_bodies`]).
const BODY_JOIN: &str = "LEFT JOIN change_bodies b \
     ON l.bytes IS NULL AND b.case_id = l.case_id AND b.hash = l.hash";

/// The most bytes one statement sends: PostgreSQL refuses any single allocation over 1 GB,
/// and a statement's array parameter is one (twice over while it is converted), so a push of
/// hundreds of megabytes goes in several statements.
const STATEMENT_BYTES: usize = 64 * 1024 * 1024;

/// Splits `items` into consecutive batches of at most [`STATEMENT_BYTES`] (an item bigger
/// than that alone in its batch).
fn by_statement_bytes<T>(items: &[T], size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut batches = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let n = size(item);
        if i > start && bytes + n > STATEMENT_BYTES {
            batches.push(&items[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += n;
    }
    if start < items.len() {
        batches.push(&items[start..]);
    }
    batches
}

/// A case's advisory-lock key ([`Tx::lock_cases`]): its 128 bits folded to 32. Taken with
/// `pg_advisory_xact_lock(hashtext(current_schema()), key)`; public so an operator (or a
/// test) can tell which case a waiting lock in `pg_locks` (its `objid`) is for.
pub fn case_lock_key(id: Uuid) -> i32 {
    let bits = id.as_u128();
    let folded = (bits ^ (bits >> 64)) as u64;
    // Truncation is the point: the fold keeps every bit's influence in 32.
    ((folded ^ (folded >> 32)) as u32) as i32
}

// ---- Pull budgeting

/// The changes of each span ($1 cases, $2 after, $3 through, $4 the author left out or NULL),
/// joined as `l`, the span as `s` (`s.ord` its place in the list, from 1).
const SPAN_JOIN: &str = "UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::uuid[]) \
     WITH ORDINALITY AS s(case_id, after, through, skip, ord) \
     JOIN changes l ON l.case_id = s.case_id AND l.seq > s.after AND l.seq <= s.through \
     AND (s.skip IS NULL OR l.authored_by IS DISTINCT FROM s.skip)";

type SpanArrays = (Vec<Uuid>, Vec<i64>, Vec<i64>, Vec<Option<Uuid>>);

fn span_arrays(spans: &[Span]) -> Result<SpanArrays> {
    Ok((
        spans.iter().map(|s| s.case_id).collect(),
        spans
            .iter()
            .map(|s| to_db(s.after))
            .collect::<Result<_>>()?,
        spans
            .iter()
            .map(|s| s.through_db())
            .collect::<Result<_>>()?,
        spans.iter().map(|s| s.skip_author).collect(),
    ))
}

// ---- Read model

/// The record type of a read-model row in JSON, for `jsonb_to_recordset`.
const CASE_INDEX_RECORD: &str = "case_id uuid, number text, status text, customer_name text, \
     region text, market text, product_model text, product_category text, serial_number text, \
     received_at bigint, received_month text, closed_at bigint, defect_cause text, \
     quality_fault boolean, warranty_covered boolean, warranty_rule text, charge_minor bigint, \
     charge_currency text, parts_count bigint, reply_due_at bigint, reply_met boolean, \
     remedy_due_at bigint, remedy_met boolean, report_due_at bigint, report_met boolean, \
     close_due_at bigint, close_met boolean, next_due_at bigint, next_due_milestone text, \
     engineer text, center text, has_conflict boolean, updated_at bigint, last_seq bigint, \
     working_days_due_at bigint, working_days_met boolean, missed_deadlines bigint";

/// Upserts the rows of a JSON array; a row built from an older state of the case (a lower
/// `last_seq`) never replaces a newer one.
fn case_index_upsert_sql() -> String {
    let columns = CASE_INDEX_COLUMNS.join(", ");
    let updates: Vec<String> = CASE_INDEX_COLUMNS[1..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO case_index ({columns}) \
         SELECT {columns} FROM jsonb_to_recordset($1::text::jsonb) AS r({CASE_INDEX_RECORD}) \
         ON CONFLICT (case_id) DO UPDATE SET {} \
         WHERE case_index.last_seq <= excluded.last_seq",
        updates.join(", ")
    )
}

fn case_index_row_of(row: &Row) -> Result<CaseIndexRow> {
    Ok(CaseIndexRow {
        case_id: row.try_get(0)?,
        number: row.try_get(1)?,
        status: row.try_get(2)?,
        customer_name: row.try_get(3)?,
        region: row.try_get(4)?,
        market: row.try_get(5)?,
        product_model: row.try_get(6)?,
        product_category: row.try_get(7)?,
        serial_number: row.try_get(8)?,
        received_at: row.try_get(9)?,
        received_month: row.try_get(10)?,
        closed_at: row.try_get(11)?,
        defect_cause: row.try_get(12)?,
        quality_fault: row.try_get(13)?,
        warranty_covered: row.try_get(14)?,
        warranty_rule: row.try_get(15)?,
        charge_minor: row.try_get(16)?,
        charge_currency: row.try_get(17)?,
        parts_count: row.try_get(18)?,
        reply_due_at: row.try_get(19)?,
        reply_met: row.try_get(20)?,
        remedy_due_at: row.try_get(21)?,
        remedy_met: row.try_get(22)?,
        report_due_at: row.try_get(23)?,
        report_met: row.try_get(24)?,
        close_due_at: row.try_get(25)?,
        close_met: row.try_get(26)?,
        next_due_at: row.try_get(27)?,
        next_due_milestone: row.try_get(28)?,
        engineer: row.try_get(29)?,
        center: row.try_get(30)?,
        has_conflict: row.try_get(31)?,
        updated_at: row.try_get(32)?,
        last_seq: from_db(row.try_get(33)?)?,
        working_days_due_at: row.try_get(34)?,
        working_days_met: row.try_get(35)?,
        missed_deadlines: row.try_get(36)?,
    })
}
