//! A read-only second connection to the store's database, for screens: lists, counts, a case's
//! detail and its sync state. SQLite's WAL lets it read the last committed state while the
//! writer commits, so a screen never waits for a command or a sync round (ADR 0018).

use std::path::{Path, PathBuf};

use automerge::ActorId;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::case::view::{self, CaseView};
use crate::error::{Error, Result};
use crate::model::{CaseId, Timestamp};
use crate::rules::policy::Policies;
use crate::store::blob_files::BlobDir;
use crate::store::docs;
use crate::store::query::{self, CaseCounts, ListQuery, Page};
use crate::sync::round::{self, CaseSyncState};
use crate::sync::standing::SyncStanding;

/// Reads the database a [`crate::Store`] writes, through its own read-only connection. Open
/// it after the store (which creates and migrates the file); like the store it is used by one
/// thread at a time.
pub struct Reader {
    conn: Connection,
    actor: ActorId,
    blobs: BlobDir,
    /// The policies deadlines are dated with, and the `data_version` they were read at: read
    /// again only after another connection committed.
    policies: Option<(i64, Policies)>,
}

impl Reader {
    pub fn open(path: impl AsRef<Path>) -> Result<Reader> {
        let path = path.as_ref();
        let blobs = BlobDir::beside(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        // A reader waits for nothing in WAL mode except a checkpoint's brief recovery step.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let actor: Vec<u8> =
            conn.query_row("SELECT actor_id FROM device WHERE id = 1", [], |r| r.get(0))?;
        Ok(Reader {
            conn,
            actor: ActorId::from(actor),
            blobs,
            policies: None,
        })
    }

    /// A page of cases (see [`crate::Store::list`]); `now` dates "overdue".
    pub fn list(&self, query: &ListQuery, now: Timestamp) -> Result<Page> {
        query::list(&self.conn, query, now)
    }

    /// Tab badges over every case; `now` dates "overdue".
    pub fn counts(&self, now: Timestamp) -> Result<CaseCounts> {
        query::counts(&self.conn, now)
    }

    /// The full view of one case, built from its stored document.
    pub fn case(&mut self, case_id: CaseId) -> Result<CaseView> {
        let doc = docs::load(&self.conn, case_id, &self.actor)?;
        let policies = self.policies()?;
        view::build(&doc, case_id, policies)
    }

    pub fn case_sync_state(&self, case_id: CaseId) -> Result<CaseSyncState> {
        round::case_sync_state(&self.conn, case_id)
    }

    pub fn case_sync_reason(&self, case_id: CaseId) -> Result<Option<String>> {
        round::case_sync_reason(&self.conn, case_id)
    }

    /// Where the photo or thumbnail with this hash is kept (the file may not be there yet).
    pub fn blob_path(&self, hash: &str) -> Result<PathBuf> {
        self.blobs.path(hash)
    }

    /// When this device last finished a sync round with HQ (RFC 3339), if ever.
    pub fn last_sync_at(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT last_sync_at FROM sync_state WHERE id = 1",
                [],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?
            .flatten())
    }

    /// How sync stands: the last success and the last failure, as the sync loop recorded
    /// them (kept across restarts).
    pub fn sync_standing(&self) -> Result<SyncStanding> {
        crate::sync::standing::read(&self.conn)
    }

    /// The stored policies, read again only when the database changed since.
    fn policies(&mut self) -> Result<&Policies> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "data_version", |r| r.get(0))?;
        if !matches!(&self.policies, Some((at, _)) if *at == version) {
            let policies = self
                .conn
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
            self.policies = Some((version, policies));
        }
        match &self.policies {
            Some((_, policies)) => Ok(policies),
            // Set just above.
            None => Err(Error::InvalidDocument("policies missing".into())),
        }
    }
}
