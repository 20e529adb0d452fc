//! Where `fieldhq archive` writes archived cases: a small key → bytes interface,
//! [`ArchiveDestination`], kept in a folder ([`DirDestination`]) or in S3-compatible object
//! storage ([`S3Destination`]).
//!
//! Keys are relative paths with `/` separators (`2611-0042/document.automerge`), checked by
//! one rule for every destination ([`check_key`]): a key never names a parent folder, an
//! absolute path or a hidden file. Writes are atomic: a reader sees the whole file under a key
//! or none.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use object_store::aws::AmazonS3;
use object_store::path::Path as ObjectKey;
use object_store::{ObjectStoreExt, PutPayload};

use crate::blob_s3::S3Config;
use crate::error::{Error, Result};

/// An archive's storage, by key.
#[async_trait::async_trait]
pub trait ArchiveDestination: Send + Sync {
    /// Where the archive is, for the tombstone and messages (a folder path, an s3:// URL).
    fn location(&self) -> String;
    /// Stores `bytes` under `key`, replacing what was there, atomically and durably.
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<()>;
    /// The bytes under `key`, or `None` when there are none.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
}

/// Refuses anything but `segment/segment/…`, each segment made of ASCII letters, digits, `-`,
/// `_` and `.` and not starting with a dot: no `..`, no leading `/`, no empty segment, no
/// hidden name (the folder's temporary files are hidden), nothing an object store would
/// escape differently from a file system.
pub fn check_key(key: &str) -> Result<()> {
    let segment_ok = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    if key.split('/').all(segment_ok) {
        Ok(())
    } else {
        Err(Error::Invalid(format!("not an archive key: {key:?}")))
    }
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
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

/// Writes beside the target, syncs, then renames: a crash leaves the old file or the whole
/// new one, never half of it.
fn write_atomically(target: &Path, bytes: &[u8]) -> Result<()> {
    let folder = target
        .parent()
        .ok_or_else(|| Error::internal("an archive key without a folder"))?;
    fs::create_dir_all(folder)?;
    let temp = folder.join(format!(".{}.part", uuid::Uuid::new_v4().simple()));
    let mut file = fs::File::create(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&temp, target)?;
    fs::File::open(folder)?.sync_all()?;
    Ok(())
}

#[async_trait::async_trait]
impl ArchiveDestination for DirDestination {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    async fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let target = self.path(key)?;
        let bytes = bytes.to_vec();
        // fsync blocks: off the async workers, which may be serving syncs meanwhile.
        tokio::task::spawn_blocking(move || write_atomically(&target, &bytes)).await?
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// An archive in a bucket of S3-compatible object storage (AWS S3, Alibaba Cloud OSS, MinIO,
/// Garage, Ceph RGW), each key under the location's prefix. A put is one `PutObject`, which
/// is atomic and durable: the service shows the whole object under its key once it answers,
/// the previous one or nothing before, never part of it. Credentials come from the
/// environment, as for the blob store ([`S3Config::from_env`]).
#[derive(Debug, Clone)]
pub struct S3Destination {
    store: Arc<AmazonS3>,
    config: S3Config,
}

/// The archive, in messages about its bucket (English, Chinese).
const THE_ARCHIVE: (&str, &str) = ("the archive", "档案");

impl S3Destination {
    /// The archive in `config`'s bucket, asked once whether it answers with the credentials
    /// given, so a wrong setting stops `fieldhq archive` before any case is read.
    pub async fn connect(config: &S3Config) -> Result<S3Destination> {
        Ok(S3Destination {
            store: Arc::new(config.connect(THE_ARCHIVE).await?),
            config: config.clone(),
        })
    }

    /// The archive in `config`'s bucket, without asking the service anything.
    pub fn new(config: &S3Config) -> Result<S3Destination> {
        Ok(S3Destination {
            store: Arc::new(config.client(THE_ARCHIVE)?),
            config: config.clone(),
        })
    }

    /// The object key of an archive key: checked, then under the prefix.
    pub fn object_key(&self, key: &str) -> Result<ObjectKey> {
        check_key(key)?;
        Ok(self.config.key(key))
    }
}

#[async_trait::async_trait]
impl ArchiveDestination for S3Destination {
    fn location(&self) -> String {
        self.config.url()
    }

    async fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        let key = self.object_key(key)?;
        let payload = PutPayload::from(Bytes::copy_from_slice(bytes));
        self.store.put(&key, payload).await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let key = self.object_key(key)?;
        match self.store.get(&key).await {
            Ok(got) => Ok(Some(got.bytes().await?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Keys every destination refuses.
    const BAD_KEYS: [&str; 9] = [
        "",
        "../escape",
        "2611-0001/../../escape",
        "/abs",
        "2611-0001/",
        "2611-0001//a.json",
        "2611-0001/./a.json",
        "2611-0001/.a.part",
        "2611-0001/a b.json",
    ];

    #[test]
    fn one_rule_for_keys() {
        for bad in BAD_KEYS {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
        for good in [
            "2611-0001/manifest.json",
            "2611-0001/photos/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ] {
            check_key(good).unwrap();
        }
    }

    #[tokio::test]
    async fn keys_stay_inside_the_folder_and_writes_replace() {
        let dir = tempfile::tempdir().unwrap();
        let dest = DirDestination::open(dir.path()).unwrap();
        for bad in BAD_KEYS {
            assert!(
                matches!(dest.put(bad, b"x").await, Err(Error::Invalid(_))),
                "{bad:?}"
            );
        }
        dest.put("2611-0001/a.json", b"one").await.unwrap();
        dest.put("2611-0001/a.json", b"two").await.unwrap();
        assert_eq!(dest.get("2611-0001/a.json").await.unwrap().unwrap(), b"two");
        assert_eq!(dest.get("2611-0001/b.json").await.unwrap(), None);
        // No temporary file is left beside the written one.
        let names: Vec<_> = fs::read_dir(dir.path().join("2611-0001"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
        assert!(!dir.path().parent().unwrap().join("escape").exists());
    }

    /// The bucket's keys go through the same rule, before any request is made: the endpoint
    /// here has no server, so a key that got past the rule would fail differently.
    #[tokio::test]
    async fn s3_keys_stay_under_the_prefix() {
        let both = |n: &str| match n {
            crate::blob_s3::ACCESS_KEY_VAR => Some("AKIDEXAMPLE".to_owned()),
            crate::blob_s3::SECRET_KEY_VAR => Some("secret".to_owned()),
            _ => None,
        };
        let config = S3Config::from_env(
            "s3://archive/hq/cases",
            Some("http://127.0.0.1:9".into()),
            "us-east-1".into(),
            true,
            both,
        )
        .unwrap();
        let dest = S3Destination::new(&config).unwrap();
        assert_eq!(dest.location(), "s3://archive/hq/cases");
        assert_eq!(
            dest.object_key("2611-0001/manifest.json").unwrap().as_ref(),
            "hq/cases/2611-0001/manifest.json"
        );
        for bad in BAD_KEYS {
            assert!(dest.object_key(bad).is_err(), "{bad:?}");
            assert!(
                matches!(dest.put(bad, b"x").await, Err(Error::Invalid(_))),
                "{bad:?}"
            );
            assert!(
                matches!(dest.get(bad).await, Err(Error::Invalid(_))),
                "{bad:?}"
            );
        }
    }
}
