//! Test fixtures: a real HQ on loopback for either backend, and a minimal device that keeps
//! real case documents (made with fieldcore's commands) and speaks the sync protocol.
#![allow(dead_code, unused_imports, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use automerge::{ActorId, Automerge, ChangeHash};
use chrono::{DateTime, FixedOffset};
use fieldcore::Policies;
pub use fieldcore::testing::MONTH;
use fieldcore::testing::{registration_for, t0};
use fieldcore::{
    self, ByteBuf, CasePush, MAX_PULL_CASES, PROTOCOL_VERSION, Payload, SyncRequest, SyncResponse,
};
use fieldcore::{Command, Context};
use fieldhq::storage::Storage;
use fieldhq::{Role, RunningHq, ServeConfig, User, admin};
use reqwest::StatusCode;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A PostgreSQL URL whose connections use a fresh schema of their own.
pub async fn fresh_schema_url() -> String {
    let url = std::env::var("FIELDHQ_TEST_PG_URL").unwrap_or_else(|_| {
        panic!(
            "FIELDHQ_TEST_PG_URL is not set: the PostgreSQL half of the suite needs a server. \
             Run tests/run.sh, which starts a throwaway PostgreSQL and sets it."
        )
    });
    let schema = format!("t_{}", Uuid::new_v4().simple());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect to FIELDHQ_TEST_PG_URL");
    let task = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    drop(client);
    let _ = task.await;
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{schema}")
}

tokio::task_local! {
    /// Set by [`with_s3_blobs`]: every HQ the test starts keeps its blobs in the S3 server.
    static S3_BLOBS: bool;
}

/// The S3 server of the tests: `FIELDHQ_TEST_S3_URL` (`s3://bucket`), its endpoint
/// `FIELDHQ_TEST_S3_ENDPOINT` and credentials `FIELDHQ_TEST_S3_ACCESS_KEY` and
/// `FIELDHQ_TEST_S3_SECRET_KEY` (tests/run.sh starts one and sets them), under a fresh prefix
/// per call. `None` when the variables are unset; with `FIELDHQ_REQUIRE_S3` set that fails
/// the test instead, as in CI.
pub fn test_s3_config() -> Option<fieldhq::blob_s3::S3Config> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let Some(url) = var("FIELDHQ_TEST_S3_URL") else {
        assert!(
            var("FIELDHQ_REQUIRE_S3").is_none(),
            "FIELDHQ_TEST_S3_URL is not set but FIELDHQ_REQUIRE_S3 is: run tests/run.sh, \
             which installs and starts an S3 server on loopback"
        );
        eprintln!("FIELDHQ_TEST_S3_URL is not set: the S3 half of this test is skipped");
        return None;
    };
    let url = format!(
        "{}/t-{}",
        url.trim_end_matches('/'),
        Uuid::new_v4().simple()
    );
    let env = |name: &str| match name {
        fieldhq::blob_s3::ACCESS_KEY_VAR => var("FIELDHQ_TEST_S3_ACCESS_KEY"),
        fieldhq::blob_s3::SECRET_KEY_VAR => var("FIELDHQ_TEST_S3_SECRET_KEY"),
        _ => None,
    };
    let endpoint = var("FIELDHQ_TEST_S3_ENDPOINT");
    Some(
        fieldhq::blob_s3::S3Config::from_env(&url, endpoint, "us-east-1".into(), true, env)
            .unwrap(),
    )
}

/// Runs `test` with every HQ it starts keeping its blobs in the tests' S3 server; skipped
/// (see [`test_s3_config`]) when there is none.
pub async fn with_s3_blobs(test: impl std::future::Future<Output = ()>) {
    if test_s3_config().is_some() {
        S3_BLOBS.scope(true, test).await;
    }
}

/// Whether the running test keeps its blobs in S3 ([`with_s3_blobs`]).
pub fn blobs_in_s3() -> bool {
    S3_BLOBS.try_with(|on| *on).unwrap_or(false)
}

pub struct TestHq {
    pub backend: Backend,
    pub hq: Option<RunningHq>,
    pub config: ServeConfig,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

impl TestHq {
    pub async fn start(backend: Backend) -> TestHq {
        TestHq::start_with(backend, fieldhq::pulls::PULL_BUDGET).await
    }

