//! HQ under hostile traffic (issue 11): each hole the attack found, against a real HQ on
//! loopback (in-process `fieldhq::serve` with small limits so the tests are short, or the
//! `fieldhq` binary itself where the process matters: files it creates, its log, its routes).
//! Transport limits do not depend on the database, so these run on SQLite; blob access and
//! quotas, which do, are in the suite run on both backends (suite/mod.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Backend, ServedBinary, TestHq, enrol_with_binary, error_code, fieldhq_command};
use fieldcore::{ByteBuf, CasePush, Payload};
use fieldhq::{Limits, Role};
use reqwest::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

/// The generous bound on anything HQ is expected to do "at once" or "after its timeout":
/// the tests assert what happens, never how fast beyond this.
const BOUND: Duration = Duration::from_secs(20);

async fn start(limits: Limits) -> TestHq {
    TestHq::start_configured(Backend::Sqlite, |config| config.limits = limits).await
}

async fn connect(hq: &TestHq) -> TcpStream {
    TcpStream::connect(hq.running().addr()).await.unwrap()
}

/// Reads until HQ closes the connection (or BOUND passes: `None`); what it sent.
async fn read_to_close(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let read = tokio::time::timeout(BOUND, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| seen)
}

/// Reads one response head (through the blank line), within BOUND.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    tokio::time::timeout(BOUND, async {
        let mut byte = [0u8; 1];
        while !seen.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte).await {
                Ok(0) | Err(_) => break,
                Ok(_) => seen.push(byte[0]),
            }
        }
    })
    .await
    .expect("HQ answers within the bound");
    String::from_utf8_lossy(&seen).to_ascii_lowercase()
}

