//! The embedded SQLite backend: `hq.db` in the data folder, WAL, `synchronous = FULL`.
//!
//! One connection does every write, behind a mutex: SQLite has a single writer anyway, and
//! every transaction begins `IMMEDIATE`, so transactions run one after another and sequence
//! numbers are committed in order. A second, read-only connection serves the reads that need
//! no lock on the log (a request's token, `/health`): in WAL mode they see the last commit
//! without waiting for the writer, so a flood of bad tokens never queues behind, or holds,
//! the write lock.
//!
//! The database file is created readable and writable by its owner only (0600; SQLite gives
//! its `-wal` and `-shm` files the same mode), and an existing one is narrowed to that. Work runs on tokio's blocking pool, never on the async
//! runtime; the [`Tx`] futures of this backend never wait, so the blocking thread drives
//! them to completion with `Handle::block_on`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use automerge::ChangeHash;
use fieldcore::ReferenceData;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
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
use super::{ESCALATION_SELECT, EscalationRow, NewEscalation};
// Stock ledgers and their write-off
use super::{
    CaseReportRow, MonthCount, QUALITY_REPORT_SELECT, QualityReportRow, REPORT_CASE_SELECT,
    ReportCaseRow, ReportKey, ReportLogRow, ShipmentRow,
};
use super::{ConsoleUser, NewConsoleSession, SignInFailures};
use super::{
    IssuedCase, LedgerInfo, LedgerModel, MovementRow, NewLedger, PartLineRow, RequestRow,
    ShipmentPartRow,
};
use super::{WRITEOFF_SELECT, WriteoffApproval, WriteoffRow, WriteoffRun};
use crate::access::{Role, Scope, User};
use crate::error::{Error, Result};

/// The database file's name inside the data folder.
pub const FILE_NAME: &str = "hq.db";

/// Numbered migrations, applied in order inside one transaction, tracked in `user_version`.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../../migrations/sqlite/0002_naive_sync.sql"),
    ),
    (
        3,
        include_str!("../../migrations/sqlite/0003_hq_actors.sql"),
    ),
    (
        4,
        include_str!("../../migrations/sqlite/0004_change_actor_seq.sql"),
    ),
    (
        5,
        include_str!("../../migrations/sqlite/0005_case_index.sql"),
    ),
    (
        6,
        include_str!("../../migrations/sqlite/0006_change_sizes.sql"),
    ),
    (
        7,
        include_str!("../../migrations/sqlite/0007_escalations.sql"),
    ),
    (
        8,
        include_str!("../../migrations/sqlite/0008_blob_access.sql"),
    ),
    (
        9,
        include_str!("../../migrations/sqlite/0009_case_index_working_days.sql"),
    ),
    (10, include_str!("../../migrations/sqlite/0010_returns.sql")),
    (
        11,
        include_str!("../../migrations/sqlite/0011_stock_ledgers.sql"),
    ),
    (
        12,
        include_str!("../../migrations/sqlite/0012_writeoffs.sql"),
    ),
    (
        13,
        include_str!("../../migrations/sqlite/0013_quality_report.sql"),
    ),
    (
        14,
        include_str!("../../migrations/sqlite/0014_console_sign_in.sql"),
    ),
    (
        15,
        include_str!("../../migrations/sqlite/0015_console_search_and_inbox.sql"),
    ),
    (16, include_str!("../../migrations/sqlite/0016_archive.sql")),
];

pub const LATEST: i64 = 16;

#[derive(Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
    /// Read-only: see the module's documentation.
    reader: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl SqliteStorage {
    /// Opens (or creates) the database and migrates it to `version` (the latest if `None`).
    pub async fn open(path: &Path, version: Option<i64>) -> Result<SqliteStorage> {
        let owned = path.to_owned();
        let (conn, reader) = tokio::task::spawn_blocking(move || -> Result<_> {
            owner_only(&owned)?;
            let mut conn = Connection::open(&owned)?;
            configure(&conn)?;
            migrate(&mut conn, version.unwrap_or(LATEST))?;
            let reader = Connection::open_with_flags(
                &owned,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            reader.busy_timeout(std::time::Duration::from_secs(10))?;
            cache_pages(&reader)?;
            Ok((conn, reader))
        })
        .await??;
        Ok(SqliteStorage {
            conn: Arc::new(Mutex::new(conn)),
            reader: Arc::new(Mutex::new(reader)),
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) async fn transaction<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, Result<R>> + Send + 'static,
    {
        let conn = self.conn.clone();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut guard = lock(&conn);
            guard.execute_batch("BEGIN IMMEDIATE")?;
            let result = handle.block_on(work(&mut SqliteTx { conn: &mut guard }));
            match result {
                Ok(value) => match guard.execute_batch("COMMIT") {
                    Ok(()) => Ok(value),
                    Err(e) => {
                        rollback(&guard);
                        Err(e.into())
                    }
                },
                Err(e) => {
                    rollback(&guard);
                    Err(e)
                }
            }
        })
        .await?
    }

    /// Runs `work` in a read transaction on the read-only connection: it takes no write
    /// lock, and any write it tries fails.
    pub(super) async fn read<R, F>(&self, work: F) -> Result<R>
    where
        R: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx) -> BoxFuture<'t, Result<R>> + Send + 'static,
    {
        let reader = self.reader.clone();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut guard = lock(&reader);
            guard.execute_batch("BEGIN DEFERRED")?;
            let result = handle.block_on(work(&mut SqliteTx { conn: &mut guard }));
            // Nothing was written: ending the read is all that is left either way.
            rollback(&guard);
            result
        })
        .await?
    }

    pub(super) async fn schema_version(&self) -> Result<i64> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let guard = lock(&conn);
            Ok(guard.pragma_query_value(None, "user_version", |r| r.get(0))?)
        })
        .await?
    }

    pub(super) async fn execute_raw(&self, sql: &str) -> Result<()> {
        let conn = self.conn.clone();
        let sql = sql.to_owned();
        tokio::task::spawn_blocking(move || Ok(lock(&conn).execute_batch(&sql)?)).await?
    }

    pub(super) async fn query_count(&self, sql: &str) -> Result<i64> {
        let conn = self.conn.clone();
        let sql = sql.to_owned();
        tokio::task::spawn_blocking(move || Ok(lock(&conn).query_row(&sql, [], |r| r.get(0))?))
            .await?
    }
}

/// Takes the connection. A panic inside a transaction poisons the mutex; the connection is
/// still sound (SQLite rolls back what was not committed), so it is taken back and any
/// transaction left open is rolled back.
fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    let guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !guard.is_autocommit() {
        rollback(&guard);
    }
    guard
}

fn rollback(conn: &Connection) {
    if let Err(e) = conn.execute_batch("ROLLBACK") {
        tracing::error!(error = %e, "sqlite rollback failed");
    }
}

/// Creates the database file readable and writable by its owner only, or narrows an existing
/// one to that: it holds every case, with customers' names and addresses.
#[cfg(unix)]
fn owner_only(path: &Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    let mode = file.metadata()?.permissions().mode() & 0o777;
    if mode != 0o600 {
        tracing::info!(
            from = format!("{mode:o}"),
            "narrowing the database file to mode 600"
        );
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        match std::fs::metadata(&side) {
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                std::fs::set_permissions(&side, std::fs::Permissions::from_mode(0o600))?;
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only(_path: &Path) -> Result<()> {
    Ok(())
}

/// A row of [`CASE_RETURNS_COLUMNS`] (the case id still as bytes).
fn return_summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Vec<u8>, ReturnSummary)> {
    Ok((
        r.get(0)?,
        ReturnSummary {
            case_id: Uuid::nil(),
            request: r.get(1)?,
            case_number: r.get(2)?,
            kind: r.get(3)?,
            state: r.get(4)?,
            waiting_kind: r.get(5)?,
            waiting_step: r.get(6)?,
            waiting_role: r.get(7)?,
            rma_number: r.get(8)?,
            model: r.get(9)?,
            units: r.get(10)?,
            units_received: r.get(11)?,
            units_inspected: r.get(12)?,
            requested_at: r.get(13)?,
            reinspection_due_at: r.get(14)?,
        },
    ))
}

fn configure(conn: &Connection) -> Result<()> {
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    // FULL: a device deletes its outbox once HQ acknowledged, so an acknowledged push must
    // survive a power cut of HQ, not only a crash of the process.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // The admin commands may run in another process while the server holds the database.
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    cache_pages(conn)
}

/// The page cache of a connection: 64 MiB instead of SQLite's 2 MiB. HQ's write-off, report
/// and console read a center's or a month's rows of tables that hold every case; with the
/// default cache each such read fetches most pages from the kernel again. The cache fills
/// only as pages are read, so a small HQ uses little of it.
fn cache_pages(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "cache_size", -65536)?;
    Ok(())
}

fn migrate(conn: &mut Connection, target: i64) -> Result<()> {
    // Foreign keys are off while migrations run, as SQLite's own procedure for rebuilding a
    // table asks (migration 10 rebuilds `users`, which devices and cases reference); the
    // references are checked before the commit instead. The pragma is a no-op inside a
    // transaction, hence here.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let migrated = migrate_steps(conn, target);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrated
}

fn migrate_steps(conn: &mut Connection, target: i64) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > LATEST {
        return Err(Error::NewerSchema {
            found: current,
            supported: LATEST,
        });
    }
    for (version, sql) in MIGRATIONS {
        if *version > current && *version <= target {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", version)?;
            tracing::info!(version, "sqlite migration applied");
        }
    }
    let broken: i64 = tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    if broken > 0 {
        return Err(Error::internal(format!(
            "the migration left {broken} broken references"
        )));
    }
    tx.commit()?;
    Ok(())
}