    /// [`TestHq::start`] with another pull budget (bytes of chunks per response).
    pub async fn start_with(backend: Backend, pull_budget_bytes: usize) -> TestHq {
        TestHq::start_configured(backend, |config| {
            config.pull_budget_bytes = pull_budget_bytes;
        })
        .await
    }

    /// [`TestHq::start`] with its configuration changed by `configure` first.
    pub async fn start_configured(
        backend: Backend,
        configure: impl FnOnce(&mut ServeConfig),
    ) -> TestHq {
        // The workspace builds reqwest without a crypto provider; plain HTTP still needs one set.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // FIELDHQ_TEST_LOG=info shows HQ's own log lines (one per sync, with its duration).
        if let Some(level) = std::env::var("FIELDHQ_TEST_LOG")
            .ok()
            .and_then(|l| l.parse::<tracing::Level>().ok())
        {
            let _ = tracing_subscriber::fmt()
                .with_max_level(level)
                .with_test_writer()
                .try_init();
        }
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServeConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().join("data"));
        config.clock = Some(Arc::new(t0));
        // The benchmark's baseline route, in builds that have it (its suite test uses it).
        #[cfg(feature = "bench-baseline")]
        {
            config.bench_baseline = true;
        }
        if blobs_in_s3() {
            config.blobs = test_s3_config().map(fieldhq::blobs::BlobLocation::S3);
        }
        configure(&mut config);
        if backend == Backend::Postgres {
            config.database_url = Some(fresh_schema_url().await);
        }
        let hq = fieldhq::serve(config.clone()).await.unwrap();
        TestHq {
            backend,
            hq: Some(hq),
            config,
            dir,
            http: reqwest::Client::new(),
        }
    }

    pub fn running(&self) -> &RunningHq {
        self.hq.as_ref().expect("HQ is running")
    }

    pub fn url(&self) -> String {
        self.running().url()
    }

    pub fn storage(&self) -> &Storage {
        self.running().storage()
    }

    /// The blob store this HQ keeps its blobs in (folder or S3), opened beside it.
    pub async fn blobs(&self) -> fieldhq::blobs::BlobStore {
        fieldhq::blobs::BlobStore::connect(&self.config.blob_location(), false)
            .await
            .unwrap()
    }

    /// How many blobs HQ holds, wherever it keeps them.
    pub async fn blob_count(&self) -> usize {
        use futures::StreamExt;
        use object_store::ObjectStore;
        match self.config.blob_location() {
            fieldhq::blobs::BlobLocation::Folder(folder) => std::fs::read_dir(&folder)
                .unwrap()
                .filter_map(Result::ok)
                .filter(|e| e.file_name() != ".tmp" && e.path().is_dir())
                .map(|e| std::fs::read_dir(e.path()).unwrap().count())
                .sum(),
            fieldhq::blobs::BlobLocation::S3(s3) => {
                let store = object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(&s3.secret_access_key.0)
                    .with_endpoint(s3.endpoint.clone().unwrap())
                    .with_allow_http(true)
                    .build()
                    .unwrap();
                let prefix = object_store::path::Path::from(s3.prefix.clone());
                let listed: Vec<_> = store.list(Some(&prefix)).collect().await;
                listed.into_iter().map(Result::unwrap).count()
            }
        }
    }

    pub async fn stop(&mut self) {
        if let Some(hq) = self.hq.take() {
            hq.shutdown().await.unwrap();
        }
    }

