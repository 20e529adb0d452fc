//! HQ's blob store: photos, thumbnails, signatures and archived vouchers, each named by the
//! SHA-256 of its content. [`BlobStore`] is what the rest of HQ holds; behind it a
//! [`BlobBackend`] keeps the bytes, either in a folder ([`crate::blob_folder`], the default
//! for one site and the demo) or in S3-compatible object storage ([`crate::blob_s3`], for
//! several HQ instances). Where the blobs live is a [`BlobLocation`] (`fieldhq serve --blobs
//! DIR|s3://bucket/prefix`, docs/operations.md).
//!
//! Every backend keeps the same promises, which the HQ suite checks against both:
//! - an upload is streamed: its body passes through in chunks and is never held whole twice;
//! - an upload is checked against its name before it becomes visible: a body whose SHA-256 is
//!   not the name is refused and leaves nothing readable under it;
//! - an upload is idempotent: the same name twice stores it once and is no error.
//!
//! Who may read a blob and how much unreferenced upload a device may leave is decided in the
//! database (see [`crate::blob_access`]); this module only keeps the bytes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use sha2::{Digest, Sha256};

use crate::blob_s3::S3Config;
use crate::error::{Error, Result};

/// A blob's bytes as they arrive or leave, in chunks.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// What an upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    AlreadyHeld,
}

/// An upload's outcome and the bytes its body had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub put: Put,
    pub bytes: u64,
}

/// Where one kind of storage keeps blobs. Implementations check names with
/// [`BlobStore::check_name`] before they are called, and check bodies with [`Verifier`].
#[async_trait::async_trait]
pub trait BlobBackend: Send + Sync + 'static {
    /// The size of a held blob.
    async fn size(&self, hash: &str) -> Result<Option<u64>>;
    /// A held blob's bytes, streamed.
    async fn read(&self, hash: &str) -> Result<Option<ByteStream>>;
    /// Stores `body` under `hash` once its SHA-256 is checked to be `hash`, taking no more
    /// than `max_bytes`; nothing is visible under the name before the check passed.
    async fn write(&self, hash: &str, body: ByteStream, max_bytes: u64) -> Result<Stored>;
    /// Deletes a held blob; false if there was none.
    async fn remove(&self, hash: &str) -> Result<bool>;
    /// Where the blobs are, for the log (never a credential).
    fn describe(&self) -> String;
}

/// Where HQ keeps its blobs. `fieldhq archive --to|--from` takes the same two kinds of place,
/// parsed by the same code, for its [`crate::archive_dest::ArchiveDestination`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobLocation {
    /// A folder on HQ's own disk.
    Folder(PathBuf),
    /// A bucket (and a key prefix in it) of S3-compatible object storage.
    S3(S3Config),
}

impl BlobLocation {
    /// The default: `blobs` inside the data folder.
    pub fn in_data_dir(data_dir: &Path) -> BlobLocation {
        BlobLocation::Folder(data_dir.join("blobs"))
    }
}

/// HQ's blobs, whatever keeps them; cheap to clone.
#[derive(Clone)]
pub struct BlobStore {
    backend: Arc<dyn BlobBackend>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("BlobStore")
            .field(&self.backend.describe())
            .finish()
    }
}

impl BlobStore {
    /// The blob folder inside the data folder, for the server that owns it: leftovers of
    /// interrupted uploads are removed.
    pub fn open(data_dir: &Path) -> Result<BlobStore> {
        let folder = crate::blob_folder::FolderBlobs::open(&data_dir.join("blobs"))?;
        Ok(BlobStore::from_backend(folder))
    }

    /// The blob folder of `data_dir` beside a running server (`fieldhq rma print`, `fieldhq
    /// writeoff`): nothing is removed, so the server's uploads in flight are left be.
    pub fn reader(data_dir: &Path) -> BlobStore {
        BlobStore::from_backend(crate::blob_folder::FolderBlobs::beside(
            &data_dir.join("blobs"),
        ))
    }

    /// Connects to `location`. `owner` is true for the server: a folder is then cleared of
    /// interrupted uploads. Object storage is asked once whether the bucket answers with the
    /// credentials given, so a wrong endpoint or key stops HQ at start-up, not at the first
    /// photo.
    pub async fn connect(location: &BlobLocation, owner: bool) -> Result<BlobStore> {
        match location {
            BlobLocation::Folder(folder) => {
                let backend = if owner {
                    crate::blob_folder::FolderBlobs::open(folder)?
                } else {
                    crate::blob_folder::FolderBlobs::beside(folder)
                };
                Ok(BlobStore::from_backend(backend))
            }
            BlobLocation::S3(config) => {
                let backend = crate::blob_s3::S3Blobs::connect(config).await?;
                Ok(BlobStore::from_backend(backend))
            }
        }
    }

