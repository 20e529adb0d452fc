//! The device's store: one SQLite database holding every case document, its projection and the
//! outbox, with the photo blobs in a folder beside it.
//!
//! Every write goes through two doors. [`Store::write`] runs one IMMEDIATE SQLite transaction,
//! commits it and tells the checkpointer; [`Store::with_doc`] hands a case's document (from a
//! bounded cache, or loaded) to a closure and drops it from the cache when the closure fails, so
//! memory never holds a change the database does not. Commands, merges and sync rounds are all
//! built from these two.

mod blob_files;
mod blob_rows;
mod checkpoint;
mod docs;
pub(crate) mod evict;
mod file;
pub(crate) mod ledgers;
pub(crate) mod migrations;
pub(crate) mod outbox;
pub(crate) mod projection;
pub(crate) mod query;
mod reader;

use std::num::NonZeroUsize;
use std::path::Path;

use automerge::{ActorId, Automerge, ChangeHash};
use chrono::SubsecRound;
use lru::LruCache;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use uuid::Uuid;

use crate::case::authority::check_change_authority;
use crate::case::change;
use crate::case::commands::{Applied, Command, Context};
use crate::case::document;
use crate::case::view::{self, CaseView};
use crate::error::{Error, Invalid, Result};
use crate::model::{CaseId, Registration, Timestamp};
use crate::rules::authority::{Author, Role};
use crate::rules::parts_catalog::PartsCatalog;
use crate::rules::policy::Policies;
use checkpoint::Checkpointer;
use projection::ProjectionRow;
use query::{CaseCounts, ListQuery, Page};

pub(crate) use blob_files::BlobDir;
pub use blob_files::write_file_atomically;
pub(crate) use blob_rows::{blob_uploaded, record_blob};
pub(crate) use docs::{insert_doc, insert_snapshot, write_doc_change, write_doc_delta};
pub use reader::Reader;

/// Open documents kept in memory; a visit touches a handful, a list screen none.
const CACHE_CASES: usize = 64;

/// Where the time comes from; tests and benchmarks set their own.
pub type Clock = Box<dyn Fn() -> Timestamp + Send>;

/// A field device's whole state: open one per database file and keep it for the app's life.
///
/// Commands ([`Store::register`], [`Store::execute`]) are checked by the rules, written as one
/// automerge change and stored with the case's projection row and an outbox entry in one
/// transaction: all or nothing. Lists ([`Store::list`]) read the projection and never load a
/// document; a case's detail ([`Store::case`]) comes from its document. Sync, photos and
/// reference data are methods too (see the `sync` and `photo` modules). A `Store` is not
/// shared between threads: callers that need that put it behind a lock.
pub struct Store {
    conn: Connection,
    pub(crate) blobs: BlobDir,
    device_id: String,
    actor: ActorId,
    user: String,
    /// The user's role, when the app has said it: commands are then checked against the
    /// field-authority table before they are stored.
    role: Option<Role>,
    pub(crate) policies: Policies,
    /// The parts catalog of the catalogs HQ last sent, when they have one.
    pub(crate) parts_catalog: Option<PartsCatalog>,
    cache: LruCache<CaseId, OpenCase>,
    /// The stock ledger last written, kept open: a tablet records one movement after another
    /// into the same quarter's ledger, which would otherwise be loaded for each.
    pub(crate) open_ledger: Option<(Uuid, Automerge)>,
    clock: Clock,
    checkpointer: Checkpointer,
}

/// A case's document in memory, with the view last built from it and the heads it was built
/// at: a command plans against that view instead of building it again.
pub(crate) struct OpenCase {
    pub(crate) doc: Automerge,
    view: Option<(Vec<ChangeHash>, CaseView)>,
}

impl OpenCase {
    pub(crate) fn new(doc: Automerge) -> OpenCase {
        OpenCase { doc, view: None }
    }

    /// The case's view as the document stands now, built only if the document changed since.
    pub(crate) fn view(&mut self, case_id: CaseId, policies: &Policies) -> Result<&CaseView> {
        let heads = self.doc.get_heads();
        if !matches!(&self.view, Some((at, _)) if *at == heads) {
            self.view = Some((heads, view::build(&self.doc, case_id, policies)?));
        }
        match &self.view {
            Some((_, view)) => Ok(view),
            // Set just above.
            None => Err(Error::InvalidDocument("case view missing".into())),
        }
    }