    /// Stops and starts HQ again on the same storage (a new port).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.hq = Some(fieldhq::serve(self.config.clone()).await.unwrap());
    }

    pub async fn user(&self, name: &str, role: Role, center: Option<&str>) -> User {
        admin::add_user(self.storage(), name, role, center)
            .await
            .unwrap()
    }

    /// Enrols a device for an existing user.
    pub async fn device(&self, user: &str) -> TestDevice {
        let enrolment = admin::enrol_device(self.storage(), user, Some("test"))
            .await
            .unwrap();
        TestDevice::new(user, enrolment.device_id, enrolment.token)
    }

    /// A user with one device.
    pub async fn person(&self, name: &str, role: Role, center: Option<&str>) -> TestDevice {
        self.user(name, role, center).await;
        self.device(name).await
    }

    /// A raw request; the status and the body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Vec<u8>) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url()))
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("HQ answers");
        let status = response.status();
        (status, response.bytes().await.unwrap().to_vec())
    }

    pub async fn post_sync(&self, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        self.send(reqwest::Method::POST, "/v1/sync", token, body)
            .await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.storage().query_count(sql).await.unwrap()
    }

    /// `Tx::history_sizes` of one case.
    pub async fn history_size(&self, case: Uuid) -> u64 {
        self.storage()
            .transaction(move |tx| {
                Box::pin(async move { Ok(tx.history_sizes(&[case]).await?[&case]) })
            })
            .await
            .unwrap()
    }

    pub async fn log_len(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM changes").await
    }
}

/// The JSON error body's code.
pub fn error_code(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).expect("a JSON error body");
    v["error"].as_str().unwrap().to_owned()
}

/// A field device reduced to what sync needs: documents, an outbox of change bytes, a cursor.
pub struct TestDevice {
    pub user: String,
    pub device_id: Uuid,
    pub token: String,
    pub actor: ActorId,
    pub docs: BTreeMap<Uuid, Automerge>,
    /// Change chunks not acknowledged yet, per case, oldest first.
    pub outbox: BTreeMap<Uuid, Vec<Vec<u8>>>,
    pub numbers: HashMap<Uuid, String>,
    pub cursor: u64,
    pub reference_version: u64,
    pub want_full: Vec<Uuid>,
    /// Cases HQ answered NeedFull for: the next push is the whole document.
    pub repair: HashSet<Uuid>,
    pub max_pull: u32,
    /// The policies the device's commands run under (HQ's published ones, when a test sets
    /// them; the defaults otherwise).
    pub policies: Policies,
    clock_minutes: i64,
}

impl TestDevice {
    pub fn new(user: &str, device_id: Uuid, token: String) -> TestDevice {
        TestDevice {
            user: user.to_owned(),
            device_id,
            token,
            actor: ActorId::random(),
            docs: BTreeMap::new(),
            outbox: BTreeMap::new(),
            numbers: HashMap::new(),
            cursor: 0,
            reference_version: 0,
            want_full: Vec::new(),
            repair: HashSet::new(),
            max_pull: MAX_PULL_CASES,
            policies: Policies::default(),
            clock_minutes: 60,
        }
    }

    fn at(&mut self) -> DateTime<FixedOffset> {
        self.clock_minutes += 1;
        t0() + chrono::Duration::minutes(self.clock_minutes)
    }

    /// Registers a case on the device (offline); its changes wait in the outbox.
    pub fn register(&mut self) -> Uuid {
        self.register_case(&registration_for("M2406-118842"))
    }

    /// [`TestDevice::register`] with a registration of the test's own.
    pub fn register_case(&mut self, registration: &fieldcore::Registration) -> Uuid {
        let case_id = Uuid::now_v7();
        let at = self.at();
        let policies = self.policies.clone();
        let device = self.device_id.to_string();
        let ctx = Context {
            by: &self.user,
            device: &device,
            at,
            policies: &policies,
            parts_catalog: None,
        };
        let doc = fieldcore::new_case_document(&self.actor, &ctx, case_id, registration).unwrap();
        self.outbox
            .entry(case_id)
            .or_default()
            .extend(chunks_after(&doc, &[]));
        self.docs.insert(case_id, doc);
        case_id
    }

    /// Runs a command on a case (offline); its change waits in the outbox.
    pub fn execute(&mut self, case_id: Uuid, command: &Command) {
        self.try_execute(case_id, command).unwrap();
    }