    pub fn from_backend(backend: impl BlobBackend) -> BlobStore {
        BlobStore {
            backend: Arc::new(backend),
        }
    }

    /// Where the blobs are, for the log.
    pub fn describe(&self) -> String {
        self.backend.describe()
    }

    /// Refuses anything but 64 lowercase hex digits, so a name can never walk out of the
    /// folder or the key prefix.
    pub fn check_name(hash: &str) -> Result<()> {
        if hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(())
        } else {
            Err(Error::malformed(
                "a blob name is 64 lowercase hex digits (its SHA-256)",
            ))
        }
    }

    /// The size of a held blob.
    pub async fn size(&self, hash: &str) -> Result<Option<u64>> {
        Self::check_name(hash)?;
        self.backend.size(hash).await
    }

    /// A held blob's bytes, streamed (what `GET /v1/blobs` sends).
    pub async fn read(&self, hash: &str) -> Result<Option<ByteStream>> {
        Self::check_name(hash)?;
        self.backend.read(hash).await
    }

    /// A held blob's bytes, whole: for the small ones HQ reads itself (thumbnails on printed
    /// forms, vouchers).
    pub async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        let Some(mut stream) = self.read(hash).await? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(Some(out))
    }

    /// Stores a streamed body under its name (see the module's promises).
    pub async fn put_stream(&self, hash: &str, body: ByteStream, max_bytes: u64) -> Result<Stored> {
        Self::check_name(hash)?;
        self.backend.write(hash, body, max_bytes).await
    }

    /// Stores bytes HQ made itself (a voucher) under their name.
    pub async fn put(&self, hash: &str, bytes: &[u8]) -> Result<Put> {
        let body = futures::stream::once(std::future::ready(Ok(Bytes::copy_from_slice(bytes))));
        let stored = self
            .put_stream(hash, body.boxed(), bytes.len() as u64)
            .await?;
        Ok(stored.put)
    }

    /// Deletes a held blob; false if there was none.
    pub async fn remove(&self, hash: &str) -> Result<bool> {
        Self::check_name(hash)?;
        self.backend.remove(hash).await
    }
}

/// Hashes and counts a body as it passes, refusing it once past its limit.
pub struct Verifier {
    hasher: Sha256,
    bytes: u64,
    max_bytes: u64,
}

impl Verifier {
    pub fn new(max_bytes: u64) -> Verifier {
        Verifier {
            hasher: Sha256::new(),
            bytes: 0,
            max_bytes,
        }
    }

    pub fn update(&mut self, chunk: &[u8]) -> Result<()> {
        self.bytes = self.bytes.saturating_add(chunk.len() as u64);
        if self.bytes > self.max_bytes {
            return Err(Error::TooLarge(format!(
                "a blob is at most {} bytes",
                self.max_bytes
            )));
        }
        self.hasher.update(chunk);
        Ok(())
    }

    /// The body's size when its SHA-256 is `hash`; a refusal otherwise.
    pub fn finish(self, hash: &str) -> Result<u64> {
        let digest = self.hasher.finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        if hex == hash {
            Ok(self.bytes)
        } else {
            Err(Error::malformed(
                "the body's SHA-256 is not the blob's name",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    #[test]
    fn the_verifier_refuses_a_wrong_hash_and_an_oversized_body() {
        let hash = fieldcore::sha256_hex(b"a photo");
        let mut ok = Verifier::new(7);
        ok.update(b"a ").expect("within the limit");
        ok.update(b"photo").expect("within the limit");
        assert_eq!(ok.finish(&hash).expect("the right hash"), 7);

        let mut wrong = Verifier::new(100);
        wrong.update(b"another photo").expect("within the limit");
        assert!(matches!(wrong.finish(&hash), Err(Error::Malformed(_))));

        let mut big = Verifier::new(6);
        assert!(matches!(big.update(b"a photo"), Err(Error::TooLarge(_))));
    }

    #[test]
    fn names_are_64_lowercase_hex_digits() {
        assert!(BlobStore::check_name(&fieldcore::sha256_hex(b"x")).is_ok());
        assert!(BlobStore::check_name("../../etc/passwd").is_err());
        assert!(BlobStore::check_name(&fieldcore::sha256_hex(b"x").to_uppercase()).is_err());
    }
}