struct SqliteTx<'c> {
    conn: &'c mut Connection,
}

fn uuid_of(bytes: Vec<u8>) -> Result<Uuid> {
    Uuid::from_slice(&bytes).map_err(|_| Error::internal("stored id is not a uuid"))
}

fn role_of(s: &str) -> Result<Role> {
    Role::parse(s).ok_or_else(|| Error::internal("stored role"))
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(ErrorCode::ConstraintViolation))
}

const DEVICE_SELECT: &str = "SELECT d.device_id, d.actor, d.revoked, u.user_id, u.name, u.role, u.center \
     FROM devices d JOIN users u ON u.user_id = d.user_id";

/// device id, actor, revoked, user id, name, role, center
type RawDevice = (
    Vec<u8>,
    Option<Vec<u8>>,
    bool,
    i64,
    String,
    String,
    Option<String>,
);

fn device_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawDevice> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn device_auth(raw: RawDevice) -> Result<DeviceAuth> {
    let (device_id, actor, revoked, user_id, name, role, center) = raw;
    Ok(DeviceAuth {
        device_id: uuid_of(device_id)?,
        user: User {
            id: user_id,
            name,
            role: role_of(&role)?,
            center,
        },
        actor,
        revoked,
    })
}

const CASE_SELECT: &str =
    "SELECT case_id, number, created_by, assigned_engineer, routed_center, sync_seq FROM cases";

type RawCase = (
    Vec<u8>,
    Option<String>,
    i64,
    Option<i64>,
    Option<String>,
    i64,
);

fn case_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawCase> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn case_of(raw: RawCase) -> Result<CaseRow> {
    let (id, number, created_by, assigned_engineer, routed_center, seq) = raw;
    Ok(CaseRow {
        case_id: uuid_of(id)?,
        number,
        created_by,
        assigned_engineer,
        routed_center,
        sync_seq: from_db(seq)?,
    })
}

