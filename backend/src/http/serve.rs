//! The HTTP server around [`super::app`]: HTTP/1.1 with bounded waits for slow clients, the
//! client address on every request, limits answered with our JSON error body, and graceful
//! shutdown.
//!
//! | limit | default ([`Timeouts`]) | answer |
//! | --- | --- | --- |
//! | request line + headers received | 10 s | connection closed (hyper) |
//! | request body received | 15 s (in the `Json` extractor) | 408 `request_timeout` |
//! | whole request handled | 30 s | 503 `unavailable` |
//! | request target (path + query) | [`MAX_URI_BYTES`] | 414 `uri_too_long` |
//! | all header lines together | [`MAX_HEADER_BYTES`] | 431 `headers_too_large` |
//! | JSON body | 2 MiB (16 MiB for `/api/route/batch`) | 413 `payload_too_large` |
//!
//! hyper itself answers 414/431 (empty body) only beyond its own, larger buffer (~400 KB); our
//! limits are well below it, so clients see the JSON answers.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use citygrid_api::ErrorCode;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt as _;

use super::{ApiError, AppState};
use crate::config::Timeouts;

/// The body-read bound of the current request, for the `Json` extractor (set by [`limits`]).
#[derive(Debug, Clone, Copy)]
pub struct BodyReadTimeout(pub Duration);
/// The longest request target (path and query).
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// The most bytes of header names and values together.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;
/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Limits on the request target and headers, and the whole-request timeout (a middleware
/// around every route).
pub async fn limits(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let Timeouts { body_read, request: request_timeout, .. } = state.config.timeouts;
    let uri_len = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return ApiError::new(
            ErrorCode::UriTooLong,
            format!("the request target has {uri_len} bytes, at most {MAX_URI_BYTES}"),
        )
        .into_response();
    }
    let header_bytes: usize = request.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if header_bytes > MAX_HEADER_BYTES {
        return ApiError::new(
            ErrorCode::HeadersTooLarge,
            format!("the headers have {header_bytes} bytes, at most {MAX_HEADER_BYTES}"),
        )
        .into_response();
    }
    request.extensions_mut().insert(BodyReadTimeout(body_read));
    match tokio::time::timeout(request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            ErrorCode::Unavailable,
            format!("the request took longer than {} s; retry later", request_timeout.as_secs()),
        )
        .retry_after(Duration::from_secs(5))
        .into_response(),
    }
}

/// [`serve_with`] with the default header-read timeout.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    serve_with(listener, app, Timeouts::default().header_read, shutdown).await
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish
/// (at most 10 s). A client gets `header_read` to send each request's line and headers. Each
/// request carries the peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    app: Router,
    header_read: Duration,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = app.clone().map_request(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(addr));
            request
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %addr, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight after {} s; stopping anyway", SHUTDOWN_GRACE.as_secs());
    }
    Ok(())
}
