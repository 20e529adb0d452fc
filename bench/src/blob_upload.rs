//! The `scale` suite's blob figures: photo uploads through HQ over loopback, in MB/s, with
//! HQ's blobs in its folder (`folder_upload_mb_per_s`) and in S3-compatible object storage
//! (`s3_upload_mb_per_s`, an `s3s-fs` server the benchmark starts on loopback when it is
//! installed: `cargo install --locked s3s-fs --version 0.14.1 --features binary`, as
//! tests/run.sh does). Both in the same run, on the same photos, so they compare.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fieldhq::blob_s3::{ACCESS_KEY_VAR, S3Config, SECRET_KEY_VAR};
use fieldhq::blobs::BlobLocation;
use fieldhq::{Role, ServeConfig, admin};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use crate::error::BenchError;
use crate::measure::round;

/// Photos uploaded per figure, and the size of each: a 12 MP camera original's JPEG.
const PHOTOS: usize = 24;
const PHOTO_BYTES: usize = 4 * 1024 * 1024;

/// The bucket and credentials of the benchmark's own S3 server.
const BUCKET: &str = "fieldbench";
const KEY: &str = "fieldbench";
const SECRET: &str = "fieldbench-secret";

fn failed(e: impl std::fmt::Display) -> BenchError {
    BenchError::Failed(e.to_string())
}

/// Both figures: the folder's always, S3's when an S3 server could be started (`None` and a
/// line on stderr saying why otherwise).
pub fn upload_figures() -> Result<(f64, Option<f64>), BenchError> {
    let photos = photos();
    let work = std::env::temp_dir().join(format!("fieldbench-blobs-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&work)?;
    let result = (|| {
        let folder = upload_mb_per_s(&work.join("folder"), None, &photos)?;
        let s3 = match S3Server::start(&work.join("s3"))? {
            Some(server) => {
                let location = BlobLocation::S3(server.config()?);
                Some(upload_mb_per_s(
                    &work.join("hq-s3"),
                    Some(location),
                    &photos,
                )?)
            }
            None => None,
        };
        Ok((folder, s3))
    })();
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn photos() -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(27);
    (0..PHOTOS)
        .map(|_| {
            let mut photo = vec![0u8; PHOTO_BYTES];
            // Noise: a JPEG's bytes neither compress nor repeat.
            rng.fill_bytes(&mut photo);
            photo
        })
        .collect()
}

/// One engineer's device uploads every photo in turn to an HQ (SQLite) keeping its blobs at
/// `blobs` (its data folder's when `None`); bytes over the wall time of the uploads.
fn upload_mb_per_s(
    data: &Path,
    blobs: Option<BlobLocation>,
    photos: &[Vec<u8>],
) -> Result<f64, BenchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("bench-hq")
        .build()?;
    let mut config = ServeConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)), data);
    config.blobs = blobs;
    // The device's uploads name no case: the quota must hold them all.
    config.limits.blob_quota_bytes = u64::MAX;
    let hq = runtime.block_on(fieldhq::serve(config)).map_err(failed)?;
    let storage = hq.storage().clone();
    let token = runtime
        .block_on(async {
            admin::add_user(&storage, "wang", Role::Engineer, None).await?;
            Ok::<_, fieldhq::Error>(
                admin::enrol_device(&storage, "wang", Some("bench"))
                    .await?
                    .token,
            )
        })
        .map_err(failed)?;
    let client = crate::sync::naive_client()?;
    let url = hq.url();
    let started = Instant::now();
    for photo in photos {
        let hash = fieldcore::sha256_hex(photo);
        let status = client
            .put(format!("{url}/v1/blobs/{hash}"))
            .bearer_auth(&token)
            .body(photo.clone())
            .send()
            .map_err(failed)?
            .status();
        if status != reqwest::StatusCode::CREATED {
            return Err(failed(format!("an upload was answered {status}")));
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    runtime.block_on(hq.shutdown()).map_err(failed)?;
    let mb = (photos.len() * PHOTO_BYTES) as f64 / 1e6;
    Ok(round(mb / elapsed))
}

/// An `s3s-fs` server on a free loopback port, over a folder; killed when dropped.
struct S3Server {
    child: Child,
    addr: SocketAddr,
}

impl S3Server {
    /// `None`, with the reason on stderr, when `s3s-fs` is not installed.
    fn start(root: &Path) -> Result<Option<S3Server>, BenchError> {
        let Some(binary) = find_s3s_fs() else {
            eprintln!(
                "scale: s3s-fs is not installed (cargo install --locked s3s-fs --version \
                 0.14.1 --features binary); no s3_upload_mb_per_s"
            );
            return Ok(None);
        };
        // A bucket of s3s-fs is a folder in its root.
        std::fs::create_dir_all(root.join(BUCKET))?;
        let addr = TcpListener::bind(("127.0.0.1", 0))?.local_addr()?;
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &addr.port().to_string()])
            .args(["--access-key", KEY, "--secret-key", SECRET])
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut server = S3Server { child, addr };
        // Until it accepts connections (or has died), for at most 10 s.
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&server.addr, Duration::from_millis(200)).is_err() {
            if server.child.try_wait()?.is_some() || Instant::now() > deadline {
                return Err(failed("s3s-fs did not start"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Some(server))
    }

    fn config(&self) -> Result<S3Config, BenchError> {
        let env = |name: &str| match name {
            ACCESS_KEY_VAR => Some(KEY.to_owned()),
            SECRET_KEY_VAR => Some(SECRET.to_owned()),
            _ => None,
        };
        S3Config::from_env(
            &format!("s3://{BUCKET}/hq"),
            Some(format!("http://{}", self.addr)),
            "us-east-1".into(),
            true,
            env,
        )
        .map_err(failed)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `s3s-fs` on the PATH or in cargo's own bin folder.
fn find_s3s_fs() -> Option<PathBuf> {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin"));
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(cargo_bin)
        .map(|dir| dir.join("s3s-fs"))
        .find(|candidate| candidate.is_file())
}