    /// [`OpenCase::view`], moved out: for a caller about to change the document.
    pub(crate) fn take_view(&mut self, case_id: CaseId, policies: &Policies) -> Result<CaseView> {
        self.view(case_id, policies)?;
        match self.view.take() {
            Some((_, view)) => Ok(view),
            None => Err(Error::InvalidDocument("case view missing".into())),
        }
    }

    /// Remembers a view built from the document as it stands now.
    pub(crate) fn keep_view(&mut self, view: CaseView) {
        self.view = Some((self.doc.get_heads(), view));
    }
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
        if let Some(reason) = file::not_a_database(path)? {
            let moved_to = file::move_aside(path, None)?;
            return Err(Error::CorruptDatabase { moved_to, reason });
        }
        let mut conn = Connection::open(path)?;
        if let Err(e) = file::configure(&conn) {
            return match e {
                Error::Storage(e) if file::is_corruption(&e) => {
                    let moved_to = file::move_aside(path, Some(conn))?;
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
        migrations::migrate_to(&mut conn, migrations::LATEST)?;
        let (device_id, actor) = file::identity(&conn)?;
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
        let catalogs: Option<String> = conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'catalogs'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let parts_catalog = catalogs.as_deref().and_then(parts_catalog_of);
        Ok(Store {
            conn,
            blobs,
            device_id,
            actor,
            user: user.to_owned(),
            role: None,
            policies,
            parts_catalog,
            // CACHE_CASES is a non-zero constant.
            cache: LruCache::new(NonZeroUsize::new(CACHE_CASES).unwrap_or(NonZeroUsize::MIN)),
            open_ledger: None,
            clock: Box::new(|| chrono::Local::now().fixed_offset()),
            checkpointer,
        })
    }

    /// This install's device id, made on first open.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// The automerge actor every change made here is signed with.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// Who the following commands are recorded as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Who the following commands are recorded as (a tablet is shared by technicians).
    pub fn set_user(&mut self, user: &str) {
        self.user = user.to_owned();
    }

    /// The role of the user working now (HQ tells the app at sign-in). With a role set, a
    /// command that writes a field the role may not write is refused here, offline; without
    /// one, HQ refuses it at sync.
    pub fn set_role(&mut self, role: Option<Role>) {
        self.role = role;
    }

    pub fn role(&self) -> Option<Role> {
        self.role
    }

    pub fn set_clock(&mut self, clock: Clock) {
        self.clock = clock;
    }

    /// The store's clock, to the millisecond: every record carries its time as text, and
    /// nanosecond digits are bytes on every sync with no use to anyone.
    pub fn now(&self) -> Timestamp {
        (self.clock)().trunc_subsecs(3)
    }

    /// The policies HQ last sent (DOMAIN's defaults before the first sync).
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// Replaces the policies (reference data from HQ) and recomputes every case's deadlines
    /// from the inputs its projection row keeps, without loading any document.
    pub fn set_policies(&mut self, policies: Policies) -> Result<()> {
        let json =
            serde_json::to_string(&policies).map_err(|e| Error::InvalidDocument(e.to_string()))?;
        // Rows written before their deadline inputs were kept (an older app version) are
        // rebuilt from their documents, once.
        let mut rebuilt = Vec::new();
        for case_id in projection::without_deadline_inputs(&self.conn)? {
            let doc = docs::load(&self.conn, case_id, &self.actor)?;
            rebuilt.push(view::build(&doc, case_id, &policies)?);
        }
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES ('policies', ?1)",
                [json],
            )?;
            for view in &rebuilt {
                projection::write(tx, view)?;
            }
            projection::recompute_deadlines(tx, &policies.deadlines)
        })?;
        self.policies = policies;
        // Cached views were built under the old policies.
        for (_, open) in self.cache.iter_mut() {
            open.view = None;
        }
        Ok(())
    }

    /// Registers a new complaint; the case gets a UUIDv7 made here.
    pub fn register(&mut self, registration: &Registration) -> Result<CaseView> {
        let case_id = Uuid::now_v7();
        let at = self.now();
        let doc = change::register(&self.actor, &self.context(at), case_id, registration)?;
        let view = view::build(&doc, case_id, &self.policies)?;
        self.write(|tx| {
            insert_doc(tx, case_id, &doc)?;
            projection::write(tx, &view)?;
            outbox::push(tx, case_id, "register", &doc, at)
        })?;
        let mut open = OpenCase::new(doc);
        open.keep_view(view.clone());
        self.cache.put(case_id, open);
        Ok(view)
    }

    /// Runs a command on a case: checked, written as one change, stored durably with the
    /// projection and an outbox entry, all or nothing.
    pub fn execute(&mut self, case_id: CaseId, command: &Command) -> Result<(CaseView, Applied)> {
        if let Command::AttachPhoto(photo) = command {
            for hash in [&photo.hash, &photo.thumbnail_hash] {
                if !self.blobs.contains(hash)? {
                    return Err(Error::validation("hash", Invalid::PhotoNotImported));
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
        self.with_doc(case_id, |store, open| {
            let at = store.now();
            let heads = open.doc.get_heads();
            let before = open.take_view(case_id, &store.policies)?;
            let ctx = store.context(at);
            let applied = change::execute(&mut open.doc, &before, &ctx, command)?;
            if let (Some(role), Some(change)) = (store.role, open.doc.get_last_local_change()) {
                // The same check HQ makes on this change at sync. On refusal the closure
                // fails and `with_doc` drops the changed document: nothing is stored.
                check_change_authority(&open.doc, &change, Author::Device(role))
                    .map_err(Error::NotPermitted)?;
            }
            let view = view::build(&open.doc, case_id, &store.policies)?;
            store.write(|tx| {
                write_doc_change(tx, case_id, &open.doc, &heads)?;
                projection::write(tx, &view)?;
                for (hash, size) in new_blobs {
                    record_blob(tx, hash, *size, false)?;
                }
                // The user changed a case HQ rejected: offer it to HQ again.
                tx.prepare_cached(
                    "DELETE FROM sync_refused WHERE case_id = ?1 AND reason IS NOT NULL",
                )?
                .execute([case_id.to_string()])?;
                outbox::push(tx, case_id, command.name(), &open.doc, at)
            })?;
            open.keep_view(view.clone());
            Ok((view, applied))
        })
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
            self.write(|tx| {
                insert_doc(tx, case_id, &remote)?;
                projection::write(tx, &view)
            })?;
            let mut open = OpenCase::new(remote);
            open.keep_view(view);
            self.cache.put(case_id, open);
            return Ok(Merged {
                case_id,
                changed: true,
            });
        }
        self.with_doc(case_id, |store, open| {
            if document::origin_of(&open.doc) != document::origin_of(&remote) {
                return Err(Error::InvalidDocument(
                    "a document created separately claims this case id".into(),
                ));
            }
            let heads = open.doc.get_heads();
            open.doc
                .merge(&mut remote)
                .map_err(|e| Error::InvalidDocument(e.to_string()))?;
            if open.doc.get_heads() == heads {
                return Ok(Merged {
                    case_id,
                    changed: false,
                });
            }
            let view = view::build(&open.doc, case_id, &store.policies)?;
            store.write(|tx| {
                write_doc_change(tx, case_id, &open.doc, &heads)?;
                projection::write(tx, &view)
            })?;
            open.keep_view(view);
            Ok(Merged {
                case_id,
                changed: true,
            })
        })
    }

    /// The whole document of a case, as another replica would merge it.
    pub fn export_document(&mut self, case_id: CaseId) -> Result<Vec<u8>> {
        self.with_doc(case_id, |_, open| Ok(open.doc.save()))
    }

    /// The full view of one case.
    pub fn case(&mut self, case_id: CaseId) -> Result<CaseView> {
        self.with_doc(case_id, |store, open| {
            Ok(open.view(case_id, &store.policies)?.clone())
        })
    }

    /// A page of cases from the projection; never loads a document.
    pub fn list(&self, query: &ListQuery) -> Result<Page> {
        query::list(&self.conn, query, self.now())
    }

    /// Counts for tab badges (per status, overdue, in conflict); never loads a document.
    pub fn counts(&self) -> Result<CaseCounts> {
        query::counts(&self.conn, self.now())
    }

    /// The stored projection row of a case, as lists see it.
    pub fn projection_row(&self, case_id: CaseId) -> Result<Option<ProjectionRow>> {
        projection::get(&self.conn, case_id)
    }

    /// Finds a case by full id, an unambiguous id prefix, or its official number. A case
    /// evicted from the device is found too (by the number on the paperwork, say): opening it
    /// then says it must be fetched ([`Error::Evicted`], [`Store::request_case`]).
    pub fn find(&self, reference: &str) -> Result<CaseId> {
        let reference = reference.trim();
        if let Ok(id) = reference.parse::<Uuid>() {
            return if self.exists(id)? || evict::is_evicted(&self.conn, id)? {
                Ok(id)
            } else {
                Err(Error::CaseNotFound(id))
            };
        }
        let not_found = || Error::validation("case", Invalid::NoCaseMatches);
        if reference.len() < 4 {
            return Err(not_found());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT case_id FROM cases WHERE number = ?1 OR case_id LIKE ?2 || '%' \
             UNION ALL SELECT case_id FROM evicted_cases WHERE number = ?1 OR case_id LIKE ?2 || '%' \
             LIMIT 2",
        )?;
        let ids: Vec<String> = stmt
            .query_map(params![reference, reference.to_lowercase()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        match ids.as_slice() {
            [one] => one.parse().map_err(|_| not_found()),
            [] => Err(not_found()),
            _ => Err(Error::validation("case", Invalid::SeveralCasesMatch)),
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

    /// The one way to write: `f` runs inside an IMMEDIATE transaction that commits only when
    /// it returns `Ok` (and rolls back otherwise); the checkpointer counts the commit.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        self.checkpointer.committed();
        Ok(value)
    }

    /// Runs `f` while this store holds an open write transaction (as a command does), for
    /// tests of what other connections see meanwhile.
    #[cfg(feature = "testing")]
    pub fn with_write_for_test(&mut self, f: impl FnOnce()) -> Result<()> {
        self.write(|_| {
            f();
            Ok(())
        })
    }

    /// Runs `f` on a case's open document (cached, or loaded). On `Ok` the document goes back
    /// to the cache; on `Err` it is dropped, because it may hold a change the database does not.
    pub(crate) fn with_doc<T>(
        &mut self,
        case_id: CaseId,
        f: impl FnOnce(&mut Store, &mut OpenCase) -> Result<T>,
    ) -> Result<T> {
        let mut open = match self.cache.pop(&case_id) {
            Some(open) => open,
            None => OpenCase::new(docs::load(&self.conn, case_id, &self.actor)?),
        };
        let value = f(self, &mut open)?;
        self.cache.put(case_id, open);
        Ok(value)
    }

    /// [`Store::with_doc`] for several cases at once (a sync round's pulls): `f` gets the open
    /// documents of the cases this store has (`None` for the others) and may add new ones; all
    /// of them are cached on `Ok`, none on `Err`.
    pub(crate) fn with_docs<T>(
        &mut self,
        case_ids: &[CaseId],
        f: impl FnOnce(&mut Store, &mut Vec<(CaseId, Option<OpenCase>)>) -> Result<T>,
    ) -> Result<T> {
        let mut open = Vec::with_capacity(case_ids.len());
        for &case_id in case_ids {
            let doc = match self.cache.pop(&case_id) {
                Some(doc) => Some(doc),
                None if self.exists(case_id)? => {
                    Some(OpenCase::new(docs::load(&self.conn, case_id, &self.actor)?))
                }
                None => None,
            };
            open.push((case_id, doc));
        }
        let value = f(self, &mut open)?;
        for (case_id, doc) in open {
            if let Some(doc) = doc {
                self.cache.put(case_id, doc);
            }
        }
        Ok(value)
    }

    /// The database, for reads; writes go through [`Store::write`].
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn exists(&self, case_id: CaseId) -> Result<bool> {
        docs::exists(&self.conn, case_id)
    }

    fn context(&self, at: Timestamp) -> Context<'_> {
        Context {
            by: &self.user,
            device: &self.device_id,
            at,
            policies: &self.policies,
            parts_catalog: self.parts_catalog.as_ref(),
        }
    }

    /// The parts catalog HQ last sent (`None` before the first sync, or when HQ has none).
    pub fn parts_catalog(&self) -> Option<&PartsCatalog> {
        self.parts_catalog.as_ref()
    }
}

/// The parts catalog of stored catalogs JSON. A malformed one (HQ refuses to publish it, but
/// an older HQ did not check) counts as no catalog: the device never blocks on it.
pub(crate) fn parts_catalog_of(catalogs_json: &str) -> Option<PartsCatalog> {
    PartsCatalog::from_catalogs_json(catalogs_json)
        .ok()
        .flatten()
}
