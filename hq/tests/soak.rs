//! The soak test (issue 11): a real `fieldhq serve` on loopback under slowloris sockets,
//! unfinished 16 MiB bodies, a flood of bad tokens and decompression bombs, all at once, while
//! honest devices keep syncing. Bounded (about 40 s of attack); it asserts outcomes, not
//! speed: every honest sync completes, the attackers meet HQ's refusals, and HQ's resident
//! memory stays under a bound derived from its configured limits. It prints the honest
//! syncs' p99 and HQ's peak RSS.
//!
//! The attackers connect from 127.0.0.2–5 (one address per attack) and the honest devices
//! from 127.0.0.1, so the per-source connection cap (an HQ reached directly) keeps the
//! slowloris from taking every slot; the body budget is shared by all, and honest syncs,
//! being small, need none of it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{ServedBinary, TestDevice, compressed_bomb, enrol_with_binary};
use fieldcore::{ByteBuf, CasePush, Payload, SyncResponse};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use uuid::Uuid;

const ATTACK: Duration = Duration::from_secs(40);
const HONEST: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
/// Each attack from its own address, so one's lock-out or cap does not hide another's.
const SLOWLORIS: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
const BODIES: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 3));
const FLOOD: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 4));
const BOMBS: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 5));

/// The limits HQ runs with, as flags and as numbers for the memory bound.
const BODY_BUDGET_MIB: u64 = 64;
const MAX_CONNECTIONS: u64 = 256;
const SERVE_FLAGS: &[&str] = &[
    "--max-connections",
    "256",
    "--max-connections-per-source",
    "128",
    "--max-body-mib-in-flight",
    "64",
    "--header-timeout-secs",
    "2",
    "--body-stall-secs",
    "2",
    "--auth-failures",
    "20",
    "--auth-lockout-secs",
    "30",
];

/// HQ's resident set in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

async fn socket_from(source: IpAddr, to: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    socket.connect(to).await
}

/// One honest sync: round trips until nothing is left, each retried on `503`, `5xx` or a
/// cut connection as the device library does (backoff), within `deadline`.
async fn honest_sync(
    device: &mut TestDevice,
    http: &reqwest::Client,
    url: &str,
    deadline: Instant,
) -> Result<(), String> {
    for _ in 0..100 {
        let request = device.request();
        let body = fieldcore::encode_message(&request).unwrap();
        let mut backoff = Duration::from_millis(100);
        let response: SyncResponse = loop {
            if Instant::now() > deadline {
                return Err("the sync did not complete in time".into());
            }
            let answer = http
                .post(format!("{url}/v1/sync"))
                .bearer_auth(&device.token)
                .body(body.clone())
                .send()
                .await;
            match answer {
                Ok(r) if r.status() == StatusCode::OK => {
                    break fieldcore::decode_message(&r.bytes().await.map_err(|e| e.to_string())?)
                        .map_err(|e| e.to_string())?;
                }
                Ok(r) if !r.status().is_server_error() => {
                    return Err(format!("HQ refused an honest sync: {}", r.status()));
                }
                _ => {
                    // Backoff between retries, as the device library does.
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
            }
        };
        device.apply(&request, &response);
        if !(response.more || !device.outbox.is_empty() || !device.want_full.is_empty()) {
            return Ok(());
        }
    }
    Err("the sync did not settle".into())
}

/// Sends one request of eight bombs; true when HQ answered it (a 4xx, or a 200 that applied
/// none of them), false when it did not get to it (a 5xx or a connection refused).
async fn send_bombs(http: &reqwest::Client, url: &str, bomber: &TestDevice, chunk: &[u8]) -> bool {
    let mut request = bomber.request();
    request.pushes = (0..8)
        .map(|_| CasePush {
            case_id: Uuid::now_v7(),
            payload: Payload::Changes(vec![ByteBuf::from(chunk.to_vec())]),
        })
        .collect();
    let sent = http
        .post(format!("{url}/v1/sync"))
        .bearer_auth(&bomber.token)
        .body(fieldcore::encode_message(&request).unwrap())
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_client_error() || r.status() == StatusCode::OK => {
            assert!(
                r.status() != StatusCode::OK || {
                    let response: SyncResponse =
                        fieldcore::decode_message(&r.bytes().await.unwrap()).unwrap();
                    response
                        .acks
                        .iter()
                        .all(|a| !matches!(a, fieldcore::AckOutcome::Applied))
                },
                "a bomb was applied"
            );
            true
        }
        _ => false,
    }
}

