//! Blobs in S3-compatible object storage (AWS S3, Alibaba Cloud OSS, MinIO, Garage, Ceph RGW),
//! through the `object_store` crate: `<prefix>/<first two hex>/<sha256>` in one bucket, the
//! same layout as the folder, so a folder copied into a bucket is a valid store.
//!
//! An upload is hashed as it streams. A body that fits in one part ([`PART_BYTES`]) is held
//! once, checked, then written with one `PutObject`; a bigger one goes up as a multipart
//! upload whose parts leave as they fill, and which is completed only when the whole body's
//! hash is its name, and aborted otherwise: S3 shows an object only once its upload is
//! completed, so a refused body is never visible. The same name twice stores it once.
//!
//! Credentials come from the environment only ([`S3Config::from_env`]), never from the command
//! line, where other users of the machine could read them. The same [`S3Config`] reaches the
//! bucket of an archive ([`crate::archive_dest::S3Destination`]).

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, PutPayload, WriteMultipart};

use crate::blobs::{BlobBackend, ByteStream, Put, Stored, Verifier};
use crate::error::{Error, Result};

/// A part of a multipart upload: S3's smallest (all parts but the last must be at least this).
pub const PART_BYTES: usize = 5 * 1024 * 1024;

/// Parts of one upload in flight at once: with the part filling, at most three parts of one
/// body are in memory.
const PARTS_IN_FLIGHT: usize = 2;

/// The environment variables the credentials are read from (the names AWS's own tools use,
/// which MinIO, Garage and OSS clients read too).
pub const ACCESS_KEY_VAR: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_KEY_VAR: &str = "AWS_SECRET_ACCESS_KEY";
pub const SESSION_TOKEN_VAR: &str = "AWS_SESSION_TOKEN";

/// A credential: compared, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A bucket of S3-compatible object storage and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    /// The key prefix inside the bucket, without leading or trailing `/`; may be empty.
    pub prefix: String,
    /// The service's URL (`http://127.0.0.1:3900`, `https://oss-cn-hangzhou.aliyuncs.com`);
    /// `None` is AWS S3 in `region`.
    pub endpoint: Option<String>,
    pub region: String,
    /// `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`: what MinIO,
    /// Garage and most self-hosted services need; AWS and OSS take the virtual-hosted style.
    pub path_style: bool,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

