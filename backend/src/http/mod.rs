//! The HTTP API: one module per resource, each exposing `router()`, merged in [`app`].
//!
//! Handlers are thin: they parse input into domain types, call a domain module and map its
//! answer to JSON. Every route names the roles it admits through [`auth::Authorized`].

use std::sync::Arc;
use std::time::Duration;

use axum::response::IntoResponse as _;
use axum::Router;
use sqlx::PgPool;
use tower::ServiceExt as _;

use crate::accounts::AuthUser;
use crate::cache::TtlCache;
use crate::config::Config;
use crate::login_throttle::LoginThrottle;
use crate::routing::Engine;

pub mod admin_units;
pub mod auth;
pub mod coverage;
pub mod dispatch;
pub mod error;
pub mod extract;
pub mod grids;
pub mod health;
pub mod openapi;
pub mod plans;
pub mod serve;
pub mod stats;
pub mod tiles;
pub mod users;

pub use error::{ApiError, ApiResult};
pub use serve::{serve, serve_with};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// Client for martin on loopback (bounded timeouts).
    pub http: reqwest::Client,
    /// In-memory routing indexes, kept in sync with PostGIS.
    pub engine: Arc<Engine>,
    /// Logged-in users by token SHA-256 (see [`auth::authenticate`]).
    pub sessions: Arc<TtlCache<Vec<u8>, AuthUser>>,
    /// Map layer versions, for version-stamped tile URLs.
    pub layer_versions: Arc<TtlCache<&'static str, i64>>,
    /// Login backoff and the bounded pool for password checks.
    pub login: LoginThrottle,
    /// The camera coverage model, loaded on first use (at startup by `citygrid serve`).
    pub coverage: Arc<crate::coverage::sync::Handle>,
    /// Freshness tokens of heat windows ([`crate::stats::heat::token`]), cached like versions.
    pub heat_tokens: Arc<TtlCache<crate::stats::filter::DayWindow, i64>>,
    /// Heat scales by request and layer version, for [`HEAT_SCALE_TTL`].
    pub heat_scales: Arc<TtlCache<(crate::stats::heat::HeatQuery, i64), citygrid_api::HeatScale>>,
}

/// How long a session check is cached per process.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(10);
/// How long a layer version is cached per process (an edit is visible to new styles and tile
/// URLs within this time).
pub const LAYER_VERSION_TTL: Duration = Duration::from_secs(1);

/// How long a heat scale is reused (new incidents in the window hardly move a 99th percentile).
pub const HEAT_SCALE_TTL: Duration = Duration::from_mins(1);

impl AppState {
    #[must_use]
    pub fn new(pool: PgPool, config: Config, engine: Arc<Engine>) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(20))
            .build()
            .expect("a plain HTTP client always builds");
        let coverage = Arc::new(crate::coverage::sync::Handle::new(pool.clone(), config.coverage_min_share));
        AppState {
            pool,
            coverage,
            login: LoginThrottle::new(config.login.clone()),
            config: Arc::new(config),
            http,
            engine,
            sessions: Arc::new(TtlCache::new(SESSION_CACHE_TTL, 10_000)),
            layer_versions: Arc::new(TtlCache::new(LAYER_VERSION_TTL, 64)),
            heat_tokens: Arc::new(TtlCache::new(LAYER_VERSION_TTL, 1024)),
            heat_scales: Arc::new(TtlCache::new(HEAT_SCALE_TTL, 256)),
        }
    }
}

/// The JSON 404 of an unknown `/api/…` or `/tiles/…` path.
async fn no_route(axum::extract::OriginalUri(uri): axum::extract::OriginalUri) -> ApiError {
    ApiError::new(citygrid_api::ErrorCode::NotFound, format!("no such API route: {}", uri.path()))
}

/// Paths that are API or tile routes, never pages of the frontend.
fn is_api_path(path: &str) -> bool {
    ["/api", "/tiles", "/style.json"].iter().any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// The JSON 405 of a known path asked with another method.
async fn wrong_method(
    method: axum::http::Method,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> ApiError {
    ApiError::new(
        citygrid_api::ErrorCode::MethodNotAllowed,
        format!("{} does not answer {method}; see /api/openapi.json", uri.path()),
    )
}

/// The whole application: API and tile routes (unknown paths under `/api` and `/tiles` answer
/// a JSON 404, wrong methods a JSON 405), then the static frontend when configured, behind the
/// limits of [`serve`].
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(health::router())
        .merge(auth::router())
        .merge(users::router())
        .merge(grids::router())
        .merge(dispatch::router())
        .merge(plans::router())
        .merge(admin_units::router())
        .merge(coverage::router())
        .merge(stats::router())
        .merge(openapi::router())
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method);
    let app = Router::new().nest("/api", api).merge(tiles::router()).method_not_allowed_fallback(wrong_method);
    let app = match state.config.static_dir.clone() {
        Some(dir) => {
            let index = dir.join("index.html");
            let files = tower_http::services::ServeDir::new(dir).fallback(tower_http::services::ServeFile::new(index));
            app.fallback(move |request: axum::extract::Request| {
                let files = files.clone();
                async move {
                    if is_api_path(request.uri().path()) {
                        return no_route(axum::extract::OriginalUri(request.uri().clone())).await.into_response();
                    }
                    match files.oneshot(request).await {
                        Ok(response) => response.into_response(),
                        Err(e) => match e {},
                    }
                }
            })
        }
        None => app.fallback(no_route),
    };
    app.layer(axum::middleware::from_fn_with_state(state.clone(), serve::limits))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
