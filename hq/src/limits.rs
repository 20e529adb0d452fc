//! What one HQ process lets hostile or broken clients hold: connections, time, memory of
//! unfinished bodies, failed logins. [`Limits`] gathers the settings (defaults sane for one
//! HQ behind a reverse proxy, every one a `fieldhq serve` flag, docs/operations.md);
//! [`BodyBudget`] bounds the bytes of request bodies in flight.
//!
//! Memory held by bodies is bounded by admission, not by timeouts: a request with a body is
//! admitted only when its declared length (its route's limit when it declares none) fits in
//! what is left of the budget, and holds that share until it is answered. Timeouts then only
//! decide how long a stalled client may keep its share.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::error::Error;

/// The transport limits of one HQ process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a connection may take to send a request's headers, counted from when it is
    /// opened or its previous answer was sent: also the keep-alive idle timeout.
    pub header_read_timeout: Duration,
    /// How long a request body may stall (no bytes arriving) before the request is dropped.
    pub body_stall_timeout: Duration,
    /// How long one request may take from its headers to its answer, body included; `408`.
    pub request_timeout: Duration,
    /// Open connections at most; the next ones are answered `503` and closed.
    pub max_connections: usize,
    /// Open connections from one source address at most (`None`: no such cap). Only for an
    /// HQ that clients reach directly: behind a reverse proxy every connection comes from the
    /// proxy's address.
    pub max_connections_per_source: Option<usize>,
    /// Bytes of request bodies in flight at most (declared lengths, or the route's limit);
    /// a request that does not fit is answered `503`.
    pub max_body_bytes_in_flight: u64,
    /// The `Retry-After` of a `503`, in seconds.
    pub retry_after_secs: u32,
    /// Failed authentications from one source address (or with one token prefix) within
    /// `auth_window` that lock it out.
    pub auth_failures: u32,
    /// The window the failures are counted in.
    pub auth_window: Duration,
    /// How long a locked-out source or token prefix is answered `429` without a look at the
    /// database.
    pub auth_lockout: Duration,
    /// At shutdown, how long requests in flight may take to finish.
    pub shutdown_grace: Duration,
    /// Bytes of a device's blob uploads that no case names yet, at most; an upload past it
    /// is refused (`413 quota_exceeded`).
    pub blob_quota_bytes: u64,
    /// How long an upload no case names is kept before it is removed.
    pub blob_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            body_stall_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(300),
            max_connections: 512,
            max_connections_per_source: None,
            max_body_bytes_in_flight: 256 * 1024 * 1024,
            retry_after_secs: 5,
            auth_failures: 20,
            auth_window: Duration::from_secs(60),
            auth_lockout: Duration::from_secs(300),
            shutdown_grace: Duration::from_secs(30),
            blob_quota_bytes: 64 * 1024 * 1024,
            blob_grace: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Bytes are counted in KiB against a semaphore: a 256 MiB budget is 262,144 permits.
const UNIT: u64 = 1024;

/// Bodies declared at most this long are admitted without a share of the budget: a routine
/// sync is a few KiB, and what such bodies hold is bounded by the connection cap (512 × 64 KiB
/// = 32 MiB at the defaults), so a flood of big bodies cannot keep honest small syncs out.
pub const UNCHARGED_BODY_BYTES: u64 = 64 * 1024;

/// The shared budget of request-body bytes in flight.
#[derive(Debug, Clone)]
pub struct BodyBudget {
    permits: Arc<Semaphore>,
    /// The whole budget in units, so no single request asks for more than exists.
    total: u64,
    retry_after_secs: u32,
}

impl BodyBudget {
    pub fn new(limits: &Limits) -> BodyBudget {
        let total = limits.max_body_bytes_in_flight.div_ceil(UNIT).max(1);
        // Far below the semaphore's maximum (usize::MAX >> 3) for any byte count that fits
        // a u64 divided by 1024 on 64-bit targets; clamped for 32-bit ones.
        let permits = usize::try_from(total).unwrap_or(Semaphore::MAX_PERMITS);
        BodyBudget {
            permits: Arc::new(Semaphore::new(permits.min(Semaphore::MAX_PERMITS))),
            total,
            retry_after_secs: limits.retry_after_secs,
        }
    }

    /// The units a request is charged: its declared length, else its route's limit when it
    /// may carry a body at all (chunked), capped at the route's limit and the whole budget.
    fn charge(&self, request: &Request, route_limit: usize) -> u64 {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let chunked = request.headers().contains_key(header::TRANSFER_ENCODING);
        let bytes = match declared {
            Some(n) if n <= UNCHARGED_BODY_BYTES && !chunked => 0,
            Some(n) => n,
            None if chunked => route_limit as u64,
            None => 0,
        };
        if bytes == 0 || matches!(*request.method(), Method::GET | Method::HEAD) && !chunked {
            return 0;
        }
        bytes.min(route_limit as u64).div_ceil(UNIT).min(self.total)
    }
}

/// Middleware: admits a request with a body only if its share of the budget is free, and
/// holds the share until the answer is ready; `503` with `Retry-After` otherwise.
pub async fn admit_body(
    State((budget, route_limit)): State<(BodyBudget, usize)>,
    request: Request,
    next: Next,
) -> Response {
    let units = budget.charge(&request, route_limit);
    if units == 0 {
        return next.run(request).await;
    }
    // `charge` never exceeds `total`, which came from a usize-sized permit count; the
    // conversion to u32 saturates for budgets over 4 TiB, which then admit one at a time.
    let asked = u32::try_from(units).unwrap_or(u32::MAX);
    match budget.permits.clone().try_acquire_many_owned(asked) {
        Ok(share) => {
            let response = next.run(request).await;
            drop(share);
            response
        }
        Err(_) => {
            tracing::debug!(
                kib = units,
                "request refused: the request-body budget is spent"
            );
            Error::Busy {
                what: "HQ is receiving as many request bodies as it holds at once",
                retry_after_secs: budget.retry_after_secs,
            }
            .into_response()
        }
    }
}
