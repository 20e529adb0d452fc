//! The HTTP surface: [`app`] builds the router that `serve`, tests and benchmarks drive.
//!
//! - `GET /health`: `200 ok` when the server and its database answer; no token needed.
//! - `POST /v1/sync`: the batched protocol (docs/sync-protocol.md).
//! - `PUT|HEAD|GET /v1/blobs/{sha256}`: photo blobs.
//! - `/console/...`: the HQ console in the browser ([`crate::console`]).
//! - `POST /v1/naive/{case_id}`: plain automerge sync of one case, the sync benchmark's
//!   baseline; only in a build with the `bench-baseline` feature (fieldbench's), never in a
//!   normal `fieldhq serve`.
//!
//! Bodies are limited per route before they are read whole (axum's `DefaultBodyLimit`), and
//! the device is authenticated from its bearer token before the body is read at all. A request
//! with a body is admitted only within the budget of body bytes in flight
//! ([`crate::limits::admit_body`]); a body that stalls is dropped (tower-http's request-body
//! timeout) and a request that takes too long is answered `408` (tower-http's timeout).
//! Authentication reads the token without a write lock ([`Storage::read`]), and failed ones
//! count towards a lock-out of their address and token prefix ([`crate::lockout`]).
//!
//! [`Storage::read`]: crate::storage::Storage::read

use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequestParts, MatchedPath, Path, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use fieldcore::{CONTENT_TYPE, MAX_BLOB_BYTES, MAX_MESSAGE_BYTES};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

use futures::StreamExt;

use crate::blobs::{BlobStore, Put};
use crate::error::{Error, Result};
use crate::limits::{BodyBudget, admit_body};
use crate::state::AppState;
use crate::storage::DeviceAuth;
use crate::sync;
use crate::{auth, blob_access};

/// The application: every route, its body limit and share of the body budget, the request
/// timeouts, and request logging.
pub fn app(state: AppState) -> Router {
    let limits = *state.limits();
    let budget = BodyBudget::new(&limits);
    let sync_routes = Router::new().route("/v1/sync", post(sync_handler));
    #[cfg(feature = "bench-baseline")]
    let sync_routes = if state.bench_baseline() {
        sync_routes.route("/v1/naive/{case_id}", post(naive_handler))
    } else {
        sync_routes
    };
    let sync_routes = sync_routes
        .layer(DefaultBodyLimit::max(MAX_MESSAGE_BYTES))
        .layer(middleware::from_fn_with_state(
            (budget.clone(), MAX_MESSAGE_BYTES),
            admit_body,
        ));
    let blob_routes = Router::new()
        .route(
            "/v1/blobs/{hash}",
            put(put_blob).head(head_blob).get(get_blob),
        )
        .layer(DefaultBodyLimit::max(MAX_BLOB_BYTES))
        .layer(middleware::from_fn_with_state(
            (budget, MAX_BLOB_BYTES),
            admit_body,
        ));
    Router::new()
        .route("/health", get(health))
        .merge(sync_routes)
        .merge(blob_routes)
        .merge(crate::console::routes())
        .fallback(|| async { Error::NotFound("no such endpoint".into()) })
        .layer(RequestBodyTimeoutLayer::new(limits.body_stall_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// One log line per request: route template (never ids from the path), status, duration.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    tracing::debug!(
        %method,
        route,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// The authenticated device of a request, from `Authorization: Bearer <token>`.
pub struct Device(pub DeviceAuth);

impl FromRequestParts<AppState> for Device {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Device> {
        let source = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(auth::bearer);
        let lockout = state.lockout();
        if let Some(retry_after_secs) = lockout.locked(source, presented, Instant::now()) {
            return Err(Error::RateLimited { retry_after_secs });
        }
        let refuse = |reason: &'static str| {
            lockout.failed(source, presented, Instant::now());
            Error::Unauthorized(reason)
        };
        let Some(token) = presented else {
            return Err(refuse("a bearer token is required"));
        };
        let Some(hash) = auth::token_hash(token) else {
            return Err(refuse("the token is not valid"));
        };
        let device = state
            .storage()
            .read(move |tx| Box::pin(async move { tx.device_by_token(&hash).await }))
            .await?;
        match device {
            Some(device) if !device.revoked => Ok(Device(device)),
            Some(device) => {
                tracing::debug!(device = %device.device_id, "revoked device refused");
                Err(refuse("the device is revoked"))
            }
            None => Err(refuse("the token is not valid")),
        }
    }
}

/// A body, or the protocol's error for one that is too large or cut off.
fn body(body: std::result::Result<Bytes, BytesRejection>) -> Result<Bytes> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge("the body is over the limit".into())
        } else {
            Error::malformed("the body could not be read")
        }
    })
}

async fn health(State(state): State<AppState>) -> Result<&'static str> {
    state
        .storage()
        .read(|tx| Box::pin(async move { tx.ping().await }))
        .await?;
    Ok("ok")
}

async fn sync_handler(
    State(state): State<AppState>,
    Device(device): Device,
    raw: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let raw = body(raw)?;
    let request = sync::decode_request(&raw)?;
    let response = sync::run(&state, device, request).await?;
    let bytes = fieldcore::encode_message(&response)
        .map_err(|e| Error::internal(format!("encoding the response: {e}")))?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        bytes,
    )
        .into_response())
}

#[cfg(feature = "bench-baseline")]
async fn naive_handler(
    State(state): State<AppState>,
    Device(device): Device,
    Path(case_id): Path<String>,
    raw: std::result::Result<Bytes, BytesRejection>,
) -> Result<Response> {
    let case_id: uuid::Uuid = case_id
        .parse()
        .map_err(|_| Error::malformed("the case id is not a UUID"))?;
    let raw = body(raw)?;
    let reply = crate::naive::run(&state, device, case_id, raw.to_vec()).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        )],
        reply,
    )
        .into_response())
}

