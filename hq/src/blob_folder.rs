//! Blobs in a folder on HQ's own disk: `<folder>/<first two hex>/<sha256>`, written
//! atomically (temporary file, fsync, rename, fsync of the folder) so a crash never leaves a
//! partial file under a blob's name. An upload is streamed into its temporary file while it is
//! hashed, and renamed under its name only when the hash is its name. Folders are created 0700
//! and files 0600: photos show customers, their homes and their signatures.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::blobs::{BlobBackend, ByteStream, Put, Stored, Verifier};
use crate::error::{Error, Result};

/// Temporary files live in their own folder, which the server empties at start.
const TEMP_DIR: &str = ".tmp";

/// Bytes read from a file per chunk sent.
const READ_CHUNK: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct FolderBlobs {
    root: PathBuf,
}

impl FolderBlobs {
    /// The folder, for the server that owns it: created 0700, leftovers of interrupted
    /// uploads removed.
    pub fn open(root: &Path) -> Result<FolderBlobs> {
        let temp = root.join(TEMP_DIR);
        if temp.exists() {
            std::fs::remove_dir_all(&temp)?;
        }
        crate::data_dir::private_folder(root)?;
        crate::data_dir::private_folder(&temp)?;
        Ok(FolderBlobs {
            root: root.to_owned(),
        })
    }

    /// The folder beside a running server: nothing is created or removed until written.
    pub fn beside(root: &Path) -> FolderBlobs {
        FolderBlobs {
            root: root.to_owned(),
        }
    }

    /// The file of a blob whose name [`crate::blobs::BlobStore::check_name`] accepted.
    pub fn path(&self, hash: &str) -> PathBuf {
        self.root.join(&hash[..2]).join(hash)
    }
}

fn not_found_is_none<T>(r: std::io::Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[async_trait::async_trait]
impl BlobBackend for FolderBlobs {
    async fn size(&self, hash: &str) -> Result<Option<u64>> {
        Ok(not_found_is_none(tokio::fs::metadata(self.path(hash)).await)?.map(|m| m.len()))
    }

    async fn read(&self, hash: &str) -> Result<Option<ByteStream>> {
        let Some(file) = not_found_is_none(tokio::fs::File::open(self.path(hash)).await)? else {
            return Ok(None);
        };
        let chunks = futures::stream::try_unfold(file, |mut file| async move {
            let mut buf = vec![0u8; READ_CHUNK];
            let n = file.read(&mut buf).await?;
            if n == 0 {
                return Ok(None);
            }
            buf.truncate(n);
            Ok::<_, Error>(Some((Bytes::from(buf), file)))
        });
        Ok(Some(chunks.boxed()))
    }

    async fn write(&self, hash: &str, mut body: ByteStream, max_bytes: u64) -> Result<Stored> {
        let target = self.path(hash);
        let folder = target
            .parent()
            .ok_or_else(|| Error::internal("blob path without a folder"))?
            .to_owned();
        let temp_dir = self.root.join(TEMP_DIR);
        {
            let (folder, temp_dir) = (folder.clone(), temp_dir.clone());
            tokio::task::spawn_blocking(move || {
                crate::data_dir::private_folder(&folder)?;
                crate::data_dir::private_folder(&temp_dir)
            })
            .await??;
        }
        let temp = temp_dir.join(uuid::Uuid::new_v4().simple().to_string());
        let mut options = tokio::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options.open(&temp).await?;
        let written = async {
            let mut verifier = Verifier::new(max_bytes);
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                verifier.update(&chunk)?;
                file.write_all(&chunk).await?;
            }
            let bytes = verifier.finish(hash)?;
            file.sync_all().await?;
            Ok::<u64, Error>(bytes)
        }
        .await;
        drop(file);
        let bytes = match written {
            Ok(bytes) => bytes,
            Err(e) => {
                // The temporary file is garbage; the folder is emptied at start too.
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(e);
            }
        };
        if tokio::fs::try_exists(&target).await? {
            let _ = tokio::fs::remove_file(&temp).await;
            return Ok(Stored {
                put: Put::AlreadyHeld,
                bytes,
            });
        }
        // Two uploads of the same blob may race to the rename; both carry the same bytes, so
        // whichever lands last is as good as the first.
        let renamed = async {
            tokio::fs::rename(&temp, &target).await?;
            tokio::task::spawn_blocking(move || std::fs::File::open(&folder)?.sync_all()).await?
        }
        .await;
        if let Err(e) = renamed {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e.into());
        }
        Ok(Stored {
            put: Put::Created,
            bytes,
        })
    }

    async fn remove(&self, hash: &str) -> Result<bool> {
        Ok(not_found_is_none(tokio::fs::remove_file(self.path(hash)).await)?.is_some())
    }

    fn describe(&self) -> String {
        format!("folder {}", self.root.display())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use fieldcore::sha256_hex;

    use super::*;
    use crate::blobs::BlobStore;

    #[tokio::test]
    async fn put_is_verified_idempotent_and_readable() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let bytes = b"a photo";
        let hash = sha256_hex(bytes);
        assert_eq!(store.put(&hash, bytes).await.unwrap(), Put::Created);
        assert_eq!(store.put(&hash, bytes).await.unwrap(), Put::AlreadyHeld);
        assert_eq!(store.get(&hash).await.unwrap().unwrap(), bytes);
        assert_eq!(store.size(&hash).await.unwrap(), Some(7));
        assert!(store.put(&hash, b"another photo").await.is_err());
        assert!(store.put("../../etc/passwd", bytes).await.is_err());
        assert_eq!(store.size(&sha256_hex(b"none")).await.unwrap(), None);
        assert!(store.remove(&hash).await.unwrap());
        assert!(!store.remove(&hash).await.unwrap());
        assert_eq!(store.get(&hash).await.unwrap(), None);
        // A refused body leaves nothing behind, not even its temporary file.
        let other = sha256_hex(b"other");
        assert!(store.put(&other, b"not other").await.is_err());
        assert_eq!(store.size(&other).await.unwrap(), None);
        let temp = std::fs::read_dir(dir.path().join("blobs").join(TEMP_DIR)).unwrap();
        assert_eq!(temp.count(), 0);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn blobs_and_their_folders_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let hash = sha256_hex(b"a signature");
        store.put(&hash, b"a signature").await.unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let file = FolderBlobs::beside(&dir.path().join("blobs")).path(&hash);
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
        assert_eq!(mode(&dir.path().join("blobs")), 0o700);
    }
}