impl S3Config {
    /// The bucket and prefix of an `s3://bucket/prefix` URL.
    pub fn parse_url(url: &str) -> Result<(String, String)> {
        let bad = || {
            Error::refused(
                format!("{url:?} is not an s3://bucket/prefix location"),
                format!("{url:?} 不是 s3://存储桶/前缀 形式的位置"),
            )
        };
        let rest = url.strip_prefix("s3://").ok_or_else(bad)?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = !bucket.is_empty()
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(bad());
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == "." || p == "..") || prefix.contains("//") {
            return Err(bad());
        }
        Ok((bucket.to_owned(), prefix.to_owned()))
    }

    /// The configuration of `url` with its credentials from `env` (the process environment
    /// in `fieldhq serve`): refused, naming the variables, when the key or the secret is
    /// missing, so HQ does not start and then fail at the first photo.
    pub fn from_env(
        url: &str,
        endpoint: Option<String>,
        region: String,
        path_style: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<S3Config> {
        let (bucket, prefix) = Self::parse_url(url)?;
        let var = |name: &str| env(name).filter(|v| !v.is_empty());
        let (Some(access_key_id), Some(secret)) = (var(ACCESS_KEY_VAR), var(SECRET_KEY_VAR)) else {
            return Err(Error::refused(
                format!(
                    "{url} is in S3-compatible storage but no credentials were given: set \
                     {ACCESS_KEY_VAR} and {SECRET_KEY_VAR} in HQ's environment"
                ),
                format!(
                    "{url} 位于对象存储，但未提供凭证：请在总部服务的环境中设置 \
                     {ACCESS_KEY_VAR} 和 {SECRET_KEY_VAR}"
                ),
            ));
        };
        Ok(S3Config {
            bucket,
            prefix,
            endpoint,
            region,
            path_style,
            access_key_id,
            secret_access_key: Secret(secret),
            session_token: var(SESSION_TOKEN_VAR).map(Secret),
        })
    }

    /// `s3://bucket/prefix`: where the store is (an archived case's tombstone records it).
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    /// `s3://bucket/prefix` and the endpoint, for the log.
    pub fn describe(&self) -> String {
        let at = self.endpoint.as_deref().unwrap_or("AWS");
        format!("{} at {at}", self.url())
    }

    /// The key `name` under the prefix.
    pub fn key(&self, name: &str) -> Key {
        if self.prefix.is_empty() {
            Key::from(name)
        } else {
            Key::from(format!("{}/{name}", self.prefix))
        }
    }

    /// The bucket's client, built without asking the service anything. `what` names the
    /// store in messages (English, Chinese): the blob store, the archive.
    pub fn client(&self, what: (&str, &str)) -> Result<AmazonS3> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&self.bucket)
            .with_region(&self.region)
            .with_access_key_id(&self.access_key_id)
            .with_secret_access_key(&self.secret_access_key.0)
            .with_virtual_hosted_style_request(!self.path_style);
        if let Some(token) = &self.session_token {
            builder = builder.with_token(&token.0);
        }
        if let Some(endpoint) = &self.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        builder.build().map_err(|e| {
            Error::refused(
                format!("{} {} is misconfigured: {e}", what.0, self.describe()),
                format!("{} {} 配置有误：{e}", what.1, self.describe()),
            )
        })
    }

    /// [`S3Config::client`], then one request for a key that is never written: "not found"
    /// proves the endpoint, the bucket and the credentials; anything else is refused with the
    /// service's answer, so a wrong setting stops a command before it does any work.
    pub async fn connect(&self, what: (&str, &str)) -> Result<AmazonS3> {
        let store = self.client(what)?;
        match store.head(&self.key(".fieldhq-probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(store),
            Err(e) => Err(Error::refused(
                format!(
                    "{} {} does not answer with the credentials given: {e}",
                    what.0,
                    self.describe()
                ),
                format!("{} {} 用所给凭证无法访问：{e}", what.1, self.describe()),
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct S3Blobs {
    store: Arc<AmazonS3>,
    config: S3Config,
}

impl S3Blobs {
    /// Builds the client and asks the bucket once for a key that is never written: "not
    /// found" proves the endpoint, the bucket and the credentials; anything else stops HQ
    /// with the reason.
    pub async fn connect(config: &S3Config) -> Result<S3Blobs> {
        let store = config.connect(("the blob store", "照片存储")).await?;
        Ok(S3Blobs {
            store: Arc::new(store),
            config: config.clone(),
        })
    }

    fn key(&self, name: &str) -> Key {
        let fan = name.get(..2).unwrap_or(name);
        self.config.key(&format!("{fan}/{name}"))
    }

    /// Reads the rest of a body only to check it: a re-upload of a held blob is answered
    /// like its first upload would be, refused if its bytes are not its name.
    async fn drain(mut body: ByteStream, mut verifier: Verifier, hash: &str) -> Result<u64> {
        while let Some(chunk) = body.next().await {
            verifier.update(&chunk?)?;
        }
        verifier.finish(hash)
    }

    async fn upload(&self, key: &Key, hash: &str, mut body: ByteStream, max: u64) -> Result<u64> {
        let mut verifier = Verifier::new(max);
        let mut first: Vec<u8> = Vec::new();
        let mut multipart: Option<WriteMultipart> = None;
        let streamed = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk?;
                verifier.update(&chunk)?;
                match multipart.as_mut() {
                    Some(upload) => {
                        upload.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                        upload.write(&chunk);
                    }
                    None if first.len() + chunk.len() <= PART_BYTES => {
                        first.extend_from_slice(&chunk)
                    }
                    None => {
                        let parts = self.store.put_multipart(key).await?;
                        let mut upload = WriteMultipart::new_with_chunk_size(parts, PART_BYTES);
                        upload.write(&std::mem::take(&mut first));
                        upload.write(&chunk);
                        multipart = Some(upload);
                    }
                }
            }
            Ok::<(), Error>(())
        }
        .await;
        let checked = streamed.and_then(|()| verifier.finish(hash));
        match (checked, multipart) {
            (Ok(bytes), Some(upload)) => {
                upload.finish().await?;
                Ok(bytes)
            }
            (Ok(bytes), None) => {
                self.store
                    .put(key, PutPayload::from(Bytes::from(first)))
                    .await?;
                Ok(bytes)
            }
            (Err(e), upload) => {
                if let Some(upload) = upload
                    && let Err(abort) = upload.abort().await
                {
                    // The parts are invisible either way; the bucket's lifecycle rule for
                    // incomplete uploads (docs/operations.md) removes what is left.
                    tracing::warn!(error = %abort, "aborting a refused multipart upload failed");
                }
                Err(e)
            }
        }
    }
}

#[async_trait::async_trait]
impl BlobBackend for S3Blobs {
    async fn size(&self, hash: &str) -> Result<Option<u64>> {
        match self.store.head(&self.key(hash)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn read(&self, hash: &str) -> Result<Option<ByteStream>> {
        match self.store.get(&self.key(hash)).await {
            Ok(got) => Ok(Some(
                got.into_stream().map(|c| c.map_err(Error::from)).boxed(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn write(&self, hash: &str, body: ByteStream, max_bytes: u64) -> Result<Stored> {
        let key = self.key(hash);
        if self.size(hash).await?.is_some() {
            let bytes = Self::drain(body, Verifier::new(max_bytes), hash).await?;
            return Ok(Stored {
                put: Put::AlreadyHeld,
                bytes,
            });
        }
        // Two uploads of the same blob may race past the check; both carry the same bytes,
        // so whichever completes last is as good as the first.
        let bytes = self.upload(&key, hash, body, max_bytes).await?;
        Ok(Stored {
            put: Put::Created,
            bytes,
        })
    }

    async fn remove(&self, hash: &str) -> Result<bool> {
        if self.size(hash).await?.is_none() {
            return Ok(false);
        }
        self.store.delete(&self.key(hash)).await?;
        Ok(true)
    }

    fn describe(&self) -> String {
        self.config.describe()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn urls_name_a_bucket_and_a_clean_prefix() {
        assert_eq!(
            S3Config::parse_url("s3://photos/hq/blobs/").unwrap(),
            ("photos".into(), "hq/blobs".into())
        );
        assert_eq!(
            S3Config::parse_url("s3://photos").unwrap(),
            ("photos".into(), String::new())
        );
        for bad in [
            "photos",
            "s3://",
            "s3://Bad_Bucket/x",
            "s3://b/../x",
            "s3://b/a//c",
        ] {
            assert!(S3Config::parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn missing_credentials_are_named_and_secrets_never_printed() {
        let none = |_: &str| None;
        let refused = S3Config::from_env("s3://photos/hq", None, "us-east-1".into(), false, none)
            .unwrap_err();
        let (en, zh) = (
            refused.text(fieldcore::Locale::En),
            refused.text(fieldcore::Locale::ZhCn),
        );
        assert!(
            en.contains(ACCESS_KEY_VAR) && en.contains(SECRET_KEY_VAR),
            "{en}"
        );
        assert!(zh.contains("凭证") && zh.contains(SECRET_KEY_VAR), "{zh}");

        let only_key = |n: &str| (n == ACCESS_KEY_VAR).then(|| "key".to_owned());
        assert!(S3Config::from_env("s3://photos", None, "r".into(), true, only_key).is_err());

        let both = |n: &str| match n {
            ACCESS_KEY_VAR => Some("AKIDEXAMPLE".to_owned()),
            SECRET_KEY_VAR => Some("very-secret".to_owned()),
            _ => None,
        };
        let config = S3Config::from_env("s3://photos/hq", None, "r".into(), true, both).unwrap();
        assert_eq!(config.prefix, "hq");
        assert!(!format!("{config:?}").contains("very-secret"));
    }
}
