//! Where `fieldhq archive` writes archived cases: a small key → bytes interface, so the folder
//! of today and an object store later are one choice of [`ArchiveDestination`].
//!
//! Keys are relative paths with `/` separators (`2611-0042/document.automerge`); a key never
//! names a parent folder. Writes are atomic: a reader sees the whole file under a key or none.

use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// An archive's storage, by key.
pub trait ArchiveDestination: Send + Sync {
    /// Where the archive is, for the tombstone and messages (a folder path, a bucket URL).
    fn location(&self) -> String;
    /// Stores `bytes` under `key`, replacing what was there, atomically and durably.
    fn put(&self, key: &str, bytes: &[u8]) -> Result<()>;
    /// The bytes under `key`, or `None` when there are none.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
}

/// An archive in a folder of the file system.
#[derive(Debug, Clone)]
pub struct DirDestination {
    root: PathBuf,
}

impl DirDestination {
    /// The archive in `root`, created if missing.
    pub fn open(root: &Path) -> Result<DirDestination> {
        fs::create_dir_all(root)?;
        Ok(DirDestination {
            root: root.to_owned(),
        })
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        let relative = Path::new(key);
        let plain = !key.is_empty()
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !plain {
            return Err(Error::Invalid(format!("not an archive key: {key:?}")));
        }
        Ok(self.root.join(relative))
    }
}

impl ArchiveDestination for DirDestination {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let target = self.path(key)?;
        let folder = target
            .parent()
            .ok_or_else(|| Error::internal("an archive key without a folder"))?;
        fs::create_dir_all(folder)?;
        // Written beside its name, synced, then renamed: a crash leaves the old file or the
        // whole new one, never half of it.
        let temp = folder.join(format!(".{}.part", uuid::Uuid::new_v4().simple()));
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, &target)?;
        fs::File::open(folder)?.sync_all()?;
        Ok(())
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match fs::read(self.path(key)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_inside_the_folder_and_writes_replace() {
        let dir = tempfile::tempdir().unwrap();
        let dest = DirDestination::open(dir.path()).unwrap();
        assert!(dest.put("../escape", b"x").is_err());
        assert!(dest.put("/abs", b"x").is_err());
        assert!(dest.put("", b"x").is_err());
        dest.put("2611-0001/a.json", b"one").unwrap();
        dest.put("2611-0001/a.json", b"two").unwrap();
        assert_eq!(dest.get("2611-0001/a.json").unwrap().unwrap(), b"two");
        assert_eq!(dest.get("2611-0001/b.json").unwrap(), None);
        // No temporary file is left beside the written one.
        let names: Vec<_> = fs::read_dir(dir.path().join("2611-0001"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
    }
}
