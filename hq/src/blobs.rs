//! Photo blobs on the filesystem under the data folder: `blobs/<first two hex>/<sha256>`,
//! written atomically (temporary file, fsync, rename, fsync of the folder) so a crash never
//! leaves a partial file under a blob's name. The name is the SHA-256 of the content, checked
//! on arrival, so a PUT is idempotent and a GET returns exactly what was hashed. Folders are
//! created 0700 and files 0600: photos show customers, their homes and their signatures.
//!
//! Who may read a blob and how much unreferenced upload a device may leave here is decided
//! in the database (`blob_uploads`, `case_blobs`; see [`crate::blob_access`]); this module
//! only keeps the bytes.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use fieldcore::sha256_hex;

use crate::error::{Error, Result};

/// Temporary files live in their own folder, which is emptied at start.
const TEMP_DIR: &str = ".tmp";

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// What a PUT did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    AlreadyHeld,
}

impl BlobStore {
    /// The blob folder inside the data folder; leftovers of interrupted uploads are removed.
    pub fn open(data_dir: &Path) -> Result<BlobStore> {
        let root = data_dir.join("blobs");
        let temp = root.join(TEMP_DIR);
        if temp.exists() {
            fs::remove_dir_all(&temp)?;
        }
        crate::data_dir::private_folder(&root)?;
        crate::data_dir::private_folder(&temp)?;
        Ok(BlobStore { root })
    }

    /// The blob folder of `data_dir` for reading only, beside a running server (`fieldhq rma
    /// print`): nothing is created or removed, so the server's uploads in flight are left be.
    pub fn reader(data_dir: &Path) -> BlobStore {
        BlobStore {
            root: data_dir.join("blobs"),
        }
    }

    /// Refuses anything but 64 lowercase hex digits, so a name can never walk out of the
    /// folder.
    pub fn check_name(hash: &str) -> Result<()> {
        if hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(())
        } else {
            Err(Error::malformed(
                "a blob name is 64 lowercase hex digits (its SHA-256)",
            ))
        }
    }

    fn path(&self, hash: &str) -> Result<PathBuf> {
        Self::check_name(hash)?;
        Ok(self.root.join(&hash[..2]).join(hash))
    }

    /// The size of a held blob.
    pub fn size(&self, hash: &str) -> Result<Option<u64>> {
        match fs::metadata(self.path(hash)?) {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub fn get(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        match fs::read(self.path(hash)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Verifies the content against its name and stores it once.
    pub fn put(&self, hash: &str, bytes: &[u8]) -> Result<Put> {
        let target = self.path(hash)?;
        if sha256_hex(bytes) != hash {
            return Err(Error::malformed(
                "the body's SHA-256 is not the blob's name",
            ));
        }
        if target.is_file() {
            return Ok(Put::AlreadyHeld);
        }
        let folder = target
            .parent()
            .ok_or_else(|| Error::internal("blob path without a folder"))?;
        crate::data_dir::private_folder(folder)?;
        let temp = self
            .root
            .join(TEMP_DIR)
            .join(uuid::Uuid::new_v4().simple().to_string());
        // Two uploads of the same blob may race to the rename; both carry the same bytes, so
        // whichever lands last is as good as the first.
        write_owner_only(&temp, &target, bytes)?;
        Ok(Put::Created)
    }

    /// Deletes a held blob; false if there was none.
    pub fn remove(&self, hash: &str) -> Result<bool> {
        match fs::remove_file(self.path(hash)?) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// Writes `bytes` to `temp` (mode 0600), syncs it, renames it to `target` and syncs the
/// folder: a crash leaves either no file under the name or the whole one.
fn write_owner_only(temp: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let written = (|| -> std::io::Result<()> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(temp, target)?;
        match target.parent() {
            Some(folder) => File::open(folder)?.sync_all(),
            None => Ok(()),
        }
    })();
    if written.is_err() {
        // The temporary file is garbage either way; the folder is emptied at start too.
        let _ = fs::remove_file(temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_is_verified_idempotent_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let bytes = b"a photo";
        let hash = sha256_hex(bytes);
        assert_eq!(store.put(&hash, bytes).unwrap(), Put::Created);
        assert_eq!(store.put(&hash, bytes).unwrap(), Put::AlreadyHeld);
        assert_eq!(store.get(&hash).unwrap().unwrap(), bytes);
        assert_eq!(store.size(&hash).unwrap(), Some(7));
        assert!(store.put(&hash, b"another photo").is_err());
        assert!(store.put("../../etc/passwd", bytes).is_err());
        assert_eq!(store.size(&sha256_hex(b"none")).unwrap(), None);
        assert!(store.remove(&hash).unwrap());
        assert!(!store.remove(&hash).unwrap());
        assert_eq!(store.get(&hash).unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn blobs_and_their_folders_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let hash = sha256_hex(b"a signature");
        store.put(&hash, b"a signature").unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let file = store.path(&hash).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
        assert_eq!(mode(&dir.path().join("blobs")), 0o700);
    }
}