    /// [`TestDevice::execute`], returning the core's refusal instead of panicking on it.
    pub fn try_execute(&mut self, case_id: Uuid, command: &Command) -> fieldcore::Result<()> {
        let at = self.at();
        let policies = self.policies.clone();
        let device = self.device_id.to_string();
        let user = self.user.clone();
        let doc = self
            .docs
            .get_mut(&case_id)
            .expect("the device holds the case");
        doc.set_actor(self.actor.clone());
        let heads = doc.get_heads();
        let ctx = Context {
            by: &user,
            device: &device,
            at,
            policies: &policies,
            parts_catalog: None,
        };
        fieldcore::execute_on_document(doc, case_id, &ctx, command)?;
        let chunks = chunks_after(doc, &heads);
        self.outbox.entry(case_id).or_default().extend(chunks);
        Ok(())
    }

    /// The case as the device shows it, under the device's policies.
    pub fn view(&self, case_id: Uuid) -> fieldcore::CaseView {
        fieldcore::build_view(&self.docs[&case_id], case_id, &self.policies).unwrap()
    }

    pub fn note(&mut self, case_id: Uuid, text: &str) {
        self.execute(
            case_id,
            &Command::AddNote {
                text: text.to_owned(),
            },
        );
    }

    pub fn request(&self) -> SyncRequest {
        SyncRequest {
            version: PROTOCOL_VERSION,
            actor: self.actor.to_bytes().to_vec(),
            cursor: self.cursor,
            reference_version: self.reference_version,
            pushes: self
                .outbox
                .iter()
                .map(|(id, bytes)| CasePush {
                    case_id: *id,
                    payload: if self.repair.contains(id) {
                        Payload::Document(ByteBuf::from(self.docs[id].save()))
                    } else {
                        Payload::Changes(bytes.iter().cloned().map(ByteBuf::from).collect())
                    },
                })
                .collect(),
            want_full: self.want_full.clone(),
            max_pull: self.max_pull,
        }
    }

