//! The device's store: one SQLite database holding every case document, its projection and the
//! outbox. Every command is one SQLite transaction; a bounded cache keeps recently opened
//! documents so that a visit's commands do not reload the case each time.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use automerge::{ActorId, Automerge, ChangeHash};
use chrono::SubsecRound;
use lru::LruCache;
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use crate::blobs::BlobDir;
use crate::checkpoint::Checkpointer;
use crate::commands::{self, Applied, Command, Context};
use crate::document;
use crate::error::{Error, Result};
use crate::migrations;
use crate::model::{CaseId, Registration, Timestamp};
use crate::policy::Policies;
use crate::projection::{self, ProjectionRow};
use crate::query::{self, ListQuery, Page};
use crate::view::{self, CaseView};

/// Open documents kept in memory; a visit touches a handful, a list screen none.
const CACHE_CASES: usize = 64;
/// Incremental changes kept beside a snapshot before the document is saved whole again:
/// appending is cheap per command, and compacting bounds load time and size.
const COMPACT_AFTER: i64 = 64;

/// Where the time comes from; tests and benchmarks set their own.
pub type Clock = Box<dyn Fn() -> Timestamp + Send>;

pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) blobs: BlobDir,
    device_id: String,
    actor: ActorId,
    user: String,
    pub(crate) policies: Policies,
    cache: LruCache<CaseId, Automerge>,
    clock: Clock,
    checkpointer: Checkpointer,
}

/// What merging another replica's document did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub case_id: CaseId,
    /// False when the document brought nothing this store did not have.
    pub changed: bool,
}

impl Store {
    /// Opens (or creates) the database at `path` for `user`. A file that is not a readable
    /// database is moved aside, never deleted: it may hold unsynced field work.
    pub fn open(path: impl AsRef<Path>, user: &str) -> Result<Store> {
        let path = path.as_ref();
        if let Some(reason) = not_a_database(path)? {
            let moved_to = move_aside(path, None)?;
            return Err(Error::CorruptDatabase { moved_to, reason });
        }
        let conn = Connection::open(path)?;
        if let Err(e) = configure(&conn) {
            return match e {
                Error::Storage(e) if is_corruption(&e) => {
                    let moved_to = move_aside(path, Some(conn))?;
                    Err(Error::CorruptDatabase {
                        moved_to,
                        reason: e.to_string(),
                    })
                }
                e => Err(e),
            };
        }
        let checkpointer = Checkpointer::start(path)?;
        let blobs = BlobDir::beside(path)?;
        Store::from_connection(conn, checkpointer, blobs, user)
    }

