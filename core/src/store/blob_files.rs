//! The blob folder beside the database: content-addressed files written atomically (temporary
//! file, fsync, rename, fsync of the folder), so a crash never leaves a half file under a
//! blob's name.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Invalid, Result};
use crate::rules::validate;

/// Temporary files start with this; whatever is left of them after a crash is removed by
/// [`BlobDir::sweep_temporaries`].
const TEMP_PREFIX: &str = ".tmp-";

pub struct BlobDir {
    root: PathBuf,
}

impl BlobDir {
    /// The blob folder for the database at `db_path`: `<db>.blobs/`.
    pub fn beside(db_path: &Path) -> Result<BlobDir> {
        let mut root = db_path.as_os_str().to_owned();
        root.push(".blobs");
        let root = PathBuf::from(root);
        fs::create_dir_all(&root)?;
        Ok(BlobDir { root })
    }

    /// Where the blob with this hash lives (two-level fan-out keeps folders small).
    pub fn path(&self, hash: &str) -> Result<PathBuf> {
        validate::photo_hash("hash", hash)?;
        Ok(self.root.join(&hash[..2]).join(hash))
    }

    pub fn contains(&self, hash: &str) -> Result<bool> {
        Ok(self.path(hash)?.is_file())
    }

    /// Writes `bytes` under `hash` unless a blob with that hash is already there.
    pub fn put(&self, hash: &str, bytes: &[u8]) -> Result<PathBuf> {
        let target = self.path(hash)?;
        if target.is_file() {
            return Ok(target);
        }
        let folder = target
            .parent()
            .ok_or_else(|| Error::validation("hash", Invalid::NoFolder))?;
        fs::create_dir_all(folder)?;
        let temp = folder.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4().simple()));
        write_file_atomically(&temp, &target, bytes)?;
        Ok(target)
    }

    pub fn read(&self, hash: &str) -> Result<Vec<u8>> {
        Ok(fs::read(self.path(hash)?)?)
    }

    pub fn remove(&self, hash: &str) -> Result<()> {
        match fs::remove_file(self.path(hash)?) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Every blob hash with a file in the folder.
    pub fn hashes(&self) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for fan in fs::read_dir(&self.root)? {
            let fan = fan?;
            if !fan.file_type()?.is_dir() {
                continue;
            }
            for entry in fs::read_dir(fan.path())? {
                let name = entry?.file_name();
                if let Some(name) = name.to_str()
                    && validate::photo_hash("hash", name).is_ok()
                {
                    found.push(name.to_owned());
                }
            }
        }
        Ok(found)
    }

    /// Removes temporary files a crash left behind; returns how many.
    pub fn sweep_temporaries(&self) -> Result<usize> {
        let mut removed = 0;
        for fan in fs::read_dir(&self.root)? {
            let fan = fan?;
            if !fan.file_type()?.is_dir() {
                continue;
            }
            for entry in fs::read_dir(fan.path())? {
                let entry = entry?;
                if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                    fs::remove_file(entry.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

/// Writes `bytes` to `target` so that a crash never leaves a half file under its name: into
/// `temp` first (which must not exist; it is removed again on failure), synced, renamed over
/// `target`, and the folder synced so the rename itself is durable. HQ stores blobs this way too.
pub fn write_file_atomically(temp: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let written = (|| -> std::io::Result<()> {
        let mut file = OpenOptions::new().write(true).create_new(true).open(temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(temp, target)?;
        match target.parent() {
            Some(folder) => File::open(folder)?.sync_all(),
            None => Ok(()),
        }
    })();
    if written.is_err() {
        let _ = fs::remove_file(temp);
    }
    written
}