// ---------------------------------------------------------------- slowloris

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_never_finish_their_headers_are_closed() {
    let hq = start(Limits {
        header_read_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    // Half a request line and headers, a byte at a time: the slowloris.
    let mut trickling = Vec::new();
    for _ in 0..20 {
        let mut stream = connect(&hq).await;
        stream
            .write_all(b"GET /health HTTP/1.1\r\nHost: hq\r\n")
            .await
            .unwrap();
        trickling.push(stream);
    }
    // And a connection that says nothing at all.
    let mut silent = connect(&hq).await;
    let trickler = tokio::spawn(async move {
        let mut closed = 0;
        for stream in &mut trickling {
            // One more header byte each; HQ's deadline counts from the first, not the last.
            let _ = stream.write_all(b"X").await;
            if read_to_close(stream).await.is_some() {
                closed += 1;
            }
        }
        closed
    });
    assert!(
        read_to_close(&mut silent).await.is_some(),
        "an idle connection is closed"
    );
    assert_eq!(trickler.await.unwrap(), 20, "every slow header is cut off");
    let (status, body) = hq.send(Method::GET, "/health", None, vec![]).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::OK, b"ok".as_slice())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_answered_503_with_retry_after() {
    let hq = start(Limits {
        max_connections: 4,
        header_read_timeout: Duration::from_secs(60),
        retry_after_secs: 7,
        ..Limits::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect(&hq).await);
    }
    // Accepted in order: the fifth finds the four slots taken.
    let mut fifth = connect(&hq).await;
    fifth
        .write_all(b"GET /health HTTP/1.1\r\nHost: hq\r\n\r\n")
        .await
        .unwrap();
    let head = read_head(&mut fifth).await;
    assert!(head.starts_with("http/1.1 503"), "{head}");
    assert!(head.contains("retry-after: 7"), "{head}");
    assert!(
        read_to_close(&mut fifth).await.is_some(),
        "the refused connection is closed"
    );
    drop(held);
}

// ---------------------------------------------------------------- unfinished bodies

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_bodies_hold_no_more_than_the_body_budget() {
    let hq = start(Limits {
        // One 16 MiB body at a time.
        max_body_bytes_in_flight: 16 * 1024 * 1024,
        body_stall_timeout: Duration::from_secs(2),
        ..Limits::default()
    })
    .await;
    let phone = hq.person("wang", Role::Engineer, None).await;
    let blob = vec![7u8; 16 * 1024 * 1024];
    let hash = fieldcore::sha256_hex(&blob);
    // Each declares the whole 16 MiB. `Expect: 100-continue` makes the order plain: HQ asks
    // for the body of a request it admitted and answers the others at once.
    let head = format!(
        "PUT /v1/blobs/{hash} HTTP/1.1\r\nHost: hq\r\nAuthorization: Bearer {}\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        phone.token,
        blob.len()
    );
    let mut admitted = connect(&hq).await;
    admitted.write_all(head.as_bytes()).await.unwrap();
    let first = read_head(&mut admitted).await;
    assert!(first.starts_with("http/1.1 100"), "{first}");
    // 15 of the 16 MiB, then nothing more: the body stalls while holding its share.
    admitted.write_all(&blob[..15 * 1024 * 1024]).await.unwrap();
    for _ in 0..2 {
        let mut refused = connect(&hq).await;
        refused.write_all(head.as_bytes()).await.unwrap();
        let answer = read_head(&mut refused).await;
        assert!(answer.starts_with("http/1.1 503"), "{answer}");
        assert!(answer.contains("retry-after: 5"), "{answer}");
    }
    // The stalled body is dropped after its stall timeout, with a 4xx or a bare close.
    let seen = read_to_close(&mut admitted)
        .await
        .expect("HQ ends the stalled request");
    let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
    assert!(!text.starts_with("http/1.1 2"), "{text}");
    // The budget is free again: the whole blob goes in.
    let (status, _) = hq
        .send(
            Method::PUT,
            &format!("/v1/blobs/{hash}"),
            Some(&phone.token),
            blob,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

// ---------------------------------------------------------------- protocol fields

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_range_cursor_or_reference_version_is_a_400_with_its_reason() {
    let hq = TestHq::start(Backend::Sqlite).await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    phone.register();
    for (field, set) in [
        (
            "cursor",
            (|r: &mut fieldcore::SyncRequest| r.cursor = 1 << 63) as fn(&mut _),
        ),
        ("reference version", |r| r.reference_version = 1 << 63),
        ("cursor", |r| r.cursor = u64::MAX),
    ] {
        let mut request = phone.request();
        set(&mut request);
        let (status, body) = hq
            .post_sync(
                Some(&phone.token),
                fieldcore::encode_message(&request).unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}");
        assert_eq!(error_code(&body), "malformed");
        let message = String::from_utf8_lossy(&body).to_string();
        assert!(message.contains(field), "{message}");
    }
    assert_eq!(hq.log_len().await, 0, "nothing applied");
    // The largest valid cursor is fine.
    let mut request = phone.request();
    request.cursor = i64::MAX as u64;
    phone.exchange(&hq, &request).await;
}

// ---------------------------------------------------------------- authentication

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentications_lock_the_address_out() {
    let hq = start(Limits {
        auth_failures: 5,
        auth_lockout: Duration::from_secs(600),
        ..Limits::default()
    })
    .await;
    let mut phone = hq.person("wang", Role::Engineer, None).await;
    phone.register();
    let body = fieldcore::encode_message(&phone.request()).unwrap();
    // Honest requests do not count.
    for _ in 0..6 {
        phone.sync(&hq).await;
    }
    for i in 0..5 {
        let (status, _) = hq
            .post_sync(Some(&fieldhq::auth::new_token()), body.clone())
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_eq!(hq.running().lockouts(), 1);
    let response = hq
        .http
        .post(format!("{}/v1/sync", hq.url()))
        .bearer_auth(fieldhq::auth::new_token())
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((590..=600).contains(&retry_after), "{retry_after}");
    assert_eq!(error_code(&response.bytes().await.unwrap()), "rate_limited");
    // The whole address is locked out, before any token is looked at.
    let (status, _) = hq.post_sync(Some(&phone.token), body.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _) = hq.post_sync(None, body).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // /health needs no token and stays open.
    let (status, _) = hq.send(Method::GET, "/health", None, vec![]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_and_health_do_not_wait_for_the_write_lock() {
    let hq = TestHq::start(Backend::Sqlite).await;
    let phone = hq.person("wang", Role::Engineer, None).await;
    let photo = b"a photo".to_vec();
    let hash = fieldcore::sha256_hex(&photo);
    let path = format!("/v1/blobs/{hash}");
    let (status, _) = hq.send(Method::PUT, &path, Some(&phone.token), photo).await;
    assert_eq!(status, StatusCode::CREATED);
    // Another process holds SQLite's one write lock (an admin command, a long sync).
    let db = hq.config.data_dir.join("hq.db");
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let http = reqwest::Client::builder()
        // Below the database's 10 s busy timeout: an answer in time did not wait for it.
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let health = http
        .get(format!("{}/health", hq.url()))
        .send()
        .await
        .expect("health answers while the lock is held");
    assert_eq!(health.status(), StatusCode::OK);
    let wrong = http
        .post(format!("{}/v1/sync", hq.url()))
        .bearer_auth(fieldhq::auth::new_token())
        .body(vec![1])
        .send()
        .await
        .expect("a wrong token is refused while the lock is held");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let read = http
        .get(format!("{}{path}", hq.url()))
        .bearer_auth(&phone.token)
        .send()
        .await
        .expect("a blob is read while the lock is held");
    assert_eq!(read.status(), StatusCode::OK);
    holder.execute_batch("ROLLBACK").unwrap();
}

// ---------------------------------------------------------------- the fieldhq binary

/// Enrols a device with the binary's admin commands; its token.
fn enrol(data: &Path, user: &str) -> String {
    enrol_with_binary(data, user).1
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_and_blobs_are_owner_only_and_a_shared_data_folder_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = enrol(&data, "wang");
    let hq = ServedBinary::start(&data, "info", &[]);
    let photo = b"a customer's signature".to_vec();
    let url = format!("{}/v1/blobs/{}", hq.url, fieldcore::sha256_hex(&photo));
    let put = reqwest::Client::new()
        .put(&url)
        .bearer_auth(&token)
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::CREATED);
    assert_eq!(mode(&data), 0o700);
    for name in ["hq.db", "hq.db-wal", "hq.db-shm"] {
        let path = data.join(name);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{name}");
        }
    }
    assert_eq!(mode(&data.join("blobs")), 0o700);
    let hash = fieldcore::sha256_hex(&photo);
    let blob = data.join("blobs").join(&hash[..2]).join(&hash);
    assert_eq!(mode(&blob), 0o600);
    assert_eq!(mode(blob.parent().unwrap()), 0o700);
    hq.stop();

    // A data folder others may write to: HQ does not start, and says what to do.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
    let refused = fieldhq_command(&data)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("chmod 700"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fieldhq_serve_has_no_naive_route_whatever_the_build() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = enrol(&data, "wang");
    let hq = ServedBinary::start(&data, "info", &[]);
    let response = reqwest::Client::new()
        .post(format!("{}/v1/naive/{}", hq.url, Uuid::now_v7()))
        .bearer_auth(&token)
        .body(vec![0u8; 16])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    hq.stop();
}

/// A saved document whose recorded heads are not its changes' heads, with a valid checksum:
/// it parses, and automerge finds the mismatch when it loads it.
fn document_with_wrong_heads(saved: &[u8]) -> Vec<u8> {
    fn uleb(bytes: &[u8], at: &mut usize) -> u64 {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let byte = bytes[*at];
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
    }
    let mut at = 9; // magic, checksum, chunk type
    let len = uleb(saved, &mut at) as usize;
    let data_start = at;
    let mut data = saved[data_start..data_start + len].to_vec();
    let mut i = 0;
    let actors = uleb(&data, &mut i);
    for _ in 0..actors {
        let n = uleb(&data, &mut i) as usize;
        i += n;
    }
    let heads = uleb(&data, &mut i);
    assert!(heads > 0);
    data[i] ^= 0xff;
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update([saved[8]]);
    hasher.update(&saved[9..data_start]);
    hasher.update(&data);
    let digest = hasher.finalize();
    let mut out = saved[..4].to_vec();
    out.extend_from_slice(&digest[..4]);
    out.extend_from_slice(&saved[8..data_start]);
    out.extend_from_slice(&data);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_faults_write_no_error_lines_to_hqs_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let token = enrol(&data, "wang");
    let hq = ServedBinary::start(&data, "info", &[]);
    let mut phone = common::TestDevice::new("wang", Uuid::nil(), token.clone());
    let case = phone.register();
    let http = reqwest::Client::new();
    let post = |body: Vec<u8>| {
        http.post(format!("{}/v1/sync", hq.url))
            .bearer_auth(&token)
            .body(body)
            .send()
    };
    // An out-of-range cursor, garbage bodies, a document whose heads lie, another case's
    // document, garbage change chunks.
    let mut request = phone.request();
    request.cursor = 1 << 63;
    let status = post(fieldcore::encode_message(&request).unwrap())
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for garbage in [
        b"\x01garbage".to_vec(),
        vec![1, 0, 0xff, 0xff, 0xff],
        vec![],
    ] {
        let status = post(garbage).await.unwrap().status();
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let saved = phone.docs[&case].save_nocompress();
    let forged = document_with_wrong_heads(&saved);
    let mut request = phone.request();
    request.pushes = vec![
        CasePush {
            case_id: case,
            payload: Payload::Document(ByteBuf::from(forged)),
        },
        CasePush {
            case_id: Uuid::now_v7(),
            payload: Payload::Changes(vec![ByteBuf::from(
                b"\x85\x6f\x4a\x83 not a chunk".to_vec(),
            )]),
        },
    ];
    let status = post(fieldcore::encode_message(&request).unwrap())
        .await
        .unwrap()
        .status();
    assert!(!status.is_server_error(), "{status}");
    // HQ still works for the honest push.
    let status = post(fieldcore::encode_message(&phone.request()).unwrap())
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
    let log = hq.stop();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(
        errors.is_empty(),
        "client faults logged as errors:\n{}",
        errors.join("\n")
    );
    assert!(log.contains("HQ listening"), "the log was read: {log}");
}
