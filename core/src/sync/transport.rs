//! Sync with HQ over HTTP(S): the transport (a blocking reqwest client over rustls with bundled
//! roots or a pinned HQ certificate), retries with backoff, progress and cancellation, driving
//! the I/O-free protocol steps of `sync.rs`. Calls block: run them off the UI thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Invalid, Result};
use crate::store::Store;
use crate::sync::driver::{Exclusive, SyncEvent, drive_sync};
use crate::sync::protocol::{self, CONTENT_TYPE, ErrorBody};

/// Where HQ is and how to talk to it.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// `https://hq.example.com` (or `http://127.0.0.1:8640` on a test bench).
    pub hq_url: String,
    /// The device token `fieldhq device enrol` printed.
    pub token: String,
    /// When set, HQ's certificate (PEM) is the only one trusted: for a private HQ, and to pin
    /// it against a compromised public CA. Otherwise the bundled web PKI roots are used.
    pub pinned_certificate_pem: Option<String>,
    pub request_timeout: Duration,
    /// Attempts per request before giving up with `Error::Network`.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// About how many bytes of changes one request pushes.
    pub max_push_bytes: usize,
    /// How many cases one response may pull.
    pub max_pull_cases: u32,
    /// Upload photos HQ does not have yet after the cases.
    pub upload_photos: bool,
}

impl SyncConfig {
    pub fn new(hq_url: &str, token: &str) -> SyncConfig {
        SyncConfig {
            hq_url: hq_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
            pinned_certificate_pem: None,
            request_timeout: Duration::from_secs(60),
            max_attempts: 6,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(15),
            max_push_bytes: 2 * 1024 * 1024,
            max_pull_cases: protocol::MAX_PULL_CASES,
            upload_photos: true,
        }
    }
}

/// Cancels a running sync from another thread; the sync stops between steps with
/// `Error::Cancelled`, keeping everything stored so far.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Reported after every round trip and every photo upload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    pub rounds: u32,
    pub pushed_cases: u64,
    pub pulled_cases: u64,
    /// Cases still waiting to be pushed.
    pub pending_cases: u64,
    pub photos_uploaded: u64,
    pub photos_pending: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Failed attempts that were retried.
    pub retries: u32,
}

/// What a finished sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    #[serde(flatten)]
    pub progress: SyncProgress,
    /// Cases that needed a repair round (a whole document pushed or pulled).
    pub repairs: u64,
    /// Cases now showing a conflict for a person to resolve.
    pub conflicts: u64,
    /// Cases now holding work HQ refused because this user may no longer write them (kept on
    /// the device; see `CaseSyncState::Refused`).
    pub refused: u64,
    /// Cases HQ rejected for what the push would do to them, with a reason each (kept on the
    /// device; see `CaseSyncState::Rejected` and `Store::rejected_cases`).
    pub rejected: u64,
    /// Cases HQ sent that this device set aside because it cannot read or store them (see
    /// `CaseSyncState::Quarantined`); every other case synced on.
    pub quarantined: u64,
    /// Cases HQ archived that hold this device's unsent work or were pushed to (kept on the
    /// device; see `CaseSyncState::Archived` and `Store::archived_cases`).
    pub archived: u64,
    pub cursor: u64,
    pub millis: u64,
}

/// The three HQ calls a sync makes; `HttpTransport` is the real one.
pub trait Transport {
    fn sync(&self, body: Vec<u8>, cancel: &CancelToken, retries: &mut u32) -> Result<Vec<u8>>;
    fn put_blob(
        &self,
        hash: &str,
        bytes: Vec<u8>,
        cancel: &CancelToken,
        retries: &mut u32,
    ) -> Result<()>;
    fn get_blob(&self, hash: &str, cancel: &CancelToken, retries: &mut u32) -> Result<Vec<u8>>;
}

/// HQ over HTTP(S) with retries.
pub struct HttpTransport {
    client: Client,
    config: SyncConfig,
}

impl HttpTransport {
    pub fn new(config: &SyncConfig) -> Result<HttpTransport> {
        let tls = tls_config(config.pinned_certificate_pem.as_deref())?;
        let client = Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(config.request_timeout)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Network(format!("HTTP client: {e}")))?;
        Ok(HttpTransport {
            client,
            config: config.clone(),
        })
    }

    /// Sends `request` and reads the whole answer, again and again until it gets one that is
    /// not worth retrying: a cut before or during the answer, a timeout or a 5xx is retried
    /// with exponential backoff; HQ's refusals are returned at once as typed errors.
    fn exchange(
        &self,
        request: impl Fn(&Client) -> reqwest::blocking::RequestBuilder,
        cancel: &CancelToken,
        retries: &mut u32,
    ) -> Result<Vec<u8>> {
        let mut backoff = self.config.initial_backoff;
        let mut attempt = 1;
        loop {
            cancel.check()?;
            let failure = match request(&self.client).bearer_auth(&self.config.token).send() {
                Ok(response) if response.status().is_server_error() => {
                    format!("HTTP {}", response.status())
                }
                Ok(response) => match refuse_errors(response)?.bytes() {
                    Ok(bytes) if bytes.len() > protocol::MAX_MESSAGE_BYTES => {
                        return Err(Error::Protocol(
                            "HQ's answer is over the message limit".into(),
                        ));
                    }
                    Ok(bytes) => return Ok(bytes.to_vec()),
                    Err(e) => format!("reading the answer: {e}"),
                },
                Err(e) => e.to_string(),
            };
            if attempt >= self.config.max_attempts {
                return Err(Error::Network(format!(
                    "HQ unreachable after {attempt} attempts: {failure}"
                )));
            }
            *retries += 1;
            attempt += 1;
            // Full jitter keeps a fleet of phones coming back online from retrying in step.
            let wait = rand::rng().random_range(Duration::ZERO..=backoff);
            sleep_unless_cancelled(wait, cancel)?;
            backoff = (backoff * 2).min(self.config.max_backoff);
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.hq_url)
    }
}

