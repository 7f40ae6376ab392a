//! The HTTP API: one module per resource, each exposing `router()`, merged in [`app`].
//!
//! Handlers are thin: they parse input into domain types, call a domain module and map its
//! answer to JSON. Every route names the roles it admits through [`auth::Authorized`].

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use sqlx::PgPool;

use crate::accounts::AuthUser;
use crate::cache::TtlCache;
use crate::config::Config;
use crate::routing::Engine;

pub mod admin_units;
pub mod auth;
pub mod dispatch;
pub mod error;
pub mod extract;
pub mod grids;
pub mod health;
pub mod openapi;
pub mod stats;
pub mod tiles;
pub mod users;

pub use error::{ApiError, ApiResult};

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
pub const HEAT_SCALE_TTL: Duration = Duration::from_secs(60);

impl AppState {
    #[must_use]
    pub fn new(pool: PgPool, config: Config, engine: Arc<Engine>) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(20))
            .build()
            .expect("a plain HTTP client always builds");
        AppState {
            pool,
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

/// The whole application: API routes, then the static frontend when configured.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(health::router())
        .merge(auth::router())
        .merge(users::router())
        .merge(grids::router())
        .merge(dispatch::router())
        .merge(admin_units::router())
        .merge(stats::router())
        .merge(openapi::router())
        .fallback(|| async { ApiError::NotFound("no such API route".into()) });
    let mut app = Router::new().nest("/api", api).merge(tiles::router());
    if let Some(dir) = &state.config.static_dir {
        let index = dir.join("index.html");
        app = app.fallback_service(
            tower_http::services::ServeDir::new(dir).fallback(tower_http::services::ServeFile::new(index)),
        );
    }
    app.layer(tower_http::trace::TraceLayer::new_for_http()).with_state(state)
}