#[async_trait::async_trait]
impl Tx for SqliteTx<'_> {
    async fn lock_log(&mut self, _mode: LockMode) -> Result<u64> {
        // BEGIN IMMEDIATE already holds SQLite's one write lock for the whole transaction.
        let value: i64 = self
            .conn
            .prepare_cached("SELECT value FROM counters WHERE name = 'seq'")?
            .query_row([], |r| r.get(0))?;
        from_db(value)
    }

    async fn lock_cases(&mut self, _ids: &[Uuid]) -> Result<()> {
        // BEGIN IMMEDIATE: no other write transaction runs beside this one.
        Ok(())
    }

    async fn stage_bodies(&mut self, _bodies: &[(Uuid, ChangeHash, &[u8])]) -> Result<()> {
        // Written with their log rows by `append`, under the same single writer.
        Ok(())
    }

    async fn allocate_seqs(&mut self, n: u64) -> Result<u64> {
        let last: i64 = self
            .conn
            .prepare_cached(
                "UPDATE counters SET value = value + ?1 WHERE name = 'seq' RETURNING value",
            )?
            .query_row([to_db(n)?], |r| r.get(0))?;
        Ok(from_db(last)? + 1 - n)
    }

    async fn allocate_numbers(&mut self, month: &str, n: u32) -> Result<u32> {
        let last: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO number_counters (month, last) VALUES (?1, ?2) \
                 ON CONFLICT (month) DO UPDATE SET last = number_counters.last + excluded.last \
                 RETURNING last",
            )?
            .query_row(params![month, n], |r| r.get(0))?;
        let last = u32::try_from(last).map_err(|_| Error::internal("number counter"))?;
        Ok(last + 1 - n)
    }

    async fn allocate_rma_number(&mut self, month: &str) -> Result<u32> {
        let last: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO rma_counters (month, last) VALUES (?1, 1) \
                 ON CONFLICT (month) DO UPDATE SET last = rma_counters.last + 1 \
                 RETURNING last",
            )?
            .query_row(params![month], |r| r.get(0))?;
        u32::try_from(last).map_err(|_| Error::internal("RMA number counter"))
    }

    async fn insert_user(
        &mut self,
        name: &str,
        role: Role,
        center: Option<&str>,
        at: i64,
    ) -> Result<User> {
        let inserted = self.conn.execute(
            "INSERT INTO users (name, role, center, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![name, role.as_str(), center, at],
        );
        match inserted {
            Ok(_) => Ok(User {
                id: self.conn.last_insert_rowid(),
                name: name.to_owned(),
                role,
                center: center.map(str::to_owned),
            }),
            Err(e) if is_unique_violation(&e) => Err(Error::Invalid(format!(
                "a user named {name:?} exists already"
            ))),
            Err(e) => Err(e.into()),
        }
    }

    async fn user_by_name(&mut self, name: &str) -> Result<Option<User>> {
        let raw = self
            .conn
            .prepare_cached("SELECT user_id, name, role, center FROM users WHERE name = ?1")?
            .query_row([name], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .optional()?;
        raw.map(|(id, name, role, center)| {
            Ok(User {
                id,
                name,
                role: role_of(&role)?,
                center,
            })
        })
        .transpose()
    }

    async fn users_by_id(&mut self, ids: &[i64]) -> Result<HashMap<i64, User>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT user_id, name, role, center FROM users WHERE user_id = ?1")?;
        let mut users = HashMap::new();
        for id in ids {
            let raw = stmt
                .query_row([id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                })
                .optional()?;
            if let Some((id, name, role, center)) = raw {
                users.insert(
                    id,
                    User {
                        id,
                        name,
                        role: role_of(&role)?,
                        center,
                    },
                );
            }
        }
        Ok(users)
    }

    async fn insert_device(&mut self, device: &NewDevice) -> Result<()> {
        self.conn.execute(
            "INSERT INTO devices (device_id, user_id, label, token_hash, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                device.device_id.as_bytes().as_slice(),
                device.user_id,
                device.label,
                device.token_hash.as_slice(),
                device.created_at
            ],
        )?;
        Ok(())
    }

    async fn device_by_token(&mut self, token_hash: &[u8; 32]) -> Result<Option<DeviceAuth>> {
        let raw = self
            .conn
            .prepare_cached(&format!("{DEVICE_SELECT} WHERE d.token_hash = ?1"))?
            .query_row([token_hash.as_slice()], device_row)
            .optional()?;
        raw.map(device_auth).transpose()
    }

    async fn device_by_id(&mut self, device_id: Uuid) -> Result<Option<DeviceAuth>> {
        let raw = self
            .conn
            .prepare_cached(&format!("{DEVICE_SELECT} WHERE d.device_id = ?1"))?
            .query_row([device_id.as_bytes().as_slice()], device_row)
            .optional()?;
        raw.map(device_auth).transpose()
    }

    async fn device_of_actor(&mut self, actor: &[u8]) -> Result<Option<Uuid>> {
        let raw: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT device_id FROM devices WHERE actor = ?1")?
            .query_row([actor], |r| r.get(0))
            .optional()?;
        raw.map(uuid_of).transpose()
    }

    async fn reserve_hq_actor(&mut self, actor: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO hq_actors (actor) VALUES (?1)")?
            .execute([actor])?;
        Ok(())
    }

    async fn is_hq_actor(&mut self, actor: &[u8]) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM hq_actors WHERE actor = ?1")?
            .query_row([actor], |_| Ok(()))
            .optional()?
            .is_some())
    }

    async fn bind_actor(&mut self, device_id: Uuid, actor: &[u8]) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE devices SET actor = ?2 WHERE device_id = ?1 AND actor IS NULL",
            params![device_id.as_bytes().as_slice(), actor],
        )?;
        Ok(n == 1)
    }

    async fn revoke_device(&mut self, device_id: Uuid) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE devices SET revoked = 1 WHERE device_id = ?1",
            [device_id.as_bytes().as_slice()],
        )?;
        Ok(n == 1)
    }

    async fn devices(&mut self) -> Result<Vec<DeviceInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT d.device_id, u.name, d.label, d.actor, d.revoked, d.created_at \
             FROM devices d JOIN users u ON u.user_id = d.user_id ORDER BY d.created_at, d.device_id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<Vec<u8>>>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, user, label, actor, revoked, created_at)| {
                Ok(DeviceInfo {
                    device_id: uuid_of(id)?,
                    user,
                    label,
                    actor,
                    revoked,
                    created_at,
                })
            })
            .collect()
    }

    async fn cases(&mut self, ids: &[Uuid]) -> Result<HashMap<Uuid, CaseRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{CASE_SELECT} WHERE case_id = ?1"))?;
        let mut cases = HashMap::new();
        for id in ids {
            if let Some(raw) = stmt
                .query_row([id.as_bytes().as_slice()], case_row)
                .optional()?
            {
                let row = case_of(raw)?;
                cases.insert(row.case_id, row);
            }
        }
        Ok(cases)
    }

    async fn case_by_number(&mut self, number: &str) -> Result<Option<CaseRow>> {
        let raw = self
            .conn
            .prepare_cached(&format!("{CASE_SELECT} WHERE number = ?1"))?
            .query_row([number], case_row)
            .optional()?;
        raw.map(case_of).transpose()
    }

    async fn insert_cases(&mut self, cases: &[NewCase]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO cases (case_id, number, created_by, created_device, routed_center, \
             sync_seq, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for case in cases {
            stmt.execute(params![
                case.case_id.as_bytes().as_slice(),
                case.number,
                case.created_by,
                case.created_device.map(|d| d.as_bytes().to_vec()),
                case.routed_center,
                to_db(case.sync_seq)?,
                case.created_at
            ])?;
        }
        Ok(())
    }

    async fn set_sync_seqs(&mut self, seqs: &[(Uuid, u64)]) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("UPDATE cases SET sync_seq = max(sync_seq, ?2) WHERE case_id = ?1")?;
        for (id, seq) in seqs {
            stmt.execute(params![id.as_bytes().as_slice(), to_db(*seq)?])?;
        }
        Ok(())
    }

    async fn set_read_model_seqs(&mut self, seqs: &[(Uuid, u64)]) -> Result<()> {
        for table in ["case_index", "case_report"] {
            let mut stmt = self.conn.prepare_cached(&format!(
                "UPDATE {table} SET last_seq = ?2 WHERE case_id = ?1 AND last_seq < ?2"
            ))?;
            for (id, seq) in seqs {
                stmt.execute(params![id.as_bytes().as_slice(), to_db(*seq)?])?;
            }
        }
        Ok(())
    }

    async fn set_assignment(&mut self, case_id: Uuid, engineer: i64, seq: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE cases SET assigned_engineer = ?2, sync_seq = ?3 WHERE case_id = ?1",
            params![case_id.as_bytes().as_slice(), engineer, to_db(seq)?],
        )?;
        Ok(())
    }

    async fn set_route(&mut self, case_id: Uuid, center: &str, seq: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE cases SET routed_center = ?2, sync_seq = ?3 WHERE case_id = ?1",
            params![case_id.as_bytes().as_slice(), center, to_db(seq)?],
        )?;
        Ok(())
    }

    async fn list_cases(&mut self) -> Result<Vec<CaseInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT c.case_id, c.number, cu.name, au.name, c.routed_center, c.sync_seq, \
                    (SELECT COUNT(*) FROM changes l WHERE l.case_id = c.case_id) \
             FROM cases c JOIN users cu ON cu.user_id = c.created_by \
             LEFT JOIN users au ON au.user_id = c.assigned_engineer \
             WHERE c.kind = 'case' ORDER BY c.number",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, number, created_by, assigned, center, seq, changes)| {
                Ok(CaseInfo {
                    case_id: uuid_of(id)?,
                    number,
                    created_by,
                    assigned_engineer: assigned,
                    routed_center: center,
                    sync_seq: from_db(seq)?,
                    changes: from_db(changes)?,
                })
            })
            .collect()
    }

    async fn held(&mut self, keys: &[(Uuid, ChangeHash)]) -> Result<HashSet<(Uuid, ChangeHash)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM changes WHERE case_id = ?1 AND hash = ?2")?;
        let mut held = HashSet::new();
        for (case_id, hash) in keys {
            if stmt
                .query_row(
                    params![case_id.as_bytes().as_slice(), hash.0.as_slice()],
                    |_| Ok(()),
                )
                .optional()?
                .is_some()
            {
                held.insert((*case_id, *hash));
            }
        }
        Ok(held)
    }

    async fn hashes_at(
        &mut self,
        keys: &[(Uuid, Vec<u8>, u64)],
    ) -> Result<HashMap<(Uuid, Vec<u8>, u64), ChangeHash>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT hash FROM changes WHERE case_id = ?1 AND actor = ?2 AND actor_seq = ?3",
        )?;
        let mut out = HashMap::new();
        for key in keys {
            let (case_id, actor, actor_seq) = key;
            let hash: Option<Vec<u8>> = stmt
                .query_row(
                    params![case_id.as_bytes().as_slice(), actor, to_db(*actor_seq)?],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(hash) = hash {
                out.insert(key.clone(), super::hash_from_db(&hash)?);
            }
        }
        Ok(out)
    }

    async fn append(&mut self, rows: &[LogRow]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO changes (seq, case_id, hash, actor, authored_by, bytes, actor_seq, size) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for row in rows {
            let size = i64::try_from(row.bytes.len())
                .map_err(|_| Error::internal("a change over i64::MAX bytes"))?;
            stmt.execute(params![
                to_db(row.seq)?,
                row.case_id.as_bytes().as_slice(),
                row.hash.0.as_slice(),
                row.actor,
                row.authored_by.map(|d| d.as_bytes().to_vec()),
                row.bytes,
                to_db(row.actor_seq)?,
                size
            ])?;
        }
        Ok(())
    }

    async fn histories(&mut self, cases: &[Uuid]) -> Result<HashMap<Uuid, Vec<Vec<u8>>>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT bytes FROM changes WHERE case_id = ?1 ORDER BY seq")?;
        let mut out = HashMap::with_capacity(cases.len());
        for id in cases {
            let chunks = stmt
                .query_map([id.as_bytes().as_slice()], |r| r.get::<_, Vec<u8>>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.insert(*id, chunks);
        }
        Ok(out)
    }

    async fn pull_candidates(&mut self, query: &PullQuery) -> Result<Vec<Candidate>> {
        // ?1 device, ?2 cursor, ?3 limit, ?4 the scope's parameter.
        let (filter, param): (&str, rusqlite::types::Value) = match &query.scope {
            Scope::All => ("?4 IS NULL", rusqlite::types::Value::Null),
            Scope::Engineer(user) => (
                "(c.created_by = ?4 OR c.assigned_engineer = ?4)",
                rusqlite::types::Value::Integer(*user),
            ),
            Scope::Center(center) => (
                "c.routed_center = ?4",
                rusqlite::types::Value::Text(center.clone()),
            ),
        };
        const COLUMNS: &str = "c.case_id, c.sync_seq, c.number, \
             (h.since_seq IS NOT NULL AND h.since_seq <= ?2), \
             CASE WHEN h.sent_cursor <= ?2 THEN h.sent_seq END, h.sent_seq IS NOT NULL";
        // Cases sent in pages whose last page the device stored come first, also when the
        // cursor is past them (a want_full case): they are not finished yet.
        let paged = format!(
            "SELECT {COLUMNS} FROM device_cases h JOIN cases c ON c.case_id = h.case_id \
             WHERE h.device_id = ?1 AND h.sent_seq IS NOT NULL AND h.sent_cursor <= ?2 \
               AND c.sync_seq <= ?2 AND {filter} \
             ORDER BY c.sync_seq LIMIT ?3"
        );
        let touched = format!(
            "SELECT {COLUMNS} \
             FROM cases c \
             LEFT JOIN device_cases h ON h.device_id = ?1 AND h.case_id = c.case_id \
             WHERE c.sync_seq > ?2 AND {filter} \
               AND (h.since_seq IS NULL OR h.since_seq > ?2 \
                    OR (h.sent_seq IS NOT NULL AND h.sent_cursor <= ?2) OR EXISTS ( \
                    SELECT 1 FROM changes l WHERE l.case_id = c.case_id AND l.seq > ?2 \
                    AND l.authored_by IS NOT ?1)) \
             ORDER BY c.sync_seq LIMIT ?3"
        );
        let mut rows = Vec::new();
        for sql in [paged, touched] {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            rows.extend(
                stmt.query_map(
                    params![
                        query.device_id.as_bytes().as_slice(),
                        to_db(query.cursor)?,
                        query.limit,
                        param
                    ],
                    |r| {
                        Ok((
                            r.get::<_, Vec<u8>>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, bool>(3)?,
                            r.get::<_, Option<i64>>(4)?,
                            r.get::<_, bool>(5)?,
                        ))
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            );
        }
        rows.truncate(query.limit as usize);
        rows.into_iter()
            .map(|(id, seq, number, has, sent, paged)| {
                Ok(Candidate {
                    case_id: uuid_of(id)?,
                    sync_seq: from_db(seq)?,
                    number,
                    device_has_it: has,
                    sent_seq: sent.map(from_db).transpose()?,
                    paged,
                })
            })
            .collect()
    }

    async fn mark_held_by_device(&mut self, device: Uuid, cases: &[(Uuid, u64)]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO device_cases (device_id, case_id, since_seq) VALUES (?1, ?2, ?3) \
             ON CONFLICT (device_id, case_id) DO UPDATE SET since_seq = min(since_seq, excluded.since_seq)",
        )?;
        for (case_id, since) in cases {
            stmt.execute(params![
                device.as_bytes().as_slice(),
                case_id.as_bytes().as_slice(),
                to_db(*since)?
            ])?;
        }
        Ok(())
    }

    async fn reference(&mut self) -> Result<Option<ReferenceData>> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT version, policies_json, catalogs_json FROM reference_data \
                 ORDER BY version DESC LIMIT 1",
            )?
            .query_row([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        raw.map(|(version, policies_json, catalogs_json)| {
            Ok(ReferenceData {
                version: from_db(version)?,
                policies_json,
                catalogs_json,
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
        let version: i64 = self.conn.query_row(
            "INSERT INTO reference_data (version, policies_json, catalogs_json, created_at) \
             SELECT COALESCE(MAX(version), 0) + 1, ?1, ?2, ?3 FROM reference_data \
             RETURNING version",
            params![policies_json, catalogs_json, at],
            |r| r.get(0),
        )?;
        from_db(version)
    }

    async fn naive_state(&mut self, device: Uuid, case_id: Uuid) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT state FROM naive_sync_states WHERE device_id = ?1 AND case_id = ?2",
            )?
            .query_row(
                params![device.as_bytes().as_slice(), case_id.as_bytes().as_slice()],
                |r| r.get(0),
            )
            .optional()?)
    }

    async fn set_naive_state(&mut self, device: Uuid, case_id: Uuid, state: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO naive_sync_states (device_id, case_id, state) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (device_id, case_id) DO UPDATE SET state = excluded.state",
            )?
            .execute(params![
                device.as_bytes().as_slice(),
                case_id.as_bytes().as_slice(),
                state
            ])?;
        Ok(())
    }

    async fn ping(&mut self) -> Result<()> {
        self.conn.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    // ---- Read model

    async fn upsert_case_index(&mut self, rows: &[CaseIndexRow]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(&case_index_upsert_sql())?;
        for row in rows {
            stmt.execute(params![
                row.case_id.as_bytes().as_slice(),
                row.number,
                row.status,
                row.customer_name,
                row.region,
                row.market,
                row.product_model,
                row.product_category,
                row.serial_number,
                row.received_at,
                row.received_month,
                row.closed_at,
                row.defect_cause,
                row.quality_fault,
                row.warranty_covered,
                row.warranty_rule,
                row.charge_minor,
                row.charge_currency,
                row.parts_count,
                row.reply_due_at,
                row.reply_met,
                row.remedy_due_at,
                row.remedy_met,
                row.report_due_at,
                row.report_met,
                row.close_due_at,
                row.close_met,
                row.next_due_at,
                row.next_due_milestone,
                row.engineer,
                row.center,
                row.has_conflict,
                row.updated_at,
                to_db(row.last_seq)?,
                row.working_days_due_at,
                row.working_days_met,
                row.missed_deadlines
            ])?;
        }
        Ok(())
    }

    async fn query_case_index(&mut self, query: &CaseIndexQuery) -> Result<Vec<CaseIndexRow>> {
        let (filter, filter_values) =
            query.where_sql(SearchIndex::Fts5Trigram, |n| format!("?{n}"));
        let mut sql = format!(
            "SELECT {} FROM case_index{filter}",
            CASE_INDEX_COLUMNS.join(", ")
        );
        let values: Vec<rusqlite::types::Value> = filter_values
            .into_iter()
            .map(|value| match value {
                CaseIndexValue::Int(n) => rusqlite::types::Value::Integer(n),
                CaseIndexValue::Text(t) => rusqlite::types::Value::Text(t),
            })
            .collect();
        sql.push_str(&format!(" ORDER BY {}", query.order_by()));
        sql.push_str(&query.page_sql());
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let raw = stmt
            .query_map(rusqlite::params_from_iter(values), |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    CaseIndexRow {
                        case_id: Uuid::nil(),
                        number: r.get(1)?,
                        status: r.get(2)?,
                        customer_name: r.get(3)?,
                        region: r.get(4)?,
                        market: r.get(5)?,
                        product_model: r.get(6)?,
                        product_category: r.get(7)?,
                        serial_number: r.get(8)?,
                        received_at: r.get(9)?,
                        received_month: r.get(10)?,
                        closed_at: r.get(11)?,
                        defect_cause: r.get(12)?,
                        quality_fault: r.get(13)?,
                        warranty_covered: r.get(14)?,
                        warranty_rule: r.get(15)?,
                        charge_minor: r.get(16)?,
                        charge_currency: r.get(17)?,
                        parts_count: r.get(18)?,
                        reply_due_at: r.get(19)?,
                        reply_met: r.get(20)?,
                        remedy_due_at: r.get(21)?,
                        remedy_met: r.get(22)?,
                        report_due_at: r.get(23)?,
                        report_met: r.get(24)?,
                        close_due_at: r.get(25)?,
                        close_met: r.get(26)?,
                        next_due_at: r.get(27)?,
                        next_due_milestone: r.get(28)?,
                        engineer: r.get(29)?,
                        center: r.get(30)?,
                        has_conflict: r.get(31)?,
                        updated_at: r.get(32)?,
                        last_seq: 0,
                        working_days_due_at: r.get(34)?,
                        working_days_met: r.get(35)?,
                        missed_deadlines: r.get(36)?,
                    },
                    r.get::<_, i64>(33)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(id, row, last_seq)| {
                Ok(CaseIndexRow {
                    case_id: uuid_of(id)?,
                    last_seq: from_db(last_seq)?,
                    ..row
                })
            })
            .collect()
    }

    async fn replace_case_returns(&mut self, cases: &[Uuid], rows: &[ReturnSummary]) -> Result<()> {
        let mut delete = self
            .conn
            .prepare_cached("DELETE FROM case_returns WHERE case_id = ?1")?;
        for id in cases {
            delete.execute([id.as_bytes().as_slice()])?;
        }
        let mut insert = self.conn.prepare_cached(&format!(
            "INSERT INTO case_returns ({CASE_RETURNS_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
        ))?;
        for r in rows {
            insert.execute(params![
                r.case_id.as_bytes().as_slice(),
                r.request,
                r.case_number,
                r.kind,
                r.state,
                r.waiting_kind,
                r.waiting_step,
                r.waiting_role,
                r.rma_number,
                r.model,
                r.units,
                r.units_received,
                r.units_inspected,
                r.requested_at,
                r.reinspection_due_at,
            ])?;
        }
        Ok(())
    }

    async fn replace_case_waiting(
        &mut self,
        cases: &[Uuid],
        rows: &[CaseWaitingRow],
    ) -> Result<()> {
        let mut delete = self
            .conn
            .prepare_cached("DELETE FROM case_waiting WHERE case_id = ?1")?;
        for id in cases {
            delete.execute([id.as_bytes().as_slice()])?;
        }
        let mut insert = self.conn.prepare_cached(&format!(
            "INSERT INTO case_waiting ({CASE_WAITING_COLUMNS}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ))?;
        for r in rows {
            insert.execute(params![
                r.case_id.as_bytes().as_slice(),
                r.entry,
                r.kind,
                r.case_number,
                r.waiting_role,
                r.subject,
                r.reason,
                r.planned_for,
                r.requested_by,
                r.requested_at,
            ])?;
        }
        Ok(())
    }

    async fn case_waiting(&mut self, role: Option<&str>) -> Result<Vec<CaseWaitingRow>> {
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {CASE_WAITING_COLUMNS} FROM case_waiting \
                 WHERE ?1 IS NULL OR waiting_role = ?1 \
                 ORDER BY requested_at, case_number, entry"
            ))?
            .query_map(params![role], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    CaseWaitingRow {
                        case_id: Uuid::nil(),
                        entry: r.get(1)?,
                        kind: r.get(2)?,
                        case_number: r.get(3)?,
                        waiting_role: r.get(4)?,
                        subject: r.get(5)?,
                        reason: r.get(6)?,
                        planned_for: r.get(7)?,
                        requested_by: r.get(8)?,
                        requested_at: r.get(9)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(id, mut row)| {
                row.case_id = uuid_of(id)?;
                Ok(row)
            })
            .collect()
    }

    async fn case_returns(&mut self, rma_number: Option<&str>) -> Result<Vec<ReturnSummary>> {
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {CASE_RETURNS_COLUMNS} FROM case_returns \
                 WHERE ?1 IS NULL OR rma_number = ?1 \
                 ORDER BY requested_at, case_number, request"
            ))?
            .query_map(params![rma_number], return_summary_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(id, mut row)| {
                row.case_id = uuid_of(id)?;
                Ok(row)
            })
            .collect()
    }

    async fn case_ids(&mut self, after: Option<Uuid>, limit: u32) -> Result<Vec<Uuid>> {
        let after = after.map(|id| id.as_bytes().to_vec()).unwrap_or_default();
        let ids = self
            .conn
            .prepare_cached(
                "SELECT case_id FROM cases WHERE case_id > ?1 AND kind = 'case' \
                 ORDER BY case_id LIMIT ?2",
            )?
            .query_map(params![after, limit], |r| r.get::<_, Vec<u8>>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.into_iter().map(uuid_of).collect()
    }

    // ---- Stock ledgers

    async fn insert_ledger(&mut self, ledger: &NewLedger) -> Result<()> {
        let id = ledger.ledger_id.as_bytes().as_slice();
        self.conn.execute(
            "INSERT INTO cases (case_id, number, created_by, created_device, assigned_engineer, \
             routed_center, sync_seq, created_at, kind) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'ledger')",
            params![
                id,
                format!("{} {}", ledger.holder, ledger.quarter),
                ledger.created_by,
                ledger.created_device.map(|d| d.as_bytes().to_vec()),
                ledger.assigned_engineer,
                ledger.routed_center,
                to_db(ledger.sync_seq)?,
                ledger.created_at
            ],
        )?;
        self.conn.execute(
            "INSERT INTO ledgers (ledger_id, holder, quarter) VALUES (?1, ?2, ?3)",
            params![id, ledger.holder, ledger.quarter],
        )?;
        Ok(())
    }

    async fn write_ledger_model(&mut self, model: &LedgerModel) -> Result<()> {
        let id = model.ledger_id.as_bytes().as_slice();
        self.conn
            .prepare_cached("UPDATE ledgers SET closed_at = ?2 WHERE ledger_id = ?1")?
            .execute(params![id, model.closed_at])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO ledger_movements (ledger_id, movement_id, holder, \
             booked_quarter, correction_of, kind, part_number, quantity, delta, at, by_user, \
             case_id, line) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for m in &model.new_movements {
            insert.execute(params![
                id,
                m.movement_id,
                m.holder,
                m.booked_quarter,
                m.correction_of,
                m.kind,
                m.part_number,
                m.quantity,
                m.delta,
                m.at,
                m.by_user,
                m.case_id,
                m.line
            ])?;
        }
        self.conn
            .prepare_cached("DELETE FROM ledger_requests WHERE ledger_id = ?1")?
            .execute([id])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO ledger_requests (ledger_id, entry_id, holder, kind, part_number, \
             specification, quantity, at, by_user, state, waiting_step, waiting_role, dispatched) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for r in &model.requests {
            insert.execute(params![
                id,
                r.entry_id,
                r.holder,
                r.kind,
                r.part_number,
                r.specification,
                r.quantity,
                r.at,
                r.by_user,
                r.state,
                r.waiting_step,
                r.waiting_role,
                r.dispatched
            ])?;
        }
        self.conn
            .prepare_cached("DELETE FROM ledger_shipment_parts WHERE ledger_id = ?1")?
            .execute([id])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO ledger_shipment_parts (ledger_id, shipment_id, holder, tag, part_number, \
             case_id, line, shipped_at, received) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for p in &model.shipment_parts {
            insert.execute(params![
                id,
                p.shipment_id,
                p.holder,
                p.tag,
                p.part_number,
                p.case_id,
                p.line,
                p.shipped_at,
                p.received
            ])?;
        }
        Ok(())
    }

    async fn quarter_holders(&mut self, quarter: &str) -> Result<Vec<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT holder FROM ledgers WHERE quarter = ?1 \
                 UNION SELECT holder FROM ledger_movements WHERE booked_quarter = ?1 \
                 ORDER BY holder",
            )?
            .query_map(params![quarter], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    async fn ledger_infos(&mut self, holder: Option<&str>) -> Result<Vec<LedgerInfo>> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT ledger_id, holder, quarter, closed_at FROM ledgers \
                 WHERE ?1 IS NULL OR holder = ?1 ORDER BY holder, quarter",
            )?
            .query_map(params![holder], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(id, holder, quarter, closed_at)| {
                Ok(LedgerInfo {
                    ledger_id: uuid_of(id)?,
                    holder,
                    quarter,
                    closed_at,
                })
            })
            .collect()
    }

    async fn ledger_movements(
        &mut self,
        holder: &str,
        booked_quarter: Option<&str>,
    ) -> Result<Vec<MovementRow>> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT ledger_id, movement_id, holder, booked_quarter, correction_of, kind, \
                 part_number, quantity, delta, at, by_user, case_id, line FROM ledger_movements \
                 WHERE holder = ?1 AND (?2 IS NULL OR booked_quarter = ?2) \
                 ORDER BY at, movement_id",
            )?
            .query_map(params![holder, booked_quarter], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    MovementRow {
                        ledger_id: Uuid::nil(),
                        movement_id: r.get(1)?,
                        holder: r.get(2)?,
                        booked_quarter: r.get(3)?,
                        correction_of: r.get(4)?,
                        kind: r.get(5)?,
                        part_number: r.get(6)?,
                        quantity: r.get(7)?,
                        delta: r.get(8)?,
                        at: r.get(9)?,
                        by_user: r.get(10)?,
                        case_id: r.get(11)?,
                        line: r.get(12)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(id, mut row)| {
                row.ledger_id = uuid_of(id)?;
                Ok(row)
            })
            .collect()
    }

    async fn ledger_shipment_parts(
        &mut self,
        holder: Option<&str>,
    ) -> Result<Vec<ShipmentPartRow>> {
        // Two statements, not `?1 IS NULL OR holder = ?1`: with the OR the
        // planner cannot use the holder's index, and each holder's write-off read every
        // holder's old parts.
        let filter = if holder.is_some() {
            "WHERE holder = ?1"
        } else {
            "WHERE ?1 IS NULL"
        };
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT ledger_id, shipment_id, holder, tag, part_number, case_id, line, \
                 shipped_at, received FROM ledger_shipment_parts \
                 {filter} ORDER BY shipped_at, shipment_id, tag"
            ))?
            .query_map(params![holder], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    ShipmentPartRow {
                        ledger_id: Uuid::nil(),
                        shipment_id: r.get(1)?,
                        holder: r.get(2)?,
                        tag: r.get(3)?,
                        part_number: r.get(4)?,
                        case_id: r.get(5)?,
                        line: r.get(6)?,
                        shipped_at: r.get(7)?,
                        received: r.get(8)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(id, mut row)| {
                row.ledger_id = uuid_of(id)?;
                Ok(row)
            })
            .collect()
    }

    async fn ledger_requests(&mut self, waiting_only: bool) -> Result<Vec<RequestRow>> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT ledger_id, entry_id, holder, kind, part_number, specification, quantity, \
                 at, by_user, state, waiting_step, waiting_role, dispatched FROM ledger_requests \
                 WHERE ?1 = 0 OR state = 'waiting' ORDER BY at, entry_id",
            )?
            .query_map(params![waiting_only], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    RequestRow {
                        ledger_id: Uuid::nil(),
                        entry_id: r.get(1)?,
                        holder: r.get(2)?,
                        kind: r.get(3)?,
                        part_number: r.get(4)?,
                        specification: r.get(5)?,
                        quantity: r.get(6)?,
                        at: r.get(7)?,
                        by_user: r.get(8)?,
                        state: r.get(9)?,
                        waiting_step: r.get(10)?,
                        waiting_role: r.get(11)?,
                        dispatched: r.get(12)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(id, mut row)| {
                row.ledger_id = uuid_of(id)?;
                Ok(row)
            })
            .collect()
    }

    async fn replace_case_part_lines(
        &mut self,
        cases: &[IssuedCase],
        rows: &[PartLineRow],
    ) -> Result<()> {
        let mut delete = self
            .conn
            .prepare_cached("DELETE FROM case_part_lines WHERE case_id = ?1")?;
        let mut warranty = self.conn.prepare_cached(
            "INSERT OR REPLACE INTO case_warranty (case_id, case_number, covered) \
             VALUES (?1, ?2, ?3)",
        )?;
        for case in cases {
            delete.execute([&case.case_id])?;
            warranty.execute(params![case.case_id, case.number, case.covered])?;
        }
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO case_part_lines (case_id, line_id, case_number, covered, part_number, \
             quantity, old_part) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for r in rows {
            insert.execute(params![
                r.case_id,
                r.line_id,
                r.case_number,
                r.covered,
                r.part_number,
                r.quantity,
                r.old_part
            ])?;
        }
        Ok(())
    }

    async fn issued_cases(&mut self, holder: &str, quarter: &str) -> Result<Vec<IssuedCase>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT case_id, case_number, covered FROM case_warranty WHERE case_id IN \
                 (SELECT case_id FROM ledger_movements \
                 WHERE holder = ?1 AND booked_quarter = ?2 AND kind = 'issue')",
            )?
            .query_map(params![holder, quarter], |r| {
                Ok(IssuedCase {
                    case_id: r.get(0)?,
                    number: r.get(1)?,
                    covered: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    async fn issued_part_lines(&mut self, holder: &str, quarter: &str) -> Result<Vec<PartLineRow>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT case_id, line_id, case_number, covered, part_number, quantity, old_part \
                 FROM case_part_lines WHERE case_id IN (SELECT case_id FROM ledger_movements \
                 WHERE holder = ?1 AND booked_quarter = ?2 AND kind = 'issue') \
                 ORDER BY case_id, line_id",
            )?
            .query_map(params![holder, quarter], |r| {
                Ok(PartLineRow {
                    case_id: r.get(0)?,
                    line_id: r.get(1)?,
                    case_number: r.get(2)?,
                    covered: r.get(3)?,
                    part_number: r.get(4)?,
                    quantity: r.get(5)?,
                    old_part: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    // ---- Escalations

    async fn record_batch_arrival(
        &mut self,
        case_id: Uuid,
        model: &str,
        batch: &str,
        received_at: i64,
    ) -> Result<bool> {
        let inserted = self.conn.execute(
            "INSERT INTO batch_arrivals (case_id, product_model, production_batch, received_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (case_id) DO NOTHING",
            params![case_id.as_bytes().as_slice(), model, batch, received_at],
        )?;
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
            .conn
            .prepare_cached(
                "SELECT case_id, received_at FROM batch_arrivals \
                 WHERE product_model = ?1 AND production_batch = ?2 AND received_at >= ?3 \
                 AND received_at < ?4 AND escalation_id IS NULL ORDER BY received_at, case_id",
            )?
            .query_map(params![model, batch, from, until], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, at)| Ok((uuid_of(id)?, at)))
            .collect()
    }

    async fn batch_escalation_at(
        &mut self,
        model: &str,
        batch: &str,
        at: i64,
    ) -> Result<Option<Uuid>> {
        let found = self
            .conn
            .prepare_cached(
                "SELECT escalation_id FROM escalations WHERE kind = 'batch_fault' \
                 AND product_model = ?1 AND COALESCE(production_batch, '') = ?2 \
                 AND window_start <= ?3 AND ?3 < window_end ORDER BY window_start LIMIT 1",
            )?
            .query_row(params![model, batch, at], |r| r.get::<_, Vec<u8>>(0))
            .optional()?;
        found.map(uuid_of).transpose()
    }

    async fn insert_escalation(&mut self, e: &NewEscalation) -> Result<bool> {
        let inserted = self.conn.execute(
            "INSERT INTO escalations (escalation_id, dedup_key, kind, product_model, \
             production_batch, window_start, window_end, milestone, due_at, to_role, raised_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
             ON CONFLICT (dedup_key) DO NOTHING",
            params![
                e.escalation_id.as_bytes().as_slice(),
                e.dedup_key,
                e.kind,
                e.product_model,
                e.production_batch,
                e.window.map(|w| w.0),
                e.window.map(|w| w.1),
                e.milestone,
                e.due_at,
                e.to_role,
                e.raised_at
            ],
        )?;
        Ok(inserted == 1)
    }

    async fn link_escalation(
        &mut self,
        escalation_id: Uuid,
        cases: &[Uuid],
        counts_batch: bool,
    ) -> Result<()> {
        let id = escalation_id.as_bytes().as_slice();
        let mut link = self.conn.prepare_cached(
            "INSERT INTO escalation_cases (escalation_id, case_id) VALUES (?1, ?2) \
             ON CONFLICT DO NOTHING",
        )?;
        for case in cases {
            link.execute(params![id, case.as_bytes().as_slice()])?;
        }
        if counts_batch {
            let mut count = self.conn.prepare_cached(
                "UPDATE batch_arrivals SET escalation_id = ?1 \
                 WHERE case_id = ?2 AND escalation_id IS NULL",
            )?;
            for case in cases {
                count.execute(params![id, case.as_bytes().as_slice()])?;
            }
        }
        Ok(())
    }

    async fn escalations(&mut self, id: Option<Uuid>) -> Result<Vec<EscalationRow>> {
        let filter = id.map(|id| id.as_bytes().to_vec());
        let raw = self
            .conn
            .prepare_cached(&format!(
                "{ESCALATION_SELECT} WHERE ?1 IS NULL OR escalation_id = ?1 \
                 ORDER BY raised_at DESC, escalation_id DESC"
            ))?
            .query_map([filter], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    EscalationRow {
                        escalation_id: Uuid::nil(),
                        kind: r.get(1)?,
                        product_model: r.get(2)?,
                        production_batch: r.get(3)?,
                        window_start: r.get(4)?,
                        window_end: r.get(5)?,
                        milestone: r.get(6)?,
                        due_at: r.get(7)?,
                        to_role: r.get(8)?,
                        raised_at: r.get(9)?,
                        acked_by: r.get(10)?,
                        acked_at: r.get(11)?,
                        ack_note: r.get(12)?,
                        cases: Vec::new(),
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut cases = self.conn.prepare_cached(
            "SELECT case_id FROM escalation_cases WHERE escalation_id = ?1 ORDER BY case_id",
        )?;
        let mut out = Vec::with_capacity(raw.len());
        for (id, mut row) in raw {
            let ids = cases
                .query_map([id.as_slice()], |r| r.get::<_, Vec<u8>>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            row.escalation_id = uuid_of(id)?;
            row.cases = ids.into_iter().map(uuid_of).collect::<Result<_>>()?;
            out.push(row);
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
        let updated = self.conn.execute(
            "UPDATE escalations SET acked_by = ?2, acked_at = ?3, ack_note = ?4 \
             WHERE escalation_id = ?1 AND acked_at IS NULL",
            params![escalation_id.as_bytes().as_slice(), by, at, note],
        )?;
        Ok(updated == 1)
    }

    // ---- Pull budgeting

    async fn history_sizes(&mut self, cases: &[Uuid]) -> Result<HashMap<Uuid, u64>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT COALESCE(SUM(size), 0) FROM changes WHERE case_id = ?1")?;
        let mut out = HashMap::with_capacity(cases.len());
        for id in cases {
            let total: i64 = stmt.query_row([id.as_bytes().as_slice()], |r| r.get(0))?;
            out.insert(*id, from_db(total)?);
        }
        Ok(out)
    }

    async fn span_totals(&mut self, spans: &[Span]) -> Result<HashMap<Uuid, SpanTotal>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM changes WHERE {SPAN_FILTER}"
        ))?;
        let mut out = HashMap::with_capacity(spans.len());
        for span in spans {
            let (count, bytes): (i64, i64) =
                stmt.query_row(span_params(span)?, |r| Ok((r.get(0)?, r.get(1)?)))?;
            out.insert(
                span.case_id,
                SpanTotal {
                    count: from_db(count)?,
                    bytes: from_db(bytes)?,
                },
            );
        }
        Ok(out)
    }

    async fn span_sizes(&mut self, span: &Span) -> Result<Vec<(u64, u64)>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT seq, size FROM changes WHERE {SPAN_FILTER} ORDER BY seq"
        ))?;
        let rows = stmt
            .query_map(span_params(span)?, |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(seq, size)| Ok((from_db(seq)?, from_db(size)?)))
            .collect()
    }

    async fn span_changes(&mut self, spans: &[Span]) -> Result<HashMap<Uuid, Vec<Vec<u8>>>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT bytes FROM changes WHERE {SPAN_FILTER} ORDER BY seq"
        ))?;
        let mut out = HashMap::with_capacity(spans.len());
        for span in spans {
            let chunks = stmt
                .query_map(span_params(span)?, |r| r.get::<_, Vec<u8>>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.insert(span.case_id, chunks);
        }
        Ok(out)
    }

    async fn span_changes_within(
        &mut self,
        spans: &[Span],
        budget: u64,
        first_fits: bool,
    ) -> Result<Vec<SpanLoad>> {
        let totals = self.span_totals(spans).await?;
        let mut used = 0u64;
        let mut fitting = true;
        let mut out = Vec::with_capacity(spans.len());
        for (i, span) in spans.iter().enumerate() {
            let total = totals.get(&span.case_id).copied().unwrap_or_default();
            used = used.saturating_add(total.bytes);
            fitting = fitting && (used <= budget || (i == 0 && first_fits));
            let chunks = match fitting {
                true => self
                    .span_changes(std::slice::from_ref(span))
                    .await?
                    .remove(&span.case_id),
                false => None,
            };
            out.push(SpanLoad {
                case_id: span.case_id,
                total,
                chunks,
            });
        }
        Ok(out)
    }

    async fn set_pages(&mut self, device: Uuid, pages: &[(Uuid, Option<Page>)]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "UPDATE device_cases SET sent_seq = ?3, sent_cursor = ?4 \
             WHERE device_id = ?1 AND case_id = ?2",
        )?;
        for (case_id, page) in pages {
            let (seq, cursor) = match page {
                Some(p) => (Some(to_db(p.sent_seq)?), Some(to_db(p.cursor)?)),
                None => (None, None),
            };
            stmt.execute(params![
                device.as_bytes().as_slice(),
                case_id.as_bytes().as_slice(),
                seq,
                cursor
            ])?;
        }
        Ok(())
    }

    // ---- Blob access

    async fn add_case_blobs(&mut self, refs: &[(Uuid, String)]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO case_blobs (hash, case_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        for (case_id, hash) in refs {
            stmt.execute(params![hash, case_id.as_bytes().as_slice()])?;
        }
        Ok(())
    }

    async fn cases_naming_blob(&mut self, hash: &str) -> Result<Vec<Uuid>> {
        let ids = self
            .conn
            .prepare_cached("SELECT case_id FROM case_blobs WHERE hash = ?1")?
            .query_map(params![hash], |r| r.get::<_, Vec<u8>>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.into_iter().map(uuid_of).collect()
    }

    async fn blob_uploader(&mut self, hash: &str) -> Result<Option<Uuid>> {
        self.conn
            .prepare_cached("SELECT device_id FROM blob_uploads WHERE hash = ?1")?
            .query_row(params![hash], |r| r.get::<_, Vec<u8>>(0))
            .optional()?
            .map(uuid_of)
            .transpose()
    }

    async fn record_upload(
        &mut self,
        hash: &str,
        device: Uuid,
        bytes: u64,
        at: i64,
    ) -> Result<bool> {
        let inserted = self.conn.execute(
            "INSERT INTO blob_uploads (hash, device_id, bytes, uploaded_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (hash) DO NOTHING",
            params![hash, device.as_bytes().as_slice(), to_db(bytes)?, at],
        )?;
        Ok(inserted == 1)
    }

    async fn unreferenced_upload_bytes(&mut self, device: Uuid) -> Result<u64> {
        let total: i64 = self
            .conn
            .prepare_cached(
                "SELECT COALESCE(SUM(bytes), 0) FROM blob_uploads u WHERE device_id = ?1 \
                 AND NOT EXISTS (SELECT 1 FROM case_blobs c WHERE c.hash = u.hash)",
            )?
            .query_row(params![device.as_bytes().as_slice()], |r| r.get(0))?;
        from_db(total)
    }

    async fn stale_uploads(&mut self, before: i64, limit: u32) -> Result<Vec<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT hash FROM blob_uploads u WHERE uploaded_at < ?1 \
                 AND NOT EXISTS (SELECT 1 FROM case_blobs c WHERE c.hash = u.hash) \
                 ORDER BY uploaded_at LIMIT ?2",
            )?
            .query_map(params![before, limit], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?)
    }

    async fn delete_uploads(&mut self, hashes: &[String]) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("DELETE FROM blob_uploads WHERE hash = ?1")?;
        for hash in hashes {
            stmt.execute(params![hash])?;
        }
        Ok(())
    }

    async fn put_writeoff_run(&mut self, run: &WriteoffRun) -> Result<bool> {
        // The upsert's WHERE leaves an approved row as it is: no row changes then.
        let changed = self.conn.prepare_cached(
            "INSERT INTO writeoffs (holder, quarter, status, reconciliation_json, run_at, run_by) \
             VALUES (?1, ?2, 'run', ?3, ?4, ?5) \
             ON CONFLICT (holder, quarter) DO UPDATE SET \
             reconciliation_json = excluded.reconciliation_json, run_at = excluded.run_at, \
             run_by = excluded.run_by WHERE writeoffs.status = 'run'",
        )?
        .execute(params![
            run.holder,
            run.quarter,
            run.reconciliation_json,
            run.run_at,
            run.run_by
        ])?;
        Ok(changed == 1)
    }

    async fn approve_writeoff(&mut self, a: &WriteoffApproval) -> Result<bool> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE writeoffs SET status = 'approved', approved_by = ?3, approved_at = ?4, \
             voucher_xlsx_sha256 = ?5, voucher_pdf_sha256 = ?6, voucher_html_sha256 = ?7 \
             WHERE holder = ?1 AND quarter = ?2 AND status = 'run'",
            )?
            .execute(params![
                a.holder,
                a.quarter,
                a.approved_by,
                a.approved_at,
                a.voucher_xlsx_sha256,
                a.voucher_pdf_sha256,
                a.voucher_html_sha256
            ])?;
        Ok(changed == 1)
    }

    async fn writeoff(&mut self, holder: &str, quarter: &str) -> Result<Option<WriteoffRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "{WRITEOFF_SELECT} WHERE holder = ?1 AND quarter = ?2"
            ))?
            .query_row(params![holder, quarter], writeoff_row)
            .optional()?)
    }

    async fn writeoffs(&mut self, holder: Option<&str>) -> Result<Vec<WriteoffRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "{WRITEOFF_SELECT} WHERE ?1 IS NULL OR holder = ?1 ORDER BY holder, quarter"
            ))?
            .query_map(params![holder], writeoff_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    // ---- The monthly quality report

    async fn upsert_case_report(&mut self, rows: &[CaseReportRow]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO case_report (case_id, channel, customer_request, fault, \
             production_batch, major_incident, outcome, compensation_minor, \
             compensation_currency, last_seq) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (case_id) DO UPDATE SET \
             channel = excluded.channel, customer_request = excluded.customer_request, \
             fault = excluded.fault, production_batch = excluded.production_batch, \
             major_incident = excluded.major_incident, outcome = excluded.outcome, \
             compensation_minor = excluded.compensation_minor, \
             compensation_currency = excluded.compensation_currency, \
             last_seq = excluded.last_seq WHERE case_report.last_seq <= excluded.last_seq",
        )?;
        for row in rows {
            stmt.execute(params![
                row.case_id.as_bytes().as_slice(),
                row.channel,
                row.customer_request,
                row.fault,
                row.production_batch,
                row.major_incident,
                row.outcome,
                row.compensation_minor,
                row.compensation_currency,
                to_db(row.last_seq)?,
            ])?;
        }
        Ok(())
    }

    async fn report_cases(&mut self, months: &[String]) -> Result<Vec<ReportCaseRow>> {
        let months = months_json(months)?;
        let raw = self
            .conn
            .prepare_cached(&format!(
                "{REPORT_CASE_SELECT} WHERE i.received_month IN \
                 (SELECT value FROM json_each(?1)) ORDER BY i.number"
            ))?
            .query_map([months], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    ReportCaseRow {
                        case_id: Uuid::nil(),
                        number: r.get(1)?,
                        status: r.get(2)?,
                        customer_name: r.get(3)?,
                        region: r.get(4)?,
                        market: r.get(5)?,
                        product_model: r.get(6)?,
                        product_category: r.get(7)?,
                        serial_number: r.get(8)?,
                        received_at: r.get(9)?,
                        received_month: r.get(10)?,
                        closed_at: r.get(11)?,
                        defect_cause: r.get(12)?,
                        quality_fault: r.get(13)?,
                        warranty_covered: r.get(14)?,
                        charge_minor: r.get(15)?,
                        charge_currency: r.get(16)?,
                        missed_deadlines: r.get(17)?,
                        next_due_at: r.get(18)?,
                        center: r.get(19)?,
                        engineer: r.get(20)?,
                        channel: r.get(21)?,
                        customer_request: r.get(22)?,
                        fault: r.get(23)?,
                        production_batch: r.get(24)?,
                        major_incident: r.get(25)?,
                        outcome: r.get(26)?,
                        compensation_minor: r.get(27)?,
                        compensation_currency: r.get(28)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(id, row)| {
                Ok(ReportCaseRow {
                    case_id: uuid_of(id)?,
                    ..row
                })
            })
            .collect()
    }

    async fn report_part_lines(&mut self, month: &str) -> Result<Vec<PartLineRow>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT l.case_id, l.line_id, l.case_number, l.covered, l.part_number, \
                 l.quantity, l.old_part FROM case_part_lines l \
                 JOIN case_index i ON i.number = l.case_number \
                 WHERE i.received_month = ?1 ORDER BY l.case_number, l.line_id",
            )?
            .query_map([month], |r| {
                Ok(PartLineRow {
                    case_id: r.get(0)?,
                    line_id: r.get(1)?,
                    case_number: r.get(2)?,
                    covered: r.get(3)?,
                    part_number: r.get(4)?,
                    quantity: r.get(5)?,
                    old_part: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    async fn report_returns(&mut self, month: &str) -> Result<Vec<ReturnSummary>> {
        let columns: Vec<String> = CASE_RETURNS_COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect();
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {} FROM case_returns c JOIN case_index i ON i.case_id = c.case_id \
                 WHERE i.received_month = ?1 ORDER BY c.requested_at, c.case_number, c.request",
                columns.join(", ")
            ))?
            .query_map([month], return_summary_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(id, mut row)| {
                row.case_id = uuid_of(id)?;
                Ok(row)
            })
            .collect()
    }

    async fn month_counts(&mut self) -> Result<Vec<MonthCount>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT received_month, COUNT(*), \
                 COALESCE(SUM(CASE WHEN quality_fault = 1 THEN 1 ELSE 0 END), 0) \
                 FROM case_index GROUP BY received_month ORDER BY received_month",
            )?
            .query_map([], |r| {
                Ok(MonthCount {
                    month: r.get(0)?,
                    total: r.get(1)?,
                    quality: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    async fn report_keys(&mut self, months: &[String]) -> Result<Vec<ReportKey>> {
        let months = months_json(months)?;
        let raw = self
            .conn
            .prepare_cached(
                "SELECT i.case_id, i.product_model, r.fault, i.serial_number, i.received_at \
                 FROM case_index i LEFT JOIN case_report r ON r.case_id = i.case_id \
                 WHERE i.received_month IN (SELECT value FROM json_each(?1))",
            )?
            .query_map([months], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    ReportKey {
                        case_id: Uuid::nil(),
                        product_model: r.get(1)?,
                        fault: r.get(2)?,
                        serial_number: r.get(3)?,
                        received_at: r.get(4)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(id, row)| {
                Ok(ReportKey {
                    case_id: uuid_of(id)?,
                    ..row
                })
            })
            .collect()
    }

    async fn put_shipments(&mut self, rows: &[ShipmentRow], at: i64) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO shipments (month, product_model, quantity, imported_at) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (month, product_model) DO UPDATE SET \
             quantity = excluded.quantity, imported_at = excluded.imported_at",
        )?;
        for row in rows {
            stmt.execute(params![row.month, row.product_model, row.quantity, at])?;
        }
        Ok(())
    }

    async fn shipments(&mut self, months: &[String]) -> Result<Vec<ShipmentRow>> {
        let months = months_json(months)?;
        Ok(self
            .conn
            .prepare_cached(
                "SELECT month, product_model, quantity FROM shipments \
                 WHERE month IN (SELECT value FROM json_each(?1)) ORDER BY month, product_model",
            )?
            .query_map([months], |r| {
                Ok(ShipmentRow {
                    month: r.get(0)?,
                    product_model: r.get(1)?,
                    quantity: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    async fn quality_report(&mut self, month: &str) -> Result<Option<QualityReportRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!("{QUALITY_REPORT_SELECT} WHERE month = ?1"))?
            .query_row([month], quality_report_row)
            .optional()?)
    }

    async fn issued_quality_reports(&mut self) -> Result<Vec<QualityReportRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "{QUALITY_REPORT_SELECT} WHERE status = 'issued' ORDER BY month"
            ))?
            .query_map([], quality_report_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    async fn issue_quality_report(&mut self, row: &QualityReportRow) -> Result<bool> {
        // The upsert's WHERE leaves an issued report as it is: no row changes then.
        let changed = self
            .conn
            .prepare_cached(
                "INSERT INTO quality_reports (month, status, snapshot_json, issued_by, issued_at) \
                 VALUES (?1, 'issued', ?2, ?3, ?4) ON CONFLICT (month) DO UPDATE SET \
                 status = 'issued', snapshot_json = excluded.snapshot_json, \
                 issued_by = excluded.issued_by, issued_at = excluded.issued_at \
                 WHERE quality_reports.status = 'reopened'",
            )?
            .execute(params![
                row.month,
                row.snapshot_json,
                row.issued_by,
                row.issued_at
            ])?;
        if changed != 1 {
            return Ok(false);
        }
        self.conn
            .prepare_cached(
                "INSERT INTO quality_report_log (month, action, by_user, at) \
                 VALUES (?1, 'issue', ?2, ?3)",
            )?
            .execute(params![row.month, row.issued_by, row.issued_at])?;
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
            .conn
            .prepare_cached(
                "UPDATE quality_reports SET status = 'reopened' \
                 WHERE month = ?1 AND status = 'issued'",
            )?
            .execute([month])?;
        if changed != 1 {
            return Ok(false);
        }
        self.conn
            .prepare_cached(
                "INSERT INTO quality_report_log (month, action, by_user, at, reason) \
                 VALUES (?1, 'reopen', ?2, ?3, ?4)",
            )?
            .execute(params![month, by, at, reason])?;
        Ok(true)
    }

    async fn quality_report_log(&mut self, month: &str) -> Result<Vec<ReportLogRow>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT month, action, by_user, at, reason FROM quality_report_log \
                 WHERE month = ?1 ORDER BY id",
            )?
            .query_map([month], |r| {
                Ok(ReportLogRow {
                    month: r.get(0)?,
                    action: r.get(1)?,
                    by_user: r.get(2)?,
                    at: r.get(3)?,
                    reason: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    async fn set_console_password(&mut self, user_id: i64, phc: &str, at: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO console_passwords (user_id, phc, set_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (user_id) DO UPDATE SET phc = excluded.phc, set_at = excluded.set_at",
            params![user_id, phc, at],
        )?;
        Ok(())
    }

    async fn console_password(&mut self, user_id: i64) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT phc FROM console_passwords WHERE user_id = ?1")?
            .query_row([user_id], |r| r.get(0))
            .optional()?)
    }

    async fn insert_console_session(&mut self, session: &NewConsoleSession) -> Result<()> {
        self.conn.execute(
            "INSERT INTO console_sessions (token_hash, user_id, created_at, expires_at) \
             VALUES (?1, ?2, ?3, ?4)",
            params![
                session.token_hash.as_slice(),
                session.user_id,
                session.created_at,
                session.expires_at
            ],
        )?;
        Ok(())
    }

    async fn console_session(&mut self, token_hash: &[u8; 32]) -> Result<Option<(User, i64)>> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT u.user_id, u.name, u.role, u.center, s.expires_at \
                 FROM console_sessions s JOIN users u ON u.user_id = s.user_id \
                 WHERE s.token_hash = ?1",
            )?
            .query_row([token_hash.as_slice()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .optional()?;
        raw.map(|(id, name, role, center, expires_at)| {
            Ok((
                User {
                    id,
                    name,
                    role: role_of(&role)?,
                    center,
                },
                expires_at,
            ))
        })
        .transpose()
    }

    async fn delete_console_session(&mut self, token_hash: &[u8; 32]) -> Result<()> {
        self.conn.execute(
            "DELETE FROM console_sessions WHERE token_hash = ?1",
            [token_hash.as_slice()],
        )?;
        Ok(())
    }

    async fn delete_user_sessions(&mut self, user_id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM console_sessions WHERE user_id = ?1", [user_id])?;
        Ok(())
    }

    async fn delete_expired_sessions(&mut self, now: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM console_sessions WHERE expires_at <= ?1", [now])?;
        Ok(())
    }

    async fn sign_in_failures(&mut self, name: &str) -> Result<Option<SignInFailures>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT failures, window_start, locked_until FROM console_sign_in_failures \
                 WHERE name = ?1",
            )?
            .query_row([name], |r| {
                Ok(SignInFailures {
                    failures: r.get(0)?,
                    window_start: r.get(1)?,
                    locked_until: r.get(2)?,
                })
            })
            .optional()?)
    }

    async fn put_sign_in_failures(&mut self, name: &str, failures: &SignInFailures) -> Result<()> {
        self.conn.execute(
            "INSERT INTO console_sign_in_failures (name, failures, window_start, locked_until) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET \
             failures = excluded.failures, window_start = excluded.window_start, \
             locked_until = excluded.locked_until",
            params![
                name,
                failures.failures,
                failures.window_start,
                failures.locked_until
            ],
        )?;
        Ok(())
    }

    async fn clear_sign_in_failures(&mut self, name: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM console_sign_in_failures WHERE name = ?1",
            [name],
        )?;
        Ok(())
    }

    async fn console_users(&mut self) -> Result<Vec<ConsoleUser>> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT u.user_id, u.name, u.role, u.center, u.created_at, \
                 p.user_id IS NOT NULL FROM users u \
                 LEFT JOIN console_passwords p ON p.user_id = u.user_id ORDER BY u.name",
            )?
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(id, name, role, center, created_at, has_password)| {
                Ok(ConsoleUser {
                    user: User {
                        id,
                        name,
                        role: role_of(&role)?,
                        center,
                    },
                    has_password,
                    created_at,
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
        let after = after.map(|id| id.as_bytes().to_vec()).unwrap_or_default();
        let ids = self
            .conn
            .prepare_cached(
                "SELECT case_id, closed_at FROM case_index WHERE status = 'closed' \
                 AND closed_at < ?1 AND case_id > ?2 ORDER BY case_id LIMIT ?3",
            )?
            .query_map(params![closed_before, after, limit], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.into_iter()
            .map(|(id, at)| Ok((uuid_of(id)?, at)))
            .collect()
    }

    async fn case_origin(&mut self, case_id: Uuid) -> Result<Option<CaseOrigin>> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT created_by, created_device, assigned_engineer, routed_center, created_at \
                 FROM cases WHERE case_id = ?1",
            )?
            .query_row([case_id.as_bytes().as_slice()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<Vec<u8>>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .optional()?;
        raw.map(
            |(created_by, device, assigned_engineer, routed_center, created_at)| {
                Ok(CaseOrigin {
                    created_by,
                    created_device: device.map(uuid_of).transpose()?,
                    assigned_engineer,
                    routed_center,
                    created_at,
                })
            },
        )
        .transpose()
    }

    async fn case_log(&mut self, case_id: Uuid) -> Result<Vec<LogRow>> {
        type Raw = (i64, Vec<u8>, Vec<u8>, Option<i64>, Option<Vec<u8>>, Vec<u8>);
        let raw: Vec<Raw> = self
            .conn
            .prepare_cached(
                "SELECT seq, hash, actor, actor_seq, authored_by, bytes FROM changes \
                 WHERE case_id = ?1 ORDER BY seq",
            )?
            .query_map([case_id.as_bytes().as_slice()], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raw.into_iter()
            .map(|(seq, hash, actor, actor_seq, authored_by, bytes)| {
                Ok(LogRow {
                    seq: from_db(seq)?,
                    case_id,
                    hash: hash_from_db(&hash)?,
                    actor,
                    actor_seq: from_db(actor_seq.unwrap_or(0))?,
                    authored_by: authored_by.map(uuid_of).transpose()?,
                    bytes,
                })
            })
            .collect()
    }

    async fn remove_case(&mut self, tombstone: &Tombstone) -> Result<()> {
        let id = tombstone.case_id.as_bytes().as_slice();
        let text = tombstone.case_id.to_string();
        // Rows derived from the case first, the case's own row last (foreign keys).
        for table in [
            "changes",
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
            self.conn
                .prepare_cached(&format!("DELETE FROM {table} WHERE case_id = ?1"))?
                .execute([id])?;
        }
        // The write-off's tables name a case by its text id.
        for table in ["case_warranty", "case_part_lines"] {
            self.conn
                .prepare_cached(&format!("DELETE FROM {table} WHERE case_id = ?1"))?
                .execute([&text])?;
        }
        self.conn
            .prepare_cached("DELETE FROM cases WHERE case_id = ?1")?
            .execute([id])?;
        self.conn
            .prepare_cached(
                "INSERT INTO archived_cases (case_id, number, closed_at, archived_at, location) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                id,
                tombstone.number,
                tombstone.closed_at,
                tombstone.archived_at,
                tombstone.location
            ])?;
        Ok(())
    }

    async fn tombstones(&mut self, ids: &[Uuid]) -> Result<HashSet<Uuid>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM archived_cases WHERE case_id = ?1")?;
        let mut found = HashSet::new();
        for id in ids {
            if stmt
                .query_row([id.as_bytes().as_slice()], |_| Ok(()))
                .optional()?
                .is_some()
            {
                found.insert(*id);
            }
        }
        Ok(found)
    }

    async fn tombstone_by_number(&mut self, number: &str) -> Result<Option<Tombstone>> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT case_id, number, closed_at, archived_at, location FROM archived_cases \
                 WHERE number = ?1",
            )?
            .query_row([number], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .optional()?;
        raw.map(|(id, number, closed_at, archived_at, location)| {
            Ok(Tombstone {
                case_id: uuid_of(id)?,
                number,
                closed_at,
                archived_at,
                location,
            })
        })
        .transpose()
    }

    async fn delete_tombstone(&mut self, case_id: Uuid) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM archived_cases WHERE case_id = ?1")?
            .execute([case_id.as_bytes().as_slice()])?;
        Ok(())
    }
}

/// Months as the JSON array `json_each` reads: one statement for any number of months.
fn months_json(months: &[String]) -> Result<String> {
    serde_json::to_string(months).map_err(|e| Error::internal(format!("months as JSON: {e}")))
}

fn quality_report_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<QualityReportRow> {
    Ok(QualityReportRow {
        month: r.get(0)?,
        status: r.get(1)?,
        snapshot_json: r.get(2)?,
        issued_by: r.get(3)?,
        issued_at: r.get(4)?,
    })
}

fn writeoff_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WriteoffRow> {
    Ok(WriteoffRow {
        holder: r.get(0)?,
        quarter: r.get(1)?,
        status: r.get(2)?,
        reconciliation_json: r.get(3)?,
        run_at: r.get(4)?,
        run_by: r.get(5)?,
        approved_by: r.get(6)?,
        approved_at: r.get(7)?,
        voucher_xlsx_sha256: r.get(8)?,
        voucher_pdf_sha256: r.get(9)?,
        voucher_html_sha256: r.get(10)?,
    })
}

// ---- Pull budgeting

/// The changes of a [`Span`]: ?1 case, ?2 after, ?3 through, ?4 the author left out (or NULL).
const SPAN_FILTER: &str = "case_id = ?1 AND seq > ?2 AND seq <= ?3 \
     AND (?4 IS NULL OR authored_by IS NOT ?4)";

/// case, after, through, the author left out.
type SpanParams = (Vec<u8>, i64, i64, Option<Vec<u8>>);

fn span_params(span: &Span) -> Result<SpanParams> {
    Ok((
        span.case_id.as_bytes().to_vec(),
        to_db(span.after)?,
        span.through_db()?,
        span.skip_author.map(|d| d.as_bytes().to_vec()),
    ))
}

/// `INSERT ... ON CONFLICT DO UPDATE` of a whole read-model row; a row built from an older
/// state of the case (a lower `last_seq`) never replaces a newer one.
fn case_index_upsert_sql() -> String {
    let placeholders: Vec<String> = (1..=CASE_INDEX_COLUMNS.len())
        .map(|i| format!("?{i}"))
        .collect();
    let updates: Vec<String> = CASE_INDEX_COLUMNS[1..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO case_index ({}) VALUES ({}) ON CONFLICT (case_id) DO UPDATE SET {} \
         WHERE case_index.last_seq <= excluded.last_seq",
        CASE_INDEX_COLUMNS.join(", "),
        placeholders.join(", "),
        updates.join(", ")
    )
}