impl Transport for HttpTransport {
    fn sync(&self, body: Vec<u8>, cancel: &CancelToken, retries: &mut u32) -> Result<Vec<u8>> {
        let url = self.url("/v1/sync");
        // The body is re-sent on a retry; HQ applies a replayed request only once.
        self.exchange(
            |c| {
                c.post(&url)
                    .header("content-type", CONTENT_TYPE)
                    .body(body.clone())
            },
            cancel,
            retries,
        )
    }

    fn put_blob(
        &self,
        hash: &str,
        bytes: Vec<u8>,
        cancel: &CancelToken,
        retries: &mut u32,
    ) -> Result<()> {
        let url = self.url(&format!("/v1/blobs/{hash}"));
        self.exchange(|c| c.put(&url).body(bytes.clone()), cancel, retries)?;
        Ok(())
    }

    fn get_blob(&self, hash: &str, cancel: &CancelToken, retries: &mut u32) -> Result<Vec<u8>> {
        let url = self.url(&format!("/v1/blobs/{hash}"));
        self.exchange(|c| c.get(&url), cancel, retries)
    }
}

impl Store {
    /// Syncs with HQ: pushes local work, pulls what this device may see, then uploads photos.
    /// Safe to call from any state and to cut at any point; calling again resumes.
    pub fn sync(
        &mut self,
        config: &SyncConfig,
        progress: &mut dyn FnMut(&SyncProgress),
        cancel: &CancelToken,
    ) -> Result<SyncReport> {
        let transport = HttpTransport::new(config)?;
        self.sync_with(&transport, config, progress, cancel)
    }

    /// [`Store::sync`] over any transport.
    pub fn sync_with(
        &mut self,
        transport: &dyn Transport,
        config: &SyncConfig,
        progress: &mut dyn FnMut(&SyncProgress),
        cancel: &CancelToken,
    ) -> Result<SyncReport> {
        let exclusive = Exclusive(std::cell::RefCell::new(self));
        let mut events = |event: SyncEvent<'_>| {
            if let SyncEvent::Progress(p) = event {
                progress(p);
            }
        };
        drive_sync(&exclusive, transport, config, &mut events, cancel)
    }

    /// Downloads a photo (or thumbnail) this device does not have, from HQ.
    pub fn fetch_blob(
        &mut self,
        config: &SyncConfig,
        hash: &str,
        cancel: &CancelToken,
    ) -> Result<()> {
        crate::rules::validate::photo_hash("hash", hash)?;
        let transport = HttpTransport::new(config)?;
        let bytes = transport.get_blob(hash, cancel, &mut 0)?;
        self.receive_blob(hash, &bytes)
    }
}

fn bad_certificate(e: &dyn std::fmt::Display) -> Error {
    Error::validation(
        "pinned_certificate_pem",
        Invalid::BadCertificate {
            detail: e.to_string(),
        },
    )
}

/// Client TLS: rustls with the ring provider, trusting the bundled web PKI roots or only the
/// pinned HQ certificate. Needs nothing from the platform, so it works the same on Android
/// (no Java-side initialisation) and iOS.
fn tls_config(pinned_pem: Option<&str>) -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    match pinned_pem {
        Some(pem) => {
            let certs = rustls::pki_types::pem::PemObject::pem_slice_iter(pem.as_bytes())
                .collect::<std::result::Result<Vec<rustls::pki_types::CertificateDer<'static>>, _>>(
                )
                .map_err(|e| bad_certificate(&e))?;
            if certs.is_empty() {
                return Err(Error::validation(
                    "pinned_certificate_pem",
                    Invalid::NoCertificate,
                ));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| bad_certificate(&e))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Network(format!("TLS set-up: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// Turns HQ's refusals into typed errors (none of them is worth retrying).
fn refuse_errors(response: Response) -> Result<Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().unwrap_or_default();
    let message = serde_json::from_str::<ErrorBody>(&text)
        .map(|b| format!("{}: {}", b.error, b.message))
        .unwrap_or_else(|_| format!("HTTP {status}"));
    Err(match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized(message),
        StatusCode::NOT_FOUND => Error::EntryNotFound(message),
        _ => Error::Protocol(message),
    })
}

/// Waits in short steps so that a cancel during a long backoff takes effect quickly.
fn sleep_unless_cancelled(total: Duration, cancel: &CancelToken) -> Result<()> {
    let step = Duration::from_millis(50);
    let until = Instant::now() + total;
    while Instant::now() < until {
        cancel.check()?;
        std::thread::sleep(step.min(until.saturating_duration_since(Instant::now())));
    }
    Ok(())
}
