//! HQ in the test's own process, without sockets: [`InProcessTransport`] is fieldcore's
//! [`Transport`] over `fieldhq::app(state)`, each call one request through the axum router
//! (`tower::ServiceExt::oneshot`) on HQ's tokio runtime. The device's sync code runs as it does
//! against a real HQ (requests, answers, refusals, photo uploads); what is skipped is TCP,
//! HTTP/1 framing, the reqwest client and its TLS set-up, and the retries, which only the
//! loopback tests exercise.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use fieldcore::{CONTENT_TYPE, CancelToken, Error, ErrorBody, MAX_MESSAGE_BYTES, Transport};
use tokio::runtime::Handle;
use tower::ServiceExt;

/// fieldcore's [`Transport`] straight into HQ's router. Blocking: call it from plain test
/// threads, never from inside HQ's runtime.
#[derive(Clone)]
pub struct InProcessTransport {
    app: Router,
    runtime: Handle,
    token: String,
}

impl InProcessTransport {
    /// Requests with `token` to `app`, run on `runtime` (which must outlive the transport).
    pub fn new(app: Router, runtime: Handle, token: &str) -> InProcessTransport {
        InProcessTransport {
            app,
            runtime,
            token: token.to_owned(),
        }
    }

    /// One request; the answer's body, or the error the HTTP transport gives for the same
    /// answer (without its retries: a 5xx is an `Error::Network` at once).
    fn call(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        cancel: &CancelToken,
    ) -> fieldcore::Result<Vec<u8>> {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        let mut request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token));
        // The headers the HTTP transport sends: a content type on sync requests only.
        if method == Method::POST {
            request = request.header(header::CONTENT_TYPE, CONTENT_TYPE);
        }
        let request = request
            .body(Body::from(body))
            .map_err(|e| Error::Network(format!("building the request: {e}")))?;
        let app = self.app.clone();
        let (status, answer) = self.runtime.block_on(async move {
            let response = match app.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let status = response.status();
            (
                status,
                axum::body::to_bytes(response.into_body(), usize::MAX).await,
            )
        });
        let answer = answer.map_err(|e| Error::Network(format!("reading the answer: {e}")))?;
        if status.is_success() {
            if answer.len() > MAX_MESSAGE_BYTES {
                return Err(Error::Protocol(
                    "HQ's answer is over the message limit".into(),
                ));
            }
            return Ok(answer.to_vec());
        }
        let message = serde_json::from_slice::<ErrorBody>(&answer)
            .map(|b| format!("{}: {}", b.error, b.message))
            .unwrap_or_else(|_| format!("HTTP {status}"));
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized(message),
            StatusCode::NOT_FOUND => Error::EntryNotFound(message),
            s if s.is_server_error() => Error::Network(message),
            _ => Error::Protocol(message),
        })
    }
}

impl Transport for InProcessTransport {
    fn sync(
        &self,
        body: Vec<u8>,
        cancel: &CancelToken,
        _retries: &mut u32,
    ) -> fieldcore::Result<Vec<u8>> {
        self.call(Method::POST, "/v1/sync", body, cancel)
    }

    fn put_blob(
        &self,
        hash: &str,
        bytes: Vec<u8>,
        cancel: &CancelToken,
        _retries: &mut u32,
    ) -> fieldcore::Result<()> {
        self.call(Method::PUT, &format!("/v1/blobs/{hash}"), bytes, cancel)?;
        Ok(())
    }

    fn get_blob(
        &self,
        hash: &str,
        cancel: &CancelToken,
        _retries: &mut u32,
    ) -> fieldcore::Result<Vec<u8>> {
        self.call(
            Method::GET,
            &format!("/v1/blobs/{hash}"),
            Vec::new(),
            cancel,
        )
    }
}
