//! Opening the database file safely: SQLite's settings, a damaged file moved aside (never
//! deleted: it may hold unsynced field work), and this install's identity.

use std::path::{Path, PathBuf};

use automerge::ActorId;
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use uuid::Uuid;

use crate::error::Result;

/// SQLite's file header; a non-empty file without it is not a database at all.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Why the file at `path` cannot be a database, checked before SQLite touches it.
pub(super) fn not_a_database(path: &Path) -> Result<Option<String>> {
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

pub(super) fn configure(conn: &Connection) -> Result<()> {
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

pub(super) fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

/// Moves the database and its WAL and SHM files to `<name>.corrupt-<time>-<id>[-wal|-shm]`.
/// The files are copied byte for byte while `conn` (if any) is still open, because closing
/// the last connection would fold the WAL into the damaged file and delete it; only then are
/// the originals removed. A fresh id in the name means an earlier copy is never overwritten.
pub(super) fn move_aside(path: &Path, conn: Option<Connection>) -> Result<PathBuf> {
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
pub(super) fn identity(conn: &Connection) -> Result<(String, ActorId)> {
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
