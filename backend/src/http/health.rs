//! `/api/health` (liveness) and `/api/ready` (readiness): is the backend up, and can it reach
//! PostgreSQL and martin?
//!
//! Both answer within [`CHECK_TIMEOUT`] whatever the dependencies do: each check runs with that
//! bound and both run at once. A load balancer keeps a replica in rotation while `/api/ready`
//! answers 200, and takes it out on 503 (PostgreSQL or martin unreachable; the body says which).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use citygrid_api::Health;

use super::extract::Json;
use super::AppState;

/// The bound of each dependency check.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(400);

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health)).route("/ready", get(ready))
}

fn up(ok: bool) -> String {
    if ok { "ok" } else { "down" }.to_owned()
}

/// Checks PostgreSQL (`select 1` through the pool) and martin (`/health`) at once, each bounded
/// by [`CHECK_TIMEOUT`].
async fn dependencies(state: &AppState) -> (bool, bool) {
    let db = async {
        tokio::time::timeout(CHECK_TIMEOUT, sqlx::query("select 1").execute(&state.pool)).await.is_ok_and(|r| r.is_ok())
    };
    let martin = async {
        state
            .http
            .get(format!("{}/health", state.config.martin_url))
            .timeout(CHECK_TIMEOUT)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    };
    tokio::join!(db, martin)
}

/// Liveness: 200 while the process serves requests, with the state of its dependencies for
/// people (public, no login).
#[utoipa::path(get, path = "/api/health", tag = "health", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let (db, martin) = dependencies(&state).await;
    Json(Health { status: "ok".into(), db: up(db), martin: up(martin) })
}

/// Readiness: 200 `ready` when PostgreSQL and martin both answer, else 503 `unavailable` with
/// the one that does not (public, no login).
#[utoipa::path(get, path = "/api/ready", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let (db, martin) = dependencies(&state).await;
    let (status, word) =
        if db && martin { (StatusCode::OK, "ready") } else { (StatusCode::SERVICE_UNAVAILABLE, "unavailable") };
    (status, Json(Health { status: word.into(), db: up(db), martin: up(martin) }))
}
