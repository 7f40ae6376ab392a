//! `/api/health`: is the backend up, and can it reach PostgreSQL and martin?

use std::time::Duration;

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use citygrid_api::Health;

use super::extract::Json;
use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

fn up(ok: bool) -> String {
    if ok { "ok" } else { "down" }.to_owned()
}

/// Liveness of the backend and its dependencies (public, no login).
#[utoipa::path(get, path = "/api/health", tag = "health", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    let db = async {
        tokio::time::timeout(Duration::from_secs(2), sqlx::query("select 1").execute(&state.pool))
            .await
            .is_ok_and(|r| r.is_ok())
    };
    let martin = async {
        state
            .http
            .get(format!("{}/health", state.config.martin_url))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    };
    let (db, martin) = tokio::join!(db, martin);
    Json(Health { status: "ok".into(), db: up(db), martin: up(martin) })
}
