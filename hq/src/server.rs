//! Serving connections: HQ's own accept loop over hyper's HTTP/1 connection, so that every
//! connection has a header-read timeout (which is also its keep-alive idle timeout), the
//! number of open connections is capped, and a connection over the cap is answered `503` with
//! `Retry-After` instead of being left to queue. `axum::serve` gives none of these: its hyper
//! builder has no timer, and a socket that never finishes its headers stays open for good.
//!
//! The timeouts and caps are [`Limits`]; the per-request ones (body stalls, whole request,
//! bytes of bodies in flight) are applied in [`crate::http`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};
use tower::ServiceExt;

use crate::limits::Limits;

/// Connections over the cap are answered `503` by short-lived tasks; at most this many at
/// once, the rest are closed unanswered, so a flood cannot grow even the refusals.
const MAX_REFUSING: usize = 64;

/// How long a refused connection may take to send its request line before it is closed.
const REFUSAL_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// After an accept error (out of file descriptors, typically), the loop waits this long
/// before accepting again, so it does not spin while the process is at its limit.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Accepts and serves connections with `router` until `stop` fires (or its sender is
/// dropped), then lets requests in flight finish for at most `limits.shutdown_grace`.
pub(crate) async fn run(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let per_source = Arc::new(PerSource::default());
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let graceful = GracefulShutdown::new();
    let mut serving = http1::Builder::new();
    serving
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut refusal = http1::Builder::new();
    refusal
        .timer(TokioTimer::new())
        .header_read_timeout(REFUSAL_HEADER_TIMEOUT)
        .keep_alive(false);
    let retry_after = HeaderValue::from(limits.retry_after_secs);
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        // Small requests and answers go out at once rather than waiting for Nagle.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
        let io = TokioIo::new(stream);
        let source_slot =
            PerSource::take(&per_source, peer.ip(), limits.max_connections_per_source);
        let permit = match source_slot {
            Some(_) => connections.clone().try_acquire_owned().ok(),
            None => None,
        };
        if let (Some(permit), Some(source_slot)) = (permit, source_slot) {
            let router = router.clone();
            let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(request.map(Body::new))
            });
            let connection = graceful.watch(serving.serve_connection(io, service));
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                drop(permit);
                drop(source_slot);
            });
        } else if let Ok(permit) = refusing.clone().try_acquire_owned() {
            tracing::debug!(%peer, "connection refused: HQ is at its connection limit");
            let retry_after = retry_after.clone();
            let service = hyper::service::service_fn(move |_request: Request<Incoming>| {
                let retry_after = retry_after.clone();
                async move { Ok::<_, std::convert::Infallible>(busy(retry_after)) }
            });
            let connection = refusal.serve_connection(io, service);
            tokio::spawn(async move {
                // A refused client that hangs up is no concern of HQ's.
                let _ = connection.await;
                drop(permit);
            });
        }
        // Past both caps the stream is dropped here: the client sees the connection close.
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace_secs = limits.shutdown_grace.as_secs(),
            "connections still open after the shutdown grace period were closed"
        );
    }
    Ok(())
}

/// Open connections per source address, for `Limits::max_connections_per_source`.
#[derive(Default)]
struct PerSource {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection of a source; counted down when dropped.
struct SourceSlot {
    table: Arc<PerSource>,
    source: IpAddr,
    counted: bool,
}

impl PerSource {
    /// A slot for one more connection from `source`, or `None` when it is at `cap`.
    fn take(table: &Arc<PerSource>, source: IpAddr, cap: Option<usize>) -> Option<SourceSlot> {
        let Some(cap) = cap else {
            return Some(SourceSlot {
                table: table.clone(),
                source,
                counted: false,
            });
        };
        let mut open = table.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(source).or_insert(0);
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(SourceSlot {
            table: table.clone(),
            source,
            counted: true,
        })
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        if !self.counted {
            return;
        }
        let mut open = self.table.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.source) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.source);
            }
        }
    }
}

/// The answer to a connection over the cap.
fn busy(retry_after: HeaderValue) -> Response<Body> {
    let mut response = Response::new(Body::from(
        r#"{"error":"busy","message":"HQ is at its connection limit; retry later"}"#,
    ));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, retry_after);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
