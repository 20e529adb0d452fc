//! `fieldhq backup`: a consistent copy of the embedded HQ while it serves — the SQLite file
//! through SQLite's online backup API, then the blob folder. Photos are content-addressed and
//! never change once written, so copying them after the database leaves no photo the copied
//! database names but the copy lacks, except uploads that land during the copy (kept by the
//! next backup; a device re-uploads a photo HQ does not hold). PostgreSQL is backed up with
//! its own tools (docs/operations.md).

use std::fs;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};

/// What a backup copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackedUp {
    /// Pages of the database copied.
    pub pages: u64,
    /// Blob files copied (already present ones with the same size are not copied again).
    pub blobs: u64,
}

/// Pages copied per step; between steps the server's writers get the database.
const PAGES_PER_STEP: i32 = 1024;

/// Copies `data_dir/hq.db` and `data_dir/blobs` into `to` (`to/hq.db`, `to/blobs`).
pub fn backup_sqlite(data_dir: &Path, to: &Path) -> Result<BackedUp> {
    let source_path = data_dir.join("hq.db");
    if !source_path.is_file() {
        return Err(Error::NotFound(format!(
            "no HQ database at {}",
            source_path.display()
        )));
    }
    fs::create_dir_all(to)?;
    let target_path = to.join("hq.db");
    if target_path.exists() {
        return Err(Error::Invalid(format!(
            "{} exists: back up into an empty folder",
            target_path.display()
        )));
    }
    let source = Connection::open_with_flags(
        &source_path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Written under a temporary name and renamed once whole and checked.
    let partial = to.join("hq.db.partial");
    let _ = fs::remove_file(&partial);
    let mut target = Connection::open(&partial)?;
    let pages = {
        let backup = rusqlite::backup::Backup::new(&source, &mut target)?;
        backup.run_to_completion(PAGES_PER_STEP, Duration::from_millis(5), None)?;
        backup.progress().pagecount
    };
    let ok: String = target.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if ok != "ok" {
        return Err(Error::internal(format!("the backup copy is damaged: {ok}")));
    }
    drop(target);
    fs::rename(&partial, &target_path)?;
    let blobs = copy_blobs(&data_dir.join("blobs"), &to.join("blobs"))?;
    Ok(BackedUp {
        pages: u64::try_from(pages).unwrap_or(0),
        blobs,
    })
}

/// Copies the blob folder's files (not its temporary uploads), keeping their relative paths.
pub fn copy_blobs(from: &Path, to: &Path) -> Result<u64> {
    let mut copied = 0;
    if !from.is_dir() {
        return Ok(0);
    }
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        // Uploads in progress live under `.tmp`: not blobs yet.
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let target = to.join(&name);
        if entry.file_type()?.is_dir() {
            copied += copy_blobs(&path, &target)?;
        } else {
            let same = fs::metadata(&target)
                .is_ok_and(|m| m.len() == entry.metadata().map(|s| s.len()).unwrap_or(u64::MAX));
            if !same {
                fs::copy(&path, &target)?;
                copied += 1;
            }
        }
    }
    Ok(copied)
}