fn t_bombs(tally: &Tally) -> u64 {
    tally.bombs_refused.load(Ordering::Relaxed)
}

#[derive(Default)]
struct Tally {
    slowloris_cut: AtomicU64,
    bodies_refused: AtomicU64,
    bodies_dropped: AtomicU64,
    unauthorized: AtomicU64,
    locked_out: AtomicU64,
    bombs_refused: AtomicU64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn honest_devices_keep_syncing_while_hq_is_attacked() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let honest: Vec<(Uuid, String)> = (0..4)
        .map(|i| enrol_with_binary(&data, &format!("honest{i}")))
        .collect();
    let (bomber_id, bomber_token) = enrol_with_binary(&data, "bomber");
    let hq = ServedBinary::start(&data, "warn", SERVE_FLAGS);
    let addr: SocketAddr = hq.url.strip_prefix("http://").unwrap().parse().unwrap();
    let pid = hq.child.id();
    let baseline_kib = rss_kib(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let mut attackers = Vec::new();

    // Slowloris: 200 sockets, each trickling a header byte every 500 ms until cut, then
    // coming back.
    for _ in 0..200 {
        let (stop, tally, addr) = (stop.clone(), tally.clone(), addr);
        attackers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Ok(mut stream) = socket_from(SLOWLORIS, addr).await else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                let _ = stream
                    .write_all(b"GET /health HTTP/1.1\r\nHost: hq\r\n")
                    .await;
                let mut buf = [0u8; 256];
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    tokio::select! {
                        read = stream.read(&mut buf) => {
                            if matches!(read, Ok(0) | Err(_)) {
                                tally.slowloris_cut.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                        }
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {
                            if stream.write_all(b"X").await.is_err() {
                                tally.slowloris_cut.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                        }
                    }
                }
            }
        }));
    }

    // Unfinished bodies: 12 connections each declaring 16 MiB, sending 15 MiB, then idling.
    // `Expect: 100-continue` lets each see whether HQ admitted it before sending.
    let blob = Arc::new(vec![9u8; 15 * 1024 * 1024]);
    for _ in 0..12 {
        let (stop, tally, addr, blob) = (stop.clone(), tally.clone(), addr, blob.clone());
        let token = bomber_token.clone();
        attackers.push(tokio::spawn(async move {
            let hash = "ab".repeat(32);
            let head = format!(
                "PUT /v1/blobs/{hash} HTTP/1.1\r\nHost: hq\r\nAuthorization: Bearer {token}\r\n\
                 Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
                16 * 1024 * 1024
            );
            while !stop.load(Ordering::Relaxed) {
                let Ok(mut stream) = socket_from(BODIES, addr).await else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                if stream.write_all(head.as_bytes()).await.is_err() {
                    continue;
                }
                let mut first = Vec::new();
                let mut byte = [0u8; 1];
                while !first.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte).await {
                        Ok(1) => first.push(byte[0]),
                        _ => break,
                    }
                }
                if first.starts_with(b"HTTP/1.1 503") {
                    tally.bodies_refused.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                if !first.starts_with(b"HTTP/1.1 100") {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
                // Admitted: 15 of the 16 MiB, then nothing, until HQ drops it.
                let _ = stream.write_all(&blob).await;
                let mut rest = [0u8; 1024];
                while let Ok(n) = stream.read(&mut rest).await {
                    if n == 0 {
                        break;
                    }
                }
                tally.bodies_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }

    // A flood of bad tokens from two clients.
    for _ in 0..2 {
        let (stop, tally, url) = (stop.clone(), tally.clone(), hq.url.clone());
        attackers.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .local_address(FLOOD)
                .build()
                .unwrap();
            while !stop.load(Ordering::Relaxed) {
                let sent = http
                    .post(format!("{url}/v1/sync"))
                    .bearer_auth(fieldhq::auth::new_token())
                    .body(vec![1, 0])
                    .send()
                    .await;
                match sent.map(|r| r.status()) {
                    Ok(StatusCode::UNAUTHORIZED) => {
                        tally.unauthorized.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(StatusCode::TOO_MANY_REQUESTS) => {
                        tally.locked_out.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }

    // Decompression bombs from an enrolled device, each inflating past the per-case limit.
    {
        let (stop, tally, url) = (stop.clone(), tally.clone(), hq.url.clone());
        let bomber = TestDevice::new("bomber", bomber_id, bomber_token.clone());
        attackers.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .local_address(BOMBS)
                .build()
                .unwrap();
            let chunk = compressed_bomb(fieldhq::MAX_CASE_INFLATED_BYTES + 1024);
            while !stop.load(Ordering::Relaxed) {
                let mut request = bomber.request();
                request.pushes = (0..8)
                    .map(|_| CasePush {
                        case_id: Uuid::now_v7(),
                        payload: Payload::Changes(vec![ByteBuf::from(chunk.clone())]),
                    })
                    .collect();
                if send_bombs(&http, &url, &bomber, &chunk).await {
                    tally.bombs_refused.fetch_add(1, Ordering::Relaxed);
                } else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }));
    }

    // RSS, sampled while it all runs.
    let peak_kib = Arc::new(AtomicU64::new(baseline_kib));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak_kib.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };

    // The honest devices: register a case, then add notes, syncing after each.
    let started = Instant::now();
    let mut honest_tasks = Vec::new();
    for (i, (device_id, token)) in honest.into_iter().enumerate() {
        let url = hq.url.clone();
        honest_tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .local_address(HONEST)
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            let mut device = TestDevice::new(&format!("honest{i}"), device_id, token);
            let case = device.register();
            let mut latencies = Vec::new();
            let mut n = 0;
            while started.elapsed() < ATTACK {
                if n > 0 {
                    device.note(case, &format!("visit note {n}"));
                }
                n += 1;
                let began = Instant::now();
                honest_sync(&mut device, &http, &url, began + Duration::from_secs(60)).await?;
                latencies.push(began.elapsed());
            }
            Ok::<_, String>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in honest_tasks {
        latencies.extend(task.await.unwrap().expect("every honest sync completes"));
    }
    stop.store(true, Ordering::Relaxed);
    for attacker in attackers {
        attacker.abort();
    }
    sampler.abort();

    // Under the full attack every bomb may have met a 503 (the other attackers held the body
    // budget): the bomber then tries again, as a device would, until HQ answers the bomb itself.
    if t_bombs(&tally) == 0 {
        let http = reqwest::Client::builder()
            .local_address(BOMBS)
            .build()
            .unwrap();
        let bomber = TestDevice::new("bomber", bomber_id, bomber_token.clone());
        let chunk = compressed_bomb(fieldhq::MAX_CASE_INFLATED_BYTES + 1024);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if send_bombs(&http, &hq.url, &bomber, &chunk).await {
                tally.bombs_refused.fetch_add(1, Ordering::Relaxed);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // HQ is still healthy, and the honest cases are all there.
    let health = reqwest::get(format!("{}/health", hq.url)).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let logged = hq.kill();

    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    let peak_mib = peak_kib.load(Ordering::Relaxed) / 1024;
    let t = |c: &AtomicU64| c.load(Ordering::Relaxed);
    println!(
        "soak: {} honest syncs, p50 {:?}, p99 {:?}, max {:?}; HQ RSS baseline {} MiB, peak {} MiB",
        latencies.len(),
        p(0.50),
        p(0.99),
        latencies.last().unwrap(),
        baseline_kib / 1024,
        peak_mib
    );
    println!(
        "soak: slowloris cut {}, bodies refused {} / dropped {}, bad tokens 401 {} / 429 {}, bombs refused {}",
        t(&tally.slowloris_cut),
        t(&tally.bodies_refused),
        t(&tally.bodies_dropped),
        t(&tally.unauthorized),
        t(&tally.locked_out),
        t(&tally.bombs_refused)
    );

    assert!(latencies.len() >= 4, "every honest device synced");
    assert!(t(&tally.slowloris_cut) > 0, "slow headers were cut off");
    assert!(
        t(&tally.bodies_refused) > 0,
        "unfinished bodies met the budget"
    );
    assert!(t(&tally.locked_out) > 0, "the token flood was locked out");
    assert!(t(&tally.bombs_refused) > 0, "bombs were refused");
    assert!(
        logged.contains("authentication lock-out"),
        "the lock-out is logged"
    );
    assert!(
        !logged.lines().any(|l| l.contains("ERROR")),
        "no client fault logged as an error:\n{logged}"
    );
    // Memory: the body budget, the document cache (128 MiB), hyper's buffers of every
    // connection (at most ~400 KiB each), and room for the process itself.
    let bound_mib = BODY_BUDGET_MIB + 128 + MAX_CONNECTIONS * 2 / 5 + 192;
    assert!(
        peak_mib <= bound_mib,
        "HQ's RSS peaked at {peak_mib} MiB, over the {bound_mib} MiB its limits allow"
    );
}