/// Stores a blob as its body streams in (never read whole first): hashed on the way, visible
/// under its name only once the hash is its name ([`crate::blobs`]). The route's body limit
/// is enforced here, on the bytes that arrive, since a streamed body passes no extractor.
async fn put_blob(
    State(state): State<AppState>,
    Device(device): Device,
    Path(hash): Path<String>,
    request: Request,
) -> Result<StatusCode> {
    BlobStore::check_name(&hash)?;
    let max = MAX_BLOB_BYTES as u64;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(Error::TooLarge("the body is over the limit".into()));
    }
    let blobs = state.blobs().clone();
    if blobs.size(&hash).await?.is_none() {
        // Checked before the write: uploads racing each other may pass it together, by at
        // most one body each (the body budget bounds how many are in flight). A body of no
        // declared length counts as the largest a blob may be.
        let size = declared.unwrap_or(max);
        let quota = state.limits().blob_quota_bytes;
        let pending = blob_access::unreferenced_bytes(state.storage(), device.device_id).await?;
        if pending.saturating_add(size) > quota {
            tracing::debug!(device = %device.device_id, pending, "blob upload over quota");
            return Err(Error::QuotaExceeded(format!(
                "this device's uploads that no case names take {pending} bytes; \
                 with this one they would pass the quota of {quota}"
            )));
        }
    }
    let stream = request
        .into_body()
        .into_data_stream()
        .map(|chunk| chunk.map_err(|_| Error::malformed("the body could not be read")))
        .boxed();
    let stored = blobs.put_stream(&hash, stream, max).await?;
    if stored.put == Put::Created {
        let at = state.now().timestamp();
        blob_access::record_upload(state.storage(), device.device_id, &hash, stored.bytes, at)
            .await?;
    }
    tracing::info!(
        bytes = stored.bytes,
        created = stored.put == Put::Created,
        "blob stored"
    );
    Ok(match stored.put {
        Put::Created => StatusCode::CREATED,
        Put::AlreadyHeld => StatusCode::OK,
    })
}

/// The blob's size if the device may read it and HQ holds it; `None` answers both "not
/// held" and "not yours", alike.
async fn readable_size(state: &AppState, device: &DeviceAuth, hash: &str) -> Result<Option<u64>> {
    BlobStore::check_name(hash)?;
    if !blob_access::may_read(state.storage(), device, hash).await? {
        return Ok(None);
    }
    state.blobs().size(hash).await
}

async fn head_blob(
    State(state): State<AppState>,
    Device(device): Device,
    Path(hash): Path<String>,
) -> Result<Response> {
    match readable_size(&state, &device, &hash).await? {
        Some(size) => Ok(Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_LENGTH, size)
            .body(Body::empty())
            .map_err(|e| Error::internal(e.to_string()))?),
        None => Ok(StatusCode::NOT_FOUND.into_response()),
    }
}

/// Sends a blob as it is read from the store, chunk by chunk.
async fn get_blob(
    State(state): State<AppState>,
    Device(device): Device,
    Path(hash): Path<String>,
) -> Result<Response> {
    let not_held = || Error::NotFound("HQ does not hold this blob".into());
    let Some(size) = readable_size(&state, &device, &hash).await? else {
        return Err(not_held());
    };
    let stream = state.blobs().read(&hash).await?.ok_or_else(not_held)?;
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, size)
        .body(Body::from_stream(stream))
        .map_err(|e| Error::internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use axum::http::Method;
    use tower::ServiceExt;

    use super::*;
    use crate::blobs::BlobStore;
    use crate::state::system_clock;
    use crate::storage::{Storage, StorageConfig};

    /// The status `app` answers a request without a token with, on a fresh SQLite HQ, with
    /// the benchmark's baseline switched on or off.
    async fn status_of(method: Method, uri: &str, bench_baseline: bool) -> StatusCode {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let config = StorageConfig {
            data_dir: dir.path().to_owned(),
            database_url: None,
            database_connections: crate::DEFAULT_DATABASE_CONNECTIONS,
        };
        let storage = Storage::open(&config).await.expect("the storage opens");
        let blobs = BlobStore::open(dir.path()).expect("the blob folder opens");
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .expect("a request");
        let state =
            AppState::new(storage, blobs, system_clock()).with_bench_baseline(bench_baseline);
        app(state)
            .oneshot(request)
            .await
            .expect("the router answers")
            .status()
    }

    /// The naive baseline route exists only where the `bench-baseline` feature is on and the
    /// state asks for it (only fieldbench does); otherwise HQ answers 404 as for any unknown
    /// endpoint (with both, the route asks for a token first). In a whole-workspace build
    /// fieldbench turns the feature on for everyone (cargo unifies features): the switch keeps
    /// the route out of `fieldhq serve` even then.
    #[tokio::test]
    async fn the_naive_route_exists_only_with_the_bench_baseline_feature_and_switch() {
        let naive = "/v1/naive/0195f1c2-7b2c-7abc-8def-000000000001";
        let switched_on = status_of(Method::POST, naive, true).await;
        if cfg!(feature = "bench-baseline") {
            assert_eq!(switched_on, StatusCode::UNAUTHORIZED);
        } else {
            assert_eq!(switched_on, StatusCode::NOT_FOUND);
        }
        assert_eq!(
            status_of(Method::POST, naive, false).await,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status_of(Method::POST, "/v1/sync", false).await,
            StatusCode::UNAUTHORIZED
        );
    }
}