    /// Sends one request; panics unless HQ answers 200.
    pub async fn exchange(&self, hq: &TestHq, request: &SyncRequest) -> SyncResponse {
        let (status, body) = hq
            .post_sync(
                Some(&self.token),
                fieldcore::encode_message(request).unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        fieldcore::decode_message(&body).unwrap()
    }

    /// One round trip: push the outbox, apply what comes back.
    pub async fn sync_once(&mut self, hq: &TestHq) -> SyncResponse {
        let request = self.request();
        let response = self.exchange(hq, &request).await;
        self.apply(&request, &response);
        response
    }

    /// Round trips until nothing is left to push or pull.
    pub async fn sync(&mut self, hq: &TestHq) -> Vec<SyncResponse> {
        let mut responses = Vec::new();
        for _ in 0..100 {
            let response = self.sync_once(hq).await;
            let again = response.more || !self.outbox.is_empty() || !self.want_full.is_empty();
            responses.push(response);
            if !again {
                return responses;
            }
        }
        panic!("sync did not settle in 100 round trips");
    }

    /// Applies a response as the device store would: acks clear the outbox, pulls are
    /// applied strictly (a change with a missing dependency puts the case in want_full).
    pub fn apply(&mut self, request: &SyncRequest, response: &SyncResponse) {
        let asked_full: HashSet<Uuid> = request.want_full.iter().copied().collect();
        for (ack, push) in response.acks.iter().zip(&request.pushes) {
            match ack {
                fieldcore::AckOutcome::Applied => {
                    self.outbox.remove(&push.case_id);
                    self.repair.remove(&push.case_id);
                }
                // Repair: push the whole document next time.
                fieldcore::AckOutcome::NeedFull => {
                    self.repair.insert(push.case_id);
                }
                // Kept in the outbox; tests that expect it use `exchange`, not `sync`.
                fieldcore::AckOutcome::Forbidden
                | fieldcore::AckOutcome::Rejected { .. }
                | fieldcore::AckOutcome::Later
                | fieldcore::AckOutcome::Archived => {}
            }
        }
        self.want_full.retain(|id| !asked_full.contains(id));
        for pull in &response.pulls {
            if let Some(number) = &pull.number {
                self.numbers.insert(pull.case_id, number.clone());
            }
            let changes = fieldhq::changes::parse_changes(&pull.changes).unwrap();
            let doc = match self.docs.get_mut(&pull.case_id) {
                Some(doc) => doc,
                None if pull.whole => self
                    .docs
                    .entry(pull.case_id)
                    .or_insert_with(|| Automerge::new().with_actor(self.actor.clone())),
                None => {
                    self.want_full.push(pull.case_id);
                    continue;
                }
            };
            let mut have: HashSet<ChangeHash> =
                doc.get_changes(&[]).iter().map(|c| c.hash()).collect();
            let complete = changes.iter().all(|c| {
                let ok = c.deps().iter().all(|d| have.contains(d));
                have.insert(c.hash());
                ok
            });
            if complete {
                doc.apply_changes(changes).unwrap();
            } else {
                self.want_full.push(pull.case_id);
            }
        }
        if let Some(reference) = &response.reference {
            self.reference_version = reference.version;
        }
        self.cursor = response.cursor;
    }

    pub fn number_in_doc(&self, case_id: Uuid) -> Option<String> {
        fieldcore::number_of(&self.docs[&case_id])
    }

    pub fn heads(&self, case_id: Uuid) -> Vec<ChangeHash> {
        let mut heads = self.docs[&case_id].get_heads();
        heads.sort();
        heads
    }
}

/// The change chunks of `doc` after `heads`, one per change, as a device's outbox holds them.
pub fn chunks_after(doc: &Automerge, heads: &[ChangeHash]) -> Vec<Vec<u8>> {
    doc.get_changes(heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

// ---------------------------------------------------------------- the fieldhq binary

/// The built `fieldhq` binary working on the data folder `data`.
pub fn fieldhq_command(data: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fieldhq"));
    command.arg("--data").arg(data);
    command
}

/// Adds the engineer `user` and enrols a device for them with the binary's admin commands:
/// the device id and its token.
pub fn enrol_with_binary(data: &std::path::Path, user: &str) -> (Uuid, String) {
    // reqwest is built without a crypto provider; plain HTTP still needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let added = fieldhq_command(data)
        .args(["user", "add", user, "--role", "engineer"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let enrolled = fieldhq_command(data)
        .args(["device", "enrol", user])
        .output()
        .unwrap();
    assert!(enrolled.status.success(), "{enrolled:?}");
    let text = String::from_utf8(enrolled.stdout).unwrap();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name).map(|t| t.trim().to_owned()))
            .unwrap()
    };
    (field("device").parse().unwrap(), field("token"))
}

/// A `fieldhq serve` process on a free loopback port, what it logs on stderr collected; killed
/// when dropped, so a failing test leaves no server behind.
pub struct ServedBinary {
    pub child: std::process::Child,
    pub url: String,
    stderr: Option<std::thread::JoinHandle<String>>,
}

impl ServedBinary {
    /// Starts `fieldhq --log <log> serve` with `extra` serve flags and waits for its
    /// "listening on" line.
    pub fn start(data: &std::path::Path, log: &str, extra: &[&str]) -> ServedBinary {
        use std::io::{BufRead, Read};
        use std::process::Stdio;
        let mut child = fieldhq_command(data)
            .args(["--log", log, "serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("fieldhq listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        ServedBinary {
            child,
            url,
            stderr: Some(stderr),
        }
    }

    /// Stops the process with SIGTERM (a graceful stop); everything it logged.
    pub fn stop(mut self) -> String {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.logged()
    }

    /// Kills the process; everything it logged.
    pub fn kill(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.logged()
    }

    fn logged(&mut self) -> String {
        self.stderr
            .take()
            .map(|h| h.join().unwrap())
            .unwrap_or_default()
    }
}

impl Drop for ServedBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A compressed change chunk that inflates to `inflated` bytes (a decompression bomb): the
/// magic, a checksum, type 2 (compressed change), the body's length, the deflated body.
pub fn compressed_bomb(inflated: usize) -> Vec<u8> {
    use std::io::Write;
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    deflate.write_all(&vec![0u8; inflated]).unwrap();
    let body = deflate.finish().unwrap();
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    let mut len = body.len();
    loop {
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            chunk.push(byte);
            break;
        }
        chunk.push(byte | 0x80);
    }
    chunk.extend_from_slice(&body);
    chunk
}