    fn from_connection(
        mut conn: Connection,
        checkpointer: Checkpointer,
        blobs: BlobDir,
        user: &str,
    ) -> Result<Store> {
        migrations::migrate_to(&mut conn, migrations::LATEST)?;
        let (device_id, actor) = identity(&conn)?;
        let policies = conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'policies'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| Error::InvalidDocument(format!("stored policies: {e}")))?
            .unwrap_or_default();
        Ok(Store {
            conn,
            blobs,
            device_id,
            actor,
            user: user.to_owned(),
            policies,
            // CACHE_CASES is a non-zero constant.
            cache: LruCache::new(NonZeroUsize::new(CACHE_CASES).unwrap_or(NonZeroUsize::MIN)),
            clock: Box::new(|| chrono::Local::now().fixed_offset()),
            checkpointer,
        })
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// Who the following commands are recorded as (a tablet is shared by technicians).
    pub fn set_user(&mut self, user: &str) {
        self.user = user.to_owned();
    }

    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// The store's clock, to the millisecond: every record carries its time as text, and
    /// nanosecond digits are bytes on every sync with no use to anyone.
    pub fn now(&self) -> Timestamp {
        (self.clock)().trunc_subsecs(3)
    }

    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// Replaces the policies (reference data from HQ) and recomputes every projection row,
    /// since deadlines depend on them.
    pub fn set_policies(&mut self, policies: Policies) -> Result<()> {
        let json =
            serde_json::to_string(&policies).map_err(|e| Error::InvalidDocument(e.to_string()))?;
        let ids = self.all_case_ids()?;
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            let doc = self.load(id)?;
            rows.push(projection::row_of(&view::build(&doc, id, &policies)?));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES ('policies', ?1)",
            [json],
        )?;
        for row in &rows {
            projection::upsert(&tx, row)?;
        }
        tx.commit()?;
        self.checkpointer.committed();
        self.policies = policies;
        Ok(())
    }

    /// Registers a new complaint; the case gets a UUIDv7 made here.
    pub fn register(&mut self, registration: &Registration) -> Result<CaseView> {
        let case_id = Uuid::now_v7();
        let at = self.now();
        let ctx = Context {
            by: &self.user,
            device: &self.device_id,
            at,
            policies: &self.policies,
        };
        let doc = commands::register(&self.actor, &ctx, case_id, registration)?;
        let view = view::build(&doc, case_id, &self.policies)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_doc(&tx, case_id, &doc)?;
        projection::write(&tx, &view)?;
        outbox(&tx, case_id, "register", &doc, at)?;
        tx.commit()?;
        self.checkpointer.committed();
        self.cache.put(case_id, doc);
        Ok(view)
    }

    /// Runs a command on a case: checked, written as one change, stored durably with the
    /// projection and an outbox entry, all or nothing.
    pub fn execute(&mut self, case_id: CaseId, command: &Command) -> Result<(CaseView, Applied)> {
        if let Command::AttachPhoto(photo) = command {
            for hash in [&photo.hash, &photo.thumbnail_hash] {
                if !self.blobs.contains(hash)? {
                    return Err(Error::validation(
                        "hash",
                        "import the photo before attaching it",
                    ));
                }
            }
        }
        self.execute_with_blobs(case_id, command, &[])
    }

    /// Runs a command whose change references blobs just written to the blob folder; their
    /// rows are inserted in the command's transaction, so a blob is either referenced and
    /// recorded or (after a crash) an orphan file that garbage collection removes.
    pub(crate) fn execute_with_blobs(
        &mut self,
        case_id: CaseId,
        command: &Command,
        new_blobs: &[(&str, u64)],
    ) -> Result<(CaseView, Applied)> {
        let mut doc = self.take(case_id)?;
        let heads = doc.get_heads();
        let at = self.now();
        let ctx = Context {
            by: &self.user,
            device: &self.device_id,
            at,
            policies: &self.policies,
        };
        let applied = match commands::execute(&mut doc, case_id, &ctx, command) {
            Ok(applied) => applied,
            Err(e) => {
                // A refused command wrote nothing to the document; keep it cached.
                self.cache.put(case_id, doc);
                return Err(e);
            }
        };
        // On failure the in-memory document holds a change the database does not: drop it.
        let view = self.persist(case_id, &doc, &heads, Some((command.name(), at)), new_blobs)?;
        self.cache.put(case_id, doc);
        Ok((view, applied))
    }

    /// Merges a case document from another replica (HQ, a tablet) into this store.
    pub fn merge_document(&mut self, bytes: &[u8]) -> Result<Merged> {
        let mut remote =
            Automerge::load(bytes).map_err(|e| Error::InvalidDocument(e.to_string()))?;
        document::check_schema(&remote).map_err(Error::InvalidDocument)?;
        let case_id = document::case_id_of(&remote)
            .ok_or_else(|| Error::InvalidDocument("no case id".into()))?;
        if !self.exists(case_id)? {
            remote.set_actor(self.actor.clone());
            let view = view::build(&remote, case_id, &self.policies)?;
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            insert_doc(&tx, case_id, &remote)?;
            projection::write(&tx, &view)?;
            tx.commit()?;
            self.checkpointer.committed();
            self.cache.put(case_id, remote);
            return Ok(Merged {
                case_id,
                changed: true,
            });
        }
        let mut doc = self.take(case_id)?;
        if document::origin_of(&doc) != document::origin_of(&remote) {
            self.cache.put(case_id, doc);
            return Err(Error::InvalidDocument(
                "a document created separately claims this case id".into(),
            ));
        }
        let heads = doc.get_heads();
        doc.merge(&mut remote)
            .map_err(|e| Error::InvalidDocument(e.to_string()))?;
        if doc.get_heads() == heads {
            self.cache.put(case_id, doc);
            return Ok(Merged {
                case_id,
                changed: false,
            });
        }
        self.persist(case_id, &doc, &heads, None, &[])?;
        self.cache.put(case_id, doc);
        Ok(Merged {
            case_id,
            changed: true,
        })
    }

    /// The whole document of a case, as another replica would merge it.
    pub fn export_document(&mut self, case_id: CaseId) -> Result<Vec<u8>> {
        let doc = self.take(case_id)?;
        let bytes = doc.save();
        self.cache.put(case_id, doc);
        Ok(bytes)
    }

    /// The full view of one case.
    pub fn case(&mut self, case_id: CaseId) -> Result<CaseView> {
        let doc = self.take(case_id)?;
        let view = view::build(&doc, case_id, &self.policies);
        self.cache.put(case_id, doc);
        view
    }

    /// A page of cases from the projection; never loads a document.
    pub fn list(&self, query: &ListQuery) -> Result<Page> {
        query::list(&self.conn, query, self.now())
    }

    /// The stored projection row of a case, as lists see it.
    pub fn projection_row(&self, case_id: CaseId) -> Result<Option<ProjectionRow>> {
        projection::get(&self.conn, case_id)
    }

    /// Finds a case by full id, an unambiguous id prefix, or its official number.
    pub fn find(&self, reference: &str) -> Result<CaseId> {
        let reference = reference.trim();
        if let Ok(id) = reference.parse::<Uuid>() {
            return if self.exists(id)? {
                Ok(id)
            } else {
                Err(Error::CaseNotFound(id))
            };
        }
        let not_found = || Error::validation("case", "no case matches this id or number");
        if reference.len() < 4 {
            return Err(not_found());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT case_id FROM cases WHERE number = ?1 OR case_id LIKE ?2 || '%' LIMIT 2",
        )?;
        let ids: Vec<String> = stmt
            .query_map(params![reference, reference.to_lowercase()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        match ids.as_slice() {
            [one] => one.parse().map_err(|_| not_found()),
            [] => Err(not_found()),
            _ => Err(Error::validation(
                "case",
                "matches several cases; give more of the id",
            )),
        }
    }

    pub fn case_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM case_docs", [], |r| r.get(0))?)
    }

    /// Commands not yet sent to HQ.
    pub fn outbox_len(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?)
    }

    /// SQLite's own consistency check; "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Writes the document's new changes since `heads`, its projection row and, for a local
    /// command, an outbox entry, in one transaction.
    fn persist(
        &mut self,
        case_id: CaseId,
        doc: &Automerge,
        heads: &[ChangeHash],
        local: Option<(&str, Timestamp)>,
        new_blobs: &[(&str, u64)],
    ) -> Result<CaseView> {
        let view = view::build(doc, case_id, &self.policies)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        write_doc_change(&tx, case_id, doc, heads)?;
        projection::write(&tx, &view)?;
        for (hash, size) in new_blobs {
            crate::photos::record_blob(&tx, hash, *size, false)?;
        }
        if let Some((command, at)) = local {
            outbox(&tx, case_id, command, doc, at)?;
        }
        tx.commit()?;
        self.checkpointer.committed();
        Ok(view)
    }

    /// Returns a document taken with [`Store::take`] to the cache.
    pub(crate) fn give_back(&mut self, case_id: CaseId, doc: Automerge) {
        self.cache.put(case_id, doc);
    }

    /// Drops a cached document that may hold changes the database does not.
    pub(crate) fn forget(&mut self, case_id: CaseId) {
        self.cache.pop(&case_id);
    }

    /// Counts a commit made outside `persist` towards the next checkpoint.
    pub(crate) fn committed(&mut self) {
        self.checkpointer.committed();
    }

    /// Takes a case's document out of the cache, or loads it; the caller puts it back.
    pub(crate) fn take(&mut self, case_id: CaseId) -> Result<Automerge> {
        match self.cache.pop(&case_id) {
            Some(doc) => Ok(doc),
            None => self.load(case_id),
        }
    }

    fn load(&self, case_id: CaseId) -> Result<Automerge> {
        if let Some(doc) = self.cache.peek(&case_id) {
            return Ok(doc.clone());
        }
        let id = case_id.to_string();
        let snapshot: Vec<u8> = self
            .conn
            .prepare_cached("SELECT snapshot FROM case_docs WHERE case_id = ?1")?
            .query_row([&id], |r| r.get(0))
            .optional()?
            .ok_or(Error::CaseNotFound(case_id))?;
        let changes: Vec<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT bytes FROM case_changes WHERE case_id = ?1 ORDER BY id")?
            .query_map([&id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        document::load(case_id, &snapshot, &changes, &self.actor)
    }

    pub(crate) fn exists(&self, case_id: CaseId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM case_docs WHERE case_id = ?1")?
            .query_row([case_id.to_string()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn all_case_ids(&self) -> Result<Vec<CaseId>> {
        let mut stmt = self.conn.prepare("SELECT case_id FROM case_docs")?;
        let ids: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .map(|s| {
                s.parse()
                    .map_err(|_| Error::InvalidDocument(format!("stored case id {s}")))
            })
            .collect()
    }
}

/// SQLite's file header; a non-empty file without it is not a database at all.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Why the file at `path` cannot be a database, checked before SQLite touches it.
fn not_a_database(path: &Path) -> Result<Option<String>> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match std::io::Read::read(&mut file, &mut header[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(match read {
        0 => None,
        16 if &header == SQLITE_HEADER => None,
        _ => Some("the file does not start with the SQLite header".into()),
    })
}

fn configure(conn: &Connection) -> Result<()> {
    // journal_mode reads the header, so a file that is not a database fails here.
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    // FULL: a command that returned success survives a power cut, not only a killed app.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Checkpoints run on the checkpointer's thread, not inside a command's commit.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // Reading the schema catches a damaged header or first page.
    conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })?;
    Ok(())
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

/// Moves the database and its WAL and SHM files to `<name>.corrupt-<time>-<id>[-wal|-shm]`.
/// The files are copied byte for byte while `conn` (if any) is still open, because closing
/// the last connection would fold the WAL into the damaged file and delete it; only then are
/// the originals removed. A fresh id in the name means an earlier copy is never overwritten.
fn move_aside(path: &Path, conn: Option<Connection>) -> Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut target = path.as_os_str().to_owned();
    target.push(format!(".corrupt-{stamp}-{}", Uuid::new_v4().simple()));
    let target = PathBuf::from(target);
    let with_suffix = |base: &Path, suffix: &str| {
        let mut p = base.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    let mut moved = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let from = with_suffix(path, suffix);
        if from.exists() {
            copy_new(&from, &with_suffix(&target, suffix))?;
            moved.push(from);
        }
    }
    drop(conn);
    for from in moved {
        match std::fs::remove_file(from) {
            // Closing the connection may already have removed its own WAL and SHM files.
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    Ok(target)
}

/// Copies `from` to a path that must not exist yet, and syncs it before returning.
fn copy_new(from: &Path, to: &Path) -> Result<()> {
    let mut source = std::fs::File::open(from)?;
    let mut dest = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)?;
    std::io::copy(&mut source, &mut dest)?;
    dest.sync_all()?;
    Ok(())
}

/// This install's device id and automerge actor, made on first open.
fn identity(conn: &Connection) -> Result<(String, ActorId)> {
    let existing = conn
        .query_row(
            "SELECT device_id, actor_id FROM device WHERE id = 1",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?)),
        )
        .optional()?;
    if let Some((device_id, actor)) = existing {
        return Ok((device_id, ActorId::from(actor)));
    }
    let device_id = Uuid::now_v7().to_string();
    let actor = Uuid::new_v4();
    conn.execute(
        "INSERT INTO device (id, device_id, actor_id, created_at) VALUES (1, ?1, ?2, ?3)",
        params![
            device_id,
            actor.as_bytes().to_vec(),
            chrono::Utc::now().to_rfc3339()
        ],
    )?;
    Ok((device_id, ActorId::from(actor.as_bytes().as_slice())))
}

/// Stores a document's changes since `heads`: appended as one incremental record, or, every
/// [`COMPACT_AFTER`] records, as a fresh full save replacing them.
pub(crate) fn write_doc_change(
    conn: &Connection,
    case_id: CaseId,
    doc: &Automerge,
    heads: &[ChangeHash],
) -> Result<()> {
    write_doc_delta(conn, case_id, doc, &doc.save_after(heads))
}

/// [`write_doc_change`] with the incremental save (`save_after`) already made, so that
/// callers merging many cases can make it off the writing thread.
pub(crate) fn write_doc_delta(
    conn: &Connection,
    case_id: CaseId,
    doc: &Automerge,
    delta: &[u8],
) -> Result<()> {
    let id = case_id.to_string();
    let pending: i64 = conn
        .prepare_cached("SELECT pending_changes FROM case_docs WHERE case_id = ?1")?
        .query_row([&id], |r| r.get(0))?;
    if pending + 1 >= COMPACT_AFTER {
        conn.execute(
            "UPDATE case_docs SET snapshot = ?2, pending_changes = 0 WHERE case_id = ?1",
            params![id, doc.save()],
        )?;
        conn.execute("DELETE FROM case_changes WHERE case_id = ?1", [&id])?;
    } else {
        conn.prepare_cached("INSERT INTO case_changes (case_id, bytes) VALUES (?1, ?2)")?
            .execute(params![id, delta])?;
        conn.prepare_cached(
            "UPDATE case_docs SET pending_changes = pending_changes + 1 WHERE case_id = ?1",
        )?
        .execute([&id])?;
    }
    Ok(())
}

/// Stores a case this device has not had before, as a full save.
pub(crate) fn insert_doc(conn: &Connection, case_id: CaseId, doc: &Automerge) -> Result<()> {
    insert_snapshot(conn, case_id, &doc.save())
}

/// [`insert_doc`] with the save already made.
pub(crate) fn insert_snapshot(conn: &Connection, case_id: CaseId, snapshot: &[u8]) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO case_docs (case_id, snapshot, pending_changes) VALUES (?1, ?2, 0)",
    )?
    .execute(params![case_id.to_string(), snapshot])?;
    Ok(())
}

/// Queues a local command for HQ: its change chunk, ready to push without loading the case.
fn outbox(
    conn: &Connection,
    case_id: CaseId,
    command: &str,
    doc: &Automerge,
    at: Timestamp,
) -> Result<()> {
    let heads: Vec<String> = doc.get_heads().iter().map(ToString::to_string).collect();
    // Stored as pushed: in automerge's compressed chunk form (deflated once the chunk is over
    // 256 bytes), about a fifth smaller for a typical command; any automerge parser reads it.
    let change = doc
        .get_last_local_change()
        .map(|mut c| c.bytes().into_owned());
    conn.prepare_cached(
        "INSERT INTO outbox (case_id, command, heads, created_at, change) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        case_id.to_string(),
        command,
        heads.join(","),
        at.to_rfc3339(),
        change
    ])?;
    Ok(())
}
